/* Unit tests of the ratelimit plugin's hooks with a fake services table: matching (pre/post-NAT
 * port, direction, ignoreip), keys, actions, events, config errors and reload keeping state. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../ratelimit.c"

/* ---- a tiny config model behind the opaque handles ---- */
struct fk_kv {
	const char *k, *v;
};
struct nw_section {
	const char *kind, *name;
	struct fk_kv kv[16];
};
struct nw_config {
	struct nw_section sec[8];
	unsigned n;
};
#define FK_MAX_COUNTERS 32
struct nw_packet {
	struct nw_pkt_info pi;
};

static char errs[4096];
static unsigned n_errs;
static struct nw_event events[64];
static unsigned n_events;
static uint64_t ctr[FK_MAX_COUNTERS];
static char ctr_name[FK_MAX_COUNTERS][64];
static unsigned n_ctr, n_reason, n_quiesce;

static const nw_section *fk_conf_next(const nw_config *cfg, const char *kind, unsigned *it)
{
	while (*it < cfg->n) {
		const nw_section *s = &cfg->sec[(*it)++];
		if (!strcmp(s->kind, kind))
			return s;
	}
	return NULL;
}

static const char *fk_conf_section_name(const nw_section *sec)
{
	return sec->name;
}

static const char *fk_conf_kv(const nw_section *sec, unsigned n, const char **value, unsigned *line)
{
	if (!sec || n >= 16 || !sec->kv[n].k)
		return NULL;
	*value = sec->kv[n].v;
	*line = 10 + n;
	return sec->kv[n].k;
}

static int fk_conf_error(const nw_config *cfg, const nw_section *sec, unsigned line,
			 const char *fmt, ...)
{
	va_list ap;
	size_t len = strlen(errs);
	snprintf(errs + len, sizeof(errs) - len, "t.conf:%u: ", line);
	len = strlen(errs);
	va_start(ap, fmt);
	vsnprintf(errs + len, sizeof(errs) - len, fmt, ap);
	va_end(ap);
	len = strlen(errs);
	snprintf(errs + len, sizeof(errs) - len, "\n");
	n_errs++;
	return -EINVAL;
}

static void fk_log(nw_plugin *self, int level, const char *fmt, ...)
{
}

static int fk_counter_register(nw_plugin *self, const char *name, const char *help, unsigned *id)
{
	for (unsigned i = 0; i < n_ctr; i++)
		if (!strcmp(ctr_name[i], name)) {
			*id = i;
			return 0;
		}
	if (n_ctr >= FK_MAX_COUNTERS)
		return -ENOSPC;
	snprintf(ctr_name[n_ctr], sizeof(ctr_name[0]), "%s", name);
	*id = n_ctr++;
	return 0;
}

static void fk_counter_add(nw_plugin *self, const nw_packet *pkt, unsigned id, uint64_t n)
{
	if (id < FK_MAX_COUNTERS)
		ctr[id] += n;
}

static int fk_reason_register(nw_plugin *self, const char *name, unsigned *id)
{
	*id = ++n_reason;
	return 0;
}

static uint64_t fk_now_val = 1; /* what svc->now_ns says (the main thread's engine time) */
static uint64_t fk_now(void)
{
	return fk_now_val;
}

static int fk_emit(nw_plugin *self, const nw_packet *pkt, const struct nw_event *ev)
{
	if (n_events < 64)
		events[n_events++] = *ev;
	return 0;
}

static const struct nw_pkt_info *fk_pkt_info(const nw_packet *pkt)
{
	return &pkt->pi;
}

static void fk_quiesce(void)
{
	n_quiesce++;
}

/* a flow: its info and this plugin's bypass vote (-1: none yet) */
struct nw_flow {
	struct nw_flow_info fi;
	int vote;
};

static const struct nw_flow_info *fk_flow_info(const nw_flow *flow)
{
	return &flow->fi;
}

static void fk_flow_bypass_vote(nw_flow *flow, nw_plugin *self, int yes)
{
	(void)self;
	flow->vote = yes;
}

