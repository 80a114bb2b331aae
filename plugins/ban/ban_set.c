/* ban plugin: the hot ban set, lock-free open-addressing tables read by workers, written by main. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "ban.h"

/* IPv6 slot: the key never changes once published (tombstones of other keys are not reused). */
struct ban_slot6 {
	uint64_t hi, lo;
	_Atomic uint32_t w; /* expiry word: 0 empty, 1 tombstone, else rel expiry | reject bit */
	uint32_t pad_;
};

struct ban_tab {
	uint32_t cap;  /* slots */
	uint32_t used; /* live + tombstones */
	uint32_t live;
	uint8_t family;
	uint8_t prefix;
	struct ban_meta *meta;   /* cap entries, main thread only */
	_Atomic uint64_t *s4;    /* family 4: key << 32 | expiry word */
	struct ban_slot6 *s6;    /* family 6 */
};

static uint64_t ban_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static uint32_t ban_slot_of(const struct ban_tab *t, uint64_t seed, uint64_t hi, uint64_t lo)
{
	uint64_t h = ban_mix(hi ^ seed) ^ ban_mix(lo + seed * 0x9e3779b97f4a7c15ull);
	return (uint32_t)(((h >> 32) * (uint64_t)t->cap) >> 32);
}

/* Key words of a (masked) address: IPv4 -> lo = address as a host-order number. */
static void ban_key(uint8_t family, const uint8_t *a, unsigned prefix, uint64_t *hi, uint64_t *lo)
{
	if (family == 4) {
		uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
		if (prefix < 32)
			v = prefix ? v & (uint32_t)(0xffffffffu << (32 - prefix)) : 0;
		*hi = 0;
		*lo = v;
		return;
	}
	uint64_t h = 0, l = 0;
	for (int i = 0; i < 8; i++) {
		h = h << 8 | a[i];
		l = l << 8 | a[i + 8];
	}
	if (prefix <= 64) {
		h = prefix ? h & (~0ull << (64 - prefix)) : 0;
		l = 0;
	} else if (prefix < 128) {
		l &= ~0ull << (128 - prefix);
	}
	*hi = h;
	*lo = l;
}

static void ban_key_to_net(uint8_t family, unsigned prefix, uint64_t hi, uint64_t lo,
			   struct ban_net *n)
{
	memset(n, 0, sizeof(*n));
	n->family = family;
	n->prefix = (uint8_t)prefix;
	if (family == 4) {
		for (int i = 0; i < 4; i++)
			n->a[i] = (uint8_t)(lo >> (24 - 8 * i));
		return;
	}
	for (int i = 0; i < 8; i++) {
		n->a[i] = (uint8_t)(hi >> (56 - 8 * i));
		n->a[i + 8] = (uint8_t)(lo >> (56 - 8 * i));
	}
}

#define BAN_HUGE (2u << 20)

static struct ban_tab *ban_tab_new(uint8_t family, uint8_t prefix, uint32_t cap)
{
	size_t slot = family == 4 ? sizeof(uint64_t) : sizeof(struct ban_slot6);
	size_t size = sizeof(struct ban_tab) + (size_t)cap * (slot + sizeof(struct ban_meta));
	struct ban_tab *t = NULL;

	if (size >= BAN_HUGE) {
		/* a big table in huge pages: 500 times fewer page faults while it fills (a start
		 * with a million bans) and fewer TLB misses for the workers' lookups */
		if (posix_memalign((void **)&t, BAN_HUGE, size))
			return NULL;
		madvise(t, size, MADV_HUGEPAGE);
		memset(t, 0, size);
	} else {
		t = calloc(1, size);
	}
	if (!t)
		return NULL;
	t->cap = cap;
	t->family = family;
	t->prefix = prefix;
	if (family == 4) {
		t->s4 = (_Atomic uint64_t *)(t + 1);
		t->meta = (struct ban_meta *)(t->s4 + cap);
	} else {
		t->s6 = (struct ban_slot6 *)(t + 1);
		t->meta = (struct ban_meta *)(t->s6 + cap);
	}
	return t;
}

