#!/usr/bin/env bash
# Listening sockets kept across a vswd restart. With socket_hold (SIGTERM) or
# `vswctl shutdown hold=S`, a socket keeper holds the server sockets and the
# control socket: a frontend connecting while no vswd runs waits in the
# backlog and gets its answer from the next vswd, which takes the very same
# sockets over; the keeper exits. A socket the new configuration lacks is
# closed and removed; with no hold the files go as before; an unclaimed hold
# (socket_hold set at run time) expires and removes the files and the run
# directory. Then systemd-style LISTEN_FDS adoption. Both with the run
# directory (or a socket file) removed under a vswd that took its sockets
# over: it makes them again, and what it hands on or removes at exit is the
# new file, not the one it inherited.
source "$(dirname "$0")/lib.sh"

RUN=$T/run
cat >"$T/client.py" <<'PY'
# A vhost-user frontend's first request (GET_FEATURES); prints the reply.
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
print("connected", flush=True)
s.sendall(struct.pack('<III', 1, 1, 0))
s.settimeout(float(sys.argv[2]))
buf = b''
try:
    while len(buf) < 20:
        d = s.recv(20 - len(buf))
        if not d:
            break
        buf += d
except ConnectionResetError:
    pass
if len(buf) < 20:
    print("closed after", len(buf), "bytes", flush=True)
    sys.exit(1)
req, flags, size = struct.unpack('<III', buf[:12])
print("reply", req, hex(flags), size, flush=True)
sys.exit(0 if req == 1 and flags & 4 and size == 8 else 1)
PY
conf() { # conf NAME HOLD PORTS...: a config on $RUN
	local name=$1 hold=$2 p
	shift 2
	{
		echo "cores: [$LAST_CPU]"
		echo "run_dir: $RUN"
		echo "socket_hold: $hold"
		echo "networks: [{ name: lan, mode: bridge }]"
		echo "ports:"
		for p in "$@"; do echo "  - { name: $p, type: vhost-user, network: lan, path: $p.sock }"; done
	} >"$T/$name.yaml"
}
conf hold 20 vm1 vm2
conf nohold 0 vm1

serving() { "$VSWCTL" -s "$RUN/vsw.sock" -t 1 version >/dev/null 2>&1; }
# keeper_of NAME: sets K to the keeper's pid from the stopping vswd's log line
keeper_of() {
	K=$(sed -n 's/.*socket keeper (pid \([0-9]*\)) holds.*/\1/p' "$T/$1.log" | tail -1)
	[[ -n $K ]] || fail "no socket keeper in $1.log"
	track_pid "$K"
}
check_keeper() { # PID NSOCKETS: a live keeper with nothing of vswd's but the sockets
	kill -0 "$1" 2>/dev/null || fail "keeper $1 is not running"
	assert_eq "$(cat "/proc/$1/comm")" "vswd-keeper" "keeper's process name"
	assert_eq "$(ls "/proc/$1/fd" | wc -l)" $((3 + 2 + $2)) \
		"keeper's open fds (stdio, handoff socket, signalfd, the sockets): $(ls -l "/proc/$1/fd")"
	grep -q '^HugetlbPages:[[:space:]]*0 kB' "/proc/$1/status" || fail "the keeper maps hugepages"
}
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
ino() { stat -c %i "$@"; }

