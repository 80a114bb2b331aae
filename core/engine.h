/* Engine: plugin chain, workers, flows, events and timers tied together (core-internal). */
#ifndef NW_ENGINE_H
#define NW_ENGINE_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include "natwarden/plugin.h"
#include "config.h"
#include "decode.h"
#include "defrag.h"
#include "flow.h"

struct nw_gateway;
struct nw_evring;
struct event_base;

#define NW_MAX_PLUGINS 32
#define NW_MAX_COUNTERS 128 /* per plugin */
#define NW_MAX_WORKERS 64
#define NW_MAX_TIMERS 64
#define NW_MAX_SUBSCRIBERS 64
#define NW_MAX_KEYWORDS 128
#define NW_MAX_EVE_TYPES 32

/* One loaded plugin instance (the opaque nw_plugin of the ABI). */
struct nw_plugin {
	const struct nw_plugin_desc *desc; /* &desc_copy */
	struct nw_plugin_desc desc_copy;   /* the plugin's descriptor, zero-extended */
	void *dl;            /* dlopen handle (NULL for built-in test plugins) */
	char name[64];       /* its config name */
	char path[512];      /* file it came from */
	unsigned index;      /* position in the chain */
	void *priv;          /* priv_size bytes */
	size_t flow_off;     /* offset of its slot in a flow's private area */
	unsigned n_counters; /* registered counters */
	char counter_name[NW_MAX_COUNTERS][48];
	char counter_help[NW_MAX_COUNTERS][96];
	int counter_gauge[NW_MAX_COUNTERS];   /* 1 if set through gauge_set */
	_Atomic uint64_t gauge[NW_MAX_COUNTERS];
	unsigned n_reasons;  /* registered verdict reasons (0 = "default") */
	char reason_name[NW_MAX_REASONS][32];
	int started;
	int conf_failed;     /* configure returned < 0 or recorded errors: never checked, started */
	int stopped;         /* its stop hook ran (nw_engine_stop) */
	struct nw_watch *watches; /* ABI 1.2 watches it holds (watch.c) */
	struct nw_engine *eng;
};

/* Counters one worker owns (written without locks by that worker only; read approximately). */
struct nw_wcounters {
	uint64_t packets, bytes;
	uint64_t verdicts[NW_VERDICT_MAX];         /* final verdicts */
	uint64_t decode_err[NW_DEC_MAX];
	uint64_t decode_events[NW_DEV_MAX];        /* packets by decoder event */
	struct nw_defrag_counts defrag;            /* offline reassembly */
	uint64_t plugin_verdicts[NW_MAX_PLUGINS][NW_VERDICT_MAX][NW_MAX_REASONS];
	uint64_t plugin_ctr[NW_MAX_PLUGINS][NW_MAX_COUNTERS];
	uint64_t events, events_dropped;           /* event queue */
	struct nw_flow_counts flows; /* the worker's flow table counts here directly */
	uint64_t flow_verdict_hits;                /* packets judged by a sticky flow verdict */
	uint64_t flows_bypassed;     /* flows given the bypass verdict (policy or a plugin) */
	uint64_t bypass_late;        /* packets of a flow that came after its bypass verdict */
	/* live path */
	uint64_t enobufs, fail_open, recv_errors, verdict_errors;
	uint64_t verdict_retries;   /* verdict sends repeated at once after a transient error */
	uint64_t verdict_fallbacks; /* failed sends that switched a queue to per-packet verdicts */
	uint64_t verdicts_resent;   /* verdicts held when a send failed, delivered later */
};

/* The packet handle given to plugins (the opaque nw_packet of the ABI). */
struct nw_packet {
	struct nw_pkt_info info;
	struct nw_worker *w;
	struct nw_flow *flow;
};

/* One worker: a queue (live) or the pcap reader (offline). Owned by one thread. */
struct nw_worker {
	unsigned id;
	struct nw_engine *eng;
	struct nw_flow_table *flows;
	void *wpriv[NW_MAX_PLUGINS];
	struct nw_wcounters ctr;
	struct nw_evring *events;   /* to the main thread */
	struct nw_logq *logq;       /* its log lines, to the main thread (live only; NULL offline) */
	struct nw_packet pkt;       /* the packet being judged */
	_Atomic uint64_t epoch;     /* odd while a batch of packets is in hand (for quiesce) */
	uint64_t now_ns;            /* engine time as this worker last saw it */
	uint64_t next_sweep_ns;     /* next flow-timeout sweep */
};

