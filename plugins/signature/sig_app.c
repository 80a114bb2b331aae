/* plugins/signature/sig_app.c: application layer glue: buffer table, protocol detection, buffer access, transforms. */
#include <string.h>
#include "sig_app.h"

#define RQ SIG_ST_REQ_HEADERS
#define RB SIG_ST_REQ_BODY
#define SH SIG_ST_RESP_HEADERS
#define SB SIG_ST_RESP_BODY
static const struct sig_bufinfo sig_bufs[SIG_BUF_MAX] = {
	[SIG_BUF_PKT] = { "pkt_data", SIG_APP_NONE, 0, 0, 0, 0 },
	[SIG_BUF_HTTP_METHOD] = { "http.method", SIG_APP_HTTP, RQ, RQ, 0, 0 },
	[SIG_BUF_HTTP_URI] = { "http.uri", SIG_APP_HTTP, RQ, RQ, 0, 0 },
	[SIG_BUF_HTTP_URI_RAW] = { "http.uri.raw", SIG_APP_HTTP, RQ, RQ, 0, 0 },
	[SIG_BUF_HTTP_HOST] = { "http.host", SIG_APP_HTTP, RQ, RQ, 0, 0 },
	[SIG_BUF_HTTP_HOST_RAW] = { "http.host.raw", SIG_APP_HTTP, RQ, RQ, 0, 0 },
	[SIG_BUF_HTTP_UA] = { "http.user_agent", SIG_APP_HTTP, RQ, RQ, 0, 0 },
	[SIG_BUF_HTTP_HEADER] = { "http.header", SIG_APP_HTTP, RQ, SH, 1, 0 },
	[SIG_BUF_HTTP_HEADER_RAW] = { "http.header.raw", SIG_APP_HTTP, RQ, SH, 1, 0 },
	[SIG_BUF_HTTP_HEADER_NAMES] = { "http.header_names", SIG_APP_HTTP, RQ, SH, 1, 0 },
	[SIG_BUF_HTTP_COOKIE] = { "http.cookie", SIG_APP_HTTP, RQ, SH, 1, 0 },
	[SIG_BUF_HTTP_CONTENT_TYPE] = { "http.content_type", SIG_APP_HTTP, RQ, SH, 1, 0 },
	[SIG_BUF_HTTP_CONTENT_LEN] = { "http.content_len", SIG_APP_HTTP, RQ, SH, 1, 0 },
	[SIG_BUF_HTTP_REQUEST_LINE] = { "http.request_line", SIG_APP_HTTP, RQ, RQ, 0, 0 },
	[SIG_BUF_HTTP_REQUEST_BODY] = { "http.request_body", SIG_APP_HTTP, RB, RB, 0, 0 },
	[SIG_BUF_HTTP_STAT_CODE] = { "http.stat_code", SIG_APP_HTTP, SH, SH, 0, 0 },
	[SIG_BUF_HTTP_STAT_MSG] = { "http.stat_msg", SIG_APP_HTTP, SH, SH, 0, 0 },
	[SIG_BUF_HTTP_RESPONSE_LINE] = { "http.response_line", SIG_APP_HTTP, SH, SH, 0, 0 },
	[SIG_BUF_HTTP_RESPONSE_BODY] = { "http.response_body", SIG_APP_HTTP, SB, SB, 0, 0 },
	[SIG_BUF_FILE_DATA] = { "file.data", SIG_APP_HTTP, RB, SB, 1, 0 },
	[SIG_BUF_HTTP_SERVER] = { "http.server", SIG_APP_HTTP, SH, SH, 0, 0 },
	[SIG_BUF_HTTP_LOCATION] = { "http.location", SIG_APP_HTTP, SH, SH, 0, 0 },
	[SIG_BUF_HTTP_PROTOCOL] = { "http.protocol", SIG_APP_HTTP, RQ, SH, 1, 0 },
	[SIG_BUF_HTTP_START] = { "http.start", SIG_APP_HTTP, RQ, SH, 1, 0 },
	[SIG_BUF_HTTP_REFERER] = { "http.referer", SIG_APP_HTTP, RQ, RQ, 0, 0 },
	[SIG_BUF_HTTP_ACCEPT] = { "http.accept", SIG_APP_HTTP, RQ, RQ, 0, 0 },
	[SIG_BUF_HTTP_ACCEPT_ENC] = { "http.accept_enc", SIG_APP_HTTP, RQ, RQ, 0, 0 },
	[SIG_BUF_HTTP_ACCEPT_LANG] = { "http.accept_lang", SIG_APP_HTTP, RQ, RQ, 0, 0 },
	[SIG_BUF_HTTP_CONNECTION] = { "http.connection", SIG_APP_HTTP, RQ, SH, 1, 0 },
	[SIG_BUF_HTTP_REQ_HEADER] = { "http.request_header", SIG_APP_HTTP, RQ, RQ, 0, 1 },
	[SIG_BUF_HTTP_RESP_HEADER] = { "http.response_header", SIG_APP_HTTP, SH, SH, 0, 1 },
	[SIG_BUF_DNS_QUERY] = { "dns.query", SIG_APP_DNS, SIG_ST_DNS, SIG_ST_DNS, 0, 1 },
	[SIG_BUF_DNS_ANSWER_NAME] = { "dns.answer.name", SIG_APP_DNS, SIG_ST_DNS, SIG_ST_DNS, 0, 1 },
	[SIG_BUF_TLS_SNI] = { "tls.sni", SIG_APP_TLS, SIG_ST_TLS_CH, SIG_ST_TLS_CH, 0, 0 },
	[SIG_BUF_JA3_HASH] = { "ja3.hash", SIG_APP_TLS, SIG_ST_TLS_CH, SIG_ST_TLS_CH, 0, 0 },
	[SIG_BUF_JA3_STRING] = { "ja3.string", SIG_APP_TLS, SIG_ST_TLS_CH, SIG_ST_TLS_CH, 0, 0 },
	[SIG_BUF_JA3S_HASH] = { "ja3s.hash", SIG_APP_TLS, SIG_ST_TLS_SH, SIG_ST_TLS_SH, 0, 0 },
	[SIG_BUF_JA3S_STRING] = { "ja3s.string", SIG_APP_TLS, SIG_ST_TLS_SH, SIG_ST_TLS_SH, 0, 0 },
	[SIG_BUF_TLS_CERT_SUBJECT] = { "tls.cert_subject", SIG_APP_TLS, SIG_ST_TLS_CERT, SIG_ST_TLS_CERT, 0, 0 },
	[SIG_BUF_TLS_CERT_ISSUER] = { "tls.cert_issuer", SIG_APP_TLS, SIG_ST_TLS_CERT, SIG_ST_TLS_CERT, 0, 0 },
	[SIG_BUF_TLS_CERT_SERIAL] = { "tls.cert_serial", SIG_APP_TLS, SIG_ST_TLS_CERT, SIG_ST_TLS_CERT, 0, 0 },
	[SIG_BUF_TLS_CERT_FINGERPRINT] = { "tls.cert_fingerprint", SIG_APP_TLS, SIG_ST_TLS_CERT, SIG_ST_TLS_CERT, 0, 0 },
	[SIG_BUF_TLS_CERTS] = { "tls.certs", SIG_APP_TLS, SIG_ST_TLS_CERT, SIG_ST_TLS_CERT, 0, 1 },
};
#undef RQ
#undef RB
#undef SH
#undef SB

