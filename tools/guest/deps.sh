#!/usr/bin/env bash
# Installs what tools/guest needs from Debian 12's repository, only if
# something is missing, through the project's one installer. (The guest's
# own packages -- kernel, busybox-static, iperf3, ... -- are never installed:
# build.sh downloads and extracts them.)
set -euo pipefail
exec "$(dirname "$0")/../setup/deps.sh" \
	qemu-system-x86 apt dpkg cpio gzip xz-utils zstd libc-bin coreutils util-linux procps \
	iperf3 # the host's end of guest-to-host tests
