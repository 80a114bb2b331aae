/* ban plugin: shared bans through Redis (hiredis async in the core's main loop, main thread). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/hiredis.h>
#include <hiredis/sds.h>

#include "ban_priv.h"

#define svc ban_svc
#define BR_QUEUE_MAX 100000
#define BR_BLOCK_MS 2000
#define BR_READ_COUNT 1000
#define BR_TICK_MS 100       /* housekeeping: timeouts, reconnects, cleanup (not the I/O) */
#define BR_STOP_FLUSH_MS 100 /* at stop: longest wait for the last writes to be answered */

enum br_state { BR_DOWN, BR_DISCOVER, BR_SYNCING, BR_UP };

/* One member of the resync page being read. */
struct br_ent {
	struct ban_net net;
	uint64_t expires_wall; /* the score the scan returned */
	uint8_t mlen;
	char member[BAN_NET_STRLEN];
};

struct br_pre;

/* A page of the scan: its members, until their metadata reply has been applied. */
struct br_page {
	struct br_ent *ent;
	size_t n, cap;
};

/* A paged resync in progress (see "reading: full resync" below). */
struct br_sync {
	char cursor[24];      /* ZSCAN cursor */
	int scan_done;        /* the cursor came back 0 */
	struct br_page pg[2]; /* page k in pg[k % 2]: at most two in flight */
	uint64_t sent, done;  /* pages whose metadata was asked for / applied */
	const char **argv;    /* page command arguments */
	size_t *lens;
	size_t cap_argv, cap_lens;
	struct br_pre *pre;   /* bans held when the resync began (open addressing) */
	size_t pre_cap;
	size_t applied, bad, pages;
	uint64_t replies;
};

/* A change waiting for Redis. */
struct br_op {
	int action;
	struct ban_record rec;
	char reason[96];
};

struct ban_redis {
	struct ban_priv *p;
	struct event_base *base; /* the core's main loop (svc->event_base): not ours to free */
	nw_watch *tick;         /* housekeeping timer (BR_TICK_MS; the backoff when down) */
	redisAsyncContext *ac;  /* commands */
	redisAsyncContext *sub; /* XREAD BLOCK */
	enum br_state state;
	unsigned gen;           /* connection generation; stale replies are ignored */
	int push_own;           /* first sync since start, or a new master after a failover:
				 * push our own bans Redis lacks */
	int repopulate;         /* Redis lost its data: push every ban we hold */
	uint64_t since_ms;      /* state entered */
	uint64_t next_try_ms;
	uint64_t backoff_ms;
	unsigned inflight;      /* replies awaited on ac */
	uint64_t last_reply_ms;
	int reading;
	uint64_t read_sent_ms;
	char last_id[48];
	char zkey[96], mkey[96], sigkey[96], skey[96], ekey[96];
	char epoch[40];         /* the data set's id (prefix:epoch) when last synced; "" before */
	struct br_op *q;
	size_t nq, capq;
	struct ban_net *wb;     /* bans a resync found Redis lacking: written back in batches */
	size_t wb_n, wb_i, wb_cap;
	uint64_t last_cleanup_ms, last_trimcheck_ms;
	struct ban_rlimits lim;
	char addr[BAN_HOSTPORT_LEN]; /* the server in use (from the sentinels when set) */
	struct ban_sentinel *sen;    /* NULL without redis_sentinels */
	struct ban_logdue fail_log;  /* the same failure again is not logged every retry */
	int stopping;
	struct br_sync sync;
};

static int br_str(const redisReply *x);
static void br_wb_abandon(struct ban_redis *r);
static void br_wb_step(struct ban_redis *r);

static void *br_gen(const struct ban_redis *r)
{
	return (void *)(uintptr_t)r->gen;
}

static int br_stale(const struct ban_redis *r, void *priv)
{
	return (unsigned)(uintptr_t)priv != r->gen;
}

/* A reply on the command connection: 0 when it belongs to a dropped connection (ignore it);
 * else it counts as answered (for the command timeout). */
