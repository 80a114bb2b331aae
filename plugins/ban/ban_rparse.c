/* ban plugin: strict parsers and encoders for what is stored in Redis (never trusted). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ban.h"

#define BAN_MAX_FIELD 128

/* Copy a length-delimited value into a NUL-terminated buffer; refuses NULs and overlong input. */
static int ban_rcopy(char *dst, size_t dlen, const char *s, size_t len)
{
	if (!s || len >= dlen || memchr(s, '\0', len))
		return -EINVAL;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

static int ban_rname(char *dst, size_t dlen, const char *s, size_t len)
{
	if (len == 0 || ban_rcopy(dst, dlen, s, len) < 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '@' || c == '-'))
			return -EINVAL;
	}
	return 0;
}

static int ban_rtext(char *dst, size_t dlen, const char *s, size_t len)
{
	if (ban_rcopy(dst, dlen, s, len) < 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return -EINVAL;
	return 0;
}

static int ban_ru64(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;

	if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* The common case without formatting: "A.B.C.D/P" spelled canonically (no leading zeros,
 * octets <= 255, prefix 1..32). 1 = parsed into out (host bits still to check), 0 = not this
 * form (the general path decides). */
static int ban_rparse_v4fast(const char *s, size_t len, struct ban_net *out)
{
	size_t i = 0;
	unsigned v[5];

	for (int k = 0; k < 5; k++) {
		size_t st = i;
		unsigned x = 0;
		while (i < len && i - st < 3 && s[i] >= '0' && s[i] <= '9')
			x = x * 10 + (unsigned)(s[i++] - '0');
		if (i == st || (s[st] == '0' && i - st > 1) || x > (k == 4 ? 32u : 255u))
			return 0;
		v[k] = x;
		if (k < 4) {
			if (i >= len || s[i] != (k == 3 ? '/' : '.'))
				return 0;
			i++;
		}
	}
	if (i != len)
		return 0;
	memset(out, 0, sizeof(*out));
	out->family = 4;
	out->prefix = (uint8_t)v[4];
	for (int k = 0; k < 4; k++)
		out->a[k] = (uint8_t)v[k];
	return 1;
}

int ban_rparse_member(const char *s, size_t len, const struct ban_rlimits *lim,
		      struct ban_net *out)
{
	char buf[BAN_NET_STRLEN], canon[BAN_NET_STRLEN];

	if (ban_rparse_v4fast(s, len, out)) {
		struct ban_net m = *out;
		ban_net_mask(&m);
		if (out->prefix == 0 || out->prefix < lim->min_prefix4 || memcmp(m.a, out->a, 4))
			return -EINVAL; /* /0, too short, or host bits set */
		return 0;
	}
	if (ban_rcopy(buf, sizeof(buf), s, len) < 0 || !memchr(buf, '/', len))
		return -EINVAL;
	if (ban_net_parse(buf, out, 1) < 0)
		return -EINVAL;
	if (out->prefix == 0 || out->prefix < (out->family == 4 ? lim->min_prefix4 : lim->min_prefix6))
		return -EINVAL;
	/* only the canonical spelling, so one network has exactly one member */
	if (ban_rmember_format(out, canon, sizeof(canon)) < 0 || strcmp(canon, buf))
		return -EINVAL;
	return 0;
}

int ban_rmember_format(const struct ban_net *n, char *buf, size_t len)
{
	struct ban_net full = *n;
	char a[BAN_NET_STRLEN];
	int r;

	full.prefix = (uint8_t)ban_net_maxprefix(n);
	if (ban_net_format(&full, a, sizeof(a)) < 0)
		return -EINVAL;
	r = snprintf(buf, len, "%s/%u", a, n->prefix);
	return r < 0 || (size_t)r >= len ? -ENOSPC : r;
}

int ban_rparse_expiry(const char *s, size_t len, uint64_t now_wall, const struct ban_rlimits *lim,
		      uint64_t *expires_wall)
{
	uint64_t v;

	if (len == 3 && !memcmp(s, "inf", 3)) {
		if (!lim->allow_perm)
			return -EINVAL;
		*expires_wall = 0;
		return 0;
	}
	if (ban_ru64(s, len, &v) < 0)
		return -EINVAL;
	if (v == 0) {
		if (!lim->allow_perm)
			return -EINVAL;
		*expires_wall = 0;
		return 0;
	}
	if (v <= now_wall)
		return -ESTALE;
	if (v - now_wall > lim->max_ttl)
		return -EINVAL;
	*expires_wall = v;
	return 0;
}

static int ban_raction(const char *s, size_t len, int *reject)
{
	if (len == 4 && !memcmp(s, "drop", 4))
		*reject = 0;
	else if (len == 6 && !memcmp(s, "reject", 6))
		*reject = 1;
	else
		return -EINVAL;
	return 0;
}

int ban_rparse_meta(const char *s, size_t len, struct ban_record *r, char *reason,
		    size_t reasonlen)
{
	const char *tok[5];
	size_t tl[5];
	size_t i = 0;
	uint64_t v;

	if (len > 512)
		return -EINVAL;
	for (int t = 0; t < 5; t++) {
		size_t st = i;
		while (i < len && s[i] != ' ')
			i++;
		tok[t] = s + st;
		tl[t] = i - st;
		if (tl[t] == 0)
			return -EINVAL;
		if (t < 4 && i >= len)
			return -EINVAL;
		if (i < len)
			i++;
	}
	if (ban_rname(r->jail, sizeof(r->jail), tok[0], tl[0]) < 0 ||
	    ban_rname(r->origin, sizeof(r->origin), tok[1], tl[1]) < 0 ||
	    ban_raction(tok[2], tl[2], &r->reject) < 0)
		return -EINVAL;
	if (ban_ru64(tok[3], tl[3], &v) < 0 || v > UINT32_MAX)
		return -EINVAL;
	r->count = (uint32_t)v;
	if (ban_ru64(tok[4], tl[4], &r->created_wall) < 0)
		return -EINVAL;
	if (reason && reasonlen) {
		reason[0] = '\0';
		if (i < len && ban_rtext(reason, reasonlen, s + i, len - i) < 0)
			return -EINVAL;
	}
	return 0;
}

int ban_rmeta_format(const struct ban_record *r, const char *reason, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s %s %s %" PRIu32 " %" PRIu64 "%s%.*s",
			 r->jail[0] ? r->jail : "-", r->origin[0] ? r->origin : "-",
			 r->reject ? "reject" : "drop", r->count, r->created_wall,
			 reason && *reason ? " " : "", 95, reason ? reason : "");
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

/* ---- stream events ---- */

/* Field order of the signed text; "sig" is the HMAC of "name=value\n" for these in order. */
static const char *const ban_ev_fields[] = {"v",   "a",     "ip",      "exp",    "jail", "origin",
					    "act", "count", "created", "reason", "gw"};
#define BAN_EV_NFIELDS (sizeof(ban_ev_fields) / sizeof(ban_ev_fields[0]))

static void ban_hex(const uint8_t *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[i * 2] = hx[in[i] >> 4];
		out[i * 2 + 1] = hx[in[i] & 15];
	}
	out[n * 2] = '\0';
}

int ban_hmac_sha256(const uint8_t *key, size_t keylen, const void *msg, size_t len,
		    uint8_t out[32])
{
	unsigned int n = 0;

	if (keylen > INT_MAX || !HMAC(EVP_sha256(), key, (int)keylen, msg, len, out, &n) || n != 32)
		return -1;
	return 0;
}

/* hex of the HMAC, or "" when libcrypto failed (which then matches no signature) */
static void ban_mac_hex(const uint8_t *key, size_t keylen, const void *msg, size_t len,
			char hex[65])
{
	uint8_t mac[32];

	if (ban_hmac_sha256(key, keylen, msg, len, mac) < 0)
		hex[0] = '\0';
	else
		ban_hex(mac, 32, hex);
}

static void ban_ev_sign(const char *const *vals, const size_t *lens, const uint8_t *key,
			size_t keylen, char hex[65])
{
	char text[BAN_EV_NFIELDS * (BAN_MAX_FIELD + 16)];
	size_t n = 0;

	for (size_t i = 0; i < BAN_EV_NFIELDS; i++) {
		size_t fl = strlen(ban_ev_fields[i]);
		size_t vl = lens[i] > BAN_MAX_FIELD ? BAN_MAX_FIELD : lens[i];
		memcpy(text + n, ban_ev_fields[i], fl);
		n += fl;
		text[n++] = '=';
		if (vl)
			memcpy(text + n, vals[i], vl);
		n += vl;
		text[n++] = '\n';
	}
	ban_mac_hex(key, keylen, text, n, hex);
}

int ban_rparse_event(const char *const *kv, const size_t *lens, size_t n_pairs,
		     uint64_t now_wall, const struct ban_rlimits *lim, const uint8_t *key,
		     size_t keylen, struct ban_revent *out)
{
	const char *val[BAN_EV_NFIELDS] = {0};
	size_t vlen[BAN_EV_NFIELDS] = {0};
	const char *sig = NULL;
	size_t siglen = 0;
	uint64_t v;
	int r;

	memset(out, 0, sizeof(*out));
	if (n_pairs == 0 || n_pairs > BAN_EV_NFIELDS + 1)
		return -EINVAL;
	for (size_t i = 0; i < n_pairs; i++) {
		const char *f = kv[2 * i], *x = kv[2 * i + 1];
		size_t fl = lens[2 * i], xl = lens[2 * i + 1];
		size_t k;

		if (!f || !x || xl > BAN_MAX_FIELD)
			return -EINVAL;
		if (fl == 3 && !memcmp(f, "sig", 3)) {
			if (sig)
				return -EINVAL;
			sig = x;
			siglen = xl;
			continue;
		}
		for (k = 0; k < BAN_EV_NFIELDS; k++)
			if (strlen(ban_ev_fields[k]) == fl && !memcmp(ban_ev_fields[k], f, fl))
				break;
		if (k == BAN_EV_NFIELDS || val[k])
			return -EINVAL; /* unknown or repeated field */
		val[k] = x;
		vlen[k] = xl;
	}
	for (size_t k = 0; k < 4; k++) /* v, a, ip, exp are required */
		if (!val[k])
			return -EINVAL;
	if (vlen[0] != 1 || val[0][0] != '1')
		return -EINVAL;
	if (key && keylen) {
		char want[65];
		if (!sig)
			return -EPERM;
		ban_ev_sign(val, vlen, key, keylen, want);
		if (!ban_rsig_eq(want, sig, siglen))
			return -EPERM;
	}
	if (vlen[1] == 3 && !memcmp(val[1], "ban", 3))
		out->action = NW_BAN_ACTION_BAN;
	else if (vlen[1] == 5 && !memcmp(val[1], "unban", 5))
		out->action = NW_BAN_ACTION_UNBAN;
	else
		return -EINVAL;
	if (ban_rparse_member(val[2], vlen[2], lim, &out->rec.net) < 0)
		return -EINVAL;
	if (out->action == NW_BAN_ACTION_BAN) {
		r = ban_rparse_expiry(val[3], vlen[3], now_wall, lim, &out->rec.expires_wall);
		if (r < 0)
			return r;
	} else if (ban_ru64(val[3], vlen[3], &v) < 0) {
		return -EINVAL;
	}
	if (val[4] && ban_rname(out->rec.jail, sizeof(out->rec.jail), val[4], vlen[4]) < 0)
		return -EINVAL;
	if (val[5] && ban_rname(out->rec.origin, sizeof(out->rec.origin), val[5], vlen[5]) < 0)
		return -EINVAL;
	if (val[6] && ban_raction(val[6], vlen[6], &out->rec.reject) < 0)
		return -EINVAL;
	if (val[7]) {
		if (ban_ru64(val[7], vlen[7], &v) < 0 || v > UINT32_MAX)
			return -EINVAL;
		out->rec.count = (uint32_t)v;
	}
	if (val[8] && ban_ru64(val[8], vlen[8], &out->rec.created_wall) < 0)
		return -EINVAL;
	if (val[9] && ban_rtext(out->reason, sizeof(out->reason), val[9], vlen[9]) < 0)
		return -EINVAL;
	if (val[10] && ban_rname(out->gw, sizeof(out->gw), val[10], vlen[10]) < 0)
		return -EINVAL;
	return 0;
}

size_t ban_revent_encode(const struct ban_revent *ev, const uint8_t *key, size_t keylen,
			 struct ban_rev_buf *b)
{
	const char *vals[BAN_EV_NFIELDS];
	size_t lens[BAN_EV_NFIELDS];
	size_t n = 0;

	snprintf(b->v[0], sizeof(b->v[0]), "1");
	snprintf(b->v[1], sizeof(b->v[1]), "%s",
		 ev->action == NW_BAN_ACTION_UNBAN ? "unban" : "ban");
	if (ban_rmember_format(&ev->rec.net, b->v[2], sizeof(b->v[2])) < 0)
		b->v[2][0] = '\0';
	snprintf(b->v[3], sizeof(b->v[3]), "%" PRIu64, ev->rec.expires_wall);
	snprintf(b->v[4], sizeof(b->v[4]), "%s", ev->rec.jail[0] ? ev->rec.jail : "-");
	snprintf(b->v[5], sizeof(b->v[5]), "%s", ev->rec.origin[0] ? ev->rec.origin : "-");
	snprintf(b->v[6], sizeof(b->v[6]), "%s", ev->rec.reject ? "reject" : "drop");
	snprintf(b->v[7], sizeof(b->v[7]), "%" PRIu32, ev->rec.count);
	snprintf(b->v[8], sizeof(b->v[8]), "%" PRIu64, ev->rec.created_wall);
	snprintf(b->v[9], sizeof(b->v[9]), "%.95s", ev->reason);
	snprintf(b->v[10], sizeof(b->v[10]), "%s", ev->gw[0] ? ev->gw : "-");
	for (size_t i = 0; i < BAN_EV_NFIELDS; i++) {
		vals[i] = b->v[i];
		lens[i] = strlen(b->v[i]);
		b->f[2 * n] = ban_ev_fields[i];
		b->l[2 * n] = strlen(ban_ev_fields[i]);
		b->f[2 * n + 1] = b->v[i];
		b->l[2 * n + 1] = lens[i];
		n++;
	}
	if (key && keylen) {
		static const char sigf[] = "sig";
		/* the signature goes in the slot after the event fields */
		ban_ev_sign(vals, lens, key, keylen, b->v[BAN_EV_NFIELDS]);
		b->f[2 * n] = sigf;
		b->l[2 * n] = 3;
		b->f[2 * n + 1] = b->v[BAN_EV_NFIELDS];
		b->l[2 * n + 1] = strlen(b->v[BAN_EV_NFIELDS]); /* 64, or 0: peers refuse it */
		n++;
	}
	return n;
}

int ban_rsig_eq(const char *want, const char *s, size_t len)
{
	if (!s || len != 64 || strlen(want) != 64)
		return 0;
	return CRYPTO_memcmp(want, s, 64) == 0;
}

void ban_rentry_sign(const uint8_t *key, size_t keylen, const char *member, uint64_t expires_wall,
		     const char *meta, size_t metalen, char hex[65])
{
	char text[BAN_NET_STRLEN + 32 + 520];
	int n;

	if (metalen > 512)
		metalen = 512;
	n = snprintf(text, sizeof(text), "%s\n%" PRIu64 "\n%.*s", member, expires_wall,
		     (int)metalen, meta);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(text))
		n = (int)sizeof(text) - 1;
	ban_mac_hex(key, keylen, text, (size_t)n, hex);
}

