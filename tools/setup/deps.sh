#!/usr/bin/env bash
# Installs what vsw needs from Debian 12's repository, only if something is
# missing: a second run costs one dpkg-query and is silent. Arguments are
# further packages to make sure of.
set -euo pipefail

PACKAGES=(
	gcc make pkg-config meson ninja-build
	libdpdk-dev dpdk-dev          # DPDK 22.11 libraries and dpdk-testpmd
	libnuma-dev libyaml-dev libjansson-dev libcmocka-dev
	clang libclang-rt-14-dev      # libFuzzer and sanitizer runtimes
	iproute2 iputils-ping procps util-linux psmisc
	python3 python3-pyelftools
	tshark                        # reads the captures in tests
)
# Extra packages from the caller (tools/guest/deps.sh adds QEMU's).
PACKAGES+=("$@")

missing=()
for p in "${PACKAGES[@]}"; do
	[[ "$p" == \#* ]] && continue
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
	echo "vsw: missing packages: ${missing[*]}" >&2
	echo "vsw: run as root, or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "vsw: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
