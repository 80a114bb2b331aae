/* ratelimit plugin: [limit NAME] sections; per-key GCRA limits on packets, bytes or new connections. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "natwarden/plugin.h"
#include "rl_parse.h"
#include "rl_table.h"

#define RL_MAX_LIMITS 31 /* verdict reasons per plugin (NW_MAX_REASONS - 1) */
#define RL_MAX_PORTS 32
#define RL_MAX_IGNORE 64
#define RL_NAME_MAX 32
#define RL_NO_ID 0xffffffffu
#define RL_DEFAULT_MAX_KEYS 65536
#define RL_DEFAULT_BURST 5 /* hashlimit's default */
#define RL_DEFAULT_INTERVAL_NS (10 * RL_NS_PER_SEC)

enum rl_count { RL_COUNT_PACKETS = 0, RL_COUNT_BYTES = 1, RL_COUNT_NEWCONN = 2 };
enum rl_action { RL_ACT_DROP = 0, RL_ACT_ALERT = 1, RL_ACT_OFFENSE = 2 };
enum rl_dirn { RL_DIR_ANY = 0, RL_DIR_IN = 1, RL_DIR_OUT = 2 };

/* One [limit NAME] section, parsed. */
struct rl_limit {
	char name[RL_NAME_MAX];
	uint8_t protos[32];        /* protocol bitmap */
	int proto_any;             /* 1: any protocol */
	struct rl_range dports[RL_MAX_PORTS];
	unsigned n_dports;         /* 0: any port (and packets without ports) */
	int port_public;           /* 1: match/key the pre-NAT port and address */
	int dir;                   /* enum rl_dirn */
	int count;                 /* enum rl_count */
	int count_set;             /* count was given explicitly */
	struct rl_keyspec key;
	struct rl_rate_spec rate_spec;
	char rate_text[32];        /* as configured, for events */
	char burst_text[32];
	uint64_t burst;            /* packets or bytes */
	struct rl_rate rate;       /* GCRA parameters */
	int action;                /* enum rl_action */
	char jail[32];
	int offense_only;          /* offense: do not drop */
	struct rl_cidr ignore[RL_MAX_IGNORE];
	unsigned n_ignore;
	uint64_t max_keys;
	uint64_t interval_ns;      /* minimum time between two events of one key */
	unsigned reason;           /* verdict reason id (0 if none could be registered) */
	unsigned c_acc, c_lim, c_evict, c_keys; /* counter ids or RL_NO_ID */
	struct rl_table *table;    /* allocated at start; shared by every worker */
	int table_owned;           /* this state frees the table */
	int rescale;               /* reload: the table came from a limit with rate prev_rate */
	struct rl_rate prev_rate;
};

/* A whole configuration, swapped atomically on reload. */
struct rl_state {
	struct rl_limit *lim;
	unsigned n;
	struct rl_cidr ignore[RL_MAX_IGNORE]; /* [ratelimit] ignoreip */
	unsigned n_ignore;
	uint64_t max_keys;    /* default for limits */
	uint64_t interval_ns; /* default for limits */
	int seed_set;
	uint64_t seed;
};

struct rl_priv {
	nw_plugin *self;
	_Atomic(struct rl_state *) cur; /* what workers use */
	struct rl_state *pending;       /* configured, not started yet */
	struct rl_state *staged;        /* built by a reload, until applied or dropped */
	uint64_t seed[4];               /* table hash key */
};

static const struct nw_services *svc;

/* ---- configuration ---------------------------------------------------------------------- */

typedef int (*rl_limit_fn)(struct rl_limit *l, const char *v, char *err, size_t errlen);

static int rl_set_proto(struct rl_limit *l, const char *v, char *err, size_t errlen)
{
	return rl_parse_protos(v, l->protos, &l->proto_any, err, errlen);
}

static int rl_set_dport(struct rl_limit *l, const char *v, char *err, size_t errlen)
{
	return rl_parse_ports(v, l->dports, RL_MAX_PORTS, &l->n_dports, err, errlen);
}

