#!/usr/bin/env bash
# What the benchmarks need beside vsw's own dependencies: Open vSwitch with
# DPDK (the peer they compare against) and the QEMU test guest's packages.
# Installs only what is missing, through the project's one installer.
set -euo pipefail
here=$(dirname "$0")
"$here/../guest/deps.sh"
exec "$here/../setup/deps.sh" openvswitch-switch-dpdk