static const struct nw_services fk_svc = {
	.size = sizeof(struct nw_services),
	.log = fk_log,
	.conf_next = fk_conf_next,
	.conf_section_name = fk_conf_section_name,
	.conf_kv = fk_conf_kv,
	.conf_error = fk_conf_error,
	.counter_register = fk_counter_register,
	.counter_add = fk_counter_add,
	.reason_register = fk_reason_register,
	.now_ns = fk_now,
	.event_emit = fk_emit,
	.pkt_info = fk_pkt_info,
	.quiesce = fk_quiesce,
	.flow_info = fk_flow_info,
	.flow_bypass_vote = fk_flow_bypass_vote,
};

static struct rl_priv priv;
static nw_plugin *const SELF = (nw_plugin *)&priv; /* never dereferenced by the plugin */

static void reset(void)
{
	memset(errs, 0, sizeof(errs));
	n_errs = n_events = n_ctr = n_reason = n_quiesce = 0;
	memset(ctr, 0, sizeof(ctr));
	memset(&priv, 0, sizeof(priv));
	svc = &fk_svc;
}

static int start(const nw_config *cfg, const nw_section *global)
{
	int rc = nw_plugin_descriptor.configure(SELF, &priv, cfg, global);
	if (rc == 0)
		rc = nw_plugin_descriptor.start(SELF, &priv);
	return rc;
}

static uint64_t counter(const char *name)
{
	for (unsigned i = 0; i < n_ctr; i++)
		if (!strcmp(ctr_name[i], name))
			return ctr[i];
	return UINT64_MAX;
}

/* A TCP SYN from 198.51.100.S to the gateway's public 203.0.113.1:PUB, DNATed to
 * 172.31.0.10:PRIV. */
static struct nw_packet syn(uint8_t s, uint16_t pub, uint16_t priv_port, uint64_t t, int inbound)
{
	struct nw_packet p;
	memset(&p, 0, sizeof(p));
	p.pi.size = sizeof(p.pi);
	p.pi.flags = NW_PKT_L4 | NW_PKT_ORIG_DST | (inbound ? NW_PKT_INBOUND : 0);
	p.pi.ts_ns = t;
	p.pi.src.family = p.pi.dst.family = p.pi.orig_dst.family = 4;
	memcpy(p.pi.src.a, (uint8_t[]){ 198, 51, 100, s }, 4);
	memcpy(p.pi.dst.a, (uint8_t[]){ 172, 31, 0, 10 }, 4);
	memcpy(p.pi.orig_dst.a, (uint8_t[]){ 203, 0, 113, 1 }, 4);
	p.pi.sport = 40000;
	p.pi.dport = priv_port;
	p.pi.orig_dport = pub;
	p.pi.ip_proto = 6;
	p.pi.tcp_flags = NW_TCP_SYN;
	p.pi.ip_len = 60;
	return p;
}

static unsigned drops(nw_packet *p, unsigned n, uint64_t gap)
{
	unsigned d = 0;
	uint64_t t0 = p->pi.ts_ns;
	for (unsigned i = 0; i < n; i++) {
		p->pi.ts_ns = t0 + i * gap;
		int r = nw_plugin_descriptor.packet(&priv, NULL, p, NULL);
		d += NW_RESULT_VERDICT(r) == NW_DROP;
	}
	return d;
}

#define SEC UINT64_C(1000000000)
#define MS_ UINT64_C(1000000)

/* port = public matches the pre-NAT port; port = private the post-NAT one. */
static void test_public_private_port(void **state)
{
	nw_config cfg = { .n = 2,
			  .sec = { { "limit", "pub", { { "proto", "tcp" }, { "dport", "2222" },
						       { "rate", "1/s" }, { "burst", "2" } } },
				   { "limit", "priv", { { "proto", "tcp" }, { "dport", "22" },
							{ "port", "private" }, { "rate", "1/s" },
							{ "burst", "3" } } } } };
	reset();
	assert_int_equal(start(&cfg, NULL), 0);
	/* public 2222 -> private 22: both limits match; "pub" (burst 2) decides first */
	nw_packet p = syn(1, 2222, 22, 10 * SEC, 1);
	assert_int_equal(drops(&p, 10, 1), 8);
	assert_int_equal(counter("pub.accepted"), 2);
	assert_int_equal(counter("pub.limited"), 8);
	assert_int_equal(counter("priv.accepted"), 2); /* dropped packets never reach it */
	/* public 80 -> private 22: only "priv" (burst 3) */
	nw_packet q = syn(2, 80, 22, 10 * SEC, 1);
	assert_int_equal(drops(&q, 10, 1), 7);
	/* the drop carries the limit's reason */
	int r = nw_plugin_descriptor.packet(&priv, NULL, &q, NULL);
	assert_int_equal(NW_RESULT_REASON(r), 2);
	nw_plugin_descriptor.stop(SELF, &priv);
}

