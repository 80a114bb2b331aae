/* ratelimit: parsers for the [limit NAME] values (rates, sizes, keys, ports, protocols, CIDRs). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rl_parse.h"

#define RL_SET_ERR(...) snprintf(err, errlen, __VA_ARGS__)

/* Parse a leading unsigned decimal; *end after it. -EINVAL if none, -ERANGE on overflow. */
static int rl_parse_u64(const char *s, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	const char *p = s;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p)) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
		p++;
	}
	*out = v;
	*end = p;
	return 0;
}

static const char *rl_skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Copy s without surrounding whitespace into buf. -ENAMETOOLONG if it does not fit. */
static int rl_trim_copy(const char *s, size_t n, char *buf, size_t len)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(buf, s, n);
	buf[n] = 0;
	return 0;
}

struct rl_unit {
	const char *name;
	int icase;          /* compare case-insensitively */
	int bytes;          /* a byte rate */
	uint64_t mult;      /* amount multiplier */
	uint64_t period_ns; /* per this long */
};

/* Byte rates are expressed per byte: `mult` bytes (or bits with period 8 s) per period. */
static const struct rl_unit rl_rate_units[] = {
	{ "", 0, 0, 1, RL_NS_PER_SEC },
	{ "/s", 1, 0, 1, RL_NS_PER_SEC },
	{ "/sec", 1, 0, 1, RL_NS_PER_SEC },
	{ "/second", 1, 0, 1, RL_NS_PER_SEC },
	{ "/m", 1, 0, 1, 60 * RL_NS_PER_SEC },
	{ "/min", 1, 0, 1, 60 * RL_NS_PER_SEC },
	{ "/minute", 1, 0, 1, 60 * RL_NS_PER_SEC },
	{ "/h", 1, 0, 1, 3600 * RL_NS_PER_SEC },
	{ "/hour", 1, 0, 1, 3600 * RL_NS_PER_SEC },
	{ "/d", 1, 0, 1, 86400 * RL_NS_PER_SEC },
	{ "/day", 1, 0, 1, 86400 * RL_NS_PER_SEC },
	/* bits per second, 1000-based (tc style): N bits/s = N bytes per 8 s */
	{ "bit", 1, 1, 1, 8 * RL_NS_PER_SEC },
	{ "kbit", 1, 1, 1000, 8 * RL_NS_PER_SEC },
	{ "mbit", 1, 1, 1000000, 8 * RL_NS_PER_SEC },
	{ "gbit", 1, 1, 1000000000, 8 * RL_NS_PER_SEC },
	{ "bit/s", 1, 1, 1, 8 * RL_NS_PER_SEC },
	{ "kbit/s", 1, 1, 1000, 8 * RL_NS_PER_SEC },
	{ "mbit/s", 1, 1, 1000000, 8 * RL_NS_PER_SEC },
	{ "gbit/s", 1, 1, 1000000000, 8 * RL_NS_PER_SEC },
	/* bytes per second, 1000-based */
	{ "B/s", 0, 1, 1, RL_NS_PER_SEC },
	{ "kB/s", 0, 1, 1000, RL_NS_PER_SEC },
	{ "KB/s", 0, 1, 1000, RL_NS_PER_SEC },
	{ "MB/s", 0, 1, 1000000, RL_NS_PER_SEC },
	{ "GB/s", 0, 1, 1000000000, RL_NS_PER_SEC },
	/* bytes per second, 1024-based */
	{ "KiB/s", 0, 1, 1024, RL_NS_PER_SEC },
	{ "MiB/s", 0, 1, 1024 * 1024, RL_NS_PER_SEC },
	{ "GiB/s", 0, 1, 1024 * 1024 * 1024, RL_NS_PER_SEC },
	/* hashlimit's spelling: bytes, 1024-based */
	{ "b/s", 0, 1, 1, RL_NS_PER_SEC },
	{ "kb/s", 0, 1, 1024, RL_NS_PER_SEC },
	{ "mb/s", 0, 1, 1024 * 1024, RL_NS_PER_SEC },
};

