#!/usr/bin/env bash
# Faults at start: too little hugepage memory (a 'memory' larger than what
# is free; no hugepages or too few, shown to vswd alone through a fake sysfs
# in a private mount namespace; the global nr_hugepages is never touched),
# a packet pool that does not fit, and ethdev ports their drivers refuse.
# Each must end in exit status 1 with one 'vswd:' line that names what
# failed and what to do, no crash, and nothing left behind; '-- --no-huge'
# must work.
source "$(dirname "$0")/lib.sh"

# expect_refusal NAME CONFIG [vswd args...]: runs vswd, which must exit 1
# with exactly one 'vswd:' line (stored in $LINE) and leave no run directory.
expect_refusal() {
	local name=$1 cfg=$2 rc
	shift 2
	set +e
	"$@" "$VSWD" -c "$cfg" "${VSWD_ARGS[@]}" >"$T/$name.log" 2>&1
	rc=$?
	set -e
	[[ $rc -eq 1 ]] || { cat "$T/$name.log"; fail "$name: exit status $rc, expected 1"; }
	! grep -qiE "panic|segmentation|core dumped|assert" "$T/$name.log" ||
		fail "$name: crashed: $(cat "$T/$name.log")"
	[[ $(grep -c '^vswd:' "$T/$name.log") -eq 1 ]] ||
		fail "$name: expected one 'vswd:' line: $(cat "$T/$name.log")"
	LINE=$(grep '^vswd:' "$T/$name.log")
	[[ ! -e "$T/run-$name" ]] || fail "$name: left behind $(ls -A "$T/run-$name")"
	local prefix
	prefix=$("$VSWD" --check -c "$cfg" | sed -n 's/.*--file-prefix=\([^ ]*\).*/\1/p')
	[[ -n "$prefix" && ! -e "/var/run/dpdk/$prefix" ]] || fail "$name: /var/run/dpdk/$prefix left behind"
}
VSWD_ARGS=()

cfg=$(write_config big <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
memory: 65536
networks: [{ name: lan, mode: bridge }]
ports: [{ name: vm1, type: vhost-user, network: lan, path: vm1.sock }]
CFG
)
expect_refusal big "$cfg"
assert_contains "$LINE" "cannot get 65536 MiB of hugepage memory ('memory: 65536' in the configuration)" "too much memory"
assert_contains "$LINE" "> /proc/sys/vm/nr_hugepages), lower 'memory', or run without hugepages: vswd ... -- --no-huge" "advice"

# fake_hugepages NR FREE CMD...: CMD in a mount namespace whose sysfs shows
# NR 2 MiB hugepages, FREE of them free (what EAL and vswd read).
fake_hugepages() {
	local nr=$1 free=$2
	shift 2
	unshare -m bash -c '
		set -e
		fake() {
			mount -t tmpfs -o size=1m none "$1"
			mkdir "$1/hugepages-2048kB"
			echo "'"$nr"'" >"$1/hugepages-2048kB/nr_hugepages"
			echo "'"$free"'" >"$1/hugepages-2048kB/free_hugepages"
			for f in resv_hugepages surplus_hugepages nr_overcommit_hugepages; do
				echo 0 >"$1/hugepages-2048kB/$f"
			done
		}
		fake /sys/kernel/mm/hugepages
		for n in /sys/devices/system/node/node*/hugepages; do fake "$n"; done
		exec "$@"' fake_hugepages "$@"
}
cfg=$(write_config nohp <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
networks: [{ name: lan, mode: bridge }]
ports: [{ name: vm1, type: vhost-user, network: lan, path: vm1.sock }]
CFG
)
if fake_hugepages 0 0 true 2>/dev/null; then
	expect_refusal nohp "$cfg" fake_hugepages 0 0
	assert_eq "$LINE" "vswd: cannot get 256 MiB of hugepage memory ('memory: 256' in the configuration): no hugepages are reserved. Reserve hugepages (as root: echo 128 > /proc/sys/vm/nr_hugepages), lower 'memory', or run without hugepages: vswd ... -- --no-huge" "no hugepages"
	expect_refusal nohp "$cfg" fake_hugepages 100 10
	assert_contains "$LINE" "only 20 MiB are free (10 of 100 2048 kB pages reserved). Reserve hugepages (as root: echo 218 > /proc/sys/vm/nr_hugepages)" "too few hugepages"
else
	log "no private mount namespace here: the fake-sysfs cases are not run"
fi

# Without hugepages, 'memory' is all there is: rings that need more.
cfg=$(write_config pool <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
memory: 64
networks: [{ name: lan, mode: bridge }]
ports:
  - { name: vm1, type: vhost-user, network: lan, path: vm1.sock }
  - { name: up0, type: ethdev, network: lan, devargs: "net_null_fs$$", rx_queues: 16, rx_desc: 4096 }
CFG
)
VSWD_ARGS=(-- --no-huge)
expect_refusal pool "$cfg"
assert_contains "$LINE" "cannot create the packet pool of socket 0: 262143 mbufs (about" "pool"
assert_contains "$LINE" "do not fit (Cannot allocate memory) in 'memory: 64'; raise 'memory'" "pool advice"

# ... and a configuration that fits runs without hugepages.
cfg=$(write_config nh <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
memory: 128
networks: [{ name: lan, mode: bridge }]
ports: [{ name: vm1, type: vhost-user, network: lan, path: vm1.sock }]
CFG
)
start_vswd nh "$cfg" -- --no-huge
wait_for "vswd without hugepages" 20 test -S "$T/run-nh/vsw.sock"
VSW_SOCK=$T/run-nh/vsw.sock vswctl port show vm1 >/dev/null
stop_pid "$VSWD_PID" || fail "vswd --no-huge exited with $?"
VSWD_ARGS=()

# Ethdev ports the drivers refuse, after a vhost-user port that was made
# first: nothing half-started stays.
bad_port() { # NAME DEVARGS [extra keys]
	write_config "$1" <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
networks: [{ name: lan, mode: bridge }]
ports:
  - { name: vm1, type: vhost-user, network: lan, path: vm1.sock }
  - { name: up0, type: ethdev, network: lan, devargs: "$2"${3:-} }
CFG
}
expect_refusal tapname "$(bad_port tapname "net_tap_fs$$,iface=thisnameiswaytoolongforlinux")"
assert_eq "$LINE" "vswd: port up0 (devargs 'net_tap_fs$$,iface=thisnameiswaytoolongforlinux'): the driver refused these devargs (its reason is the driver's own line in vswd's log)" "tap name"
grep -q "TAP invalid remote interface name" "$T/tapname.log" || fail "the driver's reason is not in the log"
[[ $(grep -c "port up0" "$T/tapname.log") -eq 1 ]] || fail "port up0's failure logged more than once"
expect_refusal tapmtu "$(bad_port tapmtu "net_tap_fs$$,iface=vswfs$$" ", mtu: 9000")"
assert_contains "$LINE" "vswd: port up0 (devargs 'net_tap_fs$$,iface=vswfs$$'): MTU 9000 needs 9018-byte frames, the device (net_tap) receives at most 1522 (largest MTU: 1504)" "tap MTU"
! ip link show "vswfs$$" >/dev/null 2>&1 || fail "the refused tap's interface was left behind"
expect_refusal nodrv "$(bad_port nodrv "net_nosuchdriver0")"
assert_contains "$LINE" "port up0 (devargs 'net_nosuchdriver0'): not a device DPDK knows" "unknown driver"
echo "ok"
