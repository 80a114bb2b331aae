/* plugins/signature/signature.c: the signature plugin: config, rule loading (check), packet hook, reload. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sig_ruleset.h"
#include "sig_app.h"

static const struct nw_services *svc;

#define SIG_ACTBIT(a) (1u << (a))

struct sig_conf {
	char **rules;               /* resolved rule file paths */
	unsigned n_rules;
	unsigned rules_line;        /* config line of `rules` (0: default or absent) */
	char *classification;       /* resolved path or NULL */
	int strict;                 /* a bad rule fails check/reload */
	int payload_printable;      /* alerts carry the payload */
	int overlap_drop;           /* drop TCP segments rewriting seen bytes differently */
	int midstream;              /* TCP flows picked up without a SYN can be established */
	char jail[32];              /* offense jail ("" = no offenses) */
	uint32_t *off_sids;
	unsigned n_off_sids;
	char **off_classes;
	unsigned n_off_classes;
	unsigned off_actions;       /* SIG_ACTBIT(action) */
	struct sig_vars vars;
	unsigned http_parsers;      /* concurrent libhtp parsers per worker */
	uint64_t http_body_limit;   /* body bytes inspected per transaction and direction */
	uint64_t http_header_limit; /* raw header bytes kept per transaction and direction */
	int rule_report;            /* check prints loaded/skipped counts and top reasons */
	unsigned alert_max;         /* packet-alert-max: alerts written per packet */
	unsigned xbits_size;        /* xbits-table-size: entries (taken at start only) */
	/* flow bypass votes (natwarden.conf bypass = yes) */
	uint64_t stream_depth;      /* TCP: bytes of a direction after which a flow is done */
	uint64_t http_depth;        /* the same for HTTP flows (0: stream_depth) */
	uint64_t udp_depth;         /* UDP and others: IP bytes of a direction */
	int tls_bypass;             /* TLS: done once the handshake is (no cert left to see) */
};

#define SIG_MAX_REASONS 256
struct sig_reason {
	char text[96];
	unsigned n;
};

struct sig_priv {
	nw_plugin *self;
	_Atomic(struct sig_ruleset *) rs;
	struct sig_conf conf;
	struct sig_names fb_names;          /* flowbit names -> ids, stable across reloads */
	struct sig_names xb_names;          /* xbit names -> ids, likewise */
	struct sig_xb_table xb;             /* xbits of hosts and address pairs, shared by workers */
	struct sig_thr_table thr;
	_Atomic uint64_t workers;           /* bit per started worker */
	pcre2_match_context *mc;
	unsigned c_alerts, c_drops, c_rejects, c_passes, c_overlap, c_ooo, c_noscratch,
		c_offenses, c_midstream, c_discarded, c_bypass_votes;
	unsigned c_fb_full;                 /* flowbit sets lost: the flow held SIG_FB_FLOW_MAX */
	unsigned c_xb_evicted;              /* live xbits dropped to make room in a full bucket */
	int eve_http, eve_dns, eve_tls; /* protocol records eve.json takes (eve_types) */
	unsigned g_rules, g_bad;
	unsigned reason_rule;
	unsigned bad_reported;
	unsigned c_http_trunc;
	unsigned c_http_long; /* request header lines cut (http.request_field_too_long) */
	unsigned c_app[SIG_APP_UNKNOWN + 1], c_http_err, c_http_cap, c_dns_err, c_tls_err,
		c_app_events, g_http_parsers;
	unsigned c_crypto_nomem, c_crypto_heap, c_crypto_held;
	struct sig_reason reasons[SIG_MAX_REASONS];
	unsigned n_reasons, n_reason_other;
	/* a reload's new rules and settings, until the engine says apply or drop them */
	struct sig_ruleset *staged_rs;
	struct sig_conf staged_conf;
	int staged;
};

struct sig_wpriv {
	unsigned id;
	pcre2_match_data *md;
	uint8_t *sbuf;
	struct sig_http_worker *hw;
	struct sig_appctx ac;
	struct sig_dns_msg *dns;
	struct sig_tls_hello *tls;
	struct sig_tls_cert *cert;
	struct sig_tls_chain *chain;   /* the server's certificates (tls.certs) */
	struct sig_crypto *crypto; /* libcrypto's arena and contexts for this worker */
	struct sig_hit *hits;          /* SIG_HITQ_MAX: the packet's rule matches */
	struct nw_event *snap;         /* SIG_SNAP_MAX: application objects for its alerts */
	struct sig_tls_meta *tlsm;     /* SIG_TLS_META_N, by flow id */
};

/* a rule that matched the packet, in the queue sorted at the end of the packet */
struct sig_hit {
	const struct sig_rule *r;
	int snap; /* index in the worker's snap, -1: none */
};

static void sig_tls_record(struct sig_priv *p, struct sig_wpriv *w, const nw_packet *pkt,
			   nw_flow *flow, struct sig_flowpriv *fp, const struct sig_tls_cert *cert);
static void sig_http_records_pending(struct sig_priv *p, struct sig_wpriv *w,
				     const nw_packet *pkt, nw_flow *flow, struct sig_flowpriv *fp);

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

