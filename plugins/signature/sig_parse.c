/* plugins/signature/sig_parse.c: one rule line -> struct sig_rule (header, option dispatch, checks). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sig_app.h"

static int sig_action_parse(const char *s, uint8_t *out)
{
	static const struct {
		const char *name;
		uint8_t act;
	} acts[] = { { "alert", SIG_ACT_ALERT }, { "drop", SIG_ACT_DROP }, { "reject", SIG_ACT_REJECT },
		     { "rejectsrc", SIG_ACT_REJECT }, { "rejectdst", SIG_ACT_REJECT },
		     { "rejectboth", SIG_ACT_REJECT }, { "sdrop", SIG_ACT_DROP },
		     { "pass", SIG_ACT_PASS } };

	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		if (!strcmp(s, acts[i].name)) {
			*out = acts[i].act;
			return 0;
		}
	}
	return -1;
}

static int sig_proto_parse(const char *s, uint8_t *out, uint8_t *app)
{
	*app = SIG_APP_NONE;
	if (!strcmp(s, "http") || !strcmp(s, "http1")) {
		*out = SIG_PROTO_TCP;
		*app = SIG_APP_HTTP;
	} else if (!strcmp(s, "tls")) {
		*out = SIG_PROTO_TCP;
		*app = SIG_APP_TLS;
	} else if (!strcmp(s, "dns")) {
		*out = SIG_PROTO_TCPUDP;
		*app = SIG_APP_DNS;
	} else if (!strcmp(s, "smtp")) {
		*out = SIG_PROTO_TCP;
		*app = SIG_APP_SMTP;
	} else if (!strcmp(s, "ftp")) {
		*out = SIG_PROTO_TCP;
		*app = SIG_APP_FTP;
	} else if (!strcmp(s, "smb")) {
		*out = SIG_PROTO_TCP;
		*app = SIG_APP_SMB;
	} else if (!strcmp(s, "ip") || !strcmp(s, "ipv4") || !strcmp(s, "ipv6") || !strcmp(s, "pkthdr"))
		*out = SIG_PROTO_IP;
	else if (!strcmp(s, "tcp") || !strcmp(s, "tcp-pkt") || !strcmp(s, "tcp-stream"))
		*out = SIG_PROTO_TCP;
	else if (!strcmp(s, "udp"))
		*out = SIG_PROTO_UDP;
	else if (!strcmp(s, "icmp") || !strcmp(s, "icmpv4") || !strcmp(s, "icmpv6"))
		*out = SIG_PROTO_ICMP;
	else
		return -1;
	return 0;
}

/* split the header into blank-separated tokens, keeping [..] lists whole */
static int sig_header_tokens(char *h, char **tok, int max)
{
	int n = 0;
	char *p = h;

	for (;;) {
		int depth = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (n == max)
			return -1;
		tok[n++] = p;
		while (*p && (depth || (*p != ' ' && *p != '\t'))) {
			if (*p == '[')
				depth++;
			else if (*p == ']' && depth)
				depth--;
			p++;
		}
		if (*p)
			*p++ = 0;
	}
	return n;
}

uint32_t sig_rule_peek_sid(const char *line)
{
	const char *p = strchr(line, '(');

	while (p && (p = strstr(p, "sid")) != NULL) {
		const char *q = p + 3;
		int boundary = p[-1] == ';' || p[-1] == ' ' || p[-1] == '(' || p[-1] == '\t';
		while (*q == ' ' || *q == '\t')
			q++;
		if (boundary && *q == ':') {
			unsigned long v = strtoul(q + 1, NULL, 10);
			return v > 0xffffffffUL ? 0 : (uint32_t)v;
		}
		p += 3;
	}
	return 0;
}

/* pick the fast pattern: the one marked fast_pattern, else the longest plain content (not in
 * a transformed buffer: the prefilter scans buffers as they are) */
static void sig_pick_fast_pattern(struct sig_rule *r)
{
	struct sig_content *best = NULL;
	unsigned best_list = 0;

	for (unsigned i = 0; i < r->n_pm; i++) {
		struct sig_content *c;
		if (r->pm[i].type != SIG_SM_CONTENT)
			continue;
		c = r->pm[i].ctx;
		if (c->flags & SIG_CF_NEGATED)
			continue;
		if (c->flags & SIG_CF_FAST) {
			best = c;
			best_list = r->pm[i].list;
			break;
		}
		if (r->lists[r->pm[i].list].n_xf)
			continue;
		if (!best || c->len > best->len) {
			best = c;
			best_list = r->pm[i].list;
		}
	}
	r->fp = best;
	r->fp_list = (uint8_t)best_list;
}

