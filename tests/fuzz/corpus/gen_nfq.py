#!/usr/bin/env python3
"""Seed corpus for tests/fuzz/fuzz_nfq: one NFQNL_MSG_PACKET netlink message per file.

Deterministic (no randomness): run `python3 gen_nfq.py` to rewrite tests/fuzz/corpus/nfq/.
"""
import os
import struct
import sys

NFQNL_MSG_PACKET = 0
NFNL_SUBSYS_QUEUE = 3
(NFQA_PACKET_HDR, NFQA_VERDICT_HDR, NFQA_MARK, NFQA_TIMESTAMP, NFQA_IFINDEX_INDEV,
 NFQA_IFINDEX_OUTDEV, NFQA_IFINDEX_PHYSINDEV, NFQA_IFINDEX_PHYSOUTDEV, NFQA_HWADDR,
 NFQA_PAYLOAD, NFQA_CT, NFQA_CT_INFO, NFQA_CAP_LEN, NFQA_SKB_INFO) = range(1, 15)
CTA_TUPLE_ORIG, CTA_TUPLE_IP, CTA_TUPLE_PROTO = 1, 1, 2
CTA_IP_V4_SRC, CTA_IP_V4_DST, CTA_IP_V6_SRC, CTA_IP_V6_DST = 1, 2, 3, 4
CTA_PROTO_NUM, CTA_PROTO_SRC_PORT, CTA_PROTO_DST_PORT = 1, 2, 3
NLA_F_NESTED = 0x8000


def attr(t, payload, pad=True):
    a = struct.pack("=HH", 4 + len(payload), t) + payload
    return a + b"\0" * ((-len(a)) % 4) if pad else a


def nest(t, *parts):
    return attr(t | NLA_F_NESTED, b"".join(parts))


def msg(attrs, mlen=None):
    body = struct.pack("!BBH", 2, 0, 0) + attrs
    n = 16 + len(body)
    m = struct.pack("=IHHII", mlen if mlen is not None else n,
                    (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET, 0, 0, 0) + body
    return m


def u32(t, v):
    return attr(t, struct.pack("!I", v))


def hdr(pid):
    return attr(NFQA_PACKET_HDR, struct.pack("!IHB", pid, 0x0800, 2))


IP4 = bytes.fromhex("45000029123400004011") + b"\0\0" + bytes([198, 51, 100, 10, 172, 31, 19, 240]) \
    + struct.pack("!HHHH", 40000, 9001, 21, 0) + b"hello-natwarden"
CT4 = nest(NFQA_CT, nest(CTA_TUPLE_ORIG,
                         nest(CTA_TUPLE_IP, attr(CTA_IP_V4_SRC, bytes([198, 51, 100, 10])),
                              attr(CTA_IP_V4_DST, bytes([203, 0, 113, 1]))),
                         nest(CTA_TUPLE_PROTO, attr(CTA_PROTO_NUM, b"\x11"),
                              attr(CTA_PROTO_SRC_PORT, struct.pack("!H", 40000)),
                              attr(CTA_PROTO_DST_PORT, struct.pack("!H", 80)))))
CT6 = nest(NFQA_CT, nest(CTA_TUPLE_ORIG,
                         nest(CTA_TUPLE_IP, attr(CTA_IP_V6_DST, bytes.fromhex("20010db8" + "00" * 11 + "01"))),
                         nest(CTA_TUPLE_PROTO, attr(CTA_PROTO_DST_PORT, struct.pack("!H", 443)))))
COMMON = u32(NFQA_IFINDEX_INDEV, 2) + u32(NFQA_IFINDEX_OUTDEV, 3)


def seeds():
    full = hdr(1) + COMMON + u32(NFQA_MARK, 1) + CT4 + u32(NFQA_CT_INFO, 2) \
        + u32(NFQA_SKB_INFO, 1) + u32(NFQA_CAP_LEN, 1500) + attr(NFQA_PAYLOAD, IP4)
    yield "full_ct4", msg(full)
    yield "minimal", msg(hdr(2) + attr(NFQA_PAYLOAD, IP4))
    yield "ct6_reply", msg(hdr(3) + CT6 + u32(NFQA_CT_INFO, 3) + attr(NFQA_PAYLOAD, IP4))
    # the payload is 41 bytes: the last attribute's padding cut off by nlmsg_len
    cut = msg(hdr(4) + COMMON + attr(NFQA_PAYLOAD, IP4, pad=False))
    yield "unaligned_last", cut
    yield "unaligned_middle", msg(attr(NFQA_HWADDR, b"\x02\0\0\0\0\x01", pad=True)
                                  + hdr(5) + attr(NFQA_PAYLOAD, b"\x45\0\0"))
    yield "no_hdr", msg(COMMON + attr(NFQA_PAYLOAD, IP4))
    yield "short_hdr", msg(attr(NFQA_PACKET_HDR, b"\0\0") + attr(NFQA_PAYLOAD, IP4))
    yield "len_past_end", msg(hdr(6) + attr(NFQA_PAYLOAD, IP4), mlen=4000)
    bad = bytearray(msg(hdr(7) + COMMON))
    struct.pack_into("=H", bad, 20 + 8, 3)  # an attribute length below its header
    yield "attr_len_small", bytes(bad)
    yield "no_payload", msg(hdr(8) + u32(NFQA_MARK, 0x20))


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nfq")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
