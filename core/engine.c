/* Engine: plugin chain, workers, flows, events and timers tied together. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "engine.h"
#include "event.h"
#include "eve.h"
#include "flow.h"
#include "gateway.h"
#include "log.h"
#include "plugin_loader.h"
#include "util.h"
#include "watch.h"

struct nw_engine *nw_current_engine;
_Thread_local struct nw_worker *nw_tls_worker;

/* Events emitted on the main thread outside a worker (live mode). */
static struct nw_evring *engine_main_ring;

const char *nw_verdict_name(int v)
{
	static const char *const names[] = {"continue", "accept", "drop", "reject", "bypass"};
	return v >= 0 && v < NW_VERDICT_MAX ? names[v] : "unknown";
}

static int settings_parse_verdict(void *target, const char *value, char *err, size_t errlen)
{
	int *verdict = target;

	if (!strcasecmp(value, "drop"))
		*verdict = NW_DROP;
	else if (!strcasecmp(value, "accept"))
		*verdict = NW_ACCEPT;
	else {
		snprintf(err, errlen, "expected drop or accept");
		return -EINVAL;
	}
	return 0;
}

static int settings_parse_eve_drops(void *target, const char *value, char *err, size_t errlen)
{
	int *mode = target;

	if (!strcasecmp(value, "start"))
		*mode = NW_EVE_DROPS_START;
	else if (!strcasecmp(value, "all") || !strcasecmp(value, "yes"))
		*mode = NW_EVE_DROPS_ALL;
	else if (!strcasecmp(value, "no"))
		*mode = NW_EVE_DROPS_NO;
	else {
		snprintf(err, errlen, "expected start, all or no");
		return -EINVAL;
	}
	return 0;
}

static int settings_parse_log_to(void *target, const char *value, char *err, size_t errlen)
{
	int *to = target;

	if (!strcasecmp(value, "auto"))
		*to = NW_LOG_TO_AUTO;
	else if (!strcasecmp(value, "stderr"))
		*to = NW_LOG_TO_STDERR;
	else if (!strcasecmp(value, "syslog"))
		*to = NW_LOG_TO_SYSLOG;
	else {
		snprintf(err, errlen, "expected auto, stderr or syslog");
		return -EINVAL;
	}
	return 0;
}

#define SET_OFF(f) offsetof(struct nw_settings, f)
#define SET_STR(n, f, d, h) {n, NW_CONF_STRING, SET_OFF(f), sizeof(((struct nw_settings *)0)->f), d, NULL, h}
static const struct nw_directive settings_table[] = {
	SET_STR("plugins", plugins, "", "the plugin chain, in order"),
	SET_STR("plugin_dir", plugin_dir, NW_PLUGIN_DIR, "where plugins are found (a:b:c)"),
	SET_STR("log_dir", log_dir, NW_LOG_DIR, "directory of eve.json"),
	SET_STR("state_dir", state_dir, NW_STATE_DIR, "directory for persistent state"),
	SET_STR("queues", queues, "0", "NFQUEUE numbers: N or N-M"),
	SET_STR("metrics", metrics, "127.0.0.1:9771", "Prometheus address, empty = off"),
	SET_STR("user", user, "", "run as this user after setup"),
	{"fail_open", NW_CONF_BOOL, SET_OFF(fail_open), 0, "yes", NULL, "let traffic pass on overload"},
	{"malformed", NW_CONF_CUSTOM, SET_OFF(malformed_verdict), 0, "drop", settings_parse_verdict, "verdict for undecodable packets"},
	{"flow_max", NW_CONF_UINT, SET_OFF(flow_max), 0, "65536", NULL, "flows per worker"},
	{"flow_timeout_tcp", NW_CONF_DURATION, SET_OFF(flow_timeout_tcp), 0, "1h", NULL, NULL},
	{"flow_timeout_udp", NW_CONF_DURATION, SET_OFF(flow_timeout_udp), 0, "60s", NULL, NULL},
	{"flow_timeout_other", NW_CONF_DURATION, SET_OFF(flow_timeout_other), 0, "30s", NULL, NULL},
	{"flow_timeout_closed", NW_CONF_DURATION, SET_OFF(flow_timeout_closed), 0, "10s", NULL, NULL},
	{"event_queue", NW_CONF_UINT, SET_OFF(event_queue), 0, "1024", NULL, "events per worker queue"},
	{"eve", NW_CONF_BOOL, SET_OFF(eve), 0, "yes", NULL, "write eve.json"},
	SET_STR("eve_file", eve_file, "eve.json", "EVE file name inside log_dir"),
	{"eve_drops", NW_CONF_CUSTOM, SET_OFF(eve_drops), 0, "start", settings_parse_eve_drops,
	 "EVE drop events: start (first per flow), all, no"},
	SET_STR("eve_types", eve_types, "default",
		"EVE event types written: default (all but flow, http, dns, tls), all, or names"),
	{"payload_printable", NW_CONF_BOOL, SET_OFF(payload_printable), 0, "no", NULL, NULL},
	SET_STR("control_socket", control_socket, "/run/natwarden/natwarden.sock", NULL),
	{"queue_maxlen", NW_CONF_UINT, SET_OFF(queue_maxlen), 0, "4096", NULL, NULL},
	{"copy_range", NW_CONF_UINT, SET_OFF(copy_range), 0, "65535", NULL, NULL},
	{"rcvbuf_mb", NW_CONF_UINT, SET_OFF(rcvbuf_mb), 0, "8", NULL, NULL},
	{"batch", NW_CONF_UINT, SET_OFF(batch), 0, "64", NULL, NULL},
	{"gso", NW_CONF_BOOL, SET_OFF(gso), 0, "yes", NULL, NULL},
	SET_STR("cpu_affinity", cpu_affinity, "", NULL),
	{"bypass_mark", NW_CONF_UINT, SET_OFF(bypass_mark), 0, "1", NULL, NULL},
	{"reject_mark", NW_CONF_UINT, SET_OFF(reject_mark), 0, "2", NULL, NULL},
	{"bypass", NW_CONF_BOOL, SET_OFF(bypass), 0, "no", NULL,
	 "bypass a flow once every plugin voted that it is done with it"},
	{"bypass_timeout", NW_CONF_DURATION, SET_OFF(bypass_timeout), 0, "30s", NULL,
	 "idle time after which a bypassed flow leaves the flow table"},
	SET_STR("log_level", log_level, "info", NULL),
	SET_STR("control_group", control_group, "", "control socket group (default natwarden)"),
	{"log", NW_CONF_CUSTOM, SET_OFF(log_to), 0, "auto", settings_parse_log_to,
	 "live log destination: auto, stderr, syslog"},
	{"stats_interval", NW_CONF_DURATION, SET_OFF(stats_interval), 0, "60s", NULL,
	 "EVE stats event interval (live), 0 = off"},
	{"defrag", NW_CONF_BOOL, SET_OFF(defrag), 0, "yes", NULL,
	 "offline: reassemble IP fragments before the rules"},
	{"defrag_memory", NW_CONF_UINT, SET_OFF(defrag_memory), 0, "4m", NULL,
	 "offline: fragment bytes held for reassembly"},
	{"defrag_max", NW_CONF_UINT, SET_OFF(defrag_max), 0, "1024", NULL,
	 "offline: datagrams in reassembly at once"},
	{"defrag_timeout_ipv4", NW_CONF_DURATION, SET_OFF(defrag_timeout_ipv4), 0, "30s", NULL,
	 "offline: IPv4 reassembly timeout (Linux ipfrag_time)"},
	{"defrag_timeout_ipv6", NW_CONF_DURATION, SET_OFF(defrag_timeout_ipv6), 0, "60s", NULL,
	 "offline: IPv6 reassembly timeout (Linux ip6frag_time)"},
	{NULL, NW_CONF_END, 0, 0, NULL, NULL, NULL},
};

