#!/usr/bin/python3
"""Opens N associations (C-ECHO context) to HOST:PORT and holds them idle until stdin closes or
--seconds pass; prints how many were accepted. Loopback benchmark helper only.
  hold_associations.py HOST PORT CALLED CALLING N [--ca CA.pem] [--seconds S]
"""
import argparse
import socket
import ssl
import sys
import time


def item(t, data):
    return bytes([t, 0]) + len(data).to_bytes(2, "big") + data


def associate_rq(calling, called):
    app = item(0x10, b"1.2.840.10008.3.1.1.1")
    pc = item(0x20, bytes([1, 0, 0, 0]) + item(0x30, b"1.2.840.10008.1.1") +
              item(0x40, b"1.2.840.10008.1.2"))
    ui = item(0x50, item(0x51, (16384).to_bytes(4, "big")) + item(0x52, b"1.2.826.0.1.3680043.9"))
    body = (1).to_bytes(2, "big") + b"\0\0" + called.ljust(16).encode() + \
        calling.ljust(16).encode() + b"\0" * 32 + app + pc + ui
    return bytes([1, 0]) + len(body).to_bytes(4, "big") + body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("called")
    ap.add_argument("calling")
    ap.add_argument("count", type=int)
    ap.add_argument("--ca")
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()
    context = None
    if args.ca:
        context = ssl.create_default_context(cafile=args.ca)
        context.check_hostname = False
    held, accepted = [], 0
    for _ in range(min(args.count, 2000)):
        try:
            s = socket.create_connection((args.host, args.port), timeout=10)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if context:
                s = context.wrap_socket(s, server_hostname=args.host)
            s.sendall(associate_rq(args.calling, args.called))
            answer = s.recv(6)
            if answer[:1] == b"\x02":
                accepted += 1
            held.append(s)
        except OSError as e:
            print("connection failed:", e, file=sys.stderr)
            break
    print(accepted, flush=True)
    time.sleep(args.seconds)


if __name__ == "__main__":
    main()