static uint32_t ban_tab_word(const struct ban_tab *t, uint32_t i, uint64_t *hi, uint64_t *lo)
{
	if (t->family == 4) {
		uint64_t v = atomic_load_explicit(&t->s4[i], memory_order_acquire);
		*hi = 0;
		*lo = v >> 32;
		return (uint32_t)v;
	}
	uint32_t w = atomic_load_explicit(&t->s6[i].w, memory_order_acquire);
	*hi = t->s6[i].hi;
	*lo = t->s6[i].lo;
	return w;
}

/* Find the slot of a key (live or tombstone); -1 if absent. */
static int64_t ban_tab_find(const struct ban_tab *t, uint64_t seed, uint64_t hi, uint64_t lo,
			    uint32_t *wout)
{
	uint32_t i = ban_slot_of(t, seed, hi, lo);

	for (uint32_t n = 0; n < t->cap; n++) {
		uint64_t h, l;
		uint32_t w = ban_tab_word(t, i, &h, &l);
		if (w == BAN_EXP_EMPTY)
			return -1;
		if (h == hi && l == lo) {
			*wout = w;
			return i;
		}
		if (++i == t->cap)
			i = 0;
	}
	return -1;
}

/* Write a key into slot i (empty or holding the same key), publishing the word last. */
static void ban_tab_store(struct ban_tab *t, uint32_t i, uint64_t hi, uint64_t lo, uint32_t w)
{
	if (t->family == 4) {
		atomic_store_explicit(&t->s4[i], lo << 32 | w, memory_order_release);
		return;
	}
	t->s6[i].hi = hi;
	t->s6[i].lo = lo;
	atomic_store_explicit(&t->s6[i].w, w, memory_order_release);
}

/* Insert a key known to be absent into a table with room (used by rebuild). */
static void ban_tab_insert_new(struct ban_tab *t, uint64_t seed, uint64_t hi, uint64_t lo,
			       uint32_t w, const struct ban_meta *m)
{
	uint32_t i = ban_slot_of(t, seed, hi, lo);

	for (;;) {
		uint64_t h, l;
		if (ban_tab_word(t, i, &h, &l) == BAN_EXP_EMPTY)
			break;
		if (++i == t->cap)
			i = 0;
	}
	ban_tab_store(t, i, hi, lo, w);
	t->meta[i] = *m;
	t->used++;
	t->live++;
}

static _Atomic(struct ban_tab *) *ban_tab_ref(struct ban_set *s, uint8_t family, unsigned prefix)
{
	return family == 4 ? &s->t4[prefix] : &s->t6[prefix];
}

static void ban_mask_set(struct ban_set *s, uint8_t family, unsigned prefix, int on)
{
	_Atomic uint64_t *m = family == 4 ? &s->mask4 : &s->mask6[prefix / 64];
	uint64_t bit = 1ull << (prefix % 64);

	if (on)
		atomic_fetch_or_explicit(m, bit, memory_order_release);
	else
		atomic_fetch_and_explicit(m, ~bit, memory_order_release);
}

/* Replace *ref by a table of a size fitting `live + extra`, without tombstones. */
static int ban_tab_rebuild(struct ban_set *s, uint8_t family, unsigned prefix, uint32_t extra)
{
	_Atomic(struct ban_tab *) *ref = ban_tab_ref(s, family, prefix);
	struct ban_tab *old = atomic_load_explicit(ref, memory_order_relaxed);
	uint64_t want = ((uint64_t)(old ? old->live : 0) + extra) * 2;
	struct ban_tab *t;

	if (want < 8)
		want = 8;
	if (want > 0xf0000000ull)
		return -ENOMEM;
	t = ban_tab_new(family, (uint8_t)prefix, (uint32_t)want);
	if (!t)
		return -ENOMEM;
	if (old) {
		for (uint32_t i = 0; i < old->cap; i++) {
			uint64_t h, l;
			uint32_t w = ban_tab_word(old, i, &h, &l);
			if (w != BAN_EXP_EMPTY && w != BAN_EXP_TOMB)
				ban_tab_insert_new(t, s->seed, h, l, w, &old->meta[i]);
		}
	}
	atomic_store_explicit(ref, t, memory_order_release);
	if (old) {
		if (s->quiesce)
			s->quiesce();
		free(old);
	}
	return 0;
}

