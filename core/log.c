/* Logging: one function with a printf format; stderr in the foreground, syslog as a daemon. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

#define NW_LOGQ_SLOTS 64   /* lines a worker can queue between two drains (5 ms) */
#define NW_LOGQ_MSG 480    /* bytes of one queued line (longer ones are cut) */

struct nw_logslot {
	int level;
	char who[32];              /* plugin name, "" for the core */
	char msg[NW_LOGQ_MSG];
};

/* single producer (the worker), single consumer (the main thread) */
struct nw_logq {
	struct nw_logslot slots[NW_LOGQ_SLOTS];
	_Alignas(64) _Atomic uint32_t head; /* next slot the worker writes */
	_Atomic uint64_t lost;              /* lines dropped on a full queue */
	_Alignas(64) _Atomic uint32_t tail; /* next slot the main thread reads */
};

static _Thread_local struct nw_logq *log_tq;

static void log_emit(const char *who, int level, const char *msg)
{
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

static void logq_push(struct nw_logq *q, const char *who, int level, const char *msg)
{
	uint32_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
	struct nw_logslot *s;

	if (head - tail >= NW_LOGQ_SLOTS) {
		atomic_fetch_add_explicit(&q->lost, 1, memory_order_relaxed);
		return;
	}
	s = &q->slots[head % NW_LOGQ_SLOTS];
	s->level = level;
	snprintf(s->who, sizeof(s->who), "%s", who ? who : "");
	snprintf(s->msg, sizeof(s->msg), "%s", msg);
	atomic_store_explicit(&q->head, head + 1, memory_order_release);
}

void nw_logv(const char *who, int level, const char *fmt, va_list ap)
{
	char msg[1024];

	if (level > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_tq) {
		logq_push(log_tq, who, level, msg);
		return;
	}
	log_emit(who, level, msg);
}

struct nw_logq *nw_logq_new(void)
{
	struct nw_logq *q = aligned_alloc(64, sizeof(struct nw_logq));

	if (q)
		memset(q, 0, sizeof(*q));
	return q;
}

void nw_logq_free(struct nw_logq *q)
{
	free(q);
}

void nw_log_thread_queue(struct nw_logq *q)
{
	log_tq = q;
}

unsigned nw_logq_drain(struct nw_logq *q)
{
	uint32_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&q->head, memory_order_acquire);
	unsigned n = 0;

	for (; tail != head; tail++, n++) {
		const struct nw_logslot *s = &q->slots[tail % NW_LOGQ_SLOTS];
		log_emit(s->who[0] ? s->who : NULL, s->level, s->msg);
		atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
	}
	if (atomic_load_explicit(&q->lost, memory_order_relaxed)) {
		uint64_t lost = atomic_exchange(&q->lost, 0);
		char msg[96];
		snprintf(msg, sizeof(msg), "%llu log lines from a worker lost (its log queue was full)",
			 (unsigned long long)lost);
		log_emit(NULL, NW_LOG_WARNING, msg);
	}
	return n;
}

void nw_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nw_logv(NULL, level, fmt, ap);
	va_end(ap);
}
