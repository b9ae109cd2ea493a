#!/usr/bin/env bash
# The soak with a QEMU guest as the victim (tools/soak/soak.sh --qemu, 3
# cycles): its QEMU is SIGKILLed during an iperf3 transfer to a second guest
# and booted again; vswd's fds, mappings, threads and mbufs in use come back
# exactly to their baseline and the second guest answers the next victim.
# Skipped (77) where no test guest boots. About 60 s under TCG.
exec bash "$(dirname "$0")/../../tools/soak/soak.sh" --qemu -n "${VSW_SOAK_CYCLES:-3}"
