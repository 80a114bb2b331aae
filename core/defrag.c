/* IP reassembly for offline mode: Linux's rules (overlaps, sizes, timeouts) in preallocated memory. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"
#include "defrag.h"
#include "util.h"

#define DF_NONE 0xffffffffu
#define DF_BLOCK 256       /* fragment data is kept in chains of blocks of this size */
#define DF_HDR_MAX 256     /* unfragmentable part kept from the first fragment */
#define DF_MAX_LEN 65535   /* IPv4 total length / IPv6 payload length */
#define DF_MIN_BLOCKS ((DF_MAX_LEN + DF_BLOCK - 1) / DF_BLOCK + 1) /* one datagram always fits */

/* One held fragment. */
struct df_frag {
	uint32_t next;     /* next fragment of the datagram by offset (DF_NONE ends) */
	uint32_t blk;      /* first block of its data */
	uint32_t off, len; /* its bytes of the datagram's payload */
};

/* Identity of a datagram (RFC 791 / RFC 8200): addresses, id, and the protocol for IPv4. */
struct df_key {
	uint8_t src[16], dst[16];
	uint32_t id;
	uint8_t family, proto;
	uint8_t pad_[2];
};

/* One datagram in reassembly. */
struct df_dgram {
	struct df_key key;
	uint32_t hnext;              /* hash chain */
	uint32_t lru_prev, lru_next; /* by creation, head = newest */
	uint32_t head, tail;         /* fragments, by offset */
	uint32_t total;              /* payload length, known once the last fragment came */
	uint32_t max_end;            /* highest payload end seen */
	uint32_t covered;            /* payload bytes held (fragments never overlap) */
	uint64_t expire_ns;          /* packet time it is given up at */
	uint8_t in_use, have_last;
	uint8_t nexthdr;             /* protocol of the payload */
	uint16_t hdr_len;            /* bytes in hdr; 0 until the first fragment came */
	uint16_t nh_off;             /* IPv6: the next-header byte that names the fragment header */
	uint8_t hdr[DF_HDR_MAX];     /* the first fragment's header (IPv6: up to the frag header) */
};

struct nw_defrag {
	struct nw_defrag_conf conf;
	struct nw_defrag_counts *cnt;
	struct df_dgram *dg;          /* conf.max_dgrams slots */
	uint32_t dg_free, n_used;     /* free list through hnext; slots in use */
	uint32_t *heads, mask;        /* hash buckets */
	uint32_t lru_head, lru_tail;
	struct df_frag *fr;           /* n_blocks descriptors (a held fragment has >= 1 block) */
	uint32_t fr_free;
	uint8_t *blocks;              /* n_blocks * DF_BLOCK bytes */
	uint32_t *blk_next;           /* chain links, and the free list */
	uint32_t n_blocks, blk_free, blk_avail;
	uint64_t seed;
	uint8_t *out;                 /* the reassembled datagram */
};

struct nw_defrag *nw_defrag_new(const struct nw_defrag_conf *conf, struct nw_defrag_counts *cnt)
{
	struct nw_defrag *d = calloc(1, sizeof(*d));
	uint32_t nb = 16, n_dg, n_blk;

