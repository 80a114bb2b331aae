/* plugins/signature/sig_ruleset.c: load rule files into a rule set (sorted, duplicates refused), pick the candidate rules of a buffer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sig_ruleset.h"
#include "sig_app.h"

void sig_load_report(const struct sig_load *l, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (l->error)
		l->error(l->opaque, msg);
}

/* the rules loaded so far, and a hash of their (gid, sid) to refuse duplicates */
struct sig_vec {
	struct sig_rule **v;
	unsigned n, cap;
	uint32_t *slot; /* index in v + 1, 0 = empty; open addressing */
	unsigned n_slot; /* a power of two, at least twice n */
};

static unsigned sig_sid_hash(uint32_t gid, uint32_t sid, unsigned n_slot)
{
	uint64_t h = ((uint64_t)gid << 32 | sid) * 0x9e3779b97f4a7c15ull;

	return (unsigned)(h >> 32) & (n_slot - 1);
}

/* the slot of (gid, sid): the rule's, or the empty one where it goes */
static unsigned sig_sid_slot(const struct sig_vec *vec, uint32_t gid, uint32_t sid)
{
	unsigned h = sig_sid_hash(gid, sid, vec->n_slot);

	while (vec->slot[h]) {
		const struct sig_rule *r = vec->v[vec->slot[h] - 1];
		if (r->sid == sid && r->gid == gid)
			break;
		h = (h + 1) & (vec->n_slot - 1);
	}
	return h;
}

