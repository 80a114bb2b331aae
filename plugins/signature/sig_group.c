/* plugins/signature/sig_group.c: group a rule set by protocol, port and application stage and compile each group's Vectorscan prefilter. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "sig_ruleset.h"
#include "sig_app.h"

/* a rule listing more destination ports than this is grouped as if it had any port */
#define SIG_GROUP_MAX_PORTS 32
/* A fast pattern of one byte stays out of the prefilter (its rule is evaluated on every buffer
 * of its group): it matches nearly every buffer anyway, and one such literal makes Vectorscan's
 * compile of the whole database about ten times slower. */
#define SIG_FP_MIN_LEN 2
/* Merging a protocol's any-port rules into a port group compiles their patterns once more and
 * saves a second scan of each packet to that port (about 9% of the plugin's instructions per
 * packet with the benchmark's rules). Merges may add a quarter of the rule set's patterns (at
 * least SIG_MERGE_MIN), so the compile stays linear in the number of rules. */
#define SIG_MERGE_MIN 256
#define SIG_MERGE_SHARE 4

const struct sig_content *sig_rule_prefilter(const struct sig_rule *r)
{
	const struct sig_content *c = r->fp;
	size_t len;

	if (!c)
		return NULL;
	len = (c->flags & SIG_CF_FAST_SUB) ? c->fp_len : c->len;
	return len >= SIG_FP_MIN_LEN ? c : NULL;
}

static int sig_u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* compile the prefilter patterns of rules idx[0..n) (all have one) into *db */
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
		const struct sig_content *c = sig_rule_prefilter(rs->rules[idx[i]]);
		const uint8_t *src = c->pat + ((c->flags & SIG_CF_FAST_SUB) ? c->fp_off : 0);
		size_t len = (c->flags & SIG_CF_FAST_SUB) ? c->fp_len : c->len;
		/* every byte as \xHH: the literal API mistakes a leading NUL for an empty string */
		char *re = malloc(len * 4 + 1);
		if (!re)
			goto out;
		for (size_t k = 0; k < len; k++) {
			static const char hex[] = "0123456789abcdef";
			re[k * 4] = '\\';
			re[k * 4 + 1] = 'x';
			re[k * 4 + 2] = hex[src[k] >> 4];
			re[k * 4 + 3] = hex[src[k] & 15];
		}
		re[len * 4] = 0;
		pats[nfp] = re;
		flags[nfp] = HS_FLAG_SINGLEMATCH | ((c->flags & SIG_CF_NOCASE) ? HS_FLAG_CASELESS : 0);
		ids[nfp] = idx[i];
		nfp++;
	}
	if (hs_compile_multi(pats, flags, ids, nfp, HS_MODE_VECTORED, NULL, db, &cerr) != HS_SUCCESS) {
		sig_load_report(l, "prefilter compile failed: %s", cerr ? cerr->message : "?");
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
		if (sig_rule_prefilter(rs->rules[idx[i]]))
			fpidx[nfp++] = idx[i];
		else
			g->always[g->n_always++] = idx[i];
	}
	g->n_fp = nfp;
	rc = sig_fp_compile(rs, fpidx, nfp, &g->db, l);
	free(fpidx);
	return rc;
}

/* the prefilter database key of an application rule (buffer * 2 + response side), or -1 if
 * its fast pattern cannot be looked for in an application buffer as it is */
static int sig_app_key(const struct sig_rule *r)
{
	const struct sig_list *fl;

	if (!sig_rule_prefilter(r) || r->fp_list == 0)
		return -1;
	fl = &r->lists[r->fp_list];
	if (fl->n_xf || fl->buf >= SIG_BUF_MAX)
		return -1;
	return fl->buf * 2 + (sig_buf_info(fl->buf)->dirdep && r->to_client);
}

