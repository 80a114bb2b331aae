#!/bin/bash
# eve_siem.sh: eve.json of a capture with HTTP, DNS and TLS flows, read with the field paths of
# Elastic's Suricata integration (tests/offline/eve_siem_check.py lists them): alerts with their
# protocol objects and flow counters, and the opt-in http, dns, tls and flow records.
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
$PY -c 'import scapy' 2>/dev/null || { echo "skip: python3-scapy missing"; exit 77; }
$PY "$NW_SRC/tests/data/gen_eve_siem.py" "$NW_TMP/siem.pcap" >/dev/null || nw_fail "capture generator"
cat >"$NW_TMP/nw.conf" <<'CONF'
[natwarden]
plugins = signature
eve_types = default, http, dns, tls, flow
CONF
nw_offline "$NW_TMP/siem.pcap" "$NW_TMP/nw.conf" "$NW_TMP/out" -S "$NW_SRC/tests/data/eve_siem.rules" ||
	nw_fail "natwarden -r: $(tail -5 "$NW_TMP/out/stderr")"
E="$NW_TMP/out/eve.json"
$PY "$NW_SRC/tests/offline/eve_siem_check.py" "$E" || nw_fail "eve.json is missing fields the ingest pipeline reads"
# one record per transaction / message / TLS session / flow
nw_expect_eq "$(nw_eve_count "$E" "e['event_type'] == 'http' and e['http']['status'] == 200 and e['http']['length'] == 11")" 1 "http records"
nw_expect_eq "$(nw_eve_count "$E" "e['event_type'] == 'dns'")" 2 "dns records (query, answer)"
nw_expect_eq "$(nw_eve_count "$E" "e['event_type'] == 'dns' and e['dns'].get('answers', [{}])[0].get('rdata') == '203.0.113.66'")" 1 "dns answer rdata"
nw_expect_eq "$(nw_eve_count "$E" "e['event_type'] == 'tls' and e['tls']['sni'] == 'evil.example' and e['tls']['version'] == 'TLS 1.2' and 'CN=evil.example' in e['tls']['subject']")" 1 "tls records"
nw_expect_eq "$(nw_eve_count "$E" "e['event_type'] == 'flow'")" 3 "flow records"
nw_expect_eq "$(nw_eve_count "$E" "e['event_type'] == 'flow' and e['flow']['alerted']")" 3 "flows marked alerted"
nw_expect_eq "$(nw_eve_count "$E" "e['event_type'] == 'alert' and e['alert']['signature_id'] == 9100001 and e['http']['hostname'] == 'portal.example' and e['direction'] == 'to_server'")" 1 "http alert object"
nw_expect_eq "$(nw_eve_count "$E" "e['event_type'] == 'alert' and e['alert']['signature_id'] == 9100003 and e['dns'].get('query', [{}])[0].get('rrname') == 'c2.bad.example'")" 1 "dns alert object (query)"
nw_expect_eq "$(nw_eve_count "$E" "e['event_type'] == 'alert' and e['alert']['signature_id'] == 9100003 and e['dns'].get('answer', {}).get('rcode') == 'NOERROR'")" 1 "dns alert object (answer)"
nw_expect_eq "$(nw_eve_count "$E" "e['event_type'] == 'alert' and e['alert']['signature_id'] == 9100004 and e['tls']['sni'] == 'evil.example' and e['app_proto'] == 'tls'")" 1 "tls alert object"
# without eve_types the records are not written (opt-in), alerts still carry their objects
printf '[natwarden]\nplugins = signature\n' >"$NW_TMP/plain.conf"
nw_offline "$NW_TMP/siem.pcap" "$NW_TMP/plain.conf" "$NW_TMP/plain" -S "$NW_SRC/tests/data/eve_siem.rules" ||
	nw_fail "natwarden -r (default eve_types)"
nw_expect_eq "$(nw_eve_count "$NW_TMP/plain/eve.json" "e['event_type'] in ('http', 'dns', 'tls', 'flow')")" 0 "records by default"
nw_expect_eq "$(nw_eve_count "$NW_TMP/plain/eve.json" "e['event_type'] == 'alert' and 'flow' in e and 'app_proto' in e")" \
	"$(nw_eve_count "$E" "e['event_type'] == 'alert'")" "alerts with flow and app_proto by default"
echo "ok: eve.json carries every field the Elastic Suricata pipeline maps"
