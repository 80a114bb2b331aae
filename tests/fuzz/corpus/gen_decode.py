#!/usr/bin/env python3
"""Seed corpus for tests/fuzz/fuzz_decode: byte 0 picks the linktype, the rest is the frame.

Deterministic (no randomness): run `python3 gen_decode.py` to rewrite tests/fuzz/corpus/decode/.
"""
import os
import struct
import sys

# index = first byte, as in fz_linktypes[] in fuzz_decode.c
ETH, RAW, SLL, IPV4, IPV6, SLL2 = range(6)

SRC4 = bytes([198, 51, 100, 1])
DST4 = bytes([203, 0, 113, 2])
SRC6 = bytes.fromhex("20010db8000000000000000000000001")
DST6 = bytes.fromhex("20010db8000000000000000000000002")
HELLO = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def ipv4(proto, l4, opts=b"", frag=0, tot=None, ihl=None):
    hlen = 20 + len(opts)
    tot = hlen + len(l4) if tot is None else tot
    ihl = hlen // 4 if ihl is None else ihl
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tot, 0x1234, frag, 64, proto, 0, SRC4, DST4)
    return hdr + opts + l4


def ipv6(nh, rest, plen=None):
    plen = len(rest) if plen is None else plen
    return struct.pack("!IHBB16s16s", 0x60000000, plen, nh, 64, SRC6, DST6) + rest


def ext(nh, hlen8=0):
    n = (hlen8 + 1) * 8
    return bytes([nh, hlen8, 1, n - 4]) + bytes(n - 4)


def frag6(nh, off8, more):
    return struct.pack("!BBHI", nh, 0, (off8 << 3) | (1 if more else 0), 0xDEADBEEF)


def ah(nh, words=4):
    n = (words + 2) * 4
    return bytes([nh, words]) + bytes(n - 2)


def tcp(flags=0x18, opts=b"", payload=HELLO, doff=None, sport=40000, dport=80):
    doff = (20 + len(opts)) // 4 if doff is None else doff
    return struct.pack("!HHIIBBHHH", sport, dport, 0x01020304, 0xA0B0C0D0, doff << 4, flags,
                       29200, 0, 0) + opts + payload


def udp(payload=b"\x12\x34\x01\x00\x00\x01" + bytes(6), ulen=None, sport=5353, dport=53):
    ulen = 8 + len(payload) if ulen is None else ulen
    return struct.pack("!HHHH", sport, dport, ulen, 0) + payload


def icmp(t=8, code=0, body=struct.pack("!HH", 0x4242, 7) + b"ping"):
    return bytes([t, code, 0, 0]) + body


def eth(etype, l3, tags=()):
    hdr = bytes.fromhex("020000000001020000000002")
    for tpid, vid in tags:
        hdr += struct.pack("!HH", tpid, vid)
    hdr += struct.pack("!H", etype)
    return hdr + l3


def sll(proto, l3):
    return struct.pack("!HHH8sH", 0, 1, 6, bytes.fromhex("0200000000010000"), proto) + l3


def sll2(proto, l3):
    return struct.pack("!HHIHBB8s", proto, 0, 3, 1, 0, 6, bytes.fromhex("0200000000010000")) + l3


TCP_OPTS = bytes.fromhex("020405b4 0402 080a0000000100000000 01 030307".replace(" ", ""))
IP_RA = bytes.fromhex("94040000")


