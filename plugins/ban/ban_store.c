/* ban plugin: the local ban store, an SQLite database in WAL mode (one small transaction a ban). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ban.h"

#define BAN_STORE_APPID 0x6e776264 /* "nwbd" */
#define BAN_STORE_VERSION 1

static const char ban_store_schema[] =
	"CREATE TABLE IF NOT EXISTS bans ("
	" net TEXT PRIMARY KEY," /* "198.51.100.7", "198.51.100.0/24", "2001:db8::/64" */
	" expires INTEGER NOT NULL," /* unix seconds, 0 = permanent */
	" created INTEGER NOT NULL,"
	" action TEXT NOT NULL," /* drop | reject */
	" count INTEGER NOT NULL,"
	" jail TEXT NOT NULL,"
	" origin TEXT NOT NULL) STRICT, WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS hist ("
	" jail TEXT NOT NULL," /* "*" when bantime.overalljails */
	" net TEXT NOT NULL,"
	" count INTEGER NOT NULL," /* bans so far (bantime.increment) */
	" last INTEGER NOT NULL," /* unix seconds of the last one */
	" PRIMARY KEY (jail, net)) STRICT, WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS hist_last ON hist(last);";

enum { BS_PUT, BS_DEL, BS_HPUT, BS_HPURGE, BS_BEGIN, BS_COMMIT, BS_ROLLBACK, BS_N };
static const char *const ban_store_sql[BS_N] = {
	[BS_PUT] = "INSERT OR REPLACE INTO bans VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[BS_DEL] = "DELETE FROM bans WHERE net = ?1",
	[BS_HPUT] = "INSERT OR REPLACE INTO hist VALUES (?1, ?2, ?3, ?4)",
	[BS_HPURGE] = "DELETE FROM hist WHERE last < ?1",
	[BS_BEGIN] = "BEGIN IMMEDIATE",
	[BS_COMMIT] = "COMMIT",
	[BS_ROLLBACK] = "ROLLBACK",
};

struct ban_store {
	sqlite3 *db;
	sqlite3_stmt *st[BS_N]; /* prepared once */
	char path[4096];
	int sync_full;          /* synchronous = FULL (else NORMAL) */
	int depth;              /* nesting of ban_store_begin */
	int broken;             /* found corrupt: set aside and started afresh at the next write */
	char err[256];          /* the last error, for the log */
};

/* SQLite's result as -errno: corruption is -EBADMSG, a busy database -EBUSY. */
static int ban_store_errno(sqlite3 *db, int rc)
{
	int e;

	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
		e = db ? sqlite3_system_errno(db) : 0;
		return e > 0 ? -e : -EIO;
	default:
		return -EIO;
	}
}

static int ban_store_fail(struct ban_store *s, int rc, const char *what)
{
	int r = ban_store_errno(s->db, rc);
	int e = s->db ? sqlite3_system_errno(s->db) : 0;

	snprintf(s->err, sizeof(s->err), "%s: %s%s%s%s", what,
		 s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc), e ? " (" : "",
		 e ? strerror(e) : "", e ? ")" : "");
	if (r == -EBADMSG)
		s->broken = 1;
	return r;
}

const char *ban_store_error(const struct ban_store *s)
{
	return s->err;
}

static int ban_store_exec(struct ban_store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : ban_store_fail(s, rc, sql);
}

/* Run a prepared statement that returns no rows (bindings already made). */
static int ban_store_step(struct ban_store *s, int which)
{
	sqlite3_stmt *st = s->st[which];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : ban_store_fail(s, rc, ban_store_sql[which]);
}

static void ban_store_dbclose(struct ban_store *s)
{
	for (int i = 0; i < BS_N; i++) {
		sqlite3_finalize(s->st[i]);
		s->st[i] = NULL;
	}
	if (s->db)
		sqlite3_close(s->db);
	s->db = NULL;
	s->depth = 0;
}

