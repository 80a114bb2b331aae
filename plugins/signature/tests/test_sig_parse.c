/* plugins/signature/tests/test_sig_parse.c: rule parser unit tests (header, keywords, error messages). */
#include "sig_test.h"

#define R(opts) "alert tcp any any -> any any (" opts ")"
#define ERR_HAS(rule, text)                                                                 \
	do {                                                                                \
		const char *e_ = sig_test_error(rule);                                      \
		if (!strstr(e_, text))                                                      \
			fail_msg("error for %s: got '%s', want '%s'", rule, e_, text);      \
	} while (0)

static void test_parse_ok_fields(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[] = { R("msg:\"NATWARDEN a\\;b\"; sid:7; rev:3; gid:2; "
				  "classtype:attempted-admin; reference:cve,2021-44228; "
				  "metadata:created_at 2024_01_01; content:\"x\";") };
	struct sig_ruleset *rs = sig_test_rules(rules, 1, &errs);
	const struct sig_rule *r;

	assert_int_equal(errs.n, 0);
	r = sig_test_rule(rs, 7);
	assert_non_null(r);
	assert_string_equal(r->msg, "NATWARDEN a;b");
	assert_int_equal(r->rev, 3);
	assert_int_equal(r->gid, 2);
	assert_int_equal(r->prio, 1); /* attempted-admin */
	assert_string_equal(r->cls->desc, "Attempted Administrator Privilege Gain");
	assert_string_equal(r->refs, "cve,2021-44228");
	sig_ruleset_free(rs);
}

static void test_parse_errors_name_keyword(void **state)
{
	ERR_HAS(R("content:\"a\"; sid:5; smb.share;"), "<rules>:1: sid 5: keyword 'smb.share': not supported by natwarden");
	ERR_HAS(R("sid:6; frobnicate:1;"), "sid 6: keyword 'frobnicate': unknown keyword");
	ERR_HAS(R("msg:\"x\";"), "keyword 'sid': missing");
	ERR_HAS(R("sid:8; depth:4;"), "keyword 'depth': needs a preceding content");
	ERR_HAS(R("sid:9; content:\"abc\"; depth:2;"), "keyword 'depth': depth 2 is smaller");
	ERR_HAS(R("sid:10; content:\"a\"; offset:1; distance:2;"), "keyword 'distance': can't mix");
	ERR_HAS(R("sid:11; content:\"|4g|\";"), "keyword 'content': bad hex digit");
	ERR_HAS(R("sid:12; content:\"a\\x\";"), "keyword 'content': invalid escape");
	ERR_HAS(R("sid:13; pcre:\"/a(/\";"), "keyword 'pcre': regex error");
	ERR_HAS(R("sid:14; pcre:\"/a/U\"; dns.query;"), "keyword 'dns.query': buffer of another protocol");
	ERR_HAS(R("sid:15; classtype:no-such-class;"), "keyword 'classtype': unknown classtype");
	ERR_HAS(R("sid:16; flow:to_server,to_client;"), "keyword 'flow'");
	ERR_HAS(R("sid:17; flags:SX;"), "keyword 'flags': unknown flag 'X'");
	ERR_HAS(R("sid:18; dsize:5<>3;"), "keyword 'dsize'");
	ERR_HAS(R("sid:19; threshold:type limit, count 1;"), "keyword 'threshold'");
	ERR_HAS(R("sid:20; byte_test:4,~,1,0;"), "keyword 'byte_test': unknown operator");
	ERR_HAS("alert ssh any any -> any any (sid:21;)", "protocol 'ssh' not supported by natwarden");
	ERR_HAS("alert smtp any any -> any any (sid:36; file_data; content:\"X-Mailer\";)",
		"keyword 'file.data': not supported by natwarden on smtp");
	ERR_HAS("alert smb any any -> any any (sid:37; smb.named_pipe; content:\"svcctl\";)",
		"keyword 'smb.named_pipe': not supported by natwarden");
	ERR_HAS("alert ftp any any -> any any (sid:38; urilen:>3;)",
		"keyword 'urilen': not supported by natwarden on ftp");
	ERR_HAS("alert tcp any any => any any (sid:22;)", "bad direction");
	ERR_HAS("alert tcp $NOPE any -> any any (sid:23;)", "undefined variable $NOPE");
	ERR_HAS("alert tcp 10.0.0.300 any -> any any (sid:24;)", "bad address");
	ERR_HAS("alert tcp any 70000 -> any any (sid:25;)", "bad port");
	ERR_HAS(R("sid:26; content:\"a\""), "missing ';'");
	ERR_HAS(R("sid:27; content:\"a\"; byte_extract:1,0,x;"), "'byte_extract': not supported by natwarden");
	ERR_HAS(R("sid:28; pcrexform:\"a(b)\";"), "keyword 'pcrexform': a transform needs a sticky buffer");
	ERR_HAS("alert http any any -> any any (sid:29; http.uri; pcrexform:\"ab\";)",
		"keyword 'pcrexform': the regex needs a capture group");
	ERR_HAS("alert http any any -> any any (sid:30; http.uri; pcrexform:\"a(\";)",
		"keyword 'pcrexform': regex error");
	ERR_HAS("alert http any any -> any any (sid:31; http.uri; pcrexform:a(b);)",
		"keyword 'pcrexform': expected \"regex\"");
	ERR_HAS(R("sid:32; tag:flow,10,packets;"), "keyword 'tag': expected session|host");
	ERR_HAS(R("sid:33; tag:session,10,minutes;"), "keyword 'tag': expected session|host");
	ERR_HAS(R("sid:34; target:any;"), "keyword 'target': expected src_ip or dest_ip");
	ERR_HAS(R("sid:35; app-layer-protocol:ssh;"),
		"keyword 'app-layer-protocol': protocol 'ssh' not supported by natwarden");
}