/* direction, ignoreip (global and per limit), count = new-connections ignores non-SYNs. */
static void test_direction_ignore_newconn(void **state)
{
	nw_config cfg = { .n = 2,
			  .sec = { { "ratelimit", "", { { "ignoreip", "198.51.100.9" } } },
				   { "limit", "in", { { "direction", "inbound" },
						      { "count", "new-connections" },
						      { "ignoreip", "198.51.100.8/32" },
						      { "rate", "1/s" }, { "burst", "1" } } } } };
	reset();
	assert_int_equal(start(&cfg, &cfg.sec[0]), 0);
	nw_packet out = syn(1, 22, 22, SEC, 0);
	assert_int_equal(drops(&out, 5, 1), 0); /* outbound: not subject */
	nw_packet in = syn(1, 22, 22, SEC, 1);
	assert_int_equal(drops(&in, 5, 1), 4);
	nw_packet ign = syn(9, 22, 22, SEC, 1);
	assert_int_equal(drops(&ign, 5, 1), 0);
	nw_packet ign2 = syn(8, 22, 22, SEC, 1);
	assert_int_equal(drops(&ign2, 5, 1), 0);
	nw_packet ack = syn(3, 22, 22, SEC, 1);
	ack.pi.tcp_flags = NW_TCP_ACK;
	assert_int_equal(drops(&ack, 5, 1), 0);
	ack.pi.tcp_flags = NW_TCP_SYN | NW_TCP_ACK;
	assert_int_equal(drops(&ack, 5, 1), 0);
	nw_plugin_descriptor.stop(SELF, &priv);
}

/* alert never drops; offense emits an offense with the jail and source; events are throttled. */
static void test_actions_and_events(void **state)
{
	nw_config cfg = { .n = 2,
			  .sec = { { "limit", "watch", { { "key", "dst-port" }, { "rate", "10/s" },
							 { "burst", "5" }, { "action", "alert" } } },
				   { "limit", "strike", { { "key", "src/24" }, { "rate", "10/s" },
							  { "burst", "5" }, { "offense", "sshd" },
							  { "offense-only", "yes" } } } } };
	reset();
	assert_int_equal(start(&cfg, NULL), 0);
	nw_packet p = syn(7, 22, 22, 100 * SEC, 1);
	assert_int_equal(drops(&p, 1000, SEC / 100), 0); /* 100/s for 10 s, never dropped */
	unsigned rl = 0, off = 0;
	for (unsigned i = 0; i < n_events; i++) {
		if (events[i].type == NW_EV_RATELIMIT) {
			rl++;
			if (!strcmp(events[i].name, "watch"))
				assert_string_equal(events[i].kv[0].val, "port 22");
			else
				assert_string_equal(events[i].kv[0].val, "198.51.100.0/24");
		}
		if (events[i].type == NW_EV_OFFENSE) {
			off++;
			assert_string_equal(events[i].name, "sshd");
			assert_string_equal(events[i].msg, "ratelimit strike");
			assert_int_equal(events[i].prefix, 32);
			assert_memory_equal(events[i].addr.a, ((uint8_t[]){ 198, 51, 100, 7 }), 4);
		}
	}
	/* each limit: one event when it went over, one summary 10 s later at most */
	assert_in_range(rl, 2, 4);
	assert_in_range(off, 1, 2);
	nw_plugin_descriptor.stop(SELF, &priv);
}

