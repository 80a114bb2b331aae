/* plugins/signature/sig_app_tls.c: a bounded TLS ClientHello/ServerHello parser: SNI, version, JA3/JA3S; SSLv2-format CLIENT-HELLO and SERVER-HELLO (version only). */
#include <stdio.h>
#include <string.h>
#include "sig_app.h"

#define SIG_TLS_HS_MAX 16384 /* a hello larger than this (across records) is not parsed */

static uint16_t sig_g16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int sig_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* an SSLv2 record with a two-byte header (high bit set) holding CLIENT-HELLO (1) or
 * SERVER-HELLO (4) of SSL 2.0 (0x0002) or SSL 3.0 .. TLS 1.3 (a v2-compatible ClientHello) */
static int sig_ssl2_sane(const uint8_t *p, size_t n)
{
	size_t len;
	uint16_t v;

	if (n < 2)
		return 0;
	len = (size_t)(p[0] & 0x7f) << 8 | p[1];
	if (len < 9)
		return -1;
	if (n < 3)
		return 0;
	if (p[2] != 1 && p[2] != 4)
		return -1;
	if (n < (p[2] == 1 ? 5u : 7u))
		return 0;
	v = sig_g16(p + (p[2] == 1 ? 3 : 5));
	if (v != 0x0002 && (v >> 8 != 3 || (v & 0xff) > 4))
		return -1;
	return 1;
}

/* SSLv2 hellos: the version (SSL 2.0 as Suricata's 0x0200), no SNI or JA3 */
static int sig_ssl2_parse(const uint8_t *p, size_t n, struct sig_tls_hello *h)
{
	size_t len = (size_t)(p[0] & 0x7f) << 8 | p[1];
	const uint8_t *b = p + 2;
	uint16_t v;

	if (n < 2 + len)
		return 0;
	memset(h, 0, sizeof(*h));
	if (b[0] == 1) {
		size_t cs = sig_g16(b + 3), sid = sig_g16(b + 5), ch = sig_g16(b + 7);
		if (!cs || cs % 3 || (sid && sid != 16) || ch < 16 || ch > 32 || 9 + cs + sid + ch > len)
			return -1;
		h->type = 1;
		v = sig_g16(b + 1);
	} else {
		if (len < 11)
			return -1;
		h->type = 2;
		v = sig_g16(b + 3);
	}
	h->version = v == 0x0002 ? 0x0200 : v;
	return 1;
}

int sig_tls_sane(const uint8_t *p, size_t n)
{
	if (n < 1)
		return 0;
	if (p[0] & 0x80)
		return sig_ssl2_sane(p, n);
	if (p[0] != 22)
		return -1;
	if (n < 2)
		return 0;
	if (p[1] != 3)
		return -1;
	if (n < 3)
		return 0;
	if (p[2] > 4)
		return -1;
	if (n < 6)
		return 0;
	if (sig_g16(p + 3) < 4 || sig_g16(p + 3) > 16384 + 2048)
		return -1;
	if (p[5] != 1 && p[5] != 2)
		return -1;
	return 1;
}

/* the JA3 string builder: bounded, truncation makes the string (and hash) simply not match */
struct sig_ja3 {
	char *s;
	size_t n, cap;
};

/* append [sep]v (sep 0: none) or, with v < 0, just sep */
static void sig_ja3_put(struct sig_ja3 *j, char sep, long v)
{
	int k;

	if (j->n >= j->cap)
		return;
	if (v < 0)
		k = snprintf(j->s + j->n, j->cap - j->n, "%c", sep);
	else if (sep)
		k = snprintf(j->s + j->n, j->cap - j->n, "%c%ld", sep, v);
	else
		k = snprintf(j->s + j->n, j->cap - j->n, "%ld", v);
	if (k < 0 || (size_t)k >= j->cap - j->n)
		j->n = j->cap;
	else
		j->n += (size_t)k;
}

static void sig_ja3_list16(struct sig_ja3 *j, const uint8_t *p, size_t n)
{
	int first = 1;

	for (size_t i = 0; i + 1 < n; i += 2) {
		uint16_t v = sig_g16(p + i);
		if (sig_grease(v))
			continue;
		sig_ja3_put(j, first ? 0 : '-', v);
		first = 0;
	}
}

