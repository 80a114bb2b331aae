/* Prometheus metrics: renders the engine's counters as text exposition and serves GET /metrics. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include "nw_build.h"
#include "decode.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

#define MX_BUF_START (64u * 1024)
#define MX_BUF_MAX (16u * 1024 * 1024)
#define MX_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct nw_metrics {
	struct nw_engine *eng;          /* rendered on each scrape */
	struct evhttp *http;            /* the server on the caller's event_base */
	struct evhttp_bound_socket *sock;
	uint16_t port;                  /* bound port */
	size_t last_len;                /* size of the last rendering (next buffer guess) */
};

/* Bounded text writer: remembers overflow instead of failing each call. */
struct mx_out {
	char *buf;
	size_t len, pos;
	int full;
};

static const char *const mx_ev_names[NW_EV_MAX] = {
	NULL, "alert", "offense", "ban", "ratelimit", "custom"};

static void mx_printf(struct mx_out *o, const char *fmt, ...) NW_PRINTF(2, 3);

static void mx_printf(struct mx_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->pos) {
		o->full = 1;
		return;
	}
	o->pos += (size_t)n;
}

/* A label value escaped per the exposition format: backslash, double quote and newline. */
static void mx_label(struct mx_out *o, const char *s)
{
	for (; *s && !o->full; s++) {
		if (*s == '\\')
			mx_printf(o, "\\\\");
		else if (*s == '"')
			mx_printf(o, "\\\"");
		else if (*s == '\n')
			mx_printf(o, "\\n");
		else if (o->pos + 1 < o->len)
			o->buf[o->pos++] = *s;
		else
			o->full = 1;
	}
	if (!o->full)
		o->buf[o->pos] = '\0';
}