/* An integer PRAGMA's value. */
static int ban_store_pragma(struct ban_store *s, const char *name, int *v)
{
	sqlite3_stmt *q = NULL;
	char sql[64];
	int rc;

	snprintf(sql, sizeof(sql), "PRAGMA %s", name);
	rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? 0 : ban_store_fail(s, rc, sql);
}

/* Open (creating when absent) the database at s->path: WAL, the schema, the statements. */
static int ban_store_dbopen(struct ban_store *s)
{
	sqlite3_stmt *q = NULL;
	char sql[160];
	int rc, r, appid = 0, version = 0;

	rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
						      SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		r = ban_store_fail(s, rc, "open");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	/* a reader (an operator's sqlite3) never blocks us; a writer may, briefly */
	sqlite3_busy_timeout(s->db, 200);
	/* the first read of the file: a file that is no database fails here */
	rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &q, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		r = ban_store_fail(s, rc, "journal_mode = WAL");
		goto fail;
	}
	if (strcmp((const char *)sqlite3_column_text(q, 0), "wal")) {
		snprintf(s->err, sizeof(s->err), "WAL mode refused (journal_mode %s)",
			 sqlite3_column_text(q, 0));
		r = -EOPNOTSUPP;
		goto fail;
	}
	sqlite3_finalize(q);
	q = NULL;
	if ((r = ban_store_pragma(s, "application_id", &appid)) < 0 ||
	    (r = ban_store_pragma(s, "user_version", &version)) < 0)
		goto fail;
	if (appid != 0 && appid != BAN_STORE_APPID) {
		snprintf(s->err, sizeof(s->err), "an SQLite database of another program "
			 "(application_id %d)", appid);
		r = -EPROTO;
		goto fail;
	}
	if (version > BAN_STORE_VERSION) {
		snprintf(s->err, sizeof(s->err), "written by a newer natwarden (schema %d, this one "
			 "knows %d)", version, BAN_STORE_VERSION);
		r = -EPROTO;
		goto fail;
	}
	snprintf(sql, sizeof(sql), "PRAGMA synchronous = %s", s->sync_full ? "FULL" : "NORMAL");
	if ((r = ban_store_exec(s, sql)) < 0 || (r = ban_store_exec(s, ban_store_schema)) < 0)
		goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d; PRAGMA application_id = %d",
		 BAN_STORE_VERSION, BAN_STORE_APPID);
	if ((r = ban_store_exec(s, sql)) < 0)
		goto fail;
	for (int i = 0; i < BS_N; i++) {
		rc = sqlite3_prepare_v3(s->db, ban_store_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					&s->st[i], NULL);
		if (rc != SQLITE_OK) {
			r = ban_store_fail(s, rc, ban_store_sql[i]);
			goto fail;
		}
	}
	s->broken = 0;
	return 0;
fail:
	sqlite3_finalize(q);
	ban_store_dbclose(s);
	return r;
}

