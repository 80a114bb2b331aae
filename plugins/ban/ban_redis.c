/* ban plugin: shared bans through Redis (hiredis async on a private libevent base, main thread). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/hiredis.h>

#include "ban_priv.h"

#define svc ban_svc
#define BR_QUEUE_MAX 100000
#define BR_BLOCK_MS 2000
#define BR_READ_COUNT 1000

enum br_state { BR_DOWN, BR_SYNCING, BR_UP };

/* A change waiting for Redis. */
struct br_op {
	int action;
	struct ban_record rec;
	char reason[96];
};

struct ban_redis {
	struct ban_priv *p;
	struct event_base *base;
	redisAsyncContext *ac;  /* commands */
	redisAsyncContext *sub; /* XREAD BLOCK */
	enum br_state state;
	unsigned gen;           /* connection generation; stale replies are ignored */
	int first_sync;         /* the first sync since start: push our own bans Redis lacks */
	int repopulate;         /* Redis lost its data: push every ban we hold */
	uint64_t since_ms;      /* state entered */
	uint64_t next_try_ms;
	uint64_t backoff_ms;
	unsigned inflight;      /* replies awaited on ac */
	uint64_t last_reply_ms;
	int reading;
	uint64_t read_sent_ms;
	char last_id[48];
	char zkey[96], mkey[96], sigkey[96], skey[96];
	struct br_op *q;
	size_t nq, capq;
	uint64_t last_cleanup_ms, last_trimcheck_ms;
	struct ban_rlimits lim;
	char addr[256];
	int stopping;
};

static uint64_t br_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *br_gen(const struct ban_redis *r)
{
	return (void *)(uintptr_t)r->gen;
}

static int br_stale(const struct ban_redis *r, void *priv)
{
	return (unsigned)(uintptr_t)priv != r->gen;
}

static void br_gauges(struct ban_redis *r)
{
	svc->gauge_set(r->p->self, r->p->g_redis_up, r->state == BR_UP);
	svc->gauge_set(r->p->self, r->p->g_queue, r->nq);
}

/* Drop both connections; reconnect after the backoff. */
static void br_fail(struct ban_redis *r, const char *why)
{
	redisAsyncContext *ac = r->ac, *sub = r->sub;

	if (r->state != BR_DOWN || ac || sub) {
		svc->log(r->p->self, NW_LOG_WARNING, "redis %s: %s; reconnecting in %" PRIu64 " ms",
			 r->addr, why, r->backoff_ms);
		svc->counter_add(r->p->self, NULL, r->p->c_redis_errors, 1);
	}
	r->gen++;
	r->ac = r->sub = NULL;
	r->state = BR_DOWN;
	r->inflight = 0;
	r->reading = 0;
	r->next_try_ms = br_ms() + r->backoff_ms;
	r->backoff_ms = r->backoff_ms * 2 > 30000 ? 30000 : r->backoff_ms * 2;
	if (ac)
		redisAsyncFree(ac);
	if (sub)
		redisAsyncFree(sub);
	br_gauges(r);
}

static void br_on_connect(const redisAsyncContext *c, int status)
{
	struct ban_redis *r = c->data;

	if (status != REDIS_OK) {
		if (c == r->ac)
			r->ac = NULL; /* hiredis frees it */
		if (c == r->sub)
			r->sub = NULL;
		br_fail(r, c->errstr[0] ? c->errstr : "connect failed");
	}
}

static void br_on_disconnect(const redisAsyncContext *c, int status)
{
	struct ban_redis *r = c->data;

	if (c == r->ac)
		r->ac = NULL;
	else if (c == r->sub)
		r->sub = NULL;
	else
		return;
	if (!r->stopping)
		br_fail(r, status == REDIS_OK ? "disconnected" : (c->errstr[0] ? c->errstr : "error"));
}

/* Replies that only need to be OK (AUTH, SELECT, EXEC of writes). */
static void br_on_ok(redisAsyncContext *c, void *reply, void *priv)
{
	struct ban_redis *r = c->data;
	redisReply *rep = reply;

	if (!r || br_stale(r, priv))
		return;
	if (c == r->ac && r->inflight)
		r->inflight--;
	r->last_reply_ms = br_ms();
	if (!rep) {
		br_fail(r, "no reply");
		return;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		char why[160];
		snprintf(why, sizeof(why), "command failed: %.120s", rep->str);
		br_fail(r, why);
	}
}

