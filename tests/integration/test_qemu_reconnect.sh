#!/usr/bin/env bash
# vsw as vhost-user client under two running QEMU guests (QEMU listens,
# server=on): vswd stops and starts again; the guests' link goes down and
# comes back and their pings resume without a reboot. The "reconnect" case of
# test_qemu_guests.sh.
VSW_QEMU_CASES=reconnect exec bash "$(dirname "$0")/test_qemu_guests.sh"
