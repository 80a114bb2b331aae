/* Live mode: NFQUEUE workers, the libevent main loop, signals, control socket. */
#ifndef NW_LIVE_H
#define NW_LIVE_H

#include "engine.h"

struct nw_live_opts {
	unsigned q_first, q_last;   /* queues to bind (from -q N[:M] or [natwarden] queues) */
	const char *conf_path;      /* for SIGHUP reload */
	char *const *sets;          /* --set overrides, re-applied on reload */
	unsigned n_sets;
	const char *log_dir;        /* -l (EVE output) */
	const char *pidfile;        /* -p, optional */
};

/*
 * Run until SIGTERM/SIGINT: the engine has been created and checked, not started. Starts the
 * engine with one worker per queue, runs the main loop (events, timers, control socket, reload on
 * SIGHUP), then stops. Returns 0 or -errno.
 */
int nw_live_run(struct nw_engine *eng, const struct nw_live_opts *opts);

#endif
