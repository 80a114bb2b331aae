/* ban plugin: internal types shared by its files (addresses, hot ban set, jails, store, sync). */
#ifndef BAN_H
#define BAN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "natwarden/plugin.h"

/* ---- addresses and networks (ban_addr.c) ---- */

/* A network: family 4/6, prefix length, address with the host bits cleared. */
struct ban_net {
	uint8_t family; /* 4 or 6 */
	uint8_t prefix; /* 0..32 / 0..128 */
	uint8_t a[16];  /* IPv4 in a[0..3] */
};

#define BAN_NET_STRLEN 48 /* "ffff:...:ffff/128" + NUL fits */

/* Parse "ADDR" or "ADDR/PREFIX". strict: host bits set or a leading '+'/space is an error;
 * otherwise host bits are cleared. 0 or -EINVAL. */
int ban_net_parse(const char *s, struct ban_net *n, int strict);
/* "1.2.3.4" (full prefix) or "1.2.3.0/24". Returns the length, or -ENOSPC. */
int ban_net_format(const struct ban_net *n, char *buf, size_t len);
void ban_net_mask(struct ban_net *n);
void ban_net_from_addr(struct ban_net *n, const struct nw_addr *a, unsigned prefix);
int ban_net_contains(const struct ban_net *net, const struct nw_addr *a);
/* net `inner` lies entirely inside `outer` */
int ban_net_within(const struct ban_net *inner, const struct ban_net *outer);
int ban_net_eq(const struct ban_net *x, const struct ban_net *y);
static inline unsigned ban_net_maxprefix(const struct ban_net *n)
{
	return n->family == 4 ? 32 : 128;
}

/* An immutable list of networks (ignoreip); read by workers once published. */
struct ban_iplist {
	unsigned n;
	struct ban_net net[];
};
/* Parse a space/comma separated list; appends to *list (realloc). 0 or -EINVAL (bad item in err) */
int ban_iplist_parse(struct ban_iplist **list, const char *text, char *err, size_t errlen);
int ban_iplist_match(const struct ban_iplist *l, const struct nw_addr *a);
int ban_iplist_covers(const struct ban_iplist *l, const struct ban_net *n);

/* "600", "10m", "1h30m" is not supported: one number with optional unit s/m/h/d/w/y;
 * "-1", "permanent", "forever" -> -1. 0 or -EINVAL. */
int ban_duration_parse(const char *s, int64_t *secs);

/* ---- the hot ban set (ban_set.c) ---- */

#define BAN_EXP_EMPTY 0u
#define BAN_EXP_TOMB 1u
#define BAN_EXP_PERM 0x7fffffffu /* never expires */
#define BAN_EXP_MASK 0x7fffffffu
#define BAN_EXP_REJECT 0x80000000u /* action reject (else drop) */

/* Per-ban metadata kept beside the slot (main thread only). */
struct ban_meta {
	uint32_t created_rel; /* seconds since set base */
	uint16_t jail;        /* interned string id */
	uint16_t origin;      /* interned string id */
};

struct ban_tab; /* one open-addressing table for one family and prefix length */

/*
 * The ban set. Workers call ban_set_lookup only; everything else is main-thread.
 * One table per (family, prefix length) present; tables are changed in place with atomic slot
 * stores (keys are published before their expiry word), grown/compacted aside and swapped in
 * with an atomic pointer store, the old one freed after `quiesce`.
 */
struct ban_set {
	_Atomic(struct ban_tab *) t4[33];
	_Atomic(struct ban_tab *) t6[129];
	_Atomic uint64_t mask4;    /* bit p: t4[p] has live entries */
	_Atomic uint64_t mask6[3]; /* bit p: t6[p] has live entries */
	_Atomic uint64_t base_s;   /* engine seconds of expiry 0 */
	uint64_t seed;
	uint64_t live;         /* entries */
	uint32_t min_exp;      /* earliest expiry (rel) among entries, BAN_EXP_PERM if none */
	void (*quiesce)(void); /* wait for workers before freeing a replaced table */
};

/* What a lookup/iteration reports. */
struct ban_entry {
	struct ban_net net;
	uint32_t exp; /* rel seconds (BAN_EXP_PERM = permanent) */
	int reject;
	struct ban_meta meta;
};

