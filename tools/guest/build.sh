#!/usr/bin/env bash
# Builds vsw's test guest from Debian 12 packages, without installing any of
# them on the host:
#   OUTDIR/vmlinuz     the Debian cloud kernel (linux-image-*-cloud-amd64)
#   OUTDIR/initrd.img  gzip'ed cpio (newc): busybox-static, the virtio-net and
#                      fw_cfg modules, iperf3 + ethtool with their libraries,
#                      udpseq (udpseq.c, built here with the host's gcc,
#                      static) and tools/guest/init as /init
#   OUTDIR/VERSION     what went in (package versions, and a last line
#                      "sources SHA256" of this script, init and udpseq.c)
#
# usage: build.sh [--force] [OUTDIR]
#   OUTDIR defaults to $VSW_GUEST_CACHE, else /var/cache/vsw-guest.
# Cached: when OUTDIR holds vmlinuz and initrd.img and its VERSION names the
# hash of today's sources, it exits at once. A hash, not file times: the
# cache is shared by every checkout on the machine, and one built from other
# sources (another branch's, without udpseq) is rebuilt, whatever its age.
# Concurrent builds serialise on a lock.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
force=0
if [[ "${1:-}" == "--force" ]]; then force=1; shift; fi
OUT=${1:-${VSW_GUEST_CACHE:-/var/cache/vsw-guest}}

log() { echo "vsw-guest: $*" >&2; }
die() { log "error: $*"; exit 1; }

SOURCES=("$HERE/build.sh" "$HERE/init" "$HERE/udpseq.c")
SRC_HASH=$(cat "${SOURCES[@]}" | sha256sum | cut -d' ' -f1)
fresh() {
	[[ -s "$OUT/vmlinuz" && -s "$OUT/initrd.img" ]] || return 1
	[[ "$(tail -n 1 "$OUT/VERSION" 2>/dev/null)" == "sources $SRC_HASH" ]]
}

[[ $force -eq 0 ]] && fresh && exit 0

mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9
# Another build may have finished while we waited for the lock.
[[ $force -eq 0 ]] && fresh && exit 0

# udpseq needs gcc and a static libc: a machine set up before udpseq came
# gets them here (deps.sh installs only what is missing).
if ! command -v gcc >/dev/null || [[ $(gcc -print-file-name=libc.a) != /* ]]; then
	"$HERE/deps.sh" >&2 || die "gcc and libc6-dev are needed for udpseq (run tools/guest/deps.sh as root)"
fi
for t in apt-get apt-cache dpkg-deb cpio gzip gcc; do
	command -v "$t" >/dev/null || die "$t not found (run tools/guest/deps.sh)"
done

TMP=$(mktemp -d /tmp/vsw-guest-build.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# --- resolve and download the packages -------------------------------------
kernel_pkg=${VSW_GUEST_KERNEL_PKG:-}
resolve_kernel() {
	apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9].*-cloud-amd64/ {print $2; exit}'
}
if [[ -z "$kernel_pkg" ]]; then
	kernel_pkg=$(resolve_kernel)
	if [[ -z "$kernel_pkg" ]]; then
		log "no package lists, running apt-get update"
		apt-get update -qq || die "apt-get update failed"
		kernel_pkg=$(resolve_kernel)
	fi
	[[ -n "$kernel_pkg" ]] || die "cannot resolve linux-image-cloud-amd64's kernel package"
fi
PKGS=("$kernel_pkg" busybox-static iperf3 libiperf0 libsctp1 libssl3 libc6 ethtool libmnl0)
log "downloading ${PKGS[*]}"
mkdir -p "$TMP/debs" "$TMP/x" "$TMP/root"
# -o APT::Sandbox::User=root: the temp dir is not readable by _apt.
if ! (cd "$TMP/debs" && apt-get download -qq -o APT::Sandbox::User=root "${PKGS[@]}" >/dev/null); then
	die "apt-get download ${PKGS[*]} failed (apt-get update? network to the Debian mirror?)"
fi
: >"$TMP/VERSION"
for d in "$TMP"/debs/*.deb; do
	dpkg-deb -x "$d" "$TMP/x"
	dpkg-deb -W --showformat='${Package} ${Version}\n' "$d" >>"$TMP/VERSION"
done

X=$TMP/x
R=$TMP/root

# --- kernel and modules -------------------------------------------------------
vmlinuz=$(ls "$X"/boot/vmlinuz-* 2>/dev/null | head -1)
[[ -n "$vmlinuz" ]] || die "no vmlinuz in $kernel_pkg"
kver=${vmlinuz##*/vmlinuz-}
moddir=$X/lib/modules/$kver/kernel
# Load order (busybox insmod resolves no dependencies). Built-in ones are
# simply absent from the package and skipped.
MODULES=(
	drivers/firmware/qemu_fw_cfg
	net/core/failover drivers/net/net_failover
	drivers/virtio/virtio_ring drivers/virtio/virtio
	drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci_legacy_dev
	drivers/virtio/virtio_pci drivers/net/virtio_net
)
mkdir -p "$R/lib/modules"
: >"$R/lib/modules/order"
for m in "${MODULES[@]}"; do
	name=${m##*/}
	f=$(ls "$moddir/$m".ko* 2>/dev/null | head -1 || true)
	if [[ -z "$f" ]]; then
		grep -q "/$name.ko" "$X/lib/modules/$kver/modules.builtin" 2>/dev/null ||
			die "module $name neither in $kernel_pkg nor built in"
		continue
	fi
	case "$f" in
	*.ko) cp "$f" "$R/lib/modules/$name.ko" ;;
	*.ko.xz) xz -dc "$f" >"$R/lib/modules/$name.ko" ;;
	*.ko.gz) gzip -dc "$f" >"$R/lib/modules/$name.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$R/lib/modules/$name.ko" ;;
	*) die "unknown module file $f" ;;
	esac
	echo "$name" >>"$R/lib/modules/order"
