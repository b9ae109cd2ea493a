#!/usr/bin/env bash
# Checksum and segmentation offloads with QEMU guests (Linux virtio-net):
# the "offload" case of test_qemu_guests.sh.
VSW_QEMU_CASES=offload exec bash "$(dirname "$0")/test_qemu_guests.sh"