	if (!d)
		return NULL;
	d->conf = *conf;
	d->cnt = cnt;
	n_dg = conf->max_dgrams ? conf->max_dgrams : 1;
	if (n_dg > (1u << 20))
		n_dg = 1u << 20;
	n_blk = conf->memory / DF_BLOCK > (1u << 24) ? (1u << 24) : (uint32_t)(conf->memory / DF_BLOCK);
	if (n_blk < DF_MIN_BLOCKS)
		n_blk = DF_MIN_BLOCKS;
	while (nb < n_dg * 2)
		nb <<= 1;
	d->mask = nb - 1;
	d->n_blocks = n_blk;
	d->dg = calloc(n_dg, sizeof(*d->dg));
	d->heads = malloc(nb * sizeof(*d->heads));
	d->fr = calloc(n_blk, sizeof(*d->fr));
	d->blocks = malloc((size_t)n_blk * DF_BLOCK);
	d->blk_next = malloc(n_blk * sizeof(*d->blk_next));
	d->out = malloc(DF_HDR_MAX + DF_MAX_LEN);
	if (!d->dg || !d->heads || !d->fr || !d->blocks || !d->blk_next || !d->out) {
		nw_defrag_free(d);
		return NULL;
	}
	memset(d->heads, 0xff, nb * sizeof(*d->heads));
	for (uint32_t i = 0; i < n_dg; i++)
		d->dg[i].hnext = i + 1 < n_dg ? i + 1 : DF_NONE;
	for (uint32_t i = 0; i < n_blk; i++) {
		d->fr[i].next = i + 1 < n_blk ? i + 1 : DF_NONE;
		d->blk_next[i] = i + 1 < n_blk ? i + 1 : DF_NONE;
	}
	d->conf.max_dgrams = n_dg;
	d->lru_head = d->lru_tail = DF_NONE;
	d->blk_avail = n_blk;
	d->seed = nw_hash64(&d, sizeof(d), nw_time_mono_ns());
	return d;
}

void nw_defrag_free(struct nw_defrag *d)
{
	if (!d)
		return;
	free(d->dg);
	free(d->heads);
	free(d->fr);
	free(d->blocks);
	free(d->blk_next);
	free(d->out);
	free(d);
}

uint32_t nw_defrag_pending(const struct nw_defrag *d)
{
	return d->n_used;
}

/* ---- block chains ---- */

static uint32_t df_nblocks(uint32_t len)
{
	return (len + DF_BLOCK - 1) / DF_BLOCK;
}

/* Copy len bytes into a new chain (the caller made sure enough blocks are free). */
static uint32_t df_chain_store(struct nw_defrag *d, const uint8_t *p, uint32_t len)
{
	uint32_t first = d->blk_free, b = first, n = df_nblocks(len), last = DF_NONE;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = len - i * DF_BLOCK < DF_BLOCK ? len - i * DF_BLOCK : DF_BLOCK;

		memcpy(d->blocks + (size_t)b * DF_BLOCK, p + (size_t)i * DF_BLOCK, k);
		last = b;
		b = d->blk_next[b];
	}
	d->blk_free = b;
	d->blk_next[last] = DF_NONE;
	d->blk_avail -= n;
	return first;
}

static void df_chain_release(struct nw_defrag *d, uint32_t b)
{
	while (b != DF_NONE) {
		uint32_t next = d->blk_next[b];

		d->blk_next[b] = d->blk_free;
		d->blk_free = b;
		d->blk_avail++;
		b = next;
	}
}

/* Copy (cmp NULL: to dst) or compare (with cmp: 1 if equal) n bytes at `skip` of chain b. */
static int df_chain_io(const struct nw_defrag *d, uint32_t b, uint32_t skip, uint32_t n,
		       uint8_t *dst, const uint8_t *cmp)
{
	for (; skip >= DF_BLOCK; skip -= DF_BLOCK)
		b = d->blk_next[b];
	while (n) {
		uint32_t k = DF_BLOCK - skip < n ? DF_BLOCK - skip : n;
		const uint8_t *src = d->blocks + (size_t)b * DF_BLOCK + skip;

		if (cmp ? memcmp(src, cmp, k) != 0 : (memcpy(dst, src, k), 0))
			return 0;
		if (cmp)
			cmp += k;
		else
			dst += k;
		n -= k;
		skip = 0;
		b = d->blk_next[b];
	}
	return 1;
}

/* ---- datagrams ---- */

static uint32_t df_bucket(const struct nw_defrag *d, const struct df_key *k)
{
	return (uint32_t)nw_hash64(k, sizeof(*k), d->seed) & d->mask;
}

static void df_lru_unlink(struct nw_defrag *d, struct df_dgram *g)
{
	if (g->lru_prev != DF_NONE)
		d->dg[g->lru_prev].lru_next = g->lru_next;
	else
		d->lru_head = g->lru_next;
	if (g->lru_next != DF_NONE)
		d->dg[g->lru_next].lru_prev = g->lru_prev;
	else
		d->lru_tail = g->lru_prev;
}

