/* Event rings: bounded single-producer/single-consumer queues from a worker to the main thread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "event.h"

struct nw_evring *nw_evring_new(uint32_t cap)
{
	struct nw_evring *r;
	uint32_t c = 16;

	while (c < cap && c < (1u << 20))
		c <<= 1;
	r = aligned_alloc(NW_CACHE_LINE, sizeof(*r)); /* sizeof is a multiple of the line */
	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->slots = calloc(c, sizeof(*r->slots));
	if (!r->slots) {
		free(r);
		return NULL;
	}
	r->cap = c;
	return r;
}

void nw_evring_free(struct nw_evring *r)
{
	if (!r)
		return;
	free(r->slots);
	free(r);
}

int nw_evring_push(struct nw_evring *r, const struct nw_event *ev)
{
	uint32_t head = r->phead;
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	struct nw_evslot *s;
	size_t n = ev->size < sizeof(s->ev) ? ev->size : sizeof(s->ev);

	if (head - tail >= r->cap)
		return -ENOSPC;
	s = &r->slots[head & (r->cap - 1)];
	memset(&s->ev, 0, sizeof(s->ev));
	memcpy(&s->ev, ev, n);
	s->ev.size = sizeof(s->ev);
	s->plen = 0;
	if ((ev->flags & NW_EVF_PAYLOAD) && ev->payload && ev->payload_len) {
		s->plen = ev->payload_len < NW_EV_PAYLOAD_MAX ? ev->payload_len : NW_EV_PAYLOAD_MAX;
		memcpy(s->payload, ev->payload, s->plen);
	}
	s->ev.payload = NULL;
	s->ev.payload_len = s->plen;
	r->phead = head + 1;
	if (!r->held)
		atomic_store_explicit(&r->head, head + 1, memory_order_release);
	return 0;
}

void nw_evring_hold(struct nw_evring *r)
{
	r->held = 1;
}

struct nw_event *nw_evring_held(struct nw_evring *r, uint32_t i)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (!r->held || i >= r->phead - head)
		return NULL;
	return &r->slots[(head + i) & (r->cap - 1)].ev;
}

void nw_evring_publish(struct nw_evring *r)
{
	r->held = 0;
	/* most packets push nothing: then the shared line is not written at all */
	if (atomic_load_explicit(&r->head, memory_order_relaxed) != r->phead)
		atomic_store_explicit(&r->head, r->phead, memory_order_release);
}

struct nw_evslot *nw_evring_peek(struct nw_evring *r)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);

	if (tail == head)
		return NULL;
	struct nw_evslot *s = &r->slots[tail & (r->cap - 1)];
	s->ev.payload = s->plen ? s->payload : NULL;
	return s;
}

void nw_evring_pop(struct nw_evring *r)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
}
