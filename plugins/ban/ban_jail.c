/* ban plugin: jails (fail2ban semantics): config, offense counting, ban time, ban history. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ban.h"

/* ---- offense tracker: chained hash of net -> ring of recent offense times ---- */

struct ban_off_ent {
	struct ban_off_ent *next;
	struct ban_net net;
	uint64_t last;  /* newest offense, engine s */
	uint32_t n;     /* valid times in ring */
	uint32_t head;  /* next write position */
	uint64_t ts[];  /* ring of maxretry entries */
};

struct ban_offenses {
	size_t nbuckets;
	size_t count;
	uint32_t ring;
	struct ban_off_ent **b;
};

static uint64_t ban_net_hash(const struct ban_net *n)
{
	uint64_t h = 1469598103934665603ull;
	const uint8_t *p = (const uint8_t *)n;

	for (size_t i = 0; i < sizeof(*n); i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

static struct ban_offenses *ban_off_new(uint32_t ring)
{
	struct ban_offenses *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->nbuckets = 1024;
	o->ring = ring ? ring : 1;
	o->b = calloc(o->nbuckets, sizeof(*o->b));
	if (!o->b) {
		free(o);
		return NULL;
	}
	return o;
}

static void ban_off_free(struct ban_offenses *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->nbuckets; i++) {
		struct ban_off_ent *e = o->b[i], *nx;
		for (; e; e = nx) {
			nx = e->next;
			free(e);
		}
	}
	free(o->b);
	free(o);
}

static void ban_off_grow(struct ban_offenses *o)
{
	size_t nb = o->nbuckets * 2;
	struct ban_off_ent **b = calloc(nb, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i < o->nbuckets; i++) {
		struct ban_off_ent *e = o->b[i], *nx;
		for (; e; e = nx) {
			nx = e->next;
			size_t k = ban_net_hash(&e->net) & (nb - 1);
			e->next = b[k];
			b[k] = e;
		}
	}
	free(o->b);
	o->b = b;
	o->nbuckets = nb;
}

/* ---- jail configuration ---- */

static int ban_parse_bantime(void *target, const char *value, char *err, size_t errlen)
{
	int64_t v;

	if (ban_duration_parse(value, &v) < 0 || v == 0) {
		snprintf(err, errlen, "expected a duration (10m, 1h, 2d) or -1 (permanent)");
		return -EINVAL;
	}
	((struct ban_jail *)target)->bantime = v;
	return 0;
}

static int ban_parse_factor(void *target, const char *value, char *err, size_t errlen)
{
	char *end;
	double v = strtod(value, &end);

	if (end == value || *end || !(v > 0) || v > 1e6) {
		snprintf(err, errlen, "expected a positive number");
		return -EINVAL;
	}
	((struct ban_jail *)target)->factor = v;
	return 0;
}

static int ban_parse_mult(void *target, const char *value, char *err, size_t errlen)
{
	struct ban_jail *j = target;
	const char *p = value;

	j->n_mult = 0;
	while (*p) {
		char *end;
		unsigned long v;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		v = strtoul(p, &end, 10);
		if (end == p || v == 0 || v > 1000000 || (*end && *end != ' ' && *end != '\t')) {
			snprintf(err, errlen, "expected positive integers separated by spaces");
			return -EINVAL;
		}
		if (j->n_mult >= BAN_MAX_MULT) {
			snprintf(err, errlen, "at most %d multipliers", BAN_MAX_MULT);
			return -EINVAL;
		}
		j->mult[j->n_mult++] = (uint32_t)v;
		p = end;
	}
	if (!j->n_mult) {
		snprintf(err, errlen, "expected positive integers separated by spaces");
		return -EINVAL;
	}
	return 0;
}

static int ban_parse_ignore(void *target, const char *value, char *err, size_t errlen)
{
	return ban_iplist_parse(&((struct ban_jail *)target)->ignore, value, err, errlen);
}

/* logpath, failregex, ignoreregex: kept as written, compiled after the section is parsed */
static int ban_parse_raw(void *target, const char *value, char *err, size_t errlen)
{
	char **raw = target;

	if (!*value) {
		snprintf(err, errlen, "empty value");
		return -EINVAL;
	}
	free(*raw);
	*raw = strdup(value);
	if (!*raw) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

#define JOFF(f) offsetof(struct ban_jail, f)
static const struct nw_directive ban_jail_directives[] = {
	{"enabled", NW_CONF_BOOL, JOFF(enabled), 0, "yes", NULL, "use this jail"},
	{"maxretry", NW_CONF_UINT, JOFF(maxretry), 0, "5", NULL, "offenses that ban"},
	{"findtime", NW_CONF_DURATION, JOFF(findtime), 0, "10m", NULL, "counting window"},
	{"bantime", NW_CONF_CUSTOM, 0, 0, "10m", ban_parse_bantime, "ban length, -1 permanent"},
	{"bantime.increment", NW_CONF_BOOL, JOFF(increment), 0, "no", NULL, "repeat offenders"},
	{"bantime.factor", NW_CONF_CUSTOM, 0, 0, "1", ban_parse_factor, "increment factor"},
	{"bantime.multipliers", NW_CONF_CUSTOM, 0, 0, NULL, ban_parse_mult, "multipliers"},
	{"bantime.maxtime", NW_CONF_DURATION, JOFF(maxtime), 0, "0", NULL, "ban length cap"},
	{"bantime.rndtime", NW_CONF_DURATION, JOFF(rndtime), 0, "0", NULL, "random extra"},
	{"bantime.overalljails", NW_CONF_BOOL, JOFF(overalljails), 0, "no", NULL,
	 "count bans of all jails"},
	{"ignoreip", NW_CONF_CUSTOM, 0, 0, NULL, ban_parse_ignore, "never banned"},
	{"scope", NW_CONF_STRING, JOFF(scope), sizeof(((struct ban_jail *)0)->scope), "address",
	 NULL, "address | prefix"},
	{"prefix4", NW_CONF_UINT, JOFF(prefix4), 0, "24", NULL, "IPv4 prefix for scope=prefix"},
	{"prefix6", NW_CONF_UINT, JOFF(prefix6), 0, "64", NULL, "IPv6 prefix for scope=prefix"},
	{"action", NW_CONF_STRING, JOFF(action), sizeof(((struct ban_jail *)0)->action), "drop",
	 NULL, "drop | reject"},
	{"maxentries", NW_CONF_UINT, JOFF(maxentries), 0, "100000", NULL,
	 "addresses tracked at once"},
	{"logpath", NW_CONF_CUSTOM, JOFF(logpath_raw), 0, NULL, ban_parse_raw,
	 "log files to watch (space separated)"},
	{"failregex", NW_CONF_CUSTOM, JOFF(failregex_raw), 0, NULL, ban_parse_raw,
	 "PCRE2 with <HOST>, one per line"},
	{"ignoreregex", NW_CONF_CUSTOM, JOFF(ignoreregex_raw), 0, NULL, ban_parse_raw,
	 "PCRE2, one per line: matching lines are not offenses"},
	{NULL, NW_CONF_END, 0, 0, NULL, NULL, NULL},
};

/* Compile failregex/ignoreregex (one regex per line) for a jail with a logpath. */
static int ban_jail_regex_setup(struct ban_jail *j, const struct nw_services *svc,
				const nw_config *cfg, const nw_section *sec)
{
	const char *raws[2] = {j->failregex_raw, j->ignoreregex_raw};
	const char *keys[2] = {"failregex", "ignoreregex"};
	char *lines[32], err[256];
	int r = 0;

	if (!j->logpath_raw && !j->failregex_raw && !j->ignoreregex_raw)
		return 0;
	if (!j->logpath_raw || !j->failregex_raw)
		return svc->conf_error(cfg, sec, 0, "logpath and failregex go together");
	j->fre = ban_fre_new();
	if (!j->fre)
		return -ENOMEM;
	for (int k = 0; k < 2 && r == 0; k++) {
		unsigned line = 0, kl;
		const char *key, *val;
		int n;

		if (!raws[k])
			continue;
		for (unsigned i = 0; (key = svc->conf_kv(sec, i, &val, &kl)) != NULL; i++)
			if (!strcmp(key, keys[k]))
				line = kl;
		n = ban_conf_lines(svc->conf_path(cfg), line, raws[k], lines, 32);
		if (n < 0)
			return n;
		for (int i = 0; i < n; i++) {
			if (r == 0 && ban_fre_add(j->fre, lines[i], k, err, sizeof(err)) < 0)
				r = svc->conf_error(cfg, sec, line, "%s", err);
			free(lines[i]);
		}
	}
	return r;
}

int ban_jail_configure(struct ban_jail *j, const struct nw_services *svc, const nw_config *cfg,
		       const nw_section *sec)
{
	const char *name = sec ? svc->conf_section_name(sec) : "";
	int r;

	memset(j, 0, sizeof(*j));
	if (!name || !*name || strlen(name) >= sizeof(j->name) || strchr(name, ' '))
		return svc->conf_error(cfg, sec, 0, "a jail needs a name of 1-31 characters");
	snprintf(j->name, sizeof(j->name), "%s", name);
	r = svc->conf_parse(cfg, sec, ban_jail_directives, j);
	if (r < 0)
		return r;
	if (j->maxretry < 1 || j->maxretry > 1000)
		return svc->conf_error(cfg, sec, 0, "maxretry must be 1..1000");
	if (j->findtime < 1)
		return svc->conf_error(cfg, sec, 0, "findtime must be at least 1s");
	if (strcmp(j->scope, "address") && strcmp(j->scope, "ip") && strcmp(j->scope, "prefix"))
		return svc->conf_error(cfg, sec, 0, "scope must be address or prefix");
	if (j->prefix4 < 8 || j->prefix4 > 32 || j->prefix6 < 16 || j->prefix6 > 128)
		return svc->conf_error(cfg, sec, 0, "prefix4 must be 8..32, prefix6 16..128");
	if (strcmp(j->action, "drop") && strcmp(j->action, "reject"))
		return svc->conf_error(cfg, sec, 0, "action must be drop or reject");
	r = ban_jail_regex_setup(j, svc, cfg, sec);
	if (r < 0)
		return r;
	return ban_jail_init_tracker(j);
}

int ban_jail_init_tracker(struct ban_jail *j)
{
	ban_off_free(j->off);
	j->off = ban_off_new((uint32_t)j->maxretry);
	return j->off ? 0 : -ENOMEM;
}

void ban_jail_free(struct ban_jail *j)
{
	ban_off_free(j->off);
	free(j->ignore);
	j->off = NULL;
	j->ignore = NULL;
	free(j->logpath_raw);
	free(j->failregex_raw);
	free(j->ignoreregex_raw);
	j->logpath_raw = j->failregex_raw = j->ignoreregex_raw = NULL;
	ban_fre_free(j->fre);
	j->fre = NULL;
	for (unsigned i = 0; i < j->n_logw; i++)
		ban_logw_close(j->logw[i]);
	j->n_logw = 0;
}

void ban_jail_scope(const struct ban_jail *j, const struct nw_addr *a, unsigned prefix,
		    struct ban_net *out)
{
	unsigned p = prefix;

	if (!strcmp(j->scope, "prefix")) {
		unsigned jp = (unsigned)(a->family == 4 ? j->prefix4 : j->prefix6);
		if (jp < p)
			p = jp;
	}
	ban_net_from_addr(out, a, p);
}

int ban_jail_offense(struct ban_jail *j, const struct ban_net *n, uint64_t now_s)
{
	struct ban_offenses *o = j->off;
	struct ban_off_ent **pp, *e;
	uint32_t valid = 0;

	if (!o)
		return -EINVAL;
	pp = &o->b[ban_net_hash(n) & (o->nbuckets - 1)];
	for (e = *pp; e; e = e->next)
		if (ban_net_eq(&e->net, n))
			break;
	if (!e) {
		if (o->count >= j->maxentries) {
			ban_jail_purge(j, now_s);
			if (o->count >= j->maxentries)
				return -ENOSPC;
		}
		if (o->count >= o->nbuckets)
			ban_off_grow(o);
		pp = &o->b[ban_net_hash(n) & (o->nbuckets - 1)];
		e = calloc(1, sizeof(*e) + o->ring * sizeof(e->ts[0]));
		if (!e)
			return -ENOMEM;
		e->net = *n;
		e->next = *pp;
		*pp = e;
		o->count++;
	}
	e->ts[e->head] = now_s;
	e->head = (e->head + 1) % o->ring;
	if (e->n < o->ring)
		e->n++;
	e->last = now_s;
	/* count offenses within findtime among the kept ones (the ring holds maxretry) */
	for (uint32_t i = 0; i < e->n; i++)
		if (e->ts[i] + j->findtime > now_s)
			valid++;
	if (valid >= j->maxretry) {
		e->n = 0;
		e->head = 0;
		return 1;
	}
	return 0;
}

void ban_jail_purge(struct ban_jail *j, uint64_t now_s)
{
	struct ban_offenses *o = j->off;

	if (!o)
		return;
	for (size_t i = 0; i < o->nbuckets; i++) {
		struct ban_off_ent **pp = &o->b[i];
		while (*pp) {
			struct ban_off_ent *e = *pp;
			if (e->n == 0 || e->last + j->findtime <= now_s) {
				*pp = e->next;
				free(e);
				o->count--;
			} else {
				pp = &e->next;
			}
		}
	}
}

size_t ban_jail_tracked(const struct ban_jail *j)
{
	return j->off ? j->off->count : 0;
}

int64_t ban_jail_bantime(const struct ban_jail *j, uint64_t prev_bans, double rnd)
{
	double t;

	if (j->bantime < 0)
		return -1;
	t = (double)j->bantime;
	if (j->increment && prev_bans > 0) {
		if (j->n_mult) {
			uint64_t k = prev_bans < j->n_mult ? prev_bans : j->n_mult - 1;
			t = t * j->factor * j->mult[k];
		} else {
			uint64_t k = prev_bans < 20 ? prev_bans : 20;
			t = t * (double)(1ull << k) * j->factor;
		}
	}
	if (j->maxtime && t > (double)j->maxtime)
		t = (double)j->maxtime;
	if (j->rndtime)
		t += floor(rnd * (double)j->rndtime);
	if (t > 1e10)
		t = 1e10;
	if (t < 1)
		t = 1;
	return (int64_t)t;
}

/* ---- ban history ---- */

struct ban_hist_ent {
	struct ban_hist_ent *next;
	char jail[32];
	struct ban_net net;
	uint32_t count;
	uint64_t last_wall;
};

struct ban_hist {
	size_t nbuckets, count;
	struct ban_hist_ent **b;
};

static uint64_t ban_hist_hash(const char *jail, const struct ban_net *n)
{
	uint64_t h = ban_net_hash(n);

	for (const char *p = jail; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	return h ^ (h >> 31);
}

struct ban_hist *ban_hist_new(void)
{
	struct ban_hist *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->nbuckets = 1024;
	h->b = calloc(h->nbuckets, sizeof(*h->b));
	if (!h->b) {
		free(h);
		return NULL;
	}
	return h;
}

void ban_hist_free(struct ban_hist *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nbuckets; i++) {
		struct ban_hist_ent *e = h->b[i], *nx;
		for (; e; e = nx) {
			nx = e->next;
			free(e);
		}
	}
	free(h->b);
	free(h);
}

static struct ban_hist_ent *ban_hist_find(const struct ban_hist *h, const char *jail,
					  const struct ban_net *n)
{
	struct ban_hist_ent *e = h->b[ban_hist_hash(jail, n) & (h->nbuckets - 1)];

	for (; e; e = e->next)
		if (ban_net_eq(&e->net, n) && !strcmp(e->jail, jail))
			return e;
	return NULL;
}

uint32_t ban_hist_count(const struct ban_hist *h, const char *jail, const struct ban_net *n,
			uint64_t purge_before)
{
	const struct ban_hist_ent *e = ban_hist_find(h, jail, n);

	if (!e || e->last_wall < purge_before)
		return 0;
	return e->count;
}

int ban_hist_set(struct ban_hist *h, const char *jail, const struct ban_net *n, uint32_t count,
		 uint64_t last_wall)
{
	struct ban_hist_ent *e = ban_hist_find(h, jail, n);

	if (strlen(jail) >= sizeof(e->jail))
		return -EINVAL;
	if (!e) {
		if (h->count >= h->nbuckets) {
			size_t nb = h->nbuckets * 2;
			struct ban_hist_ent **b = calloc(nb, sizeof(*b));
			if (b) {
				for (size_t i = 0; i < h->nbuckets; i++) {
					struct ban_hist_ent *x = h->b[i], *nx;
					for (; x; x = nx) {
						nx = x->next;
						size_t k = ban_hist_hash(x->jail, &x->net) & (nb - 1);
						x->next = b[k];
						b[k] = x;
					}
				}
				free(h->b);
				h->b = b;
				h->nbuckets = nb;
			}
		}
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		snprintf(e->jail, sizeof(e->jail), "%s", jail);
		e->net = *n;
		size_t k = ban_hist_hash(jail, n) & (h->nbuckets - 1);
		e->next = h->b[k];
		h->b[k] = e;
		h->count++;
	}
	e->count = count;
	e->last_wall = last_wall;
	return 0;
}

void ban_hist_purge(struct ban_hist *h, uint64_t purge_before)
{
	for (size_t i = 0; i < h->nbuckets; i++) {
		struct ban_hist_ent **pp = &h->b[i];
		while (*pp) {
			struct ban_hist_ent *e = *pp;
			if (e->last_wall < purge_before) {
				*pp = e->next;
				free(e);
				h->count--;
			} else {
				pp = &e->next;
			}
		}
	}
}

int ban_hist_foreach(const struct ban_hist *h,
		     int (*cb)(void *ctx, const char *jail, const struct ban_net *n,
			       uint32_t count, uint64_t last_wall),
		     void *ctx)
{
	for (size_t i = 0; i < h->nbuckets; i++)
		for (const struct ban_hist_ent *e = h->b[i]; e; e = e->next) {
			int r = cb(ctx, e->jail, &e->net, e->count, e->last_wall);
			if (r)
				return r;
		}
	return 0;
}

size_t ban_hist_size(const struct ban_hist *h)
{
	return h->count;
}