/* Give a datagram up: its fragments and blocks return to the pools. */
static void df_release(struct nw_defrag *d, struct df_dgram *g)
{
	uint32_t idx = (uint32_t)(g - d->dg), *pp = &d->heads[df_bucket(d, &g->key)];

	for (uint32_t i = g->head, next; i != DF_NONE; i = next) {
		next = d->fr[i].next;
		df_chain_release(d, d->fr[i].blk);
		d->fr[i].next = d->fr_free;
		d->fr_free = i;
	}
	while (*pp != DF_NONE && *pp != idx)
		pp = &d->dg[*pp].hnext;
	if (*pp == idx)
		*pp = g->hnext;
	df_lru_unlink(d, g);
	g->in_use = 0;
	g->hnext = d->dg_free;
	d->dg_free = idx;
	d->n_used--;
}

/* Drop the oldest datagram other than `keep` to make room; 0 if there is none. */
static int df_evict_one(struct nw_defrag *d, const struct df_dgram *keep)
{
	uint32_t i = d->lru_tail;

	if (i != DF_NONE && &d->dg[i] == keep)
		i = d->dg[i].lru_prev;
	if (i == DF_NONE)
		return 0;
	df_release(d, &d->dg[i]);
	d->cnt->evicted++;
	return 1;
}

/* Give up datagrams past their timeout, oldest first. */
static void df_expire(struct nw_defrag *d, uint64_t now)
{
	while (d->lru_tail != DF_NONE && d->dg[d->lru_tail].expire_ns <= now) {
		df_release(d, &d->dg[d->lru_tail]);
		d->cnt->timeouts++;
	}
}

static struct df_dgram *df_lookup(struct nw_defrag *d, const struct df_key *k, uint64_t now)
{
	for (uint32_t i = d->heads[df_bucket(d, k)]; i != DF_NONE; i = d->dg[i].hnext) {
		struct df_dgram *g = &d->dg[i];

		if (memcmp(&g->key, k, sizeof(*k)))
			continue;
		if (g->expire_ns <= now) { /* not reached by df_expire yet */
			df_release(d, g);
			d->cnt->timeouts++;
			return NULL;
		}
		return g;
	}
	return NULL;
}

static struct df_dgram *df_create(struct nw_defrag *d, const struct df_key *k, uint64_t now)
{
	struct df_dgram *g;
	uint32_t idx, b;

	if (d->dg_free == DF_NONE && !df_evict_one(d, NULL))
		return NULL;
	idx = d->dg_free;
	g = &d->dg[idx];
	d->dg_free = g->hnext;
	memset(g, 0, offsetof(struct df_dgram, hdr));
	g->key = *k;
	g->in_use = 1;
	g->head = g->tail = DF_NONE;
	g->expire_ns = now + (k->family == 4 ? d->conf.timeout4_ns : d->conf.timeout6_ns);
	b = df_bucket(d, k);
	g->hnext = d->heads[b];
	d->heads[b] = idx;
	g->lru_prev = DF_NONE;
	g->lru_next = d->lru_head;
	if (d->lru_head != DF_NONE)
		d->dg[d->lru_head].lru_prev = idx;
	d->lru_head = idx;
	if (d->lru_tail == DF_NONE)
		d->lru_tail = idx;
	d->n_used++;
	return g;
}

/* ---- placing a fragment ---- */

#define DF_PLACE_FREE 0      /* no held byte in [off, end): insert after *at */
#define DF_PLACE_INSIDE 1    /* wholly inside a contiguous run of held data starting at *at */
#define DF_PLACE_OVERLAP 2   /* partly over held data */

