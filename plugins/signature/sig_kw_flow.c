/* plugins/signature/sig_kw_flow.c: flow, flowbits and stream_size keywords (parse, check, apply). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sig.h"

int sig_kw_flow(struct sig_parse *ps, const char *arg)
{
	static const struct {
		const char *name;
		uint8_t bit;
	} opts[] = { { "established", SIG_FLOW_ESTABLISHED },
		     { "not_established", SIG_FLOW_NOT_ESTABLISHED },
		     { "stateless", SIG_FLOW_STATELESS },
		     { "to_server", SIG_FLOW_TO_SERVER },
		     { "from_client", SIG_FLOW_TO_SERVER },
		     { "to_client", SIG_FLOW_TO_CLIENT },
		     { "from_server", SIG_FLOW_TO_CLIENT },
		     { "only_stream", SIG_FLOW_ONLY_STREAM },
		     { "no_stream", SIG_FLOW_NO_STREAM } };
	char buf[128], *argv[8];
	int n;
	uint8_t f = 0;

	snprintf(buf, sizeof(buf), "%s", arg);
	n = sig_split_args(buf, argv, 8);
	if (n < 1)
		return sig_err(ps, "too many options");
	for (int i = 0; i < n; i++) {
		size_t k;
		for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (!strcmp(argv[i], opts[k].name))
				break;
		if (k == sizeof(opts) / sizeof(opts[0])) {
			if (!strcmp(argv[i], "no_frag") || !strcmp(argv[i], "only_frag"))
				return sig_err(ps, "option '%s' not supported by natwarden", argv[i]);
			return sig_err(ps, "unknown option '%.30s'", argv[i]);
		}
		f |= opts[k].bit;
	}
	if ((f & SIG_FLOW_TO_SERVER) && (f & SIG_FLOW_TO_CLIENT))
		return sig_err(ps, "to_server and to_client together never match");
	if ((f & SIG_FLOW_ESTABLISHED) && (f & SIG_FLOW_NOT_ESTABLISHED))
		return sig_err(ps, "established and not_established together never match");
	if ((f & SIG_FLOW_ONLY_STREAM) && (f & SIG_FLOW_NO_STREAM))
		return sig_err(ps, "only_stream and no_stream together never match");
	ps->r->flow |= f;
	if (f & SIG_FLOW_NO_STREAM)
		ps->r->pkt_only = 1;
	return 0;
}

/* flowbits:set|unset|toggle|isset|isnotset,name[|name...]  or  flowbits:noalert.
 * A list a|b: isset holds if any is set, isnotset if any is not set (Suricata's OR);
 * set, unset and toggle act on each name. */
