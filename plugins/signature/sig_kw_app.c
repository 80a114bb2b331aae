/* plugins/signature/sig_kw_app.c: application keywords: sticky buffers, legacy http_* modifiers, transforms, bsize, urilen, dns/tls values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sig_app.h"

/* names of sticky buffers beyond sig_buf_info()'s: legacy spellings Suricata accepts */
static const struct {
	const char *name;
	uint8_t buf;
} sig_sticky_alias[] = {
	{ "file_data", SIG_BUF_FILE_DATA },
	{ "http.response_body", SIG_BUF_HTTP_RESPONSE_BODY },
	{ "http_request_line", SIG_BUF_HTTP_REQUEST_LINE },
	{ "http_response_line", SIG_BUF_HTTP_RESPONSE_LINE },
	{ "http_start", SIG_BUF_HTTP_START },
	{ "http_header_names", SIG_BUF_HTTP_HEADER_NAMES },
	{ "http_accept", SIG_BUF_HTTP_ACCEPT },
	{ "http_accept_enc", SIG_BUF_HTTP_ACCEPT_ENC },
	{ "http_accept_lang", SIG_BUF_HTTP_ACCEPT_LANG },
	{ "http_connection", SIG_BUF_HTTP_CONNECTION },
	{ "http_content_len", SIG_BUF_HTTP_CONTENT_LEN },
	{ "http_content_type", SIG_BUF_HTTP_CONTENT_TYPE },
	{ "http_protocol", SIG_BUF_HTTP_PROTOCOL },
	{ "http_referer", SIG_BUF_HTTP_REFERER },
	{ "http_server", SIG_BUF_HTTP_SERVER },
	{ "http_location", SIG_BUF_HTTP_LOCATION },
	{ "dns_query", SIG_BUF_DNS_QUERY },
	{ "dns.query.name", SIG_BUF_DNS_QUERY },
	{ "tls_sni", SIG_BUF_TLS_SNI },
	{ "ja3_hash", SIG_BUF_JA3_HASH },
	{ "ja3_string", SIG_BUF_JA3_STRING },
	{ "ja3s_hash", SIG_BUF_JA3S_HASH },
	{ "ja3s_string", SIG_BUF_JA3S_STRING },
	{ "tls_cert_subject", SIG_BUF_TLS_CERT_SUBJECT },
	{ "tls_cert_issuer", SIG_BUF_TLS_CERT_ISSUER },
	{ "tls_cert_serial", SIG_BUF_TLS_CERT_SERIAL },
	{ "tls_cert_fingerprint", SIG_BUF_TLS_CERT_FINGERPRINT },
};

/* legacy content modifiers: move the preceding content into the buffer */
static const struct {
	const char *name;
	uint8_t buf;
} sig_legacy_mod[] = {
	{ "http_uri", SIG_BUF_HTTP_URI },
	{ "http_raw_uri", SIG_BUF_HTTP_URI_RAW },
	{ "http_header", SIG_BUF_HTTP_HEADER },
	{ "http_raw_header", SIG_BUF_HTTP_HEADER_RAW },
	{ "http_method", SIG_BUF_HTTP_METHOD },
	{ "http_cookie", SIG_BUF_HTTP_COOKIE },
	{ "http_raw_cookie", SIG_BUF_HTTP_COOKIE },
	{ "http_user_agent", SIG_BUF_HTTP_UA },
	{ "http_host", SIG_BUF_HTTP_HOST },
	{ "http_raw_host", SIG_BUF_HTTP_HOST_RAW },
	{ "http_client_body", SIG_BUF_HTTP_REQUEST_BODY },
	{ "http_server_body", SIG_BUF_HTTP_RESPONSE_BODY },
	{ "http_stat_code", SIG_BUF_HTTP_STAT_CODE },
	{ "http_stat_msg", SIG_BUF_HTTP_STAT_MSG },
};

static const struct {
	const char *name;
	uint8_t xf;
} sig_xforms[] = {
	{ "to_lowercase", SIG_XF_LOWER },
	{ "strip_whitespace", SIG_XF_STRIP_WS },
	{ "compress_whitespace", SIG_XF_COMPRESS_WS },
	{ "url_decode", SIG_XF_URL_DECODE },
	{ "dotprefix", SIG_XF_DOTPREFIX },
	{ "header_lowercase", SIG_XF_HEADER_LOWER },
	{ "strip_pseudo_headers", SIG_XF_STRIP_PSEUDO },
};

