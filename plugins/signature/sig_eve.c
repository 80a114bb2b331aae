/* plugins/signature/sig_eve.c: the http, dns and tls objects of EVE events, with Suricata's field names. */
#include <stdio.h>
#include <string.h>
#include "sig_app.h"

static void sig_eve_str(struct nw_event *ev, const char *key, const char *s)
{
	nw_ev_put_str(ev, key, s, strlen(s));
}

/* an HTTP buffer of the transaction, if it has one */
static void sig_eve_http_buf(struct nw_event *ev, struct sig_appctx *ac, const char *key,
			     unsigned buf, int resp)
{
	const uint8_t *p;
	size_t n;

	if (sig_http_buffer(ac, buf, resp, 0, &p, &n) && n)
		nw_ev_put_str(ev, key, (const char *)p, n);
}

void sig_eve_http(struct nw_event *ev, struct sig_appctx *ac)
{
	const uint8_t *p;
	size_t n;
	uint64_t len;

	if (!ac->tx)
		return;
	nw_ev_open(ev, "http");
	sig_eve_http_buf(ev, ac, "hostname", SIG_BUF_HTTP_HOST, 0);
	sig_eve_http_buf(ev, ac, "url", SIG_BUF_HTTP_URI_RAW, 0);
	sig_eve_http_buf(ev, ac, "http_user_agent", SIG_BUF_HTTP_UA, 0);
	sig_eve_http_buf(ev, ac, "http_content_type", SIG_BUF_HTTP_CONTENT_TYPE, 1);
	sig_eve_http_buf(ev, ac, "http_refer", SIG_BUF_HTTP_REFERER, 0);
	sig_eve_http_buf(ev, ac, "http_method", SIG_BUF_HTTP_METHOD, 0);
	sig_eve_http_buf(ev, ac, "protocol", SIG_BUF_HTTP_PROTOCOL, 0);
	if (sig_http_buffer(ac, SIG_BUF_HTTP_STAT_CODE, 1, 0, &p, &n) && n > 0 && n < 4) {
		unsigned v = 0, ok = 1;
		for (size_t i = 0; i < n; i++) {
			ok &= p[i] >= '0' && p[i] <= '9';
			v = v * 10 + (unsigned)(p[i] - '0');
		}
		if (ok)
			nw_ev_put_uint(ev, "status", v);
	}
	if (sig_http_resp_len(ac, &len))
		nw_ev_put_uint(ev, "length", len);
	nw_ev_close(ev);
}

static const char *sig_dns_type_name(uint16_t t, char *buf, size_t n)
{
	switch (t) {
	case 1: return "A";
	case 2: return "NS";
	case 5: return "CNAME";
	case 6: return "SOA";
	case 12: return "PTR";
	case 15: return "MX";
	case 16: return "TXT";
	case 28: return "AAAA";
	case 33: return "SRV";
	case 35: return "NAPTR";
	case 41: return "OPT";
	case 43: return "DS";
	case 46: return "RRSIG";
	case 47: return "NSEC";
	case 48: return "DNSKEY";
	case 64: return "SVCB";
	case 65: return "HTTPS";
	case 99: return "SPF";
	case 252: return "AXFR";
	case 255: return "ANY";
	default:
		snprintf(buf, n, "%u", (unsigned)t);
		return buf;
	}
}

static const char *sig_dns_rcode_name(uint8_t rc, char *buf, size_t n)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					     "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
					     "NXRRSET", "NOTAUTH", "NOTZONE" };
	if (rc < sizeof(names) / sizeof(names[0]))
		return names[rc];
	snprintf(buf, n, "%u", (unsigned)rc);
	return buf;
}

/* the members of question q: type, id, rrname, rrtype, tx_id, opcode */
static void sig_eve_dns_query(struct nw_event *ev, const struct sig_dns_msg *m, unsigned q)
{
	char tb[8];

	sig_eve_str(ev, "type", "query");
	nw_ev_put_uint(ev, "id", m->id);
	nw_ev_put_str(ev, "rrname", m->q[q], m->qlen[q]);
	sig_eve_str(ev, "rrtype", sig_dns_type_name(m->qtype[q], tb, sizeof(tb)));
	nw_ev_put_uint(ev, "tx_id", 0);
	nw_ev_put_uint(ev, "opcode", m->opcode);
}