void ban_set_init(struct ban_set *s, void (*quiesce)(void));
void ban_set_free(struct ban_set *s);
/* engine seconds <-> rel seconds */
uint32_t ban_set_rel(const struct ban_set *s, uint64_t engine_s);
uint64_t ban_set_abs(const struct ban_set *s, uint32_t rel);
/* Establish the base when the set is empty (call before computing rel values for a put). */
void ban_set_rebase(struct ban_set *s, uint64_t now_s);
/* Insert or replace. 1 = new, 0 = updated, <0 = -ENOMEM / -EINVAL. */
int ban_set_put(struct ban_set *s, const struct ban_entry *e);
/* 0 = removed, -ENOENT */
int ban_set_del(struct ban_set *s, const struct ban_net *n);
int ban_set_get(const struct ban_set *s, const struct ban_net *n, struct ban_entry *e);
/* Visit every live entry (the callback may ban_set_del the visited entry). Stops when cb != 0. */
int ban_set_foreach(struct ban_set *s, int (*cb)(void *ctx, const struct ban_entry *e),
		    void *ctx);
/* Worker: 0 = not banned, NW_DROP or NW_REJECT. now_s = engine seconds of the packet. */
int ban_set_lookup(const struct ban_set *s, const struct nw_addr *a, uint64_t now_s);
/* Room for n more entries of one family and prefix length, so that a bulk load does not grow
 * the table step by step. 0, -EINVAL or -ENOMEM. */
int ban_set_reserve(struct ban_set *s, uint8_t family, unsigned prefix, uint32_t n);
/* Start loading the slot a put or get of n would probe first (a bulk load calls it for a batch
 * of bans ahead of their puts: the table's cache misses overlap instead of queueing). */
void ban_set_prefetch(const struct ban_set *s, const struct ban_net *n);
/* Shrink or drop tables left sparse by deletions (main thread, never inside foreach). */
void ban_set_compact(struct ban_set *s);
/* Bytes held by the tables (slots + metadata + headers). */
size_t ban_set_mem(const struct ban_set *s);

/* ---- jails (ban_jail.c) ---- */

#define BAN_MAX_JAILS 200
#define BAN_MAX_MULT 20

struct ban_offenses; /* per jail: address -> recent offense times */
struct ban_fre;       /* compiled failregex/ignoreregex (ban_logwatch.c) */
struct ban_logw;      /* a polled log file (ban_logwatch.c) */
#define BAN_LOGW_MAX 8 /* log files per jail */

struct ban_jail {
	char name[32];
	int enabled;
	uint64_t maxretry;
	uint64_t findtime;     /* s */
	int64_t bantime;       /* s, -1 = permanent */
	int increment;         /* bantime.increment */
	double factor;         /* bantime.factor */
	uint32_t mult[BAN_MAX_MULT]; /* bantime.multipliers */
	unsigned n_mult;
	uint64_t maxtime;      /* bantime.maxtime, 0 = none */
	uint64_t rndtime;      /* bantime.rndtime, 0 = none */
	int overalljails;      /* bantime.overalljails: count bans of every jail */
	char scope[16];        /* "address" | "prefix" */
	uint64_t prefix4, prefix6; /* used when scope = prefix */
	char action[16];       /* "drop" | "reject" */
	uint64_t maxentries;   /* addresses tracked for counting */
	struct ban_iplist *ignore;
	struct ban_offenses *off;
	/* log watcher: logpath/failregex/ignoreregex as written (malloc'ed), compiled */
	char *logpath_raw, *failregex_raw, *ignoreregex_raw;
	struct ban_fre *fre;
	struct ban_logw *logw[BAN_LOGW_MAX];
	unsigned n_logw;
};

/* Parse one [jail NAME] section into j (defaults applied). 0 or -EINVAL (errors recorded). */
int ban_jail_configure(struct ban_jail *j, const struct nw_services *svc, const nw_config *cfg,
		       const nw_section *sec);