#define SIG_N(a) (sizeof(a) / sizeof((a)[0]))

/* the buffer a sticky-buffer keyword names, -1 if it is none */
int sig_sticky_buf(const char *name)
{
	for (unsigned b = 1; b < SIG_BUF_MAX; b++)
		if (!strcmp(sig_buf_info(b)->name, name))
			return (int)b;
	for (size_t i = 0; i < SIG_N(sig_sticky_alias); i++)
		if (!strcmp(sig_sticky_alias[i].name, name))
			return sig_sticky_alias[i].buf;
	if (!strcmp(name, "pkt_data"))
		return SIG_BUF_PKT;
	return -1;
}

static int sig_new_list(struct sig_parse *ps, uint8_t buf, int legacy)
{
	struct sig_rule *r = ps->r;
	struct sig_list *l;

	if (r->n_lists == 0)
		r->n_lists = 1; /* [0] is the payload */
	if (legacy) {
		for (unsigned i = 1; i < r->n_lists; i++)
			if (r->lists[i].legacy && r->lists[i].buf == buf)
				return (int)i;
	}
	if (r->n_lists >= SIG_MAX_LISTS)
		return sig_err(ps, "more than %d buffers in one rule", SIG_MAX_LISTS - 1);
	l = &r->lists[r->n_lists];
	memset(l, 0, sizeof(*l));
	l->buf = buf;
	l->legacy = (uint8_t)legacy;
	return (int)r->n_lists++;
}

int sig_kw_sticky(struct sig_parse *ps, const char *arg)
{
	int b = sig_sticky_buf(ps->cur_kw->name), li;

	if (b < 0)
		return sig_err(ps, "not a buffer");
	ps->last_content = NULL;
	ps->last_cpm = -1;
	if (b == SIG_BUF_PKT) {
		ps->cur_list = 0;
		return 0;
	}
	li = sig_new_list(ps, (uint8_t)b, 0);
	if (li < 0)
		return -1;
	ps->cur_list = li;
	return 0;
}

/* move the last payload match (pm index i) into the legacy list of buf */
int sig_move_to_buf(struct sig_parse *ps, unsigned i, uint8_t buf)
{
	int li = sig_new_list(ps, buf, 1);

	if (li < 0)
		return -1;
	ps->r->pm[i].list = (uint8_t)li;
	return 0;
}

int sig_kw_legacy_mod(struct sig_parse *ps, const char *arg)
{
	for (size_t i = 0; i < SIG_N(sig_legacy_mod); i++) {
		if (strcmp(sig_legacy_mod[i].name, ps->cur_kw->name))
			continue;
		if (!ps->last_content || ps->last_cpm < 0)
			return sig_err(ps, "needs a preceding content");
		return sig_move_to_buf(ps, (unsigned)ps->last_cpm, sig_legacy_mod[i].buf);
	}
	return sig_err(ps, "not a content modifier");
}

int sig_kw_xform(struct sig_parse *ps, const char *arg)
{
	struct sig_list *l;

	if (ps->cur_list <= 0)
		return sig_err(ps, "a transform needs a sticky buffer before it");
	l = &ps->r->lists[ps->cur_list];
	if (l->n_xf >= SIG_MAX_XF)
		return sig_err(ps, "more than %d transforms", SIG_MAX_XF);
	for (size_t i = 0; i < SIG_N(sig_xforms); i++) {
		if (!strcmp(sig_xforms[i].name, ps->cur_kw->name)) {
			l->xf[l->n_xf++] = sig_xforms[i].xf;
			return 0;
		}
	}
	return sig_err(ps, "unknown transform");
}

/* pcrexform:"REGEX": the buffer becomes what the regex's first group captured (unchanged when
 * it does not match), as in Suricata. */
