/* Unit tests for the EVE JSON writer: exact lines per event type, escaping, bounds, timestamps. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "eve.h"

#define TS_NS 1704164645123456789ull /* 2024-01-02T03:04:05.123456789Z */
#define TS_STR "2024-01-02T03:04:05.123456+0000"

static void set_v4(struct nw_addr *a, const char *text)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	assert_int_equal(inet_pton(AF_INET, text, a->a), 1);
}

static void set_v6(struct nw_addr *a, const char *text)
{
	memset(a, 0, sizeof(*a));
	a->family = 6;
	assert_int_equal(inet_pton(AF_INET6, text, a->a), 1);
}

static void set_kv(struct nw_event *ev, const char *k, const char *v)
{
	snprintf(ev->kv[ev->n_kv].key, sizeof(ev->kv[0].key), "%s", k);
	snprintf(ev->kv[ev->n_kv].val, sizeof(ev->kv[0].val), "%s", v);
	ev->n_kv++;
}

/* A TCP packet event 198.51.100.7:40000 -> 203.0.113.5:80. */
static void base_event(struct nw_event *ev, uint16_t type)
{
	memset(ev, 0, sizeof(*ev));
	ev->size = sizeof(*ev);
	ev->type = type;
	ev->ts_ns = TS_NS;
	ev->flow_id = 586497171462735ull;
	set_v4(&ev->src, "198.51.100.7");
	set_v4(&ev->dst, "203.0.113.5");
	ev->sport = 40000;
	ev->dport = 80;
	ev->ip_proto = 6;
}

/* Format ev and compare with the expected line (given without its trailing newline). */
static void expect_line(const struct nw_event *ev, const struct nw_eve_opts *opts,
			const char *want)
{
	char buf[8192], full[8192];
	int n = nw_eve_format(ev, opts, buf, sizeof(buf));

	snprintf(full, sizeof(full), "%s\n", want);
	assert_int_equal(n, (int)strlen(full));
	assert_string_equal(buf, full);
}

static void test_alert_blocked(void **state)
{
	struct nw_event ev;

	(void)state;
	base_event(&ev, NW_EV_ALERT);
	ev.verdict = NW_DROP;
	ev.gid = 1;
	ev.sid = 2018358;
	ev.rev = 10;
	ev.severity = 2;
	strcpy(ev.msg, "ET HUNTING suspicious POST");
	strcpy(ev.category, "Potentially Bad Traffic");
	expect_line(&ev, NULL,
		    "{\"timestamp\":\"" TS_STR "\",\"flow_id\":586497171462735,"
		    "\"event_type\":\"alert\",\"src_ip\":\"198.51.100.7\",\"src_port\":40000,"
		    "\"dest_ip\":\"203.0.113.5\",\"dest_port\":80,\"proto\":\"TCP\","
		    "\"alert\":{\"action\":\"blocked\",\"gid\":1,\"signature_id\":2018358,\"rev\":10,"
		    "\"signature\":\"ET HUNTING suspicious POST\","
		    "\"category\":\"Potentially Bad Traffic\",\"severity\":2}}");
	ev.verdict = NW_REJECT;
	char buf[4096];
	assert_true(nw_eve_format(&ev, NULL, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"action\":\"blocked\""));
}

/* An alert with its protocol context: extra members (nested, an array, every kind of value),
 * app_proto, direction and the flow's counters, as Suricata writes them. */
