# tests/signature/dns_tls/gen.py: DNS queries/responses over UDP (one on a non-53 port) and TCP, TLS ClientHello/ServerHello (SNI, JA3, JA3S).
import struct
from scapy.all import IP, TCP, UDP, Raw, DNS, DNSQR, DNSRR
from siglib import Capture, TcpSession, CLIENT, SERVER, out_path, tls13_hellos

cap = Capture()
# UDP DNS: query for a listed domain and its answer
q = DNS(id=0x1234, rd=1, qd=DNSQR(qname="malware.bad.example", qtype="A"))
cap.add(IP(src=CLIENT, dst=SERVER) / UDP(sport=53001, dport=53) / q)
r = DNS(id=0x1234, qr=1, aa=1, qd=DNSQR(qname="malware.bad.example", qtype="A"),
        an=DNSRR(rrname="malware.bad.example", type="A", rdata="203.0.113.9"))
cap.add(IP(src=SERVER, dst=CLIENT) / UDP(sport=53, dport=53001) / r)
# DNS on port 5353 (detected by content), TXT query
cap.add(IP(src=CLIENT, dst=SERVER) / UDP(sport=53002, dport=5353) / DNS(id=7, rd=1, qd=DNSQR(qname="c2.tunnel.example", qtype="TXT")))
# not DNS on port 53
cap.add(IP(src=CLIENT, dst=SERVER) / UDP(sport=53003, dport=53) / Raw(load=b"malware.bad.example garbage"))
# DNS over TCP
s = TcpSession(cap, sport=41010, dport=53).handshake()
m = bytes(DNS(id=9, rd=1, qd=DNSQR(qname="tcp.bad.example", qtype="AAAA")))
s.send(struct.pack("!H", len(m)) + m)
s.close()


ch, sh = tls13_hellos()
# TLS on port 8443, the ClientHello split into 10-byte segments
t = TcpSession(cap, sport=41011, dport=8443).handshake()
t.send(ch, size=10)
t.send(sh, to_server=False)
t.close()
cap.write(out_path())
