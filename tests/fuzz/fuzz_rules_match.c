/* tests/fuzz/fuzz_rules_match.c: libFuzzer target: rules x payload through the matcher and the stream window.
 * Input: rule lines, a line "--", then the payload (split into 3 TCP segments for the stream). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sig_ruleset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t fz_scratch[SIG_SBUF_SIZE];
static struct sig_xb_table fz_xbt; /* small, so buckets fill and evict */

static void fz_err(void *opaque, const char *msg)
{
	(void)opaque;
	(void)msg;
}

static void fz_eval(const struct sig_ruleset *rs, struct sig_mctx *m, const struct sig_view *v)
{
	for (unsigned i = 0; i < rs->n; i++) {
		const struct sig_rule *r = rs->rules[i];
		if (!sig_match_header(m, r) || !sig_match_packet_tests(m, r) ||
		    !sig_flowbits_check(m, r))
			continue;
		m->buf = m->pi->payload;
		m->len = m->pi->payload_len;
		m->abs_base = 0;
		m->min_end = v->pkt_min_end;
		m->stream = 0;
		if (!sig_inspect_payload(m, r) && v->has_stream) {
			m->buf = v->sbuf;
			m->len = v->slen;
			m->abs_base = v->sbase;
			m->min_end = v->s_min_end;
			m->stream = 1;
			if (!sig_inspect_payload(m, r))
				continue;
		}
		sig_flowbits_apply(m, r);
		sig_xbits_apply(m, r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = NULL;
	char *text, *lines[64];
	unsigned n = 0;
	struct sig_load l = { 0 };
	struct sig_ruleset *rs = NULL;
	static struct sig_stream st;
	struct sig_fbset bits = { 0 };
	struct sig_names fz_fb = { 0 }, fz_xb = { 0 };
	struct nw_pkt_info pi;
	size_t plen;

	if (size > 16384)
		return 0;
	for (size_t i = 0; i + 3 < size; i++)
		if (!memcmp(data + i, "\n--\n", 4)) {
			sep = data + i;
			break;
		}
	if (!sep)
		return 0;
	text = strndup((const char *)data, (size_t)(sep - data));
	if (!text)
		return 0;
	for (char *p = text, *nl; p && *p && n < 64; p = nl) {
		nl = strchr(p, '\n');
		if (nl)
			*nl++ = 0;
		lines[n++] = p;
	}
	l.rule_texts = (const char *const *)lines;
	l.n_rule_texts = n;
	l.fb_names = &fz_fb;
	l.xb_names = &fz_xb;
	l.error = fz_err;
	if (sig_ruleset_build(&l, &rs) || sig_ruleset_worker_init(rs, 0)) {
		sig_ruleset_free(rs);
		sig_names_free(&fz_fb);
	sig_names_free(&fz_xb);
		free(text);
		return 0;
	}
	const uint8_t *payload = sep + 4;
	plen = size - (size_t)(payload - data);
	memset(&pi, 0, sizeof(pi));
	pi.size = sizeof(pi);
	pi.flags = NW_PKT_L4;
	pi.src.family = pi.dst.family = 4;
	pi.ip_proto = 6;
	pi.dport = 80;
	pi.sport = 40000;
	pi.tcp_flags = NW_TCP_ACK;
	memset(&st, 0, sizeof(st));
	struct sig_mctx m;
	memset(&m, 0, sizeof(m));
	m.pi = &pi;
	m.flowbits = &bits;
	if (!fz_xbt.b && sig_xb_init(&fz_xbt, 16))
		abort();
	memset(fz_xbt.b, 0, fz_xbt.nb * sizeof(*fz_xbt.b)); /* no state across inputs */
	m.xbt = &fz_xbt;
	m.established = 1;
	m.md = pcre2_match_data_create(16, NULL);
	/* three segments: first third, last third (out of order), middle third */
	size_t a = plen / 3, b = 2 * plen / 3;
	size_t off[3] = { 0, b, a }, len[3] = { a, plen - b, b - a };
	for (int k = 0; k < 3; k++) {
		struct sig_view v;
		pi.payload = payload + off[k];
		pi.payload_len = (uint32_t)len[k];
		pi.tcp_seq = 1000 + (uint32_t)off[k];
		sig_stream_view(&st, &pi, fz_scratch, &v);
		const struct sig_group *g = sig_ruleset_group(rs, &pi);
		sig_ruleset_candidates(rs, g, rs->ws[0], v.has_stream ? v.sbuf : pi.payload,
				       v.has_stream ? v.slen : pi.payload_len);
		fz_eval(rs, &m, &v);
		sig_stream_update(&st, &pi);
	}
	pcre2_match_data_free(m.md);
	sig_ruleset_free(rs);
	sig_names_free(&fz_fb);
	sig_names_free(&fz_xb);
	free(text);
	return 0;
}
