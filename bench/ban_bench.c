/* ban_bench: lookup cost per packet and table bytes per ban of the ban plugin's hot set (ban_set.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ban.h"

static double bb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t bb_rng = 0x9E3779B97F4A7C15ull;
static uint32_t bb_rand(void)
{
	bb_rng ^= bb_rng << 13;
	bb_rng ^= bb_rng >> 7;
	bb_rng ^= bb_rng << 17;
	return (uint32_t)(bb_rng >> 16);
}

static void bb_v4(uint8_t *a, uint32_t v)
{
	a[0] = (uint8_t)(v >> 24), a[1] = (uint8_t)(v >> 16), a[2] = (uint8_t)(v >> 8),
	a[3] = (uint8_t)v;
}

/* bans: N addresses 0x0a000000 + i*7919 (/32) and 1000 /24s; probes: half banned addresses */
static double bb_lookups(const struct ban_set *s, unsigned n_bans, unsigned probes,
			 unsigned *hits)
{
	struct nw_addr a;
	double t0;
	unsigned h = 0;

	memset(&a, 0, sizeof(a));
	a.family = 4;
	bb_rng = 42;
	t0 = bb_now();
	for (unsigned i = 0; i < probes; i++) {
		uint32_t r = bb_rand();
		uint32_t v = (r & 1) && n_bans ? 0x0a000000u + (r >> 1) % n_bans * 7919u
					       : 0xc6336400u + (r & 0xffffu); /* misses */
		bb_v4(a.a, v);
		h += ban_set_lookup(s, &a, 100) != 0;
	}
	*hits = h;
	return (bb_now() - t0) / probes * 1e9;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 1000000;
	unsigned probes = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 10000000;
	struct ban_set empty, s;
	struct ban_entry e;
	unsigned h0, h1;
	double t0, ins, base, full;
	size_t mem0;

	ban_set_init(&empty, NULL);
	ban_set_rebase(&empty, 100);
	ban_set_init(&s, NULL);
	ban_set_rebase(&s, 100);
	mem0 = ban_set_mem(&s);
	memset(&e, 0, sizeof(e));
	e.net.family = 4;
	e.net.prefix = 32;
	e.exp = 100000;
	t0 = bb_now();
	for (unsigned i = 0; i < n; i++) {
		bb_v4(e.net.a, 0x0a000000u + i * 7919u);
		ban_set_put(&s, &e);
	}
	ins = (bb_now() - t0) / n * 1e9;
	size_t per = (ban_set_mem(&s) - mem0) / (s.live ? s.live : 1);
	e.net.prefix = 24;
	for (unsigned i = 0; i < 1000; i++) {
		bb_v4(e.net.a, 0xcb000000u + (i << 8));
		ban_set_put(&s, &e);
	}
	/* warm both, then measure (best of 3) */
	base = full = 1e9;
	for (int k = 0; k < 3; k++) {
		double b = bb_lookups(&empty, 0, probes, &h0);
		double f = bb_lookups(&s, n, probes, &h1);
		base = b < base ? b : base;
		full = f < full ? f : full;
	}
	printf("ban_set: %u IPv4 bans + 1000 /24: %zu bytes per IPv4 ban (target <= 48: %.2fx), "
	       "insert %.0f ns/ban\n", n, per, per / 48.0, ins);
	printf("ban_set: lookup %.1f ns/packet with bans (%u of %u probes banned) vs %.1f ns empty "
	       "(ratio %.2fx)\n", full, h1, probes, base, full / base);
	ban_set_free(&s);
	ban_set_free(&empty);
	/* the target is reported above; a miss must not hide the other figures of the run */
	return 0;
}
