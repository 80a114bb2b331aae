/* ban_store_bench: the ban store's cost per ban and load time, SQLite (ban_store.c) against the old text store's write pattern. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ban.h"

#define BB_RUNS 3

static double bb_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* wall time for what waits on the disk; CPU time for loads, which do not, so that a machine
 * shared with other work gives the same figure */
static double bb_now(void)
{
	return bb_clock(CLOCK_MONOTONIC);
}

static double bb_cpu(void)
{
	return bb_clock(CLOCK_PROCESS_CPUTIME_ID);
}

/* Ban number i: an IPv4 /32 from 10.0.0.0 on, a quarter of them IPv6 /64s. */
static struct ban_record bb_rec(unsigned i, uint64_t wall)
{
	struct ban_record r;

	memset(&r, 0, sizeof(r));
	if (i % 4 == 3) {
		r.net.family = 6;
		r.net.prefix = 64;
		r.net.a[0] = 0x20, r.net.a[1] = 0x01, r.net.a[2] = 0x0d, r.net.a[3] = 0xb8;
		r.net.a[4] = (uint8_t)(i >> 24), r.net.a[5] = (uint8_t)(i >> 16);
		r.net.a[6] = (uint8_t)(i >> 8), r.net.a[7] = (uint8_t)i;
	} else {
		uint32_t v = 0x0a000000u + i;
		r.net.family = 4;
		r.net.prefix = 32;
		r.net.a[0] = (uint8_t)(v >> 24), r.net.a[1] = (uint8_t)(v >> 16);
		r.net.a[2] = (uint8_t)(v >> 8), r.net.a[3] = (uint8_t)v;
	}
	r.expires_wall = wall + 3600 + i % 600;
	r.created_wall = wall;
	r.count = 1;
	snprintf(r.jail, sizeof(r.jail), "sshd");
	snprintf(r.origin, sizeof(r.origin), "gw1");
	return r;
}

/* ---- the baseline: the text store as natwarden wrote it before the SQLite store (a whole new
 * file for every save: lines, fflush, fsync, rename, fsync of the directory) ---- */

static int bb_text_save(const char *path, unsigned n, uint64_t wall)
{
	char tmp[4200], net[BAN_NET_STRLEN], dir[4200], *slash;
	FILE *f;
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -errno;
	}
	fprintf(f, "# natwarden-ban-state 1\n");
	for (unsigned i = 0; i < n; i++) {
		struct ban_record b = bb_rec(i, wall);
		ban_net_format(&b.net, net, sizeof(net));
		if (fprintf(f, "ban %s %" PRIu64 " %" PRIu64 " %s %" PRIu32 " %s %s\n", net,
			    b.expires_wall, b.created_wall, b.reject ? "reject" : "drop", b.count,
			    b.jail, b.origin) < 0)
			r = -EIO;
	}
	fprintf(f, "# end\n");
	if (fflush(f) != 0 || fsync(fileno(f)) < 0)
		r = -errno;
	if (fclose(f) != 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r) {
		unlink(tmp);
		return r;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

/* ---- loading into the hot ban set (what the plugin's start does with each record) ---- */

struct bb_load {
	struct ban_set set;
	uint64_t wall;
};

static void bb_load_reserve(void *ctx, uint8_t family, unsigned prefix, uint64_t n)
{
	struct bb_load *l = ctx;

	ban_set_reserve(&l->set, family, prefix, (uint32_t)n);
}

static void bb_load_prefetch(void *ctx, const struct ban_net *n)
{
	ban_set_prefetch(&((struct bb_load *)ctx)->set, n);
}

static int bb_load_ban(void *ctx, const struct ban_record *r)
{
	struct bb_load *l = ctx;
	struct ban_entry e;

	memset(&e, 0, sizeof(e));
	e.net = r->net;
	e.reject = r->reject;
	e.exp = r->expires_wall ? ban_set_rel(&l->set, 100 + (r->expires_wall - l->wall))
				: BAN_EXP_PERM;
	return ban_set_put(&l->set, &e) < 0 ? -ENOMEM : 0;
}

/* Load path into a fresh set; CPU seconds, or -1. */
static double bb_load(const char *path, int text, unsigned want, uint64_t wall)
{
	struct bb_load l = {.wall = wall};
	/* the text store cannot tell its size before it is read: its tables grow as it goes */
	struct ban_store_cb cb = {.ctx = &l, .reserve = text ? NULL : bb_load_reserve,
				  .ban = bb_load_ban, .prefetch = text ? NULL : bb_load_prefetch};
	struct ban_store_info info;
	struct ban_store *s;
	unsigned bad;
	double t0 = bb_cpu(), t;
	int r;

	ban_set_init(&l.set, NULL);
	ban_set_rebase(&l.set, 100);
	if (text) {
		r = ban_store_text_load(path, &cb, &bad);
	} else {
		r = ban_store_open(&s, path, 0, &info);
		if (r == 0) {
			r = ban_store_load(s, &cb, &bad);
			ban_store_close(s);
		}
	}
	t = bb_cpu() - t0;
	if (r < 0 || l.set.live != want) {
		fprintf(stderr, "load of %s: %s, %" PRIu64 " of %u bans\n", path,
			r < 0 ? strerror(-r) : "ok", l.set.live, want);
		t = -1;
	}
	ban_set_free(&l.set);
	return t;
}

/* n bans into a new database at path, in one transaction; seconds, or -1. */
static double bb_fill(const char *path, unsigned n, uint64_t wall)
{
	struct ban_store_info info;
	struct ban_store *s;
	double t0;
	int r;

	unlink(path);
	t0 = bb_now();
	r = ban_store_open(&s, path, 0, &info);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", path, info.why);
		return -1;
	}
	r = ban_store_begin(s);
	for (unsigned i = 0; i < n && r == 0; i++) {
		struct ban_record b = bb_rec(i, wall);
		r = ban_store_put(s, &b);
	}
	if (r == 0)
		r = ban_store_commit(s);
	ban_store_close(s);
	return r < 0 ? -1 : bb_now() - t0;
}

