# tests/signature/action_final_verdict/gen.py: an `alert` rule on every datagram of a source that a rate limit later in the chain drops after its burst.
from siglib import Capture, CLIENT, SERVER, out_path
from scapy.all import IP, UDP, Raw
cap = Capture()
for i in range(5):
    cap.add(IP(src=CLIENT, dst=SERVER) / UDP(sport=6300, dport=6400) / Raw(b"knock %d" % i))
cap.write(out_path())