static void engine_push(struct nw_worker *w, const struct nw_event *ev)
{
	if (nw_evring_push(w->events, ev))
		w->ctr.events_dropped++;
	else
		w->ctr.events++;
}

void nw_event_fill_flow(struct nw_event *e, struct nw_flow *f, int dir)
{
	if (!e->app_proto[0] && f->app_proto[0])
		nw_strlcpy(e->app_proto, f->app_proto, sizeof(e->app_proto));
	if (!e->direction && dir >= 0 && dir <= 1)
		e->direction = (uint8_t)(1 + dir);
	if (!e->has_flow) {
		e->has_flow = 1;
		memcpy(e->flow_pkts, f->info.pkts, sizeof(e->flow_pkts));
		memcpy(e->flow_bytes, f->info.bytes, sizeof(e->flow_bytes));
		e->flow_start_ns = f->info.first_ns;
		e->flow_src = f->info.client;
		e->flow_dst = f->info.server;
		e->flow_sport = f->info.cport;
		e->flow_dport = f->info.sport;
	}
	if (e->type == NW_EV_ALERT)
		f->alerted = 1;
}

/* TCP flags as Suricata's flow records write them: hex, and a boolean per flag set. */
static void engine_put_tcp_flags(struct nw_event *ev, const char *key, uint8_t fl)
{
	char hex[4];

	snprintf(hex, sizeof(hex), "%02x", (unsigned)fl);
	nw_ev_put_str(ev, key, hex, 2);
}

/* EVE "flow" record of a flow that ends, with Suricata's field names. */
static void engine_emit_flow(struct nw_worker *w, const struct nw_flow *f, int reason)
{
	static const char *const flag_names[8] = {"fin", "syn", "rst", "psh", "ack", "urg", "ece",
						  "cwr"};
	const struct nw_flow_info *fi = &f->info;
	struct nw_event ev;
	const char *state, *why;
	uint8_t all = f->tcp_flags[0] | f->tcp_flags[1];

	memset(&ev, 0, sizeof(ev));
	ev.size = sizeof(ev);
	ev.type = NW_EV_CUSTOM;
	nw_strlcpy(ev.name, "flow", sizeof(ev.name));
	ev.ts_ns = fi->last_ns;
	ev.flow_id = fi->id;
	ev.src = fi->client;
	ev.dst = fi->server;
	ev.sport = fi->cport;
	ev.dport = fi->sport;
	ev.ip_proto = fi->ip_proto;
	nw_strlcpy(ev.app_proto, f->app_proto, sizeof(ev.app_proto));
	/* a bypassed flow: the kernel carried the rest, the counts are what natwarden saw (Suricata's
	 * state "bypassed", bypass "capture") */
	state = f->bypassed			   ? "bypassed"
		: fi->tcp_state == NW_CT_CLOSED	   ? "closed"
		: fi->tcp_state == NW_CT_ESTABLISHED ? "established"
						     : "new";
	why = reason == NW_FLOW_END_EVICT ? "forced"
	      : reason == NW_FLOW_END_SHUTDOWN ? "shutdown" : "timeout";
	nw_ev_open(&ev, "flow");
	nw_ev_put_uint(&ev, "pkts_toserver", fi->pkts[NW_DIR_TO_SERVER]);
	nw_ev_put_uint(&ev, "pkts_toclient", fi->pkts[NW_DIR_TO_CLIENT]);
	nw_ev_put_uint(&ev, "bytes_toserver", fi->bytes[NW_DIR_TO_SERVER]);
	nw_ev_put_uint(&ev, "bytes_toclient", fi->bytes[NW_DIR_TO_CLIENT]);
	{
		char ts[64];
		uint64_t off = w->eng->wall_offset_ns;
		nw_eve_timestamp(fi->first_ns + off, ts, sizeof(ts));
		nw_ev_put_str(&ev, "start", ts, strlen(ts));
		nw_eve_timestamp(fi->last_ns + off, ts, sizeof(ts));
		nw_ev_put_str(&ev, "end", ts, strlen(ts));
	}
	nw_ev_put_uint(&ev, "age", (fi->last_ns - fi->first_ns) / 1000000000ull);
	nw_ev_put_str(&ev, "state", state, strlen(state));
	if (f->bypassed)
		nw_ev_put_str(&ev, "bypass", "capture", 7);
	nw_ev_put_str(&ev, "reason", why, strlen(why));
	nw_ev_put_bool(&ev, "alerted", f->alerted);
	if (f->verdict == NW_DROP || f->verdict == NW_REJECT)
		nw_ev_put_str(&ev, "action", "drop", 4);
	nw_ev_close(&ev);
	if (fi->ip_proto == 6) {
		nw_ev_open(&ev, "tcp");
		engine_put_tcp_flags(&ev, "tcp_flags", all);
		engine_put_tcp_flags(&ev, "tcp_flags_ts", f->tcp_flags[NW_DIR_TO_SERVER]);
		engine_put_tcp_flags(&ev, "tcp_flags_tc", f->tcp_flags[NW_DIR_TO_CLIENT]);
		for (unsigned b = 0; b < 8; b++)
			if (all & (1u << b))
				nw_ev_put_bool(&ev, flag_names[b], 1);
		nw_ev_close(&ev);
	}
	engine_push(w, &ev);
}

/* Flow end: every plugin that has a flow_end hook sees it, on the flow's worker; then its EVE
 * flow record (eve_types flow). */
static void engine_flow_end(void *ctx, struct nw_flow *f, int reason)
{
	struct nw_worker *w = ctx;
	struct nw_engine *eng = w->eng;

	for (unsigned i = 0; i < eng->n_plugins; i++) {
		struct nw_plugin *p = eng->plugins[i];
		if (p->desc->flow_end && p->started)
			p->desc->flow_end(p->priv, w->wpriv[i], f);
	}
	if (eng->eve_flow)
		engine_emit_flow(w, f, reason);
}

/* eve_types: "default" (every type but the opt-in ones), "all", and event_type names. */
static const char *const engine_optin_types[] = {"flow", "http", "dns", "tls"};