struct nw_timer {
	struct nw_plugin *p;
	nw_timer_cb cb;
	uint64_t interval_ns, next_ns;
};

struct nw_subscriber {
	struct nw_plugin *p;
	uint32_t mask;
	nw_event_cb cb;
};

struct nw_command {
	struct nw_plugin *p;
	char name[32];
	char help[96];
	nw_command_cb cb;
};
#define NW_MAX_COMMANDS 64

struct nw_kwentry {
	struct nw_plugin *p;
	struct nw_keyword kw; /* zero-extended copy in the core's layout */
};

/* A keyword name a rule engine (the signature plugin) keeps for itself (keyword_reserve). */
struct nw_kwreserved {
	struct nw_plugin *p;
	const char *name;     /* the plugin's string, valid while it is loaded */
};

#define NW_EVE_DROPS_NO 0
#define NW_EVE_DROPS_START 1 /* the first dropped packet of each flow (Suricata's default) */
#define NW_EVE_DROPS_ALL 2

/* Engine settings from [natwarden]. */
struct nw_settings {
	char plugins[512];      /* the chain, space separated */
	char plugin_dir[1024];  /* colon-separated search path */
	char log_dir[256];
	char state_dir[256];
	char queues[64];        /* "0", "0-3", "0,2" */
	int fail_open;          /* queue overflow and daemon absence let packets through */
	int malformed_verdict;  /* NW_DROP or NW_ACCEPT */
	uint64_t flow_max;      /* flows per worker */
	uint64_t flow_timeout_tcp, flow_timeout_udp, flow_timeout_other, flow_timeout_closed;
	uint64_t event_queue;   /* events per worker queue */
	int eve;                /* write DIR/eve.json */
	int eve_drops;          /* NW_EVE_DROPS_*: EVE "drop" events for dropped/rejected packets */
	char eve_file[64];
	char eve_types[256];    /* event types eve.json takes (see nw_engine_eve_wants) */
	int payload_printable;
	/* live path */
	char control_socket[256];
	uint64_t queue_maxlen;
	uint64_t copy_range;
	uint64_t rcvbuf_mb;
	uint64_t batch;
	int gso;
	char cpu_affinity[64];
	uint64_t bypass_mark, reject_mark;
	int bypass;             /* flow bypass policy: bypass a flow every plugin voted for */
	uint64_t bypass_timeout; /* seconds a bypassed flow stays in the table idle */
	char log_level[16];
	char metrics[64];       /* Prometheus listen address, "" = off */
	char user[32];          /* drop to this user after setup, "" = stay root */
	char control_group[32]; /* control socket group, "" = natwarden if it exists, else root */
	int log_to;             /* NW_LOG_TO_*: live-mode log destination */
	uint64_t stats_interval; /* seconds between EVE "stats" events (live), 0 = off */
	/* offline reassembly of IP fragments (live traffic is reassembled by the kernel) */
	int defrag;               /* reassemble before the rules */
	uint64_t defrag_memory;   /* bytes of fragment data held, per worker */
	uint64_t defrag_max;      /* datagrams in reassembly at once, per worker */
	uint64_t defrag_timeout_ipv4, defrag_timeout_ipv6; /* seconds of packet time */
};
#define NW_LOG_TO_AUTO 0   /* syslog unless stderr is a terminal, the journal, a file or a pipe */
#define NW_LOG_TO_STDERR 1
#define NW_LOG_TO_SYSLOG 2

