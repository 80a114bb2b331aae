/* plugins/signature/sig_ruleset.c: load rule files, sort, group by protocol/port, compile the Vectorscan prefilter. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sig_ruleset.h"
#include "sig_app.h"

#define SIG_GROUP_MAX_PORTS 32

static void sig_report(const struct sig_load *l, const char *fmt, ...) NW_PRINTF(2, 3);
static void sig_report(const struct sig_load *l, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (l->error)
		l->error(l->opaque, msg);
}

struct sig_vec {
	struct sig_rule **v;
	unsigned n, cap;
};

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
			sig_report(l, "%s:%u: sid %u: %s", file, lineno, sid, err);
		else
			sig_report(l, "%s:%u: %s", file, lineno, err);
		return 0;
	}
	for (unsigned i = 0; i < vec->n; i++) {
		if (vec->v[i]->sid == r->sid && vec->v[i]->gid == r->gid) {
			rs->n_bad++;
			sig_report(l, "%s:%u: sid %u: duplicate of the rule at %s:%u", file, lineno,
				   r->sid, vec->v[i]->file, vec->v[i]->line);
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
		sig_report(l, "%s: cannot open rule file: %s", path, strerror(errno));
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
			sig_report(l, "%s:%u: rule longer than 1 MiB", path, start);
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

static int sig_rule_cmp(const void *a, const void *b)
{
	const struct sig_rule *ra = *(struct sig_rule *const *)a;
	const struct sig_rule *rb = *(struct sig_rule *const *)b;

	if (ra->action != rb->action)
		return ra->action < rb->action ? -1 : 1;
	return ra->idx < rb->idx ? -1 : ra->idx > rb->idx;
}

static int sig_u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* compile the fast patterns of rules idx[0..n) (all have one) into *db */
static int sig_fp_compile(struct sig_ruleset *rs, const uint32_t *idx, unsigned n, hs_database_t **db,
			  const struct sig_load *l)
{
	const char **pats = NULL;
	unsigned *flags = NULL, *ids = NULL, nfp = 0;
	hs_compile_error_t *cerr = NULL;
	int rc = -ENOMEM;

	*db = NULL;
	if (!n)
		return 0;
	pats = calloc(n, sizeof(*pats));
	flags = calloc(n, sizeof(*flags));
	ids = calloc(n, sizeof(*ids));
	if (!pats || !flags || !ids)
		goto out;
	for (unsigned i = 0; i < n; i++) {
		const struct sig_content *c = rs->rules[idx[i]]->fp;
		const uint8_t *src = c->pat + ((c->flags & SIG_CF_FAST_SUB) ? c->fp_off : 0);
		size_t len = (c->flags & SIG_CF_FAST_SUB) ? c->fp_len : c->len;
		/* every byte as \xHH: the literal API mistakes a leading NUL for an empty string */
		char *re = malloc(len * 4 + 1);
		if (!re)
			goto out;
		for (size_t k = 0; k < len; k++)
			snprintf(re + k * 4, 5, "\\x%02x", src[k]);
		pats[nfp] = re;
		flags[nfp] = HS_FLAG_SINGLEMATCH | ((c->flags & SIG_CF_NOCASE) ? HS_FLAG_CASELESS : 0);
		ids[nfp] = idx[i];
		nfp++;
	}
	if (hs_compile_multi(pats, flags, ids, nfp, HS_MODE_BLOCK, NULL, db, &cerr) != HS_SUCCESS) {
		sig_report(l, "prefilter compile failed: %s", cerr ? cerr->message : "?");
		hs_free_compile_error(cerr);
		rc = -EINVAL;
		goto out;
	}
	rc = hs_alloc_scratch(*db, &rs->proto_scratch) == HS_SUCCESS ? 0 : -ENOMEM;
out:
	for (unsigned i = 0; pats && i < nfp; i++)
		free((char *)pats[i]);
	free(pats);
	free(flags);
	free(ids);
	return rc;
}

/* build one group from a list of rule indices (sorted) */
static int sig_group_build(struct sig_ruleset *rs, struct sig_group *g, const uint32_t *idx,
			   unsigned n, const struct sig_load *l)
{
	uint32_t *fpidx;
	unsigned nfp = 0;
	int rc;

	g->n_rules = n;
	g->always = calloc(n ? n : 1, sizeof(*g->always));
	fpidx = calloc(n ? n : 1, sizeof(*fpidx));
	if (!g->always || !fpidx) {
		free(fpidx);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		if (rs->rules[idx[i]]->fp)
			fpidx[nfp++] = idx[i];
		else
			g->always[g->n_always++] = idx[i];
	}
	g->n_fp = nfp;
	rc = sig_fp_compile(rs, fpidx, nfp, &g->db, l);
	free(fpidx);
	return rc;
}

