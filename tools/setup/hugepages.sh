#!/usr/bin/env bash
# Reserves 2 MiB hugepages (VSW_HUGEPAGES, default 2048 = 4 GiB: the daemon's
# pools plus a few test guests) and mounts hugetlbfs if nothing is mounted.
set -euo pipefail
want=${VSW_HUGEPAGES:-2048}
nr=/proc/sys/vm/nr_hugepages
have=$(cat "$nr")
if (( have < want )); then
	if [[ $(id -u) -ne 0 ]]; then
		echo "vsw: $have hugepages reserved, $want wanted; as root: echo $want > $nr" >&2
		exit 1
	fi
	echo "$want" > "$nr"
	have=$(cat "$nr")
	if (( have < want )); then
		echo "vsw: warning: only $have of $want hugepages could be reserved (memory fragmented?)" >&2
	fi
fi
if ! grep -q '^[^ ]* [^ ]* hugetlbfs ' /proc/mounts; then
	mkdir -p /dev/hugepages
	mount -t hugetlbfs nodev /dev/hugepages
fi