static void ban_store_syncdir(const char *path)
{
	char dir[4096];
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Rename path and its -wal/-shm companions to path+suffix (a missing one is no error). */
static int ban_store_rename(const char *path, const char *suffix)
{
	static const char *const comp[] = {"", "-wal", "-shm"};
	char from[4200], to[4300];

	for (unsigned i = 0; i < 3; i++) {
		snprintf(from, sizeof(from), "%s%s", path, comp[i]);
		snprintf(to, sizeof(to), "%s%s%s", path, suffix, comp[i]);
		if (rename(from, to) < 0 && (errno != ENOENT || i == 0))
			return -errno;
	}
	return 0;
}

int ban_store_set_aside(const char *path, char *aside, size_t len)
{
	char suffix[48];
	struct tm tm;
	time_t now = time(NULL);
	int r;

	gmtime_r(&now, &tm);
	strftime(suffix, sizeof(suffix), ".corrupt-%Y%m%dT%H%M%SZ", &tm);
	r = ban_store_rename(path, suffix);
	if (r == 0) {
		snprintf(aside, len, "%s%s", path, suffix);
		ban_store_syncdir(path);
	}
	return r;
}

/* A corrupt database found after open: keep it aside, continue with a new one. */
static int ban_store_recover(struct ban_store *s)
{
	char aside[4200], why[256];
	int r;

	snprintf(why, sizeof(why), "%s", s->err);
	ban_store_dbclose(s);
	r = ban_store_set_aside(s->path, aside, sizeof(aside));
	if (r < 0) {
		snprintf(s->err, sizeof(s->err), "corrupt (%s) and cannot be moved aside: %s", why,
			 strerror(-r));
		return r;
	}
	r = ban_store_dbopen(s);
	if (r == 0)
		snprintf(s->err, sizeof(s->err), "corrupt (%s): kept as %s, started afresh", why,
			 aside);
	return r;
}

/* ---- migration of the old text store ---- */

struct ban_store_import {
	struct ban_store *s;
	unsigned n;
	int err;
};

static int ban_store_import_ban(void *ctx, const struct ban_record *r)
{
	struct ban_store_import *c = ctx;
	int e = ban_store_put(c->s, r);

	if (e < 0 && !c->err)
		c->err = e;
	c->n += e == 0;
	return 0;
}

static int ban_store_import_hist(void *ctx, const char *jail, const struct ban_net *n,
				 uint32_t count, uint64_t last_wall)
{
	struct ban_store_import *c = ctx;
	int e = ban_store_hist_put(c->s, jail, n, count, last_wall);

	if (e < 0 && !c->err)
		c->err = e;
	return 0;
}

/* path holds the old text store: build the database beside it in one transaction, keep the text
 * as path.migrated and put the database in its place (a crash at any point leaves either the
 * text at path, migrated again at the next start, or the complete database). */
static int ban_store_migrate(struct ban_store *s, struct ban_store_info *info)
{
	struct ban_store tmp = {.sync_full = s->sync_full};
	struct ban_store_cb cb = {.ban = ban_store_import_ban, .hist = ban_store_import_hist};
	struct ban_store_import c = {.s = &tmp};
	char mig[4200];
	int r;

	snprintf(tmp.path, sizeof(tmp.path), "%s.new", s->path);
	if (strlen(tmp.path) != strlen(s->path) + 4)
		return -ENAMETOOLONG;
	snprintf(mig, sizeof(mig), "%s.migrated", s->path);
	for (unsigned i = 0; i < 3; i++) {
		char f[4200];
		snprintf(f, sizeof(f), "%s%s", tmp.path, i == 0 ? "" : i == 1 ? "-wal" : "-shm");
		unlink(f);
	}
	r = ban_store_dbopen(&tmp);
	if (r < 0)
		goto fail;
	cb.ctx = &c;
	if ((r = ban_store_begin(&tmp)) < 0)
		goto fail;
	r = ban_store_text_load(s->path, &cb, &info->bad);
	if (r == 0)
		r = c.err;
	if (r < 0) {
		ban_store_rollback(&tmp);
		goto fail;
	}
	if ((r = ban_store_commit(&tmp)) < 0)
		goto fail;
	ban_store_dbclose(&tmp); /* the last connection: checkpoints and removes the -wal */
	snprintf(mig, sizeof(mig), "%s-wal", tmp.path);
	if (access(mig, F_OK) == 0) {
		r = -EBUSY;
		snprintf(s->err, sizeof(s->err), "%s is still in use", tmp.path);
		goto out;
	}
	snprintf(mig, sizeof(mig), "%s.migrated", s->path);
	unlink(mig);
	if (link(s->path, mig) < 0) {
		r = -errno;
		snprintf(s->err, sizeof(s->err), "cannot keep the text store as %s: %s", mig,
			 strerror(-r));
		goto out;
	}
	if (rename(tmp.path, s->path) < 0) {
		r = -errno;
		snprintf(s->err, sizeof(s->err), "cannot rename %s to %s: %s", tmp.path, s->path,
			 strerror(-r));
		unlink(mig);
		goto out;
	}
	ban_store_syncdir(s->path);
	info->migrated = c.n;
	snprintf(info->aside, sizeof(info->aside), "%s", mig);
	return 0;
fail:
	snprintf(s->err, sizeof(s->err), "migrating the text store: %s",
		 tmp.err[0] ? tmp.err : strerror(-r));
out:
	ban_store_dbclose(&tmp);
	unlink(tmp.path);
	return r;
}

/* ---- the interface ---- */

int ban_store_open(struct ban_store **out, const char *path, int sync_full,
		   struct ban_store_info *info)
{
	struct ban_store *s;
	int r;

	memset(info, 0, sizeof(*info));
	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->sync_full = sync_full;
	if (strlen(path) >= sizeof(s->path) - 16) {
		snprintf(info->why, sizeof(info->why), "path too long");
		free(s);
		return -ENAMETOOLONG;
	}
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (ban_store_text_is(path) && (r = ban_store_migrate(s, info)) < 0)
		goto fail;
	r = ban_store_dbopen(s);
	if (r == -EBADMSG) {
		snprintf(info->why, sizeof(info->why), "%s", s->err);
		r = ban_store_set_aside(path, info->aside, sizeof(info->aside));
		if (r < 0) {
			snprintf(s->err, sizeof(s->err), "not a usable database (%s) and cannot be "
				 "moved aside: %s", info->why, strerror(-r));
			goto fail;
		}
		info->corrupt = 1;
		r = ban_store_dbopen(s);
	}
	if (r < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	snprintf(info->why, sizeof(info->why), "%s", s->err[0] ? s->err : strerror(-r));
	ban_store_dbclose(s);
	free(s);
	return r;
}

void ban_store_close(struct ban_store *s)
{
	if (!s)
		return;
	if (s->depth && s->db)
		ban_store_rollback(s);
	ban_store_dbclose(s);
	free(s);
}

/* Before a write: a database found corrupt is set aside and replaced first. */
static int ban_store_ready(struct ban_store *s)
{
	int r;

	if (!s->db || (s->broken && s->depth == 0)) {
		/* the new database lacks what the old one held: the caller rewrites it whole */
		r = s->db ? ban_store_recover(s) : ban_store_dbopen(s);
		return r < 0 ? r : -EBADMSG;
	}
	return 0;
}

int ban_store_begin(struct ban_store *s)
{
	int r;

	if (s->depth) {
		s->depth++;
		return 0;
	}
	if ((r = ban_store_ready(s)) < 0 || (r = ban_store_step(s, BS_BEGIN)) < 0)
		return r;
	s->depth = 1;
	return 0;
}

int ban_store_commit(struct ban_store *s)
{
	int r;

	if (s->depth == 0)
		return -EINVAL;
	if (--s->depth)
		return 0;
	r = ban_store_step(s, BS_COMMIT);
	if (r < 0 && sqlite3_get_autocommit(s->db) == 0)
		ban_store_step(s, BS_ROLLBACK);
	return r;
}

void ban_store_rollback(struct ban_store *s)
{
	if (s->depth == 0)
		return;
	s->depth = 0;
	if (s->db && sqlite3_get_autocommit(s->db) == 0)
		ban_store_step(s, BS_ROLLBACK);
}

static int ban_store_bind_net(sqlite3_stmt *st, int col, const struct ban_net *n)
{
	char net[BAN_NET_STRLEN];

	if (ban_net_format(n, net, sizeof(net)) < 0)
		return -EINVAL;
	return sqlite3_bind_text(st, col, net, -1, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : -ENOMEM;
}

int ban_store_put(struct ban_store *s, const struct ban_record *r)
{
	sqlite3_stmt *st;
	int e;

	if ((e = ban_store_ready(s)) < 0)
		return e;
	st = s->st[BS_PUT];
	if (ban_store_bind_net(st, 1, &r->net) < 0)
		return -EINVAL;
	sqlite3_bind_int64(st, 2, (sqlite3_int64)r->expires_wall);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)r->created_wall);
	sqlite3_bind_text(st, 4, r->reject ? "reject" : "drop", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, r->count);
	sqlite3_bind_text(st, 6, r->jail, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, r->origin, -1, SQLITE_TRANSIENT);
	return ban_store_step(s, BS_PUT);
}

int ban_store_del(struct ban_store *s, const struct ban_net *n)
{
	int e;

	if ((e = ban_store_ready(s)) < 0)
		return e;
	if (ban_store_bind_net(s->st[BS_DEL], 1, n) < 0)
		return -EINVAL;
	return ban_store_step(s, BS_DEL);
}

int ban_store_hist_put(struct ban_store *s, const char *jail, const struct ban_net *n,
		       uint32_t count, uint64_t last_wall)
{
	sqlite3_stmt *st;
	int e;

	if ((e = ban_store_ready(s)) < 0)
		return e;
	st = s->st[BS_HPUT];
	sqlite3_bind_text(st, 1, jail, -1, SQLITE_TRANSIENT);
	if (ban_store_bind_net(st, 2, n) < 0)
		return -EINVAL;
	sqlite3_bind_int64(st, 3, count);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)last_wall);
	return ban_store_step(s, BS_HPUT);
}