static void br_on_exec(redisAsyncContext *c, void *reply, void *priv)
{
	struct ban_redis *r = c->data;
	redisReply *rep = reply;

	if (!r || br_stale(r, priv))
		return;
	if (r->inflight)
		r->inflight--;
	r->last_reply_ms = br_ms();
	if (!rep || rep->type != REDIS_REPLY_ARRAY) {
		svc->counter_add(r->p->self, NULL, r->p->c_redis_errors, 1);
		return;
	}
	svc->counter_add(r->p->self, NULL, r->p->c_redis_sent, 1);
}

static int br_cmd(struct ban_redis *r, redisAsyncContext *c, redisCallbackFn *cb, int argc,
		  const char **argv, const size_t *lens)
{
	size_t l[32];

	if (!c)
		return -ENOTCONN;
	if (!lens) {
		for (int i = 0; i < argc && i < 32; i++)
			l[i] = strlen(argv[i]);
		lens = l;
	}
	if (redisAsyncCommandArgv(c, cb, br_gen(r), argc, argv, lens) != REDIS_OK)
		return -EIO;
	if (c == r->ac && cb)
		r->inflight++;
	return 0;
}

/* AUTH and SELECT on a fresh connection. */
static void br_hello(struct ban_redis *r, redisAsyncContext *c)
{
	const struct ban_conf *cf = &r->p->c;
	char db[24];

	if (cf->redis_password[0]) {
		if (cf->redis_user[0]) {
			const char *a[] = {"AUTH", cf->redis_user, cf->redis_password};
			br_cmd(r, c, br_on_ok, 3, a, NULL);
		} else {
			const char *a[] = {"AUTH", cf->redis_password};
			br_cmd(r, c, br_on_ok, 2, a, NULL);
		}
	}
	if (cf->redis_db) {
		snprintf(db, sizeof(db), "%" PRIu64, cf->redis_db);
		const char *a[] = {"SELECT", db};
		br_cmd(r, c, br_on_ok, 2, a, NULL);
	}
}

/* ---- writing ---- */

static void br_send_op(struct ban_redis *r, const struct br_op *op)
{
	struct ban_priv *p = r->p;
	char member[BAN_NET_STRLEN], meta[256], score[32], maxlen[24], sig[65];
	struct ban_revent ev;
	struct ban_rev_buf b;
	const char *argv[40];
	size_t lens[40];
	int n = 0, ml;
	size_t pairs;

	if (ban_rmember_format(&op->rec.net, member, sizeof(member)) < 0)
		return;
	ml = ban_rmeta_format(&op->rec, op->reason, meta, sizeof(meta));
	if (ml < 0)
		return;
	const char *multi[] = {"MULTI"};
	br_cmd(r, r->ac, NULL, 1, multi, NULL);
	if (op->action == NW_BAN_ACTION_BAN) {
		if (op->rec.expires_wall)
			snprintf(score, sizeof(score), "%" PRIu64, op->rec.expires_wall);
		else
			snprintf(score, sizeof(score), "+inf");
		const char *z[] = {"ZADD", r->zkey, score, member};
		const char *h[] = {"HSET", r->mkey, member, meta};
		br_cmd(r, r->ac, NULL, 4, z, NULL);
		br_cmd(r, r->ac, NULL, 4, h, NULL);
		if (p->hmac_keylen) {
			ban_rentry_sign(p->hmac_key, p->hmac_keylen, member, op->rec.expires_wall, meta,
					(size_t)ml, sig);
			const char *s[] = {"HSET", r->sigkey, member, sig};
			br_cmd(r, r->ac, NULL, 4, s, NULL);
		}
	} else {
		const char *z[] = {"ZREM", r->zkey, member};
		const char *h[] = {"HDEL", r->mkey, member};
		const char *s[] = {"HDEL", r->sigkey, member};
		br_cmd(r, r->ac, NULL, 3, z, NULL);
		br_cmd(r, r->ac, NULL, 3, h, NULL);
		br_cmd(r, r->ac, NULL, 3, s, NULL);
	}
	memset(&ev, 0, sizeof(ev));
	ev.action = op->action;
	ev.rec = op->rec;
	snprintf(ev.reason, sizeof(ev.reason), "%s", op->reason);
	snprintf(ev.gw, sizeof(ev.gw), "%s", p->c.gateway_id);
	pairs = ban_revent_encode(&ev, p->hmac_keylen ? p->hmac_key : NULL, p->hmac_keylen, &b);
	snprintf(maxlen, sizeof(maxlen), "%" PRIu64, p->c.redis_stream_maxlen);
	argv[n] = "XADD", lens[n++] = 4;
	argv[n] = r->skey, lens[n++] = strlen(r->skey);
	argv[n] = "MAXLEN", lens[n++] = 6;
	argv[n] = "~", lens[n++] = 1;
	argv[n] = maxlen, lens[n++] = strlen(maxlen);
	argv[n] = "*", lens[n++] = 1;
	for (size_t i = 0; i < pairs * 2 && n < 40; i++) {
		argv[n] = b.f[i];
		lens[n++] = b.l[i];
	}
	br_cmd(r, r->ac, NULL, n, argv, lens);
	const char *exec[] = {"EXEC"};
	br_cmd(r, r->ac, br_on_exec, 1, exec, NULL);
}