static void mx_head(struct mx_out *o, const char *name, const char *type, const char *help)
{
	mx_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void mx_u64(struct mx_out *o, const char *name, uint64_t v)
{
	mx_printf(o, "%s %llu\n", name, (unsigned long long)v);
}

static void mx_single(struct mx_out *o, const char *name, const char *type, const char *help,
		      uint64_t v)
{
	mx_head(o, name, type, help);
	mx_u64(o, name, v);
}

/* One sample with a single label. */
static void mx_u64_l1(struct mx_out *o, const char *name, const char *k, const char *v,
		      uint64_t val)
{
	mx_printf(o, "%s{%s=\"", name, k);
	mx_label(o, v);
	mx_printf(o, "\"} %llu\n", (unsigned long long)val);
}

static void mx_render_core(struct mx_out *o, const struct nw_engine *eng,
			   const struct nw_wcounters *c)
{
	uint64_t now = nw_time_mono_ns();
	double up = now > eng->start_mono_ns ? (double)(now - eng->start_mono_ns) / 1e9 : 0.0;

	mx_head(o, "natwarden_build_info", "gauge", "Version and plugin ABI of this natwarden.");
	mx_printf(o, "natwarden_build_info{version=\"");
	mx_label(o, PACKAGE_VERSION);
	mx_printf(o, "\",abi=\"%d.%d\"} 1\n", NW_ABI_MAJOR, NW_ABI_MINOR);
	mx_head(o, "natwarden_uptime_seconds", "gauge", "Seconds since the engine was created.");
	mx_printf(o, "natwarden_uptime_seconds %.3f\n", up);
	mx_single(o, "natwarden_workers", "gauge", "Worker threads (one per queue).",
		  eng->n_workers);
	mx_single(o, "natwarden_plugins", "gauge", "Plugins in the chain.", eng->n_plugins);

	mx_single(o, "natwarden_packets_total", "counter", "Packets judged.", c->packets);
	mx_single(o, "natwarden_bytes_total", "counter", "Bytes of the packets judged.", c->bytes);
	mx_head(o, "natwarden_verdicts_total", "counter", "Final verdicts by kind.");
	for (int v = NW_ACCEPT; v < NW_VERDICT_MAX; v++)
		mx_u64_l1(o, "natwarden_verdicts_total", "verdict", nw_verdict_name(v),
			  c->verdicts[v]);
	mx_head(o, "natwarden_worker_packets_total", "counter", "Packets judged per worker.");
	for (unsigned i = 0; i < eng->n_workers; i++) {
		const struct nw_worker *w = eng->workers[i];
		mx_printf(o, "natwarden_worker_packets_total{worker=\"%u\"} %llu\n", w->id,
			  (unsigned long long)__atomic_load_n(&w->ctr.packets, __ATOMIC_RELAXED));
	}
	mx_single(o, "natwarden_flow_verdict_hits_total", "counter",
		  "Packets judged by a flow's sticky verdict without the chain.",
		  c->flow_verdict_hits);
	mx_single(o, "natwarden_flows_bypassed_total", "counter",
		  "Flows given the bypass verdict (the kernel carries the rest).", c->flows_bypassed);
	mx_single(o, "natwarden_bypass_late_packets_total", "counter",
		  "Packets of bypassed flows that still reached natwarden (queued before the bypass).",
		  c->bypass_late);
	mx_single(o, "natwarden_alerts_total", "counter", "Alert events written.", eng->alerts);

	mx_head(o, "natwarden_decode_errors_total", "counter", "Malformed packets by reason.");
	for (int e = 1; e < NW_DEC_MAX; e++)
		if (e != NW_DEC_LINK_UNKNOWN)
			mx_u64_l1(o, "natwarden_decode_errors_total", "reason",
				  nw_decode_err_name(e), c->decode_err[e]);
	mx_single(o, "natwarden_non_ip_total", "counter",
		  "Frames that carry no IP (not counted as errors).",
		  c->decode_err[NW_DEC_LINK_UNKNOWN]);

	mx_head(o, "natwarden_events_total", "counter", "Events delivered by type.");
	for (int t = 1; t < NW_EV_MAX; t++)
		mx_u64_l1(o, "natwarden_events_total", "type", mx_ev_names[t],
			  eng->events_by_type[t]);
	mx_single(o, "natwarden_events_dropped_total", "counter",
		  "Events lost because a worker's event queue was full.", c->events_dropped);
	mx_single(o, "natwarden_eve_written_total", "counter", "EVE JSON lines written.",
		  eng->eve_written);
	mx_single(o, "natwarden_eve_errors_total", "counter", "EVE JSON lines that failed to write.",
		  eng->eve_errors);

	mx_single(o, "natwarden_flows_created_total", "counter", "Flows created.",
		  c->flows.created);
	mx_single(o, "natwarden_flows_evicted_total", "counter",
		  "Flows evicted because the table was full.", c->flows.evicted);
	mx_single(o, "natwarden_flows_timedout_total", "counter", "Flows ended by idle timeout.",
		  c->flows.timedout);

	mx_single(o, "natwarden_enobufs_total", "counter",
		  "Netlink receive overruns (ENOBUFS): packets the kernel could not queue to us.",
		  c->enobufs);
	mx_single(o, "natwarden_fail_open_total", "counter",
		  "Packets the kernel let through uninspected because a queue was full.",
		  c->fail_open);
	mx_single(o, "natwarden_recv_errors_total", "counter", "Queue receive errors.",
		  c->recv_errors);
	mx_single(o, "natwarden_verdict_errors_total", "counter",
		  "Verdict sends that failed after their retries, and verdicts the kernel refused.",
		  c->verdict_errors);
	mx_single(o, "natwarden_verdict_retries_total", "counter",
		  "Verdict sends repeated at once after a transient error.", c->verdict_retries);
	mx_single(o, "natwarden_verdict_fallbacks_total", "counter",
		  "Failed verdict sends that switched a queue to per-packet verdicts until the held "
		  "verdicts were delivered.", c->verdict_fallbacks);
	mx_single(o, "natwarden_verdicts_resent_total", "counter",
		  "Verdicts held when a send failed, delivered by a later send.", c->verdicts_resent);
}

static void mx_render_plugins(struct mx_out *o, const struct nw_engine *eng,
			      const struct nw_wcounters *c)
{
	mx_head(o, "natwarden_plugin_verdicts_total", "counter",
		"Verdicts each plugin decided, by verdict and reason.");
	for (unsigned i = 0; i < eng->n_plugins && i < NW_MAX_PLUGINS; i++) {
		const struct nw_plugin *p = eng->plugins[i];
		unsigned nr = p->n_reasons ? p->n_reasons : 1;

		for (int v = NW_ACCEPT; v < NW_VERDICT_MAX; v++)
			for (unsigned r = 0; r < nr && r < NW_MAX_REASONS; r++) {
				mx_printf(o, "natwarden_plugin_verdicts_total{plugin=\"");
				mx_label(o, p->name);
				mx_printf(o, "\",verdict=\"%s\",reason=\"", nw_verdict_name(v));
				mx_label(o, p->n_reasons ? p->reason_name[r] : "default");
				mx_printf(o, "\"} %llu\n",
					  (unsigned long long)c->plugin_verdicts[i][v][r]);
			}
	}
	/* one metric family has one type: counters and gauges go to two families */
	for (int gauge = 0; gauge <= 1; gauge++) {
		const char *name = gauge ? "natwarden_plugin_gauge" : "natwarden_plugin_counter_total";

		mx_head(o, name, gauge ? "gauge" : "counter",
			gauge ? "Plugin gauges (svc->gauge_set)." :
				"Plugin counters (svc->counter_register).");
		for (unsigned i = 0; i < eng->n_plugins && i < NW_MAX_PLUGINS; i++) {
			const struct nw_plugin *p = eng->plugins[i];

			for (unsigned k = 0; k < p->n_counters && k < NW_MAX_COUNTERS; k++) {
				uint64_t val;

				if (!!p->counter_gauge[k] != gauge)
					continue;
				val = gauge ? atomic_load_explicit(&((struct nw_plugin *)p)->gauge[k],
								  memory_order_relaxed) :
					      c->plugin_ctr[i][k];
				mx_printf(o, "%s{plugin=\"", name);
				mx_label(o, p->name);
				mx_printf(o, "\",name=\"");
				mx_label(o, p->counter_name[k]);
				mx_printf(o, "\"} %llu\n", (unsigned long long)val);
			}
		}
	}
}

int nw_metrics_render(const struct nw_engine *eng, char *buf, size_t len)
{
	struct mx_out o = {.buf = buf, .len = len};
	struct nw_wcounters *c;

	if (!buf || !len || len > (size_t)INT32_MAX)
		return -EINVAL;
	buf[0] = '\0';
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	nw_engine_sum_counters(eng, c);
	mx_render_core(&o, eng, c);
	mx_render_plugins(&o, eng, c);
	free(c);
	return o.full ? -ENOSPC : (int)o.pos;
}

int nw_metrics_parse_addr(const char *addr, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon, *h = "127.0.0.1", *p;
	size_t hl = strlen(h);
	unsigned long v;
	char *end;
	unsigned char tmp[16];
	char hbuf[64];

	if (!addr || !*addr)
		return -EINVAL;
	if (addr[0] == '[') {
		const char *rb = strchr(addr, ']');
		if (!rb || rb[1] != ':')
			return -EINVAL;
		h = addr + 1;
		hl = (size_t)(rb - h);
		p = rb + 2;
	} else if ((colon = strrchr(addr, ':'))) {
		if (strchr(addr, ':') != colon)
			return -EINVAL; /* bare IPv6 needs brackets */
		if (colon != addr) {
			h = addr;
			hl = (size_t)(colon - addr);
		}
		p = colon + 1;
	} else {
		p = addr;
	}
	if (hl == 0 || hl >= sizeof(hbuf) || hl >= hostlen)
		return -EINVAL;
	memcpy(hbuf, h, hl);
	hbuf[hl] = '\0';
	if (inet_pton(AF_INET, hbuf, tmp) != 1 && inet_pton(AF_INET6, hbuf, tmp) != 1)
		return -EINVAL; /* numeric only: no resolver at startup */
	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	memcpy(host, hbuf, hl + 1);
	*port = (uint16_t)v;
	return 0;
}

static void mx_on_request(struct evhttp_request *req, void *arg)
{
	struct nw_metrics *m = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	struct evbuffer *body;
	size_t size;
	char *buf = NULL;
	int n = -ENOSPC;

	if (!path || strcmp(path, "/metrics")) {
		evhttp_send_error(req, HTTP_NOTFOUND, "Not Found");
		return;
	}
	if (!(evhttp_request_get_command(req) & (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD))) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		evhttp_send_error(req, 405, "Method Not Allowed");
		return;
	}
	size = m->last_len + m->last_len / 4 + 4096;
	if (size < MX_BUF_START)
		size = MX_BUF_START;
	while (n == -ENOSPC && size <= MX_BUF_MAX) {
		free(buf);
		buf = malloc(size);
		if (!buf)
			break;
		n = nw_metrics_render(m->eng, buf, size);
		size *= 2;
	}
	body = evbuffer_new();
	if (n < 0 || !body || evbuffer_add(body, buf, (size_t)n)) {
		nw_log(NW_LOG_WARNING, "metrics: cannot render: %s", strerror(n < 0 ? -n : ENOMEM));
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		goto out;
	}
	m->last_len = (size_t)n;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", MX_CONTENT_TYPE);
	evhttp_send_reply(req, HTTP_OK, "OK", body);
out:
	if (body)
		evbuffer_free(body);
	free(buf);
}

