/* example: the template plugin — counts packets, drops/rejects/bypasses configured ports, and
 * listens on a unix datagram socket in the main loop (a watch). */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <natwarden/plugin.h>

#define EX_MAX_PORTS 16

/* A list of destination ports, parsed from "22 80 8000". */
struct ex_ports {
	unsigned n;
	uint16_t port[EX_MAX_PORTS];
};

/* What [example] configures; workers read it through ex_priv.cur. */
struct ex_conf {
	struct ex_ports drop, reject, bypass; /* [example] drop_port / reject_port / bypass_port */
	int log_alerts;                        /* [example] log_alerts = yes: log alert events */
	uint64_t low_ttl;                      /* [example] low_ttl: example_low_ttl matches below */
	char listen[108];                      /* [example] listen = PATH: a unix datagram socket
						* (at start; a reload cannot change it) */
};

/* Instance state (the core allocates priv_size bytes, zeroed). */
struct ex_priv {
	nw_plugin *self;                       /* our handle, for services that need it */
	struct ex_conf conf[2];                /* the running configuration and the spare slot */
	const struct ex_conf *_Atomic cur;     /* the running one: swapped on reload */
	unsigned c_packets, c_dropped, c_alerts_seen, c_messages; /* counter ids */
	unsigned r_port;                       /* verdict reason id "port" */
	int sock;                              /* the `listen` socket, -1 if none */
	nw_watch *watch;                       /* waits for it to be readable (main loop) */
};

static const struct nw_services *svc;

static int ex_parse_ports(void *target, const char *value, char *err, size_t errlen)
{
	struct ex_ports *p = target;
	char buf[256], *save = NULL;

	p->n = 0;
	snprintf(buf, sizeof(buf), "%s", value);
	for (char *t = strtok_r(buf, " ,", &save); t; t = strtok_r(NULL, " ,", &save)) {
		char *end;
		unsigned long v = strtoul(t, &end, 10);
		if (*end || v == 0 || v > 65535) {
			snprintf(err, errlen, "'%s' is not a port (1-65535)", t);
			return -EINVAL;
		}
		if (p->n == EX_MAX_PORTS) {
			snprintf(err, errlen, "at most %d ports", EX_MAX_PORTS);
			return -EINVAL;
		}
		p->port[p->n++] = (uint16_t)v;
	}
	return 0;
}

/* Directives, nginx style: name, type, offset of the field; CUSTOM parsers get that field.
 * struct nw_directive2 (ABI 1.2) adds bounds: low_ttl outside 1-255 is a config error. */
static const struct nw_directive2 ex_directives[] = {
	{"drop_port", NW_CONF_CUSTOM, offsetof(struct ex_conf, drop), 0, NULL, ex_parse_ports,
	 "destination ports to drop", 0, 0},
	{"reject_port", NW_CONF_CUSTOM, offsetof(struct ex_conf, reject), 0, NULL, ex_parse_ports,
	 "destination ports to reject", 0, 0},
	{"bypass_port", NW_CONF_CUSTOM, offsetof(struct ex_conf, bypass), 0, NULL, ex_parse_ports,
	 "destination ports to bypass", 0, 0},
	{"log_alerts", NW_CONF_BOOL, offsetof(struct ex_conf, log_alerts), 0, "no", NULL,
	 "log every alert event", 0, 0},
	{"low_ttl", NW_CONF_UINT, offsetof(struct ex_conf, low_ttl), 0, "5", NULL,
	 "example_low_ttl matches a TTL below this", 1, 255},
	{"listen", NW_CONF_STRING, offsetof(struct ex_conf, listen),
	 sizeof(((struct ex_conf *)0)->listen), NULL, NULL,
	 "unix datagram socket: each message becomes an 'example' event (live only)", 0, 0},
	{NULL, NW_CONF_END, 0, 0, NULL, NULL, NULL, 0, 0},
};

