/* plugins/signature/sig_kwtab.c: the keyword table and the names of Suricata keywords natwarden lacks. */
#include <string.h>
#include "sig.h"

static const struct sig_kw sig_keywords[] = {
	{ "msg", "alert message", 0, sig_kw_msg, NULL },
	{ "sid", "signature id", 0, sig_kw_sid, NULL },
	{ "rev", "signature revision", 0, sig_kw_rev, NULL },
	{ "gid", "generator id (default 1)", 0, sig_kw_gid, NULL },
	{ "classtype", "classification (classification.config)", 0, sig_kw_classtype, NULL },
	{ "priority", "priority 1 (high)..255, overrides the classtype's", 0, sig_kw_priority, NULL },
	{ "reference", "external reference type,id (kept)", 0, sig_kw_reference, NULL },
	{ "metadata", "free-form metadata (kept)", 0, sig_kw_metadata, NULL },
	{ "content", "match bytes in the payload", 0, sig_kw_content, sig_content_free },
	{ "nocase", "content: case-insensitive", SIG_KW_NOARG, sig_kw_nocase, NULL },
	{ "offset", "content: start looking at byte N", 0, sig_kw_offset, NULL },
	{ "depth", "content: look only in N bytes from offset", 0, sig_kw_depth, NULL },
	{ "distance", "content: start N bytes after the previous match", 0, sig_kw_distance, NULL },
	{ "within", "content: end within N bytes after the previous match", 0, sig_kw_within, NULL },
	{ "fast_pattern", "content: use as the prefilter pattern", SIG_KW_OPTARG,
	  sig_kw_fast_pattern, NULL },
	{ "startswith", "content: at the start of the buffer", SIG_KW_NOARG, sig_kw_startswith,
	  NULL },
	{ "endswith", "content: at the end of the buffer", SIG_KW_NOARG, sig_kw_endswith, NULL },
	{ "rawbytes", "content: no effect (no normalisation is done)", SIG_KW_NOARG,
	  sig_kw_rawbytes, NULL },
	{ "isdataat", "data present at N (relative)", 0, sig_kw_isdataat, sig_free_plain },
	{ "pcre", "PCRE2 regular expression /re/flags", 0, sig_kw_pcre, sig_pcre_free },
	{ "flow", "flow state and direction", 0, sig_kw_flow, NULL },
	{ "flowbits", "per-flow named bits", 0, sig_kw_flowbits, NULL },
	{ "noalert", "match without alerting (like flowbits:noalert)", SIG_KW_NOARG, sig_kw_noalert,
	  NULL },
	{ "flags", "TCP flags", 0, sig_kw_flags, sig_free_plain },
	{ "dsize", "payload size of the packet", 0, sig_kw_dsize, sig_free_plain },
	{ "ttl", "IP TTL / hop limit", 0, sig_kw_ttl, sig_free_plain },
	{ "itype", "ICMP type", 0, sig_kw_itype, sig_free_plain },
	{ "icode", "ICMP code", 0, sig_kw_icode, sig_free_plain },
	{ "icmp_id", "ICMP echo id", 0, sig_kw_icmp_id, sig_free_plain },
	{ "icmp_seq", "ICMP echo sequence", 0, sig_kw_icmp_seq, sig_free_plain },
	{ "ip_proto", "IP protocol number or name", 0, sig_kw_ip_proto, sig_free_plain },
	{ "threshold", "alert thresholding", 0, sig_kw_threshold, NULL },
	{ "detection_filter", "match only after count hits in seconds", 0,
	  sig_kw_detection_filter, NULL },
	{ "byte_test", "compare bytes of the payload with a value", 0, sig_kw_byte_test,
	  sig_free_plain },
	{ "byte_jump", "move the inspection point by a value read from the payload", 0,
	  sig_kw_byte_jump, sig_free_plain },
	/* application layer: sticky buffers (Suricata 5+ names and legacy spellings) */
#define SIG_STICKY(n, d) { n, d, SIG_KW_NOARG, sig_kw_sticky, NULL }
	SIG_STICKY("pkt_data", "back to the packet payload / TCP stream"),
	SIG_STICKY("http.method", "HTTP request method"),
	SIG_STICKY("http.uri", "HTTP request URI, normalised (path decoded)"),
	SIG_STICKY("http.uri.raw", "HTTP request URI as sent"),
	SIG_STICKY("http.host", "HTTP host, normalised (lower case, no port)"),
	SIG_STICKY("http.host.raw", "HTTP Host header as sent"),
	SIG_STICKY("http.user_agent", "HTTP User-Agent header value"),
	SIG_STICKY("http.header", "HTTP headers, 'Name: value\r\n' each (request or response by flow)"),
	SIG_STICKY("http.header.raw", "HTTP header block as received"),
	SIG_STICKY("http.header_names", "HTTP header names, '\r\n'-separated"),
	SIG_STICKY("http.cookie", "HTTP Cookie (request) / Set-Cookie (response) value"),
	SIG_STICKY("http.content_type", "HTTP Content-Type value"),
	SIG_STICKY("http.content_len", "HTTP Content-Length value"),
	SIG_STICKY("http.request_line", "HTTP request line"),
	SIG_STICKY("http.request_body", "HTTP request body (dechunked, decompressed, limited)"),
	SIG_STICKY("http.stat_code", "HTTP response status code"),
	SIG_STICKY("http.stat_msg", "HTTP response status message"),
	SIG_STICKY("http.response_line", "HTTP response line"),
	SIG_STICKY("http.response_body", "HTTP response body (dechunked, decompressed, limited)"),
	SIG_STICKY("file.data", "HTTP body: response (request with flow:to_server)"),
	SIG_STICKY("file_data", "HTTP body: response (request with flow:to_server)"),
	SIG_STICKY("http.server", "HTTP Server header value"),
	SIG_STICKY("http.location", "HTTP Location header value"),
	SIG_STICKY("http.protocol", "HTTP protocol (HTTP/1.1)"),
	SIG_STICKY("http.start", "HTTP start line and headers"),
	SIG_STICKY("http.referer", "HTTP Referer value"),
	SIG_STICKY("http.accept", "HTTP Accept value"),
	SIG_STICKY("http.accept_enc", "HTTP Accept-Encoding value"),
	SIG_STICKY("http.accept_lang", "HTTP Accept-Language value"),
	SIG_STICKY("http.connection", "HTTP Connection value"),
	SIG_STICKY("http.request_header", "each HTTP request header as 'Name: value'"),
	SIG_STICKY("http.response_header", "each HTTP response header as 'Name: value'"),
	SIG_STICKY("http_request_line", "legacy name of http.request_line"),
	SIG_STICKY("http_response_line", "legacy name of http.response_line"),
	SIG_STICKY("http_start", "legacy name of http.start"),
	SIG_STICKY("http_header_names", "legacy name of http.header_names"),
	SIG_STICKY("http_accept", "legacy name of http.accept"),
	SIG_STICKY("http_accept_enc", "legacy name of http.accept_enc"),
	SIG_STICKY("http_accept_lang", "legacy name of http.accept_lang"),
	SIG_STICKY("http_connection", "legacy name of http.connection"),
	SIG_STICKY("http_content_len", "legacy name of http.content_len"),
	SIG_STICKY("http_content_type", "legacy name of http.content_type"),
	SIG_STICKY("http_protocol", "legacy name of http.protocol"),
	SIG_STICKY("http_referer", "legacy name of http.referer"),
	SIG_STICKY("http_server", "legacy name of http.server"),
	SIG_STICKY("http_location", "legacy name of http.location"),
	SIG_STICKY("dns.query", "each DNS question name, dotted"),
	SIG_STICKY("dns.query.name", "each DNS question name, dotted"),
	SIG_STICKY("dns_query", "legacy name of dns.query"),
	SIG_STICKY("dns.answer.name", "each DNS answer record name, dotted"),
	SIG_STICKY("tls.sni", "TLS ClientHello server name"),
	SIG_STICKY("tls_sni", "legacy name of tls.sni"),
	SIG_STICKY("ja3.hash", "JA3 hash of the ClientHello (hex MD5)"),
	SIG_STICKY("ja3_hash", "legacy name of ja3.hash"),
	SIG_STICKY("ja3.string", "JA3 string of the ClientHello"),
	SIG_STICKY("ja3_string", "legacy name of ja3.string"),
	SIG_STICKY("ja3s.hash", "JA3S hash of the ServerHello (hex MD5)"),
	SIG_STICKY("ja3s_hash", "legacy name of ja3s.hash"),
	SIG_STICKY("ja3s.string", "JA3S string of the ServerHello"),
	SIG_STICKY("tls.cert_subject", "subject of the server's first certificate (TLS <= 1.2)"),
	SIG_STICKY("tls_cert_subject", "legacy name of tls.cert_subject"),
	SIG_STICKY("tls.cert_issuer", "issuer of the server's first certificate (TLS <= 1.2)"),
	SIG_STICKY("tls_cert_issuer", "legacy name of tls.cert_issuer"),
	SIG_STICKY("tls.cert_serial", "serial number of the server's first certificate, AB:CD:.."),
	SIG_STICKY("tls_cert_serial", "legacy name of tls.cert_serial"),
	SIG_STICKY("tls.cert_fingerprint", "SHA-1 of the server's first certificate, ab:cd:.."),
	SIG_STICKY("tls_cert_fingerprint", "legacy name of tls.cert_fingerprint"),
#undef SIG_STICKY
	/* legacy content modifiers */
#define SIG_MOD(n) { n, "content modifier: the preceding content is in that HTTP buffer", \
		     SIG_KW_NOARG, sig_kw_legacy_mod, NULL }
	SIG_MOD("http_uri"), SIG_MOD("http_raw_uri"), SIG_MOD("http_header"),
	SIG_MOD("http_raw_header"), SIG_MOD("http_method"), SIG_MOD("http_cookie"),
	SIG_MOD("http_raw_cookie"), SIG_MOD("http_user_agent"), SIG_MOD("http_host"),
	SIG_MOD("http_raw_host"), SIG_MOD("http_client_body"), SIG_MOD("http_server_body"),
	SIG_MOD("http_stat_code"), SIG_MOD("http_stat_msg"),
