/* plugins/signature/tests/test_sig_app.c: unit tests of the application parsers: DNS, TLS hellos with JA3/JA3S, MD5, detection, HTTP through the libhtp glue. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "../sig_app.h"

/* ---- byte builders ---- */
struct tb {
	uint8_t b[4096];
	size_t n;
};

static void tb_put(struct tb *t, const void *d, size_t n)
{
	assert_true(t->n + n <= sizeof(t->b));
	memcpy(t->b + t->n, d, n);
	t->n += n;
}

static void tb_u8(struct tb *t, unsigned v)
{
	uint8_t c = (uint8_t)v;
	tb_put(t, &c, 1);
}

static void tb_u16(struct tb *t, unsigned v)
{
	tb_u8(t, v >> 8);
	tb_u8(t, v & 0xff);
}

static void tb_name(struct tb *t, const char *dotted)
{
	while (*dotted) {
		const char *e = strchr(dotted, '.');
		size_t l = e ? (size_t)(e - dotted) : strlen(dotted);
		tb_u8(t, (unsigned)l);
		tb_put(t, dotted, l);
		dotted += l + (e ? 1 : 0);
	}
	tb_u8(t, 0);
}

/* ---- MD5 ---- */
static void test_md5_vectors(void **state)
{
	static const struct {
		const char *in, *hex;
	} v[] = {
		{ "", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "a", "0cc175b9c0f1b6a831c399e269772661" },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
		{ "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
		  "57edf4a22be3c955ac49da2e2107b67a" },
	};
	char hex[33];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sig_md5_hex((const uint8_t *)v[i].in, strlen(v[i].in), hex);
		assert_string_equal(hex, v[i].hex);
	}
}

/* ---- DNS ---- */
static void test_dns_query(void **state)
{
	struct tb t = { .n = 0 };
	struct sig_dns_msg m;

	(void)state;
	tb_u16(&t, 0x1234);
	tb_u16(&t, 0x0100); /* query, RD */
	tb_u16(&t, 2);      /* two questions */
	tb_u16(&t, 0);
	tb_u16(&t, 0);
	tb_u16(&t, 0);
	tb_name(&t, "Malware.bad.example");
	tb_u16(&t, 1);
	tb_u16(&t, 1);
	tb_name(&t, "c2.tunnel");
	tb_u16(&t, 16);
	tb_u16(&t, 1);
	assert_true(sig_dns_sane(t.b, t.n));
	assert_int_equal(sig_dns_parse(t.b, t.n, &m), 0);
	assert_int_equal(m.id, 0x1234);
	assert_int_equal(m.qr, 0);
	assert_int_equal(m.opcode, 0);
	assert_int_equal(m.n_q, 2);
	/* dotted form, case kept */
	assert_int_equal(m.qlen[0], strlen("Malware.bad.example"));
	assert_memory_equal(m.q[0], "Malware.bad.example", m.qlen[0]);
	assert_int_equal(m.qtype[0], 1);
	assert_memory_equal(m.q[1], "c2.tunnel", 9);
	assert_int_equal(m.qtype[1], 16);
	/* every truncation is refused or parsed within bounds, never read past */
	for (size_t n = 0; n < t.n; n++) {
		uint8_t *cp = malloc(n ? n : 1);
		memcpy(cp, t.b, n);
		assert_int_equal(sig_dns_parse(cp, n, &m), -1);
		free(cp);
	}
}

