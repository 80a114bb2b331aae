/* plugins/signature/sig_match.c: rule evaluation: header, packet tests and payload inspection with backtracking. */
#include <ctype.h>
#include <string.h>
#include "sig_app.h"

static int sig_inspect(struct sig_mctx *m, const struct sig_rule *r, unsigned i, size_t prev_end,
		       size_t max_end);

/* the next match may depend on where this one matched */
static int sig_can_backtrack(const struct sig_mctx *m, const struct sig_rule *r, unsigned i)
{
	return m->min_end > 0 || (i + 1 < m->sm_end && r->pm[i + 1].relative);
}

static int sig_inspect_content(struct sig_mctx *m, const struct sig_rule *r, unsigned i,
			       const struct sig_sm *sm, size_t prev_end, size_t max_end)
{
	const struct sig_content *c = sm->ctx;
	int64_t ws, we, len = (int64_t)m->len;
	const uint8_t *pat = (c->flags & SIG_CF_NOCASE) ? c->lpat : c->pat;
	int nocase = (c->flags & SIG_CF_NOCASE) != 0;

	if (sm->relative) {
		ws = (int64_t)prev_end + ((c->flags & SIG_CF_DISTANCE) ? c->distance : 0);
		we = (c->flags & SIG_CF_WITHIN) ? ws + c->within : len;
		if (ws < 0)
			ws = 0;
	} else {
		ws = (c->flags & SIG_CF_OFFSET) ? c->offset : 0;
		we = (c->flags & SIG_CF_DEPTH) ? (int64_t)c->offset + c->depth : len;
		if (c->flags & (SIG_CF_OFFSET | SIG_CF_DEPTH)) {
			ws -= (int64_t)m->abs_base;
			we -= (int64_t)m->abs_base;
		}
		if (ws < 0)
			ws = 0;
	}
	if (we > len)
		we = len;
	if (c->flags & SIG_CF_ENDSWITH) {
		int64_t at = len - (int64_t)c->len;
		if (at < ws)
			ws = we; /* nothing fits */
		else
			ws = at;
	}

	if (c->flags & SIG_CF_NEGATED) {
		const uint8_t *f = NULL;
		if (we - ws >= (int64_t)c->len)
			f = sig_search(m->buf + ws, (size_t)(we - ws), pat, c->len, nocase);
		if (f && (c->flags & SIG_CF_ENDSWITH) && f != m->buf + ws)
			f = NULL;
		if (f)
			return sm->relative ? 0 : -1;
		return sig_inspect(m, r, i + 1, prev_end, max_end);
	}
	for (;;) {
		const uint8_t *f;
		size_t end;
		int rc;

		if (we - ws < (int64_t)c->len)
			return sm->relative ? 0 : -1;
		f = sig_search(m->buf + ws, (size_t)(we - ws), pat, c->len, nocase);
		if (!f)
			return sm->relative ? 0 : -1;
		if ((c->flags & SIG_CF_ENDSWITH) && f != m->buf + len - c->len)
			return sm->relative ? 0 : -1;
		end = (size_t)(f - m->buf) + c->len;
		rc = sig_inspect(m, r, i + 1, end, end > max_end ? end : max_end);
		if (rc != 0)
			return rc;
		if (!sig_can_backtrack(m, r, i))
			return 0;
		ws = (f - m->buf) + 1;
	}
}

static int sig_inspect_pcre(struct sig_mctx *m, const struct sig_rule *r, unsigned i,
			    const struct sig_sm *sm, size_t prev_end, size_t max_end)
{
	const struct sig_pcre *p = sm->ctx;
	size_t start = sm->relative ? prev_end : 0;
	const uint8_t *subj;
	size_t slen, from = 0;

	if (start > m->len)
		return sm->relative ? 0 : -1;
	subj = m->buf + start;
	slen = m->len - start;
	for (;;) {
		int rc = pcre2_match(p->code, subj, slen, from, 0, m->md, m->mc);
		PCRE2_SIZE *ov;
		size_t end;

		if (rc < 0 && rc != PCRE2_ERROR_NOMATCH && rc != PCRE2_ERROR_PARTIAL)
			return -1; /* match limit and other errors: no match */
		if (p->flags & SIG_PCRE_NEGATED) {
			if (rc >= 0)
				return sm->relative ? 0 : -1;
			return sig_inspect(m, r, i + 1, prev_end, max_end);
		}
		if (rc < 0)
			return sm->relative ? 0 : -1;
		ov = pcre2_get_ovector_pointer(m->md);
		end = start + ov[1];
		rc = sig_inspect(m, r, i + 1, end, end > max_end ? end : max_end);
		if (rc != 0)
			return rc;
		if (!sig_can_backtrack(m, r, i) || ov[0] + 1 > slen)
			return 0;
		from = ov[0] + 1;
	}
}