/* (Re)allocate the offense tracker after maxretry is set (configure does this). */
int ban_jail_init_tracker(struct ban_jail *j);
void ban_jail_free(struct ban_jail *j);
/* Ban scope of an offense against addr/prefix: the network to ban. */
void ban_jail_scope(const struct ban_jail *j, const struct nw_addr *a, unsigned prefix,
		    struct ban_net *out);
/* Record an offense at now_s (engine seconds). Returns 1 when this offense reaches maxretry
 * within findtime (the history is then cleared), 0 if not yet, -ENOSPC if the table is full. */
int ban_jail_offense(struct ban_jail *j, const struct ban_net *n, uint64_t now_s);
/* Forget offenses older than findtime. */
void ban_jail_purge(struct ban_jail *j, uint64_t now_s);
size_t ban_jail_tracked(const struct ban_jail *j);
/* Ban duration for a ban preceded by `prev_bans` bans (fail2ban bantime.increment);
 * rnd in [0,1) adds rndtime. -1 = permanent. */
int64_t ban_jail_bantime(const struct ban_jail *j, uint64_t prev_bans, double rnd);

/* Ban history for bantime.increment: (jail, net) -> count and last ban (wall seconds). */
struct ban_hist;
struct ban_hist *ban_hist_new(void);
void ban_hist_free(struct ban_hist *h);
/* count of bans with last ban not older than purge_before (older records read as 0) */
uint32_t ban_hist_count(const struct ban_hist *h, const char *jail, const struct ban_net *n,
			uint64_t purge_before);
/* set (not add) */
int ban_hist_set(struct ban_hist *h, const char *jail, const struct ban_net *n, uint32_t count,
		 uint64_t last_wall);
void ban_hist_purge(struct ban_hist *h, uint64_t purge_before);
int ban_hist_foreach(const struct ban_hist *h,
		     int (*cb)(void *ctx, const char *jail, const struct ban_net *n,
			       uint32_t count, uint64_t last_wall),
		     void *ctx);
size_t ban_hist_size(const struct ban_hist *h);

/* ---- failregex log watcher (ban_logwatch.c), main thread ---- */

/* Copy a fail2ban regex into out with its one <HOST> (or <ADDR>) replaced by a named group
 * "host" matching an IPv4 or IPv6 address. 0, -EINVAL (not exactly one <HOST>), -ENAMETOOLONG. */
int ban_fre_expand(const char *re, char *out, size_t outlen);
struct ban_fre *ban_fre_new(void);
void ban_fre_free(struct ban_fre *f);
/* Compile and add a failregex (ignore = 0; <HOST> expanded) or an ignoreregex (ignore = 1). */
int ban_fre_add(struct ban_fre *f, const char *re, int ignore, char *err, size_t errlen);
unsigned ban_fre_count(const struct ban_fre *f, int ignore);
/* 1 when a failregex matches the line with a valid address (in *out) and no ignoreregex does. */
int ban_fre_match(struct ban_fre *f, const char *line, size_t len, struct nw_addr *out);

/* The values of a multi-line key, one per line. The core joins continuation lines with a
 * space; the lines are read back from the config file (key at `line`) and used only when they
 * join to exactly `value`, else value is taken whole. A value holding newlines is split on them.
 * Returns the count (at most max; out[i] malloc'ed) or -ENOMEM. */
int ban_conf_lines(const char *path, unsigned line, const char *value, char **out,
		   unsigned max);

#define BAN_LOGW_LINE_MAX 4096 /* longer lines are skipped (counted) */
struct ban_logw_stats {
	uint64_t lines, bytes, too_long, rotations, errors;
};
typedef void (*ban_logw_cb)(void *ctx, const char *line, size_t len);
/* Watch path. from_start = 0: what the file holds now is skipped (tail); a file created or
 * rotated in later is read from its start. */
struct ban_logw *ban_logw_open(const char *path, int from_start);
void ban_logw_close(struct ban_logw *w);
const char *ban_logw_path(const struct ban_logw *w);
/* Read appended complete lines (at most budget bytes) and call cb for each. Handles truncation
 * (size below the offset: from the start) and rotation (another inode at the path: the old
 * file is read to its end, then the new one from its start). 1 when the budget ran out. */