static int ex_has(const struct ex_ports *p, uint16_t port)
{
	for (unsigned i = 0; i < p->n; i++)
		if (p->port[i] == port)
			return 1;
	return 0;
}

/* Rule keywords `example_dport_even;` and `example_low_ttl;` (no argument). */
static int ex_kw_parse(void *plugin_priv, const char *arg, void **ctx, char *err, size_t errlen)
{
	(void)plugin_priv;
	if (arg && *arg) {
		snprintf(err, errlen, "takes no argument");
		return -EINVAL;
	}
	*ctx = NULL;
	return 0;
}

/* Worker: the destination port is even. */
static int ex_kw_dport_even(const void *ctx, const nw_packet *pkt, nw_flow *flow,
			    const uint8_t *buf, size_t len)
{
	(void)ctx, (void)flow, (void)buf, (void)len;
	const struct nw_pkt_info *pi = svc->pkt_info(pkt);
	return (pi->flags & NW_PKT_L4) && pi->dport % 2 == 0;
}

/* Worker: the TTL is below [example] low_ttl; match_priv gets our priv to read it. */
static int ex_kw_low_ttl(void *priv, const void *ctx, const nw_packet *pkt, nw_flow *flow,
			 const uint8_t *buf, size_t len)
{
	const struct ex_priv *ex = priv;
	const struct ex_conf *c = atomic_load_explicit(&ex->cur, memory_order_acquire);

	(void)ctx, (void)flow, (void)buf, (void)len;
	return svc->pkt_info(pkt)->ttl < c->low_ttl;
}

static void ex_kw_free(void *ctx)
{
	(void)ctx;
}

/* NW_KW_PACKET: both test the header, so a rule runs them on packets without payload too
 * (a SYN); without the flag a keyword is only reached when there is a payload to inspect. */
static const struct nw_keyword ex_keywords[] = {
	{
		.size = sizeof(struct nw_keyword),
		.name = "example_dport_even",
		.description = "matches when the destination port is even (example plugin)",
		.parse = ex_kw_parse,
		.match = ex_kw_dport_even,
		.free = ex_kw_free,
		.flags = NW_KW_PACKET,
	},
	{
		.size = sizeof(struct nw_keyword),
		.name = "example_low_ttl",
		.description = "matches when the TTL is below [example] low_ttl (example plugin)",
		.parse = ex_kw_parse,
		.free = ex_kw_free,
		.flags = NW_KW_PACKET,
		.match_priv = ex_kw_low_ttl,
	},
};

/* Event subscriber (main thread): count alerts other plugins raised. */
static void ex_on_alert(void *priv, const struct nw_event *ev)
{
	struct ex_priv *ex = priv;

	svc->counter_add(ex->self, NULL, ex->c_alerts_seen, 1);
	if (atomic_load_explicit(&ex->cur, memory_order_relaxed)->log_alerts)
		svc->log(ex->self, NW_LOG_INFO, "alert sid %u: %.*s", ev->sid, (int)sizeof(ev->msg),
			 ev->msg);
}

/* Control command (main thread): our counters, read back summed over the workers. */
static int ex_cmd(void *priv, int argc, const char *const *argv, int json, char *out,
		  size_t outlen)
{
	struct ex_priv *ex = priv;
	unsigned long long packets = svc->counter_get(ex->self, ex->c_packets);
	unsigned long long dropped = svc->counter_get(ex->self, ex->c_dropped);
	unsigned long long alerts = svc->counter_get(ex->self, ex->c_alerts_seen);
	unsigned long long messages = svc->counter_get(ex->self, ex->c_messages);

	(void)argc, (void)argv;
	if (json)
		snprintf(out, outlen,
			 "{\"packets\":%llu,\"dropped\":%llu,\"alerts_seen\":%llu,\"messages\":%llu}",
			 packets, dropped, alerts, messages);
	else
		snprintf(out, outlen,
			 "example: %llu packets, %llu dropped, %llu alerts seen, %llu messages received\n",
			 packets, dropped, alerts, messages);
	return 0;
}

