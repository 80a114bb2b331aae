/* Unit tests: Prometheus exposition (names, labels, escaping, values) and the /metrics server. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include "nw_build.h"
#include "engine.h"
#include "metrics.h"
#include "pktbuild.h"
#include "plugin_loader.h"

static const struct nw_services *svc_t;
static unsigned reason_ssh, ctr_hits, gauge_size;
static nw_plugin *self_t;

/* Plugin "t": counts packets, drops port 22 with an awkwardly named reason, accepts the rest. */
static int t_configure(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	(void)priv, (void)cfg, (void)sec;
	self_t = self;
	if (svc_t->reason_register(self, "ssh \"brute\"\\x", &reason_ssh) ||
	    svc_t->counter_register(self, "hits", "packets seen", &ctr_hits) ||
	    svc_t->counter_register(self, "table\nsize", "entries", &gauge_size))
		return -EINVAL;
	svc_t->gauge_set(self, gauge_size, 42);
	return 0;
}

static int t_packet(void *priv, void *wpriv, nw_packet *pkt, nw_flow *flow)
{
	const struct nw_pkt_info *pi = svc_t->pkt_info(pkt);

	(void)priv, (void)wpriv, (void)flow;
	svc_t->counter_add(self_t, pkt, ctr_hits, 1);
	return pi->dport == 22 ? NW_RESULT(NW_DROP, reason_ssh) : NW_ACCEPT;
}

static const struct nw_plugin_desc desc_t = {
	NW_DESC_HEADER, .name = "t", .services = &svc_t, .configure = t_configure,
	.packet = t_packet};

struct fixture {
	struct nw_config *cfg;
	struct nw_engine *eng;
	struct nw_plugin *p;
};

static void process(struct nw_engine *eng, uint16_t dport, uint16_t sport)
{
	uint8_t buf[128];
	struct nw_pkt_meta meta = {.ts_ns = 1000, .ct_state = -1};
	uint32_t n = pkt_build4(buf, 6, "198.51.100.10", "172.31.19.240", sport, dport, NW_TCP_SYN,
				NULL);

	nw_engine_process(eng->workers[0], buf, n, &meta);
	nw_engine_drain_events(eng);
}

/* An engine with plugin t that has judged 3 good packets, 2 to port 22 and 1 malformed one. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];
	uint8_t bad[20] = {0x46};
	struct nw_pkt_meta meta = {.ts_ns = 2000, .ct_state = -1};

	assert_non_null(f);
	assert_int_equal(nw_config_load_string("m.conf", "[natwarden]\nflow_max = 64\n", &f->cfg),
			 0);
	assert_int_equal(nw_engine_new(f->cfg, 1, &f->eng), 0);
	assert_int_equal(nw_plugin_from_desc(&desc_t, &f->p, err, sizeof(err)), 0);
	assert_int_equal(nw_engine_add_plugin(f->eng, f->p), 0);
	assert_int_equal(nw_engine_configure_all(f->eng), 0);
	assert_int_equal(nw_engine_start(f->eng, 1), 0);
	assert_int_equal(nw_worker_thread_start(f->eng->workers[0]), 0);
	process(f->eng, 80, 1000);
	process(f->eng, 80, 1001);
	process(f->eng, 443, 1002);
	process(f->eng, 22, 1003);
	process(f->eng, 22, 1004);
	nw_engine_process(f->eng->workers[0], bad, sizeof(bad), &meta);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nw_worker_thread_stop(f->eng->workers[0]);
	nw_engine_destroy(f->eng);
	nw_config_free(f->cfg);
	free(f);
	return 0;
}

/* ---- a strict reader of the exposition format ---- */

struct sample {
	char series[512]; /* name{labels} exactly as written */
	double value;
};

struct parsed {
	struct sample s[512];
	unsigned n;
	char typed[64][64]; /* families with a TYPE line */
	unsigned n_typed;
};