static int engine_parse_eve_types(struct nw_engine *eng, const struct nw_section *sec)
{
	char list[sizeof(eng->set.eve_types)];
	unsigned line = 0;

	eng->eve_default = eng->eve_all = 0;
	eng->n_eve_types = 0;
	nw_strlcpy(list, eng->set.eve_types, sizeof(list));
	for (char *save = NULL, *t = strtok_r(list, " \t,", &save); t;
	     t = strtok_r(NULL, " \t,", &save)) {
		if (!strcmp(t, "default")) {
			eng->eve_default = 1;
		} else if (!strcmp(t, "all")) {
			eng->eve_all = 1;
		} else if (eng->n_eve_types == NW_MAX_EVE_TYPES ||
			   strlen(t) >= sizeof(eng->eve_types[0])) {
			nw_section_get(sec, "eve_types", &line);
			return nw_config_error(eng->cfg, sec, line,
					       "eve_types: at most %d names of 1..%zu characters",
					       NW_MAX_EVE_TYPES, sizeof(eng->eve_types[0]) - 1);
		} else {
			nw_strlcpy(eng->eve_types[eng->n_eve_types++], t, sizeof(eng->eve_types[0]));
		}
	}
	eng->eve_flow = nw_engine_eve_wants(eng, "flow");
	return 0;
}

int nw_engine_eve_wants(const struct nw_engine *eng, const char *type)
{
	if (!eng->set.eve)
		return 0;
	if (eng->eve_all)
		return 1;
	for (unsigned i = 0; i < eng->n_eve_types; i++)
		if (!strcmp(eng->eve_types[i], type))
			return 1;
	if (!eng->eve_default)
		return 0;
	for (size_t i = 0; i < sizeof(engine_optin_types) / sizeof(engine_optin_types[0]); i++)
		if (!strcmp(engine_optin_types[i], type))
			return 0;
	return 1;
}

/* plugin_dir with its relative entries resolved: a value written in the config file against
 * the file's directory (as the signature plugin resolves `rules`), one given with --set against
 * the working directory. */
static int engine_plugin_dirs(struct nw_engine *eng, char *out, size_t outlen)
{
	const struct nw_section *main_sec = nw_config_section(eng->cfg, "natwarden", "");
	unsigned line = 0;

	nw_section_get(main_sec, "plugin_dir", &line);
	if (nw_plugin_dirs_resolve(eng->set.plugin_dir,
				   line && line != NW_CONF_LINE_SET ? eng->cfg->path : NULL, out,
				   outlen))
		return nw_config_error(eng->cfg, main_sec, line,
				       "plugin_dir = %s: too long once resolved against %s",
				       eng->set.plugin_dir, eng->cfg->path);
	return 0;
}

static int engine_load_plugins(struct nw_engine *eng)
{
	char list[sizeof(eng->set.plugins)], err[768], dirs[2048];
	int ret = 0;

	if (engine_plugin_dirs(eng, dirs, sizeof(dirs)))
		return -EINVAL;
	nw_strlcpy(list, eng->set.plugins, sizeof(list));
	for (char *save = NULL, *name = strtok_r(list, " \t,", &save); name;
	     name = strtok_r(NULL, " \t,", &save)) {
		struct nw_plugin *p = NULL;
		unsigned line = 0;
		int r;

		nw_section_get(nw_config_section(eng->cfg, "natwarden", ""), "plugins", &line);
		for (unsigned i = 0; i < eng->n_plugins; i++) {
			if (!strcmp(eng->plugins[i]->name, name)) {
				ret = nw_config_error(eng->cfg, NULL, line,
						      "plugin '%s' listed twice", name);
				goto next;
			}
		}
		if (eng->n_plugins >= NW_MAX_PLUGINS) {
			ret = nw_config_error(eng->cfg, NULL, line, "more than %d plugins",
					      NW_MAX_PLUGINS);
			break;
		}
		r = nw_plugin_open(name, dirs, &p, err, sizeof(err));
		if (r) {
			ret = nw_config_error(eng->cfg, NULL, line, "plugin '%s': %s", name, err);
			continue;
		}
		if (nw_engine_add_plugin(eng, p)) {
			nw_plugin_close(p);
			ret = -ENOMEM;
		}
next:;
	}
	return ret;
}

int nw_engine_add_plugin(struct nw_engine *eng, struct nw_plugin *p)
{
	if (eng->n_plugins >= NW_MAX_PLUGINS)
		return -ENOSPC;
	p->priv = calloc(1, p->desc->priv_size ? p->desc->priv_size : 1);
	if (!p->priv)
		return -ENOMEM;
	p->index = eng->n_plugins;
	p->eng = eng;
	p->flow_off = eng->flow_priv_size;
	eng->flow_priv_size += (p->desc->flow_priv_size + 15) & ~(size_t)15;
	*p->desc->services = &nw_core_services;
	eng->plugins[eng->n_plugins++] = p;
	return 0;
}