static void test_alert_context(void **state)
{
	struct nw_event ev;

	(void)state;
	base_event(&ev, NW_EV_ALERT);
	ev.verdict = NW_ACCEPT;
	ev.gid = 1;
	ev.sid = 7;
	ev.rev = 2;
	ev.severity = 3;
	snprintf(ev.msg, sizeof(ev.msg), "m");
	nw_ev_open(&ev, "http");
	nw_ev_put_str(&ev, "hostname", "a\"b", 3);
	nw_ev_put_uint(&ev, "status", 200);
	nw_ev_put_bool(&ev, "ok", 1);
	nw_ev_open_array(&ev, "list");
	nw_ev_put_str(&ev, "ignored", "x", 1);
	nw_ev_open(&ev, NULL);
	nw_ev_put_uint(&ev, "n", 1);
	nw_ev_close(&ev);
	nw_ev_close_array(&ev);
	nw_ev_close(&ev);
	snprintf(ev.app_proto, sizeof(ev.app_proto), "http");
	ev.direction = 2;
	ev.has_flow = 1;
	ev.flow_pkts[0] = 4;
	ev.flow_pkts[1] = 3;
	ev.flow_bytes[0] = 400;
	ev.flow_bytes[1] = 3000;
	ev.flow_start_ns = TS_NS;
	ev.flow_src = ev.src;
	ev.flow_dst = ev.dst;
	ev.flow_sport = 40000;
	ev.flow_dport = 80;
	expect_line(&ev, NULL,
		    "{\"timestamp\":\"" TS_STR "\",\"flow_id\":586497171462735,"
		    "\"event_type\":\"alert\",\"src_ip\":\"198.51.100.7\",\"src_port\":40000,"
		    "\"dest_ip\":\"203.0.113.5\",\"dest_port\":80,\"proto\":\"TCP\","
		    "\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":7,\"rev\":2,"
		    "\"signature\":\"m\",\"category\":\"\",\"severity\":3},"
		    "\"http\":{\"hostname\":\"a\\\"b\",\"status\":200,\"ok\":true,"
		    "\"list\":[\"x\",{\"n\":1}]},\"app_proto\":\"http\",\"direction\":\"to_client\","
		    "\"flow\":{\"pkts_toserver\":4,\"pkts_toclient\":3,\"bytes_toserver\":400,"
		    "\"bytes_toclient\":3000,\"start\":\"" TS_STR "\",\"src_ip\":\"198.51.100.7\","
		    "\"dest_ip\":\"203.0.113.5\",\"src_port\":40000,\"dest_port\":80}}");
}

/* Extra members that do not fit stop there, and the writer closes what is left open; a record
 * cut short, a stray close or an unknown tag never make invalid JSON. */
static void test_data_bounds(void **state)
{
	struct nw_event ev;
	char big[NW_EV_DATA_MAX];

	(void)state;
	base_event(&ev, NW_EV_CUSTOM);
	snprintf(ev.name, sizeof(ev.name), "flow");
	memset(big, 'a', sizeof(big));
	assert_int_equal(nw_ev_open(&ev, "flow"), 0);
	assert_int_equal(nw_ev_put_uint(&ev, "age", 5), 0);
	assert_int_equal(nw_ev_put_str(&ev, "big", big, sizeof(big) - 20), -1);
	assert_true(ev.flags & NW_EVF_DATA_FULL);
	assert_int_equal(nw_ev_put_uint(&ev, "late", 1), -1); /* nothing after the first miss */
	expect_line(&ev, NULL,
		    "{\"timestamp\":\"" TS_STR "\",\"flow_id\":586497171462735,"
		    "\"event_type\":\"flow\",\"src_ip\":\"198.51.100.7\",\"src_port\":40000,"
		    "\"dest_ip\":\"203.0.113.5\",\"dest_port\":80,\"proto\":\"TCP\","
		    "\"flow\":{\"age\":5}}");
	/* hand-made bytes: a stray close, then a record claiming more than there is */
	base_event(&ev, NW_EV_CUSTOM);
	snprintf(ev.name, sizeof(ev.name), "x");
	memcpy(ev.data, "}\0\0\0" "s\1\5\0kv", 10);
	ev.data_len = 10;
	expect_line(&ev, NULL,
		    "{\"timestamp\":\"" TS_STR "\",\"flow_id\":586497171462735,"
		    "\"event_type\":\"x\",\"src_ip\":\"198.51.100.7\",\"src_port\":40000,"
		    "\"dest_ip\":\"203.0.113.5\",\"dest_port\":80,\"proto\":\"TCP\"}");
}

