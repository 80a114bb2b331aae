/* ban plugin unit tests: jails, ban time formula, ignore lists, the ban set, Redis parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ban.h"

static int quiesce_calls;
static void fake_quiesce(void)
{
	quiesce_calls++;
}

static struct nw_addr addr_of(const char *s)
{
	struct nw_addr a;
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.a) == 1)
		a.family = 4;
	else if (inet_pton(AF_INET6, s, a.a) == 1)
		a.family = 6;
	return a;
}

static struct ban_net net_of(const char *s)
{
	struct ban_net n;
	assert_int_equal(ban_net_parse(s, &n, 0), 0);
	return n;
}

static void jail_defaults(struct ban_jail *j, const char *name)
{
	memset(j, 0, sizeof(*j));
	snprintf(j->name, sizeof(j->name), "%s", name);
	j->enabled = 1;
	j->maxretry = 3;
	j->findtime = 600;
	j->bantime = 3600;
	j->factor = 1;
	snprintf(j->scope, sizeof(j->scope), "address");
	j->prefix4 = 24;
	j->prefix6 = 64;
	snprintf(j->action, sizeof(j->action), "drop");
	j->maxentries = 1000;
	assert_int_equal(ban_jail_init_tracker(j), 0);
}

/* The third offense within findtime bans; offenses spread wider than findtime never do. */
static void test_jail_counting(void **state)
{
	struct ban_jail j;
	struct ban_net a = net_of("198.51.100.7"), b = net_of("198.51.100.8");

	(void)state;
	jail_defaults(&j, "sshd");
	assert_int_equal(ban_jail_offense(&j, &a, 1000), 0);
	assert_int_equal(ban_jail_offense(&j, &a, 1100), 0);
	assert_int_equal(ban_jail_offense(&j, &a, 1200), 1); /* 3 within 600 s */
	/* counting restarts after a ban */
	assert_int_equal(ban_jail_offense(&j, &a, 1201), 0);

	/* b: one offense every 400 s: never 3 within 600 s */
	for (uint64_t t = 0; t < 10; t++)
		assert_int_equal(ban_jail_offense(&j, &b, 5000 + t * 400), 0);
	/* one more right after: with the two of the last 600 s that makes 3 */
	assert_int_equal(ban_jail_offense(&j, &b, 5000 + 9 * 400 + 1), 1);

	/* purge forgets old offenses */
	ban_jail_purge(&j, 100000);
	assert_int_equal(ban_jail_tracked(&j), 0);
	ban_jail_free(&j);
}

static void test_jail_maxentries(void **state)
{
	struct ban_jail j;

	(void)state;
	jail_defaults(&j, "x");
	j.maxentries = 2;
	struct ban_net a = net_of("203.0.113.1"), b = net_of("203.0.113.2"),
		       c = net_of("203.0.113.3");
	assert_int_equal(ban_jail_offense(&j, &a, 10), 0);
	assert_int_equal(ban_jail_offense(&j, &b, 10), 0);
	assert_int_equal(ban_jail_offense(&j, &c, 10), -ENOSPC);
	/* once the old ones are past findtime there is room again */
	assert_int_equal(ban_jail_offense(&j, &c, 10 + 600), 0);
	ban_jail_free(&j);
}

/* fail2ban: bantime * 2^n * factor; multipliers by previous ban count; maxtime caps. */
static void test_bantime_increment(void **state)
{
	struct ban_jail j;

	(void)state;
	jail_defaults(&j, "sshd");
	assert_int_equal(ban_jail_bantime(&j, 5, 0), 3600); /* increment off */
	j.increment = 1;
	assert_int_equal(ban_jail_bantime(&j, 0, 0), 3600);
	assert_int_equal(ban_jail_bantime(&j, 1, 0), 7200);
	assert_int_equal(ban_jail_bantime(&j, 3, 0), 3600 * 8);
	j.factor = 1.5;
	assert_int_equal(ban_jail_bantime(&j, 2, 0), 3600 * 6);
	j.factor = 1;
	j.maxtime = 86400;
	assert_int_equal(ban_jail_bantime(&j, 10, 0), 86400);
	j.maxtime = 0;
	/* multipliers "1 5 30": by previous bans, the last repeats */
	j.mult[0] = 1, j.mult[1] = 5, j.mult[2] = 30, j.n_mult = 3;
	j.bantime = 60;
	assert_int_equal(ban_jail_bantime(&j, 0, 0), 60);
	assert_int_equal(ban_jail_bantime(&j, 1, 0), 300);
	assert_int_equal(ban_jail_bantime(&j, 2, 0), 1800);
	assert_int_equal(ban_jail_bantime(&j, 9, 0), 1800);
	/* rndtime adds up to rndtime */
	j.rndtime = 100;
	assert_int_equal(ban_jail_bantime(&j, 0, 0.5), 110);
	/* permanent stays permanent */
	j.bantime = -1;
	assert_int_equal(ban_jail_bantime(&j, 3, 0), -1);
	ban_jail_free(&j);
}