static int df_place(const struct nw_defrag *d, const struct df_dgram *g, uint32_t off,
		    uint32_t end, uint32_t *at)
{
	uint32_t prev = DF_NONE, i, run_end;

	/* in-order arrival: after the last fragment */
	if (g->tail != DF_NONE && d->fr[g->tail].off + d->fr[g->tail].len <= off) {
		*at = g->tail;
		return DF_PLACE_FREE;
	}
	for (i = g->head; i != DF_NONE && d->fr[i].off + d->fr[i].len <= off; i = d->fr[i].next)
		prev = i;
	*at = prev;
	if (i == DF_NONE || d->fr[i].off >= end)
		return DF_PLACE_FREE;
	if (d->fr[i].off > off)
		return DF_PLACE_OVERLAP;
	*at = i;
	run_end = d->fr[i].off + d->fr[i].len;
	for (uint32_t j = d->fr[i].next; run_end < end && j != DF_NONE && d->fr[j].off == run_end;
	     j = d->fr[j].next)
		run_end += d->fr[j].len;
	return run_end >= end ? DF_PLACE_INSIDE : DF_PLACE_OVERLAP;
}

/* Are the held bytes [off, off+n) from fragment i on equal to p? */
static int df_same(const struct nw_defrag *d, uint32_t i, uint32_t off, const uint8_t *p,
		   uint32_t n)
{
	while (n && i != DF_NONE) {
		const struct df_frag *f = &d->fr[i];
		uint32_t skip = off - f->off, k = f->len - skip < n ? f->len - skip : n;

		if (!df_chain_io(d, f->blk, skip, k, NULL, p))
			return 0;
		off += k;
		p += k;
		n -= k;
		i = f->next;
	}
	return n == 0;
}

/* The complete datagram into d->out: the first fragment's header, fixed up, then the data. */
static uint32_t df_build(struct nw_defrag *d, const struct df_dgram *g)
{
	uint8_t *o = d->out;
	uint32_t len = g->hdr_len + g->total;

	memcpy(o, g->hdr, g->hdr_len);
	for (uint32_t i = g->head; i != DF_NONE; i = d->fr[i].next)
		df_chain_io(d, d->fr[i].blk, 0, d->fr[i].len, o + g->hdr_len + d->fr[i].off, NULL);
	if (g->key.family == 4) {
		uint32_t sum = 0;

		o[2] = (uint8_t)(len >> 8);
		o[3] = (uint8_t)len;
		o[6] &= 0x40; /* keep DF; no MF, offset 0 */
		o[7] = 0;
		o[10] = o[11] = 0;
		for (uint32_t i = 0; i + 1 < g->hdr_len; i += 2)
			sum += (uint32_t)o[i] << 8 | o[i + 1];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		o[10] = (uint8_t)(~sum >> 8);
		o[11] = (uint8_t)~sum;
	} else {
		uint32_t plen = len - 40;

		o[4] = (uint8_t)(plen >> 8);
		o[5] = (uint8_t)plen;
		o[g->nh_off] = g->nexthdr;
	}
	return len;
}

/* ---- feeding ---- */

static int df_refuse(struct nw_defrag *d, struct df_dgram *g, uint64_t *events, unsigned ev)
{
	if (g)
		df_release(d, g);
	*events = NW_DEV_BIT(ev);
	return NW_DEFRAG_EVENT;
}