/* Keywords ET rules carry that load: fast_pattern after bsize modifies the content before it;
 * tag and target are checked and load. */
static void test_parse_et_forms(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[] = {
		"alert http any any -> any any (sid:40; http.user_agent; content:\"Mozilla/4.0\"; "
		"bsize:11; fast_pattern; http.uri; content:\"/x\"; tag:session,20,packets; "
		"target:src_ip;)",
		"alert http any any -> any any (sid:41; http.uri; pcrexform:\"[?&]id=([^&]*)\"; "
		"url_decode; content:\"1 UNION\"; tag:host, 300, seconds, src;)",
	};
	struct sig_ruleset *rs = sig_test_rules(rules, 2, &errs);
	const struct sig_rule *r;

	(void)state;
	assert_int_equal(errs.n, 0);
	r = sig_test_rule(rs, 40);
	assert_non_null(r);
	assert_non_null(r->fp);
	assert_memory_equal(r->fp->pat, "Mozilla/4.0", 11);
	r = sig_test_rule(rs, 41);
	assert_non_null(r);
	sig_ruleset_free(rs);
}

/* prefilter: after a content it picks the fast pattern; after another match keyword it loads
 * and changes nothing; it must follow a match keyword, once */
static void test_parse_prefilter(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[] = {
		R("sid:50; content:\"longer pattern\"; content:\"short\"; nocase; prefilter;"),
		"alert udp any any -> any any (sid:51; ttl:64; prefilter; content:\"abc\";)",
	};
	struct sig_ruleset *rs = sig_test_rules(rules, 2, &errs);
	const struct sig_rule *r;

	(void)state;
	assert_int_equal(errs.n, 0);
	r = sig_test_rule(rs, 50);
	assert_non_null(r);
	assert_non_null(r->fp);
	assert_int_equal(r->fp->len, 5);
	r = sig_test_rule(rs, 51);
	assert_non_null(r);
	assert_non_null(r->fp);
	assert_memory_equal(r->fp->pat, "abc", 3);
	sig_ruleset_free(rs);
	ERR_HAS(R("sid:52; prefilter; content:\"a\";"), "keyword 'prefilter': must follow the match keyword");
	ERR_HAS(R("sid:53; content:\"a\"; msg:\"m\"; prefilter;"), "keyword 'prefilter': must follow");
	ERR_HAS(R("sid:54; content:\"a\"; prefilter; ttl:3; prefilter;"), "only one prefilter");
	ERR_HAS(R("sid:55; content:!\"a\"; prefilter;"), "negated content");
	ERR_HAS(R("sid:56; content:\"a\"; fast_pattern; content:\"b\"; prefilter;"),
		"another content is already the fast pattern");
}

/* Suricata's order: action, flowbits setters before readers, priority, file order */
static void test_rule_order(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[] = {
		R("sid:60; content:\"a\";"),
		R("sid:61; content:\"a\"; priority:1;"),
		R("sid:62; flowbits:isset,x; content:\"a\";"),
		R("sid:63; flowbits:set,x; content:\"a\";"),
		"drop tcp any any -> any any (sid:64; content:\"a\";)",
		"pass tcp any any -> any any (sid:65; content:\"a\"; priority:4;)",
		"reject tcp any any -> any any (sid:66; content:\"a\";)",
	};
	const uint32_t want[] = { 65, 64, 66, 63, 62, 61, 60 };
	struct sig_ruleset *rs = sig_test_rules(rules, 7, &errs);

	(void)state;
	assert_int_equal(errs.n, 0);
	assert_int_equal(rs->n, 7);
	for (unsigned i = 0; i < 7; i++)
		assert_int_equal(rs->rules[i]->sid, want[i]);
	sig_ruleset_free(rs);
}

