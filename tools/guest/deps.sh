#!/usr/bin/env bash
# Installs what tools/guest needs from Debian 12's repository, only if
# something is missing, through the project's one installer. (The guest's
# own packages -- kernel, busybox-static, iperf3, ... -- are never installed:
# build.sh downloads and extracts them.) gcc with libc6-dev's static libc
# builds udpseq.c into the guest; iperf3 is the host's end of guest-to-host
# tests; ethtool turns off checksum offload on veths an af_packet uplink reads.
set -euo pipefail
exec "$(dirname "$0")/../setup/deps.sh" \
	qemu-system-x86 apt dpkg cpio gzip xz-utils zstd libc-bin coreutils util-linux procps \
	gcc libc6-dev binutils iperf3 ethtool