/* application rules: one group per stage, a prefilter database per buffer (and side) */
static int sig_appgroups_build(struct sig_ruleset *rs, const struct sig_load *l)
{
	uint32_t *tmp = malloc((rs->n ? rs->n : 1) * sizeof(uint32_t));
	int rc = 0;

	if (!tmp)
		return -ENOMEM;
	for (unsigned st = 1; st < SIG_ST_MAX && !rc; st++) {
		struct sig_appgroup *ag = &rs->app[st];
		unsigned n = 0;
		for (unsigned i = 0; i < rs->n; i++)
			if (rs->rules[i]->app_rule && rs->rules[i]->stage == st)
				n++;
		if (!n)
			continue;
		ag->always = calloc(n, sizeof(uint32_t));
		if (!ag->always) {
			rc = -ENOMEM;
			break;
		}
		ag->n_rules = n;
		for (unsigned i = 0; i < rs->n; i++) {
			const struct sig_rule *r = rs->rules[i];
			const struct sig_list *fl;
			if (!r->app_rule || r->stage != st)
				continue;
			fl = r->fp ? &r->lists[r->fp_list] : NULL;
			if (!fl || r->fp_list == 0 || fl->n_xf || fl->buf >= SIG_BUF_MAX)
				ag->always[ag->n_always++] = i;
		}
		for (unsigned key = 0; key < SIG_BUF_MAX * 2 && !rc; key++) {
			unsigned k = 0;
			for (unsigned i = 0; i < rs->n; i++) {
				const struct sig_rule *r = rs->rules[i];
				const struct sig_list *fl;
				if (!r->app_rule || r->stage != st || !r->fp || r->fp_list == 0)
					continue;
				fl = &r->lists[r->fp_list];
				if (fl->n_xf || fl->buf >= SIG_BUF_MAX)
					continue;
				if ((unsigned)fl->buf * 2 + (sig_buf_info(fl->buf)->dirdep && r->to_client) != key)
					continue;
				tmp[k++] = i;
			}
			if (k)
				rc = sig_fp_compile(rs, tmp, k, &ag->db[key], l);
			ag->n_fp += k;
		}
	}
	free(tmp);
	return rc;
}

/* which packet classes a rule applies to */
static unsigned sig_rule_classes(const struct sig_rule *r)
{
	switch (r->proto) {
	case SIG_PROTO_TCP: return 1u << SIG_PC_TCP;
	case SIG_PROTO_UDP: return 1u << SIG_PC_UDP;
	case SIG_PROTO_ICMP: return 1u << SIG_PC_ICMP;
	case SIG_PROTO_TCPUDP: return 1u << SIG_PC_TCP | 1u << SIG_PC_UDP;
	default: return (1u << SIG_PC_MAX) - 1;
	}
}

struct sig_pl {
	uint16_t port;
	uint32_t rule;
};