int rl_parse_rate(const char *s, struct rl_rate_spec *out, char *err, size_t errlen)
{
	char buf[64];
	const char *end;
	uint64_t n;

	if (rl_trim_copy(s, strlen(s), buf, sizeof(buf)) < 0) {
		RL_SET_ERR("rate '%.40s...' is too long", s);
		return -EINVAL;
	}
	int rc = rl_parse_u64(buf, &n, &end);
	if (rc < 0 || n == 0) {
		RL_SET_ERR("rate '%s': expected a positive number followed by a unit "
			   "(10/s, 600/min, 5/hour, 2mbit, 100kB/s)", buf);
		return -EINVAL;
	}
	end = rl_skip_ws(end);
	for (size_t i = 0; i < sizeof(rl_rate_units) / sizeof(rl_rate_units[0]); i++) {
		const struct rl_unit *u = &rl_rate_units[i];
		int eq = u->icase ? !strcasecmp(end, u->name) : !strcmp(end, u->name);
		if (!eq)
			continue;
		if (n > UINT64_MAX / u->mult) {
			RL_SET_ERR("rate '%s' is too large", buf);
			return -EINVAL;
		}
		out->amount = n * u->mult;
		out->period_ns = u->period_ns;
		out->bytes = u->bytes;
		return 0;
	}
	RL_SET_ERR("rate '%s': unknown unit '%s' (use /s, /min, /hour, /day, bit, kbit, mbit, "
		   "gbit, B/s, kB/s, MB/s, KiB/s, MiB/s)", buf, end);
	return -EINVAL;
}

int rl_rate_from_spec(struct rl_rate *rt, const struct rl_rate_spec *sp, uint64_t burst,
		      char *err, size_t errlen)
{
	int rc = rl_rate_init(rt, sp->amount, sp->period_ns, burst);
	if (rc == -EINVAL)
		RL_SET_ERR("rate and burst must be positive");
	else if (rc == -ERANGE)
		RL_SET_ERR("rate/burst cannot be represented (burst too large for so slow a rate, "
			   "or the rate is not a whole fraction of a second with a small enough "
			   "denominator)");
	return rc;
}

int rl_parse_size(const char *s, uint64_t *out, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		uint64_t mult;
	} units[] = {
		{ "", 1 },	{ "B", 1 },	       { "k", 1000 },	 { "kB", 1000 },
		{ "K", 1000 },	{ "KB", 1000 },	       { "m", 1000000 }, { "M", 1000000 },
		{ "MB", 1000000 }, { "g", 1000000000 }, { "G", 1000000000 },
		{ "GB", 1000000000 }, { "KiB", 1024 }, { "MiB", 1048576 }, { "GiB", 1073741824 },
		{ "kb", 1024 },	{ "mb", 1048576 }, /* hashlimit's burst suffixes */
	};
	char buf[64];
	const char *end;
	uint64_t n;

	if (rl_trim_copy(s, strlen(s), buf, sizeof(buf)) < 0 || rl_parse_u64(buf, &n, &end) < 0) {
		RL_SET_ERR("'%.40s': expected a number (k/M/G or KiB/MiB/GiB suffix allowed)", s);
		return -EINVAL;
	}
	end = rl_skip_ws(end);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].name))
			continue;
		if (n > UINT64_MAX / units[i].mult) {
			RL_SET_ERR("'%s' is too large", buf);
			return -EINVAL;
		}
		*out = n * units[i].mult;
		return 0;
	}
	RL_SET_ERR("'%s': unknown suffix '%s'", buf, end);
	return -EINVAL;
}

int rl_parse_duration_ns(const char *s, uint64_t *ns, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		uint64_t mult;
	} units[] = {
		{ "", RL_NS_PER_SEC },	     { "s", RL_NS_PER_SEC },	{ "ms", 1000000 },
		{ "m", 60 * RL_NS_PER_SEC }, { "min", 60 * RL_NS_PER_SEC },
		{ "h", 3600 * RL_NS_PER_SEC }, { "d", 86400 * RL_NS_PER_SEC },
	};
	char buf[64];
	const char *end;
	uint64_t n;

	if (rl_trim_copy(s, strlen(s), buf, sizeof(buf)) < 0 || rl_parse_u64(buf, &n, &end) < 0) {
		RL_SET_ERR("'%.40s': expected a duration (10s, 500ms, 5m, 1h)", s);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].name))
			continue;
		if (n > (UINT64_C(1) << 62) / units[i].mult) {
			RL_SET_ERR("duration '%s' is too large", buf);
			return -EINVAL;
		}
		*ns = n * units[i].mult;
		return 0;
	}
	RL_SET_ERR("'%s': unknown duration unit '%s' (ms, s, m, h, d)", buf, end);
	return -EINVAL;
}