static void test_dns_response_compression(void **state)
{
	struct tb t = { .n = 0 };
	struct sig_dns_msg m;

	(void)state;
	tb_u16(&t, 7);
	tb_u16(&t, 0x8180);
	tb_u16(&t, 1);
	tb_u16(&t, 2);
	tb_u16(&t, 0);
	tb_u16(&t, 0);
	tb_name(&t, "www.example.org"); /* at offset 12 */
	tb_u16(&t, 1);
	tb_u16(&t, 1);
	/* answer 1: a pointer to the question name, CNAME to "cdn" + pointer to example.org */
	tb_u16(&t, 0xc00c);
	tb_u16(&t, 5);
	tb_u16(&t, 1);
	tb_u16(&t, 0);
	tb_u16(&t, 60);
	tb_u16(&t, 6);
	tb_u8(&t, 3);
	tb_put(&t, "cdn", 3);
	tb_u16(&t, 0xc000 | 16); /* "example.org" inside the question name */
	/* answer 2: name = the CNAME target (pointer into answer 1's rdata) */
	tb_u16(&t, 0xc000 | (unsigned)(t.n - 6));
	tb_u16(&t, 1);
	tb_u16(&t, 1);
	tb_u16(&t, 0);
	tb_u16(&t, 60);
	tb_u16(&t, 4);
	tb_put(&t, "\xcb\x00\x71\x07", 4);
	assert_true(sig_dns_sane(t.b, t.n));
	assert_int_equal(sig_dns_parse(t.b, t.n, &m), 0);
	assert_int_equal(m.qr, 1);
	assert_int_equal(m.n_q, 1);
	assert_int_equal(m.n_an, 2);
	assert_int_equal(m.anlen[0], strlen("www.example.org"));
	assert_memory_equal(m.an[0], "www.example.org", m.anlen[0]);
	assert_int_equal(m.anlen[1], strlen("cdn.example.org"));
	assert_memory_equal(m.an[1], "cdn.example.org", m.anlen[1]);
}

static void test_dns_malformed(void **state)
{
	struct tb t = { .n = 0 };
	struct sig_dns_msg m;
	static const uint8_t junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	(void)state;
	/* a compression pointer to itself: a loop, refused */
	tb_u16(&t, 1);
	tb_u16(&t, 0x0100);
	tb_u16(&t, 1);
	tb_u16(&t, 0);
	tb_u16(&t, 0);
	tb_u16(&t, 0);
	tb_u16(&t, 0xc00c);
	tb_u16(&t, 1);
	tb_u16(&t, 1);
	assert_int_equal(sig_dns_parse(t.b, t.n, &m), -1);
	assert_false(sig_dns_sane(t.b, t.n));
	/* a label longer than the message */
	t.n = 12;
	tb_u8(&t, 60);
	tb_put(&t, "abc", 3);
	assert_int_equal(sig_dns_parse(t.b, t.n, &m), -1);
	/* text is not DNS */
	assert_false(sig_dns_sane(junk, sizeof(junk) - 1));
	assert_int_equal(sig_app_detect(junk, sizeof(junk) - 1, 0), SIG_APP_UNKNOWN);
	/* too short */
	assert_int_equal(sig_dns_parse(t.b, 11, &m), -1);
}

/* ---- TLS ---- */
static void tb_ext(struct tb *t, unsigned type, const void *body, size_t n)
{
	tb_u16(t, type);
	tb_u16(t, (unsigned)n);
	tb_put(t, body, n);
}

/* the ClientHello of tests/signature/dns_tls (GREASE values, SNI, groups, formats, versions) */
static void tls_client_hello(struct tb *rec)
{
	struct tb e = { .n = 0 }, b = { .n = 0 }, x = { .n = 0 };
	static const char sni[] = "secret.login.example";
	static const uint16_t ciphers[] = { 0x2a2a, 0x1301, 0x1302, 0xc02f };

	tb_ext(&e, 0x0a0a, "", 0);
	tb_u16(&x, sizeof(sni) - 1 + 3);
	tb_u8(&x, 0);
	tb_u16(&x, sizeof(sni) - 1);
	tb_put(&x, sni, sizeof(sni) - 1);
	tb_ext(&e, 0, x.b, x.n);
	tb_ext(&e, 10, "\x00\x06\x1a\x1a\x00\x1d\x00\x17", 8);
	tb_ext(&e, 11, "\x01\x00", 2);
	tb_ext(&e, 43, "\x04\x03\x04\x03\x03", 5);
	tb_u16(&b, 0x0303);
	for (int i = 0; i < 32; i++)
		tb_u8(&b, (unsigned)i);
	tb_u8(&b, 0);
	tb_u16(&b, sizeof(ciphers));
	for (size_t i = 0; i < sizeof(ciphers) / 2; i++)
		tb_u16(&b, ciphers[i]);
	tb_put(&b, "\x01\x00", 2);
	tb_u16(&b, (unsigned)e.n);
	tb_put(&b, e.b, e.n);
	rec->n = 0;
	tb_put(rec, "\x16\x03\x01", 3);
	tb_u16(rec, (unsigned)b.n + 4);
	tb_u8(rec, 1);
	tb_u8(rec, 0);
	tb_u16(rec, (unsigned)b.n);
	tb_put(rec, b.b, b.n);
}