def seeds():
    v4tcp = ipv4(6, tcp(0x02, TCP_OPTS, b""))
    v4tcp_opts = ipv4(6, tcp(0x18, TCP_OPTS), IP_RA)
    v4udp = ipv4(17, udp())
    v4icmp = ipv4(1, icmp())
    v6tcp = ipv6(6, tcp())
    v6udp = ipv6(17, udp())
    v6icmp = ipv6(58, icmp(128))
    v6chain = ipv6(0, ext(60) + ext(44, 1) + frag6(17, 0, True) + udp())
    yield "eth_v4_tcp_syn", ETH, eth(0x0800, v4tcp)
    yield "eth_v4_tcp_ipopts", ETH, eth(0x0800, v4tcp_opts)
    yield "eth_v4_udp", ETH, eth(0x0800, v4udp)
    yield "eth_v4_icmp_echo", ETH, eth(0x0800, v4icmp)
    yield "eth_v4_icmp_unreach", ETH, eth(0x0800, ipv4(1, icmp(3, 3, bytes(4) + v4udp[:28])))
    yield "eth_v4_padding", ETH, eth(0x0800, ipv4(17, udp(b"ab"))) + b"\xee" * 16
    yield "eth_v4_frag_first", ETH, eth(0x0800, ipv4(17, udp(ulen=3000), frag=0x2000))
    yield "eth_v4_frag_later", ETH, eth(0x0800, ipv4(17, udp(), frag=185))
    yield "eth_v4_gre", ETH, eth(0x0800, ipv4(47, bytes(4) + v4tcp))
    yield "eth_v6_tcp", ETH, eth(0x86DD, v6tcp)
    yield "eth_v6_udp", ETH, eth(0x86DD, v6udp)
    yield "eth_v6_icmpv6_echo", ETH, eth(0x86DD, v6icmp)
    yield "eth_v6_chain_frag", ETH, eth(0x86DD, v6chain)
    yield "eth_v6_frag_later", ETH, eth(0x86DD, ipv6(44, frag6(6, 100, False) + tcp()))
    yield "eth_v6_ah_tcp", ETH, eth(0x86DD, ipv6(51, ah(6) + tcp()))
    yield "eth_v6_routing_mobility", ETH, eth(0x86DD, ipv6(43, ext(135) + ext(6) + tcp()))
    yield "eth_v6_esp", ETH, eth(0x86DD, ipv6(50, bytes(range(32))))
    yield "eth_v6_nonext", ETH, eth(0x86DD, ipv6(60, ext(59)))
    yield "eth_v6_jumbo", ETH, eth(0x86DD, ipv6(0, bytes([6, 0, 0xC2, 4, 0, 0, 0, 60]) + tcp(),
                                                 plen=0))
    yield "eth_v6_ext_limit", ETH, eth(0x86DD, ipv6(60, b"".join(ext(60) for _ in range(9)) + udp()))
    yield "eth_vlan_v4_tcp", ETH, eth(0x0800, v4tcp, [(0x8100, 100)])
    yield "eth_qinq_v6_udp", ETH, eth(0x86DD, v6udp, [(0x88A8, 10), (0x8100, 20)])
    yield "eth_qinq9100_v4_udp", ETH, eth(0x0800, v4udp, [(0x9100, 10), (0x8100, 20)])
    yield "eth_arp", ETH, eth(0x0806, bytes.fromhex("0001080006040001") + bytes(20))
    yield "raw_v4_tcp", RAW, v4tcp_opts
    yield "raw_v6_chain", RAW, v6chain
    yield "ipv4_udp", IPV4, v4udp
    yield "ipv6_tcp", IPV6, v6tcp
    yield "sll_v4_tcp", SLL, sll(0x0800, v4tcp)
    yield "sll_v6_icmpv6", SLL, sll(0x86DD, v6icmp)
    yield "sll2_v4_icmp", SLL2, sll2(0x0800, v4icmp)
    yield "sll2_v6_udp", SLL2, sll2(0x86DD, v6udp)
    # malformed: one per decode error reason
    yield "bad_ihl_small", RAW, ipv4(6, tcp(), ihl=4)
    yield "bad_ihl_big", RAW, ipv4(6, b"", ihl=15)
    yield "bad_totlen", RAW, ipv4(6, tcp(), tot=10)
    yield "bad_ipv4_opt", RAW, ipv4(6, tcp(), bytes.fromhex("01830700"))
    yield "bad_tcp_doff", RAW, ipv4(6, tcp(doff=15))
    yield "bad_tcp_opt_len0", RAW, ipv4(6, tcp(0x02, bytes.fromhex("02000000")))
    yield "bad_tcp_opt_past", RAW, ipv4(6, tcp(0x02, bytes.fromhex("0101080a")))
    yield "bad_udp_len", RAW, ipv4(17, udp(ulen=400))
    yield "bad_udp_trunc", RAW, ipv4(17, b"\x00\x35\x00")
    yield "bad_icmp_trunc", RAW, ipv4(1, b"\x08\x00\x00\x00\x42")
    yield "bad_v6_ext_trunc", RAW, ipv6(0, bytes([17, 4]) + bytes(6))
    yield "bad_version", RAW, b"\x50" + bytes(39)
    yield "bad_eth_trunc_vlan", ETH, eth(0x8100, b"\x00\x64")


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "decode")
    os.makedirs(out, exist_ok=True)
    n = 0
    for name, lt, frame in seeds():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([lt]) + frame)
        n += 1
    print(f"{n} seeds in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