int rl_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	char buf[16];
	if (rl_trim_copy(s, strlen(s), buf, sizeof(buf)) < 0)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(buf, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(buf, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}

/* One address part: "src", "src/24" or "src/24,src/64" (word is "src" or "dst"). */
static int rl_parse_key_addr(const char *c, struct rl_keyspec *ks, char *err, size_t errlen)
{
	char word[4];
	const char *p = c;
	int n_pref = 0;

	memcpy(word, c, 3);
	word[3] = 0;
	ks->addr = !strcmp(word, "src") ? RL_KA_SRC : RL_KA_DST;
	ks->v4len = 32;
	ks->v6len = 128;
	for (;;) {
		if (strncmp(p, word, 3)) {
			RL_SET_ERR("key part '%s': expected %s/N", c, word);
			return -EINVAL;
		}
		p += 3;
		if (*p == 0)
			break;
		if (*p != '/') {
			RL_SET_ERR("key part '%s': expected %s, %s/N or %s/N,%s/M", c, word, word,
				   word, word);
			return -EINVAL;
		}
		uint64_t len;
		const char *end;
		if (rl_parse_u64(p + 1, &len, &end) < 0 || len == 0 || len > 128) {
			RL_SET_ERR("key part '%s': prefix length must be 1..32 (IPv4) or 1..128 (IPv6)",
				   c);
			return -EINVAL;
		}
		/* a single prefix <= 32 is the IPv4 one; above 32 the IPv6 one; in a pair the
		 * first is IPv4 and the second IPv6 */
		if (n_pref == 0 && len <= 32 && *end == ',')
			ks->v4len = (uint8_t)len;
		else if (n_pref == 0 && *end == ',') {
			RL_SET_ERR("key part '%s': in %s/N,%s/M the first is the IPv4 prefix (<= 32)",
				   c, word, word);
			return -EINVAL;
		} else if (n_pref == 1)
			ks->v6len = (uint8_t)len;
		else if (len <= 32)
			ks->v4len = (uint8_t)len;
		else
			ks->v6len = (uint8_t)len;
		n_pref++;
		p = end;
		if (*p == 0)
			break;
		if (*p != ',' || n_pref > 1) {
			RL_SET_ERR("key part '%s': unexpected '%s'", c, p);
			return -EINVAL;
		}
		p++;
	}
	return 0;
}

int rl_parse_key(const char *s, struct rl_keyspec *ks, char *err, size_t errlen)
{
	char buf[128];
	char part[64];
	const char *p, *q;

	memset(ks, 0, sizeof(*ks));
	ks->v4len = 32;
	ks->v6len = 128;
	/* drop all whitespace: "src/24, src/64 + dst-port" is fine */
	size_t n = 0;
	for (p = s; *p; p++) {
		if (*p == ' ' || *p == '\t')
			continue;
		if (n + 1 >= sizeof(buf)) {
			RL_SET_ERR("key '%.40s...' is too long", s);
			return -EINVAL;
		}
		buf[n++] = *p;
	}
	buf[n] = 0;
	if (!strcmp(buf, "all") || !strcmp(buf, "global"))
		return 0;
	if (!n) {
		RL_SET_ERR("key is empty (src, src/24, src/64, dst, dst-port, src+dst-port, all)");
		return -EINVAL;
	}
	for (p = buf; *p; p = *q ? q + 1 : q) {
		q = strchr(p, '+');
		if (!q)
			q = p + strlen(p);
		if (rl_trim_copy(p, (size_t)(q - p), part, sizeof(part)) < 0 || !part[0]) {
			RL_SET_ERR("key '%s': empty or too long part", buf);
			return -EINVAL;
		}
		if (!strcmp(part, "dst-port") || !strcmp(part, "dstport") ||
		    !strcmp(part, "src-port") || !strcmp(part, "srcport")) {
			if (ks->port) {
				RL_SET_ERR("key '%s': only one port part allowed", buf);
				return -EINVAL;
			}
			ks->port = part[0] == 'd' ? RL_KP_DST : RL_KP_SRC;
			continue;
		}
		if (!strcmp(part, "srcip") || !strcmp(part, "dstip"))
			part[3] = 0; /* hashlimit's names */
		if (!strncmp(part, "src", 3) || !strncmp(part, "dst", 3)) {
			if (ks->addr) {
				RL_SET_ERR("key '%s': only one address part allowed (src or dst)",
					   buf);
				return -EINVAL;
			}
			int rc = rl_parse_key_addr(part, ks, err, errlen);
			if (rc < 0)
				return rc;
			continue;
		}
		RL_SET_ERR("key '%s': unknown part '%s' (src, src/N, dst, dst/N, dst-port, "
			   "src-port, joined with +; or all)", buf, part);
		return -EINVAL;
	}
	return 0;
}

/* Split s on commas and whitespace; call fn for each token. */
static int rl_tokens(const char *s, int (*fn)(const char *tok, void *arg), void *arg)
{
	char tok[64];
	const char *p = s;
	for (;;) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return 0;
		const char *e = p;
		while (*e && *e != ',' && *e != ' ' && *e != '\t')
			e++;
		if ((size_t)(e - p) >= sizeof(tok))
			return -ENAMETOOLONG;
		memcpy(tok, p, (size_t)(e - p));
		tok[e - p] = 0;
		int rc = fn(tok, arg);
		if (rc < 0)
			return rc;
		p = e;
	}
}