/* order the matches by list (stable) and work out what the application lists need */
static int sig_finalize_lists(struct sig_parse *ps)
{
	struct sig_rule *r = ps->r;
	struct sig_sm *sorted;
	unsigned o = 0;

	if (r->n_pm) {
		sorted = malloc(r->n_pm * sizeof(*sorted));
		if (!sorted)
			return sig_err(ps, "out of memory");
		for (unsigned li = 0; li < r->n_lists; li++) {
			r->lists[li].start = o;
			r->lists[li].n = 0;
			for (unsigned i = 0; i < r->n_pm; i++) {
				if (r->pm[i].list != li)
					continue;
				sorted[o++] = r->pm[i];
				r->lists[li].n++;
			}
		}
		free(r->pm);
		r->pm = sorted;
	}
	r->to_client = (r->flow & SIG_FLOW_TO_CLIENT) ? 1 : 0;
	for (unsigned li = 1; li < r->n_lists; li++) {
		const struct sig_list *l = &r->lists[li];
		uint8_t app, st;
		if (l->buf == SIG_BUF_MAX) {
			for (unsigned i = l->start; i < l->start + l->n; i++) {
				const struct sig_appval_ctx *v = r->pm[i].ctx;
				switch (v->field) {
				case SIG_AV_URILEN: case SIG_AV_URILEN_RAW: case SIG_AV_HTTP_EVENTS:
					app = SIG_APP_HTTP; st = SIG_ST_REQ_HEADERS; break;
				case SIG_AV_TLS_VERSION:
					app = SIG_APP_TLS; st = r->to_client ? SIG_ST_TLS_SH : SIG_ST_TLS_CH; break;
				default:
					app = SIG_APP_DNS; st = SIG_ST_DNS; break;
				}
				if (r->app >= SIG_APP_SMTP && r->app <= SIG_APP_SMB)
					return sig_err(ps, "keyword '%s': not supported by natwarden on %s "
						       "(detected, not parsed)",
						       r->pm[i].kw ? r->pm[i].kw->name : "?",
						       sig_app_proto_name(r->app));
				if (r->app && r->app != app)
					return sig_err(ps, "keyword '%s': not a %s keyword",
						       r->pm[i].kw ? r->pm[i].kw->name : "?",
						       r->app == SIG_APP_HTTP ? "http" : r->app == SIG_APP_DNS ? "dns" : "tls");
				r->app = app;
				if (st > r->stage)
					r->stage = st;
			}
		} else {
			const struct sig_bufinfo *bi = sig_buf_info(l->buf);
			app = bi->app;
			st = (bi->dirdep && r->to_client) ? bi->stage_resp : bi->stage_req;
			if (r->app >= SIG_APP_SMTP && r->app <= SIG_APP_SMB)
				return sig_err(ps, "keyword '%s': not supported by natwarden on %s "
					       "(detected, not parsed: no %s buffers)",
					       bi->name, sig_app_proto_name(r->app), sig_app_proto_name(r->app));
			if (r->app && r->app != app)
				return sig_err(ps, "keyword '%s': buffer of another protocol than the rule's",
					       bi->name);
			r->app = app;
			if (st > r->stage)
				r->stage = st;
		}
		if (l->n)
			r->app_rule = 1;
	}
	if (r->app_rule && r->app == SIG_APP_HTTP && r->to_client && r->stage < SIG_ST_RESP_HEADERS)
		r->stage = SIG_ST_RESP_HEADERS;
	if (r->app_rule && r->app == SIG_APP_TLS && r->to_client && r->stage < SIG_ST_TLS_SH)
		r->stage = SIG_ST_TLS_SH;
	return 0;
}