static void br_enqueue(struct ban_redis *r, const struct br_op *op)
{
	size_t from = r->nq > 1024 ? r->nq - 1024 : 0;

	/* a later change of the same network replaces the queued one */
	for (size_t i = from; i < r->nq; i++)
		if (ban_net_eq(&r->q[i].rec.net, &op->rec.net)) {
			r->q[i] = *op;
			return;
		}
	if (r->nq == BR_QUEUE_MAX) {
		memmove(r->q, r->q + 1, (r->nq - 1) * sizeof(*r->q));
		r->nq--;
		svc->counter_add(r->p->self, NULL, r->p->c_redis_errors, 1);
	}
	if (r->nq == r->capq) {
		size_t nc = r->capq ? r->capq * 2 : 64;
		struct br_op *nq = realloc(r->q, nc * sizeof(*nq));
		if (!nq)
			return;
		r->q = nq;
		r->capq = nc;
	}
	r->q[r->nq++] = *op;
	br_gauges(r);
}

void ban_redis_publish(struct ban_priv *p, int action, const struct ban_record *rec,
		       const char *reason)
{
	struct ban_redis *r = p->redis;
	struct br_op op;

	if (!r)
		return;
	memset(&op, 0, sizeof(op));
	op.action = action;
	op.rec = *rec;
	snprintf(op.reason, sizeof(op.reason), "%s", reason ? reason : "");
	if (r->state == BR_UP)
		br_send_op(r, &op);
	else
		br_enqueue(r, &op);
}

/* ---- reading: events ---- */

static void br_read(struct ban_redis *r);

static int br_str(const redisReply *x)
{
	return x && (x->type == REDIS_REPLY_STRING || x->type == REDIS_REPLY_STATUS);
}

static void br_apply_event(struct ban_redis *r, const redisReply *fields)
{
	struct ban_priv *p = r->p;
	const char *kv[32];
	size_t lens[32];
	struct ban_revent ev;
	int rc;

	if (fields->type != REDIS_REPLY_ARRAY || fields->elements % 2 || fields->elements > 32) {
		svc->counter_add(p->self, NULL, p->c_redis_bad, 1);
		return;
	}
	for (size_t i = 0; i < fields->elements; i++) {
		if (!br_str(fields->element[i])) {
			svc->counter_add(p->self, NULL, p->c_redis_bad, 1);
			return;
		}
		kv[i] = fields->element[i]->str;
		lens[i] = fields->element[i]->len;
	}
	rc = ban_rparse_event(kv, lens, fields->elements / 2, ban_wall_s(), &r->lim,
			      p->hmac_keylen ? p->hmac_key : NULL, p->hmac_keylen, &ev);
	if (rc == -ESTALE)
		return;
	if (rc < 0) {
		svc->counter_add(p->self, NULL, p->c_redis_bad, 1);
		svc->log_ratelimited(p->self, NW_LOG_WARNING, 1,
				     "redis: stream event rejected (%s)",
				     rc == -EPERM ? "bad or missing signature" : "invalid");
		return;
	}
	if (!strcmp(ev.gw, p->c.gateway_id))
		return; /* our own: applied when made */
	if (!strcmp(ev.rec.jail, "-"))
		ev.rec.jail[0] = '\0';
	if (!strcmp(ev.rec.origin, "-"))
		ev.rec.origin[0] = '\0';
	if (ev.action == NW_BAN_ACTION_BAN) {
		uint64_t wall = ban_wall_s();
		int64_t dur = ev.rec.expires_wall ? (int64_t)(ev.rec.expires_wall - wall) : -1;
		if (ban_apply(p, &ev.rec.net, dur, ev.rec.reject, ev.rec.jail, ev.rec.origin,
			      ev.reason[0] ? ev.reason : "shared ban", BAN_F_NOSYNC) >= 0)
			svc->counter_add(p->self, NULL, p->c_redis_applied, 1);
	} else {
		if (ban_remove(p, &ev.rec.net, ev.reason[0] ? ev.reason : "shared unban",
			       BAN_F_NOSYNC) == 0)
			svc->counter_add(p->self, NULL, p->c_redis_applied, 1);
	}
}

