/* Offline mode: the live pipeline fed from a pcap file, with packet time as engine time. */
#ifndef NW_OFFLINE_H
#define NW_OFFLINE_H

#include "engine.h"

/* Before the plugins start, without --live-state: warn about each plugin built before ABI 1.2
 * (svc->run_flags), which cannot know that this run must not touch persistent or shared state. */
void nw_offline_state_check(const struct nw_engine *eng);
/* Run every packet of `path` through the started engine (worker 0). Returns 0 or -errno. */
int nw_offline_run(struct nw_engine *eng, const char *path);

#endif