static int sig_options_parse(struct sig_parse *ps, char *opts)
{
	char *p = opts;

	for (;;) {
		char name[64], *val = NULL;
		size_t n = 0;
		const struct sig_kw *kw;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		while (*p && *p != ':' && *p != ';' && *p != ' ' && *p != '\t') {
			if (n + 1 >= sizeof(name))
				return sig_err(ps, "keyword '%.20s...': name too long", name);
			name[n++] = *p++;
		}
		name[n] = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!n)
			return sig_err(ps, "syntax error near '%.20s'", p);
		if (*p == ':') {
			char *w;
			val = ++p;
			w = p;
			/* value ends at the first ';' not escaped by a backslash */
			while (*p && *p != ';') {
				if (*p == '\\' && p[1])
					*w++ = *p++;
				*w++ = *p++;
			}
			if (!*p)
				return sig_err(ps, "keyword '%s': missing ';' after the value", name);
			*w = 0;
			p++;
			val = sig_trim(val);
		} else if (*p == ';') {
			p++;
		} else {
			return sig_err(ps, "keyword '%s': expected ':' or ';'", name);
		}

		kw = sig_kw_find(name);
		if (kw) {
			char *saved = ps->err;
			if ((kw->flags & SIG_KW_NOARG) && val && *val)
				return sig_err(ps, "keyword '%s': takes no value", name);
			if (!(kw->flags & (SIG_KW_NOARG | SIG_KW_OPTARG)) && (!val || !*val))
				return sig_err(ps, "keyword '%s': needs a value", name);
			/* setup writes the bare message; prefix it with the keyword */
			char msg[SIG_ERRLEN];
			ps->err = msg;
			msg[0] = 0;
			ps->cur_kw = kw;
			int rc = kw->setup(ps, val);
			ps->err = saved;
			if (rc)
				return sig_err(ps, "keyword '%s': %s", name, msg);
			ps->prev_kw = kw->name;
			continue;
		}
		if (ps->env && ps->env->ext_find) {
			void *ppriv = NULL;
			const struct nw_keyword *ext = ps->env->ext_find(name, &ppriv);
			if (ext) {
				char msg[SIG_ERRLEN] = "";
				void *ctx = NULL;
				if (ext->parse && ext->parse(ppriv, val, &ctx, msg, sizeof(msg)) < 0)
					return sig_err(ps, "keyword '%s': %s", name,
						       msg[0] ? msg : "bad value");
				/* a packet keyword is tested with the header tests (flags, ttl),
				 * with or without payload; others inspect the payload list */
				struct sig_sm *sm = (ext->flags & NW_KW_PACKET)
					? sig_rule_add_nm(ps, NULL, ctx, NULL)
					: sig_rule_add_pm(ps, SIG_SM_EXT, NULL, ctx);
				if (!sm) {
					if (ext->free && ctx)
						ext->free(ctx);
					return sig_err(ps, "keyword '%s': out of memory", name);
				}
				sm->type = SIG_SM_EXT;
				sm->ext = ext;
				sm->ext_priv = ppriv;
				ps->prev_kw = ext->name;
				continue;
			}
		}
		if (sig_kw_is_suricata(name))
			return sig_err(ps, "keyword '%s': not supported by natwarden", name);
		return sig_err(ps, "keyword '%s': unknown keyword", name);
	}
	return 0;
}

int sig_rule_parse(const struct sig_env *env, const char *line, struct sig_rule **out, char *err,
		   size_t errlen)
{
	struct sig_parse ps = { .env = env, .err = err, .errlen = errlen, .last_cpm = -1 };
	char *copy = NULL, *s, *open, *close, *tok[8];
	struct sig_rule *r = NULL;
	int n, rc = -1;

	*out = NULL;
	err[0] = 0;
	copy = strdup(line);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s = sig_trim(copy);
	if (!*s || *s == '#') {
		free(copy);
		return 1;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r->gid = 1;
	r->n_lists = 1; /* [0]: the payload */
	ps.r = r;
	open = strchr(s, '(');
	close = strrchr(s, ')');
	if (!open || !close || close < open) {
		sig_err(&ps, "header: no '(' ... ')' option block");
		goto out;
	}
	if (*sig_trim(close + 1)) {
		sig_err(&ps, "header: text after the closing ')'");
		goto out;
	}
	*open = 0;
	*close = 0;
	n = sig_header_tokens(s, tok, 8);
	if (n != 7) {
		sig_err(&ps, "header: expected 'action proto src sport -> dst dport', got %d fields",
			n);
		goto out;
	}
	if (sig_action_parse(tok[0], &r->action)) {
		sig_err(&ps, "header: unknown action '%s'", tok[0]);
		goto out;
	}
	if (sig_proto_parse(tok[1], &r->proto, &r->app)) {
		sig_err(&ps, "header: protocol '%s' not supported by natwarden (use ip, tcp, udp, icmp, http, dns, tls, smtp, ftp or smb)",
			tok[1]);
		goto out;
	}
	{
		char m[SIG_ERRLEN - 40];
		if (sig_addr_parse(env ? env->vars : NULL, tok[2], &r->src, m, sizeof(m))) {
			sig_err(&ps, "header: source address: %s", m);
			goto out;
		}
		if (sig_port_parse(env ? env->vars : NULL, tok[3], &r->sp, m, sizeof(m))) {
			sig_err(&ps, "header: source port: %s", m);
			goto out;
		}
		if (!strcmp(tok[4], "<>"))
			r->bidir = 1;
		else if (strcmp(tok[4], "->")) {
			sig_err(&ps, "header: bad direction '%s' (use -> or <>)", tok[4]);
			goto out;
		}
		if (sig_addr_parse(env ? env->vars : NULL, tok[5], &r->dst, m, sizeof(m))) {
			sig_err(&ps, "header: destination address: %s", m);
			goto out;
		}
		if (sig_port_parse(env ? env->vars : NULL, tok[6], &r->dp, m, sizeof(m))) {
			sig_err(&ps, "header: destination port: %s", m);
			goto out;
		}
	}
	if (r->proto == SIG_PROTO_IP && r->app == SIG_APP_NONE &&
	    (r->sp.type != SIG_AN_ANY || r->dp.type != SIG_AN_ANY)) {
		sig_err(&ps, "header: ports need protocol tcp or udp");
		goto out;
	}
	if ((r->proto == SIG_PROTO_ICMP) &&
	    (r->sp.type != SIG_AN_ANY || r->dp.type != SIG_AN_ANY)) {
		sig_err(&ps, "header: ports need protocol tcp or udp");
		goto out;
	}
	if (sig_options_parse(&ps, open + 1))
		goto out;
	if (!r->sid) {
		sig_err(&ps, "keyword 'sid': missing (every rule needs a sid)");
		goto out;
	}
	if (!r->has_prio)
		r->prio = r->cls ? r->cls->prio : 3;
	if (sig_finalize_lists(&ps))
		goto out;
	sig_pick_fast_pattern(r);
	rc = 0;
out:
	free(copy);
	if (rc) {
		if (r)
			sig_rule_free(r);
	} else {
		*out = r;
	}
	return rc;
}

void sig_rule_free(struct sig_rule *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < r->n_pm + r->n_nm; i++) {
		struct sig_sm *sm = i < r->n_pm ? &r->pm[i] : &r->nm[i - r->n_pm];
		if (sm->type == SIG_SM_EXT) {
			if (sm->ext && sm->ext->free && sm->ctx)
				sm->ext->free(sm->ctx);
		} else if (sm->kw && sm->kw->free) {
			sm->kw->free(sm->ctx);
		}
	}
	for (unsigned i = 0; i < r->n_lists; i++)
		for (unsigned k = 0; k < r->lists[i].n_xf; k++)
			pcre2_code_free(r->lists[i].xf_re[k]);
	free(r->pm);
	free(r->nm);
	free(r->fb);
	free(r->xb);
	sig_anode_free(&r->src);
	sig_anode_free(&r->dst);
	sig_pnode_free(&r->sp);
	sig_pnode_free(&r->dp);
	free(r->msg);
	free(r->classtype);
	free(r->refs);
	free(r->metadata);
	free(r->file);
	free(r);
}