done

# --- busybox --------------------------------------------------------------------
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,lib64,lib/x86_64-linux-gnu,proc,sys,dev,tmp,run,etc,root}
cp "$X/bin/busybox" "$R/bin/busybox"
for a in $("$R/bin/busybox" --list-full); do
	[[ -e "$R/$a" ]] || ln -s /bin/busybox "$R/$a"
done

# --- iperf3, ethtool and their libraries ---------------------------------------
cp "$X/usr/bin/iperf3" "$R/usr/bin/iperf3"
cp "$X/sbin/ethtool" "$R/usr/sbin/ethtool" 2>/dev/null || cp "$X/usr/sbin/ethtool" "$R/usr/sbin/ethtool"
LIBDIRS=("$X/lib/x86_64-linux-gnu" "$X/usr/lib/x86_64-linux-gnu")
find_lib() { # soname -> path inside the extracted packages
	local d
	for d in "${LIBDIRS[@]}"; do
		[[ -e "$d/$1" ]] && { echo "$d/$1"; return 0; }
	done
	return 1
}
libpath=$(IFS=:; echo "${LIBDIRS[*]}")
copied=" "
for bin in "$R/usr/bin/iperf3" "$R/usr/sbin/ethtool"; do
	# ldd with the extracted libraries first; every soname must come from them.
	for so in $(LD_LIBRARY_PATH=$libpath ldd "$bin" | awk '$2 == "=>" {print $1}'); do
		[[ "$copied" == *" $so "* ]] && continue
		src=$(find_lib "$so") || die "$so (needed by ${bin##*/}) not in the downloaded packages"
		cp -L "$src" "$R/lib/x86_64-linux-gnu/$so"
		copied+="$so "
	done
done
ld=$(find_lib ld-linux-x86-64.so.2) || die "no dynamic loader in libc6"
cp -L "$ld" "$R/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$R/lib64/ld-linux-x86-64.so.2"
ln -s lib "$R/usr/lib" 2>/dev/null || true

# --- udpseq: ours, static (the guest's libc6 is only there for iperf3) -------------
gcc -static -O2 -std=gnu11 -Wall -Wextra -Werror -o "$R/usr/bin/udpseq" "$HERE/udpseq.c" ||
	die "udpseq.c did not build statically (libc6-dev: run tools/guest/deps.sh)"
strip "$R/usr/bin/udpseq" 2>/dev/null || true

# --- init and the rest -----------------------------------------------------------
install -m 0755 "$HERE/init" "$R/init"
cat >"$R/bin/vsw-udhcpc.script" <<'EOS'
#!/bin/sh
# udhcpc hook: configure the lease on $interface.
case "$1" in
bound|renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	for r in $router; do ip route add default via "$r" dev "$interface"; break; done
	if [ -n "$dns" ]; then
		: >/etc/resolv.conf
		for d in $dns; do echo "nameserver $d" >>/etc/resolv.conf; done
	fi
	[ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
	;;
deconfig) ip addr flush dev "$interface" ;;
esac
exit 0
EOS
chmod 0755 "$R/bin/vsw-udhcpc.script"
echo "root:x:0:0:root:/root:/bin/sh" >"$R/etc/passwd"
echo "root:x:0:" >"$R/etc/group"
printf '127.0.0.1 localhost\n' >"$R/etc/hosts"
printf 'tcp 6 TCP\nudp 17 UDP\nicmp 1 ICMP\n' >"$R/etc/protocols"
echo "sources $SRC_HASH" >>"$TMP/VERSION"
cp "$TMP/VERSION" "$R/etc/vsw-guest-version"

(cd "$R" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet | gzip -6 -n) >"$TMP/initrd.img"
cp "$vmlinuz" "$TMP/vmlinuz"
# Publish atomically: initrd first, vmlinuz last.
mv -f "$TMP/VERSION" "$OUT/VERSION"
mv -f "$TMP/initrd.img" "$OUT/initrd.img"
mv -f "$TMP/vmlinuz" "$OUT/vmlinuz"
touch "$OUT/initrd.img" "$OUT/vmlinuz"
log "built $OUT (kernel $kver, initrd $(du -h "$OUT/initrd.img" | cut -f1))"