static int sig_vec_push(struct sig_vec *vec, struct sig_rule *r)
{
	if (vec->n == vec->cap) {
		unsigned cap = vec->cap ? vec->cap * 2 : 256;
		struct sig_rule **nv = realloc(vec->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		vec->v = nv;
		vec->cap = cap;
	}
	if (2 * (vec->n + 1) > vec->n_slot) {
		unsigned n_slot = vec->n_slot ? vec->n_slot * 2 : 512;
		uint32_t *ns = calloc(n_slot, sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		free(vec->slot);
		vec->slot = ns;
		vec->n_slot = n_slot;
		for (unsigned i = 0; i < vec->n; i++)
			vec->slot[sig_sid_slot(vec, vec->v[i]->gid, vec->v[i]->sid)] = i + 1;
	}
	vec->slot[sig_sid_slot(vec, r->gid, r->sid)] = vec->n + 1;
	vec->v[vec->n++] = r;
	return 0;
}

static int sig_add_line(const struct sig_load *l, struct sig_env *env, struct sig_ruleset *rs,
			struct sig_vec *vec, const char *file, unsigned lineno, const char *text)
{
	char err[SIG_ERRLEN];
	struct sig_rule *r;
	int rc = sig_rule_parse(env, text, &r, err, sizeof(err));

	if (rc == 1)
		return 0;
	if (rc < 0) {
		uint32_t sid = sig_rule_peek_sid(text);
		rs->n_bad++;
		if (sid)
			sig_load_report(l, "%s:%u: sid %u: %s", file, lineno, sid, err);
		else
			sig_load_report(l, "%s:%u: %s", file, lineno, err);
		return 0;
	}
	if (vec->n_slot) {
		uint32_t dup = vec->slot[sig_sid_slot(vec, r->gid, r->sid)];
		if (dup) {
			rs->n_bad++;
			sig_load_report(l, "%s:%u: sid %u: duplicate of the rule at %s:%u", file,
					lineno, r->sid, vec->v[dup - 1]->file, vec->v[dup - 1]->line);
			sig_rule_free(r);
			return 0;
		}
	}
	r->file = strdup(file);
	r->line = lineno;
	if (!r->file || sig_vec_push(vec, r)) {
		sig_rule_free(r);
		return -ENOMEM;
	}
	return 0;
}

static int sig_load_file(const struct sig_load *l, struct sig_env *env, struct sig_ruleset *rs,
			 struct sig_vec *vec, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *acc = NULL;
	size_t cap = 0, acclen = 0;
	ssize_t n;
	unsigned lineno = 0, start = 0;
	int rc = 0;

	if (!f) {
		rc = -errno;
		sig_load_report(l, "%s: cannot open rule file: %s", path, strerror(errno));
		return rc;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		char *na;
		int cont;
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		cont = n > 0 && line[n - 1] == '\\';
		if (cont)
			line[--n] = 0;
		if (!acc)
			start = lineno;
		if (acclen + (size_t)n > 1024 * 1024) {
			rc = -E2BIG;
			sig_load_report(l, "%s:%u: rule longer than 1 MiB", path, start);
			break;
		}
		na = realloc(acc, acclen + (size_t)n + 1);
		if (!na) {
			rc = -ENOMEM;
			break;
		}
		acc = na;
		memcpy(acc + acclen, line, (size_t)n + 1);
		acclen += (size_t)n;
		if (cont)
			continue;
		rc = sig_add_line(l, env, rs, vec, path, start, acc);
		free(acc);
		acc = NULL;
		acclen = 0;
		if (rc)
			break;
	}
	if (!rc && acc)
		rc = sig_add_line(l, env, rs, vec, path, start, acc);
	free(acc);
	free(line);
	fclose(f);
	return rc;
}

/* Suricata's flowbits order: rules that only set (4), set and read (3), only read (2), none (1);
 * the same for xbits (xb: 1), which Suricata compares after flowbits (hostbits, ippairbits) */
static int sig_rule_fb_rank(const struct sig_rule *r, int xb)
{
	int set = 0, read = 0;
	unsigned n = xb ? r->n_xb : r->n_fb;

	for (unsigned i = 0; i < n; i++) {
		uint8_t cmd = xb ? r->xb[i].cmd : r->fb[i].cmd;
		set |= cmd == SIG_FB_SET || cmd == SIG_FB_UNSET || cmd == SIG_FB_TOGGLE;
		read |= cmd == SIG_FB_ISSET || cmd == SIG_FB_ISNOTSET;
	}
	return set && read ? 3 : set ? 4 : read ? 2 : 1;
}

/* Suricata's rule order (detect-engine-sigorder.c): action (pass, drop, reject, alert),
 * flowbits setters before readers, priority (1 first), then load order. */
static int sig_rule_cmp(const void *a, const void *b)
{
	const struct sig_rule *ra = *(struct sig_rule *const *)a;
	const struct sig_rule *rb = *(struct sig_rule *const *)b;
	int fa, fb;

	if (ra->action != rb->action)
		return ra->action < rb->action ? -1 : 1;
	fa = sig_rule_fb_rank(ra, 0);
	fb = sig_rule_fb_rank(rb, 0);
	if (fa != fb)
		return fa > fb ? -1 : 1;
	fa = sig_rule_fb_rank(ra, 1);
	fb = sig_rule_fb_rank(rb, 1);
	if (fa != fb)
		return fa > fb ? -1 : 1;
	if (ra->prio != rb->prio)
		return ra->prio < rb->prio ? -1 : 1;
	return ra->idx < rb->idx ? -1 : ra->idx > rb->idx;
}

int sig_ruleset_build(const struct sig_load *l, struct sig_ruleset **out)
{
	struct sig_ruleset *rs = calloc(1, sizeof(*rs));
	struct sig_vec vec = { 0 };
	struct sig_env env = { 0 };
	int rc = -ENOMEM;

	*out = NULL;
	if (!rs)
		return -ENOMEM;
	if (l->vars) {
		for (unsigned i = 0; i < l->vars->n; i++)
			if (sig_vars_set(&rs->vars, l->vars->v[i].name, l->vars->v[i].value))
				goto fail;
	} else if (sig_vars_defaults(&rs->vars)) {
		goto fail;
	}
	if (sig_classes_defaults(&rs->classes))
		goto fail;
	if (l->classification) {
		char err[512];
		rc = sig_classes_load(&rs->classes, l->classification, err, sizeof(err));
		if (rc) {
			sig_load_report(l, "%s", err);
			goto fail;
		}
	}
	env.vars = &rs->vars;
	env.classes = &rs->classes;
	env.fb_names = l->fb_names;
	env.xb_names = l->xb_names;
	env.ext_find = l->ext_find;
	for (unsigned i = 0; i < l->n_files; i++) {
		rc = sig_load_file(l, &env, rs, &vec, l->files[i]);
		if (rc)
			goto fail;
		rs->n_files++;
	}
	for (unsigned i = 0; i < l->n_rule_texts; i++) {
		rc = sig_add_line(l, &env, rs, &vec, "<rules>", i + 1, l->rule_texts[i]);
		if (rc)
			goto fail;
	}
	for (unsigned i = 0; i < vec.n; i++)
		vec.v[i]->idx = i;
	if (vec.n)
		qsort(vec.v, vec.n, sizeof(*vec.v), sig_rule_cmp);
	for (unsigned i = 0; i < vec.n; i++)
		vec.v[i]->idx = i;
	rs->rules = vec.v;
	rs->n = vec.n;
	vec.v = NULL;
	vec.n = 0;
	free(vec.slot);
	vec.slot = NULL;
	rc = sig_groups_build(rs, l);
	if (!rc)
		rc = sig_appgroups_build(rs, l);
	if (rc)
		goto fail;
	*out = rs;
	return 0;
fail:
	for (unsigned i = 0; i < vec.n; i++)
		sig_rule_free(vec.v[i]);
	free(vec.v);
	free(vec.slot);
	sig_ruleset_free(rs);
	return rc ? rc : -ENOMEM;
}

void sig_ruleset_free(struct sig_ruleset *rs)
{
	if (!rs)
		return;
	for (unsigned i = 0; i < SIG_MAX_WORKERS; i++) {
		struct sig_wscratch *w = rs->ws[i];
		if (!w)
			continue;
		if (w->hs)
			hs_free_scratch(w->hs);
		free(w->cand);
		free(w->seen);
		free(w);
	}
	for (unsigned i = 0; i < rs->n_groups; i++) {
		if (rs->groups[i].db)
			hs_free_database(rs->groups[i].db);
		free(rs->groups[i].always);
	}
	free(rs->groups);
	for (unsigned st = 0; st < SIG_ST_MAX; st++) {
		for (unsigned k = 0; k < SIG_BUF_MAX * 2; k++)
			if (rs->app[st].db[k])
				hs_free_database(rs->app[st].db[k]);
		free(rs->app[st].always);
	}
	free(rs->ports[0]);
	free(rs->ports[1]);
	if (rs->proto_scratch)
		hs_free_scratch(rs->proto_scratch);
	for (unsigned i = 0; i < rs->n; i++)
		sig_rule_free(rs->rules[i]);
	free(rs->rules);
	sig_vars_free(&rs->vars);
	sig_classes_free(&rs->classes);
	free(rs);
}

int sig_ruleset_worker_init(struct sig_ruleset *rs, unsigned w)
{
	struct sig_wscratch *ws;

	if (w >= SIG_MAX_WORKERS)
		return -EINVAL;
	if (rs->ws[w])
		return 0;
	ws = calloc(1, sizeof(*ws));
	if (!ws)
		return -ENOMEM;
	ws->cand = malloc((rs->n + 1) * sizeof(uint32_t));
	ws->seen = calloc(rs->n / 8 + 1, 1);
	if (!ws->cand || !ws->seen)
		goto fail;
	if (rs->proto_scratch && hs_clone_scratch(rs->proto_scratch, &ws->hs) != HS_SUCCESS)
		goto fail;
	rs->ws[w] = ws;
	return 0;
fail:
	free(ws->cand);
	free(ws->seen);
	free(ws);
	return -ENOMEM;
}

const struct sig_group *sig_ruleset_group(const struct sig_ruleset *rs,
					  const struct nw_pkt_info *pi)
{
	int k;

	switch (pi->ip_proto) {
	case 6: k = SIG_PC_TCP; break;
	case 17: k = SIG_PC_UDP; break;
	case 1: case 58: return rs->dflt[SIG_PC_ICMP];
	default: return rs->dflt[SIG_PC_OTHER];
	}
	if ((pi->flags & NW_PKT_L4) && rs->n_ports[k]) {
		unsigned lo = 0, hi = rs->n_ports[k];
		while (lo < hi) {
			unsigned mid = (lo + hi) / 2;
			if (rs->ports[k][mid].port < pi->dport)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < rs->n_ports[k] && rs->ports[k][lo].port == pi->dport)
			return rs->ports[k][lo].g;
	}
	return rs->dflt[k];
}

/* in-place heapsort: no allocation on the packet path (glibc qsort may malloc) */
static void sig_sift(uint32_t *a, size_t i, size_t n)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < n && a[l] > a[m])
			m = l;
		if (l + 1 < n && a[l + 1] > a[m])
			m = l + 1;
		if (m == i)
			return;
		uint32_t t = a[i];
		a[i] = a[m];
		a[m] = t;
		i = m;
	}
}

