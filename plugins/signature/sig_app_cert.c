/* plugins/signature/sig_app_cert.c: the server's first TLS (<= 1.2) certificate: a bounded DER walker for subject, issuer, serial and SHA-1 fingerprint. */
#include <stdio.h>
#include <string.h>
#include "sig_app.h"

#define SIG_CERT_HS_MAX 16384 /* handshake bytes gathered looking for the first certificate */
#define SIG_DER_DEPTH 8       /* nesting levels the walker enters at most */

/* ---- DER ---- */

/* one TLV at p[*off..n): its tag, value and the offset after it; 0 ok, -1 malformed.
 * Only single-byte tags and definite lengths up to 4 bytes (DER). */
static int sig_der_next(const uint8_t *p, size_t n, size_t *off, uint8_t *tag, const uint8_t **val,
			size_t *vlen)
{
	size_t o = *off, len;

	if (o + 2 > n)
		return -1;
	*tag = p[o++];
	if ((*tag & 0x1f) == 0x1f)
		return -1; /* high tag numbers: not in a certificate's fields we read */
	len = p[o++];
	if (len & 0x80) {
		unsigned k = len & 0x7f;
		if (k == 0 || k > 4 || o + k > n)
			return -1; /* indefinite (BER) or absurd */
		len = 0;
		while (k--)
			len = len << 8 | p[o++];
	}
	if (len > n - o)
		return -1;
	*val = p + o;
	*vlen = len;
	*off = o + len;
	return 0;
}

/* a bounded string writer: output is always NUL-terminated, extra text is cut */
struct sig_sw {
	char *s;
	size_t n, cap; /* cap includes the NUL */
};

static void sig_sw_put(struct sig_sw *w, const char *d, size_t n)
{
	if (w->n + 1 >= w->cap)
		return;
	if (n > w->cap - 1 - w->n)
		n = w->cap - 1 - w->n;
	memcpy(w->s + w->n, d, n);
	w->n += n;
	w->s[w->n] = 0;
}

static void sig_sw_str(struct sig_sw *w, const char *s)
{
	sig_sw_put(w, s, strlen(s));
}

static void sig_sw_hex(struct sig_sw *w, const uint8_t *d, size_t n, int upper, char sep)
{
	static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
	const char *h = upper ? up : lo;

	for (size_t i = 0; i < n; i++) {
		char b[3] = { sep, h[d[i] >> 4], h[d[i] & 15] };
		if (i && sep)
			sig_sw_put(w, b, 3);
		else
			sig_sw_put(w, b + 1, 2);
	}
}

static const struct {
	const char *oid; /* dotted */
	const char *name;
} sig_attr_names[] = {
	{ "2.5.4.3", "CN" },
	{ "2.5.4.4", "SN" },
	{ "2.5.4.5", "serialNumber" },
	{ "2.5.4.6", "C" },
	{ "2.5.4.7", "L" },
	{ "2.5.4.8", "ST" },
	{ "2.5.4.9", "street" },
	{ "2.5.4.10", "O" },
	{ "2.5.4.11", "OU" },
	{ "2.5.4.12", "title" },
	{ "2.5.4.42", "GN" },
	{ "1.2.840.113549.1.9.1", "emailAddress" },
	{ "0.9.2342.19200300.100.1.1", "UID" },
	{ "0.9.2342.19200300.100.1.25", "DC" },
};

/* an OBJECT IDENTIFIER in dotted form; -1 if malformed */
static int sig_oid_dotted(const uint8_t *p, size_t n, char *out, size_t cap)
{
	struct sig_sw w = { out, 0, cap };
	uint64_t v = 0;
	unsigned bytes = 0;
	int first = 1;
	char num[24];

	out[0] = 0;
	if (!n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		v = v << 7 | (p[i] & 0x7f);
		if (++bytes > 9)
			return -1;
		if (p[i] & 0x80)
			continue;
		if (first) {
			unsigned a = v < 40 ? 0 : v < 80 ? 1 : 2;
			snprintf(num, sizeof(num), "%u.%llu", a, (unsigned long long)(v - 40u * a));
			first = 0;
		} else {
			snprintf(num, sizeof(num), ".%llu", (unsigned long long)v);
		}
		sig_sw_str(&w, num);
		v = 0;
		bytes = 0;
	}
	return bytes ? -1 : 0;
}

/* an attribute value: the string types as text, anything else as #hex (as RFC 4514) */
static void sig_attr_value(struct sig_sw *w, uint8_t tag, const uint8_t *v, size_t n)
{
	switch (tag) {
	case 0x0c: /* UTF8String */
	case 0x12: /* NumericString */
	case 0x13: /* PrintableString */
	case 0x14: /* T61String */
	case 0x16: /* IA5String */
	case 0x1a: /* VisibleString */
		for (size_t i = 0; i < n; i++) {
			char c = v[i] ? (char)v[i] : '?';
			sig_sw_put(w, &c, 1);
		}
		return;
	case 0x1e: /* BMPString (UCS-2): ASCII kept, the rest '?' */
		for (size_t i = 0; i + 1 < n; i += 2) {
			char c = v[i] == 0 && v[i + 1] ? (char)v[i + 1] : '?';
			sig_sw_put(w, &c, 1);
		}
		return;
	default:
		sig_sw_put(w, "#", 1);
		sig_sw_hex(w, v, n, 0, 0);
	}
}