/* read nbytes at pos as binary or text; 0 on success. Text as strtoull reads it within the
 * nbytes: leading white space, an optional +, 0x before hex digits, then digits up to the first
 * other byte; no digit (or a -) is no number. */
static int sig_byte_read(const struct sig_byte *b, const uint8_t *p, uint64_t *out)
{
	uint64_t v = 0;

	if (b->string) {
		int any = 0;
		unsigned k = 0;
		while (k < b->nbytes && (p[k] == ' ' || (p[k] >= '\t' && p[k] <= '\r')))
			k++;
		if (k < b->nbytes && p[k] == '+')
			k++;
		if (b->string == 16 && k + 2 < b->nbytes && p[k] == '0' && sig_lower[p[k + 1]] == 'x' &&
		    isxdigit(p[k + 2]))
			k += 2;
		for (; k < b->nbytes; k++) {
			int d;
			uint8_t c = p[k];
			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (b->string == 16 && sig_lower[c] >= 'a' && sig_lower[c] <= 'f')
				d = sig_lower[c] - 'a' + 10;
			else
				break;
			if (d >= b->string)
				break;
			v = v * b->string + (uint64_t)d;
			any = 1;
		}
		if (!any)
			return -1;
	} else if (b->little) {
		for (int k = b->nbytes - 1; k >= 0; k--)
			v = (v << 8) | p[k];
	} else {
		for (unsigned k = 0; k < b->nbytes; k++)
			v = (v << 8) | p[k];
	}
	if (b->bitmask) {
		v &= b->bitmask;
		uint64_t mk = b->bitmask;
		while (!(mk & 1)) {
			mk >>= 1;
			v >>= 1;
		}
	}
	*out = v;
	return 0;
}

static int64_t sig_byte_pos(const struct sig_mctx *m, const struct sig_sm *sm,
			    const struct sig_byte *b, size_t prev_end)
{
	if (sm->relative)
		return (int64_t)prev_end + b->offset;
	return (int64_t)b->offset - (int64_t)m->abs_base;
}

static int sig_inspect_byte_test(struct sig_mctx *m, const struct sig_rule *r, unsigned i,
				 const struct sig_sm *sm, size_t prev_end, size_t max_end)
{
	const struct sig_byte *b = sm->ctx;
	int64_t pos = sig_byte_pos(m, sm, b, prev_end);
	uint64_t v;
	int ok;

	if (pos < 0 || pos + b->nbytes > (int64_t)m->len || sig_byte_read(b, m->buf + pos, &v))
		return sm->relative ? 0 : -1;
	switch (b->op) {
	case SIG_OP_LT: ok = v < b->value; break;
	case SIG_OP_GT: ok = v > b->value; break;
	case SIG_OP_EQ: ok = v == b->value; break;
	case SIG_OP_LE: ok = v <= b->value; break;
	case SIG_OP_GE: ok = v >= b->value; break;
	case SIG_OP_AND: ok = (v & b->value) != 0; break;
	case SIG_OP_OR: ok = (v ^ b->value) != 0; break; /* ^ is xor (Suricata, Snort) */
	default: ok = 0;
	}
	if (b->negop)
		ok = !ok;
	if (!ok)
		return sm->relative ? 0 : -1;
	return sig_inspect(m, r, i + 1, prev_end, max_end);
}