static void test_tls_client_hello_ja3(void **state)
{
	struct tb r;
	struct sig_tls_hello h;

	(void)state;
	tls_client_hello(&r);
	assert_int_equal(sig_tls_sane(r.b, r.n), 1);
	assert_int_equal(sig_app_detect(r.b, r.n, 1), SIG_APP_TLS);
	assert_int_equal(sig_tls_parse(r.b, r.n, &h), 1);
	assert_int_equal(h.type, 1);
	assert_int_equal(h.version, 0x0304); /* from supported_versions */
	assert_int_equal(h.sni_len, strlen("secret.login.example"));
	assert_string_equal(h.sni, "secret.login.example");
	/* JA3 skips GREASE in ciphers, extensions and groups; the version is the legacy one */
	assert_string_equal(h.ja3, "771,4865-4866-49199,0-10-11-43,29-23,0");
	assert_int_equal(h.ja3_len, strlen(h.ja3));
	assert_string_equal(h.ja3_hash, "869410556dad6aaecea72469fc930296");
	/* incomplete: more data needed at every cut */
	for (size_t n = 1; n < r.n; n++)
		assert_true(sig_tls_parse(r.b, n, &h) == 0);
}

static void test_tls_split_records(void **state)
{
	struct tb r, s = { .n = 0 };
	struct sig_tls_hello h;
	size_t body = 0, half;

	(void)state;
	tls_client_hello(&r);
	/* the same handshake message in two records */
	body = r.n - 5;
	half = body / 2;
	tb_put(&s, "\x16\x03\x01", 3);
	tb_u16(&s, (unsigned)half);
	tb_put(&s, r.b + 5, half);
	tb_put(&s, "\x16\x03\x01", 3);
	tb_u16(&s, (unsigned)(body - half));
	tb_put(&s, r.b + 5 + half, body - half);
	assert_int_equal(sig_tls_parse(s.b, s.n, &h), 1);
	assert_string_equal(h.ja3_hash, "869410556dad6aaecea72469fc930296");
	assert_int_equal(sig_tls_parse(s.b, 5 + half + 3, &h), 0);
}

static void test_tls_server_hello_ja3s(void **state)
{
	struct tb r = { .n = 0 }, b = { .n = 0 };
	struct sig_tls_hello h;

	(void)state;
	tb_u16(&b, 0x0303);
	for (int i = 0; i < 32; i++)
		tb_u8(&b, 0);
	tb_u8(&b, 0);
	tb_u16(&b, 0x1301);
	tb_u8(&b, 0);
	tb_u16(&b, 6);
	tb_ext(&b, 43, "\x03\x04", 2);
	tb_put(&r, "\x16\x03\x03", 3);
	tb_u16(&r, (unsigned)b.n + 4);
	tb_u8(&r, 2);
	tb_u8(&r, 0);
	tb_u16(&r, (unsigned)b.n);
	tb_put(&r, b.b, b.n);
	assert_int_equal(sig_tls_parse(r.b, r.n, &h), 1);
	assert_int_equal(h.type, 2);
	assert_int_equal(h.version, 0x0304);
	assert_string_equal(h.ja3, "771,4865,43");
	assert_string_equal(h.ja3_hash, "cce84e7a8b742462e40afb585a3e3ccc");
}

