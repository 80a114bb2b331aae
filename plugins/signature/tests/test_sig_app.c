/* plugins/signature/tests/test_sig_app.c: unit tests of the application parsers: DNS, TLS hellos with JA3/JA3S, certificates, MD5, SHA-1, detection, HTTP through the libhtp glue. */
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

/* ---- digests (libcrypto through sig_crypto.c) ---- */
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
	struct sig_crypto *cw = sig_crypto_new(0);

	(void)state;
	assert_non_null(cw);
	/* off the workers (no window), and in a worker's window with its reused digest context */
	for (int win = 0; win < 2; win++) {
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
			sig_crypto_enter(win ? cw : NULL);
			sig_md5_hex((const uint8_t *)v[i].in, strlen(v[i].in), hex);
			sig_crypto_leave(win ? cw : NULL);
			assert_string_equal(hex, v[i].hex);
		}
	}
	sig_crypto_free(cw);
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

/* SSLv2-format hellos: two-byte record header with the high bit set */
static void test_tls_sslv2_hello(void **state)
{
	/* CLIENT-HELLO offering TLS 1.0: 2 cipher specs, no session id, 16-byte challenge */
	static const uint8_t ch[] = { 0x80, 0x1f, 0x01, 0x03, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00,
				      0x10, 0x00, 0x00, 0x2f, 0x00, 0x00, 0x35, 0, 1, 2, 3, 4, 5,
				      6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	/* SERVER-HELLO of SSL 2.0 */
	static const uint8_t sh[] = { 0x80, 0x0b, 0x04, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00,
				      0x00, 0x00, 0x00, 0x00 };
	uint8_t v2[sizeof(ch)], bad[sizeof(ch)];
	struct sig_tls_hello h;

	(void)state;
	assert_int_equal(sig_tls_sane(ch, sizeof(ch)), 1);
	assert_int_equal(sig_app_detect(ch, sizeof(ch), 1), SIG_APP_TLS);
	assert_int_equal(sig_tls_parse(ch, sizeof(ch), &h), 1);
	assert_int_equal(h.type, 1);
	assert_int_equal(h.version, 0x0301);
	assert_int_equal(h.ja3_len, 0);
	assert_int_equal(h.sni_len, 0);
	for (size_t n = 0; n < sizeof(ch); n++)
		assert_int_equal(sig_tls_parse(ch, n, &h), 0);
	/* SSL 2.0 itself is reported as Suricata's 0x0200 */
	memcpy(v2, ch, sizeof(ch));
	v2[3] = 0x00;
	v2[4] = 0x02;
	assert_int_equal(sig_tls_parse(v2, sizeof(v2), &h), 1);
	assert_int_equal(h.version, 0x0200);
	assert_int_equal(sig_tls_parse(sh, sizeof(sh), &h), 1);
	assert_int_equal(h.type, 2);
	assert_int_equal(h.version, 0x0200);
	/* another message type, a version that is none, cipher specs that overrun: not TLS */
	memcpy(bad, ch, sizeof(ch));
	bad[2] = 9;
	assert_int_equal(sig_tls_sane(bad, sizeof(bad)), -1);
	memcpy(bad, ch, sizeof(ch));
	bad[3] = 0x07;
	assert_int_equal(sig_tls_sane(bad, sizeof(bad)), -1);
	memcpy(bad, ch, sizeof(ch));
	bad[6] = 0x30;
	assert_int_equal(sig_tls_parse(bad, sizeof(bad), &h), -1);
}

/* ---- SHA-1 and certificates ---- */
static void sha1_hex(const void *d, size_t n, char out[41])
{
	uint8_t h[20];

	assert_int_equal(sig_digest(SIG_MD_SHA1, d, n, h), 0);
	for (int i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static void test_sha1_vectors(void **state)
{
	char hex[41];
	static char million[1000000];

	(void)state;
	sha1_hex("", 0, hex);
	assert_string_equal(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	sha1_hex("abc", 3, hex);
	assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
	sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	assert_string_equal(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	/* 55, 56 and 64 bytes: the padding edge cases */
	sha1_hex("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 55, hex);
	assert_string_equal(hex, "c1c8bbdc22796e28c0e15163d20899b65621d65a");
	sha1_hex("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64, hex);
	assert_string_equal(hex, "0098ba824b5c16427bd7a1122a5a442a25ec644d");
	memset(million, 'a', sizeof(million));
	sha1_hex(million, sizeof(million), hex);
	assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

static size_t load_fixture(const char *name, uint8_t *buf, size_t cap)
{
	char path[1024];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", SIG_TEST_DATA, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	n = fread(buf, 1, cap, f);
	fclose(f);
	assert_true(n > 0 && n < cap);
	return n;
}

static void test_x509_fields(void **state)
{
	uint8_t leaf[2048], ca[2048];
	size_t nl = load_fixture("leaf.der", leaf, sizeof(leaf));
	size_t nc = load_fixture("ca.der", ca, sizeof(ca));
	struct sig_tls_cert c;

	(void)state;
	/* a v1 certificate (no [0] version) issued by the test CA */
	assert_int_equal(sig_x509_parse(leaf, nl, &c), 0);
	assert_string_equal(c.subject, "C=NL, ST=Noord-Holland, O=Natwarden Lab, OU=Tests, CN=evil.example");
	assert_int_equal(c.subject_len, strlen(c.subject));
	assert_string_equal(c.issuer, "C=NL, O=Natwarden Lab, CN=Natwarden Test CA");
	assert_int_equal(c.issuer_len, strlen(c.issuer));
	assert_string_equal(c.serial, "5C:19:B7:B1:32:3B:1C:A1");
	assert_int_equal(c.serial_len, strlen(c.serial));
	assert_string_equal(c.fingerprint, "a6:d9:b9:65:fa:9b:0b:52:28:fd:72:9f:dc:13:14:a2:69:02:e2:f8");
	assert_int_equal(c.fingerprint_len, 59);
	/* the self-signed v3 CA */
	assert_int_equal(sig_x509_parse(ca, nc, &c), 0);
	assert_string_equal(c.subject, "C=NL, O=Natwarden Lab, CN=Natwarden Test CA");
	assert_string_equal(c.issuer, c.subject);
	assert_string_equal(c.serial, "6E:FA:CF:AC:58:24:85:EF:FA:5E:BB:86:1A:EB:EA:0E:B9:40:E4:D4");
	assert_string_equal(c.fingerprint, "39:4a:af:1c:eb:69:06:32:9f:ac:b4:1b:f9:ac:00:33:da:60:bb:27");
	/* every truncation is malformed; never a read past the end (run under valgrind/ASan) */
	for (size_t n = 0; n < nl; n++) {
		uint8_t *cp = malloc(n ? n : 1);
		memcpy(cp, leaf, n);
		assert_int_equal(sig_x509_parse(cp, n, &c), -1);
		free(cp);
	}
	/* single-byte corruptions: parsed or refused, never a crash, strings always terminated */
	for (size_t i = 0; i < nl; i++) {
		uint8_t cp[2048];
		memcpy(cp, leaf, nl);
		cp[i] ^= 0x80;
		if (sig_x509_parse(cp, nl, &c) == 0) {
			assert_true(strlen(c.subject) == c.subject_len);
			assert_true(strlen(c.issuer) == c.issuer_len);
		}
	}
}

/* more shapes (fields as the DER walker this replaced produced them; fingerprints as
 * `openssl x509 -fingerprint -sha1` prints them): web.der is a v3 RSA server certificate with
 * extensions, a serial whose DER carries a leading 00, BMPString, IA5String, a repeated OU and
 * an attribute type without a name; multi.der has a multi-valued RDN (in its DER order) and a
 * negative serial */
static void test_x509_shapes(void **state)
{
	uint8_t der[4096];
	size_t n = load_fixture("web.der", der, sizeof(der));
	struct sig_tls_cert c;

	(void)state;
	assert_int_equal(sig_x509_parse(der, n, &c), 0);
	assert_string_equal(c.subject, "C=DE, ST=Bayern, L=M\xfcnchen, O=\xdc" "bung & Co, OU=Web, OU=Ops, "
				       "CN=www.example.org, emailAddress=ops@example.org, "
				       "2.3.4.5=custom-attr");
	assert_int_equal(c.subject_len, strlen(c.subject));
	assert_string_equal(c.issuer, "DC=org, DC=example, O=Example Trust, CN=Example RSA CA");
	assert_string_equal(c.serial, "00:C3:A1:B2:D4:E5:F6:07:18:29:3A:4B:5C:6D:7E:8F:90");
	assert_int_equal(c.serial_len, strlen(c.serial));
	assert_string_equal(c.fingerprint, "82:b4:75:1a:4f:a1:28:27:72:94:b5:d6:78:60:20:53:ad:26:f7:87");
	/* bytes after the certificate (a chain entry longer than its DER) are not part of it */
	memset(der + n, 0xee, 16);
	assert_int_equal(sig_x509_parse(der, n + 16, &c), 0);
	assert_string_equal(c.fingerprint, "82:b4:75:1a:4f:a1:28:27:72:94:b5:d6:78:60:20:53:ad:26:f7:87");

	n = load_fixture("multi.der", der, sizeof(der));
	assert_int_equal(sig_x509_parse(der, n, &c), 0);
	assert_string_equal(c.subject, "O=Multi Org, OU=Edge, UID=u42, CN=multi.example");
	assert_string_equal(c.issuer, c.subject);
	assert_string_equal(c.serial, "FB");
	assert_string_equal(c.fingerprint, "b7:64:6d:15:20:4e:4f:72:f5:c6:ed:a5:00:8f:d5:1c:88:75:b8:07");
}

/* A worker's window: certificates (whole, cut short, corrupted) and digests are decoded with
 * every libcrypto allocation in the worker's arena; none goes to the heap, none is refused,
 * and the arena rewinds after each window (nothing outlives it). Fields match the heap path. */
static void test_crypto_window(void **state)
{
	static const char *const files[] = { "leaf.der", "ca.der", "web.der", "multi.der" };
	enum { NF = sizeof(files) / sizeof(files[0]) };
	static uint8_t der[NF][4096];
	static struct sig_tls_cert heap[NF], arena;
	size_t n[NF];
	struct sig_crypto_stats st;
	struct sig_crypto *cw;
	unsigned windows = 0;
	char hex[33];

	(void)state;
	assert_true(sig_crypto_hooked());
	for (size_t f = 0; f < NF; f++) {
		n[f] = load_fixture(files[f], der[f], sizeof(der[f]));
		assert_int_equal(sig_x509_parse(der[f], n[f], &heap[f]), 0);
	}
	/* from here on this thread is a worker: libcrypto only inside windows */
	cw = sig_crypto_new(1);
	assert_non_null(cw);
	for (size_t f = 0; f < NF; f++) {
		sig_crypto_enter(cw);
		assert_int_equal(sig_x509_parse(der[f], n[f], &arena), 0);
		sig_crypto_leave(cw);
		windows++;
		assert_memory_equal(&heap[f], &arena, sizeof(arena));
		for (size_t i = 0; i < n[f]; i += 7) {
			uint8_t cp[4096];
			memcpy(cp, der[f], n[f]);
			cp[i] ^= (uint8_t)(i & 1 ? 0x80 : 0x01);
			sig_crypto_enter(cw);
			(void)sig_x509_parse(cp, n[f], &arena);
			(void)sig_x509_parse(cp, i, &arena); /* cut short */
			sig_md5_hex(cp, n[f], hex);
			sig_crypto_leave(cw);
			windows++;
		}
	}
	sig_crypto_take_stats(cw, &st);
	assert_int_equal(st.heap, 0);
	assert_int_equal(st.nomem, 0);
	assert_int_equal(st.held, 0);
	/* what one window needs, against the arena it has */
	print_message("%u windows, arena peak %zu of %u bytes\n", windows,
		      sig_crypto_arena_peak(cw), SIG_CRYPTO_ARENA);
	assert_true(sig_crypto_arena_peak(cw) > 0);
	assert_true(sig_crypto_arena_peak(cw) < SIG_CRYPTO_ARENA / 4);
	sig_crypto_free(cw);
}

/* the server's flight: ServerHello, Certificate (leaf, ca), ServerHelloDone; same_record puts
 * them in one record, else one record each */
static void tls_server_flight(struct tb *out, int same_record, uint16_t version)
{
	uint8_t leaf[2048], ca[2048];
	size_t nl = load_fixture("leaf.der", leaf, sizeof(leaf));
	size_t nc = load_fixture("ca.der", ca, sizeof(ca));
	struct tb sh = { .n = 0 }, cert = { .n = 0 }, msgs[3];
	size_t chain = 3 + nl + 3 + nc;

	tb_u16(&sh, version);
	for (int i = 0; i < 32; i++)
		tb_u8(&sh, 0x11);
	tb_u8(&sh, 0);
	tb_u16(&sh, 0xc02f);
	tb_u8(&sh, 0);
	tb_u16(&sh, 0);
	tb_u8(&cert, (unsigned)(chain >> 16));
	tb_u16(&cert, (unsigned)chain & 0xffff);
	tb_u8(&cert, 0);
	tb_u16(&cert, (unsigned)nl);
	tb_put(&cert, leaf, nl);
	tb_u8(&cert, 0);
	tb_u16(&cert, (unsigned)nc);
	tb_put(&cert, ca, nc);
	for (int k = 0; k < 3; k++) {
		const struct tb *b = k == 0 ? &sh : k == 1 ? &cert : NULL;
		msgs[k].n = 0;
		tb_u8(&msgs[k], k == 0 ? 2 : k == 1 ? 11 : 14);
		tb_u8(&msgs[k], 0);
		tb_u16(&msgs[k], b ? (unsigned)b->n : 0);
		if (b)
			tb_put(&msgs[k], b->b, b->n);
	}
	out->n = 0;
	if (same_record) {
		tb_put(out, "\x16\x03\x03", 3);
		tb_u16(out, (unsigned)(msgs[0].n + msgs[1].n + msgs[2].n));
		for (int k = 0; k < 3; k++)
			tb_put(out, msgs[k].b, msgs[k].n);
	} else {
		for (int k = 0; k < 3; k++) {
			tb_put(out, "\x16\x03\x03", 3);
			tb_u16(out, (unsigned)msgs[k].n);
			tb_put(out, msgs[k].b, msgs[k].n);
		}
	}
}

static void test_tls_cert_message(void **state)
{
	struct tb f;
	struct sig_tls_cert c;
	struct sig_tls_hello h;
	static struct sig_tls_chain ch;
	size_t cert_end, msg_end;

	(void)state;
	for (int same = 0; same < 2; same++) {
		tls_server_flight(&f, same, 0x0303);
		assert_int_equal(sig_tls_parse(f.b, f.n, &h), 1);
		assert_int_equal(h.type, 2);
		assert_int_equal(sig_tls_cert_parse(f.b, f.n, 0, &c, &ch), 1);
		assert_string_equal(c.subject, "C=NL, ST=Noord-Holland, O=Natwarden Lab, OU=Tests, CN=evil.example");
		assert_string_equal(c.serial, "5C:19:B7:B1:32:3B:1C:A1");
		/* tls.certs: both DER certificates, in chain order */
		assert_int_equal(ch.n, 2);
		assert_int_equal(ch.len[0], 408);
		assert_int_equal(ch.off[1], ch.off[0] + 408 + 3);
		assert_int_equal(ch.hs[ch.off[1]], 0x30);
		/* every prefix that ends before the leaf certificate is complete: more data needed */
		cert_end = (same ? 5 : 10) + 4 + 40 + 4 + 6 + 408;
		msg_end = cert_end + 3 + (f.b[cert_end] << 16 | f.b[cert_end + 1] << 8 | f.b[cert_end + 2]);
		for (size_t n = 0; n < cert_end; n++) {
			assert_int_equal(sig_tls_cert_parse(f.b, n, 0, &c, &ch), 0);
			if (n > 5)
				assert_int_not_equal(sig_tls_cert_parse(f.b, n, 1, &c, &ch), 1);
		}
		/* the leaf alone: wait for the chain, unless the stream's start leaves view */
		for (size_t n = cert_end; n < msg_end; n++) {
			assert_int_equal(sig_tls_cert_parse(f.b, n, 0, &c, &ch), 0);
			assert_int_equal(sig_tls_cert_parse(f.b, n, 1, &c, &ch), 1);
			assert_int_equal(ch.n, 1);
		}
		assert_int_equal(sig_tls_cert_parse(f.b, msg_end, 0, &c, &ch), 1);
		assert_int_equal(ch.n, 2);
	}
	/* no Certificate before ServerHelloDone (anonymous/PSK): none */
	tls_server_flight(&f, 0, 0x0303);
	{
		struct tb g = { .n = 0 };
		size_t shrec = 5 + 4 + 40;
		tb_put(&g, f.b, shrec);
		tb_put(&g, "\x16\x03\x03\x00\x04\x0e\x00\x00\x00", 9);
		assert_int_equal(sig_tls_cert_parse(g.b, g.n, 0, &c, &ch), -1);
		/* TLS 1.3 style: ChangeCipherSpec then encrypted records */
		g.n = shrec;
		tb_put(&g, "\x14\x03\x03\x00\x01\x01\x17\x03\x03\x00\x10", 11);
		assert_int_equal(sig_tls_cert_parse(g.b, g.n, 0, &c, &ch), -1);
	}
	/* a chain length that disagrees with the message length */
	tls_server_flight(&f, 1, 0x0303);
	f.b[5 + 4 + 40 + 4 + 1] = 0; /* chain length 100: shorter than its first certificate */
	f.b[5 + 4 + 40 + 4 + 2] = 100;
	assert_int_equal(sig_tls_cert_parse(f.b, f.n, 0, &c, &ch), -1);
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

/* compose http.header (large) before http.host, as a rule group might, and note the outcome */
struct http_full_seen {
	size_t header_len;
	char host[64];
	int full;
};
static void http_full_cb(void *opaque, struct sig_appctx *ac)
{
	struct http_full_seen *s = opaque;
	const uint8_t *p;
	size_t n;

	if (ac->stage != SIG_ST_REQ_HEADERS)
		return;
	if (sig_app_buffer(ac, SIG_BUF_HTTP_HEADER, 0, 0, &p, &n))
		s->header_len = n;
	copy_buf(ac, SIG_BUF_HTTP_HOST, 0, s->host, sizeof(s->host));
	s->full = ac->arena_full;
}

/* Over 64 KiB of headers: the composed buffers that no longer fit are cut short, and the event
 * says so (the plugin counts it as http_buffer_truncated) instead of a silent miss. */
static void test_http_headers_over_scratch(void **state)
{
	struct http_fixture *x = *state;
	struct http_full_seen s;
	static char req[80000];
	size_t n;

	memset(&s, 0, sizeof(s));
	n = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: evil.example\r\n");
	for (int i = 0; i < 70; i++) {
		n += (size_t)snprintf(req + n, sizeof(req) - n, "X-Pad-%d: ", i);
		memset(req + n, 'a', 1000);
		n += 1000;
		n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n");
	}
	n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n");
	assert_int_equal(sig_http_feed(x->f, 0, (const uint8_t *)req, n, 1700000000000000000ull,
				       &x->ac, http_full_cb, &s), 0);
	assert_int_equal(s.header_len, SIG_ARENA_SIZE);
	assert_true(s.full);
	/* a small request on the same parser: everything fits again */
	memset(&s, 0, sizeof(s));
	{
		const char *small = "GET /b HTTP/1.1\r\nHost: ok.example\r\n\r\n";
		assert_int_equal(sig_http_feed(x->f, 0, (const uint8_t *)small, strlen(small),
					       1700000000000000000ull, &x->ac, http_full_cb, &s),
				 0);
	}
	assert_string_equal(s.host, "ok.example");
	assert_false(s.full);
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
		cmocka_unit_test(test_tls_sslv2_hello),
		cmocka_unit_test(test_sha1_vectors),
		cmocka_unit_test(test_x509_fields),
		cmocka_unit_test(test_x509_shapes),
		cmocka_unit_test(test_crypto_window),
		cmocka_unit_test(test_tls_cert_message),
		cmocka_unit_test_setup_teardown(test_http_request_response, http_setup, http_teardown),
		cmocka_unit_test_setup_teardown(test_http_pipelined_chunked, http_setup, http_teardown),
		cmocka_unit_test_setup_teardown(test_http_garbage_no_crash, http_setup, http_teardown),
		cmocka_unit_test_setup_teardown(test_http_headers_over_scratch, http_setup,
						http_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
