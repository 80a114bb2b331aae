/* cmocka tests for offline IP reassembly (core/defrag.c): Linux's rules, bounded memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "decode.h"
#include "defrag.h"

#define SEC 1000000000ull

static struct nw_defrag_counts cnt;
static uint8_t data[4096]; /* the datagram payload fragments are cut from */
static uint8_t pkt[2048];

static struct nw_defrag *df_new(uint64_t memory, uint32_t max_dgrams)
{
	struct nw_defrag_conf c = {.memory = memory, .max_dgrams = max_dgrams,
				   .timeout4_ns = 30 * SEC, .timeout6_ns = 60 * SEC};
	struct nw_defrag *d;

	memset(&cnt, 0, sizeof(cnt));
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	d = nw_defrag_new(&c, &cnt);
	assert_non_null(d);
	return d;
}

/* IPv4 fragment of `data`: payload [off, off+len) of datagram `id` (protocol 17). */
static uint32_t v4(uint16_t id, uint32_t off, uint32_t len, int more, const uint8_t *bytes)
{
	memset(pkt, 0, 20);
	pkt[0] = 0x45;
	pkt[2] = (uint8_t)((20 + len) >> 8);
	pkt[3] = (uint8_t)(20 + len);
	pkt[4] = (uint8_t)(id >> 8);
	pkt[5] = (uint8_t)id;
	pkt[6] = (uint8_t)((more ? 0x20 : 0) | (off / 8) >> 8);
	pkt[7] = (uint8_t)(off / 8);
	pkt[8] = 64;
	pkt[9] = 17;
	memcpy(pkt + 12, "\xc6\x33\x64\x01\xcb\x00\x71\x02", 8);
	memcpy(pkt + 20, bytes ? bytes : data + off, len);
	return 20 + len;
}

/* IPv6 fragment with a destination options header before the fragment header. */
static uint32_t v6(uint32_t id, uint32_t off, uint32_t len, int more)
{
	uint32_t plen = 8 + 8 + len;

	memset(pkt, 0, 56);
	pkt[0] = 0x60;
	pkt[4] = (uint8_t)(plen >> 8);
	pkt[5] = (uint8_t)plen;
	pkt[6] = 60; /* destination options */
	pkt[7] = 64;
	pkt[8] = 0x20, pkt[9] = 0x01, pkt[23] = 1;
	pkt[24] = 0x20, pkt[25] = 0x01, pkt[39] = 2;
	pkt[40] = 44; /* -> fragment header */
	pkt[42] = 1, pkt[43] = 4; /* PadN */
	pkt[48] = 17;
	pkt[50] = (uint8_t)(off >> 8);
	pkt[51] = (uint8_t)((off & 0xf8) | (more ? 1 : 0));
	pkt[52] = (uint8_t)(id >> 24), pkt[53] = (uint8_t)(id >> 16);
	pkt[54] = (uint8_t)(id >> 8), pkt[55] = (uint8_t)id;
	memcpy(pkt + 56, data + off, len);
	return 56 + len;
}

static int feed(struct nw_defrag *d, uint32_t len, uint64_t now, const uint8_t **out,
		uint32_t *out_len, uint64_t *ev)
{
	return nw_defrag_feed(d, pkt, len, now, out, out_len, ev);
}