int ban_logw_poll(struct ban_logw *w, size_t budget, struct ban_logw_stats *st, ban_logw_cb cb,
		  void *ctx);
/* Carry the open file and offset of old over to w when both watch the same path (reload). */
int ban_logw_take(struct ban_logw *w, struct ban_logw *old);

/* ---- local store (ban_store.c; the old text format: ban_store_text.c) ---- */

/* A ban as stored or shared: absolute wall-clock times. */
struct ban_record {
	struct ban_net net;
	uint64_t expires_wall; /* unix seconds, 0 = permanent */
	uint64_t created_wall;
	int reject;
	uint32_t count;
	char jail[32];
	char origin[32];
};

/* What a load reads, record by record. A callback returning <0 refuses the record: the store
 * deletes it (it would be refused at every start). */
struct ban_store_cb {
	void *ctx;
	/* before the bans (may be NULL): how many of each family and prefix length follow */
	void (*reserve)(void *ctx, uint8_t family, unsigned prefix, uint64_t n);
	/* (may be NULL) for each ban of a batch read, before the batch's ban() calls */
	void (*prefetch)(void *ctx, const struct ban_net *n);
	int (*ban)(void *ctx, const struct ban_record *r);
	int (*hist)(void *ctx, const char *jail, const struct ban_net *n, uint32_t count,
		    uint64_t last_wall);
};

/*
 * The store: an SQLite database in WAL mode, main thread only. Each write outside a batch is
 * one transaction, committed when the call returns; ban_store_begin/commit group writes (they
 * nest). Errors are -errno: -EBADMSG when the database proved corrupt — it is then kept aside
 * as PATH.corrupt-TIME and a new one takes its place, so the caller must write everything it
 * holds again (ban_store_clear + puts in one batch).
 */
struct ban_store;

/* What ban_store_open found, for the log. */
struct ban_store_info {
	unsigned migrated; /* bans imported from an old text store */
	unsigned bad;      /* bad lines skipped in it */
	int corrupt;       /* the file was no usable database: kept aside, a new one started */
	char aside[4200];  /* where the text store (or the corrupt file) now is */
	char why[256];     /* why it was corrupt, or why the open failed */
};

/* Open or create the database at path (sync_full: synchronous = FULL, else NORMAL). An old text
 * store at path is imported in one transaction first and kept as path.migrated. */
int ban_store_open(struct ban_store **s, const char *path, int sync_full,
		   struct ban_store_info *info);
void ban_store_close(struct ban_store *s); /* an open batch is rolled back */
/* Read every ban and ban count; rows that do not parse are counted in *bad and deleted. */
int ban_store_load(struct ban_store *s, const struct ban_store_cb *cb, unsigned *bad);
int ban_store_put(struct ban_store *s, const struct ban_record *r); /* insert or replace */
int ban_store_del(struct ban_store *s, const struct ban_net *n);    /* absent is no error */
int ban_store_hist_put(struct ban_store *s, const char *jail, const struct ban_net *n,
		       uint32_t count, uint64_t last_wall);
int ban_store_hist_purge(struct ban_store *s, uint64_t before_wall);
int ban_store_begin(struct ban_store *s);
int ban_store_commit(struct ban_store *s); /* a failed commit rolls the batch back */
void ban_store_rollback(struct ban_store *s);
int ban_store_clear(struct ban_store *s); /* inside a batch: delete every ban and ban count */
/* The page cache's bound in MiB (0: SQLite's default, ~2 MB): a bulk write into a big store in
 * one transaction keeps the B-tree's pages in memory instead of reading and spilling them. */
int ban_store_cache(struct ban_store *s, unsigned mib);
/* Checkpoint the WAL into the database, fsync'ing both (bounds what a power loss can take
 * with synchronous = NORMAL). */
int ban_store_sync(struct ban_store *s);
const char *ban_store_error(const struct ban_store *s); /* the last error, with SQLite's words */
/* Move path (and its -wal, -shm) to path.corrupt-TIME; the new name in aside. */
int ban_store_set_aside(const char *path, char *aside, size_t len);

