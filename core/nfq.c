/* NFQUEUE I/O: queue binding and flags, recvmmsg batches, batched verdicts with marks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include "nfq.h"
#include "engine.h"
#include "log.h"
#include "vwin.h"

#define NFQ_MAX_BATCH 256
#define NFQ_HEADROOM 8192 /* netlink and attribute overhead around the copied packet */
#define NFQ_CFG_BUF 8192 /* one config message */
#define NFQ_HELD_BATCHES 4 /* verdict records held: this many receive batches */
#define NFQ_RETRY_MS 1 /* while verdicts wait for a resend, the worker wakes this often */

struct nw_nfq {
	struct nw_nfq_opts o;
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	int has_ct, has_fail_open, has_gso;
	size_t slot;               /* bytes per receive buffer */
	uint8_t *rbuf;             /* batch * slot */
	struct mmsghdr *msgs;
	struct iovec *iov;
	struct nw_vwin vw;         /* verdicts until the kernel has them */
	uint32_t last_id;          /* highest id seen (to find ids never delivered) */
	int have_last;             /* last_id is valid */
};

/* ---- configuration ---- */

static struct nlmsghdr *nwq_cfg_msg(struct nw_nfq *q, char *buf)
{
	struct nlmsghdr *nlh;

	/* the config attributes have padding (nfqnl_msg_config_params): send no stack bytes */
	memset(buf, 0, NFQ_CFG_BUF);
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->o.queue);

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++q->seq;
	return nlh;
}

/* The verdict window's way out: one datagram to the kernel. */
static int nwq_send(void *ctx, const void *buf, size_t len)
{
	struct nw_nfq *q = ctx;

	return mnl_socket_sendto(q->nl, buf, len) < 0 ? -errno : 0;
}

/* Give a packet that arrives while we configure an uninspected accept (it must not be stuck).
 * It goes through the verdict window: a send that fails keeps it for the worker's first flush.
 * No room (cannot happen this early) leaves it queued for the next batch accept. */
static void nwq_accept_now(struct nw_nfq *q, uint32_t id)
{
	if (nw_vwin_add(&q->vw, id, NF_ACCEPT, 0, 0, 1) == 0)
		nw_vwin_flush(&q->vw, NULL);
}

/* Send one config message and wait for its ack. Returns 0 or the kernel's -errno. */
static int nwq_cfg_send(struct nw_nfq *q, struct nlmsghdr *nlh)
{
	char buf[NFQ_HEADROOM];
	uint32_t seq = nlh->nlmsg_seq;

	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(q->nl, buf, sizeof(buf));
		const struct nlmsghdr *m;
		int len;

		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			return -errno;
		}
		len = (int)n;
		for (m = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_type == NLMSG_ERROR && m->nlmsg_seq == seq) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);
				if (m->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
					return -EPROTO;
				return e->error; /* 0 = ack */
			}
			if ((m->nlmsg_type & 0xff) == NFQNL_MSG_PACKET) {
				struct nw_nfq_pkt p;
				if (nw_nfq_parse(m, m->nlmsg_len, &p) == 0)
					nwq_accept_now(q, p.id);
			}
		}
	}
}

static int nwq_set_flags(struct nw_nfq *q, uint32_t flags)
{
	char buf[NFQ_CFG_BUF];
	struct nlmsghdr *nlh = nwq_cfg_msg(q, buf);

	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags));
	return nwq_cfg_send(q, nlh);
}