static int ex_configure(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	struct ex_priv *ex = priv;
	int r = NW_CONF_PARSE2(svc, cfg, sec, ex_directives, &ex->conf[0]);

	ex->self = self;
	ex->sock = -1;
	atomic_store_explicit(&ex->cur, &ex->conf[0], memory_order_release);
	if (r)
		return r;
	if (svc->counter_register(self, "packets", "packets seen", &ex->c_packets) ||
	    svc->counter_register(self, "dropped", "packets dropped by port", &ex->c_dropped) ||
	    svc->counter_register(self, "alerts_seen", "alert events seen", &ex->c_alerts_seen) ||
	    svc->counter_register(self, "messages", "datagrams received on `listen`",
				  &ex->c_messages) ||
	    svc->reason_register(self, "port", &ex->r_port) ||
	    svc->event_subscribe(self, NW_EV_MASK(NW_EV_ALERT), ex_on_alert) ||
	    svc->command_register(self, "example", "example plugin status", ex_cmd))
		return -ENOSPC;
	/* a refused keyword (its name taken) is reported by the core with both plugins' names */
	for (size_t i = 0; i < sizeof(ex_keywords) / sizeof(ex_keywords[0]); i++)
		if ((r = svc->keyword_register(self, &ex_keywords[i])) < 0)
			return r;
	return 0;
}

/* Worker: the per-packet hook. No allocation, no syscalls, no logging without a rate limit. */
static int ex_packet(void *priv, void *wpriv, nw_packet *pkt, nw_flow *flow)
{
	struct ex_priv *ex = priv;
	const struct nw_pkt_info *pi = svc->pkt_info(pkt);
	const struct ex_conf *c = atomic_load_explicit(&ex->cur, memory_order_acquire);

	(void)wpriv, (void)flow;
	svc->counter_add(ex->self, pkt, ex->c_packets, 1);
	if (!(pi->flags & NW_PKT_L4) || (pi->ip_proto != 6 && pi->ip_proto != 17))
		return NW_CONTINUE;
	if (ex_has(&c->drop, pi->dport)) {
		svc->counter_add(ex->self, pkt, ex->c_dropped, 1);
		return NW_RESULT(NW_DROP, ex->r_port);
	}
	if (ex_has(&c->reject, pi->dport))
		return NW_RESULT(NW_REJECT, ex->r_port);
	if (ex_has(&c->bypass, pi->dport))
		return NW_RESULT(NW_BYPASS, ex->r_port);
	return NW_CONTINUE;
}

/* Main thread, reload step 1: parse [example] into the spare slot, which no worker reads.
 * On error the running slot stays and nothing changed. */
static int ex_reload(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	struct ex_priv *ex = priv;
	const struct ex_conf *old = atomic_load_explicit(&ex->cur, memory_order_relaxed);
	struct ex_conf *next = old == &ex->conf[0] ? &ex->conf[1] : &ex->conf[0];

	(void)self;
	memset(next, 0, sizeof(*next));
	if (NW_CONF_PARSE2(svc, cfg, sec, ex_directives, next))
		return -EINVAL;
	if (strcmp(next->listen, old->listen))
		return svc->conf_error(cfg, sec, 0, "listen cannot change on reload (restart)");
	return 0;
}

/* Main thread, reload step 2 (only after step 1 succeeded): when every plugin took the file,
 * switch to the spare slot and wait until no worker still reads the old one (it becomes the
 * spare). Otherwise leave the running slot; the spare is simply overwritten next time. */
static void ex_reload_finish(nw_plugin *self, void *priv, int apply)
{
	struct ex_priv *ex = priv;
	const struct ex_conf *old = atomic_load_explicit(&ex->cur, memory_order_relaxed);

	(void)self;
	if (!apply)
		return;
	atomic_store_explicit(&ex->cur, old == &ex->conf[0] ? &ex->conf[1] : &ex->conf[0],
			      memory_order_release);
	svc->quiesce();
}