static void test_scope(void **state)
{
	struct ban_jail j;
	struct ban_net n;
	struct nw_addr a = addr_of("198.51.100.77"), b = addr_of("2001:db8:1:2:3:4:5:6");
	char buf[BAN_NET_STRLEN];

	(void)state;
	jail_defaults(&j, "web");
	ban_jail_scope(&j, &a, 32, &n);
	ban_net_format(&n, buf, sizeof(buf));
	assert_string_equal(buf, "198.51.100.77");
	snprintf(j.scope, sizeof(j.scope), "prefix");
	ban_jail_scope(&j, &a, 32, &n);
	ban_net_format(&n, buf, sizeof(buf));
	assert_string_equal(buf, "198.51.100.0/24");
	ban_jail_scope(&j, &b, 128, &n);
	ban_net_format(&n, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8:1:2::/64");
	ban_jail_free(&j);
}

static void test_ignoreip(void **state)
{
	struct ban_iplist *l = NULL;
	char err[128];
	struct ban_net n;

	(void)state;
	assert_int_equal(ban_iplist_parse(&l, "127.0.0.1/8 ::1 203.0.113.0/24", err, sizeof(err)), 0);
	assert_int_equal(l->n, 3);
	struct nw_addr a1 = addr_of("127.5.5.5"), a2 = addr_of("::1"), a3 = addr_of("203.0.113.9"),
		       a4 = addr_of("198.51.100.1"), a5 = addr_of("::2");
	assert_true(ban_iplist_match(l, &a1));
	assert_true(ban_iplist_match(l, &a2));
	assert_true(ban_iplist_match(l, &a3));
	assert_false(ban_iplist_match(l, &a4));
	assert_false(ban_iplist_match(l, &a5));
	n = net_of("203.0.113.128/25");
	assert_true(ban_iplist_covers(l, &n));
	n = net_of("203.0.112.0/23"); /* wider than the ignored net: not covered */
	assert_false(ban_iplist_covers(l, &n));
	assert_int_equal(ban_iplist_parse(&l, "1.2.3.4 bogus", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bogus"));
	free(l);
}

static void test_net_parse(void **state)
{
	struct ban_net n;
	char buf[BAN_NET_STRLEN];

	(void)state;
	assert_int_equal(ban_net_parse("10.1.2.3/16", &n, 0), 0);
	ban_net_format(&n, buf, sizeof(buf));
	assert_string_equal(buf, "10.1.0.0/16");
	assert_int_equal(ban_net_parse("10.1.2.3/16", &n, 1), -EINVAL); /* host bits */
	assert_int_equal(ban_net_parse("10.1.0.0/33", &n, 0), -EINVAL);
	assert_int_equal(ban_net_parse("10.1.0.0/", &n, 0), -EINVAL);
	assert_int_equal(ban_net_parse("10.1.0.0/1a", &n, 0), -EINVAL);
	assert_int_equal(ban_net_parse("", &n, 0), -EINVAL);
	assert_int_equal(ban_net_parse("2001:db8::/129", &n, 0), -EINVAL);
	int64_t d;
	assert_int_equal(ban_duration_parse("10m", &d), 0);
	assert_int_equal(d, 600);
	assert_int_equal(ban_duration_parse("-1", &d), 0);
	assert_int_equal(d, -1);
	assert_int_equal(ban_duration_parse("1x", &d), -EINVAL);
}

/* The reference the fast IPv4 parse and the word-wise mask must agree with: inet_pton and a
 * byte-by-byte mask. */
static void ref_mask(uint8_t *a, unsigned p, unsigned max)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bit = i * 8;
		if (bit >= p || i >= max / 8)
			a[i] = 0;
		else if (p - bit < 8)
			a[i] &= (uint8_t)(0xff << (8 - (p - bit)));
	}
}

static int ref_parse(const char *s, struct ban_net *n, int strict)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max, v = 0, digits = 0;
	uint8_t m[16];

	memset(n, 0, sizeof(*n));
	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, n->a) == 1)
		n->family = 4, max = 32;
	else if (inet_pton(AF_INET6, buf, n->a) == 1)
		n->family = 6, max = 128;
	else
		return -EINVAL;
	n->prefix = (uint8_t)max;
	if (slash) {
		for (const char *q = slash + 1; *q; q++, digits++) {
			if (*q < '0' || *q > '9' || digits >= 3)
				return -EINVAL;
			v = v * 10 + (unsigned)(*q - '0');
		}
		if (digits == 0 || v > max || (strict && digits > 1 && slash[1] == '0'))
			return -EINVAL;
		n->prefix = (uint8_t)v;
	}
	memcpy(m, n->a, 16);
	ref_mask(m, n->prefix, max);
	if (strict && memcmp(m, n->a, 16))
		return -EINVAL;
	memcpy(n->a, m, 16);
	return 0;
}

/* The IPv4 fast path and the word-wise mask give what inet_pton and a byte mask give, on every
 * spelling a store, a config or natwardenctl may hold. */
