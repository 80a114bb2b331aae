# tests/signature/flow_drop_any_proto/gen.py: a drop rule on a UDP flow and on an ICMP echo flow; their later packets (both ways) are dropped too.
from siglib import Capture, CLIENT, SERVER, out_path
from scapy.all import IP, UDP, ICMP, Raw
cap = Capture()
u = lambda d, back=False: (IP(src=SERVER, dst=CLIENT) / UDP(sport=9999, dport=5000) if back
                           else IP(src=CLIENT, dst=SERVER) / UDP(sport=5000, dport=9999)) / Raw(d)
cap.add(u(b"hello"))                 # accepted
cap.add(u(b"run EVILCMD now"))       # dropped by sid 90
for _ in range(2):
    cap.add(u(b"more"))              # dropped: the flow
cap.add(u(b"again EVILCMD"))        # dropped: the flow, no new alert
cap.add(u(b"reply", back=True))      # dropped: the flow, the other way
for i in range(2):                   # another UDP flow: accepted
    cap.add(IP(src=CLIENT, dst=SERVER) / UDP(sport=5001, dport=9999) / Raw(b"hello"))
e = lambda seq, d: IP(src=CLIENT, dst=SERVER) / ICMP(type=8, id=99, seq=seq) / Raw(d)
cap.add(e(0, b"ping"))               # accepted
cap.add(e(1, b"ping EVILPING"))      # dropped by sid 91
cap.add(e(2, b"ping"))               # dropped: the flow
cap.add(e(3, b"ping EVILPING"))      # dropped: the flow, no new alert
cap.write(out_path())
