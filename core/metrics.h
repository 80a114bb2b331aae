/* Prometheus metrics: text exposition of the engine's counters, served by libevent's evhttp. */
#ifndef NW_METRICS_H
#define NW_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "engine.h"

struct event_base;
struct nw_metrics;

#define NW_METRICS_DEFAULT_ADDR "127.0.0.1:9771"

/*
 * Parse "HOST:PORT", "[V6ADDR]:PORT" or ":PORT"/"PORT" (host 127.0.0.1) into host and port
 * (port 0 = any free port, for tests). Returns 0 or -EINVAL. For config checks (-T) too.
 */
int nw_metrics_parse_addr(const char *addr, char *host, size_t hostlen, uint16_t *port);

/*
 * Render the exposition text for eng into buf (NUL-terminated). Main thread (or a thread that
 * owns eng); worker counters are read without locks, so values are approximate while workers
 * run. Returns the text length, or -ENOSPC when buf is too small (buf then holds a prefix),
 * -ENOMEM on allocation failure.
 */
int nw_metrics_render(const struct nw_engine *eng, char *buf, size_t len);

/*
 * Serve GET /metrics (and HEAD) on listen_addr (NULL = NW_METRICS_DEFAULT_ADDR) from base's loop,
 * rendering eng on each scrape; any other path is 404, any other method 405. Call on the main
 * thread after the engine exists; eng must outlive the server. Returns 0 or -errno
 * (-EINVAL bad address, -EADDRINUSE etc. from bind).
 */
int nw_metrics_start(struct nw_engine *eng, struct event_base *base, const char *listen_addr,
		     struct nw_metrics **out);
/* The port actually bound (useful with port 0), or 0. */
uint16_t nw_metrics_port(const struct nw_metrics *m);
/* Close the listener and free; NULL is fine. Call before freeing base. */
void nw_metrics_stop(struct nw_metrics *m);

#endif