int ban_store_hist_purge(struct ban_store *s, uint64_t before_wall)
{
	int e;

	if ((e = ban_store_ready(s)) < 0)
		return e;
	sqlite3_bind_int64(s->st[BS_HPURGE], 1, (sqlite3_int64)before_wall);
	return ban_store_step(s, BS_HPURGE);
}

int ban_store_cache(struct ban_store *s, unsigned mib)
{
	char sql[64];

	if (!s->db)
		return -EBADF;
	/* negative: KiB; pages are taken as they are needed, and given back when it shrinks */
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = %d", mib ? -(int)(mib * 1024) : -2000);
	return ban_store_exec(s, sql);
}

int ban_store_clear(struct ban_store *s)
{
	if (s->depth == 0)
		return -EINVAL;
	return ban_store_exec(s, "DELETE FROM bans; DELETE FROM hist");
}

int ban_store_sync(struct ban_store *s)
{
	int rc;

	if (!s->db || s->depth)
		return 0;
	rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return rc == SQLITE_OK ? 0 : ban_store_fail(s, rc, "checkpoint");
}

/* Copy one column's text into dst; 0 or -EINVAL when it does not fit. (The tables are STRICT:
 * SQLite itself keeps every value of its declared type.) */
static int ban_store_col(sqlite3_stmt *q, int col, char *dst, size_t len)
{
	const unsigned char *t = sqlite3_column_text(q, col);
	int n = sqlite3_column_bytes(q, col);

	if (!t || n < 0 || (size_t)n >= len)
		return -EINVAL;
	memcpy(dst, t, (size_t)n + 1);
	return 0;
}