int nw_nfq_open(const struct nw_nfq_opts *opts, struct nw_nfq **out)
{
	char buf[NFQ_CFG_BUF];
	struct nlmsghdr *nlh;
	struct nw_nfq *q;
	uint32_t flags;
	int r, one = 1;

	*out = NULL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->o = *opts;
	if (!q->o.copy_range || q->o.copy_range > 0xffff)
		q->o.copy_range = 0xffff;
	if (!q->o.batch)
		q->o.batch = 64;
	if (q->o.batch > NFQ_MAX_BATCH)
		q->o.batch = NFQ_MAX_BATCH;
	/* each slot starts a netlink message: keep it aligned (copy_range is often odd) */
	q->slot = NLMSG_ALIGN(q->o.copy_range + NFQ_HEADROOM);
	q->rbuf = malloc(q->slot * q->o.batch);
	q->msgs = calloc(q->o.batch, sizeof(*q->msgs));
	q->iov = calloc(q->o.batch, sizeof(*q->iov));
	if (!q->rbuf || !q->msgs || !q->iov) {
		r = -ENOMEM;
		goto fail;
	}
	/* a send carries up to one batch of verdicts and the batch accept (~16 KiB at most, well
	 * under the socket's send buffer); the store holds a few batches while sends fail */
	r = nw_vwin_init(&q->vw, q->o.queue, q->o.batch * NFQ_HELD_BATCHES, q->o.batch + 1,
			 nwq_send, q);
	if (r)
		goto fail;
	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!q->nl) {
		r = -errno;
		goto fail;
	}
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto fail;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	if (q->o.rcvbuf_mb) {
		int sz = (int)(q->o.rcvbuf_mb > 1024 ? 1024 : q->o.rcvbuf_mb) * 1024 * 1024;
		/* FORCE ignores rmem_max (needs CAP_NET_ADMIN); plain SO_RCVBUF is capped by it */
		if (setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUFFORCE, &sz,
			       sizeof(sz)) &&
		    setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)))
			nw_log(NW_LOG_WARNING, "queue %u: cannot size the receive buffer: %s",
			       q->o.queue, strerror(errno));
	}
	/* verdict errors come back as NLMSG_ERROR; extended acks are not needed */
	setsockopt(mnl_socket_get_fd(q->nl), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));

	nlh = nwq_cfg_msg(q, buf);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	r = nwq_cfg_send(q, nlh);
	if (r) {
		nw_log(NW_LOG_ERR, "queue %u: bind failed: %s%s", q->o.queue, strerror(-r),
		       r == -EBUSY || r == -EPERM ? " (another process holds it, or no CAP_NET_ADMIN)"
						    : "");
		goto fail;
	}
	nlh = nwq_cfg_msg(q, buf);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)q->o.copy_range);
	r = nwq_cfg_send(q, nlh);
	if (r) {
		nw_log(NW_LOG_ERR, "queue %u: copy mode: %s", q->o.queue, strerror(-r));
		goto fail;
	}
	if (q->o.queue_maxlen) {
		nlh = nwq_cfg_msg(q, buf);
		nfq_nlmsg_cfg_put_qmaxlen(nlh, q->o.queue_maxlen);
		r = nwq_cfg_send(q, nlh);
		if (r) {
			nw_log(NW_LOG_ERR, "queue %u: queue_maxlen: %s", q->o.queue, strerror(-r));
			goto fail;
		}
	}
	/* Each flag separately, so a kernel refusing one (CONNTRACK needs NETLINK_GLUE_CT) keeps
	 * the others. */
	flags = 0;
	if (q->o.fail_open) {
		r = nwq_set_flags(q, NFQA_CFG_F_FAIL_OPEN);
		if (r)
			nw_log(NW_LOG_WARNING, "queue %u: kernel refuses fail-open (%s): overflow "
			       "will be dropped", q->o.queue, strerror(-r));
		else
			q->has_fail_open = 1, flags |= NFQA_CFG_F_FAIL_OPEN;
	}
	if (q->o.gso) {
		r = nwq_set_flags(q, flags | NFQA_CFG_F_GSO);
		if (r)
			nw_log(NW_LOG_WARNING, "queue %u: kernel refuses GSO (%s): large transfers will "
			       "be segmented before queueing", q->o.queue, strerror(-r));
		else
			q->has_gso = 1, flags |= NFQA_CFG_F_GSO;
	}
	r = nwq_set_flags(q, flags | NFQA_CFG_F_CONNTRACK);
	if (r)
		nw_log(NW_LOG_INFO, "queue %u: no conntrack attributes from the kernel (%s); the "
		       "pre-DNAT destination comes from the [forward] table", q->o.queue, strerror(-r));
	else
		q->has_ct = 1;
	*out = q;
	return 0;
