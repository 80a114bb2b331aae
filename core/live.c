/* Live mode: one NFQUEUE worker thread per queue, the libevent main loop, signals, control. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <sys/wait.h>
#include <event2/event.h>
#include "nw_build.h"
#include "live.h"
#include "metrics.h"
#include "privdrop.h"
#include "sdnotify.h"
#include "control.h"
#include "eve.h"
#include "gateway.h"
#include "log.h"
#include "nfq.h"
#include "stats.h"
#include "util.h"

#define LIVE_TICK_US 5000 /* timers every 5 ms; events too (workers also wake the loop) */

struct live;

/* One queue and its worker thread. */
struct live_queue {
	struct live *lv;
	unsigned queue;            /* NFQUEUE number */
	struct nw_nfq *nfq;
	struct nw_worker *w;
	pthread_t thread;
	int started;               /* thread created */
	int cpu;                   /* pinned CPU, -1 = none */
	struct nw_nfq_kstats k0;   /* kernel counters when we bound */
};

struct live {
	struct nw_engine *eng;
	const struct nw_live_opts *opts;
	struct event_base *base;
	struct nw_ctl_server *ctl;
	struct live_queue q[NW_MAX_WORKERS];
	unsigned n_q;
	int stop_fd;                            /* eventfd: workers leave their poll */
	int wake_fd;                            /* eventfd: a worker queued events */
	_Atomic int wake_armed;                 /* 0: the next worker event wakes the main
						 * thread; 1: it waits for the tick */
	_Atomic unsigned pub_ifindex;           /* [gateway] public_interface, 0 = unknown */
	uint64_t reloads, reload_failures;
	long long rule_hits0;                   /* NFQUEUE rule packets at start, -1 = unknown */
	struct nw_ctl_access acc;               /* who may use the control socket */
	int log_syslog;                         /* 1: logging to syslog, 0: stderr */
	uint64_t next_stats_ns;                 /* next EVE "stats" event, 0 = off */
};

/* ---- packet path (worker threads) ---- */

/* A worker queued events: wake the main thread, at most once per tick, so the first event after
 * a quiet spell (an offense that makes a ban) is handled at once, while a storm of them costs one
 * extra wakeup per tick, not one per batch. */
static void live_wake_main(struct live *lv)
{
	uint64_t one = 1;

	if (atomic_load_explicit(&lv->wake_armed, memory_order_relaxed) ||
	    atomic_exchange(&lv->wake_armed, 1))
		return;
	if (write(lv->wake_fd, &one, sizeof(one)) < 0)
		return; /* the tick drains the events anyway */
}

static int live_packet(void *ctx, const struct nw_nfq_pkt *p)
{
	struct live_queue *lq = ctx;
	struct live *lv = lq->lv;
	struct nw_pkt_meta meta;

	meta.ts_ns = nw_time_mono_ns();
	meta.queue = (uint16_t)lq->queue;
	meta.flags = p->gso ? NW_PKT_GSO : 0;
	meta.ct_state = p->ct_state;
	meta.from_public = lv->pub_ifindex ? p->indev == lv->pub_ifindex : 0;
	meta.wire_len = p->orig_len; /* above p->len when copy_range cut the packet */
	meta.decode_events = 0;
	memset(&meta.orig_dst, 0, sizeof(meta.orig_dst));
	meta.orig_dport = 0;
	/* the kernel's conntrack attributes (NFQA_CT) when it gives them; otherwise the engine
	 * falls back to the [forward] table after decoding */
	if (p->have_orig_dst) {
		meta.flags |= NW_PKT_ORIG_DST;
		meta.orig_dst = p->orig_dst;
		meta.orig_dport = p->orig_dport;
	}
	return nw_engine_process(lq->w, p->data, p->len, &meta);
}

