/* ban plugin: descriptor, config, offense handling, ban/unban, expiry, local store, commands. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ban_priv.h"

const struct nw_services *ban_svc;
#define svc ban_svc

/* ---- time and names ---- */

uint64_t ban_now_s(void)
{
	return svc->now_ns() / 1000000000ull;
}

uint64_t ban_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int ban_log_due(struct ban_logdue *d, const char *what)
{
	uint64_t now = ban_mono_ms();

	if (!strncmp(d->last, what, sizeof(d->last) - 1) && now - d->at_ms < 60000)
		return 0;
	snprintf(d->last, sizeof(d->last), "%s", what);
	d->at_ms = now;
	return 1;
}

uint64_t ban_wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec;
}

const char *ban_str(const struct ban_priv *p, uint16_t id)
{
	return id < p->n_strs ? p->strs[id] : "";
}

uint16_t ban_intern(struct ban_priv *p, const char *s)
{
	if (!s || !*s)
		return 0;
	for (unsigned i = 1; i < p->n_strs; i++)
		if (!strncmp(p->strs[i], s, sizeof(p->strs[i]) - 1))
			return (uint16_t)i;
	if (p->n_strs >= 4096)
		return 0;
	if (p->n_strs == p->cap_strs) {
		unsigned nc = p->cap_strs ? p->cap_strs * 2 : 16;
		char(*ns)[32] = realloc(p->strs, nc * sizeof(*ns));
		if (!ns)
			return 0;
		p->strs = ns;
		p->cap_strs = nc;
	}
	if (p->n_strs == 0)
		p->strs[p->n_strs++][0] = '\0';
	snprintf(p->strs[p->n_strs], sizeof(p->strs[0]), "%s", s);
	return (uint16_t)p->n_strs++;
}

static double ban_rand(struct ban_priv *p)
{
	p->rng ^= p->rng << 13;
	p->rng ^= p->rng >> 7;
	p->rng ^= p->rng << 17;
	return (double)(p->rng >> 11) / 9007199254740992.0;
}

static struct ban_jail *ban_jail_find(struct ban_priv *p, const char *name)
{
	for (unsigned i = 0; i < p->n_jails; i++)
		if (!strncmp(p->jails[i].name, name, sizeof(p->jails[i].name)))
			return &p->jails[i];
	return NULL;
}

/* ---- config ---- */

static int ban_parse_gignore(void *target, const char *value, char *err, size_t errlen)
{
	return ban_iplist_parse(&((struct ban_conf *)target)->ignore, value, err, errlen);
}

#define COFF(f) offsetof(struct ban_conf, f)
#define CSZ(f) sizeof(((struct ban_conf *)0)->f)
static const struct nw_directive ban_directives[] = {
	{"store", NW_CONF_STRING, COFF(store), CSZ(store), "local", NULL, "local | redis"},
	{"state_file", NW_CONF_STRING, COFF(state_file), CSZ(state_file), "ban.state", NULL,
	 "ban store, an SQLite database (relative to the state directory)"},
	{"state_sync", NW_CONF_STRING, COFF(state_sync), CSZ(state_sync), "normal", NULL,
	 "normal: a ban survives a crash of natwarden | full: also a power loss"},
	{"redis", NW_CONF_STRING, COFF(redis), CSZ(redis), "127.0.0.1:6379", NULL,
	 "unix:/path or host:port"},
	{"redis_prefix", NW_CONF_STRING, COFF(redis_prefix), CSZ(redis_prefix), "natwarden", NULL,
	 "key prefix"},
	{"gateway_id", NW_CONF_STRING, COFF(gateway_id), CSZ(gateway_id), NULL, NULL,
	 "this gateway's name (default: host name)"},
	{"redis_user", NW_CONF_STRING, COFF(redis_user), CSZ(redis_user), NULL, NULL, "ACL user"},
	{"redis_password", NW_CONF_STRING, COFF(redis_password), CSZ(redis_password), NULL, NULL,
	 "AUTH password"},
	{"redis_db", NW_CONF_UINT, COFF(redis_db), 0, "0", NULL, "database number"},
	{"redis_connect_timeout", NW_CONF_DURATION, COFF(redis_connect_timeout), 0, "2", NULL,
	 "connect timeout"},
	{"redis_command_timeout", NW_CONF_DURATION, COFF(redis_command_timeout), 0, "5", NULL,
	 "reply timeout before reconnecting"},
	{"redis_hmac_key_file", NW_CONF_STRING, COFF(redis_hmac_key_file),
	 CSZ(redis_hmac_key_file), NULL, NULL, "shared key: sign and require signed events"},
	{"redis_resync_chunk", NW_CONF_UINT, COFF(redis_resync_chunk), 0, "5000", NULL,
	 "bans read per command during a resync"},
	{"redis_stream_maxlen", NW_CONF_UINT, COFF(redis_stream_maxlen), 0, "100000", NULL,
	 "approximate stream length"},
	{"redis_max_ttl", NW_CONF_DURATION, COFF(redis_max_ttl), 0, "365d", NULL,
	 "longest ban accepted from Redis"},
	{"redis_allow_permanent", NW_CONF_BOOL, COFF(redis_allow_permanent), 0, "yes", NULL,
	 "accept permanent bans from Redis"},
	{"redis_sentinels", NW_CONF_STRING, COFF(redis_sentinels), CSZ(redis_sentinels), NULL, NULL,
	 "Sentinel addresses host:port ...; the master's address then comes from them"},
	{"redis_master_name", NW_CONF_STRING, COFF(redis_master_name), CSZ(redis_master_name),
	 "mymaster", NULL, "the master's name in the sentinels' configuration"},
	{"redis_sentinel_password", NW_CONF_STRING, COFF(redis_sentinel_password),
	 CSZ(redis_sentinel_password), NULL, NULL, "AUTH password of the sentinels"},
	{"ipset", NW_CONF_BOOL, COFF(ipset), 0, "no", NULL, "mirror bans into kernel ipsets"},
	{"ipset_command", NW_CONF_STRING, COFF(ipset_bin), CSZ(ipset_bin), "ipset", NULL,
	 "the ipset program"},
	{"ipset_v4", NW_CONF_STRING, COFF(ipset_v4), CSZ(ipset_v4), "natwarden-ban4", NULL, ""},
	{"ipset_v6", NW_CONF_STRING, COFF(ipset_v6), CSZ(ipset_v6), "natwarden-ban6", NULL, ""},
	{"ipset_net4", NW_CONF_STRING, COFF(ipset_net4), CSZ(ipset_net4), "natwarden-bannet4",
	 NULL, ""},
	{"ipset_net6", NW_CONF_STRING, COFF(ipset_net6), CSZ(ipset_net6), "natwarden-bannet6",
	 NULL, ""},
	{"min_prefix4", NW_CONF_UINT, COFF(min_prefix4), 0, "16", NULL, "shortest IPv4 ban"},
	{"min_prefix6", NW_CONF_UINT, COFF(min_prefix6), 0, "32", NULL, "shortest IPv6 ban"},
	{"dbpurgeage", NW_CONF_DURATION, COFF(dbpurgeage), 0, "1d", NULL,
	 "how long ban counts are remembered"},
	{"max_bans", NW_CONF_UINT, COFF(max_bans), 0, "4m", NULL, "active bans at most"},
	{"ignoreip", NW_CONF_CUSTOM, 0, 0, NULL, ban_parse_gignore, "never banned"},
	{NULL, NW_CONF_END, 0, 0, NULL, NULL, NULL},
};

/* The union of every ignore list, for the packet path. */
static struct ban_iplist *ban_ignore_union(const struct ban_priv *p)
{
	unsigned n = p->c.ignore ? p->c.ignore->n : 0;
	struct ban_iplist *u;

	for (unsigned i = 0; i < p->n_jails; i++)
		n += p->jails[i].ignore ? p->jails[i].ignore->n : 0;
	if (n == 0)
		return NULL;
	u = malloc(sizeof(*u) + n * sizeof(u->net[0]));
	if (!u)
		return NULL;
	u->n = 0;
	if (p->c.ignore)
		for (unsigned k = 0; k < p->c.ignore->n; k++)
			u->net[u->n++] = p->c.ignore->net[k];
	for (unsigned i = 0; i < p->n_jails; i++)
		if (p->jails[i].ignore)
			for (unsigned k = 0; k < p->jails[i].ignore->n; k++)
				u->net[u->n++] = p->jails[i].ignore->net[k];
	return u;
}

