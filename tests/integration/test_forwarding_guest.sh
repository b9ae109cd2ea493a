#!/usr/bin/env bash
# A guest that forwards what it receives (testpmd, mac forwarding between
# its two ports, both on vsw's bridge) at QEMU's default ring size, 256,
# with 512 frames in flight: as many as its TX and RX rings hold between
# them. No frame may be lost, neither by vsw nor by the guest finding its
# TX ring full: vsw gives a sender its TX buffers back before the receiver
# sees the frames (the copy-once path's hold). Before that, the guest
# dropped one burst of 32 at the start in every packed run and in most
# split runs. Split and packed rings.
source "$(dirname "$0")/lib.sh"

M1=02:00:00:00:42:01
M2=02:00:00:00:42:02
INFLIGHT=512

# Last "Accumulated forward statistics" block of NAME's log: "rx tx tx-dropped".
fwd_totals() {
	awk '/Accumulated forward statistics/ { acc = 1; next }
		acc && /RX-packets:/ { rx = $2 } acc && /TX-packets:/ { tx = $2; drop = $4; acc = 0 }
		END { print rx, tx, drop }' "$T/$1.log"
}
# tp_cmd, then wait until PATTERN has been printed once more.
tp_wait() { # NAME COMMAND PATTERN
	local before
	before=$(grep -c -- "$3" "$T/$1.log" || true)
	tp_cmd "$1" "$2"
	wait_for "$1: $2" 20 bash -c "[ \$(grep -c -- '$3' '$T/$1.log') -gt $before ]"
	sleep 0.2 # the block's last lines
}

variant() { # NAME EXTRA_DEVARGS
	local name=$1 extra=$2 rx tx drop back
	log "variant $name: ring 256, $INFLIGHT in flight, devargs '$extra'"
	start_bridge "$name" g1 g2
	# --no-flush-rx: what is left in the RX rings at a stop is counted below.
	tp_start "$name" "net_virtio_user0,path=$RUN/g1.sock,mac=$M1,queue_size=256$extra net_virtio_user1,path=$RUN/g2.sock,mac=$M2,queue_size=256$extra" \
		--forward-mode=mac --eth-peer=0,$M2 --eth-peer=1,$M1 --txpkts=60 \
		--rxd=256 --txd=256 --no-flush-rx
	wait_links_up 2 30
	tp_cmd "$name" "start tx_first $((INFLIGHT / 64))"
	sleep 3
	tp_wait "$name" "stop" "Accumulated forward statistics"
	read -r rx tx drop < <(fwd_totals "$name")
	log "$name: forwarded rx $rx tx $tx, dropped at the guest's TX $drop"
	[[ $rx -gt 100000 ]] || fail "$name: only $rx frames went round in 3 s"
	assert_eq "$drop" 0 "$name: frames the guest could not send (its TX ring full)"
	# What is still in flight comes back to a receiving guest.
	sleep 0.5
	tp_cmd "$name" "set fwd rxonly"
	tp_wait "$name" "start" "rxonly packet forwarding"
	sleep 0.5
	tp_wait "$name" "stop" "Accumulated forward statistics"
	read -r back _ _ < <(fwd_totals "$name")
	assert_eq "$back" "$INFLIGHT" "$name: frames still in flight"
	local p drops
	for p in g1 g2; do
		drops=$(vswctl --json port stats "$p" | python3 -c 'import json,sys; print(json.load(sys.stdin)["drops"])')
		assert_eq "$drops" 0 "$name: vsw's drops on $p"
	done
	tp_stop "$name"
	stop_pid "$VSWD_PID"
}

variant split ""
variant packed ",packed_vq=1"
variant split_ooo ",in_order=0"
echo "ok"