/* the members of a response (Suricata's answer format version 2) */
static void sig_eve_dns_answer(struct nw_event *ev, const struct sig_dns_msg *m)
{
	char tb[8], fl[8];

	nw_ev_put_uint(ev, "version", 2);
	sig_eve_str(ev, "type", "answer");
	nw_ev_put_uint(ev, "id", m->id);
	snprintf(fl, sizeof(fl), "%x", (unsigned)m->flags);
	sig_eve_str(ev, "flags", fl);
	nw_ev_put_bool(ev, "qr", 1);
	if (m->flags & 0x0400)
		nw_ev_put_bool(ev, "aa", 1);
	if (m->flags & 0x0200)
		nw_ev_put_bool(ev, "tc", 1);
	if (m->flags & 0x0100)
		nw_ev_put_bool(ev, "rd", 1);
	if (m->flags & 0x0080)
		nw_ev_put_bool(ev, "ra", 1);
	nw_ev_put_uint(ev, "opcode", m->opcode);
	if (m->n_q) {
		nw_ev_put_str(ev, "rrname", m->q[0], m->qlen[0]);
		sig_eve_str(ev, "rrtype", sig_dns_type_name(m->qtype[0], tb, sizeof(tb)));
	}
	sig_eve_str(ev, "rcode", sig_dns_rcode_name(m->rcode, tb, sizeof(tb)));
	if (!m->n_an)
		return;
	nw_ev_open_array(ev, "answers");
	for (unsigned i = 0; i < m->n_an; i++) {
		nw_ev_open(ev, NULL);
		nw_ev_put_str(ev, "rrname", m->an[i], m->anlen[i]);
		sig_eve_str(ev, "rrtype", sig_dns_type_name(m->antype[i], tb, sizeof(tb)));
		nw_ev_put_uint(ev, "ttl", m->anttl[i]);
		if (m->andata[i][0])
			sig_eve_str(ev, "rdata", m->andata[i]);
		nw_ev_close(ev);
	}
	nw_ev_close_array(ev);
}

void sig_eve_dns_alert(struct nw_event *ev, const struct sig_dns_msg *m)
{
	nw_ev_open(ev, "dns");
	if (m->qr) {
		nw_ev_open(ev, "answer");
		sig_eve_dns_answer(ev, m);
		nw_ev_close(ev);
	} else {
		nw_ev_open_array(ev, "query");
		for (unsigned q = 0; q < m->n_q; q++) {
			nw_ev_open(ev, NULL);
			sig_eve_dns_query(ev, m, q);
			nw_ev_close(ev);
		}
		nw_ev_close_array(ev);
	}
	nw_ev_close(ev);
}

void sig_eve_dns_record(struct nw_event *ev, const struct sig_dns_msg *m, unsigned q)
{
	nw_ev_open(ev, "dns");
	if (m->qr)
		sig_eve_dns_answer(ev, m);
	else if (q < m->n_q)
		sig_eve_dns_query(ev, m, q);
	nw_ev_close(ev);
}

void sig_tls_meta_note(struct sig_tls_meta *m, const struct sig_tls_hello *h)
{
	size_t n = h->ja3_len < SIG_TLS_META_JA3 ? h->ja3_len : SIG_TLS_META_JA3;

	if (h->type == 1) {
		m->cver = h->version;
		m->sni_len = h->sni_len < SIG_TLS_SNI_MAX ? h->sni_len : 0;
		memcpy(m->sni, h->sni, m->sni_len);
		memcpy(m->ja3, h->ja3, n);
		m->ja3_len = (uint16_t)n;
		memcpy(m->ja3_hash, h->ja3_hash, sizeof(m->ja3_hash));
	} else {
		m->sver = h->version;
		memcpy(m->ja3s, h->ja3, n);
		m->ja3s_len = (uint16_t)n;
		memcpy(m->ja3s_hash, h->ja3_hash, sizeof(m->ja3s_hash));
	}
}

/* Suricata's names of the negotiated version */
static const char *sig_tls_version_name(uint16_t v)
{
	switch (v) {
	case 0x0200: return "SSLv2";
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLSv1";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	default: return "UNDETERMINED";
	}
}

static void sig_eve_ja3(struct nw_event *ev, const char *key, const char *hash, const char *s,
			size_t n)
{
	if (!hash[0])
		return;
	nw_ev_open(ev, key);
	nw_ev_put_str(ev, "hash", hash, strnlen(hash, 32));
	nw_ev_put_str(ev, "string", s, n);
	nw_ev_close(ev);
}

void sig_eve_tls(struct nw_event *ev, const struct sig_tls_meta *m, const struct sig_tls_cert *cert)
{
	nw_ev_open(ev, "tls");
	if (cert) {
		nw_ev_put_str(ev, "subject", cert->subject, cert->subject_len);
		nw_ev_put_str(ev, "issuerdn", cert->issuer, cert->issuer_len);
		nw_ev_put_str(ev, "serial", cert->serial, cert->serial_len);
		nw_ev_put_str(ev, "fingerprint", cert->fingerprint, cert->fingerprint_len);
	}
	if (m->sni_len)
		nw_ev_put_str(ev, "sni", m->sni, m->sni_len);
	sig_eve_str(ev, "version", sig_tls_version_name(m->sver));
	sig_eve_ja3(ev, "ja3", m->ja3_hash, m->ja3, m->ja3_len);
	sig_eve_ja3(ev, "ja3s", m->ja3s_hash, m->ja3s, m->ja3s_len);
	nw_ev_close(ev);
}