static int br_answered(struct ban_redis *r, const redisAsyncContext *c, void *priv)
{
	if (!r || br_stale(r, priv))
		return 0;
	if (c == r->ac && r->inflight)
		r->inflight--;
	r->last_reply_ms = ban_mono_ms();
	return 1;
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
		if (ban_log_due(&r->fail_log, why))
			svc->log(r->p->self, NW_LOG_WARNING,
				 "redis %s: %s; reconnecting in %" PRIu64 " ms", r->addr, why,
				 r->backoff_ms);
		svc->counter_add(r->p->self, NULL, r->p->c_redis_errors, 1);
	}
	br_wb_abandon(r);
	r->gen++;
	r->ac = r->sub = NULL;
	r->state = BR_DOWN;
	r->inflight = 0;
	r->reading = 0;
	r->next_try_ms = ban_mono_ms() + r->backoff_ms;
	if (r->tick && !r->stopping) /* wake up for the retry itself, not up to a tick after it */
		svc->watch_set(r->tick, 0, (uint32_t)r->backoff_ms);
	/* with sentinels a retry is a cheap question to them, and the answer changes when a
	 * failover completes: retry at least every second so the new master is found soon */
	r->backoff_ms = r->backoff_ms * 2 > (r->sen ? 1000u : 30000u) ? (r->sen ? 1000u : 30000u)
								  : r->backoff_ms * 2;
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

	if (!br_answered(r, c, priv))
		return;
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

	if (!br_answered(r, c, priv))
		return;
	if (!rep || rep->type != REDIS_REPLY_ARRAY)
		svc->counter_add(r->p->self, NULL, r->p->c_redis_errors, 1);
	else
		svc->counter_add(r->p->self, NULL, r->p->c_redis_sent, 1);
	br_wb_step(r); /* a write-back in progress sends its next batch as replies return */
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

/* A server named by the sentinels must still be the master (it may have been demoted since). */
static void br_on_role(redisAsyncContext *c, void *reply, void *priv)
{
	struct ban_redis *r = c->data;
	const redisReply *rep = reply;

	if (!br_answered(r, c, priv))
		return;
	if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements < 1 ||
	    !br_str(rep->element[0]) || strcmp(rep->element[0]->str, "master"))
		br_fail(r, "not a master (ROLE); asking the sentinels again");
}