static void test_net_parse_fast(void **state)
{
	static const char *const cases[] = {
		"1.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3.256", "01.2.3.4",
		"1.02.3.4", "1.2.3.04", "1.2.3.0", "1.2.3", "1.2.3.4.5", "1.2.3.4.", ".1.2.3.4",
		"1..2.3", "1.2.3.4/24", "1.2.3.0/24", "1.2.3.4/32", "1.2.3.4/0", "0.0.0.0/0",
		"1.2.3.4/33", "1.2.3.4/", "1.2.3.4/024", "1.2.3.4/1a", "1.2.3.4 ", " 1.2.3.4",
		"1.2.3.4x", "1234.2.3.4", "1.2.3.4/3", "128.0.0.0/1", "198.51.100.7/31",
		"::ffff:1.2.3.4", "::1.2.3.4", "2001:db8::/32", "2001:db8::1/64", "2001:db8::/64",
		"2001:db8::8000:0:0:0/65", "2001:db8:0:0:8000::/65", "2001:db8::1/127",
		"2001:db8::1/128", "::/0", "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/1",
		"2001:DB8::/48", "2001:db8::/129", "1.2.3.4/-1", "+1.2.3.4", "1.2.3.-4",
	};
	struct ban_net a, b;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (int strict = 0; strict <= 1; strict++) {
			int ra = ban_net_parse(cases[i], &a, strict);
			int rb = ref_parse(cases[i], &b, strict);
			if (ra != rb || (ra == 0 && memcmp(&a, &b, sizeof(a))))
				fail_msg("'%s' strict %d: %d vs reference %d", cases[i], strict, ra, rb);
		}
	/* every prefix length of both families, on an all-ones address */
	for (unsigned fam = 4; fam <= 6; fam += 2)
		for (unsigned p = 0; p <= (fam == 4 ? 32u : 128u); p++) {
			uint8_t want[16];
			memset(&a, 0, sizeof(a));
			a.family = (uint8_t)fam;
			a.prefix = (uint8_t)p;
			memset(a.a, 0xff, fam == 4 ? 4 : 16);
			memcpy(want, a.a, 16);
			ref_mask(want, p, fam == 4 ? 32 : 128);
			ban_net_mask(&a);
			assert_memory_equal(a.a, want, 16);
		}
}

/* Exact and prefix bans, expiry by packet time, reject flag, deletion, growth. */
static void test_set_lookup(void **state)
{
	struct ban_set s;
	struct ban_entry e;
	struct nw_addr a;

	(void)state;
	ban_set_init(&s, fake_quiesce);
	ban_set_rebase(&s, 1000);
	memset(&e, 0, sizeof(e));
	e.net = net_of("198.51.100.7");
	e.exp = ban_set_rel(&s, 2000);
	assert_int_equal(ban_set_put(&s, &e), 1);
	e.net = net_of("203.0.113.0/24");
	e.reject = 1;
	e.exp = BAN_EXP_PERM;
	assert_int_equal(ban_set_put(&s, &e), 1);
	e.net = net_of("2001:db8:5::/48");
	e.reject = 0;
	e.exp = ban_set_rel(&s, 3000);
	assert_int_equal(ban_set_put(&s, &e), 1);
	e.net = net_of("2001:db8:6::1");
	assert_int_equal(ban_set_put(&s, &e), 1);

	a = addr_of("198.51.100.7");
	assert_int_equal(ban_set_lookup(&s, &a, 1500), NW_DROP);
	assert_int_equal(ban_set_lookup(&s, &a, 2000), 0); /* expired by packet time */
	a = addr_of("198.51.100.8");
	assert_int_equal(ban_set_lookup(&s, &a, 1500), 0);
	a = addr_of("203.0.113.200");
	assert_int_equal(ban_set_lookup(&s, &a, 99999999), NW_REJECT);
	a = addr_of("2001:db8:5:ffff::9");
	assert_int_equal(ban_set_lookup(&s, &a, 1500), NW_DROP);
	a = addr_of("2001:db8:6::1");
	assert_int_equal(ban_set_lookup(&s, &a, 1500), NW_DROP);
	a = addr_of("2001:db8:6::2");
	assert_int_equal(ban_set_lookup(&s, &a, 1500), 0);

	assert_int_equal(ban_set_del(&s, &(struct ban_net){0}), -EINVAL);
	struct ban_net d = net_of("203.0.113.0/24");
	assert_int_equal(ban_set_del(&s, &d), 0);
	assert_int_equal(ban_set_del(&s, &d), -ENOENT);
	a = addr_of("203.0.113.200");
	assert_int_equal(ban_set_lookup(&s, &a, 1500), 0);
	/* re-ban after delete reuses the slot */
	e.net = d;
	e.exp = BAN_EXP_PERM;
	assert_int_equal(ban_set_put(&s, &e), 1);
	assert_int_equal(ban_set_lookup(&s, &a, 1500), NW_DROP);
	assert_int_equal(s.live, 4);

	/* growth: 10000 addresses, all found, neighbours not */
	for (uint32_t i = 0; i < 10000; i++) {
		e.net.family = 4;
		e.net.prefix = 32;
		memset(e.net.a, 0, 16);
		e.net.a[0] = 10;
		e.net.a[1] = (uint8_t)(i >> 8);
		e.net.a[2] = (uint8_t)i;
		e.net.a[3] = 1;
		e.exp = ban_set_rel(&s, 5000);
		assert_int_equal(ban_set_put(&s, &e), 1);
	}
	assert_true(quiesce_calls > 0);
	for (uint32_t i = 0; i < 10000; i += 7) {
		struct nw_addr x = {.family = 4};
		x.a[0] = 10, x.a[1] = (uint8_t)(i >> 8), x.a[2] = (uint8_t)i, x.a[3] = 1;
		assert_int_equal(ban_set_lookup(&s, &x, 1500), NW_DROP);
		x.a[3] = 2;
		assert_int_equal(ban_set_lookup(&s, &x, 1500), 0);
	}
	ban_set_free(&s);
}

