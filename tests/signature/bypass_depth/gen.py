# tests/signature/bypass_depth/gen.py: flow bypass (bypass = yes, stream-depth 4k): a marker past
# the depth of a bulk flow is not inspected (the flow was bypassed), the same marker in a new
# flow still alerts; a DNS response makes its UDP flow done; a pass rule's flow is done at once.
from scapy.all import DNS, DNSQR, DNSRR, IP, UDP
from siglib import CLIENT, SERVER, Capture, TcpSession, out_path

cap = Capture()
a = TcpSession(cap, sport=42101, dport=8080).handshake()
a.send("early-marker" + "x" * 6000 + "late-marker" + "y" * 100, to_server=False, size=1000)
a.close()
b = TcpSession(cap, sport=42102, dport=8080).handshake()
b.send("GET /late-marker\r\n")
b.close()
q = DNS(id=7, rd=1, qd=DNSQR(qname="example.org"))
cap.add(IP(src=CLIENT, dst=SERVER) / UDP(sport=53001, dport=53) / q)
cap.add(IP(src=SERVER, dst=CLIENT) / UDP(sport=53, dport=53001) /
        DNS(id=7, qr=1, rd=1, ra=1, qd=DNSQR(qname="example.org"),
            an=DNSRR(rrname="example.org", rdata="203.0.113.7")))
cap.add(IP(src=CLIENT, dst=SERVER) / UDP(sport=53001, dport=53) / DNS(id=8, rd=1, qd=DNSQR(qname="late-marker.org")))
p = TcpSession(cap, sport=42103, dport=9090).handshake()
p.send("pass-me")
p.send("late-marker")
p.close()
cap.write(out_path())
