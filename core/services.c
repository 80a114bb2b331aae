/* The services table the core gives plugins (nw_services of the ABI). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "event.h"
#include "flow.h"
#include "log.h"
#include "util.h"
#include "watch.h"

static void svc_log(nw_plugin *self, int level, const char *fmt, ...) NW_PRINTF(3, 4);
static void svc_log(nw_plugin *self, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nw_logv(self ? self->name : NULL, level, fmt, ap);
	va_end(ap);
}

/* One line per second per (plugin, key) slot; the rest are counted and reported later. */
#define SVC_RL_SLOTS 256
static _Atomic uint64_t svc_rl_last[SVC_RL_SLOTS];
static _Atomic uint64_t svc_rl_suppressed[SVC_RL_SLOTS];

static void svc_log_ratelimited(nw_plugin *self, int level, unsigned key, const char *fmt, ...)
	NW_PRINTF(4, 5);
static void svc_log_ratelimited(nw_plugin *self, int level, unsigned key, const char *fmt, ...)
{
	unsigned slot = ((self ? self->index : 31) * 131u + key) % SVC_RL_SLOTS;
	uint64_t now = nw_time_mono_ns() / 1000000000ull;
	uint64_t last = atomic_load_explicit(&svc_rl_last[slot], memory_order_relaxed);
	va_list ap;

	if (last == now + 1 ||
	    !atomic_compare_exchange_strong(&svc_rl_last[slot], &last, now + 1)) {
		atomic_fetch_add_explicit(&svc_rl_suppressed[slot], 1, memory_order_relaxed);
		return;
	}
	uint64_t sup = atomic_exchange(&svc_rl_suppressed[slot], 0);
	if (sup)
		svc_log(self, level, "(%llu similar messages suppressed)", (unsigned long long)sup);
	va_start(ap, fmt);
	nw_logv(self ? self->name : NULL, level, fmt, ap);
	va_end(ap);
}

static const nw_section *svc_conf_section(const nw_config *cfg, const char *kind, const char *name)
{
	return nw_config_section(cfg, kind, name);
}

static const nw_section *svc_conf_next(const nw_config *cfg, const char *kind, unsigned *it)
{
	return nw_config_next(cfg, kind, it);
}

static const char *svc_conf_section_name(const nw_section *sec)
{
	return sec->name;
}

static const char *svc_conf_kv(const nw_section *sec, unsigned n, const char **value,
			       unsigned *line)
{
	if (!sec || n >= sec->n_kv)
		return NULL;
	if (value)
		*value = sec->kv[n].value;
	if (line)
		*line = sec->kv[n].line;
	return sec->kv[n].key;
}

static int svc_conf_error(const nw_config *cfg, const nw_section *sec, unsigned line,
			  const char *fmt, ...) NW_PRINTF(4, 5);
static int svc_conf_error(const nw_config *cfg, const nw_section *sec, unsigned line,
			  const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return nw_config_error(cfg, sec, line, "%s", msg);
}

static const char *svc_conf_path(const nw_config *cfg)
{
	return cfg->path;
}

static int svc_counter_register(nw_plugin *self, const char *name, const char *help,
				unsigned *id)
{
	for (unsigned i = 0; i < self->n_counters; i++) {
		if (!strcmp(self->counter_name[i], name)) {
			*id = i;
			return 0;
		}
	}
	if (self->n_counters >= NW_MAX_COUNTERS)
		return -ENOSPC;
	nw_strlcpy(self->counter_name[self->n_counters], name, sizeof(self->counter_name[0]));
	nw_strlcpy(self->counter_help[self->n_counters], help ? help : "",
		   sizeof(self->counter_help[0]));
	*id = self->n_counters++;
	return 0;
}

static void svc_counter_add(nw_plugin *self, const nw_packet *pkt, unsigned id, uint64_t n)
{
	struct nw_worker *w = pkt ? pkt->w : nw_tls_worker;
	struct nw_wcounters *c = w ? &w->ctr : &self->eng->main_ctr;

	if (id < NW_MAX_COUNTERS)
		c->plugin_ctr[self->index][id] += n;
}

static void svc_gauge_set(nw_plugin *self, unsigned id, uint64_t v)
{
	if (id < NW_MAX_COUNTERS) {
		self->counter_gauge[id] = 1;
		atomic_store_explicit(&self->gauge[id], v, memory_order_relaxed);
	}
}

