/* plugins/signature/sig_ruleset.h: a loaded rule set: rules, grouping and the Vectorscan prefilter. */
#ifndef SIG_RULESET_H
#define SIG_RULESET_H

#include <hs/hs.h>
#include "sig.h"

/* packet classes the rule set is grouped by */
enum { SIG_PC_TCP = 0, SIG_PC_UDP, SIG_PC_ICMP, SIG_PC_OTHER, SIG_PC_MAX };

struct sig_group {
	hs_database_t *db;  /* fast patterns of the group's rules (id = rule idx); NULL if none */
	uint32_t *always;   /* rules without a prefilter pattern (sorted) */
	unsigned n_always;
	unsigned n_rules;   /* rules in the group */
	unsigned n_fp;
	const struct sig_group *also; /* a port group's class default group, scanned as well
				       * (NULL: the defaults are merged into this group) */
};

/* application rules evaluated at one stage (enum sig_stage) */
struct sig_appgroup {
	hs_database_t *db[SIG_BUF_MAX * 2]; /* fast patterns by buffer*2 + response side */
	uint32_t *always;                   /* rules whose fast pattern is not in an app buffer */
	unsigned n_always, n_rules, n_fp;
};

struct sig_portgroup {
	uint16_t port;
	struct sig_group *g;
};

/* per-worker scratch tied to one rule set */
struct sig_wscratch {
	hs_scratch_t *hs;
	uint32_t *cand; /* candidate rule indices (n_rules) */
	uint8_t *seen;  /* one bit per rule */
	unsigned n_cand;
};

struct sig_ruleset {
	struct sig_rule **rules; /* sorted: pass, drop, reject, alert; then file order */
	unsigned n;
	unsigned n_bad;          /* rules that failed to parse (skipped) */
	unsigned n_files;
	struct sig_vars vars;
	struct sig_classes classes;
	struct sig_group *groups;  /* all groups (array) */
	unsigned n_groups;
	struct sig_group *dflt[SIG_PC_MAX];   /* per packet class */
	struct sig_portgroup *ports[2];       /* tcp, udp: sorted by port */
	unsigned n_ports[2];
	struct sig_appgroup app[SIG_ST_MAX];  /* application rules by stage */
	hs_scratch_t *proto_scratch;          /* prototype, cloned per worker */
	struct sig_wscratch *ws[SIG_MAX_WORKERS];
	uint64_t generation;
};

struct sig_load {
	const char *const *files; /* rule files */
	unsigned n_files;
	const char *classification; /* NULL: built-in defaults only */
	const struct sig_vars *vars;
	struct sig_names *fb_names; /* flowbit names (shared across builds, grows only) */
	struct sig_names *xb_names; /* xbit names (likewise); NULL: xbits are refused */
	const struct nw_keyword *(*ext_find)(const char *name, void **priv);
	void (*error)(void *opaque, const char *msg);
	void *opaque;
	const char *const *rule_texts; /* alternatively: rules given as text lines (tests) */
	unsigned n_rule_texts;
	unsigned merge_budget; /* prefilter patterns that merging class defaults into port groups
				* may add (0: the default, sig_group.c) */
};

/* report a load error through l->error */
void sig_load_report(const struct sig_load *l, const char *fmt, ...) NW_PRINTF(2, 3);
/* the fast pattern the prefilter looks for, NULL if the rule is evaluated without one */
const struct sig_content *sig_rule_prefilter(const struct sig_rule *r);
/* group the packet rules by class and port / the application rules by stage and buffer, and
 * compile their prefilters (sig_group.c); rs->rules sorted */
int sig_groups_build(struct sig_ruleset *rs, const struct sig_load *l);
int sig_appgroups_build(struct sig_ruleset *rs, const struct sig_load *l);

/* load and compile; errors about single rules go to l->error and are counted in n_bad.
 * Returns 0 or -errno (a file could not be read, or the prefilter failed to compile). */
int sig_ruleset_build(const struct sig_load *l, struct sig_ruleset **out);
void sig_ruleset_free(struct sig_ruleset *rs);
/* allocate worker `w`'s scratch for this rule set (main or that worker thread) */
int sig_ruleset_worker_init(struct sig_ruleset *rs, unsigned w);
/* the group a packet's payload is inspected with */
const struct sig_group *sig_ruleset_group(const struct sig_ruleset *rs,
					  const struct nw_pkt_info *pi);
/* candidates of group g for buf (sorted rule indices into ws->cand); returns the count */
unsigned sig_ruleset_candidates(const struct sig_ruleset *rs, const struct sig_group *g,
				struct sig_wscratch *ws, const uint8_t *buf, size_t len);

/* candidates among the application rules of a stage for the event ac */
unsigned sig_ruleset_app_candidates(const struct sig_ruleset *rs, unsigned stage,
				    struct sig_wscratch *ws, struct sig_appctx *ac);

#endif /* SIG_RULESET_H */
