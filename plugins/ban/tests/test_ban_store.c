/* ban plugin unit tests: the SQLite ban store (open, write, load, migrate, corrupt files). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ban.h"

/* A fresh directory with path = DIR/ban.state, removed (with whatever is in it) at the end. */
struct tdir {
	char dir[64];
	char path[128];
};

static void tdir_new(struct tdir *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/banstoreXXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/ban.state", t->dir);
}

static void tdir_free(struct tdir *t)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static struct ban_net net_of(const char *s)
{
	struct ban_net n;
	assert_int_equal(ban_net_parse(s, &n, 0), 0);
	return n;
}

static struct ban_record rec_of(const char *net, uint64_t expires, const char *jail)
{
	struct ban_record r;

	memset(&r, 0, sizeof(r));
	r.net = net_of(net);
	r.expires_wall = expires;
	r.created_wall = 1700000000;
	r.count = 1;
	snprintf(r.jail, sizeof(r.jail), "%s", jail);
	snprintf(r.origin, sizeof(r.origin), "gw1");
	return r;
}

/* What a load hands over; refuse (return -ESTALE for) bans of the jail named in `refuse`. */
struct got {
	unsigned bans, hists;
	struct ban_record rec[8];
	char hjail[8][32];
	uint32_t hcount[8];
	uint64_t hlast[8];
	uint64_t reserved4_32, reserved6_64, reserved_other; /* the census before the bans */
	const char *refuse;
};

static void got_reserve(void *ctx, uint8_t family, unsigned prefix, uint64_t n)
{
	struct got *g = ctx;

	assert_int_equal(g->bans, 0); /* before any ban */
	if (family == 4 && prefix == 32)
		g->reserved4_32 += n;
	else if (family == 6 && prefix == 64)
		g->reserved6_64 += n;
	else
		g->reserved_other += n;
}

static int got_ban(void *ctx, const struct ban_record *r)
{
	struct got *g = ctx;

	if (g->refuse && !strcmp(r->jail, g->refuse))
		return -ESTALE;
	if (g->bans < 8)
		g->rec[g->bans] = *r;
	g->bans++;
	return 0;
}

static int got_hist(void *ctx, const char *jail, const struct ban_net *n, uint32_t count,
		    uint64_t last)
{
	struct got *g = ctx;

	(void)n;
	if (g->hists < 8) {
		snprintf(g->hjail[g->hists], sizeof(g->hjail[0]), "%s", jail);
		g->hcount[g->hists] = count;
		g->hlast[g->hists] = last;
	}
	g->hists++;
	return 0;
}

/* Open path, load everything into g (reset first), close. Returns ban_store_load's result. */
static int load_all(const char *path, struct got *g, unsigned *bad)
{
	const char *refuse = g->refuse;
	struct ban_store_cb cb = {.ctx = g, .reserve = got_reserve, .ban = got_ban,
				  .hist = got_hist};
	struct ban_store_info info;
	struct ban_store *s;
	int r;

	memset(g, 0, sizeof(*g));
	g->refuse = refuse;
	assert_int_equal(ban_store_open(&s, path, 0, &info), 0);
	r = ban_store_load(s, &cb, bad);
	ban_store_close(s);
	return r;
}

static struct ban_record *got_find(struct got *g, const char *net)
{
	struct ban_net n = net_of(net);

	for (unsigned i = 0; i < g->bans && i < 8; i++)
		if (ban_net_eq(&g->rec[i].net, &n))
			return &g->rec[i];
	return NULL;
}

