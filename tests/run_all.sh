#!/usr/bin/env bash
# Runs vsw's test stages and prints one summary. Stages: unit (cmocka under
# meson), asan (the unit tests again with AddressSanitizer + UBSan),
# integration (tests/integration/test_*.sh against a real vswd), fuzz
# (each libFuzzer target for FUZZ_SECONDS on its corpus).
# Usage: tests/run_all.sh [unit|asan|integration|fuzz]...  (default: all)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
stages=("$@")
[[ ${#stages[@]} -eq 0 ]] && stages=(unit asan integration fuzz)
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
export VSW_BUILD=${VSW_BUILD:-$top/build}

passed=0 failed=0 skipped=0
failures=()

count_meson() { # dir label
	local log="$1/meson-logs/testlog.json"
	[[ -f "$log" ]] || return
	while read -r name result; do
		case "$result" in
		OK | EXPECTEDFAIL) passed=$((passed + 1)) ;;
		SKIP) skipped=$((skipped + 1)); echo "SKIP $2/$name" ;;
		*) failed=$((failed + 1)); failures+=("$2/$name ($result)") ;;
		esac
	done < <(python3 -c '
import json,sys
for line in open(sys.argv[1]):
    t=json.loads(line); print(t["name"], t["result"])' "$log")
}

run_meson_suite() { # dir label
	echo "== $2: meson test -C $1 --suite unit"
	rm -f "$1/meson-logs/testlog.json"
	meson test -C "$1" --suite unit --print-errorlogs --num-processes 2 >"$1/unit.out" 2>&1
	grep -E '^ *[0-9]+/[0-9]+ ' "$1/unit.out" || true
	grep -A40 -E 'FAIL|ERROR' "$1/unit.out" | head -80 || true
	count_meson "$1" "$2"
}

stage_unit() { run_meson_suite "$VSW_BUILD" unit; }

stage_asan() {
	echo "== asan: building with -Db_sanitize=address,undefined"
	if ! tools/setup/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debug; then
		failed=$((failed + 1)); failures+=("asan build"); return
	fi
	# DPDK keeps its EAL memory until exit by design; leaks are checked by
	# the unit tests' own fd and mapping counts instead.
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		run_meson_suite build-asan asan
}

stage_integration() {
	local t rc name
	for t in tests/integration/test_*.sh; do
		name=$(basename "$t" .sh)
		echo "== integration: $name"
		timeout --kill-after=10 600 bash "$t" >"/tmp/vsw-$name.log" 2>&1
		rc=$?
		case $rc in
		0) passed=$((passed + 1)); echo "PASS $name" ;;
		77) skipped=$((skipped + 1)); echo "SKIP $name: $(tail -n1 "/tmp/vsw-$name.log")" ;;
		*) failed=$((failed + 1)); failures+=("integration/$name (exit $rc)")
		   echo "FAIL $name (exit $rc); its log:"; tail -n 60 "/tmp/vsw-$name.log" ;;
		esac
	done
}

stage_fuzz() {
	echo "== fuzz: building libFuzzer targets with clang"
	if ! CC=clang tools/setup/build.sh build-fuzz -Dfuzz=true -Dtests=false; then
		failed=$((failed + 1)); failures+=("fuzz build"); return
	fi
	local f name corpus work
	for f in build-fuzz/tests/fuzz/fuzz_*; do
		[[ -x "$f" && -f "$f" ]] || continue
		name=$(basename "$f"); corpus="tests/fuzz/corpus/${name#fuzz_}"
		work=$(mktemp -d)
		echo "== fuzz: $name for ${FUZZ_SECONDS}s on $corpus"
		if (cd "$work" && "$top/$f" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=4096 \
			-print_final_stats=1 "$work" "$top/$corpus" >"$work/log" 2>&1); then
			passed=$((passed + 1)); grep -E 'stat::number_of_executed_units' "$work/log" || true
		else
			failed=$((failed + 1)); failures+=("fuzz/$name")
			tail -n 40 "$work/log"; mkdir -p /tmp/vsw-fuzz-crashes
			cp "$work"/crash-* "$work"/timeout-* "$work"/leak-* /tmp/vsw-fuzz-crashes/ 2>/dev/null
		fi
		rm -rf "$work"
	done
}

for s in "${stages[@]}"; do
	case $s in
	unit | asan | integration | fuzz) "stage_$s" ;;
	*) echo "unknown stage $s" >&2; exit 2 ;;
	esac
done

echo
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "summary: $passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
