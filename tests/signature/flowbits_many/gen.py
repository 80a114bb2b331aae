# tests/signature/flowbits_many/gen.py: 200 flowbit names; the 200th gates a rule, an OR list
# gates another, and one flow sets more bits than a flow holds.
from siglib import Capture, TcpSession, out_path
cap = Capture()
s = TcpSession(cap, dport=7000, sport=40500).handshake()
s.send("GO\r\n")            # fb199 not set yet: no alert for 1; isnotset fb150|fb199: alert 3
s.send("CMD199\r\n")        # sets fb199 (the 200th name), no alert
s.send("GO\r\n")            # alert 1; 2 (fb7|fb199) too; 3 still (fb150 not set)
s.send("CMD150\r\n")
s.send("GO\r\n")            # alert 1, 2; 3 no longer (both set)
t = TcpSession(cap, dport=7000, sport=40501).handshake()
for i in range(30):         # 30 names on one flow: the last 6 do not fit
    t.send("CMD%03d\r\n" % i)
t.send("GO\r\n")            # fb199 unset on this flow: no alert for 1
cap.write(out_path())