/* a byte count with an optional k, m or g suffix (powers of 1024), within lo..hi */
static int sig_bytes(const char *val, uint64_t lo, uint64_t hi, uint64_t *out)
{
	unsigned long long v, mul = 1;
	char *end;

	if (*val < '0' || *val > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(val, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end == 'k' || *end == 'K')
		mul = 1024, end++;
	else if (*end == 'm' || *end == 'M')
		mul = 1024 * 1024, end++;
	else if (*end == 'g' || *end == 'G')
		mul = 1024ull * 1024 * 1024, end++;
	if (*end || v > hi / mul || v * mul < lo)
		return -EINVAL;
	*out = v * mul;
	return 0;
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
	c->http_parsers = 4096;
	c->http_body_limit = 65536;
	c->http_header_limit = 16384;
	c->alert_max = SIG_ALERT_MAX_DFLT;
	c->xbits_size = SIG_XB_SIZE_DFLT;
	c->stream_depth = 1024 * 1024;
	c->udp_depth = 1024 * 1024;
	c->tls_bypass = 1;
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
			c->rules_line = line;
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
		} else if (!strcmp(key, "midstream")) {
			if (sig_bool(val, &c->midstream))
				err = svc->conf_error(cfg, sec, line, "midstream: expected yes or no");
		} else if (!strcmp(key, "rule-report")) {
			if (sig_bool(val, &c->rule_report))
				err = svc->conf_error(cfg, sec, line, "rule-report: expected yes or no");
		} else if (!strcmp(key, "http-parsers") || !strcmp(key, "http-body-limit") ||
			   !strcmp(key, "http-header-limit")) {
			int parsers = !strcmp(key, "http-parsers");
			uint64_t v;
			if (sig_bytes(val, parsers ? 1 : 256, parsers ? 1000000 : 16 * 1024 * 1024, &v))
				err = svc->conf_error(cfg, sec, line,
						      "%s: expected a number (parsers 1..1000000, limits 256..16m bytes)",
						      key);
			else if (parsers)
				c->http_parsers = (unsigned)v;
			else if (!strcmp(key, "http-body-limit"))
				c->http_body_limit = v;
			else
				c->http_header_limit = v;
		} else if (!strcmp(key, "stream-depth") || !strcmp(key, "http-depth") ||
			   !strcmp(key, "udp-depth")) {
			uint64_t v;
			if (sig_bytes(val, 0, 1ull << 40, &v))
				err = svc->conf_error(cfg, sec, line,
						      "%s: expected bytes (0 = no depth; k, m, g)", key);
			else if (!strcmp(key, "stream-depth"))
				c->stream_depth = v;
			else if (!strcmp(key, "http-depth"))
				c->http_depth = v;
			else
				c->udp_depth = v;
		} else if (!strcmp(key, "tls-bypass")) {
			if (sig_bool(val, &c->tls_bypass))
				err = svc->conf_error(cfg, sec, line, "tls-bypass: expected yes or no");
		} else if (!strcmp(key, "packet-alert-max") || !strcmp(key, "packet_alert_max")) {
			long long v;
			if (sig_parse_int(val, 1, SIG_HITQ_MAX, &v))
				err = svc->conf_error(cfg, sec, line, "%s: expected 1..%d", key,
						      SIG_HITQ_MAX);
			else
				c->alert_max = (unsigned)v;
		} else if (!strcmp(key, "xbits-table-size")) {
			long long v;
			if (sig_parse_int(val, 8, 16 * 1024 * 1024, &v))
				err = svc->conf_error(cfg, sec, line,
						      "xbits-table-size: expected 8..16777216 entries");
			else
				c->xbits_size = (unsigned)v;
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
	/* a strict reload also records each bad rule as a config error, so that the reload reply
	 * (natwardenctl) names the rule file:line; NULL otherwise */
	const nw_config *cfg;
	const nw_section *sec;
	unsigned line;
	int rule_report; /* of the configuration being built (a reload's new one) */
};

#define SIG_MAX_RECORDED 20

/* the reason of a skipped rule without its place and values ("keyword 'x' not supported") */
static void sig_reason_key(const char *msg, char *out, size_t outlen)
{
	const char *k = strstr(msg, "keyword '"), *h = strstr(msg, "header: "), *q;

	if (k && (!h || k < h)) {
		q = strchr(k + 9, '\'');
		int n = q ? (int)(q - k) + 1 : (int)strlen(k);
		const char *ns = strstr(k, "not supported by natwarden");
		if (ns) {
			/* keep the protocol of "not supported by natwarden on smtp" */
			const char *on = ns + strlen("not supported by natwarden");
			int m = !strncmp(on, " on ", 4) ? 4 + (int)strcspn(on + 4, " (") : 0;
			snprintf(out, outlen, "%.*s: not supported by natwarden%.*s", n, k, m, on);
		} else if (strstr(k, "buffer of another protocol") || strstr(k, "an HTTP buffer"))
			snprintf(out, outlen, "%.*s: %s", n, k, strstr(k, ": ") ? strstr(k, ": ") + 2 : "");
		else
			snprintf(out, outlen, "%.*s: bad value", n, k);
	} else if (h) {
		q = strstr(h, " not supported");
		if (q)
			snprintf(out, outlen, "%.*s not supported by natwarden", (int)(q - h), h);
		else
			snprintf(out, outlen, "%.60s", h);
	} else if (strstr(msg, "duplicate of")) {
		snprintf(out, outlen, "duplicate sid");
	} else {
		q = strstr(msg, ": sid ");
		snprintf(out, outlen, "%.60s", q ? q + 2 : msg);
	}
}

static void sig_reason_count(struct sig_priv *p, const char *msg)
{
	char key[96];

	sig_reason_key(msg, key, sizeof(key));
	for (unsigned i = 0; i < p->n_reasons; i++) {
		if (!strcmp(p->reasons[i].text, key)) {
			p->reasons[i].n++;
			return;
		}
	}
	if (p->n_reasons == SIG_MAX_REASONS) {
		p->n_reason_other++;
		return;
	}
	snprintf(p->reasons[p->n_reasons].text, sizeof(p->reasons[0].text), "%s", key);
	p->reasons[p->n_reasons++].n = 1;
}

static void sig_load_error(void *opaque, const char *msg)
{
	struct sig_errctx *e = opaque;

	e->n++;
	if (e->cfg && e->n <= SIG_MAX_RECORDED)
		svc->conf_error(e->cfg, e->sec, e->line, "%s", msg);
	if (e->cfg && e->n == SIG_MAX_RECORDED + 1)
		svc->conf_error(e->cfg, e->sec, e->line, "... more bad rules (see the log)");
	if (e->rule_report)
		sig_reason_count(e->p, msg);
	if (!e->rule_report || e->p->bad_reported++ < 20)
		svc->log(e->p->self, NW_LOG_ERR, "%s", msg);
}

static int sig_reason_cmp(const void *a, const void *b)
{
	const struct sig_reason *x = a, *y = b;

	return x->n != y->n ? (x->n < y->n ? 1 : -1) : strcmp(x->text, y->text);
}

static void sig_rule_report(struct sig_priv *p, const struct sig_ruleset *rs)
{
	unsigned total = rs->n + rs->n_bad, napp[SIG_APP_UNKNOWN + 1] = { 0 }, nappr = 0;

	for (unsigned i = 0; i < rs->n; i++) {
		napp[rs->rules[i]->app < SIG_APP_UNKNOWN ? rs->rules[i]->app : 0]++;
		nappr += rs->rules[i]->app_rule;
	}
	svc->log(p->self, NW_LOG_NOTICE,
		 "rule report: %u rules, %u loaded (%.1f%%), %u skipped; loaded by protocol: "
		 "http %u, dns %u, tls %u, smtp %u, ftp %u, smb %u, other %u; "
		 "%u inspect application buffers",
		 total, rs->n, total ? 100.0 * rs->n / total : 100.0, rs->n_bad, napp[SIG_APP_HTTP],
		 napp[SIG_APP_DNS], napp[SIG_APP_TLS], napp[SIG_APP_SMTP], napp[SIG_APP_FTP],
		 napp[SIG_APP_SMB], napp[SIG_APP_NONE], nappr);
	if (napp[SIG_APP_SMTP] + napp[SIG_APP_FTP] + napp[SIG_APP_SMB])
		svc->log(p->self, NW_LOG_NOTICE,
			 "rule report: smtp, ftp and smb rules keep their header (the protocol is "
			 "detected on the flow: SMTP and FTP from the server's 220 banner and the "
			 "client's first command, SMB from its NetBIOS header), their payload "
			 "keywords on the packet and stream; their sticky buffers (smtp.*, ftp.*, "
			 "smb.*, file.data) are refused: no parser");
	qsort(p->reasons, p->n_reasons, sizeof(p->reasons[0]), sig_reason_cmp);
	for (unsigned i = 0; i < p->n_reasons && i < 25; i++)
		svc->log(p->self, NW_LOG_NOTICE, "rule report: skipped %6u  %s", p->reasons[i].n,
			 p->reasons[i].text);
	if (p->n_reasons > 25 || p->n_reason_other)
		svc->log(p->self, NW_LOG_NOTICE, "rule report: ... %u more reasons",
			 p->n_reasons > 25 ? p->n_reasons - 25 : p->n_reason_other);
	if (rs->n_bad > 20)
		svc->log(p->self, NW_LOG_NOTICE,
			 "rule report: the first 20 skipped rules are listed with file:line above; "
			 "without rule-report every one is");
}

static const struct nw_keyword *sig_ext_find(const char *name, void **ppriv)
{
	return svc->keyword_find ? svc->keyword_find(name, ppriv) : NULL;
}

/* build a rule set from conf; returns 0 (maybe with bad rules counted) or -errno. With cfg, bad
 * rules are also recorded as errors of cfg (a strict reload). */
static int sig_build(struct sig_priv *p, const struct sig_conf *c, const nw_config *cfg,
		     const nw_section *sec, struct sig_ruleset **out)
{
	struct sig_errctx e = { p, 0, cfg, sec, c->rules_line, c->rule_report };
	struct sig_load l = {
		.files = (const char *const *)c->rules,
		.n_files = c->n_rules,
		.classification = c->classification,
		.vars = &c->vars,
		.fb_names = &p->fb_names,
		.xb_names = &p->xb_names,
		.ext_find = sig_ext_find,
		.error = sig_load_error,
		.opaque = &e,
	};
	struct sig_ruleset *rs;
	uint64_t wm;
	int rc;

	/* the report counts this build only */
	p->bad_reported = 0;
	p->n_reasons = 0;
	p->n_reason_other = 0;
	rc = sig_ruleset_build(&l, &rs);

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

/* the rule language's own keywords: a plugin keyword may not take one of these names (the
 * parser would never reach it) */
static int sig_reserve_keywords(nw_plugin *self)
{
	unsigned n;
	const struct sig_kw *kw = sig_kw_table(&n);

	for (unsigned i = 0; i < n; i++) {
		int rc = svc->keyword_reserve(self, kw[i].name);
		if (rc)
			return rc;
	}
	return 0;
}

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
	if (sig_xb_init(&p->xb, p->conf.xbits_size))
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
	    svc->counter_register(self, "bypass_votes",
				  "flows the rules are done with (voted for the flow bypass)",
				  &p->c_bypass_votes) ||
	    svc->counter_register(self, "offenses", "offense events emitted", &p->c_offenses) ||
	    svc->counter_register(self, "stream_overlap_diff",
				  "TCP segments rewriting seen bytes with other bytes", &p->c_overlap) ||
	    svc->counter_register(self, "stream_out_of_order", "TCP segments beyond a gap",
				  &p->c_ooo) ||
	    svc->counter_register(self, "tcp_midstream",
				  "TCP flows first seen without a SYN (picked up mid-stream)",
				  &p->c_midstream) ||
	    svc->counter_register(self, "no_scratch", "packets not inspected (no worker scratch)",
				  &p->c_noscratch) ||
	    svc->counter_register(self, "rules_loaded", "rules in use", &p->g_rules) ||
	    svc->counter_register(self, "app_http_flows", "flows detected as HTTP",
				  &p->c_app[SIG_APP_HTTP]) ||
	    svc->counter_register(self, "app_dns_flows", "flows detected as DNS",
				  &p->c_app[SIG_APP_DNS]) ||
	    svc->counter_register(self, "app_tls_flows", "flows detected as TLS",
				  &p->c_app[SIG_APP_TLS]) ||
	    svc->counter_register(self, "app_smtp_flows", "flows detected as SMTP (not parsed)",
				  &p->c_app[SIG_APP_SMTP]) ||
	    svc->counter_register(self, "app_ftp_flows", "flows detected as FTP (not parsed)",
				  &p->c_app[SIG_APP_FTP]) ||
	    svc->counter_register(self, "app_smb_flows", "flows detected as SMB (not parsed)",
				  &p->c_app[SIG_APP_SMB]) ||
	    svc->counter_register(self, "app_unknown_flows", "flows of no parsed protocol",
				  &p->c_app[SIG_APP_UNKNOWN]) ||
	    svc->counter_register(self, "app_events", "application events inspected",
				  &p->c_app_events) ||
	    svc->counter_register(self, "http_parser_errors", "HTTP flows the parser gave up on",
				  &p->c_http_err) ||
	    svc->counter_register(self, "http_parser_cap", "HTTP flows without a parser (cap hit)",
				  &p->c_http_cap) ||
	    svc->counter_register(self, "http_buffer_truncated",
				  "HTTP events whose composed buffers did not fit the 64 KiB scratch",
				  &p->c_http_trunc) ||
	    svc->counter_register(self, "http_request_field_too_long",
				  "HTTP request header lines over 16 KiB, cut (app-layer event)",
				  &p->c_http_long) ||
	    svc->counter_register(self, "dns_parse_errors", "malformed DNS messages",
				  &p->c_dns_err) ||
	    svc->counter_register(self, "tls_parse_errors", "malformed or unseen TLS hellos",
				  &p->c_tls_err) ||
	    svc->counter_register(self, "rules_failed", "rules skipped (errors)", &p->g_bad) ||
	    svc->counter_register(self, "crypto_arena_full",
				  "libcrypto allocations refused on a worker (its arena was full)",
				  &p->c_crypto_nomem) ||
	    svc->counter_register(self, "crypto_heap_allocs",
				  "libcrypto allocations on a worker that went to the heap",
				  &p->c_crypto_heap) ||
	    svc->counter_register(self, "crypto_arena_held",
				  "worker arena not rewound: a libcrypto block outlived its use",
				  &p->c_crypto_held) ||
	    svc->counter_register(self, "alerts_discarded",
				  "alerts over packet-alert-max (the lowest in rule order)",
				  &p->c_discarded) ||
	    svc->counter_register(self, "flowbits_full",
				  "flowbit sets not done: the flow already held the most it can",
				  &p->c_fb_full) ||
	    svc->counter_register(self, "xbits_evicted",
				  "xbits dropped before their expiry to make room (xbits-table-size)",
				  &p->c_xb_evicted))
		return -EINVAL;
	if (!sig_crypto_hooked())
		svc->log(self, NW_LOG_WARNING,
			 "libcrypto allocated before this plugin was loaded: TLS certificates and JA3 "
			 "hashes use the heap on worker threads (counted in crypto_heap_allocs)");
	if (svc->size >= offsetof(struct nw_services, event_wanted) + sizeof(svc->event_wanted) &&
	    svc->event_wanted) {
		p->eve_http = svc->event_wanted("http");
		p->eve_dns = svc->event_wanted("dns");
		p->eve_tls = svc->event_wanted("tls");
	}
	if (svc->reason_register(self, "rule", &p->reason_rule))
		return -EINVAL;
	return sig_reserve_keywords(self);
}

