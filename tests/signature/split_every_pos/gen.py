# tests/signature/split_every_pos/gen.py: the same attack split into two segments at every position.
from siglib import Capture, TcpSession, out_path
cap = Capture()
msg = b"POST /x HTTP/1.1\r\n\r\nid=1 UNION SELECT password FROM users"
pat = msg.index(b"UNION SELECT")
for i, cut in enumerate(range(pat - 2, pat + len(b"UNION SELECT") + 2)):
    s = TcpSession(cap, sport=41000 + i).handshake()
    s.seg(msg[:cut]).seg(msg[cut:]).close()
cap.write(out_path())