int nw_defrag_feed(struct nw_defrag *d, const uint8_t *data, uint32_t len, uint64_t now_ns,
		   const uint8_t **out, uint32_t *out_len, uint64_t *events)
{
	struct nw_frag f;
	struct df_key k;
	struct df_dgram *g;
	uint32_t end, at, fi;
	int v4, place;

	*events = 0;
	if (!nw_decode_frag(data, len, &f))
		return NW_DEFRAG_PASS;
	d->cnt->fragments++;
	df_expire(d, now_ns);
	v4 = f.family == 4;
	memset(&k, 0, sizeof(k));
	memcpy(k.src, f.src, v4 ? 4 : 16);
	memcpy(k.dst, f.dst, v4 ? 4 : 16);
	k.id = f.id;
	k.family = f.family;
	k.proto = v4 ? f.proto : 0;
	g = df_lookup(d, &k, now_ns);

	end = f.offset + f.plen;
	if (f.more && (f.plen & 7)) {
		if (!v4) { /* RFC 8200: a parameter problem; the fragment goes, the datagram stays */
			d->cnt->invalid++;
			*events = NW_DEV_BIT(NW_DEV_IPV6_FRAG_INVALID_LENGTH);
			return NW_DEFRAG_EVENT;
		}
		end &= ~7u; /* Linux trims a non-last IPv4 fragment to a multiple of 8 */
	}
	if (v4 ? f.hlen + end > DF_MAX_LEN : end > DF_MAX_LEN) {
		d->cnt->too_large++;
		return df_refuse(d, g, events,
				 v4 ? NW_DEV_IPV4_FRAG_PKT_TOO_LARGE : NW_DEV_IPV6_FRAG_PKT_TOO_LARGE);
	}
	if (end <= f.offset) /* empty: Linux drops the datagram */
		goto invalid;
	if (!g && !(g = df_create(d, &k, now_ns))) {
		d->cnt->evicted++;
		return NW_DEFRAG_HELD;
	}
	if (!f.more) {
		/* the last fragment: nothing may lie beyond it, and its end may not change */
		if (end < g->max_end || (g->have_last && end != g->total))
			goto invalid;
	} else if (g->have_last && end > g->total) {
		goto invalid;
	}
	place = df_place(d, g, f.offset, end, &at);
	if (place == DF_PLACE_INSIDE) {
		d->cnt->duplicates++;
		if (df_same(d, at, f.offset, data + f.hlen, end - f.offset))
			return NW_DEFRAG_HELD; /* a plain duplicate, as a retransmission makes */
		d->cnt->overlaps++;
		*events = NW_DEV_BIT(v4 ? NW_DEV_IPV4_FRAG_OVERLAP : NW_DEV_IPV6_FRAG_OVERLAP);
		return NW_DEFRAG_EVENT; /* first wins: the datagram keeps the bytes it had */
	}
	if (place == DF_PLACE_OVERLAP) {
		d->cnt->overlaps++;
		return df_refuse(d, g, events, v4 ? NW_DEV_IPV4_FRAG_OVERLAP : NW_DEV_IPV6_FRAG_OVERLAP);
	}
	if (f.offset == 0 && f.unfrag_len > DF_HDR_MAX)
		goto invalid;
	/* room: older datagrams go first (g's own fragments, and so `at`, stay) */
	while (d->blk_avail < df_nblocks(end - f.offset) || d->fr_free == DF_NONE) {
		if (!df_evict_one(d, g)) { /* the datagram alone is larger than the memory */
			df_release(d, g);
			d->cnt->evicted++;
			return NW_DEFRAG_HELD;
		}
	}

	fi = d->fr_free;
	d->fr_free = d->fr[fi].next;
	d->fr[fi].off = f.offset;
	d->fr[fi].len = end - f.offset;
	d->fr[fi].blk = df_chain_store(d, data + f.hlen, end - f.offset);
	if (at == DF_NONE) {
		d->fr[fi].next = g->head;
		g->head = fi;
	} else {
		d->fr[fi].next = d->fr[at].next;
		d->fr[at].next = fi;
	}
	if (d->fr[fi].next == DF_NONE)
		g->tail = fi;
	g->covered += end - f.offset;
	if (end > g->max_end)
		g->max_end = end;
	if (!f.more) {
		g->have_last = 1;
		g->total = end;
	}
	if (f.offset == 0) {
		memcpy(g->hdr, data, f.unfrag_len);
		g->hdr_len = (uint16_t)f.unfrag_len;
		g->nh_off = (uint16_t)f.nh_off;
		g->nexthdr = f.proto;
	}
	if (!g->have_last || g->covered != g->total || !g->hdr_len)
		return NW_DEFRAG_HELD;
	/* complete */
	if (v4 ? g->hdr_len + g->total > DF_MAX_LEN : g->hdr_len - 40u + g->total > DF_MAX_LEN) {
		d->cnt->too_large++;
		return df_refuse(d, g, events,
				 v4 ? NW_DEV_IPV4_FRAG_PKT_TOO_LARGE : NW_DEV_IPV6_FRAG_PKT_TOO_LARGE);
	}
	*out_len = df_build(d, g);
	*out = d->out;
	df_release(d, g);
	d->cnt->reassembled++;
	return NW_DEFRAG_DONE;

invalid:
	d->cnt->invalid++;
	if (g)
		df_release(d, g);
	return NW_DEFRAG_HELD;
}
