/* plugins/signature/sig_xbits.c: xbits keyword and its table of bits per host / address pair. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sig.h"

/*
 * The table is allocated once (xbits-table-size entries) and shared by the workers. It is split
 * in buckets of SIG_XB_WAYS entries, each with its own spin lock, held only while that bucket's
 * 8 entries are scanned or one is written (no allocation, no system call): two workers wait on
 * each other only when they touch the same bucket at the same moment. A set in a full bucket
 * takes an expired entry, else the one that lapses first (counted as evicted).
 */

int sig_xb_init(struct sig_xb_table *t, unsigned entries)
{
	unsigned nb = 1;

	while (nb * SIG_XB_WAYS < entries)
		nb <<= 1;
	t->b = calloc(nb, sizeof(*t->b));
	if (!t->b)
		return -ENOMEM;
	for (unsigned i = 0; i < nb; i++)
		atomic_flag_clear(&t->b[i].lock);
	t->nb = nb;
	return 0;
}

void sig_xb_free(struct sig_xb_table *t)
{
	free(t->b);
	t->b = NULL;
	t->nb = 0;
}

/* the key of an xbit on this packet */
static void sig_xb_key(const struct sig_xbit *x, const struct nw_pkt_info *pi,
		       struct sig_xb_entry *k)
{
	memset(k, 0, sizeof(*k));
	k->id = x->id;
	if (x->track == 2) {
		/* a pair is the same both ways (Suricata's ippair) */
		int lo = memcmp(pi->src.a, pi->dst.a, 16) <= 0;
		k->kind = SIG_XB_PAIR;
		k->family = pi->src.family;
		memcpy(k->a, lo ? pi->src.a : pi->dst.a, 16);
		memcpy(k->b, lo ? pi->dst.a : pi->src.a, 16);
	} else {
		const struct nw_addr *a = x->track == 0 ? &pi->src : &pi->dst;
		k->kind = SIG_XB_HOST;
		k->family = a->family;
		memcpy(k->a, a->a, 16);
	}
}

static uint32_t sig_xb_hash(const struct sig_xb_entry *k)
{
	uint32_t h = 2166136261u;

	h = (h ^ k->id) * 16777619u;
	h = (h ^ k->kind) * 16777619u;
	h = (h ^ k->family) * 16777619u;
	for (int i = 0; i < 16; i++)
		h = (h ^ k->a[i]) * 16777619u;
	for (int i = 0; k->kind == SIG_XB_PAIR && i < 16; i++)
		h = (h ^ k->b[i]) * 16777619u;
	return h ^ (h >> 15);
}

static int sig_xb_same(const struct sig_xb_entry *e, const struct sig_xb_entry *k)
{
	return e->id == k->id && e->kind == k->kind && e->family == k->family &&
	       !memcmp(e->a, k->a, 16) && !memcmp(e->b, k->b, 16);
}

static struct sig_xb_bucket *sig_xb_lock(struct sig_xb_table *t, const struct sig_xb_entry *k)
{
	struct sig_xb_bucket *b = &t->b[sig_xb_hash(k) & (t->nb - 1)];

	while (atomic_flag_test_and_set_explicit(&b->lock, memory_order_acquire))
		;
	return b;
}

static void sig_xb_unlock(struct sig_xb_bucket *b)
{
	atomic_flag_clear_explicit(&b->lock, memory_order_release);
}

/* the live entry of k in b, NULL if none (caller holds the lock) */
static struct sig_xb_entry *sig_xb_find(struct sig_xb_bucket *b, const struct sig_xb_entry *k,
					uint64_t now)
{
	for (unsigned i = 0; i < SIG_XB_WAYS; i++)
		if (b->e[i].expire_ns > now && sig_xb_same(&b->e[i], k))
			return &b->e[i];
	return NULL;
}

/* 1 when the key is set on this packet */
static int sig_xb_isset(struct sig_xb_table *t, const struct sig_xbit *x,
			const struct nw_pkt_info *pi)
{
	struct sig_xb_entry k;
	struct sig_xb_bucket *b;
	int set;

	if (!t || !t->b)
		return 0;
	sig_xb_key(x, pi, &k);
	b = sig_xb_lock(t, &k);
	set = sig_xb_find(b, &k, pi->ts_ns) != NULL;
	sig_xb_unlock(b);
	return set;
}

int sig_xbits_check(const struct sig_mctx *m, const struct sig_rule *r)
{
	for (unsigned i = 0; i < r->n_xb; i++) {
		const struct sig_xbit *x = &r->xb[i];
		if (x->cmd != SIG_FB_ISSET && x->cmd != SIG_FB_ISNOTSET)
			continue;
		if ((x->cmd == SIG_FB_ISSET) != sig_xb_isset(m->xbt, x, m->pi))
			return 0;
	}
	return 1;
}

