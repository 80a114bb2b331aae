#!/usr/bin/env python3
# tests/offline/eve_siem_check.py: read eve.json as Elastic's Suricata integration does and check
# that every field it maps is there and converts.
#
# The consumer: the Elastic Agent "suricata" integration (github.com/elastic/integrations,
# packages/suricata/data_stream/eve/elasticsearch/ingest_pipeline: default.yml, dns.yml,
# dns-answer-v2.yml, tls.yml), the successor of Filebeat's suricata module. FIELDS below lists
# the EVE paths those pipelines read, per event_type, and the ECS field each becomes; the checks
# apply the same conversions (ISO8601 dates, integer ports, "TLS 1.2" dissect, subject kv split,
# fingerprint join, URL grok, status -> event.outcome, flow.state -> event.type).
# Usage: eve_siem_check.py EVE_JSON  (exit 0 when every expected field was found)
import datetime
import json
import re
import sys

COMMON = [("timestamp", "@timestamp"), ("event_type", "event.kind"), ("src_ip", "source.ip"),
          ("dest_ip", "destination.ip"), ("proto", "network.transport"),
          ("flow_id", "network.community_id input")]
PORTS = [("src_port", "source.port"), ("dest_port", "destination.port")]
ALERT = [("alert.action", "event.type (allowed/denied)"), ("alert.signature_id", "rule.id"),
         ("alert.signature", "rule.name"), ("alert.category", "rule.category"),
         ("alert.severity", "event.severity"), ("alert.gid", "suricata.eve.alert.gid"),
         ("alert.rev", "suricata.eve.alert.rev"), ("app_proto", "network.protocol"),
         ("flow.pkts_toserver", "source.packets"), ("flow.pkts_toclient", "destination.packets"),
         ("flow.bytes_toserver", "source.bytes"), ("flow.bytes_toclient", "destination.bytes"),
         ("flow.start", "event.start"), ("direction", "suricata.eve.direction")]
HTTP = [("http.hostname", "destination.domain, url.domain"), ("http.url", "url.original, url.path"),
        ("http.http_user_agent", "user_agent.original"), ("http.http_method", "http.request.method"),
        ("http.protocol", "suricata.eve.http.protocol"), ("http.http_refer", "http.request.referrer")]
HTTP_RESP = [("http.status", "http.response.status_code, event.outcome"),
             ("http.length", "http.response.body.bytes"),
             ("http.http_content_type", "suricata.eve.http.http_content_type")]
DNS_QUERY = [("dns.type", "dns.type"), ("dns.id", "dns.id"), ("dns.rrname", "dns.question.name"),
             ("dns.rrtype", "dns.question.type")]
DNS_ANSWER = DNS_QUERY + [("dns.version", "dns-answer-v2 selector"), ("dns.rcode", "dns.response_code"),
                          ("dns.answers", "dns.answers, dns.resolved_ip"), ("dns.flags", "suricata.eve.dns.flags"),
                          ("dns.qr", "dns.header_flags"), ("dns.rd", "dns.header_flags RD"),
                          ("dns.ra", "dns.header_flags RA")]
# Suricata 7 alerts put the DNS message under dns.query[] / dns.answer (kept as suricata.eve.dns.*)
DNS_ALERT_Q = [("dns.query", "suricata.eve.dns.query")]
TLS = [("tls.sni", "tls.client.server_name, destination.domain"),
       ("tls.version", "tls.version_protocol, tls.version"),
       ("tls.ja3.hash", "tls.client.ja3"), ("tls.ja3s.hash", "tls.server.ja3s"),
       ("tls.subject", "tls.server.subject, tls.server.x509.subject.*"),
       ("tls.issuerdn", "tls.server.issuer, tls.server.x509.issuer.*"),
       ("tls.serial", "tls.server.x509.serial_number"),
       ("tls.fingerprint", "tls.server.hash.sha1")]
FLOW = [("flow.pkts_toserver", "source.packets"), ("flow.pkts_toclient", "destination.packets"),
        ("flow.bytes_toserver", "source.bytes"), ("flow.bytes_toclient", "destination.bytes"),
        ("flow.start", "event.start"), ("flow.end", "event.end, event.duration"),
        ("flow.state", "event.type start/end"), ("flow.age", "suricata.eve.flow.age"),
        ("flow.reason", "suricata.eve.flow.reason"), ("flow.alerted", "suricata.eve.flow.alerted"),
        ("app_proto", "network.protocol")]
TCP_FLOW = [("tcp.tcp_flags", "suricata.eve.tcp.tcp_flags"), ("tcp.tcp_flags_ts", "suricata.eve.tcp.tcp_flags_ts"),
            ("tcp.tcp_flags_tc", "suricata.eve.tcp.tcp_flags_tc")]

errors = []
seen = {}


def get(e, path):
    v = e
    for k in path.split("."):
        if not isinstance(v, dict) or k not in v:
            return None
        v = v[k]
    return v


def need(e, fields, what):
    for path, ecs in fields:
        if get(e, path) is None:
            errors.append("%s: %s (-> %s) missing: %s" % (what, path, ecs, json.dumps(e)[:300]))
        else:
            seen[path] = seen.get(path, 0) + 1


