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