static int is_name_char(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

/* One "name{k="v",...} value" line; fails the test on any syntax error. */
static void parse_sample(struct parsed *p, const char *line)
{
	const char *c = line, *series_end;
	char *end;
	struct sample *s;

	assert_true(is_name_char(*c, 1));
	while (is_name_char(*c, 0))
		c++;
	if (*c == '{') {
		c++;
		while (*c != '}') {
			assert_true(is_name_char(*c, 1));
			while (is_name_char(*c, 0))
				c++;
			assert_int_equal(*c++, '=');
			assert_int_equal(*c++, '"');
			while (*c != '"') {
				assert_true(*c != '\0' && *c != '\n');
				if (*c == '\\') {
					c++;
					assert_true(*c == '\\' || *c == '"' || *c == 'n');
				}
				c++;
			}
			c++;
			if (*c == ',')
				c++;
			else
				assert_int_equal(*c, '}');
		}
		c++;
	}
	series_end = c;
	assert_int_equal(*c++, ' ');
	assert_true(p->n < sizeof(p->s) / sizeof(p->s[0]));
	s = &p->s[p->n++];
	assert_true((size_t)(series_end - line) < sizeof(s->series));
	memcpy(s->series, line, (size_t)(series_end - line));
	s->series[series_end - line] = '\0';
	s->value = strtod(c, &end);
	assert_true(end != c);
	assert_int_equal(*end, '\0');
	/* its family was declared before it */
	size_t nl = strcspn(s->series, "{");
	int found = 0;
	for (unsigned i = 0; i < p->n_typed; i++)
		found |= strlen(p->typed[i]) == nl && !strncmp(p->typed[i], s->series, nl);
	assert_true(found);
}

static void parse_text(struct parsed *p, char *text)
{
	char *save = NULL;

	memset(p, 0, sizeof(*p));
	assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64], type[16];
		if (!strncmp(line, "# HELP ", 7))
			continue;
		if (!strncmp(line, "# TYPE ", 7)) {
			assert_int_equal(sscanf(line, "# TYPE %63s %15s", name, type), 2);
			assert_true(!strcmp(type, "counter") || !strcmp(type, "gauge"));
			for (unsigned i = 0; i < p->n_typed; i++)
				assert_string_not_equal(p->typed[i], name); /* one TYPE per family */
			assert_true(p->n_typed < 64);
			strcpy(p->typed[p->n_typed++], name);
			continue;
		}
		assert_true(line[0] != '#');
		parse_sample(p, line);
	}
}

static double value_of(const struct parsed *p, const char *series)
{
	for (unsigned i = 0; i < p->n; i++)
		if (!strcmp(p->s[i].series, series))
			return p->s[i].value;
	fail_msg("no sample %s", series);
	return -1;
}

static void test_render(void **state)
{
	struct fixture *f = *state;
	static char buf[256 * 1024];
	static struct parsed p;
	int n = nw_metrics_render(f->eng, buf, sizeof(buf));

	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	parse_text(&p, buf);

	assert_true(value_of(&p, "natwarden_packets_total") == 6);
	assert_true(value_of(&p, "natwarden_bytes_total") == 5 * 40 + 20);
	assert_true(value_of(&p, "natwarden_verdicts_total{verdict=\"accept\"}") == 3);
	assert_true(value_of(&p, "natwarden_verdicts_total{verdict=\"drop\"}") == 3);
	assert_true(value_of(&p, "natwarden_verdicts_total{verdict=\"reject\"}") == 0);
	assert_true(value_of(&p, "natwarden_verdicts_total{verdict=\"bypass\"}") == 0);
	assert_true(value_of(&p, "natwarden_worker_packets_total{worker=\"0\"}") == 6);
	assert_true(value_of(&p, "natwarden_decode_errors_total{reason=\"ipv4_hlen\"}") == 1);
	assert_true(value_of(&p, "natwarden_flows_created_total") == 5);
	/* label values escaped: backslash, quote, newline */
	assert_true(value_of(&p, "natwarden_plugin_verdicts_total{plugin=\"t\",verdict=\"drop\","
				 "reason=\"ssh \\\"brute\\\"\\\\x\"}") == 2);
	/* the malformed packet's addresses were read: it ran the chain (t accepted it), then got
	 * the malformed verdict */
	assert_true(value_of(&p, "natwarden_plugin_verdicts_total{plugin=\"t\",verdict=\"accept\","
				 "reason=\"default\"}") == 4);
	assert_true(value_of(&p, "natwarden_plugin_counter_total{plugin=\"t\",name=\"hits\"}") ==
		    6);
	assert_true(value_of(&p, "natwarden_plugin_gauge{plugin=\"t\",name=\"table\\nsize\"}") ==
		    42);
	assert_true(value_of(&p, "natwarden_events_total{type=\"alert\"}") == 0);
	assert_true(value_of(&p, "natwarden_events_dropped_total") == 0);
	assert_true(value_of(&p, "natwarden_enobufs_total") == 0);
	assert_true(value_of(&p, "natwarden_fail_open_total") == 0);
	assert_true(value_of(&p, "natwarden_verdict_retries_total") == 0);
	assert_true(value_of(&p, "natwarden_verdict_fallbacks_total") == 0);
	assert_true(value_of(&p, "natwarden_verdicts_resent_total") == 0);
	assert_true(value_of(&p, "natwarden_uptime_seconds") >= 0);
	assert_true(value_of(&p, "natwarden_build_info{version=\"" PACKAGE_VERSION "\",abi=\"" NW_STR_(
				 NW_ABI_MAJOR) "." NW_STR_(NW_ABI_MINOR) "\"}") == 1);
	/* the drop events the core emits per dropped packet are counted as custom events */
	assert_true(value_of(&p, "natwarden_events_total{type=\"custom\"}") ==
		    (double)f->eng->events_by_type[NW_EV_CUSTOM]);
}