void nw_engine_plugin_error(struct nw_plugin *p, const char *fmt, ...)
{
	const struct nw_config *cfg = p->eng->cfg;
	const struct nw_section *sec = nw_config_section(cfg, p->name, "");
	unsigned line = 0;
	char msg[512];
	va_list ap;

	if (!sec) {
		sec = nw_config_section(cfg, "natwarden", "");
		nw_section_get(sec, "plugins", &line);
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nw_config_error(cfg, sec, line, "%s", msg);
	p->conf_failed = 1;
}

void nw_engine_kw_shadow_error(struct nw_plugin *p, const char *name,
			       const struct nw_plugin *owner)
{
	nw_engine_plugin_error(p, "keyword '%s' of plugin '%s' is a built-in keyword of plugin "
			       "'%s': a plugin keyword cannot replace it (rename it)", name,
			       p->name, owner->name);
}

/* After configure: a keyword registered before a rule engine reserved its name. */
static int engine_check_keywords(struct nw_engine *eng)
{
	int ret = 0;

	for (unsigned i = 0; i < eng->n_keywords; i++) {
		struct nw_kwentry *k = &eng->keywords[i];
		for (unsigned j = 0; j < eng->n_kw_reserved; j++) {
			if (eng->kw_reserved[j].p == k->p ||
			    strcmp(eng->kw_reserved[j].name, k->kw.name))
				continue;
			nw_engine_kw_shadow_error(k->p, k->kw.name, eng->kw_reserved[j].p);
			ret = -EEXIST;
			break;
		}
	}
	return ret;
}

/* Claim the sections a plugin owns, then call its configure hook. */
static int engine_configure_plugin(struct nw_engine *eng, struct nw_plugin *p,
				   struct nw_config *cfg)
{
	const struct nw_section *sec = nw_config_section(cfg, p->name, "");

	nw_config_claim(cfg, p->name);
	if (p->desc->section_kinds)
		for (const char *const *k = p->desc->section_kinds; *k; k++)
			nw_config_claim(cfg, *k);
	if (!p->desc->configure) {
		if (sec && sec->n_kv) {
			p->conf_failed = 1;
			return nw_config_error(cfg, sec, sec->kv[0].line,
					       "unknown key '%s' (plugin '%s' takes no options)",
					       sec->kv[0].key, p->name);
		}
		return 0;
	}
	unsigned n_errors = cfg->n_errors;
	int r = p->desc->configure(p, p->priv, cfg, sec);
	if (r && cfg->n_errors == n_errors)
		nw_config_error(cfg, sec, 0, "plugin '%s' failed to configure (%s)", p->name,
				strerror(r < 0 ? -r : r));
	/* errors it recorded count as a failure even when it returned 0 */
	p->conf_failed |= r != 0 || cfg->n_errors != n_errors;
	return p->conf_failed ? (r ? r : -EINVAL) : 0;
}

int nw_engine_new(struct nw_config *cfg, int offline, struct nw_engine **out)
{
	struct nw_engine *eng = calloc(1, sizeof(*eng));
	const struct nw_section *main_sec;
	struct nw_gateway *gw = NULL;
	int ret = 0;

	if (!eng)
		return -ENOMEM;
	eng->cfg = cfg;
	eng->offline = offline;
	eng->eve_fd = -1;
	eng->start_mono_ns = nw_time_mono_ns();
	nw_current_engine = eng;
	main_sec = nw_config_section(cfg, "natwarden", "");
	if (nw_config_parse(cfg, main_sec, settings_table, &eng->set))
		ret = -EINVAL;
	nw_config_claim(cfg, "natwarden");
	if (nw_log_level_parse(eng->set.log_level) < 0) {
		unsigned line = 0;
		nw_section_get(main_sec, "log_level", &line);
		ret = nw_config_error(cfg, main_sec, line,
				      "log_level = %s: expected error, warning, notice, info or debug",
				      eng->set.log_level);
	}
	if (nw_gateway_parse(cfg, &gw))
		ret = -EINVAL;
	if (engine_parse_eve_types(eng, main_sec))
		ret = -EINVAL;
	atomic_store(&eng->gw, gw);
	*out = eng;
	return ret;
}

int nw_engine_create(struct nw_config *cfg, int offline, struct nw_engine **out)
{
	struct nw_engine *eng;
	int ret = nw_engine_new(cfg, offline, &eng);

	*out = eng;
	if (!eng)
		return ret;
	if (engine_load_plugins(eng))
		ret = -EINVAL;
	for (unsigned i = 0; i < eng->n_plugins; i++)
		if (engine_configure_plugin(eng, eng->plugins[i], cfg))
			ret = -EINVAL;
	if (engine_check_keywords(eng))
		ret = -EINVAL;
	if (nw_config_check_unclaimed(cfg))
		ret = -EINVAL;
	if (cfg->n_errors)
		ret = -EINVAL;
	return ret;
}

int nw_engine_configure_all(struct nw_engine *eng)
{
	int ret = 0;

	for (unsigned i = 0; i < eng->n_plugins; i++)
		if (engine_configure_plugin(eng, eng->plugins[i], eng->cfg))
			ret = -EINVAL;
	if (engine_check_keywords(eng))
		ret = -EINVAL;
	return ret;
}

int nw_engine_check(struct nw_engine *eng)
{
	int ret = 0;

	/* the root cause first: what a plugin that is not configured did not register (its rule
	 * keywords, ...) shows up below as errors of other plugins */
	for (unsigned i = 0; i < eng->n_plugins; i++) {
		struct nw_plugin *p = eng->plugins[i];
		if (!p->conf_failed)
			continue;
		nw_log(NW_LOG_ERR, "plugin '%s' is not configured (its errors are above) and is not "
		       "checked; errors reported below may follow from it (e.g. rule keywords it "
		       "registers are unknown)", p->name);
		ret = -EINVAL;
	}
	for (unsigned i = 0; i < eng->n_plugins; i++) {
		struct nw_plugin *p = eng->plugins[i];
		if (p->conf_failed)
			continue;
		int r = p->desc->check ? p->desc->check(p, p->priv) : 0;
		if (r < 0) {
			nw_log(NW_LOG_ERR, "plugin '%s': check failed", p->name);
			ret = -EINVAL;
		} else if (r > 0 && ret == 0) {
			ret = 1;
		}
	}
	return ret;
}

static struct nw_worker *engine_worker_new(struct nw_engine *eng, unsigned id)
{
	struct nw_worker *w = calloc(1, sizeof(*w));
	struct nw_flow_timeouts to = {
		.tcp_ns = eng->set.flow_timeout_tcp * 1000000000ull,
		.udp_ns = eng->set.flow_timeout_udp * 1000000000ull,
		.other_ns = eng->set.flow_timeout_other * 1000000000ull,
		.closed_ns = eng->set.flow_timeout_closed * 1000000000ull,
		.new_ns = (eng->set.flow_timeout_udp < eng->set.flow_timeout_tcp
				   ? eng->set.flow_timeout_udp
				   : eng->set.flow_timeout_tcp) * 1000000000ull,
		.bypass_ns = eng->set.bypass_timeout * 1000000000ull,
	};

	if (!w)
		return NULL;
	w->id = id;
	w->eng = eng;
	w->flows = nw_flow_table_new((uint32_t)(eng->set.flow_max ? eng->set.flow_max : 65536),
				     eng->flow_priv_size, &to, id, engine_flow_end, w);
	w->events = nw_evring_new((uint32_t)(eng->set.event_queue ? eng->set.event_queue : 1024));
	/* live workers log through the main thread; offline the worker is the main thread */
	if (!eng->offline)
		w->logq = nw_logq_new();
	if (!w->flows || !w->events || (!eng->offline && !w->logq))
		goto fail;
	w->flows->cnt = &w->ctr.flows;
	for (unsigned i = 0; i < eng->n_plugins; i++) {
		size_t n = eng->plugins[i]->desc->worker_priv_size;
		if (n && !(w->wpriv[i] = calloc(1, n)))
			goto fail;
	}
	return w;
fail:
	nw_flow_table_free(w->flows);
	nw_evring_free(w->events);
	nw_logq_free(w->logq);
	for (unsigned i = 0; i < eng->n_plugins; i++)
		free(w->wpriv[i]);
	free(w);
	return NULL;
}

int nw_engine_start(struct nw_engine *eng, unsigned n_workers)
{
	if (n_workers == 0 || n_workers > NW_MAX_WORKERS)
		return -EINVAL;
	engine_main_ring = nw_evring_new((uint32_t)(eng->set.event_queue ? eng->set.event_queue : 1024));
	if (!engine_main_ring)
		return -ENOMEM;
	if (!eng->offline)
		eng->wall_offset_ns = nw_time_wall_ns() - nw_time_mono_ns();
	eng->bypass_need = 0;
	for (unsigned i = 0; i < eng->n_plugins; i++)
		if (eng->plugins[i]->desc->packet)
			eng->bypass_need |= 1u << i;
	for (unsigned i = 0; i < n_workers; i++) {
		eng->workers[i] = engine_worker_new(eng, i);
		if (!eng->workers[i])
			return -ENOMEM;
		eng->n_workers = i + 1;
	}
	for (unsigned i = 0; i < eng->n_plugins; i++) {
		struct nw_plugin *p = eng->plugins[i];
		if (p->desc->start && p->desc->start(p, p->priv) < 0) {
			nw_log(NW_LOG_ERR, "plugin '%s' failed to start", p->name);
			return -EINVAL;
		}
		p->started = 1;
	}
	return 0;
}

int nw_worker_thread_start(struct nw_worker *w)
{
	struct nw_engine *eng = w->eng;

	nw_tls_worker = w;
	if (w->logq)
		nw_log_thread_queue(w->logq);
	for (unsigned i = 0; i < eng->n_plugins; i++) {
		struct nw_plugin *p = eng->plugins[i];
		if (p->desc->worker_start && p->desc->worker_start(p->priv, w->wpriv[i], w->id) < 0) {
			nw_log(NW_LOG_ERR, "plugin '%s' failed to start on worker %u", p->name, w->id);
			return -EINVAL;
		}
	}
	return 0;
}

void nw_worker_thread_stop(struct nw_worker *w)
{
	struct nw_engine *eng = w->eng;

	/* flows end while the plugins' worker state still exists */
	nw_flow_table_free(w->flows);
	w->flows = NULL;
	for (unsigned i = eng->n_plugins; i-- > 0;) {
		struct nw_plugin *p = eng->plugins[i];
		if (p->desc->worker_stop)
			p->desc->worker_stop(p->priv, w->wpriv[i], w->id);
	}
	if (nw_tls_worker == w)
		nw_tls_worker = NULL;
	nw_log_thread_queue(NULL);
}

/*
 * Inbound (from the internet) and the pre-DNAT destination, from the [gateway] table: a packet
 * is inbound when it entered on the public side (live: its input interface; offline: unknown)
 * and its source is outside the private networks. Without conntrack attributes from the kernel,
 * an inbound packet to a forward's private side gets the forward's public port as orig_dport.
 */
static void engine_classify(struct nw_engine *eng, struct nw_pkt_info *pi,
			    const struct nw_pkt_meta *meta)
{
	const struct nw_gateway *gw = atomic_load_explicit(&eng->gw, memory_order_acquire);
	const struct nw_forward *f;

	if (!gw || meta->from_public == 0 || nw_gateway_is_private(gw, &pi->src))
		return;
	pi->flags |= NW_PKT_INBOUND;
	if ((pi->flags & NW_PKT_ORIG_DST) || !(pi->flags & NW_PKT_L4))
		return;
	f = nw_gateway_find_forward(gw, pi->ip_proto, &pi->dst, pi->dport);
	if (f) {
		pi->flags |= NW_PKT_ORIG_DST;
		pi->orig_dst = gw->public_addr;
		pi->orig_dport = f->listen_port;
	}
}

/* EVE "drop" event for a packet a plugin dropped or rejected (bounded by the event ring). */
static void engine_emit_drop(struct nw_worker *w, const struct nw_packet *pkt,
			     const struct nw_plugin *p, int v, unsigned reason, int by_flow)
{
	const struct nw_pkt_info *pi = &pkt->info;
	struct nw_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.size = sizeof(ev);
	ev.type = NW_EV_CUSTOM;
	ev.ts_ns = pi->ts_ns;
	ev.flow_id = pkt->flow ? pkt->flow->info.id : 0;
	ev.src = pi->src;
	ev.dst = pi->dst;
	ev.sport = pi->sport;
	ev.dport = pi->dport;
	ev.ip_proto = pi->ip_proto;
	ev.verdict = (uint8_t)v;
	nw_strlcpy(ev.name, "drop", sizeof(ev.name));
	if (pkt->flow)
		nw_event_fill_flow(&ev, pkt->flow, pi->dir);
	ev.has_flow = 0; /* a drop event describes the packet */
	{
		/* a packet of a flow already judged: Suricata's "flow drop" */
		const char *pl = p->name,
			   *rs = by_flow ? "flow drop"
					 : p->reason_name[reason < p->n_reasons ? reason : 0];
		const char *vn = nw_verdict_name(v);

		nw_ev_open(&ev, "drop");
		nw_ev_put_uint(&ev, "len", pi->ip_len);
		nw_ev_put_uint(&ev, "ttl", pi->ttl);
		nw_ev_put_uint(&ev, "ipid", pi->ip_id);
		if (pi->ip_proto == 6 && (pi->flags & NW_PKT_L4)) {
			nw_ev_put_uint(&ev, "tcpseq", pi->tcp_seq);
			nw_ev_put_uint(&ev, "tcpack", pi->tcp_ack);
			nw_ev_put_uint(&ev, "tcpwin", pi->tcp_win);
			nw_ev_put_bool(&ev, "syn", pi->tcp_flags & NW_TCP_SYN);
			nw_ev_put_bool(&ev, "ack", pi->tcp_flags & NW_TCP_ACK);
			nw_ev_put_bool(&ev, "psh", pi->tcp_flags & NW_TCP_PSH);
			nw_ev_put_bool(&ev, "rst", pi->tcp_flags & NW_TCP_RST);
			nw_ev_put_bool(&ev, "urg", pi->tcp_flags & NW_TCP_URG);
			nw_ev_put_bool(&ev, "fin", pi->tcp_flags & NW_TCP_FIN);
		} else if ((pi->ip_proto == 17) && (pi->flags & NW_PKT_L4)) {
			nw_ev_put_uint(&ev, "udplen", pi->payload_len + 8);
		} else if ((pi->ip_proto == 1 || pi->ip_proto == 58) && (pi->flags & NW_PKT_L4)) {
			nw_ev_put_uint(&ev, "icmp_type", pi->icmp_type);
			nw_ev_put_uint(&ev, "icmp_code", pi->icmp_code);
		}
		nw_ev_put_str(&ev, "verdict", vn, strlen(vn));
		nw_ev_put_str(&ev, "plugin", pl, strlen(pl));
		nw_ev_put_str(&ev, "reason", rs, strlen(rs));
		nw_ev_close(&ev);
	}
	engine_push(w, &ev);
}

/* The packet's verdict is final: the alerts its chain emitted say it (alert.action is
 * "blocked" when any plugin, or the malformed verdict, dropped it), then they are sent. */
static void engine_publish_events(struct nw_worker *w, int v)
{
	struct nw_event *ev;

	for (uint32_t i = 0; (ev = nw_evring_held(w->events, i)) != NULL; i++)
		if (ev->type == NW_EV_ALERT)
			ev->verdict = (uint8_t)v;
	nw_evring_publish(w->events);
}

/* A malformed packet keeps a plugin's drop or reject; otherwise the `malformed` verdict applies
 * (never a bypass: the kernel must not stop showing us the connection). */
static int engine_malformed_result(const struct nw_engine *eng, int res)
{
	int v = NW_RESULT_VERDICT(res);

	if (v == NW_DROP || v == NW_REJECT)
		return res;
	return NW_RESULT(eng->set.malformed_verdict, 0);
}

/* The flow bypass policy, after the chain: a flow every voter is done with is bypassed when the
 * chain accepted the packet; a plugin's own NW_BYPASS counts as a bypassed flow too. */
static int engine_bypass_result(struct nw_worker *w, struct nw_flow *f, int res)
{
	const struct nw_engine *eng = w->eng;
	int v = NW_RESULT_VERDICT(res);

	if (v == NW_BYPASS) {
		if (!f->bypassed)
			w->ctr.flows_bypassed++;
		else
			w->ctr.bypass_late++;
		f->bypassed = 1;
		return res;
	}
	if (!eng->set.bypass || (v != NW_CONTINUE && v != NW_ACCEPT) ||
	    (f->bypass_votes & eng->bypass_need) != eng->bypass_need ||
	    f->verdict != NW_CONTINUE)
		return res;
	f->bypassed = 1;
	f->verdict = NW_BYPASS;
	w->ctr.flows_bypassed++;
	return NW_RESULT(NW_BYPASS, 0);
}

static void engine_count_events(struct nw_worker *w, uint64_t ev)
{
	while (ev) {
		unsigned b = (unsigned)__builtin_ctzll(ev);

		if (b < NW_DEV_MAX)
			w->ctr.decode_events[b]++;
		ev &= ev - 1;
	}
}

int nw_engine_process(struct nw_worker *w, const uint8_t *l3, uint32_t len,
		      const struct nw_pkt_meta *meta)
{
	struct nw_engine *eng = w->eng;
	struct nw_packet *pkt = &w->pkt;
	struct nw_pkt_info *pi = &pkt->info;
	struct nw_flow *f = NULL;
	int dec, malformed, res = NW_RESULT(NW_CONTINUE, 0);

	w->now_ns = meta->ts_ns;
	/* the decoder keeps ts_ns, queue and the caller's flags; clear the last packet's flags */
	pi->ts_ns = meta->ts_ns;
	pi->queue = meta->queue;
	pi->flags = 0;
	w->ctr.packets++;
	w->ctr.bytes += len;
	dec = nw_decode_ip(pi, l3, len);
	pi->flags |= meta->flags & (NW_PKT_INBOUND | NW_PKT_ORIG_DST | NW_PKT_GSO);
	if (meta->flags & NW_PKT_ORIG_DST) {
		pi->orig_dst = meta->orig_dst;
		pi->orig_dport = meta->orig_dport;
	}
	if (dec == NW_DEC_OK && meta->wire_len > len)
		pi->decode_events &= ~(uint64_t)NW_DEV_SNAPLEN_MASK;
	pi->decode_events |= meta->decode_events;
	malformed = dec != NW_DEC_OK || (pi->decode_events & NW_DEV_INVALID_MASK);
	if (pi->decode_events)
		engine_count_events(w, pi->decode_events);
	pkt->flow = NULL;
	pkt->w = w;
	if (dec != NW_DEC_OK)
		w->ctr.decode_err[dec < NW_DEC_MAX ? dec : 0]++;
	if (malformed && !pi->src.family) {
		/* no addresses: nothing a rule could say about it */
		res = NW_RESULT(eng->set.malformed_verdict, 0);
		goto out;
	}
	engine_classify(eng, pi, meta);
	if (!malformed) {
		if (w->now_ns >= w->next_sweep_ns) {
			nw_flow_sweep(w->flows, w->now_ns, 64);
			w->next_sweep_ns = w->now_ns + 100000000ull; /* every 100 ms of engine time */
		}
		f = nw_flow_track(w->flows, pi, w->now_ns);
		pkt->flow = f;
	}
	if (f) {
		pi->ct_state = meta->ct_state >= 0 ? (uint8_t)meta->ct_state
						   : (uint8_t)f->info.tcp_state;
		if (f->verdict != NW_CONTINUE) {
			/* the flow was judged: no plugin runs, no new alert (a drop rule's flow) */
			unsigned by = f->verdict_plugin;
			w->ctr.flow_verdict_hits++;
			if (f->bypassed)
				w->ctr.bypass_late++;
			res = NW_RESULT(f->verdict, 0);
			if ((f->verdict == NW_DROP || f->verdict == NW_REJECT) && by &&
			    by <= eng->n_plugins && eng->set.eve_drops == NW_EVE_DROPS_ALL)
				engine_emit_drop(w, pkt, eng->plugins[by - 1], f->verdict,
						 f->verdict_reason, 1);
			goto out;
		}
	} else if (meta->ct_state >= 0) {
		pi->ct_state = (uint8_t)meta->ct_state;
	}
	nw_evring_hold(w->events);
	for (unsigned i = 0; i < eng->n_plugins; i++) {
		struct nw_plugin *p = eng->plugins[i];
		int r, v;

		if (!p->desc->packet)
			continue;
		r = p->desc->packet(p->priv, w->wpriv[i], pkt, f);
		if (f && f->verdict != NW_CONTINUE && !f->verdict_plugin) {
			f->verdict_plugin = (uint8_t)(i + 1);
			f->verdict_reason = (uint8_t)(NW_RESULT_REASON(r) % NW_MAX_REASONS);
		}
		v = NW_RESULT_VERDICT(r);
		if (v <= NW_CONTINUE || v >= NW_VERDICT_MAX)
			continue;
		w->ctr.plugin_verdicts[i][v][NW_RESULT_REASON(r) % NW_MAX_REASONS]++;
		if ((v == NW_DROP || v == NW_REJECT) && eng->set.eve_drops != NW_EVE_DROPS_NO &&
		    (eng->set.eve_drops == NW_EVE_DROPS_ALL || !f || !f->drop_logged)) {
			engine_emit_drop(w, pkt, p, v, NW_RESULT_REASON(r) % NW_MAX_REASONS, 0);
			if (f)
				f->drop_logged = 1;
		}
		res = r;
		break;
	}
	if (malformed)
		res = engine_malformed_result(eng, res);
	else if (f)
		res = engine_bypass_result(w, f, res);
out:
	{
		int v = NW_RESULT_VERDICT(res);
		if (v == NW_CONTINUE)
			res = NW_RESULT(NW_ACCEPT, 0), v = NW_ACCEPT;
		w->ctr.verdicts[v]++;
		engine_publish_events(w, v);
	}
	return res;
}

int nw_engine_emit_main(struct nw_engine *eng, const struct nw_event *ev)
{
	(void)eng;
	if (!engine_main_ring)
		return -ENODEV;
	return nw_evring_push(engine_main_ring, ev);
}

#define ENGINE_EVE_BUF (256u * 1024)

/* Write the buffered EVE lines. A failed write (disk full, ...) loses those events, counted
 * in eve_errors; filtering goes on regardless. */
static void engine_flush_eve(struct nw_engine *eng)
{
	size_t off = 0;

	while (eng->eve_fd >= 0 && off < eng->eve_len) {
		ssize_t n = write(eng->eve_fd, eng->eve_buf + off, eng->eve_len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!eng->eve_errors)
				nw_log(NW_LOG_ERR, "%s: %s: EVE events are being lost", eng->eve_path,
				       n < 0 ? strerror(errno) : "short write");
			eng->eve_errors += eng->eve_pending;
			eng->eve_len = eng->eve_pending = 0;
			return;
		}
		off += (size_t)n;
	}
	eng->eve_written += eng->eve_pending;
	eng->eve_len = eng->eve_pending = 0;
}