struct nw_engine {
	struct nw_config *cfg;       /* the configuration in force (from main, or a reload) */
	struct nw_config *cfg_adopted; /* the last reloaded config, owned by the engine */
	struct nw_settings set;
	struct nw_plugin *plugins[NW_MAX_PLUGINS];
	unsigned n_plugins;
	size_t flow_priv_size;       /* sum of the plugins' slots */
	uint32_t bypass_need;        /* chain bits whose bypass vote a flow needs (packet hooks) */
	struct nw_worker *workers[NW_MAX_WORKERS];
	unsigned n_workers;
	struct nw_timer timers[NW_MAX_TIMERS];
	unsigned n_timers;
	uint64_t timers_due_ns;      /* no timer is due before this (0: look at each one) */
	struct nw_subscriber subs[NW_MAX_SUBSCRIBERS];
	unsigned n_subs;
	struct nw_kwentry keywords[NW_MAX_KEYWORDS];
	unsigned n_keywords;
	struct nw_kwreserved *kw_reserved; /* grows at configure */
	unsigned n_kw_reserved, cap_kw_reserved;
	_Atomic(struct nw_gateway *) gw; /* [gateway]/[forward] (NULL without); swapped on reload */
	struct nw_command cmds[NW_MAX_COMMANDS];
	unsigned n_cmds;
	_Atomic uint64_t now_ns;     /* engine time (packet time offline, monotonic live) */
	int offline;                 /* 1: single thread, packet time */
	int live_state;              /* offline --live-state: plugins may use persistent and shared
				      * state (svc->run_flags) */
	struct event_base *loop;     /* live: the main loop plugins may wait in (ABI 1.2), set
				      * from before start until after stop; NULL offline */
	int eve_fd;                  /* DIR/eve.json, or -1 */
	char *eve_buf;               /* lines formatted since the last flush */
	size_t eve_len;
	uint64_t eve_pending;        /* events in eve_buf */
	char eve_path[512];
	uint64_t eve_written, eve_errors; /* lines written / lost (e.g. disk full) */
	uint64_t alerts;             /* alert events written */
	char eve_types[NW_MAX_EVE_TYPES][24]; /* eve_types names (not default/all) */
	unsigned n_eve_types;
	int eve_default, eve_all;    /* eve_types has "default" / "all" */
	int eve_flow;                /* flow records wanted (a worker reads it at flow end) */
	uint64_t events_by_type[NW_EV_MAX];
	struct nw_wcounters main_ctr; /* counters added from the main thread */
	uint64_t start_mono_ns;      /* monotonic time the engine was created (uptime) */
	uint64_t wall_offset_ns;     /* live: wall clock - monotonic clock, added to EVE times */
};

/* Create an engine from a parsed config: settings, plugins loaded and configured (not started).
 * Errors are recorded in cfg (nw_config_errors). Returns 0 or -errno. */
int nw_engine_create(struct nw_config *cfg, int offline, struct nw_engine **out);
/* Parse [natwarden] (and [gateway]/[forward]) only: no plugins (tests, tools). */
int nw_engine_new(struct nw_config *cfg, int offline, struct nw_engine **out);
/* Add an already opened plugin to the chain (tests use built-in descriptors). */
int nw_engine_add_plugin(struct nw_engine *eng, struct nw_plugin *p);
/* Configure every plugin in the chain (nw_engine_create does this). */
int nw_engine_configure_all(struct nw_engine *eng);
/* Run every plugin's check hook (used by -T and before start): 0 fine, 1 warnings only (a run
 * may go on, -T fails), -EINVAL when a plugin cannot run. A plugin whose configure failed is
 * not checked; it is logged first, as the likely cause of what the other checks report. */
int nw_engine_check(struct nw_engine *eng);
/* Create n workers (flow tables, per-worker state, event rings) and start the plugins. */
int nw_engine_start(struct nw_engine *eng, unsigned n_workers);
/* Call on a worker's own thread before its first packet / after its last. */
int nw_worker_thread_start(struct nw_worker *w);
void nw_worker_thread_stop(struct nw_worker *w);
/* Worker (live): around each batch of nw_engine_process calls, so the main thread's quiesce
 * waits for the batch in hand to end. Once per batch rather than per packet: each is a locked
 * instruction (a full barrier), and it orders the worker's later loads of swapped tables. */
static inline void nw_worker_batch_begin(struct nw_worker *w)
{
	atomic_fetch_add_explicit(&w->epoch, 1, memory_order_seq_cst);
}

static inline void nw_worker_batch_end(struct nw_worker *w)
{
	atomic_fetch_add_explicit(&w->epoch, 1, memory_order_release);
}