/* the body of a hello message (after the 4-byte handshake header) */
static int sig_tls_hello(const uint8_t *b, size_t n, int type, struct sig_tls_hello *h)
{
	size_t o = 0, ext_end;
	struct sig_ja3 j = { h->ja3, 0, sizeof(h->ja3) - 1 };
	const uint8_t *ciphers = NULL, *groups = NULL, *pf = NULL;
	size_t nciph = 0, ngroups = 0, npf = 0;
	uint16_t cipher = 0, ver, best = 0;
	int first = 1;

	memset(h, 0, sizeof(*h));
	h->type = (uint8_t)type;
	if (n < 2 + 32 + 1)
		return -1;
	ver = sig_g16(b);
	o = 34;
	if (o + 1 + b[o] > n)
		return -1;
	o += 1 + (size_t)b[o];
	if (type == 1) {
		if (o + 2 > n || o + 2 + sig_g16(b + o) > n)
			return -1;
		nciph = sig_g16(b + o);
		ciphers = b + o + 2;
		o += 2 + nciph;
		if (o + 1 > n || o + 1 + b[o] > n)
			return -1;
		o += 1 + (size_t)b[o];
	} else {
		if (o + 3 > n)
			return -1;
		cipher = sig_g16(b + o);
		o += 3;
	}
	sig_ja3_put(&j, 0, ver);
	sig_ja3_put(&j, ',', -1);
	if (type == 1)
		sig_ja3_list16(&j, ciphers, nciph);
	else
		sig_ja3_put(&j, 0, cipher);
	sig_ja3_put(&j, ',', -1);
	h->version = ver;
	ext_end = o;
	if (o + 2 <= n) {
		ext_end = o + 2 + sig_g16(b + o);
		if (ext_end > n)
			return -1;
		o += 2;
	}
	while (o + 4 <= ext_end) {
		uint16_t et = sig_g16(b + o), el = sig_g16(b + o + 2);
		const uint8_t *e = b + o + 4;
		if (o + 4 + el > ext_end)
			return -1;
		if (!sig_grease(et)) {
			sig_ja3_put(&j, first ? 0 : '-', et);
			first = 0;
		}
		if (et == 0 && type == 1 && el >= 5) { /* server_name */
			size_t l = sig_g16(e + 3);
			if (e[2] == 0 && 5 + l <= el && l < sizeof(h->sni)) {
				memcpy(h->sni, e + 5, l);
				h->sni[l] = 0;
				h->sni_len = (uint16_t)l;
			}
		} else if (et == 10 && el >= 2 && 2u + sig_g16(e) <= el) {
			groups = e + 2;
			ngroups = sig_g16(e);
		} else if (et == 11 && el >= 1 && 1u + e[0] <= el) {
			pf = e + 1;
			npf = e[0];
		} else if (et == 43) { /* supported_versions */
			if (type == 2 && el == 2) {
				best = sig_g16(e);
			} else if (type == 1 && el >= 1 && 1u + e[0] <= el) {
				for (size_t k = 0; k + 1 < e[0]; k += 2) {
					uint16_t v = sig_g16(e + 1 + k);
					if (!sig_grease(v) && v > best)
						best = v;
				}
			}
		}
		o += 4 + (size_t)el;
	}
	if (best)
		h->version = best;
	if (type == 1) {
		sig_ja3_put(&j, ',', -1);
		if (groups)
			sig_ja3_list16(&j, groups, ngroups);
		sig_ja3_put(&j, ',', -1);
		for (size_t k = 0; pf && k < npf; k++)
			sig_ja3_put(&j, k ? '-' : 0, pf[k]);
	}
	if (j.n >= j.cap)
		j.n = j.cap;
	h->ja3[j.n] = 0;
	h->ja3_len = (uint16_t)j.n;
	sig_md5_hex((const uint8_t *)h->ja3, j.n, h->ja3_hash);
	return 1;
}

int sig_tls_parse(const uint8_t *p, size_t n, struct sig_tls_hello *out)
{
	uint8_t hs[SIG_TLS_HS_MAX];
	size_t o = 0, have = 0, need = 0;
	int s = sig_tls_sane(p, n);

	if (s <= 0)
		return s;
	if (p[0] & 0x80)
		return sig_ssl2_parse(p, n, out);
	/* gather the first handshake message from consecutive handshake records */
	while (o + 5 <= n) {
		size_t rl = sig_g16(p + o + 3);
		if (p[o] != 22 || p[o + 1] != 3 || rl == 0)
			return -1;
		if (o + 5 + rl > n)
			return 0;
		if (have + rl > sizeof(hs))
			return -1;
		memcpy(hs + have, p + o + 5, rl);
		have += rl;
		o += 5 + rl;
		if (have >= 4) {
			need = 4 + ((size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3]);
			if (need > sizeof(hs))
				return -1;
			if (have >= need)
				return sig_tls_hello(hs + 4, need - 4, hs[0], out);
		}
	}
	return 0;
}
