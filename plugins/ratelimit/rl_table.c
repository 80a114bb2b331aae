/* ratelimit: exact integer GCRA and the fixed-capacity, bucket-locked key table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rl_table.h"

static uint64_t rl_gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* Largest tolerance we accept: keeps tat + tau far from overflowing a uint64 of epoch ns. */
#define RL_TAU_MAX (UINT64_C(1) << 61)

int rl_rate_init(struct rl_rate *rt, uint64_t amount, uint64_t period_ns, uint64_t burst)
{
	if (!amount || !period_ns || !burst)
		return -EINVAL;
	uint64_t g = rl_gcd(period_ns, amount);
	uint64_t num = period_ns / g, den = amount / g;
	if (den > UINT32_MAX)
		return -ERANGE;
	memset(rt, 0, sizeof(*rt));
	rt->den = (uint32_t)den;
	rt->q = num / den;
	rt->r = (uint32_t)(num % den);
	/* tau = burst * num / den, exactly */
	unsigned __int128 t = (unsigned __int128)burst * num;
	unsigned __int128 tq = t / den;
	if (tq > RL_TAU_MAX)
		return -ERANGE;
	rt->tau_ns = (uint64_t)tq;
	rt->tau_frac = (uint32_t)(t % den);
	return 0;
}

static inline int rl_gcra_step(const struct rl_rate *rt, uint64_t *tat_ns, uint32_t *tat_frac,
				uint64_t now_ns, uint64_t cost)
{
	uint64_t ns = *tat_ns;
	uint64_t fr = *tat_frac;

	if (ns < now_ns) { /* fully refilled: the schedule restarts now */
		ns = now_ns;
		fr = 0;
	}
	/* increment = cost * T = cost*q + (cost*r + fr)/den; cost is at most 2^32 - 1 here */
	if (cost > UINT32_MAX)
		return 0;
	uint64_t inc;
	if (cost == 1) {
		inc = rt->q;
		fr += rt->r;
		if (fr >= rt->den) {
			fr -= rt->den;
			inc++;
		}
	} else {
		uint64_t fx = cost * rt->r + fr; /* < 2^64: both factors < 2^32 */
		unsigned __int128 w = (unsigned __int128)cost * rt->q + fx / rt->den;
		if (w > RL_TAU_MAX)
			return 0;
		inc = (uint64_t)w;
		fr = fx % rt->den;
	}
	/* accept iff (ns + inc) - now <= tau; ns - now <= tau always holds for a stored tat */
	uint64_t ahead = ns - now_ns + inc;
	if (ahead > rt->tau_ns || (ahead == rt->tau_ns && fr > rt->tau_frac))
		return 0;
	*tat_ns = ns + inc;
	*tat_frac = (uint32_t)fr;
	return 1;
}

int rl_gcra_take(const struct rl_rate *rt, uint64_t *tat_ns, uint32_t *tat_frac, uint64_t now_ns,
		 uint64_t cost)
{
	return rl_gcra_step(rt, tat_ns, tat_frac, now_ns, cost);
}