static void br_full_resync(struct ban_redis *r);

static void br_on_xread(redisAsyncContext *c, void *reply, void *priv)
{
	struct ban_redis *r = c->data;
	redisReply *rep = reply;
	size_t got = 0;

	if (!r || br_stale(r, priv))
		return;
	r->reading = 0;
	if (!rep) {
		br_fail(r, "no reply to XREAD");
		return;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		char why[160];
		snprintf(why, sizeof(why), "XREAD: %.120s", rep->str);
		br_fail(r, why);
		return;
	}
	/* [[stream, [[id, [f, v, ...]], ...]]] or nil on timeout */
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements >= 1 &&
	    rep->element[0]->type == REDIS_REPLY_ARRAY && rep->element[0]->elements == 2 &&
	    rep->element[0]->element[1]->type == REDIS_REPLY_ARRAY) {
		const redisReply *entries = rep->element[0]->element[1];
		for (size_t i = 0; i < entries->elements; i++) {
			const redisReply *e = entries->element[i];
			if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || !br_str(e->element[0]) ||
			    e->element[0]->len >= sizeof(r->last_id)) {
				svc->counter_add(r->p->self, NULL, r->p->c_redis_bad, 1);
				continue;
			}
			memcpy(r->last_id, e->element[0]->str, e->element[0]->len);
			r->last_id[e->element[0]->len] = '\0';
			br_apply_event(r, e->element[1]);
			got++;
		}
	}
	if (r->state != BR_UP)
		return;
	if (got >= BR_READ_COUNT)
		r->last_trimcheck_ms = 0; /* we are far behind: check for trimming now */
	br_read(r);
}

static void br_read(struct ban_redis *r)
{
	char count[16], block[16];

	if (r->reading || !r->sub || r->state != BR_UP)
		return;
	snprintf(count, sizeof(count), "%d", BR_READ_COUNT);
	snprintf(block, sizeof(block), "%d", BR_BLOCK_MS);
	const char *a[] = {"XREAD", "COUNT", count, "BLOCK", block, "STREAMS", r->skey, r->last_id};
	if (br_cmd(r, r->sub, br_on_xread, 8, a, NULL) == 0) {
		r->reading = 1;
		r->read_sent_ms = br_ms();
	}
}

/* Compare stream ids "ms-seq". */
static int br_id_cmp(const char *a, const char *b)
{
	unsigned long long am = 0, as = 0, bm = 0, bs = 0;

	sscanf(a, "%llu-%llu", &am, &as);
	sscanf(b, "%llu-%llu", &bm, &bs);
	if (am != bm)
		return am < bm ? -1 : 1;
	return as < bs ? -1 : as > bs;
}

static void br_on_first_entry(redisAsyncContext *c, void *reply, void *priv)
{
	struct ban_redis *r = c->data;
	redisReply *rep = reply;

	if (!r || br_stale(r, priv))
		return;
	if (r->inflight)
		r->inflight--;
	r->last_reply_ms = br_ms();
	if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements == 0)
		return;
	const redisReply *e = rep->element[0];
	if (e->type != REDIS_REPLY_ARRAY || e->elements < 1 || !br_str(e->element[0]))
		return;
	if (strcmp(r->last_id, "0-0") && br_id_cmp(e->element[0]->str, r->last_id) > 0) {
		svc->log(r->p->self, NW_LOG_WARNING,
			 "redis: events after %s were trimmed away; full resync", r->last_id);
		br_full_resync(r);
	}
}

/* ---- reading: full resync ---- */

/* A small open-addressing map of member strings (pointers into a reply). */
struct br_map {
	size_t cap;
	const redisReply **k;
	const redisReply **v;
};

static uint64_t br_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return h;
}