int nw_metrics_start(struct nw_engine *eng, struct event_base *base, const char *listen_addr,
		     struct nw_metrics **out)
{
	struct nw_metrics *m;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[64];
	uint16_t port;
	int r;

	*out = NULL;
	if (!listen_addr)
		listen_addr = NW_METRICS_DEFAULT_ADDR;
	if (!eng || !base || nw_metrics_parse_addr(listen_addr, host, sizeof(host), &port))
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->eng = eng;
	m->http = evhttp_new(base);
	if (!m->http) {
		r = -ENOMEM;
		goto fail;
	}
	evhttp_set_max_headers_size(m->http, 8192);
	evhttp_set_max_body_size(m->http, 0);
	evhttp_set_timeout(m->http, 10);
	evhttp_set_gencb(m->http, mx_on_request, m);
	errno = 0;
	m->sock = evhttp_bind_socket_with_handle(m->http, host, port);
	if (!m->sock) {
		r = errno ? -errno : -EADDRNOTAVAIL;
		goto fail;
	}
	if (getsockname(evhttp_bound_socket_get_fd(m->sock), (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			m->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			m->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	*out = m;
	return 0;
fail:
	if (m->http)
		evhttp_free(m->http);
	free(m);
	return r;
}

uint16_t nw_metrics_port(const struct nw_metrics *m)
{
	return m ? m->port : 0;
}

void nw_metrics_stop(struct nw_metrics *m)
{
	if (!m)
		return;
	evhttp_free(m->http);
	free(m);
}