/* Config errors name the line; unknown keys are errors. */
static void test_config_errors(void **state)
{
	nw_config cfg = { .n = 3,
			  .sec = { { "limit", "a", { { "rate", "10/s" }, { "colour", "red" } } },
				   { "limit", "b", { { "burst", "3" } } },
				   { "limit", "bad name!", { { "rate", "1/s" } } } } };
	reset();
	assert_int_equal(nw_plugin_descriptor.configure(SELF, &priv, &cfg, NULL), -EINVAL);
	assert_non_null(strstr(errs, "t.conf:11: unknown key 'colour'"));
	assert_non_null(strstr(errs, "rate is required"));
	assert_non_null(strstr(errs, "limit name 'bad name!'"));
}

/* A reload keeps the table (and so the state) of a limit whose key is unchanged. */

/* a reload as the engine runs it: build, then apply when the build succeeded */
static int reload(const nw_config *c)
{
	int r = nw_plugin_descriptor.reload(SELF, &priv, c, NULL);
	if (r == 0)
		nw_plugin_descriptor.reload_finish(SELF, &priv, 1);
	return r;
}

/* Another plugin refused the file: the built state is dropped, the running limits and the
 * keys' state stay, and a later reload still takes the table over. */
static void test_reload_dropped(void **state)
{
	nw_config cfg = { .n = 1,
			  .sec = { { "limit", "r", { { "rate", "1/s" }, { "burst", "3" } } } } };
	nw_config big = { .n = 1,
			  .sec = { { "limit", "r", { { "rate", "1/s" }, { "burst", "10" } } } } };
	(void)state;
	reset();
	assert_int_equal(start(&cfg, NULL), 0);
	nw_packet p = syn(1, 22, 22, SEC, 1);
	assert_int_equal(drops(&p, 3, 0), 0);
	assert_int_equal(nw_plugin_descriptor.reload(SELF, &priv, &big, NULL), 0);
	/* built, not applied: still burst 3 */
	assert_int_equal(drops(&p, 1, 0), 1);
	nw_plugin_descriptor.reload_finish(SELF, &priv, 0);
	assert_int_equal(drops(&p, 1, 0), 1);
	/* the table went back to the running limit: a real reload keeps the key's state */
	assert_int_equal(reload(&big), 0);
	assert_int_equal(drops(&p, 8, 0), 1);
	nw_plugin_descriptor.stop(SELF, &priv);
	fk_now_val = 1;
}

static void test_reload_keeps_state(void **state)
{
	nw_config cfg = { .n = 1,
			  .sec = { { "limit", "r", { { "rate", "1/s" }, { "burst", "3" } } } } };
	nw_config cfg2 = { .n = 1,
			   .sec = { { "limit", "r", { { "rate", "1/s" }, { "burst", "4" } } } } };
	nw_config cfg3 = { .n = 1,
			   .sec = { { "limit", "r", { { "rate", "1/s" }, { "key", "dst" } } } } };
	nw_config bad = { .n = 1, .sec = { { "limit", "r", { { "rate", "fast" } } } } };
	reset();
	assert_int_equal(start(&cfg, NULL), 0);
	nw_packet p = syn(1, 22, 22, SEC, 1);
	assert_int_equal(drops(&p, 3, 0), 0); /* burst used up */
	fk_now_val = SEC;
	assert_int_equal(reload(&cfg2), 0);
	assert_int_equal(n_quiesce, 1);
	/* same table: the key is still at its limit; the larger burst lets exactly one more */
	assert_int_equal(drops(&p, 3, 0), 2);
	/* a failed reload keeps the running limits */
	assert_int_equal(reload(&bad), -EINVAL);
	assert_int_equal(drops(&p, 1, 0), 1);
	/* a different key starts a fresh table */
	assert_int_equal(reload(&cfg3), 0);
	assert_int_equal(drops(&p, 6, 0), 1);
	nw_plugin_descriptor.stop(SELF, &priv);
	fk_now_val = 1;
}

/*
 * A reload that changes the rate re-expresses what each kept key owes in the new rate: raising
 * it frees a limited key at once (it is not held to the old rate's debt), lowering it does not
 * hand a key that just used its burst a fresh one.
 */
