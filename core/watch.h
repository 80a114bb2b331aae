/* Plugin watches (ABI 1.2): file descriptors and timeouts waited on in the live main loop. */
#ifndef NW_WATCH_H
#define NW_WATCH_H

#include "engine.h"

/* The services of the same name (see plugin.h for the contract). */
int nw_watch_add(nw_plugin *self, int fd, nw_watch_cb cb, void *arg, nw_watch **out);
int nw_watch_set(nw_watch *w, unsigned events, uint32_t timeout_ms);
void nw_watch_del(nw_watch *w);
/* Main thread, after the plugin's stop: delete the watches it left; returns how many. */
unsigned nw_watch_del_all(struct nw_plugin *p);

#endif