/* set, unset or toggle one xbit; returns 1 if a live entry was evicted */
static unsigned sig_xb_apply_one(struct sig_xb_table *t, const struct sig_xbit *x,
				 const struct nw_pkt_info *pi)
{
	uint64_t now = pi->ts_ns, until = now + (uint64_t)x->expire * 1000000000ull;
	struct sig_xb_entry k, *e, *victim = NULL;
	struct sig_xb_bucket *b;
	unsigned evicted = 0;

	sig_xb_key(x, pi, &k);
	b = sig_xb_lock(t, &k);
	e = sig_xb_find(b, &k, now);
	if (e && (x->cmd == SIG_FB_UNSET || x->cmd == SIG_FB_TOGGLE)) {
		e->expire_ns = 0;
	} else if (e) {
		e->expire_ns = until; /* set again: the expiry starts over */
	} else if (x->cmd == SIG_FB_SET || x->cmd == SIG_FB_TOGGLE) {
		for (unsigned i = 0; i < SIG_XB_WAYS; i++) {
			struct sig_xb_entry *c = &b->e[i];
			if (c->expire_ns <= now) {
				victim = c;
				break;
			}
			if (!victim || c->expire_ns < victim->expire_ns)
				victim = c;
		}
		evicted = victim->expire_ns > now;
		k.expire_ns = until;
		*victim = k;
	}
	sig_xb_unlock(b);
	return evicted;
}

unsigned sig_xbits_apply(const struct sig_mctx *m, const struct sig_rule *r)
{
	unsigned evicted = 0;

	if (!m->xbt || !m->xbt->b)
		return 0;
	for (unsigned i = 0; i < r->n_xb; i++)
		if (r->xb[i].cmd == SIG_FB_SET || r->xb[i].cmd == SIG_FB_UNSET ||
		    r->xb[i].cmd == SIG_FB_TOGGLE)
			evicted += sig_xb_apply_one(m->xbt, &r->xb[i], m->pi);
	return evicted;
}

/* xbits:set|unset|toggle|isset|isnotset,name,track ip_src|ip_dst|ip_pair[,expire N] */
int sig_kw_xbits(struct sig_parse *ps, const char *arg)
{
	static const struct {
		const char *name;
		uint8_t cmd;
	} cmds[] = { { "set", SIG_FB_SET }, { "unset", SIG_FB_UNSET }, { "toggle", SIG_FB_TOGGLE },
		     { "isset", SIG_FB_ISSET }, { "isnotset", SIG_FB_ISNOTSET } };
	static const char *const tracks[] = { "ip_src", "ip_dst", "ip_pair" };
	char buf[512], *argv[5];
	struct sig_xbit x = { 0 }, *v;
	int n, id, track = -1;
	size_t k;

	if (strlen(arg) >= sizeof(buf))
		return sig_err(ps, "argument too long");
	snprintf(buf, sizeof(buf), "%s", arg);
	n = sig_split_args(buf, argv, 5);
	if (n < 3 || n > 4)
		return sig_err(ps, "expected command,name,track ip_src|ip_dst|ip_pair[,expire N]");
	for (k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
		if (!strcmp(argv[0], cmds[k].name))
			break;
	if (k == sizeof(cmds) / sizeof(cmds[0]))
		return sig_err(ps, "unknown command '%.30s'", argv[0]);
	x.cmd = cmds[k].cmd;
	x.expire = 30; /* Suricata's default */
	if (!argv[1][0] || strpbrk(argv[1], " \t|&"))
		return sig_err(ps, "bad name '%.30s' (one name, no spaces, no | or &)", argv[1]);
	for (int i = 2; i < n; i++) {
		char *a = argv[i];
		long long e;
		if (!strncmp(a, "track", 5) && (a[5] == ' ' || a[5] == '\t')) {
			a = sig_trim(a + 6);
			for (track = 0; track < 3 && strcmp(a, tracks[track]); track++)
				;
			if (track == 3) {
				if (!strcmp(a, "tx") || !strcmp(a, "flow"))
					return sig_err(ps, "track %s not supported by natwarden", a);
				return sig_err(ps, "unknown track '%.30s' (ip_src, ip_dst, ip_pair)", a);
			}
		} else if (!strncmp(a, "expire", 6) && (a[6] == ' ' || a[6] == '\t')) {
			if (sig_parse_int(a + 7, 1, 0x7fffffffLL, &e))
				return sig_err(ps, "bad expire '%.30s' (1..2147483647 seconds)", a + 7);
			x.expire = (uint32_t)e;
		} else {
			return sig_err(ps, "unknown option '%.30s'", a);
		}
	}
	if (track < 0)
		return sig_err(ps, "missing track ip_src|ip_dst|ip_pair");
	x.track = (uint8_t)track;
	if (!ps->env || !ps->env->xb_names)
		return sig_err(ps, "xbits not available here");
	id = sig_names_intern(ps->env->xb_names, argv[1], SIG_FB_NAMES_MAX);
	if (id < 0)
		return sig_err(ps, "too many xbit names (at most %d)", SIG_FB_NAMES_MAX);
	x.id = (uint16_t)id;
	v = realloc(ps->r->xb, (ps->r->n_xb + 1) * sizeof(*v));
	if (!v)
		return sig_err(ps, "out of memory");
	ps->r->xb = v;
	v[ps->r->n_xb++] = x;
	return 0;
}
