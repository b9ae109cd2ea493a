#!/usr/bin/env bash
# Two QEMU guests with 2 queue pairs each (port `queues: 2`; QEMU queues=2,
# mq=on; ethtool -L combined 2 in the guest) ping each other through vsw and
# run iperf3 -P 2. The "mq" case of test_qemu_guests.sh.
VSW_QEMU_CASES=mq exec bash "$(dirname "$0")/test_qemu_guests.sh"