const struct sig_bufinfo *sig_buf_info(unsigned buf)
{
	return buf < SIG_BUF_MAX ? &sig_bufs[buf] : NULL;
}

/* ---- detection ---- */

static const char *const sig_http_methods[] = {
	"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "TRACE", "PATCH",
	"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "REPORT",
};

/* 1 HTTP, 0 undecided, -1 no */
static int sig_http_sane(const uint8_t *p, size_t n)
{
	size_t i, eol;

	if (n >= 7 && !memcmp(p, "HTTP/1.", 7))
		return 1; /* a response */
	if (n < 7 && !memcmp(p, "HTTP/1.", n))
		return 0;
	for (i = 0; i < sizeof(sig_http_methods) / sizeof(sig_http_methods[0]); i++) {
		size_t ml = strlen(sig_http_methods[i]);
		if (n <= ml) {
			if (!memcmp(p, sig_http_methods[i], n))
				return 0;
			continue;
		}
		if (!memcmp(p, sig_http_methods[i], ml) && p[ml] == ' ')
			break;
	}
	if (i == sizeof(sig_http_methods) / sizeof(sig_http_methods[0]))
		return -1;
	/* the request line must end in " HTTP/1.x" */
	for (eol = 0; eol < n && p[eol] != '\n'; eol++)
		;
	if (eol == n)
		return n < 8192 ? 0 : -1;
	for (size_t k = 0; k + 8 <= eol; k++)
		if (p[k] == ' ' && !memcmp(p + k + 1, "HTTP/1.", 7))
			return 1;
	return -1;
}

