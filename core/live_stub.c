/* Live mode placeholder until the NFQUEUE path lands. */
#include <errno.h>
#include "live.h"
#include "log.h"

__attribute__((weak)) int nw_live_run(struct nw_engine *eng, const struct nw_live_opts *opts)
{
	(void)eng;
	(void)opts;
	nw_log(NW_LOG_ERR, "live mode is not built yet");
	return -ENOSYS;
}
