/* plugins/signature/sig_kw_flow.c: flow and flowbits keywords (parse, check, apply). */
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

/* flowbits:set|unset|toggle|isset|isnotset,name  or  flowbits:noalert */
int sig_kw_flowbits(struct sig_parse *ps, const char *arg)
{
	static const struct {
		const char *name;
		uint8_t cmd;
	} cmds[] = { { "set", SIG_FB_SET }, { "unset", SIG_FB_UNSET }, { "toggle", SIG_FB_TOGGLE },
		     { "isset", SIG_FB_ISSET }, { "isnotset", SIG_FB_ISNOTSET },
		     { "noalert", SIG_FB_NOALERT } };
	char buf[128], *argv[3];
	struct sig_flowbit *v;
	int n, bit = 0;
	size_t k;

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
	if (strpbrk(argv[1], "|&"))
		return sig_err(ps, "flowbit expressions with | or & not supported by natwarden");
	bit = sig_flowbit_index(ps->env, argv[1]);
	if (bit < 0)
		return sig_err(ps, "too many flowbit names (at most %d)", SIG_MAX_FLOWBITS);
	v = realloc(ps->r->fb, (ps->r->n_fb + 1) * sizeof(*v));
	if (!v)
		return sig_err(ps, "out of memory");
	ps->r->fb = v;
	v[ps->r->n_fb].cmd = cmds[k].cmd;
	v[ps->r->n_fb].bit = (uint16_t)bit;
	ps->r->n_fb++;
	return 0;
}

int sig_flowbits_check(const struct sig_mctx *m, const struct sig_rule *r)
{
	for (unsigned i = 0; i < r->n_fb; i++) {
		const struct sig_flowbit *f = &r->fb[i];
		int isset;
		if (f->cmd != SIG_FB_ISSET && f->cmd != SIG_FB_ISNOTSET)
			continue;
		isset = m->flowbits && (m->flowbits[f->bit / 8] & (1u << (f->bit % 8)));
		if ((f->cmd == SIG_FB_ISSET) != !!isset)
			return 0;
	}
	return 1;
}

void sig_flowbits_apply(const struct sig_mctx *m, const struct sig_rule *r)
{
	if (!m->flowbits)
		return;
	for (unsigned i = 0; i < r->n_fb; i++) {
		const struct sig_flowbit *f = &r->fb[i];
		uint8_t mask = (uint8_t)(1u << (f->bit % 8));
		switch (f->cmd) {
		case SIG_FB_SET: m->flowbits[f->bit / 8] |= mask; break;
		case SIG_FB_UNSET: m->flowbits[f->bit / 8] &= (uint8_t)~mask; break;
		case SIG_FB_TOGGLE: m->flowbits[f->bit / 8] ^= mask; break;
		default: break;
		}
	}
}

int sig_kw_noalert(struct sig_parse *ps, const char *arg)
{
	ps->r->noalert = 1;
	return 0;
}