/* Watch callback (main thread): the socket is readable. Take what is waiting (at most a few
 * messages per call, so one busy sender cannot hold the main loop: the watch is level-
 * triggered and calls again) and turn each message into an 'example' event. */
static void ex_on_readable(void *priv, nw_watch *w, int fd, unsigned what, void *arg)
{
	struct ex_priv *ex = priv;
	char buf[512];

	(void)w, (void)what, (void)arg;
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		struct nw_event ev;
		if (n < 0)
			return; /* EAGAIN: nothing more for now */
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			n--;
		buf[n] = '\0';
		svc->counter_add(ex->self, NULL, ex->c_messages, 1);
		memset(&ev, 0, sizeof(ev));
		ev.size = sizeof(ev);
		ev.type = NW_EV_CUSTOM;
		snprintf(ev.name, sizeof(ev.name), "example");
		ev.n_kv = 1;
		snprintf(ev.kv[0].key, sizeof(ev.kv[0].key), "message");
		snprintf(ev.kv[0].val, sizeof(ev.kv[0].val), "%s", buf); /* EVE escapes it */
		svc->event_emit(ex->self, NULL, &ev);
	}
}

/* Main thread: open `listen` and wait for it in the main loop. Offline there is no loop: the
 * option is skipped with a notice (a plugin whose job needs the loop would refuse instead). */
static int ex_start(nw_plugin *self, void *priv)
{
	struct ex_priv *ex = priv;
	const struct ex_conf *c = atomic_load_explicit(&ex->cur, memory_order_relaxed);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int r;

	if (!c->listen[0])
		return 0;
	if (!svc->event_base(self)) {
		svc->log(self, NW_LOG_NOTICE, "listen = %s: not used offline (no main loop)",
			 c->listen);
		return 0;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->listen);
	ex->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ex->sock < 0)
		return -errno;
	unlink(sa.sun_path); /* a socket file left by an earlier run */
	if (bind(ex->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		svc->log(self, NW_LOG_ERR, "listen = %s: %s", c->listen, strerror(errno));
		goto close_sock;
	}
	if ((r = svc->watch_add(self, ex->sock, ex_on_readable, NULL, &ex->watch)) < 0)
		goto unlink_path;
	if ((r = svc->watch_set(ex->watch, NW_WATCH_READ, 0)) < 0)
		goto del_watch;
	svc->log(self, NW_LOG_INFO, "listening on %s", c->listen);
	return 0;
del_watch:
	svc->watch_del(ex->watch);
	ex->watch = NULL;
unlink_path:
	unlink(sa.sun_path);
close_sock:
	close(ex->sock);
	ex->sock = -1;
	return r;
}

/* Main thread: the watch goes before its fd is closed. */
static void ex_stop(nw_plugin *self, void *priv)
{
	struct ex_priv *ex = priv;

	(void)self;
	if (!ex->watch) /* never started (its state is still all zero) or not listening */
		return;
	svc->watch_del(ex->watch);
	ex->watch = NULL;
	close(ex->sock);
	ex->sock = -1;
	unlink(atomic_load_explicit(&ex->cur, memory_order_relaxed)->listen);
}

NW_PLUGIN_EXPORT const struct nw_plugin_desc nw_plugin_descriptor = {
	NW_DESC_HEADER,
	.name = "example",
	.version = "1.1",
	.description = "counts packets; drops, rejects or bypasses configured ports",
	.priv_size = sizeof(struct ex_priv),
	.services = &svc,
	.configure = ex_configure,
	.start = ex_start,
	.packet = ex_packet,
	.reload = ex_reload,
	.reload_finish = ex_reload_finish,
	.stop = ex_stop,
};
