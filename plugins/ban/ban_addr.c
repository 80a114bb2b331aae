/* ban plugin: address/network parsing and formatting, ignore lists, durations. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ban.h"

/* Masks of a prefix length in one or two words (no loop over bytes: a load runs this per ban). */
static uint32_t ban_mask32(unsigned p)
{
	return p >= 32 ? 0xffffffffu : p ? 0xffffffffu << (32 - p) : 0;
}

static uint64_t ban_mask64(unsigned p)
{
	return p >= 64 ? ~0ull : p ? ~0ull << (64 - p) : 0;
}

static uint64_t ban_be64(const uint8_t *a)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | a[i];
	return v;
}

static void ban_put_be64(uint8_t *a, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		a[i] = (uint8_t)v;
}

void ban_net_mask(struct ban_net *n)
{
	unsigned max = ban_net_maxprefix(n);
	unsigned p = n->prefix > max ? max : n->prefix;

	if (max == 32) {
		uint32_t v = (uint32_t)n->a[0] << 24 | (uint32_t)n->a[1] << 16 |
			     (uint32_t)n->a[2] << 8 | n->a[3];
		v &= ban_mask32(p);
		n->a[0] = (uint8_t)(v >> 24), n->a[1] = (uint8_t)(v >> 16);
		n->a[2] = (uint8_t)(v >> 8), n->a[3] = (uint8_t)v;
		memset(n->a + 4, 0, 12);
		return;
	}
	ban_put_be64(n->a, ban_be64(n->a) & ban_mask64(p));
	ban_put_be64(n->a + 8, ban_be64(n->a + 8) & (p > 64 ? ban_mask64(p - 64) : 0));
}

void ban_net_from_addr(struct ban_net *n, const struct nw_addr *a, unsigned prefix)
{
	memset(n, 0, sizeof(*n));
	n->family = a->family;
	memcpy(n->a, a->a, a->family == 4 ? 4 : 16);
	n->prefix = (uint8_t)(prefix > ban_net_maxprefix(n) ? ban_net_maxprefix(n) : prefix);
	ban_net_mask(n);
}

/* Dotted-quad IPv4 as inet_pton(AF_INET) takes it (four parts of 1-3 digits, no leading zero,
 * each <= 255), without copying the string; sets *end past it. 0, or -EINVAL when it is not
 * one (the caller then tries the generic path, which also decides every other spelling). */
static int ban_v4_parse(const char *s, uint8_t *a, const char **end)
{
	for (int k = 0; k < 4; k++) {
		unsigned v = 0, d = 0;

		while (s[d] >= '0' && s[d] <= '9' && d < 3)
			v = v * 10 + (unsigned)(s[d++] - '0');
		if (d == 0 || v > 255 || (d > 1 && s[0] == '0'))
			return -EINVAL;
		a[k] = (uint8_t)v;
		s += d;
		if (k < 3 && *s++ != '.')
			return -EINVAL;
	}
	*end = s;
	return 0;
}

int ban_net_parse(const char *s, struct ban_net *n, int strict)
{
	char buf[64];
	const char *slash;
	size_t alen;
	unsigned max;

	memset(n, 0, sizeof(*n));
	if (!s || !*s)
		return -EINVAL;
	if (ban_v4_parse(s, n->a, &slash) == 0 && (*slash == '/' || *slash == '\0')) {
		n->family = 4;
		max = 32;
		if (!*slash)
			slash = NULL;
		goto prefix;
	}
	memset(n->a, 0, sizeof(n->a));
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, n->a) == 1) {
		n->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, n->a) == 1) {
		n->family = 6;
		max = 128;
	} else {
		return -EINVAL;
	}
prefix:
	n->prefix = (uint8_t)max;
	if (slash) {
		const char *p = slash + 1;
		unsigned v = 0;
		size_t digits = 0;

		for (; *p; p++, digits++) {
			if (!isdigit((unsigned char)*p) || digits >= 3)
				return -EINVAL;
			v = v * 10 + (unsigned)(*p - '0');
		}
		if (digits == 0 || v > max)
			return -EINVAL;
		if (strict && digits > 1 && slash[1] == '0')
			return -EINVAL;
		n->prefix = (uint8_t)v;
	}
	if (n->prefix == max)
		return 0; /* nothing to mask */
	if (strict) {
		struct ban_net m = *n;
		ban_net_mask(&m);
		if (memcmp(m.a, n->a, 16) != 0)
			return -EINVAL;
	}
	ban_net_mask(n);
	return 0;
}