int sig_kw_pcrexform(struct sig_parse *ps, const char *arg)
{
	char re[1024];
	struct sig_list *l;
	pcre2_code *code;
	uint32_t groups = 0;
	int errcode;
	PCRE2_SIZE erroff;
	size_t n = strlen(arg), o = 0;

	if (ps->cur_list <= 0)
		return sig_err(ps, "a transform needs a sticky buffer before it");
	l = &ps->r->lists[ps->cur_list];
	if (l->n_xf >= SIG_MAX_XF)
		return sig_err(ps, "more than %d transforms", SIG_MAX_XF);
	if (n < 3 || n - 2 >= sizeof(re) || arg[0] != '"' || arg[n - 1] != '"')
		return sig_err(ps, "expected \"regex\" (at most %zu bytes)", sizeof(re) - 1);
	/* the rule syntax escapes '"' and ';' with a backslash; every other one is the regex's */
	for (size_t i = 1; i < n - 1; i++) {
		if (arg[i] == '\\' && (arg[i + 1] == '"' || arg[i + 1] == ';') && i + 1 < n - 1)
			i++;
		else if (arg[i] == '"')
			return sig_err(ps, "unescaped '\"' in the regex");
		re[o++] = arg[i];
	}
	re[o] = '\0';
	code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, 0, &errcode, &erroff, NULL);
	if (!code) {
		PCRE2_UCHAR msg[120];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		return sig_err(ps, "regex error at offset %zu: %s", (size_t)erroff, (char *)msg);
	}
	if (pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &groups) || groups < 1) {
		pcre2_code_free(code);
		return sig_err(ps, "the regex needs a capture group: its first one becomes the buffer");
	}
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
	l->xf_re[l->n_xf] = code;
	l->xf[l->n_xf++] = SIG_XF_PCRE;
	return 0;
}

/* app-layer-protocol:[!]http|dns|tls|smtp|ftp|smb: the protocol detected on the flow. As in Suricata, a flow
 * whose protocol is not known yet matches neither form. */
struct sig_alproto {
	uint8_t app, neg;
};

static int sig_m_alproto(const struct sig_mctx *m, const void *ctx)
{
	const struct sig_alproto *a = ctx;

	if (m->app == SIG_APP_NONE)
		return 0;
	return a->neg ? m->app != a->app : m->app == a->app;
}

int sig_kw_alproto(struct sig_parse *ps, const char *arg)
{
	static const struct {
		const char *name;
		uint8_t app;
	} names[] = { { "http", SIG_APP_HTTP }, { "http1", SIG_APP_HTTP }, { "dns", SIG_APP_DNS },
		      { "tls", SIG_APP_TLS }, { "smtp", SIG_APP_SMTP }, { "ftp", SIG_APP_FTP },
		      { "smb", SIG_APP_SMB } };
	char buf[32], *s;
	struct sig_alproto *a;

	snprintf(buf, sizeof(buf), "%s", arg);
	s = sig_trim(buf);
	a = calloc(1, sizeof(*a));
	if (!a)
		return sig_err(ps, "out of memory");
	if (*s == '!') {
		a->neg = 1;
		s = sig_trim(s + 1);
	}
	for (size_t i = 0; i < SIG_N(names); i++)
		if (!strcmp(s, names[i].name))
			a->app = names[i].app;
	if (!a->app) {
		free(a);
		return sig_err(ps, "protocol '%s' not supported by natwarden (http, dns, tls, smtp, ftp or smb)", s);
	}
	if (!sig_rule_add_nm(ps, sig_kw_find("app-layer-protocol"), a, sig_m_alproto)) {
		free(a);
		return sig_err(ps, "out of memory");
	}
	return 0;
}

/* "N", "<N", ">N", "N<>M", "!N", "=N" */
static int sig_range(struct sig_parse *ps, const char *arg, struct sig_appval_ctx *v, long long max)
{
	char buf[64], *sep;
	long long a, b;
	const char *s;

	snprintf(buf, sizeof(buf), "%s", arg);
	s = sig_trim(buf);
	if ((sep = strstr(buf, "<>")) != NULL) {
		*sep = 0;
		if (sig_parse_int(sig_trim(buf), 0, max, &a) || sig_parse_int(sig_trim(sep + 2), 0, max, &b) ||
		    a >= b)
			return sig_err(ps, "expected N, <N, >N or N<>M");
		v->op = 'r';
		v->lo = (uint32_t)a;
		v->hi = (uint32_t)b;
		return 0;
	}
	v->op = '=';
	if (*s == '<' || *s == '>' || *s == '!' || *s == '=')
		v->op = (uint8_t)*s++;
	if (sig_parse_int(sig_trim((char *)s), 0, max, &a))
		return sig_err(ps, "expected N, <N, >N or N<>M");
	v->lo = v->hi = (uint32_t)a;
	return 0;
}

