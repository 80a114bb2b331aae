/* ban plugin: the instance state and the calls between its main file, Redis sync and ipset. */
#ifndef BAN_PRIV_H
#define BAN_PRIV_H

#include "ban.h"

#define BAN_MAX_SENTINELS 8

/* [ban] section */
struct ban_conf {
	char store[16];          /* local | redis */
	char state_file[256];    /* the SQLite database, under state_dir unless absolute */
	char state_sync[8];      /* normal | full: SQLite's synchronous */
	char redis[BAN_HOSTPORT_LEN]; /* unix:/path | HOST:PORT, [V6]:PORT (canonical after check) */
	char redis_prefix[64];
	char gateway_id[32];
	char redis_user[64];
	char redis_password[128];
	uint64_t redis_db;
	uint64_t redis_connect_timeout; /* s */
	uint64_t redis_command_timeout; /* s */
	char redis_hmac_key_file[256];
	uint64_t redis_stream_maxlen;
	uint64_t redis_resync_chunk; /* bans per ZSCAN page during a resync */
	uint64_t redis_max_ttl;  /* s: longer bans read from Redis are refused */
	int redis_allow_permanent; /* accept permanent bans from Redis */
	char redis_sentinels[512];  /* "host:port ..." as written; parsed into sentinel[] */
	char redis_master_name[64];
	char redis_sentinel_password[128];
	char sentinel[BAN_MAX_SENTINELS][BAN_HOSTPORT_LEN];
	unsigned n_sentinels;
	int ipset;               /* kernel offload */
	char ipset_bin[128];
	char ipset_v4[32], ipset_v6[32], ipset_net4[32], ipset_net6[32];
	uint64_t min_prefix4, min_prefix6;
	uint64_t dbpurgeage;     /* s */
	uint64_t max_bans;
	struct ban_iplist *ignore; /* global ignoreip */
};

struct ban_redis; /* ban_redis.c */
struct ban_ipset; /* ban_ipset.c */

/* Flags for ban_apply / ban_remove. */
#define BAN_F_QUIET 0x1    /* no EVE event */
#define BAN_F_NOSYNC 0x2   /* do not publish to Redis (it came from there) */
#define BAN_F_REPLACE 0x4  /* take the new expiry even when shorter */
#define BAN_F_NOSAVE 0x8   /* not written to the local store (it came from there) */
#define BAN_F_BULK 0x10    /* one of many: the caller updates the gauges; stored in a batch */
#define BAN_EXP_PENDING (BAN_EXP_PERM - 1) /* see ban_priv.pending */

struct ban_priv {
	nw_plugin *self;
	struct ban_conf c;
	struct ban_jail *jails;
	unsigned n_jails;
	/* a reload's new jails and settings, until the engine says apply or drop them */
	struct ban_jail *staged_jails;
	unsigned n_staged_jails;
	struct ban_conf staged_c;
	int staged;
	_Atomic(struct ban_iplist *) ignore; /* union of every ignoreip, read by workers */
	struct ban_set set;
	struct ban_hist *hist;
	char state_path[4096];
	struct ban_store *store; /* the local store, open from start to stop */
	int batch;    /* a bulk batch is open in the store (committed at the next tick, or, during
		       * a Redis resync, at its end: ban_persist_commit) */
	int bulk_cache; /* the store's page cache is raised for a resync's batch */
	int unsynced; /* committed since the last checkpoint */
	int dirty;    /* a store write failed: rewrite the store whole at a tick */
	int save_err; /* last store error (logged once) */
	int started;
	int no_state; /* offline replay without --live-state: no state file, Redis, ipsets or log
		       * files; bans live in memory only */
	uint64_t next_save_ms;  /* monotonic: no rewrite retry before (0 = at the next tick) */
	uint64_t last_purge_s;
	uint64_t rng;
	/* interned jail/origin names (id 0 = "") */
	char (*strs)[32];
	unsigned n_strs, cap_strs;
	/* counters */
	unsigned c_pkts, c_bans, c_unbans, c_expired, c_offenses, c_off_unknown, c_ignored,
		c_full, c_store_bad, c_store_errors, c_redis_bad, c_redis_applied, c_redis_sent,
		c_redis_errors, c_ipset_errors, c_log_lines, c_log_matches, c_log_skipped, c_log_errors;
	unsigned g_active, g_mem, g_tracked, g_redis_up, g_queue;
	unsigned reason_banned;
	struct ban_redis *redis;
	struct ban_ipset *ipset;
	/* bans made before engine time was known (offline, before the first packet): enforced
	 * with a placeholder expiry, given their real one at the first tick */
	struct ban_pending {
		struct ban_net net;
		uint64_t expires_wall;
	} *pending;
	size_t n_pending;
	uint8_t hmac_key[128];
	size_t hmac_keylen;
};

