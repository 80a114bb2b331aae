/* Unit tests: plugin chain order, first terminal verdict wins, counters, events, subscribers. */
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

static const struct nw_services *svc_a, *svc_b, *svc_c;
static unsigned seen_a, seen_c, alerts_received, flow_ends;
static unsigned reason_b;
static nw_plugin *self_b;

/* A: sees everything, emits an alert for port 443, never decides */
static int a_packet(void *priv, void *wpriv, nw_packet *pkt, nw_flow *flow)
{
	const struct nw_pkt_info *pi = svc_a->pkt_info(pkt);

	(void)priv, (void)wpriv, (void)flow;
	seen_a++;
	if (pi->dport == 443) {
		struct nw_event ev = {.size = sizeof(ev), .type = NW_EV_ALERT, .sid = 7, .rev = 1};
		strcpy(ev.msg, "port 443 \"seen\"");
		svc_a->event_emit(NULL, pkt, &ev);
	}
	return NW_CONTINUE;
}

static void a_flow_end(void *priv, void *wpriv, nw_flow *flow)
{
	(void)priv, (void)wpriv, (void)flow;
	flow_ends++;
}

/* B: drops port 22 with its own reason, and makes port 25 flows sticky-dropped */
static int b_configure(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	(void)priv, (void)cfg, (void)sec;
	self_b = self;
	return svc_b->reason_register(self, "ssh", &reason_b);
}

static int b_packet(void *priv, void *wpriv, nw_packet *pkt, nw_flow *flow)
{
	const struct nw_pkt_info *pi = svc_b->pkt_info(pkt);

	(void)priv, (void)wpriv;
	if (pi->dport == 22)
		return NW_RESULT(NW_DROP, reason_b);
	if (pi->dport == 25) {
		svc_b->flow_set_verdict(flow, NW_DROP);
		return NW_DROP;
	}
	return NW_CONTINUE;
}

/* C: accepts everything it is asked about, and subscribes to alerts */
static void c_on_alert(void *priv, const struct nw_event *ev)
{
	(void)priv;
	assert_int_equal(ev->sid, 7);
	assert_int_equal(ev->dport, 443);
	alerts_received++;
}

static int c_configure(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	(void)priv, (void)cfg, (void)sec;
	return svc_c->event_subscribe(self, NW_EV_MASK(NW_EV_ALERT), c_on_alert);
}

static int c_packet(void *priv, void *wpriv, nw_packet *pkt, nw_flow *flow)
{
	(void)priv, (void)wpriv, (void)pkt, (void)flow;
	seen_c++;
	return NW_ACCEPT;
}

static const struct nw_plugin_desc desc_a = {
	NW_DESC_HEADER, .name = "a", .services = &svc_a, .packet = a_packet,
	.flow_end = a_flow_end, .flow_priv_size = 8};
static const struct nw_plugin_desc desc_b = {
	NW_DESC_HEADER, .name = "b", .services = &svc_b, .configure = b_configure,
	.packet = b_packet};
static const struct nw_plugin_desc desc_c = {
	NW_DESC_HEADER, .name = "c", .services = &svc_c, .configure = c_configure,
	.packet = c_packet};

static int process(struct nw_engine *eng, uint16_t dport, uint16_t sport)
{
	uint8_t buf[128];
	struct nw_pkt_meta meta = {.ts_ns = 1000, .ct_state = -1};
	uint32_t n = pkt_build4(buf, 6, "198.51.100.10", "172.31.19.240", sport, dport, NW_TCP_SYN,
				NULL);
	int r = nw_engine_process(eng->workers[0], buf, n, &meta);
	nw_engine_drain_events(eng);
	return r;
}

