/* Verdicts on their way to the kernel: held until a send succeeds, batch accepts only when safe. */
#ifndef NW_VWIN_H
#define NW_VWIN_H

#include <stddef.h>
#include <stdint.h>

struct nw_wcounters;

/*
 * Why this exists. A batch verdict (NFQNL_MSG_VERDICT_BATCH, id N) applies to EVERY packet still
 * queued with an id up to N. The kernel processes the messages of one sendmsg() synchronously and
 * in order (netlink_unicast_kernel -> nfnetlink_rcv -> netlink_rcv_skb), and every way sendmsg()
 * can fail (ENOBUFS, ENOMEM, EMSGSIZE, EFAULT, ECONNREFUSED, EPERM...) fails before the kernel
 * looked at any message: a failed send delivered nothing. A verdict the kernel refuses after a
 * successful send comes back as NLMSG_ERROR (ENOENT: the id is no longer queued; ENODEV/EPERM:
 * the queue is not ours, so no verdict, batch or not, can apply); none of these leaves the packet
 * queued for a later batch to take. So "known to be delivered" = part of a send that succeeded.
 *
 * The rules kept here:
 *  - every judged packet gets a record, in id order; a record leaves only when a send that
 *    carried it succeeded (a failed send drops nothing on the floor);
 *  - a batch accept is sent only in normal mode, at the end of a send that carries every
 *    record (its individual verdicts go first in the same send);
 *  - after a failed send the window falls back to per-packet verdicts: every record, plain
 *    accepts included, is sent as its own message until every held record is delivered; only
 *    then batch accepts resume;
 *  - when the store is full the caller stops receiving (nw_vwin_room() == 0): the kernel keeps
 *    the packets queued, and its own overflow policy (fail-open or drop) applies. A DROP that can
 *    never be delivered leaves its packet queued until the kernel drops it on unbind.
 */

/* Sends len bytes (one or more netlink messages) in one datagram; returns 0 or -errno. */
typedef int (*nw_vwin_send_fn)(void *ctx, const void *buf, size_t len);

#define NW_VREC_MARK 0x1  /* set the packet mark to mark */
#define NW_VREC_PLAIN 0x2 /* a plain accept (no mark): a batch accept may cover it */

/* One packet's verdict until the kernel has it. */
struct nw_vrec {
	uint32_t id;      /* packet id */
	uint32_t mark;    /* mark to set (NW_VREC_MARK) */
	uint16_t verdict; /* NF_ACCEPT, NF_DROP, NF_REPEAT */
	uint16_t flags;   /* NW_VREC_* */
};

/* Immediate retries of a send that failed with a transient error (no sleeping in between). */
#define NW_VWIN_RETRIES 3

struct nw_vwin {
	unsigned queue;         /* queue number put in each message */
	struct nw_vrec *rec;    /* ring of cap records, oldest (lowest id) at head */
	unsigned cap, head, n;  /* capacity, index of the oldest, records held */
	unsigned failed;        /* records at the head that were held when a send failed */
	int per_packet;         /* 1 from a failed send until every held record is delivered */
	int no_batch;           /* a verdict could not be recorded: never a batch accept again */
	unsigned max_msgs;      /* messages in one send (the last may be the batch accept) */
	uint8_t *buf;           /* the messages of one send */
	nw_vwin_send_fn send;
	void *send_ctx;
};

/* Allocate room for cap records and sends of up to max_msgs messages (both >= 2).
 * Returns 0 or -ENOMEM. */
int nw_vwin_init(struct nw_vwin *v, unsigned queue, unsigned cap, unsigned max_msgs,
		 nw_vwin_send_fn send, void *send_ctx);
void nw_vwin_free(struct nw_vwin *v);

/* Records that can still be added: receive no more packets than this. */
static inline unsigned nw_vwin_room(const struct nw_vwin *v)
{
	return v->cap - v->n;
}

/* Records waiting (0 = nothing to send). */
static inline unsigned nw_vwin_pending(const struct nw_vwin *v)
{
	return v->n;
}

/* Add one packet's verdict (NF_* value); plain = a plain accept a batch may cover.
 * Returns 0, or -ENOSPC when the store is full: nothing added, and if the verdict was not a plain
 * accept the window sends per-packet verdicts only from then on (its packet is still queued). */
int nw_vwin_add(struct nw_vwin *v, uint32_t id, int verdict, int set_mark, uint32_t mark,
		int plain);

/*
 * Send what is held, oldest first, in as many sends as it takes; stops at the first send that
 * still fails after NW_VWIN_RETRIES immediate retries of a transient error (EINTR, EAGAIN,
 * ENOBUFS, ENOMEM), keeping everything not yet sent. Counts into ctr (may be NULL):
 * verdict_retries, verdict_errors (failed sends), verdict_fallbacks, verdicts_resent.
 * Returns 0 when nothing is left, or the failed send's -errno.
 */
int nw_vwin_flush(struct nw_vwin *v, struct nw_wcounters *ctr);

#endif
