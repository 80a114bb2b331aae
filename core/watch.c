/* Plugin watches (ABI 1.2): file descriptors and timeouts waited on in the live main loop. */
#include <errno.h>
#include <stdlib.h>
#include <event2/event.h>
#include "watch.h"

struct nw_watch {
	struct nw_plugin *p;      /* owner */
	struct event *ev;         /* on the engine's loop; re-assigned by nw_watch_set */
	int fd;                   /* -1: a pure timer */
	nw_watch_cb cb;
	void *arg;
	struct nw_watch *next;    /* the owner's list (p->watches) */
	struct nw_watch **pprev;
};

static void watch_fire(evutil_socket_t fd, short what, void *arg)
{
	struct nw_watch *w = arg;
	unsigned ev = 0;

	(void)fd;
	if (what & EV_READ)
		ev |= NW_WATCH_READ;
	if (what & EV_WRITE)
		ev |= NW_WATCH_WRITE;
	if (what & EV_TIMEOUT)
		ev |= NW_WATCH_TIMEOUT;
	/* the callback may delete w: nothing of it is touched afterwards */
	w->cb(w->p->priv, w, w->fd, ev, w->arg);
}

int nw_watch_add(nw_plugin *self, int fd, nw_watch_cb cb, void *arg, nw_watch **out)
{
	struct event_base *base = self && self->eng ? self->eng->loop : NULL;
	struct nw_watch *w;

	*out = NULL;
	if (nw_tls_worker)
		return -EPERM;
	if (!self || !cb || fd < -1)
		return -EINVAL;
	if (!base)
		return -EOPNOTSUPP;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->ev = event_new(base, fd, EV_PERSIST, watch_fire, w);
	if (!w->ev) {
		free(w);
		return -ENOMEM;
	}
	w->p = self;
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	w->next = self->watches;
	if (w->next)
		w->next->pprev = &w->next;
	w->pprev = &self->watches;
	self->watches = w;
	*out = w;
	return 0;
}

int nw_watch_set(nw_watch *w, unsigned events, uint32_t timeout_ms)
{
	struct timeval tv = {(time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000};
	short what = EV_PERSIST;

	if (nw_tls_worker)
		return -EPERM;
	if (!w || (events & ~(unsigned)(NW_WATCH_READ | NW_WATCH_WRITE)) ||
	    (events && w->fd < 0))
		return -EINVAL;
	if (events & NW_WATCH_READ)
		what |= EV_READ;
	if (events & NW_WATCH_WRITE)
		what |= EV_WRITE;
	event_del(w->ev);
	/* libevent changes an event's kind only while it is not pending (event_del above) */
	if (event_assign(w->ev, event_get_base(w->ev), w->fd, what, watch_fire, w) < 0)
		return -EINVAL;
	if ((events || timeout_ms) && event_add(w->ev, timeout_ms ? &tv : NULL) < 0)
		return -ENOMEM;
	return 0;
}

void nw_watch_del(nw_watch *w)
{
	if (!w)
		return;
	*w->pprev = w->next;
	if (w->next)
		w->next->pprev = w->pprev;
	event_free(w->ev); /* deletes it first: its callback cannot run any more */
	free(w);
}

unsigned nw_watch_del_all(struct nw_plugin *p)
{
	unsigned n = 0;

	while (p->watches) {
		nw_watch_del(p->watches);
		n++;
	}
	return n;
}
