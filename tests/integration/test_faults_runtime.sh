#!/usr/bin/env bash
# Faults while two testpmd guests exchange frames through vswd; after each
# one the guests must still exchange every frame:
# - port.add of ethdev ports their drivers refuse: a JSON-RPC error naming
#   the port and the reason, one log line, no port added;
# - a capture file on a 64 KiB tmpfs that fills up: the capture stops with
#   a logged reason, port.show says it failed and why, the file holds whole
#   packets only (tshark reads it), capture.stop gives the reason, and a new
#   capture works;
# - rm -rf of the run directory: the pid file (locked), the control socket
#   and the vhost-user sockets are made again within a second, a second
#   vswd is still refused, a guest reconnects through its new socket, and
#   SIGTERM still stops vswd with status 0, removing the directory.
source "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || skip "tshark is not installed (tools/setup/deps.sh installs it)"

start_bridge rt g1 g2
cfg=$CFG
LOG=$T/rt.log
M1=02:00:00:00:61:01 M2=02:00:00:00:61:02
tp_guest g1 $M1 $M2
tp_guest g2 $M2 $M1
wait_links_up 2 30
tp_cmd g2 "start"
RX=g2 # the guest that receives

# sends BURSTS: g1 sends BURSTS x 32 frames to $RX, which must get them all.
sends() {
	local before
	before=$(tp_port_stat "$RX" RX-packets)
	tp_cmd g1 "stop"
	tp_cmd g1 "start tx_first $1"
	wait_stat "$RX" RX-packets $((before + 32 * $1)) 20
}
sends 1

# --- ethdev ports refused at run time
set +e
out=$(vswctl port add name=up0 type=ethdev network=lan \
	devargs="net_tap_fr$$,iface=thisnameiswaytoolongforlinux" 2>&1); rc=$?
set -e
assert_eq "$rc" 1 "port add of a tap with an impossible name"
assert_contains "$out" "port up0 (devargs 'net_tap_fr$$,iface=thisnameiswaytoolongforlinux'): the driver refused these devargs" "error"
set +e
out=$(vswctl port add name=up1 type=ethdev network=lan devargs=net_null_fr$$ mtu=9000 2>&1); rc=$?
set -e
assert_eq "$rc" 1 "port add of a null device with MTU 9000"
assert_contains "$out" "port up1 (devargs 'net_null_fr$$'): MTU 9000 does not fit in one" "error"
assert_eq "$(grep -c "port.add: port up0 (devargs" "$LOG")" 1 "log lines for up0"
assert_eq "$(grep -c "port up1 (devargs" "$LOG")" 1 "log lines for up1"
assert_eq "$(vswctl --json port list | grep -c '"name"')" 2 "ports after the refusals"
sends 4

# --- a capture that fills its file system
mkdir "$T/small"
mount -t tmpfs -o size=64k vsw-it-small "$T/small" || skip "cannot mount a tmpfs here"
on_exit "umount -l '$T/small'"
CAP=$T/small/g2.pcapng
vswctl capture start name=g2 file="$CAP" packets=100000 >/dev/null
# 768 frames, as about 90 KiB of pcapng; in bursts g2's ring takes whole
# (through the bridge, as for every captured port, a full ring drops).
for i in 1 2 3 4 5 6; do sends 4; done
wait_for "the capture to fail" 10 bash -c \
	"'$VSWCTL' -s '$VSW_SOCK' --json port show g2 | grep -q '\"state\": \"failed\"'"
show=$(vswctl --json port show g2)
assert_contains "$show" "\"file\": \"$CAP\"" "port show"
assert_contains "$show" "No space left on device" "port show"
written=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["capture"]["packets"])' "$show")
assert_eq "$(grep -c "port g2: capture stopped: writing $CAP failed after $written packets" "$LOG")" 1 "log line"
(( written > 100 )) || fail "only $written packets written before the disk was full"
n=$(tshark -r "$CAP" 2>"$T/tshark.err" | wc -l) || true
# tshark says when a file ends in the middle of a packet.
! grep -v "Running as user" "$T/tshark.err" | grep -q . || fail "tshark: $(cat "$T/tshark.err")"
assert_eq "$n" "$written" "packets tshark reads"
set +e
out=$(vswctl capture stop g2 2>&1); rc=$?
set -e
assert_eq "$rc" 1 "capture stop after the failure"
assert_contains "$out" "port g2: the capture had stopped by itself: writing $CAP failed after $written packets" "capture stop"
assert_contains "$out" "No space left on device" "capture stop"
sends 4
# A new capture, where there is room.
vswctl capture start name=g2 file="$T/g2.pcapng" packets=64 >/dev/null
assert_contains "$(vswctl --json port show g2)" '"state": "running"' "new capture"
sends 2
wait_for "the new capture to finish" 10 bash -c \
	"'$VSWCTL' -s '$VSW_SOCK' --json port show g2 | grep -q '\"state\": \"finished\"'"
assert_eq "$(tshark -r "$T/g2.pcapng" 2>/dev/null | wc -l)" 64 "packets in the new capture"

# --- the run directory removed under the running daemon
ino=$(stat -c %i "$VSW_SOCK")
rm -rf "$RUN"
wait_for "the control socket back" 5 test -S "$VSW_SOCK"
[[ $(stat -c %i "$VSW_SOCK") != "$ino" ]] || fail "same control socket file?"
vswctl port list >/dev/null
wait_for "the vhost-user sockets back" 5 test -S "$RUN/g1.sock" -a -S "$RUN/g2.sock"
assert_eq "$(cat "$RUN/vswd.pid")" "$VSWD_PID" "pid file"
for what in "pid file $RUN/vswd.pid was removed" "control socket $VSW_SOCK was removed" \
	"port g1: socket $RUN/g1.sock was removed" "port g2: socket $RUN/g2.sock was removed"; do
	assert_eq "$(grep -c "$what" "$LOG")" 1 "log lines: $what"
done
sends 4
set +e
out=$("$VSWD" -c "$cfg" 2>&1); rc=$?
set -e
assert_eq "$rc" 1 "a second vswd on the run directory"
assert_contains "$out" "another vswd (pid $VSWD_PID) is running on run directory $RUN" "refusal"
# A guest that comes back finds its socket again.
tp_stop g2
tp_start g2b "net_virtio_user0,path=$RUN/g2.sock,mac=$M2,queue_size=256" \
	--forward-mode=rxonly --eth-peer=0,$M1 --txpkts=64
wait_links_up 2 30
tp_cmd g2b "start"
RX=g2b
sends 2

stop_pid "$VSWD_PID" || fail "vswd exited with $? after SIGTERM"
[[ ! -e "$RUN" ]] || fail "run directory left behind: $(ls -A "$RUN")"
prefix=$("$VSWD" --check -c "$cfg" | sed -n 's/.*--file-prefix=\([^ ]*\).*/\1/p')
[[ -n "$prefix" && ! -e "/var/run/dpdk/$prefix" ]] || fail "/var/run/dpdk/$prefix left behind"
! grep -qiE "panic|segmentation" "$LOG" || fail "crash in the log"
echo "ok"