static int br_map_init(struct br_map *m, size_t n)
{
	m->cap = 16;
	while (m->cap < n * 2)
		m->cap *= 2;
	m->k = calloc(m->cap, sizeof(*m->k));
	m->v = calloc(m->cap, sizeof(*m->v));
	return m->k && m->v ? 0 : -ENOMEM;
}

static void br_map_free(struct br_map *m)
{
	free(m->k);
	free(m->v);
}

static void br_map_put(struct br_map *m, const redisReply *k, const redisReply *v)
{
	size_t i = br_hash(k->str, k->len) & (m->cap - 1);

	while (m->k[i]) {
		if (m->k[i]->len == k->len && !memcmp(m->k[i]->str, k->str, k->len))
			break;
		i = (i + 1) & (m->cap - 1);
	}
	m->k[i] = k;
	m->v[i] = v;
}

static const redisReply *br_map_get(const struct br_map *m, const char *s, size_t n)
{
	size_t i = br_hash(s, n) & (m->cap - 1);

	while (m->k[i]) {
		if (m->k[i]->len == n && !memcmp(m->k[i]->str, s, n))
			return m->v[i];
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

struct br_sweep {
	struct ban_redis *r;
	struct br_map *present;
	struct ban_net *del;
	size_t n_del, cap_del;
	struct br_op *push;
	size_t n_push, cap_push;
};

static int br_sweep_one(void *ctx, const struct ban_entry *e)
{
	struct br_sweep *s = ctx;
	struct ban_priv *p = s->r->p;
	char member[BAN_NET_STRLEN];

	if (ban_rmember_format(&e->net, member, sizeof(member)) < 0)
		return 0;
	if (br_map_get(s->present, member, strlen(member)))
		return 0;
	for (size_t i = 0; i < s->r->nq; i++)
		if (ban_net_eq(&s->r->q[i].rec.net, &e->net))
			return 0; /* queued: it will be written */
	if (s->r->repopulate ||
	    (s->r->first_sync && !strcmp(ban_str(p, e->meta.origin), p->c.gateway_id))) {
		/* ours, from before this start: Redis missed it */
		if (s->n_push == s->cap_push) {
			size_t nc = s->cap_push ? s->cap_push * 2 : 64;
			struct br_op *np = realloc(s->push, nc * sizeof(*np));
			if (!np)
				return 0;
			s->push = np;
			s->cap_push = nc;
		}
		memset(&s->push[s->n_push], 0, sizeof(s->push[0]));
		s->push[s->n_push].action = NW_BAN_ACTION_BAN;
		ban_entry_record(p, e, &s->push[s->n_push].rec);
		snprintf(s->push[s->n_push].reason, sizeof(s->push[0].reason), "restored");
		s->n_push++;
		return 0;
	}
	if (s->n_del == s->cap_del) {
		size_t nc = s->cap_del ? s->cap_del * 2 : 64;
		struct ban_net *nd = realloc(s->del, nc * sizeof(*nd));
		if (!nd)
			return 0;
		s->del = nd;
		s->cap_del = nc;
	}
	s->del[s->n_del++] = e->net;
	return 0;
}

static void br_on_sync(redisAsyncContext *c, void *reply, void *priv)
{
	struct ban_redis *r = c->data;
	struct ban_priv *p;
	redisReply *rep = reply;
	const redisReply *xr, *zs, *mh, *sh;
	struct br_map meta = {0}, sigs = {0}, present = {0};
	struct br_sweep sw = {0};
	uint64_t wall = ban_wall_s();
	size_t applied = 0, bad = 0;

	if (!r || br_stale(r, priv))
		return;
	p = r->p;
	if (r->inflight)
		r->inflight--;
	r->last_reply_ms = br_ms();
	if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 4) {
		br_fail(r, rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "bad resync reply");
		return;
	}
	xr = rep->element[0];
	zs = rep->element[1];
	mh = rep->element[2];
	sh = rep->element[3];
	if (xr->type != REDIS_REPLY_ARRAY || zs->type != REDIS_REPLY_ARRAY || zs->elements % 2 ||
	    mh->type != REDIS_REPLY_ARRAY || mh->elements % 2 || sh->type != REDIS_REPLY_ARRAY ||
	    sh->elements % 2) {
		br_fail(r, "unexpected resync reply (wrong key types?)");
		return;
	}
	/* the resync point: the newest stream id at the snapshot. A stream gone empty while we
	 * had read from it means Redis lost its data: push every ban we hold back. */
	if (strcmp(r->last_id, "0-0") && xr->elements == 0 && zs->elements == 0) {
		svc->log(p->self, NW_LOG_WARNING,
			 "redis %s came back empty: writing our %" PRIu64 " active bans back", r->addr,
			 p->set.live);
		r->repopulate = 1;
	}
	snprintf(r->last_id, sizeof(r->last_id), "0-0");
	if (xr->elements == 1 && xr->element[0]->type == REDIS_REPLY_ARRAY &&
	    xr->element[0]->elements == 2 && br_str(xr->element[0]->element[0]) &&
	    xr->element[0]->element[0]->len < sizeof(r->last_id)) {
		memcpy(r->last_id, xr->element[0]->element[0]->str, xr->element[0]->element[0]->len);
		r->last_id[xr->element[0]->element[0]->len] = '\0';
	}
	if (br_map_init(&meta, mh->elements / 2) < 0 || br_map_init(&sigs, sh->elements / 2) < 0 ||
	    br_map_init(&present, zs->elements / 2) < 0)
		goto out;
	for (size_t i = 0; i + 1 < mh->elements; i += 2)
		if (br_str(mh->element[i]) && br_str(mh->element[i + 1]))
			br_map_put(&meta, mh->element[i], mh->element[i + 1]);
	for (size_t i = 0; i + 1 < sh->elements; i += 2)
		if (br_str(sh->element[i]) && br_str(sh->element[i + 1]))
			br_map_put(&sigs, sh->element[i], sh->element[i + 1]);
	for (size_t i = 0; i + 1 < zs->elements; i += 2) {
		const redisReply *m = zs->element[i], *sc = zs->element[i + 1], *mv, *sv;
		struct ban_record rec;
		char reason[96];
		int rc;

		if (!br_str(m) || !br_str(sc)) {
			bad++;
			continue;
		}
		memset(&rec, 0, sizeof(rec));
		if (ban_rparse_member(m->str, m->len, &r->lim, &rec.net) < 0) {
			bad++;
			continue;
		}
		rc = ban_rparse_expiry(sc->str, sc->len, wall, &r->lim, &rec.expires_wall);
		if (rc == -ESTALE)
			continue;
		mv = br_map_get(&meta, m->str, m->len);
		if (rc < 0 || !mv || ban_rparse_meta(mv->str, mv->len, &rec, reason, sizeof(reason)) < 0) {
			bad++;
			continue;
		}
		if (p->hmac_keylen) {
			char want[65];
			sv = br_map_get(&sigs, m->str, m->len);
			ban_rentry_sign(p->hmac_key, p->hmac_keylen, m->str, rec.expires_wall, mv->str,
					mv->len, want);
			if (!sv || !ban_rsig_eq(want, sv->str, sv->len)) {
				bad++;
				continue;
			}
		}
		if (!strcmp(rec.jail, "-"))
			rec.jail[0] = '\0';
		if (!strcmp(rec.origin, "-"))
			rec.origin[0] = '\0';
		int64_t dur = rec.expires_wall ? (int64_t)(rec.expires_wall - wall) : -1;
		if (ban_apply(p, &rec.net, dur, rec.reject, rec.jail, rec.origin,
			      reason[0] ? reason : "shared ban",
			      BAN_F_QUIET | BAN_F_NOSYNC | BAN_F_REPLACE) >= 0) {
			applied++;
			br_map_put(&present, m, m);
		}
	}
	/* local bans Redis does not have: lifted elsewhere (or ours, missed: pushed back) */
	sw.r = r;
	sw.present = &present;
	ban_set_foreach(&p->set, br_sweep_one, &sw);
	for (size_t i = 0; i < sw.n_del; i++)
		ban_remove(p, &sw.del[i], "lifted while disconnected", BAN_F_QUIET | BAN_F_NOSYNC);
	for (size_t i = 0; i < sw.n_push; i++)
		br_enqueue(r, &sw.push[i]);
	if (bad) {
		svc->counter_add(p->self, NULL, p->c_redis_bad, bad);
		svc->log(p->self, NW_LOG_WARNING, "redis resync: %zu invalid entries ignored", bad);
	}
	svc->log(p->self, NW_LOG_INFO,
		 "redis %s: resynced %zu bans (%zu lifted, %zu queued changes), stream from %s",
		 r->addr, applied, sw.n_del, r->nq, r->last_id);
	r->state = BR_UP;
	r->first_sync = 0;
	r->repopulate = 0;
	r->backoff_ms = 100;
	/* changes made while away */
	for (size_t i = 0; i < r->nq; i++)
		br_send_op(r, &r->q[i]);
	r->nq = 0;
	br_gauges(r);
	br_read(r);
out:
	free(sw.del);
	free(sw.push);
	br_map_free(&meta);
	br_map_free(&sigs);
	br_map_free(&present);
}

static void br_full_resync(struct ban_redis *r)
{
	char now[24];

	snprintf(now, sizeof(now), "%" PRIu64, ban_wall_s());
	const char *multi[] = {"MULTI"};
	const char *x[] = {"XREVRANGE", r->skey, "+", "-", "COUNT", "1"};
	const char *z[] = {"ZRANGEBYSCORE", r->zkey, now, "+inf", "WITHSCORES"};
	const char *h[] = {"HGETALL", r->mkey};
	const char *s[] = {"HGETALL", r->sigkey};
	const char *exec[] = {"EXEC"};
	r->state = BR_SYNCING;
	r->since_ms = br_ms();
	br_cmd(r, r->ac, NULL, 1, multi, NULL);
	br_cmd(r, r->ac, NULL, 6, x, NULL);
	br_cmd(r, r->ac, NULL, 5, z, NULL);
	br_cmd(r, r->ac, NULL, 2, h, NULL);
	br_cmd(r, r->ac, NULL, 2, s, NULL);
	br_cmd(r, r->ac, br_on_sync, 1, exec, NULL);
}

/* ---- connection management ---- */

static redisAsyncContext *br_open(struct ban_redis *r)
{
	const char *a = r->p->c.redis;
	redisAsyncContext *c;

	if (!strncmp(a, "unix:", 5)) {
		c = redisAsyncConnectUnix(a + 5);
	} else {
		char host[256];
		const char *colon = strrchr(a, ':');
		int port = 6379;
		size_t hl = colon ? (size_t)(colon - a) : strlen(a);
		if (hl >= sizeof(host))
			return NULL;
		memcpy(host, a, hl);
		host[hl] = '\0';
		if (colon)
			port = atoi(colon + 1);
		if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
			memmove(host, host + 1, hl - 2);
			host[hl - 2] = '\0';
		}
		c = redisAsyncConnect(host, port);
	}
	if (!c)
		return NULL;
	if (c->err) {
		svc->log(r->p->self, NW_LOG_WARNING, "redis %s: %s", r->addr, c->errstr);
		redisAsyncFree(c);
		return NULL;
	}
	c->data = r;
	redisLibeventAttach(c, r->base);
	redisAsyncSetConnectCallback(c, br_on_connect);
	redisAsyncSetDisconnectCallback(c, br_on_disconnect);
	return c;
}

