#!/usr/bin/env bash
# Boots one vsw test guest (see build.sh) with a virtio-net NIC on
# -netdev vhost-user, runs a command in it and exits with its status.
#
# usage: launch.sh [options] [-- extra QEMU arguments]
#  NIC (none without --socket):
#   --socket PATH     vhost-user socket
#   --server          vsw is the server (default): QEMU connects, reconnect=1
#   --client          vsw is the client: QEMU listens (server=on,wait=off)
#   --queues N        queue pairs (queues=N; mq=on,vectors=2N+2 under KVM)
#   --packed          packed virtqueues (packed=on)
#   --no-mrg          no mergeable rx buffers (mrg_rxbuf=off)
#   --mtu N           host_mtu=N on the device, and the guest's eth0 MTU
#   --mac MAC         default: 52:54:00 + 3 bytes hashed from the socket path
#  guest:
#   --ip A.B.C.D/LEN  eth0's address, or "dhcp"
#   --gw A.B.C.D      default route
#   --cmd TEXT        shell command run in the guest (sh -c)
#   --cmd-file FILE   the same, from a file (any length; passed by fw_cfg)
#   --linkwait S      guest waits up to S s for carrier before READY (10)
#   --shell           interactive: console on stdio, shell after the command
#  machine:
#   --mem SIZE        guest memory (256M)
#   --smp N           vCPUs (1)
#   --hugepages [DIR] memory from hugetlbfs (memory-backend-file,
#                     mem-path=DIR (/dev/hugepages),share=on); default memfd
#   --accel A         auto (default), kvm or tcg; also $VSW_GUEST_ACCEL
#   --name NAME       QEMU -name (ps shows it)
#   --qmp PATH        QMP socket (e.g. set_link for link tests)
#  control:
#   --log FILE        serial console to FILE (default: a temp file copied to stdout)
#   --pidfile FILE    QEMU's pid is written here once it runs
#   --timeout S       stop QEMU (by its pid) after S seconds (120; 0 = never)
#   --image DIR       guest image dir ($VSW_GUEST_CACHE or /var/cache/vsw-guest)
#   --print           print the QEMU command line and exit
#   --probe           print the acceleration that boots (kvm, tcg or none) and
#                     exit 0, or 1 if none boots
#
# Exit status: the guest command's status (VSW-GUEST-RESULT), 124 on timeout,
# 125 when the guest ended without a result (QEMU error, panic), 2 on usage.
#
# Acceleration: KVM is used only if a guest really boots on it. It is probed
# once (a 10 s direct-kernel boot waiting for VSW-GUEST-READY) and the verdict
# cached in the image dir; otherwise TCG. Under TCG the NIC gets vectors=0:
# QEMU 7.2 crashes (SIGSEGV in msix_set_vector_notifiers) when a vhost-user
# NIC starts with MSI-X under TCG.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
QEMU=${QEMU:-qemu-system-x86_64}

socket= role=server queues=1 packed=0 nomrg=0 mtu= mac= ip= gw= cmd= cmdfile=
linkwait= shell=0 mem=256M smp=1 huge= accel=${VSW_GUEST_ACCEL:-auto} name=
qmp= log= pidfile= timeout=120 img=${VSW_GUEST_CACHE:-/var/cache/vsw-guest}
print=0 probe=0 extra=()

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
die() { echo "vsw-guest: $*" >&2; exit 2; }
need() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"; }

while [[ $# -gt 0 ]]; do
	case "$1" in
	--socket) need "$@"; socket=$2; shift ;;
	--server) role=server ;;
	--client) role=client ;;
	--queues) need "$@"; queues=$2; shift ;;
	--packed) packed=1 ;;
	--no-mrg) nomrg=1 ;;
	--mtu) need "$@"; mtu=$2; shift ;;
	--mac) need "$@"; mac=$2; shift ;;
	--ip) need "$@"; ip=$2; shift ;;
	--gw) need "$@"; gw=$2; shift ;;
	--cmd) need "$@"; cmd=$2; shift ;;
	--cmd-file) need "$@"; cmdfile=$2; shift ;;
	--linkwait) need "$@"; linkwait=$2; shift ;;
	--shell) shell=1 ;;
	--mem) need "$@"; mem=$2; shift ;;
	--smp) need "$@"; smp=$2; shift ;;
	--hugepages)
		if [[ $# -ge 2 && "$2" == /* ]]; then huge=$2; shift; else huge=/dev/hugepages; fi ;;
	--accel) need "$@"; accel=$2; shift ;;
	--name) need "$@"; name=$2; shift ;;
	--qmp) need "$@"; qmp=$2; shift ;;
	--log) need "$@"; log=$2; shift ;;
	--pidfile) need "$@"; pidfile=$2; shift ;;
	--timeout) need "$@"; timeout=$2; shift ;;
	--image) need "$@"; img=$2; shift ;;
	--print) print=1 ;;
	--probe) probe=1 ;;
	-h|--help) usage ;;
	--) shift; extra=("$@"); break ;;
	*) die "unknown option $1 (--help)" ;;
	esac
	shift
done