static void test_alert_allowed_payload(void **state)
{
	struct nw_event ev;
	struct nw_eve_opts on = { .payload_printable = 1 }, off = { 0 };
	static const uint8_t payload[] = "GET /\"x\\\r\n\x01\xff";

	(void)state;
	base_event(&ev, NW_EV_ALERT);
	ev.flow_id = 0; /* omitted */
	ev.ip_proto = 17;
	ev.sport = 5353;
	ev.dport = 53;
	ev.verdict = NW_ACCEPT;
	ev.gid = 1;
	ev.sid = 1000001;
	ev.rev = 1;
	ev.severity = 3;
	strcpy(ev.msg, "DNS probe");
	set_kv(&ev, "rule_file", "local.rules");
	ev.payload = payload;
	ev.payload_len = sizeof(payload) - 1;
	const char *head =
		"{\"timestamp\":\"" TS_STR "\",\"event_type\":\"alert\","
		"\"src_ip\":\"198.51.100.7\",\"src_port\":5353,\"dest_ip\":\"203.0.113.5\","
		"\"dest_port\":53,\"proto\":\"UDP\",\"alert\":{\"action\":\"allowed\",\"gid\":1,"
		"\"signature_id\":1000001,\"rev\":1,\"signature\":\"DNS probe\",\"category\":\"\","
		"\"severity\":3,\"rule_file\":\"local.rules\"}";
	char want[2048];

	snprintf(want, sizeof(want), "%s,\"payload_printable\":\"GET /\\\"x\\\\....\"}", head);
	expect_line(&ev, &on, want);
	snprintf(want, sizeof(want), "%s}", head);
	expect_line(&ev, &off, want);
	expect_line(&ev, NULL, want);
	ev.payload_len = 0; /* nothing to print: no member */
	expect_line(&ev, &on, want);
}

static void test_offense(void **state)
{
	struct nw_event ev;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.type = NW_EV_OFFENSE;
	ev.ts_ns = TS_NS;
	strcpy(ev.name, "sshd");
	set_v4(&ev.addr, "198.51.100.0");
	ev.prefix = 24;
	strcpy(ev.msg, "too many SYN");
	set_kv(&ev, "count", "5");
	/* no packet: no tuple, no proto */
	expect_line(&ev, NULL,
		    "{\"timestamp\":\"" TS_STR "\",\"event_type\":\"offense\","
		    "\"offense\":{\"jail\":\"sshd\",\"ip\":\"198.51.100.0/24\","
		    "\"reason\":\"too many SYN\",\"count\":\"5\"}}");
	ev.prefix = 32;
	expect_line(&ev, NULL,
		    "{\"timestamp\":\"" TS_STR "\",\"event_type\":\"offense\","
		    "\"offense\":{\"jail\":\"sshd\",\"ip\":\"198.51.100.0\","
		    "\"reason\":\"too many SYN\",\"count\":\"5\"}}");
}

static void test_ban_ipv6(void **state)
{
	struct nw_event ev;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.type = NW_EV_BAN;
	ev.ts_ns = TS_NS;
	ev.flow_id = 7;
	set_v6(&ev.src, "2001:db8::1");
	set_v6(&ev.dst, "2001:db8:0:1::abcd");
	ev.ip_proto = 6;
	ev.sport = 1;
	ev.dport = 22;
	ev.action = NW_BAN_ACTION_BAN;
	set_v6(&ev.addr, "2001:db8::1");
	ev.prefix = 128;
	strcpy(ev.name, "sshd");
	ev.duration_s = 600;
	strcpy(ev.msg, "5 offenses in 60s");
	strcpy(ev.origin, "gw-a");
	expect_line(&ev, NULL,
		    "{\"timestamp\":\"" TS_STR "\",\"flow_id\":7,\"event_type\":\"ban\","
		    "\"src_ip\":\"2001:db8::1\",\"src_port\":1,\"dest_ip\":\"2001:db8:0:1::abcd\","
		    "\"dest_port\":22,\"proto\":\"TCP\",\"ban\":{\"action\":\"ban\","
		    "\"ip\":\"2001:db8::1\",\"jail\":\"sshd\",\"duration\":600,"
		    "\"reason\":\"5 offenses in 60s\",\"origin\":\"gw-a\"}}");

	memset(&ev.src, 0, sizeof(ev.src));
	ev.flow_id = 0;
	ev.action = NW_BAN_ACTION_UNBAN;
	set_v6(&ev.addr, "2001:db8:1::");
	ev.prefix = 64;
	ev.duration_s = 0;
	strcpy(ev.msg, "expired");
	expect_line(&ev, NULL,
		    "{\"timestamp\":\"" TS_STR "\",\"event_type\":\"ban\","
		    "\"ban\":{\"action\":\"unban\",\"ip\":\"2001:db8:1::/64\",\"jail\":\"sshd\","
		    "\"duration\":0,\"reason\":\"expired\",\"origin\":\"gw-a\"}}");
}

