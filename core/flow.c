/* Flow table: direction-normalised 5-tuple, per-worker, fixed capacity with eviction. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "flow.h"
#include "util.h"

static void flow_key_make(const struct nw_pkt_info *pi, struct nw_flow_key *k, int *swapped)
{
	size_t alen = pi->src.family == 6 ? 16 : 4;
	int c;

	memset(k, 0, sizeof(*k));
	k->family = pi->src.family;
	k->proto = pi->ip_proto;
	c = memcmp(pi->src.a, pi->dst.a, alen);
	if (c == 0)
		c = (int)pi->sport - (int)pi->dport;
	*swapped = c > 0;
	if (!*swapped) {
		memcpy(k->lo, pi->src.a, alen);
		memcpy(k->hi, pi->dst.a, alen);
		k->lo_port = pi->sport;
		k->hi_port = pi->dport;
	} else {
		memcpy(k->lo, pi->dst.a, alen);
		memcpy(k->hi, pi->src.a, alen);
		k->lo_port = pi->dport;
		k->hi_port = pi->sport;
	}
}

struct nw_flow_table *nw_flow_table_new(uint32_t cap, size_t priv_size,
					const struct nw_flow_timeouts *to, unsigned worker,
					nw_flow_end_cb cb, void *ctx)
{
	struct nw_flow_table *t;
	uint32_t nb = 16;

	if (cap < 16)
		cap = 16;
	if (cap > (1u << 26))
		return NULL;
	while (nb < cap * 2)
		nb <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cnt = &t->own;
	t->cap = cap;
	t->mask = nb - 1;
	t->priv_size = (priv_size + 15) & ~(size_t)15;
	t->heads = malloc(sizeof(uint32_t) * nb);
	t->flows = calloc(cap, sizeof(struct nw_flow));
	if (t->priv_size)
		t->privmem = calloc(cap, t->priv_size);
	if (!t->heads || !t->flows || (t->priv_size && !t->privmem)) {
		nw_flow_table_free(t);
		return NULL;
	}
	memset(t->heads, 0xff, sizeof(uint32_t) * nb);
	for (uint32_t i = 0; i < cap; i++) {
		t->flows[i].idx = i;
		t->flows[i].hnext = i + 1 < cap ? i + 1 : NW_FLOW_NONE;
		t->flows[i].priv = t->privmem ? t->privmem + (size_t)i * t->priv_size : NULL;
	}
	t->free_head = 0;
	t->lru_head = t->lru_tail = NW_FLOW_NONE;
	t->seed = nw_hash64(&t, sizeof(t), nw_time_mono_ns());
	t->next_id = 1;
	t->worker = worker;
	t->to = *to;
	t->on_end = cb;
	t->cb_ctx = ctx;
	return t;
}

static void flow_lru_unlink(struct nw_flow_table *t, struct nw_flow *f)
{
	if (f->lru_prev != NW_FLOW_NONE)
		t->flows[f->lru_prev].lru_next = f->lru_next;
	else
		t->lru_head = f->lru_next;
	if (f->lru_next != NW_FLOW_NONE)
		t->flows[f->lru_next].lru_prev = f->lru_prev;
	else
		t->lru_tail = f->lru_prev;
	f->lru_prev = f->lru_next = NW_FLOW_NONE;
}

static void flow_lru_push_head(struct nw_flow_table *t, struct nw_flow *f)
{
	f->lru_prev = NW_FLOW_NONE;
	f->lru_next = t->lru_head;
	if (t->lru_head != NW_FLOW_NONE)
		t->flows[t->lru_head].lru_prev = f->idx;
	t->lru_head = f->idx;
	if (t->lru_tail == NW_FLOW_NONE)
		t->lru_tail = f->idx;
}

/* The key's hash, computed once per packet (bucket, and the id of a new flow) and kept in the
 * flow (its release). An IPv4 key is folded into its 16 meaningful bytes first: hashing the
 * 40-byte key spent most of its rounds on the zeroes after the addresses. */
static uint64_t flow_key_hash(const struct nw_flow_table *t, const struct nw_flow_key *k)
{
	if (k->family == 4) {
		uint32_t v[4];

		memcpy(&v[0], k->lo, 4);
		memcpy(&v[1], k->hi, 4);
		v[2] = (uint32_t)k->lo_port << 16 | k->hi_port;
		v[3] = (uint32_t)k->proto << 8 | 4;
		return nw_hash64(v, sizeof(v), t->seed);
	}
	return nw_hash64(k, sizeof(*k), t->seed);
}

