/* plugins/signature/signature.c: the signature plugin: config, rule loading (check), packet hook, reload. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sig_ruleset.h"

static const struct nw_services *svc;

#define SIG_ACTBIT(a) (1u << (a))

struct sig_conf {
	char **rules;               /* resolved rule file paths */
	unsigned n_rules;
	char *classification;       /* resolved path or NULL */
	int strict;                 /* a bad rule fails check/reload */
	int payload_printable;      /* alerts carry the payload */
	int overlap_drop;           /* drop TCP segments rewriting seen bytes differently */
	char jail[32];              /* offense jail ("" = no offenses) */
	uint32_t *off_sids;
	unsigned n_off_sids;
	char **off_classes;
	unsigned n_off_classes;
	unsigned off_actions;       /* SIG_ACTBIT(action) */
	struct sig_vars vars;
};

struct sig_priv {
	nw_plugin *self;
	_Atomic(struct sig_ruleset *) rs;
	struct sig_conf conf;
	char *fb_names[SIG_MAX_FLOWBITS]; /* flowbit names, stable across reloads */
	unsigned n_fb_names;
	struct sig_thr_table thr;
	_Atomic uint64_t workers;           /* bit per started worker */
	pcre2_match_context *mc;
	unsigned c_alerts, c_drops, c_rejects, c_passes, c_overlap, c_ooo, c_noscratch,
		c_offenses;
	unsigned g_rules, g_bad;
	unsigned reason_rule;
	unsigned bad_reported;
};

struct sig_wpriv {
	unsigned id;
	pcre2_match_data *md;
	uint8_t *sbuf;
};

/* ---- configuration ---- */

static void sig_conf_free(struct sig_conf *c)
{
	for (unsigned i = 0; i < c->n_rules; i++)
		free(c->rules[i]);
	free(c->rules);
	free(c->classification);
	free(c->off_sids);
	for (unsigned i = 0; i < c->n_off_classes; i++)
		free(c->off_classes[i]);
	free(c->off_classes);
	sig_vars_free(&c->vars);
	memset(c, 0, sizeof(*c));
}

/* relative paths: against the config file's directory, else the working directory */
static char *sig_resolve(const nw_config *cfg, const char *path)
{
	const char *cp = svc->conf_path ? svc->conf_path(cfg) : NULL;
	char buf[PATH_MAX], *abs;

	if (path[0] == '/')
		return strdup(path);
	if (cp && strchr(cp, '/')) {
		int n = snprintf(buf, sizeof(buf), "%.*s/%s", (int)(strrchr(cp, '/') - cp), cp, path);
		if (n > 0 && (size_t)n < sizeof(buf) && access(buf, R_OK) == 0)
			return strdup(buf);
	}
	abs = realpath(path, NULL);
	if (abs)
		return abs;
	if (cp && strchr(cp, '/')) {
		int n = snprintf(buf, sizeof(buf), "%.*s/%s", (int)(strrchr(cp, '/') - cp), cp, path);
		if (n > 0 && (size_t)n < sizeof(buf))
			return strdup(buf);
	}
	return strdup(path);
}

