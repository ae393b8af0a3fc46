#!/usr/bin/python3
"""Opens up to N associations (C-ECHO context) to HOST:PORT one after the other and holds them
all idle (never releases) for --seconds or until killed. Prints, on one line, how many were
accepted (A-ASSOCIATE-AC), rejected, and unanswered (no answer within --answer-timeout; it stops
after 3 unanswered in a row, e.g. a server that serves one association at a time).
Loopback benchmark helper.

  hold_associations.py HOST PORT CALLED CALLING N [--ca CA.pem [--cert C.pem --key C.key]]
                       [--seconds S] [--answer-timeout T]
"""
import argparse
import socket
import ssl
import sys
import time

from echo_loop import associate_rq, read_pdu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("called")
    ap.add_argument("calling")
    ap.add_argument("count", type=int)
    ap.add_argument("--ca")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--answer-timeout", type=float, default=5)
    a = ap.parse_args()
    context = None
    if a.ca:
        context = ssl.create_default_context(cafile=a.ca)
        context.check_hostname = False
        if a.cert:
            context.load_cert_chain(a.cert, a.key)
    rq = associate_rq(a.calling, a.called)
    held, accepted, rejected, unanswered, in_a_row = [], 0, 0, 0, 0
    for _ in range(min(a.count, 2000)):
        s = None
        try:
            s = socket.create_connection((a.host, a.port), timeout=a.answer_timeout)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if context:
                s = context.wrap_socket(s, server_hostname=a.host)
            s.sendall(rq)
            t, _ = read_pdu(s)
            if t == 2:
                accepted += 1
                in_a_row = 0
            else:
                rejected += 1
            held.append(s)
        except (OSError, ConnectionError) as e:
            unanswered += 1
            in_a_row += 1
            print("no answer:", e, file=sys.stderr)
            if s is not None:
                held.append(s)  # keep it open too: it is queued at the server
            if in_a_row >= 3:
                break
    print(f"accepted={accepted} rejected={rejected} unanswered={unanswered}", flush=True)
    deadline = time.monotonic() + min(a.seconds, 3600)
    while time.monotonic() < deadline:
        time.sleep(0.5)


if __name__ == "__main__":
    main()