static void test_in_order_and_reversed(void **state)
{
	struct nw_defrag *d = df_new(4 << 20, 64);
	const uint8_t *out;
	uint32_t out_len, sum = 0;
	uint64_t ev;
	struct nw_pkt_info pi;

	(void)state;
	assert_int_equal(feed(d, v4(1, 0, 800, 1, NULL), 0, &out, &out_len, &ev), NW_DEFRAG_HELD);
	assert_int_equal(feed(d, v4(1, 800, 800, 1, NULL), 0, &out, &out_len, &ev), NW_DEFRAG_HELD);
	assert_int_equal(feed(d, v4(1, 1600, 333, 0, NULL), 0, &out, &out_len, &ev), NW_DEFRAG_DONE);
	assert_int_equal(out_len, 20 + 1933);
	assert_memory_equal(out + 20, data, 1933);
	for (unsigned i = 0; i < 20; i += 2)
		sum += (uint32_t)out[i] << 8 | out[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff); /* header checksum valid */
	nw_decode_ip(&pi, out, out_len); /* the data is no real UDP: only the IP layer counts */
	assert_int_equal(pi.src.family, 4);
	assert_false(pi.flags & NW_PKT_FRAG);

	/* reversed, a tiny first fragment and a plain duplicate */
	assert_int_equal(feed(d, v4(2, 16, 100, 0, NULL), 0, &out, &out_len, &ev), NW_DEFRAG_HELD);
	assert_int_equal(feed(d, v4(2, 8, 8, 1, NULL), 0, &out, &out_len, &ev), NW_DEFRAG_HELD);
	assert_int_equal(feed(d, v4(2, 8, 8, 1, NULL), 0, &out, &out_len, &ev), NW_DEFRAG_HELD);
	assert_int_equal(feed(d, v4(2, 0, 8, 1, NULL), 0, &out, &out_len, &ev), NW_DEFRAG_DONE);
	assert_int_equal(out_len, 20 + 116);
	assert_memory_equal(out + 20, data, 116);
	assert_int_equal(cnt.reassembled, 2);
	assert_int_equal(cnt.duplicates, 1);
	assert_int_equal(nw_defrag_pending(d), 0);
	nw_defrag_free(d);
}

static void test_overlaps(void **state)
{
	struct nw_defrag *d = df_new(4 << 20, 64);
	const uint8_t *out;
	uint32_t out_len;
	uint64_t ev;
	uint8_t evil[16];

	(void)state;
	/* partial overlap: the datagram is gone */
	feed(d, v4(3, 0, 64, 1, NULL), 0, &out, &out_len, &ev);
	assert_int_equal(feed(d, v4(3, 48, 64, 1, NULL), 0, &out, &out_len, &ev), NW_DEFRAG_EVENT);
	assert_true(ev == NW_DEV_BIT(NW_DEV_IPV4_FRAG_OVERLAP));
	assert_int_equal(nw_defrag_pending(d), 0);
	assert_int_equal(feed(d, v4(3, 64, 64, 0, NULL), 0, &out, &out_len, &ev), NW_DEFRAG_HELD);

	/* wholly inside held data with other bytes: first wins, the datagram completes */
	memset(evil, 'E', sizeof(evil));
	feed(d, v4(4, 0, 64, 1, NULL), 0, &out, &out_len, &ev);
	assert_int_equal(feed(d, v4(4, 16, 16, 1, evil), 0, &out, &out_len, &ev), NW_DEFRAG_EVENT);
	assert_true(ev == NW_DEV_BIT(NW_DEV_IPV4_FRAG_OVERLAP));
	assert_int_equal(feed(d, v4(4, 64, 8, 0, NULL), 0, &out, &out_len, &ev), NW_DEFRAG_DONE);
	assert_memory_equal(out + 20, data, 72);
	assert_int_equal(cnt.overlaps, 2);
	nw_defrag_free(d);
}

static void test_refusals(void **state)
{
	struct nw_defrag *d = df_new(4 << 20, 64);
	const uint8_t *out;
	uint32_t out_len, n;
	uint64_t ev;

	(void)state;
	/* over 65535 bytes */
	n = v4(5, 65528, 16, 0, data);
	assert_int_equal(feed(d, n, 0, &out, &out_len, &ev), NW_DEFRAG_EVENT);
	assert_true(ev == NW_DEV_BIT(NW_DEV_IPV4_FRAG_PKT_TOO_LARGE));
	/* a last fragment ending before data already held */
	feed(d, v4(6, 64, 64, 1, NULL), 0, &out, &out_len, &ev);
	assert_int_equal(feed(d, v4(6, 8, 24, 0, NULL), 0, &out, &out_len, &ev), NW_DEFRAG_HELD);
	assert_int_equal(nw_defrag_pending(d), 0);
	/* a non-last IPv4 fragment shorter than 8 bytes is empty once trimmed */
	assert_int_equal(feed(d, v4(7, 0, 5, 1, NULL), 0, &out, &out_len, &ev), NW_DEFRAG_HELD);
	assert_int_equal(cnt.invalid, 2);
	/* IPv6: a non-last fragment not a multiple of 8 */
	assert_int_equal(feed(d, v6(8, 0, 20, 1), 0, &out, &out_len, &ev), NW_DEFRAG_EVENT);
	assert_true(ev == NW_DEV_BIT(NW_DEV_IPV6_FRAG_INVALID_LENGTH));
	assert_int_equal(cnt.too_large, 1);
	nw_defrag_free(d);
}