uint8_t sig_app_detect(const uint8_t *p, size_t n, int tcp)
{
	int h, t;

	if (!tcp)
		return sig_dns_sane(p, n) ? SIG_APP_DNS : SIG_APP_UNKNOWN;
	if (!n)
		return SIG_APP_NONE;
	h = sig_http_sane(p, n);
	if (h > 0)
		return SIG_APP_HTTP;
	t = sig_tls_sane(p, n);
	if (t > 0)
		return SIG_APP_TLS;
	if (n >= 2) {
		size_t l = (size_t)(p[0] << 8 | p[1]);
		if (l >= 17 && n >= l + 2 && sig_dns_sane(p + 2, l))
			return SIG_APP_DNS;
	}
	if (h == 0 || t == 0 || n < 14)
		return SIG_APP_NONE;
	return SIG_APP_UNKNOWN;
}

/* 1 when p starts with s (ASCII case-insensitive), 0 when p is a shorter prefix of it, -1 no */
static int sig_prefix_ci(const uint8_t *p, size_t n, const char *s)
{
	size_t l = strlen(s);

	for (size_t i = 0; i < l; i++) {
		if (i == n)
			return 0;
		if (sig_lower[p[i]] != (uint8_t)s[i])
			return -1;
	}
	return 1;
}

uint8_t sig_app_detect_tcp(const uint8_t *p, size_t n, int to_client, int banner,
			   int *banner_seen)
{
	static const struct {
		const char *cmd;
		uint8_t app;
	} cmds[] = { { "ehlo ", SIG_APP_SMTP }, { "helo ", SIG_APP_SMTP }, { "user ", SIG_APP_FTP },
		     { "pass ", SIG_APP_FTP }, { "auth ", SIG_APP_FTP } };

	*banner_seen = 0;
	/* SMB: NetBIOS session message (type 0, 24-bit length) holding an SMB1/2/3 header */
	if (n >= 8 && p[0] == 0 && (p[4] == 0xff || p[4] == 0xfe || p[4] == 0xfd) &&
	    !memcmp(p + 5, "SMB", 3) && ((size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3]) >= 32)
		return SIG_APP_SMB;
	if (to_client && n >= 4 && !memcmp(p, "220", 3) && (p[3] == ' ' || p[3] == '-')) {
		*banner_seen = 1;
		return SIG_APP_NONE;
	}
	if (!to_client && banner) {
		int undecided = 0;
		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
			int r = sig_prefix_ci(p, n, cmds[i].cmd);
			if (r > 0)
				return cmds[i].app;
			undecided |= r == 0;
		}
		if (undecided)
			return SIG_APP_NONE;
	}
	return sig_app_detect(p, n, 1);
}

const char *sig_app_proto_name(uint8_t app)
{
	static const char *const names[SIG_APP_UNKNOWN + 1] = {
		NULL, "http", "dns", "tls", "smtp", "ftp", "smb", "failed",
	};

	return app <= SIG_APP_UNKNOWN ? names[app] : NULL;
}

/* ---- buffers ---- */

void sig_appctx_reset(struct sig_appctx *ac)
{
	memset(ac->cache, 0, sizeof(ac->cache));
	ac->arena_used = 0;
	ac->arena_full = 0;
}