#undef SIG_MOD
	/* transforms of the sticky buffer */
#define SIG_XF(n, d) { n, d, SIG_KW_NOARG, sig_kw_xform, NULL }
	SIG_XF("to_lowercase", "transform: lower-case the buffer"),
	SIG_XF("strip_whitespace", "transform: remove all white space"),
	SIG_XF("compress_whitespace", "transform: runs of white space become one space"),
	SIG_XF("url_decode", "transform: %XX and '+' decoding"),
	SIG_XF("dotprefix", "transform: prepend a '.' (domain suffix matching)"),
	SIG_XF("header_lowercase", "transform: lower-case header names"),
	SIG_XF("strip_pseudo_headers", "transform: no effect (HTTP/2 only)"),
#undef SIG_XF
	{ "bsize", "size of the sticky buffer: N, <N, >N, N<>M", 0, sig_kw_bsize, sig_free_plain },
	{ "urilen", "length of the HTTP URI: N, <N, >N, N<>M[,norm|raw]", 0, sig_kw_urilen,
	  sig_free_plain },
	{ "dns.opcode", "DNS opcode", 0, sig_kw_dns_opcode, sig_free_plain },
	{ "dns.rrtype", "DNS question type (number or name)", 0, sig_kw_dns_rrtype,
	  sig_free_plain },
	{ "tls.version", "TLS version (1.0 .. 1.3)", 0, sig_kw_tls_version, sig_free_plain },
};

