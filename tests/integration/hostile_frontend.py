#!/usr/bin/env python3
"""A hostile vhost-user frontend, for vswd's tests (docs/interop/vhost-user.rst).

It sets up one queue pair on a memfd of guest memory as a driver would (split
rings, VERSION_1, no protocol features), then misbehaves:

  pipe-call      gives the write end of a pipe as the TX queue's call fd
                 (nobody reads it: a backend writing to it would block)
  blocking-call  gives an eventfd, then, once vswd has it, makes it blocking
                 (the file description is shared) and fills its counter, and
                 sends frames so that vswd completes them and notifies
  shrink-mem     shrinks the memfd to 0 under running queues (SIGBUS for a
                 backend that touches guest memory afterwards)

It prints "refused" and exits 0 when vswd closes the connection (what it
must do for pipe-call and shrink-mem), "sent" once the frames of
blocking-call are in the ring (then it holds the connection until killed), and exits 1 on anything unexpected.
Usage: hostile_frontend.py SOCKET MODE [--wait SECONDS]
"""
import argparse, fcntl, mmap, os, select, signal, socket, struct, sys, time

GET_FEATURES, SET_FEATURES, SET_OWNER, SET_MEM_TABLE = 1, 2, 3, 5
SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE = 8, 9, 10
SET_VRING_KICK, SET_VRING_CALL = 12, 13
F_VERSION_1 = 1 << 32

MEM = 2 << 20                # guest memory: one region, gpa 0
UVA = 0x7F0000000000         # the address this "QEMU" claims it has it at
QSIZE = 256
HDR = 12                     # virtio-net header with VERSION_1
RINGS = {0: 0x0000, 1: 0x4000}   # queue -> desc; avail +0x1000, used +0x2000
BUFS = 0x10000


def send(s, req, payload=b"", fds=()):
    msg = struct.pack("<III", req, 0x1, len(payload)) + payload
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("%di" % len(fds), *fds))] if fds else []
    s.sendmsg([msg], anc)


def recv_reply(s, req):
    hdr = s.recv(12, socket.MSG_WAITALL)
    if len(hdr) < 12:
        return None
    r, flags, size = struct.unpack("<III", hdr)
    payload = s.recv(size, socket.MSG_WAITALL) if size else b""
    if r != req or len(payload) != size:
        sys.exit("unexpected reply %d to %d" % (r, req))
    return payload


def ask_features(s):
    """GET_FEATURES round trip: everything sent before has been handled."""
    send(s, GET_FEATURES)
    p = recv_reply(s, GET_FEATURES)
    return None if p is None else struct.unpack("<Q", p)[0]


def refused(s, seconds):
    """True once vswd closes the connection (within seconds)."""
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([s], [], [], 0.1)
        if r:
            try:
                if s.recv(4096) == b"":
                    return True
            except ConnectionResetError:
                return True
    return False


def setup(s, mem_fd, call_fd_of):
    if ask_features(s) is None:
        sys.exit("no answer to GET_FEATURES")
    send(s, SET_OWNER)
    send(s, SET_FEATURES, struct.pack("<Q", F_VERSION_1))
    send(s, SET_MEM_TABLE, struct.pack("<II", 1, 0) + struct.pack("<QQQQ", 0, MEM, UVA, 0), [mem_fd])
    for q, desc in RINGS.items():
        send(s, SET_VRING_NUM, struct.pack("<II", q, QSIZE))
        send(s, SET_VRING_BASE, struct.pack("<II", q, 0))
        send(s, SET_VRING_ADDR, struct.pack("<IIQQQQ", q, 0, UVA + desc, UVA + desc + 0x2000,
                                            UVA + desc + 0x1000, 0))
        kick = os.eventfd(0, os.EFD_CLOEXEC)
        send(s, SET_VRING_KICK, struct.pack("<Q", q), [kick])
        os.close(kick)
        call = call_fd_of(q)
        send(s, SET_VRING_CALL, struct.pack("<Q", q), [call])


def post_tx(mem, n):
    """n frames on the TX queue (1), one descriptor each."""
    desc, avail = RINGS[1], RINGS[1] + 0x1000
    # To its own address: learned on this port first, so never flooded to others.
    mac = bytes.fromhex("020000006601")
    frame = mac + mac + b"\x08\x00" + bytes(46)
    for i in range(n):
        buf = BUFS + i * 2048
        mem[buf:buf + HDR + len(frame)] = bytes(HDR) + frame
        mem[desc + 16 * i:desc + 16 * i + 16] = struct.pack("<QIHH", buf, HDR + len(frame), 0, 0)
        mem[avail + 4 + 2 * i:avail + 6 + 2 * i] = struct.pack("<H", i)
    mem[avail + 2:avail + 4] = struct.pack("<H", n)  # flags stay 0: interrupt me


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("mode", choices=["pipe-call", "blocking-call", "shrink-mem"])
    ap.add_argument("--wait", type=float, default=10)
    a = ap.parse_args()

    mem_fd = os.memfd_create("guest", os.MFD_CLOEXEC)
    os.ftruncate(mem_fd, MEM)
    mem = mmap.mmap(mem_fd, MEM)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(a.socket)
    keep = []

    if a.mode == "pipe-call":
        r, w = os.pipe()
        keep += [r, w]
        setup(s, mem_fd, lambda q: w if q == 1 else keep_eventfd(keep))
        ok = refused(s, a.wait)
        print("refused" if ok else "accepted", flush=True)
        sys.exit(0 if ok else 1)

    if a.mode == "shrink-mem":
        setup(s, mem_fd, lambda q: keep_eventfd(keep))
        if ask_features(s) is None:
            sys.exit("vswd closed the connection before the memory shrank")
        time.sleep(0.2)  # the queues run; a worker reads the rings
        os.ftruncate(mem_fd, 0)
        ok = refused(s, a.wait)
        print("refused" if ok else "still connected", flush=True)
        sys.exit(0 if ok else 1)

    # blocking-call
    call = os.eventfd(0, os.EFD_CLOEXEC)  # blocking: vswd must make it non-blocking
    keep.append(call)
    setup(s, mem_fd, lambda q: call if q == 1 else keep_eventfd(keep))
    if ask_features(s) is None:
        sys.exit("vswd refused an eventfd")
    fl = fcntl.fcntl(call, fcntl.F_GETFL)
    if not fl & os.O_NONBLOCK:
        print("note: vswd left the call eventfd blocking", file=sys.stderr, flush=True)
    fcntl.fcntl(call, fcntl.F_SETFL, fl & ~os.O_NONBLOCK)  # undo it: shared description
    os.write(call, struct.pack("<Q", 0xFFFFFFFFFFFFFFFE))  # full: the next write blocks
    post_tx(mem, 8)
    print("sent", flush=True)
    # Hold the connection (and the full eventfd) until killed.
    while True:
        signal.pause()


def keep_eventfd(keep):
    fd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
    keep.append(fd)
    return fd


if __name__ == "__main__":
    main()