static void test_reload_rescales(void **state)
{
	nw_config slow = { .n = 1,
			   .sec = { { "limit", "r", { { "rate", "1/s" }, { "burst", "3" } } } } };
	nw_config fast = { .n = 1,
			   .sec = { { "limit", "r", { { "rate", "100/s" }, { "burst", "3" } } } } };
	reset();
	assert_int_equal(start(&slow, NULL), 0);
	nw_packet p = syn(1, 22, 22, SEC, 1);
	assert_int_equal(drops(&p, 4, 0), 1); /* burst 3 used up: 3 s ahead of the schedule */
	fk_now_val = SEC;
	assert_int_equal(reload(&fast), 0);
	/* under 100/s burst 3 the key owes at most 30 ms: 10 ms later it may send again */
	p.pi.ts_ns = SEC + 10 * MS_;
	assert_int_equal(drops(&p, 1, 0), 0);
	/* a fresh burst at 100/s, then back to 1/s: the 3 packets now weigh 3 s */
	p.pi.ts_ns = 100 * SEC;
	assert_int_equal(drops(&p, 3, 0), 0);
	fk_now_val = 100 * SEC;
	assert_int_equal(reload(&slow), 0);
	p.pi.ts_ns = 100 * SEC + MS_;
	assert_int_equal(drops(&p, 1, 0), 1);
	p.pi.ts_ns = 101 * SEC + 2 * MS_; /* one emission interval (1 s) later: one more */
	assert_int_equal(drops(&p, 2, 0), 1);
	nw_plugin_descriptor.stop(SELF, &priv);
	fk_now_val = 1;
}

/* the flow bypass vote: yes only when no limit counts the flow's later packets */
static int vote_for(nw_config *cfg, uint8_t proto, uint16_t server_port)
{
	nw_packet p = syn(1, server_port, server_port, SEC, 1);
	nw_flow f;

	memset(&f, 0, sizeof(f));
	f.vote = -1;
	f.fi.size = sizeof(f.fi);
	f.fi.ip_proto = proto;
	f.fi.client = p.pi.src;
	f.fi.server = p.pi.dst;
	f.fi.cport = 40000;
	f.fi.sport = server_port;
	p.pi.ip_proto = proto;
	reset();
	assert_int_equal(start(cfg, NULL), 0);
	nw_plugin_descriptor.packet(&priv, NULL, &p, &f);
	nw_plugin_descriptor.stop(SELF, &priv);
	return f.vote;
}

static void test_bypass_vote(void **state)
{
	nw_config priv22 = { .n = 1, .sec = { { "limit", "ssh", { { "proto", "tcp" },
					{ "dport", "22" }, { "port", "private" }, { "rate", "1/s" } } } } };
	nw_config pub22 = { .n = 1, .sec = { { "limit", "ssh", { { "proto", "tcp" },
					{ "dport", "22" }, { "rate", "1/s" } } } } };
	nw_config udp = { .n = 1, .sec = { { "limit", "u", { { "proto", "udp" },
					{ "rate", "1/s" } } } } };
	nw_config conn = { .n = 1, .sec = { { "limit", "c", { { "count", "new-connections" },
					{ "rate", "1/s" } } } } };
	nw_config pkts = { .n = 1, .sec = { { "limit", "p", { { "rate", "100/s" } } } } };

	(void)state;
	assert_int_equal(vote_for(&priv22, 6, 80), 1);  /* not its port */
	assert_int_equal(vote_for(&priv22, 6, 22), 0);  /* counts this flow's packets */
	assert_int_equal(vote_for(&pub22, 6, 80), 0);   /* pre-NAT port: unknown from the flow */
	assert_int_equal(vote_for(&udp, 6, 80), 1);     /* another protocol */
	assert_int_equal(vote_for(&udp, 17, 53), 0);
	assert_int_equal(vote_for(&conn, 6, 80), 1);    /* paid at the flow's start */
	assert_int_equal(vote_for(&pkts, 6, 80), 0);    /* every packet counts */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reload_dropped),
		cmocka_unit_test(test_public_private_port),
		cmocka_unit_test(test_direction_ignore_newconn),
		cmocka_unit_test(test_actions_and_events),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_reload_keeps_state),
		cmocka_unit_test(test_reload_rescales),
		cmocka_unit_test(test_bypass_vote),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
