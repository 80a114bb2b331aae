#!/usr/bin/env python3
# bench/sig_et_sample_gen.py: writes tests/data/et_sample.rules, ET Open-style rules (Suricata 5+ syntax) in a realistic keyword mix.
import random
import sys

R = random.Random(4242)
WORDS = ["admin", "login", "shell", "upload", "config", "backup", "wp-content", "cgi-bin", "api",
         "invoke", "exec", "cmd", "payload", "gate", "panel", "beacon", "update", "check", "task"]
TLDS = [".top", ".xyz", ".su", ".tk", ".pw", ".cc", ".ru", ".onion", ".duckdns.org", ".ngrok.io"]
UAS = ["Mozilla/4.0 (compatible|3b| MSIE 6.0)", "python-requests/", "curl/", "Go-http-client/1.1",
       "WinHTTP", "AutoIt", "NSIS_Inetc", "Wget/"]
sid = [2900000]
out = []


def w():
    return R.choice(WORDS)


def rule(action, proto, src, sp, dst, dp, body, msg):
    sid[0] += 1
    out.append(f'{action} {proto} {src} {sp} -> {dst} {dp} (msg:"ET {msg}"; {body} '
               f'classtype:{R.choice(["trojan-activity", "web-application-attack", "bad-unknown", "policy-violation", "attempted-admin"])}; '
               f'sid:{sid[0]}; rev:{R.randint(1, 5)}; metadata:created_at 2024_01_01, updated_at 2024_01_01;)')


def http_out(i):
    k = i % 9
    u = f"/{w()}/{w()}.php"
    if k == 0:
        b = f'flow:established,to_server; http.method; content:"POST"; http.uri; content:"{u}"; fast_pattern; endswith; http.header_names; content:!"Referer"; '
    elif k == 1:
        b = f'flow:established,to_server; http.uri; content:"/{w()}?id="; startswith; http.user_agent; content:"{R.choice(UAS)}"; startswith; '
    elif k == 2:
        b = f'flow:established,to_server; http.host; content:"{w()}{R.choice(TLDS)}"; endswith; fast_pattern; '
    elif k == 3:
        b = f'flow:established,to_server; content:"GET"; http_method; content:"{u}"; http_uri; content:"User-Agent|3a 20|{R.choice(UAS)}"; http_header; '
    elif k == 4:
        b = f'flow:established,to_server; http.request_body; content:"{w()}="; startswith; content:"&{w()}="; distance:0; pcre:"/^{w()}=[a-f0-9]{{16}}/P"; '
    elif k == 5:
        b = f'flow:established,to_client; http.stat_code; content:"200"; file.data; content:"MZ"; within:2; content:"This program"; distance:0; '
    elif k == 6:
        b = f'flow:established,to_server; http.uri; content:"{u}"; http.cookie; content:"{w()}="; flowbits:set,ET.{w()}; '
    elif k == 7:
        b = f'flow:established,to_server; http.uri.raw; content:"%2e%2e%2f"; nocase; urilen:>20; http.header; content:"Accept|3a 20|*/*"; '
    else:
        b = f'flow:established,to_client; flowbits:isset,ET.{w()}; file_data; content:"<script>"; nocase; content:"eval("; distance:0; pcre:"/eval\\(\\s*atob/i"; '
    rule("alert", "http", "$HOME_NET", "any", "$EXTERNAL_NET", "any", b, f"MALWARE Sample HTTP {i}")


def http_in(i):
    k = i % 6
    if k == 0:
        b = f'flow:established,to_server; http.uri; content:"/{w()}/"; content:"cmd="; distance:0; pcre:"/cmd=[^&]*(?:wget|curl)/Ui"; '
    elif k == 1:
        b = f'flow:established,to_server; http.method; content:"POST"; http.uri; content:"/{w()}.cgi"; bsize:<40; http.request_body; url_decode; content:"|3b|wget http"; '
    elif k == 2:
        b = f'flow:established,to_server; content:"/{w()}.jsp"; http_uri; nocase; content:"${{jndi:"; http_header; '
    elif k == 3:
        b = f'flow:established,to_server; http.header; to_lowercase; content:"x-forwarded-for|3a 20|127.0.0.1"; '
    elif k == 4:
        b = f'flow:established,to_server; http.request_line; content:"/../../"; http.protocol; content:"HTTP/1.0"; '
    else:
        b = f'flow:established,to_server; http.start; content:"{w()}"; http.content_type; content:"multipart/form-data"; '
    rule("alert", "http", "$EXTERNAL_NET", "any", "$HOME_NET", "any", b, f"WEB_SERVER Sample {i}")