static int sig_bool(const char *v, int *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

static int sig_is_var_name(const char *k)
{
	if (!*k || !(k[0] >= 'A' && k[0] <= 'Z'))
		return 0;
	for (; *k; k++)
		if (!((*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') || *k == '_'))
			return 0;
	return 1;
}

/* split a blank-separated list into words (modifies s) */
static int sig_words(char *s, char **w, int max)
{
	int n = 0;

	for (char *t = strtok(s, " \t,"); t; t = strtok(NULL, " \t,")) {
		if (n == max)
			return -1;
		w[n++] = t;
	}
	return n;
}

static int sig_conf_parse(const nw_config *cfg, const nw_section *sec, struct sig_conf *c)
{
	const char *key, *val, *rules_val = NULL;
	unsigned line, rules_line = 0;
	int err = 0;

	memset(c, 0, sizeof(*c));
	if (sig_vars_defaults(&c->vars))
		return -ENOMEM;
	for (unsigned i = 0; sec && (key = svc->conf_kv(sec, i, &val, &line)) != NULL; i++) {
		char buf[1024], *w[256];
		int n;

		if (strlen(val) >= sizeof(buf)) {
			err = svc->conf_error(cfg, sec, line, "%s: value too long", key);
			continue;
		}
		strcpy(buf, val);
		if (!strcmp(key, "rules")) {
			rules_val = val; /* the last one wins (--set / -S override) */
			rules_line = line;
		} else if (!strcmp(key, "classification")) {
			free(c->classification);
			c->classification = sig_resolve(cfg, val);
		} else if (!strcmp(key, "strict")) {
			if (sig_bool(val, &c->strict))
				err = svc->conf_error(cfg, sec, line, "strict: expected yes or no");
		} else if (!strcmp(key, "payload-printable")) {
			if (sig_bool(val, &c->payload_printable))
				err = svc->conf_error(cfg, sec, line,
						      "payload-printable: expected yes or no");
		} else if (!strcmp(key, "stream-overlap-drop")) {
			if (sig_bool(val, &c->overlap_drop))
				err = svc->conf_error(cfg, sec, line,
						      "stream-overlap-drop: expected yes or no");
		} else if (!strcmp(key, "offense-jail")) {
			if (strlen(val) >= sizeof(c->jail) || !*val)
				err = svc->conf_error(cfg, sec, line, "offense-jail: 1..31 characters");
			else
				strcpy(c->jail, val);
		} else if (!strcmp(key, "offense-sids")) {
			n = sig_words(buf, w, 256);
			free(c->off_sids);
			c->off_sids = calloc(n > 0 ? (size_t)n : 1, sizeof(uint32_t));
			c->n_off_sids = 0;
			if (n < 0 || !c->off_sids) {
				err = svc->conf_error(cfg, sec, line, "offense-sids: at most 256 sids");
				continue;
			}
			for (int k = 0; k < n; k++) {
				long long v;
				if (sig_parse_int(w[k], 1, 0xffffffffLL, &v)) {
					err = svc->conf_error(cfg, sec, line,
							      "offense-sids: '%s' is not a sid", w[k]);
					break;
				}
				c->off_sids[c->n_off_sids++] = (uint32_t)v;
			}
		} else if (!strcmp(key, "offense-classtypes")) {
			n = sig_words(buf, w, 256);
			if (n < 0) {
				err = svc->conf_error(cfg, sec, line, "offense-classtypes: too many");
				continue;
			}
			for (unsigned k = 0; k < c->n_off_classes; k++)
				free(c->off_classes[k]);
			free(c->off_classes);
			c->off_classes = calloc(n > 0 ? (size_t)n : 1, sizeof(char *));
			c->n_off_classes = 0;
			if (!c->off_classes)
				return -ENOMEM;
			for (int k = 0; k < n; k++)
				if ((c->off_classes[c->n_off_classes] = strdup(w[k])) != NULL)
					c->n_off_classes++;
		} else if (!strcmp(key, "offense-actions")) {
			n = sig_words(buf, w, 8);
			c->off_actions = 0;
			for (int k = 0; k < n; k++) {
				if (!strcmp(w[k], "alert"))
					c->off_actions |= SIG_ACTBIT(SIG_ACT_ALERT);
				else if (!strcmp(w[k], "drop"))
					c->off_actions |= SIG_ACTBIT(SIG_ACT_DROP);
				else if (!strcmp(w[k], "reject"))
					c->off_actions |= SIG_ACTBIT(SIG_ACT_REJECT);
				else
					err = svc->conf_error(cfg, sec, line,
							      "offense-actions: '%s' is not alert, drop or reject",
							      w[k]);
			}
		} else if (sig_is_var_name(key)) {
			/* HOME_NET = [...]: an address or port group, checked below */
			if (sig_vars_set(&c->vars, key, val))
				return -ENOMEM;
		} else {
			err = svc->conf_error(cfg, sec, line, "unknown key '%s'", key);
		}
	}
	/* validate variables once all are known (they may refer to each other) */
	for (unsigned i = 0; i < c->vars.n; i++) {
		struct sig_anode a;
		struct sig_pnode p;
		char m[200], m2[200];
		if (sig_addr_parse(&c->vars, c->vars.v[i].value, &a, m, sizeof(m)) == 0) {
			sig_anode_free(&a);
			continue;
		}
		if (sig_port_parse(&c->vars, c->vars.v[i].value, &p, m2, sizeof(m2)) == 0) {
			sig_pnode_free(&p);
			continue;
		}
		err = svc->conf_error(cfg, sec, 0, "%s: neither an address group (%s) nor a port group (%s)",
				      c->vars.v[i].name, m, m2);
	}
	if (rules_val) {
		char buf[1024], *w[64];
		int n;
		snprintf(buf, sizeof(buf), "%s", rules_val);
		n = sig_words(buf, w, 64);
		if (n < 0) {
			err = svc->conf_error(cfg, sec, rules_line, "rules: at most 64 files");
		} else {
			c->rules = calloc(n > 0 ? (size_t)n : 1, sizeof(char *));
			if (!c->rules)
				return -ENOMEM;
			for (int k = 0; k < n; k++)
				if ((c->rules[c->n_rules] = sig_resolve(cfg, w[k])) != NULL)
					c->n_rules++;
		}
	} else {
#ifdef NW_DATA_DIR
		const char *dflt = NW_DATA_DIR "/rules/natwarden.rules";
		if (access(dflt, R_OK) == 0) {
			c->rules = calloc(1, sizeof(char *));
			if (c->rules && (c->rules[0] = strdup(dflt)) != NULL)
				c->n_rules = 1;
		}
#endif
	}
	if (!c->classification && c->n_rules) {
		/* classification.config next to the first rule file, if there is one */
		char buf[PATH_MAX];
		const char *slash = strrchr(c->rules[0], '/');
		int n = slash ? snprintf(buf, sizeof(buf), "%.*s/classification.config",
					 (int)(slash - c->rules[0]), c->rules[0])
			      : snprintf(buf, sizeof(buf), "classification.config");
		if (n > 0 && (size_t)n < sizeof(buf) && access(buf, R_OK) == 0)
			c->classification = strdup(buf);
	}
	return err ? -EINVAL : 0;
}

/* ---- loading ---- */

struct sig_errctx {
	struct sig_priv *p;
	unsigned n;
};

static void sig_load_error(void *opaque, const char *msg)
{
	struct sig_errctx *e = opaque;

	e->n++;
	svc->log(e->p->self, NW_LOG_ERR, "%s", msg);
}

static const struct nw_keyword *sig_ext_find(const char *name, void **ppriv)
{
	return svc->keyword_find ? svc->keyword_find(name, ppriv) : NULL;
}

/* build a rule set from conf; returns 0 (maybe with bad rules counted) or -errno */
static int sig_build(struct sig_priv *p, const struct sig_conf *c, struct sig_ruleset **out)
{
	struct sig_errctx e = { p, 0 };
	struct sig_load l = {
		.files = (const char *const *)c->rules,
		.n_files = c->n_rules,
		.classification = c->classification,
		.vars = &c->vars,
		.fb_names = p->fb_names,
		.n_fb_names = &p->n_fb_names,
		.ext_find = sig_ext_find,
		.error = sig_load_error,
		.opaque = &e,
	};
	struct sig_ruleset *rs;
	uint64_t wm;
	int rc = sig_ruleset_build(&l, &rs);

	if (rc)
		return rc;
	wm = atomic_load(&p->workers);
	for (unsigned w = 0; w < SIG_MAX_WORKERS; w++) {
		if ((wm & (1ull << w)) && sig_ruleset_worker_init(rs, w)) {
			sig_ruleset_free(rs);
			return -ENOMEM;
		}
	}
	*out = rs;
	return 0;
}

static void sig_publish_gauges(struct sig_priv *p, const struct sig_ruleset *rs)
{
	svc->gauge_set(p->self, p->g_rules, rs->n);
	svc->gauge_set(p->self, p->g_bad, rs->n_bad);
}

/* ---- hooks ---- */

static int sig_configure(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	struct sig_priv *p = priv;
	int rc;

	p->self = self;
	rc = sig_conf_parse(cfg, sec, &p->conf);
	if (rc)
		return rc;
	if (sig_thr_init(&p->thr, 65536))
		return -ENOMEM;
	p->mc = pcre2_match_context_create(NULL);
	if (!p->mc)
		return -ENOMEM;
	pcre2_set_match_limit(p->mc, 100000);
	pcre2_set_depth_limit(p->mc, 10000);
	if (svc->counter_register(self, "alerts", "alerts emitted", &p->c_alerts) ||
	    svc->counter_register(self, "drops", "packets dropped by rules", &p->c_drops) ||
	    svc->counter_register(self, "rejects", "packets rejected by rules", &p->c_rejects) ||
	    svc->counter_register(self, "passes", "flows passed by pass rules", &p->c_passes) ||
	    svc->counter_register(self, "offenses", "offense events emitted", &p->c_offenses) ||
	    svc->counter_register(self, "stream_overlap_diff",
				  "TCP segments rewriting seen bytes with other bytes", &p->c_overlap) ||
	    svc->counter_register(self, "stream_out_of_order", "TCP segments beyond a gap",
				  &p->c_ooo) ||
	    svc->counter_register(self, "no_scratch", "packets not inspected (no worker scratch)",
				  &p->c_noscratch) ||
	    svc->counter_register(self, "rules_loaded", "rules in use", &p->g_rules) ||
	    svc->counter_register(self, "rules_failed", "rules skipped (errors)", &p->g_bad))
		return -EINVAL;
	if (svc->reason_register(self, "rule", &p->reason_rule))
		return -EINVAL;
	return 0;
}

static int sig_check(nw_plugin *self, void *priv)
{
	struct sig_priv *p = priv;
	struct sig_ruleset *rs = NULL, *old;
	int rc = sig_build(p, &p->conf, &rs);

	if (rc) {
		svc->log(self, NW_LOG_ERR, "rules not loaded: %s", strerror(-rc));
		return rc;
	}
	old = atomic_exchange(&p->rs, rs);
	sig_ruleset_free(old); /* check runs before any worker */
	sig_publish_gauges(p, rs);
	if (!p->conf.n_rules)
		svc->log(self, NW_LOG_NOTICE, "no rule files configured");
	svc->log(self, rs->n_bad ? NW_LOG_ERR : NW_LOG_INFO,
		 "%u rules loaded from %u files, %u failed%s", rs->n, rs->n_files, rs->n_bad,
		 rs->n_bad && !p->conf.strict ? " (skipped)" : "");
	if (rs->n_bad)
		return p->conf.strict ? -EINVAL : 1; /* skipped rules: -T fails, a run goes on */
	return 0;
}

static int sig_worker_start(void *priv, void *wpriv, unsigned worker)
{
	struct sig_priv *p = priv;
	struct sig_wpriv *w = wpriv;
	struct sig_ruleset *rs;

	if (worker >= SIG_MAX_WORKERS)
		return -EINVAL;
	w->id = worker;
	w->md = pcre2_match_data_create(32, NULL);
	w->sbuf = malloc(SIG_SBUF_SIZE);
	if (!w->md || !w->sbuf)
		return -ENOMEM;
	atomic_fetch_or(&p->workers, 1ull << worker);
	rs = atomic_load(&p->rs);
	if (rs)
		return sig_ruleset_worker_init(rs, worker);
	return 0;
}

static void sig_worker_stop(void *priv, void *wpriv, unsigned worker)
{
	struct sig_wpriv *w = wpriv;

	pcre2_match_data_free(w->md);
	free(w->sbuf);
	w->md = NULL;
	w->sbuf = NULL;
}

static int sig_offense_wanted(const struct sig_conf *c, const struct sig_rule *r)
{
	if (!c->jail[0])
		return 0;
	if (c->off_actions & SIG_ACTBIT(r->action))
		return 1;
	for (unsigned i = 0; i < c->n_off_sids; i++)
		if (c->off_sids[i] == r->sid)
			return 1;
	for (unsigned i = 0; r->classtype && i < c->n_off_classes; i++)
		if (!strcmp(c->off_classes[i], r->classtype))
			return 1;
	return 0;
}

static void sig_emit_alert(struct sig_priv *p, const nw_packet *pkt,
			   const struct nw_pkt_info *pi, const struct sig_rule *r, int verdict)
{
	struct nw_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.size = sizeof(ev);
	ev.type = NW_EV_ALERT;
	ev.src = pi->src;
	ev.dst = pi->dst;
	ev.sport = pi->sport;
	ev.dport = pi->dport;
	ev.ip_proto = pi->ip_proto;
	ev.verdict = (uint8_t)verdict;
	ev.gid = r->gid;
	ev.sid = r->sid;
	ev.rev = r->rev;
	ev.severity = (uint32_t)r->prio;
	snprintf(ev.msg, sizeof(ev.msg), "%s", r->msg ? r->msg : "");
	snprintf(ev.category, sizeof(ev.category), "%s", r->cls ? r->cls->desc : "");
	if (p->conf.payload_printable) {
		ev.flags |= NW_EVF_PAYLOAD;
		ev.payload = pi->payload;
		ev.payload_len = pi->payload_len;
	}
	svc->event_emit(p->self, pkt, &ev);
	svc->counter_add(p->self, pkt, p->c_alerts, 1);
}

static void sig_emit_offense(struct sig_priv *p, const nw_packet *pkt,
			     const struct nw_pkt_info *pi, const struct sig_rule *r)
{
	struct nw_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.size = sizeof(ev);
	ev.type = NW_EV_OFFENSE;
	ev.src = pi->src;
	ev.dst = pi->dst;
	ev.sport = pi->sport;
	ev.dport = pi->dport;
	ev.ip_proto = pi->ip_proto;
	ev.gid = r->gid;
	ev.sid = r->sid;
	ev.rev = r->rev;
	ev.addr = pi->src;
	ev.prefix = pi->src.family == 6 ? 128 : 32;
	snprintf(ev.name, sizeof(ev.name), "%s", p->conf.jail);
	snprintf(ev.msg, sizeof(ev.msg), "%s", r->msg ? r->msg : "");
	svc->event_emit(p->self, pkt, &ev);
	svc->counter_add(p->self, pkt, p->c_offenses, 1);
}

static int sig_packet(void *priv, void *wpriv, nw_packet *pkt, nw_flow *flow)
{
	struct sig_priv *p = priv;
	struct sig_wpriv *w = wpriv;
	struct sig_ruleset *rs = atomic_load_explicit(&p->rs, memory_order_acquire);
	const struct nw_pkt_info *pi;
	struct sig_flowpriv *fp = NULL;
	struct sig_stream *st = NULL;
	struct sig_wscratch *ws;
	const struct sig_group *g;
	struct sig_view v;
	struct sig_mctx m;
	const uint8_t *scan;
	size_t scan_len, pkt_len;
	unsigned n, alerts = 0;
	int verdict = NW_CONTINUE;

	if (!rs || !rs->n)
		return NW_CONTINUE;
	pi = svc->pkt_info(pkt);
	if (flow) {
		fp = svc->flow_priv(flow, p->self);
		if (fp && (fp->flags & SIG_FP_PASSED))
			return NW_CONTINUE;
		if (fp && (fp->flags & SIG_FP_DROPPED))
			return NW_RESULT(NW_DROP, p->reason_rule);
	}
	ws = w->id < SIG_MAX_WORKERS ? rs->ws[w->id] : NULL;
	if (!ws || !w->md) {
		svc->counter_add(p->self, pkt, p->c_noscratch, 1);
		return NW_CONTINUE;
	}
	memset(&v, 0, sizeof(v));
	pkt_len = pi->payload_len;
	if (fp && pi->ip_proto == 6 && (pi->flags & NW_PKT_L4) && pi->dir <= 1) {
		st = &fp->st[pi->dir];
		sig_stream_view(st, pi, w->sbuf, &v);
		if (v.nothing_new)
			pkt_len = 0;
		if (v.ooo)
			svc->counter_add(p->self, pkt, p->c_ooo, 1);
		if (v.overlap_diff) {
			svc->counter_add(p->self, pkt, p->c_overlap, 1);
			if (p->conf.overlap_drop) {
				svc->counter_add(p->self, pkt, p->c_drops, 1);
				return NW_RESULT(NW_DROP, p->reason_rule);
			}
		}
	}
	scan = v.has_stream ? v.sbuf : pi->payload;
	scan_len = v.has_stream ? v.slen : pkt_len;
	g = sig_ruleset_group(rs, pi);
	n = sig_ruleset_candidates(rs, g, ws, scan, scan_len);

	memset(&m, 0, sizeof(m));
	m.pi = pi;
	m.pkt = pkt;
	m.flow = flow;
	m.flowbits = fp ? fp->bits : NULL;
	m.established = flow ? (svc->flow_info(flow)->tcp_state == NW_CT_ESTABLISHED ||
				(pi->ip_proto != 6 && svc->flow_info(flow)->pkts[NW_DIR_TO_CLIENT] > 0))
			     : 0;
	m.md = w->md;
	m.mc = p->mc;
	for (unsigned k = 0; k < n; k++) {
		const struct sig_rule *r = rs->rules[ws->cand[k]];
		int matched = 0;

		if (!sig_match_header(&m, r) || !sig_match_packet_tests(&m, r) ||
		    !sig_flowbits_check(&m, r))
			continue;
		if (r->n_pm == 0) {
			matched = 1;
		} else {
			m.buf = pi->payload;
			m.len = pkt_len;
			m.abs_base = 0;
			m.min_end = v.pkt_min_end;
			m.stream = 0;
			matched = pkt_len && sig_inspect_payload(&m, r);
			if (!matched && v.has_stream && !r->pkt_only) {
				m.buf = v.sbuf;
				m.len = v.slen;
				m.abs_base = v.sbase;
				m.min_end = v.s_min_end;
				m.stream = 1;
				matched = sig_inspect_payload(&m, r);
			}
		}
		if (!matched)
			continue;
		if (r->df.type && !sig_thr_check(&p->thr, r, &r->df, 1, pi, pi->ts_ns))
			continue;
		sig_flowbits_apply(&m, r);
		if (r->action == SIG_ACT_PASS) {
			if (fp)
				fp->flags |= SIG_FP_PASSED;
			svc->counter_add(p->self, pkt, p->c_passes, 1);
			break;
		}
		if (r->action == SIG_ACT_DROP || r->action == SIG_ACT_REJECT) {
			int vd = r->action == SIG_ACT_DROP ? NW_DROP : NW_REJECT;
			if (verdict == NW_CONTINUE) {
				verdict = vd;
				svc->counter_add(p->self, pkt,
						 vd == NW_DROP ? p->c_drops : p->c_rejects, 1);
				if (flow && pi->ip_proto == 6) {
					svc->flow_set_verdict(flow, NW_DROP);
					if (fp)
						fp->flags |= SIG_FP_DROPPED;
				}
			}
		}
		if (r->noalert)
			continue;
		if (r->thr.type && !sig_thr_check(&p->thr, r, &r->thr, 0, pi, pi->ts_ns))
			continue;
		if (alerts++ < SIG_MAX_ALERTS_PKT) {
			int shown = r->action == SIG_ACT_DROP ? NW_DROP
				    : r->action == SIG_ACT_REJECT ? NW_REJECT : verdict;
			sig_emit_alert(p, pkt, pi, r, shown == NW_CONTINUE ? NW_ACCEPT : shown);
			if (sig_offense_wanted(&p->conf, r))
				sig_emit_offense(p, pkt, pi, r);
		}
	}
	if (st)
		sig_stream_update(st, pi);
	if (verdict != NW_CONTINUE)
		return NW_RESULT(verdict, p->reason_rule);
	return NW_CONTINUE;
}

static int sig_reload(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	struct sig_priv *p = priv;
	struct sig_conf nc;
	struct sig_ruleset *rs = NULL, *old;
	int rc = sig_conf_parse(cfg, sec, &nc);

	if (rc) {
		sig_conf_free(&nc);
		svc->log(self, NW_LOG_ERR, "reload: bad configuration, keeping the old rules");
		return rc;
	}
	rc = sig_build(p, &nc, &rs);
	if (rc || (nc.strict && rs->n_bad)) {
		svc->log(self, NW_LOG_ERR, "reload failed (%s), keeping the old %u rules",
			 rc ? strerror(-rc) : "bad rules and strict = yes",
			 atomic_load(&p->rs) ? atomic_load(&p->rs)->n : 0);
		sig_ruleset_free(rs);
		sig_conf_free(&nc);
		return rc ? rc : -EINVAL;
	}
	old = atomic_exchange_explicit(&p->rs, rs, memory_order_acq_rel);
	svc->quiesce();
	sig_ruleset_free(old);
	sig_conf_free(&p->conf);
	p->conf = nc;
	sig_publish_gauges(p, rs);
	svc->log(self, NW_LOG_NOTICE, "reloaded: %u rules, %u failed (skipped)", rs->n, rs->n_bad);
	return 0;
}

static void sig_stop(nw_plugin *self, void *priv)
{
	struct sig_priv *p = priv;

	sig_ruleset_free(atomic_exchange(&p->rs, NULL));
	sig_conf_free(&p->conf);
	sig_thr_free(&p->thr);
	for (unsigned i = 0; i < p->n_fb_names; i++)
		free(p->fb_names[i]);
	p->n_fb_names = 0;
	pcre2_match_context_free(p->mc);
	p->mc = NULL;
}

NW_PLUGIN_EXPORT const struct nw_plugin_desc nw_plugin_descriptor = {
	NW_DESC_HEADER,
	.name = "signature",
	.version = "0.1.0",
	.description = "Suricata/Snort rules: Vectorscan prefilter, PCRE2, TCP stream matching",
	.priv_size = sizeof(struct sig_priv),
	.worker_priv_size = sizeof(struct sig_wpriv),
	.flow_priv_size = sizeof(struct sig_flowpriv),
	.services = &svc,
	.configure = sig_configure,
	.check = sig_check,
	.worker_start = sig_worker_start,
	.worker_stop = sig_worker_stop,
	.packet = sig_packet,
	.reload = sig_reload,
	.stop = sig_stop,
};