/* application rules: one group per stage, a prefilter database per buffer (and side) */
int sig_appgroups_build(struct sig_ruleset *rs, const struct sig_load *l)
{
	uint32_t *byk = malloc((rs->n ? rs->n : 1) * sizeof(uint32_t));
	unsigned cnt[SIG_BUF_MAX * 2 + 1];
	int rc = 0;

	if (!byk)
		return -ENOMEM;
	for (unsigned st = 1; st < SIG_ST_MAX && !rc; st++) {
		struct sig_appgroup *ag = &rs->app[st];
		unsigned pos[SIG_BUF_MAX * 2];
		unsigned n = 0;

		/* count by key, then lay the rules out by key (rule order kept within a key) */
		memset(cnt, 0, sizeof(cnt));
		for (unsigned i = 0; i < rs->n; i++) {
			if (!rs->rules[i]->app_rule || rs->rules[i]->stage != st)
				continue;
			cnt[sig_app_key(rs->rules[i]) + 1]++;
			n++;
		}
		if (!n)
			continue;
		ag->n_rules = n;
		ag->n_always = cnt[0];
		ag->always = calloc(cnt[0] ? cnt[0] : 1, sizeof(uint32_t));
		if (!ag->always) {
			rc = -ENOMEM;
			break;
		}
		for (unsigned key = 0, o = 0; key < SIG_BUF_MAX * 2; key++) {
			pos[key] = o;
			o += cnt[key + 1];
		}
		for (unsigned i = 0, a = 0; i < rs->n; i++) {
			int key;
			if (!rs->rules[i]->app_rule || rs->rules[i]->stage != st)
				continue;
			key = sig_app_key(rs->rules[i]);
			if (key < 0)
				ag->always[a++] = i;
			else
				byk[pos[key]++] = i;
		}
		for (unsigned key = 0, o = 0; key < SIG_BUF_MAX * 2 && !rc; key++) {
			unsigned k = cnt[key + 1];
			if (k)
				rc = sig_fp_compile(rs, byk + o, k, &ag->db[key], l);
			ag->n_fp += k;
			o += k;
		}
	}
	free(byk);
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

/* (port, rule) pairs of the rules that name their destination ports */
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

/* the rules of one port (a run in the sorted pairs); ports with the same rules share one */
struct sig_plist {
	unsigned start, n;  /* the run in the pairs */
	unsigned n_fp;      /* rules with a prefilter pattern */
	uint32_t hash;
	struct sig_group *g;
};

static uint32_t sig_run_hash(const struct sig_pl *p, unsigned n)
{
	uint32_t h = 2166136261u; /* FNV-1a over the rule indices */

	for (unsigned i = 0; i < n; i++) {
		uint32_t v = p[i].rule;
		for (int b = 0; b < 4; b++) {
			h ^= (v >> (8 * b)) & 0xff;
			h *= 16777619u;
		}
	}
	return h;
}

static int sig_run_equal(const struct sig_pl *pl, const struct sig_plist *a,
			 const struct sig_plist *b)
{
	if (a->n != b->n || a->hash != b->hash)
		return 0;
	for (unsigned i = 0; i < a->n; i++)
		if (pl[a->start + i].rule != pl[b->start + i].rule)
			return 0;
	return 1;
}

/* split pl (sorted) into the distinct rule lists of its ports: lists[], and for each port the
 * list it uses (port_list[], one per distinct port). Returns the number of lists or -ENOMEM. */
static int sig_port_lists(const struct sig_ruleset *rs, const struct sig_pl *pl, unsigned npl,
			  unsigned n_ports, struct sig_plist *lists, unsigned *port_list)
{
	unsigned cap = 16, nl = 0, pi = 0;
	unsigned *slot;

	while (cap < 2 * n_ports)
		cap *= 2;
	slot = calloc(cap, sizeof(*slot)); /* list index + 1, 0 = empty */
	if (!slot)
		return -ENOMEM;
	for (unsigned j = 0; j < npl;) {
		struct sig_plist cur = { j, 0, 0, 0, NULL };
		unsigned h;
		while (j < npl && pl[j].port == pl[cur.start].port) {
			cur.n_fp += sig_rule_prefilter(rs->rules[pl[j].rule]) != NULL;
			j++;
		}
		cur.n = j - cur.start;
		cur.hash = sig_run_hash(pl + cur.start, cur.n);
		for (h = cur.hash & (cap - 1); slot[h]; h = (h + 1) & (cap - 1))
			if (sig_run_equal(pl, &lists[slot[h] - 1], &cur))
				break;
		if (!slot[h]) {
			lists[nl] = cur;
			slot[h] = ++nl;
		}
		port_list[pi++] = slot[h] - 1;
	}
	free(slot);
	return (int)nl;
}

/* merge order: lists with more rules first (their ports see the most traffic), then by port */
static int sig_list_cmp(const void *a, const void *b, void *lists)
{
	const struct sig_plist *x = (const struct sig_plist *)lists + *(const unsigned *)a;
	const struct sig_plist *y = (const struct sig_plist *)lists + *(const unsigned *)b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* the groups of one port class k (tcp or udp); the class default group dflt is built */
static int sig_port_groups_build(struct sig_ruleset *rs, int k, const struct sig_pl *pl,
				 unsigned npl, const uint32_t *dl, unsigned dn, unsigned *budget,
				 const struct sig_load *l)
{
	const struct sig_group *dflt = rs->dflt[k];
	struct sig_plist *lists = calloc(rs->n_ports[k] ? rs->n_ports[k] : 1, sizeof(*lists));
	unsigned *port_list = calloc(rs->n_ports[k] ? rs->n_ports[k] : 1, sizeof(unsigned));
	unsigned *order = NULL;
	uint32_t *idx = NULL;
	int nl, rc = -ENOMEM;

	if (!lists || !port_list)
		goto out;
	nl = sig_port_lists(rs, pl, npl, rs->n_ports[k], lists, port_list);
	if (nl < 0)
		goto out;
	order = calloc((unsigned)nl + 1, sizeof(*order));
	idx = malloc(((size_t)npl + dn + 1) * sizeof(uint32_t));
	if (!order || !idx)
		goto out;
	for (int i = 0; i < nl; i++)
		order[i] = (unsigned)i;
	qsort_r(order, (size_t)nl, sizeof(*order), sig_list_cmp, lists);
	for (int o = 0; o < nl; o++) {
		struct sig_plist *pt = &lists[order[o]];
		struct sig_group *g = &rs->groups[rs->n_groups++];
		int merge = dflt->n_fp <= *budget;
		unsigned n = pt->n;

		for (unsigned i = 0; i < n; i++)
			idx[i] = pl[pt->start + i].rule;
		if (merge) {
			/* the port's rules and the class defaults in one database */
			*budget -= dflt->n_fp;
			memcpy(idx + n, dl, dn * sizeof(uint32_t));
			n += dn;
			qsort(idx, n, sizeof(uint32_t), sig_u32_cmp);
		}
		rc = sig_group_build(rs, g, idx, n, l);
		if (rc)
			goto out;
		/* otherwise packets to the port are scanned with the class default group too */
		g->also = merge ? NULL : dflt;
		pt->g = g;
	}
	for (unsigned pi = 0, j = 0; pi < rs->n_ports[k]; pi++) {
		rs->ports[k][pi].port = pl[j].port;
		rs->ports[k][pi].g = lists[port_list[pi]].g;
		while (j < npl && pl[j].port == rs->ports[k][pi].port)
			j++;
	}
	rc = 0;
out:
	free(lists);
	free(port_list);
	free(order);
	free(idx);
	return rc;
}

int sig_groups_build(struct sig_ruleset *rs, const struct sig_load *l)
{
	uint32_t *dl[SIG_PC_MAX] = { NULL };
	unsigned dn[SIG_PC_MAX] = { 0 }, npl[2] = { 0, 0 }, cap_pl[2] = { 0, 0 };
	struct sig_pl *pl[2] = { NULL, NULL };
	unsigned maxgroups, budget, n_fp = 0;
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
		n_fp += sig_rule_prefilter(r) != NULL;
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
	for (int k = 0; k < 2; k++)
		rs->ports[k] = calloc(rs->n_ports[k] ? rs->n_ports[k] : 1, sizeof(*rs->ports[k]));
	if (!rs->groups || !rs->ports[0] || !rs->ports[1])
		goto out;
	for (int c = 0; c < SIG_PC_MAX; c++) {
		struct sig_group *g = &rs->groups[rs->n_groups++];
		rc = sig_group_build(rs, g, dl[c], dn[c], l);
		if (rc)
			goto out;
		rs->dflt[c] = g;
	}
	budget = n_fp / SIG_MERGE_SHARE > SIG_MERGE_MIN ? n_fp / SIG_MERGE_SHARE : SIG_MERGE_MIN;
	if (l->merge_budget)
		budget = l->merge_budget;
	for (int k = 0; k < 2; k++) {
		rc = sig_port_groups_build(rs, k, pl[k], npl[k], dl[k], dn[k], &budget, l);
		if (rc)
			goto out;
	}
	rc = 0;
out:
	for (int c = 0; c < SIG_PC_MAX; c++)
		free(dl[c]);
	free(pl[0]);
	free(pl[1]);
	return rc;
}