void ban_set_init(struct ban_set *s, void (*quiesce)(void))
{
	memset(s, 0, sizeof(*s));
	s->quiesce = quiesce;
	s->min_exp = BAN_EXP_PERM;
	if (getrandom(&s->seed, sizeof(s->seed), GRND_NONBLOCK) != sizeof(s->seed))
		s->seed = (uint64_t)(uintptr_t)s ^ 0x5bd1e9955bd1e995ull;
}

void ban_set_free(struct ban_set *s)
{
	for (unsigned p = 0; p <= 32; p++)
		free(atomic_load(&s->t4[p]));
	for (unsigned p = 0; p <= 128; p++)
		free(atomic_load(&s->t6[p]));
	memset(s->t4, 0, sizeof(s->t4));
	memset(s->t6, 0, sizeof(s->t6));
	s->live = 0;
}

uint32_t ban_set_rel(const struct ban_set *s, uint64_t engine_s)
{
	uint64_t base = atomic_load_explicit(&s->base_s, memory_order_relaxed);
	uint64_t r;

	if (engine_s <= base + 2)
		return 2;
	r = engine_s - base;
	return r >= BAN_EXP_PERM ? BAN_EXP_PERM - 1 : (uint32_t)r;
}

uint64_t ban_set_abs(const struct ban_set *s, uint32_t rel)
{
	return atomic_load_explicit(&s->base_s, memory_order_relaxed) + rel;
}

void ban_set_rebase(struct ban_set *s, uint64_t now_s)
{
	if (s->live == 0)
		atomic_store_explicit(&s->base_s, now_s > 16 ? now_s - 16 : 0,
				      memory_order_relaxed);
}

int ban_set_put(struct ban_set *s, const struct ban_entry *e)
{
	const struct ban_net *n = &e->net;
	_Atomic(struct ban_tab *) *ref;
	struct ban_tab *t;
	uint64_t hi, lo;
	uint32_t w, oldw;
	int64_t i;

	if ((n->family != 4 && n->family != 6) || n->prefix > ban_net_maxprefix(n))
		return -EINVAL;
	w = e->exp & BAN_EXP_MASK;
	if (w < 2)
		w = 2;
	if (e->reject)
		w |= BAN_EXP_REJECT;
	ban_key(n->family, n->a, n->prefix, &hi, &lo);
	ref = ban_tab_ref(s, n->family, n->prefix);
	t = atomic_load_explicit(ref, memory_order_relaxed);
	if (t) {
		i = ban_tab_find(t, s->seed, hi, lo, &oldw);
		if (i >= 0) {
			ban_tab_store(t, (uint32_t)i, hi, lo, w);
			t->meta[i] = e->meta;
			if (oldw == BAN_EXP_TOMB) {
				t->live++;
				s->live++;
				ban_mask_set(s, n->family, n->prefix, 1);
			}
			if ((w & BAN_EXP_MASK) < s->min_exp)
				s->min_exp = w & BAN_EXP_MASK;
			return oldw == BAN_EXP_TOMB ? 1 : 0;
		}
	}
	if (!t || (uint64_t)(t->used + 1) * 10 > (uint64_t)t->cap * 7) {
		int r = ban_tab_rebuild(s, n->family, n->prefix, 1);
		if (r < 0)
			return r;
		t = atomic_load_explicit(ref, memory_order_relaxed);
	}
	ban_tab_insert_new(t, s->seed, hi, lo, w, &e->meta);
	s->live++;
	ban_mask_set(s, n->family, n->prefix, 1);
	if ((w & BAN_EXP_MASK) < s->min_exp)
		s->min_exp = w & BAN_EXP_MASK;
	return 1;
}

