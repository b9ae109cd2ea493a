#!/usr/bin/env python3
"""A minimal QMP client for the test guest's QEMU (launch.sh --qmp PATH).

  qmp.py SOCKET COMMAND [JSON-ARGUMENTS]
      runs one command; prints its "return" as JSON. An error reply is
      printed to stderr as "qmp error: CLASS: DESC" and the exit status is 1.
  qmp.py SOCKET wait-migration SECONDS
      polls query-migrate every 20 ms until the status is completed, failed
      or cancelled; prints the last reply (JSON) and exits 0, or 3 if it
      took longer than SECONDS (the last reply printed all the same).

Each call opens its own connection (QEMU's QMP server takes one client at a
time); the exit status is 2 when the socket does not answer.
"""
import json
import socket
import sys
import time


class QmpError(Exception):
    pass


class Qmp:
    def __init__(self, path, timeout=10.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self._read()  # the greeting
        self.cmd("qmp_capabilities")

    def _read(self):
        """The next reply or greeting; asynchronous events are skipped."""
        while True:
            while b"\n" not in self.buf:
                data = self.sock.recv(65536)
                if not data:
                    raise ConnectionError("QMP socket closed")
                self.buf += data
            line, self.buf = self.buf.split(b"\n", 1)
            if not line.strip():
                continue
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def cmd(self, name, args=None):
        req = {"execute": name}
        if args:
            req["arguments"] = args
        self.sock.sendall(json.dumps(req).encode() + b"\n")
        rep = self._read()
        if "error" in rep:
            raise QmpError("%s: %s" % (rep["error"].get("class"), rep["error"].get("desc")))
        return rep.get("return")


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    try:
        q = Qmp(argv[1])
    except (OSError, ValueError) as e:
        print("qmp: cannot talk to %s: %s" % (argv[1], e), file=sys.stderr)
        return 2
    try:
        if argv[2] == "wait-migration":
            deadline = time.monotonic() + float(argv[3])
            while True:
                info = q.cmd("query-migrate")
                if info.get("status") in ("completed", "failed", "cancelled"):
                    print(json.dumps(info))
                    return 0
                if time.monotonic() > deadline:
                    print(json.dumps(info))
                    return 3
                time.sleep(0.02)
        args = json.loads(argv[3]) if len(argv) > 3 else None
        print(json.dumps(q.cmd(argv[2], args)))
        return 0
    except QmpError as e:
        print("qmp error: %s" % e, file=sys.stderr)
        return 1
    except (OSError, ValueError) as e:
        print("qmp: %s: %s" % (argv[1], e), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
