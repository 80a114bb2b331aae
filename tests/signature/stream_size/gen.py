# tests/signature/stream_size/gen.py: one TCP flow; rules gated on how much each side has sent
# (in-order bytes + 1 for the SYN, as Suricata's next_seq - ISN).
from siglib import Capture, TcpSession, out_path
cap = Capture()
s = TcpSession(cap, dport=7200, sport=40700).handshake()
s.send("HELLO\r\n", to_server=False)   # server 8: alert 82
s.send("BYE\r\n")                      # client 6, server 8: no alert 83
for i in range(5):                     # client 612, 1218, 1824, 2430, 3036: alert 81 twice
    s.send("PART" + "x" * 600 + "\r\n")
s.send("DATA" * 300, to_server=False)  # server 1208
s.send("HELLO\r\n", to_server=False)   # server 1215: no alert 82
s.send("BYE\r\n")                      # client 3041, server 1215: alert 83
s.close()
cap.write(out_path())