static void br_connect(struct ban_redis *r)
{
	r->gen++;
	r->ac = br_open(r);
	r->sub = r->ac ? br_open(r) : NULL;
	if (!r->ac || !r->sub) {
		br_fail(r, "cannot connect");
		return;
	}
	r->inflight = 0;
	r->reading = 0;
	r->last_reply_ms = br_ms();
	br_hello(r, r->ac);
	br_hello(r, r->sub);
	br_full_resync(r);
}

static void br_cleanup(struct ban_redis *r);

static void br_on_expired(redisAsyncContext *c, void *reply, void *priv)
{
	struct ban_redis *r = c->data;
	redisReply *rep = reply;
	const char *argv[3 + 1000];
	size_t lens[3 + 1000];
	int n;

	if (!r || br_stale(r, priv))
		return;
	if (r->inflight)
		r->inflight--;
	r->last_reply_ms = br_ms();
	if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements == 0 || rep->elements > 1000)
		return;
	for (int k = 0; k < 3; k++) {
		const char *key = k == 0 ? r->zkey : k == 1 ? r->mkey : r->sigkey;
		n = 0;
		argv[n] = k == 0 ? "ZREM" : "HDEL";
		lens[n++] = 4;
		argv[n] = key;
		lens[n++] = strlen(key);
		for (size_t i = 0; i < rep->elements; i++)
			if (br_str(rep->element[i])) {
				argv[n] = rep->element[i]->str;
				lens[n++] = rep->element[i]->len;
			}
		if (n > 2)
			br_cmd(r, r->ac, br_on_ok, n, argv, lens);
	}
}

