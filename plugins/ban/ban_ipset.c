/* ban plugin: kernel ipset offload (placeholder). */
#include <errno.h>
#include "ban_priv.h"

int ban_ipset_start(struct ban_priv *p)
{
	ban_svc->log(p->self, NW_LOG_ERR, "ipset offload is not implemented in this build");
	return -ENOTSUP;
}
void ban_ipset_stop(struct ban_priv *p) {}
void ban_ipset_add(struct ban_priv *p, const struct ban_net *n, uint64_t timeout_s) {}
void ban_ipset_del(struct ban_priv *p, const struct ban_net *n) {}
void ban_ipset_flush_queue(struct ban_priv *p) {}