int nw_engine_open_eve(struct nw_engine *eng, const char *dir)
{
	int fd;

	if (!eng->set.eve)
		return 0;
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		int r = -errno;
		nw_log(NW_LOG_ERR, "cannot create %s: %s", dir, strerror(errno));
		return r;
	}
	if (!eng->eve_buf && !(eng->eve_buf = malloc(ENGINE_EVE_BUF)))
		return -ENOMEM;
	snprintf(eng->eve_path, sizeof(eng->eve_path), "%s/%s", dir, eng->set.eve_file);
	fd = open(eng->eve_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0) {
		int r = -errno;
		nw_log(NW_LOG_ERR, "cannot open %s: %s", eng->eve_path, strerror(errno));
		return r;
	}
	engine_flush_eve(eng);
	if (eng->eve_fd >= 0)
		close(eng->eve_fd);
	eng->eve_fd = fd;
	return 0;
}

/* Does eve.json take this event (eve_types)? */
static int engine_eve_takes(const struct nw_engine *eng, const struct nw_event *ev)
{
	static const char *const names[NW_EV_MAX] = {NULL, "alert", "offense", "ban", "ratelimit",
						     NULL};
	char name[sizeof(ev->name) + 1];

	if (eng->eve_all || (eng->eve_default && ev->type != NW_EV_CUSTOM))
		return 1;
	if (ev->type != NW_EV_CUSTOM) {
		if (ev->type <= 0 || ev->type >= NW_EV_MAX || !names[ev->type])
			return 1; /* the writer rejects it and counts the error */
		return nw_engine_eve_wants(eng, names[ev->type]);
	}
	memcpy(name, ev->name, sizeof(ev->name));
	name[sizeof(ev->name)] = '\0';
	return nw_engine_eve_wants(eng, name[0] ? name : "custom");
}

