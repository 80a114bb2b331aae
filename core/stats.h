/* Statistics: the offline summary and the JSON document scripts and `natwardenctl stats` read. */
#ifndef NW_STATS_H
#define NW_STATS_H

#include <stdio.h>
#include "engine.h"

/* Write the stats JSON object (one line, no newline) to f. wall_s < 0 omits the timing fields. */
int nw_stats_write_json(const struct nw_engine *eng, FILE *f, double wall_s);
/* Human summary, as printed at the end of offline mode. */
void nw_stats_print_summary(const struct nw_engine *eng, FILE *f, double wall_s);

#endif