/* AUTH and SELECT on a fresh connection (and ROLE when the sentinels named the server). */
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
	if (r->sen && c == r->ac) {
		const char *a[] = {"ROLE"};
		br_cmd(r, c, br_on_role, 1, a, NULL);
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
		/* no room: the next resync writes back every ban we hold that Redis lacks instead
		 * (an unban that does not fit is lost; Redis may give the ban back: the safe side) */
		if (!r->repopulate)
			svc->log(r->p->self, NW_LOG_WARNING,
				 "redis: %d changes queued; every active ban will be written back "
				 "when Redis returns", BR_QUEUE_MAX);
		r->repopulate = 1;
		svc->counter_add(r->p->self, NULL, r->p->c_redis_errors, 1);
		return;
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
	if (r->state != BR_UP) {
		br_enqueue(r, &op);
		return;
	}
	br_send_op(r, &op);
	/* on the socket now, not when the loop comes back to it: the store's commit and whatever
	 * else this turn of the loop does come after (hiredis's own write handler, as the loop
	 * would call it; a failure disconnects through br_on_disconnect as there) */
	if (r->ac && !(r->ac->c.flags & REDIS_IN_CALLBACK))
		redisAsyncHandleWrite(r->ac);
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
		if (ban_apply_record(p, &ev.rec, ev.reason[0] ? ev.reason : "shared ban",
				     BAN_F_NOSYNC) >= 0)
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
	if (r->state != BR_UP)
		return; /* a resync began: the stream is read again from its resync point */
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
		r->read_sent_ms = ban_mono_ms();
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

	if (!br_answered(r, c, priv))
		return;
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

/* ---- reading: full resync, paged ----
 *
 * A resync reads the whole ban list without one huge reply (1M bans would be ~90 MB held at
 * once, and a reply longer than any sane timeout), in steps, each its own command:
 *
 *  1. MULTI XREVRANGE events + - COUNT 1, ZCOUNT bans now +inf EXEC: the stream's newest id S
 *     becomes the resync point, before any ban is read.
 *  2. ZSCAN bans CURSOR COUNT redis_resync_chunk until the cursor comes back 0. Redis returns
 *     every member present for the whole scan (some maybe twice: harmless, applying is
 *     idempotent); a member added or removed during the scan may or may not be returned.
 *  3. Per page: HMGET meta M... (and HMGET sig M... in the same MULTI when signing), then the
 *     page's bans are applied at once (enforced progressively) and its replies freed. The
 *     next ZSCAN is sent before this page's HMGET, so Redis works on one while we apply the
 *     other (two pages in flight at most).
 *  4. After the last page, local bans that existed when the resync began and that the scan did
 *     not return are lifted (or written back when they are ours and Redis missed them).
 *  5. XREAD from S: every ban/unban made since step 1, in stream order, applied on top.
 *
 * Why nothing is lost: every writer changes the sorted set, the hashes and appends its stream
 * event in one MULTI, so any change the scan could have missed or seen half-way has its event
 * after S, and step 5 replays it after the snapshot. Replaying in order means the last change
 * of an address wins: an unban made after its ban was paged in removes it again; a ban whose
 * unban came before the scan reached it is not paged in, and the replay (ban, then unban) ends
 * unbanned; a re-ban read half-way (new score, old signature) is skipped as invalid and then
 * replayed. (A ban added during the scan that we already held may be lifted by step 4 and
 * re-applied by step 5 a moment later. An entry unbanned between its ZSCAN and its HMGET reads
 * as metadata-less and is counted invalid.) Stream replies that arrive while a resync runs are
 * dropped: step 5 reads them again from S. If the stream was trimmed past S meanwhile, the
 * trimming check right after the resync sees it and starts another resync.
 *
 * Progress-based timeout: the resync fails only when one step's reply is late
 * (redis_command_timeout; the first one also gets redis_connect_timeout).
 */

struct br_pre {
	struct ban_net net;
	uint8_t used, seen;
};

static uint64_t br_hash(const void *s, size_t n)
{
	const uint8_t *b = s;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static uint64_t br_net_hash(const struct ban_net *n)
{
	return br_hash(n, 2 + (n->family == 4 ? 4u : 16u));
}

static int br_pre_add(void *ctx, const struct ban_entry *e)
{
	struct br_sync *s = ctx;
	size_t i = br_net_hash(&e->net) & (s->pre_cap - 1);

	while (s->pre[i].used) {
		if (ban_net_eq(&s->pre[i].net, &e->net))
			return 0;
		i = (i + 1) & (s->pre_cap - 1);
	}
	s->pre[i].used = 1;
	s->pre[i].net = e->net;
	return 0;
}

/* Note a paged-in ban that was held locally when the resync began. */
static void br_pre_seen(struct br_sync *s, const struct ban_net *n)
{
	size_t i;

	if (!s->pre_cap)
		return;
	i = br_net_hash(n) & (s->pre_cap - 1);
	while (s->pre[i].used) {
		if (ban_net_eq(&s->pre[i].net, n)) {
			s->pre[i].seen = 1;
			return;
		}
		i = (i + 1) & (s->pre_cap - 1);
	}
}

static void br_sync_reset(struct ban_redis *r)
{
	struct br_sync *s = &r->sync;

	free(s->pre);
	free(s->pg[0].ent);
	free(s->pg[1].ent);
	free(s->argv);
	free(s->lens);
	memset(s, 0, sizeof(*s));
}

static int br_sync_reply(struct ban_redis *r, void *priv)
{
	if (!br_answered(r, r ? r->ac : NULL, priv))
		return -1;
	r->sync.replies++;
	return 0;
}

static void br_sync_fail(struct ban_redis *r, const redisReply *rep, const char *what)
{
	char why[200];

	snprintf(why, sizeof(why), "resync: %s%s%.120s", what,
		 rep && rep->type == REDIS_REPLY_ERROR ? ": " : "",
		 rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "");
	br_fail(r, why);
}

static void br_on_scan(redisAsyncContext *c, void *reply, void *priv);

static void br_scan_next(struct ban_redis *r)
{
	char count[24];

	snprintf(count, sizeof(count), "%" PRIu64, r->p->c.redis_resync_chunk);
	const char *a[] = {"ZSCAN", r->zkey, r->sync.cursor, "COUNT", count};
	if (br_cmd(r, r->ac, br_on_scan, 5, a, NULL) < 0)
		br_fail(r, "resync: cannot send ZSCAN");
}

/* After the last page: lift what Redis no longer has, go up, stream from the resync point. */
static int br_grow(void **ptr, size_t *cap, size_t want, size_t size)
{
	void *np;
	size_t nc = *cap ? *cap : 64;

	if (want <= *cap)
		return 0;
	while (nc < want)
		nc *= 2;
	np = realloc(*ptr, nc * size);
	if (!np)
		return -ENOMEM;
	*ptr = np;
	*cap = nc;
	return 0;
}

static void br_wb_reset(struct ban_redis *r)
{
	free(r->wb);
	r->wb = NULL;
	r->wb_n = r->wb_i = r->wb_cap = 0;
}

/* Write back the next batch of the bans a resync found Redis lacking: a batch whenever few
 * replies are awaited (called as they return), so that a million of them never sit in one
 * output buffer. */
static void br_wb_step(struct ban_redis *r)
{
	struct ban_priv *p = r->p;
	size_t end;

	if (r->wb_i >= r->wb_n || r->inflight > 256 || r->state != BR_UP)
		return;
	end = r->wb_n - r->wb_i > 1000 ? r->wb_i + 1000 : r->wb_n;
	for (; r->wb_i < end; r->wb_i++) {
		struct ban_entry e;
		struct br_op op;
		if (ban_set_get(&p->set, &r->wb[r->wb_i], &e) < 0)
			continue; /* lifted meanwhile */
		memset(&op, 0, sizeof(op));
		op.action = NW_BAN_ACTION_BAN;
		ban_entry_record(p, &e, &op.rec);
		snprintf(op.reason, sizeof(op.reason), "restored");
		br_send_op(r, &op);
	}
	if (r->wb_i >= r->wb_n)
		br_wb_reset(r);
}

/* The link or the resync point is lost with write-backs pending: the next resync writes back
 * whatever Redis still lacks. */
static void br_wb_abandon(struct ban_redis *r)
{
	if (r->wb_i < r->wb_n)
		r->repopulate = 1;
	br_wb_reset(r);
}

static void br_sync_finish(struct ban_redis *r)
{
	struct ban_priv *p = r->p;
	struct br_sync *s = &r->sync;
	size_t lifted = 0, pushed = 0;

	/* queued changes will be written: neither lifted nor written back */
	for (size_t i = 0; i < r->nq; i++)
		br_pre_seen(s, &r->q[i].rec.net);
	br_wb_reset(r);
	for (size_t i = 0; i < s->pre_cap; i++) {
		struct ban_entry e;
		if (!s->pre[i].used || s->pre[i].seen)
			continue;
		if (ban_set_get(&p->set, &s->pre[i].net, &e) < 0)
			continue; /* gone meanwhile */
		if (r->repopulate ||
		    (r->push_own && !strcmp(ban_str(p, e.meta.origin), p->c.gateway_id))) {
			/* ours, from before this start (or Redis lost its data): Redis missed it */
			if (br_grow((void **)&r->wb, &r->wb_cap, r->wb_n + 1, sizeof(*r->wb)) == 0) {
				r->wb[r->wb_n++] = e.net;
				pushed++;
			}
			continue; /* kept here in any case */
		}
		ban_remove(p, &e.net, "lifted while disconnected",
			   BAN_F_QUIET | BAN_F_NOSYNC | BAN_F_BULK);
		lifted++;
	}
	if (s->bad) {
		svc->counter_add(p->self, NULL, p->c_redis_bad, s->bad);
		svc->log(p->self, NW_LOG_WARNING, "redis resync: %zu invalid entries ignored", s->bad);
	}
	svc->log(p->self, NW_LOG_INFO,
		 "redis %s: resynced %zu bans in %" PRIu64 " ms (%zu pages, %" PRIu64
		 " active, %zu lifted, %zu written back, %zu queued changes), stream from %s",
		 r->addr, s->applied, ban_mono_ms() - r->since_ms, s->pages, p->set.live, lifted, pushed,
		 r->nq, r->last_id);
	br_sync_reset(r);
	ban_gauges(p);
	r->state = BR_UP;
	ban_persist_commit(p); /* the resync's bans: one transaction */
	r->push_own = 0;
	r->repopulate = 0;
	r->backoff_ms = 100;
	r->last_trimcheck_ms = 0; /* was the stream trimmed past the resync point meanwhile? */
	/* changes made while away */
	for (size_t i = 0; i < r->nq; i++)
		br_send_op(r, &r->q[i]);
	r->nq = 0;
	br_wb_step(r);
	br_gauges(r);
	br_read(r);
#ifdef __GLIBC__
	malloc_trim(0); /* the pages' replies: give the memory back */
#endif
}

/* Apply the oldest page in flight: MULTI HMGET meta (, HMGET sig) EXEC, one element per member. */
static void br_on_page(redisAsyncContext *c, void *reply, void *priv)
{
	struct ban_redis *r = c->data;
	struct ban_priv *p;
	struct br_sync *s;
	struct br_page *pg;
	redisReply *rep = reply;
	const redisReply *mh, *sh;

	if (br_sync_reply(r, priv) < 0)
		return;
	p = r->p;
	s = &r->sync;
	pg = &s->pg[s->done % 2];
	if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != (p->hmac_keylen ? 2u : 1u)) {
		br_sync_fail(r, rep, "unexpected page reply");
		return;
	}
	mh = rep->element[0];
	sh = p->hmac_keylen ? rep->element[1] : NULL;
	if (mh->type != REDIS_REPLY_ARRAY || mh->elements != pg->n ||
	    (sh && (sh->type != REDIS_REPLY_ARRAY || sh->elements != pg->n))) {
		br_sync_fail(r, rep, "unexpected page reply (wrong key types?)");
		return;
	}
	for (size_t i = 0; i < pg->n; i++) {
		const struct br_ent *e = &pg->ent[i];
		const redisReply *mv = mh->element[i], *sv = sh ? sh->element[i] : NULL;
		struct ban_record rec;
		char reason[96];

		memset(&rec, 0, sizeof(rec));
		rec.net = e->net;
		rec.expires_wall = e->expires_wall;
		if (!br_str(mv) || ban_rparse_meta(mv->str, mv->len, &rec, reason, sizeof(reason)) < 0) {
			s->bad++;
			continue;
		}
		if (p->hmac_keylen) {
			char want[65];
			ban_rentry_sign(p->hmac_key, p->hmac_keylen, e->member, rec.expires_wall,
					mv->str, mv->len, want);
			if (!br_str(sv) || !ban_rsig_eq(want, sv->str, sv->len)) {
				s->bad++;
				continue;
			}
		}
		if (!strcmp(rec.jail, "-"))
			rec.jail[0] = '\0';
		if (!strcmp(rec.origin, "-"))
			rec.origin[0] = '\0';
		if (ban_apply_record(p, &rec, reason[0] ? reason : "shared ban",
				     BAN_F_QUIET | BAN_F_NOSYNC | BAN_F_REPLACE | BAN_F_BULK) >= 0) {
			s->applied++;
			br_pre_seen(s, &rec.net);
		}
	}
	pg->n = 0;
	s->done++;
	s->pages++;
	ban_gauges(p);
	if (s->scan_done && s->done == s->sent)
		br_sync_finish(r);
}

/* Ask for the metadata of the page just scanned (pg[sent % 2]). */
static int br_page_send(struct ban_redis *r)
{
	struct br_sync *s = &r->sync;
	struct br_page *pg = &s->pg[s->sent % 2];
	const char *keys[2] = {r->mkey, r->sigkey};
	unsigned nk = r->p->hmac_keylen ? 2 : 1;

	if (br_grow((void **)&s->argv, &s->cap_argv, pg->n + 2, sizeof(*s->argv)) < 0 ||
	    br_grow((void **)&s->lens, &s->cap_lens, pg->n + 2, sizeof(*s->lens)) < 0)
		return -ENOMEM;
	const char *multi[] = {"MULTI"};
	if (br_cmd(r, r->ac, NULL, 1, multi, NULL) < 0)
		return -EIO;
	for (unsigned k = 0; k < nk; k++) {
		s->argv[0] = "HMGET";
		s->lens[0] = 5;
		s->argv[1] = keys[k];
		s->lens[1] = strlen(keys[k]);
		for (size_t i = 0; i < pg->n; i++) {
			s->argv[2 + i] = pg->ent[i].member;
			s->lens[2 + i] = pg->ent[i].mlen;
		}
		if (redisAsyncCommandArgv(r->ac, NULL, NULL, (int)(pg->n + 2), s->argv, s->lens) !=
		    REDIS_OK)
			return -EIO;
	}
	const char *exec[] = {"EXEC"};
	if (br_cmd(r, r->ac, br_on_page, 1, exec, NULL) < 0)
		return -EIO;
	s->sent++;
	return 0;
}

/* One ZSCAN page: [cursor, [member, score, ...]]. */
static void br_on_scan(redisAsyncContext *c, void *reply, void *priv)
{
	struct ban_redis *r = c->data;
	struct br_sync *s;
	struct br_page *pg;
	redisReply *rep = reply;
	const redisReply *cur, *arr;
	uint64_t wall = ban_wall_s();

	if (br_sync_reply(r, priv) < 0)
		return;
	s = &r->sync;
	if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    !br_str(rep->element[0]) || rep->element[0]->len == 0 ||
	    rep->element[0]->len >= sizeof(s->cursor) ||
	    rep->element[1]->type != REDIS_REPLY_ARRAY || rep->element[1]->elements % 2) {
		br_sync_fail(r, rep, "unexpected ZSCAN reply (wrong key type?)");
		return;
	}
	cur = rep->element[0];
	arr = rep->element[1];
	if (strspn(cur->str, "0123456789") != cur->len) {
		br_sync_fail(r, NULL, "bad ZSCAN cursor");
		return;
	}
	memcpy(s->cursor, cur->str, cur->len);
	s->cursor[cur->len] = '\0';
	s->scan_done = !strcmp(s->cursor, "0");
	/* the buffer of page `sent`: its previous user (page sent - 2) has been applied, as its
	 * reply came before this one */
	pg = &s->pg[s->sent % 2];
	if (br_grow((void **)&pg->ent, &pg->cap, arr->elements / 2 + 1, sizeof(*pg->ent)) < 0) {
		br_fail(r, "resync: out of memory");
		return;
	}
	pg->n = 0;
	for (size_t i = 0; i + 1 < arr->elements; i += 2) {
		const redisReply *m = arr->element[i], *sc = arr->element[i + 1];
		struct br_ent *e = &pg->ent[pg->n];
		int rc;

		if (!br_str(m) || !br_str(sc) || m->len >= sizeof(e->member) ||
		    ban_rparse_member(m->str, m->len, &r->lim, &e->net) < 0) {
			s->bad++;
			continue;
		}
		rc = ban_rparse_expiry(sc->str, sc->len, wall, &r->lim, &e->expires_wall);
		if (rc == -ESTALE)
			continue;
		if (rc < 0) {
			s->bad++;
			continue;
		}
		memcpy(e->member, m->str, m->len);
		e->member[m->len] = '\0';
		e->mlen = (uint8_t)m->len;
		pg->n++;
	}
	if (!s->scan_done)
		br_scan_next(r); /* first, so Redis scans on while we apply this page */
	if (pg->n && br_page_send(r) < 0) {
		br_fail(r, "resync: cannot send page");
		return;
	}
	if (s->scan_done && s->done == s->sent)
		br_sync_finish(r);
	/* else the last br_on_page finishes */
}