int ban_net_format(const struct ban_net *n, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	int r;

	if (!inet_ntop(n->family == 4 ? AF_INET : AF_INET6, n->a, a, sizeof(a)))
		return -EINVAL;
	if (n->prefix == ban_net_maxprefix(n))
		r = snprintf(buf, len, "%s", a);
	else
		r = snprintf(buf, len, "%s/%u", a, n->prefix);
	if (r < 0 || (size_t)r >= len)
		return -ENOSPC;
	return r;
}

static int ban_bits_eq(const uint8_t *x, const uint8_t *y, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;

	if (memcmp(x, y, full) != 0)
		return 0;
	if (rest) {
		uint8_t m = (uint8_t)(0xff << (8 - rest));
		if ((x[full] & m) != (y[full] & m))
			return 0;
	}
	return 1;
}

int ban_net_contains(const struct ban_net *net, const struct nw_addr *a)
{
	if (net->family != a->family)
		return 0;
	return ban_bits_eq(net->a, a->a, net->prefix);
}

int ban_net_within(const struct ban_net *inner, const struct ban_net *outer)
{
	if (inner->family != outer->family || inner->prefix < outer->prefix)
		return 0;
	return ban_bits_eq(inner->a, outer->a, outer->prefix);
}

int ban_net_eq(const struct ban_net *x, const struct ban_net *y)
{
	return x->family == y->family && x->prefix == y->prefix && !memcmp(x->a, y->a, 16);
}

int ban_iplist_parse(struct ban_iplist **list, const char *text, char *err, size_t errlen)
{
	const char *p = text;
	struct ban_iplist *l = *list;

	while (*p) {
		char tok[64];
		size_t n = 0;
		struct ban_net net;
		struct ban_iplist *nl;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		while (p[n] && p[n] != ' ' && p[n] != '\t' && p[n] != ',')
			n++;
		if (n >= sizeof(tok)) {
			snprintf(err, errlen, "address too long");
			return -EINVAL;
		}
		memcpy(tok, p, n);
		tok[n] = '\0';
		p += n;
		if (ban_net_parse(tok, &net, 0) < 0) {
			snprintf(err, errlen, "not an address or network: '%s'", tok);
			return -EINVAL;
		}
		nl = realloc(l, sizeof(*l) + ((l ? l->n : 0) + 1) * sizeof(l->net[0]));
		if (!nl) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		if (!l)
			nl->n = 0;
		l = nl;
		l->net[l->n++] = net;
		*list = l;
	}
	return 0;
}

int ban_iplist_match(const struct ban_iplist *l, const struct nw_addr *a)
{
	if (!l)
		return 0;
	for (unsigned i = 0; i < l->n; i++)
		if (ban_net_contains(&l->net[i], a))
			return 1;
	return 0;
}

int ban_iplist_covers(const struct ban_iplist *l, const struct ban_net *n)
{
	if (!l)
		return 0;
	for (unsigned i = 0; i < l->n; i++)
		if (ban_net_within(n, &l->net[i]))
			return 1;
	return 0;
}

int ban_duration_parse(const char *s, int64_t *secs)
{
	uint64_t v = 0, mul = 1;
	const char *p = s;

	if (!s)
		return -EINVAL;
	if (!strcmp(s, "-1") || !strcmp(s, "permanent") || !strcmp(s, "forever")) {
		*secs = -1;
		return 0;
	}
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > 1000000000000ull)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '\0' || !strcmp(p, "s"))
		mul = 1;
	else if (!strcmp(p, "m") || !strcmp(p, "min"))
		mul = 60;
	else if (!strcmp(p, "h"))
		mul = 3600;
	else if (!strcmp(p, "d"))
		mul = 86400;
	else if (!strcmp(p, "w"))
		mul = 7 * 86400;
	else if (!strcmp(p, "y"))
		mul = 365 * 86400;
	else
		return -EINVAL;
	if (v > (uint64_t)INT64_MAX / mul / 2)
		return -EINVAL;
	*secs = (int64_t)(v * mul);
	return 0;
}