/* redis_sentinels = HOST[:PORT] ... (space or comma separated; port 26379 by default; IPv6 in
 * brackets) and redis_master_name. */
static int ban_sentinels_parse(struct ban_priv *p, const nw_config *cfg, const nw_section *sec)
{
	const char *s = p->c.redis_sentinels, *k, *v;
	unsigned line = 0, kl, name_line = 0;

	for (unsigned i = 0; sec && (k = svc->conf_kv(sec, i, &v, &kl)) != NULL; i++) {
		if (!strcmp(k, "redis_sentinels"))
			line = kl;
		else if (!strcmp(k, "redis_master_name"))
			name_line = kl;
	}
	for (const char *c = p->c.redis_master_name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-'))
			return svc->conf_error(cfg, sec, name_line, "redis_master_name: letters, "
								    "digits, '.', '_' and '-' only");
	if (!p->c.redis_master_name[0])
		return svc->conf_error(cfg, sec, name_line, "redis_master_name is empty");
	while (*s) {
		size_t n;

		s += strspn(s, " \t,");
		n = strcspn(s, " \t,");
		if (!n)
			break;
		if (p->c.n_sentinels >= BAN_MAX_SENTINELS)
			return svc->conf_error(cfg, sec, line, "redis_sentinels: at most %d",
					       BAN_MAX_SENTINELS);
		if (ban_hostport_parse(s, n, "26379", p->c.sentinel[p->c.n_sentinels],
				       sizeof(p->c.sentinel[0])) < 0)
			return svc->conf_error(cfg, sec, line,
					       "redis_sentinels: bad address '%.*s' (HOST[:PORT], "
					       "[IPv6]:PORT)", (int)n, s);
		p->c.n_sentinels++;
		s += n;
	}
	return 0;
}

/* redis = unix:PATH | HOST[:PORT] | [IPv6][:PORT] */
static int ban_redis_addr_check(struct ban_priv *p, const nw_config *cfg, const nw_section *sec)
{
	const char *a = p->c.redis, *k, *v;
	char canon[BAN_HOSTPORT_LEN];
	unsigned line = 0, kl;

	for (unsigned i = 0; sec && (k = svc->conf_kv(sec, i, &v, &kl)) != NULL; i++)
		if (!strcmp(k, "redis"))
			line = kl;
	if (!strncmp(a, "unix:", 5)) {
		if (!a[5])
			return svc->conf_error(cfg, sec, line, "redis: unix: needs a socket path");
		for (const char *c = a + 5; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == '"' || *c == 0x7f)
				return svc->conf_error(cfg, sec, line,
						       "redis: control character or '\"' in the path");
		return 0;
	}
	if (ban_hostport_parse(a, strlen(a), "6379", canon, sizeof(canon)) < 0)
		return svc->conf_error(cfg, sec, line, "redis: bad address '%s' (unix:PATH, "
						       "HOST[:PORT] or [IPv6]:PORT)", a);
	/* with the port spelled out, the connecting code splits one form only */
	snprintf(p->c.redis, sizeof(p->c.redis), "%s", canon);
	return 0;
}

static int ban_configure(nw_plugin *self, void *priv, const nw_config *cfg,
			 const nw_section *sec)
{
	struct ban_priv *p = priv;
	const nw_section *js;
	unsigned it = 0;
	int r, ret = 0;

	p->self = self;
	r = svc->conf_parse(cfg, sec, ban_directives, &p->c);
	if (r < 0)
		return r;
	if (strcmp(p->c.store, "local") && strcmp(p->c.store, "redis"))
		return svc->conf_error(cfg, sec, 0, "store must be local or redis");
	if (strcmp(p->c.state_sync, "normal") && strcmp(p->c.state_sync, "full"))
		return svc->conf_error(cfg, sec, 0, "state_sync must be normal or full");
	if (p->c.min_prefix4 < 1 || p->c.min_prefix4 > 32 || p->c.min_prefix6 < 1 ||
	    p->c.min_prefix6 > 128)
		return svc->conf_error(cfg, sec, 0, "min_prefix4 must be 1..32, min_prefix6 1..128");
	if (p->c.redis_resync_chunk < 1 || p->c.redis_resync_chunk > 100000)
		return svc->conf_error(cfg, sec, 0, "redis_resync_chunk must be 1..100000");
	r = ban_sentinels_parse(p, cfg, sec);
	if (r >= 0)
		r = ban_redis_addr_check(p, cfg, sec);
	if (r < 0)
		return r;
	if (!p->c.gateway_id[0]) {
		char host[256] = "";
		gethostname(host, sizeof(host) - 1);
		snprintf(p->c.gateway_id, sizeof(p->c.gateway_id), "%.31s",
			 host[0] ? host : "natwarden");
	}
	while ((js = svc->conf_next(cfg, "jail", &it)) != NULL) {
		struct ban_jail *nj;
		if (p->n_jails >= BAN_MAX_JAILS)
			return svc->conf_error(cfg, js, 0, "too many jails");
		nj = realloc(p->jails, (p->n_jails + 1) * sizeof(*nj));
		if (!nj)
			return -ENOMEM;
		p->jails = nj;
		r = ban_jail_configure(&p->jails[p->n_jails], svc, cfg, js);
		if (r < 0) {
			ban_jail_free(&p->jails[p->n_jails]);
			ret = r;
			continue;
		}
		if (ban_jail_find(p, p->jails[p->n_jails].name)) {
			ban_jail_free(&p->jails[p->n_jails]);
			ret = svc->conf_error(cfg, js, 0, "duplicate jail");
			continue;
		}
		p->n_jails++;
	}
	if (ret < 0)
		return ret;
	if (p->c.redis_hmac_key_file[0]) {
		FILE *f = fopen(p->c.redis_hmac_key_file, "re");
		size_t n;
		if (!f)
			return svc->conf_error(cfg, sec, 0, "redis_hmac_key_file %s: %s",
					       p->c.redis_hmac_key_file, strerror(errno));
		n = fread(p->hmac_key, 1, sizeof(p->hmac_key), f);
		fclose(f);
		while (n && (p->hmac_key[n - 1] == '\n' || p->hmac_key[n - 1] == '\r'))
			n--;
		if (n < 16)
			return svc->conf_error(cfg, sec, 0,
					       "redis_hmac_key_file: key shorter than 16 bytes");
		p->hmac_keylen = n;
	}
	atomic_store(&p->ignore, ban_ignore_union(p));
	ban_set_init(&p->set, svc->quiesce);
	p->hist = ban_hist_new();
	if (!p->hist)
		return -ENOMEM;
	if (getrandom(&p->rng, sizeof(p->rng), GRND_NONBLOCK) != sizeof(p->rng) || !p->rng)
		p->rng = 0x2545F4914F6CDD1Dull ^ (uint64_t)getpid();

	if (svc->reason_register(self, "banned", &p->reason_banned) < 0)
		return -EINVAL;
#define CNT(field, name, help)                                           \
	do {                                                                 \
		if ((r = svc->counter_register(self, name, help, &p->field)) < 0) \
			return r;                                                    \
	} while (0)
	CNT(c_pkts, "banned_packets", "packets from banned sources");
	CNT(c_bans, "bans", "bans made or received");
	CNT(c_unbans, "unbans", "bans removed by command or remotely");
	CNT(c_expired, "expired", "bans that ran out");
	CNT(c_offenses, "offenses", "offenses counted");
	CNT(c_off_unknown, "offenses_unknown_jail", "offenses for a jail not configured");
	CNT(c_ignored, "ignored", "offenses/bans refused by ignoreip");
	CNT(c_full, "refused_full", "bans or offenses refused: table full");
	CNT(c_store_bad, "store_bad_lines", "bad records in the ban store (skipped)");
	CNT(c_store_errors, "store_errors", "ban store writes that failed (rewritten whole later)");
	CNT(c_redis_bad, "redis_bad_entries", "Redis entries/events rejected by validation");
	CNT(c_redis_applied, "redis_applied", "bans/unbans applied from Redis");
	CNT(c_redis_sent, "redis_sent", "bans/unbans written to Redis");
	CNT(c_redis_errors, "redis_errors", "Redis connection or command errors");
	CNT(c_ipset_errors, "ipset_errors", "ipset commands that failed");
	CNT(c_log_lines, "log_lines", "lines read from jail log files");
	CNT(c_log_matches, "log_matches", "log lines that matched a failregex (offenses)");
	CNT(c_log_skipped, "log_lines_too_long", "log lines longer than 4096 bytes, skipped");
	CNT(c_log_errors, "log_errors", "log files that could not be read");
	CNT(g_active, "active_bans", "bans in force (gauge)");
	CNT(g_mem, "table_bytes", "bytes used by the ban tables (gauge)");
	CNT(g_tracked, "tracked_addresses", "addresses with pending offenses (gauge)");
	CNT(g_redis_up, "redis_connected", "1 when the Redis link is up (gauge)");
	CNT(g_queue, "redis_queue", "changes waiting for Redis (gauge)");
#undef CNT
	return 0;
}

/* ---- ban / unban ---- */

static void ban_emit(struct ban_priv *p, int action, const struct ban_net *n, const char *jail,
		     int64_t dur_s, const char *reason, const char *origin)
{
	struct nw_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.size = sizeof(ev);
	ev.type = NW_EV_BAN;
	ev.ts_ns = svc->now_ns();
	ev.action = (uint8_t)action;
	ev.addr.family = n->family;
	memcpy(ev.addr.a, n->a, 16);
	ev.src = ev.addr;
	ev.prefix = n->prefix;
	ev.duration_s = dur_s < 0 ? 0 : (dur_s > UINT32_MAX ? UINT32_MAX : (uint32_t)dur_s);
	ev.verdict = NW_DROP;
	snprintf(ev.name, sizeof(ev.name), "%s", jail ? jail : "");
	snprintf(ev.msg, sizeof(ev.msg), "%s", reason ? reason : "");
	snprintf(ev.origin, sizeof(ev.origin), "%s", origin ? origin : "");
	if (dur_s < 0) {
		ev.n_kv = 1;
		snprintf(ev.kv[0].key, sizeof(ev.kv[0].key), "permanent");
		snprintf(ev.kv[0].val, sizeof(ev.kv[0].val), "true");
	}
	svc->event_emit(p->self, NULL, &ev);
}

/* ---- local store: writes (main thread) ---- */

/* A write failed: the store is rewritten whole at a tick (a corrupt database has been replaced
 * by an empty one: the same cure). */
static void ban_persist_failed(struct ban_priv *p, int r)
{
	svc->counter_add(p->self, NULL, p->c_store_errors, 1);
	p->dirty = 1;
	if (r != p->save_err)
		svc->log(p->self, NW_LOG_ERR, "ban store %s: %s (rewriting it whole at the next "
			 "tick)", p->state_path, ban_store_error(p->store));
	p->save_err = r;
}

/* Commit the open bulk batch (see ban_persist). */
static void ban_persist_flush(struct ban_priv *p)
{
	int r;

	if (!p->batch)
		return;
	p->batch = 0;
	if ((r = ban_store_commit(p->store)) < 0)
		ban_persist_failed(p, r);
	if (p->bulk_cache) {
		p->bulk_cache = 0;
		ban_store_cache(p->store, 0); /* give the pages back */
	}
}

void ban_persist_commit(struct ban_priv *p)
{
	ban_persist_flush(p);
}

/* The ticks' commit of a bulk batch: not while a Redis resync pages bans in. Its bans are
 * written in one transaction committed when it ends (ban_persist_commit): a commit per tick
 * wrote, for random keys, most of the B-tree's pages again each time (a 1M resync took 100 s).
 * A crash before that commit loses only bans Redis still holds: the next start resyncs them;
 * a ban made here meanwhile commits the batch with its own write. */
static void ban_persist_tick(struct ban_priv *p)
{
	if (!ban_redis_syncing(p))
		ban_persist_flush(p);
}

/* Store a ban (rec) or lift one (del). One of many (BAN_F_BULK: a resync page, an expiry sweep)
 * joins a batch committed at the next tick or before the next single write; a single write is
 * its own transaction, committed on return. */
static void ban_persist(struct ban_priv *p, const struct ban_record *rec,
			const struct ban_net *del, unsigned flags)
{
	int r;

	if (!p->store)
		return;
	if ((flags & BAN_F_BULK) && !p->batch && ban_store_begin(p->store) == 0) {
		p->batch = 1;
		/* up to 256 MiB of pages (a million bans take ~50) while a resync writes */
		if (ban_redis_syncing(p) && ban_store_cache(p->store, 256) == 0)
			p->bulk_cache = 1;
	}
	r = rec ? ban_store_put(p->store, rec) : ban_store_del(p->store, del);
	if (r < 0)
		ban_persist_failed(p, r);
	p->unsynced = 1;
	if (!(flags & BAN_F_BULK))
		ban_persist_flush(p);
}

static void ban_persist_hist(struct ban_priv *p, const char *jail, const struct ban_net *n,
			     uint32_t count, uint64_t last_wall)
{
	int r;

	if (!p->store)
		return;
	if ((r = ban_store_hist_put(p->store, jail, n, count, last_wall)) < 0)
		ban_persist_failed(p, r);
	p->unsynced = 1;
}

void ban_gauges(struct ban_priv *p)
{
	size_t tracked = 0;

	svc->gauge_set(p->self, p->g_active, p->set.live);
	svc->gauge_set(p->self, p->g_mem, ban_set_mem(&p->set));
	for (unsigned i = 0; i < p->n_jails; i++)
		tracked += ban_jail_tracked(&p->jails[i]);
	svc->gauge_set(p->self, p->g_tracked, tracked);
}

/* ban_entry_record without the search of a pending ban's expiry (the caller knows it). */
static void ban_record_of(const struct ban_priv *p, const struct ban_entry *e, struct ban_record *r)
{
	uint64_t now = ban_now_s(), wall = ban_wall_s();
	uint64_t exp_abs = ban_set_abs(&p->set, e->exp);
	uint64_t created_abs = ban_set_abs(&p->set, e->meta.created_rel);

	memset(r, 0, sizeof(*r));
	r->net = e->net;
	r->reject = e->reject;
	r->expires_wall = e->exp == BAN_EXP_PERM ? 0 : (exp_abs > now ? wall + (exp_abs - now) : wall);
	r->created_wall = created_abs <= now ? wall - (now - created_abs) : wall;
	snprintf(r->jail, sizeof(r->jail), "%s", ban_str(p, e->meta.jail));
	snprintf(r->origin, sizeof(r->origin), "%s", ban_str(p, e->meta.origin));
}

void ban_entry_record(const struct ban_priv *p, const struct ban_entry *e, struct ban_record *r)
{
	ban_record_of(p, e, r);
	if (e->exp == BAN_EXP_PENDING)
		for (size_t i = 0; i < p->n_pending; i++)
			if (ban_net_eq(&p->pending[i].net, &e->net))
				r->expires_wall = p->pending[i].expires_wall;
}

int ban_apply(struct ban_priv *p, const struct ban_net *n, int64_t dur_s, int reject,
	      const char *jail, const char *origin, const char *reason, unsigned flags)
{
	struct ban_entry e, old;
	struct ban_record rec;
	uint64_t now = ban_now_s();
	int had, r;

	if (n->prefix < (n->family == 4 ? p->c.min_prefix4 : p->c.min_prefix6))
		return -EINVAL;
	if (ban_iplist_covers(atomic_load_explicit(&p->ignore, memory_order_relaxed), n)) {
		svc->counter_add(p->self, NULL, p->c_ignored, 1);
		return -EPERM;
	}
	had = ban_set_get(&p->set, n, &old) == 0;
	if (!had && p->set.live >= p->c.max_bans) {
		svc->counter_add(p->self, NULL, p->c_full, 1);
		return -ENOSPC;
	}
	ban_set_rebase(&p->set, now);
	memset(&e, 0, sizeof(e));
	e.net = *n;
	e.reject = reject;
	e.exp = dur_s < 0 ? BAN_EXP_PERM : ban_set_rel(&p->set, now + (uint64_t)dur_s);
	if (now == 0 && dur_s >= 0) {
		/* engine time unknown yet: enforce now, fix the expiry at the first tick */
		struct ban_pending *np = realloc(p->pending, (p->n_pending + 1) * sizeof(*np));
		if (!np)
			return -ENOMEM;
		p->pending = np;
		np[p->n_pending].net = *n;
		np[p->n_pending].expires_wall = ban_wall_s() + (uint64_t)dur_s;
		p->n_pending++;
		e.exp = BAN_EXP_PENDING;
	}
	e.meta.created_rel = ban_set_rel(&p->set, now);
	e.meta.jail = ban_intern(p, jail);
	e.meta.origin = ban_intern(p, origin);
	if (had && !(flags & BAN_F_REPLACE) &&
	    (old.exp == BAN_EXP_PERM || (e.exp != BAN_EXP_PERM && old.exp >= e.exp)))
		return 0; /* an equal or longer ban is already in force */
	r = ban_set_put(&p->set, &e);
	if (r < 0) {
		svc->counter_add(p->self, NULL, p->c_full, 1);
		return r;
	}
	svc->counter_add(p->self, NULL, p->c_bans, 1);
	if (!(flags & BAN_F_NOSAVE) || (p->redis && !(flags & BAN_F_NOSYNC))) {
		/* a pending ban is the last one queued: no search (a resync before the first
		 * tick queues tens of thousands) */
		ban_record_of(p, &e, &rec);
		if (e.exp == BAN_EXP_PENDING)
			rec.expires_wall = p->pending[p->n_pending - 1].expires_wall;
	}
	/* In force from here (the set). Then: the event, the Redis write (on the socket now), the
	 * kernel's copy, and last the local store, so that its commit (and a checkpoint, with
	 * fsyncs, now and then) is not in the way of the ban's propagation. A ban reported is still
	 * a ban kept: the EVE line and a command's answer leave after this returns, that is after
	 * the commit; a crash between the Redis write and the commit leaves the ban in Redis, and
	 * the next start's resync brings it back. (One the store already holds as it is, as most
	 * of a resync's, is not written again.) */
	if (!(flags & BAN_F_QUIET))
		ban_emit(p, NW_BAN_ACTION_BAN, n, jail, dur_s, reason, origin);
	if (p->redis && !(flags & BAN_F_NOSYNC))
		ban_redis_publish(p, NW_BAN_ACTION_BAN, &rec, reason);
	if (p->ipset)
		ban_ipset_add(p, n, dur_s < 0 ? 0 : (uint64_t)dur_s);
	if (!(flags & BAN_F_NOSAVE) &&
	    !(had && e.exp != BAN_EXP_PENDING && old.exp == e.exp && old.reject == e.reject &&
	      old.meta.jail == e.meta.jail && old.meta.origin == e.meta.origin))
		ban_persist(p, &rec, NULL, flags);
	if (!(flags & BAN_F_BULK))
		ban_gauges(p);
	return had ? 0 : 1;
}

int ban_remove(struct ban_priv *p, const struct ban_net *n, const char *reason, unsigned flags)
{
	struct ban_entry e;
	struct ban_record rec;

	if (ban_set_get(&p->set, n, &e) < 0)
		return -ENOENT;
	ban_entry_record(p, &e, &rec);
	ban_set_del(&p->set, n);
	svc->counter_add(p->self, NULL, p->c_unbans, 1);
	/* in the order of ban_apply: the store last */
	if (!(flags & BAN_F_QUIET))
		ban_emit(p, NW_BAN_ACTION_UNBAN, n, rec.jail, 0, reason, p->c.gateway_id);
	if (p->redis && !(flags & BAN_F_NOSYNC))
		ban_redis_publish(p, NW_BAN_ACTION_UNBAN, &rec, reason);
	if (p->ipset)
		ban_ipset_del(p, n);
	if (!(flags & BAN_F_NOSAVE))
		ban_persist(p, NULL, n, flags);
	if (!(flags & BAN_F_BULK))
		ban_gauges(p);
	return 0;
}

/* ---- offenses ---- */

static const char *ban_hist_key(const struct ban_jail *j)
{
	return j->overalljails ? "*" : j->name;
}

/* Count one offense; ban when the jail says so. Returns 1 if it banned. */
static int ban_offense(struct ban_priv *p, struct ban_jail *j, const struct nw_addr *a,
		       unsigned prefix, const char *why)
{
	struct ban_net n;
	struct ban_entry cur;
	uint64_t now = ban_now_s(), wall = ban_wall_s();
	uint64_t purge_before = wall > p->c.dbpurgeage ? wall - p->c.dbpurgeage : 0;
	uint32_t prev;
	int64_t dur;
	char reason[160];
	int r, tx = -1;

	if (!j->enabled)
		return 0;
	ban_jail_scope(j, a, prefix, &n);
	if (ban_iplist_covers(atomic_load_explicit(&p->ignore, memory_order_relaxed), &n)) {
		svc->counter_add(p->self, NULL, p->c_ignored, 1);
		return 0;
	}
	svc->counter_add(p->self, NULL, p->c_offenses, 1);
	if (ban_set_get(&p->set, &n, &cur) == 0 &&
	    (cur.exp == BAN_EXP_PERM || ban_set_abs(&p->set, cur.exp) > now))
		return 0; /* already banned (fail2ban: "already banned") */
	r = ban_jail_offense(j, &n, now);
	if (r == -ENOSPC)
		svc->counter_add(p->self, NULL, p->c_full, 1);
	if (r <= 0)
		return 0;
	prev = ban_hist_count(p->hist, ban_hist_key(j), &n, purge_before);
	/* the ban and its count: one transaction */
	ban_persist_flush(p);
	if (p->store && (tx = ban_store_begin(p->store)) < 0)
		ban_persist_failed(p, tx);
	dur = ban_jail_bantime(j, prev, ban_rand(p));
	snprintf(reason, sizeof(reason), "%" PRIu64 " offenses within %" PRIu64 "s%s%s%s",
		 j->maxretry, j->findtime, why && *why ? " (" : "", why ? why : "",
		 why && *why ? ")" : "");
	if (prev)
		snprintf(reason + strlen(reason), sizeof(reason) - strlen(reason),
			 ", ban #%" PRIu32, prev + 1);
	r = ban_apply(p, &n, dur, !strcmp(j->action, "reject"), j->name, p->c.gateway_id, reason,
		      0);
	if (r >= 0) {
		ban_hist_set(p->hist, ban_hist_key(j), &n, prev + 1, wall);
		ban_persist_hist(p, ban_hist_key(j), &n, prev + 1, wall);
	}
	if (p->store && tx == 0 && (tx = ban_store_commit(p->store)) < 0)
		ban_persist_failed(p, tx);
	return r >= 0;
}

static void ban_on_event(void *priv, const struct nw_event *ev)
{
	struct ban_priv *p = priv;
	struct ban_jail *j;
	char name[33];

	if (ev->type != NW_EV_OFFENSE || (ev->addr.family != 4 && ev->addr.family != 6))
		return;
	snprintf(name, sizeof(name), "%.*s", (int)sizeof(ev->name), ev->name);
	j = ban_jail_find(p, name);
	if (!j) {
		svc->counter_add(p->self, NULL, p->c_off_unknown, 1);
		return;
	}
	ban_offense(p, j, &ev->addr, ev->prefix ? ev->prefix : 128, ev->msg);
	ban_gauges(p);
}

/* ---- local store: rewrite and load ---- */

struct ban_save_ctx {
	struct ban_priv *p;
	uint64_t now;
};

static int ban_save_ban(void *ctx, const struct ban_entry *e)
{
	struct ban_save_ctx *c = ctx;
	struct ban_record r;

	if (e->exp != BAN_EXP_PERM && ban_set_abs(&c->p->set, e->exp) <= c->now)
		return 0;
	ban_entry_record(c->p, e, &r);
	return ban_store_put(c->p->store, &r) < 0 ? -EIO : 0;
}

static int ban_save_hist(void *ctx, const char *jail, const struct ban_net *n, uint32_t count,
			 uint64_t last_wall)
{
	struct ban_save_ctx *c = ctx;

	return ban_store_hist_put(c->p->store, jail, n, count, last_wall) < 0 ? -EIO : 0;
}

/* After a failed write: the whole store again from memory, in one transaction. */
static int ban_save(struct ban_priv *p)
{
	struct ban_save_ctx c = {.p = p, .now = ban_now_s()};
	uint64_t t0 = ban_mono_ms(), cost;
	int r;

	ban_persist_flush(p);
	if ((r = ban_store_begin(p->store)) < 0)
		goto fail;
	if ((r = ban_store_clear(p->store)) < 0 ||
	    ban_set_foreach(&p->set, ban_save_ban, &c) ||
	    ban_hist_foreach(p->hist, ban_save_hist, &c)) {
		ban_store_rollback(p->store);
		r = r ? r : -EIO;
		goto fail;
	}
	if ((r = ban_store_commit(p->store)) < 0)
		goto fail;
	p->dirty = 0;
	svc->log(p->self, NW_LOG_INFO, "ban store %s rewritten (%" PRIu64 " bans)", p->state_path,
		 p->set.live);
	p->save_err = 0;
	return 0;
fail:
	/* a million bans take a second or so: keep retries under a tenth of the main thread */
	cost = ban_mono_ms() - t0;
	p->next_save_ms = ban_mono_ms() + (cost > 100 ? cost * 10 : 1000);
	if (r != p->save_err)
		svc->log(p->self, NW_LOG_ERR, "cannot rewrite ban store %s: %s (retrying)",
			 p->state_path, ban_store_error(p->store));
	p->save_err = r;
	return r;
}

int ban_apply_record(struct ban_priv *p, const struct ban_record *r, const char *reason,
		     unsigned flags)
{
	uint64_t wall = ban_wall_s();

	if (r->expires_wall && r->expires_wall <= wall)
		return -ESTALE;
	return ban_apply(p, &r->net, r->expires_wall ? (int64_t)(r->expires_wall - wall) : -1,
			 r->reject, r->jail, r->origin, reason, flags);
}

static int ban_load_ban(void *ctx, const struct ban_record *r)
{
	int e = ban_apply_record(ctx, r, "restored",
				 BAN_F_QUIET | BAN_F_NOSYNC | BAN_F_NOSAVE | BAN_F_REPLACE | BAN_F_BULK);

	/* expired, or refused for good (ignoreip, min_prefix): dropped from the store */
	return e == -ESTALE || e == -EPERM || e == -EINVAL ? e : 0;
}

static void ban_load_reserve(void *ctx, uint8_t family, unsigned prefix, uint64_t n)
{
	struct ban_priv *p = ctx;

	if (n > p->c.max_bans)
		n = p->c.max_bans;
	ban_set_reserve(&p->set, family, prefix, (uint32_t)n); /* a failure only costs time */
}

static void ban_load_prefetch(void *ctx, const struct ban_net *n)
{
	struct ban_priv *p = ctx;

	ban_set_prefetch(&p->set, n);
}

static int ban_load_hist(void *ctx, const char *jail, const struct ban_net *n, uint32_t count,
			 uint64_t last_wall)
{
	struct ban_priv *p = ctx;

	ban_hist_set(p->hist, jail, n, count, last_wall);
	return 0;
}

/* CPU time of this thread in ms (what a load costs, apart from the machine's other work). */
static uint64_t ban_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Open the store (migrating a text store, setting a corrupt one aside) and load it. A store
 * that cannot be opened at all (permissions, a newer schema) stops the start. */
static int ban_load(struct ban_priv *p)
{
	struct ban_store_cb cb = {.ctx = p, .reserve = ban_load_reserve, .ban = ban_load_ban,
				  .prefetch = ban_load_prefetch, .hist = ban_load_hist};
	struct ban_store_info info;
	uint64_t t0 = ban_mono_ms(), c0 = ban_cpu_ms();
	unsigned bad = 0;
	int r;

	r = ban_store_open(&p->store, p->state_path, !strcmp(p->c.state_sync, "full"), &info);
	if (r < 0) {
		svc->log(p->self, NW_LOG_ERR, "cannot open ban store %s: %s", p->state_path,
			 info.why);
		return r;
	}
	if (!info.corrupt && info.aside[0])
		svc->log(p->self, NW_LOG_INFO, "ban store %s: migrated %u bans from the text "
			 "store (%u bad lines skipped), kept as %s", p->state_path, info.migrated,
			 info.bad, info.aside);
	if (info.corrupt) {
		svc->counter_add(p->self, NULL, p->c_store_errors, 1);
		svc->log(p->self, NW_LOG_ERR, "ban store %s was not a usable database (%s): kept "
			 "as %s, starting with an empty store", p->state_path, info.why, info.aside);
	}
	r = ban_store_load(p->store, &cb, &bad);
	bad += info.bad;
	if (bad) {
		svc->counter_add(p->self, NULL, p->c_store_bad, bad);
		svc->log(p->self, NW_LOG_WARNING, "%s: %u bad records skipped", p->state_path, bad);
	}
	if (r == -EBADMSG) {
		/* corrupt past the first pages: what was read is written to a new database */
		svc->counter_add(p->self, NULL, p->c_store_errors, 1);
		svc->log(p->self, NW_LOG_ERR, "ban store %s: %s; %" PRIu64 " bans read before it",
			 p->state_path, ban_store_error(p->store), p->set.live);
		p->dirty = 1;
	} else if (r < 0) {
		svc->log(p->self, NW_LOG_ERR, "cannot read ban store %s: %s", p->state_path,
			 ban_store_error(p->store));
		return r;
	}
	svc->log(p->self, NW_LOG_INFO, "restored %" PRIu64 " bans from %s in %" PRIu64 " ms (%" PRIu64
		 " ms of CPU)", p->set.live, p->state_path, ban_mono_ms() - t0, ban_cpu_ms() - c0);
	return 0;
}

/* ---- timers ---- */

struct ban_exp_ctx {
	struct ban_priv *p;
	uint32_t now_rel;
	uint32_t min;
};

static int ban_expire_one(void *ctx, const struct ban_entry *e)
{
	struct ban_exp_ctx *c = ctx;
	struct ban_priv *p = c->p;

	if (e->exp != BAN_EXP_PERM && e->exp <= c->now_rel) {
		ban_set_del(&p->set, &e->net);
		svc->counter_add(p->self, NULL, p->c_expired, 1);
		ban_emit(p, NW_BAN_ACTION_UNBAN, &e->net, ban_str(p, e->meta.jail), 0, "expired",
			 ban_str(p, e->meta.origin));
		if (p->ipset)
			ban_ipset_del(p, &e->net);
		ban_persist(p, NULL, &e->net, BAN_F_BULK);
		return 0;
	}
	if (e->exp < c->min)
		c->min = e->exp;
	return 0;
}

/* Give bans restored before engine time was known their real expiry. */
static void ban_fix_pending(struct ban_priv *p, uint64_t now)
{
	uint64_t wall = ban_wall_s();

	for (size_t i = 0; i < p->n_pending; i++) {
		struct ban_entry e;
		if (ban_set_get(&p->set, &p->pending[i].net, &e) < 0 || e.exp != BAN_EXP_PENDING)
			continue;
		e.exp = ban_set_rel(&p->set, now + (p->pending[i].expires_wall > wall
							    ? p->pending[i].expires_wall - wall
							    : 0));
		ban_set_put(&p->set, &e);
	}
	free(p->pending);
	p->pending = NULL;
	p->n_pending = 0;
}

static void ban_tick(void *priv, uint64_t now_ns)
{
	struct ban_priv *p = priv;
	uint64_t now = now_ns / 1000000000ull;
	int r;

	if (p->n_pending && now)
		ban_fix_pending(p, now);
	uint64_t base = ban_set_abs(&p->set, 0);
	uint32_t now_rel = now <= base ? 0 : (uint32_t)(now - base > BAN_EXP_PERM - 1 ? BAN_EXP_PERM - 1 : now - base);

	if (p->set.live && p->set.min_exp != BAN_EXP_PERM && p->set.min_exp <= now_rel) {
		struct ban_exp_ctx c = {.p = p, .now_rel = now_rel, .min = BAN_EXP_PERM};
		ban_set_foreach(&p->set, ban_expire_one, &c);
		ban_persist_flush(p);
		p->set.min_exp = c.min;
		ban_set_compact(&p->set);
		ban_gauges(p);
	}
	if (now >= p->last_purge_s + 60 || now < p->last_purge_s) {
		uint64_t wall = ban_wall_s();
		for (unsigned i = 0; i < p->n_jails; i++)
			ban_jail_purge(&p->jails[i], now);
		ban_hist_purge(p->hist, wall > p->c.dbpurgeage ? wall - p->c.dbpurgeage : 0);
		if (p->store && (r = ban_store_hist_purge(p->store, wall > p->c.dbpurgeage
									 ? wall - p->c.dbpurgeage
									 : 0)) < 0)
			ban_persist_failed(p, r);
		p->last_purge_s = now;
		ban_gauges(p);
	}
	ban_persist_tick(p);
	/* not while a Redis resync is paging bans in (once it is through) */
	if (p->dirty && p->store && !ban_redis_syncing(p) &&
	    (!p->next_save_ms || ban_mono_ms() >= p->next_save_ms))
		ban_save(p);
	/* state_sync = normal: what a power loss can take is at most this last second */
	if (p->unsynced && p->store && !p->dirty && strcmp(p->c.state_sync, "full")) {
		p->unsynced = 0;
		if ((r = ban_store_sync(p->store)) < 0)
			ban_persist_failed(p, r);
	}
}

static void ban_fast_tick(void *priv, uint64_t now_ns)
{
	struct ban_priv *p = priv;

	if (p->n_pending && now_ns)
		ban_fix_pending(p, now_ns / 1000000000ull);
	ban_persist_tick(p); /* an expiry sweep's or a flush's (also at the 1 s tick) */
	if (p->ipset)
		ban_ipset_flush_queue(p);
}

/* ---- log watcher (failregex) ---- */

#define BAN_LOG_BUDGET (256u << 10) /* bytes per file per tick: the main thread stays responsive */

struct ban_log_ctx {
	struct ban_priv *p;
	struct ban_jail *j;
	const char *path;
	unsigned offenses;
};

static void ban_log_line(void *ctx, const char *line, size_t len)
{
	struct ban_log_ctx *c = ctx;
	struct nw_addr a;
	char why[300];

	if (ban_fre_match(c->j->fre, line, len, &a) != 1)
		return;
	svc->counter_add(c->p->self, NULL, c->p->c_log_matches, 1);
	snprintf(why, sizeof(why), "failregex match in %s", c->path);
	ban_offense(c->p, c->j, &a, a.family == 4 ? 32 : 128, why);
	c->offenses++;
}

/* Open the watchers of every jail with a logpath; a watcher of the same jail and path in
 * old[] hands over its file and offset (reload). */
static void ban_log_open(struct ban_priv *p, struct ban_jail *old, unsigned n_old)
{
	for (unsigned i = 0; i < p->n_jails; i++) {
		struct ban_jail *j = &p->jails[i];
		const char *s = j->logpath_raw;

		while (s && *s && j->n_logw < BAN_LOGW_MAX) {
			char path[256];
			size_t k;
			struct ban_logw *w;

			s += strspn(s, " \t");
			k = strcspn(s, " \t");
			if (!k)
				break;
			snprintf(path, sizeof(path), "%.*s", (int)(k < 255 ? k : 255), s);
			s += k;
			w = ban_logw_open(path, 0);
			if (!w)
				continue;
			for (unsigned o = 0; o < n_old; o++)
				if (!strcmp(old[o].name, j->name))
					for (unsigned m = 0; m < old[o].n_logw; m++)
						ban_logw_take(w, old[o].logw[m]);
			j->logw[j->n_logw++] = w;
		}
	}
}

static void ban_log_tick(void *priv, uint64_t now_ns)
{
	struct ban_priv *p = priv;
	unsigned offenses = 0;

	(void)now_ns;
	for (unsigned i = 0; i < p->n_jails; i++) {
		struct ban_jail *j = &p->jails[i];
		for (unsigned k = 0; k < j->n_logw; k++) {
			struct ban_log_ctx c = {.p = p, .j = j, .path = ban_logw_path(j->logw[k])};
			struct ban_logw_stats st = {0};
			ban_logw_poll(j->logw[k], BAN_LOG_BUDGET, &st, ban_log_line, &c);
			offenses += c.offenses;
			if (st.lines)
				svc->counter_add(p->self, NULL, p->c_log_lines, st.lines);
			if (st.too_long)
				svc->counter_add(p->self, NULL, p->c_log_skipped, st.too_long);
			if (st.errors) {
				svc->counter_add(p->self, NULL, p->c_log_errors, st.errors);
				svc->log_ratelimited(p->self, NW_LOG_WARNING, 1, "jail %s: cannot read %s",
						     j->name, c.path);
			}
		}
	}
	if (offenses)
		ban_gauges(p);
}

/* ---- packet path ---- */

static int ban_packet(void *priv, void *wpriv, nw_packet *pkt, nw_flow *flow)
{
	struct ban_priv *p = priv;
	const struct nw_pkt_info *pi = svc->pkt_info(pkt);
	const struct ban_iplist *ign;
	int v;

	/* the flow bypass vote: with the kernel ipsets the kernel drops a banned address's
	 * packets before the bypass rule, also those of a bypassed flow */
	if (flow && p->c.ipset && !p->no_state)
		svc->flow_bypass_vote(flow, p->self, 1);
	v = ban_set_lookup(&p->set, &pi->src, pi->ts_ns / 1000000000ull);
	if (!v)
		return NW_CONTINUE;
	ign = atomic_load_explicit(&p->ignore, memory_order_acquire);
	if (ign && ban_iplist_match(ign, &pi->src))
		return NW_CONTINUE;
	svc->counter_add(p->self, pkt, p->c_pkts, 1);
	return NW_RESULT(v, p->reason_banned);
}

/* ---- control commands ---- */

struct ban_out {
	char *p;
	size_t len, used;
	int trunc;
};

static void ban_out(struct ban_out *o, const char *fmt, ...) NW_PRINTF(2, 3);
static void ban_out(struct ban_out *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (o->trunc || o->used >= o->len)
		return;
	va_start(ap, fmt);
	r = vsnprintf(o->p + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= o->len - o->used) {
		o->trunc = 1;
		o->p[o->used] = '\0';
		return;
	}
	o->used += (size_t)r;
}

struct ban_list_ctx {
	struct ban_priv *p;
	struct ban_out *o;
	int json;
	unsigned n;
	uint64_t now;
	const char *jail; /* flush filter */
	struct ban_net *del;
	unsigned n_del, cap_del;
};

static void ban_json_str(struct ban_out *o, const char *s)
{
	ban_out(o, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			ban_out(o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			ban_out(o, "\\u%04x", c);
		else
			ban_out(o, "%c", c);
	}
	ban_out(o, "\"");
}

static int ban_list_one(void *ctx, const struct ban_entry *e)
{
	struct ban_list_ctx *c = ctx;
	char net[BAN_NET_STRLEN];
	uint64_t exp_abs = ban_set_abs(&c->p->set, e->exp);
	long long left = e->exp == BAN_EXP_PERM ? -1 : (exp_abs > c->now ? (long long)(exp_abs - c->now) : 0);

	if (e->exp != BAN_EXP_PERM && exp_abs <= c->now)
		return 0;
	ban_net_format(&e->net, net, sizeof(net));
	if (c->json) {
		ban_out(c->o, "%s{\"ip\":\"%s\",\"jail\":", c->n ? "," : "", net);
		ban_json_str(c->o, ban_str(c->p, e->meta.jail));
		ban_out(c->o, ",\"expires_in\":%lld,\"action\":\"%s\",\"origin\":", left,
			e->reject ? "reject" : "drop");
		ban_json_str(c->o, ban_str(c->p, e->meta.origin));
		ban_out(c->o, "}");
	} else {
		ban_out(c->o, "%s jail=%s expires_in=%s%lld action=%s origin=%s\n", net,
			ban_str(c->p, e->meta.jail)[0] ? ban_str(c->p, e->meta.jail) : "-",
			left < 0 ? "never" : "", left < 0 ? 0LL : left, e->reject ? "reject" : "drop",
			ban_str(c->p, e->meta.origin)[0] ? ban_str(c->p, e->meta.origin) : "-");
	}
	c->n++;
	return 0;
}

static int ban_cmd_bans(void *priv, int argc, const char *const *argv, int json, char *out,
			size_t outlen)
{
	struct ban_priv *p = priv;
	struct ban_out o = {.p = out, .len = outlen};
	struct ban_list_ctx c = {.p = p, .o = &o, .now = ban_now_s()};

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else {
			snprintf(out, outlen, "usage: bans [--json]");
			return -EINVAL;
		}
	}
	c.json = json;
	if (outlen)
		out[0] = '\0';
	if (json)
		ban_out(&o, "[");
	ban_set_foreach(&p->set, ban_list_one, &c);
	if (json)
		ban_out(&o, "]");
	else if (!c.n)
		ban_out(&o, "no active bans\n");
	if (o.trunc) {
		if (json) {
			snprintf(out, outlen, "{\"error\":\"output truncated\",\"bans\":%" PRIu64 "}",
				 p->set.live);
		} else if (outlen > 32) {
			snprintf(out + outlen - 32, 32, "\n... (%" PRIu64 " bans)\n", p->set.live);
		}
	}
	return 0;
}

static int ban_cmd_store(void *priv, int argc, const char *const *argv, int json, char *out,
			 size_t outlen)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json")) {
			snprintf(out, outlen, "usage: banstore [--json]");
			return -EINVAL;
		}
		json = 1;
	}
	ban_redis_status(priv, json, out, outlen);
	return 0;
}