static int sig_range_ok(const struct sig_appval_ctx *v, uint64_t x)
{
	switch (v->op) {
	case '<': return x < v->lo;
	case '>': return x > v->lo;
	case '!': return x != v->lo;
	case 'r': return x > v->lo && x < v->hi;
	case '&': return (x & v->lo) != 0;
	default: return x == v->lo;
	}
}

int sig_appval_match(struct sig_appctx *ac, const struct sig_appval_ctx *v)
{
	uint32_t x;

	if (!ac)
		return 0;
	for (unsigned i = 0; i < 64 && sig_app_value(ac, v->field, i, &x); i++)
		if (sig_range_ok(v, x))
			return 1;
	return 0;
}

int sig_bsize_match(const struct sig_appval_ctx *v, size_t len)
{
	return sig_range_ok(v, len);
}

int sig_kw_bsize(struct sig_parse *ps, const char *arg)
{
	struct sig_appval_ctx *v;

	if (ps->cur_list <= 0)
		return sig_err(ps, "needs a sticky buffer before it");
	v = calloc(1, sizeof(*v));
	if (!v)
		return sig_err(ps, "out of memory");
	if (sig_range(ps, arg, v, 0xffffffffLL)) {
		free(v);
		return -1;
	}
	if (!sig_rule_add_pm(ps, SIG_SM_BSIZE, sig_kw_find("bsize"), v)) {
		free(v);
		return sig_err(ps, "out of memory");
	}
	return 0;
}

/* a value test in the rule's value list */
static int sig_add_appval(struct sig_parse *ps, struct sig_appval_ctx *v)
{
	struct sig_rule *r = ps->r;
	int li = -1, saved = ps->cur_list;
	struct sig_sm *sm;

	for (unsigned i = 1; i < r->n_lists; i++)
		if (r->lists[i].buf == SIG_BUF_MAX)
			li = (int)i;
	if (li < 0 && (li = sig_new_list(ps, SIG_BUF_MAX, 0)) < 0) {
		free(v);
		return -1;
	}
	ps->cur_list = li;
	sm = sig_rule_add_pm(ps, SIG_SM_APPVAL, ps->cur_kw, v);
	ps->cur_list = saved;
	if (!sm) {
		free(v);
		return sig_err(ps, "out of memory");
	}
	return 0;
}

int sig_kw_urilen(struct sig_parse *ps, const char *arg)
{
	struct sig_appval_ctx *v = calloc(1, sizeof(*v));
	char buf[64], *comma;

	if (!v)
		return sig_err(ps, "out of memory");
	snprintf(buf, sizeof(buf), "%s", arg);
	v->field = SIG_AV_URILEN;
	if ((comma = strchr(buf, ',')) != NULL) {
		*comma = 0;
		if (!strcmp(sig_trim(comma + 1), "raw"))
			v->field = SIG_AV_URILEN_RAW;
		else if (strcmp(sig_trim(comma + 1), "norm")) {
			free(v);
			return sig_err(ps, "expected norm or raw after the ','");
		}
	}
	if (sig_range(ps, buf, v, 65535)) {
		free(v);
		return -1;
	}
	return sig_add_appval(ps, v);
}

int sig_kw_dns_opcode(struct sig_parse *ps, const char *arg)
{
	struct sig_appval_ctx *v = calloc(1, sizeof(*v));

	if (!v)
		return sig_err(ps, "out of memory");
	v->field = SIG_AV_DNS_OPCODE;
	if (sig_range(ps, arg, v, 15)) {
		free(v);
		return -1;
	}
	return sig_add_appval(ps, v);
}

