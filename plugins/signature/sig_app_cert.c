/* plugins/signature/sig_app_cert.c: the server's TLS (<= 1.2) certificate chain: found in the bounded handshake bytes, each DER certificate located (tls.certs), the first decoded by libcrypto (d2i_X509), its subject, issuer, serial and SHA-1 fingerprint formatted as Suricata does. */
#include <string.h>
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include "sig_app.h"

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

/* the attribute types printed by name (as Suricata does); others as a dotted OID */
static const struct {
	int nid;
	const char *name;
} sig_attr_names[] = {
	{ NID_commonName, "CN" },
	{ NID_surname, "SN" },
	{ NID_serialNumber, "serialNumber" },
	{ NID_countryName, "C" },
	{ NID_localityName, "L" },
	{ NID_stateOrProvinceName, "ST" },
	{ NID_streetAddress, "street" },
	{ NID_organizationName, "O" },
	{ NID_organizationalUnitName, "OU" },
	{ NID_title, "title" },
	{ NID_givenName, "GN" },
	{ NID_pkcs9_emailAddress, "emailAddress" },
	{ NID_userId, "UID" },
	{ NID_domainComponent, "DC" },
};

/* an attribute value: the string types as text, anything else as #hex of its content (as
 * RFC 4514) */
static void sig_attr_value(struct sig_sw *w, const ASN1_STRING *s)
{
	const uint8_t *v = ASN1_STRING_get0_data(s);
	long n = ASN1_STRING_length(s);

	switch (ASN1_STRING_type(s)) {
	case V_ASN1_UTF8STRING:
	case V_ASN1_NUMERICSTRING:
	case V_ASN1_PRINTABLESTRING:
	case V_ASN1_T61STRING:
	case V_ASN1_IA5STRING:
	case V_ASN1_VISIBLESTRING:
		for (long i = 0; i < n; i++) {
			char c = v[i] ? (char)v[i] : '?';
			sig_sw_put(w, &c, 1);
		}
		return;
	case V_ASN1_BMPSTRING: /* UCS-2: characters below U+0100 kept as a byte, the rest '?' */
		for (long i = 0; i + 1 < n; i += 2) {
			char c = v[i] == 0 && v[i + 1] ? (char)v[i + 1] : '?';
			sig_sw_put(w, &c, 1);
		}
		return;
	case V_ASN1_SEQUENCE: { /* kept with its tag and length: print the content only */
		const unsigned char *p = v;
		long len;
		int tag, cls;
		if (!(ASN1_get_object(&p, &len, &tag, &cls, n) & 0x80)) {
			n -= (long)(p - v);
			v = p;
		}
		break;
	}
	default:
		break;
	}
	sig_sw_put(w, "#", 1);
	sig_sw_hex(w, v, (size_t)n, 0, 0);
}

/* a Name as "C=NL, O=Org, CN=host", its attributes in certificate order; -1 malformed */
static int sig_name_format(const X509_NAME *name, char *out, size_t cap, uint16_t *outlen)
{
	struct sig_sw w = { out, 0, cap };
	int n = X509_NAME_entry_count(name);

	out[0] = 0;
	for (int i = 0; i < n; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
		int nid = OBJ_obj2nid(obj);
		const char *an = NULL;
		char dotted[64];

		for (size_t k = 0; k < sizeof(sig_attr_names) / sizeof(sig_attr_names[0]); k++)
			if (nid != NID_undef && sig_attr_names[k].nid == nid)
				an = sig_attr_names[k].name;
		if (!an) {
			if (OBJ_obj2txt(dotted, sizeof(dotted), obj, 1) <= 0)
				return -1;
			an = dotted;
		}
		if (i)
			sig_sw_put(&w, ", ", 2);
		sig_sw_str(&w, an);
		sig_sw_put(&w, "=", 1);
		sig_attr_value(&w, X509_NAME_ENTRY_get_data(e));
	}
	*outlen = (uint16_t)w.n;
	return 0;
}