static int sig_check(nw_plugin *self, void *priv)
{
	struct sig_priv *p = priv;
	struct sig_ruleset *rs = NULL, *old;
	int rc = sig_build(p, &p->conf, NULL, NULL, &rs);

	if (rc) {
		svc->log(self, NW_LOG_ERR, "rules not loaded: %s", strerror(-rc));
		return rc;
	}
	old = atomic_exchange(&p->rs, rs);
	sig_ruleset_free(old); /* check runs before any worker */
	sig_publish_gauges(p, rs);
	if (p->conf.rule_report)
		sig_rule_report(p, rs);
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
	{
		struct sig_http_conf hc = { p->conf.http_parsers, p->conf.http_body_limit,
					    p->conf.http_header_limit };
		w->hw = sig_http_worker_new(&hc);
		w->ac.arena = malloc(SIG_ARENA_SIZE);
		w->ac.xf_size = (p->conf.http_body_limit > SIG_ARENA_SIZE ? p->conf.http_body_limit
									  : SIG_ARENA_SIZE) + 16;
		w->ac.xf[0] = malloc(w->ac.xf_size);
		w->ac.xf[1] = malloc(w->ac.xf_size);
		w->ac.md = w->md;
		w->ac.mc = p->mc;
		w->dns = malloc(sizeof(*w->dns));
		w->tls = malloc(sizeof(*w->tls));
		w->cert = malloc(sizeof(*w->cert));
		w->chain = malloc(sizeof(*w->chain));
		w->crypto = sig_crypto_new(worker);
		w->hits = calloc(SIG_HITQ_MAX, sizeof(*w->hits));
		w->snap = calloc(SIG_SNAP_MAX, sizeof(*w->snap));
		w->tlsm = calloc(SIG_TLS_META_N, sizeof(*w->tlsm));
		if (!w->hw || !w->ac.arena || !w->ac.xf[0] || !w->ac.xf[1] || !w->dns || !w->tls ||
		    !w->cert || !w->chain || !w->crypto || !w->hits || !w->snap || !w->tlsm)
			return -ENOMEM;
	}
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
	sig_http_worker_free(w->hw);
	w->hw = NULL;
	free(w->ac.arena);
	free(w->ac.xf[0]);
	free(w->ac.xf[1]);
	free(w->dns);
	free(w->tls);
	free(w->cert);
	w->cert = NULL;
	free(w->chain);
	w->chain = NULL;
	sig_crypto_free(w->crypto);
	w->crypto = NULL;
	free(w->hits);
	free(w->snap);
	free(w->tlsm);
	w->hits = NULL;
	w->snap = NULL;
	w->tlsm = NULL;
	memset(&w->ac, 0, sizeof(w->ac));
	w->dns = NULL;
	w->tls = NULL;
}

