/* Unit tests of the ratelimit GCRA and key table: exact counts, burst, bytes, eviction, prefixes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rl_parse.h"
#include "rl_table.h"

#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)
#define T0 (UINT64_C(1700000000) * SEC) /* capture-like epoch timestamps */

static const uint64_t test_seed[4] = { 1, 2, 3, 4 };

static struct rl_key key4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, unsigned plen)
{
	struct rl_key k;
	memset(&k, 0, sizeof(k));
	k.family = 4;
	k.a[0] = a;
	k.a[1] = b;
	k.a[2] = c;
	k.a[3] = d;
	k.plen = (uint8_t)plen;
	rl_addr_mask(k.a, 4, plen);
	return k;
}

/* Send n packets of `cost` from key k spaced `gap` ns apart; return how many were accepted. */
static unsigned send_run(struct rl_table *t, const struct rl_rate *rt, const struct rl_key *k,
			 uint64_t start, uint64_t gap, unsigned n, uint64_t cost)
{
	unsigned acc = 0;
	struct rl_take tk;
	for (unsigned i = 0; i < n; i++)
		acc += (unsigned)rl_table_take(t, rt, k, start + i * gap, cost, 10 * SEC, &tk);
	return acc;
}

/* A single source at exactly twice the limit for 10 s: rate*10 + burst (+-1) get through. */
static void test_twice_the_limit(void **state)
{
	struct rl_rate rt;
	struct rl_table t;
	struct rl_key k = key4(198, 51, 100, 7, 32);
	assert_int_equal(rl_rate_init(&rt, 10, SEC, 20), 0);
	assert_int_equal(rl_table_init(&t, 100, test_seed), 0);
	unsigned acc = send_run(&t, &rt, &k, T0, 50 * MS, 200, 1);
	assert_in_range(acc, 10 * 10 + 20 - 1, 10 * 10 + 20 + 1);
	rl_table_free(&t);
}

/*
 * A rate that is not a whole number of ns per packet (3/s) does not drift over 1000 s.
 * (With burst 1 a key can never bank credit, so 100 ms arrivals would see 1 per 400 ms:
 * that is token-bucket semantics too, hence burst 2 here.)
 */
static void test_fractional_rate_exact(void **state)
{
	struct rl_rate rt;
	struct rl_table t;
	struct rl_key k = key4(198, 51, 100, 8, 32);
	assert_int_equal(rl_rate_init(&rt, 3, SEC, 2), 0);
	assert_int_equal(rt.den, 3);
	assert_int_equal(rl_table_init(&t, 10, test_seed), 0);
	/* 10 packets per second for 1000 s */
	unsigned acc = send_run(&t, &rt, &k, T0, 100 * MS, 10000, 1);
	assert_in_range(acc, 3 * 1000 + 2 - 1, 3 * 1000 + 2 + 1);
	rl_table_free(&t);
}

/* B packets at once, not one more; then exactly one per emission interval. */
static void test_burst(void **state)
{
	struct rl_rate rt;
	struct rl_table t;
	struct rl_key k = key4(203, 0, 113, 1, 32);
	assert_int_equal(rl_rate_init(&rt, 10, SEC, 5), 0);
	assert_int_equal(rl_table_init(&t, 10, test_seed), 0);
	assert_int_equal(send_run(&t, &rt, &k, T0, 0, 50, 1), 5);
	/* limited packets consumed nothing: 100 ms later exactly one more fits */
	assert_int_equal(send_run(&t, &rt, &k, T0 + 100 * MS, 0, 10, 1), 1);
	/* once the key has refilled fully (5 emission intervals of silence) the burst is back */
	assert_int_equal(send_run(&t, &rt, &k, T0 + 100 * MS + 5 * 100 * MS, 0, 10, 1), 5);
	rl_table_free(&t);
}

/* The hashlimit reading of rate/burst: 1/min with burst 1 = one packet a minute. */
static void test_slow_rate(void **state)
{
	struct rl_rate rt;
	struct rl_table t;
	struct rl_key k = key4(203, 0, 113, 2, 32);
	assert_int_equal(rl_rate_init(&rt, 1, 60 * SEC, 1), 0);
	assert_int_equal(rl_table_init(&t, 10, test_seed), 0);
	/* one packet per second for 10 minutes */
	unsigned acc = send_run(&t, &rt, &k, T0, SEC, 600, 1);
	assert_int_equal(acc, 10);
	rl_table_free(&t);
}