static int sig_pl_cmp(const void *a, const void *b)
{
	const struct sig_pl *x = a, *y = b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static int sig_groups_build(struct sig_ruleset *rs, const struct sig_load *l)
{
	uint32_t *dl[SIG_PC_MAX] = { NULL }, *tmp = NULL;
	unsigned dn[SIG_PC_MAX] = { 0 }, npl[2] = { 0, 0 }, cap_pl[2] = { 0, 0 };
	struct sig_pl *pl[2] = { NULL, NULL };
	unsigned maxgroups;
	int rc = -ENOMEM;

	for (int c = 0; c < SIG_PC_MAX; c++) {
		dl[c] = malloc((rs->n ? rs->n : 1) * sizeof(uint32_t));
		if (!dl[c])
			goto out;
	}
	for (unsigned i = 0; i < rs->n; i++) {
		const struct sig_rule *r = rs->rules[i];
		unsigned cls = sig_rule_classes(r);
		uint16_t ports[SIG_GROUP_MAX_PORTS];
		int np = -1;
		if (r->app_rule)
			continue; /* evaluated per application event (sig_appgroups_build) */
		if ((r->proto == SIG_PROTO_TCP || r->proto == SIG_PROTO_UDP) && !r->bidir)
			np = sig_port_list(&r->dp, ports, SIG_GROUP_MAX_PORTS);
		if (np > 0) {
			int k = r->proto == SIG_PROTO_TCP ? 0 : 1;
			for (int j = 0; j < np; j++) {
				if (npl[k] == cap_pl[k]) {
					unsigned cap = cap_pl[k] ? cap_pl[k] * 2 : 256;
					struct sig_pl *nv = realloc(pl[k], cap * sizeof(*nv));
					if (!nv)
						goto out;
					pl[k] = nv;
					cap_pl[k] = cap;
				}
				pl[k][npl[k]].port = ports[j];
				pl[k][npl[k]].rule = i;
				npl[k]++;
			}
			continue;
		}
		for (int c = 0; c < SIG_PC_MAX; c++)
			if (cls & (1u << c))
				dl[c][dn[c]++] = i;
	}
	/* count distinct ports */
	maxgroups = SIG_PC_MAX;
	for (int k = 0; k < 2; k++) {
		if (npl[k])
			qsort(pl[k], npl[k], sizeof(*pl[k]), sig_pl_cmp);
		for (unsigned j = 0; j < npl[k]; j++)
			if (j == 0 || pl[k][j].port != pl[k][j - 1].port)
				rs->n_ports[k]++;
		maxgroups += rs->n_ports[k];
	}
	rs->groups = calloc(maxgroups, sizeof(*rs->groups));
	tmp = malloc((rs->n ? rs->n : 1) * sizeof(uint32_t));
	for (int k = 0; k < 2; k++)
		rs->ports[k] = calloc(rs->n_ports[k] ? rs->n_ports[k] : 1, sizeof(*rs->ports[k]));
	if (!rs->groups || !tmp || !rs->ports[0] || !rs->ports[1])
		goto out;
	for (int c = 0; c < SIG_PC_MAX; c++) {
		struct sig_group *g = &rs->groups[rs->n_groups++];
		rc = sig_group_build(rs, g, dl[c], dn[c], l);
		if (rc)
			goto out;
		rs->dflt[c] = g;
	}
	for (int k = 0; k < 2; k++) {
		unsigned j = 0, pi = 0;
		while (j < npl[k]) {
			uint16_t port = pl[k][j].port;
			unsigned n = 0;
			while (j < npl[k] && pl[k][j].port == port)
				tmp[n++] = pl[k][j++].rule;
			/* the port's own rules plus the class defaults */
			uint32_t *merged = malloc((n + dn[k] + 1) * sizeof(uint32_t));
			if (!merged) {
				rc = -ENOMEM;
				goto out;
			}
			memcpy(merged, tmp, n * sizeof(uint32_t));
			memcpy(merged + n, dl[k], dn[k] * sizeof(uint32_t));
			qsort(merged, n + dn[k], sizeof(uint32_t), sig_u32_cmp);
			struct sig_group *g = &rs->groups[rs->n_groups++];
			rc = sig_group_build(rs, g, merged, n + dn[k], l);
			free(merged);
			if (rc)
				goto out;
			rs->ports[k][pi].port = port;
			rs->ports[k][pi].g = g;
			pi++;
		}
	}
	rc = 0;
out:
	for (int c = 0; c < SIG_PC_MAX; c++)
		free(dl[c]);
	free(pl[0]);
	free(pl[1]);
	free(tmp);
	return rc;
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
			sig_report(l, "%s", err);
			goto fail;
		}
	}
	env.vars = &rs->vars;
	env.classes = &rs->classes;
	env.fb_names = l->fb_names;
	env.n_fb_names = l->n_fb_names;
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

unsigned sig_ruleset_candidates(const struct sig_ruleset *rs, const struct sig_group *g,
				struct sig_wscratch *ws, const uint8_t *buf, size_t len)
{
	unsigned n;

	ws->n_cand = 0;
	if (g->db && len && ws->hs)
		hs_scan(g->db, (const char *)buf, (unsigned)len, 0, ws->hs, sig_hs_hit, ws);
	for (unsigned i = 0; i < ws->n_cand; i++)
		ws->seen[ws->cand[i] / 8] = 0;
	n = ws->n_cand;
	memcpy(ws->cand + n, g->always, g->n_always * sizeof(uint32_t));
	n += g->n_always;
	if (n > 1 && ws->n_cand)
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
				hs_scan(ag->db[key], (const char *)p, (unsigned)len, 0, ws->hs, sig_hs_hit,
					ws);
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
