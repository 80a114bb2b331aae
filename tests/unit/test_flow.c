/* Unit tests: flow table direction, TCP state, timeouts, eviction at capacity. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include "decode.h"
#include "flow.h"
#include "pktbuild.h"

#define SEC 1000000000ull

static unsigned ended[3];

static void on_end(void *ctx, struct nw_flow *f, int reason)
{
	(void)ctx, (void)f;
	ended[reason]++;
}

static const struct nw_flow_timeouts to = {
	.tcp_ns = 3600 * SEC, .udp_ns = 60 * SEC, .other_ns = 30 * SEC, .closed_ns = 10 * SEC,
	.new_ns = 30 * SEC};

static struct nw_flow *track(struct nw_flow_table *t, struct nw_pkt_info *pi, uint8_t proto,
			     const char *s, const char *d, uint16_t sp, uint16_t dp, uint8_t fl,
			     uint64_t now)
{
	uint8_t buf[128];
	uint32_t n = pkt_build4(buf, proto, s, d, sp, dp, fl, NULL);

	assert_int_equal(nw_decode_ip(pi, buf, n), NW_DEC_OK);
	return nw_flow_track(t, pi, now);
}

static void test_direction_and_state(void **state)
{
	struct nw_flow_table *t = nw_flow_table_new(64, 32, &to, 0, on_end, NULL);
	struct nw_pkt_info pi;
	struct nw_flow *a, *b, *c;

	(void)state;
	a = track(t, &pi, 6, "198.51.100.10", "172.31.19.240", 40000, 80, NW_TCP_SYN, 1 * SEC);
	assert_int_equal(pi.dir, NW_DIR_TO_SERVER);
	assert_int_equal(a->info.tcp_state, NW_CT_NEW);
	b = track(t, &pi, 6, "172.31.19.240", "198.51.100.10", 80, 40000, NW_TCP_SYN | NW_TCP_ACK,
		  1 * SEC);
	assert_ptr_equal(a, b);
	assert_int_equal(pi.dir, NW_DIR_TO_CLIENT);
	c = track(t, &pi, 6, "198.51.100.10", "172.31.19.240", 40000, 80, NW_TCP_ACK, 1 * SEC);
	assert_ptr_equal(a, c);
	assert_int_equal(a->info.tcp_state, NW_CT_ESTABLISHED);
	assert_int_equal(a->info.pkts[0], 2);
	assert_int_equal(a->info.pkts[1], 1);
	assert_int_equal(a->info.cport, 40000);
	/* another source port is another flow */
	c = track(t, &pi, 6, "198.51.100.10", "172.31.19.240", 40001, 80, NW_TCP_SYN, 1 * SEC);
	assert_ptr_not_equal(a, c);
	assert_int_equal(t->n, 2);
	nw_flow_table_free(t);
}

static void test_syn_ack_first_sets_client(void **state)
{
	struct nw_flow_table *t = nw_flow_table_new(64, 0, &to, 0, NULL, NULL);
	struct nw_pkt_info pi;
	struct nw_flow *f;

	(void)state;
	f = track(t, &pi, 6, "172.31.19.240", "198.51.100.10", 80, 40000, NW_TCP_SYN | NW_TCP_ACK,
		  SEC);
	assert_int_equal(pi.dir, NW_DIR_TO_CLIENT);
	assert_int_equal(f->info.cport, 40000);
	nw_flow_table_free(t);
}

static void test_timeouts(void **state)
{
	struct nw_flow_table *t = nw_flow_table_new(64, 0, &to, 0, on_end, NULL);
	struct nw_pkt_info pi;
	struct nw_flow *u;

	(void)state;
	memset(ended, 0, sizeof(ended));
	u = track(t, &pi, 17, "172.31.19.240", "198.51.100.53", 5353, 53, 0, 1 * SEC);
	track(t, &pi, 6, "198.51.100.10", "172.31.19.240", 40000, 80, NW_TCP_SYN, 1 * SEC);
	assert_int_equal(nw_flow_sweep(t, 20 * SEC, 100), 0);
	assert_int_equal(nw_flow_sweep(t, 40 * SEC, 100), 1); /* the unanswered SYN: 30 s */
	assert_int_equal(t->n, 1);
	assert_true(u->in_use);
	assert_int_equal(nw_flow_sweep(t, 62 * SEC, 100), 1); /* UDP: 60 s */
	assert_int_equal(t->n, 0);
	assert_int_equal(ended[NW_FLOW_END_TIMEOUT], 2);
	/* a packet on an expired tuple starts a new flow even before a sweep */
	u = track(t, &pi, 17, "172.31.19.240", "198.51.100.53", 5353, 53, 0, 100 * SEC);
	uint64_t id = u->info.id;
	u = track(t, &pi, 17, "172.31.19.240", "198.51.100.53", 5353, 53, 0, 200 * SEC);
	assert_int_not_equal(u->info.id, id);
	assert_int_equal(u->info.pkts[0], 1);
	nw_flow_table_free(t);
}

static void test_eviction_bounded(void **state)
{
	struct nw_flow_table *t = nw_flow_table_new(16, 64, &to, 0, on_end, NULL);
	struct nw_pkt_info pi;
	struct nw_flow *est;
	char src[32];

	(void)state;
	memset(ended, 0, sizeof(ended));
	/* one established connection ... */
	est = track(t, &pi, 6, "198.51.100.10", "172.31.19.240", 40000, 22, NW_TCP_SYN, SEC);
	track(t, &pi, 6, "172.31.19.240", "198.51.100.10", 22, 40000, NW_TCP_SYN | NW_TCP_ACK, SEC);
	track(t, &pi, 6, "198.51.100.10", "172.31.19.240", 40000, 22, NW_TCP_ACK, SEC);
	assert_int_equal(est->info.tcp_state, NW_CT_ESTABLISHED);
	uint64_t est_id = est->info.id;
	/* ... then a spoofed SYN flood of 1000 sources into 16 slots */
	for (int i = 0; i < 1000; i++) {
		snprintf(src, sizeof(src), "203.0.113.%d", i % 250 + 1);
		track(t, &pi, 6, src, "172.31.19.240", (uint16_t)(1024 + i), 80, NW_TCP_SYN,
		      2 * SEC + (uint64_t)i);
	}
	assert_int_equal(t->n, 16);
	assert_true(t->cnt->evicted >= 984);
	assert_int_equal(ended[NW_FLOW_END_EVICT], t->cnt->evicted);
	/* the established flow survived the flood */
	struct nw_flow *again = track(t, &pi, 6, "198.51.100.10", "172.31.19.240", 40000, 22,
				      NW_TCP_ACK, 3 * SEC);
	assert_int_equal(again->info.id, est_id);
	nw_flow_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direction_and_state),
		cmocka_unit_test(test_syn_ack_first_sets_client),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_eviction_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