/* Step 1: the resync point and whether Redis lost its data. */
static void br_on_sync_start(redisAsyncContext *c, void *reply, void *priv)
{
	struct ban_redis *r = c->data;
	struct ban_priv *p;
	redisReply *rep = reply;
	const redisReply *xr, *zc, *ep;

	if (br_sync_reply(r, priv) < 0)
		return;
	p = r->p;
	if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 4 ||
	    rep->element[0]->type != REDIS_REPLY_ARRAY ||
	    rep->element[1]->type != REDIS_REPLY_INTEGER || !br_str(rep->element[3]) ||
	    rep->element[3]->len >= sizeof(r->epoch)) {
		br_sync_fail(r, rep, "unexpected reply (wrong key types?)");
		return;
	}
	xr = rep->element[0];
	zc = rep->element[1];
	ep = rep->element[3];
	/* Redis lost its data: the data set's id changed (another gateway may already have
	 * written to it), or the stream we had read from is gone with every ban. Push every ban
	 * we hold back. */
	if ((r->epoch[0] && (ep->len != strlen(r->epoch) || memcmp(ep->str, r->epoch, ep->len))) ||
	    (strcmp(r->last_id, "0-0") && xr->elements == 0 && zc->integer == 0)) {
		svc->log(p->self, NW_LOG_WARNING,
			 "redis %s lost its data: writing our %" PRIu64 " active bans back", r->addr,
			 p->set.live);
		r->repopulate = 1;
	}
	memcpy(r->epoch, ep->str, ep->len);
	r->epoch[ep->len] = '\0';
	snprintf(r->last_id, sizeof(r->last_id), "0-0");
	if (xr->elements == 1 && xr->element[0]->type == REDIS_REPLY_ARRAY &&
	    xr->element[0]->elements == 2 && br_str(xr->element[0]->element[0]) &&
	    xr->element[0]->element[0]->len < sizeof(r->last_id)) {
		memcpy(r->last_id, xr->element[0]->element[0]->str, xr->element[0]->element[0]->len);
		r->last_id[xr->element[0]->element[0]->len] = '\0';
	}
	snprintf(r->sync.cursor, sizeof(r->sync.cursor), "0");
	br_scan_next(r);
}