/* Byte limits: 1000 B/s, burst 1500 B; 500-byte packets at 5x the rate for 10 s. */
static void test_bytes(void **state)
{
	struct rl_rate rt;
	struct rl_table t;
	struct rl_key k = key4(198, 51, 100, 9, 32);
	assert_int_equal(rl_rate_init(&rt, 1000, SEC, 1500), 0);
	assert_int_equal(rl_table_init(&t, 10, test_seed), 0);
	unsigned acc = send_run(&t, &rt, &k, T0, 100 * MS, 100, 500);
	/* 10 s * 1000 B/s + 1500 B = 11500 B -> 23 packets of 500 */
	assert_in_range(acc * 500, 11500 - 500, 11500);
	/* a packet larger than the burst never fits */
	struct rl_key k2 = key4(198, 51, 100, 10, 32);
	assert_int_equal(send_run(&t, &rt, &k2, T0, SEC, 5, 1501), 0);
	rl_table_free(&t);

	/* 2mbit = 250000 B/s: 1500-byte packets every 1 ms (1.5 MB/s) for 1 s */
	assert_int_equal(rl_rate_init(&rt, 2000000, 8 * SEC, 250000), 0);
	assert_int_equal(rl_table_init(&t, 10, test_seed), 0);
	acc = send_run(&t, &rt, &k, T0, MS, 1000, 1500);
	assert_in_range(acc * 1500, 500000 - 1500, 500000);
	rl_table_free(&t);
}

/* Keys are independent; a /24 prefix key aggregates every source of the prefix. */
static void test_prefix_keys(void **state)
{
	struct rl_rate rt;
	struct rl_table t;
	unsigned acc = 0;
	struct rl_take tk;
	assert_int_equal(rl_rate_init(&rt, 10, SEC, 10), 0);
	assert_int_equal(rl_table_init(&t, 1000, test_seed), 0);
	/* 250 different sources of 198.51.100.0/24, one packet each, 1 ms apart */
	for (unsigned i = 0; i < 250; i++) {
		struct rl_key k = key4(198, 51, 100, (uint8_t)i, 24);
		acc += (unsigned)rl_table_take(&t, &rt, &k, T0 + i * MS, 1, 10 * SEC, &tk);
	}
	assert_in_range(acc, 10 + 2 - 1, 10 + 2 + 1); /* burst + 250 ms of rate */
	assert_int_equal(atomic_load(&t.used), 1);
	/* the same with per-source keys: all pass */
	acc = 0;
	for (unsigned i = 0; i < 250; i++) {
		struct rl_key k = key4(203, 0, 113, (uint8_t)i, 32);
		acc += (unsigned)rl_table_take(&t, &rt, &k, T0 + i * MS, 1, 10 * SEC, &tk);
	}
	assert_int_equal(acc, 250);

	/* IPv6 /64: different interface ids, same key */
	struct rl_key a, b;
	memset(&a, 0, sizeof(a));
	a.family = 6;
	a.a[0] = 0x20;
	a.a[1] = 0x01;
	a.a[2] = 0x0d;
	a.a[3] = 0xb8;
	b = a;
	a.a[15] = 1;
	b.a[15] = 2;
	b.a[8] = 0x55;
	a.plen = b.plen = 64;
	rl_addr_mask(a.a, 16, 64);
	rl_addr_mask(b.a, 16, 64);
	assert_memory_equal(&a, &b, sizeof(a));
	rl_table_free(&t);
}

/*
 * A spoofed-source flood into a small table: the table never grows, and the heavy hitter
 * (which is being limited) stays limited: it does not get a fresh burst from being evicted.
 */
static void test_eviction_keeps_heavy_hitter(void **state)
{
	struct rl_rate rt;
	struct rl_table t;
	struct rl_take tk;
	struct rl_key h = key4(198, 51, 100, 66, 32);
	unsigned acc_h = 0, evicted = 0;
	uint64_t x = 12345;

	assert_int_equal(rl_rate_init(&rt, 10, SEC, 5), 0);
	assert_int_equal(rl_table_init(&t, 50, test_seed), 0);
	assert_int_equal(rl_table_capacity(&t), 50);
	/* 10 s: the heavy hitter sends 1000/s; 20 random sources per ms (20k/s) */
	for (uint64_t ms = 0; ms < 10000; ms++) {
		uint64_t now = T0 + ms * MS;
		acc_h += (unsigned)rl_table_take(&t, &rt, &h, now, 1, 10 * SEC, &tk);
		for (int j = 0; j < 20; j++) {
			x = x * UINT64_C(6364136223846793005) + 1442695040888963407u;
			struct rl_key r = key4(10, (uint8_t)(x >> 56), (uint8_t)(x >> 48),
					       (uint8_t)(x >> 40), 32);
			rl_table_take(&t, &rt, &r, now + (uint64_t)j, 1, 10 * SEC, &tk);
			evicted += (unsigned)tk.evicted;
		}
	}
	assert_true(atomic_load(&t.used) <= 50);
	assert_true(evicted > 1000); /* the flood did churn the table */
	assert_in_range(acc_h, 10 * 10 + 5 - 1, 10 * 10 + 5 + 1);
	rl_table_free(&t);
}

