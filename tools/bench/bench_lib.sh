# shellcheck shell=bash
# What the DPDK benchmarks share (switch_bench.sh, nat_bench.sh): waiting
# for a condition, stopping the processes a measurement started (by pid,
# TERM then KILL), and the median of a column. Source it; the caller keeps
# the pids it starts in the array PIDS.

wait_for() { # seconds command...
	local s=$1 i
	shift
	for ((i = 0; i < s * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	echo "bench: timed out waiting for: $*" >&2
	return 1
}

stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	PIDS=()
}

# Numbers on stdin, one a line -> their median ("nan" if none).
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