static int ban_store_i64(sqlite3_stmt *q, int col, uint64_t max, uint64_t *v)
{
	sqlite3_int64 x = sqlite3_column_int64(q, col);

	if (x < 0 || (uint64_t)x > max)
		return -EINVAL;
	*v = (uint64_t)x;
	return 0;
}

/* One row of bans: a record, or -EINVAL when a field is out of range. */
static int ban_store_row_ban(sqlite3_stmt *q, struct ban_record *r)
{
	const char *net = (const char *)sqlite3_column_text(q, 0);
	char action[8];
	uint64_t cnt;

	memset(r, 0, sizeof(*r));
	if (!net || ban_net_parse(net, &r->net, 1) < 0 ||
	    ban_store_i64(q, 1, INT64_MAX, &r->expires_wall) ||
	    ban_store_i64(q, 2, INT64_MAX, &r->created_wall) ||
	    ban_store_col(q, 3, action, sizeof(action)) || ban_store_i64(q, 4, UINT32_MAX, &cnt) ||
	    ban_store_col(q, 5, r->jail, sizeof(r->jail)) ||
	    ban_store_col(q, 6, r->origin, sizeof(r->origin)))
		return -EINVAL;
	if (!strcmp(action, "reject"))
		r->reject = 1;
	else if (strcmp(action, "drop"))
		return -EINVAL;
	r->count = (uint32_t)cnt;
	return 0;
}

