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

/*
 * Worker log queues: a worker must not write to stderr or syslog itself (stdio's and syslog's
 * locks are shared with the main thread, and a full journal pipe blocks the writer). A thread
 * given a queue with nw_log_thread_queue formats its lines into it (no lock, no syscall; a full
 * queue drops and counts); the main thread writes them out with nw_logq_drain.
 */
struct nw_logq;
struct nw_logq *nw_logq_new(void);
void nw_logq_free(struct nw_logq *q);
/* The calling thread's lines go to q from now on (NULL: written directly again). */
void nw_log_thread_queue(struct nw_logq *q);
/* Main thread: write out what q holds (and how many lines were lost). Returns lines written. */
unsigned nw_logq_drain(struct nw_logq *q);

#endif