void ban_set_prefetch(const struct ban_set *s, const struct ban_net *n)
{
	const struct ban_tab *t;
	uint64_t hi, lo;
	uint32_t i;

	if ((n->family != 4 && n->family != 6) || n->prefix > ban_net_maxprefix(n))
		return;
	t = atomic_load_explicit(n->family == 4 ? &s->t4[n->prefix] : &s->t6[n->prefix],
				 memory_order_relaxed);
	if (!t)
		return;
	ban_key(n->family, n->a, n->prefix, &hi, &lo);
	i = ban_slot_of(t, s->seed, hi, lo);
	if (n->family == 4)
		__builtin_prefetch(&t->s4[i], 1, 3);
	else
		__builtin_prefetch(&t->s6[i], 1, 3);
	__builtin_prefetch(&t->meta[i], 1, 3);
}

int ban_set_del(struct ban_set *s, const struct ban_net *n)
{
	struct ban_tab *t;
	uint64_t hi, lo;
	uint32_t w;
	int64_t i;

	if ((n->family != 4 && n->family != 6) || n->prefix > ban_net_maxprefix(n))
		return -EINVAL;
	t = atomic_load_explicit(ban_tab_ref(s, n->family, n->prefix), memory_order_relaxed);
	if (!t)
		return -ENOENT;
	ban_key(n->family, n->a, n->prefix, &hi, &lo);
	i = ban_tab_find(t, s->seed, hi, lo, &w);
	if (i < 0 || w == BAN_EXP_TOMB)
		return -ENOENT;
	ban_tab_store(t, (uint32_t)i, hi, lo, BAN_EXP_TOMB);
	t->live--;
	s->live--;
	if (t->live == 0)
		ban_mask_set(s, n->family, n->prefix, 0);
	return 0;
}

int ban_set_get(const struct ban_set *s, const struct ban_net *n, struct ban_entry *e)
{
	const struct ban_tab *t;
	uint64_t hi, lo;
	uint32_t w;
	int64_t i;

	if ((n->family != 4 && n->family != 6) || n->prefix > ban_net_maxprefix(n))
		return -EINVAL;
	t = atomic_load_explicit(n->family == 4 ? &s->t4[n->prefix] : &s->t6[n->prefix],
				 memory_order_relaxed);
	if (!t)
		return -ENOENT;
	ban_key(n->family, n->a, n->prefix, &hi, &lo);
	i = ban_tab_find(t, s->seed, hi, lo, &w);
	if (i < 0 || w == BAN_EXP_TOMB)
		return -ENOENT;
	ban_key_to_net(n->family, n->prefix, hi, lo, &e->net);
	e->exp = w & BAN_EXP_MASK;
	e->reject = !!(w & BAN_EXP_REJECT);
	e->meta = t->meta[i];
	return 0;
}

int ban_set_foreach(struct ban_set *s, int (*cb)(void *ctx, const struct ban_entry *e),
		    void *ctx)
{
	for (int fam = 4; fam <= 6; fam += 2) {
		unsigned maxp = fam == 4 ? 32 : 128;
		for (unsigned p = 0; p <= maxp; p++) {
			struct ban_tab *t = atomic_load_explicit(
				ban_tab_ref(s, (uint8_t)fam, p), memory_order_relaxed);
			if (!t || t->live == 0)
				continue;
			for (uint32_t i = 0; i < t->cap; i++) {
				uint64_t h, l;
				struct ban_entry e;
				uint32_t w = ban_tab_word(t, i, &h, &l);
				int r;
				if (w == BAN_EXP_EMPTY || w == BAN_EXP_TOMB)
					continue;
				ban_key_to_net((uint8_t)fam, p, h, l, &e.net);
				e.exp = w & BAN_EXP_MASK;
				e.reject = !!(w & BAN_EXP_REJECT);
				e.meta = t->meta[i];
				r = cb(ctx, &e);
				if (r)
					return r;
			}
		}
	}
	return 0;
}

static int ban_tab_hit(const struct ban_tab *t, uint64_t seed, uint64_t hi, uint64_t lo,
		       uint32_t now_rel)
{
	uint32_t w;

	if (!t || ban_tab_find(t, seed, hi, lo, &w) < 0 || w == BAN_EXP_TOMB)
		return 0;
	if ((w & BAN_EXP_MASK) != BAN_EXP_PERM && (w & BAN_EXP_MASK) <= now_rel)
		return 0;
	return w & BAN_EXP_REJECT ? NW_REJECT : NW_DROP;
}