static int sig_inspect_byte_jump(struct sig_mctx *m, const struct sig_rule *r, unsigned i,
				 const struct sig_sm *sm, size_t prev_end, size_t max_end)
{
	const struct sig_byte *b = sm->ctx;
	int64_t pos = sig_byte_pos(m, sm, b, prev_end), np;
	uint64_t v;

	if (pos < 0 || pos + b->nbytes > (int64_t)m->len || sig_byte_read(b, m->buf + pos, &v))
		return sm->relative ? 0 : -1;
	if (v > 0xffffffffull)
		return sm->relative ? 0 : -1;
	v *= b->multiplier;
	if (b->align)
		v = (v + 3) & ~3ull;
	if (b->from_beginning)
		np = (int64_t)v - (int64_t)m->abs_base;
	else
		np = pos + b->nbytes + (int64_t)v;
	np += b->post_offset;
	if (np < 0 || np > (int64_t)m->len)
		return sm->relative ? 0 : -1;
	return sig_inspect(m, r, i + 1, (size_t)np, max_end);
}

static int sig_inspect(struct sig_mctx *m, const struct sig_rule *r, unsigned i, size_t prev_end,
		       size_t max_end)
{
	const struct sig_sm *sm;

	if (++m->steps > SIG_INSPECT_BUDGET)
		return -1;
	if (i >= m->sm_end)
		return (m->min_end == 0 || max_end > m->min_end) ? 1 : 0;
	sm = &r->pm[i];
	switch (sm->type) {
	case SIG_SM_CONTENT:
		return sig_inspect_content(m, r, i, sm, prev_end, max_end);
	case SIG_SM_PCRE:
		return sig_inspect_pcre(m, r, i, sm, prev_end, max_end);
	case SIG_SM_ISDATAAT: {
		const struct sig_isdataat *d = sm->ctx;
		int ok;
		if (sm->relative)
			ok = (uint64_t)prev_end + d->n <= m->len;
		else
			ok = (uint64_t)d->n < (uint64_t)m->len + m->abs_base;
		if (d->negated)
			ok = !ok;
		if (!ok)
			return sm->relative ? 0 : -1;
		return sig_inspect(m, r, i + 1, prev_end, max_end);
	}
	case SIG_SM_BYTE_TEST:
		return sig_inspect_byte_test(m, r, i, sm, prev_end, max_end);
	case SIG_SM_BYTE_JUMP:
		return sig_inspect_byte_jump(m, r, i, sm, prev_end, max_end);
	case SIG_SM_BSIZE:
		if (!sig_bsize_match(sm->ctx, m->len))
			return -1;
		return sig_inspect(m, r, i + 1, prev_end, max_end);
	case SIG_SM_APPVAL:
		if (!sig_appval_match(m->ac, sm->ctx))
			return -1;
		return sig_inspect(m, r, i + 1, prev_end, max_end);
	case SIG_SM_EXT:
		if (sig_ext_match(sm, m->pkt, m->flow, m->buf, m->len) != 1)
			return -1;
		return sig_inspect(m, r, i + 1, prev_end, max_end);
	default:
		return -1;
	}
}

int sig_inspect_payload(struct sig_mctx *m, const struct sig_rule *r)
{
	const struct sig_list *l = &r->lists[0];

	m->steps = 0;
	if (r->n_lists == 0 || l->n == 0)
		return m->stream ? 0 : 1;
	m->sm_end = l->start + l->n;
	return sig_inspect(m, r, l->start, 0, 0) == 1;
}

#define SIG_MAX_INSTANCES 64