static void br_full_resync(struct ban_redis *r)
{
	struct br_sync *s = &r->sync;
	char now[24];

	br_sync_reset(r);
	br_wb_abandon(r);
	r->state = BR_SYNCING;
	r->since_ms = ban_mono_ms();
	r->last_reply_ms = r->since_ms;
	/* the bans held now, to lift those Redis no longer has once the scan is through */
	if (r->p->set.live) {
		s->pre_cap = 16;
		while (s->pre_cap < r->p->set.live * 2)
			s->pre_cap *= 2;
		s->pre = calloc(s->pre_cap, sizeof(*s->pre));
		if (!s->pre) {
			br_fail(r, "resync: out of memory");
			return;
		}
		ban_set_foreach(&r->p->set, br_pre_add, s);
	}
	snprintf(now, sizeof(now), "%" PRIu64, ban_wall_s());
	const char *multi[] = {"MULTI"};
	const char *x[] = {"XREVRANGE", r->skey, "+", "-", "COUNT", "1"};
	const char *z[] = {"ZCOUNT", r->zkey, now, "+inf"};
	const char *exec[] = {"EXEC"};
	/* the data set's id: made by the first gateway to find none; a different one later means
	 * Redis lost its data (or is another Redis) */
	char cand[24];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(cand, sizeof(cand), "%" PRIx64,
		 (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)(uintptr_t)r);
	const char *se[] = {"SET", r->ekey, cand, "NX"};
	const char *ge[] = {"GET", r->ekey};
	br_cmd(r, r->ac, NULL, 1, multi, NULL);
	br_cmd(r, r->ac, NULL, 6, x, NULL);
	br_cmd(r, r->ac, NULL, 4, z, NULL);
	br_cmd(r, r->ac, NULL, 4, se, NULL);
	br_cmd(r, r->ac, NULL, 2, ge, NULL);
	br_cmd(r, r->ac, br_on_sync_start, 1, exec, NULL);
}