static void test_ratelimit(void **state)
{
	struct nw_event ev;

	(void)state;
	base_event(&ev, NW_EV_RATELIMIT);
	strcpy(ev.name, "syn_per_src");
	strcpy(ev.msg, "over 5/s");
	set_kv(&ev, "key", "198.51.100.7");
	set_kv(&ev, "rate", "5/s");
	set_kv(&ev, "", "skipped: no key");
	set_kv(&ev, "q\"k", "v\\al");
	expect_line(&ev, NULL,
		    "{\"timestamp\":\"" TS_STR "\",\"flow_id\":586497171462735,"
		    "\"event_type\":\"ratelimit\",\"src_ip\":\"198.51.100.7\",\"src_port\":40000,"
		    "\"dest_ip\":\"203.0.113.5\",\"dest_port\":80,\"proto\":\"TCP\","
		    "\"ratelimit\":{\"limit\":\"syn_per_src\",\"reason\":\"over 5/s\","
		    "\"key\":\"198.51.100.7\",\"rate\":\"5/s\",\"q\\\"k\":\"v\\\\al\"}}");
}

static void test_custom(void **state)
{
	struct nw_event ev;

	(void)state;
	base_event(&ev, NW_EV_CUSTOM);
	ev.flow_id = 0;
	strcpy(ev.name, "port_scan");
	strcpy(ev.msg, "not printed for custom events");
	set_kv(&ev, "ports", "22,80,443");
	expect_line(&ev, NULL,
		    "{\"timestamp\":\"" TS_STR "\",\"event_type\":\"port_scan\","
		    "\"src_ip\":\"198.51.100.7\",\"src_port\":40000,\"dest_ip\":\"203.0.113.5\","
		    "\"dest_port\":80,\"proto\":\"TCP\",\"port_scan\":{\"ports\":\"22,80,443\"}}");
	ev.name[0] = '\0';
	ev.n_kv = 0;
	memset(&ev.src, 0, sizeof(ev.src));
	expect_line(&ev, NULL,
		    "{\"timestamp\":\"" TS_STR "\",\"event_type\":\"custom\",\"custom\":{}}");
	strcpy(ev.name, "a\"b");
	expect_line(&ev, NULL,
		    "{\"timestamp\":\"" TS_STR "\",\"event_type\":\"a\\\"b\",\"a\\\"b\":{}}");
}

static void test_protocols(void **state)
{
	struct nw_event ev;
	char buf[4096];

	(void)state;
	base_event(&ev, NW_EV_CUSTOM);
	strcpy(ev.name, "x");
	ev.flow_id = 0;
	ev.ip_proto = 1;
	expect_line(&ev, NULL,
		    "{\"timestamp\":\"" TS_STR "\",\"event_type\":\"x\",\"src_ip\":\"198.51.100.7\","
		    "\"dest_ip\":\"203.0.113.5\",\"proto\":\"ICMP\",\"x\":{}}");
	set_v6(&ev.src, "fe80::1");
	set_v6(&ev.dst, "ff02::1");
	ev.ip_proto = 58;
	expect_line(&ev, NULL,
		    "{\"timestamp\":\"" TS_STR "\",\"event_type\":\"x\",\"src_ip\":\"fe80::1\","
		    "\"dest_ip\":\"ff02::1\",\"proto\":\"IPv6-ICMP\",\"x\":{}}");
	ev.ip_proto = 47;
	expect_line(&ev, NULL,
		    "{\"timestamp\":\"" TS_STR "\",\"event_type\":\"x\",\"src_ip\":\"fe80::1\","
		    "\"dest_ip\":\"ff02::1\",\"proto\":\"47\",\"x\":{}}");
	ev.type = 0;
	assert_int_equal(nw_eve_format(&ev, NULL, buf, sizeof(buf)), -EINVAL);
	ev.type = NW_EV_MAX;
	assert_int_equal(nw_eve_format(&ev, NULL, buf, sizeof(buf)), -EINVAL);
}

