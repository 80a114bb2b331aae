# tests/signature/xbits_table_size/gen.py: with xbits-table-size = 8 (one bucket), nine hosts
# mark themselves: the first mark (the one that lapses first) is evicted and counted.
from siglib import Capture, TcpSession, out_path
cap = Capture()
for i in range(9):
    s = TcpSession(cap, client="198.51.100.%d" % (20 + i), dport=7300, sport=40900 + i).handshake()
    s.send("LOGIN FAIL\r\n")
for i in (0, 1):                           # host 20 was evicted: no alert; host 21 still marked
    s = TcpSession(cap, client="198.51.100.%d" % (20 + i), dport=7300, sport=41000 + i).handshake()
    s.send("GET /admin\r\n")
cap.write(out_path())
