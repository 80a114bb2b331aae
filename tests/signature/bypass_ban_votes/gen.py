# tests/signature/bypass_ban_votes/gen.py: bypass = yes with ban in the chain. Offline the ban
# plugin has no kernel ipsets, so it never votes and no flow is bypassed: a marker past the
# signature plugin's stream depth is still inspected.
from siglib import Capture, TcpSession, out_path

cap = Capture()
a = TcpSession(cap, sport=42201, dport=8080).handshake()
a.send("early-marker" + "x" * 6000 + "late-marker" + "y" * 100, to_server=False, size=1000)
a.close()
cap.write(out_path())