static int ban_cmd_ban(void *priv, int argc, const char *const *argv, int json, char *out,
		       size_t outlen)
{
	struct ban_priv *p = priv;
	const char *jail = "manual", *addr = NULL;
	int64_t dur = -2;
	int reject = -1, r;
	struct ban_net n;
	struct ban_jail *j;
	char net[BAN_NET_STRLEN];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--jail") && i + 1 < argc) {
			jail = argv[++i];
		} else if (!strcmp(argv[i], "--time") && i + 1 < argc) {
			if (ban_duration_parse(argv[++i], &dur) < 0 || dur == 0) {
				snprintf(out, outlen, "bad duration '%s'", argv[i]);
				return -EINVAL;
			}
		} else if (!strcmp(argv[i], "--reject")) {
			reject = 1;
		} else if (!strcmp(argv[i], "--drop")) {
			reject = 0;
		} else if (argv[i][0] != '-' && !addr) {
			addr = argv[i];
		} else {
			snprintf(out, outlen, "usage: ban ADDR[/PREFIX] [--jail J] [--time T] [--reject]");
			return -EINVAL;
		}
	}
	if (!addr || ban_net_parse(addr, &n, 0) < 0) {
		snprintf(out, outlen, "usage: ban ADDR[/PREFIX] [--jail J] [--time T] [--reject]");
		return -EINVAL;
	}
	if (strlen(jail) >= 32) {
		snprintf(out, outlen, "jail name too long");
		return -EINVAL;
	}
	j = ban_jail_find(p, jail);
	if (dur == -2)
		dur = j ? j->bantime : 3600;
	if (reject < 0)
		reject = j ? !strcmp(j->action, "reject") : 0;
	r = ban_apply(p, &n, dur, reject, jail, p->c.gateway_id, "manual ban", BAN_F_REPLACE);
	ban_net_format(&n, net, sizeof(net));
	if (r == -EPERM) {
		snprintf(out, outlen, "%s is in ignoreip: not banned", net);
		return -EPERM;
	}
	if (r == -EINVAL) {
		snprintf(out, outlen, "%s: prefix shorter than min_prefix", net);
		return -EINVAL;
	}
	if (r < 0) {
		snprintf(out, outlen, "%s: %s", net, strerror(-r));
		return r;
	}
	if (json)
		snprintf(out, outlen, "{\"banned\":\"%s\",\"duration\":%lld}", net, (long long)dur);
	else if (dur < 0)
		snprintf(out, outlen, "banned %s permanently\n", net);
	else
		snprintf(out, outlen, "banned %s for %llds\n", net, (long long)dur);
	return 0;
}