int sig_app_buffer(struct sig_appctx *ac, unsigned buf, int resp, unsigned idx,
		   const uint8_t **p, size_t *len)
{
	const struct sig_bufinfo *bi = sig_buf_info(buf);
	int side = resp ? 1 : 0;

	if (!bi || bi->app != ac->app)
		return 0;
	switch (buf) {
	case SIG_BUF_DNS_QUERY:
		if (!ac->dns || idx >= ac->dns->n_q)
			return 0;
		*p = (const uint8_t *)ac->dns->q[idx];
		*len = ac->dns->qlen[idx];
		return 1;
	case SIG_BUF_DNS_ANSWER_NAME:
		if (!ac->dns || idx >= ac->dns->n_an)
			return 0;
		*p = (const uint8_t *)ac->dns->an[idx];
		*len = ac->dns->anlen[idx];
		return 1;
	case SIG_BUF_TLS_SNI:
		if (!ac->tls || ac->tls->type != 1 || !ac->tls->sni_len || idx)
			return 0;
		*p = (const uint8_t *)ac->tls->sni;
		*len = ac->tls->sni_len;
		return 1;
	case SIG_BUF_JA3_HASH:
	case SIG_BUF_JA3S_HASH:
		if (!ac->tls || idx || ac->tls->type != (buf == SIG_BUF_JA3_HASH ? 1 : 2))
			return 0;
		*p = (const uint8_t *)ac->tls->ja3_hash;
		*len = 32;
		return ac->tls->ja3_hash[0] != 0; /* "" when hashing failed */
	case SIG_BUF_JA3_STRING:
	case SIG_BUF_JA3S_STRING:
		if (!ac->tls || idx || ac->tls->type != (buf == SIG_BUF_JA3_STRING ? 1 : 2))
			return 0;
		*p = (const uint8_t *)ac->tls->ja3;
		*len = ac->tls->ja3_len;
		return *len > 0; /* none for an SSLv2 hello */
	case SIG_BUF_TLS_CERT_SUBJECT:
	case SIG_BUF_TLS_CERT_ISSUER:
	case SIG_BUF_TLS_CERT_SERIAL:
	case SIG_BUF_TLS_CERT_FINGERPRINT:
		if (!ac->cert || idx)
			return 0;
		if (buf == SIG_BUF_TLS_CERT_SUBJECT)
			*p = (const uint8_t *)ac->cert->subject, *len = ac->cert->subject_len;
		else if (buf == SIG_BUF_TLS_CERT_ISSUER)
			*p = (const uint8_t *)ac->cert->issuer, *len = ac->cert->issuer_len;
		else if (buf == SIG_BUF_TLS_CERT_SERIAL)
			*p = (const uint8_t *)ac->cert->serial, *len = ac->cert->serial_len;
		else
			*p = (const uint8_t *)ac->cert->fingerprint, *len = ac->cert->fingerprint_len;
		return *len > 0;
	case SIG_BUF_TLS_CERTS: /* each DER certificate of the chain, the server's first */
		if (!ac->chain || idx >= ac->chain->n)
			return 0;
		*p = ac->chain->hs + ac->chain->off[idx];
		*len = ac->chain->len[idx];
		return 1;
	default:
		break;
	}
	if (bi->app != SIG_APP_HTTP)
		return 0;
	if (!bi->multi) {
		/* composed buffers are cached for the event */
		if (ac->cache[buf][side].state == 2)
			return 0;
		if (ac->cache[buf][side].state == 1) {
			if (idx)
				return 0;
			*p = ac->cache[buf][side].p;
			*len = ac->cache[buf][side].len;
			return 1;
		}
		if (idx)
			return 0;
		int rc = sig_http_buffer(ac, buf, side, 0, p, len);
		ac->cache[buf][side].state = rc == 1 ? 1 : 2;
		if (rc == 1) {
			ac->cache[buf][side].p = *p;
			ac->cache[buf][side].len = (uint32_t)*len;
		}
		return rc == 1;
	}
	return sig_http_buffer(ac, buf, side, idx, p, len) == 1;
}