/*
 * Two-choice placement: 500 active keys in a 4096-key table never push each other out, whatever
 * the hash key (with one bucket per key, a few percent of keys would have met a full bucket).
 * Every key is found again afterwards with its state.
 */
static void test_no_early_eviction(void **state)
{
	struct rl_rate rt;
	struct rl_table t;
	struct rl_take tk;
	unsigned evicted = 0, refused = 0;

	(void)state;
	assert_int_equal(rl_rate_init(&rt, 1, SEC, 1), 0);
	for (uint64_t s = 1; s <= 200; s++) {
		const uint64_t seed[4] = { s, s * 3, s * 7, s * 11 };
		assert_int_equal(rl_table_init(&t, 4096, seed), 0);
		for (unsigned i = 0; i < 500; i++) {
			struct rl_key k = key4(10, (uint8_t)(i >> 8), (uint8_t)i, 1, 32);
			rl_table_take(&t, &rt, &k, T0, 1, 10 * SEC, &tk); /* burst 1: now at its limit */
			evicted += (unsigned)tk.evicted;
		}
		for (unsigned i = 0; i < 500; i++) {
			struct rl_key k = key4(10, (uint8_t)(i >> 8), (uint8_t)i, 1, 32);
			refused += !rl_table_take(&t, &rt, &k, T0 + 1, 1, 10 * SEC, &tk);
			assert_int_equal(tk.filled, 0);
		}
		assert_int_equal(atomic_load(&t.used), 500);
		rl_table_free(&t);
	}
	assert_int_equal(evicted, 0);
	assert_int_equal(refused, 200 * 500); /* every key kept its used-up burst */
}

/* Events: one when a key goes over, then at most one summary per interval, never per packet. */
static void test_events(void **state)
{
	struct rl_rate rt;
	struct rl_table t;
	struct rl_take tk;
	struct rl_key k = key4(198, 51, 100, 77, 32);
	unsigned first = 0, summary = 0, limited_total = 0, limited_reported = 0;

	assert_int_equal(rl_rate_init(&rt, 10, SEC, 5), 0);
	assert_int_equal(rl_table_init(&t, 10, test_seed), 0);
	/* 100 pps for 25 s, interval 10 s */
	for (unsigned i = 0; i < 2500; i++) {
		if (rl_table_take(&t, &rt, &k, T0 + i * 10 * MS, 1, 10 * SEC, &tk))
			continue;
		limited_total++;
		if (tk.event == 1)
			first++;
		if (tk.event == 2)
			summary++;
		limited_reported += tk.event ? tk.limited : 0;
	}
	assert_int_equal(first, 1);
	assert_int_equal(summary, 2); /* at 10 s and 20 s */
	assert_true(limited_reported <= limited_total);
	assert_true(limited_reported > limited_total / 2);
	/* silence until fully refilled, then over again after the interval: a new "first" */
	unsigned again = 0;
	for (unsigned i = 0; i < 20; i++)
		if (!rl_table_take(&t, &rt, &k, T0 + 60 * SEC + i, 1, 10 * SEC, &tk) &&
		    tk.event == 1)
			again++;
	assert_int_equal(again, 1);
	rl_table_free(&t);
}

/* Parameters that cannot be represented are refused, not wrapped. */
static void test_rate_limits(void **state)
{
	struct rl_rate rt;
	assert_int_equal(rl_rate_init(&rt, 0, SEC, 1), -EINVAL);
	assert_int_equal(rl_rate_init(&rt, 1, SEC, 0), -EINVAL);
	assert_int_equal(rl_rate_init(&rt, 1, 86400 * SEC, 100000000), -ERANGE);
	assert_int_equal(rl_rate_init(&rt, UINT64_C(4294967311), SEC, 1), -ERANGE);
	assert_int_equal(rl_rate_init(&rt, 1000000, SEC, 1000000), 0);
	assert_int_equal(rt.q, 1000);
	/* cost far above anything representable is just over the limit */
	uint64_t tat = 0;
	uint32_t fr = 0;
	assert_int_equal(rl_gcra_take(&rt, &tat, &fr, T0, UINT64_MAX), 0);
}

/* A fixed seed gives a fixed placement (offline runs are reproducible). */
static void test_hash_seeded(void **state)
{
	struct rl_key k = key4(198, 51, 100, 1, 32);
	uint64_t s2[4] = { 1, 2, 3, 5 };
	assert_int_equal(rl_key_hash(&k, test_seed), rl_key_hash(&k, test_seed));
	assert_int_not_equal(rl_key_hash(&k, test_seed), rl_key_hash(&k, s2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_twice_the_limit),
		cmocka_unit_test(test_fractional_rate_exact),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_slow_rate),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_prefix_keys),
		cmocka_unit_test(test_eviction_keeps_heavy_hitter),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_rate_limits),
		cmocka_unit_test(test_hash_seeded),
		cmocka_unit_test(test_no_early_eviction),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