/* Run SQL on the file directly (as an operator's sqlite3 would). */
static void raw_sql(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* Bans (every field), ban counts, unbans, purge and batches survive a close and a reopen. */
static void test_store_roundtrip(void **state)
{
	struct tdir t;
	struct ban_store *s;
	struct ban_store_info info;
	struct ban_record r;
	struct got g = {0};
	struct ban_net hn = net_of("198.51.100.7");
	unsigned bad;

	(void)state;
	tdir_new(&t);
	assert_int_equal(load_all(t.path, &g, &bad), 0); /* created empty */
	assert_int_equal(g.bans + g.hists + bad, 0);
	assert_true(exists(t.path));

	assert_int_equal(ban_store_open(&s, t.path, 1, &info), 0);
	assert_int_equal(info.migrated + info.corrupt, 0);
	r = rec_of("2001:db8::/64", 1900000000, "sshd");
	r.reject = 1;
	r.count = 7;
	snprintf(r.origin, sizeof(r.origin), "gw 1"); /* any text: no token rules any more */
	assert_int_equal(ban_store_put(s, &r), 0);
	r = rec_of("198.51.100.7", 0, "");
	r.origin[0] = '\0';
	assert_int_equal(ban_store_put(s, &r), 0);
	assert_int_equal(ban_store_put(s, &r), 0); /* replace, not duplicate */
	r = rec_of("203.0.113.0/24", 1900000000, "web");
	assert_int_equal(ban_store_put(s, &r), 0);
	assert_int_equal(ban_store_del(s, &r.net), 0);
	assert_int_equal(ban_store_del(s, &r.net), 0); /* absent: no error */
	assert_int_equal(ban_store_hist_put(s, "sshd", &hn, 4, 1700000000), 0);
	assert_int_equal(ban_store_hist_put(s, "*", &hn, 2, 1600000000), 0);
	assert_int_equal(ban_store_hist_purge(s, 1650000000), 0); /* drops the second */
	/* a batch rolled back leaves nothing; nested batches commit at the outer commit */
	assert_int_equal(ban_store_begin(s), 0);
	r = rec_of("198.51.100.50", 0, "x");
	assert_int_equal(ban_store_put(s, &r), 0);
	ban_store_rollback(s);
	assert_int_equal(ban_store_begin(s), 0);
	assert_int_equal(ban_store_begin(s), 0);
	r = rec_of("198.51.100.60", 1900000000, "y");
	assert_int_equal(ban_store_put(s, &r), 0);
	assert_int_equal(ban_store_commit(s), 0);
	assert_int_equal(ban_store_commit(s), 0);
	assert_int_equal(ban_store_commit(s), -EINVAL); /* not in a batch */
	assert_int_equal(ban_store_sync(s), 0);
	ban_store_close(s);
	/* the last close folds the WAL into the database */
	char wal[160];
	snprintf(wal, sizeof(wal), "%s-wal", t.path);
	assert_false(exists(wal));

	assert_int_equal(load_all(t.path, &g, &bad), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(g.bans, 3);
	assert_int_equal(g.reserved4_32, 2);
	assert_int_equal(g.reserved6_64, 1);
	assert_int_equal(g.reserved_other, 0);
	struct ban_record *b = got_find(&g, "2001:db8::/64");
	assert_non_null(b);
	assert_int_equal(b->expires_wall, 1900000000);
	assert_int_equal(b->created_wall, 1700000000);
	assert_int_equal(b->reject, 1);
	assert_int_equal(b->count, 7);
	assert_string_equal(b->jail, "sshd");
	assert_string_equal(b->origin, "gw 1");
	b = got_find(&g, "198.51.100.7");
	assert_non_null(b);
	assert_int_equal(b->expires_wall, 0);
	assert_int_equal(b->reject, 0);
	assert_string_equal(b->jail, "");
	assert_string_equal(b->origin, "");
	assert_non_null(got_find(&g, "198.51.100.60"));
	assert_null(got_find(&g, "198.51.100.50"));
	assert_null(got_find(&g, "203.0.113.0/24"));
	assert_int_equal(g.hists, 1);
	assert_string_equal(g.hjail[0], "sshd");
	assert_int_equal(g.hcount[0], 4);
	assert_int_equal(g.hlast[0], 1700000000);

	/* a full rewrite: clear + puts in one batch */
	assert_int_equal(ban_store_open(&s, t.path, 0, &info), 0);
	assert_int_equal(ban_store_clear(s), -EINVAL); /* only inside a batch */
	assert_int_equal(ban_store_begin(s), 0);
	assert_int_equal(ban_store_clear(s), 0);
	r = rec_of("198.51.100.99", 0, "z");
	assert_int_equal(ban_store_put(s, &r), 0);
	assert_int_equal(ban_store_commit(s), 0);
	ban_store_close(s);
	assert_int_equal(load_all(t.path, &g, &bad), 0);
	assert_int_equal(g.bans, 1);
	assert_int_equal(g.hists, 0);
	assert_non_null(got_find(&g, "198.51.100.99"));
	tdir_free(&t);
}

/* Records the loader refuses, and rows that do not parse, are deleted from the store. */
static void test_store_refused_and_bad_rows(void **state)
{
	struct tdir t;
	struct ban_store *s;
	struct ban_store_info info;
	struct ban_record r;
	struct got g = {0};
	unsigned bad;

	(void)state;
	tdir_new(&t);
	assert_int_equal(ban_store_open(&s, t.path, 0, &info), 0);
	r = rec_of("198.51.100.1", 0, "keep");
	assert_int_equal(ban_store_put(s, &r), 0);
	r = rec_of("198.51.100.2", 0, "old");
	assert_int_equal(ban_store_put(s, &r), 0);
	ban_store_close(s);
	raw_sql(t.path, "INSERT INTO bans VALUES ('198.51.100.3', 0, 0, 'maybe', 1, 'j', 'o');"
			"INSERT INTO bans VALUES ('198.51.100.4/24', 0, 0, 'drop', 1, 'j', 'o');"
			"INSERT INTO bans VALUES ('198.51.100.5', -5, 0, 'drop', 1, 'j', 'o');"
			"INSERT INTO hist VALUES ('sshd', 'not-an-address', 1, 1)");
	g.refuse = "old";
	assert_int_equal(load_all(t.path, &g, &bad), 0);
	assert_int_equal(bad, 4); /* bad action, host bits set, negative expiry, bad address */
	assert_int_equal(g.bans, 1);
	g.refuse = NULL;
	assert_int_equal(load_all(t.path, &g, &bad), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(g.bans, 1);
	assert_non_null(got_find(&g, "198.51.100.1"));
	assert_int_equal(g.hists, 0);
	tdir_free(&t);
}

/* Rows counted in the table, straight from the file. */
static int raw_count(const char *path, const char *table)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	char sql[64];
	int n = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

static void got_prefetch(void *ctx, const struct ban_net *n)
{
	(void)ctx;
	assert_true(n->family == 4 || n->family == 6);
}

/* A load reads bans a batch at a time: every ban of a store spanning many batches arrives once,
 * with its fields; bans refused anywhere in a batch, bad rows between them, and a ban count
 * whose key is longer than a jail name are deleted, the rest kept. */
static void test_store_batches(void **state)
{
	struct ban_store_cb cb;
	struct ban_store_info info;
	struct ban_store *s;
	struct tdir t;
	struct got g;
	unsigned bad;
	char net[32];

	(void)state;
	tdir_new(&t);
	assert_int_equal(ban_store_open(&s, t.path, 0, &info), 0);
	assert_int_equal(ban_store_begin(s), 0);
	for (unsigned i = 0; i < 1000; i++) {
		struct ban_record r;
		snprintf(net, sizeof(net), i % 2 ? "198.51.%u.%u" : "2001:db8:%x:%x::/64", 100 + i / 250,
			 i % 250 + 1);
		r = rec_of(net, 1900000000 + i, i % 7 == 3 ? "old" : "sshd");
		r.count = i + 1;
		r.reject = i % 5 == 0;
		assert_int_equal(ban_store_put(s, &r), 0);
	}
	assert_int_equal(ban_store_commit(s), 0);
	ban_store_close(s);
	raw_sql(t.path, "INSERT INTO bans VALUES ('198.51.200.1', 0, 0, 'maybe', 1, 'j', 'o');"
			"INSERT INTO bans VALUES ('2001:db8:ffff::/64', 0, 0, 'nope', 1, 'j', 'o');"
			"INSERT INTO hist VALUES ('sshd', '198.51.100.9', 2, 5);"
			"INSERT INTO hist VALUES ('a-jail-name-of-forty-characters-xxxxxxxx', "
			"'2001:db8:1234:5678:9abc:def0:1234:5678', 1, 1)");
	memset(&g, 0, sizeof(g));
	g.refuse = "old";
	cb = (struct ban_store_cb){.ctx = &g, .reserve = got_reserve, .ban = got_ban,
				   .prefetch = got_prefetch, .hist = got_hist};
	assert_int_equal(ban_store_open(&s, t.path, 0, &info), 0);
	assert_int_equal(ban_store_load(s, &cb, &bad), 0);
	ban_store_close(s);
	assert_int_equal(bad, 3); /* two bad actions, an over-long jail */
	assert_int_equal(g.bans, 1000 - 143); /* i % 7 == 3: 143 of them refused */
	assert_int_equal(g.hists, 1);
	assert_int_equal(raw_count(t.path, "bans"), 1000 - 143);
	assert_int_equal(raw_count(t.path, "hist"), 1);
	/* and what a second load sees, field by field for the first ones */
	g.refuse = NULL;
	assert_int_equal(load_all(t.path, &g, &bad), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(g.bans, 1000 - 143);
	for (unsigned k = 0; k < 8; k++) {
		const struct ban_record *r = &g.rec[k];
		unsigned i = (unsigned)(r->expires_wall - 1900000000);
		assert_true(i < 1000);
		assert_int_equal(r->count, i + 1);
		assert_int_equal(r->reject, i % 5 == 0);
		assert_int_equal(r->net.family, i % 2 ? 4 : 6);
		assert_string_equal(r->jail, "sshd");
	}
	tdir_free(&t);
}

/* An old text store at the path is imported in one go and kept as PATH.migrated. */
static void test_store_migrate_text(void **state)
{
	struct tdir t;
	struct ban_store *s;
	struct ban_store_info info;
	struct got g = {0};
	char mig[160], head[16];
	unsigned bad;
	FILE *f;

	(void)state;
	tdir_new(&t);
	f = fopen(t.path, "w");
	assert_non_null(f);
	fputs("# natwarden-ban-state 1\n"
	      "ban 2001:db8::/64 1900000000 1700000000 reject 2 sshd gw1\n"
	      "ban 198.51.100.7 0 1700000000 drop 1 - -\n"
	      "hist sshd 198.51.100.7 4 1700000000\n"
	      "ban 10.0.0.0/0x 1 2 drop 1 a b\n"
	      "nonsense\n"
	      "# end\n",
	      f);
	fclose(f);
	assert_true(ban_store_text_is(t.path));
	assert_int_equal(ban_store_open(&s, t.path, 0, &info), 0);
	assert_int_equal(info.migrated, 2);
	assert_int_equal(info.bad, 2);
	assert_int_equal(info.corrupt, 0);
	snprintf(mig, sizeof(mig), "%s.migrated", t.path);
	assert_string_equal(info.aside, mig);
	ban_store_close(s);
	/* the database took the name; the text is kept as it was */
	assert_false(ban_store_text_is(t.path));
	f = fopen(t.path, "r");
	assert_non_null(f);
	assert_int_equal(fread(head, 1, sizeof(head), f), sizeof(head));
	fclose(f);
	assert_memory_equal(head, "SQLite format 3", 16);
	assert_true(ban_store_text_is(mig));
	snprintf(mig, sizeof(mig), "%s.new", t.path);
	assert_false(exists(mig));

	assert_int_equal(load_all(t.path, &g, &bad), 0);
	assert_int_equal(g.bans, 2);
	struct ban_record *b = got_find(&g, "2001:db8::/64");
	assert_non_null(b);
	assert_int_equal(b->reject, 1);
	assert_int_equal(b->count, 2);
	assert_int_equal(b->expires_wall, 1900000000);
	assert_string_equal(b->origin, "gw1");
	b = got_find(&g, "198.51.100.7");
	assert_non_null(b);
	assert_string_equal(b->jail, "");
	assert_int_equal(g.hists, 1);
	assert_int_equal(g.hcount[0], 4);
	/* and only once */
	assert_int_equal(ban_store_open(&s, t.path, 0, &info), 0);
	assert_int_equal(info.migrated, 0);
	assert_string_equal(info.aside, "");
	ban_store_close(s);
	tdir_free(&t);
}

/* Count the directory's entries whose name starts with prefix. */
static unsigned count_files(const char *dir, const char *prefix)
{
	char cmd[256];
	FILE *p;
	unsigned n = 0;

	snprintf(cmd, sizeof(cmd), "ls '%s' | grep -c '^%s'", dir, prefix);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%u", &n), 1);
	pclose(p);
	return n;
}

/* A file that is no database (not the text store either) is kept aside; the store starts empty
 * and works. */
static void test_store_corrupt_header(void **state)
{
	struct tdir t;
	struct ban_store *s;
	struct ban_store_info info;
	struct ban_record r;
	struct got g = {0};
	unsigned bad;
	FILE *f;

	(void)state;
	tdir_new(&t);
	f = fopen(t.path, "w");
	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not a database, nor a text store\n", f);
	fclose(f);
	assert_int_equal(ban_store_open(&s, t.path, 0, &info), 0);
	assert_int_equal(info.corrupt, 1);
	assert_non_null(strstr(info.aside, "/ban.state.corrupt-"));
	assert_true(exists(info.aside));
	assert_non_null(strstr(info.why, "not a database"));
	r = rec_of("198.51.100.1", 0, "j");
	assert_int_equal(ban_store_put(s, &r), 0);
	ban_store_close(s);
	assert_int_equal(load_all(t.path, &g, &bad), 0);
	assert_int_equal(g.bans, 1);
	assert_int_equal(count_files(t.dir, "ban.state.corrupt-"), 1);
	tdir_free(&t);
}

/* Pages damaged past the header: the load stops with -EBADMSG after what it could read, the
 * file is kept aside and a new store takes its place (the plugin then writes back what it has). */
static void test_store_corrupt_pages(void **state)
{
	struct tdir t;
	struct ban_store *s;
	struct ban_store_info info;
	struct ban_record r;
	struct got g = {0};
	struct ban_store_cb cb = {.ctx = &g, .ban = got_ban, .hist = got_hist};
	char net[32], junk[4096];
	struct stat st;
	unsigned bad;
	int fd;

	(void)state;
	tdir_new(&t);
	assert_int_equal(ban_store_open(&s, t.path, 0, &info), 0);
	assert_int_equal(ban_store_begin(s), 0);
	for (unsigned i = 0; i < 20000; i++) {
		snprintf(net, sizeof(net), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
		r = rec_of(net, 1900000000, "bulk");
		assert_int_equal(ban_store_put(s, &r), 0);
	}
	assert_int_equal(ban_store_commit(s), 0);
	ban_store_close(s);
	/* overwrite pages in the middle of the file */
	assert_int_equal(stat(t.path, &st), 0);
	assert_true(st.st_size > 64 * 4096);
	memset(junk, 0xa5, sizeof(junk));
	fd = open(t.path, O_WRONLY);
	assert_true(fd >= 0);
	for (off_t off = 8 * 4096; off < st.st_size - 8 * 4096; off += 8 * 4096)
		assert_int_equal(pwrite(fd, junk, sizeof(junk), off), (ssize_t)sizeof(junk));
	close(fd);

	assert_int_equal(ban_store_open(&s, t.path, 0, &info), 0);
	assert_int_equal(info.corrupt, 0); /* the header is fine */
	assert_int_equal(ban_store_load(s, &cb, &bad), -EBADMSG);
	assert_true(g.bans < 20000);
	assert_non_null(strstr(ban_store_error(s), "kept as"));
	assert_int_equal(count_files(t.dir, "ban.state.corrupt-"), 1);
	/* the new store works: write back what was read */
	assert_int_equal(ban_store_begin(s), 0);
	r = rec_of("198.51.100.1", 0, "j");
	assert_int_equal(ban_store_put(s, &r), 0);
	assert_int_equal(ban_store_commit(s), 0);
	ban_store_close(s);
	assert_int_equal(load_all(t.path, &g, &bad), 0);
	assert_int_equal(g.bans, 1);
	tdir_free(&t);
}

/* What cannot be opened is an error with a reason, and nothing is moved or created. */
static void test_store_refuses(void **state)
{
	struct tdir t;
	struct ban_store *s = (struct ban_store *)&t;
	struct ban_store_info info;
	char path[160];
	FILE *f;

	(void)state;
	tdir_new(&t);
	/* the parent is a regular file */
	f = fopen(t.path, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/ban.db", t.path);
	assert_true(ban_store_open(&s, path, 0, &info) < 0);
	assert_null(s);
	assert_true(info.why[0] != '\0');
	unlink(t.path);
	/* a newer natwarden's database */
	assert_int_equal(ban_store_open(&s, t.path, 0, &info), 0);
	ban_store_close(s);
	raw_sql(t.path, "PRAGMA user_version = 99");
	assert_int_equal(ban_store_open(&s, t.path, 0, &info), -EPROTO);
	assert_non_null(strstr(info.why, "newer natwarden"));
	assert_int_equal(count_files(t.dir, "ban.state.corrupt-"), 0);
	/* another program's database */
	unlink(t.path);
	raw_sql(t.path, "PRAGMA application_id = 42; CREATE TABLE x (y)");
	assert_int_equal(ban_store_open(&s, t.path, 0, &info), -EPROTO);
	assert_non_null(strstr(info.why, "another program"));
	tdir_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_roundtrip),
		cmocka_unit_test(test_store_refused_and_bad_rows),
		cmocka_unit_test(test_store_batches),
		cmocka_unit_test(test_store_migrate_text),
		cmocka_unit_test(test_store_corrupt_header),
		cmocka_unit_test(test_store_corrupt_pages),
		cmocka_unit_test(test_store_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
