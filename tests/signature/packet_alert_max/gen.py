# tests/signature/packet_alert_max/gen.py: one packet that 20 alert rules match (packet-alert-max keeps the first in rule order).
from siglib import Capture, CLIENT, SERVER, out_path
from scapy.all import IP, UDP, Raw
cap = Capture()
cap.add(IP(src=CLIENT, dst=SERVER) / UDP(sport=6000, dport=7000) / Raw(b"MANYRULES"))
cap.write(out_path())
