#!/bin/bash
# Offline: pcap seconds are unsigned 32-bit. Packets dated after 2038-01-19 (up to the last
# second a pcap can hold, 2106-02-07) keep their date in eve.json: not 1901, not year 2508;
# in microsecond and in nanosecond captures alike.
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
python3 - "$NW_TMP/late.pcap" "$NW_TMP/late_ns.pcap" >"$NW_TMP/expect.txt" <<'PY' || nw_fail "capture writer"
import struct, sys, datetime
# seconds past 2^31 - 1 (2038-01-19T03:14:07Z), as a capture file stores them (u32)
secs = [2**31 - 1, 2**31, 2**31 + 3600, 4102444800, 2**32 - 1]
def udp_frame(i):
    ip = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, 28 + 4, i, 0, 64, 17, 0,
                               bytes([198, 51, 100, 7]), bytes([172, 31, 19, 240])))
    s = sum(struct.unpack(">10H", bytes(ip)))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    ip[10:12] = struct.pack(">H", ~s & 0xffff)
    udp = struct.pack(">HHHH", 40000 + i, 2222, 12, 0) + b"late"
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + bytes(ip) + udp
# the same packets in a microsecond and in a nanosecond capture
for path, magic, frac in ((sys.argv[1], 0xa1b2c3d4, 250000), (sys.argv[2], 0xa1b23c4d, 250000999)):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, 65535, 1))
        for i, s in enumerate(secs):
            fr = udp_frame(i)
            f.write(struct.pack("<IIII", s, frac, len(fr), len(fr)) + fr)
for s in secs:
    t = datetime.datetime.fromtimestamp(s, datetime.timezone.utc)
    print(t.strftime("%Y-%m-%dT%H:%M:%S") + ".250000")
PY
cat >"$NW_TMP/ex.conf" <<CONF
[natwarden]
plugins = example
eve_drops = all

[example]
drop_port = 2222
CONF
for cap in late late_ns; do
	nw_offline "$NW_TMP/$cap.pcap" "$NW_TMP/ex.conf" "$NW_TMP/o_$cap" ||
		nw_fail "natwarden -r $cap.pcap: $(cat "$NW_TMP/o_$cap/stderr")"
	python3 -c 'import json,sys; [print(json.loads(l)["timestamp"][:26]) for l in open(sys.argv[1])]' \
		"$NW_TMP/o_$cap/eve.json" >"$NW_TMP/got_$cap.txt"
	diff "$NW_TMP/expect.txt" "$NW_TMP/got_$cap.txt" >&2 || nw_fail "$cap.pcap: eve.json timestamps differ from the capture's"
	nw_expect_eq "$(nw_json "$NW_TMP/o_$cap/stats.json" 'd["verdicts"]["drop"]')" 5 "$cap.pcap drops"
done
echo "ok"