/* the services table (ban.c) */
extern const struct nw_services *ban_svc;

uint64_t ban_now_s(void);      /* engine seconds */
uint64_t ban_wall_s(void);     /* unix seconds */
uint64_t ban_mono_ms(void);    /* monotonic milliseconds (timeouts, backoff) */
/* A warning that repeats while a failure lasts (Redis down, a sentinel down): due when its text
 * changed, else once a minute. */
struct ban_logdue {
	char last[160];
	uint64_t at_ms;
};
int ban_log_due(struct ban_logdue *d, const char *what);
const char *ban_str(const struct ban_priv *p, uint16_t id);
uint16_t ban_intern(struct ban_priv *p, const char *s);

/* The one way to add or change a ban (main thread). dur_s -1 = permanent. reason may be NULL.
 * Returns 1 new, 0 updated/unchanged, <0 refused (-EPERM ignored, -EINVAL prefix, -ENOSPC). */
int ban_apply(struct ban_priv *p, const struct ban_net *n, int64_t dur_s, int reject,
	      const char *jail, const char *origin, const char *reason, unsigned flags);
/* A ban read back with an absolute expiry (state file, Redis): ban_apply for the time left;
 * -ESTALE when it has expired by now (it must never become permanent). */
int ban_apply_record(struct ban_priv *p, const struct ban_record *r, const char *reason,
		     unsigned flags);
/* Remove one ban; 0 or -ENOENT. */
int ban_remove(struct ban_priv *p, const struct ban_net *n, const char *reason, unsigned flags);
/* Refresh the active/table/tracked gauges. */
void ban_gauges(struct ban_priv *p);
/* Fill a shareable record from a set entry. */
void ban_entry_record(const struct ban_priv *p, const struct ban_entry *e, struct ban_record *r);

/* Redis sync (ban_redis.c); all main thread, its connections in the core's main loop
 * (svc->event_base). Start fails with -EOPNOTSUPP offline, where there is no loop. */
int ban_redis_start(struct ban_priv *p);
void ban_redis_stop(struct ban_priv *p);
void ban_redis_publish(struct ban_priv *p, int action, const struct ban_record *r,
		       const char *reason);
/* "banstore" command: the store, the Redis server in use and the link state */
int ban_redis_status(struct ban_priv *p, int json, char *out, size_t len);
/* 1 while a resync is reading the ban list from Redis. */
int ban_redis_syncing(const struct ban_priv *p);
/* Commit the open bulk batch now (the end of a resync: one transaction for all its bans). */
void ban_persist_commit(struct ban_priv *p);
/* A hiredis async context for "unix:/path", "host:port" or "[v6]:port", not yet attached to an
 * event base; NULL with the reason in err. */
struct redisAsyncContext *ban_redis_open_addr(const char *addr, char *err, size_t errlen);

/* Sentinel master discovery (ban_sentinel.c); main thread, in the core's main loop. Asks the
 * configured sentinels in turn; cb gets the master's "host:port", or NULL and why when every
 * sentinel failed this round. */
struct ban_sentinel;
struct event_base;
typedef void ban_sentinel_cb(void *ctx, const char *addr, const char *why);
struct ban_sentinel *ban_sentinel_new(struct ban_priv *p, struct event_base *base,
				      ban_sentinel_cb *cb, void *ctx);
void ban_sentinel_ask(struct ban_sentinel *s);
void ban_sentinel_poll(struct ban_sentinel *s); /* timeouts (from the Redis housekeeping) */
void ban_sentinel_free(struct ban_sentinel *s);

/* Kernel ipset offload (ban_ipset.c); main thread. */
int ban_ipset_start(struct ban_priv *p);
void ban_ipset_stop(struct ban_priv *p);
void ban_ipset_add(struct ban_priv *p, const struct ban_net *n, uint64_t timeout_s);
void ban_ipset_del(struct ban_priv *p, const struct ban_net *n);
void ban_ipset_flush_queue(struct ban_priv *p);

#endif /* BAN_PRIV_H */
