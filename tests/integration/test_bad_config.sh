#!/usr/bin/env bash
# Bad configuration never half-starts the daemon: one message with
# file:line:column, exit status 1, nothing created. --check says yes or no.
source "$(dirname "$0")/lib.sh"

good=$(write_config good <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
networks: [{ name: lan, mode: bridge }]
ports: [{ name: vm1, type: vhost-user, network: lan, path: vm1.sock }]
CFG
)
out=$("$VSWD" --check -c "$good")
assert_contains "$out" "configuration is valid" "--check on a good file"
assert_contains "$out" "port vm1: vhost-user server on $T/run-good/vm1.sock" "--check"
assert_contains "$out" "--no-pci" "--check EAL args"
[[ ! -e "$T/run-good" ]] || fail "--check created the run directory"

bad=$(write_config bad <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
networks: [{ name: lan, mode: bridge }]
ports:
  - name: vm1
    type: vhost-user
    network: lan
    path: vm1.sock
    queues: 99
CFG
)
for mode in --check run; do
	set +e
	if [[ $mode == run ]]; then out=$("$VSWD" -c "$bad" 2>&1); else out=$("$VSWD" --check -c "$bad" 2>&1); fi
	rc=$?
	set -e
	assert_eq "$rc" 1 "exit status ($mode)"
	assert_eq "$out" "vswd: $bad:9:13: ports[0].queues: 99 is out of range (allowed: 1-16)" "message ($mode)"
done
[[ ! -e "$T/run-bad" ]] || fail "a bad config created the run directory"

set +e
out=$("$VSWD" -c "$T/missing.yaml" 2>&1); rc=$?
set -e
assert_eq "$rc" 1 "missing file exit status"
assert_contains "$out" "$T/missing.yaml:0:0: cannot open: No such file or directory" "missing file"

set +e
out=$("$VSWD" --log-level=shouty 2>&1); rc=$?
set -e
assert_eq "$rc" 1 "bad --log-level"
assert_contains "$out" "'shouty' is not a log level" "bad --log-level"

out=$("$VSWD" --version)
assert_contains "$out" "vswd 0.1.0" "--version"
out=$("$VSWD" --help)
assert_contains "$out" "Usage: vswd [-c FILE] [--check]" "--help"
echo "ok"