/* Remove expired members (every gateway does this; it is idempotent). */
static void br_cleanup(struct ban_redis *r)
{
	char now[24];

	snprintf(now, sizeof(now), "%" PRIu64, ban_wall_s());
	const char *a[] = {"ZRANGEBYSCORE", r->zkey, "-inf", now, "LIMIT", "0", "1000"};
	br_cmd(r, r->ac, br_on_expired, 7, a, NULL);
}

void ban_redis_poll(struct ban_priv *p)
{
	struct ban_redis *r = p->redis;
	uint64_t now;

	if (!r)
		return;
	event_base_loop(r->base, EVLOOP_NONBLOCK);
	now = br_ms();
	switch (r->state) {
	case BR_DOWN:
		if (now >= r->next_try_ms)
			br_connect(r);
		break;
	case BR_SYNCING:
		if (now - r->since_ms >
		    (p->c.redis_connect_timeout + p->c.redis_command_timeout) * 1000)
			br_fail(r, "timed out connecting/resyncing");
		break;
	case BR_UP:
		if (r->inflight && now - r->last_reply_ms > p->c.redis_command_timeout * 1000) {
			br_fail(r, "command timed out");
			break;
		}
		if (r->reading &&
		    now - r->read_sent_ms > BR_BLOCK_MS + p->c.redis_command_timeout * 1000) {
			br_fail(r, "XREAD timed out");
			break;
		}
		br_read(r);
		if (now - r->last_cleanup_ms > 60000) {
			r->last_cleanup_ms = now;
			br_cleanup(r);
		}
		if (now - r->last_trimcheck_ms > 10000) {
			const char *a[] = {"XRANGE", r->skey, "-", "+", "COUNT", "1"};
			r->last_trimcheck_ms = now;
			br_cmd(r, r->ac, br_on_first_entry, 6, a, NULL);
		}
		break;
	}
}