static int ban_collect_covering(void *ctx, const struct ban_entry *e)
{
	struct ban_list_ctx *c = ctx;

	if (c->jail && strcmp(ban_str(c->p, e->meta.jail), c->jail))
		return 0;
	if (c->n_del == c->cap_del) {
		unsigned nc = c->cap_del ? c->cap_del * 2 : 64;
		struct ban_net *nd = realloc(c->del, nc * sizeof(*nd));
		if (!nd)
			return -ENOMEM;
		c->del = nd;
		c->cap_del = nc;
	}
	c->del[c->n_del++] = e->net;
	return 0;
}

struct ban_cover_ctx {
	struct ban_list_ctx l;
	struct nw_addr a;
};

static int ban_collect_addr(void *ctx, const struct ban_entry *e)
{
	struct ban_cover_ctx *c = ctx;

	if (!ban_net_contains(&e->net, &c->a))
		return 0;
	return ban_collect_covering(&c->l, e);
}

static int ban_cmd_unban(void *priv, int argc, const char *const *argv, int json, char *out,
			 size_t outlen)
{
	struct ban_priv *p = priv;
	struct ban_cover_ctx c = {.l = {.p = p}};
	struct ban_net n;
	char net[BAN_NET_STRLEN];
	unsigned removed = 0;

	if (argc != 2 || ban_net_parse(argv[1], &n, 0) < 0) {
		snprintf(out, outlen, "usage: unban ADDR[/PREFIX]");
		return -EINVAL;
	}
	if (ban_remove(p, &n, "manual unban", 0) == 0)
		removed++;
	if (n.prefix == ban_net_maxprefix(&n)) {
		/* a single address: lift every ban that covers it */
		c.a.family = n.family;
		memcpy(c.a.a, n.a, 16);
		ban_set_foreach(&p->set, ban_collect_addr, &c);
		for (unsigned i = 0; i < c.l.n_del; i++)
			if (ban_remove(p, &c.l.del[i], "manual unban", 0) == 0)
				removed++;
		free(c.l.del);
	}
	ban_net_format(&n, net, sizeof(net));
	if (!removed) {
		snprintf(out, outlen, "%s is not banned", net);
		return -ENOENT;
	}
	if (json)
		snprintf(out, outlen, "{\"unbanned\":\"%s\",\"removed\":%u}", net, removed);
	else
		snprintf(out, outlen, "unbanned %s (%u ban%s removed)\n", net, removed,
			 removed == 1 ? "" : "s");
	return 0;
}