static void test_parse_bad_rules_skipped_and_counted(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[] = { R("sid:1; content:\"ok\";"), R("sid:2; http_method;"),
				"# a comment", "", R("sid:3; content:\"fine\";"),
				R("sid:1; content:\"dup\";") };
	struct sig_ruleset *rs = sig_test_rules(rules, 6, &errs);

	assert_int_equal(rs->n, 2);
	assert_int_equal(rs->n_bad, 2);
	assert_int_equal(errs.n, 2);
	assert_non_null(strstr(errs.msg[0], "<rules>:2: sid 2: keyword 'http_method'"));
	assert_non_null(strstr(errs.msg[1], "<rules>:6: sid 1: duplicate"));
	sig_ruleset_free(rs);
}

/* duplicates are found among many rules (a hash of gid:sid); the same sid in another gid is not one */
static void test_parse_duplicates_many(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	enum { N = 3000 };
	char **text = calloc(N + 3, sizeof(*text));
	struct sig_ruleset *rs;

	assert_non_null(text);
	for (unsigned i = 0; i < N; i++)
		assert_true(asprintf(&text[i], R("sid:%u; content:\"r%u\";"), i + 1, i) > 0);
	assert_true(asprintf(&text[N], R("sid:1500; content:\"again\";")) > 0);
	assert_true(asprintf(&text[N + 1], R("gid:2; sid:1500; content:\"other gid\";")) > 0);
	assert_true(asprintf(&text[N + 2], R("sid:%u; content:\"last\";"), N) > 0);
	rs = sig_test_rules((const char *const *)text, N + 3, &errs);
	assert_int_equal(rs->n, N + 1);
	assert_int_equal(rs->n_bad, 2);
	assert_non_null(strstr(errs.msg[0], "<rules>:3001: sid 1500: duplicate of the rule at <rules>:1500"));
	assert_non_null(strstr(errs.msg[1], "<rules>:3003: sid 3000: duplicate"));
	sig_ruleset_free(rs);
	for (unsigned i = 0; i < N + 3; i++)
		free(text[i]);
	free(text);
}

static void test_parse_header_addresses(void **state)
{
	struct sig_anode a;
	struct nw_addr x = { .family = 4 };
	char err[128];
	struct sig_vars vs = { 0 };

	assert_int_equal(sig_vars_defaults(&vs), 0);
	assert_int_equal(sig_addr_parse(&vs, "[10.0.0.0/8,!10.1.0.0/16,[192.168.1.1]]", &a, err,
					sizeof(err)), 0);
	inet_pton(AF_INET, "10.2.3.4", x.a);
	assert_true(sig_addr_match(&a, &x));
	inet_pton(AF_INET, "10.1.3.4", x.a);
	assert_false(sig_addr_match(&a, &x));
	inet_pton(AF_INET, "192.168.1.1", x.a);
	assert_true(sig_addr_match(&a, &x));
	sig_anode_free(&a);

	assert_int_equal(sig_addr_parse(&vs, "$EXTERNAL_NET", &a, err, sizeof(err)), 0);
	inet_pton(AF_INET, "172.20.0.1", x.a); /* in HOME_NET */
	assert_false(sig_addr_match(&a, &x));
	inet_pton(AF_INET, "203.0.113.9", x.a);
	assert_true(sig_addr_match(&a, &x));
	sig_anode_free(&a);

	assert_int_equal(sig_addr_parse(&vs, "!2001:db8::/32", &a, err, sizeof(err)), 0);
	x.family = 6;
	inet_pton(AF_INET6, "2001:db8::1", x.a);
	assert_false(sig_addr_match(&a, &x));
	inet_pton(AF_INET6, "2001:db9::1", x.a);
	assert_true(sig_addr_match(&a, &x));
	sig_anode_free(&a);

	/* a variable loop is an error, not a crash */
	assert_int_equal(sig_vars_set(&vs, "LOOP", "[$LOOP]"), 0);
	assert_int_equal(sig_addr_parse(&vs, "$LOOP", &a, err, sizeof(err)), -1);
	sig_vars_free(&vs);
}

