/* Offline mode: the live pipeline fed from a pcap file, with packet time as engine time. */
#ifndef NW_OFFLINE_H
#define NW_OFFLINE_H

#include "engine.h"

/* Run every packet of `path` through the started engine (worker 0). Returns 0 or -errno. */
int nw_offline_run(struct nw_engine *eng, const char *path);

#endif