static void engine_dispatch(struct nw_engine *eng, const struct nw_event *ev)
{
	static char line[16384];
	struct nw_eve_opts opts = {.payload_printable = eng->set.payload_printable};

	if (ev->type > 0 && ev->type < NW_EV_MAX)
		eng->events_by_type[ev->type]++;
	if (ev->type == NW_EV_ALERT)
		eng->alerts++;
	if (eng->eve_fd >= 0 && engine_eve_takes(eng, ev)) {
		struct nw_event wall;
		const struct nw_event *out = ev;
		if (eng->wall_offset_ns) {
			/* live engine time is monotonic; EVE readers want the wall clock */
			wall = *ev;
			wall.ts_ns += eng->wall_offset_ns;
			if (wall.has_flow)
				wall.flow_start_ns += eng->wall_offset_ns;
			out = &wall;
		}
		int n = nw_eve_format(out, &opts, line, sizeof(line));
		if (n > 0 && eng->eve_len + (size_t)n > ENGINE_EVE_BUF)
			engine_flush_eve(eng);
		if (n > 0) {
			memcpy(eng->eve_buf + eng->eve_len, line, (size_t)n);
			eng->eve_len += (size_t)n;
			eng->eve_pending++;
		} else {
			eng->eve_errors++;
		}
	}
	for (unsigned i = 0; i < eng->n_subs; i++) {
		struct nw_subscriber *s = &eng->subs[i];
		/* a stopped plugin's state may be gone: it hears no more events */
		if ((s->mask & NW_EV_MASK(ev->type)) && s->p->started)
			s->cb(s->p->priv, ev);
	}
}