fail:
	nw_nfq_close(q);
	return r;
}

int nw_nfq_fd(const struct nw_nfq *q)
{
	return mnl_socket_get_fd(q->nl);
}

int nw_nfq_has_conntrack(const struct nw_nfq *q)
{
	return q->has_ct;
}

int nw_nfq_has_fail_open(const struct nw_nfq *q)
{
	return q->has_fail_open;
}

int nw_nfq_has_gso(const struct nw_nfq *q)
{
	return q->has_gso;
}

unsigned nw_nfq_batch(const struct nw_nfq *q)
{
	return q->o.batch;
}

short nw_nfq_poll_events(const struct nw_nfq *q, int *timeout_ms)
{
	unsigned held = nw_vwin_pending(&q->vw);

	*timeout_ms = held ? NFQ_RETRY_MS : -1;
	/* a full store: read nothing more until its verdicts are out (the kernel keeps the packets
	 * queued; its overflow policy applies), and do not spin on a readable socket meanwhile */
	return nw_vwin_room(&q->vw) ? POLLIN : 0;
}

void nw_nfq_close(struct nw_nfq *q)
{
	if (!q)
		return;
	if (q->nl) {
		char buf[NFQ_CFG_BUF];
		struct nlmsghdr *nlh;

		/* a last chance for verdicts still held; what is left stays queued and the kernel
		 * drops it when we unbind (a DROP stays a drop) */
		if (nw_vwin_pending(&q->vw) && nw_vwin_flush(&q->vw, NULL) < 0)
			nw_log(NW_LOG_WARNING, "queue %u: %u verdicts could not be sent; the kernel "
			       "drops those packets", q->o.queue, nw_vwin_pending(&q->vw));
		nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->o.queue);
		nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_UNBIND);
		/* unchecked on purpose: if the unbind is lost, closing the socket releases its port
		 * id and the kernel destroys the instance the same way (queued packets dropped) */
		mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len);
		mnl_socket_close(q->nl);
	}
	free(q->rbuf);
	free(q->msgs);
	free(q->iov);
	nw_vwin_free(&q->vw);
	free(q);
}

/* ---- packets ---- */

/* Record one packet's verdict. run_batch receives no more packets than the store has room for,
 * one per datagram; should a datagram ever carry more, a flush makes room, and if even that fails
 * the verdict is lost: its packet stays queued and the window never again sends a batch accept
 * that could take it (the kernel drops it on unbind). */
static void nwq_verdict(struct nw_nfq *q, uint32_t id, int verdict, int set_mark, uint32_t mark,
			int plain, struct nw_wcounters *ctr)
{
	if (!nw_vwin_room(&q->vw))
		nw_vwin_flush(&q->vw, ctr);
	if (nw_vwin_add(&q->vw, id, verdict, set_mark, mark, plain) < 0)
		ctr->verdict_errors++;
}

static void nwq_handle_packet(struct nw_nfq *q, const struct nlmsghdr *nlh, nw_nfq_cb cb,
			      void *ctx, struct nw_wcounters *ctr)
{
	struct nw_nfq_pkt p;
	int res, verdict;

	if (nw_nfq_parse(nlh, nlh->nlmsg_len, &p) < 0) {
		ctr->recv_errors++;
		return;
	}
	/* ids are a 32-bit sequence that wraps: compare them as the kernel does */
	if (q->have_last && (int32_t)(p.id - q->last_id) > 1) {
		/* ids the kernel assigned but could not deliver (socket full): with fail-open they
		 * went through uninspected, otherwise the kernel dropped them (user_dropped) */
		if (q->has_fail_open)
			ctr->fail_open += p.id - q->last_id - 1;
		else
			ctr->recv_errors += p.id - q->last_id - 1;
	}
	if (!q->have_last || (int32_t)(p.id - q->last_id) > 0)
		q->last_id = p.id, q->have_last = 1;

	if (p.mark & q->o.reject_mark) {
		/* repeated with our reject mark but no REJECT rule caught it: never loop */
		nwq_verdict(q, p.id, NF_DROP, 0, 0, 0, ctr);
		return;
	}
	res = p.data ? cb(ctx, &p) : NW_ACCEPT;
	verdict = NW_RESULT_VERDICT(res);
	switch (verdict) {
	case NW_DROP:
		nwq_verdict(q, p.id, NF_DROP, 0, 0, 0, ctr);
		break;
	case NW_REJECT:
		nwq_verdict(q, p.id, NF_REPEAT, 1, p.mark | q->o.reject_mark, 0, ctr);
		break;
	case NW_BYPASS:
		nwq_verdict(q, p.id, NF_ACCEPT, 1, p.mark | q->o.bypass_mark, 0, ctr);
		break;
	default:
		nwq_verdict(q, p.id, NF_ACCEPT, 0, 0, 1, ctr);
		break;
	}
}