static int svc_reason_register(nw_plugin *self, const char *name, unsigned *id)
{
	for (unsigned i = 0; i < self->n_reasons; i++) {
		if (!strcmp(self->reason_name[i], name)) {
			*id = i;
			return 0;
		}
	}
	if (self->n_reasons >= NW_MAX_REASONS)
		return -ENOSPC;
	nw_strlcpy(self->reason_name[self->n_reasons], name, sizeof(self->reason_name[0]));
	*id = self->n_reasons++;
	return 0;
}

static int svc_timer_add(nw_plugin *self, uint32_t interval_ms, nw_timer_cb cb)
{
	struct nw_engine *eng = self->eng;

	if (!cb || !interval_ms)
		return -EINVAL;
	if (eng->n_timers >= NW_MAX_TIMERS)
		return -ENOSPC;
	eng->timers[eng->n_timers++] = (struct nw_timer){
		.p = self, .cb = cb, .interval_ns = (uint64_t)interval_ms * 1000000ull};
	eng->timers_due_ns = 0;
	return 0;
}

static uint64_t svc_now_ns(void)
{
	struct nw_worker *w = nw_tls_worker;
	struct nw_engine *eng = nw_current_engine;

	if (w && w->now_ns)
		return w->now_ns;
	/* live main thread: the clock itself, not the last tick's (watch callbacks and control
	 * commands run between ticks) */
	if (!w && eng && eng->loop)
		return nw_time_mono_ns();
	return eng ? atomic_load(&eng->now_ns) : 0;
}

static int svc_event_emit(nw_plugin *self, const nw_packet *pkt, const struct nw_event *ev)
{
	struct nw_worker *w = nw_tls_worker;
	struct nw_event e;
	size_t n = ev->size < sizeof(e) ? ev->size : sizeof(e);
	int r;

	(void)self;
	if (n < offsetof(struct nw_event, msg))
		return -EINVAL;
	memset(&e, 0, sizeof(e));
	memcpy(&e, ev, n);
	e.size = sizeof(e);
	if (pkt) {
		const struct nw_pkt_info *pi = &pkt->info;
		if (!e.ts_ns)
			e.ts_ns = pi->ts_ns;
		if (!e.flow_id && pkt->flow)
			e.flow_id = pkt->flow->info.id;
		if (!e.src.family) {
			e.src = pi->src;
			e.dst = pi->dst;
			e.sport = pi->sport;
			e.dport = pi->dport;
			e.ip_proto = pi->ip_proto;
		}
		if ((e.flags & NW_EVF_PAYLOAD) && !e.payload) {
			e.payload = pi->payload;
			e.payload_len = pi->payload_len;
		}
		if (pkt->flow)
			nw_event_fill_flow(&e, pkt->flow, pi->dir);
	}
	if (!e.ts_ns)
		e.ts_ns = svc_now_ns();
	if (w) {
		r = nw_evring_push(w->events, &e);
		if (r)
			w->ctr.events_dropped++;
		else
			w->ctr.events++;
		return r;
	}
	r = nw_engine_emit_main(nw_current_engine, &e);
	if (r)
		nw_current_engine->main_ctr.events_dropped++;
	else
		nw_current_engine->main_ctr.events++;
	return r;
}

static int svc_event_subscribe(nw_plugin *self, uint32_t type_mask, nw_event_cb cb)
{
	struct nw_engine *eng = self->eng;

	if (!cb)
		return -EINVAL;
	if (eng->n_subs >= NW_MAX_SUBSCRIBERS)
		return -ENOSPC;
	eng->subs[eng->n_subs++] = (struct nw_subscriber){.p = self, .mask = type_mask, .cb = cb};
	return 0;
}

static const struct nw_pkt_info *svc_pkt_info(const nw_packet *pkt)
{
	return &pkt->info;
}

static const struct nw_flow_info *svc_flow_info(const nw_flow *flow)
{
	return flow ? &flow->info : NULL;
}

static void *svc_flow_priv(nw_flow *flow, nw_plugin *self)
{
	if (!flow || !flow->priv || !self->desc->flow_priv_size)
		return NULL;
	return flow->priv + self->flow_off;
}

static void svc_flow_set_verdict(nw_flow *flow, int verdict)
{
	if (flow && verdict >= NW_CONTINUE && verdict < NW_VERDICT_MAX)
		flow->verdict = verdict;
}