/* ---- connection management ---- */

redisAsyncContext *ban_redis_open_addr(const char *a, char *err, size_t errlen)
{
	redisAsyncContext *c;

	if (!strncmp(a, "unix:", 5)) {
		c = redisAsyncConnectUnix(a + 5);
	} else {
		char host[256];
		const char *colon = strrchr(a, ':');
		int port = 6379;
		size_t hl = colon ? (size_t)(colon - a) : strlen(a);
		if (hl >= sizeof(host)) {
			snprintf(err, errlen, "address too long");
			return NULL;
		}
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
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (c->err) {
		snprintf(err, errlen, "%s", c->errstr);
		redisAsyncFree(c);
		return NULL;
	}
	return c;
}

static redisAsyncContext *br_open(struct ban_redis *r)
{
	char err[160];
	redisAsyncContext *c = ban_redis_open_addr(r->addr, err, sizeof(err));

	if (!c) {
		svc->log(r->p->self, NW_LOG_WARNING, "redis %s: %s", r->addr, err);
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
	r->last_reply_ms = ban_mono_ms();
	br_hello(r, r->ac);
	br_hello(r, r->sub);
	br_full_resync(r);
}

/* The sentinels answered: connect to the master they name (or retry after the backoff). */
static void br_on_master(void *ctx, const char *addr, const char *why)
{
	struct ban_redis *r = ctx;

	if (r->state != BR_DISCOVER || r->stopping)
		return;
	if (!addr) {
		br_fail(r, why);
		return;
	}
	if (strcmp(addr, r->addr)) {
		svc->log(r->p->self, NW_LOG_NOTICE, "redis: master %s is at %s (was %s)",
			 r->p->c.redis_master_name, addr, r->addr);
		if (strcmp(r->addr, "unknown"))
			r->push_own = 1; /* a failover may have lost writes the old master had */
		snprintf(r->addr, sizeof(r->addr), "%s", addr);
	}
	br_connect(r);
}

/* (Re)connect: straight to the configured server, or first ask the sentinels where it is. */
static void br_start_connect(struct ban_redis *r)
{
	if (!r->sen) {
		br_connect(r);
		return;
	}
	r->state = BR_DISCOVER;
	r->last_reply_ms = ban_mono_ms();
	br_gauges(r);
	ban_sentinel_ask(r->sen);
}

static void br_cleanup(struct ban_redis *r);

static void br_on_expired(redisAsyncContext *c, void *reply, void *priv)
{
	struct ban_redis *r = c->data;
	redisReply *rep = reply;
	const char *argv[3 + 1000];
	size_t lens[3 + 1000];
	int n;

	if (!br_answered(r, c, priv))
		return;
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

/* Housekeeping (the I/O itself runs in the main loop as it happens): reconnect after the
 * backoff, the progress and command timeouts, the stream read kept going, the write-back, the
 * cleanup of expired members and the check for a trimmed stream. */
static void br_on_tick(void *priv, nw_watch *w, int fd, unsigned what, void *arg)
{
	struct ban_priv *p = priv;
	struct ban_redis *r = arg;
	uint64_t now = ban_mono_ms();

	(void)fd, (void)what;
	svc->watch_set(w, 0, BR_TICK_MS); /* br_fail below may shorten it to the backoff */
	switch (r->state) {
	case BR_DOWN:
		if (now >= r->next_try_ms)
			br_start_connect(r);
		else if (r->next_try_ms - now < BR_TICK_MS) /* woke a little early */
			svc->watch_set(w, 0, (uint32_t)(r->next_try_ms - now));
		break;
	case BR_DISCOVER:
		ban_sentinel_poll(r->sen);
		break;
	case BR_SYNCING:
		/* progress-based: each step of the resync has its own timeout */
		if (now - r->last_reply_ms >
		    (p->c.redis_command_timeout + (r->sync.replies ? 0 : p->c.redis_connect_timeout)) *
			    1000)
			br_fail(r, r->sync.replies ? "resync step timed out"
						   : "timed out connecting/resyncing");
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
		br_wb_step(r);
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
	struct ban_redis *r;
	const char *pre = p->c.redis_prefix;
	struct event_base *base = svc->event_base(p->self);
	int rc;

	if (!base) {
		/* offline (-r): no main loop to keep a Redis link in */
		svc->log(p->self, NW_LOG_ERR,
			 "store = redis needs the daemon's main loop, which an offline run (-r) does "
			 "not have: use store = local for offline runs");
		return -EOPNOTSUPP;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->p = p;
	r->base = base;
	snprintf(r->zkey, sizeof(r->zkey), "%s:bans", pre);
	snprintf(r->mkey, sizeof(r->mkey), "%s:meta", pre);
	snprintf(r->sigkey, sizeof(r->sigkey), "%s:sig", pre);
	snprintf(r->skey, sizeof(r->skey), "%s:events", pre);
	snprintf(r->ekey, sizeof(r->ekey), "%s:epoch", pre);
	snprintf(r->last_id, sizeof(r->last_id), "0-0");
	snprintf(r->addr, sizeof(r->addr), "%s", p->c.n_sentinels ? "unknown" : p->c.redis);
	r->lim.min_prefix4 = (unsigned)p->c.min_prefix4;
	r->lim.min_prefix6 = (unsigned)p->c.min_prefix6;
	r->lim.max_ttl = p->c.redis_max_ttl;
	r->lim.allow_perm = p->c.redis_allow_permanent;
	r->backoff_ms = 100;
	r->push_own = 1;
	r->last_cleanup_ms = ban_mono_ms();
	r->last_trimcheck_ms = ban_mono_ms();
	if ((rc = svc->watch_add(p->self, -1, br_on_tick, r, &r->tick)) < 0 ||
	    (rc = svc->watch_set(r->tick, 0, BR_TICK_MS)) < 0)
		goto fail;
	if (p->c.n_sentinels) {
		r->sen = ban_sentinel_new(p, r->base, br_on_master, r);
		if (!r->sen) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	p->redis = r;
	br_start_connect(r);
	return 0;
fail:
	svc->watch_del(r->tick);
	free(r);
	return rc;
}

/* Stopping (the main loop no longer runs): give the changes already sent up to
 * BR_STOP_FLUSH_MS to be written and answered, driving the command connection by hand. */
static void br_flush(struct ban_redis *r)
{
	uint64_t t0 = ban_mono_ms(), el;

	while (r->ac && r->state == BR_UP && r->inflight &&
	       (el = ban_mono_ms() - t0) < BR_STOP_FLUSH_MS) {
		struct pollfd pf = {.fd = r->ac->c.fd, .events = POLLIN};
		if (r->ac->c.obuf && sdslen(r->ac->c.obuf))
			pf.events |= POLLOUT;
		if (poll(&pf, 1, (int)(BR_STOP_FLUSH_MS - el)) <= 0)
			break;
		if (pf.revents & POLLOUT)
			redisAsyncHandleWrite(r->ac);
		if (r->ac && (pf.revents & (POLLIN | POLLHUP | POLLERR)))
			redisAsyncHandleRead(r->ac); /* may drop it: br_on_disconnect clears r->ac */
	}
}

void ban_redis_stop(struct ban_priv *p)
{
	struct ban_redis *r = p->redis;

	if (!r)
		return;
	r->stopping = 1;
	br_flush(r);
	r->gen++;
	/* the contexts' events live in the core's loop, which still exists during stop */
	if (r->ac)
		redisAsyncFree(r->ac);
	if (r->sub)
		redisAsyncFree(r->sub);
	r->ac = r->sub = NULL;
	ban_sentinel_free(r->sen);
	svc->watch_del(r->tick);
	br_sync_reset(r);
	br_wb_reset(r);
	free(r->q);
	free(r);
	p->redis = NULL;
}

int ban_redis_status(struct ban_priv *p, int json, char *out, size_t len)
{
	struct ban_redis *r = p->redis;
	const char *st;

	if (!r)
		return snprintf(out, len, json ? "{\"store\":\"local\"}" : "store: local (no Redis)\n");
	st = r->state == BR_UP		 ? "up"
	     : r->state == BR_SYNCING	 ? "syncing"
	     : r->state == BR_DISCOVER ? "asking sentinels"
				       : "down";
	if (json)
		return snprintf(out, len,
				"{\"store\":\"redis\",\"server\":\"%s\",\"state\":\"%s\","
				"\"master_name\":\"%s\",\"sentinels\":%u,\"stream_id\":\"%s\","
				"\"queued\":%zu}",
				r->addr, st, r->sen ? p->c.redis_master_name : "",
				p->c.n_sentinels, r->last_id, r->nq);
	return snprintf(out, len, "store: redis %s%s%s%s\nstate: %s\nstream at: %s\nqueued: %zu\n",
			r->addr, r->sen ? " (master " : "", r->sen ? p->c.redis_master_name : "",
			r->sen ? " via sentinels)" : "", st, r->last_id, r->nq);
}

int ban_redis_syncing(const struct ban_priv *p)
{
	return p->redis && p->redis->state == BR_SYNCING;
}
