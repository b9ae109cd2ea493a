# shellcheck shell=bash
# Open vSwitch 3.1 with DPDK as a peer for vsw's benchmarks and tests: an
# ovsdb-server and an ovs-vswitchd of their own in a directory the caller
# owns (nothing of the system's OVS is used or touched), DPDK with --no-pci
# --in-memory, the PMD pinned, a NORMAL bridge br0 of datapath netdev, and
# dpdkvhostuserclient ports (QEMU is the vhost-user server).
# Source it, then set:
#   OVS_DIR       its database, sockets and logs (made afresh by ovs_start)
#   OVS_CTL_CPU   CPU of OVS's main thread (dpdk-lcore-mask)
#   OVS_PMD_CPU   CPU of its one PMD thread (pmd-cpu-mask)
#   OVS_PREFIX    DPDK --file-prefix (its runtime dir is removed by ovs_forget_dpdk)
# and define ovs_track PID: called for each process started (ovsdb-server,
# then ovs-vswitchd) before anything waits on it, so the caller's cleanup
# stops it by pid even when start-up fails. Needs openvswitch-switch-dpdk
# (tools/bench/deps.sh) and hugepages.

OVSD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk

ovs_env() { export OVS_RUNDIR=$OVS_DIR OVS_DBDIR=$OVS_DIR OVS_LOGDIR=$OVS_DIR OVS_SYSCONFDIR=$OVS_DIR; }
ovs_vsctl() { ovs-vsctl --db=unix:"$OVS_DIR/db.sock" "$@"; }
ovs_appctl() { ovs-appctl -t "$OVS_DIR/vswitchd.ctl" "$@"; }
ovs_mask() { printf '0x%x' $((1 << $1)); }

_ovs_wait() { # seconds command...
	local s=$1 i
	shift
	for ((i = 0; i < s * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	echo "ovs_lib: timed out waiting for: $*" >&2
	return 1
}

# ovs_start [other_config:KEY=VALUE...]: the database, then ovs-vswitchd with
# DPDK and bridge br0. Sets OVS_PID (ovs-vswitchd). Returns 1 if either does
# not come up in time.
ovs_start() {
	ovs_env
	rm -rf "$OVS_DIR"
	mkdir -p "$OVS_DIR"
	ovsdb-tool create "$OVS_DIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema
	ovsdb-server "$OVS_DIR/conf.db" --remote=punix:"$OVS_DIR/db.sock" --pidfile="$OVS_DIR/db.pid" \
		--unixctl="$OVS_DIR/db.ctl" --log-file="$OVS_DIR/db.log" -vconsole:off 2>>"$OVS_DIR/db.stderr" &
	ovs_track $!
	_ovs_wait 10 test -S "$OVS_DIR/db.sock" || return 1
	ovs_vsctl --no-wait init
	ovs_vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
		other_config:dpdk-lcore-mask="$(ovs_mask "$OVS_CTL_CPU")" \
		other_config:pmd-cpu-mask="$(ovs_mask "$OVS_PMD_CPU")" other_config:dpdk-socket-mem=1024 \
		"$@" "other_config:dpdk-extra=--no-pci --in-memory --file-prefix=$OVS_PREFIX"
	taskset -c "$OVS_CTL_CPU,$OVS_PMD_CPU" "$OVSD" unix:"$OVS_DIR/db.sock" \
		--pidfile="$OVS_DIR/vswitchd.pid" --unixctl="$OVS_DIR/vswitchd.ctl" \
		--log-file="$OVS_DIR/vswitchd.log" >"$OVS_DIR/stdout.log" 2>&1 &
	# shellcheck disable=SC2034 # the caller's
	OVS_PID=$!
	ovs_track $!
	_ovs_wait 60 test -S "$OVS_DIR/vswitchd.ctl" || return 1
	ovs_vsctl --timeout=30 add-br br0 -- set bridge br0 datapath_type=netdev
}

# ovs_add_vhost_client PORT SOCKET [ovs-vsctl set Interface args...]: a
# dpdkvhostuserclient port on br0 that connects to QEMU listening on SOCKET
# (launch.sh --client), and keeps retrying until it does.
ovs_add_vhost_client() {
	local port=$1 sock=$2
	shift 2
	ovs_vsctl --timeout=30 add-port br0 "$port" -- set Interface "$port" type=dpdkvhostuserclient \
		options:vhost-server-path="$sock" "$@"
}

# DPDK 22.11 makes its runtime directory even with --in-memory and OVS
# leaves it behind; call this once ovs-vswitchd is gone.
ovs_forget_dpdk() { rm -rf "/var/run/dpdk/$OVS_PREFIX"; }