int ban_set_lookup(const struct ban_set *s, const struct nw_addr *a, uint64_t now_s)
{
	uint64_t base = atomic_load_explicit(&s->base_s, memory_order_relaxed);
	uint32_t now_rel = now_s <= base ? 0 : (now_s - base > BAN_EXP_PERM ? BAN_EXP_PERM - 1 : (uint32_t)(now_s - base));
	uint64_t hi, lo;
	int r;

	if (a->family == 4) {
		uint64_t m = atomic_load_explicit(&s->mask4, memory_order_acquire);
		while (m) {
			unsigned p = 63 - (unsigned)__builtin_clzll(m);
			m &= ~(1ull << p);
			ban_key(4, a->a, p, &hi, &lo);
			r = ban_tab_hit(atomic_load_explicit(&s->t4[p], memory_order_acquire),
					s->seed, hi, lo, now_rel);
			if (r)
				return r;
		}
		return 0;
	}
	if (a->family != 6)
		return 0;
	for (int wi = 2; wi >= 0; wi--) {
		uint64_t m = atomic_load_explicit(&s->mask6[wi], memory_order_acquire);
		while (m) {
			unsigned b = 63 - (unsigned)__builtin_clzll(m);
			unsigned p = (unsigned)wi * 64 + b;
			m &= ~(1ull << b);
			if (p > 128)
				continue;
			ban_key(6, a->a, p, &hi, &lo);
			r = ban_tab_hit(atomic_load_explicit(&s->t6[p], memory_order_acquire),
					s->seed, hi, lo, now_rel);
			if (r)
				return r;
		}
	}
	return 0;
}

size_t ban_set_mem(const struct ban_set *s)
{
	size_t total = 0;

	for (unsigned p = 0; p <= 32; p++) {
		const struct ban_tab *t = atomic_load_explicit(&s->t4[p], memory_order_relaxed);
		if (t)
			total += sizeof(*t) + (size_t)t->cap * (8 + sizeof(struct ban_meta));
	}
	for (unsigned p = 0; p <= 128; p++) {
		const struct ban_tab *t = atomic_load_explicit(&s->t6[p], memory_order_relaxed);
		if (t)
			total += sizeof(*t) +
				 (size_t)t->cap * (sizeof(struct ban_slot6) + sizeof(struct ban_meta));
	}
	return total;
}

int ban_set_reserve(struct ban_set *s, uint8_t family, unsigned prefix, uint32_t n)
{
	struct ban_tab *t;

	if ((family != 4 && family != 6) || prefix > (family == 4 ? 32u : 128u))
		return -EINVAL;
	t = atomic_load_explicit(ban_tab_ref(s, family, prefix), memory_order_relaxed);
	if (t && (uint64_t)(t->used + n) * 10 <= (uint64_t)t->cap * 7)
		return 0;
	return ban_tab_rebuild(s, family, prefix, n);
}

void ban_set_compact(struct ban_set *s)
{
	for (int fam = 4; fam <= 6; fam += 2) {
		unsigned maxp = fam == 4 ? 32 : 128;
		for (unsigned p = 0; p <= maxp; p++) {
			_Atomic(struct ban_tab *) *ref = ban_tab_ref(s, (uint8_t)fam, p);
			struct ban_tab *t = atomic_load_explicit(ref, memory_order_relaxed);
			if (!t)
				continue;
			if (t->live == 0) {
				atomic_store_explicit(ref, NULL, memory_order_release);
				if (s->quiesce)
					s->quiesce();
				free(t);
			} else if (t->cap > 64 && ((uint64_t)t->live * 5 < t->cap ||
						   (uint64_t)t->used * 10 > (uint64_t)t->cap * 7)) {
				ban_tab_rebuild(s, (uint8_t)fam, p, 0);
			}
		}
	}
}