static void test_tls_not_tls(void **state)
{
	static const uint8_t http[] = "GET / HTTP/1.1\r\n\r\n";
	struct tb r;
	struct sig_tls_hello h;

	(void)state;
	assert_int_equal(sig_tls_sane(http, sizeof(http) - 1), -1);
	assert_int_equal(sig_tls_parse(http, sizeof(http) - 1, &h), -1);
	/* an application-data record where a hello should be */
	tls_client_hello(&r);
	r.b[5] = 23;
	assert_int_equal(sig_tls_parse(r.b, r.n, &h), -1);
	/* a hello whose length field exceeds its record: truncated extensions are malformed */
	tls_client_hello(&r);
	r.b[r.n - 20] ^= 0xff; /* inside the extensions: the ext length now overruns */
	assert_true(sig_tls_parse(r.b, r.n, &h) <= 1);
}

/* ---- HTTP through libhtp ---- */
struct http_seen {
	unsigned n_req, n_resp, n_req_body, n_resp_body;
	char uri[4][128], uri_raw[4][128], host[128], method[16], stat[8], server[32], body[64],
		reqbody[64];
};

static void copy_buf(struct sig_appctx *ac, unsigned buf, int resp, char *out, size_t cap)
{
	const uint8_t *p;
	size_t n;

	out[0] = 0;
	if (sig_app_buffer(ac, buf, resp, 0, &p, &n) != 1)
		return;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, p, n);
	out[n] = 0;
}

static void http_cb(void *opaque, struct sig_appctx *ac)
{
	struct http_seen *s = opaque;

	switch (ac->stage) {
	case SIG_ST_REQ_HEADERS:
		if (s->n_req < 4) {
			copy_buf(ac, SIG_BUF_HTTP_URI, 0, s->uri[s->n_req], sizeof(s->uri[0]));
			copy_buf(ac, SIG_BUF_HTTP_URI_RAW, 0, s->uri_raw[s->n_req], sizeof(s->uri_raw[0]));
		}
		copy_buf(ac, SIG_BUF_HTTP_HOST, 0, s->host, sizeof(s->host));
		copy_buf(ac, SIG_BUF_HTTP_METHOD, 0, s->method, sizeof(s->method));
		s->n_req++;
		break;
	case SIG_ST_REQ_BODY:
		if (!s->n_req_body++) /* the first transaction's */
			copy_buf(ac, SIG_BUF_HTTP_REQUEST_BODY, 0, s->reqbody, sizeof(s->reqbody));
		break;
	case SIG_ST_RESP_HEADERS:
		copy_buf(ac, SIG_BUF_HTTP_STAT_CODE, 0, s->stat, sizeof(s->stat));
		copy_buf(ac, SIG_BUF_HTTP_SERVER, 0, s->server, sizeof(s->server));
		s->n_resp++;
		break;
	case SIG_ST_RESP_BODY:
		copy_buf(ac, SIG_BUF_HTTP_RESPONSE_BODY, 0, s->body, sizeof(s->body));
		s->n_resp_body++;
		break;
	default:
		break;
	}
}

struct http_fixture {
	struct sig_http_worker *w;
	struct sig_http_flow *f;
	struct sig_appctx ac;
};

static int http_setup(void **state)
{
	struct http_fixture *x = calloc(1, sizeof(*x));
	struct sig_http_conf c = { 2, 4096, 4096 };

	if (!x)
		return -1;
	x->w = sig_http_worker_new(&c);
	x->f = x->w ? sig_http_flow_new(x->w) : NULL;
	x->ac.arena = malloc(SIG_ARENA_SIZE);
	x->ac.xf_size = SIG_ARENA_SIZE;
	x->ac.xf[0] = malloc(x->ac.xf_size);
	x->ac.xf[1] = malloc(x->ac.xf_size);
	if (!x->f || !x->ac.arena || !x->ac.xf[0] || !x->ac.xf[1])
		return -1;
	*state = x;
	return 0;
}

static int http_teardown(void **state)
{
	struct http_fixture *x = *state;

	sig_http_flow_free(x->f);
	sig_http_worker_free(x->w);
	free(x->ac.arena);
	free(x->ac.xf[0]);
	free(x->ac.xf[1]);
	free(x);
	return 0;
}

