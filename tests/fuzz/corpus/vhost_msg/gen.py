#!/usr/bin/env python3
# Writes the seed corpus of fuzz_vhost_msg (run from this directory): valid
# vhost-user conversations in the target's chunk format (control byte: bits
# 0-1 fd count, bit 2 eventfds instead of memfds; then header and payload).
import struct

NEED = 8
MEMFD, EVFD = 0, 4

def msg(req, payload=b"", flags=0, fds=0, kind=MEMFD):
    return bytes([fds | kind]) + struct.pack("<III", req, 1 | flags, len(payload)) + payload

u64 = lambda v: struct.pack("<Q", v)
state = lambda i, n: struct.pack("<II", i, n)
region = lambda gpa, size, uaddr, off: struct.pack("<QQQQ", gpa, size, uaddr, off)

def vring_addr(i, desc, used, avail, flags=0, log=0):
    return struct.pack("<IIQQQQ", i, flags, desc, used, avail, log)

FEATURES = (1 << 32) | (1 << 15) | (1 << 29) | (1 << 22) | (1 << 30)
PROTO = 0b11101 | (1 << 16)  # MQ, RARP, REPLY_ACK, MTU, STATUS

def negotiate(features, proto):
    return (msg(1) + msg(15) + msg(16, u64(proto)) + msg(17) + msg(3) + msg(1)
            + msg(2, u64(features), NEED))

def queue(i, base=0x10000, num=256):
    d, a, u = base + i * 0x4000, base + i * 0x4000 + 0x1000, base + i * 0x4000 + 0x2000
    return (msg(8, state(i, num)) + msg(10, state(i, 0)) + msg(9, vring_addr(i, d, u, a))
            + msg(12, u64(i), fds=1, kind=EVFD) + msg(13, u64(i), fds=1, kind=EVFD)
            + msg(18, state(i, 1), NEED))

table = msg(5, struct.pack("<II", 1, 0) + region(0, 0x10000, 0x10000, 0), NEED, fds=1)

LOG_ALL, LOG_SHMFD = 1 << 26, 1 << 1

# A migration as QEMU's source side does it on running queues: the log
# (SET_LOG_BASE, a memfd, a reply), LOG_ALL, the used ring's log address,
# SET_LOG_FD; then logging off, the rings stopped; and SEND_RARP.
def migration():
    log_on = (msg(6, u64(4096) + u64(0), NEED, fds=1) + msg(2, u64(FEATURES | LOG_ALL), NEED)
              + msg(9, vring_addr(0, 0x10000, 0x12000, 0x11000, 1, 0x12000), NEED)
              + msg(7, b"", NEED, fds=1, kind=EVFD))
    log_off = msg(9, vring_addr(0, 0x10000, 0x12000, 0x11000)) + msg(2, u64(FEATURES), NEED)
    return (negotiate(FEATURES, PROTO | LOG_SHMFD) + table + queue(0) + queue(1) + log_on
            + log_off + msg(11, state(0, 0)) + msg(11, state(1, 0))
            + msg(19, u64(0x563412005452)))

seeds = {
    "migration": migration(),
    "handshake_split": negotiate(FEATURES, PROTO) + table + queue(0) + queue(1)
    + msg(11, state(1, 0)) + msg(13, u64(0x100)) + table,
    "handshake_packed": negotiate(FEATURES | (1 << 34), PROTO) + table + queue(0, num=64)
    + msg(11, state(0, 0)),
    "mem_slots": negotiate(FEATURES, PROTO | (1 << 15)) + msg(36)
    + msg(37, u64(0) + region(0, 0x10000, 0x10000, 0), NEED, fds=1) + queue(0)
    + msg(38, u64(0) + region(0, 0x10000, 0x10000, 0), NEED),
    "misc": negotiate(FEATURES, PROTO) + msg(39, u64(0xf), NEED) + msg(40)
    + msg(20, u64(1500), NEED) + msg(19, u64(0x563412005452)) + msg(4) + msg(3),
    "old_frontend": msg(3) + msg(2, u64(1 << 32)) + table + queue(0),
}
for name, data in seeds.items():
    with open(name, "wb") as f:
        f.write(data)