def date(v, what):
    # the pipeline's date processor (ISO8601); Suricata's form 2024-01-02T03:04:05.123456+0000
    try:
        return datetime.datetime.strptime(v, "%Y-%m-%dT%H:%M:%S.%f%z")
    except (TypeError, ValueError):
        errors.append("%s: not an ISO8601 date: %r" % (what, v))
        return None


def check_common(e):
    what = e.get("event_type", "?")
    need(e, COMMON, what)
    date(e.get("timestamp"), what + " timestamp")
    if e.get("proto") in ("TCP", "UDP"):
        need(e, PORTS, what)
        for p in ("src_port", "dest_port"):
            if not isinstance(e.get(p), int):
                errors.append("%s: %s not an integer" % (what, p))
    for p in ("src_ip", "dest_ip"):
        if not re.match(r"^[0-9a-fA-F:.]+$", str(e.get(p, ""))):
            errors.append("%s: %s not an address" % (what, p))


def check_http(e, what, resp):
    need(e, HTTP, what)
    if resp:
        need(e, HTTP_RESP, what)
        st = get(e, "http.status")
        if isinstance(st, int):
            seen["event.outcome=" + ("success" if st < 400 else "failure")] = 1
    url = get(e, "http.url") or ""
    if not re.match(r"^[^?#]*(\?[^#]*)?(#.*)?$", url) or not url.startswith("/"):
        errors.append("%s: http.url does not grok as a path: %r" % (what, url))
    host = get(e, "http.hostname") or ""
    if host != host.lower() or ":" in host:
        errors.append("%s: http.hostname not normalised: %r" % (what, host))


def check_tls(e, what, cert):
    fields = TLS if cert else TLS[:2] + TLS[2:3]
    need(e, fields, what)
    ver = get(e, "tls.version")
    if ver != "UNDETERMINED" and not re.match(r"^(TLS|SSL)\S* ?\S*$", str(ver)):
        errors.append("%s: tls.version does not dissect as 'PROTOCOL VERSION': %r" % (what, ver))
    if cert:
        kv = dict(x.split("=", 1) for x in get(e, "tls.subject").split(", "))
        if "CN" not in kv:
            errors.append("%s: tls.subject has no CN= in the kv split" % what)
        fp = get(e, "tls.fingerprint").upper().split(":")
        if len(fp) != 20 or any(len(x) != 2 for x in fp):
            errors.append("%s: tls.fingerprint is not a colon-separated SHA-1" % what)


def main():
    path = sys.argv[1]
    counts = {}
    for n, line in enumerate(open(path), 1):
        try:
            e = json.loads(line)
        except ValueError as x:
            errors.append("line %d: not JSON: %s" % (n, x))
            continue
        t = e.get("event_type")
        counts[t] = counts.get(t, 0) + 1
        check_common(e)
        if t == "alert":
            need(e, ALERT, "alert")
            date(get(e, "flow.start"), "alert flow.start")
            if get(e, "alert.action") not in ("allowed", "blocked"):
                errors.append("alert: alert.action %r" % get(e, "alert.action"))
            ap = e.get("app_proto")
            if ap == "http":
                check_http(e, "alert/http", get(e, "direction") == "to_client")
            elif ap == "dns":
                if get(e, "dns.query") is not None:
                    need(e, DNS_ALERT_Q, "alert/dns")
                    for q in get(e, "dns.query"):
                        need({"dns": q}, DNS_QUERY, "alert/dns query[]")
                else:
                    need({"dns": get(e, "dns.answer")}, DNS_ANSWER, "alert/dns answer")
            elif ap == "tls":
                check_tls(e, "alert/tls", get(e, "tls.subject") is not None)
        elif t == "http":
            check_http(e, "http", True)
        elif t == "dns":
            if get(e, "dns.type") == "answer":
                need(e, DNS_ANSWER, "dns answer")
                ips = [a.get("rdata") for a in get(e, "dns.answers") or [] if a.get("rrtype") in ("A", "AAAA")]
                if not ips:
                    errors.append("dns answer: no dns.resolved_ip from answers[].rdata")
            else:
                need(e, DNS_QUERY, "dns query")
        elif t == "tls":
            check_tls(e, "tls", True)
        elif t == "flow":
            need(e, FLOW, "flow")
            s, f = date(get(e, "flow.start"), "flow start"), date(get(e, "flow.end"), "flow end")
            if s and f and s > f:
                errors.append("flow: start after end")
            if get(e, "flow.state") not in ("new", "established", "closed"):
                errors.append("flow: flow.state %r" % get(e, "flow.state"))
            if e.get("proto") == "TCP":
                need(e, TCP_FLOW, "flow/tcp")
    for t in ("alert", "http", "dns", "tls", "flow"):
        if not counts.get(t):
            errors.append("no %s event in %s" % (t, path))
    for x in errors:
        print("MISSING " + x)
    print("events: %s; field paths found: %d" % (json.dumps(counts, sort_keys=True), len(seen)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
