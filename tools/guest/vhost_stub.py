#!/usr/bin/env python3
"""A do-nothing vhost-user backend, to check tools/guest without vsw.

It speaks just enough of the protocol (docs/interop/vhost-user.rst) for QEMU to
start the device, so the guest's virtio-net driver comes up with link; it
never touches the rings, so no packet moves. Only for testing the launcher:
  vhost_stub.py --listen SOCK   (vsw-as-server case; QEMU: reconnect=1)
  vhost_stub.py --connect SOCK  (vsw-as-client case; QEMU: server=on)
It logs each request to stderr and exits when QEMU hangs up.
"""
import argparse, array, os, socket, struct, sys, time

F_VERSION_1, F_PROTOCOL_FEATURES, F_RING_PACKED = 32, 30, 34
NET_F_MTU, NET_F_MRG_RXBUF, NET_F_STATUS, NET_F_MQ = 3, 15, 16, 22
F_INDIRECT, F_EVENT_IDX, F_NOTIFY_ON_EMPTY = 28, 29, 24
FEATURES = sum(1 << b for b in (F_VERSION_1, F_PROTOCOL_FEATURES, F_RING_PACKED,
                                NET_F_MTU, NET_F_MRG_RXBUF, NET_F_STATUS, NET_F_MQ,
                                F_INDIRECT, F_EVENT_IDX, F_NOTIFY_ON_EMPTY))
P_MQ, P_REPLY_ACK, P_NET_MTU = 0, 3, 4
PROTOCOL = (1 << P_MQ) | (1 << P_REPLY_ACK) | (1 << P_NET_MTU)
NAMES = {1: "GET_FEATURES", 2: "SET_FEATURES", 3: "SET_OWNER", 4: "RESET_OWNER",
         5: "SET_MEM_TABLE", 8: "SET_VRING_NUM", 9: "SET_VRING_ADDR",
         10: "SET_VRING_BASE", 11: "GET_VRING_BASE", 12: "SET_VRING_KICK",
         13: "SET_VRING_CALL", 14: "SET_VRING_ERR", 15: "GET_PROTOCOL_FEATURES",
         16: "SET_PROTOCOL_FEATURES", 17: "GET_QUEUE_NUM", 18: "SET_VRING_ENABLE",
         19: "SEND_RARP", 20: "NET_SET_MTU"}


def recv_msg(s):
    fds = array.array("i")
    hdr, anc, _, _ = s.recvmsg(12, socket.CMSG_SPACE(8 * 4))
    if len(hdr) < 12:
        return None
    for level, typ, data in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
    req, flags, size = struct.unpack("<III", hdr)
    payload = b""
    while len(payload) < size:
        chunk = s.recv(size - len(payload))
        if not chunk:
            return None
        payload += chunk
    for fd in fds:
        os.close(fd)
    return req, flags, payload, len(fds)


def reply(s, req, payload):
    s.sendall(struct.pack("<III", req, 0x1 | 0x4, len(payload)) + payload)


def serve(s, queues):
    proto = 0
    while True:
        m = recv_msg(s)
        if m is None:
            print("stub: frontend hung up", file=sys.stderr)
            return
        req, flags, payload, nfds = m
        print(f"stub: {NAMES.get(req, req)} size={len(payload)} fds={nfds}", file=sys.stderr)
        if req == 1:
            reply(s, req, struct.pack("<Q", FEATURES))
        elif req == 15:
            reply(s, req, struct.pack("<Q", PROTOCOL))
        elif req == 16:
            proto = struct.unpack("<Q", payload[:8])[0]
        elif req == 17:
            reply(s, req, struct.pack("<Q", queues))
        elif req == 11:
            idx = struct.unpack("<I", payload[:4])[0]
            reply(s, req, struct.pack("<II", idx, 0))
            continue
        if flags & 0x8 and proto & (1 << P_REPLY_ACK) and req not in (1, 11, 15, 17):
            reply(s, req, struct.pack("<Q", 0))


def main():
    ap = argparse.ArgumentParser()
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--listen")
    g.add_argument("--connect")
    ap.add_argument("--queues", type=int, default=8)
    ap.add_argument("--timeout", type=float, default=120)
    a = ap.parse_args()
    if a.listen:
        if os.path.exists(a.listen):
            os.unlink(a.listen)
        ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ls.bind(a.listen)
        ls.listen(1)
        ls.settimeout(a.timeout)
        s, _ = ls.accept()
    else:
        end = time.time() + a.timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(a.connect)
                break
            except OSError:
                s.close()
                if time.time() > end:
                    sys.exit("stub: cannot connect")
                time.sleep(0.1)
    s.settimeout(a.timeout)
    serve(s, a.queues)


if __name__ == "__main__":
    main()
