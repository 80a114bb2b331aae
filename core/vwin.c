/* Verdict window: verdict records held until a send succeeds; per-packet fallback after a failure. */
#include <errno.h>
#include <stdlib.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include "engine.h"
#include "vwin.h"

#define VWIN_MSG_SIZE 64 /* one verdict message with a mark, aligned */

int nw_vwin_init(struct nw_vwin *v, unsigned queue, unsigned cap, unsigned max_msgs,
		 nw_vwin_send_fn send, void *send_ctx)
{
	*v = (struct nw_vwin){.queue = queue, .cap = cap < 2 ? 2 : cap,
			      .max_msgs = max_msgs < 2 ? 2 : max_msgs, .send = send,
			      .send_ctx = send_ctx};
	v->rec = calloc(v->cap, sizeof(*v->rec));
	v->buf = malloc((size_t)v->max_msgs * VWIN_MSG_SIZE);
	if (!v->rec || !v->buf) {
		nw_vwin_free(v);
		return -ENOMEM;
	}
	return 0;
}

void nw_vwin_free(struct nw_vwin *v)
{
	free(v->rec);
	free(v->buf);
	v->rec = NULL;
	v->buf = NULL;
	v->n = 0;
}

static struct nw_vrec *vwin_at(struct nw_vwin *v, unsigned i)
{
	return &v->rec[(v->head + i) % v->cap];
}

int nw_vwin_add(struct nw_vwin *v, uint32_t id, int verdict, int set_mark, uint32_t mark,
		int plain)
{
	struct nw_vrec *r;

	if (v->n == v->cap) {
		/* this packet stays queued with no verdict on record: a batch accept could take it */
		if (!plain || verdict != NF_ACCEPT || set_mark)
			v->no_batch = 1;
		return -ENOSPC;
	}
	r = vwin_at(v, v->n++);
	r->id = id;
	r->mark = mark;
	r->verdict = (uint16_t)verdict;
	r->flags = (uint16_t)((set_mark ? NW_VREC_MARK : 0) |
			      (plain && verdict == NF_ACCEPT && !set_mark ? NW_VREC_PLAIN : 0));
	return 0;
}

static size_t vwin_put(struct nw_vwin *v, size_t off, int type, uint32_t id, int verdict,
		       int set_mark, uint32_t mark)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put((char *)v->buf + off, type, v->queue);

	nfq_nlmsg_verdict_put(nlh, (int)id, verdict);
	if (set_mark)
		nfq_nlmsg_verdict_put_mark(nlh, mark);
	return off + NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Build the messages for the first k records; returns their length. */
static size_t vwin_build(struct nw_vwin *v, unsigned k, int batch)
{
	size_t off = 0;
	uint32_t last_plain = 0;
	int any_plain = 0;

	for (unsigned i = 0; i < k; i++) {
		const struct nw_vrec *r = vwin_at(v, i);

		if (batch && (r->flags & NW_VREC_PLAIN)) {
			/* ids only grow (modulo 2^32) along the ring: the last is the kernel's
			 * "up to"; it compares ids with wrap-around, as we must */
			last_plain = r->id;
			any_plain = 1;
			continue;
		}
		off = vwin_put(v, off, NFQNL_MSG_VERDICT, r->id, r->verdict,
			       !!(r->flags & NW_VREC_MARK), r->mark);
	}
	/* after the individual verdicts of the same send: the kernel handles them first, and a
	 * failed send delivers none of them nor the batch */
	if (any_plain)
		off = vwin_put(v, off, NFQNL_MSG_VERDICT_BATCH, last_plain, NF_ACCEPT, 0, 0);
	return off;
}

static int vwin_transient(int err)
{
	return err == -EINTR || err == -EAGAIN || err == -EWOULDBLOCK || err == -ENOBUFS ||
	       err == -ENOMEM;
}

/* One send, retried at once a few times on a transient error. */
static int vwin_send(struct nw_vwin *v, size_t len, struct nw_wcounters *ctr)
{
	int r = v->send(v->send_ctx, v->buf, len);

	for (int i = 0; r < 0 && vwin_transient(r) && i < NW_VWIN_RETRIES; i++) {
		if (ctr)
			ctr->verdict_retries++;
		r = v->send(v->send_ctx, v->buf, len);
	}
	return r;
}

int nw_vwin_flush(struct nw_vwin *v, struct nw_wcounters *ctr)
{
	while (v->n) {
		/* one message per record, plus the batch accept that replaces the plain ones */
		unsigned k = v->n < v->max_msgs - 1 ? v->n : v->max_msgs - 1;
		int batch = !v->per_packet && !v->no_batch && k == v->n;
		size_t len = vwin_build(v, k, batch);
		int r = vwin_send(v, len, ctr);

		if (r < 0) {
			if (ctr)
				ctr->verdict_errors++;
			if (!v->per_packet && ctr)
				ctr->verdict_fallbacks++;
			v->per_packet = 1;
			v->failed = v->n; /* all of them wait for this send now */
			return r;
		}
		if (v->failed) {
			unsigned again = k < v->failed ? k : v->failed;
			if (ctr)
				ctr->verdicts_resent += again;
			v->failed -= again;
		}
		v->head = (v->head + k) % v->cap;
		v->n -= k;
	}
	v->per_packet = 0; /* every held verdict is delivered: batch accepts resume */
	return 0;
}