struct sig_sm *sig_rule_add_pm(struct sig_parse *ps, uint8_t type, const struct sig_kw *kw,
			       void *ctx)
{
	struct sig_rule *r = ps->r;
	struct sig_sm *v = realloc(r->pm, (r->n_pm + 1) * sizeof(*v));

	if (!v)
		return NULL;
	r->pm = v;
	v = &r->pm[r->n_pm++];
	memset(v, 0, sizeof(*v));
	v->type = type;
	v->kw = kw;
	v->ctx = ctx;
	v->list = (uint8_t)(ps->cur_list > 0 ? ps->cur_list : 0);
	/* Other matches (bsize, pcre, byte_test, ...) leave the content modifiers' target alone,
	 * as in Suricata: `content:"x"; bsize:5; fast_pattern;` modifies "x". A sticky buffer
	 * resets it (sig_kw_sticky). */
	return v;
}

struct sig_sm *sig_rule_add_nm(struct sig_parse *ps, const struct sig_kw *kw, void *ctx,
			       int (*match)(const struct sig_mctx *, const void *))
{
	struct sig_rule *r = ps->r;
	struct sig_sm *v = realloc(r->nm, (r->n_nm + 1) * sizeof(*v));

	if (!v)
		return NULL;
	r->nm = v;
	v = &r->nm[r->n_nm++];
	memset(v, 0, sizeof(*v));
	v->type = SIG_SM_PKT;
	v->kw = kw;
	v->ctx = ctx;
	v->match = match;
	return v;
}

int sig_names_intern(struct sig_names *ns, const char *name, unsigned max)
{
	unsigned i;

	for (i = 0; i < ns->n; i++)
		if (!strcmp(ns->v[i], name))
			return (int)i;
	if (ns->n >= max)
		return -1;
	if (ns->n == ns->cap) {
		unsigned cap = ns->cap ? ns->cap * 2 : 64;
		char **v = realloc(ns->v, cap * sizeof(*v));
		if (!v)
			return -1;
		ns->v = v;
		ns->cap = cap;
	}
	ns->v[ns->n] = strdup(name);
	if (!ns->v[ns->n])
		return -1;
	return (int)ns->n++;
}

void sig_names_free(struct sig_names *ns)
{
	for (unsigned i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	memset(ns, 0, sizeof(*ns));
}

int sig_flowbit_index(const struct sig_env *env, const char *name)
{
	if (!env || !env->fb_names)
		return -1;
	return sig_names_intern(env->fb_names, name, SIG_FB_NAMES_MAX);
}