static void sig_sort_u32(uint32_t *a, size_t n)
{
	if (n < 24) {
		for (size_t i = 1; i < n; i++) {
			uint32_t v = a[i];
			size_t j = i;
			while (j && a[j - 1] > v) {
				a[j] = a[j - 1];
				j--;
			}
			a[j] = v;
		}
		return;
	}
	for (size_t i = n / 2; i-- > 0;)
		sig_sift(a, i, n);
	for (size_t e = n - 1; e > 0; e--) {
		uint32_t t = a[0];
		a[0] = a[e];
		a[e] = t;
		sig_sift(a, 0, e);
	}
}

static int sig_hs_hit(unsigned int id, unsigned long long from, unsigned long long to,
		      unsigned int flags, void *ctx)
{
	struct sig_wscratch *ws = ctx;

	if (!(ws->seen[id / 8] & (1u << (id % 8)))) {
		ws->seen[id / 8] |= (uint8_t)(1u << (id % 8));
		ws->cand[ws->n_cand++] = id;
	}
	return 0;
}

/* one prefilter scan of buf: the rules whose pattern occurs join ws->cand */
static void sig_prefilter_scan(const hs_database_t *db, struct sig_wscratch *ws, const uint8_t *buf,
			       size_t len)
{
	const char *data = (const char *)buf;
	unsigned n = (unsigned)len;

	hs_scan_vector(db, &data, &n, 1, 0, ws->hs, sig_hs_hit, ws);
}

