/* Logging: one function with a printf format; stderr in the foreground, syslog as a daemon. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include "log.h"

static int log_syslog;
static int log_max = NW_LOG_INFO;
static const char *log_ident = "natwarden";

void nw_log_init(const char *ident, int use_syslog, int max_level)
{
	log_ident = ident;
	log_syslog = use_syslog;
	log_max = max_level;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void nw_log_set_syslog(int use_syslog)
{
	if (use_syslog && !log_syslog)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_syslog = use_syslog;
}

static const char *log_level_name(int level)
{
	switch (level) {
	case NW_LOG_ERR: return "error";
	case NW_LOG_WARNING: return "warning";
	case NW_LOG_NOTICE: return "notice";
	case NW_LOG_INFO: return "info";
	default: return "debug";
	}
}

int nw_log_level_parse(const char *s)
{
	static const char *const names[] = {"error", "warning", "notice", "info", "debug"};
	for (int i = 0; i < 5; i++)
		if (!strcasecmp(s, names[i]))
			return NW_LOG_ERR + i;
	return -1;
}

void nw_logv(const char *who, int level, const char *fmt, va_list ap)
{
	char msg[1024];

	if (level > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_syslog) {
		if (who)
			syslog(level, "[%s] %s", who, msg);
		else
			syslog(level, "%s", msg);
		return;
	}
	if (who)
		fprintf(stderr, "%s[%s]: %s: %s\n", log_ident, who, log_level_name(level), msg);
	else
		fprintf(stderr, "%s: %s: %s\n", log_ident, log_level_name(level), msg);
}

void nw_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nw_logv(NULL, level, fmt, ap);
	va_end(ap);
}
