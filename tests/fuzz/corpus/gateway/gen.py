#!/usr/bin/env python3
# Writes the seed corpus of fuzz_gateway (run from this directory): a
# settings byte, then records (ctrl, a, b, n, n bytes) as fuzz_gateway.c
# reads them. Seeds walk the gateway's paths from valid templates: ARP and
# ping to the gateway, a whole DHCP exchange, a flow out with the next hop
# resolved and its answer, a port forward, an ICMP error back, timers
# (retries given up, sessions expired, neighbours forgotten), shared and
# chained frames, pool exhaustion by many MACs, and broken frames.
(RAW, ARP_REQ, ARP_REP, UDP, TCP, ECHO, ECHO_REPLY, ICMP_ERR, DISCOVER, REQUEST, RELEASE, IPV6,
 BIG_UDP, PROTO, TIME, CONTROL) = range(16)
FIX, SHARED, POLL, UP = 0x10, 0x20, 0x40, 0x80

def rec(ctrl, a=0, b=0, data=b""):
    return bytes([ctrl, a, b, len(data)]) + data

def patch(*triples):
    return b"".join(bytes([p >> 8, p & 0xff, v]) for p, v in triples)

ROUTER_ARP = rec(UP | ARP_REP | POLL, 2, 0)
UDP_OUT = rec(UDP | POLL, 0x04, 0)          # guest .50 -> 203.0.113.5
ANSWER_UDP = rec(UP | UDP | POLL, 3, 0)     # the last flow's answer
CTRL = rec(CONTROL | POLL, 1, 0)            # the control thread's turn

seeds = {
    "arp_ping": b"\0" + rec(ARP_REQ | POLL, 0, 0) + rec(ECHO | POLL, 0, 0) +
                rec(ARP_REQ | POLL, 0x04, 0) + rec(ECHO | POLL, 1, 3) +
                rec(ARP_REP | POLL, 1, 1),
    "dhcp": b"\0" + rec(DISCOVER | POLL, 1, 0) + CTRL + rec(REQUEST | POLL, 1, 0x80) + CTRL +
            rec(RELEASE | POLL, 1, 0x80) + CTRL + rec(CONTROL | POLL, 0x12, 0),
    "udp_flow": b"\0" + UDP_OUT + ROUTER_ARP + ANSWER_UDP + UDP_OUT + ANSWER_UDP +
                rec(UP | UDP | POLL, 0, 0x10),
    "tcp_ping_out": b"\0" + rec(TCP | POLL, 0x05, 0) + ROUTER_ARP + rec(UP | TCP | POLL, 3, 0) +
                    rec(TCP | POLL, 0x05, 0x40) + rec(UP | TCP | POLL, 3, 0x80) +
                    rec(ECHO | POLL, 0x04, 1) + rec(UP | ECHO_REPLY | POLL, 3, 0),
    "forward": b"\0" + ROUTER_ARP + rec(UP | TCP | POLL, 0, 0x28) + rec(UP | TCP | POLL, 0, 0x38) +
               rec(UP | UDP | POLL, 0, 0x10) + rec(UP | ICMP_ERR | POLL, 0, 0x10) +
               rec(ICMP_ERR | POLL, 0x06, 0) + rec(ARP_REP | POLL, 0, 0) +
               rec(CONTROL | POLL, 0x04, 0x30) + rec(CONTROL | POLL, 0x0c, 0x30),
    "icmp_error": b"\0" + UDP_OUT + ROUTER_ARP + rec(UP | ICMP_ERR | POLL, 2, 0) +
                  rec(UP | ICMP_ERR | POLL, 0, 0x73) + rec(UP | ICMP_ERR | POLL, 3, 0x02),
    "timers": b"\0" + UDP_OUT + rec(TIME, 0, 13) + rec(TIME, 0, 13) + rec(TIME, 0, 13) +
              rec(TIME | POLL, 0, 13) + UDP_OUT + rec(TIME, 0, 70) + UDP_OUT + ROUTER_ARP +
              rec(TIME | POLL, 0, 50) + ANSWER_UDP + rec(TIME | UP, 0, 61) + UDP_OUT,
    "on_link": b"\0" + rec(UDP | POLL, 0x08, 0) + rec(UP | ARP_REP | POLL, 1, 0) +
               rec(UDP | POLL, 0x08, 1) + rec(UP | ARP_REQ | POLL, 1, 0) + rec(UP | ECHO | POLL, 1, 0),
    "shared": b"\0" + rec(ARP_REQ | SHARED | POLL, 0, 0) + rec(ECHO | SHARED | POLL, 0, 0) +
              UDP_OUT + ROUTER_ARP + rec(UDP | SHARED | POLL, 0x04, 0) +
              rec(DISCOVER | SHARED, 2, 0) + rec(UDP | SHARED | POLL, 0x20, 0) + CTRL,
    "chained": b"\0" + rec(BIG_UDP | POLL, 0x44, 0x17) + ROUTER_ARP + rec(BIG_UDP | POLL, 0x44, 0x03) +
               rec(BIG_UDP | POLL, 0x44, 0x1f) + ANSWER_UDP + rec(UP | BIG_UDP | POLL, 0x43, 0x17),
    "many_macs": b"\0" + b"".join(rec(DISCOVER, 0x10, m) for m in range(40)) + CTRL + CTRL +
                 b"".join(rec(DISCOVER | POLL, 0x10, m) for m in range(40, 120, 7)) + CTRL,
    "spoof_off": b"\x01" + rec(UDP | POLL, 0x04, 0) + rec(UDP | POLL, 0x05, 1) + ROUTER_ARP,
    "no_route": b"\x02" + UDP_OUT + rec(UDP | POLL, 0x08, 0),
    "broken": b"\0" + rec(IPV6 | POLL, 0, 0) + rec(UP | IPV6 | POLL, 0, 0) +
              rec(RAW | POLL, 0, 0, b"\xff" * 12) + rec(UDP | POLL, 0x84, 6) +
              rec(UDP | FIX | POLL, 0x04, 0, patch((14, 0x46), (22, 1))) +
              rec(UDP | FIX | POLL, 0x04, 0, patch((20, 0x20))) +
              rec(UDP | POLL, 0x04, 0, patch((24, 0))) + rec(PROTO | POLL, 0x04, 47) +
              rec(UP | UDP | FIX | POLL, 0, 0, patch((16, 0x02))) +
              rec(UP | ARP_REQ | POLL, 0, 0, patch((19, 8))) +
              rec(DISCOVER | FIX | POLL, 0, 0, patch((0x118, 0xfe), (0x119, 0xff))) + CTRL,
}
for name, data in seeds.items():
    with open(name, "wb") as f:
        f.write(data)