unsigned sig_ruleset_candidates(const struct sig_ruleset *rs, const struct sig_group *g,
				struct sig_wscratch *ws, const uint8_t *buf, size_t len)
{
	const struct sig_group *d = g->also;
	unsigned n;

	ws->n_cand = 0;
	if (len && ws->hs) {
		if (g->db)
			sig_prefilter_scan(g->db, ws, buf, len);
		if (d && d->db)
			sig_prefilter_scan(d->db, ws, buf, len);
	}
	for (unsigned i = 0; i < ws->n_cand; i++)
		ws->seen[ws->cand[i] / 8] = 0;
	n = ws->n_cand;
	memcpy(ws->cand + n, g->always, g->n_always * sizeof(uint32_t));
	n += g->n_always;
	if (d) {
		memcpy(ws->cand + n, d->always, d->n_always * sizeof(uint32_t));
		n += d->n_always;
	}
	/* each always list is sorted; the hits and two lists together are not */
	if (n > 1 && (ws->n_cand || (d && g->n_always && d->n_always)))
		sig_sort_u32(ws->cand, n);
	return n;
}

unsigned sig_ruleset_app_candidates(const struct sig_ruleset *rs, unsigned stage,
				    struct sig_wscratch *ws, struct sig_appctx *ac)
{
	const struct sig_appgroup *ag;
	unsigned n;

	ws->n_cand = 0;
	if (stage >= SIG_ST_MAX)
		return 0;
	ag = &rs->app[stage];
	if (!ag->n_rules)
		return 0;
	for (unsigned key = 0; key < SIG_BUF_MAX * 2 && ws->hs; key++) {
		if (!ag->db[key])
			continue;
		for (unsigned idx = 0; idx < 64; idx++) {
			const uint8_t *p;
			size_t len;
			if (!sig_app_buffer(ac, key / 2, key & 1, idx, &p, &len))
				break;
			if (len)
				sig_prefilter_scan(ag->db[key], ws, p, len);
		}
	}
	for (unsigned i = 0; i < ws->n_cand; i++)
		ws->seen[ws->cand[i] / 8] = 0;
	n = ws->n_cand;
	memcpy(ws->cand + n, ag->always, ag->n_always * sizeof(uint32_t));
	n += ag->n_always;
	if (n > 1 && ws->n_cand)
		sig_sort_u32(ws->cand, n);
	return n;
}