static unsigned engine_drain_ring(struct nw_engine *eng, struct nw_evring *r, unsigned budget)
{
	unsigned n = 0;
	struct nw_evslot *s;

	while (n < budget && (s = nw_evring_peek(r))) {
		struct nw_event ev = s->ev; /* subscribers may emit into this ring */
		uint8_t payload[NW_EV_PAYLOAD_MAX];
		if (s->plen) {
			memcpy(payload, s->payload, s->plen);
			ev.payload = payload;
		}
		nw_evring_pop(r);
		engine_dispatch(eng, &ev);
		n++;
	}
	return n;
}

unsigned nw_engine_drain_events(struct nw_engine *eng)
{
	unsigned total = 0, n;

	do {
		n = 0;
		for (unsigned i = 0; i < eng->n_workers; i++) {
			struct nw_worker *w = eng->workers[i];
			if (w->logq) /* live only */
				nw_logq_drain(w->logq);
			if (!nw_evring_empty(w->events))
				n += engine_drain_ring(eng, w->events, 4096);
		}
		if (engine_main_ring && !nw_evring_empty(engine_main_ring))
			n += engine_drain_ring(eng, engine_main_ring, 4096);
		total += n;
	} while (n && total < 65536);
	if (eng->eve_len)
		engine_flush_eve(eng);
	return total;
}

void nw_engine_run_timers(struct nw_engine *eng, uint64_t now_ns)
{
	uint64_t due = UINT64_MAX;

	atomic_store_explicit(&eng->now_ns, now_ns, memory_order_relaxed);
	/* offline this runs once per packet: nothing to do before the earliest timer is due */
	if (now_ns < eng->timers_due_ns)
		return;
	for (unsigned i = 0; i < eng->n_timers; i++) {
		struct nw_timer *t = &eng->timers[i];
		if (!t->p->started) {
			due = 0; /* look again next time: it may start */
			continue;
		}
		if (t->next_ns == 0)
			t->next_ns = now_ns + t->interval_ns;
		if (now_ns >= t->next_ns) {
			t->cb(t->p->priv, now_ns);
			t->next_ns = now_ns + t->interval_ns;
		}
		if (t->next_ns < due)
			due = t->next_ns;
	}
	eng->timers_due_ns = due;
}

int nw_engine_command(struct nw_engine *eng, int argc, const char *const *argv, int json,
		      char *out, size_t outlen)
{
	if (argc < 1)
		return -EINVAL;
	for (unsigned i = 0; i < eng->n_cmds; i++)
		if (!strcmp(eng->cmds[i].name, argv[0]))
			return eng->cmds[i].cb(eng->cmds[i].p->priv, argc, argv, json, out, outlen);
	snprintf(out, outlen, "unknown command '%s'", argv[0]);
	return -ENOENT;
}

/* Do two configs give a plugin the same sections ([name] and its kinds), key for key? */
static int engine_plugin_sections_equal(const struct nw_plugin *p, const struct nw_config *a,
					const struct nw_config *b)
{
	for (int pass = 0; pass < 2; pass++) {
		const struct nw_config *x = pass ? b : a, *y = pass ? a : b;
		for (unsigned i = 0; i < x->n_sec; i++) {
			const struct nw_section *sx = &x->sec[i], *sy;
			int owned = !strcmp(sx->kind, p->name);
			if (p->desc->section_kinds)
				for (const char *const *k = p->desc->section_kinds; *k; k++)
					owned |= !strcmp(sx->kind, *k);
			if (!owned)
				continue;
			sy = nw_config_section(y, sx->kind, sx->name);
			if (!sy || sy->n_kv != sx->n_kv)
				return 0;
			for (unsigned j = 0; j < sx->n_kv; j++) {
				const char *v = nw_section_get(sy, sx->kv[j].key, NULL);
				if (!v || strcmp(v, sx->kv[j].value))
					return 0;
			}
		}
	}
	return 1;
}

