/* ban plugin: Redis sync (placeholder until the hiredis client lands). */
#include <errno.h>
#include "ban_priv.h"

int ban_redis_start(struct ban_priv *p)
{
	ban_svc->log(p->self, NW_LOG_ERR, "store = redis is not implemented in this build");
	return -ENOTSUP;
}
void ban_redis_stop(struct ban_priv *p) {}
void ban_redis_publish(struct ban_priv *p, int action, const struct ban_record *r,
		       const char *reason) {}
void ban_redis_poll(struct ban_priv *p) {}
int ban_redis_status(struct ban_priv *p, char *out, size_t len) { return 0; }