int sig_kw_dns_rrtype(struct sig_parse *ps, const char *arg)
{
	static const struct {
		const char *n;
		uint16_t v;
	} types[] = { { "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 }, { "PTR", 12 },
		      { "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 }, { "SRV", 33 }, { "NULL", 10 },
		      { "ANY", 255 }, { "HTTPS", 65 }, { "SVCB", 64 }, { "AXFR", 252 } };
	struct sig_appval_ctx *v = calloc(1, sizeof(*v));

	if (!v)
		return sig_err(ps, "out of memory");
	v->field = SIG_AV_DNS_RRTYPE;
	for (size_t i = 0; i < SIG_N(types); i++) {
		if (!strcasecmp(arg, types[i].n)) {
			v->op = '=';
			v->lo = v->hi = types[i].v;
			return sig_add_appval(ps, v);
		}
	}
	if (sig_range(ps, arg, v, 65535)) {
		free(v);
		return -1;
	}
	return sig_add_appval(ps, v);
}

int sig_kw_tls_version(struct sig_parse *ps, const char *arg)
{
	static const struct {
		const char *n;
		uint16_t v;
	} vers[] = { { "1.0", 0x0301 }, { "1.1", 0x0302 }, { "1.2", 0x0303 }, { "1.3", 0x0304 },
		     { "3.0", 0x0300 }, { "ssl3", 0x0300 }, { "tls1.0", 0x0301 }, { "tls1.1", 0x0302 },
		     { "tls1.2", 0x0303 }, { "tls1.3", 0x0304 }, { "2.0", 0x0200 }, { "ssl2", 0x0200 },
		     { "sslv2", 0x0200 } };
	struct sig_appval_ctx *v = calloc(1, sizeof(*v));
	long long x;

	if (!v)
		return sig_err(ps, "out of memory");
	v->field = SIG_AV_TLS_VERSION;
	v->op = '=';
	for (size_t i = 0; i < SIG_N(vers); i++) {
		if (!strcasecmp(arg, vers[i].n)) {
			v->lo = v->hi = vers[i].v;
			return sig_add_appval(ps, v);
		}
	}
	if (!strncmp(arg, "0x", 2) && sig_parse_int(arg, 0, 0xffff, &x) == 0) {
		v->lo = v->hi = (uint32_t)x;
		return sig_add_appval(ps, v);
	}
	free(v);
	return sig_err(ps, "expected 1.0, 1.1, 1.2, 1.3, 3.0 or 2.0");
}

/* app-layer-event:<proto>.<event>: an event the parser raised on the transaction; natwarden
 * raises http.request_field_too_long (a request header line cut at 16 KiB) */
int sig_kw_app_event(struct sig_parse *ps, const char *arg)
{
	struct sig_appval_ctx *v;
	char buf[96], *s;

	snprintf(buf, sizeof(buf), "%s", arg);
	s = sig_trim(buf);
	if (strcasecmp(s, "http.request_field_too_long"))
		return sig_err(ps, "event '%s' not supported by natwarden "
			       "(http.request_field_too_long is)", s);
	v = calloc(1, sizeof(*v));
	if (!v)
		return sig_err(ps, "out of memory");
	v->field = SIG_AV_HTTP_EVENTS;
	v->op = '&';
	v->lo = v->hi = SIG_HTTP_EV_FIELD_TOO_LONG;
	return sig_add_appval(ps, v);
}

/* pcre HTTP modifiers -> buffer; -1 for others */
int sig_pcre_flag_buf(char f)
{
	switch (f) {
	case 'U': return SIG_BUF_HTTP_URI;
	case 'I': return SIG_BUF_HTTP_URI_RAW;
	case 'P': return SIG_BUF_HTTP_REQUEST_BODY;
	case 'Q': return SIG_BUF_HTTP_RESPONSE_BODY;
	case 'H': return SIG_BUF_HTTP_HEADER;
	case 'D': return SIG_BUF_HTTP_HEADER_RAW;
	case 'M': return SIG_BUF_HTTP_METHOD;
	case 'C': return SIG_BUF_HTTP_COOKIE;
	case 'K': return SIG_BUF_HTTP_COOKIE;
	case 'S': return SIG_BUF_HTTP_STAT_CODE;
	case 'Y': return SIG_BUF_HTTP_STAT_MSG;
	case 'V': return SIG_BUF_HTTP_UA;
	case 'W': return SIG_BUF_HTTP_HOST;
	case 'Z': return SIG_BUF_HTTP_HOST_RAW;
	default: return -1;
	}
}