static void sig_flow_end(void *priv, void *wpriv, nw_flow *flow)
{
	struct sig_priv *p = priv;
	struct sig_flowpriv *fp = svc->flow_priv(flow, p->self);

	if (fp && (fp->flags & SIG_FP_TLS_CH) && wpriv)
		sig_tls_record(p, wpriv, NULL, flow, fp, NULL);
	if (fp && fp->http) {
		if (wpriv)
			sig_http_records_pending(p, wpriv, NULL, flow, fp);
		sig_http_flow_free(fp->http);
		fp->http = NULL;
	}
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
			   const struct nw_pkt_info *pi, const struct sig_rule *r, int verdict,
			   const struct nw_event *snap)
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
	if (snap && snap->data_len <= sizeof(ev.data)) {
		memcpy(ev.data, snap->data, snap->data_len);
		ev.data_len = snap->data_len;
		ev.flags |= snap->flags & NW_EVF_DATA_FULL;
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

/* one packet being judged */
struct sig_pktctx {
	struct sig_priv *p;
	struct sig_wpriv *w;
	struct sig_ruleset *rs;
	struct sig_wscratch *ws;
	nw_packet *pkt;
	nw_flow *flow;
	const struct nw_pkt_info *pi;
	struct sig_flowpriv *fp;
	struct sig_view v;
	size_t pkt_len;
	struct sig_mctx m;
	int verdict;
	int stop;             /* a pass rule matched: the rest of this list is not evaluated */
	unsigned nq;          /* matches queued in w->hits */
	unsigned n_snap;      /* application objects built in w->snap */
	int ev_snap;          /* the current application event's object (-1: not built yet) */
	int last_snap;        /* the packet's last application object, for packet rules */
	int dns_parsed;       /* w->dns holds this packet's DNS message */
};

/* the payload list of r on the packet, then on the stream */
static int sig_eval_payload(struct sig_pktctx *c, const struct sig_rule *r)
{
	struct sig_mctx *m = &c->m;
	int matched;

	if (r->lists[0].n == 0)
		return 1;
	m->buf = c->pi->payload;
	m->len = c->pkt_len;
	m->abs_base = 0;
	m->min_end = c->v.pkt_min_end;
	m->stream = 0;
	matched = c->pkt_len && sig_inspect_payload(m, r);
	if (!matched && c->v.has_stream && !r->pkt_only) {
		m->buf = c->v.sbuf;
		m->len = c->v.slen;
		m->abs_base = c->v.sbase;
		m->min_end = c->v.s_min_end;
		m->stream = 1;
		matched = sig_inspect_payload(m, r);
	}
	return matched;
}

/* the TLS memory of a flow (create: take the slot over for it) */
static struct sig_tls_meta *sig_tls_meta(struct sig_wpriv *w, nw_flow *flow, int create)
{
	uint64_t id = flow ? svc->flow_info(flow)->id : 0;
	struct sig_tls_meta *m;

	if (!id || !w->tlsm)
		return NULL;
	m = &w->tlsm[id % SIG_TLS_META_N];
	if (m->flow_id != id) {
		if (!create)
			return NULL;
		memset(m, 0, sizeof(*m));
		m->flow_id = id;
	}
	return m;
}

/* the application object (http/dns/tls) of the packet's current context into snap; -1 if none */
static int sig_snap_build(struct sig_pktctx *c, struct sig_appctx *ac)
{
	struct nw_event *e;
	const struct sig_tls_meta *tm;

	if (c->n_snap == SIG_SNAP_MAX)
		return c->last_snap;
	e = &c->w->snap[c->n_snap];
	e->data_len = 0;
	e->flags = 0;
	if (ac && ac->app == SIG_APP_HTTP && ac->tx) {
		sig_eve_http(e, ac);
	} else if ((ac && ac->app == SIG_APP_DNS && ac->dns) || (!ac && c->dns_parsed)) {
		sig_eve_dns_alert(e, ac ? ac->dns : c->w->dns);
	} else if (c->fp && c->fp->app == SIG_APP_TLS &&
		   (tm = sig_tls_meta(c->w, c->flow, 0)) != NULL) {
		sig_eve_tls(e, tm, ac && ac->stage == SIG_ST_TLS_CERT ? ac->cert : NULL);
	} else {
		return -1;
	}
	c->last_snap = (int)c->n_snap++;
	return c->last_snap;
}

/* A rule matched: detection_filter and flowbits now (later rules of this packet see them);
 * its action and alert wait in the queue for the end of the packet (sig_finalize). */
static void sig_hit(struct sig_pktctx *c, const struct sig_rule *r)
{
	struct sig_hit *q = c->w->hits;
	const struct nw_pkt_info *pi = c->pi;
	unsigned lost;
	int snap;

	if (r->df.type && !sig_thr_check(&c->p->thr, r, &r->df, 1, pi, pi->ts_ns))
		return;
	lost = sig_flowbits_apply(&c->m, r);
	if (lost)
		svc->counter_add(c->p->self, c->pkt, c->p->c_fb_full, lost);
	lost = r->n_xb ? sig_xbits_apply(&c->m, r) : 0;
	if (lost)
		svc->counter_add(c->p->self, c->pkt, c->p->c_xb_evicted, lost);
	if (r->action == SIG_ACT_PASS)
		c->stop = 1; /* later candidates come after it in rule order: all discarded */
	if (c->m.ac) {
		if (c->ev_snap < 0)
			c->ev_snap = sig_snap_build(c, c->m.ac);
		snap = c->ev_snap;
	} else {
		snap = c->last_snap >= 0 ? c->last_snap : sig_snap_build(c, NULL);
	}
	if (c->nq < SIG_HITQ_MAX) {
		q[c->nq].r = r;
		q[c->nq++].snap = snap;
		return;
	}
	/* full: keep the rules that come first in rule order */
	unsigned worst = 0;
	for (unsigned i = 1; i < c->nq; i++)
		if (q[i].r->idx > q[worst].r->idx)
			worst = i;
	if (q[worst].r->idx > r->idx) {
		q[worst].r = r;
		q[worst].snap = snap;
	}
	svc->counter_add(c->p->self, c->pkt, c->p->c_discarded, 1);
}

/*
 * The end of the packet, as Suricata's PacketAlertFinalize: the matches in rule order (pass,
 * drop, reject, alert; then flowbits setters, priority, file order). A pass ends the list: the
 * flow is passed and nothing after it acts or alerts. The first drop or reject decides the
 * packet and drops the flow (any protocol): its later packets are dropped by the core without
 * running the rules. Alerts are written up to packet-alert-max; the rest are counted.
 */
static void sig_finalize(struct sig_pktctx *c)
{
	struct sig_priv *p = c->p;
	struct sig_hit *q = c->w->hits;
	const struct nw_pkt_info *pi = c->pi;
	unsigned alerts = 0;

	for (unsigned i = 1; i < c->nq; i++) { /* insertion sort: the queue is short */
		struct sig_hit h = q[i];
		unsigned j = i;
		while (j > 0 && q[j - 1].r->idx > h.r->idx) {
			q[j] = q[j - 1];
			j--;
		}
		q[j] = h;
	}
	for (unsigned i = 0; i < c->nq; i++) {
		const struct sig_rule *r = q[i].r;
		int shown;

		if (r->action == SIG_ACT_PASS) {
			if (c->fp)
				c->fp->flags |= SIG_FP_PASSED;
			svc->counter_add(p->self, c->pkt, p->c_passes, 1);
			break;
		}
		/* actions add up, as Suricata's PacketDrop ORs them: a reject rule after a drop
		 * rule still sends its reject */
		if ((r->action == SIG_ACT_DROP && c->verdict == NW_CONTINUE) ||
		    (r->action == SIG_ACT_REJECT && c->verdict != NW_REJECT)) {
			c->verdict = r->action == SIG_ACT_DROP ? NW_DROP : NW_REJECT;
			if (c->flow) {
				svc->flow_set_verdict(c->flow, NW_DROP);
				if (c->fp)
					c->fp->flags |= SIG_FP_DROPPED;
			}
		}
		if (r->noalert)
			continue;
		if (r->thr.type && !sig_thr_check(&p->thr, r, &r->thr, 0, pi, pi->ts_ns))
			continue;
		if (alerts == p->conf.alert_max) {
			svc->counter_add(p->self, c->pkt, p->c_discarded, 1);
			continue;
		}
		alerts++;
		/* the core replaces this with the packet's final verdict */
		shown = r->action == SIG_ACT_DROP ? NW_DROP
			: r->action == SIG_ACT_REJECT ? NW_REJECT : c->verdict;
		sig_emit_alert(p, c->pkt, pi, r, shown == NW_CONTINUE ? NW_ACCEPT : shown,
			       q[i].snap >= 0 ? &c->w->snap[q[i].snap] : NULL);
		if (sig_offense_wanted(&p->conf, r))
			sig_emit_offense(p, c->pkt, pi, r);
	}
	if (c->verdict != NW_CONTINUE)
		svc->counter_add(p->self, c->pkt,
				 c->verdict == NW_DROP ? p->c_drops : p->c_rejects, 1);
	c->nq = 0;
}

/* A protocol record (EVE event_type http, dns, tls): the flow's client and server as its
 * tuple, as Suricata writes them. Made without a packet (at flow end), it takes the flow's
 * last time and names its protocol itself. */
static void sig_record_init(struct nw_event *ev, const char *type, nw_flow *flow,
			    const nw_packet *pkt)
{
	const struct nw_flow_info *fi = svc->flow_info(flow);

	memset(ev, 0, offsetof(struct nw_event, data));
	ev->size = sizeof(*ev);
	ev->type = NW_EV_CUSTOM;
	snprintf(ev->name, sizeof(ev->name), "%s", type);
	ev->flow_id = fi->id;
	ev->src = fi->client;
	ev->dst = fi->server;
	ev->sport = fi->cport;
	ev->dport = fi->sport;
	ev->ip_proto = fi->ip_proto;
	if (!pkt) {
		ev->ts_ns = fi->last_ns;
		snprintf(ev->app_proto, sizeof(ev->app_proto), "%s", type);
	}
}

/* the records an application event makes (when eve_types asks for them) */
static void sig_app_records(struct sig_pktctx *c, struct sig_appctx *ac)
{
	struct nw_event ev;

	if (!c->flow)
		return;
	if (ac->app == SIG_APP_HTTP && ac->stage == SIG_ST_RESP_BODY && c->p->eve_http) {
		sig_record_init(&ev, "http", c->flow, c->pkt);
		sig_eve_http(&ev, ac);
		svc->event_emit(c->p->self, c->pkt, &ev);
	} else if (ac->app == SIG_APP_DNS && ac->dns && c->p->eve_dns) {
		for (unsigned q = 0; q < (ac->dns->qr ? 1u : ac->dns->n_q); q++) {
			sig_record_init(&ev, "dns", c->flow, c->pkt);
			sig_eve_dns_record(&ev, ac->dns, q);
			svc->event_emit(c->p->self, c->pkt, &ev);
		}
	}
}

/* the tls record of a flow, once: when the server's side is done, or at flow end */
static void sig_tls_record(struct sig_priv *p, struct sig_wpriv *w, const nw_packet *pkt,
			   nw_flow *flow, struct sig_flowpriv *fp, const struct sig_tls_cert *cert)
{
	const struct sig_tls_meta *m;
	struct nw_event ev;

	if (!p->eve_tls || !fp || (fp->flags2 & SIG_FP2_TLS_LOGGED))
		return;
	fp->flags2 |= SIG_FP2_TLS_LOGGED;
	m = sig_tls_meta(w, flow, 0);
	if (!m)
		return;
	sig_record_init(&ev, "tls", flow, pkt);
	sig_eve_tls(&ev, m, cert);
	svc->event_emit(p->self, pkt, &ev);
}

struct sig_pending_ctx {
	struct sig_priv *p;
	const nw_packet *pkt;
	nw_flow *flow;
};

static void sig_http_pending_record(void *opaque, struct sig_appctx *ac)
{
	struct sig_pending_ctx *pc = opaque;
	struct nw_event ev;

	sig_record_init(&ev, "http", pc->flow, pc->pkt);
	sig_eve_http(&ev, ac);
	svc->event_emit(pc->p->self, pc->pkt, &ev);
}

/* the http records of transactions that never got a whole response, when the flow's parser
 * goes (flow end, parser error), as Suricata logs a flow's unfinished transactions at its end */
static void sig_http_records_pending(struct sig_priv *p, struct sig_wpriv *w,
				     const nw_packet *pkt, nw_flow *flow, struct sig_flowpriv *fp)
{
	struct sig_pending_ctx pc = { p, pkt, flow };

	if (p->eve_http && fp->http)
		sig_http_pending(fp->http, &w->ac, sig_http_pending_record, &pc);
}

/* an application event (HTTP transaction stage, DNS message, TLS hello): its rules */
static void sig_app_event(void *opaque, struct sig_appctx *ac)
{
	struct sig_pktctx *c = opaque;
	unsigned n;

	sig_app_records(c, ac);
	if (c->stop || (c->fp && (c->fp->flags & SIG_FP_PASSED)))
		return;
	c->ev_snap = -1;
	svc->counter_add(c->p->self, c->pkt, c->p->c_app_events, 1);
	n = sig_ruleset_app_candidates(c->rs, ac->stage, c->ws, ac);
	c->m.ac = ac;
	for (unsigned k = 0; k < n && !c->stop; k++) {
		const struct sig_rule *r = c->rs->rules[c->ws->cand[k]];
		if (!sig_match_header(&c->m, r) || !sig_match_packet_tests(&c->m, r) ||
		    !sig_flowbits_check(&c->m, r))
			continue;
		if (!sig_inspect_app(&c->m, r) || !sig_eval_payload(c, r))
			continue;
		sig_hit(c, r);
	}
	if (ac->arena_full)
		svc->counter_add(c->p->self, c->pkt, c->p->c_http_trunc, 1);
	c->m.ac = NULL;
}

static void sig_app_setup(struct sig_pktctx *c, uint8_t app, uint8_t stage)
{
	struct sig_appctx *ac = &c->w->ac;

	sig_appctx_reset(ac);
	ac->app = app;
	ac->stage = stage;
	ac->tx = NULL;
	ac->hf = NULL;
	ac->dns = app == SIG_APP_DNS ? c->w->dns : NULL;
	ac->tls = app == SIG_APP_TLS && stage != SIG_ST_TLS_CERT ? c->w->tls : NULL;
	ac->cert = stage == SIG_ST_TLS_CERT ? c->w->cert : NULL;
	ac->chain = stage == SIG_ST_TLS_CERT ? c->w->chain : NULL;
}

static void sig_app_dns(struct sig_pktctx *c, const uint8_t *d, size_t n)
{
	if (sig_dns_parse(d, n, c->w->dns)) {
		svc->counter_add(c->p->self, c->pkt, c->p->c_dns_err, 1);
		return;
	}
	c->dns_parsed = 1;
	if (c->w->dns->qr && c->pi->ip_proto == 17 && c->fp)
		c->fp->flags2 |= SIG_FP2_DNS_RESP;
	sig_app_setup(c, SIG_APP_DNS, SIG_ST_DNS);
	sig_app_event(c, &c->w->ac);
}

/* close the worker's libcrypto window and count what it cost */
static void sig_crypto_close(struct sig_pktctx *c)
{
	struct sig_crypto_stats st;

	sig_crypto_leave(c->w->crypto);
	sig_crypto_take_stats(c->w->crypto, &st);
	if (st.nomem)
		svc->counter_add(c->p->self, c->pkt, c->p->c_crypto_nomem, st.nomem);
	if (st.heap)
		svc->counter_add(c->p->self, c->pkt, c->p->c_crypto_heap, st.heap);
	if (st.held)
		svc->counter_add(c->p->self, c->pkt, c->p->c_crypto_held, st.held);
}

/* TLS: the hello of each direction, then (TLS <= 1.2) the server's certificates, all read
 * from the start of the direction while it is in view. The parsers call libcrypto (JA3's MD5,
 * the certificate) inside the worker's window, the rules run after it. */
static void sig_app_tls(struct sig_pktctx *c, int have_head, const uint8_t *hp, size_t hn)
{
	struct sig_priv *p = c->p;
	struct sig_flowpriv *fp = c->fp;
	int to_client = c->pi->dir != NW_DIR_TO_SERVER;
	uint8_t done = to_client ? SIG_FP_TLS_SH : SIG_FP_TLS_CH;
	const struct sig_tls_hello *h = c->w->tls;
	int rc;

	if (!(fp->flags & done)) {
		if (!have_head) {
			if (!c->v.nothing_new && !c->v.ooo) {
				/* its start left the window */
				fp->flags |= done | (to_client ? SIG_FP_TLS_CERT : 0);
				svc->counter_add(p->self, c->pkt, p->c_tls_err, 1);
				if (to_client)
					sig_tls_record(p, c->w, c->pkt, c->flow, fp, NULL);
			}
			return;
		}
		sig_crypto_enter(c->w->crypto);
		rc = sig_tls_parse(hp, hn, c->w->tls);
		sig_crypto_close(c);
		if (rc == 0)
			return;
		fp->flags |= done;
		if (rc < 0) {
			fp->flags |= to_client ? SIG_FP_TLS_CERT : 0;
			svc->counter_add(p->self, c->pkt, p->c_tls_err, 1);
			if (to_client)
				sig_tls_record(p, c->w, c->pkt, c->flow, fp, NULL);
			return;
		}
		{
			struct sig_tls_meta *m = sig_tls_meta(c->w, c->flow, 1);
			if (m)
				sig_tls_meta_note(m, h);
		}
		/* TLS 1.3 encrypts the certificate; SSL 2.0 has its own messages (not parsed) */
		if (to_client && (h->type != 2 || h->version > 0x0303 || h->version < 0x0300))
			fp->flags |= SIG_FP_TLS_CERT;
		sig_app_setup(c, SIG_APP_TLS, h->type == 1 ? SIG_ST_TLS_CH : SIG_ST_TLS_SH);
		sig_app_event(c, &c->w->ac);
		if (fp->flags & SIG_FP_TLS_CERT)
			sig_tls_record(p, c->w, c->pkt, c->flow, fp, NULL);
	}
	if (!to_client || (fp->flags & SIG_FP_TLS_CERT) || c->stop)
		return;
	if (!have_head) {
		if (!c->v.nothing_new && !c->v.ooo) {
			fp->flags |= SIG_FP_TLS_CERT; /* larger than the window keeps */
			svc->counter_add(p->self, c->pkt, p->c_tls_err, 1);
			sig_tls_record(p, c->w, c->pkt, c->flow, fp, NULL);
		}
		return;
	}
	sig_crypto_enter(c->w->crypto);
	/* the whole Certificate message, or the certificates complete when the start of the
	 * stream is about to leave the window */
	rc = sig_tls_cert_parse(hp, hn, hn > SIG_STREAM_WIN, c->w->cert, c->w->chain);
	sig_crypto_close(c);
	if (rc == 0)
		return;
	fp->flags |= SIG_FP_TLS_CERT;
	if (rc < 0) {
		svc->counter_add(p->self, c->pkt, p->c_tls_err, 1);
		sig_tls_record(p, c->w, c->pkt, c->flow, fp, NULL);
		return;
	}
	sig_app_setup(c, SIG_APP_TLS, SIG_ST_TLS_CERT);
	sig_app_event(c, &c->w->ac);
	sig_tls_record(p, c->w, c->pkt, c->flow, fp, c->w->cert);
}

/* The HTTP parser failed (counted once) or has nothing more to parse (a CONNECT tunnel): free
 * it and its http-parsers slot now rather than at flow end. */
static void sig_http_count(struct sig_pktctx *c)
{
	unsigned n = sig_http_take_long_fields(c->fp->http);

	if (n)
		svc->counter_add(c->p->self, c->pkt, c->p->c_http_long, n);
}

static void sig_http_stop(struct sig_pktctx *c)
{
	sig_http_count(c);
	if (sig_http_failed(c->fp->http))
		svc->counter_add(c->p->self, c->pkt, c->p->c_http_err, 1);
	if (c->flow)
		sig_http_records_pending(c->p, c->w, c->pkt, c->flow, c->fp);
	sig_http_flow_free(c->fp->http);
	c->fp->http = NULL;
}

/* tell the core the flow's app_proto, as Suricata names it ("failed": none it parses) */
static void sig_app_name(struct sig_pktctx *c)
{
	const char *n = sig_app_proto_name(c->fp->app);

	if (!n || (c->fp->flags2 & SIG_FP2_APP_NAMED) ||
	    svc->size < offsetof(struct nw_services, flow_set_app_proto) +
				sizeof(svc->flow_set_app_proto) ||
	    !svc->flow_set_app_proto)
		return;
	c->fp->flags2 |= SIG_FP2_APP_NAMED;
	svc->flow_set_app_proto(c->flow, n);
}

/* The server's in-order FIN ends an HTTP response that runs to the close (HTTP/1.0 without
 * Content-Length): libhtp only ends such a body when told the stream closed, as Suricata does on
 * the to-client end of stream. A FIN beyond a gap closes nothing (the body is not complete). */
static void sig_app_fin(struct sig_pktctx *c, const struct sig_stream *st)
{
	const struct nw_pkt_info *pi = c->pi;
	struct sig_flowpriv *fp = c->fp;

	if (!fp || !fp->http || fp->app != SIG_APP_HTTP || pi->ip_proto != 6 ||
	    !(pi->tcp_flags & NW_TCP_FIN) || pi->dir != NW_DIR_TO_CLIENT || !st || c->v.ooo ||
	    (st->init && (int32_t)(pi->tcp_seq - st->next_seq) > 0))
		return;
	sig_http_close(fp->http, pi->ts_ns, &c->w->ac, sig_app_event, c);
}

/* detection and parsing for the packet's flow; rules of the events it completes run here */
static void sig_app_packet(struct sig_pktctx *c, struct sig_stream *st)
{
	struct sig_priv *p = c->p;
	struct sig_flowpriv *fp = c->fp;
	const struct nw_pkt_info *pi = c->pi;
	const uint8_t *hp = NULL;
	size_t hn = 0;
	int have_head = 0, fed = 0;

	if (!fp || !pi->payload_len || !(pi->flags & NW_PKT_L4) || pi->dir > 1)
		return;
	/* midstream = no: Suricata keeps no TCP session, so no application layer, for a flow
	 * picked up mid-stream; its packets still meet the packet rules */
	if (pi->ip_proto == 6 && !p->conf.midstream && !(fp->flags & SIG_FP_HANDSHAKE))
		return;
	if (pi->ip_proto == 6 && st)
		have_head = sig_stream_head(st, pi, &c->v, &hp, &hn);
	if (fp->app == SIG_APP_NONE) {
		if (pi->ip_proto == 17) {
			fp->app = sig_app_detect(pi->payload, pi->payload_len, 0);
		} else if (pi->ip_proto == 6 && st) {
			/* no head yet because this segment came early or again: decide later (the
			 * in-order start must not be skipped by sending the second segment first) */
			int banner = 0;
			uint8_t a = have_head
					    ? sig_app_detect_tcp(hp, hn, pi->dir != NW_DIR_TO_SERVER,
								 !!(fp->flags2 & SIG_FP2_BANNER220),
								 &banner)
				    : (c->v.ooo || c->v.nothing_new) ? SIG_APP_NONE
								     : SIG_APP_UNKNOWN;
			if (banner)
				fp->flags2 |= SIG_FP2_BANNER220;
			if (a == SIG_APP_NONE && !c->v.nothing_new && ++fp->tries[pi->dir] > 32)
				a = SIG_APP_UNKNOWN;
			fp->app = a;
		} else {
			fp->app = SIG_APP_UNKNOWN;
		}
		if (fp->app != SIG_APP_NONE) {
			svc->counter_add(p->self, c->pkt, p->c_app[fp->app], 1);
			sig_app_name(c);
		}
		c->m.app = fp->app;
		if (fp->app == SIG_APP_HTTP) {
			fp->http = sig_http_flow_new(c->w->hw);
			if (!fp->http) {
				fp->flags |= SIG_FP_HTTP_CAP;
				svc->counter_add(p->self, c->pkt, p->c_http_cap, 1);
			} else if (have_head) {
				/* everything from the start of this direction */
				if (sig_http_feed(fp->http, pi->dir, hp, hn, pi->ts_ns, &c->w->ac,
						  sig_app_event, c))
					sig_http_stop(c);
				fed = 1;
			}
		}
	}
	switch (fp->app) {
	case SIG_APP_HTTP:
		if (fp->http && !fed) {
			const uint8_t *d[2];
			size_t n[2];
			unsigned k = sig_stream_new(st, pi, d, n);
			for (unsigned i = 0; i < k; i++) {
				if (sig_http_feed(fp->http, pi->dir, d[i], n[i], pi->ts_ns, &c->w->ac,
						  sig_app_event, c)) {
					sig_http_stop(c);
					break;
				}
			}
		}
		if (fp->http)
			sig_http_count(c);
		break;
	case SIG_APP_DNS:
		if (pi->ip_proto == 17) {
			sig_app_dns(c, pi->payload, pi->payload_len);
		} else if (pi->payload_len >= 14 && !c->v.nothing_new) {
			size_t l = (size_t)(pi->payload[0] << 8 | pi->payload[1]);
			if (l + 2 <= pi->payload_len)
				sig_app_dns(c, pi->payload + 2, l);
		}
		break;
	case SIG_APP_TLS:
		sig_app_tls(c, have_head, hp, hn);
		break;
	default:
		break;
	}
}

/* A TCP flow whose first packet here is not a SYN was picked up mid-stream (Suricata's
 * stream.midstream). SIG_FP_HANDSHAKE: the client's SYN was seen. */
static void sig_handshake_note(struct sig_priv *p, const nw_packet *pkt, nw_flow *flow,
			       struct sig_flowpriv *fp, const struct nw_pkt_info *pi)
{
	const struct nw_flow_info *fi = svc->flow_info(flow);
	int syn;

	if (pi->ip_proto != 6 || !(pi->flags & NW_PKT_L4))
		return;
	syn = (pi->tcp_flags & (NW_TCP_SYN | NW_TCP_ACK)) == NW_TCP_SYN;
	if (syn && pi->dir == NW_DIR_TO_SERVER)
		fp->flags |= SIG_FP_HANDSHAKE;
	else if (!syn && fi->pkts[0] + fi->pkts[1] == 1)
		svc->counter_add(p->self, pkt, p->c_midstream, 1);
}

/* flow:established. TCP: the core saw the connection established, and (unless midstream = yes)
 * its handshake began with the client's SYN; other protocols: a reply was seen. */
static int sig_established(const struct sig_priv *p, nw_flow *flow,
			   const struct sig_flowpriv *fp, const struct nw_pkt_info *pi)
{
	const struct nw_flow_info *fi;

	if (!flow)
		return 0;
	fi = svc->flow_info(flow);
	if (pi->ip_proto != 6)
		return fi->tcp_state == NW_CT_ESTABLISHED || fi->pkts[NW_DIR_TO_CLIENT] > 0;
	return fi->tcp_state == NW_CT_ESTABLISHED &&
	       (p->conf.midstream || (fp && (fp->flags & SIG_FP_HANDSHAKE)));
}

/*
 * Is the flow done for the rules (the flow bypass vote, natwarden.conf bypass = yes)? A pass
 * rule matched; TCP: a direction reached stream-depth (http-depth for HTTP); TLS: the handshake
 * is over with no certificate left to parse (tls-bypass); UDP DNS: a response was read; UDP and
 * others: a direction carried udp-depth bytes. Never a flow a drop rule judged.
 */
static int sig_flow_done(const struct sig_priv *p, nw_flow *flow, const struct sig_flowpriv *fp)
{
	const struct nw_flow_info *fi = svc->flow_info(flow);
	uint64_t depth;

	if (fp->flags & SIG_FP_DROPPED)
		return 0;
	if (fp->flags & SIG_FP_PASSED)
		return 1;
	if (fi->ip_proto == 6) {
		depth = fp->app == SIG_APP_HTTP && p->conf.http_depth ? p->conf.http_depth
								       : p->conf.stream_depth;
		if (depth && (fp->st[0].base + fp->st[0].len >= depth ||
			      fp->st[1].base + fp->st[1].len >= depth))
			return 1;
		return p->conf.tls_bypass && fp->app == SIG_APP_TLS &&
		       (fp->flags & (SIG_FP_TLS_CH | SIG_FP_TLS_SH | SIG_FP_TLS_CERT)) ==
			       (SIG_FP_TLS_CH | SIG_FP_TLS_SH | SIG_FP_TLS_CERT);
	}
	if (fi->ip_proto == 17 && fp->app == SIG_APP_DNS && (fp->flags2 & SIG_FP2_DNS_RESP))
		return 1;
	return p->conf.udp_depth &&
	       (fi->bytes[0] >= p->conf.udp_depth || fi->bytes[1] >= p->conf.udp_depth);
}

static void sig_bypass_vote(struct sig_priv *p, const nw_packet *pkt, nw_flow *flow,
			    struct sig_flowpriv *fp)
{
	if (!flow || !fp || (fp->flags2 & SIG_FP2_BYPASS_VOTED) || !sig_flow_done(p, flow, fp))
		return;
	fp->flags2 |= SIG_FP2_BYPASS_VOTED;
	svc->flow_bypass_vote(flow, p->self, 1);
	svc->counter_add(p->self, pkt, p->c_bypass_votes, 1);
}

static int sig_packet(void *priv, void *wpriv, nw_packet *pkt, nw_flow *flow)
{
	struct sig_priv *p = priv;
	struct sig_wpriv *w = wpriv;
	struct sig_ruleset *rs = atomic_load_explicit(&p->rs, memory_order_acquire);
	struct sig_pktctx c;
	struct sig_stream *st = NULL;
	const struct sig_group *g;
	const uint8_t *scan;
	size_t scan_len;
	unsigned n;

	if (!rs || !rs->n) {
		/* no rules: nothing to inspect */
		if (flow)
			svc->flow_bypass_vote(flow, p->self, 1);
		return NW_CONTINUE;
	}
	memset(&c, 0, sizeof(c));
	c.p = p;
	c.w = w;
	c.rs = rs;
	c.pkt = pkt;
	c.flow = flow;
	c.verdict = NW_CONTINUE;
	c.ev_snap = c.last_snap = -1;
	c.pi = svc->pkt_info(pkt);
	if (flow) {
		c.fp = svc->flow_priv(flow, p->self);
		if (c.fp)
			sig_handshake_note(p, pkt, flow, c.fp, c.pi);
		if (c.fp && (c.fp->flags & SIG_FP_PASSED))
			return NW_CONTINUE;
		if (c.fp && (c.fp->flags & SIG_FP_DROPPED))
			return NW_RESULT(NW_DROP, p->reason_rule);
	}
	c.ws = w->id < SIG_MAX_WORKERS ? rs->ws[w->id] : NULL;
	if (!c.ws || !w->md || !w->hw) {
		svc->counter_add(p->self, pkt, p->c_noscratch, 1);
		return NW_CONTINUE;
	}
	c.pkt_len = c.pi->payload_len;
	if (c.fp && c.pi->ip_proto == 6 && (c.pi->flags & NW_PKT_L4) && c.pi->dir <= 1) {
		st = &c.fp->st[c.pi->dir];
		sig_stream_view(st, c.pi, w->sbuf, &c.v);
		if (c.v.nothing_new)
			c.pkt_len = 0;
		if (c.v.ooo)
			svc->counter_add(p->self, pkt, p->c_ooo, 1);
		if (c.v.overlap_diff) {
			svc->counter_add(p->self, pkt, p->c_overlap, 1);
			if (p->conf.overlap_drop) {
				svc->counter_add(p->self, pkt, p->c_drops, 1);
				return NW_RESULT(NW_DROP, p->reason_rule);
			}
		}
	}
	c.m.pi = c.pi;
	c.m.pkt = pkt;
	c.m.flow = flow;
	c.m.flowbits = c.fp ? &c.fp->fb : NULL;
	c.m.streams = st ? c.fp->st : NULL;
	c.m.xbt = &p->xb;
	c.m.established = sig_established(p, flow, c.fp, c.pi);
	c.m.md = w->md;
	c.m.mc = p->mc;
	c.m.app = c.fp ? c.fp->app : SIG_APP_NONE;

	/* application layer first: its events evaluate the application rules */
	sig_app_packet(&c, st);
	if (!c.stop)
		sig_app_fin(&c, st);
	c.m.app = c.fp ? c.fp->app : SIG_APP_NONE;

	scan = c.v.has_stream ? c.v.sbuf : c.pi->payload;
	scan_len = c.v.has_stream ? c.v.slen : c.pkt_len;
	g = sig_ruleset_group(rs, c.pi);
	n = c.stop ? 0 : sig_ruleset_candidates(rs, g, c.ws, scan, scan_len);
	for (unsigned k = 0; k < n && !c.stop; k++) {
		const struct sig_rule *r = rs->rules[c.ws->cand[k]];

		if (!sig_match_header(&c.m, r) || !sig_match_packet_tests(&c.m, r) ||
		    !sig_flowbits_check(&c.m, r))
			continue;
		if (!sig_eval_payload(&c, r))
			continue;
		sig_hit(&c, r);
	}
	if (st)
		sig_stream_update(st, c.pi);
	sig_finalize(&c);
	sig_bypass_vote(p, pkt, flow, c.fp);
	if (c.verdict != NW_CONTINUE)
		return NW_RESULT(c.verdict, p->reason_rule);
	return NW_CONTINUE;
}

static int sig_reload(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	struct sig_priv *p = priv;
	struct sig_conf nc;
	struct sig_ruleset *rs = NULL;
	int rc = sig_conf_parse(cfg, sec, &nc);

	if (rc) {
		sig_conf_free(&nc);
		svc->log(self, NW_LOG_ERR, "reload: bad configuration, keeping the old rules");
		return rc;
	}
	rc = sig_build(p, &nc, nc.strict ? cfg : NULL, sec, &rs);
	if (rc || (nc.strict && rs->n_bad)) {
		svc->log(self, NW_LOG_ERR, "reload failed (%s), keeping the old %u rules",
			 rc ? strerror(-rc) : "bad rules and strict = yes",
			 atomic_load(&p->rs) ? atomic_load(&p->rs)->n : 0);
		sig_ruleset_free(rs);
		sig_conf_free(&nc);
		return rc ? rc : -EINVAL;
	}
	/* built aside; sig_reload_finish switches to it once the whole chain took the file */
	p->staged_rs = rs;
	p->staged_conf = nc;
	p->staged = 1;
	return 0;
}

static void sig_reload_finish(nw_plugin *self, void *priv, int apply)
{
	struct sig_priv *p = priv;
	struct sig_ruleset *rs = p->staged_rs, *old;

	if (!p->staged)
		return;
	p->staged = 0;
	p->staged_rs = NULL;
	if (!apply) {
		sig_ruleset_free(rs);
		sig_conf_free(&p->staged_conf);
		return;
	}
	old = atomic_exchange_explicit(&p->rs, rs, memory_order_acq_rel);
	svc->quiesce();
	sig_ruleset_free(old);
	sig_conf_free(&p->conf);
	p->conf = p->staged_conf;
	memset(&p->staged_conf, 0, sizeof(p->staged_conf));
	sig_publish_gauges(p, rs);
	svc->log(self, NW_LOG_NOTICE, "reloaded: %u rules, %u failed (skipped)", rs->n, rs->n_bad);
}

static void sig_stop(nw_plugin *self, void *priv)
{
	struct sig_priv *p = priv;

	sig_reload_finish(self, p, 0);
	sig_ruleset_free(atomic_exchange(&p->rs, NULL));
	sig_conf_free(&p->conf);
	sig_thr_free(&p->thr);
	sig_names_free(&p->fb_names);
	sig_names_free(&p->xb_names);
	sig_xb_free(&p->xb);
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
	.flow_end = sig_flow_end,
	.reload = sig_reload,
	.reload_finish = sig_reload_finish,
	.stop = sig_stop,
};