static void expect_escape(const char *in, size_t inlen, const char *want)
{
	char out[1024];
	int n = nw_json_escape(out, sizeof(out), in, inlen);

	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(out, want);
}

static void test_escape(void **state)
{
	(void)state;
	expect_escape("plain text", 10, "plain text");
	expect_escape("say \"hi\"", 8, "say \\\"hi\\\"");
	expect_escape("C:\\dir", 6, "C:\\\\dir");
	expect_escape("\b\f\n\r\t", 5, "\\b\\f\\n\\r\\t");
	expect_escape("\x01\x1f\x7f", 3, "\\u0001\\u001f\\u007f");
	expect_escape("a\0b", 3, "a\\u0000b");
	/* valid UTF-8 kept: é, €, an emoji, U+10FFFF */
	expect_escape("caf\xc3\xa9", 5, "caf\xc3\xa9");
	expect_escape("\xe2\x82\xac", 3, "\xe2\x82\xac");
	expect_escape("\xf0\x9f\x98\x80!", 5, "\xf0\x9f\x98\x80!");
	expect_escape("\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf");
	/* invalid: every byte of the bad sequence escaped */
	expect_escape("\xff", 1, "\\u00ff");
	expect_escape("\xc0\xaf", 2, "\\u00c0\\u00af");                       /* overlong '/' */
	expect_escape("\xe0\x80\xaf", 3, "\\u00e0\\u0080\\u00af");            /* overlong */
	expect_escape("\xed\xa0\x80", 3, "\\u00ed\\u00a0\\u0080");            /* surrogate */
	expect_escape("\xf4\x90\x80\x80", 4, "\\u00f4\\u0090\\u0080\\u0080"); /* > U+10FFFF */
	expect_escape("\xf5\x80", 2, "\\u00f5\\u0080");
	expect_escape("\x80x", 2, "\\u0080x");                                /* stray continuation */
	expect_escape("\xe2\x82", 2, "\\u00e2\\u0082");                       /* truncated at end */
	expect_escape("\xe2\x82x\xc3\xa9", 5, "\\u00e2\\u0082x\xc3\xa9");     /* truncated, then ok */
	expect_escape("", 0, "");
}

static void test_escape_enospc(void **state)
{
	static const char in[] = "a\"\xc3\xa9\x01\xff\xf0\x9f\x98\x80z";
	char out[128];
	int full;

	(void)state;
	full = nw_json_escape(out, sizeof(out), in, sizeof(in) - 1);
	assert_true(full > 0);
	for (size_t len = 0; len <= (size_t)full + 1; len++) {
		memset(out, 0x5a, sizeof(out));
		int r = nw_json_escape(out, len, in, sizeof(in) - 1);

		if (len <= (size_t)full)
			assert_int_equal(r, -ENOSPC);
		else
			assert_int_equal(r, full);
		for (size_t i = len; i < sizeof(out); i++)
			assert_int_equal(out[i], 0x5a);
	}
}