static void test_chain(void **state)
{
	struct nw_config *cfg;
	struct nw_engine *eng;
	struct nw_plugin *pa, *pb, *pc;
	char err[256];
	struct nw_wcounters c;

	(void)state;
	assert_int_equal(nw_config_load_string("chain.conf", "[natwarden]\nflow_max = 64\n", &cfg), 0);
	assert_int_equal(nw_engine_new(cfg, 1, &eng), 0);
	assert_int_equal(nw_plugin_from_desc(&desc_a, &pa, err, sizeof(err)), 0);
	assert_int_equal(nw_plugin_from_desc(&desc_b, &pb, err, sizeof(err)), 0);
	assert_int_equal(nw_plugin_from_desc(&desc_c, &pc, err, sizeof(err)), 0);
	assert_int_equal(nw_engine_add_plugin(eng, pa), 0);
	assert_int_equal(nw_engine_add_plugin(eng, pb), 0);
	assert_int_equal(nw_engine_add_plugin(eng, pc), 0);
	assert_int_equal(nw_engine_configure_all(eng), 0);
	assert_int_equal(nw_engine_check(eng), 0);
	assert_int_equal(nw_engine_start(eng, 1), 0);
	assert_int_equal(nw_worker_thread_start(eng->workers[0]), 0);

	assert_int_equal(NW_RESULT_VERDICT(process(eng, 80, 1000)), NW_ACCEPT);
	int r = process(eng, 22, 1001);
	assert_int_equal(NW_RESULT_VERDICT(r), NW_DROP);
	assert_int_equal(NW_RESULT_REASON(r), reason_b);
	assert_int_equal(NW_RESULT_VERDICT(process(eng, 443, 1002)), NW_ACCEPT);
	/* sticky flow verdict: the second packet of the port-25 flow never reaches the chain */
	assert_int_equal(NW_RESULT_VERDICT(process(eng, 25, 1003)), NW_DROP);
	unsigned before = seen_a;
	assert_int_equal(NW_RESULT_VERDICT(process(eng, 25, 1003)), NW_DROP);
	assert_int_equal(seen_a, before);

	assert_int_equal(seen_a, 4); /* 80, 22, 443, 25 */
	assert_int_equal(seen_c, 2); /* B stopped 22 and 25 before C */
	assert_int_equal(alerts_received, 1);
	nw_engine_sum_counters(eng, &c);
	assert_int_equal(c.packets, 5);
	assert_int_equal(c.verdicts[NW_ACCEPT], 2);
	assert_int_equal(c.verdicts[NW_DROP], 3);
	assert_int_equal(c.plugin_verdicts[1][NW_DROP][reason_b], 1);
	assert_int_equal(c.plugin_verdicts[2][NW_ACCEPT][0], 2);
	assert_int_equal(c.flow_verdict_hits, 1);
	assert_int_equal(eng->alerts, 1);
	assert_int_equal(eng->events_by_type[NW_EV_CUSTOM], 2); /* "drop" events: 22 and 25 */
	assert_string_equal(pb->reason_name[reason_b], "ssh");

	/* a malformed packet gets the malformed verdict and a reason */
	uint8_t bad[20] = {0x46};
	struct nw_pkt_meta meta = {.ts_ns = 2000, .ct_state = -1};
	assert_int_equal(NW_RESULT_VERDICT(nw_engine_process(eng->workers[0], bad, 20, &meta)),
			 NW_DROP);
	nw_engine_sum_counters(eng, &c);
	assert_int_equal(c.decode_err[NW_DEC_IPV4_HLEN], 1);

	nw_worker_thread_stop(eng->workers[0]);
	assert_int_equal(flow_ends, 4); /* every flow ended through the hook */
	nw_engine_destroy(eng);
	nw_config_free(cfg);
}

/* A plugin without a reload hook: a reload that changes its section is refused, one that
 * leaves it alone goes through (and the new file becomes the one in force). */
static void test_reload_without_hook(void **state)
{
	struct nw_config *cfg, *same, *changed;
	struct nw_engine *eng;
	struct nw_plugin *pb;
	char err[256];

	(void)state;
	assert_int_equal(nw_config_load_string("r.conf", "[natwarden]\nflow_max = 64\n[b]\nx = 1\n",
					       &cfg), 0);
	assert_int_equal(nw_engine_new(cfg, 1, &eng), 0);
	assert_int_equal(nw_plugin_from_desc(&desc_b, &pb, err, sizeof(err)), 0);
	assert_int_equal(nw_engine_add_plugin(eng, pb), 0);
	assert_int_equal(nw_engine_configure_all(eng), 0);
	assert_int_equal(nw_engine_start(eng, 1), 0);

	nw_config_load_string("r2.conf", "[natwarden]\nflow_max = 64\n[b]\nx = 2\n", &changed);
	assert_int_not_equal(nw_engine_reload(eng, changed), 0);
	int found = 0;
	for (unsigned i = 0; i < changed->n_errors; i++)
		found |= strstr(changed->errors[i], "plugin 'b' cannot reload") != NULL;
	assert_true(found);
	assert_ptr_equal(eng->cfg, cfg);
	nw_config_free(changed);

	nw_config_load_string("r3.conf", "[natwarden]\nflow_max = 64\nmalformed = accept\n[b]\nx = 1\n",
			      &same);
	assert_int_equal(nw_engine_reload(eng, same), 0);
	assert_ptr_equal(eng->cfg, same); /* adopted by the engine */
	assert_int_equal(eng->set.malformed_verdict, NW_ACCEPT);
	nw_engine_destroy(eng);
	nw_config_free(cfg);
}

/* Two-phase plugins (reload + reload_finish) keep their value in x; "bad" is refused. The
 * one-step plugin (ABI 1.0 style, reload only) applies in reload. */
struct rl_priv_t {
	char x[16], staged[16];
	int has_staged, finished_apply, finished_drop;
};
static const struct nw_services *svc_p, *svc_q, *svc_o;