static void test_render_small_buffer(void **state)
{
	struct fixture *f = *state;
	char buf[100];

	assert_int_equal(nw_metrics_render(f->eng, buf, sizeof(buf)), -ENOSPC);
	assert_true(strlen(buf) < sizeof(buf));
	assert_int_equal(nw_metrics_render(f->eng, buf, 0), -EINVAL);
}

static void test_parse_addr(void **state)
{
	char host[64];
	uint16_t port;

	(void)state;
	assert_int_equal(nw_metrics_parse_addr("127.0.0.1:9771", host, sizeof(host), &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 9771);
	assert_int_equal(nw_metrics_parse_addr("[::1]:80", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 80);
	assert_int_equal(nw_metrics_parse_addr("9100", host, sizeof(host), &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 9100);
	assert_int_equal(nw_metrics_parse_addr(":0", host, sizeof(host), &port), 0);
	assert_int_equal(port, 0);
	assert_int_equal(nw_metrics_parse_addr("", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(nw_metrics_parse_addr("::1:80", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(nw_metrics_parse_addr("localhost:80", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(nw_metrics_parse_addr("1.2.3.4:65536", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(nw_metrics_parse_addr("1.2.3.4:", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(nw_metrics_parse_addr("1.2.3.4:-1", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(nw_metrics_parse_addr("[::1]80", host, sizeof(host), &port), -EINVAL);
}

/* ---- the HTTP server, fetched with libevent's client on the same loop ---- */

struct fetch {
	int code;
	char content_type[128];
	char *body;
	int done;
	struct event_base *base;
};

static void on_response(struct evhttp_request *req, void *arg)
{
	struct fetch *r = arg;

	r->done = 1;
	if (req) {
		struct evbuffer *in = evhttp_request_get_input_buffer(req);
		size_t len = evbuffer_get_length(in);
		const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req),
						    "Content-Type");
		r->code = evhttp_request_get_response_code(req);
		if (ct)
			snprintf(r->content_type, sizeof(r->content_type), "%s", ct);
		r->body = malloc(len + 1);
		evbuffer_remove(in, r->body, len);
		r->body[len] = '\0';
	}
	event_base_loopbreak(r->base);
}

static void fetch(struct event_base *base, uint16_t port, enum evhttp_cmd_type cmd,
		  const char *path, struct fetch *r)
{
	struct evhttp_connection *conn = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	struct evhttp_request *req;
	/* only a guard against a hung test, never reached when the server answers */
	struct timeval guard = {60, 0};

	memset(r, 0, sizeof(*r));
	r->base = base;
	assert_non_null(conn);
	req = evhttp_request_new(on_response, r);
	assert_non_null(req);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "127.0.0.1");
	assert_int_equal(evhttp_make_request(conn, req, cmd, path), 0);
	event_base_loopexit(base, &guard);
	event_base_dispatch(base);
	assert_true(r->done);
	evhttp_connection_free(conn);
}

static void test_http(void **state)
{
	struct fixture *f = *state;
	struct event_base *base = event_base_new();
	struct nw_metrics *m = NULL;
	struct fetch r;
	static struct parsed p;
	uint16_t port;

	assert_non_null(base);
	assert_int_equal(nw_metrics_start(f->eng, base, "127.0.0.1:nope", &m), -EINVAL);
	assert_null(m);
	assert_int_equal(nw_metrics_start(f->eng, base, "127.0.0.1:0", &m), 0);
	port = nw_metrics_port(m);
	assert_true(port > 0);

	fetch(base, port, EVHTTP_REQ_GET, "/metrics", &r);
	assert_int_equal(r.code, 200);
	assert_non_null(strstr(r.content_type, "text/plain"));
	assert_non_null(strstr(r.content_type, "version=0.0.4"));
	parse_text(&p, r.body);
	assert_true(value_of(&p, "natwarden_packets_total") == 6);
	free(r.body);

	fetch(base, port, EVHTTP_REQ_GET, "/metrics?x=1", &r);
	assert_int_equal(r.code, 200);
	free(r.body);
	fetch(base, port, EVHTTP_REQ_GET, "/", &r);
	assert_int_equal(r.code, 404);
	free(r.body);
	fetch(base, port, EVHTTP_REQ_GET, "/metricsx", &r);
	assert_int_equal(r.code, 404);
	free(r.body);
	fetch(base, port, EVHTTP_REQ_POST, "/metrics", &r);
	assert_int_equal(r.code, 405);
	free(r.body);

	/* the same port cannot be bound twice */
	{
		char addr[32];
		struct nw_metrics *m2 = NULL;
		snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
		assert_true(nw_metrics_start(f->eng, base, addr, &m2) < 0);
		assert_null(m2);
	}
	nw_metrics_stop(m);
	nw_metrics_stop(NULL);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_small_buffer),
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_http),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