int nw_engine_reload(struct nw_engine *eng, struct nw_config *newcfg)
{
	struct nw_settings set;
	const struct nw_section *main_sec = nw_config_section(newcfg, "natwarden", "");
	struct nw_gateway *gw = NULL;
	int ret = 0;
	unsigned char built[NW_MAX_PLUGINS];

	/* 1. the new file must be valid as a whole before any plugin sees it */
	memset(&set, 0, sizeof(set));
	if (nw_config_parse(newcfg, main_sec, settings_table, &set))
		ret = -EINVAL;
	nw_config_claim(newcfg, "natwarden");
	if (nw_gateway_parse(newcfg, &gw))
		ret = -EINVAL;
	if (strcmp(set.plugins, eng->set.plugins)) {
		nw_config_error(newcfg, main_sec, 0,
				"the plugin chain cannot change on reload (restart instead)");
		ret = -EINVAL;
	}
	for (unsigned i = 0; i < eng->n_plugins; i++) {
		struct nw_plugin *p = eng->plugins[i];
		nw_config_claim(newcfg, p->name);
		if (p->desc->section_kinds)
			for (const char *const *k = p->desc->section_kinds; *k; k++)
				nw_config_claim(newcfg, *k);
		/* a plugin that cannot reload must not be told its new settings took effect */
		if (!p->desc->reload && !engine_plugin_sections_equal(p, eng->cfg, newcfg))
			ret = nw_config_error(newcfg, nw_config_section(newcfg, p->name, ""), 0,
					      "plugin '%s' cannot reload its configuration: restart "
					      "natwarden to apply the change", p->name);
	}
	if (nw_config_check_unclaimed(newcfg) || newcfg->n_errors)
		ret = -EINVAL;
	if (ret) {
		nw_gateway_free(gw);
		return ret;
	}
	/* 2. plugins with reload_finish check the file and build their new state aside (each
	 * one, so that every error is reported); if one refuses, those that built throw it away
	 * and nothing changes */
	for (unsigned i = 0; i < eng->n_plugins; i++) {
		struct nw_plugin *p = eng->plugins[i];
		built[i] = 0;
		if (!p->desc->reload || !p->desc->reload_finish)
			continue;
		if (p->desc->reload(p, p->priv, newcfg, nw_config_section(newcfg, p->name, "")) < 0) {
			nw_log(NW_LOG_ERR, "reload: plugin '%s' refused the new configuration", p->name);
			ret = -EINVAL;
		} else {
			built[i] = 1;
		}
	}
	if (ret) {
		for (unsigned i = 0; i < eng->n_plugins; i++)
			if (built[i])
				eng->plugins[i]->desc->reload_finish(eng->plugins[i],
								     eng->plugins[i]->priv, 0);
		nw_log(NW_LOG_ERR, "reload: nothing changed; the previous configuration runs on");
		nw_gateway_free(gw);
		return ret;
	}
	/* 3. all took it: switch the engine's table and settings, then every plugin */
	gw = atomic_exchange(&eng->gw, gw); /* the port-forward table workers read */
	nw_core_services.quiesce();
	nw_gateway_free(gw);
	eng->set.malformed_verdict = set.malformed_verdict;
	eng->set.payload_printable = set.payload_printable;
	eng->set.bypass = set.bypass; /* flows bypassed already stay with the kernel */
	for (unsigned i = 0; i < eng->n_plugins; i++)
		if (built[i])
			eng->plugins[i]->desc->reload_finish(eng->plugins[i], eng->plugins[i]->priv, 1);
	/* 4. plugins of ABI 1.0 (reload without reload_finish) apply in one step: one that fails
	 * keeps its old state while the others have switched */
	for (unsigned i = 0; i < eng->n_plugins; i++) {
		struct nw_plugin *p = eng->plugins[i];
		if (!p->desc->reload || p->desc->reload_finish)
			continue;
		if (p->desc->reload(p, p->priv, newcfg, nw_config_section(newcfg, p->name, "")) < 0) {
			nw_log(NW_LOG_ERR, "reload: plugin '%s' kept its previous configuration",
			       p->name);
			ret = -EINVAL;
		}
	}
	/* keep the new file when every part took it: the next reload compares against it */
	if (ret == 0) {
		nw_config_free(eng->cfg_adopted);
		eng->cfg_adopted = newcfg;
		eng->cfg = newcfg;
	}
	return ret;
}

void nw_engine_stop(struct nw_engine *eng)
{
	nw_engine_drain_events(eng);
	for (unsigned i = eng->n_plugins; i-- > 0;) {
		struct nw_plugin *p = eng->plugins[i];
		unsigned left;
		if (p->stopped)
			continue;
		if (p->desc->stop)
			p->desc->stop(p, p->priv);
		p->started = 0;
		p->stopped = 1;
		left = nw_watch_del_all(p);
		if (left)
			nw_log(NW_LOG_WARNING, "plugin '%s' left %u watch%s at stop (deleted)", p->name,
			       left, left == 1 ? "" : "es");
	}
	nw_engine_drain_events(eng);
}

void nw_engine_destroy(struct nw_engine *eng)
{
	if (!eng)
		return;
	for (unsigned i = 0; i < eng->n_workers; i++) {
		struct nw_worker *w = eng->workers[i];
		if (w->flows)
			nw_worker_thread_stop(w);
	}
	nw_engine_stop(eng);
	for (unsigned i = 0; i < eng->n_workers; i++) {
		struct nw_worker *w = eng->workers[i];
		nw_evring_free(w->events);
		if (w->logq) {
			nw_logq_drain(w->logq); /* the worker has stopped: its last lines */
			nw_logq_free(w->logq);
		}
		for (unsigned j = 0; j < eng->n_plugins; j++)
			free(w->wpriv[j]);
		free(w);
	}
	free(eng->kw_reserved); /* its names point into the plugins */
	for (unsigned i = 0; i < eng->n_plugins; i++)
		nw_plugin_close(eng->plugins[i]);
	nw_evring_free(engine_main_ring);
	engine_main_ring = NULL;
	nw_gateway_free(atomic_load(&eng->gw));
	nw_config_free(eng->cfg_adopted);
	engine_flush_eve(eng);
	if (eng->eve_fd >= 0)
		close(eng->eve_fd);
	free(eng->eve_buf);
	if (nw_current_engine == eng)
		nw_current_engine = NULL;
	free(eng);
}

uint64_t nw_engine_counter_value(const struct nw_engine *eng, const struct nw_plugin *p,
				 unsigned id)
{
	uint64_t v;

	if (id >= p->n_counters)
		return 0;
	if (p->counter_gauge[id])
		return atomic_load_explicit(&((struct nw_plugin *)p)->gauge[id],
					    memory_order_relaxed);
	v = eng->main_ctr.plugin_ctr[p->index][id];
	for (unsigned i = 0; i < eng->n_workers; i++)
		v += eng->workers[i]->ctr.plugin_ctr[p->index][id];
	return v;
}

void nw_engine_sum_counters(const struct nw_engine *eng, struct nw_wcounters *out)
{
	const uint64_t *src;
	uint64_t *dst = (uint64_t *)out;
	size_t n = sizeof(*out) / sizeof(uint64_t);

	memcpy(out, &eng->main_ctr, sizeof(*out));
	for (unsigned i = 0; i < eng->n_workers; i++) {
		src = (const uint64_t *)&eng->workers[i]->ctr;
		for (size_t j = 0; j < n; j++)
			dst[j] += src[j];
	}
}
