/* ban plugin: find the Redis master through Sentinel (async, in the core's main loop). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/hiredis.h>

#include "ban_priv.h"

#define svc ban_svc

struct ban_sentinel {
	struct ban_priv *p;
	struct event_base *base; /* the core's main loop */
	redisAsyncContext *c; /* the sentinel being asked */
	unsigned gen;         /* replies from an abandoned connection are ignored */
	unsigned next;        /* the sentinel to ask next (round robin across rounds) */
	unsigned tried;       /* asked in this round */
	unsigned cur;
	uint64_t sent_ms;
	ban_sentinel_cb *cb;
	void *ctx;
	char why[200];
	struct ban_logdue log[BAN_MAX_SENTINELS]; /* per sentinel: a failure repeated each round */
};

static void bs_drop(struct ban_sentinel *s)
{
	redisAsyncContext *c = s->c;

	s->c = NULL; /* first: the disconnect callback then finds nothing to do */
	s->gen++;
	if (c)
		redisAsyncFree(c); /* deferred by hiredis when inside one of c's callbacks */
}

static void bs_try(struct ban_sentinel *s);

/* This sentinel failed: ask the next one, or report when every one failed this round. */
static void bs_next(struct ban_sentinel *s, const char *why)
{
	const struct ban_conf *cf = &s->p->c;

	snprintf(s->why, sizeof(s->why), "sentinel %s: %s", cf->sentinel[s->cur], why);
	if (ban_log_due(&s->log[s->cur], why))
		svc->log(s->p->self, NW_LOG_WARNING, "redis: %s", s->why);
	bs_drop(s);
	if (s->tried < cf->n_sentinels)
		bs_try(s);
	else
		s->cb(s->ctx, NULL, s->why);
}

static void bs_on_connect(const redisAsyncContext *c, int status)
{
	struct ban_sentinel *s = c->data;

	if (status != REDIS_OK && c == s->c) {
		s->c = NULL; /* hiredis frees it */
		s->gen++;
		bs_next(s, c->errstr[0] ? c->errstr : "connect failed");
	}
}

static void bs_on_disconnect(const redisAsyncContext *c, int status)
{
	struct ban_sentinel *s = c->data;

	if (c != s->c)
		return;
	s->c = NULL;
	s->gen++;
	bs_next(s, status == REDIS_OK ? "closed the connection" : c->errstr[0] ? c->errstr : "error");
}

static int bs_stale(const struct ban_sentinel *s, const redisAsyncContext *c, void *priv)
{
	return c != s->c || (unsigned)(uintptr_t)priv != s->gen;
}

static void bs_on_auth(redisAsyncContext *c, void *reply, void *priv)
{
	struct ban_sentinel *s = c->data;
	const redisReply *rep = reply;
	char why[160];

	if (!s || bs_stale(s, c, priv))
		return;
	if (!rep || rep->type == REDIS_REPLY_ERROR) {
		snprintf(why, sizeof(why), "AUTH failed: %.120s", rep ? rep->str : "no reply");
		bs_next(s, why);
	}
}

/* SENTINEL get-master-addr-by-name: [ip, port], or nil when it does not monitor the name. */
static void bs_on_master(redisAsyncContext *c, void *reply, void *priv)
{
	struct ban_sentinel *s = c->data;
	const redisReply *rep = reply, *h, *pt;
	char addr[BAN_HOSTPORT_LEN], why[200];

	if (!s || bs_stale(s, c, priv))
		return;
	if (!rep) {
		bs_next(s, "no reply");
		return;
	}
	if (rep->type == REDIS_REPLY_NIL) {
		snprintf(why, sizeof(why), "does not monitor a master named %s",
			 s->p->c.redis_master_name);
		bs_next(s, why);
		return;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		snprintf(why, sizeof(why), "error: %.160s", rep->str);
		bs_next(s, why);
		return;
	}
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
		bs_next(s, "unexpected reply");
		return;
	}
	h = rep->element[0];
	pt = rep->element[1];
	if (h->type != REDIS_REPLY_STRING || pt->type != REDIS_REPLY_STRING ||
	    ban_rparse_hostport(h->str, h->len, pt->str, pt->len, addr, sizeof(addr)) < 0) {
		svc->counter_add(s->p->self, NULL, s->p->c_redis_bad, 1);
		bs_next(s, "invalid master address in reply");
		return;
	}
	bs_drop(s);
	s->cb(s->ctx, addr, NULL);
}

static void bs_try(struct ban_sentinel *s)
{
	const struct ban_conf *cf = &s->p->c;
	char err[160];
	void *g;

	s->cur = s->next++ % cf->n_sentinels;
	s->tried++;
	s->c = ban_redis_open_addr(cf->sentinel[s->cur], err, sizeof(err));
	if (!s->c) {
		bs_next(s, err);
		return;
	}
	s->gen++;
	g = (void *)(uintptr_t)s->gen;
	s->c->data = s;
	redisLibeventAttach(s->c, s->base);
	redisAsyncSetConnectCallback(s->c, bs_on_connect);
	redisAsyncSetDisconnectCallback(s->c, bs_on_disconnect);
	if (cf->redis_sentinel_password[0])
		redisAsyncCommand(s->c, bs_on_auth, g, "AUTH %s", cf->redis_sentinel_password);
	redisAsyncCommand(s->c, bs_on_master, g, "SENTINEL get-master-addr-by-name %s",
			  cf->redis_master_name);
	s->sent_ms = ban_mono_ms();
}

struct ban_sentinel *ban_sentinel_new(struct ban_priv *p, struct event_base *base,
				      ban_sentinel_cb *cb, void *ctx)
{
	struct ban_sentinel *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->p = p;
	s->base = base;
	s->cb = cb;
	s->ctx = ctx;
	return s;
}

void ban_sentinel_ask(struct ban_sentinel *s)
{
	bs_drop(s);
	s->tried = 0;
	bs_try(s);
}

void ban_sentinel_poll(struct ban_sentinel *s)
{
	const struct ban_conf *cf = &s->p->c;

	if (s->c && ban_mono_ms() - s->sent_ms > (cf->redis_connect_timeout + cf->redis_command_timeout) * 1000)
		bs_next(s, "timed out");
}

void ban_sentinel_free(struct ban_sentinel *s)
{
	if (!s)
		return;
	bs_drop(s);
	free(s);
}