static int rl_word(const char *v, const char *const *words, int n, int *out)
{
	char buf[32];
	size_t len = strlen(v);
	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	while (len && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, v, len);
	buf[len] = 0;
	for (int i = 0; i < n; i++) {
		if (words[i] && !strcmp(buf, words[i])) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

static int rl_set_port(struct rl_limit *l, const char *v, char *err, size_t errlen)
{
	static const char *const w[] = { "private", "public" };
	if (rl_word(v, w, 2, &l->port_public) < 0) {
		snprintf(err, errlen, "port must be 'public' (pre-NAT) or 'private' (post-NAT)");
		return -EINVAL;
	}
	return 0;
}

static int rl_set_direction(struct rl_limit *l, const char *v, char *err, size_t errlen)
{
	static const char *const w[] = { "any", "inbound", "outbound" };
	if (rl_word(v, w, 3, &l->dir) < 0) {
		snprintf(err, errlen, "direction must be inbound, outbound or any");
		return -EINVAL;
	}
	return 0;
}

static int rl_set_count(struct rl_limit *l, const char *v, char *err, size_t errlen)
{
	static const char *const w[] = { "packets", "bytes", "new-connections" };
	if (rl_word(v, w, 3, &l->count) < 0) {
		snprintf(err, errlen, "count must be packets, bytes or new-connections");
		return -EINVAL;
	}
	l->count_set = 1;
	return 0;
}

static int rl_set_key(struct rl_limit *l, const char *v, char *err, size_t errlen)
{
	return rl_parse_key(v, &l->key, err, errlen);
}

static int rl_set_rate(struct rl_limit *l, const char *v, char *err, size_t errlen)
{
	int rc = rl_parse_rate(v, &l->rate_spec, err, errlen);
	if (rc == 0)
		snprintf(l->rate_text, sizeof(l->rate_text), "%s", v);
	return rc;
}

static int rl_set_burst(struct rl_limit *l, const char *v, char *err, size_t errlen)
{
	/* parsed when the unit (packets or bytes) is known; syntax checked now */
	uint64_t b;
	int rc = rl_parse_size(v, &b, err, errlen);
	if (rc == 0 && b == 0) {
		snprintf(err, errlen, "burst must be at least 1");
		rc = -EINVAL;
	}
	if (rc == 0) {
		l->burst = b;
		snprintf(l->burst_text, sizeof(l->burst_text), "%s", v);
	}
	return rc;
}

static int rl_set_action(struct rl_limit *l, const char *v, char *err, size_t errlen)
{
	static const char *const w[] = { "drop", "alert", "offense" };
	if (rl_word(v, w, 3, &l->action) < 0) {
		snprintf(err, errlen, "action must be drop, alert or offense (with jail = NAME)");
		return -EINVAL;
	}
	return 0;
}

static int rl_set_jail(struct rl_limit *l, const char *v, char *err, size_t errlen)
{
	size_t n = strlen(v);
	if (!n || n >= sizeof(l->jail) || strpbrk(v, " \t,")) {
		snprintf(err, errlen, "jail must be one jail name of at most %zu characters",
			 sizeof(l->jail) - 1);
		return -EINVAL;
	}
	memcpy(l->jail, v, n + 1);
	return 0;
}

/* `offense = JAIL`: shorthand for action = offense + jail = JAIL */
static int rl_set_offense(struct rl_limit *l, const char *v, char *err, size_t errlen)
{
	int rc = rl_set_jail(l, v, err, errlen);
	if (rc == 0)
		l->action = RL_ACT_OFFENSE;
	return rc;
}

static int rl_set_offense_only(struct rl_limit *l, const char *v, char *err, size_t errlen)
{
	if (rl_parse_bool(v, &l->offense_only) < 0) {
		snprintf(err, errlen, "offense-only must be yes or no");
		return -EINVAL;
	}
	return 0;
}

static int rl_set_ignoreip(struct rl_limit *l, const char *v, char *err, size_t errlen)
{
	return rl_parse_cidrs(v, l->ignore, RL_MAX_IGNORE, &l->n_ignore, err, errlen);
}

static int rl_set_max_keys(struct rl_limit *l, const char *v, char *err, size_t errlen)
{
	int rc = rl_parse_size(v, &l->max_keys, err, errlen);
	if (rc == 0 && (l->max_keys < 1 || l->max_keys > (UINT64_C(1) << 32))) {
		snprintf(err, errlen, "max-keys must be between 1 and 4294967296");
		rc = -EINVAL;
	}
	return rc;
}

static int rl_set_interval(struct rl_limit *l, const char *v, char *err, size_t errlen)
{
	int rc = rl_parse_duration_ns(v, &l->interval_ns, err, errlen);
	if (rc == 0 && l->interval_ns == 0) {
		snprintf(err, errlen, "event-interval must be positive");
		rc = -EINVAL;
	}
	return rc;
}

static const struct {
	const char *name;
	rl_limit_fn fn;
} rl_limit_keys[] = {
	{ "proto", rl_set_proto },
	{ "dport", rl_set_dport },
	{ "port", rl_set_port },
	{ "direction", rl_set_direction },
	{ "count", rl_set_count },
	{ "key", rl_set_key },
	{ "rate", rl_set_rate },
	{ "burst", rl_set_burst },
	{ "action", rl_set_action },
	{ "jail", rl_set_jail },
	{ "offense", rl_set_offense },
	{ "offense-only", rl_set_offense_only },
	{ "ignoreip", rl_set_ignoreip },
	{ "max-keys", rl_set_max_keys },
	{ "event-interval", rl_set_interval },
};

static int rl_name_ok(const char *n)
{
	size_t len = strlen(n);
	if (!len || len >= RL_NAME_MAX)
		return 0;
	for (const char *p = n; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

/* Parse one [limit NAME]; 0 or -EINVAL (errors recorded). */
static int rl_limit_parse(nw_plugin *self, const nw_config *cfg, const nw_section *sec,
			  const struct rl_state *st, struct rl_limit *l)
{
	const char *name = svc->conf_section_name(sec);
	const char *k, *v;
	unsigned line, rate_line = 0, burst_line = 0;
	char err[256];
	int bad = 0;

	memset(l, 0, sizeof(*l));
	if (!name || !rl_name_ok(name))
		return svc->conf_error(cfg, sec, 0,
				       "limit name '%s' must be 1..%d characters of A-Z a-z 0-9 - _ .",
				       name ? name : "", RL_NAME_MAX - 1);
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->proto_any = 1;
	l->port_public = 1;
	l->key.addr = RL_KA_SRC;
	l->key.v4len = 32;
	l->key.v6len = 128;
	l->max_keys = st->max_keys;
	l->interval_ns = st->interval_ns;

	for (unsigned i = 0; (k = svc->conf_kv(sec, i, &v, &line)) != NULL; i++) {
		size_t j, nk = sizeof(rl_limit_keys) / sizeof(rl_limit_keys[0]);
		for (j = 0; j < nk; j++)
			if (!strcmp(k, rl_limit_keys[j].name))
				break;
		if (j == nk) {
			svc->conf_error(cfg, sec, line, "unknown key '%s'", k);
			bad = 1;
			continue;
		}
		err[0] = 0;
		if (rl_limit_keys[j].fn(l, v ? v : "", err, sizeof(err)) < 0) {
			svc->conf_error(cfg, sec, line, "%s: %s", k, err);
			bad = 1;
		}
		if (!strcmp(k, "rate"))
			rate_line = line;
		else if (!strcmp(k, "burst"))
			burst_line = line;
	}
	if (bad)
		return -EINVAL;
	if (!l->rate_spec.amount)
		return svc->conf_error(cfg, sec, 0, "rate is required (e.g. rate = 10/s)");
	if (l->rate_spec.bytes && !l->count_set)
		l->count = RL_COUNT_BYTES;
	if (l->rate_spec.bytes != (l->count == RL_COUNT_BYTES))
		return svc->conf_error(cfg, sec, rate_line,
				       l->rate_spec.bytes
					       ? "rate '%s' is a byte rate but count is not bytes"
					       : "count = bytes needs a byte rate like 2mbit or "
						 "100kB/s, not '%s'",
				       l->rate_text);
	if (!l->burst) {
		if (l->count == RL_COUNT_BYTES) {
			/* one second's worth of the rate, and at least one full-size packet */
			unsigned __int128 bps = (unsigned __int128)l->rate_spec.amount *
						RL_NS_PER_SEC / l->rate_spec.period_ns;
			l->burst = bps < 1500 ? 1500 : bps > UINT32_MAX ? UINT32_MAX : (uint64_t)bps;
		} else {
			l->burst = RL_DEFAULT_BURST;
		}
		snprintf(l->burst_text, sizeof(l->burst_text), "%llu",
			 (unsigned long long)l->burst);
	}
	if (l->count == RL_COUNT_BYTES && l->burst < 1500)
		svc->log(self, NW_LOG_WARNING,
			 "[limit %s]: burst %s is smaller than a full-size packet; a packet larger "
			 "than the burst is always over the limit", l->name, l->burst_text);
	if (rl_rate_from_spec(&l->rate, &l->rate_spec, l->burst, err, sizeof(err)) < 0)
		return svc->conf_error(cfg, sec, burst_line ? burst_line : rate_line, "%s", err);
	if (l->action == RL_ACT_OFFENSE && !l->jail[0])
		return svc->conf_error(cfg, sec, 0, "action = offense needs jail = NAME");
	if (l->action != RL_ACT_OFFENSE && (l->jail[0] || l->offense_only))
		return svc->conf_error(cfg, sec, 0,
				       "jail and offense-only only apply to action = offense");
	return 0;
}

static int rl_global_parse(const nw_config *cfg, const nw_section *sec, struct rl_state *st)
{
	const char *k, *v;
	unsigned line;
	char err[256];
	int bad = 0;

	st->max_keys = RL_DEFAULT_MAX_KEYS;
	st->interval_ns = RL_DEFAULT_INTERVAL_NS;
	if (!sec)
		return 0;
	for (unsigned i = 0; (k = svc->conf_kv(sec, i, &v, &line)) != NULL; i++) {
		int rc;
		struct rl_limit tmp;
		err[0] = 0;
		if (!v)
			v = "";
		if (!strcmp(k, "ignoreip")) {
			rc = rl_parse_cidrs(v, st->ignore, RL_MAX_IGNORE, &st->n_ignore, err,
					    sizeof(err));
		} else if (!strcmp(k, "max-keys")) {
			rc = rl_set_max_keys(&tmp, v, err, sizeof(err));
			st->max_keys = tmp.max_keys;
		} else if (!strcmp(k, "event-interval")) {
			rc = rl_set_interval(&tmp, v, err, sizeof(err));
			st->interval_ns = tmp.interval_ns;
		} else if (!strcmp(k, "hash-seed")) {
			char *end;
			errno = 0;
			st->seed = strtoull(v, &end, 0);
			rc = (errno || end == v || *end) ? -EINVAL : 0;
			if (rc)
				snprintf(err, sizeof(err), "expected a number");
			st->seed_set = 1;
		} else {
			svc->conf_error(cfg, sec, line, "unknown key '%s'", k);
			bad = 1;
			continue;
		}
		if (rc < 0) {
			svc->conf_error(cfg, sec, line, "%s: %s", k, err);
			bad = 1;
		}
	}
	return bad ? -EINVAL : 0;
}

static void rl_state_free(struct rl_state *st)
{
	if (!st)
		return;
	for (unsigned i = 0; i < st->n; i++) {
		if (st->lim[i].table && st->lim[i].table_owned) {
			rl_table_free(st->lim[i].table);
			free(st->lim[i].table);
		}
	}
	free(st->lim);
	free(st);
}

/* Build a state from cfg (no tables yet). old: the running state, for counter/reason ids. */
static int rl_state_build(nw_plugin *self, const nw_config *cfg, const nw_section *sec,
			  const struct rl_state *old, int may_register, struct rl_state **out)
{
	struct rl_state *st = calloc(1, sizeof(*st));
	const nw_section *ls;
	unsigned it = 0, n = 0;
	int rc = 0;

	if (!st)
		return -ENOMEM;
	rc = rl_global_parse(cfg, sec, st);
	while ((ls = svc->conf_next(cfg, "limit", &it)) != NULL)
		n++;
	if (n > RL_MAX_LIMITS) {
		rc = svc->conf_error(cfg, NULL, 0, "at most %d [limit] sections", RL_MAX_LIMITS);
		goto fail;
	}
	st->lim = calloc(n ? n : 1, sizeof(*st->lim));
	if (!st->lim) {
		rc = -ENOMEM;
		goto fail;
	}
	it = 0;
	while ((ls = svc->conf_next(cfg, "limit", &it)) != NULL) {
		struct rl_limit *l = &st->lim[st->n];
		if (rl_limit_parse(self, cfg, ls, st, l) < 0) {
			rc = -EINVAL;
			continue;
		}
		for (unsigned j = 0; j < st->n; j++) {
			if (!strcmp(st->lim[j].name, l->name)) {
				rc = svc->conf_error(cfg, ls, 0, "duplicate [limit %s]", l->name);
				break;
			}
		}
		st->n++;
	}
	if (rc < 0)
		goto fail;

	/* counters and verdict reasons: keep the ids of a limit that already had them */
	for (unsigned i = 0; i < st->n; i++) {
		struct rl_limit *l = &st->lim[i];
		const struct rl_limit *o = NULL;
		l->reason = 0;
		l->c_acc = l->c_lim = l->c_evict = l->c_keys = RL_NO_ID;
		for (unsigned j = 0; old && j < old->n; j++)
			if (!strcmp(old->lim[j].name, l->name))
				o = &old->lim[j];
		if (o) {
			l->reason = o->reason;
			l->c_acc = o->c_acc;
			l->c_lim = o->c_lim;
			l->c_evict = o->c_evict;
			l->c_keys = o->c_keys;
			continue;
		}
		if (!may_register)
			continue;
		char cn[64];
		if (svc->reason_register(self, l->name, &l->reason) < 0)
			l->reason = 0;
		static const char *const sfx[] = { "accepted", "limited", "evictions", "keys" };
		static const char *const help[] = {
			"packets within the limit", "packets over the limit",
			"keys with state pushed out of a full table", "table entries in use (entries are recycled, never freed)" };
		unsigned *ids[] = { &l->c_acc, &l->c_lim, &l->c_evict, &l->c_keys };
		for (int c = 0; c < 4; c++) {
			snprintf(cn, sizeof(cn), "%s.%s", l->name, sfx[c]);
			if (svc->counter_register(self, cn, help[c], ids[c]) < 0) {
				*ids[c] = RL_NO_ID;
				svc->log(self, NW_LOG_WARNING,
					 "counter %s not registered (too many counters)", cn);
			}
		}
	}
	*out = st;
	return 0;
fail:
	rl_state_free(st);
	return rc < 0 ? rc : -EINVAL;
}

/* Give every limit its table: reuse the running one when the key, what is counted (packets,
 * bytes, ...: the keys' debt is in those units) and the capacity are unchanged. */
static int rl_state_tables(struct rl_priv *p, struct rl_state *st, struct rl_state *old)
{
	for (unsigned i = 0; i < st->n; i++) {
		struct rl_limit *l = &st->lim[i];
		for (unsigned j = 0; old && j < old->n; j++) {
			struct rl_limit *o = &old->lim[j];
			if (!strcmp(o->name, l->name) && o->table && o->table_owned &&
			    !memcmp(&o->key, &l->key, sizeof(l->key)) && o->count == l->count &&
			    o->max_keys == l->max_keys) {
				l->table = o->table;
				l->table_owned = 1;
				o->table_owned = 0;
				/* a changed rate or burst: the keys' state is rescaled after the swap */
				l->rescale = memcmp(&o->rate, &l->rate, sizeof(l->rate)) != 0;
				l->prev_rate = o->rate;
				break;
			}
		}
		if (l->table)
			continue;
		l->table = calloc(1, sizeof(*l->table));
		if (!l->table)
			return -ENOMEM;
		l->table_owned = 1;
		int rc = rl_table_init(l->table, l->max_keys, p->seed);
		if (rc < 0) {
			svc->log(p->self, NW_LOG_ERR, "[limit %s]: cannot allocate %llu keys: %s",
				 l->name, (unsigned long long)l->max_keys, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* ---- hooks -------------------------------------------------------------------------------- */

static uint64_t rl_splitmix(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static int rl_configure(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	struct rl_priv *p = priv;
	p->self = self;
	return rl_state_build(self, cfg, sec, NULL, 1, &p->pending);
}

static int rl_start(nw_plugin *self, void *priv)
{
	struct rl_priv *p = priv;
	struct rl_state *st = p->pending;
	int rc;

	if (st && st->seed_set) {
		uint64_t x = st->seed;
		for (int i = 0; i < 4; i++)
			p->seed[i] = rl_splitmix(&x);
	} else if (getrandom(p->seed, sizeof(p->seed), 0) != (ssize_t)sizeof(p->seed)) {
		uint64_t x = svc->now_ns() ^ (uint64_t)(uintptr_t)p;
		for (int i = 0; i < 4; i++)
			p->seed[i] = rl_splitmix(&x);
	}
	if (st) {
		rc = rl_state_tables(p, st, NULL);
		if (rc < 0)
			return rc;
	}
	p->pending = NULL;
	atomic_store_explicit(&p->cur, st, memory_order_release);
	return 0;
}

/* the tables st borrowed from old (rl_state_tables) go back to old */
static void rl_state_return(struct rl_state *st, struct rl_state *old)
{
	for (unsigned i = 0; i < st->n; i++) {
		for (unsigned j = 0; old && j < old->n; j++) {
			if (old->lim[j].table == st->lim[i].table) {
				old->lim[j].table_owned = 1;
				st->lim[i].table_owned = 0;
			}
		}
	}
}

/* Build the new state aside (tables of unchanged limits are taken over); rl_reload_finish
 * switches to it. */
static int rl_reload(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	struct rl_priv *p = priv;
	struct rl_state *old = atomic_load(&p->cur), *st = NULL;
	int rc = rl_state_build(self, cfg, sec, old, 0, &st);
	if (rc < 0)
		return rc;
	rc = rl_state_tables(p, st, old);
	if (rc < 0) {
		rl_state_return(st, old);
		rl_state_free(st);
		return rc;
	}
	p->staged = st;
	return 0;
}

static void rl_reload_finish(nw_plugin *self, void *priv, int apply)
{
	struct rl_priv *p = priv;
	struct rl_state *old = atomic_load(&p->cur), *st = p->staged;

	if (!st)
		return;
	p->staged = NULL;
	if (!apply) {
		rl_state_return(st, old);
		rl_state_free(st);
		return;
	}
	for (unsigned i = 0; i < st->n; i++)
		if (st->lim[i].c_acc == RL_NO_ID)
			svc->log(self, NW_LOG_WARNING,
				 "[limit %s] added by reload: no counters or reason until restart",
				 st->lim[i].name);
	atomic_store_explicit(&p->cur, st, memory_order_release);
	svc->quiesce();
	/* every worker now charges the new rates: re-express what the kept keys owe in them */
	for (unsigned i = 0; i < st->n; i++) {
		if (st->lim[i].rescale) {
			rl_table_rescale(st->lim[i].table, &st->lim[i].prev_rate, &st->lim[i].rate,
					 svc->now_ns());
			st->lim[i].rescale = 0;
		}
	}
	rl_state_free(old);
}

static void rl_stop(nw_plugin *self, void *priv)
{
	struct rl_priv *p = priv;
	rl_reload_finish(self, p, 0);
	rl_state_free(atomic_exchange(&p->cur, NULL));
	rl_state_free(p->pending);
	p->pending = NULL;
}

static int rl_ignored(const struct rl_cidr *c, unsigned n, const struct nw_addr *a)
{
	for (unsigned i = 0; i < n; i++)
		if (rl_cidr_match(&c[i], a->family, a->a))
			return 1;
	return 0;
}

static inline int rl_has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 136;
}

static inline uint16_t rl_pkt_dport(const struct rl_limit *l, const struct nw_pkt_info *pi)
{
	if (l->port_public && (pi->flags & NW_PKT_ORIG_DST))
		return pi->orig_dport;
	return pi->dport;
}

/* Build the packet's key for limit l. -1 if the packet has no such key (no ports, no IP). */
static int rl_key_build(const struct rl_limit *l, const struct nw_pkt_info *pi, struct rl_key *k)
{
	memset(k, 0, sizeof(*k));
	if (l->key.addr != RL_KA_NONE) {
		const struct nw_addr *a = &pi->src;
		if (l->key.addr == RL_KA_DST)
			a = (l->port_public && (pi->flags & NW_PKT_ORIG_DST)) ? &pi->orig_dst
									      : &pi->dst;
		if (a->family == 4) {
			memcpy(k->a, a->a, 4);
			k->plen = l->key.v4len;
			if (k->plen < 32)
				rl_addr_mask(k->a, 4, k->plen);
		} else if (a->family == 6) {
			memcpy(k->a, a->a, 16);
			k->plen = l->key.v6len;
			if (k->plen < 128)
				rl_addr_mask(k->a, 16, k->plen);
		} else {
			return -1;
		}
		k->family = a->family;
	} else {
		k->family = 255;
	}
	if (l->key.port != RL_KP_NONE) {
		if (!(pi->flags & NW_PKT_L4) || (pi->flags & NW_PKT_FRAG_LATER) ||
		    !rl_has_ports(pi->ip_proto))
			return -1;
		k->port = l->key.port == RL_KP_DST ? rl_pkt_dport(l, pi) : pi->sport;
	}
	return 0;
}

/* Does the packet fall under limit l, and what does it cost? 0 = not subject. */
static uint64_t rl_match(const struct rl_limit *l, const struct nw_pkt_info *pi, nw_flow *flow)
{
	if (!l->proto_any && !(l->protos[pi->ip_proto / 8] & (1u << (pi->ip_proto % 8))))
		return 0;
	if (l->dir == RL_DIR_IN && !(pi->flags & NW_PKT_INBOUND))
		return 0;
	if (l->dir == RL_DIR_OUT && (pi->flags & NW_PKT_INBOUND))
		return 0;
	if (l->n_dports) {
		if (!(pi->flags & NW_PKT_L4) || (pi->flags & NW_PKT_FRAG_LATER) ||
		    !rl_has_ports(pi->ip_proto))
			return 0;
		uint16_t port = rl_pkt_dport(l, pi);
		unsigned i;
		for (i = 0; i < l->n_dports; i++)
			if (port >= l->dports[i].lo && port <= l->dports[i].hi)
				break;
		if (i == l->n_dports)
			return 0;
	}
	if (l->n_ignore && rl_ignored(l->ignore, l->n_ignore, &pi->src))
		return 0;
	switch (l->count) {
	case RL_COUNT_BYTES:
		return pi->ip_len ? pi->ip_len : 1;
	case RL_COUNT_NEWCONN:
		if (pi->ip_proto == 6) {
			if (!(pi->flags & NW_PKT_L4) || (pi->flags & NW_PKT_FRAG_LATER))
				return 0;
			return (pi->tcp_flags & (NW_TCP_SYN | NW_TCP_ACK)) == NW_TCP_SYN;
		}
		if (flow) {
			const struct nw_flow_info *fi = svc->flow_info(flow);
			return fi && fi->pkts[0] + fi->pkts[1] == 1;
		}
		return pi->ct_state == NW_CT_NEW;
	default:
		return 1;
	}
}

static void rl_kv(struct nw_event *ev, const char *k, const char *v)
{
	if (ev->n_kv >= NW_EV_KV_MAX)
		return;
	snprintf(ev->kv[ev->n_kv].key, sizeof(ev->kv[0].key), "%s", k);
	snprintf(ev->kv[ev->n_kv].val, sizeof(ev->kv[0].val), "%s", v);
	ev->n_kv++;
}

static void rl_event_fill(struct nw_event *ev, int type, const struct nw_pkt_info *pi,
			  int verdict)
{
	memset(ev, 0, sizeof(*ev));
	ev->size = sizeof(*ev);
	ev->type = (uint16_t)type;
	ev->ts_ns = pi->ts_ns;
	ev->src = pi->src;
	ev->dst = pi->dst;
	ev->sport = pi->sport;
	ev->dport = pi->dport;
	ev->ip_proto = pi->ip_proto;
	ev->verdict = (uint8_t)verdict;
}

static void rl_emit_ratelimit(struct rl_priv *p, const nw_packet *pkt,
			      const struct nw_pkt_info *pi, const struct rl_limit *l,
			      const struct rl_key *k, const struct rl_take *t, int verdict)
{
	static const char *const counts[] = { "packets", "bytes", "new-connections" };
	struct nw_event ev;
	char buf[104];

	rl_event_fill(&ev, NW_EV_RATELIMIT, pi, verdict);
	snprintf(ev.name, sizeof(ev.name), "%s", l->name);
	snprintf(ev.msg, sizeof(ev.msg), "ratelimit %s: %s over %s", l->name,
		 t->event == 1 ? "key went" : "key still", l->rate_text);
	if (k->family == 4 || k->family == 6) {
		ev.addr.family = k->family;
		memcpy(ev.addr.a, k->a, sizeof(ev.addr.a));
		ev.prefix = k->plen;
	}
	rl_key_format(k, &l->key, buf, sizeof(buf));
	rl_kv(&ev, "key", buf);
	rl_kv(&ev, "rate", l->rate_text);
	rl_kv(&ev, "burst", l->burst_text);
	rl_kv(&ev, "count", counts[l->count]);
	rl_kv(&ev, "state", t->event == 1 ? "start" : "ongoing");
	snprintf(buf, sizeof(buf), "%u", t->limited);
	rl_kv(&ev, "limited", buf);
	svc->event_emit(p->self, pkt, &ev);
}

static void rl_emit_offense(struct rl_priv *p, const nw_packet *pkt, const struct nw_pkt_info *pi,
			    const struct rl_limit *l, int verdict)
{
	struct nw_event ev;
	rl_event_fill(&ev, NW_EV_OFFENSE, pi, verdict);
	snprintf(ev.name, sizeof(ev.name), "%s", l->jail);
	snprintf(ev.msg, sizeof(ev.msg), "ratelimit %s", l->name);
	ev.addr = pi->src;
	ev.prefix = pi->src.family == 6 ? 128 : 32;
	svc->event_emit(p->self, pkt, &ev);
}

static inline void rl_count(struct rl_priv *p, const nw_packet *pkt, unsigned id)
{
	if (id != RL_NO_ID)
		svc->counter_add(p->self, pkt, id, 1);
}

static int rl_in_ports(const struct rl_limit *l, uint16_t port)
{
	for (unsigned i = 0; i < l->n_dports; i++)
		if (port >= l->dports[i].lo && port <= l->dports[i].hi)
			return 1;
	return 0;
}

/*
 * The flow bypass vote: can no limit count the flow's later packets? A limit does not when it
 * counts new connections (a flow pays at its start), is for another protocol, ignores both
 * endpoints, or lists ports that neither endpoint uses (a limit on pre-NAT ports is not known
 * from the flow: it counts). A packet or byte limit the flow falls under keeps it inspected.
 */
static int rl_flow_done(const struct rl_state *st, nw_flow *flow)
{
	const struct nw_flow_info *fi = svc->flow_info(flow);

	if (!fi)
		return 0;
	if (st->n_ignore && rl_ignored(st->ignore, st->n_ignore, &fi->client) &&
	    rl_ignored(st->ignore, st->n_ignore, &fi->server))
		return 1;
	for (unsigned i = 0; i < st->n; i++) {
		const struct rl_limit *l = &st->lim[i];
		if (!l->proto_any && !(l->protos[fi->ip_proto / 8] & (1u << (fi->ip_proto % 8))))
			continue;
		if (l->count == RL_COUNT_NEWCONN)
			continue;
		if (l->n_ignore && rl_ignored(l->ignore, l->n_ignore, &fi->client) &&
		    rl_ignored(l->ignore, l->n_ignore, &fi->server))
			continue;
		if (l->n_dports && !l->port_public && rl_has_ports(fi->ip_proto) &&
		    !rl_in_ports(l, fi->sport) && !rl_in_ports(l, fi->cport))
			continue;
		return 0;
	}
	return 1;
}

static int rl_packet(void *priv, void *wpriv, nw_packet *pkt, nw_flow *flow)
{
	struct rl_priv *p = priv;
	struct rl_state *st = atomic_load_explicit(&p->cur, memory_order_acquire);
	const struct nw_pkt_info *pi;

	if (flow)
		svc->flow_bypass_vote(flow, p->self, !st || rl_flow_done(st, flow));
	if (!st || !st->n)
		return NW_CONTINUE;
	pi = svc->pkt_info(pkt);
	if (st->n_ignore && rl_ignored(st->ignore, st->n_ignore, &pi->src))
		return NW_CONTINUE;
	for (unsigned i = 0; i < st->n; i++) {
		const struct rl_limit *l = &st->lim[i];
		struct rl_key k;
		struct rl_take t;
		uint64_t cost = rl_match(l, pi, flow);
		if (!cost || rl_key_build(l, pi, &k) < 0)
			continue;
		int ok = rl_table_take(l->table, &l->rate, &k, pi->ts_ns, cost, l->interval_ns, &t);
		if (t.evicted)
			rl_count(p, pkt, l->c_evict);
		if (t.filled)
			rl_count(p, pkt, l->c_keys);
		if (ok) {
			rl_count(p, pkt, l->c_acc);
			continue;
		}
		rl_count(p, pkt, l->c_lim);
		int drop = l->action == RL_ACT_DROP ||
			   (l->action == RL_ACT_OFFENSE && !l->offense_only);
		int verdict = drop ? NW_DROP : NW_ACCEPT;
		if (t.event) {
			rl_emit_ratelimit(p, pkt, pi, l, &k, &t, verdict);
			if (l->action == RL_ACT_OFFENSE)
				rl_emit_offense(p, pkt, pi, l, verdict);
		}
		if (drop)
			return NW_RESULT(NW_DROP, l->reason);
	}
	return NW_CONTINUE;
}

static const char *const rl_kinds[] = { "limit", NULL };

NW_PLUGIN_EXPORT const struct nw_plugin_desc nw_plugin_descriptor = {
	NW_DESC_HEADER,
	.name = "ratelimit",
	.version = "1.0",
	.description = "per-key rate limits (GCRA) on packets, bytes or new connections",
	.priv_size = sizeof(struct rl_priv),
	.section_kinds = rl_kinds,
	.services = &svc,
	.configure = rl_configure,
	.start = rl_start,
	.packet = rl_packet,
	.reload = rl_reload,
	.reload_finish = rl_reload_finish,
	.stop = rl_stop,
};