static int count_cb(void *ctx, const struct ban_entry *e)
{
	(void)e;
	(*(unsigned *)ctx)++;
	return 0;
}

static void test_set_memory(void **state)
{
	struct ban_set s;
	struct ban_entry e;
	unsigned n = 0;
	const unsigned N = 200000;

	(void)state;
	ban_set_init(&s, NULL);
	ban_set_rebase(&s, 100);
	memset(&e, 0, sizeof(e));
	e.net.family = 4;
	e.net.prefix = 32;
	for (uint32_t i = 0; i < N; i++) {
		uint32_t v = 0x0a000000u + i * 7919u;
		e.net.a[0] = (uint8_t)(v >> 24), e.net.a[1] = (uint8_t)(v >> 16);
		e.net.a[2] = (uint8_t)(v >> 8), e.net.a[3] = (uint8_t)v;
		e.exp = 1000;
		ban_set_put(&s, &e);
	}
	ban_set_foreach(&s, count_cb, &n);
	assert_int_equal(n, s.live);
	/* the target: at most 48 bytes per IPv4 ban (slot + metadata at the table's load) */
	size_t per = ban_set_mem(&s) / s.live;
	print_message("bytes per IPv4 ban: %zu (%" PRIu64 " bans)\n", per, s.live);
	assert_true(per <= 48);
	ban_set_free(&s);
}

static const struct ban_rlimits lim = {
	.min_prefix4 = 16, .min_prefix6 = 32, .max_ttl = 86400 * 30, .allow_perm = 1};

static void test_redis_member_parse(void **state)
{
	struct ban_net n;
	uint64_t exp;
	static const char *const bad[] = {
		"198.51.100.7",      /* no prefix */
		"0.0.0.0/0",         /* everything */
		"10.0.0.0/8",        /* shorter than min_prefix4 */
		"198.51.100.7/24",   /* host bits */
		"198.51.100.07/32",  /* not canonical */
		"2001:DB8::1/128",   /* not canonical */
		"::/0",              /* everything */
		"2001:db8::/16",     /* short */
		"198.51.100.7/32 ",  /* trailing space */
		"198.51.100.7/032",  /* leading zero */
		"",
		"x/32",
		"256.1.2.3/32",      /* octet out of range */
		"1.2.3.4/33",        /* prefix out of range */
		"1.2.3/24",          /* three octets */
		"1.2.3.4.5/32",      /* five */
		"1.2..4/32",         /* empty octet */
		"1.2.3.4/",          /* empty prefix */
		"1.2.3.4//32",
		"+1.2.3.4/32",
		"1.2.3.4/3a",
		"1111.2.3.4/32",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ban_rparse_member(bad[i], strlen(bad[i]), &lim, &n), -EINVAL);
	assert_int_equal(ban_rparse_member("198.51.100.7/32", 15, &lim, &n), 0);
	assert_int_equal(n.family, 4);
	assert_int_equal(n.prefix, 32);
	assert_memory_equal(n.a, "\xc6\x33\x64\x07", 4);
	assert_int_equal(ban_rparse_member("203.0.113.0/24", 14, &lim, &n), 0);
	assert_int_equal(n.prefix, 24);
	assert_memory_equal(n.a, "\xcb\x00\x71\x00", 4);
	assert_int_equal(ban_rparse_member("0.0.0.0/32", 10, &lim, &n), 0);
	assert_int_equal(ban_rparse_member("255.255.255.255/32", 18, &lim, &n), 0);
	assert_int_equal(ban_rparse_member("10.0.0.0/16", 11, &lim, &n), 0);
	assert_int_equal(ban_rparse_member("2001:db8::/64", 13, &lim, &n), 0);
	/* embedded NUL */
	assert_int_equal(ban_rparse_member("1.2.3.4/32\0x", 12, &lim, &n), -EINVAL);

	assert_int_equal(ban_rparse_expiry("1000100", 7, 1000000, &lim, &exp), 0);
	assert_int_equal(exp, 1000100);
	assert_int_equal(ban_rparse_expiry("999999", 6, 1000000, &lim, &exp), -ESTALE);
	assert_int_equal(ban_rparse_expiry("99999999999", 11, 1000000, &lim, &exp), -EINVAL);
	assert_int_equal(ban_rparse_expiry("-5", 2, 1000000, &lim, &exp), -EINVAL);
	assert_int_equal(ban_rparse_expiry("1e9", 3, 1000000, &lim, &exp), -EINVAL);
	assert_int_equal(ban_rparse_expiry("inf", 3, 1000000, &lim, &exp), 0);
	assert_int_equal(exp, 0);
	struct ban_rlimits noperm = lim;
	noperm.allow_perm = 0;
	assert_int_equal(ban_rparse_expiry("inf", 3, 1000000, &noperm, &exp), -EINVAL);

	struct ban_record r;
	char reason[96];
	const char *m = "sshd gw1 reject 3 1700000000 3 offenses within 600s";
	assert_int_equal(ban_rparse_meta(m, strlen(m), &r, reason, sizeof(reason)), 0);
	assert_string_equal(r.jail, "sshd");
	assert_int_equal(r.reject, 1);
	assert_string_equal(reason, "3 offenses within 600s");
	const char *bm[] = {"sshd gw1 kill 3 1", "sshd gw1 drop x 1", "sshd gw1 drop 3",
			    "s\x01 gw1 drop 3 1", "sshd gw1 drop 3 1 bad\x7f"};
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(ban_rparse_meta(bm[i], strlen(bm[i]), &r, reason, sizeof(reason)),
				 -EINVAL);
}

