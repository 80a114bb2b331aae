/* ban plugin: address/network parsing and formatting, ignore lists, durations. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ban.h"

void ban_net_mask(struct ban_net *n)
{
	unsigned max = ban_net_maxprefix(n);
	unsigned p = n->prefix > max ? max : n->prefix;

	for (unsigned i = 0; i < 16; i++) {
		unsigned bit = i * 8;
		if (bit >= p || i >= max / 8)
			n->a[i] = 0;
		else if (p - bit < 8)
			n->a[i] &= (uint8_t)(0xff << (8 - (p - bit)));
	}
}

void ban_net_from_addr(struct ban_net *n, const struct nw_addr *a, unsigned prefix)
{
	memset(n, 0, sizeof(*n));
	n->family = a->family;
	memcpy(n->a, a->a, a->family == 4 ? 4 : 16);
	n->prefix = (uint8_t)(prefix > ban_net_maxprefix(n) ? ban_net_maxprefix(n) : prefix);
	ban_net_mask(n);
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
