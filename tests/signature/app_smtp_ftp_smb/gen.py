# tests/signature/app_smtp_ftp_smb/gen.py: SMTP (ports 25 and 2525), FTP and SMB (SMB2 over NetBIOS) sessions, and a "220" banner whose client sends no SMTP or FTP command, for protocol detection of header rules.
import struct
from siglib import Capture, TcpSession, out_path


def smtp(cap, sport, dport):
    s = TcpSession(cap, sport=sport, dport=dport).handshake()
    s.send("220 mail.example ESMTP ready\r\n", to_server=False)
    s.send("EHLO client.example\r\n")
    s.send("250-mail.example\r\n250 8BITMIME\r\n", to_server=False)
    s.send("MAIL FROM:<a@client.example>\r\n")
    s.send("250 ok\r\n", to_server=False)
    s.send("QUIT\r\n")
    s.send("221 bye\r\n", to_server=False)
    s.close()


def smb2(command, flags):
    hdr = b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ16s", 64, 0, 0, command, 1, flags, 0, 0, 0xfeff, 0, 0, bytes(16))
    body = struct.pack("<HHHHI16sQ", 36, 1, 1, 0, 0x7f, bytes(16), 0) + b"\x02\x02"
    msg = hdr + body
    return b"\x00" + struct.pack("!I", len(msg))[1:] + msg


cap = Capture()
smtp(cap, 46001, 25)
# FTP
s = TcpSession(cap, sport=46002, dport=21).handshake()
s.send("220 FTP server ready\r\n", to_server=False)
s.send("USER anonymous\r\n")
s.send("331 Please specify the password.\r\n", to_server=False)
s.send("PASS guest@\r\n")
s.send("230 Login successful.\r\n", to_server=False)
s.close()
# SMB2 negotiate over NetBIOS on 445
s = TcpSession(cap, sport=46003, dport=445).handshake()
s.send(smb2(0, 0))
s.send(smb2(0, 1), to_server=False)
s.close()
# SMTP on another port: detected by content
smtp(cap, 46004, 2525)
# a 220 banner, then no SMTP or FTP command: neither
s = TcpSession(cap, sport=46005, dport=25).handshake()
s.send("220 something else\r\n", to_server=False)
s.send("QUIT now please\r\n")
s.close()
cap.write(out_path())
