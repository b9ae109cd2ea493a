#!/usr/bin/env bash
# Installs what tools/guest needs from Debian 12's repository, only if
# something is missing: a second run costs one dpkg-query and is silent.
# (The guest's own packages -- kernel, busybox-static, iperf3, ... -- are
# never installed: build.sh downloads and extracts them.)
set -euo pipefail

PACKAGES=(
	qemu-system-x86               # qemu-system-x86_64 7.2, vhost-user netdev
	apt dpkg                      # apt-get download, dpkg-deb -x
	cpio gzip xz-utils zstd       # initramfs; compressed kernel modules
	libc-bin                      # ldd
	coreutils util-linux          # base64, md5sum, flock
	procps                        # kill
)

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