static void test_ipv6(void **state)
{
	struct nw_defrag *d = df_new(4 << 20, 64);
	const uint8_t *out;
	uint32_t out_len;
	uint64_t ev;
	struct nw_pkt_info pi;

	(void)state;
	assert_int_equal(feed(d, v6(9, 24, 30, 0), 0, &out, &out_len, &ev), NW_DEFRAG_HELD);
	assert_int_equal(feed(d, v6(9, 0, 24, 1), 0, &out, &out_len, &ev), NW_DEFRAG_DONE);
	/* the fragment header is gone; the destination options header now names UDP */
	assert_int_equal(out_len, 48 + 54);
	assert_int_equal(out[4] << 8 | out[5], 8 + 54);
	assert_int_equal(out[40], 17);
	assert_memory_equal(out + 48, data, 54);
	assert_int_equal(nw_decode_ip(&pi, out, out_len), NW_DEC_UDP_LEN); /* data is not UDP */
	assert_false(pi.flags & NW_PKT_FRAG);
	/* an overlap drops it */
	feed(d, v6(10, 0, 24, 1), 0, &out, &out_len, &ev);
	assert_int_equal(feed(d, v6(10, 16, 16, 0), 0, &out, &out_len, &ev), NW_DEFRAG_EVENT);
	assert_true(ev == NW_DEV_BIT(NW_DEV_IPV6_FRAG_OVERLAP));
	/* not fragments */
	/* offset 0, M = 0: an atomic fragment */
	assert_int_equal(feed(d, v6(11, 0, 8, 0), 0, &out, &out_len, &ev), NW_DEFRAG_PASS);
	v4(12, 0, 8, 0, NULL);
	assert_int_equal(feed(d, 28, 0, &out, &out_len, &ev), NW_DEFRAG_PASS);
	nw_defrag_free(d);
}

static void test_timeout(void **state)
{
	struct nw_defrag *d = df_new(4 << 20, 64);
	const uint8_t *out;
	uint32_t out_len;
	uint64_t ev;

	(void)state;
	feed(d, v4(13, 0, 64, 1, NULL), 0, &out, &out_len, &ev);
	feed(d, v6(13, 0, 64, 1), 0, &out, &out_len, &ev);
	/* 31 s: the IPv4 datagram is gone (30 s), the IPv6 one (60 s) completes */
	assert_int_equal(feed(d, v4(13, 64, 8, 0, NULL), 31 * SEC, &out, &out_len, &ev),
			 NW_DEFRAG_HELD);
	assert_int_equal(feed(d, v6(13, 64, 8, 0), 31 * SEC, &out, &out_len, &ev), NW_DEFRAG_DONE);
	assert_int_equal(cnt.timeouts, 1);
	nw_defrag_free(d);
}

static void test_bounded_memory(void **state)
{
	struct nw_defrag *d = df_new(1, 8); /* the minimum: one largest datagram */
	const uint8_t *out;
	uint32_t out_len;
	uint64_t ev;

	(void)state;
	/* 200 first fragments of 1 KiB each: far over the memory, and over 8 slots */
	for (uint16_t id = 100; id < 300; id++)
		assert_int_equal(feed(d, v4(id, 0, 1024, 1, NULL), 0, &out, &out_len, &ev),
				 NW_DEFRAG_HELD);
	assert_true(nw_defrag_pending(d) <= 8);
	assert_true(cnt.evicted >= 192);
	/* a 64000-byte datagram in 1 KiB fragments still goes through: the others make room */
	for (uint32_t off = 0; off < 63488; off += 1024)
		assert_int_equal(feed(d, v4(999, off, 1024, 1, data), 0, &out, &out_len, &ev),
				 NW_DEFRAG_HELD);
	assert_int_equal(feed(d, v4(999, 63488, 512, 0, data), 0, &out, &out_len, &ev),
			 NW_DEFRAG_DONE);
	assert_int_equal(out_len, 20 + 64000);
	nw_defrag_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order_and_reversed),
		cmocka_unit_test(test_overlaps),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_bounded_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