static int two_reload(const struct nw_section *sec, struct rl_priv_t *p)
{
	const char *v = sec ? nw_section_get(sec, "x", NULL) : NULL;

	if (v && !strcmp(v, "bad"))
		return -EINVAL;
	strcpy(p->staged, v ? v : "");
	p->has_staged = 1;
	return 0;
}
static int p_reload(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	(void)self, (void)cfg;
	return two_reload(sec, priv);
}
static void p_finish(nw_plugin *self, void *priv, int apply)
{
	struct rl_priv_t *p = priv;

	(void)self;
	assert_true(p->has_staged); /* only plugins whose reload succeeded are finished */
	if (apply) {
		strcpy(p->x, p->staged);
		p->finished_apply++;
	} else {
		p->finished_drop++;
	}
	p->has_staged = 0;
}
static int o_reload(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	struct rl_priv_t *p = priv;
	int r = two_reload(sec, p);

	(void)self, (void)cfg;
	if (r == 0)
		strcpy(p->x, p->staged);
	p->has_staged = 0;
	return r;
}
static int any_configure(nw_plugin *self, void *priv, const nw_config *cfg,
			 const nw_section *sec)
{
	(void)self, (void)priv, (void)cfg, (void)sec;
	return 0;
}
static const struct nw_plugin_desc desc_p = {
	NW_DESC_HEADER, .name = "p", .services = &svc_p, .priv_size = sizeof(struct rl_priv_t),
	.configure = any_configure, .reload = p_reload, .reload_finish = p_finish};
static const struct nw_plugin_desc desc_q = {
	NW_DESC_HEADER, .name = "q", .services = &svc_q, .priv_size = sizeof(struct rl_priv_t),
	.configure = any_configure, .reload = p_reload, .reload_finish = p_finish};
static const struct nw_plugin_desc desc_o = {
	NW_DESC_HEADER, .name = "o", .services = &svc_o, .priv_size = sizeof(struct rl_priv_t),
	.configure = any_configure, .reload = o_reload};

static int reload_with(struct nw_engine *eng, const char *text)
{
	struct nw_config *c;
	int r;

	assert_int_equal(nw_config_load_string("ra.conf", text, &c), 0);
	r = nw_engine_reload(eng, c);
	if (r)
		nw_config_free(c); /* adopted by the engine on success */
	return r;
}

/* A reload is all or nothing across plugins with reload_finish: one that refuses the file
 * leaves every other one (and the engine's settings) as they were. */
static void test_reload_atomic(void **state)
{
	struct nw_config *cfg;
	struct nw_engine *eng;
	struct nw_plugin *pp, *pq, *po;
	struct rl_priv_t *p, *q, *o;
	char err[256];

	(void)state;
	assert_int_equal(nw_config_load_string("ra.conf", "[natwarden]\n[p]\nx = 1\n[q]\nx = 1\n"
					       "[o]\nx = 1\n", &cfg), 0);
	assert_int_equal(nw_engine_new(cfg, 1, &eng), 0);
	assert_int_equal(nw_plugin_from_desc(&desc_p, &pp, err, sizeof(err)), 0);
	assert_int_equal(nw_plugin_from_desc(&desc_q, &pq, err, sizeof(err)), 0);
	assert_int_equal(nw_plugin_from_desc(&desc_o, &po, err, sizeof(err)), 0);
	assert_int_equal(nw_engine_add_plugin(eng, pp), 0);
	assert_int_equal(nw_engine_add_plugin(eng, pq), 0);
	assert_int_equal(nw_engine_add_plugin(eng, po), 0);
	assert_int_equal(nw_engine_configure_all(eng), 0);
	assert_int_equal(nw_engine_start(eng, 1), 0);
	p = pp->priv, q = pq->priv, o = po->priv;
	strcpy(p->x, "1"), strcpy(q->x, "1"), strcpy(o->x, "1");

	/* q refuses: p built its state but drops it; the engine settings stay; o is not asked */
	assert_int_not_equal(reload_with(eng, "[natwarden]\nmalformed = accept\n[p]\nx = 2\n"
					       "[q]\nx = bad\n[o]\nx = 2\n"), 0);
	assert_string_equal(p->x, "1");
	assert_int_equal(p->finished_drop, 1);
	assert_int_equal(q->finished_drop + q->finished_apply, 0);
	assert_string_equal(o->x, "1");
	assert_int_equal(eng->set.malformed_verdict, NW_DROP);
	assert_ptr_equal(eng->cfg, cfg);

	/* all take it */
	assert_int_equal(reload_with(eng, "[natwarden]\nmalformed = accept\n[p]\nx = 3\n"
					  "[q]\nx = 3\n[o]\nx = 3\n"), 0);
	assert_string_equal(p->x, "3");
	assert_string_equal(q->x, "3");
	assert_string_equal(o->x, "3");
	assert_int_equal(eng->set.malformed_verdict, NW_ACCEPT);

	/* a one-step plugin that refuses keeps its state; the two-phase ones have switched (the
	 * documented limit of ABI 1.0 plugins) */
	assert_int_not_equal(reload_with(eng, "[natwarden]\n[p]\nx = 4\n[q]\nx = 4\n"
					       "[o]\nx = bad\n"), 0);
	assert_string_equal(p->x, "4");
	assert_string_equal(o->x, "3");
	nw_engine_destroy(eng);
	nw_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_reload_without_hook),
		cmocka_unit_test(test_reload_atomic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