/* The old text store ("# natwarden-ban-state 1" first line). */
int ban_store_text_is(const char *path);
/* Bad lines are skipped and counted in *bad. -ENOENT when there is no file. */
int ban_store_text_load(const char *path, const struct ban_store_cb *cb, unsigned *bad);

/* ---- strict parsers for data read from Redis (ban_rparse.c) ---- */

struct ban_rlimits {
	unsigned min_prefix4, min_prefix6;
	uint64_t max_ttl; /* longest accepted ban, s */
	int allow_perm;   /* accept permanent bans */
};

/* A ban/unban event as carried on the stream. */
struct ban_revent {
	int action; /* NW_BAN_ACTION_BAN / _UNBAN */
	struct ban_record rec;
	char reason[96];
	char gw[32]; /* the gateway that published it */
};

/* Parse a ban member "ADDR/PREFIX" (canonical form only); 0 or -EINVAL. */
int ban_rparse_member(const char *s, size_t len, const struct ban_rlimits *lim,
		      struct ban_net *out);
/* A sorted-set score: unix seconds or "inf" (permanent -> 0). -EINVAL for syntax/ttl bounds,
 * -ESTALE when already expired. */
int ban_rparse_expiry(const char *s, size_t len, uint64_t now_wall, const struct ban_rlimits *lim,
		      uint64_t *expires_wall);
/* Metadata hash value "JAIL ORIGIN ACTION COUNT CREATED REASON..." into r (and reason). */
int ban_rparse_meta(const char *s, size_t len, struct ban_record *r, char *reason,
		    size_t reasonlen);
int ban_rmeta_format(const struct ban_record *r, const char *reason, char *buf, size_t len);
/* HMAC of a sorted-set entry: hex of HMAC(key, "member\nexpires\nmeta"), "" if it failed. */
void ban_rentry_sign(const uint8_t *key, size_t keylen, const char *member, uint64_t expires_wall,
		     const char *meta, size_t metalen, char hex[65]);
/* Constant-time compare (CRYPTO_memcmp) of two 64-char hex signatures (s of length len; want
 * "" never matches). 1 = equal. */
int ban_rsig_eq(const char *want, const char *s, size_t len);
/* Canonical member text "ADDR/PREFIX" (always with the prefix). */
int ban_rmember_format(const struct ban_net *n, char *buf, size_t len);
/* Parse a stream event given as field/value pairs. key (may be NULL): HMAC key; when set, a
 * valid "sig" field is required. 0 or -EINVAL / -EPERM (bad signature). */
int ban_rparse_event(const char *const *kv, const size_t *lens, size_t n_pairs,
		     uint64_t now_wall, const struct ban_rlimits *lim, const uint8_t *key,
		     size_t keylen, struct ban_revent *out);
/* Serialize an event to field/value pairs (static buffers in `buf`); returns pair count.
 * fields[i*2], fields[i*2+1]. Adds "sig" when key is set. */
#define BAN_REV_MAXPAIRS 12
struct ban_rev_buf {
	char v[BAN_REV_MAXPAIRS][128];
	const char *f[BAN_REV_MAXPAIRS * 2];
	size_t l[BAN_REV_MAXPAIRS * 2];
};
size_t ban_revent_encode(const struct ban_revent *ev, const uint8_t *key, size_t keylen,
			 struct ban_rev_buf *b);
#define BAN_HOSTPORT_LEN 264 /* "[" + 253 + "]:" + 5 digits + NUL */
/* A server address from a Sentinel reply or the config: host (IPv4/IPv6 literal or DNS name)
 * and port 1..65535, written as "host:port" or "[v6]:port". 0, -EINVAL or -ENOSPC. */
int ban_rparse_hostport(const char *host, size_t hl, const char *port, size_t pl, char *out,
			size_t outlen);
/* "HOST[:PORT]" or "[IPv6][:PORT]" (n bytes of s; defport when absent) into out, as above. */
int ban_hostport_parse(const char *s, size_t n, const char *defport, char *out, size_t outlen);

/* HMAC-SHA256 of msg (libcrypto): 0, or -1 when libcrypto failed */
int ban_hmac_sha256(const uint8_t *key, size_t keylen, const void *msg, size_t len,
		    uint8_t out[32]);

#endif /* BAN_H */