/* memcmp on the 40-byte key was a libc call per chain entry; five word compares inline */
static int flow_key_eq(const struct nw_flow_key *a, const struct nw_flow_key *b)
{
	uint64_t x[5], y[5];

	_Static_assert(sizeof(struct nw_flow_key) == sizeof(x), "flow key is 40 bytes");
	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4]));
}

/* Remove a flow from the table and return its slot to the free list. */
static void flow_release(struct nw_flow_table *t, struct nw_flow *f, int reason)
{
	uint32_t *pp = &t->heads[f->hash & t->mask];

	if (t->on_end)
		t->on_end(t->cb_ctx, f, reason);
	while (*pp != NW_FLOW_NONE && *pp != f->idx)
		pp = &t->flows[*pp].hnext;
	if (*pp == f->idx)
		*pp = f->hnext;
	flow_lru_unlink(t, f);
	f->in_use = 0;
	f->hnext = t->free_head;
	t->free_head = f->idx;
	t->n--;
}

static uint64_t flow_timeout(const struct nw_flow_table *t, const struct nw_flow *f)
{
	/* the kernel carries a bypassed flow: only packets already queued may still come */
	if (f->bypassed && t->to.bypass_ns)
		return t->to.bypass_ns;
	if (f->info.ip_proto == 6) {
		if (f->rst || (f->fin[0] && f->fin[1]))
			return t->to.closed_ns;
		return f->info.tcp_state == NW_CT_ESTABLISHED ? t->to.tcp_ns : t->to.new_ns;
	}
	if (f->info.ip_proto == 17)
		return t->to.udp_ns;
	return t->to.other_ns;
}

/* At capacity: end the least valuable flow among the oldest few. */
static void flow_evict_one(struct nw_flow_table *t)
{
	uint32_t i = t->lru_tail, victim = t->lru_tail;

	for (int n = 0; n < 16 && i != NW_FLOW_NONE; n++) {
		if (t->flows[i].info.tcp_state != NW_CT_ESTABLISHED || t->flows[i].bypassed) {
			victim = i; /* not yet established, or carried by the kernel */
			break;
		}
		i = t->flows[i].lru_prev;
	}
	if (victim == NW_FLOW_NONE)
		return;
	flow_release(t, &t->flows[victim], NW_FLOW_END_EVICT);
	t->cnt->evicted++;
}

static void flow_tcp_update(struct nw_flow *f, int dir, uint8_t flags)
{
	if (flags & NW_TCP_RST)
		f->rst = 1;
	if (flags & NW_TCP_FIN)
		f->fin[dir] = 1;
	if ((flags & (NW_TCP_SYN | NW_TCP_ACK)) == NW_TCP_SYN)
		f->syn[dir] = 1;
	else if ((flags & (NW_TCP_SYN | NW_TCP_ACK)) == (NW_TCP_SYN | NW_TCP_ACK))
		f->synack = 1;
	if (f->info.tcp_state == NW_CT_NEW) {
		/* the handshake completed, or a mid-stream pickup saw ACKs both ways */
		if ((f->synack && dir == NW_DIR_TO_SERVER && (flags & NW_TCP_ACK) &&
		     !(flags & NW_TCP_SYN)) ||
		    (!f->syn[0] && !f->synack && f->info.pkts[0] && f->info.pkts[1] &&
		     (flags & NW_TCP_ACK)))
			f->info.tcp_state = NW_CT_ESTABLISHED;
	}
	if (f->rst || (f->fin[0] && f->fin[1]))
		f->info.tcp_state = NW_CT_CLOSED;
}

struct nw_flow *nw_flow_track(struct nw_flow_table *t, struct nw_pkt_info *pi, uint64_t now)
{
	struct nw_flow_key k;
	struct nw_flow *f = NULL;
	int swapped;
	uint64_t h;
	uint32_t b, i;