int sig_kw_flowbits(struct sig_parse *ps, const char *arg)
{
	static const struct {
		const char *name;
		uint8_t cmd;
	} cmds[] = { { "set", SIG_FB_SET }, { "unset", SIG_FB_UNSET }, { "toggle", SIG_FB_TOGGLE },
		     { "isset", SIG_FB_ISSET }, { "isnotset", SIG_FB_ISNOTSET },
		     { "noalert", SIG_FB_NOALERT } };
	char buf[512], *argv[3], *name, *save = NULL;
	struct sig_flowbit fb = { 0 }, *v;
	int n;
	size_t k;

	if (strlen(arg) >= sizeof(buf))
		return sig_err(ps, "argument too long");
	snprintf(buf, sizeof(buf), "%s", arg);
	n = sig_split_args(buf, argv, 3);
	if (n < 1 || n > 2)
		return sig_err(ps, "expected command[,name]");
	for (k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
		if (!strcmp(argv[0], cmds[k].name))
			break;
	if (k == sizeof(cmds) / sizeof(cmds[0]))
		return sig_err(ps, "unknown command '%.30s'", argv[0]);
	if (cmds[k].cmd == SIG_FB_NOALERT) {
		if (n != 1)
			return sig_err(ps, "noalert takes no name");
		ps->r->noalert = 1;
		return 0;
	}
	if (n != 2 || !argv[1][0])
		return sig_err(ps, "'%s' needs a name", argv[0]);
	if (strchr(argv[1], '&'))
		return sig_err(ps, "flowbit expressions with & not supported by natwarden");
	fb.cmd = cmds[k].cmd;
	for (name = strtok_r(argv[1], "|", &save); name; name = strtok_r(NULL, "|", &save)) {
		int id;
		name = sig_trim(name);
		if (!*name)
			continue;
		if (strpbrk(name, " \t"))
			return sig_err(ps, "spaces in flowbit name '%.30s'", name);
		if (fb.n == SIG_FB_OR_MAX)
			return sig_err(ps, "more than %d names in one list", SIG_FB_OR_MAX);
		id = sig_flowbit_index(ps->env, name);
		if (id < 0)
			return sig_err(ps, "too many flowbit names (at most %d)", SIG_FB_NAMES_MAX);
		fb.id[fb.n++] = (uint16_t)id;
	}
	if (!fb.n)
		return sig_err(ps, "'%s' needs a name", argv[0]);
	v = realloc(ps->r->fb, (ps->r->n_fb + 1) * sizeof(*v));
	if (!v)
		return sig_err(ps, "out of memory");
	ps->r->fb = v;
	v[ps->r->n_fb++] = fb;
	return 0;
}

static int sig_fbset_find(const struct sig_fbset *s, uint16_t id)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->id[i] == id)
			return (int)i;
	return -1;
}

/* 0 set, 1 already set, -1 the set is full */
static int sig_fbset_add(struct sig_fbset *s, uint16_t id)
{
	if (sig_fbset_find(s, id) >= 0)
		return 1;
	if (s->n >= SIG_FB_FLOW_MAX)
		return -1;
	s->id[s->n++] = id;
	return 0;
}

static void sig_fbset_del(struct sig_fbset *s, uint16_t id)
{
	int i = sig_fbset_find(s, id);

	if (i >= 0)
		s->id[i] = s->id[--s->n];
}

int sig_flowbits_check(const struct sig_mctx *m, const struct sig_rule *r)
{
	for (unsigned i = 0; i < r->n_fb; i++) {
		const struct sig_flowbit *f = &r->fb[i];
		int want = f->cmd == SIG_FB_ISSET, ok = 0;
		if (f->cmd != SIG_FB_ISSET && f->cmd != SIG_FB_ISNOTSET)
			continue;
		for (unsigned k = 0; k < f->n && !ok; k++) {
			int isset = m->flowbits && sig_fbset_find(m->flowbits, f->id[k]) >= 0;
			ok = isset == want;
		}
		if (!ok)
			return 0;
	}
	return r->n_xb ? sig_xbits_check(m, r) : 1;
}

unsigned sig_flowbits_apply(const struct sig_mctx *m, const struct sig_rule *r)
{
	unsigned lost = 0;

	if (!m->flowbits)
		return 0;
	for (unsigned i = 0; i < r->n_fb; i++) {
		const struct sig_flowbit *f = &r->fb[i];
		for (unsigned k = 0; k < f->n; k++) {
			switch (f->cmd) {
			case SIG_FB_SET:
				lost += sig_fbset_add(m->flowbits, f->id[k]) < 0;
				break;
			case SIG_FB_UNSET:
				sig_fbset_del(m->flowbits, f->id[k]);
				break;
			case SIG_FB_TOGGLE:
				if (sig_fbset_find(m->flowbits, f->id[k]) >= 0)
					sig_fbset_del(m->flowbits, f->id[k]);
				else
					lost += sig_fbset_add(m->flowbits, f->id[k]) < 0;
				break;
			default:
				break;
			}
		}
	}
	return lost;
}

int sig_kw_noalert(struct sig_parse *ps, const char *arg)
{
	ps->r->noalert = 1;
	return 0;
}