int nw_nfq_run_batch(struct nw_nfq *q, nw_nfq_cb cb, void *ctx, struct nw_wcounters *ctr)
{
	int fd = mnl_socket_get_fd(q->nl), n, handled = 0;
	unsigned want = q->o.batch;

	/* every packet received gets a verdict record: receive no more than there is room for */
	if (nw_vwin_room(&q->vw) < want) {
		nw_vwin_flush(&q->vw, ctr);
		if (nw_vwin_room(&q->vw) < want)
			want = nw_vwin_room(&q->vw);
		if (!want)
			return 0;
	}
	for (unsigned i = 0; i < want; i++) {
		q->iov[i].iov_base = q->rbuf + (size_t)i * q->slot;
		q->iov[i].iov_len = q->slot;
		memset(&q->msgs[i].msg_hdr, 0, sizeof(q->msgs[i].msg_hdr));
		q->msgs[i].msg_hdr.msg_iov = &q->iov[i];
		q->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	n = recvmmsg(fd, q->msgs, want, MSG_DONTWAIT, NULL);
	if (n < 0) {
		int err = errno;

		/* held verdicts are retried whenever the worker comes by, packets or not */
		if (nw_vwin_pending(&q->vw))
			nw_vwin_flush(&q->vw, ctr);
		switch (err) {
		case EAGAIN:
		case EINTR:
			return 0;
		case ENOBUFS: /* the kernel dropped messages: counted, never fatal */
			ctr->enobufs++;
			return 0;
		default:
			ctr->recv_errors++;
			return -err;
		}
	}
	for (int i = 0; i < n; i++) {
		int len = (int)q->msgs[i].msg_len;
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)q->iov[i].iov_base;

		if (q->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
			ctr->recv_errors++; /* cannot happen with slot = copy_range + headroom */
			continue;
		}
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				/* a verdict the kernel refused after taking the send: ENOENT (the id
				 * is not queued any more) or ENODEV/EPERM (the queue is not ours).
				 * Either way no packet is left queued for a batch accept to take:
				 * counted, nothing to resend */
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
				if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*e)) && e->error)
					ctr->verdict_errors++;
				continue;
			}
			if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_QUEUE ||
			    NFNL_MSG_TYPE(nlh->nlmsg_type) != NFQNL_MSG_PACKET)
				continue;
			nwq_handle_packet(q, nlh, cb, ctx, ctr);
			handled++;
		}
	}
	nw_vwin_flush(&q->vw, ctr);
	return handled;
}

int nw_nfq_kstats_read(unsigned queue, struct nw_nfq_kstats *out)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "re");
	char line[256];
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned qn, portid, mode, range;
		unsigned long long total, dropped, udropped, idseq;
		if (sscanf(line, "%u %u %llu %u %u %llu %llu %llu", &qn, &portid, &total, &mode,
			   &range, &dropped, &udropped, &idseq) != 8 || qn != queue)
			continue;
		out->portid = portid;
		out->queue_total = total;
		out->queue_dropped = dropped;
		out->user_dropped = udropped;
		out->id_sequence = idseq;
		r = 0;
		break;
	}
	fclose(f);
	return r;
}