static int feed(struct http_fixture *x, int to_client, const char *s, struct http_seen *seen)
{
	return sig_http_feed(x->f, to_client, (const uint8_t *)s, strlen(s), 1700000000000000000ull,
			     &x->ac, http_cb, seen);
}

static void test_http_request_response(void **state)
{
	struct http_fixture *x = *state;
	struct http_seen s;

	memset(&s, 0, sizeof(s));
	assert_int_equal(sig_app_detect((const uint8_t *)"GET / HTTP/1.1\r\n", 16, 1), SIG_APP_HTTP);
	/* the request arrives in two pieces: the event fires once the headers are complete */
	assert_int_equal(feed(x, 0, "GET /a/b/%2e%2e/../etc/%70asswd?x=%41 HTTP/1.1\r\nHo", &s), 0);
	assert_int_equal(s.n_req, 0);
	assert_int_equal(feed(x, 0, "st: WWW.Example.COM:8080\r\nUser-Agent: t\r\n\r\n", &s), 0);
	assert_int_equal(s.n_req, 1);
	/* http.uri: path percent-decoded and normalised, the query kept as sent (as in Suricata) */
	assert_string_equal(s.uri[0], "/etc/passwd?x=%41");
	assert_string_equal(s.uri_raw[0], "/a/b/%2e%2e/../etc/%70asswd?x=%41");
	assert_string_equal(s.host, "www.example.com");
	assert_string_equal(s.method, "GET");
	assert_int_equal(feed(x, 1, "HTTP/1.1 404 Not Found\r\nServer: lab\r\n"
				    "Content-Length: 5\r\n\r\nhel", &s), 0);
	assert_int_equal(s.n_resp, 1);
	assert_string_equal(s.stat, "404");
	assert_string_equal(s.server, "lab");
	assert_int_equal(feed(x, 1, "lo", &s), 0);
	assert_int_equal(s.n_resp_body, 1);
	assert_string_equal(s.body, "hello");
}

static void test_http_pipelined_chunked(void **state)
{
	struct http_fixture *x = *state;
	struct http_seen s;

	memset(&s, 0, sizeof(s));
	/* two requests in one segment, the first with a chunked body */
	assert_int_equal(feed(x, 0, "POST /one HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
				    "4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n"
				    "GET /two HTTP/1.1\r\nHost: a\r\n\r\n", &s), 0);
	assert_int_equal(s.n_req, 2);
	assert_string_equal(s.uri[0], "/one");
	assert_string_equal(s.uri[1], "/two");
	assert_true(s.n_req_body >= 1);
	assert_string_equal(s.reqbody, "abcdefg");
}

static void test_http_garbage_no_crash(void **state)
{
	struct http_fixture *x = *state;
	struct http_seen s;
	uint8_t junk[512];
	uint32_t r = 12345;

	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < sizeof(junk); i++) {
		r = r * 1103515245u + 12345u;
		junk[i] = (uint8_t)(r >> 16);
	}
	/* whatever libhtp makes of it: no crash, a failed parser stays failed */
	(void)feed(x, 0, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", &s);
	for (int k = 0; k < 8; k++)
		(void)sig_http_feed(x->f, k & 1, junk, sizeof(junk), 0, &x->ac, http_cb, &s);
	assert_true(s.n_req >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_md5_vectors),
		cmocka_unit_test(test_dns_query),
		cmocka_unit_test(test_dns_response_compression),
		cmocka_unit_test(test_dns_malformed),
		cmocka_unit_test(test_tls_client_hello_ja3),
		cmocka_unit_test(test_tls_split_records),
		cmocka_unit_test(test_tls_server_hello_ja3s),
		cmocka_unit_test(test_tls_not_tls),
		cmocka_unit_test_setup_teardown(test_http_request_response, http_setup, http_teardown),
		cmocka_unit_test_setup_teardown(test_http_pipelined_chunked, http_setup, http_teardown),
		cmocka_unit_test_setup_teardown(test_http_garbage_no_crash, http_setup, http_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
