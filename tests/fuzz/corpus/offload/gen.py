#!/usr/bin/env python3
# Writes the seed corpus of fuzz_offload (run from this directory): a 12-byte
# set-up (flags, max, mss, grow, pad, generic start/offset, 3 segment sizes;
# see struct setup in fuzz_offload.c) and a frame: TCP/UDP over IPv4 (with
# options) and IPv6 (with extension headers), VLAN/QinQ, fragments, non-IP,
# 64 KiB TSO frames grown from a short input, a pool too small.
import struct

FULL, TINY, FIX, GROW = 1, 2, 4, 8

def setup(flags, mss, grow=0, pad=0, mx=0, gen=(20, 16), sizes=(0, 0, 0)):
    return struct.pack("<BBHHBBB3B", flags, mx, mss, grow, pad, gen[0], gen[1], *sizes)

def eth(ethertype, vlans=0):
    b = bytes.fromhex("020000000001020000000002")
    for i in range(vlans):
        b += struct.pack(">HH", 0x88a8 if vlans == 2 and i == 0 else 0x8100, 100 + i)
    return b + struct.pack(">H", ethertype)

def tcp(payload, opts=0, flags=0x19, seq=1000):
    return struct.pack(">HHIIBBHHH", 1234, 80, seq, 1, (20 + opts) // 4 << 4, flags, 65535, 0, 0) \
        + b"\x01" * opts + payload

def udp(payload):
    return struct.pack(">HHHH", 1234, 53, 8 + len(payload), 0) + payload

def ipv4(proto, l4, opts=0, frag=0, ident=7):
    ihl = 20 + opts
    h = struct.pack(">BBHHHBBH4s4s", 0x40 | ihl // 4, 0, ihl + len(l4), ident, frag, 64, proto, 0,
                    bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + b"\x01" * opts
    return h + l4

def ipv6(proto, l4, ext=()):
    # ext: (type, length) in order
    body, nh = b"", proto
    for t, ln in reversed(ext):
        body = (bytes([nh, 0]) + bytes(6) if t == 44 else bytes([nh, ln // 8 - 1]) + bytes(ln - 2)) + body
        nh = t
    body += l4
    return struct.pack(">IHBB16s16s", 0x60000000, len(body), nh, 64,
                       bytes.fromhex("20010db8" + "0" * 23 + "1"), bytes.fromhex("20010db8" + "0" * 23 + "2")) + body

pay = lambda n: bytes((i * 7 + 3) & 0xff for i in range(n))

seeds = {
    "v4_tcp_small_segs": setup(FULL, 64, sizes=(7, 13, 0)) + eth(0x0800) + ipv4(6, tcp(pay(300), 12), 8),
    "v4_tcp_64k_grown": setup(FULL | FIX | GROW, 1448, grow=65535, sizes=(0, 200, 3))
        + eth(0x0800) + ipv4(6, tcp(pay(200), 12)),
    "v6_ext_tcp_partial": setup(FIX | GROW, 1440, grow=30000, sizes=(1, 0, 99))
        + eth(0x86dd, 1) + ipv6(6, tcp(pay(100), 8), ((0, 8), (60, 16))),
    "qinq_v4_udp": setup(0, 0, gen=(14, 6), sizes=(5, 0, 0)) + eth(0x0800, 2) + ipv4(17, udp(pay(77))),
    "v6_udp_routing": setup(FULL, 100, sizes=(3, 1, 0)) + eth(0x86dd) + ipv6(17, udp(pay(51)), ((43, 24),)),
    "v4_fragment": setup(FULL, 100) + eth(0x0800) + ipv4(6, tcp(pay(100)), frag=0x2000),
    "v6_fragment": setup(FULL, 100) + eth(0x86dd) + ipv6(6, tcp(pay(100)), ((44, 8),)),
    "arp": setup(0, 0, gen=(1, 1)) + eth(0x0806) + pay(28),
    "tiny_pool": setup(FULL | TINY, 100) + eth(0x0800) + ipv4(6, tcp(pay(2000))),
    "v6_padded": setup(FIX, 500, pad=6, sizes=(60, 0, 0)) + eth(0x86dd, 1) + ipv6(6, tcp(pay(1200), 4)) + bytes(6),
    "too_many": setup(FULL, 10, mx=3) + eth(0x0800) + ipv4(6, tcp(pay(100), 0, 0x80 | 0x19)),
    "truncated_v4": setup(0, 100) + eth(0x0800) + ipv4(6, tcp(pay(10)))[:30],
}
for name, data in seeds.items():
    with open(name, "wb") as f:
        f.write(data)