static int ban_cmd_offense(void *priv, int argc, const char *const *argv, int json, char *out,
			   size_t outlen)
{
	struct ban_priv *p = priv;
	struct ban_jail *j;
	struct ban_net n;
	struct nw_addr a;
	int banned;

	if (argc != 3 || ban_net_parse(argv[2], &n, 0) < 0) {
		snprintf(out, outlen, "usage: offense JAIL ADDR");
		return -EINVAL;
	}
	j = ban_jail_find(p, argv[1]);
	if (!j) {
		snprintf(out, outlen, "no jail '%s'", argv[1]);
		return -ENOENT;
	}
	a.family = n.family;
	memcpy(a.a, n.a, 16);
	banned = ban_offense(p, j, &a, n.prefix, "natwardenctl offense");
	ban_gauges(p);
	if (json)
		snprintf(out, outlen, "{\"jail\":\"%s\",\"banned\":%s}", j->name,
			 banned ? "true" : "false");
	else
		snprintf(out, outlen, "offense counted in %s%s\n", j->name,
			 banned ? ": banned" : "");
	return 0;
}

static int ban_cmd_flush(void *priv, int argc, const char *const *argv, int json, char *out,
			 size_t outlen)
{
	struct ban_priv *p = priv;
	struct ban_list_ctx c = {.p = p};
	int all = 0;
	unsigned removed = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--jail") && i + 1 < argc)
			c.jail = argv[++i];
		else if (!strcmp(argv[i], "--all"))
			all = 1;
		else {
			snprintf(out, outlen, "usage: flush --jail J | --all");
			return -EINVAL;
		}
	}
	if (!c.jail && !all) {
		snprintf(out, outlen, "usage: flush --jail J | --all");
		return -EINVAL;
	}
	ban_set_foreach(&p->set, ban_collect_covering, &c);
	for (unsigned i = 0; i < c.n_del; i++)
		if (ban_remove(p, &c.del[i], "flush", BAN_F_BULK) == 0)
			removed++;
	free(c.del);
	ban_persist_flush(p); /* one transaction, committed before the answer */
	ban_gauges(p);
	if (json)
		snprintf(out, outlen, "{\"removed\":%u}", removed);
	else
		snprintf(out, outlen, "removed %u ban%s\n", removed, removed == 1 ? "" : "s");
	return 0;
}