/* A DNS name: dot-separated labels of letters, digits and '-', none empty or starting with '-'. */
static int ban_rhostname(const char *s, size_t len)
{
	size_t lab = 0;

	if (len == 0 || len > 253)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '.') {
			if (lab == 0)
				return 0;
			lab = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			   (c == '-' && lab > 0)) {
			if (++lab > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return lab > 0;
}

int ban_hostport_parse(const char *s, size_t n, const char *defport, char *out, size_t outlen)
{
	const char *e = s + n, *host = s, *port = defport;
	size_t hl, pl = strlen(defport);

	if (n && *s == '[') {
		const char *rb = memchr(s, ']', n);
		if (!rb || (rb + 1 != e && rb[1] != ':'))
			return -EINVAL;
		host = s + 1;
		hl = (size_t)(rb - host);
		if (rb + 1 != e) {
			port = rb + 2;
			pl = (size_t)(e - port);
		}
		if (!memchr(host, ':', hl))
			return -EINVAL; /* brackets are for IPv6 */
	} else {
		const char *colon = memchr(s, ':', n);
		hl = colon ? (size_t)(colon - s) : n;
		if (colon) {
			port = colon + 1;
			pl = (size_t)(e - port);
		}
	}
	return ban_rparse_hostport(host, hl, port, pl, out, outlen);
}

int ban_rparse_hostport(const char *host, size_t hl, const char *port, size_t pl, char *out,
			size_t outlen)
{
	char h[254];
	uint64_t pn;
	unsigned char bin[16];
	int n;

	if (ban_rcopy(h, sizeof(h), host, hl) < 0 || ban_ru64(port, pl, &pn) < 0 || pn < 1 ||
	    pn > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET6, h, bin) == 1)
		n = snprintf(out, outlen, "[%s]:%" PRIu64, h, pn);
	else if (inet_pton(AF_INET, h, bin) == 1 || ban_rhostname(h, hl))
		n = snprintf(out, outlen, "%s:%" PRIu64, h, pn);
	else
		return -EINVAL;
	return n > 0 && (size_t)n < outlen ? 0 : -ENOSPC;
}