static void *live_worker(void *arg)
{
	struct live_queue *lq = arg;
	struct pollfd pfd[2];
	int r, last_err = 0;
	unsigned full;
	char name[16];

	/* named per queue, so per-worker CPU time can be read from /proc (bench/run does) */
	snprintf(name, sizeof(name), "nw-q%u", lq->queue);
	pthread_setname_np(pthread_self(), name);
	if (lq->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(lq->cpu, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
			nw_log(NW_LOG_WARNING, "queue %u: cannot pin to CPU %d", lq->queue, lq->cpu);
	}
	if (nw_worker_thread_start(lq->w) < 0) {
		nw_log(NW_LOG_ERR, "queue %u: worker start failed; its packets get no verdict "
		       "from natwarden", lq->queue);
		return NULL;
	}
	full = nw_nfq_batch(lq->nfq);
	pfd[0].fd = nw_nfq_fd(lq->nfq);
	pfd[1].fd = lq->lv->stop_fd;
	pfd[1].events = POLLIN;
	for (;;) {
		int timeout;

		/* verdicts waiting for a resend: come back soon even without input */
		pfd[0].events = nw_nfq_poll_events(lq->nfq, &timeout);
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		/* drain what is waiting; every received packet gets its verdict in the same call.
		 * A batch that was not full emptied the socket (as far as we could tell): back to
		 * poll, rather than one more recvmmsg that would only say EAGAIN */
		do {
			uint64_t ev0 = lq->w->ctr.events;
			nw_worker_batch_begin(lq->w);
			r = nw_nfq_run_batch(lq->nfq, live_packet, lq, &lq->w->ctr);
			nw_worker_batch_end(lq->w);
			if (lq->w->ctr.events != ev0)
				live_wake_main(lq->lv);
		} while (r > 0 && (unsigned)r >= full);
		if (r < 0) {
			/* one line per error streak, not one per 10 ms while it lasts */
			if (r != last_err)
				nw_log(NW_LOG_ERR, "queue %u: receive failed: %s", lq->queue,
				       strerror(-r));
			usleep(10000); /* do not spin on a persistent error */
		}
		last_err = r;
	}
	/* stopping: judge what already sits in the socket, then leave */
	do {
		nw_worker_batch_begin(lq->w);
		r = nw_nfq_run_batch(lq->nfq, live_packet, lq, &lq->w->ctr);
		nw_worker_batch_end(lq->w);
	} while (r > 0);
	nw_worker_thread_stop(lq->w);
	return NULL;
}

/* ---- kernel-side counters ---- */

/*
 * Packets that hit the NFQUEUE rule, from `iptables-save -c -t filter` (run without a shell; only
 * on a stats request, never on the packet path). The kernel counts queue-full fail-open packets
 * nowhere else: rule hits - packets the kernel queued (id_sequence) - queue-full drops = packets
 * let through uninspected by NFQA_CFG_F_FAIL_OPEN (or --queue-bypass while nobody was bound).
 * Returns -1 when unknown (no natwarden ruleset, no iptables).
 */
static long long live_rule_hits(void)
{
	const char *base = getenv("NATWARDEN_IPTABLES");
	char cmd[64], buf[256];
	long long total = -1;
	int pfd[2], status;
	pid_t pid;
	FILE *f;

	if (!base || strncmp(base, "iptables", 8))
		base = "iptables";
	snprintf(cmd, sizeof(cmd), "%s-save", base);
	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(pfd[1], 1);
		if (devnull >= 0)
			dup2(devnull, 2);
		execlp(cmd, cmd, "-c", "-t", "filter", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	if (!f) {
		close(pfd[0]);
	} else {
		while (fgets(buf, sizeof(buf), f)) {
			unsigned long long pk, by;
			if (sscanf(buf, "[%llu:%llu] -A NW-INSPECT -j NFQUEUE", &pk, &by) == 2 &&
			    strstr(buf, "-A NW-INSPECT -j NFQUEUE"))
				total = (total < 0 ? 0 : total) + (long long)pk;
		}
		fclose(f);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return total;
}

/* ---- control commands (main thread) ---- */

struct live_buf {
	char *p;
	size_t len, cap;
};

static void lb_printf(struct live_buf *b, const char *fmt, ...) NW_PRINTF(2, 3);
static void lb_printf(struct live_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len >= b->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len = b->len + (size_t)n < b->cap ? b->len + (size_t)n : b->cap - 1;
}

/* Uninspected packets since start (kernel fail-open on a full queue, or bypass), -1 unknown. */
static long long live_uninspected(struct live *lv, uint64_t *queued_delta)
{
	long long hits = lv->rule_hits0 >= 0 ? live_rule_hits() : -1, rest;
	uint64_t queued = 0, qdrop = 0;

	for (unsigned i = 0; i < lv->n_q; i++) {
		struct nw_nfq_kstats k;
		if (nw_nfq_kstats_read(lv->q[i].queue, &k))
			continue;
		queued += k.id_sequence - lv->q[i].k0.id_sequence;
		qdrop += k.queue_dropped - lv->q[i].k0.queue_dropped;
	}
	*queued_delta = queued;
	if (hits < 0)
		return -1;
	rest = hits - lv->rule_hits0 - (long long)queued - (long long)qdrop;
	return rest > 0 ? rest : 0;
}

static int live_cmd_stats(struct live *lv, int json, char *out, size_t outlen)
{
	struct nw_engine *eng = lv->eng;
	struct live_buf b = {out, 0, outlen};
	double up = (double)(nw_time_mono_ns() - lv->eng->start_mono_ns) / 1e9;
	uint64_t queued;
	long long unins = live_uninspected(lv, &queued);

	if (json) {
		char *base = NULL;
		size_t blen = 0;
		FILE *m = open_memstream(&base, &blen);
		if (!m)
			return -ENOMEM;
		nw_stats_write_json(eng, m, up);
		fclose(m);
		if (!base || blen < 2 || base[blen - 1] != '}') {
			free(base);
			return -EIO;
		}
		base[blen - 1] = '\0';
		lb_printf(&b, "%s,\"uptime_s\":%.3f,\"uninspected\":%lld,\"kernel_queued\":%llu,"
			  "\"queues\":[", base, up, unins, (unsigned long long)queued);
		free(base);
		for (unsigned i = 0; i < lv->n_q; i++) {
			const struct live_queue *lq = &lv->q[i];
			const struct nw_wcounters *c = &lq->w->ctr;
			struct nw_nfq_kstats k;
			int hk = !nw_nfq_kstats_read(lq->queue, &k);
			lb_printf(&b,
				  "%s{\"queue\":%u,\"packets\":%llu,\"bytes\":%llu,\"verdicts\":{"
				  "\"accept\":%llu,\"drop\":%llu,\"reject\":%llu,\"bypass\":%llu},"
				  "\"enobufs\":%llu,\"fail_open\":%llu,\"recv_errors\":%llu,"
				  "\"verdict_errors\":%llu,\"verdict_retries\":%llu,"
				  "\"verdict_fallbacks\":%llu,\"verdicts_resent\":%llu,"
				  "\"conntrack\":%s,\"kernel\":{\"waiting\":%llu,"
				  "\"queue_dropped\":%llu,\"user_dropped\":%llu,\"id_sequence\":%llu}}",
				  i ? "," : "", lq->queue, (unsigned long long)c->packets,
				  (unsigned long long)c->bytes,
				  (unsigned long long)c->verdicts[NW_ACCEPT],
				  (unsigned long long)c->verdicts[NW_DROP],
				  (unsigned long long)c->verdicts[NW_REJECT],
				  (unsigned long long)c->verdicts[NW_BYPASS],
				  (unsigned long long)c->enobufs, (unsigned long long)c->fail_open,
				  (unsigned long long)c->recv_errors,
				  (unsigned long long)c->verdict_errors,
				  (unsigned long long)c->verdict_retries,
				  (unsigned long long)c->verdict_fallbacks,
				  (unsigned long long)c->verdicts_resent,
				  nw_nfq_has_conntrack(lq->nfq) ? "true" : "false",
				  hk ? (unsigned long long)k.queue_total : 0ULL,
				  hk ? (unsigned long long)(k.queue_dropped - lq->k0.queue_dropped) : 0ULL,
				  hk ? (unsigned long long)(k.user_dropped - lq->k0.user_dropped) : 0ULL,
				  hk ? (unsigned long long)k.id_sequence : 0ULL);
		}
		lb_printf(&b, "]}");
		return 0;
	}
	{
		char *text = NULL;
		size_t tlen = 0;
		FILE *m = open_memstream(&text, &tlen);
		if (!m)
			return -ENOMEM;
		nw_stats_print_summary(eng, m, up);
		fclose(m);
		lb_printf(&b, "%s", text ? text : "");
		free(text);
	}
	lb_printf(&b, "  uninspected    %s", unins < 0 ? "unknown (no natwarden NFQUEUE rule)" : "");
	if (unins >= 0)
		lb_printf(&b, "%lld (let through by the kernel: fail-open queue overflow or no "
			  "reader)", unins);
	lb_printf(&b, "\n");
	for (unsigned i = 0; i < lv->n_q; i++) {
		const struct live_queue *lq = &lv->q[i];
		const struct nw_wcounters *c = &lq->w->ctr;
		struct nw_nfq_kstats k;
		int hk = !nw_nfq_kstats_read(lq->queue, &k);
		lb_printf(&b,
			  "  queue %-3u      packets %llu accept %llu drop %llu reject %llu bypass %llu"
			  " enobufs %llu fail_open %llu waiting %llu queue_dropped %llu\n",
			  lq->queue, (unsigned long long)c->packets,
			  (unsigned long long)c->verdicts[NW_ACCEPT],
			  (unsigned long long)c->verdicts[NW_DROP],
			  (unsigned long long)c->verdicts[NW_REJECT],
			  (unsigned long long)c->verdicts[NW_BYPASS], (unsigned long long)c->enobufs,
			  (unsigned long long)c->fail_open,
			  hk ? (unsigned long long)k.queue_total : 0ULL,
			  hk ? (unsigned long long)(k.queue_dropped - lq->k0.queue_dropped) : 0ULL);
		if (c->verdict_errors || c->verdict_retries || c->verdict_fallbacks)
			lb_printf(&b, "  queue %-3u      verdict errors %llu, send retries %llu, "
				  "per-packet fallbacks %llu, verdicts resent %llu\n", lq->queue,
				  (unsigned long long)c->verdict_errors,
				  (unsigned long long)c->verdict_retries,
				  (unsigned long long)c->verdict_fallbacks,
				  (unsigned long long)c->verdicts_resent);
	}
	return 0;
}

/* A plugin gauge or counter by name, summed over the chain ("rules_loaded" of the signature
 * plugin). Returns 1 and *v when some plugin has it. */
static int live_plugin_value(const struct nw_engine *eng, const char *name, uint64_t *v)
{
	struct nw_wcounters sum;
	int found = 0, summed = 0;

	*v = 0;
	for (unsigned i = 0; i < eng->n_plugins; i++) {
		const struct nw_plugin *p = eng->plugins[i];
		for (unsigned c = 0; c < p->n_counters; c++) {
			if (strcmp(p->counter_name[c], name))
				continue;
			found = 1;
			if (p->counter_gauge[c]) {
				*v += atomic_load_explicit(&((struct nw_plugin *)p)->gauge[c],
							   memory_order_relaxed);
			} else {
				if (!summed)
					nw_engine_sum_counters(eng, &sum);
				summed = 1;
				*v += sum.plugin_ctr[p->index][c];
			}
		}
	}
	return found;
}

/* JSON string (quoted) of s into b. */
static void lb_json_str(struct live_buf *b, const char *s)
{
	char esc[1100];

	if (nw_json_escape(esc, sizeof(esc), s ? s : "", s ? strlen(s) : 0) < 0)
		esc[0] = '\0';
	lb_printf(b, "\"%s\"", esc);
}

static int live_cmd_status(struct live *lv, int json, char *out, size_t outlen)
{
	struct nw_engine *eng = lv->eng;
	struct live_buf b = {out, 0, outlen};
	double up = (double)(nw_time_mono_ns() - lv->eng->start_mono_ns) / 1e9;
	int ct = lv->n_q && nw_nfq_has_conntrack(lv->q[0].nfq);
	int fo = lv->n_q && nw_nfq_has_fail_open(lv->q[0].nfq);
	uint64_t rules = 0, rules_bad = 0;
	int has_rules = live_plugin_value(eng, "rules_loaded", &rules);
	int has_bad = live_plugin_value(eng, "rules_failed", &rules_bad);
	const char *conf = lv->opts->conf_path ? lv->opts->conf_path : "";
	char conf_abs[PATH_MAX];

	if (*conf && realpath(conf, conf_abs))
		conf = conf_abs;

	if (json) {
		lb_printf(&b, "{\"state\":\"running\",\"version\":");
		lb_json_str(&b, PACKAGE_VERSION);
		lb_printf(&b, ",\"abi\":\"%d.%d\",\"pid\":%ld,\"uptime_s\":%.3f,\"config\":",
			  NW_ABI_MAJOR, NW_ABI_MINOR, (long)getpid(), up);
		lb_json_str(&b, conf);
		lb_printf(&b, ",\"sets\":[");
		for (unsigned i = 0; i < lv->opts->n_sets; i++) {
			lb_printf(&b, "%s", i ? "," : "");
			lb_json_str(&b, lv->opts->sets[i]);
		}
		lb_printf(&b, "],\"queues\":[");
		for (unsigned i = 0; i < lv->n_q; i++)
			lb_printf(&b, "%s%u", i ? "," : "", lv->q[i].queue);
		lb_printf(&b, "],\"fail_open\":%s,\"conntrack\":%s,\"reloads\":%llu,"
			  "\"reload_failures\":%llu,\"rules_loaded\":",
			  fo ? "true" : "false", ct ? "true" : "false",
			  (unsigned long long)lv->reloads, (unsigned long long)lv->reload_failures);
		if (has_rules)
			lb_printf(&b, "%llu", (unsigned long long)rules);
		else
			lb_printf(&b, "null");
		lb_printf(&b, ",\"rules_failed\":");
		if (has_bad)
			lb_printf(&b, "%llu", (unsigned long long)rules_bad);
		else
			lb_printf(&b, "null");
		lb_printf(&b, ",\"eve\":");
		lb_json_str(&b, eng->eve_fd >= 0 ? eng->eve_path : "");
		lb_printf(&b, ",\"metrics\":");
		lb_json_str(&b, eng->set.metrics);
		lb_printf(&b, ",\"log\":\"%s\",\"control\":{\"socket\":",
			  lv->log_syslog ? "syslog" : "stderr");
		lb_json_str(&b, eng->set.control_socket);
		lb_printf(&b, ",\"group\":");
		if (lv->acc.has_group)
			lb_json_str(&b, lv->acc.group_name);
		else
			lb_printf(&b, "null");
		lb_printf(&b, ",\"refused\":%llu},\"plugins\":[", nw_ctl_server_refused(lv->ctl));
		for (unsigned i = 0; i < eng->n_plugins; i++) {
			const struct nw_plugin *p = eng->plugins[i];
			lb_printf(&b, "%s{\"name\":", i ? "," : "");
			lb_json_str(&b, p->name);
			lb_printf(&b, ",\"version\":");
			lb_json_str(&b, p->desc->version ? p->desc->version : "");
			lb_printf(&b, ",\"abi\":\"%u.%u\",\"path\":", (unsigned)p->desc->abi_major,
				  (unsigned)p->desc->abi_minor);
			lb_json_str(&b, p->path);
			lb_printf(&b, "}");
		}
		lb_printf(&b, "]}");
		return 0;
	}
	lb_printf(&b, "natwarden %s running, pid %ld, up %.0f s (plugin ABI %d.%d)\n"
		  "config:    %s\nqueues:   ", PACKAGE_VERSION, (long)getpid(), up, NW_ABI_MAJOR,
		  NW_ABI_MINOR, *conf ? conf : "(none)");
	for (unsigned i = 0; i < lv->n_q; i++)
		lb_printf(&b, " %u", lv->q[i].queue);
	lb_printf(&b, "\nfail-open: %s\noriginal destination: %s\nreloads:   %llu (%llu failed)\n",
		  fo ? "yes" : "no", ct ? "kernel conntrack (NFQA_CT)" : "[forward] table",
		  (unsigned long long)lv->reloads, (unsigned long long)lv->reload_failures);
	if (has_rules) {
		lb_printf(&b, "rules:     %llu loaded", (unsigned long long)rules);
		if (has_bad)
			lb_printf(&b, ", %llu failed", (unsigned long long)rules_bad);
		lb_printf(&b, "\n");
	}
	lb_printf(&b, "eve:       %s\nmetrics:   %s\nlog:       %s\n",
		  eng->eve_fd >= 0 ? eng->eve_path : "(off)",
		  eng->set.metrics[0] ? eng->set.metrics : "(off)",
		  lv->log_syslog ? "syslog" : "stderr");
	lb_printf(&b, "control:   %s (group %s, %llu refused)\nplugins:\n",
		  eng->set.control_socket, lv->acc.has_group ? lv->acc.group_name : "root only",
		  nw_ctl_server_refused(lv->ctl));
	for (unsigned i = 0; i < eng->n_plugins; i++) {
		const struct nw_plugin *p = eng->plugins[i];
		lb_printf(&b, "  %-12s %-10s ABI %u.%u  %s\n", p->name,
			  p->desc->version ? p->desc->version : "-", (unsigned)p->desc->abi_major,
			  (unsigned)p->desc->abi_minor, p->path[0] ? p->path : "(built in)");
	}
	return 0;
}

/* [natwarden] control_group: a name or number; "" = natwarden when that group exists, else
 * nobody but root and the daemon's own user. Main thread, before the privilege drop. */
static int live_ctl_access(struct live *lv)
{
	const char *name = lv->eng->set.control_group;
	int explicit = name[0] != '\0';
	struct group gr, *res = NULL;
	char buf[16384], *end;
	unsigned long num;

	memset(&lv->acc, 0, sizeof(lv->acc));
	if (!explicit)
		name = "natwarden";
	errno = 0;
	num = strtoul(name, &end, 10);
	if (explicit && *name >= '0' && *name <= '9' && !*end && !errno && num < 0xffffffffUL)
		getgrgid_r((gid_t)num, &gr, buf, sizeof(buf), &res);
	else
		getgrnam_r(name, &gr, buf, sizeof(buf), &res);
	if (!res) {
		if (explicit && !(*name >= '0' && *name <= '9' && !*end)) {
			nw_log(NW_LOG_ERR, "control_group = %s: no such group", name);
			return -ENOENT;
		}
		if (explicit) { /* a bare number without a group entry */
			lv->acc.has_group = 1;
			lv->acc.group = (gid_t)num;
			nw_strlcpy(lv->acc.group_name, name, sizeof(lv->acc.group_name));
		}
		return 0;
	}
	lv->acc.has_group = 1;
	lv->acc.group = gr.gr_gid;
	nw_strlcpy(lv->acc.group_name, gr.gr_name, sizeof(lv->acc.group_name));
	return 0;
}

/* [natwarden] log = auto: stderr when it is a terminal, the journal (JOURNAL_STREAM), a file or
 * a pipe somebody redirected it to; syslog when it is closed or /dev/null (a detached daemon). */
static int live_log_syslog(int to)
{
	struct stat st;

	if (to == NW_LOG_TO_STDERR)
		return 0;
	if (to == NW_LOG_TO_SYSLOG)
		return 1;
	if (isatty(2) || getenv("JOURNAL_STREAM"))
		return 0;
	if (fstat(2, &st))
		return 1;
	return !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

/* The periodic EVE "stats" event: the counters an operator watches, as strings. */
static void live_emit_stats(struct live *lv, uint64_t now)
{
	struct nw_engine *eng = lv->eng;
	struct nw_wcounters c;
	struct nw_event ev;
	uint64_t dec = 0;
	unsigned n = 0;

	nw_engine_sum_counters(eng, &c);
	for (int e = 1; e < NW_DEC_MAX; e++)
		if (e != NW_DEC_LINK_UNKNOWN)
			dec += c.decode_err[e];
	memset(&ev, 0, sizeof(ev));
	ev.size = sizeof(ev);
	ev.type = NW_EV_CUSTOM;
	ev.ts_ns = now;
	nw_strlcpy(ev.name, "stats", sizeof(ev.name));
#define LIVE_KV(k, ...)                                                                   \
	do {                                                                              \
		nw_strlcpy(ev.kv[n].key, k, sizeof(ev.kv[n].key));                        \
		snprintf(ev.kv[n].val, sizeof(ev.kv[n].val), __VA_ARGS__);                \
		n++;                                                                      \
	} while (0)
	LIVE_KV("uptime_s", "%llu", (unsigned long long)((now - lv->eng->start_mono_ns) / 1000000000ull));
	LIVE_KV("packets", "%llu", (unsigned long long)c.packets);
	LIVE_KV("verdicts", "accept=%llu drop=%llu reject=%llu bypass=%llu",
		(unsigned long long)c.verdicts[NW_ACCEPT], (unsigned long long)c.verdicts[NW_DROP],
		(unsigned long long)c.verdicts[NW_REJECT], (unsigned long long)c.verdicts[NW_BYPASS]);
	LIVE_KV("alerts", "%llu", (unsigned long long)eng->alerts);
	LIVE_KV("decode_errors", "%llu", (unsigned long long)dec);
	LIVE_KV("enobufs", "%llu", (unsigned long long)c.enobufs);
	LIVE_KV("fail_open", "%llu", (unsigned long long)c.fail_open);
	LIVE_KV("events_dropped", "%llu", (unsigned long long)c.events_dropped);
#undef LIVE_KV
	ev.n_kv = n;
	if (nw_engine_emit_main(eng, &ev) < 0)
		nw_log(NW_LOG_DEBUG, "stats event not queued");
}

/* No public_address configured: take the public interface's first address of each family (so
 * forwarded packets get a pre-DNAT destination); main thread, at start and reload. */
/* The public interface's index, so workers can tell inbound packets by their input interface. */
static void live_learn_ifindex(struct live *lv)
{
	const struct nw_gateway *gw = atomic_load(&lv->eng->gw);
	unsigned idx = gw ? if_nametoindex(gw->public_if) : 0;

	if (gw && !idx)
		nw_log(NW_LOG_WARNING, "public interface %s not found: no packet is marked inbound",
		       gw->public_if);
	atomic_store(&lv->pub_ifindex, idx);
}

static int live_reload(struct live *lv, char *msg, size_t msglen)
{
	struct nw_config *cfg = NULL;
	int r;

	r = nw_config_load(lv->opts->conf_path, &cfg);
	for (unsigned i = 0; cfg && i < lv->opts->n_sets; i++)
		if (nw_config_set(cfg, lv->opts->sets[i]))
			r = r ? r : -EINVAL;
	if (!r)
		r = nw_engine_reload(lv->eng, cfg); /* also swaps the [gateway]/[forward] table */
	if (r) {
		size_t o = 0;
		lv->reload_failures++;
		o += (size_t)snprintf(msg, msglen, "reload failed, previous configuration kept\n");
		for (unsigned i = 0; cfg && i < cfg->n_errors; i++) {
			nw_log(NW_LOG_ERR, "%s", cfg->errors[i]);
			if (o < msglen)
				o += (size_t)snprintf(msg + o, msglen - o, "%s\n", cfg->errors[i]);
		}
		nw_log(NW_LOG_ERR, "reload of %s failed; previous configuration kept",
		       lv->opts->conf_path ? lv->opts->conf_path : "(none)");
		/* on failure the engine kept the old config; free the rejected one */
		nw_config_free(cfg);
		return r < 0 ? r : -EINVAL;
	}
	/* the engine keeps the new config (the next reload compares against it) */
	live_learn_ifindex(lv);
	lv->reloads++;
	snprintf(msg, msglen, "reloaded %s\n", lv->opts->conf_path ? lv->opts->conf_path : "");
	nw_log(NW_LOG_NOTICE, "configuration reloaded");
	return 0;
}

/* Reopen the EVE file by name (after logrotate moved it away). */
static int live_reopen(struct live *lv, char *out, size_t outlen)
{
	int r = lv->opts->log_dir ? nw_engine_open_eve(lv->eng, lv->opts->log_dir) : 0;

	if (r < 0)
		snprintf(out, outlen, "cannot reopen %s: %s\n", lv->eng->eve_path, strerror(-r));
	else
		snprintf(out, outlen, "reopened %s\n", lv->eng->eve_path);
	return r;
}

static int live_help(struct live *lv, char *out, size_t outlen)
{
	struct live_buf b = {out, 0, outlen};
	struct nw_engine *eng = lv->eng;

	lb_printf(&b, "status\tversion, uptime, queues, plugins, config, rules [--json]\n"
		  "stats\tpackets, verdicts, per-queue and per-plugin counters [--json]\n"
		  "reload\tre-read the configuration (the old one stays if the new fails)\n"
		  "reopen\treopen eve.json (logrotate)\n"
		  "help\tthis list\n");
	for (unsigned i = 0; i < eng->n_cmds; i++)
		lb_printf(&b, "%s\t%s (%s)\n", eng->cmds[i].name, eng->cmds[i].help,
			  eng->cmds[i].p->name);
	return 0;
}

static int live_command(void *ctx, int argc, const char *const *argv, int json, char *out,
			size_t outlen)
{
	struct live *lv = ctx;

	if (!strcmp(argv[0], "stats") && argc == 1)
		return live_cmd_stats(lv, json, out, outlen);
	if (!strcmp(argv[0], "status") && argc == 1)
		return live_cmd_status(lv, json, out, outlen);
	if (!strcmp(argv[0], "reload") && argc == 1)
		return live_reload(lv, out, outlen);
	if (!strcmp(argv[0], "reopen") && argc == 1)
		return live_reopen(lv, out, outlen);
	if (!strcmp(argv[0], "help"))
		return live_help(lv, out, outlen);
	return nw_engine_command(lv->eng, argc, argv, json, out, outlen);
}

/* ---- main loop ---- */

static void live_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct live *lv = arg;
	char msg[2048];

	(void)what;
	if (sig == SIGHUP) {
		/* logrotate's signal as well as a reload */
		live_reopen(lv, msg, sizeof(msg));
		live_reload(lv, msg, sizeof(msg));
		return;
	}
	nw_log(NW_LOG_NOTICE, "signal %d: stopping", (int)sig);
	event_base_loopexit(lv->base, NULL);
}

static void live_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct live *lv = arg;

	uint64_t now = nw_time_mono_ns();

	(void)fd;
	(void)what;
	/* workers may wake the main thread again (before the drain: nothing queued is missed) */
	atomic_store(&lv->wake_armed, 0);
	/* EVE timestamps follow the wall clock, also after an NTP step */
	lv->eng->wall_offset_ns = nw_time_wall_ns() - now;
	if (lv->next_stats_ns && now >= lv->next_stats_ns) {
		live_emit_stats(lv, now);
		lv->next_stats_ns = now + lv->eng->set.stats_interval * 1000000000ull;
	}
	nw_engine_drain_events(lv->eng);
	nw_engine_run_timers(lv->eng, now);
}

/* A worker queued events between ticks (live_wake_main). */
static void live_on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct live *lv = arg;
	uint64_t n;

	(void)what;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		nw_log(NW_LOG_DEBUG, "wake eventfd: %s", strerror(errno));
	nw_engine_drain_events(lv->eng);
}

/* "0,1" / "2-3" / "" : the CPU for the i-th queue, -1 for none. */
static int live_cpu_for(const char *spec, unsigned i)
{
	int cpus[256], n = 0;
	char buf[64], *save = NULL, *tok;

	if (!spec || !*spec)
		return -1;
	nw_strlcpy(buf, spec, sizeof(buf));
	for (tok = strtok_r(buf, ", ", &save); tok && n < 256; tok = strtok_r(NULL, ", ", &save)) {
		unsigned a, b;
		if (nw_gateway_parse_queues(tok, &a, &b))
			continue;
		for (unsigned c = a; c <= b && n < 256 && c < 1024; c++)
			cpus[n++] = (int)c;
	}
	return n ? cpus[i % (unsigned)n] : -1;
}

static void live_pidfile(const char *path, int create)
{
	FILE *f;

	if (!path)
		return;
	if (!create) {
		unlink(path);
		return;
	}
	f = fopen(path, "w");
	if (!f) {
		nw_log(NW_LOG_WARNING, "cannot write %s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
}

int nw_live_run(struct nw_engine *eng, const struct nw_live_opts *opts)
{
	struct live *lv;
	struct event *sig_term = NULL, *sig_int = NULL, *sig_hup = NULL, *tick = NULL, *wake = NULL;
	struct timeval tv = {0, LIVE_TICK_US};
	struct nw_metrics *mx = NULL;
	int r = 0;

	if (opts->q_last < opts->q_first || opts->q_last - opts->q_first + 1 > NW_MAX_WORKERS)
		return -EINVAL;
	lv = calloc(1, sizeof(*lv));
	if (!lv)
		return -ENOMEM;
	lv->eng = eng;
	lv->opts = opts;
	lv->stop_fd = -1;
	lv->wake_fd = -1;
	signal(SIGPIPE, SIG_IGN);

	lv->log_syslog = live_log_syslog(eng->set.log_to);
	if (lv->log_syslog) {
		nw_log(NW_LOG_NOTICE, "logging to syslog from now on ([natwarden] log)");
		nw_log_set_syslog(1);
	}
	r = live_ctl_access(lv);
	if (r)
		goto out;

	live_learn_ifindex(lv);
	lv->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	lv->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (lv->stop_fd < 0 || lv->wake_fd < 0) {
		r = -errno;
		goto out;
	}

	/* privileged part first: bind every queue */
	lv->n_q = opts->q_last - opts->q_first + 1;
	for (unsigned i = 0; i < lv->n_q; i++) {
		struct nw_nfq_opts qo = {
			.queue = opts->q_first + i,
			.queue_maxlen = (uint32_t)eng->set.queue_maxlen,
			.copy_range = (uint32_t)eng->set.copy_range,
			.rcvbuf_mb = (unsigned)eng->set.rcvbuf_mb,
			.batch = (unsigned)eng->set.batch,
			.fail_open = eng->set.fail_open,
			.gso = eng->set.gso,
			.bypass_mark = (uint32_t)eng->set.bypass_mark,
			.reject_mark = (uint32_t)eng->set.reject_mark,
		};
		lv->q[i].lv = lv;
		lv->q[i].queue = qo.queue;
		lv->q[i].cpu = live_cpu_for(eng->set.cpu_affinity, i);
		r = nw_nfq_open(&qo, &lv->q[i].nfq);
		if (r) {
			nw_log(NW_LOG_ERR, "cannot bind NFQUEUE %u: %s", qo.queue, strerror(-r));
			goto out;
		}
		nw_nfq_kstats_read(qo.queue, &lv->q[i].k0);
	}
	lv->rule_hits0 = live_rule_hits();

	lv->base = event_base_new();
	if (!lv->base) {
		r = -ENOMEM;
		goto out;
	}
	r = nw_ctl_server_open(lv->base, eng->set.control_socket, &lv->acc, live_command, lv,
			       &lv->ctl);
	if (r) {
		nw_log(NW_LOG_ERR, "control socket %s: %s", eng->set.control_socket, strerror(-r));
		goto out;
	}
	if (eng->set.metrics[0]) {
		r = nw_metrics_start(eng, lv->base, eng->set.metrics, &mx);
		if (r) {
			nw_log(NW_LOG_ERR, "metrics %s: %s", eng->set.metrics, strerror(-r));
			goto out;
		}
	}
	/* everything privileged is open: drop before the first other thread exists */
	/* ambient too: ipset (the ban plugin's kernel offload) and iptables-save run as children
	 * and need CAP_NET_ADMIN after the drop */
	if (eng->set.user[0] &&
	    (r = nw_privdrop(eng->set.user, NW_PRIVDROP_NET_ADMIN | NW_PRIVDROP_AMBIENT)) < 0)
		goto out;
	if (opts->log_dir && (r = nw_engine_open_eve(eng, opts->log_dir)) < 0)
		goto out;
	eng->loop = lv->base; /* plugins may wait in it from their start on (ABI 1.2) */
	r = nw_engine_start(eng, lv->n_q);
	if (r < 0) {
		nw_log(NW_LOG_ERR, "cannot start the engine: %s", strerror(-r));
		goto out;
	}
	for (unsigned i = 0; i < lv->n_q; i++) {
		lv->q[i].w = eng->workers[i];
		r = -pthread_create(&lv->q[i].thread, NULL, live_worker, &lv->q[i]);
		if (r) {
			nw_log(NW_LOG_ERR, "cannot start worker %u: %s", i, strerror(-r));
			goto stop;
		}
		lv->q[i].started = 1;
	}
	sig_term = evsignal_new(lv->base, SIGTERM, live_on_signal, lv);
	sig_int = evsignal_new(lv->base, SIGINT, live_on_signal, lv);
	sig_hup = evsignal_new(lv->base, SIGHUP, live_on_signal, lv);
	tick = event_new(lv->base, -1, EV_PERSIST, live_on_tick, lv);
	wake = event_new(lv->base, lv->wake_fd, EV_READ | EV_PERSIST, live_on_wake, lv);
	if (!sig_term || !sig_int || !sig_hup || !tick || !wake || evsignal_add(sig_term, NULL) ||
	    evsignal_add(sig_int, NULL) || evsignal_add(sig_hup, NULL) || event_add(tick, &tv) ||
	    event_add(wake, NULL)) {
		r = -ENOMEM;
		goto stop;
	}
	live_pidfile(opts->pidfile, 1);
	if (eng->set.stats_interval)
		lv->next_stats_ns = nw_time_mono_ns() + eng->set.stats_interval * 1000000000ull;
	nw_log(NW_LOG_NOTICE, "live on NFQUEUE %u-%u (%u worker%s), control socket %s",
	       opts->q_first, opts->q_last, lv->n_q, lv->n_q > 1 ? "s" : "",
	       eng->set.control_socket);
	nw_sd_notify("READY=1");
	event_base_dispatch(lv->base);
	nw_sd_notify("STOPPING=1");
	r = 0;
stop:
	{
		uint64_t one = 1;
		if (write(lv->stop_fd, &one, sizeof(one)) < 0)
			nw_log(NW_LOG_ERR, "cannot signal the workers: %s", strerror(errno));
	}
	for (unsigned i = 0; i < lv->n_q; i++)
		if (lv->q[i].started)
			pthread_join(lv->q[i].thread, NULL);
	nw_engine_drain_events(eng);
	live_pidfile(opts->pidfile, 0);
out:
	if (wake)
		event_free(wake);
	if (tick)
		event_free(tick);
	if (sig_hup)
		event_free(sig_hup);
	if (sig_int)
		event_free(sig_int);
	if (sig_term)
		event_free(sig_term);
	nw_metrics_stop(mx);
	nw_ctl_server_close(lv->ctl);
	for (unsigned i = 0; i < lv->n_q; i++)
		nw_nfq_close(lv->q[i].nfq);
	/* plugins free what they hold in the loop before it goes */
	nw_engine_stop(eng);
	eng->loop = NULL;
	if (lv->base)
		event_base_free(lv->base);
	if (lv->stop_fd >= 0)
		close(lv->stop_fd);
	if (lv->wake_fd >= 0)
		close(lv->wake_fd);
	free(lv);
	return r;
}
