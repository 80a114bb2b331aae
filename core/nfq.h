/* NFQUEUE I/O through libnetfilter_queue's libmnl API: bind, batch receive, batch verdicts. */
#ifndef NW_NFQ_H
#define NW_NFQ_H

#include <stddef.h>
#include <stdint.h>
#include "natwarden/plugin.h"

struct nw_wcounters;

/* How to configure one queue. */
struct nw_nfq_opts {
	unsigned queue;        /* queue number */
	uint32_t queue_maxlen; /* kernel queue length (0 = kernel default 1024) */
	uint32_t copy_range;   /* bytes of each packet copied (0 or > 65535 = 65535) */
	unsigned rcvbuf_mb;    /* socket receive buffer, MB (0 = leave the default) */
	unsigned batch;        /* packets received per recvmmsg (1..256) */
	int fail_open;         /* NFQA_CFG_F_FAIL_OPEN */
	int gso;               /* NFQA_CFG_F_GSO */
	uint32_t bypass_mark;  /* OR-ed into the packet mark for NW_BYPASS */
	uint32_t reject_mark;  /* OR-ed into the packet mark for NW_REJECT (NF_REPEAT) */
};

/* One queued packet as the kernel described it. */
struct nw_nfq_pkt {
	uint32_t id;           /* packet id */
	const uint8_t *data;   /* the IP packet (copy_range bytes at most) */
	uint32_t len;          /* bytes in data */
	uint32_t orig_len;     /* length before truncation to copy_range */
	uint32_t indev, outdev; /* ifindex, 0 = unknown */
	uint32_t mark;         /* skb mark when queued */
	int gso;               /* a GSO super-packet (NFQA_SKB_GSO) */
	int ct_state;          /* enum nw_ct_state from NFQA_CT_INFO, -1 when absent */
	int have_orig_dst;     /* orig_dst/orig_dport valid (from NFQA_CT) */
	struct nw_addr orig_dst;
	uint16_t orig_dport;
};

/* Parse one NFQNL_MSG_PACKET message of len bytes (the netlink header included) in one pass over
 * its attributes into *p (fields the kernel left out: 0, ct_state -1). Safe on any input: never
 * reads outside msg. Returns 0, or -EBADMSG when it is malformed or has no NFQA_PACKET_HDR. */
int nw_nfq_parse(const void *msg, size_t len, struct nw_nfq_pkt *p);

/* Per-packet callback (worker): returns NW_RESULT(verdict, reason) or a bare nw_verdict. */
typedef int (*nw_nfq_cb)(void *ctx, const struct nw_nfq_pkt *pkt);

struct nw_nfq;

/* Open a netlink socket, bind the queue and configure it (main thread, needs CAP_NET_ADMIN).
 * Returns 0 or -errno (-EBUSY: someone else holds the queue). */
int nw_nfq_open(const struct nw_nfq_opts *opts, struct nw_nfq **out);
/* The socket to poll for input. */
int nw_nfq_fd(const struct nw_nfq *q);
/* 1 when the kernel accepted NFQA_CFG_F_CONNTRACK (packets carry NFQA_CT). */
int nw_nfq_has_conntrack(const struct nw_nfq *q);
/* 1 when the kernel accepted NFQA_CFG_F_FAIL_OPEN / NFQA_CFG_F_GSO. */
int nw_nfq_has_fail_open(const struct nw_nfq *q);
int nw_nfq_has_gso(const struct nw_nfq *q);

/*
 * Worker: receive up to `batch` packets without blocking, judge each with cb, then send all
 * verdicts in one sendmsg (the plain accepts as one NFQNL_MSG_VERDICT_BATCH after the individual
 * verdicts). Nothing is held back while sends succeed. A send that fails (after a few immediate
 * retries) keeps its verdicts and the queue falls back to per-packet verdicts until they are
 * delivered (see vwin.h): a DROP never turns into an accept. Counts into ctr: enobufs (socket
 * overrun, never fatal), fail_open (packet ids the kernel assigned but never delivered: with
 * fail-open they were let through uninspected), recv_errors, verdict_errors, verdict_retries,
 * verdict_fallbacks, verdicts_resent.
 * Returns packets handled (0 = nothing was waiting) or -errno for a fatal socket error.
 */
int nw_nfq_run_batch(struct nw_nfq *q, nw_nfq_cb cb, void *ctx, struct nw_wcounters *ctr);

/* Packets one nw_nfq_run_batch receives at most (the configured batch, clamped). */
unsigned nw_nfq_batch(const struct nw_nfq *q);

/* Worker: what to poll the queue's socket for next (POLLIN, or 0 while held verdicts fill the
 * store) and, in *timeout_ms, when to call nw_nfq_run_batch anyway (-1 = only on input; a short
 * interval while verdicts wait to be resent). */
short nw_nfq_poll_events(const struct nw_nfq *q, int *timeout_ms);

/* Send the verdicts still held (one last try), unbind and close. Packets still in the kernel
 * queue are dropped by the kernel; later ones are let through with --queue-bypass once nobody
 * is bound. Call only after the worker stopped. */
void nw_nfq_close(struct nw_nfq *q);

/* The kernel's view of a queue from /proc/net/netfilter/nfnetlink_queue (this netns). */
struct nw_nfq_kstats {
	uint32_t portid;        /* bound socket */
	uint64_t queue_total;   /* packets waiting now */
	uint64_t queue_dropped; /* dropped because the queue was full (fail-closed) */
	uint64_t user_dropped;  /* dropped because the netlink socket was full (fail-closed) */
	uint64_t id_sequence;   /* last packet id */
};
/* Returns 0, or -ENOENT if the queue is not listed. */
int nw_nfq_kstats_read(unsigned queue, struct nw_nfq_kstats *out);

#endif