int sig_inspect_app(struct sig_mctx *m, const struct sig_rule *r)
{
	static const uint8_t empty[1];
	struct sig_mctx am = *m;

	if (!m->ac)
		return 0;
	am.abs_base = 0;
	am.min_end = 0;
	am.stream = 0;
	for (unsigned li = 1; li < r->n_lists; li++) {
		const struct sig_list *l = &r->lists[li];
		const struct sig_bufinfo *bi;
		int ok = 0;

		if (!l->n)
			continue;
		am.sm_end = l->start + l->n;
		if (l->buf == SIG_BUF_MAX) {
			am.buf = empty;
			am.len = 0;
			am.steps = 0;
			if (sig_inspect(&am, r, l->start, 0, 0) != 1)
				return 0;
			continue;
		}
		bi = sig_buf_info(l->buf);
		for (unsigned idx = 0; idx < SIG_MAX_INSTANCES && !ok; idx++) {
			const uint8_t *p;
			size_t len;
			if (!sig_app_buffer(m->ac, l->buf, bi->dirdep && r->to_client, idx, &p, &len))
				break;
			if (l->n_xf)
				p = sig_xform_apply(m->ac, l, p, len, &len);
			am.buf = len ? p : empty;
			am.len = len;
			am.steps = 0;
			ok = sig_inspect(&am, r, l->start, 0, 0) == 1;
		}
		if (!ok)
			return 0;
	}
	return 1;
}

int sig_match_header(const struct sig_mctx *m, const struct sig_rule *r)
{
	const struct nw_pkt_info *pi = m->pi;
	int l4ports = 0;

	switch (r->proto) {
	case SIG_PROTO_TCP:
		if (pi->ip_proto != 6 || !(pi->flags & NW_PKT_L4))
			return 0;
		l4ports = 1;
		break;
	case SIG_PROTO_UDP:
		if (pi->ip_proto != 17 || !(pi->flags & NW_PKT_L4))
			return 0;
		l4ports = 1;
		break;
	case SIG_PROTO_ICMP:
		if (pi->ip_proto != 1 && pi->ip_proto != 58)
			return 0;
		break;
	case SIG_PROTO_TCPUDP:
		if ((pi->ip_proto != 6 && pi->ip_proto != 17) || !(pi->flags & NW_PKT_L4))
			return 0;
		l4ports = 1;
		break;
	default:
		break;
	}
	if (r->app && r->app != m->app)
		return 0;
	if (sig_addr_match(&r->src, &pi->src) && sig_addr_match(&r->dst, &pi->dst) &&
	    (!l4ports || (sig_port_match(&r->sp, pi->sport) && sig_port_match(&r->dp, pi->dport))))
		goto dir_ok;
	if (r->bidir && sig_addr_match(&r->src, &pi->dst) && sig_addr_match(&r->dst, &pi->src) &&
	    (!l4ports || (sig_port_match(&r->sp, pi->dport) && sig_port_match(&r->dp, pi->sport))))
		goto dir_ok;
	return 0;
dir_ok:
	if (r->flow) {
		if ((r->flow & SIG_FLOW_ESTABLISHED) && !m->established)
			return 0;
		if ((r->flow & SIG_FLOW_NOT_ESTABLISHED) && m->established)
			return 0;
		if ((r->flow & SIG_FLOW_TO_SERVER) && pi->dir != NW_DIR_TO_SERVER)
			return 0;
		if ((r->flow & SIG_FLOW_TO_CLIENT) && pi->dir != NW_DIR_TO_CLIENT)
			return 0;
	}
	return 1;
}

int sig_ext_match(const struct sig_sm *sm, const nw_packet *pkt, nw_flow *flow,
		  const uint8_t *buf, size_t len)
{
	const struct nw_keyword *k = sm->ext;

	if (k->match_priv)
		return k->match_priv(sm->ext_priv, sm->ctx, pkt, flow, buf, len);
	return k->match ? k->match(sm->ctx, pkt, flow, buf, len) : 0;
}

int sig_match_packet_tests(const struct sig_mctx *m, const struct sig_rule *r)
{
	static const uint8_t empty[1];

	for (unsigned i = 0; i < r->n_nm; i++) {
		const struct sig_sm *sm = &r->nm[i];
		if (sm->type == SIG_SM_EXT) {
			/* a plugin's packet keyword: the packet's payload, maybe none */
			const uint8_t *p = m->pi->payload_len ? m->pi->payload : empty;
			if (sig_ext_match(sm, m->pkt, m->flow, p, m->pi->payload_len) != 1)
				return 0;
		} else if (!sm->match(m, sm->ctx)) {
			return 0;
		}
	}
	return 1;
}
