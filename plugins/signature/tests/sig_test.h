/* plugins/signature/tests/sig_test.h: helpers shared by the signature unit tests (rule sets from text, packets). */
#ifndef SIG_TEST_H
#define SIG_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <cmocka.h>
#include "../sig_ruleset.h"

/* collected load errors */
struct sig_test_errs {
	char msg[16][512];
	unsigned n;
};

static inline void sig_test_err(void *opaque, const char *msg)
{
	struct sig_test_errs *e = opaque;

	if (e->n < 16)
		snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", msg);
	e->n++;
}

static struct sig_names sig_test_fb, sig_test_xb;

/* a rule set from text lines; merge_budget as struct sig_load's (0: the default) */
static inline struct sig_ruleset *sig_test_rules_budget(const char *const *rules, unsigned n,
							struct sig_test_errs *errs,
							unsigned merge_budget)
{
	struct sig_load l = { 0 };
	struct sig_ruleset *rs = NULL;

	l.merge_budget = merge_budget;
	l.rule_texts = rules;
	l.n_rule_texts = n;
	l.fb_names = &sig_test_fb;
	l.xb_names = &sig_test_xb;
	l.error = sig_test_err;
	l.opaque = errs;
	if (sig_ruleset_build(&l, &rs))
		fail_msg("rule set failed to build: %s", errs->n ? errs->msg[errs->n - 1] : "?");
	assert_int_equal(sig_ruleset_worker_init(rs, 0), 0);
	return rs;
}

static inline struct sig_ruleset *sig_test_rules(const char *const *rules, unsigned n,
						 struct sig_test_errs *errs)
{
	return sig_test_rules_budget(rules, n, errs, 0);
}

/* a TCP packet 10.0.0.1:40000 -> 203.0.113.5:80 */
static inline void sig_test_pkt(struct nw_pkt_info *pi, const char *payload, size_t len)
{
	memset(pi, 0, sizeof(*pi));
	pi->size = sizeof(*pi);
	pi->flags = NW_PKT_L4;
	pi->src.family = 4;
	inet_pton(AF_INET, "10.0.0.1", pi->src.a);
	pi->dst.family = 4;
	inet_pton(AF_INET, "203.0.113.5", pi->dst.a);
	pi->sport = 40000;
	pi->dport = 80;
	pi->ip_proto = 6;
	pi->ttl = 64;
	pi->tcp_flags = NW_TCP_ACK | NW_TCP_PSH;
	pi->payload = (const uint8_t *)payload;
	pi->payload_len = (uint32_t)len;
}

static inline const struct sig_rule *sig_test_rule(const struct sig_ruleset *rs, uint32_t sid)
{
	for (unsigned i = 0; i < rs->n; i++)
		if (rs->rules[i]->sid == sid)
			return rs->rules[i];
	return NULL;
}

/* evaluate rule `sid` on a packet like the plugin does for a packet buffer: 1 = match */
static inline int sig_test_eval(const struct sig_ruleset *rs, uint32_t sid,
				const struct nw_pkt_info *pi, struct sig_fbset *flowbits, int established)
{
	const struct sig_rule *r = sig_test_rule(rs, sid);
	struct sig_mctx m;
	int ok;

	assert_non_null(r);
	memset(&m, 0, sizeof(m));
	m.pi = pi;
	m.flowbits = flowbits;
	m.established = established;
	m.buf = pi->payload;
	m.len = pi->payload_len;
	m.md = pcre2_match_data_create(32, NULL);
	ok = sig_match_header(&m, r) && sig_match_packet_tests(&m, r) &&
	     sig_flowbits_check(&m, r) && sig_inspect_payload(&m, r);
	if (ok) {
		sig_flowbits_apply(&m, r);
		sig_xbits_apply(&m, r);
	}
	pcre2_match_data_free(m.md);
	return ok;
}

/* one rule, one payload: 1 = match */
static inline int sig_test_one(const char *rule, const char *payload, size_t len)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[1] = { rule };
	struct sig_ruleset *rs = sig_test_rules(rules, 1, &errs);
	struct nw_pkt_info pi;
	int ok;

	if (errs.n)
		fail_msg("rule did not parse: %s", errs.msg[0]);
	sig_test_pkt(&pi, payload, len);
	ok = sig_test_eval(rs, rs->rules[0]->sid, &pi, NULL, 1);
	sig_ruleset_free(rs);
	return ok;
}
#define SIG_ONE(rule, payload) sig_test_one(rule, payload, strlen(payload))

/* the load error for a rule, "" if it parsed */
static inline const char *sig_test_error(const char *rule)
{
	static struct sig_test_errs errs;
	const char *rules[1] = { rule };
	struct sig_ruleset *rs;

	memset(&errs, 0, sizeof(errs));
	rs = sig_test_rules(rules, 1, &errs);
	sig_ruleset_free(rs);
	return errs.n ? errs.msg[0] : "";
}

#endif