/* A string field without NUL must stop at the end of its array. */
static void test_msg_no_nul(void **state)
{
	struct nw_event ev;
	char want[1024], sig[sizeof(ev.msg) + 1], buf[4096];

	(void)state;
	base_event(&ev, NW_EV_ALERT);
	memset(ev.msg, 'M', sizeof(ev.msg));
	memset(ev.category, 'C', sizeof(ev.category));
	memset(ev.name, 'N', sizeof(ev.name));
	memset(sig, 'M', sizeof(ev.msg));
	sig[sizeof(ev.msg)] = '\0';
	snprintf(want, sizeof(want), "\"signature\":\"%s\",\"category\":\"", sig);
	assert_true(nw_eve_format(&ev, NULL, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, want));

	/* the same for kv keys/values, the jail name and the origin */
	memset(&ev, 0, sizeof(ev));
	ev.type = NW_EV_BAN;
	memset(ev.name, 'J', sizeof(ev.name));
	memset(ev.origin, 'O', sizeof(ev.origin));
	ev.n_kv = 1;
	memset(ev.kv[0].key, 'K', sizeof(ev.kv[0].key));
	memset(ev.kv[0].val, 'V', sizeof(ev.kv[0].val));
	memset(ev.kv[1].key, 'X', sizeof(ev.kv[1].key));
	assert_true(nw_eve_format(&ev, NULL, buf, sizeof(buf)) > 0);
	char jail[64], origin[64], kv[256];
	snprintf(jail, sizeof(jail), "\"jail\":\"%.*s\",", (int)sizeof(ev.name),
		 "JJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJ");
	snprintf(origin, sizeof(origin), "\"origin\":\"%.*s\",", (int)sizeof(ev.origin),
		 "OOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOO");
	assert_non_null(strstr(buf, jail));
	assert_non_null(strstr(buf, origin));
	memset(kv, 0, sizeof(kv));
	kv[0] = '"';
	memset(kv + 1, 'K', sizeof(ev.kv[0].key));
	strcat(kv, "\":\"");
	memset(kv + strlen(kv), 'V', sizeof(ev.kv[0].val));
	strcat(kv, "\"}}\n");
	assert_non_null(strstr(buf, kv));
	assert_null(strstr(buf, "X"));
}

static void test_kv_clamp(void **state)
{
	struct nw_event ev;
	char buf[8192];
	const char *p;
	int count = 0;

	(void)state;
	base_event(&ev, NW_EV_CUSTOM);
	strcpy(ev.name, "many");
	for (int i = 0; i < NW_EV_KV_MAX; i++)
		set_kv(&ev, "k", "v");
	ev.n_kv = 0xffffffffu;
	assert_true(nw_eve_format(&ev, NULL, buf, sizeof(buf)) > 0);
	for (p = buf; (p = strstr(p, "\"k\":\"v\"")) != NULL; p++)
		count++;
	assert_int_equal(count, NW_EV_KV_MAX);
}

static void test_unicode_fields(void **state)
{
	struct nw_event ev;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.type = NW_EV_RATELIMIT;
	ev.ts_ns = TS_NS;
	strcpy(ev.name, "caf\xc3\xa9");
	strcpy(ev.msg, "\xf0\x9f\x94\xa5 \"hot\"\n\xc3(");
	expect_line(&ev, NULL,
		    "{\"timestamp\":\"" TS_STR "\",\"event_type\":\"ratelimit\","
		    "\"ratelimit\":{\"limit\":\"caf\xc3\xa9\","
		    "\"reason\":\"\xf0\x9f\x94\xa5 \\\"hot\\\"\\n\\u00c3(\"}}");
}

/* Every buffer size short of the line fails with -ENOSPC and writes nothing past the size. */
static void check_sizes(const struct nw_event *ev, const struct nw_eve_opts *opts)
{
	char buf[8192];
	int full = nw_eve_format(ev, opts, buf, sizeof(buf));

	assert_true(full > 0 && full < (int)sizeof(buf) - 64);
	for (size_t len = 0; len <= (size_t)full + 1; len++) {
		memset(buf, 0x5a, sizeof(buf));
		int r = nw_eve_format(ev, opts, buf, len);

		if (len <= (size_t)full) {
			assert_int_equal(r, -ENOSPC);
		} else {
			assert_int_equal(r, full);
			assert_int_equal(buf[full - 1], '\n');
			assert_int_equal(buf[full], '\0');
		}
		for (size_t i = len; i < (size_t)full + 64; i++)
			assert_int_equal((unsigned char)buf[i], 0x5a);
	}
}

