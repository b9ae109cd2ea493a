#!/usr/bin/env bash
# Two QEMU guests with packed virtqueues (packed=on) ping each other through
# vsw and run iperf3. The "packed" case of test_qemu_guests.sh.
VSW_QEMU_CASES=packed exec bash "$(dirname "$0")/test_qemu_guests.sh"
