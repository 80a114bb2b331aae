# tests/signature/packet_alert_max_3/gen.py: packet-alert-max = 3: only the three first priority-1 rules alert.
from siglib import Capture, CLIENT, SERVER, out_path
from scapy.all import IP, UDP, Raw
cap = Capture()
cap.add(IP(src=CLIENT, dst=SERVER) / UDP(sport=6000, dport=7000) / Raw(b"MANYRULES"))
cap.write(out_path())