/* the serial as its DER INTEGER content (a leading 00 or FF kept), "0A:1B:.." */
static int sig_serial_format(const ASN1_INTEGER *serial, struct sig_tls_cert *c)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	long len;
	int tag, cls, n = i2d_ASN1_INTEGER(serial, &der), rc = -1;
	struct sig_sw w = { c->serial, 0, sizeof(c->serial) };

	if (n <= 0)
		return -1;
	p = der;
	if (!(ASN1_get_object(&p, &len, &tag, &cls, n) & 0x80) && len > 0 &&
	    len <= n - (long)(p - der)) {
		sig_sw_hex(&w, p, (size_t)len, 1, ':');
		c->serial_len = (uint16_t)w.n;
		rc = 0;
	}
	OPENSSL_free(der);
	return rc;
}

int sig_x509_parse(const uint8_t *der, size_t n, struct sig_tls_cert *c)
{
	const uint8_t *end = der;
	uint8_t digest[20];
	struct sig_sw w;
	X509 *x;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	x = sig_x509_decode(der, n, &end);
	if (!x)
		return -1;
	if (sig_serial_format(X509_get0_serialNumber(x), c) ||
	    sig_name_format(X509_get_issuer_name(x), c->issuer, sizeof(c->issuer), &c->issuer_len) ||
	    sig_name_format(X509_get_subject_name(x), c->subject, sizeof(c->subject),
			    &c->subject_len) ||
	    sig_digest(SIG_MD_SHA1, der, (size_t)(end - der), digest))
		goto out;
	w = (struct sig_sw){ c->fingerprint, 0, sizeof(c->fingerprint) };
	sig_sw_hex(&w, digest, sizeof(digest), 0, ':');
	c->fingerprint_len = (uint16_t)w.n;
	rc = 0;
out:
	X509_free(x);
	if (rc)
		memset(c, 0, sizeof(*c));
	return rc;
}

static uint32_t sig_g24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

/* locate the complete certificates of a Certificate message body (len bytes, have of them
 * gathered) in chain; -1 when its lengths disagree */
static int sig_chain_locate(struct sig_tls_chain *chain, size_t body, size_t len, size_t have)
{
	const uint8_t *hs = chain->hs;
	size_t clen, o, end;

	if (len < 3)
		return -1;
	clen = sig_g24(hs + body);
	if (clen == 0 || clen + 3 > len)
		return -1; /* an empty chain, or lengths that disagree */
	end = body + 3 + clen;
	for (o = body + 3; o + 3 <= end && o + 3 <= have && chain->n < SIG_CERT_CHAIN_MAX;) {
		size_t l = sig_g24(hs + o);
		if (l == 0 || o + 3 + l > end)
			return -1;
		if (o + 3 + l > have)
			break;
		chain->off[chain->n] = (uint16_t)(o + 3);
		chain->len[chain->n++] = (uint16_t)l;
		o += 3 + l;
	}
	return 0;
}

int sig_tls_cert_parse(const uint8_t *p, size_t n, int last, struct sig_tls_cert *out,
		       struct sig_tls_chain *chain)
{
	uint8_t *hs = chain->hs;
	size_t o = 0, have = 0;
	int full = 0, ended = 0;

	chain->n = 0;
	/* gather handshake bytes from consecutive handshake records (bounded) */
	while (o + 5 <= n && !full) {
		size_t rl = (size_t)(p[o + 3] << 8 | p[o + 4]), take;
		if (p[o] != 22 || p[o + 1] != 3 || rl == 0) {
			ended = 1; /* not a handshake record: the messages end here */
			break;
		}
		take = o + 5 + rl > n ? n - o - 5 : rl;
		if (take > SIG_CERT_HS_MAX - have) {
			take = SIG_CERT_HS_MAX - have;
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
		size_t len = sig_g24(hs + m + 1);
		if (type == 11) {
			if (m + 4 + 3 > have)
				break;
			if (sig_chain_locate(chain, m + 4, len, have))
				return -1;
			/* the whole message, or what there is when no more can come */
			if (m + 4 + len > have && !(full || ended || last))
				return 0;
			if (!chain->n) {
				if (full || ended || last)
					return -1;
				return 0;
			}
			return sig_x509_parse(hs + chain->off[0], chain->len[0], out) ? -1 : 1;
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