/* a Name (SEQUENCE OF SET OF AttributeTypeAndValue) as "C=NL, O=Org, CN=host"; -1 malformed */
static int sig_name_format(const uint8_t *p, size_t n, char *out, size_t cap, uint16_t *outlen)
{
	struct sig_sw w = { out, 0, cap };
	size_t o = 0;
	int first = 1;

	out[0] = 0;
	while (o < n) {
		uint8_t tag;
		const uint8_t *set;
		size_t setn, so = 0;
		if (sig_der_next(p, n, &o, &tag, &set, &setn) || tag != 0x31)
			return -1;
		while (so < setn) {
			const uint8_t *atv, *oid, *val;
			size_t atvn, oidn, valn, ao = 0;
			uint8_t t2, vt;
			char dotted[64];
			const char *name = NULL;
			if (sig_der_next(set, setn, &so, &t2, &atv, &atvn) || t2 != 0x30 ||
			    sig_der_next(atv, atvn, &ao, &t2, &oid, &oidn) || t2 != 0x06 ||
			    sig_der_next(atv, atvn, &ao, &vt, &val, &valn))
				return -1;
			if (sig_oid_dotted(oid, oidn, dotted, sizeof(dotted)))
				return -1;
			for (size_t k = 0; k < sizeof(sig_attr_names) / sizeof(sig_attr_names[0]); k++)
				if (!strcmp(sig_attr_names[k].oid, dotted))
					name = sig_attr_names[k].name;
			if (!first)
				sig_sw_put(&w, ", ", 2);
			first = 0;
			sig_sw_str(&w, name ? name : dotted);
			sig_sw_put(&w, "=", 1);
			sig_attr_value(&w, vt, val, valn);
		}
	}
	*outlen = (uint16_t)w.n;
	return 0;
}

int sig_x509_parse(const uint8_t *der, size_t n, struct sig_tls_cert *c)
{
	const uint8_t *cert, *tbs, *v;
	size_t certn, tbsn, vn, o = 0, to = 0, total;
	uint8_t tag, digest[20];
	struct sig_sw w;

	memset(c, 0, sizeof(*c));
	if (sig_der_next(der, n, &o, &tag, &cert, &certn) || tag != 0x30)
		return -1;
	total = o;
	o = 0;
	if (sig_der_next(cert, certn, &o, &tag, &tbs, &tbsn) || tag != 0x30)
		return -1;
	if (sig_der_next(tbs, tbsn, &to, &tag, &v, &vn))
		return -1;
	if (tag == 0xa0 && sig_der_next(tbs, tbsn, &to, &tag, &v, &vn)) /* [0] version */
		return -1;
	if (tag != 0x02 || vn == 0)
		return -1;
	w = (struct sig_sw){ c->serial, 0, sizeof(c->serial) };
	sig_sw_hex(&w, v, vn, 1, ':');
	c->serial_len = (uint16_t)w.n;
	if (sig_der_next(tbs, tbsn, &to, &tag, &v, &vn) || tag != 0x30) /* signature algorithm */
		return -1;
	if (sig_der_next(tbs, tbsn, &to, &tag, &v, &vn) || tag != 0x30 ||
	    sig_name_format(v, vn, c->issuer, sizeof(c->issuer), &c->issuer_len))
		return -1;
	if (sig_der_next(tbs, tbsn, &to, &tag, &v, &vn) || tag != 0x30) /* validity */
		return -1;
	if (sig_der_next(tbs, tbsn, &to, &tag, &v, &vn) || tag != 0x30 ||
	    sig_name_format(v, vn, c->subject, sizeof(c->subject), &c->subject_len))
		return -1;
	sig_sha1(der, total, digest);
	w = (struct sig_sw){ c->fingerprint, 0, sizeof(c->fingerprint) };
	sig_sw_hex(&w, digest, sizeof(digest), 0, ':');
	c->fingerprint_len = (uint16_t)w.n;
	return 0;
}

static uint32_t sig_g24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

int sig_tls_cert_parse(const uint8_t *p, size_t n, struct sig_tls_cert *out)
{
	uint8_t hs[SIG_CERT_HS_MAX];
	size_t o = 0, have = 0;
	int full = 0, ended = 0;

	/* gather handshake bytes from consecutive handshake records (bounded) */
	while (o + 5 <= n && !full) {
		size_t rl = (size_t)(p[o + 3] << 8 | p[o + 4]), take;
		if (p[o] != 22 || p[o + 1] != 3 || rl == 0) {
			ended = 1; /* not a handshake record: the messages end here */
			break;
		}
		take = o + 5 + rl > n ? n - o - 5 : rl;
		if (take > sizeof(hs) - have) {
			take = sizeof(hs) - have;
			full = 1;
		}
		memcpy(hs + have, p + o + 5, take);
		have += take;
		if (take < rl && !full)
			break; /* the rest of this record is still to come */
		o += 5 + rl;
	}
	/* walk the messages: ServerHello (and HelloRequest) may come first, then Certificate */
	for (size_t m = 0; m + 4 <= have;) {
		uint8_t type = hs[m];
		size_t len = sig_g24(hs + m + 1), clen;
		if (type == 11) {
			if (m + 4 + 6 > have)
				break;
			clen = sig_g24(hs + m + 4 + 3);
			if (clen == 0 || clen + 3 > sig_g24(hs + m + 4) || clen + 3 > len)
				return -1; /* an empty chain, or lengths that disagree */
			if (m + 4 + 6 + clen > have)
				break;
			return sig_x509_parse(hs + m + 10, clen, out) ? -1 : 1;
		}
		if (type != 2 && type != 0)
			return -1; /* ServerKeyExchange, ServerHelloDone, ...: no certificate */
		m += 4 + len;
	}
	/* incomplete, unless the gathered bytes can't grow any more */
	if (full || ended)
		return -1;
	return 0;
}