int ban_redis_start(struct ban_priv *p)
{
	struct ban_redis *r = calloc(1, sizeof(*r));
	const char *pre = p->c.redis_prefix;

	if (!r)
		return -ENOMEM;
	r->p = p;
	r->base = event_base_new();
	if (!r->base) {
		free(r);
		return -ENOMEM;
	}
	snprintf(r->zkey, sizeof(r->zkey), "%s:bans", pre);
	snprintf(r->mkey, sizeof(r->mkey), "%s:meta", pre);
	snprintf(r->sigkey, sizeof(r->sigkey), "%s:sig", pre);
	snprintf(r->skey, sizeof(r->skey), "%s:events", pre);
	snprintf(r->last_id, sizeof(r->last_id), "0-0");
	snprintf(r->addr, sizeof(r->addr), "%s", p->c.redis);
	r->lim.min_prefix4 = (unsigned)p->c.min_prefix4;
	r->lim.min_prefix6 = (unsigned)p->c.min_prefix6;
	r->lim.max_ttl = p->c.redis_max_ttl;
	r->lim.allow_perm = p->c.redis_allow_permanent;
	r->backoff_ms = 100;
	r->first_sync = 1;
	r->last_cleanup_ms = br_ms();
	r->last_trimcheck_ms = br_ms();
	p->redis = r;
	br_connect(r);
	event_base_loop(r->base, EVLOOP_NONBLOCK);
	return 0;
}

void ban_redis_stop(struct ban_priv *p)
{
	struct ban_redis *r = p->redis;

	if (!r)
		return;
	r->stopping = 1;
	/* give queued writes a moment to leave (bounded, non-blocking steps) */
	for (int i = 0; i < 50 && r->ac && r->state == BR_UP && r->inflight; i++) {
		struct timespec ts = {0, 2000000};
		event_base_loop(r->base, EVLOOP_NONBLOCK);
		nanosleep(&ts, NULL);
	}
	r->gen++;
	if (r->ac)
		redisAsyncFree(r->ac);
	if (r->sub)
		redisAsyncFree(r->sub);
	r->ac = r->sub = NULL;
	event_base_free(r->base);
	free(r->q);
	free(r);
	p->redis = NULL;
}

int ban_redis_status(struct ban_priv *p, char *out, size_t len)
{
	struct ban_redis *r = p->redis;

	if (!r)
		return snprintf(out, len, "redis: off");
	return snprintf(out, len, "redis %s: %s, stream at %s, %zu queued", r->addr,
			r->state == BR_UP ? "up" : r->state == BR_SYNCING ? "syncing" : "down",
			r->last_id, r->nq);
}
