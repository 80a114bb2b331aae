/* plugins/signature/sig_kw_thresh.c: threshold and detection_filter (parse) and their bounded state table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sig.h"

static int sig_thr_parse(struct sig_parse *ps, const char *arg, struct sig_threshold *t, int df)
{
	char buf[160], *argv[6];
	int n, have_track = 0, have_count = 0, have_secs = 0;
	long long v;

	snprintf(buf, sizeof(buf), "%s", arg);
	n = sig_split_args(buf, argv, 6);
	if (n < 3)
		return sig_err(ps, df ? "expected track T, count N, seconds N"
				      : "expected type T, track T, count N, seconds N");
	if (df)
		t->type = SIG_THR_DETECTION;
	for (int i = 0; i < n; i++) {
		char *a = argv[i], *val = strchr(a, ' ');
		if (!val)
			return sig_err(ps, "expected 'name value', got '%.30s'", a);
		*val++ = 0;
		val = sig_trim(val);
		if (!df && !strcmp(a, "type")) {
			if (!strcmp(val, "limit"))
				t->type = SIG_THR_LIMIT;
			else if (!strcmp(val, "threshold"))
				t->type = SIG_THR_THRESHOLD;
			else if (!strcmp(val, "both"))
				t->type = SIG_THR_BOTH;
			else
				return sig_err(ps, "unknown type '%.30s'", val);
		} else if (!strcmp(a, "track")) {
			if (!strcmp(val, "by_src"))
				t->by_dst = 0;
			else if (!strcmp(val, "by_dst"))
				t->by_dst = 1;
			else if (!strcmp(val, "by_rule"))
				t->by_dst = 2;
			else if (!strcmp(val, "by_both") || !strcmp(val, "by_flow"))
				return sig_err(ps, "track %s not supported by natwarden", val);
			else
				return sig_err(ps, "unknown track '%.30s'", val);
			have_track = 1;
		} else if (!strcmp(a, "count")) {
			if (sig_parse_int(val, df ? 0 : 1, 0xffffffffLL, &v))
				return sig_err(ps, "bad count '%.30s'", val);
			t->count = (uint32_t)v;
			have_count = 1;
		} else if (!strcmp(a, "seconds")) {
			if (sig_parse_int(val, 1, 0xffffffffLL, &v))
				return sig_err(ps, "bad seconds '%.30s'", val);
			t->seconds = (uint32_t)v;
			have_secs = 1;
		} else if (!strcmp(a, "unique_on")) {
			return sig_err(ps, "unique_on not supported by natwarden");
		} else {
			return sig_err(ps, "unknown option '%.30s'", a);
		}
	}
	if (!t->type || !have_track || !have_count || !have_secs)
		return sig_err(ps, df ? "needs track, count and seconds"
				      : "needs type, track, count and seconds");
	return 0;
}

int sig_kw_threshold(struct sig_parse *ps, const char *arg)
{
	if (ps->r->thr.type)
		return sig_err(ps, "given twice");
	return sig_thr_parse(ps, arg, &ps->r->thr, 0);
}

int sig_kw_detection_filter(struct sig_parse *ps, const char *arg)
{
	if (ps->r->df.type)
		return sig_err(ps, "given twice");
	return sig_thr_parse(ps, arg, &ps->r->df, 1);
}

/* ---- runtime table ---- */
int sig_thr_init(struct sig_thr_table *t, unsigned size)
{
	unsigned s = 64;

	while (s < size)
		s <<= 1;
	t->e = calloc(s, sizeof(*t->e));
	if (!t->e)
		return -ENOMEM;
	t->size = s;
	atomic_flag_clear(&t->lock);
	return 0;
}

void sig_thr_free(struct sig_thr_table *t)
{
	free(t->e);
	t->e = NULL;
	t->size = 0;
}

static uint32_t sig_thr_hash(uint32_t gid, uint32_t sid, int kind, const struct nw_addr *a)
{
	uint32_t h = 2166136261u;
	const uint8_t *p = a->a;

	h = (h ^ gid) * 16777619u;
	h = (h ^ sid) * 16777619u;
	h = (h ^ (uint32_t)kind) * 16777619u;
	h = (h ^ a->family) * 16777619u;
	for (int i = 0; i < 16; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

#define SIG_THR_PROBE 8

int sig_thr_check(struct sig_thr_table *t, const struct sig_rule *r, const struct sig_threshold *th,
		  int kind, const struct nw_pkt_info *pi, uint64_t now_ns)
{
	struct nw_addr key;
	struct sig_thr_entry *e = NULL, *victim = NULL;
	uint64_t win = (uint64_t)th->seconds * 1000000000ull;
	uint32_t h;
	int ret = 0;

	memset(&key, 0, sizeof(key));
	if (th->by_dst == 0)
		key = pi->src;
	else if (th->by_dst == 1)
		key = pi->dst;
	h = sig_thr_hash(r->gid, r->sid, kind, &key);
	while (atomic_flag_test_and_set_explicit(&t->lock, memory_order_acquire))
		;
	for (unsigned i = 0; i < SIG_THR_PROBE; i++) {
		struct sig_thr_entry *c = &t->e[(h + i) & (t->size - 1)];
		if (c->used && c->sid == r->sid && c->gid == r->gid && c->kind == kind &&
		    c->addr.family == key.family && !memcmp(c->addr.a, key.a, 16)) {
			e = c;
			break;
		}
		if (!c->used) {
			if (!victim || victim->used)
				victim = c;
		} else if (!victim || (victim->used && c->start_ns < victim->start_ns)) {
			victim = c;
		}
	}
	if (e && now_ns - e->start_ns < win) {
		e->count++;
		switch (th->type) {
		case SIG_THR_LIMIT: ret = e->count <= th->count; break;
		case SIG_THR_THRESHOLD:
			if (e->count >= th->count) {
				ret = 1;
				e->count = 0;
			}
			break;
		case SIG_THR_BOTH: ret = e->count == th->count; break;
		default: ret = e->count > th->count; break;
		}
	} else {
		/* a new window (new key or the old window is over) */
		if (!e) {
			e = victim;
			if (e->used)
				t->evicted++;
		}
		memset(e, 0, sizeof(*e));
		e->used = 1;
		e->gid = r->gid;
		e->sid = r->sid;
		e->kind = (uint8_t)kind;
		e->addr = key;
		e->start_ns = now_ns;
		e->count = 1;
		switch (th->type) {
		case SIG_THR_LIMIT: ret = th->count >= 1; break;
		case SIG_THR_THRESHOLD:
			ret = th->count <= 1;
			if (ret)
				e->count = 0;
			break;
		case SIG_THR_BOTH: ret = th->count <= 1; break;
		default: ret = th->count == 0; break;
		}
	}
	atomic_flag_clear_explicit(&t->lock, memory_order_release);
	return ret;
}