static inline uint64_t rl_mum(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t rl_key_hash(const struct rl_key *k, const uint64_t seed[4])
{
	uint64_t w0, w1;
	uint32_t w2;
	memcpy(&w0, k->a, 8);
	memcpy(&w1, k->a + 8, 8);
	memcpy(&w2, &k->port, 4); /* port, family, plen */
	uint64_t h = rl_mum(w0 ^ seed[0], w1 ^ seed[1]);
	h ^= rl_mum((uint64_t)w2 ^ seed[2], h ^ seed[3]);
	return rl_mum(h ^ seed[0], UINT64_C(0x9e3779b97f4a7c15) ^ seed[3]);
}

static inline void rl_bucket_lock(struct rl_bucket *b)
{
	while (atomic_exchange_explicit(&b->lock, 1, memory_order_acquire)) {
		while (atomic_load_explicit(&b->lock, memory_order_relaxed)) {
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#endif
		}
	}
}

static inline void rl_bucket_unlock(struct rl_bucket *b)
{
	atomic_store_explicit(&b->lock, 0, memory_order_release);
}

int rl_table_init(struct rl_table *t, uint64_t max_keys, const uint64_t seed[4])
{
	memset(t, 0, sizeof(*t));
	if (!max_keys)
		return -EINVAL;
	uint64_t nb = (max_keys + RL_BUCKET_WAYS - 1) / RL_BUCKET_WAYS;
	if (nb > (UINT64_C(1) << 40) / sizeof(struct rl_bucket))
		return -ERANGE;
	void *mem = aligned_alloc(64, nb * sizeof(struct rl_bucket));
	if (!mem)
		return -ENOMEM;
	memset(mem, 0, nb * sizeof(struct rl_bucket)); /* touch it now, not on the packet path */
	t->b = mem;
	t->n_buckets = nb;
	memcpy(t->seed, seed, sizeof(t->seed));
	atomic_init(&t->used, 0);
	return 0;
}

void rl_table_free(struct rl_table *t)
{
	free(t->b);
	t->b = NULL;
	t->n_buckets = 0;
}

static inline int rl_key_eq(const struct rl_key *a, const struct rl_key *b)
{
	uint64_t a0, a1, b0, b1;
	uint32_t a2, b2;
	_Static_assert(sizeof(struct rl_key) == 20, "rl_key layout");
	memcpy(&a0, a, 8);
	memcpy(&b0, b, 8);
	memcpy(&a1, (const uint8_t *)a + 8, 8);
	memcpy(&b1, (const uint8_t *)b + 8, 8);
	memcpy(&a2, (const uint8_t *)a + 16, 4);
	memcpy(&b2, (const uint8_t *)b + 16, 4);
	return ((a0 ^ b0) | (a1 ^ b1) | (uint64_t)(a2 ^ b2)) == 0;
}

static inline int rl_entry_idle(const struct rl_entry *e, uint64_t now_ns)
{
	return e->tat_ns < now_ns || (e->tat_ns == now_ns && e->tat_frac == 0);
}

/*
 * The cost of replacing entry i of a bucket, cheapest loss first: a free entry (0); an idle one
 * (1: fully refilled, it carries no state, dropping it changes nothing); a key that was never
 * over its limit, least ahead of its schedule first; only then a key that is being limited. A
 * flood of one-packet spoofed sources therefore never displaces a key that is being limited.
 */
static uint64_t rl_entry_cost(const struct rl_bucket *b, int i, uint64_t now_ns)
{
	const struct rl_entry *e = &b->e[i];
	uint64_t ahead;

	if (!b->tag[i])
		return 0;
	if (rl_entry_idle(e, now_ns))
		return 1;
	ahead = e->tat_ns - now_ns;
	if (ahead > (UINT64_C(1) << 61))
		ahead = UINT64_C(1) << 61;
	return 2 + (ahead | ((e->flags & RL_E_OVER) ? (UINT64_C(1) << 62) : 0));
}

/* The cheapest entry of a bucket to replace (see rl_entry_cost) and its cost. */
static int rl_bucket_victim(const struct rl_bucket *b, uint64_t now_ns, uint64_t *cost)
{
	int best = 0;

	*cost = UINT64_MAX;
	for (int i = 0; i < RL_BUCKET_WAYS; i++) {
		uint64_t c = rl_entry_cost(b, i, now_ns);
		if (c < *cost) {
			*cost = c;
			best = i;
			if (c <= 1)
				break;
		}
	}
	return best;
}

static struct rl_entry *rl_bucket_find(struct rl_bucket *b, uint8_t tag, const struct rl_key *k)
{
	for (int i = 0; i < RL_BUCKET_WAYS; i++)
		if (b->tag[i] == tag && rl_key_eq(&b->e[i].key, k))
			return &b->e[i];
	return NULL;
}

/*
 * Two-choice placement: a key lives in one of two buckets chosen by its hash, so that a few
 * keys falling on one bucket do not push each other out while the table is mostly empty. A
 * known key is found under one bucket lock at a time; a new key is placed with both locks held
 * (taken in address order), after looking again, so that two workers never place it twice.
 * Returns the key's entry with its bucket (*held) locked.
 */
static struct rl_entry *rl_table_entry(struct rl_table *t, const struct rl_key *k, uint64_t now_ns,
				       struct rl_take *out, struct rl_bucket **held)
{
	uint64_t h = rl_key_hash(k, t->seed);
	uint64_t h2 = (h ^ (h >> 29)) * UINT64_C(0xbf58476d1ce4e5b9);
	struct rl_bucket *b1 = &t->b[(uint64_t)(((unsigned __int128)h * t->n_buckets) >> 64)];
	struct rl_bucket *b2 = &t->b[(uint64_t)(((unsigned __int128)h2 * t->n_buckets) >> 64)];
	struct rl_bucket *lo = b1 < b2 ? b1 : b2, *hi = b1 < b2 ? b2 : b1, *b;
	uint8_t tag = (uint8_t)h ? (uint8_t)h : 1;
	struct rl_entry *e;
	uint64_t c1, c2;
	int v1, v2, v;

	rl_bucket_lock(b1);
	if ((e = rl_bucket_find(b1, tag, k)) != NULL) {
		*held = b1;
		return e;
	}
	rl_bucket_unlock(b1);
	if (b2 != b1) {
		rl_bucket_lock(b2);
		if ((e = rl_bucket_find(b2, tag, k)) != NULL) {
			*held = b2;
			return e;
		}
		rl_bucket_unlock(b2);
	}
	/* new (or placed meanwhile by another worker): both locks, look again, then place */
	rl_bucket_lock(lo);
	if (hi != lo)
		rl_bucket_lock(hi);
	e = rl_bucket_find(b1, tag, k);
	b = b1;
	if (!e && b2 != b1) {
		e = rl_bucket_find(b2, tag, k);
		b = b2;
	}
	if (!e) {
		v1 = rl_bucket_victim(b1, now_ns, &c1);
		v2 = rl_bucket_victim(b2, now_ns, &c2);
		b = c2 < c1 ? b2 : b1;
		v = c2 < c1 ? v2 : v1;
		e = &b->e[v];
		if (!b->tag[v]) {
			atomic_fetch_add_explicit(&t->used, 1, memory_order_relaxed);
			out->filled = 1;
		}
		out->evicted = (c2 < c1 ? c2 : c1) > 1;
		b->tag[v] = tag;
		memset(e, 0, sizeof(*e));
		e->key = *k;
		e->tat_ns = now_ns;
	}
	if (hi != lo)
		rl_bucket_unlock(b == lo ? hi : lo);
	*held = b;
	return e;
}

int rl_table_take(struct rl_table *t, const struct rl_rate *rt, const struct rl_key *k,
		  uint64_t now_ns, uint64_t cost, uint64_t event_interval_ns, struct rl_take *out)
{
	struct rl_bucket *b;
	struct rl_entry *e;

	out->over = 0;
	out->evicted = 0;
	out->filled = 0;
	out->event = 0;
	out->limited = 0;
	e = rl_table_entry(t, k, now_ns, out, &b);

	int idle = rl_entry_idle(e, now_ns);
	if (rl_gcra_step(rt, &e->tat_ns, &e->tat_frac, now_ns, cost)) {
		if (idle) /* the key refilled fully since it was last over: that episode ended */
			e->flags &= ~(uint32_t)RL_E_OVER;
		rl_bucket_unlock(b);
		return 1;
	}

	out->over = 1;
	if (e->limited < UINT32_MAX)
		e->limited++;
	if (!(e->flags & RL_E_EVENT) || now_ns - e->event_ns >= event_interval_ns) {
		out->event = (e->flags & RL_E_OVER) ? 2 : 1;
		out->limited = e->limited;
		e->limited = 0;
		e->event_ns = now_ns;
		e->flags |= RL_E_EVENT;
	}
	e->flags |= RL_E_OVER;
	rl_bucket_unlock(b);
	return 0;
}

void rl_table_rescale(struct rl_table *t, const struct rl_rate *from, const struct rl_rate *to,
		      uint64_t now_ns)
{
	long double t_from = (long double)from->q + (long double)from->r / from->den;
	long double t_to = (long double)to->q + (long double)to->r / to->den;

	for (uint64_t i = 0; i < t->n_buckets; i++) {
		struct rl_bucket *b = &t->b[i];
		rl_bucket_lock(b);
		for (int j = 0; j < RL_BUCKET_WAYS; j++) {
			struct rl_entry *e = &b->e[j];
			if (!b->tag[j])
				continue;
			if (rl_entry_idle(e, now_ns)) {
				e->tat_frac = 0; /* a fraction of the old denominator means nothing now */
				continue;
			}
			long double lead = (long double)(e->tat_ns - now_ns) +
					   (long double)e->tat_frac / from->den;
			long double scaled = lead * t_to / t_from;
			uint64_t ns = scaled >= (long double)to->tau_ns ? to->tau_ns : (uint64_t)scaled;
			e->tat_ns = now_ns + ns;
			e->tat_frac = 0;
		}
		rl_bucket_unlock(b);
	}
}