def dns(i):
    k = i % 4
    d = f"{w()}{R.randint(1, 99)}{R.choice(TLDS)}"
    if k == 0:
        b = f'dns.query; content:"{d}"; nocase; bsize:{len(d)}; '
    elif k == 1:
        b = f'dns.query; dotprefix; content:".{d}"; nocase; endswith; '
    elif k == 2:
        b = f'dns.query; content:"{R.choice(TLDS)}"; endswith; threshold:type limit, track by_src, count 1, seconds 60; '
    else:
        b = f'dns_query; content:"{w()}"; dns.opcode:0; '
    rule("alert", "dns", "$HOME_NET", "any", "any", "any", b, f"DNS Query Sample {i}")


def tls(i):
    k = i % 3
    if k == 0:
        b = f'flow:established,to_server; tls.sni; content:"{w()}{R.choice(TLDS)}"; endswith; fast_pattern; '
    elif k == 1:
        b = f'ja3.hash; content:"{R.getrandbits(128):032x}"; '
    else:
        b = f'flow:established,to_client; ja3s.hash; content:"{R.getrandbits(128):032x}"; '
    rule("alert", "tls", "$HOME_NET", "any", "$EXTERNAL_NET", "any", b, f"TLS Sample {i}")


def pkt(i):
    k = i % 3
    if k == 0:
        b = f'flow:established,to_server; content:"|00 00 00|{w()}"; depth:32; byte_test:1,>,10,0; '
        rule("alert", "tcp", "$EXTERNAL_NET", "any", "$HOME_NET", R.choice(["445", "3389", "1433", "[1024:]"]), b, f"EXPLOIT Sample {i}")
    elif k == 1:
        b = f'content:"|de ad|{w()}"; offset:4; dsize:<200; '
        rule("alert", "udp", "any", "any", "$HOME_NET", "any", b, f"SCAN Sample {i}")
    else:
        b = 'itype:8; dsize:>800; '
        rule("alert", "icmp", "$EXTERNAL_NET", "any", "$HOME_NET", "any", b, f"ICMP Sample {i}")


def unsupported(i):
    k = i % 10
    if k == 0:
        rule("alert", "smb", "any", "any", "any", "any", 'smb.named_pipe; content:"svcctl"; ', f"SMB Sample {i}")
    elif k == 1:
        rule("alert", "smtp", "$EXTERNAL_NET", "any", "$HOME_NET", "any", 'file_data; content:"X-Mailer"; ', f"SMTP Sample {i}")
    elif k == 2:
        rule("alert", "ftp", "any", "any", "any", "any", 'content:"USER anonymous"; ', f"FTP Sample {i}")
    elif k == 3:
        rule("alert", "ssh", "any", "any", "any", "any", 'ssh.software; content:"libssh"; ', f"SSH Sample {i}")
    elif k == 4:
        rule("alert", "tls", "$EXTERNAL_NET", "any", "$HOME_NET", "any", 'tls.cert_subject; content:"CN=localhost"; ', f"TLS cert Sample {i}")
    elif k == 5:
        rule("alert", "http", "any", "any", "any", "any", 'http.uri; content:"/x"; byte_extract:2,0,len,relative; ', f"byte_extract Sample {i}")
    elif k == 6:
        rule("alert", "http", "any", "any", "any", "any", 'file_data; base64_decode:bytes 100; base64_data; content:"MZ"; ', f"base64 Sample {i}")
    elif k == 7:
        rule("alert", "dns", "any", "any", "any", "any", 'dns.query; dataset:isset,bad-domains; ', f"dataset Sample {i}")
    elif k == 8:
        rule("alert", "http2", "any", "any", "any", "any", 'http2.header; content:"x"; ', f"HTTP2 Sample {i}")
    else:
        rule("alert", "krb5", "any", "any", "any", "any", 'krb5.cname; content:"admin"; ', f"KRB5 Sample {i}")


# proportions: ~60% HTTP, 12% DNS, 8% TLS, 8% packet, 12% outside what natwarden parses
for i in range(150):
    http_out(i)
for i in range(60):
    http_in(i)
for i in range(42):
    dns(i)
for i in range(28):
    tls(i)
for i in range(28):
    pkt(i)
for i in range(42):
    unsupported(i)
R.shuffle(out)
hdr = ("# tests/data/et_sample.rules: ET Open-style rules (Suricata 5+ syntax) in a realistic keyword mix,\n"
       "# generated by bench/sig_et_sample_gen.py (fixed seed); used by the load report test.\n")
open(sys.argv[1] if len(sys.argv) > 1 else "et_sample.rules", "w").write(hdr + "\n".join(out) + "\n")