static const struct nw_kwreserved *svc_kw_reserved(const struct nw_engine *eng, const char *name)
{
	for (unsigned i = 0; i < eng->n_kw_reserved; i++)
		if (!strcmp(eng->kw_reserved[i].name, name))
			return &eng->kw_reserved[i];
	return NULL;
}

static void svc_flow_set_app_proto(nw_flow *flow, const char *name)
{
	if (flow && name)
		nw_strlcpy(flow->app_proto, name, sizeof(flow->app_proto));
}

static void svc_flow_bypass_vote(nw_flow *flow, nw_plugin *self, int yes)
{
	uint32_t bit;

	if (!flow || !self || self->index >= 32)
		return;
	bit = 1u << self->index;
	if (yes)
		flow->bypass_votes |= bit;
	else
		flow->bypass_votes &= ~bit;
}

static int svc_event_wanted(const char *event_type)
{
	return nw_current_engine && event_type && nw_engine_eve_wants(nw_current_engine, event_type);
}

static int svc_keyword_register(nw_plugin *self, const struct nw_keyword *kw)
{
	struct nw_engine *eng = self->eng;
	const struct nw_kwreserved *res;
	struct nw_keyword copy;

	if (!kw || kw->size < NW_KEYWORD_SIZE_1_1 || !kw->name || !kw->name[0]) {
		nw_engine_plugin_error(self, "plugin '%s': keyword_register: a keyword needs size "
				       "(sizeof(struct nw_keyword)), a name and a match callback",
				       self->name);
		return -EINVAL;
	}
	/* an older plugin's keyword is shorter: the fields it lacks read as 0 */
	memset(&copy, 0, sizeof(copy));
	memcpy(&copy, kw, kw->size < sizeof(copy) ? kw->size : sizeof(copy));
	copy.size = sizeof(copy);
	if (!copy.match && !copy.match_priv) {
		nw_engine_plugin_error(self, "plugin '%s': keyword '%s' has no match callback",
				       self->name, copy.name);
		return -EINVAL;
	}
	res = svc_kw_reserved(eng, copy.name);
	if (res && res->p != self) {
		nw_engine_kw_shadow_error(self, copy.name, res->p);
		return -EEXIST;
	}
	for (unsigned i = 0; i < eng->n_keywords; i++) {
		const struct nw_plugin *owner = eng->keywords[i].p;
		if (strcmp(eng->keywords[i].kw.name, copy.name))
			continue;
		if (owner != self)
			nw_engine_plugin_error(self, "keyword '%s' of plugin '%s' is already "
					       "registered by plugin '%s' (rename one of them)",
					       copy.name, self->name, owner->name);
		return -EEXIST;
	}
	if (eng->n_keywords >= NW_MAX_KEYWORDS) {
		nw_engine_plugin_error(self, "plugin '%s': keyword '%s': more than %d plugin "
				       "keywords", self->name, copy.name, NW_MAX_KEYWORDS);
		return -ENOSPC;
	}
	eng->keywords[eng->n_keywords].p = self;
	eng->keywords[eng->n_keywords].kw = copy;
	eng->n_keywords++;
	return 0;
}

