#!/usr/bin/env bash
# Rx queues over two workers: spread when ports come, re-spread when they go
# (pinned queues stay where they are), and moved by port.set core= at run time.
source "$(dirname "$0")/lib.sh"
(($(nproc) >= 2)) || skip "needs two CPUs for two workers, this machine has $(nproc)"

cfg=$(write_config spread <<CFG
cores: [0, $LAST_CPU]
run_dir: @RUN@
networks:
  - { name: lan, mode: bridge }
ports:
  - { name: a, type: vhost-user, network: lan, path: a.sock }
  - { name: b, type: vhost-user, network: lan, path: b.sock }
  - { name: c, type: vhost-user, network: lan, path: c.sock }
  - { name: d, type: vhost-user, network: lan, path: d.sock }
  - { name: e, type: vhost-user, network: lan, path: e.sock, core: $LAST_CPU }
CFG
)
start_vswd spread "$cfg"
RUN=$T/run-spread
VSW_SOCK=$RUN/vsw.sock
wait_for "vswd" 20 test -S "$VSW_SOCK"

# "core: queues (pinned)" per worker, sorted, e.g. "0: a:0 c:0 ()".
layout() {
	vswctl --json core list | python3 -c '
import json, sys
for w in json.load(sys.stdin):
    print("%d: %s (%s)" % (w["core"], " ".join(sorted(w["queues"])), " ".join(sorted(w["pinned"]))))'
}
assert_eq "$(layout)" "0: a:0 c:0 ()
$LAST_CPU: b:0 d:0 e:0 (e:0)" "spread at start"

vswctl port del a >/dev/null
vswctl port del c >/dev/null
assert_eq "$(layout)" "0: d:0 ()
$LAST_CPU: b:0 e:0 (e:0)" "re-spread after removals, pinned e stays"

vswctl port set e core=0 >/dev/null
assert_eq "$(layout)" "0: d:0 e:0 (e:0)
$LAST_CPU: b:0 ()" "port.set core moves and pins"
vswctl port set e core=null >/dev/null
assert_eq "$(layout)" "0: d:0 e:0 ()
$LAST_CPU: b:0 ()" "port.set core=null unpins (already balanced)"
vswctl port add name=f type=vhost-user network=lan path=f.sock >/dev/null
assert_eq "$(layout)" "0: d:0 e:0 ()
$LAST_CPU: b:0 f:0 ()" "a new port goes to the less busy worker"
set +e
out=$(vswctl port set b core=5 2>&1); rc=$?
set -e
assert_eq "$rc" 1 "core that is not a worker"
assert_contains "$out" "core" "error message"
echo "ok"