log "1. SIGTERM with socket_hold: a keeper holds the sockets, the next vswd takes them"
start_vswd a "$T/hold.yaml"
a=$VSWD_PID
wait_for "vswd a serving" 30 serving
inodes=$(ino "$RUN/vm1.sock" "$RUN/vm2.sock" "$RUN/vsw.sock")
stop_pid "$a" || fail "vswd a: exit status $?"
untrack_pid "$a"
keeper_of a
k1=$K
check_keeper "$k1" 3
assert_eq "$(ino "$RUN/vm1.sock" "$RUN/vm2.sock" "$RUN/vsw.sock")" "$inodes" "socket files while held"
[[ -S $RUN/vswd.handoff && ! -e $RUN/vswd.pid ]] || fail "run dir while held: $(ls "$RUN")"
# A frontend and a vswctl that come while no vswd runs wait for the next one.
python3 "$T/client.py" "$RUN/vm1.sock" 60 >"$T/client1.out" 2>&1 &
client=$!
track_pid "$client"
"$VSWCTL" -s "$RUN/vsw.sock" -t 60 version >"$T/ctl1.out" 2>&1 &
ctl=$!
track_pid "$ctl"
wait_for "client connected" 10 grep -q connected "$T/client1.out"
sleep 1
kill -0 "$client" 2>/dev/null || fail "the client got an answer with no vswd: $(cat "$T/client1.out")"
start_vswd b "$T/hold.yaml"
b=$VSWD_PID
wait "$client" || fail "no reply from the new vswd: $(cat "$T/client1.out")"
untrack_pid "$client"
assert_contains "$(cat "$T/client1.out")" "reply 1 0x5 8" "the frontend's reply"
wait "$ctl" || fail "vswctl during the restart: $(cat "$T/ctl1.out")"
untrack_pid "$ctl"
assert_contains "$(cat "$T/ctl1.out")" "0.1.0" "vswctl answered by the new vswd"
wait_for "keeper 1 gone" 10 gone "$k1"
assert_eq "$(ino "$RUN/vm1.sock" "$RUN/vm2.sock" "$RUN/vsw.sock")" "$inodes" "the same sockets after the restart"
[[ ! -e $RUN/vswd.handoff ]] || fail "handoff socket left after the handoff"
assert_contains "$(cat "$T/b.log")" "took 3 listening sockets from the socket keeper (pid $k1)" "b's log"
assert_contains "$(cat "$T/b.log")" "port vm1: took over the listening socket $RUN/vm1.sock" "b's log"

log "1b. the run directory removed under b, which took its sockets from a keeper: made again"
rm -rf "$RUN"
wait_for "sockets made again" 10 test -S "$RUN/vm1.sock" -a -S "$RUN/vm2.sock" -a -S "$RUN/vsw.sock"
wait_for "vswd b serving again" 10 serving
inodes2=$(ino "$RUN/vm1.sock" "$RUN/vm2.sock" "$RUN/vsw.sock")
[[ $inodes2 != "$inodes" ]] || fail "socket files not new after the removal"

log "2. vswctl shutdown hold=20; the next configuration lacks vm2: closed and removed"
# hold= wins over the configuration's socket_hold (0 from now on).
"$VSWCTL" -s "$RUN/vsw.sock" config set socket_hold=0 >/dev/null
"$VSWCTL" -s "$RUN/vsw.sock" shutdown hold=20 >/dev/null
wait "$b" || fail "vswd b: exit status $?"
untrack_pid "$b"
keeper_of b
k2=$K
check_keeper "$k2" 3
# The keeper holds the sockets b made again, not the ones it inherited.
assert_eq "$(ino "$RUN/vm1.sock" "$RUN/vm2.sock" "$RUN/vsw.sock")" "$inodes2" "socket files held after the removal"
start_vswd c "$T/nohold.yaml"
c=$VSWD_PID
wait_for "vswd c serving" 30 serving
wait_for "keeper 2 gone" 10 gone "$k2"
assert_contains "$(cat "$T/c.log")" "inherited listening socket $RUN/vm2.sock (from the socket keeper) is not in the configuration: closed and removed" "c's log"
[[ ! -e $RUN/vm2.sock ]] || fail "vm2.sock left behind"
assert_contains "$(cat "$T/c.log")" "took 3 listening sockets from the socket keeper (pid $k2)" "c's log"
assert_eq "$(ino "$RUN/vm1.sock")" "$(echo "$inodes2" | head -1)" "vm1's socket after the second restart"
"$VSWCTL" -s "$RUN/vsw.sock" shutdown hold=x >"$T/bad.out" 2>&1 && fail "hold=x accepted"
assert_contains "$(cat "$T/bad.out")" "hold: seconds a socket keeper holds the listening sockets, 0-600" "hold=x"
"$VSWCTL" -s "$RUN/vsw.sock" shutdown hold=601 >/dev/null 2>&1 && fail "hold=601 accepted"

log "3. SIGTERM without a hold: the files go with vswd, no keeper"
stop_pid "$c" || fail "vswd c: exit status $?"
untrack_pid "$c"
grep -q "socket keeper (pid [0-9]*) holds" "$T/c.log" && fail "a keeper without a hold: $(grep "holds" "$T/c.log")"
[[ ! -e $RUN ]] || fail "left behind without a hold: $(ls -la "$RUN")"

