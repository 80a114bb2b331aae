/* Unit tests of the ratelimit value parsers: rates, sizes, keys, ports, protocols, addresses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rl_parse.h"

#define SEC UINT64_C(1000000000)

static char err[256];

static void test_rates(void **state)
{
	struct rl_rate_spec r;
	assert_int_equal(rl_parse_rate("10/s", &r, err, sizeof(err)), 0);
	assert_true(r.amount == 10 && r.period_ns == SEC && !r.bytes);
	assert_int_equal(rl_parse_rate(" 600/min ", &r, err, sizeof(err)), 0);
	assert_true(r.amount == 600 && r.period_ns == 60 * SEC);
	assert_int_equal(rl_parse_rate("5/hour", &r, err, sizeof(err)), 0);
	assert_true(r.amount == 5 && r.period_ns == 3600 * SEC);
	assert_int_equal(rl_parse_rate("2/day", &r, err, sizeof(err)), 0);
	assert_int_equal(rl_parse_rate("7", &r, err, sizeof(err)), 0); /* hashlimit: per second */
	assert_true(r.period_ns == SEC);
	/* 2 mbit/s = 250000 bytes per second */
	assert_int_equal(rl_parse_rate("2mbit", &r, err, sizeof(err)), 0);
	assert_true(r.bytes && r.amount * SEC / r.period_ns == 250000);
	assert_int_equal(rl_parse_rate("8kbit", &r, err, sizeof(err)), 0);
	assert_true(r.bytes && r.amount * SEC / r.period_ns == 1000);
	assert_int_equal(rl_parse_rate("100kB/s", &r, err, sizeof(err)), 0);
	assert_true(r.bytes && r.amount == 100000 && r.period_ns == SEC);
	assert_int_equal(rl_parse_rate("10MB/s", &r, err, sizeof(err)), 0);
	assert_true(r.amount == 10000000);
	assert_int_equal(rl_parse_rate("64KiB/s", &r, err, sizeof(err)), 0);
	assert_true(r.amount == 65536);
	assert_int_equal(rl_parse_rate("100kb/s", &r, err, sizeof(err)), 0); /* hashlimit's */
	assert_true(r.bytes && r.amount == 102400);

	assert_int_equal(rl_parse_rate("0/s", &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(rl_parse_rate("ten/s", &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(rl_parse_rate("10/fortnight", &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown unit"));
	assert_int_equal(rl_parse_rate("99999999999999999999999/s", &r, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(rl_parse_rate("", &r, err, sizeof(err)), -EINVAL);
}

static void test_sizes_durations(void **state)
{
	uint64_t v;
	assert_int_equal(rl_parse_size("20", &v, err, sizeof(err)), 0);
	assert_true(v == 20);
	assert_int_equal(rl_parse_size("64k", &v, err, sizeof(err)), 0);
	assert_true(v == 64000);
	assert_int_equal(rl_parse_size("1MiB", &v, err, sizeof(err)), 0);
	assert_true(v == 1048576);
	assert_int_equal(rl_parse_size("400kb", &v, err, sizeof(err)), 0); /* hashlimit's */
	assert_true(v == 409600);
	assert_int_equal(rl_parse_size("1500B", &v, err, sizeof(err)), 0);
	assert_true(v == 1500);
	assert_int_equal(rl_parse_size("-1", &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(rl_parse_size("5 apples", &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(rl_parse_duration_ns("10s", &v, err, sizeof(err)), 0);
	assert_true(v == 10 * SEC);
	assert_int_equal(rl_parse_duration_ns("500ms", &v, err, sizeof(err)), 0);
	assert_true(v == SEC / 2);
	assert_int_equal(rl_parse_duration_ns("2m", &v, err, sizeof(err)), 0);
	assert_true(v == 120 * SEC);
	assert_int_equal(rl_parse_duration_ns("2 weeks", &v, err, sizeof(err)), -EINVAL);
}

static void test_keys(void **state)
{
	struct rl_keyspec k;
	assert_int_equal(rl_parse_key("src", &k, err, sizeof(err)), 0);
	assert_true(k.addr == RL_KA_SRC && k.port == RL_KP_NONE && k.v4len == 32 &&
		    k.v6len == 128);
	assert_int_equal(rl_parse_key("src/24", &k, err, sizeof(err)), 0);
	assert_true(k.v4len == 24 && k.v6len == 128);
	assert_int_equal(rl_parse_key("src/64", &k, err, sizeof(err)), 0);
	assert_true(k.v4len == 32 && k.v6len == 64);
	assert_int_equal(rl_parse_key("src/24, src/48", &k, err, sizeof(err)), 0);
	assert_true(k.v4len == 24 && k.v6len == 48);
	assert_int_equal(rl_parse_key("dst", &k, err, sizeof(err)), 0);
	assert_true(k.addr == RL_KA_DST && !k.port);
	assert_int_equal(rl_parse_key("dst-port", &k, err, sizeof(err)), 0);
	assert_true(k.addr == RL_KA_NONE && k.port == RL_KP_DST);
	assert_int_equal(rl_parse_key("src+dst-port", &k, err, sizeof(err)), 0);
	assert_true(k.addr == RL_KA_SRC && k.port == RL_KP_DST);
	assert_int_equal(rl_parse_key("src/24 + dst-port", &k, err, sizeof(err)), 0);
	assert_true(k.addr == RL_KA_SRC && k.v4len == 24 && k.port == RL_KP_DST);
	assert_int_equal(rl_parse_key("all", &k, err, sizeof(err)), 0);
	assert_true(!k.addr && !k.port);

	assert_int_equal(rl_parse_key("src/0", &k, err, sizeof(err)), -EINVAL);
	assert_int_equal(rl_parse_key("src/129", &k, err, sizeof(err)), -EINVAL);
	assert_int_equal(rl_parse_key("src/64,src/24", &k, err, sizeof(err)), -EINVAL);
	assert_int_equal(rl_parse_key("src+dst", &k, err, sizeof(err)), -EINVAL);
	assert_int_equal(rl_parse_key("dst-port+src-port", &k, err, sizeof(err)), -EINVAL);
	assert_int_equal(rl_parse_key("mac", &k, err, sizeof(err)), -EINVAL);
	assert_int_equal(rl_parse_key("src/24,dst/64", &k, err, sizeof(err)), -EINVAL);
	assert_int_equal(rl_parse_key("", &k, err, sizeof(err)), -EINVAL);
	assert_int_equal(rl_parse_key("src++", &k, err, sizeof(err)), -EINVAL);
	assert_int_equal(rl_parse_key("src/24,", &k, err, sizeof(err)), -EINVAL);
}

static void test_ports_protos(void **state)
{
	struct rl_range r[4];
	unsigned n = 0;
	assert_int_equal(rl_parse_ports("22", r, 4, &n, err, sizeof(err)), 0);
	assert_true(n == 1 && r[0].lo == 22 && r[0].hi == 22);
	assert_int_equal(rl_parse_ports("80,443 8000-8100", r, 4, &n, err, sizeof(err)), 0);
	assert_true(n == 3 && r[2].lo == 8000 && r[2].hi == 8100);
	assert_int_equal(rl_parse_ports("1,2,3,4,5", r, 4, &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(rl_parse_ports("65536", r, 4, &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(rl_parse_ports("9-8", r, 4, &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(rl_parse_ports("http", r, 4, &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(rl_parse_ports("", r, 4, &n, err, sizeof(err)), -EINVAL);

	uint8_t map[32];
	int any;
	assert_int_equal(rl_parse_protos("tcp", map, &any, err, sizeof(err)), 0);
	assert_true(!any && (map[0] & (1 << 6)) && !(map[2] & (1 << 1)));
	assert_int_equal(rl_parse_protos("udp, icmp 132", map, &any, err, sizeof(err)), 0);
	assert_true((map[2] & (1 << 1)) && (map[0] & 2) && (map[16] & (1 << 4)));
	assert_int_equal(rl_parse_protos("any", map, &any, err, sizeof(err)), 0);
	assert_true(any);
	assert_int_equal(rl_parse_protos("tcpp", map, &any, err, sizeof(err)), -EINVAL);
	assert_int_equal(rl_parse_protos("256", map, &any, err, sizeof(err)), -EINVAL);
}

static void test_cidrs_and_format(void **state)
{
	struct rl_cidr c[4];
	unsigned n = 0;
	uint8_t a[16] = { 203, 0, 113, 99 };
	uint8_t b[16] = { 198, 51, 100, 7 };
	uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1 };

	assert_int_equal(rl_parse_cidrs("203.0.113.0/24, 198.51.100.7 2001:db8::/32", c, 4, &n,
					err, sizeof(err)),
			 0);
	assert_int_equal(n, 3);
	assert_true(rl_cidr_match(&c[0], 4, a));
	assert_false(rl_cidr_match(&c[0], 4, b));
	assert_true(rl_cidr_match(&c[1], 4, b));
	assert_true(rl_cidr_match(&c[2], 6, v6));
	assert_false(rl_cidr_match(&c[2], 4, v6));
	assert_int_equal(rl_parse_cidrs("203.0.113.0/33", c, 4, &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(rl_parse_cidrs("example.com", c, 4, &n, err, sizeof(err)), -EINVAL);
	n = 3;
	assert_int_equal(rl_parse_cidrs("10.0.0.1 10.0.0.2", c, 4, &n, err, sizeof(err)), -EINVAL);

	struct rl_keyspec ks;
	struct rl_key k;
	char buf[104];
	memset(&k, 0, sizeof(k));
	k.family = 4;
	memcpy(k.a, b, 4);
	k.plen = 24;
	rl_addr_mask(k.a, 4, 24);
	assert_int_equal(rl_parse_key("src/24", &ks, err, sizeof(err)), 0);
	rl_key_format(&k, &ks, buf, sizeof(buf));
	assert_string_equal(buf, "198.51.100.0/24");
	assert_int_equal(rl_parse_key("src+dst-port", &ks, err, sizeof(err)), 0);
	memcpy(k.a, b, 4);
	k.plen = 32;
	k.port = 22;
	rl_key_format(&k, &ks, buf, sizeof(buf));
	assert_string_equal(buf, "198.51.100.7:22");
	assert_int_equal(rl_parse_key("dst-port", &ks, err, sizeof(err)), 0);
	memset(&k, 0, sizeof(k));
	k.family = 255;
	k.port = 443;
	rl_key_format(&k, &ks, buf, sizeof(buf));
	assert_string_equal(buf, "port 443");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_sizes_durations),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_ports_protos),
		cmocka_unit_test(test_cidrs_and_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