/* The keys (as stored, whatever their length) of rows to delete once a scan is through: a
 * ban's net, or a count's jail and net. */
struct ban_store_drop {
	char **k; /* pairs: [2i] jail or net, [2i + 1] net or NULL */
	size_t n, cap;
};

static int ban_store_drop_grow(struct ban_store_drop *d)
{
	size_t nc = d->cap ? d->cap * 2 : 64;
	char **nk = realloc(d->k, 2 * nc * sizeof(*nk));

	if (!nk)
		return -ENOMEM;
	d->k = nk;
	d->cap = nc;
	return 0;
}

static void ban_store_drop_add(struct ban_store_drop *d, const char *a, const char *b)
{
	char *x, *y = NULL;

	if (!a || (d->n == d->cap && ban_store_drop_grow(d) < 0))
		return; /* only costs the same refusal at the next start */
	x = strdup(a);
	if (b)
		y = strdup(b);
	if (!x || (b && !y)) {
		free(x);
		free(y);
		return;
	}
	d->k[2 * d->n] = x;
	d->k[2 * d->n + 1] = y;
	d->n++;
}

static void ban_store_drop_free(struct ban_store_drop *d)
{
	for (size_t i = 0; i < 2 * d->n; i++)
		free(d->k[i]);
	free(d->k);
}

/* Bans are read a batch at a time: the batch's slots in the hot set are prefetched together, so
 * a load of a million waits for one cache miss per batch's worth of bans, not one per ban. */
#define BAN_STORE_BATCH 64

struct ban_store_batch {
	struct ban_record rec[BAN_STORE_BATCH];
	char key[BAN_STORE_BATCH][BAN_NET_STRLEN];
	unsigned n;
};

static void ban_store_batch_run(struct ban_store_batch *b, const struct ban_store_cb *cb,
				struct ban_store_drop *d)
{
	if (cb->prefetch)
		for (unsigned i = 0; i < b->n; i++)
			cb->prefetch(cb->ctx, &b->rec[i].net);
	for (unsigned i = 0; i < b->n; i++)
		if (cb->ban && cb->ban(cb->ctx, &b->rec[i]) < 0)
			ban_store_drop_add(d, b->key[i], NULL);
	b->n = 0;
}

