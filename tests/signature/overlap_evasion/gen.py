# tests/signature/overlap_evasion/gen.py: overlapping segments whose second version completes the attack.
from siglib import Capture, TcpSession, out_path
cap = Capture()
s = TcpSession(cap).handshake()
s.seg("GET /cgi?c=/etc/pas", advance=False)          # first version ...
s.seg("GET /cgi?c=/etc/pXX")                          # ... rewritten (different bytes), then
s.seg("swd HTTP/1.0\r\n\r\n")                         # continues the first version's text
s2 = TcpSession(cap, sport=40100).handshake()
s2.seg("GET /a?x=/etc/paXX")                          # benign first version
s2.seg("sswd", seq_off=-2)                            # overlap rewrites "XX" -> "ss", adds "wd"
s2.cseq += 2
s2.seg(" HTTP/1.0\r\n\r\n")
cap.write(out_path())
