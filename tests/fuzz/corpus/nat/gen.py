#!/usr/bin/env python3
# Writes the seed corpus of fuzz_nat (run from this directory): records of
# (ctrl, len, packet) as fuzz_nat.c reads them. Packets are built correct
# (checksums included) and the harness's fix-up bit is set on most, so the
# seeds reach translation: flows out and their replies, a TCP life, a ping,
# an ICMP error about a session, a forward, offload partial sums, port
# exhaustion, and broken packets.
import struct

OUT, IN, PARTIAL, FIX = 0, 1, 2, 4
GUEST, REMOTE, EXT = bytes([10, 0, 0, 2]), bytes([203, 0, 113, 5]), bytes([198, 51, 100, 1])

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def ipv4(proto, src, dst, l4, frag=0x4000, ttl=64, ihl=5):
    opts = b"\x01" * (ihl * 4 - 20)
    h = struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(l4), 7, frag, ttl, proto, 0,
                    src, dst) + opts
    h = h[:10] + struct.pack(">H", csum(h)) + h[12:]
    return h + l4

def l4sum(proto, src, dst, l4):
    return csum(src + dst + struct.pack(">BBH", 0, proto, len(l4)) + l4)

def tcp(src, dst, sp, dp, flags, data=b""):
    t = struct.pack(">HHIIBBHHH", sp, dp, 1000, 1 if flags & 0x10 else 0, 0x50, flags, 65535, 0, 0) + data
    t = t[:16] + struct.pack(">H", l4sum(6, src, dst, t)) + t[18:]
    return ipv4(6, src, dst, t)

def udp(src, dst, sp, dp, data=b"abcd"):
    u = struct.pack(">HHHH", sp, dp, 8 + len(data), 0) + data
    u = u[:6] + struct.pack(">H", l4sum(17, src, dst, u) or 0xffff) + u[8:]
    return ipv4(17, src, dst, u)

def icmp(src, dst, typ, code, rest, body):
    c = struct.pack(">BBH", typ, code, 0) + rest + body
    c = c[:2] + struct.pack(">H", csum(c)) + c[4:]
    return ipv4(1, src, dst, c)

def rec(ctrl, pkt):
    return bytes([ctrl, len(pkt)]) + pkt

def later(ctrl, steps):
    return ctrl | (steps << 3)

seeds = {
    "udp_out_reply": rec(OUT | FIX, udp(GUEST, REMOTE, 40000, 53))
        + rec(IN | FIX, udp(REMOTE, EXT, 53, 40000)),
    "tcp_life": rec(OUT | FIX, tcp(GUEST, REMOTE, 40003, 80, 0x02))
        + rec(IN | FIX, tcp(REMOTE, EXT, 80, 40003, 0x12))
        + rec(OUT | FIX, tcp(GUEST, REMOTE, 40003, 80, 0x11, b"GET /"))
        + rec(IN | FIX, tcp(REMOTE, EXT, 80, 40003, 0x11))
        + rec(later(OUT | FIX, 3), tcp(GUEST, REMOTE, 40003, 80, 0x04)),
    "ping": rec(OUT | FIX, icmp(GUEST, REMOTE, 8, 0, struct.pack(">HH", 40001, 1), b"x" * 16))
        + rec(IN | FIX, icmp(REMOTE, EXT, 0, 0, struct.pack(">HH", 40001, 1), b"x" * 16))
        + rec(later(IN | FIX, 5), icmp(REMOTE, EXT, 8, 0, struct.pack(">HH", 40001, 1), b"")),
    "icmp_error": rec(OUT | FIX, udp(GUEST, REMOTE, 40002, 53))
        + rec(IN | FIX, icmp(REMOTE, EXT, 3, 3, b"\0" * 4, udp(EXT, REMOTE, 40002, 53)[:28])),
    "forward": rec(0xc1, bytes([0, 20, 2, 0, 22]))
        + rec(IN | FIX, tcp(REMOTE, EXT, 33333, 40020, 0x02))
        + rec(OUT | FIX, tcp(bytes([10, 0, 0, 4]), REMOTE, 22, 33333, 0x12))
        + rec(OUT | FIX, icmp(bytes([10, 0, 0, 4]), REMOTE, 3, 4, b"\0\0\x05\xdc",
                              tcp(REMOTE, bytes([10, 0, 0, 4]), 33333, 22, 0x10)[:28])),
    "partial": rec(OUT | PARTIAL | FIX, tcp(GUEST, REMOTE, 1234, 443, 0x18, b"z" * 40))
        + rec(IN | PARTIAL | FIX, udp(REMOTE, EXT, 443, 40000)),
    "exhaust": b"".join(rec(OUT | FIX, udp(GUEST, REMOTE, 1000 + i, 53)) for i in range(18))
        + rec(later(OUT | FIX, 7), udp(GUEST, REMOTE, 2000, 53)),
    "broken": rec(OUT, tcp(GUEST, REMOTE, 1, 2, 0x02)[:30])
        + rec(OUT, ipv4(17, GUEST, REMOTE, b"12345678", frag=0x2000))
        + rec(OUT, ipv4(17, GUEST, REMOTE, b"12345678", ihl=6))
        + rec(OUT, ipv4(17, GUEST, REMOTE, b"12345678", ttl=1))
        + rec(IN, ipv4(47, REMOTE, EXT, b"gre!")),
}
for name, data in seeds.items():
    with open(name, "wb") as f:
        f.write(data)