	flow_key_make(pi, &k, &swapped);
	h = flow_key_hash(t, &k);
	b = (uint32_t)h & t->mask;
	for (i = t->heads[b]; i != NW_FLOW_NONE; i = t->flows[i].hnext) {
		if (flow_key_eq(&t->flows[i].key, &k)) {
			f = &t->flows[i];
			break;
		}
	}
	if (f && flow_timeout(t, f) && now > f->info.last_ns + flow_timeout(t, f)) {
		/* idle past its timeout but not yet swept: a new flow on the same tuple */
		flow_release(t, f, NW_FLOW_END_TIMEOUT);
		t->cnt->timedout++;
		f = NULL;
	}
	if (!f) {
		if (t->free_head == NW_FLOW_NONE)
			flow_evict_one(t);
		if (t->free_head == NW_FLOW_NONE)
			return NULL;
		f = &t->flows[t->free_head];
		t->free_head = f->hnext;
		uint8_t *priv = f->priv;
		uint32_t idx = f->idx;
		memset(f, 0, sizeof(*f));
		f->idx = idx;
		f->priv = priv;
		if (priv)
			memset(priv, 0, t->priv_size);
		f->key = k;
		f->hash = (uint32_t)h;
		f->in_use = 1;
		f->verdict = NW_CONTINUE;
		f->info.size = sizeof(f->info);
		/* flow_id: unique per worker, below 2^53 so JSON readers keep it exact */
		f->info.id = ((h & 0x3fffffull) << 30 |
			      ((uint64_t)(t->worker & 0x3f) << 24) | (t->next_id++ & 0xffffff)) &
			     ((1ull << 53) - 1);
		f->info.first_ns = now;
		f->info.ip_proto = pi->ip_proto;
		f->info.tcp_state = NW_CT_NEW;
		/* the client is who sent the first packet, unless that packet is a SYN-ACK */
		int client_is_dst = pi->ip_proto == 6 &&
				    (pi->tcp_flags & (NW_TCP_SYN | NW_TCP_ACK)) ==
					    (NW_TCP_SYN | NW_TCP_ACK);
		f->info.client = client_is_dst ? pi->dst : pi->src;
		f->info.server = client_is_dst ? pi->src : pi->dst;
		f->info.cport = client_is_dst ? pi->dport : pi->sport;
		f->info.sport = client_is_dst ? pi->sport : pi->dport;
		f->hnext = t->heads[b];
		t->heads[b] = f->idx;
		t->n++;
		t->cnt->created++;
	} else {
		flow_lru_unlink(t, f);
	}
	flow_lru_push_head(t, f);
	int dir = (nw_addr_eq(&pi->src, &f->info.client) && pi->sport == f->info.cport)
			  ? NW_DIR_TO_SERVER
			  : NW_DIR_TO_CLIENT;
	pi->dir = (uint8_t)dir;
	f->info.pkts[dir]++;
	f->info.bytes[dir] += pi->ip_len;
	f->info.last_ns = now;
	if (pi->ip_proto == 6 && (pi->flags & NW_PKT_L4)) {
		f->tcp_flags[dir] |= pi->tcp_flags;
		flow_tcp_update(f, dir, pi->tcp_flags);
	}
	else if (pi->ip_proto != 6 && f->info.pkts[0] && f->info.pkts[1])
		f->info.tcp_state = NW_CT_ESTABLISHED; /* UDP/ICMP: replied to */
	return f;
}

unsigned nw_flow_sweep(struct nw_flow_table *t, uint64_t now, unsigned budget)
{
	unsigned ended = 0;
	uint32_t i = t->lru_tail;
	uint64_t min = t->to.closed_ns;

	if (t->to.new_ns < min)
		min = t->to.new_ns;
	if (t->to.udp_ns < min)
		min = t->to.udp_ns;
	if (t->to.other_ns < min)
		min = t->to.other_ns;
	if (t->to.bypass_ns && t->to.bypass_ns < min)
		min = t->to.bypass_ns;

	while (i != NW_FLOW_NONE && budget--) {
		struct nw_flow *f = &t->flows[i];
		uint32_t prev = f->lru_prev;
		uint64_t to = flow_timeout(t, f);
		if (now > f->info.last_ns + to) {
			flow_release(t, f, NW_FLOW_END_TIMEOUT);
			t->cnt->timedout++;
			ended++;
		} else if (now <= f->info.last_ns + min) {
			break; /* everything newer is younger than the shortest timeout */
		}
		i = prev;
	}
	return ended;
}

void nw_flow_table_free(struct nw_flow_table *t)
{
	if (!t)
		return;
	if (t->flows) {
		for (uint32_t i = 0; i < t->cap; i++)
			if (t->flows[i].in_use && t->on_end)
				t->on_end(t->cb_ctx, &t->flows[i], NW_FLOW_END_SHUTDOWN);
	}
	free(t->heads);
	free(t->flows);
	free(t->privmem);
	free(t);
}