/* ---- lifecycle ---- */

/* Create the directories leading to path (mode 0700), like mkdir -p of its dirname. */
static void ban_mkdirs(const char *path)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return;
		*s = '/';
	}
}

/* An offline replay without --live-state: say once what this run leaves alone. */
static void ban_log_untouched(struct ban_priv *p)
{
	char msg[1024];
	struct ban_out o = {.p = msg, .len = sizeof(msg)};
	int logs = 0;

	ban_out(&o, "offline replay: state file %s", p->state_path);
	if (!strcmp(p->c.store, "redis"))
		ban_out(&o, ", Redis %s", p->c.n_sentinels ? p->c.redis_sentinels : p->c.redis);
	if (p->c.ipset)
		ban_out(&o, ", ipsets %s %s %s %s", p->c.ipset_v4, p->c.ipset_v6, p->c.ipset_net4,
			p->c.ipset_net6);
	for (unsigned i = 0; i < p->n_jails; i++) {
		if (!p->jails[i].logpath_raw || !p->jails[i].logpath_raw[0])
			continue;
		ban_out(&o, "%s%s", logs ? " " : ", log files of jail ", p->jails[i].name);
		logs = 1;
	}
	svc->log(p->self, NW_LOG_NOTICE,
		 "%s left untouched: bans are kept in memory only (--live-state to use them)", msg);
}