/* stream_size:client|server|both|either,op,N (op: < > = != <= >=) */
enum { SIG_SS_CLIENT = 1, SIG_SS_SERVER, SIG_SS_BOTH, SIG_SS_EITHER };
enum { SIG_SS_LT, SIG_SS_GT, SIG_SS_EQ, SIG_SS_NE, SIG_SS_LE, SIG_SS_GE };
struct sig_ssize {
	uint8_t side;
	uint8_t op;
	uint64_t n;
};

uint64_t sig_stream_size(const struct sig_stream *s, const struct nw_pkt_info *pi, int dir)
{
	uint64_t v = (uint64_t)s->syn + s->base + s->len;

	if (pi->dir == dir) {
		const uint8_t *d[2];
		size_t n[2];
		unsigned k = sig_stream_new(s, pi, d, n);
		if ((pi->tcp_flags & NW_TCP_SYN) && !s->syn)
			v++;
		for (unsigned i = 0; i < k; i++)
			v += n[i];
	}
	return v;
}

static int sig_ssize_cmp(const struct sig_ssize *z, uint64_t v)
{
	switch (z->op) {
	case SIG_SS_LT: return v < z->n;
	case SIG_SS_GT: return v > z->n;
	case SIG_SS_EQ: return v == z->n;
	case SIG_SS_NE: return v != z->n;
	case SIG_SS_LE: return v <= z->n;
	default: return v >= z->n;
	}
}

static int sig_match_stream_size(const struct sig_mctx *m, const void *ctx)
{
	const struct sig_ssize *z = ctx;
	int c, s;

	if (!m->streams || m->pi->ip_proto != 6 || m->pi->dir > 1)
		return 0;
	c = sig_ssize_cmp(z, sig_stream_size(&m->streams[NW_DIR_TO_SERVER], m->pi,
					     NW_DIR_TO_SERVER));
	s = sig_ssize_cmp(z, sig_stream_size(&m->streams[NW_DIR_TO_CLIENT], m->pi,
					     NW_DIR_TO_CLIENT));
	switch (z->side) {
	case SIG_SS_CLIENT: return c;
	case SIG_SS_SERVER: return s;
	case SIG_SS_BOTH: return c && s;
	default: return c || s;
	}
}

int sig_kw_stream_size(struct sig_parse *ps, const char *arg)
{
	static const char *const sides[] = { "client", "server", "both", "either" };
	static const char *const ops[] = { "<", ">", "=", "!=", "<=", ">=" };
	char buf[128], *argv[4];
	struct sig_ssize *z;
	long long v;
	int n;
	unsigned i, k;

	snprintf(buf, sizeof(buf), "%s", arg);
	n = sig_split_args(buf, argv, 4);
	if (n != 3)
		return sig_err(ps, "expected client|server|both|either,op,N");
	for (i = 0; i < 4 && strcmp(argv[0], sides[i]); i++)
		;
	if (i == 4)
		return sig_err(ps, "unknown side '%.30s' (client, server, both or either)", argv[0]);
	for (k = 0; k < 6 && strcmp(argv[1], ops[k]); k++)
		;
	if (k == 6)
		return sig_err(ps, "unknown operator '%.30s' (<, >, =, !=, <=, >=)", argv[1]);
	if (sig_parse_int(argv[2], 0, 0xffffffffLL, &v))
		return sig_err(ps, "bad size '%.30s' (0..4294967295)", argv[2]);
	z = calloc(1, sizeof(*z));
	if (!z)
		return sig_err(ps, "out of memory");
	z->side = (uint8_t)(i + 1);
	z->op = (uint8_t)k;
	z->n = (uint64_t)v;
	if (!sig_rule_add_nm(ps, sig_kw_find("stream_size"), z, sig_match_stream_size)) {
		free(z);
		return sig_err(ps, "out of memory");
	}
	return 0;
}
