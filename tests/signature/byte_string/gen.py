# tests/signature/byte_string/gen.py: text-encoded lengths and flags read by byte_test/byte_jump
# (10-digit decimal, 0x-prefixed hex, padded with spaces, bitmask, xor).
from siglib import Capture, TcpSession, out_path
cap = Capture()
s = TcpSession(cap, dport=7100, sport=40600).handshake()
s.send("LEN:0012345678\r\n")      # 12345678: below the limit, no alert 71
s.send("LEN:4000000000\r\n")      # 10 digits above 2^31: alert 71
s.send("LEN:    900000\r\n")      # space padded: 900000 < limit, no alert 71; alert 72 (=900000)
s.send("SZ=0x01ffff;\r\n")        # hex with 0x: 0x1ffff > 0xffff, alert 73
s.send("SZ=00000fff;\r\n")        # 0xfff: no alert 73
s.send("N=05abcdeEVIL\r\n")       # jump over 5 bytes: EVIL right after, alert 74
s.send("N=04abcdeEVIL\r\n")       # jump lands on e: no alert 74
s.send(b"FLG\x03\x10\r\n")        # bits 8-9 = 3: alert 75
s.send(b"FLG\x01\x10\r\n")        # bits 8-9 = 1: no alert 75
s.send(b"XOR\x5a\r\n")            # 0x5a ^ 0x5a = 0: no alert 76
s.send(b"XOR\x5b\r\n")            # non-zero: alert 76
cap.write(out_path())