static int ban_start(nw_plugin *self, void *priv)
{
	struct ban_priv *p = priv;
	const char *dir = svc->state_dir ? svc->state_dir() : NULL;
	int r;

	if (p->c.state_file[0] == '/' || !dir || !*dir)
		snprintf(p->state_path, sizeof(p->state_path), "%s", p->c.state_file);
	else
		snprintf(p->state_path, sizeof(p->state_path), "%s/%s", dir, p->c.state_file);
	if ((r = svc->event_subscribe(self, NW_EV_MASK(NW_EV_OFFENSE), ban_on_event)) < 0)
		return r;
	if ((r = svc->command_register(self, "bans", "list active bans [--json]", ban_cmd_bans)) < 0 ||
	    (r = svc->command_register(self, "ban", "ban ADDR[/PREFIX] [--jail J] [--time T]",
				       ban_cmd_ban)) < 0 ||
	    (r = svc->command_register(self, "unban", "unban ADDR[/PREFIX]", ban_cmd_unban)) < 0 ||
	    (r = svc->command_register(self, "offense", "offense JAIL ADDR: count one offense",
				       ban_cmd_offense)) < 0 ||
	    (r = svc->command_register(self, "flush", "flush --jail J | --all: lift bans",
				       ban_cmd_flush)) < 0 ||
	    (r = svc->command_register(self, "banstore",
				       "ban store: Redis server in use and link state [--json]",
				       ban_cmd_store)) < 0)
		return r;
	/* what outlives the run or is shared: not in an offline replay without --live-state */
	p->no_state = svc->run_flags && !(svc->run_flags() & NW_RUN_LIVE_STATE);
	if (p->no_state) {
		ban_log_untouched(p);
	} else {
		ban_mkdirs(p->state_path);
		if (p->c.ipset && (r = ban_ipset_start(p)) < 0)
			return r;
		if ((r = ban_load(p)) < 0)
			return r;
		if (!strcmp(p->c.store, "redis") && (r = ban_redis_start(p)) < 0)
			return r;
		ban_log_open(p, NULL, 0);
	}
	if ((r = svc->timer_add(self, 1000, ban_tick)) < 0)
		return r;
	if ((r = svc->timer_add(self, 250, ban_log_tick)) < 0)
		return r;
	if (p->ipset && (r = svc->timer_add(self, 5, ban_fast_tick)) < 0)
		return r;
	p->started = 1;
	ban_gauges(p);
	svc->log(self, NW_LOG_INFO, "%u jail%s, store %s, %" PRIu64 " active bans", p->n_jails,
		 p->n_jails == 1 ? "" : "s", p->c.store, p->set.live);
	return 0;
}

