/* Unit tests: the flow bypass policy (ABI 1.3 votes, bypass = yes|no, counters, bypass_timeout). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>
#include "engine.h"
#include "pktbuild.h"
#include "plugin_loader.h"

static const struct nw_services *svc_v, *svc_w, *svc_o;
static nw_plugin *self_v, *self_w;
static unsigned seen_v, seen_w;

/* V: votes yes from a flow's second packet on; port 9 flows: takes the vote back */
static int v_configure(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	(void)priv, (void)cfg, (void)sec;
	self_v = self;
	return 0;
}

static int v_packet(void *priv, void *wpriv, nw_packet *pkt, nw_flow *flow)
{
	const struct nw_flow_info *fi = svc_v->flow_info(flow);

	(void)priv, (void)wpriv, (void)pkt;
	seen_v++;
	svc_v->flow_bypass_vote(flow, self_v, fi->pkts[0] + fi->pkts[1] >= 2 &&
					      svc_v->pkt_info(pkt)->dport != 9);
	return NW_CONTINUE;
}

/* W: votes yes at once, except for port 81; drops port 82 (still voting yes) */
static int w_configure(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	(void)priv, (void)cfg, (void)sec;
	self_w = self;
	return 0;
}

static int w_packet(void *priv, void *wpriv, nw_packet *pkt, nw_flow *flow)
{
	const struct nw_pkt_info *pi = svc_w->pkt_info(pkt);

	(void)priv, (void)wpriv;
	seen_w++;
	svc_w->flow_bypass_vote(flow, self_w, pi->dport != 81);
	return pi->dport == 82 ? NW_DROP : NW_CONTINUE;
}

/* O: an output (no packet hook): it has no say */
static void o_on_event(void *priv, const struct nw_event *ev)
{
	(void)priv, (void)ev;
}

static int o_configure(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	(void)priv, (void)cfg, (void)sec;
	return svc_o->event_subscribe(self, NW_EV_MASK(NW_EV_ALERT), o_on_event);
}

static const struct nw_plugin_desc desc_v = {
	NW_DESC_HEADER, .name = "v", .services = &svc_v, .configure = v_configure,
	.packet = v_packet};
static const struct nw_plugin_desc desc_w = {
	NW_DESC_HEADER, .name = "w", .services = &svc_w, .configure = w_configure,
	.packet = w_packet};
static const struct nw_plugin_desc desc_o = {
	NW_DESC_HEADER, .name = "o", .services = &svc_o, .configure = o_configure};

static struct nw_engine *setup(const char *conf, struct nw_config **cfg)
{
	const struct nw_plugin_desc *descs[] = {&desc_v, &desc_o, &desc_w};
	struct nw_engine *eng;
	char err[256];

	assert_int_equal(nw_config_load_string("bypass.conf", conf, cfg), 0);
	assert_int_equal(nw_engine_new(*cfg, 1, &eng), 0);
	for (unsigned i = 0; i < 3; i++) {
		struct nw_plugin *p;
		assert_int_equal(nw_plugin_from_desc(descs[i], &p, err, sizeof(err)), 0);
		assert_int_equal(nw_engine_add_plugin(eng, p), 0);
	}
	assert_int_equal(nw_engine_configure_all(eng), 0);
	assert_int_equal(nw_engine_start(eng, 1), 0);
	assert_int_equal(nw_worker_thread_start(eng->workers[0]), 0);
	seen_v = seen_w = 0;
	return eng;
}

static void teardown(struct nw_engine *eng, struct nw_config *cfg)
{
	nw_worker_thread_stop(eng->workers[0]);
	nw_engine_destroy(eng);
	nw_config_free(cfg);
}

static int process(struct nw_engine *eng, uint16_t dport, uint64_t ts)
{
	uint8_t buf[128];
	struct nw_pkt_meta meta = {.ts_ns = ts, .ct_state = -1};
	uint32_t n = pkt_build4(buf, 6, "198.51.100.10", "172.31.19.240", 40000, dport, NW_TCP_ACK,
				"x");

	return NW_RESULT_VERDICT(nw_engine_process(eng->workers[0], buf, n, &meta));
}