static int svc_keyword_reserve(nw_plugin *self, const char *name)
{
	struct nw_engine *eng = self->eng;

	if (!name || !name[0])
		return -EINVAL;
	/* a keyword registered earlier under this name is reported once every plugin is
	 * configured (engine_check_keywords), as the fault of the plugin that registered it */
	if (svc_kw_reserved(eng, name))
		return 0;
	if (eng->n_kw_reserved == eng->cap_kw_reserved) {
		unsigned cap = eng->cap_kw_reserved ? eng->cap_kw_reserved * 2 : 64;
		struct nw_kwreserved *n = realloc(eng->kw_reserved, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		eng->kw_reserved = n;
		eng->cap_kw_reserved = cap;
	}
	eng->kw_reserved[eng->n_kw_reserved++] = (struct nw_kwreserved){.p = self, .name = name};
	return 0;
}

static const struct nw_keyword *svc_keyword_find(const char *name, void **plugin_priv)
{
	struct nw_engine *eng = nw_current_engine;

	for (unsigned i = 0; eng && i < eng->n_keywords; i++) {
		if (!strcmp(eng->keywords[i].kw.name, name)) {
			if (plugin_priv)
				*plugin_priv = eng->keywords[i].p->priv;
			return &eng->keywords[i].kw;
		}
	}
	return NULL;
}

/* Wait until every worker has been seen outside a batch of packets (its epoch even) or moved on. */
static void svc_quiesce(void)
{
	struct nw_engine *eng = nw_current_engine;
	uint64_t seen[NW_MAX_WORKERS];

	if (!eng || eng->offline)
		return;
	for (unsigned i = 0; i < eng->n_workers; i++)
		seen[i] = atomic_load(&eng->workers[i]->epoch);
	for (unsigned i = 0; i < eng->n_workers; i++) {
		if (!(seen[i] & 1))
			continue;
		while (atomic_load(&eng->workers[i]->epoch) == seen[i])
			;
	}
}

static int svc_command_register(nw_plugin *self, const char *name, const char *help,
				nw_command_cb cb)
{
	struct nw_engine *eng = self->eng;

	if (!name || !cb || strlen(name) >= sizeof(eng->cmds[0].name))
		return -EINVAL;
	for (unsigned i = 0; i < eng->n_cmds; i++)
		if (!strcmp(eng->cmds[i].name, name))
			return -EEXIST;
	if (eng->n_cmds >= NW_MAX_COMMANDS)
		return -ENOSPC;
	struct nw_command *c = &eng->cmds[eng->n_cmds++];
	c->p = self;
	c->cb = cb;
	nw_strlcpy(c->name, name, sizeof(c->name));
	nw_strlcpy(c->help, help ? help : "", sizeof(c->help));
	return 0;
}

static const char *svc_plugin_name(const nw_plugin *self)
{
	return self->name;
}

static uint64_t svc_counter_get(nw_plugin *self, unsigned id)
{
	return nw_engine_counter_value(self->eng, self, id);
}

static const char *svc_state_dir(void)
{
	return nw_current_engine ? nw_current_engine->set.state_dir : NW_STATE_DIR;
}

static uint32_t svc_run_flags(void)
{
	const struct nw_engine *eng = nw_current_engine;

	if (!eng || !eng->offline)
		return NW_RUN_LIVE_STATE;
	return NW_RUN_OFFLINE | (eng->live_state ? NW_RUN_LIVE_STATE : 0);
}

static void *svc_event_base(nw_plugin *self)
{
	return self && self->eng && !nw_tls_worker ? self->eng->loop : NULL;
}

const struct nw_services nw_core_services = {
	.size = sizeof(struct nw_services),
	.abi_major = NW_ABI_MAJOR,
	.abi_minor = NW_ABI_MINOR,
	.log = svc_log,
	.log_ratelimited = svc_log_ratelimited,
	.conf_section = svc_conf_section,
	.conf_next = svc_conf_next,
	.conf_section_name = svc_conf_section_name,
	.conf_parse = nw_config_parse,
	.conf_kv = svc_conf_kv,
	.conf_error = svc_conf_error,
	.conf_path = svc_conf_path,
	.counter_register = svc_counter_register,
	.counter_add = svc_counter_add,
	.gauge_set = svc_gauge_set,
	.reason_register = svc_reason_register,
	.timer_add = svc_timer_add,
	.now_ns = svc_now_ns,
	.event_emit = svc_event_emit,
	.event_subscribe = svc_event_subscribe,
	.pkt_info = svc_pkt_info,
	.flow_info = svc_flow_info,
	.flow_priv = svc_flow_priv,
	.flow_set_verdict = svc_flow_set_verdict,
	.keyword_register = svc_keyword_register,
	.keyword_find = svc_keyword_find,
	.quiesce = svc_quiesce,
	.command_register = svc_command_register,
	.plugin_name = svc_plugin_name,
	.state_dir = svc_state_dir,
	.conf_parse2 = nw_config_parse2,
	.counter_get = svc_counter_get,
	.keyword_reserve = svc_keyword_reserve,
	.run_flags = svc_run_flags,
	/* ABI 1.2 */
	.watch_add = nw_watch_add,
	.watch_set = nw_watch_set,
	.watch_del = nw_watch_del,
	.event_base = svc_event_base,
	.flow_set_app_proto = svc_flow_set_app_proto,
	.event_wanted = svc_event_wanted,
	/* ABI 1.3 */
	.flow_bypass_vote = svc_flow_bypass_vote,
};
