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

static char *sig_test_fb[SIG_MAX_FLOWBITS];
static unsigned sig_test_nfb;

static inline struct sig_ruleset *sig_test_rules(const char *const *rules, unsigned n,
						 struct sig_test_errs *errs)
{
	struct sig_load l = { 0 };
	struct sig_ruleset *rs = NULL;

	l.rule_texts = rules;
	l.n_rule_texts = n;
	l.fb_names = sig_test_fb;
	l.n_fb_names = &sig_test_nfb;
	l.error = sig_test_err;
	l.opaque = errs;
	assert_int_equal(sig_ruleset_build(&l, &rs), 0);
	assert_int_equal(sig_ruleset_worker_init(rs, 0), 0);
	return rs;
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

#endif