/* Suricata 7 keywords natwarden does not implement: "not supported by natwarden" */
static const char *const sig_suricata_names[] = {
	"app-layer-event", "app-layer-protocol", "asn1", "base64_data", "base64_decode", "bsize",
	"byte_extract", "byte_math", "bypass", "cip_attribute", "cip_class", "cip_extendedstatus",
	"cip_instance", "cip_service", "cip_status", "config", "dataset", "datarep",
	"dce_iface", "dce_opnum", "dce_stub_data", "decode-event", "dhcp.leasetime",
	"dnp3_data", "dnp3_func", "dnp3_ind", "dnp3_obj", "dns.opcode", "dns.query", "dns_query",
	"engine-event", "enip_command", "file.data", "file_data", "fileext", "filemagic", "filemd5",
	"filename", "filesha1", "filesha256", "filesize", "filestore", "flow.age", "flowint",
	"flowvar", "fragbits", "fragoffset", "frame", "ftpbounce", "ftpdata_command",
	"geoip", "http.accept", "http.accept_enc", "http.accept_lang", "http.connection",
	"http.content_len", "http.content_type", "http.cookie", "http.header", "http.header_names",
	"http.host", "http.location", "http.method", "http.protocol", "http.referer",
	"http.request_body", "http.request_header", "http.request_line", "http.response_body",
	"http.response_header", "http.response_line", "http.server", "http.start", "http.stat_code",
	"http.stat_msg", "http.uri", "http.uri.raw", "http.user_agent", "http_accept",
	"http_client_body", "http_cookie", "http_header", "http_header_names", "http_host",
	"http_method", "http_protocol", "http_raw_header", "http_raw_host", "http_raw_uri",
	"http_request_line", "http_response_line", "http_server_body", "http_start",
	"http_stat_code", "http_stat_msg", "http_uri", "http_user_agent", "icmpv4.hdr",
	"icmpv6.hdr", "icmpv6.mtu", "id", "ike.chosen_sa_attribute", "ike.exchtype",
	"ike.key_exchange_payload", "ike.nonce_payload", "ike.spi.initiator",
	"ike.spi.responder", "ike.vendor", "ipopts", "ipv4.hdr", "ipv6.hdr", "ja3.hash",
	"ja3.string", "ja3_hash", "ja3s.hash", "ja3s.string", "krb5.cname", "krb5.sname",
	"krb5_err_code", "krb5_msg_type", "lua", "luajit", "modbus", "mqtt.type", "nfs_procedure",
	"pcrexform", "pkt_data", "prefilter", "quic.cyu.hash", "quic.version",
	"replace", "rfb.name", "rpc", "sameip", "seq", "ack", "sip.method", "sip.uri",
	"smb.named_pipe", "smb.share", "snmp.community", "snmp.pdu_type", "snmp.version",
	"ssh.hassh", "ssh.proto", "ssh.software", "ssh_proto", "ssh_software", "ssh.protoversion",
	"ssh.softwareversion", "ssl_state", "ssl_version", "stream-event", "stream_size", "tag",
	"target", "tcp.hdr", "tcp.mss", "template", "tls.cert_fingerprint", "tls.cert_issuer",
	"tls.cert_serial", "tls.cert_subject", "tls.certs", "tls.fingerprint", "tls.issuerdn",
	"tls.sni", "tls.store", "tls.subject", "tls.version", "tls_cert_fingerprint",
	"tls_cert_issuer", "tls_cert_serial", "tls_cert_subject", "tls_sni", "to_lowercase",
	"to_md5", "to_sha1", "to_sha256", "transform", "udp.hdr", "uricontent", "urilen",
	"window", "xbits", "compress_whitespace", "strip_whitespace", "dotprefix", "url_decode",
	"xor", "header_lowercase", "strip_pseudo_headers", "from_base64", "iprep",
	"flow.pkts", "flow.bytes", "tcp.flags", "requires", "entropy", "http2.frametype", "http2.errorcode", "http2.header", "http2.headername", "dns.answer.name",
	"dns.query.name", "email.from", "email.subject", "email.to", "tls.random",
	"file.name", "file.magic", "sip.protocol", "ldap.request.operation", "mqtt.topic",
	"snmp.usm", "tos", "tls.alpn", "quic.sni", "quic.ua", "ssh.hassh.server",
	"ssh.hassh.string", "ssh.hassh.server.string", "pgsql.query", "websocket.payload",
};

const struct sig_kw *sig_kw_find(const char *name)
{
	for (size_t i = 0; i < sizeof(sig_keywords) / sizeof(sig_keywords[0]); i++)
		if (!strcmp(sig_keywords[i].name, name))
			return &sig_keywords[i];
	return NULL;
}

int sig_kw_is_suricata(const char *name)
{
	for (size_t i = 0; i < sizeof(sig_suricata_names) / sizeof(sig_suricata_names[0]); i++)
		if (!strcmp(sig_suricata_names[i], name))
			return 1;
	return 0;
}

const struct sig_kw *sig_kw_table(unsigned *n)
{
	*n = (unsigned)(sizeof(sig_keywords) / sizeof(sig_keywords[0]));
	return sig_keywords;
}