/* every voter said yes: the packet that completes the votes is bypassed, later packets are
 * judged by the flow without the chain and counted as late */
static void test_bypass_votes(void **state)
{
	struct nw_config *cfg;
	struct nw_engine *eng = setup("[natwarden]\nflow_max = 64\nbypass = yes\n", &cfg);
	struct nw_wcounters c;

	(void)state;
	assert_int_equal(process(eng, 80, 1000), NW_ACCEPT); /* V not yet */
	assert_int_equal(process(eng, 80, 2000), NW_BYPASS);
	assert_int_equal(seen_v, 2);
	assert_int_equal(process(eng, 80, 3000), NW_BYPASS);
	assert_int_equal(process(eng, 80, 4000), NW_BYPASS);
	assert_int_equal(seen_v, 2); /* the chain no longer runs */
	/* W never votes for port 81: inspected to the end */
	for (int i = 0; i < 4; i++)
		assert_int_equal(process(eng, 81, 5000 + i), NW_ACCEPT);
	/* all votes, but W drops: a drop is never turned into a bypass */
	for (int i = 0; i < 3; i++)
		assert_int_equal(process(eng, 82, 6000 + i), NW_DROP);
	/* V takes its vote back on port 9 */
	for (int i = 0; i < 3; i++)
		assert_int_equal(process(eng, 9, 7000 + i), NW_ACCEPT);
	nw_engine_sum_counters(eng, &c);
	assert_int_equal(c.flows_bypassed, 1);
	assert_int_equal(c.bypass_late, 2);
	assert_int_equal(c.verdicts[NW_BYPASS], 3);
	teardown(eng, cfg);
}

/* bypass = no (the default): votes change nothing */
static void test_bypass_off(void **state)
{
	struct nw_config *cfg;
	struct nw_engine *eng = setup("[natwarden]\nflow_max = 64\n", &cfg);
	struct nw_wcounters c;

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(process(eng, 80, 1000 + i), NW_ACCEPT);
	assert_int_equal(seen_v, 4);
	nw_engine_sum_counters(eng, &c);
	assert_int_equal(c.flows_bypassed, 0);
	assert_int_equal(c.verdicts[NW_BYPASS], 0);
	teardown(eng, cfg);
}

/* a bypassed flow idle past bypass_timeout leaves the table (long before flow_timeout_tcp):
 * a packet of it after that is a new flow, inspected again */
static void test_bypass_timeout(void **state)
{
	struct nw_config *cfg;
	struct nw_engine *eng =
		setup("[natwarden]\nflow_max = 64\nbypass = yes\nbypass_timeout = 2s\n", &cfg);
	struct nw_wcounters c;
	const uint64_t s = 1000000000ull;

	(void)state;
	assert_int_equal(process(eng, 80, 1 * s), NW_ACCEPT);
	assert_int_equal(process(eng, 80, 1 * s + 1), NW_BYPASS);
	assert_int_equal(process(eng, 80, 2 * s), NW_BYPASS);
	assert_int_equal(process(eng, 80, 5 * s), NW_ACCEPT); /* 3 s idle: a new flow */
	nw_engine_sum_counters(eng, &c);
	assert_int_equal(c.flows.created, 2);
	assert_int_equal(c.flows.timedout, 1);
	assert_int_equal(seen_v, 3);
	teardown(eng, cfg);
}

/* the policy is switched by a reload (new flows follow it) */
static void test_bypass_reload(void **state)
{
	struct nw_config *cfg, *off;
	struct nw_engine *eng = setup("[natwarden]\nflow_max = 64\nbypass = yes\n", &cfg);

	(void)state;
	assert_int_equal(process(eng, 80, 1000), NW_ACCEPT);
	assert_int_equal(process(eng, 80, 2000), NW_BYPASS);
	assert_int_equal(nw_config_load_string("off.conf", "[natwarden]\nflow_max = 64\n", &off), 0);
	assert_int_equal(nw_engine_reload(eng, off), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(process(eng, 81 + 1000, 3000 + i), NW_ACCEPT);
	teardown(eng, cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bypass_votes),
		cmocka_unit_test(test_bypass_off),
		cmocka_unit_test(test_bypass_timeout),
		cmocka_unit_test(test_bypass_reload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
