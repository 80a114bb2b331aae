# tests/signature/flowbits_threshold/gen.py: a login then commands in one flow; five failed logins in another.
from siglib import Capture, TcpSession, out_path
cap = Capture()
s = TcpSession(cap, dport=21, sport=40400).handshake()
s.send("RETR secret\r\n")          # before login: no alert
s.send("USER admin\r\n")
s.send("RETR secret\r\n")          # after login: alert
s.send("RETR secret2\r\n")         # after login: alert
t = TcpSession(cap, dport=21, sport=40401).handshake()
for i in range(5):
    t.send("530 Login incorrect.\r\n", to_server=False)
cap.write(out_path())