/* m single bans (each its own transaction) into the database of n bans; seconds per ban. */
static double bb_adds(const char *path, unsigned n, unsigned m, int full, uint64_t wall)
{
	struct ban_store_info info;
	struct ban_store *s;
	double t0, t;
	int r = 0;

	if (ban_store_open(&s, path, full, &info) < 0)
		return -1;
	t0 = bb_now();
	for (unsigned i = 0; i < m && r == 0; i++) {
		struct ban_record b = bb_rec(n + i, wall);
		r = ban_store_put(s, &b);
	}
	t = (bb_now() - t0) / m;
	/* and take them back out, so the next run starts from n bans again */
	ban_store_begin(s);
	for (unsigned i = 0; i < m; i++) {
		struct ban_record b = bb_rec(n + i, wall);
		ban_store_del(s, &b.net);
	}
	ban_store_commit(s);
	ban_store_close(s);
	return r < 0 ? -1 : t;
}

static int bb_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double bb_median(double *v, int n)
{
	for (int i = 0; i < n; i++)
		if (v[i] < 0)
			return -1;
	qsort(v, (size_t)n, sizeof(*v), bb_cmp);
	return v[n / 2];
}

static int bb_size(const char *dir, unsigned n, unsigned m_normal, unsigned m_full)
{
	char tpath[4096], dpath[4096];
	uint64_t wall = (uint64_t)time(NULL);
	double tsave[BB_RUNS], tload[BB_RUNS], dload[BB_RUNS], dadd[BB_RUNS], dfull[BB_RUNS];
	double fill;

	snprintf(tpath, sizeof(tpath), "%s/text-%u.state", dir, n);
	snprintf(dpath, sizeof(dpath), "%s/sqlite-%u.db", dir, n);
	fill = bb_fill(dpath, n, wall);
	for (int k = 0; k < BB_RUNS; k++) {
		double t0 = bb_now();
		tsave[k] = bb_text_save(tpath, n, wall) < 0 ? -1 : bb_now() - t0;
		tload[k] = bb_load(tpath, 1, n, wall);
		dload[k] = bb_load(dpath, 0, n, wall);
		dadd[k] = bb_adds(dpath, n, m_normal, 0, wall);
		dfull[k] = bb_adds(dpath, n, m_full, 1, wall);
	}
	double ts = bb_median(tsave, BB_RUNS), tl = bb_median(tload, BB_RUNS);
	double dl = bb_median(dload, BB_RUNS), da = bb_median(dadd, BB_RUNS);
	double df = bb_median(dfull, BB_RUNS);
	if (fill < 0 || ts < 0 || tl < 0 || dl < 0 || da < 0 || df < 0) {
		printf("%u bans: a run failed (see above)\n", n);
		return 1;
	}
	printf("%-8u %12.1f %12.1f %12.1f %10.0fx %10.0fx %10.1f %10.1f %8.2fx %10.0f\n", n,
	       ts * 1e3, da * 1e6, df * 1e6, ts / da, ts / df, tl * 1e3, dl * 1e3, dl / tl,
	       fill * 1e3);
	unlink(tpath);
	return 0;
}

int main(int argc, char **argv)
{
	int bad = 0;

	if (argc >= 4 && !strcmp(argv[1], "fill")) {
		/* fill PATH N: a database of N bans for a start of the real daemon */
		double t = bb_fill(argv[2], (unsigned)strtoul(argv[3], NULL, 0),
				   (uint64_t)time(NULL));
		return t < 0;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: ban_store_bench DIR N... | fill PATH N\n");
		return 2;
	}
	printf("%-8s %12s %12s %12s %11s %11s %10s %10s %9s %10s\n", "bans", "text save ms",
	       "sql ban us", "sql full us", "save/ban", "save/full", "text ld ms", "sql ld ms",
	       "sql/text", "import ms");
	printf("%-8s %12s %12s %12s %11s %11s %10s %10s %9s %10s\n", "", "(wall)", "(wall)",
	       "(wall)", "", "", "(cpu)", "(cpu)", "", "(wall)");
	for (int i = 2; i < argc; i++)
		bad |= bb_size(argv[1], (unsigned)strtoul(argv[i], NULL, 0), 2000, 100);
	printf("(median of %d runs; text save = one save of the old text store, which every ban "
	       "cost when it was alone in its second; sql ban = one ban in its own transaction, "
	       "synchronous = NORMAL (2000 bans), sql full = synchronous = FULL (100 bans); "
	       "ld = load into the hot ban set, CPU time; import = N bans in one transaction)\n",
	       BB_RUNS);
	return bad;
}