int sig_app_value(struct sig_appctx *ac, unsigned field, unsigned idx, uint32_t *v)
{
	switch (field) {
	case SIG_AV_URILEN:
	case SIG_AV_URILEN_RAW:
		if (ac->app != SIG_APP_HTTP || idx)
			return 0;
		return sig_http_urilen(ac, field == SIG_AV_URILEN_RAW, v);
	case SIG_AV_HTTP_EVENTS:
		if (ac->app != SIG_APP_HTTP || idx)
			return 0;
		return sig_http_events(ac, v);
	case SIG_AV_DNS_OPCODE:
		if (!ac->dns || idx)
			return 0;
		*v = ac->dns->opcode;
		return 1;
	case SIG_AV_DNS_RRTYPE:
		if (!ac->dns || idx >= ac->dns->n_q)
			return 0;
		*v = ac->dns->qtype[idx];
		return 1;
	case SIG_AV_TLS_VERSION:
		if (!ac->tls || idx)
			return 0;
		*v = ac->tls->version;
		return 1;
	default:
		return 0;
	}
}

/* ---- transforms ---- */

static int sig_isspace(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int sig_hex(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = sig_lower[c];
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static size_t sig_xf_one(uint8_t xf, const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	size_t o = 0;
	int sp = 0, name = 1;

	switch (xf) {
	case SIG_XF_LOWER:
		for (size_t i = 0; i < n && o < cap; i++)
			out[o++] = sig_lower[in[i]];
		break;
	case SIG_XF_HEADER_LOWER:
		for (size_t i = 0; i < n && o < cap; i++) {
			uint8_t c = in[i];
			if (c == '\n')
				name = 1;
			else if (c == ':')
				name = 0;
			out[o++] = name ? sig_lower[c] : c;
		}
		break;
	case SIG_XF_STRIP_WS:
		for (size_t i = 0; i < n && o < cap; i++)
			if (!sig_isspace(in[i]))
				out[o++] = in[i];
		break;
	case SIG_XF_COMPRESS_WS:
		for (size_t i = 0; i < n && o < cap; i++) {
			if (sig_isspace(in[i])) {
				if (!sp)
					out[o++] = ' ';
				sp = 1;
			} else {
				out[o++] = in[i];
				sp = 0;
			}
		}
		break;
	case SIG_XF_URL_DECODE:
		for (size_t i = 0; i < n && o < cap; i++) {
			int a, b;
			if (in[i] == '%' && i + 2 < n && (a = sig_hex(in[i + 1])) >= 0 &&
			    (b = sig_hex(in[i + 2])) >= 0) {
				out[o++] = (uint8_t)(a << 4 | b);
				i += 2;
			} else {
				out[o++] = in[i] == '+' ? ' ' : in[i];
			}
		}
		break;
	case SIG_XF_DOTPREFIX:
		if (cap)
			out[o++] = '.';
		for (size_t i = 0; i < n && o < cap; i++)
			out[o++] = in[i];
		break;
	default:
		o = n < cap ? n : cap;
		memcpy(out, in, o);
	}
	return o;
}

const uint8_t *sig_xform_apply(struct sig_appctx *ac, const struct sig_list *l, const uint8_t *in,
			       size_t n, size_t *outlen)
{
	const uint8_t *cur = in;
	size_t len = n;

	for (unsigned k = 0; k < l->n_xf && ac->xf[0]; k++) {
		/* never the buffer being read (a pcrexform without a match leaves cur as it was) */
		uint8_t *o = cur == ac->xf[0] ? ac->xf[1] : ac->xf[0];
		if (l->xf[k] == SIG_XF_PCRE) {
			PCRE2_SIZE *ov;
			if (!ac->md || pcre2_match(l->xf_re[k], cur, len, 0, 0, ac->md, ac->mc) < 2)
				continue; /* no match, or group 1 unset: the buffer as it was */
			ov = pcre2_get_ovector_pointer(ac->md);
			if (ov[2] == PCRE2_UNSET || ov[3] < ov[2] || ov[3] > len)
				continue;
			len = ov[3] - ov[2] < ac->xf_size ? ov[3] - ov[2] : ac->xf_size;
			memmove(o, cur + ov[2], len);
		} else {
			len = sig_xf_one(l->xf[k], cur, len, o, ac->xf_size);
		}
		cur = o;
	}
	*outlen = len;
	return cur;
}