static void test_enospc_every_size(void **state)
{
	struct nw_event ev;
	struct nw_eve_opts on = { .payload_printable = 1 };
	static const uint8_t payload[] = "\x00GET \"/\\ HTTP/1.1\r\n";

	(void)state;
	base_event(&ev, NW_EV_ALERT);
	strcpy(ev.msg, "sig \"\xc3\xa9\" \xff\x01");
	strcpy(ev.category, "cat");
	set_kv(&ev, "k", "\t");
	ev.payload = payload;
	ev.payload_len = sizeof(payload) - 1;
	check_sizes(&ev, &on);
	for (uint16_t t = NW_EV_OFFENSE; t < NW_EV_MAX; t++) {
		base_event(&ev, t);
		strcpy(ev.name, "n\"ame");
		strcpy(ev.msg, "reason\x7f");
		strcpy(ev.origin, "gw");
		set_v6(&ev.addr, "2001:db8::");
		ev.prefix = 48;
		set_kv(&ev, "key", "val\xe2\x82");
		set_kv(&ev, "k2", "\xe2\x82\xac");
		check_sizes(&ev, NULL);
	}
}

static void test_addr_str(void **state)
{
	struct nw_addr a;
	char buf[64];

	(void)state;
	set_v4(&a, "198.51.100.1");
	assert_string_equal(nw_addr_str(&a, buf, sizeof(buf)), "198.51.100.1");
	set_v6(&a, "2001:db8::1");
	assert_string_equal(nw_addr_str(&a, buf, sizeof(buf)), "2001:db8::1");
	set_v6(&a, "::ffff:198.51.100.1");
	assert_string_equal(nw_addr_str(&a, buf, sizeof(buf)), "::ffff:198.51.100.1");
	set_v6(&a, "2001:db8:1:2:3:4:5:6");
	assert_string_equal(nw_addr_str(&a, buf, sizeof(buf)), "2001:db8:1:2:3:4:5:6");
	memset(&a, 0, sizeof(a));
	assert_string_equal(nw_addr_str(&a, buf, sizeof(buf)), "");
	a.family = 9;
	assert_string_equal(nw_addr_str(&a, buf, sizeof(buf)), "");
	set_v4(&a, "198.51.100.1");
	assert_string_equal(nw_addr_str(&a, buf, 4), ""); /* too small: empty, not truncated */
}

static void test_timestamp(void **state)
{
	char buf[64];

	(void)state;
	nw_eve_timestamp(TS_NS, buf, sizeof(buf));
	assert_string_equal(buf, TS_STR);
	nw_eve_timestamp(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00.000000+0000");
	nw_eve_timestamp(951782400999999999ull, buf, sizeof(buf)); /* leap day, rounds down */
	assert_string_equal(buf, "2000-02-29T00:00:00.999999+0000");
	nw_eve_timestamp(1704164645000001000ull, buf, sizeof(buf));
	assert_string_equal(buf, "2024-01-02T03:04:05.000001+0000");
	/* a short buffer stays NUL-terminated and within bounds */
	memset(buf, 0x5a, sizeof(buf));
	nw_eve_timestamp(TS_NS, buf, 25);
	assert_true(strlen(buf) < 25);
	assert_int_equal((unsigned char)buf[25], 0x5a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alert_blocked),
		cmocka_unit_test(test_alert_allowed_payload),
		cmocka_unit_test(test_alert_context),
		cmocka_unit_test(test_data_bounds),
		cmocka_unit_test(test_offense),
		cmocka_unit_test(test_ban_ipv6),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_custom),
		cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_enospc),
		cmocka_unit_test(test_msg_no_nul),
		cmocka_unit_test(test_kv_clamp),
		cmocka_unit_test(test_unicode_fields),
		cmocka_unit_test(test_enospc_every_size),
		cmocka_unit_test(test_addr_str),
		cmocka_unit_test(test_timestamp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
