/* Flow table: direction-normalised 5-tuple, per-worker, fixed capacity with eviction. */
#ifndef NW_FLOW_H
#define NW_FLOW_H

#include <stddef.h>
#include <stdint.h>
#include "natwarden/plugin.h"

/* Normalised key: the lower (addr, port) endpoint first, so both directions hash alike. */
struct nw_flow_key {
	uint8_t lo[16], hi[16];
	uint16_t lo_port, hi_port;
	uint8_t family, proto;
	uint8_t pad_[2];
};

/* One flow (the opaque nw_flow of the ABI). Owned by one worker. */
struct nw_flow {
	struct nw_flow_info info;
	struct nw_flow_key key;
	uint32_t hnext;            /* next flow index in the hash chain (NW_FLOW_NONE ends) */
	uint32_t lru_prev, lru_next; /* LRU list by last packet time (head = newest) */
	uint32_t idx;              /* own index */
	uint32_t hash;             /* low bits of the key's hash (its bucket) */
	uint8_t in_use;
	uint8_t syn[2], synack, fin[2], rst; /* TCP handshake/teardown seen, by direction */
	uint8_t drop_logged;       /* an EVE drop event was written for this flow */
	uint8_t alerted;           /* an alert was emitted for one of its packets */
	uint8_t verdict_plugin;    /* 1 + chain index of the plugin that set `verdict` (0: none) */
	uint8_t verdict_reason;    /* its verdict reason then */
	int verdict;               /* sticky verdict (flow_set_verdict), NW_CONTINUE if none */
	uint8_t tcp_flags[2];      /* TCP flags seen, by direction (flow records) */
	char app_proto[16];        /* flow_set_app_proto ("" = none) */
	uint32_t bypass_votes;     /* bit i: plugin i of the chain voted to bypass (ABI 1.3) */
	uint8_t bypassed;          /* given the bypass verdict (policy or a plugin's NW_BYPASS) */
	uint8_t *priv;             /* the plugins' private area (priv_size bytes) */
};

#define NW_FLOW_NONE 0xffffffffu

struct nw_flow_timeouts {
	uint64_t tcp_ns, udp_ns, other_ns, closed_ns, new_ns;
	uint64_t bypass_ns; /* a bypassed flow idle this long ends (0 = its protocol's timeout) */
};

/* Called for a flow that ends (timeout, eviction, table destroy) before it is reused. */
typedef void (*nw_flow_end_cb)(void *ctx, struct nw_flow *f, int reason);
#define NW_FLOW_END_TIMEOUT 0
#define NW_FLOW_END_EVICT 1
#define NW_FLOW_END_SHUTDOWN 2

/* What a flow table counts (written by its worker only). */
struct nw_flow_counts {
	uint64_t created, evicted, timedout;
};

struct nw_flow_table {
	uint32_t cap, n;           /* capacity, flows in use */
	uint32_t mask;             /* bucket mask (buckets = power of two >= 2 * cap) */
	uint32_t *heads;           /* bucket heads */
	struct nw_flow *flows;     /* cap entries, allocated once */
	uint8_t *privmem;          /* cap * priv_size bytes */
	size_t priv_size;
	uint32_t free_head;        /* free list through hnext */
	uint32_t lru_head, lru_tail;
	uint64_t seed;
	uint64_t next_id;
	unsigned worker;
	struct nw_flow_timeouts to;
	nw_flow_end_cb on_end;
	void *cb_ctx;
	struct nw_flow_counts own;
	struct nw_flow_counts *cnt; /* where the counts go: &own, or the owner's counters */
};

/* Allocate a table of `cap` flows (all memory now). Returns NULL on failure. */
struct nw_flow_table *nw_flow_table_new(uint32_t cap, size_t priv_size,
					const struct nw_flow_timeouts *to, unsigned worker,
					nw_flow_end_cb cb, void *ctx);
/* End every flow (calls on_end) and free. */
void nw_flow_table_free(struct nw_flow_table *t);

/*
 * Find or create the flow of a decoded packet at time now. Sets pi->dir; updates counters and TCP
 * state. When the table is full the least valuable flow is evicted (oldest not-yet-established
 * first). Never allocates. Returns NULL only for packets without a flow (none today).
 */
struct nw_flow *nw_flow_track(struct nw_flow_table *t, struct nw_pkt_info *pi, uint64_t now);
/* End flows idle past their timeout; at most `budget` checked. Returns flows ended. */
unsigned nw_flow_sweep(struct nw_flow_table *t, uint64_t now, unsigned budget);

#endif
