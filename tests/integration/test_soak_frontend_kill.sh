#!/usr/bin/env bash
# A short soak (tools/soak/soak.sh, 10 cycles): a testpmd frontend is
# SIGKILLed mid-traffic and started again while two other guests exchange
# frames. vswd's fds, mappings, threads and mbufs in use come back exactly
# to their baseline (RSS within a slack); nothing vswd accepted for the
# other guests is lost. About 60 s.
exec bash "$(dirname "$0")/../../tools/soak/soak.sh" -n "${VSW_SOAK_CYCLES:-10}"
