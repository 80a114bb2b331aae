#!/usr/bin/env python3
"""Seed corpus for tests/fuzz/fuzz_defrag: sequences of IP packets, each
[u16 length][u8 seconds since the previous one][packet], as fuzz_defrag.c reads them.

Deterministic: run `python3 gen_defrag.py` to rewrite tests/fuzz/corpus/defrag/.
"""
import os
import struct
import sys

SRC4 = bytes([198, 51, 100, 1])
DST4 = bytes([203, 0, 113, 2])
SRC6 = bytes.fromhex("20010db8000000000000000000000001")
DST6 = bytes.fromhex("20010db8000000000000000000000002")
DATA = bytes((i * 7 + 3) & 0xff for i in range(4000))


def v4(pid, off, n, more, proto=17, data=None, hlen_opts=b""):
    body = DATA[off:off + n] if data is None else data
    hl = 20 + len(hlen_opts)
    frag = (0x2000 if more else 0) | (off // 8)
    return struct.pack("!BBHHHBBH4s4s", 0x40 | hl // 4, 0, hl + len(body), pid, frag, 64, proto, 0,
                       SRC4, DST4) + hlen_opts + body


def v6(pid, off, n, more, ext=b"", nh_first=44):
    frag = struct.pack("!BBHI", 17, 0, (off & 0xfff8) | int(more), pid)
    rest = ext + frag + DATA[off:off + n]
    return struct.pack("!IHBB16s16s", 0x60000000, len(rest), nh_first, 64, SRC6, DST6) + rest


def rec(pkt, dt=0):
    return struct.pack("!HB", len(pkt), dt) + pkt


DSTOPT = bytes([44, 0, 1, 4, 0, 0, 0, 0])  # destination options -> fragment header
SEEDS = {
    "v4_in_order": [rec(v4(1, 0, 800, True)), rec(v4(1, 800, 800, True)), rec(v4(1, 1600, 300, False))],
    "v4_reversed_tiny_dup": [rec(v4(2, 16, 100, False)), rec(v4(2, 8, 8, True)), rec(v4(2, 8, 8, True)),
                             rec(v4(2, 0, 8, True))],
    "v4_overlap": [rec(v4(3, 0, 64, True)), rec(v4(3, 48, 64, True)), rec(v4(3, 112, 8, False))],
    "v4_inside_other_bytes": [rec(v4(4, 0, 64, True)), rec(v4(4, 16, 16, True, data=b"E" * 16)),
                              rec(v4(4, 64, 8, False))],
    "v4_too_large": [rec(v4(5, 65528, 16, False))],
    "v4_timeout": [rec(v4(6, 0, 64, True)), rec(v4(6, 64, 8, False), dt=31)],
    "v4_options_first": [rec(v4(7, 0, 64, True, hlen_opts=bytes([0x94, 4, 0, 0]))), rec(v4(7, 64, 40, False))],
    "v4_many_datagrams": [rec(v4(100 + i, 0, 512, True)) for i in range(20)] + [rec(v4(100, 512, 8, False))],
    "v6_ext_in_order": [rec(v6(9, 0, 24, True, DSTOPT, 60)), rec(v6(9, 24, 30, False, DSTOPT, 60))],
    "v6_overlap": [rec(v6(10, 0, 24, True)), rec(v6(10, 16, 16, False))],
    "v6_bad_length": [rec(v6(11, 0, 20, True))],
    "v6_atomic": [rec(v6(12, 0, 8, False))],
    "mixed": [rec(v4(13, 0, 64, True)), rec(v6(13, 0, 64, True)), rec(v4(13, 64, 8, False), dt=2),
              rec(v6(13, 64, 8, False), dt=40)],
}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), "defrag")
    os.makedirs(out, exist_ok=True)
    for name, recs in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(b"".join(recs))


if __name__ == "__main__":
    main()
