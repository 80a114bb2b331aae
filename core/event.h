/* Event rings: bounded single-producer/single-consumer queues from a worker to the main thread. */
#ifndef NW_EVENT_H
#define NW_EVENT_H

#include <stdatomic.h>
#include <stdint.h>
#include "natwarden/plugin.h"

#define NW_EV_PAYLOAD_MAX 1024 /* payload bytes kept for payload_printable */

struct nw_evslot {
	struct nw_event ev;
	uint32_t plen;
	uint8_t payload[NW_EV_PAYLOAD_MAX];
};

#define NW_CACHE_LINE 64

/* The producer's and the consumer's indexes live on separate cache lines: a worker publishing
 * (every packet) must not keep taking the line the main thread reads and writes its tail on. */
struct nw_evring {
	uint32_t cap;                 /* power of two */
	struct nw_evslot *slots;
	_Alignas(NW_CACHE_LINE) _Atomic uint32_t head; /* next slot the producer writes */
	uint32_t phead;               /* producer only: next slot written (head while not held) */
	int held;                     /* producer only: pushes stay unseen until published */
	_Alignas(NW_CACHE_LINE) _Atomic uint32_t tail; /* next slot the consumer reads */
};

struct nw_evring *nw_evring_new(uint32_t cap);
void nw_evring_free(struct nw_evring *r);
/* Producer: copy ev (and its payload if NW_EVF_PAYLOAD) in. -ENOSPC when full (never blocks). */
int nw_evring_push(struct nw_evring *r, const struct nw_event *ev);
/* Consumer: the oldest slot or NULL; call nw_evring_pop after using it. */
struct nw_evslot *nw_evring_peek(struct nw_evring *r);
void nw_evring_pop(struct nw_evring *r);
/* Consumer: 1 when nothing is waiting (a cheap look before a drain). */
static inline int nw_evring_empty(struct nw_evring *r)
{
	return atomic_load_explicit(&r->head, memory_order_relaxed) ==
	       atomic_load_explicit(&r->tail, memory_order_relaxed);
}

/* Producer: keep the events pushed from now on from the consumer (a packet in judgement:
 * its alerts learn the final verdict first). */
void nw_evring_hold(struct nw_evring *r);
/* Producer: the i-th event pushed since nw_evring_hold (NULL past the last), to amend. */
struct nw_event *nw_evring_held(struct nw_evring *r, uint32_t i);
/* Producer: let the consumer see the held events, and stop holding. */
void nw_evring_publish(struct nw_evring *r);

#endif
