/* plugins/signature/sig_stream.c: per-direction TCP stream window so patterns split across segments match. */
#include <string.h>
#include "sig.h"

/*
 * Policy (documented in natwarden-rules(7)):
 * - in-order data is appended to a window of the last SIG_STREAM_WIN bytes of the direction;
 * - a match must include at least one byte never inspected before (no repeated alerts for the
 *   same bytes, retransmissions of known bytes are not inspected again);
 * - overlapping data that differs from what was seen is inspected in its own context (the
 *   history before it + the new version), counted, and the window keeps the first version
 *   (first-wins, as Linux does for data it already has);
 * - one out-of-order segment (<= SIG_STREAM_PEND bytes) past a gap is inspected alone and held;
 *   when the gap fills it is inspected again together with the data that filled it.
 */

static void sig_stream_append(struct sig_stream *s, const uint8_t *d, size_t n)
{
	if (n >= SIG_STREAM_WIN) {
		s->base += s->len + (n - SIG_STREAM_WIN);
		memcpy(s->buf, d + n - SIG_STREAM_WIN, SIG_STREAM_WIN);
		s->len = SIG_STREAM_WIN;
		return;
	}
	if ((size_t)s->len + n > SIG_STREAM_WIN) {
		size_t drop = (size_t)s->len + n - SIG_STREAM_WIN;
		memmove(s->buf, s->buf + drop, s->len - drop);
		s->base += drop;
		s->len = (uint16_t)(s->len - drop);
	}
	memcpy(s->buf + s->len, d, n);
	s->len = (uint16_t)(s->len + n);
}

void sig_stream_view(const struct sig_stream *s, const struct nw_pkt_info *pi, uint8_t *scratch,
		     struct sig_view *v)
{
	size_t plen = pi->payload_len, overl, new_from, hist_len = 0, o;
	int64_t wend, segoff, rel;

	memset(v, 0, sizeof(*v));
	if (!s->init || !plen)
		return;
	rel = (int32_t)(pi->tcp_seq - s->next_seq);
	if (rel > 0) {
		v->ooo = 1;
		return;
	}
	wend = (int64_t)(s->base + s->len);
	segoff = wend + rel;
	overl = (size_t)-rel < plen ? (size_t)-rel : plen;
	new_from = overl;
	for (size_t i = 0; i < overl; i++) {
		int64_t so = segoff + (int64_t)i;
		if (so < (int64_t)s->base)
			continue; /* older than the window: assume the same bytes */
		if (s->buf[so - (int64_t)s->base] != pi->payload[i]) {
			new_from = i;
			v->overlap_diff = 1;
			break;
		}
	}
	if (new_from >= plen && !v->overlap_diff) {
		v->nothing_new = 1;
		return;
	}
	v->pkt_min_end = new_from;
	if (segoff > (int64_t)s->base)
		hist_len = (size_t)(segoff - (int64_t)s->base);
	if (segoff < 0)
		return; /* before the stream start: packet only */
	memcpy(scratch, s->buf, hist_len);
	memcpy(scratch + hist_len, pi->payload, plen);
	o = hist_len + plen;
	if (s->pend_len) {
		/* held out-of-order data this segment reaches */
		int64_t poff = wend + (int32_t)(s->pend_seq - s->next_seq);
		int64_t segend = segoff + (int64_t)plen;
		if (poff <= segend && poff + s->pend_len > segend) {
			size_t from = (size_t)(segend - poff);
			memcpy(scratch + o, s->pend + from, s->pend_len - from);
			o += s->pend_len - from;
		}
	}
	if (o == plen)
		return; /* no history and nothing held: the packet buffer says it all */
	v->has_stream = 1;
	v->sbuf = scratch;
	v->slen = o;
	v->sbase = hist_len ? s->base : (uint64_t)segoff;
	v->s_min_end = hist_len + new_from;
}

void sig_stream_update(struct sig_stream *s, const struct nw_pkt_info *pi)
{
	size_t plen = pi->payload_len;
	int64_t rel, end_rel;

	if (pi->tcp_flags & NW_TCP_SYN) {
		memset(s, 0, offsetof(struct sig_stream, buf));
		s->init = 1;
		s->syn = 1;
		s->next_seq = pi->tcp_seq + 1;
		return;
	}
	if (!plen)
		return;
	if (!s->init) {
		s->init = 1;
		s->next_seq = pi->tcp_seq;
		s->base = 0;
		s->len = 0;
	}
	rel = (int32_t)(pi->tcp_seq - s->next_seq);
	if (rel > 0) {
		if (!s->pend_len && plen <= SIG_STREAM_PEND && rel < 65536) {
			memcpy(s->pend, pi->payload, plen);
			s->pend_seq = pi->tcp_seq;
			s->pend_len = (uint16_t)plen;
		} else if (s->pend_len && pi->tcp_seq == s->pend_seq + s->pend_len &&
			   s->pend_len + plen <= SIG_STREAM_PEND) {
			memcpy(s->pend + s->pend_len, pi->payload, plen);
			s->pend_len = (uint16_t)(s->pend_len + plen);
		}
		return;
	}
	end_rel = rel + (int64_t)plen;
	if (end_rel <= 0)
		return;
	sig_stream_append(s, pi->payload + (size_t)-rel, (size_t)end_rel);
	s->next_seq += (uint32_t)end_rel;
	if (s->pend_len) {
		int64_t prel = (int32_t)(s->pend_seq - s->next_seq);
		if (prel <= 0) {
			if (prel + s->pend_len > 0) {
				size_t add = (size_t)(prel + s->pend_len);
				sig_stream_append(s, s->pend + (size_t)-prel, add);
				s->next_seq += (uint32_t)add;
			}
			s->pend_len = 0;
		}
	}
}

unsigned sig_stream_new(const struct sig_stream *s, const struct nw_pkt_info *pi,
			const uint8_t *d[2], size_t n[2])
{
	size_t plen = pi->payload_len;
	int64_t rel, end_rel, prel;
	uint32_t next;
	unsigned k = 0;

	if ((pi->tcp_flags & NW_TCP_SYN) || !plen)
		return 0;
	if (!s->init) {
		d[0] = pi->payload;
		n[0] = plen;
		return 1;
	}
	rel = (int32_t)(pi->tcp_seq - s->next_seq);
	if (rel > 0)
		return 0;
	end_rel = rel + (int64_t)plen;
	if (end_rel <= 0)
		return 0;
	d[k] = pi->payload + (size_t)-rel;
	n[k++] = (size_t)end_rel;
	next = s->next_seq + (uint32_t)end_rel;
	if (s->pend_len) {
		prel = (int32_t)(s->pend_seq - next);
		if (prel <= 0 && prel + s->pend_len > 0) {
			d[k] = s->pend + (size_t)-prel;
			n[k++] = (size_t)(prel + s->pend_len);
		}
	}
	return k;
}

int sig_stream_head(const struct sig_stream *s, const struct nw_pkt_info *pi,
		    const struct sig_view *v, const uint8_t **p, size_t *n)
{
	if (v->has_stream) {
		if (v->sbase != 0)
			return 0;
		*p = v->sbuf;
		*n = v->slen;
		return 1;
	}
	if (!pi->payload_len || v->nothing_new || v->ooo)
		return 0;
	if (!s->init || ((int32_t)(pi->tcp_seq - s->next_seq) == 0 && s->base + s->len == 0)) {
		*p = pi->payload;
		*n = pi->payload_len;
		return 1;
	}
	return 0;
}