/* Read every row of one table; rows the callback refuses (<0) or that are bad are deleted. */
static int ban_store_scan(struct ban_store *s, int hist, const struct ban_store_cb *cb,
			  unsigned *bad)
{
	struct ban_store_batch *b = NULL;
	struct ban_store_drop d = {0};
	sqlite3_stmt *q = NULL;
	int rc, r = 0;

	if (!hist && !(b = malloc(sizeof(*b))))
		return -ENOMEM;
	if (b)
		b->n = 0;
	rc = sqlite3_prepare_v2(s->db, hist ? "SELECT jail, net, count, last FROM hist"
					    : "SELECT * FROM bans",
				-1, &q, NULL);
	if (rc != SQLITE_OK) {
		free(b);
		return ban_store_fail(s, rc, "select");
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (hist) {
			char jail[32], net[BAN_NET_STRLEN];
			struct ban_net n;
			uint64_t cnt, last;
			int keep = !ban_store_col(q, 0, jail, sizeof(jail)) &&
				   !ban_store_col(q, 1, net, sizeof(net)) &&
				   ban_net_parse(net, &n, 1) == 0 &&
				   !ban_store_i64(q, 2, UINT32_MAX, &cnt) &&
				   !ban_store_i64(q, 3, INT64_MAX, &last);
			if (!keep)
				(*bad)++;
			else if (cb->hist)
				keep = cb->hist(cb->ctx, jail, &n, (uint32_t)cnt, last) >= 0;
			if (!keep)
				ban_store_drop_add(&d, (const char *)sqlite3_column_text(q, 0),
						   (const char *)sqlite3_column_text(q, 1));
			continue;
		}
		if (ban_store_row_ban(q, &b->rec[b->n]) < 0 ||
		    ban_store_col(q, 0, b->key[b->n], sizeof(b->key[0]))) {
			(*bad)++;
			ban_store_drop_add(&d, (const char *)sqlite3_column_text(q, 0), NULL);
			continue;
		}
		if (++b->n == BAN_STORE_BATCH)
			ban_store_batch_run(b, cb, &d);
	}
	if (b)
		ban_store_batch_run(b, cb, &d);
	if (rc != SQLITE_DONE)
		r = ban_store_fail(s, rc, "reading");
	sqlite3_finalize(q);
	if (r == 0 && d.n) {
		sqlite3_stmt *del = NULL;
		rc = sqlite3_prepare_v2(s->db, hist ? "DELETE FROM hist WHERE jail = ?1 AND net = ?2"
						    : "DELETE FROM bans WHERE net = ?1",
					-1, &del, NULL);
		if (rc != SQLITE_OK || (r = ban_store_begin(s)) < 0) {
			r = r ? r : ban_store_fail(s, rc, "delete");
		} else {
			for (size_t i = 0; i < d.n && rc == SQLITE_OK; i++) {
				sqlite3_bind_text(del, 1, d.k[2 * i], -1, SQLITE_STATIC);
				if (hist)
					sqlite3_bind_text(del, 2, d.k[2 * i + 1], -1, SQLITE_STATIC);
				rc = sqlite3_step(del) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
				sqlite3_reset(del);
			}
			if (rc != SQLITE_OK) {
				r = ban_store_fail(s, rc, "delete");
				ban_store_rollback(s);
			} else {
				r = ban_store_commit(s);
			}
		}
		sqlite3_finalize(del);
	}
	ban_store_drop_free(&d);
	free(b);
	return r;
}

/* How many bans of each family and prefix length the store holds: a pass over the keys only
 * (about a quarter of a full read), so that the loader can size its tables once. */
static int ban_store_census(struct ban_store *s, const struct ban_store_cb *cb)
{
	uint64_t n4[33] = {0}, n6[129] = {0};
	sqlite3_stmt *q = NULL;
	int rc;

	rc = sqlite3_prepare_v2(s->db, "SELECT net FROM bans", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return ban_store_fail(s, rc, "select");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(q, 0);
		const char *slash = t ? strchr(t, '/') : NULL;
		int v6 = t && strchr(t, ':');
		unsigned long pfx = slash ? strtoul(slash + 1, NULL, 10) : v6 ? 128 : 32;
		if (!t)
			continue;
		if (v6 && pfx <= 128)
			n6[pfx]++;
		else if (!v6 && pfx <= 32)
			n4[pfx]++;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return ban_store_fail(s, rc, "reading");
	for (unsigned p = 0; p <= 128; p++) {
		if (p <= 32 && n4[p])
			cb->reserve(cb->ctx, 4, p, n4[p]);
		if (n6[p])
			cb->reserve(cb->ctx, 6, p, n6[p]);
	}
	return 0;
}

int ban_store_load(struct ban_store *s, const struct ban_store_cb *cb, unsigned *bad)
{
	int r;

	*bad = 0;
	if (!s->db)
		return -EBADF;
	/* a census that fails only costs time: the read below gets what can be read */
	if (cb->reserve)
		ban_store_census(s, cb);
	r = ban_store_scan(s, 0, cb, bad);
	if (r == 0)
		r = ban_store_scan(s, 1, cb, bad);
	if (r == -EBADMSG) {
		int e = ban_store_recover(s);
		return e < 0 ? e : -EBADMSG;
	}
	return r;
}
