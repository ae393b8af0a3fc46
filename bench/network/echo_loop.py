#!/usr/bin/python3
"""One long-lived client opening N associations one after the other: connect (+ TLS handshake),
A-ASSOCIATE-RQ, C-ECHO-RQ, A-RELEASE-RQ, close. Standard library only, independent of Bastion's
own SCU. Prints associations per second. Loopback benchmark helper.

  echo_loop.py HOST PORT CALLED CALLING N [--ca CA.pem --cert C.pem --key C.key]
"""
import argparse
import socket
import ssl
import sys
import time

ECHO_SOP = b"1.2.840.10008.1.1"
IMPLICIT_LE = b"1.2.840.10008.1.2"


def item(t, data):
    return bytes([t, 0]) + len(data).to_bytes(2, "big") + data


def associate_rq(calling, called):
    app = item(0x10, b"1.2.840.10008.3.1.1.1")
    pc = item(0x20, bytes([1, 0, 0, 0]) + item(0x30, ECHO_SOP) + item(0x40, IMPLICIT_LE))
    ui = item(0x50, item(0x51, (16384).to_bytes(4, "big")) +
              item(0x52, b"1.2.826.0.1.3680043.9.7433.99") + item(0x55, b"ECHOLOOP"))
    body = (1).to_bytes(2, "big") + b"\0\0" + called.ljust(16).encode() + \
        calling.ljust(16).encode() + b"\0" * 32 + app + pc + ui
    return bytes([1, 0]) + len(body).to_bytes(4, "big") + body


def element(group, elem, value):  # implicit VR little endian
    if len(value) % 2:
        value += b"\0"
    return group.to_bytes(2, "little") + elem.to_bytes(2, "little") + \
        len(value).to_bytes(4, "little") + value


def echo_rq_pdu(message_id):
    body = element(0, 0x0002, ECHO_SOP) + element(0, 0x0100, (0x0030).to_bytes(2, "little")) + \
        element(0, 0x0110, message_id.to_bytes(2, "little")) + \
        element(0, 0x0800, (0x0101).to_bytes(2, "little"))
    command = element(0, 0x0000, len(body).to_bytes(4, "little")) + body
    pdv = bytes([1, 0x03]) + command           # context 1, command, last fragment
    pdv_item = len(pdv).to_bytes(4, "big") + pdv
    return bytes([4, 0]) + len(pdv_item).to_bytes(4, "big") + pdv_item


RELEASE_RQ = bytes([5, 0, 0, 0, 0, 4, 0, 0, 0, 0])


def read_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return bytes(buf)


def read_pdu(s):
    header = read_exact(s, 6)
    return header[0], read_exact(s, int.from_bytes(header[2:6], "big"))


def one_association(host, port, context, rq, message_id):
    s = socket.create_connection((host, port), timeout=10)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if context:
            s = context.wrap_socket(s, server_hostname=host)
        s.sendall(rq)
        t, _ = read_pdu(s)
        if t != 2:
            raise RuntimeError(f"association not accepted (PDU type {t})")
        s.sendall(echo_rq_pdu(message_id))
        t, body = read_pdu(s)
        # the response may come in one P-DATA-TF; look for Status (0000,0900) == 0
        if t != 4 or b"\x00\x00\x00\x09\x02\x00\x00\x00\x00\x00" not in body:
            raise RuntimeError(f"C-ECHO failed (PDU type {t})")
        s.sendall(RELEASE_RQ)
        t, _ = read_pdu(s)
        if t != 6:
            raise RuntimeError(f"no A-RELEASE-RP (PDU type {t})")
    finally:
        s.close()


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
    a = ap.parse_args()
    context = None
    if a.ca:
        context = ssl.create_default_context(cafile=a.ca)
        context.check_hostname = False
        if a.cert:
            context.load_cert_chain(a.cert, a.key)
    rq = associate_rq(a.calling, a.called)
    n = min(a.count, 100000)
    start = time.perf_counter()
    for i in range(n):
        one_association(a.host, a.port, context, rq, (i % 65535) + 1)
    seconds = time.perf_counter() - start
    print(f"{n / seconds:.1f}")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 - report and fail
        print("echo_loop:", e, file=sys.stderr)
        sys.exit(1)