static void test_parse_header_ports(void **state)
{
	struct sig_pnode p;
	char err[128];
	struct sig_vars vs = { 0 };
	uint16_t list[8];

	assert_int_equal(sig_vars_defaults(&vs), 0);
	assert_int_equal(sig_port_parse(&vs, "[1:1024,!80,8080:]", &p, err, sizeof(err)), 0);
	assert_true(sig_port_match(&p, 22));
	assert_false(sig_port_match(&p, 80));
	assert_false(sig_port_match(&p, 2000));
	assert_true(sig_port_match(&p, 9000));
	sig_pnode_free(&p);
	assert_int_equal(sig_port_parse(&vs, ":1023", &p, err, sizeof(err)), 0);
	assert_true(sig_port_match(&p, 0));
	assert_false(sig_port_match(&p, 1024));
	sig_pnode_free(&p);
	assert_int_equal(sig_port_parse(&vs, "$SHELLCODE_PORTS", &p, err, sizeof(err)), 0);
	assert_false(sig_port_match(&p, 80));
	assert_true(sig_port_match(&p, 81));
	sig_pnode_free(&p);
	assert_int_equal(sig_port_parse(&vs, "[80,$SSH_PORTS,443]", &p, err, sizeof(err)), 0);
	assert_int_equal(sig_port_list(&p, list, 8), 3);
	sig_pnode_free(&p);
	sig_vars_free(&vs);
}

static void test_parse_content_forms(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[] = { R("sid:1; content:\"a|41 42|\\\"\\;\\\\\"; nocase; fast_pattern;"),
				R("sid:2; content:!\"x\"; content:\"abcdef\"; fast_pattern:2,3;"),
				R("sid:3; content:\"abc\"; content:\"longer one\";") };
	struct sig_ruleset *rs = sig_test_rules(rules, 3, &errs);
	const struct sig_content *c;

	assert_int_equal(errs.n, 0);
	c = sig_test_rule(rs, 1)->pm[0].ctx;
	assert_int_equal(c->len, 6);
	assert_memory_equal(c->pat, "aAB\";\\", 6);
	assert_true(c->flags & SIG_CF_NOCASE);
	assert_ptr_equal(sig_test_rule(rs, 1)->fp, c);
	c = sig_test_rule(rs, 2)->pm[0].ctx;
	assert_true(c->flags & SIG_CF_NEGATED);
	c = sig_test_rule(rs, 2)->fp;
	assert_int_equal(c->fp_off, 2);
	assert_int_equal(c->fp_len, 3);
	/* the longest content is the fast pattern by default */
	assert_int_equal(sig_test_rule(rs, 3)->fp->len, 10);
	sig_ruleset_free(rs);
}

static void test_parse_action_order(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[] = { "alert ip any any -> any any (sid:1;)", "drop ip any any -> any any (sid:2;)",
				"pass ip any any -> any any (sid:3;)", "reject tcp any any -> any any (sid:4;)" };
	struct sig_ruleset *rs = sig_test_rules(rules, 4, &errs);

	assert_int_equal(rs->rules[0]->sid, 3);
	assert_int_equal(rs->rules[1]->sid, 2);
	assert_int_equal(rs->rules[2]->sid, 4);
	assert_int_equal(rs->rules[3]->sid, 1);
	sig_ruleset_free(rs);
}

static void test_parse_classification_file(void **state)
{
	struct sig_classes cs = { 0 };
	char err[256];
	const char *path = "/tmp/sig_test_class.config";
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs("# comment\nconfig classification: my-class,My Class,2\n", f);
	fclose(f);
	assert_int_equal(sig_classes_defaults(&cs), 0);
	assert_int_equal(sig_classes_load(&cs, path, err, sizeof(err)), 0);
	assert_int_equal(sig_classes_find(&cs, "my-class")->prio, 2);
	f = fopen(path, "w");
	fputs("config classification: broken\n", f);
	fclose(f);
	assert_true(sig_classes_load(&cs, path, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, ":1:"));
	sig_classes_free(&cs);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok_fields),
		cmocka_unit_test(test_parse_errors_name_keyword),
		cmocka_unit_test(test_parse_bad_rules_skipped_and_counted),
		cmocka_unit_test(test_parse_duplicates_many),
		cmocka_unit_test(test_parse_header_addresses),
		cmocka_unit_test(test_parse_header_ports),
		cmocka_unit_test(test_parse_content_forms),
		cmocka_unit_test(test_parse_action_order),
		cmocka_unit_test(test_parse_classification_file),
		cmocka_unit_test(test_parse_et_forms),
		cmocka_unit_test(test_parse_prefilter),
		cmocka_unit_test(test_rule_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