[[ "$queues" =~ ^[1-9][0-9]*$ ]] || die "--queues: not a number: $queues"
[[ "$timeout" =~ ^[0-9]+$ ]] || die "--timeout: not a number: $timeout"
[[ -z "$mtu" || "$mtu" =~ ^[0-9]+$ ]] || die "--mtu: not a number: $mtu"
[[ -z "$cmdfile" || -r "$cmdfile" ]] || die "--cmd-file: cannot read $cmdfile"
[[ -n "$cmd" && -n "$cmdfile" ]] && die "--cmd and --cmd-file exclude each other"
command -v "$QEMU" >/dev/null || die "$QEMU not found (run tools/guest/deps.sh)"

"$HERE/build.sh" "$img" || die "guest image build failed"
KERNEL=$img/vmlinuz
INITRD=$img/initrd.img

TMPS=()
QPID=
cleanup() {
	if [[ -n "$QPID" ]] && kill -0 "$QPID" 2>/dev/null; then
		kill -TERM "$QPID" 2>/dev/null || true
		for _ in $(seq 30); do kill -0 "$QPID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$QPID" 2>/dev/null || true
	fi
	if [[ -n "${TPID:-}" ]]; then kill "$TPID" 2>/dev/null || true; fi
	if [[ ${#TMPS[@]} -gt 0 ]]; then rm -rf "${TMPS[@]}"; fi
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run_qemu LOG TIMEOUT STOP_ON_READY QEMU-ARGS...: starts QEMU in the
# background, stops it by its pid after TIMEOUT s (or at the READY marker if
# STOP_ON_READY); returns QEMU's status, or 124 on timeout.
run_qemu() {
	local qlog=$1 tmo=$2 stop_ready=$3 t0 rc
	shift 3
	: >"$qlog"
	: >"$qlog.qemu"
	"$QEMU" "$@" </dev/null >>"$qlog.qemu" 2>&1 &
	QPID=$!
	[[ -n "$pidfile" && $stop_ready -eq 0 ]] && echo "$QPID" >"$pidfile"
	t0=${EPOCHREALTIME/[.,]/}
	while kill -0 "$QPID" 2>/dev/null; do
		if [[ $stop_ready -eq 1 ]] && grep -q '^VSW-GUEST-READY' "$qlog" 2>/dev/null; then
			cleanup_qemu; return 0
		fi
		if [[ $tmo -gt 0 && $((${EPOCHREALTIME/[.,]/} - t0)) -ge $((tmo * 1000000)) ]]; then
			cleanup_qemu; return 124
		fi
		sleep 0.1
	done
	rc=0; wait "$QPID" || rc=$?
	QPID=
	return $rc
}
cleanup_qemu() {
	kill -TERM "$QPID" 2>/dev/null || true
	for _ in $(seq 30); do kill -0 "$QPID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$QPID" 2>/dev/null || true
	wait "$QPID" 2>/dev/null || true
	QPID=
}

# --- acceleration -------------------------------------------------------------
probe_one() { # kvm|tcg -> 0 if a guest boots to READY within 10 s (20 s TCG)
	local a=$1 d tmo=10 rc=0
	d=$(mktemp -d /tmp/vsw-guest-probe.XXXXXX); TMPS+=("$d")
	local args=(-accel "$a" -m 128M -nodefaults -no-user-config -display none
		-no-reboot -nic none -monitor none -serial "file:$d/console"
		-kernel "$KERNEL" -initrd "$INITRD" -append "console=ttyS0 quiet panic=-1")
	[[ $a == kvm ]] && args+=(-cpu host) || tmo=20
	run_qemu "$d/console" "$tmo" 1 "${args[@]}" || rc=$?
	[[ $rc -eq 0 ]] && grep -q '^VSW-GUEST-READY' "$d/console" || rc=1
	rm -rf "$d"
	return $rc
}
probe_accel() { # sets accel
	local vf=$img/accel key verdict=none
	key="$(uname -r) $("$QEMU" --version | head -1)"
	exec 8>>"$img/.accel.lock"
	flock 8
	if [[ -s "$vf" && "$vf" -nt "$KERNEL" && "$(sed -n 2p "$vf")" == "$key" ]]; then
		accel=$(sed -n 1p "$vf")
		exec 8>&-
		return 0
	fi
	if [[ -r /dev/kvm && -w /dev/kvm ]] && probe_one kvm; then
		verdict=kvm
	elif probe_one tcg; then
		verdict=tcg
	fi
	printf '%s\n%s\n' "$verdict" "$key" >"$vf.tmp" && mv -f "$vf.tmp" "$vf"
	exec 8>&-
	accel=$verdict
}

case "$accel" in
auto) probe_accel ;;
kvm|tcg) ;;
*) die "--accel: auto, kvm or tcg" ;;
esac
if [[ $probe -eq 1 ]]; then
	echo "$accel"
	[[ "$accel" != none ]]; exit $?
fi
[[ "$accel" != none ]] || { echo "vsw-guest: neither KVM nor TCG boots the guest" >&2; exit 125; }

# --- the QEMU command line ----------------------------------------------------------
args=(-name "${name:-vsw-guest}" -accel "$accel")
[[ $accel == kvm ]] && args+=(-cpu host)
args+=(-smp "$smp" -m "$mem" -nodefaults -no-user-config -display none -no-reboot)
if [[ -n "$huge" ]]; then
	args+=(-object "memory-backend-file,id=mem0,size=$mem,mem-path=$huge,share=on,prealloc=on")
else
	args+=(-object "memory-backend-memfd,id=mem0,size=$mem,share=on")
fi
args+=(-machine "pc,memory-backend=mem0")

append="console=ttyS0 quiet panic=-1"
if [[ -n "$socket" ]]; then
	if [[ -z "$mac" ]]; then
		h=$(printf '%s' "$socket" | md5sum)
		mac="52:54:00:${h:0:2}:${h:2:2}:${h:4:2}"
	fi
	if [[ $role == server ]]; then
		args+=(-chardev "socket,id=chr0,path=$socket,reconnect=1")
	else
		args+=(-chardev "socket,id=chr0,path=$socket,server=on,wait=off")
	fi
	nd="vhost-user,id=net0,chardev=chr0"
	dev="virtio-net-pci,netdev=net0,mac=$mac"
	if [[ $queues -gt 1 ]]; then
		nd+=",queues=$queues"
		dev+=",mq=on"
		[[ $accel == kvm ]] && dev+=",vectors=$((2 * queues + 2))"
	fi
	[[ $accel == tcg ]] && dev+=",vectors=0"
	[[ $packed -eq 1 ]] && dev+=",packed=on"
	[[ $nomrg -eq 1 ]] && dev+=",mrg_rxbuf=off"
	[[ -n "$mtu" ]] && dev+=",host_mtu=$mtu"
	args+=(-netdev "$nd" -device "$dev")
	append+=" vsw.ip=${ip:-none}"
	[[ -n "$gw" ]] && append+=" vsw.gw=$gw"
	[[ -n "$mtu" ]] && append+=" vsw.mtu=$mtu"
	[[ $queues -gt 1 ]] && append+=" vsw.queues=$queues"
	[[ -n "$linkwait" ]] && append+=" vsw.linkwait=$linkwait"
else
	args+=(-nic none)
fi
if [[ -n "$cmd" ]]; then
	enc=$(printf '%s' "$cmd" | base64 -w0)
	if [[ ${#enc} -le 1024 ]]; then
		append+=" vsw.cmd64=$enc"
	else
		cmdfile=$(mktemp /tmp/vsw-guest-cmd.XXXXXX); TMPS+=("$cmdfile")
		printf '%s' "$cmd" >"$cmdfile"
	fi
fi
[[ -n "$cmdfile" ]] && args+=(-fw_cfg "name=opt/vsw/cmd,file=$cmdfile")
[[ $shell -eq 1 ]] && append+=" vsw.shell=1"
[[ -n "$qmp" ]] && args+=(-qmp "unix:$qmp,server=on,wait=off")
args+=(-kernel "$KERNEL" -initrd "$INITRD" -append "$append")

if [[ $print -eq 1 ]]; then
	if [[ -n "$log" ]]; then serial="file:$log"; else serial=mon:stdio; fi
	line=
	for w in "$QEMU" "${args[@]}" -serial "$serial" "${extra[@]}"; do
		if [[ "$w" =~ ^[][A-Za-z0-9_./:=,+@%-]+$ ]]; then line+="$w "
		else line+="'${w//\'/\'\\\'\'}' "; fi
	done
	echo "${line% }"
	exit 0
fi

if [[ $shell -eq 1 ]]; then
	# Interactive: QEMU in the foreground on this terminal (Ctrl-a x quits).
	[[ -n "$pidfile" ]] && args+=(-pidfile "$pidfile")
	exec "$QEMU" "${args[@]}" -serial mon:stdio "${extra[@]}"
fi

follow=0
if [[ -z "$log" ]]; then
	d=$(mktemp -d /tmp/vsw-guest-log.XXXXXX); TMPS+=("$d")
	log=$d/console
	follow=1
fi
: >"$log"
TPID=
if [[ $follow -eq 1 ]]; then
	tail -n +1 -f "$log" &
	TPID=$!
fi
rc=0
run_qemu "$log" "$timeout" 0 "${args[@]}" -monitor none -serial "file:$log" "${extra[@]}" || rc=$?
if [[ -n "$TPID" ]]; then
	sleep 0.2
	kill "$TPID" 2>/dev/null || true
	wait "$TPID" 2>/dev/null || true
fi
if [[ -s "$log.qemu" ]]; then
	sed 's/^/qemu: /' "$log.qemu" >&2
fi
rm -f "$log.qemu"
if [[ $rc -eq 124 ]]; then
	echo "vsw-guest: timeout after ${timeout}s, QEMU stopped" >&2
	exit 124
fi
res=$(tr -d '\r' <"$log" | sed -n 's/^VSW-GUEST-RESULT \([0-9]*\)$/\1/p' | tail -1)
if [[ -z "$res" ]]; then
	echo "vsw-guest: guest ended without a result (QEMU status $rc)" >&2
	exit 125
fi
exit "$res"