static int parse_pairs(const char *const *kv, size_t n, const uint8_t *key, size_t keylen,
		       struct ban_revent *ev)
{
	size_t lens[32];
	for (size_t i = 0; i < n * 2; i++)
		lens[i] = strlen(kv[i]);
	return ban_rparse_event(kv, lens, n, 1000000, &lim, key, keylen, ev);
}

/* Master addresses from a Sentinel reply (untrusted) and the redis_sentinels list. */
static void test_hostport_parse(void **state)
{
	char out[BAN_HOSTPORT_LEN];
	static const char *const bad[][2] = {
		{"", "6379"},         {"10.0.0.1", "0"},       {"10.0.0.1", "65536"},
		{"10.0.0.1", ""},      {"10.0.0.1", "+80"},     {"10.0.0.1", "06379"},
		{"a b", "6379"},       {"-host", "6379"},       {"host..x", "6379"},
		{"host/1", "6379"},    {"10.0.0.1\n", "6379"},  {"[::1]", "6379"},
	};
	(void)state;
	assert_int_equal(ban_rparse_hostport("203.0.113.7", 11, "6379", 4, out, sizeof(out)), 0);
	assert_string_equal(out, "203.0.113.7:6379");
	assert_int_equal(ban_rparse_hostport("2001:db8::5", 11, "26379", 5, out, sizeof(out)), 0);
	assert_string_equal(out, "[2001:db8::5]:26379");
	assert_int_equal(ban_rparse_hostport("redis-a.internal", 16, "1", 1, out, sizeof(out)), 0);
	assert_string_equal(out, "redis-a.internal:1");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ban_rparse_hostport(bad[i][0], strlen(bad[i][0]), bad[i][1],
						     strlen(bad[i][1]), out, sizeof(out)),
				 -EINVAL);
	/* an embedded NUL in a reply is refused, not truncated */
	assert_int_equal(ban_rparse_hostport("10.0.0.1\0x", 10, "6379", 4, out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(ban_rparse_hostport("10.0.0.1", 8, "6379", 4, out, 8), -ENOSPC);
	/* config items: HOST[:PORT], [IPv6][:PORT] */
	assert_int_equal(ban_hostport_parse("s1.internal", 11, "26379", out, sizeof(out)), 0);
	assert_string_equal(out, "s1.internal:26379");
	assert_int_equal(ban_hostport_parse("[2001:db8::1]", 13, "26379", out, sizeof(out)), 0);
	assert_string_equal(out, "[2001:db8::1]:26379");
	assert_int_equal(ban_hostport_parse("[2001:db8::1]:7", 15, "26379", out, sizeof(out)), 0);
	assert_string_equal(out, "[2001:db8::1]:7");
	assert_int_equal(ban_hostport_parse("192.0.2.1:6380", 14, "6379", out, sizeof(out)), 0);
	assert_string_equal(out, "192.0.2.1:6380");
	assert_int_equal(ban_hostport_parse("::1:6379", 8, "6379", out, sizeof(out)), -EINVAL);
	assert_int_equal(ban_hostport_parse("[10.0.0.1]:1", 12, "6379", out, sizeof(out)), -EINVAL);
	assert_int_equal(ban_hostport_parse("[::1", 4, "6379", out, sizeof(out)), -EINVAL);
	assert_int_equal(ban_hostport_parse("", 0, "6379", out, sizeof(out)), -EINVAL);
}

static void test_redis_event_parse(void **state)
{
	struct ban_revent ev, back;
	struct ban_rev_buf b;
	const uint8_t key[] = "0123456789abcdef-shared";
	size_t n;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.action = NW_BAN_ACTION_BAN;
	ev.rec.net = net_of("198.51.100.7");
	ev.rec.expires_wall = 1003600;
	snprintf(ev.rec.jail, sizeof(ev.rec.jail), "sshd");
	snprintf(ev.rec.origin, sizeof(ev.rec.origin), "gw1");
	snprintf(ev.reason, sizeof(ev.reason), "3 offenses");
	n = ban_revent_encode(&ev, key, sizeof(key) - 1, &b);
	assert_int_equal(n, 12);
	assert_int_equal(ban_rparse_event(b.f, b.l, n, 1000000, &lim, key, sizeof(key) - 1, &back),
			 0);
	assert_true(ban_net_eq(&back.rec.net, &ev.rec.net));
	assert_int_equal(back.rec.expires_wall, 1003600);
	assert_string_equal(back.reason, "3 offenses");
	/* tampered value: signature fails */
	snprintf(b.v[2], sizeof(b.v[2]), "198.51.100.8/32");
	b.l[5] = strlen(b.v[2]);
	assert_int_equal(ban_rparse_event(b.f, b.l, n, 1000000, &lim, key, sizeof(key) - 1, &back),
			 -EPERM);
	/* unsigned event with a key configured */
	const char *unsigned_ev[] = {"v", "1", "a", "ban", "ip", "198.51.100.9/32", "exp", "1003600"};
	assert_int_equal(parse_pairs(unsigned_ev, 4, key, sizeof(key) - 1, &back), -EPERM);
	assert_int_equal(parse_pairs(unsigned_ev, 4, NULL, 0, &back), 0);
	/* bad ones */
	const char *bad1[] = {"v", "1", "a", "ban", "ip", "0.0.0.0/0", "exp", "1003600"};
	const char *bad2[] = {"v", "1", "a", "ban", "ip", "198.51.100.9/32", "exp", "99999999999"};
	const char *bad3[] = {"v", "2", "a", "ban", "ip", "198.51.100.9/32", "exp", "1003600"};
	const char *bad4[] = {"v", "1", "a", "nuke", "ip", "198.51.100.9/32", "exp", "1003600"};
	const char *bad5[] = {"v", "1", "a", "ban", "ip", "198.51.100.9/32", "exp", "1003600",
			      "ip", "198.51.100.10/32"};
	const char *bad6[] = {"v", "1", "a", "ban", "ip", "198.51.100.9/32", "exp", "1003600",
			      "evil", "x"};
	const char *bad7[] = {"v", "1", "a", "ban", "ip", "198.51.100.9/32"};
	const char *bad8[] = {"v", "1", "a", "ban", "ip", "198.51.100.9/32", "exp", "1003600",
			      "jail", "a b"};
	assert_int_equal(parse_pairs(bad1, 4, NULL, 0, &back), -EINVAL);
	assert_int_equal(parse_pairs(bad2, 4, NULL, 0, &back), -EINVAL);
	assert_int_equal(parse_pairs(bad3, 4, NULL, 0, &back), -EINVAL);
	assert_int_equal(parse_pairs(bad4, 4, NULL, 0, &back), -EINVAL);
	assert_int_equal(parse_pairs(bad5, 5, NULL, 0, &back), -EINVAL);
	assert_int_equal(parse_pairs(bad6, 5, NULL, 0, &back), -EINVAL);
	assert_int_equal(parse_pairs(bad7, 3, NULL, 0, &back), -EINVAL);
	assert_int_equal(parse_pairs(bad8, 5, NULL, 0, &back), -EINVAL);
	/* an expired ban is not an error, it is stale */
	const char *old[] = {"v", "1", "a", "ban", "ip", "198.51.100.9/32", "exp", "999"};
	assert_int_equal(parse_pairs(old, 4, NULL, 0, &back), -ESTALE);
	/* unban */
	const char *unb[] = {"v", "1", "a", "unban", "ip", "198.51.100.9/32", "exp", "0"};
	assert_int_equal(parse_pairs(unb, 4, NULL, 0, &back), 0);
	assert_int_equal(back.action, NW_BAN_ACTION_UNBAN);
}

static void hexof(const uint8_t *d, char *out)
{
	for (int i = 0; i < 32; i++)
		sprintf(out + i * 2, "%02x", d[i]);
}

/* RFC 4231 vectors through the libcrypto glue, and what a failed or wrong MAC does. */
static void test_sha256_hmac(void **state)
{
	uint8_t d[32], key[131];
	char hex[65];

	(void)state;
	memset(key, 0x0b, 20);
	assert_int_equal(ban_hmac_sha256(key, 20, "Hi There", 8, d), 0);
	hexof(d, hex);
	assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	assert_int_equal(ban_hmac_sha256((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28, d),
			 0);
	hexof(d, hex);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(key, 0xaa, 131);
	const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	assert_int_equal(ban_hmac_sha256(key, 131, m6, strlen(m6), d), 0);
	hexof(d, hex);
	assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	/* signatures: equal, one character off, short, and a failed MAC ("") never match */
	assert_true(ban_rsig_eq(hex, hex, 64));
	char other[65];
	memcpy(other, hex, sizeof(other));
	other[63] ^= 1;
	assert_false(ban_rsig_eq(hex, other, 64));
	assert_false(ban_rsig_eq(hex, hex, 63));
	assert_false(ban_rsig_eq("", hex, 64));
	assert_false(ban_rsig_eq(hex, NULL, 64));
}

static void test_hist(void **state)
{
	struct ban_hist *h = ban_hist_new();
	struct ban_net n = net_of("198.51.100.7");

	(void)state;
	assert_int_equal(ban_hist_count(h, "sshd", &n, 0), 0);
	ban_hist_set(h, "sshd", &n, 2, 5000);
	assert_int_equal(ban_hist_count(h, "sshd", &n, 4000), 2);
	assert_int_equal(ban_hist_count(h, "web", &n, 4000), 0);
	/* older than dbpurgeage: forgotten */
	assert_int_equal(ban_hist_count(h, "sshd", &n, 6000), 0);
	ban_hist_purge(h, 6000);
	assert_int_equal(ban_hist_size(h), 0);
	ban_hist_free(h);
}

/* <HOST> becomes an address group; lines match as fail2ban's sshd filter would. */
static void test_failregex(void **state)
{
	struct ban_fre *f = ban_fre_new();
	struct nw_addr a, want;
	char out[1024], err[256];
	const char *l;

	(void)state;
	assert_int_equal(ban_fre_expand("from <HOST> port", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "(?<host>"));
	assert_null(strstr(out, "<HOST>"));
	assert_int_equal(ban_fre_expand("no host here", out, sizeof(out)), -EINVAL);
	assert_int_equal(ban_fre_expand("<HOST> and <HOST>", out, sizeof(out)), -EINVAL);
	assert_int_equal(ban_fre_expand("<HOST>", out, 20), -ENAMETOOLONG);
	assert_int_equal(ban_fre_add(f, "no host", 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(ban_fre_add(f, "bad ( <HOST>", 0, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad failregex"));
	assert_int_equal(ban_fre_add(f, "Failed password for .* from <HOST>( port \\d+)?", 0, err,
				     sizeof(err)), 0);
	assert_int_equal(ban_fre_add(f, "^Invalid user \\S+ from <HOST>$", 0, err, sizeof(err)), 0);
	assert_int_equal(ban_fre_add(f, "for root from 203\\.0\\.113\\.", 1, err, sizeof(err)), 0);
	assert_int_equal(ban_fre_count(f, 0), 2);
	assert_int_equal(ban_fre_count(f, 1), 1);

	l = "Nov 26 10:00:01 gw sshd[1]: Failed password for root from 198.51.100.10 port 4242 ssh2";
	assert_int_equal(ban_fre_match(f, l, strlen(l), &a), 1);
	want = addr_of("198.51.100.10");
	assert_int_equal(a.family, 4);
	assert_memory_equal(a.a, want.a, 4);
	l = "Invalid user admin from 2001:db8::7";
	assert_int_equal(ban_fre_match(f, l, strlen(l), &a), 1);
	want = addr_of("2001:db8::7");
	assert_int_equal(a.family, 6);
	assert_memory_equal(a.a, want.a, 16);
	/* an IPv4-mapped client is its IPv4 address */
	l = "Failed password for bob from ::ffff:198.51.100.12 port 1";
	assert_int_equal(ban_fre_match(f, l, strlen(l), &a), 1);
	want = addr_of("198.51.100.12");
	assert_int_equal(a.family, 4);
	assert_memory_equal(a.a, want.a, 4);
	/* not addresses, not failures, ignored */
	l = "Failed password for root from 999.1.2.3 port 22";
	assert_int_equal(ban_fre_match(f, l, strlen(l), &a), 0);
	l = "Accepted password for root from 198.51.100.10 port 22";
	assert_int_equal(ban_fre_match(f, l, strlen(l), &a), 0);
	l = "Failed password for root from 203.0.113.5 port 22";
	assert_int_equal(ban_fre_match(f, l, strlen(l), &a), 0);
	/* the match covers only len bytes */
	l = "Invalid user x from 198.51.100.10 trailing";
	assert_int_equal(ban_fre_match(f, l, strlen("Invalid user x from 198.51.100.10"), &a), 1);
	assert_int_equal(ban_fre_match(f, l, strlen(l), &a), 0);
	ban_fre_free(f);
}

struct logw_seen {
	char lines[16][128];
	unsigned n;
};

static void logw_cb(void *ctx, const char *line, size_t len)
{
	struct logw_seen *s = ctx;
	assert_int_equal(strlen(line), len);
	if (s->n < 16)
		snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%s", line);
}

static void append(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The tail: existing content skipped, appended lines read once, partial lines held until their
 * newline, over-long lines skipped, truncation and rotation followed. */
static void test_logwatch(void **state)
{
	char dir[] = "/tmp/nwbantest.XXXXXX", path[256], rot[256], big[BAN_LOGW_LINE_MAX + 100];
	struct ban_logw_stats st = {0};
	struct logw_seen seen = {0};
	struct ban_logw *w;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/auth.log", dir);
	snprintf(rot, sizeof(rot), "%s/auth.log.1", dir);
	append(path, "old line 1\nold line 2\n");
	w = ban_logw_open(path, 0);
	assert_non_null(w);
	assert_int_equal(ban_logw_poll(w, 1 << 20, &st, logw_cb, &seen), 0);
	assert_int_equal(seen.n, 0);
	append(path, "new 1\nnew 2\npart");
	ban_logw_poll(w, 1 << 20, &st, logw_cb, &seen);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.lines[0], "new 1");
	assert_string_equal(seen.lines[1], "new 2");
	append(path, "ial\r\n");
	ban_logw_poll(w, 1 << 20, &st, logw_cb, &seen);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.lines[2], "partial");
	/* over-long line */
	memset(big, 'x', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	append(path, big);
	append(path, "after long\n");
	ban_logw_poll(w, 1 << 20, &st, logw_cb, &seen);
	assert_int_equal(st.too_long, 1);
	assert_int_equal(seen.n, 4);
	assert_string_equal(seen.lines[3], "after long");
	/* budget: a poll reads at most that many bytes; the rest comes next time */
	append(path, "b1\nb2\n");
	assert_int_equal(ban_logw_poll(w, 3, &st, logw_cb, &seen), 1);
	assert_int_equal(seen.n, 5);
	ban_logw_poll(w, 1 << 20, &st, logw_cb, &seen);
	assert_int_equal(seen.n, 6);
	assert_string_equal(seen.lines[5], "b2");
	/* copytruncate */
	assert_int_equal(truncate(path, 0), 0);
	append(path, "t1\n");
	ban_logw_poll(w, 1 << 20, &st, logw_cb, &seen);
	assert_int_equal(seen.n, 7);
	assert_string_equal(seen.lines[6], "t1");
	/* rotation: the rest of the old file, then all of the new one */
	append(path, "last of old\n");
	assert_int_equal(rename(path, rot), 0);
	append(path, "first of new\n");
	ban_logw_poll(w, 1 << 20, &st, logw_cb, &seen);
	assert_int_equal(seen.n, 9);
	assert_string_equal(seen.lines[7], "last of old");
	assert_string_equal(seen.lines[8], "first of new");
	assert_true(st.rotations >= 2);
	/* removed, then created again */
	unlink(path);
	ban_logw_poll(w, 1 << 20, &st, logw_cb, &seen);
	append(path, "again\n");
	ban_logw_poll(w, 1 << 20, &st, logw_cb, &seen);
	assert_int_equal(seen.n, 10);
	assert_string_equal(seen.lines[9], "again");
	ban_logw_close(w);
	unlink(path);
	unlink(rot);
	rmdir(dir);
}

/* Multi-line values: one entry per continuation line when the file agrees with the value. */
static void test_conf_lines(void **state)
{
	char path[] = "/tmp/nwbanconf.XXXXXX";
	char *out[8];
	int fd, n;
	FILE *f;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("[jail sshd]\n"
	      "failregex = ^Failed .* from <HOST>\n"
	      "            ^Invalid user \\S+ from <HOST> ; comment\n"
	      "; a comment line\n"
	      "\n"
	      "    x <HOST> y\n"
	      "maxretry = 3\n", f);
	fclose(f);
	n = ban_conf_lines(path, 2, "^Failed .* from <HOST> ^Invalid user \\S+ from <HOST> x <HOST> y",
			   out, 8);
	assert_int_equal(n, 3);
	assert_string_equal(out[0], "^Failed .* from <HOST>");
	assert_string_equal(out[1], "^Invalid user \\S+ from <HOST>");
	assert_string_equal(out[2], "x <HOST> y");
	for (int i = 0; i < n; i++)
		free(out[i]);
	/* the value came from elsewhere (--set): taken whole */
	n = ban_conf_lines(path, 2, "a <HOST> b", out, 8);
	assert_int_equal(n, 1);
	assert_string_equal(out[0], "a <HOST> b");
	free(out[0]);
	n = ban_conf_lines(NULL, 0, "one\ntwo\n", out, 8);
	assert_int_equal(n, 2);
	assert_string_equal(out[1], "two");
	free(out[0]);
	free(out[1]);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jail_counting),  cmocka_unit_test(test_jail_maxentries),
		cmocka_unit_test(test_bantime_increment), cmocka_unit_test(test_scope),
		cmocka_unit_test(test_ignoreip),       cmocka_unit_test(test_net_parse),
		cmocka_unit_test(test_net_parse_fast),
		cmocka_unit_test(test_set_lookup),     cmocka_unit_test(test_set_memory),
		cmocka_unit_test(test_redis_member_parse),
		cmocka_unit_test(test_redis_event_parse), cmocka_unit_test(test_sha256_hmac),
		cmocka_unit_test(test_hostport_parse),
		cmocka_unit_test(test_hist),           cmocka_unit_test(test_failregex),
		cmocka_unit_test(test_logwatch),       cmocka_unit_test(test_conf_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