static void ban_reload_finish(nw_plugin *self, void *priv, int apply);

static void ban_stop(nw_plugin *self, void *priv)
{
	struct ban_priv *p = priv;

	ban_reload_finish(self, p, 0);
	if (p->store) {
		ban_persist_flush(p);
		if (p->dirty)
			ban_save(p);
		ban_store_close(p->store); /* checkpoints the WAL into the database */
		p->store = NULL;
	}
	if (p->redis)
		ban_redis_stop(p);
	if (p->ipset)
		ban_ipset_stop(p);
	for (unsigned i = 0; i < p->n_jails; i++)
		ban_jail_free(&p->jails[i]);
	free(p->jails);
	p->jails = NULL;
	p->n_jails = 0;
	free(atomic_load(&p->ignore));
	atomic_store(&p->ignore, NULL);
	free(p->c.ignore);
	p->c.ignore = NULL;
	ban_set_free(&p->set);
	ban_hist_free(p->hist);
	p->hist = NULL;
	free(p->strs);
	p->strs = NULL;
	free(p->pending);
	p->pending = NULL;
	p->n_pending = 0;
	p->started = 0;
}

/* Reload: new jails and ignore lists; bans, history and the [ban] store settings stay. */
static int ban_reload(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	struct ban_priv *p = priv;
	struct ban_priv tmp;
	const nw_section *js;
	unsigned it = 0;
	int r, ret = 0;

	memset(&tmp, 0, sizeof(tmp));
	r = svc->conf_parse(cfg, sec, ban_directives, &tmp.c);
	if (r >= 0)
		r = ban_sentinels_parse(&tmp, cfg, sec);
	if (r >= 0)
		r = ban_redis_addr_check(&tmp, cfg, sec);
	if (r < 0) {
		free(tmp.c.ignore);
		return r;
	}
	while ((js = svc->conf_next(cfg, "jail", &it)) != NULL) {
		struct ban_jail *nj = realloc(tmp.jails, (tmp.n_jails + 1) * sizeof(*nj));
		if (!nj) {
			ret = -ENOMEM;
			break;
		}
		tmp.jails = nj;
		r = ban_jail_configure(&tmp.jails[tmp.n_jails], svc, cfg, js);
		if (r < 0) {
			ban_jail_free(&tmp.jails[tmp.n_jails]);
			ret = r;
			continue;
		}
		tmp.n_jails++;
	}
	if (ret < 0) {
		for (unsigned i = 0; i < tmp.n_jails; i++)
			ban_jail_free(&tmp.jails[i]);
		free(tmp.jails);
		free(tmp.c.ignore);
		return ret;
	}
	{
		/* what a reload applies: the jails, ignoreip, dbpurgeage, max_bans; say so when
		 * anything else in [ban] changed (both structs are zero-filled before parsing) */
		struct ban_conf want;
		memcpy(&want, &tmp.c, sizeof(want));
		want.ignore = p->c.ignore;
		want.dbpurgeage = p->c.dbpurgeage;
		want.max_bans = p->c.max_bans;
		if (!want.gateway_id[0]) /* the default (the host name) is filled in at start */
			memcpy(want.gateway_id, p->c.gateway_id, sizeof(want.gateway_id));
		if (memcmp(&want, &p->c, sizeof(want)))
			svc->log(self, NW_LOG_WARNING,
				 "reload: [ban] settings other than ignoreip, dbpurgeage and max_bans "
				 "(store, redis*, ipset*, min_prefix*, gateway_id, state_file, "
				 "state_sync) take effect at restart; the jails will be reloaded");
	}
	/* built aside; ban_reload_finish switches to it once the whole chain took the file */
	p->staged_jails = tmp.jails;
	p->n_staged_jails = tmp.n_jails;
	memcpy(&p->staged_c, &tmp.c, sizeof(p->staged_c));
	p->staged = 1;
	return 0;
}

static void ban_reload_finish(nw_plugin *self, void *priv, int apply)
{
	struct ban_priv *p = priv;
	struct ban_iplist *old_ign;
	struct ban_jail *old = p->jails;
	unsigned n_old = p->n_jails;

	(void)self;
	if (!p->staged)
		return;
	p->staged = 0;
	if (!apply) {
		for (unsigned i = 0; i < p->n_staged_jails; i++)
			ban_jail_free(&p->staged_jails[i]);
		free(p->staged_jails);
		free(p->staged_c.ignore);
		p->staged_jails = NULL;
		p->n_staged_jails = 0;
		return;
	}
	/* swap jails; old offense counts are dropped (the jail parameters may have changed); log
	 * files go on from where they were */
	p->jails = p->staged_jails;
	p->n_jails = p->n_staged_jails;
	p->staged_jails = NULL;
	p->n_staged_jails = 0;
	ban_log_open(p, old, n_old);
	for (unsigned i = 0; i < n_old; i++)
		ban_jail_free(&old[i]);
	free(old);
	free(p->c.ignore);
	p->c.ignore = p->staged_c.ignore;
	p->c.dbpurgeage = p->staged_c.dbpurgeage;
	p->c.max_bans = p->staged_c.max_bans;
	old_ign = atomic_exchange(&p->ignore, ban_ignore_union(p));
	svc->quiesce();
	free(old_ign);
}

static const char *const ban_kinds[] = {"jail", NULL};

NW_PLUGIN_EXPORT const struct nw_plugin_desc nw_plugin_descriptor = {
	NW_DESC_HEADER,
	.name = "ban",
	.version = "0.1.0",
	.description = "fail2ban-style jails, shared ban lists (Redis), kernel ipset offload",
	.priv_size = sizeof(struct ban_priv),
	.section_kinds = ban_kinds,
	.services = &ban_svc,
	.configure = ban_configure,
	.start = ban_start,
	.packet = ban_packet,
	.reload = ban_reload,
	.reload_finish = ban_reload_finish,
	.stop = ban_stop,
};