/* Input to the engine for one packet (live path fills what it knows). */
struct nw_pkt_meta {
	uint64_t ts_ns;
	uint16_t queue;
	uint32_t flags;            /* NW_PKT_INBOUND, NW_PKT_ORIG_DST, NW_PKT_GSO */
	struct nw_addr orig_dst;   /* with NW_PKT_ORIG_DST */
	uint16_t orig_dport;
	int ct_state;              /* enum nw_ct_state, or -1 if unknown */
	int from_public;           /* 1: entered on the public interface, 0: not, -1: unknown
				    * (offline: inferred from [gateway] private_networks) */
	uint32_t wire_len;         /* length before capture truncation (0: unknown); above len,
				    * the ipv4/ipv6.trunc_pkt warnings of a cut capture are dropped */
	uint64_t decode_events;    /* events raised before decoding (reassembly): all malformed */
};

/* Worker: decode, flow lookup, plugin chain. Returns NW_RESULT(verdict, reason).
 * A malformed packet whose addresses were read runs the chain without a flow (so `ip` rules and
 * decode-event rules see it); the `malformed` verdict then applies unless a plugin dropped or
 * rejected it. */
int nw_engine_process(struct nw_worker *w, const uint8_t *l3, uint32_t len,
		      const struct nw_pkt_meta *meta);
/* Main thread: move events from workers to outputs and subscribers. Returns events handled. */
unsigned nw_engine_drain_events(struct nw_engine *eng);
/* Main thread: run due timers at engine time now_ns. */
void nw_engine_run_timers(struct nw_engine *eng, uint64_t now_ns);
/* Main thread: reload config into a new set of plugin states; keeps the old on failure.
 * On success (0) the engine owns newcfg; on failure the caller still does. A plugin without a
 * reload hook whose sections changed makes the reload fail. */
int nw_engine_reload(struct nw_engine *eng, struct nw_config *newcfg);
/* Main thread, after the workers ended: stop every plugin (once; later calls do nothing) and
 * delete the watches a plugin left. Live mode calls it while the main loop still exists. */
void nw_engine_stop(struct nw_engine *eng);
/* Stop plugins, end flows, free everything. */
void nw_engine_destroy(struct nw_engine *eng);

/* Sum of every worker's counters (approximate while workers run). */
void nw_engine_sum_counters(const struct nw_engine *eng, struct nw_wcounters *out);
/* Record a config error about plugin p (at its [name] section, else at the `plugins` line)
 * and mark it not configured. */
void nw_engine_plugin_error(struct nw_plugin *p, const char *fmt, ...) NW_PRINTF(2, 3);
/* "keyword NAME of plugin P is a built-in keyword of plugin OWNER" (nw_engine_plugin_error) */
void nw_engine_kw_shadow_error(struct nw_plugin *p, const char *name,
			       const struct nw_plugin *owner);
/* One plugin counter summed over the workers and the main thread, or a gauge's value. */
uint64_t nw_engine_counter_value(const struct nw_engine *eng, const struct nw_plugin *p,
				 unsigned id);
/* Emit an event from the core itself (main thread). */
int nw_engine_emit_main(struct nw_engine *eng, const struct nw_event *ev);
/* Open DIR/eve.json for appending (or reopen after logrotate). */
int nw_engine_open_eve(struct nw_engine *eng, const char *dir);
/* Does eve.json take events of this event_type? eve_types: "default" is every type but the
 * opt-in ones (flow, http, dns, tls), "all" every type, other words name types. */
int nw_engine_eve_wants(const struct nw_engine *eng, const char *type);
/* Fill an event's protocol context (app_proto, direction, flow counters) from the flow of the
 * packet it is emitted with (dir: the packet's enum nw_dir); what the emitter set stays. */
void nw_event_fill_flow(struct nw_event *e, struct nw_flow *f, int dir);

extern const struct nw_services nw_core_services;
/* The engine the services table refers to (one per process). */
extern struct nw_engine *nw_current_engine;
/* The worker this thread is (NULL on the main thread in live mode). */
extern _Thread_local struct nw_worker *nw_tls_worker;

/* Main thread: run a plugin's control command; -ENOENT if no plugin registered argv[0]. */
int nw_engine_command(struct nw_engine *eng, int argc, const char *const *argv, int json,
		      char *out, size_t outlen);

const char *nw_verdict_name(int v);

#endif
