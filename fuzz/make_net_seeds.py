#!/usr/bin/env python3
"""Writes the seed corpora of pdu_decoder_fuzz and state_machine_fuzz.

The golden PDUs are what DCMTK 3.6.7 sent to a loopback listener (127.0.0.1 only):
  dcmtk_echoscu_associate_rq      `echoscu -aec BASTION -aet ECHOSCU 127.0.0.1 PORT`
  dcmtk_echoscu_pdata_cecho_rq    its C-ECHO-RQ command, after a hand-made A-ASSOCIATE-AC
  dcmtk_echoscu_release_rq        its A-RELEASE-RQ after a hand-made C-ECHO-RSP
  dcmtk_storescu_associate_rq_user_identity
                                  `storescu --user alice --password not-a-real-secret ...`
                                  (a dummy credential: 122 contexts and a 58H sub-item)
They are kept in corpus/pdu_decoder/ as `<name>` with a leading 00H (feed all at once); this
script reads them back and derives every other seed from them and from hand-made PDUs.
Run from anywhere: python3 fuzz/make_net_seeds.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
PDU_DIR = os.path.join(HERE, "corpus", "pdu_decoder")
SM_DIR = os.path.join(HERE, "corpus", "state_machine")


def golden(name):
    with open(os.path.join(PDU_DIR, name), "rb") as f:
        data = f.read()
    assert data[0] == 0, name
    return data[1:]


def item(t, v):
    return bytes([t, 0]) + struct.pack(">H", len(v)) + v


def pdu(t, body):
    return bytes([t, 0]) + struct.pack(">I", len(body)) + body


def associate_ac():
    body = struct.pack(">HH", 1, 0) + b"BASTION".ljust(16) + b"ECHOSCU".ljust(16) + bytes(32)
    body += item(0x10, b"1.2.840.10008.3.1.1.1")
    body += item(0x21, bytes([1, 0, 0, 0]) + item(0x40, b"1.2.840.10008.1.2"))
    body += item(0x21, bytes([3, 0, 3, 0]) + item(0x40, b""))
    user = item(0x51, struct.pack(">I", 16384)) + item(0x52, b"1.2.3.4")
    user += item(0x55, b"BASTION_0")
    user += item(0x53, struct.pack(">HH", 1, 1))
    user += bytes([0x54, 0]) + struct.pack(">HH", 19, 17) + b"1.2.840.10008.1.1" + bytes([1, 1])
    user += item(0x59, struct.pack(">H", 4) + b"okay")
    body += item(0x50, user)
    return pdu(2, body)


def c_echo_rsp():
    def el(g, e, v):
        return struct.pack("<HHI", g, e, len(v)) + v
    cmd = (el(0, 2, b"1.2.840.10008.1.1\0") + el(0, 0x100, struct.pack("<H", 0x8030)) +
           el(0, 0x120, struct.pack("<H", 1)) + el(0, 0x800, struct.pack("<H", 0x101)) +
           el(0, 0x900, struct.pack("<H", 0)))
    cmd = el(0, 0, struct.pack("<I", len(cmd))) + cmd
    return pdu(4, struct.pack(">I", len(cmd) + 2) + bytes([1, 3]) + cmd)


RJ = pdu(3, bytes([0, 1, 1, 7]))
RELEASE_RQ = pdu(5, bytes(4))
RELEASE_RP = pdu(6, bytes(4))
ABORT_USER = pdu(7, bytes([0, 0, 0, 0]))
ABORT_PROVIDER = pdu(7, bytes([0, 0, 2, 2]))
UNKNOWN_TYPE = pdu(9, bytes(4))
BAD_LENGTH_RELEASE = pdu(5, bytes(8))
HUGE = bytes([4, 0, 0xFF, 0xFF, 0xFF, 0xFF])


def write(directory, name, data):
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


# Operation codes of state_machine_fuzz.cc.
OPEN, CONNECTED, REQUEST, ACCEPT, REJECT, SEND, RELEASE, RESPOND, ABORT, ARTIM, CLOSED, \
    SAMPLE = range(12)
RAW = 12
S_RQ, S_AC, S_RJ, S_DATA, S_RELRQ, S_RELRP, S_ABORT_USER, S_ABORT_PROVIDER = range(8)


def raw(data):
    """Raw bytes for the framer, in operations of at most 255 bytes."""
    out = b""
    for i in range(0, len(data), 255):
        chunk = data[i:i + 255]
        out += bytes([RAW, len(chunk)]) + chunk
    return out


def ops(*parts):
    out = b""
    for p in parts:
        out += bytes([p]) if isinstance(p, int) else p
    return out


def main():
    echo_rq = golden("dcmtk_echoscu_associate_rq")
    echo_data = golden("dcmtk_echoscu_pdata_cecho_rq")
    echo_release = golden("dcmtk_echoscu_release_rq")
    store_rq = golden("dcmtk_storescu_associate_rq_user_identity")
    ac = associate_ac()
    rsp = c_echo_rsp()

    # pdu_decoder: a chunking byte, then a stream.
    seeds = {
        "echo_session_chunks_7": bytes([7]) + echo_rq + echo_data + echo_release,
        "echo_session_byte_by_byte": bytes([1]) + echo_rq + echo_data + echo_release,
        "acceptor_replies_ac_rsp_rp": bytes([0]) + ac + rsp + RELEASE_RP,
        "associate_rj": bytes([0]) + RJ,
        "aborts_user_and_provider": bytes([3]) + ABORT_USER + ABORT_PROVIDER,
        "release_rq_rp": bytes([2]) + RELEASE_RQ + RELEASE_RP,
        "unknown_pdu_type_09": bytes([0]) + UNKNOWN_TYPE,
        "release_rq_with_length_8": bytes([0]) + BAD_LENGTH_RELEASE,
        "pdata_length_ffffffff": bytes([0]) + HUGE,
        "truncated_associate_rq": bytes([0]) + echo_rq[:100],
        "storescu_rq_chunks_255": bytes([255]) + store_rq,
    }
    for name, data in seeds.items():
        write(PDU_DIR, name, data)

    # state_machine: operations.
    sm = {
        "acceptor_echo_then_release": ops(OPEN, raw(echo_rq), ACCEPT, raw(echo_data), SEND, 0,
                                          raw(echo_release), RESPOND, CLOSED),
        "acceptor_storescu_identity_then_reject": ops(OPEN, raw(store_rq), REJECT, 0x0B, ARTIM),
        "requestor_echo_then_release": ops(REQUEST, CONNECTED, raw(ac), SEND, 1, raw(rsp),
                                           RELEASE, raw(RELEASE_RP)),
        "requestor_rejected": ops(REQUEST, CONNECTED, SAMPLE, S_RJ),
        "release_collision_requestor": ops(REQUEST, CONNECTED, SAMPLE, S_AC, RELEASE, SAMPLE,
                                           S_RELRQ, RESPOND, SAMPLE, S_RELRP),
        "release_collision_acceptor": ops(OPEN, SAMPLE, S_RQ | 8, ACCEPT, RELEASE, SAMPLE, S_RELRQ,
                                          SAMPLE, S_RELRP, RESPOND, ARTIM),
        "second_associate_rq_in_sta6": ops(OPEN, raw(echo_rq), ACCEPT, raw(echo_rq), raw(echo_rq),
                                           CLOSED),
        "unsupported_protocol_version": ops(OPEN, SAMPLE, S_RQ, ARTIM),
        "garbage_before_associate_rq": ops(OPEN, raw(UNKNOWN_TYPE), ARTIM),
        "huge_pdata_length_in_sta6": ops(OPEN, raw(echo_rq), ACCEPT, raw(HUGE), CLOSED),
        "local_abort_then_peer_data": ops(OPEN, raw(echo_rq), ACCEPT, ABORT, raw(echo_data), ARTIM),
        "peer_aborts": ops(REQUEST, CONNECTED, SAMPLE, S_AC, SAMPLE, S_ABORT_PROVIDER, OPEN,
                           SAMPLE, S_ABORT_USER),
        "connection_refused": ops(REQUEST, CLOSED, REQUEST, ABORT),
        "wrong_calls_everywhere": ops(ACCEPT, SEND, 0, RESPOND, ABORT, ARTIM, CLOSED, OPEN, OPEN,
                                      CONNECTED, RELEASE, raw(echo_rq), REQUEST, SEND, 0),
    }
    for name, data in sm.items():
        write(SM_DIR, name, data)


if __name__ == "__main__":
    main()
