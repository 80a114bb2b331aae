/* IP reassembly for offline mode: IPv4/IPv6 fragments become one datagram, in bounded memory. */
#ifndef NW_DEFRAG_H
#define NW_DEFRAG_H

#include <stdint.h>

/* What reassembly counts (written by its worker only; all uint64_t: summed as an array). */
struct nw_defrag_counts {
	uint64_t fragments;   /* fragments taken in */
	uint64_t reassembled; /* datagrams completed and handed on */
	uint64_t timeouts;    /* datagrams dropped incomplete after their timeout */
	uint64_t evicted;     /* datagrams dropped incomplete to make room (memory, slots) */
	uint64_t overlaps;    /* fragments that overlapped held data with other bytes */
	uint64_t duplicates;  /* fragments wholly inside held data (ignored: first wins) */
	uint64_t too_large;   /* fragments that would make a datagram over 65535 bytes */
	uint64_t invalid;     /* fragments refused: bad length, inconsistent end, empty */
};

struct nw_defrag_conf {
	uint64_t memory;      /* bytes of fragment data held at most */
	uint32_t max_dgrams;  /* datagrams in reassembly at most */
	uint64_t timeout4_ns, timeout6_ns; /* from a datagram's first fragment, packet time */
};

/* What nw_defrag_feed did with a packet. */
enum nw_defrag_result {
	NW_DEFRAG_PASS = 0, /* not a fragment reassembly takes: process the packet as it is */
	NW_DEFRAG_HELD,     /* kept (or silently dropped, as the kernel would): nothing to process */
	NW_DEFRAG_DONE,     /* a datagram is complete: process *out (valid until the next call) */
	NW_DEFRAG_EVENT,    /* the fragment was refused with decoder events (*events): process the
			     * fragment itself, malformed, so rules can see why */
};

struct nw_defrag;

/* Allocate everything now (no allocation afterwards). cnt receives the counts. NULL on failure. */
struct nw_defrag *nw_defrag_new(const struct nw_defrag_conf *conf, struct nw_defrag_counts *cnt);
void nw_defrag_free(struct nw_defrag *d);

/*
 * Take the IP packet data[0..len) seen at now_ns. Overlap policy (Linux's, the one live traffic
 * gets from the kernel): a fragment wholly inside data already held is ignored (first wins),
 * with ipv4/ipv6.frag_overlap when its bytes differ; any other overlap drops the whole datagram.
 */
int nw_defrag_feed(struct nw_defrag *d, const uint8_t *data, uint32_t len, uint64_t now_ns,
		   const uint8_t **out, uint32_t *out_len, uint64_t *events);

/* Datagrams held now (incomplete). */
uint32_t nw_defrag_pending(const struct nw_defrag *d);

#endif
