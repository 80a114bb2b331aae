/* Logging: one function with a printf format; stderr in the foreground, syslog as a daemon. */
#ifndef NW_LOG_H
#define NW_LOG_H

#include <stdarg.h>
#include "natwarden/plugin.h"

void nw_log_init(const char *ident, int use_syslog, int max_level);
/* Switch between stderr (0) and syslog (1), keeping the ident and level. */
void nw_log_set_syslog(int use_syslog);
void nw_log(int level, const char *fmt, ...) NW_PRINTF(2, 3);
/* `who` is the plugin name or NULL for the core. */
void nw_logv(const char *who, int level, const char *fmt, va_list ap) NW_PRINTF(3, 0);
int nw_log_level_parse(const char *s);

#endif