log "4. socket_hold set at run time; a hold nobody takes expires: the keeper removes the files"
start_vswd d "$T/nohold.yaml"
d=$VSWD_PID
wait_for "vswd d serving" 30 serving
"$VSWCTL" -s "$RUN/vsw.sock" config set socket_hold=3 >/dev/null
assert_contains "$("$VSWCTL" -s "$RUN/vsw.sock" config dump)" "socket_hold: 3" "config dump"
stop_pid "$d" || fail "vswd d: exit status $?"
untrack_pid "$d"
keeper_of d
k3=$K
check_keeper "$k3" 2
python3 "$T/client.py" "$RUN/vm1.sock" 30 >"$T/client3.out" 2>&1 &
client=$!
track_pid "$client"
wait_for "keeper 3 gone" 10 gone "$k3"
wait "$client" && fail "a reply with no vswd"
untrack_pid "$client"
assert_contains "$(cat "$T/client3.out")" "closed after 0 bytes" "a frontend waiting when the hold expired"
[[ ! -e $RUN ]] || fail "left behind after the hold expired: $(ls -la "$RUN")"
grep -q "no vswd took the sockets within 3 s; removed the 2 sockets" "$T/d.log" || fail "no expiry log line"

log "5. LISTEN_FDS (systemd socket activation): sockets made by the service manager"
mkdir -p "$RUN"
cat >"$T/activate.py" <<'PY'
# Binds the sockets, then execs vswd with them as fds 3.. (sd_listen_fds).
import os, socket, sys
paths, argv = sys.argv[1].split(','), sys.argv[2:]
socks = []
for p in paths:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(p)
    s.listen(8)
    socks.append(s)
high = [os.dup(s.fileno()) for s in socks]
for s in socks:
    s.close()
for i, fd in enumerate(high):
    os.dup2(fd, 3 + i)
    os.set_inheritable(3 + i, True)
os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS=str(len(socks)),
                  LISTEN_FDNAMES=':'.join(os.path.basename(p) for p in paths))
os.execv(argv[0], argv)
PY
python3 "$T/activate.py" "$RUN/vm1.sock,$RUN/vsw.sock,$RUN/stray.sock" "$VSWD" -c "$T/nohold.yaml" \
	>"$T/e.log" 2>&1 &
e=$!
track_pid "$e"
# The frontend connects once the socket is there, most likely before vswd is up.
wait_for "the service manager's socket" 10 test -S "$RUN/vm1.sock"
python3 "$T/client.py" "$RUN/vm1.sock" 60 >"$T/client5.out" 2>&1 &
client=$!
track_pid "$client"
wait "$client" || fail "no reply through the LISTEN_FDS socket: $(cat "$T/client5.out")"
untrack_pid "$client"
wait_for "vswd e serving" 30 serving
elog=$(cat "$T/e.log")
assert_contains "$elog" "LISTEN_FDS: 3 sockets from the service manager" "e's log"
assert_contains "$elog" "port vm1: took over the listening socket $RUN/vm1.sock" "e's log"
assert_contains "$elog" "took over the listening control socket $RUN/vsw.sock" "e's log"
assert_contains "$elog" "inherited listening socket $RUN/stray.sock (from the service manager) is not in the configuration: closed" "e's log"
inodes=$(ino "$RUN/vm1.sock")
# The service manager's control socket file removed: vswd makes its own.
rm "$RUN/vsw.sock"
wait_for "control socket made again" 10 test -S "$RUN/vsw.sock"
wait_for "vswd e serving again" 10 serving
stop_pid "$e" || fail "vswd e: exit status $?"
untrack_pid "$e"
# The service manager's socket files are its own to remove; the one vswd
# made is vswd's.
assert_eq "$(ino "$RUN/vm1.sock")" "$inodes" "systemd's socket file after the stop"
[[ -S $RUN/stray.sock ]] || fail "vswd removed a socket file of the service manager's"
[[ ! -e $RUN/vsw.sock ]] || fail "the control socket vswd made again was left behind"
rm -f "$RUN/vm1.sock" "$RUN/stray.sock"
rmdir "$RUN"
echo "ok"