struct rl_port_ctx {
	struct rl_range *r;
	unsigned max, n;
	char *err;
	size_t errlen;
};

static int rl_port_tok(const char *tok, void *arg)
{
	struct rl_port_ctx *c = arg;
	char *err = c->err;
	size_t errlen = c->errlen;
	uint64_t lo, hi;
	const char *end;
	if (rl_parse_u64(tok, &lo, &end) < 0 || lo > 65535)
		goto bad;
	hi = lo;
	if (*end == '-' || *end == ':') {
		if (rl_parse_u64(end + 1, &hi, &end) < 0 || hi > 65535 || hi < lo)
			goto bad;
	}
	if (*end)
		goto bad;
	if (c->n >= c->max) {
		RL_SET_ERR("too many port ranges (at most %u)", c->max);
		return -EINVAL;
	}
	c->r[c->n].lo = (uint16_t)lo;
	c->r[c->n].hi = (uint16_t)hi;
	c->n++;
	return 0;
bad:
	RL_SET_ERR("bad port or range '%s' (22, 8000-8100; 0..65535)", tok);
	return -EINVAL;
}

int rl_parse_ports(const char *s, struct rl_range *r, unsigned max, unsigned *n, char *err,
		   size_t errlen)
{
	struct rl_port_ctx c = { r, max, 0, err, errlen };
	int rc = rl_tokens(s, rl_port_tok, &c);
	if (rc == -ENAMETOOLONG)
		RL_SET_ERR("port list: token too long");
	if (rc == 0 && c.n == 0) {
		RL_SET_ERR("empty port list");
		rc = -EINVAL;
	}
	*n = c.n;
	return rc < 0 ? -EINVAL : 0;
}

struct rl_proto_ctx {
	uint8_t *map;
	int *any;
	char *err;
	size_t errlen;
};

static int rl_proto_tok(const char *tok, void *arg)
{
	static const struct {
		const char *name;
		int num;
	} names[] = { { "tcp", 6 },    { "udp", 17 }, { "icmp", 1 }, { "icmpv6", 58 },
		      { "ipv6-icmp", 58 }, { "sctp", 132 }, { "gre", 47 }, { "esp", 50 },
		      { "ah", 51 },    { "udplite", 136 } };
	struct rl_proto_ctx *c = arg;
	char *err = c->err;
	size_t errlen = c->errlen;
	if (!strcasecmp(tok, "any") || !strcasecmp(tok, "all")) {
		*c->any = 1;
		return 0;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(tok, names[i].name)) {
			c->map[names[i].num / 8] |= (uint8_t)(1u << (names[i].num % 8));
			return 0;
		}
	}
	uint64_t v;
	const char *end;
	if (rl_parse_u64(tok, &v, &end) == 0 && !*end && v <= 255) {
		c->map[v / 8] |= (uint8_t)(1u << (v % 8));
		return 0;
	}
	RL_SET_ERR("unknown protocol '%s' (tcp, udp, icmp, icmpv6, sctp, a number, any)", tok);
	return -EINVAL;
}

int rl_parse_protos(const char *s, uint8_t map[32], int *any, char *err, size_t errlen)
{
	struct rl_proto_ctx c = { map, any, err, errlen };
	memset(map, 0, 32);
	*any = 0;
	int rc = rl_tokens(s, rl_proto_tok, &c);
	if (rc == -ENAMETOOLONG)
		RL_SET_ERR("protocol list: token too long");
	if (rc < 0)
		return -EINVAL;
	int set = *any;
	for (int i = 0; i < 32; i++)
		set |= map[i];
	if (!set) {
		RL_SET_ERR("empty protocol list");
		return -EINVAL;
	}
	return 0;
}

void rl_addr_mask(uint8_t *a, unsigned alen, unsigned plen)
{
	for (unsigned i = 0; i < alen; i++) {
		unsigned bits = i * 8;
		if (plen >= bits + 8)
			continue;
		if (plen <= bits)
			a[i] = 0;
		else
			a[i] &= (uint8_t)(0xff00u >> (plen - bits));
	}
}

struct rl_cidr_ctx {
	struct rl_cidr *c;
	unsigned max, n;
	char *err;
	size_t errlen;
};

static int rl_cidr_tok(const char *tok, void *arg)
{
	struct rl_cidr_ctx *x = arg;
	char *err = x->err;
	size_t errlen = x->errlen;
	char addr[64];
	const char *slash = strchr(tok, '/');
	size_t alen = slash ? (size_t)(slash - tok) : strlen(tok);
	struct rl_cidr c;

	memset(&c, 0, sizeof(c));
	if (alen >= sizeof(addr))
		goto bad;
	memcpy(addr, tok, alen);
	addr[alen] = 0;
	if (inet_pton(AF_INET, addr, c.a) == 1) {
		c.family = 4;
		c.plen = 32;
	} else if (inet_pton(AF_INET6, addr, c.a) == 1) {
		c.family = 6;
		c.plen = 128;
	} else
		goto bad;
	if (slash) {
		uint64_t len;
		const char *end;
		if (rl_parse_u64(slash + 1, &len, &end) < 0 || *end || len > c.plen)
			goto bad;
		c.plen = (uint8_t)len;
	}
	rl_addr_mask(c.a, c.family == 4 ? 4 : 16, c.plen);
	if (x->n >= x->max) {
		RL_SET_ERR("too many ignoreip entries (at most %u)", x->max);
		return -EINVAL;
	}
	x->c[x->n++] = c;
	return 0;
bad:
	RL_SET_ERR("bad address or prefix '%s' (198.51.100.7, 203.0.113.0/24, 2001:db8::/32)",
		   tok);
	return -EINVAL;
}

int rl_parse_cidrs(const char *s, struct rl_cidr *c, unsigned max, unsigned *n, char *err,
		   size_t errlen)
{
	struct rl_cidr_ctx x = { c, max, *n, err, errlen };
	int rc = rl_tokens(s, rl_cidr_tok, &x);
	if (rc == -ENAMETOOLONG)
		RL_SET_ERR("address list: token too long");
	*n = x.n;
	return rc < 0 ? -EINVAL : 0;
}

int rl_cidr_match(const struct rl_cidr *c, uint8_t family, const uint8_t *a)
{
	if (c->family != family)
		return 0;
	unsigned full = c->plen / 8, rem = c->plen % 8;
	if (memcmp(c->a, a, full))
		return 0;
	if (rem && ((a[full] ^ c->a[full]) & (uint8_t)(0xff00u >> rem)))
		return 0;
	return 1;
}

void rl_key_format(const struct rl_key *k, const struct rl_keyspec *ks, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN + 8] = "";
	if (k->family == 4 || k->family == 6) {
		char t[INET6_ADDRSTRLEN];
		inet_ntop(k->family == 4 ? AF_INET : AF_INET6, k->a, t, sizeof(t));
		unsigned full = k->family == 4 ? 32 : 128;
		if (k->plen < full)
			snprintf(a, sizeof(a), "%s/%u", t, k->plen);
		else if (ks->port && k->family == 6)
			snprintf(a, sizeof(a), "[%s]", t);
		else
			snprintf(a, sizeof(a), "%s", t);
	}
	if (ks->port && a[0])
		snprintf(buf, len, "%s%s%u", a, k->plen < (k->family == 4 ? 32 : 128) ? " port " : ":",
			 k->port);
	else if (ks->port)
		snprintf(buf, len, "port %u", k->port);
	else if (a[0])
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "all");
}
