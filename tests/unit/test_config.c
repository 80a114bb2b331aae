/* Unit tests: config parsing, errors with file:line, --set, directive tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>
#include "config.h"

static int has_error(const struct nw_config *cfg, const char *needle)
{
	for (unsigned i = 0; i < cfg->n_errors; i++)
		if (strstr(cfg->errors[i], needle))
			return 1;
	return 0;
}

static void test_sections_and_lines(void **state)
{
	struct nw_config *cfg;
	const char *text = "; comment\n[natwarden]\nplugins = a b\n\n[limit ssh]\nrate = 10/s ; inline\n"
			   "burst = 20\n";
	unsigned line = 0;

	(void)state;
	assert_int_equal(nw_config_load_string("t.conf", text, &cfg), 0);
	assert_int_equal(cfg->n_errors, 0);
	const struct nw_section *s = nw_config_section(cfg, "limit", "ssh");
	assert_non_null(s);
	assert_string_equal(nw_section_get(s, "rate", &line), "10/s");
	assert_int_equal(line, 6);
	assert_string_equal(nw_section_get(nw_config_section(cfg, "natwarden", ""), "plugins", NULL),
			    "a b");
	nw_config_free(cfg);
}

static void test_unknown_key_has_file_line(void **state)
{
	static const struct nw_directive tbl[] = {
		{"known", NW_CONF_UINT, 0, 0, "5", NULL, NULL},
		{NULL, NW_CONF_END, 0, 0, NULL, NULL, NULL},
	};
	struct nw_config *cfg;
	uint64_t v = 0;

	(void)state;
	nw_config_load_string("x.conf", "[a]\nknown = 7\nbogus = 1\n", &cfg);
	assert_int_not_equal(nw_config_parse(cfg, nw_config_section(cfg, "a", ""), tbl, &v), 0);
	assert_int_equal(v, 7);
	assert_true(has_error(cfg, "x.conf:3: [a] unknown key 'bogus'"));
	nw_config_free(cfg);
}

static void test_bad_value_and_defaults(void **state)
{
	struct t { uint64_t n; uint64_t d; int b; char s[8]; } t;
	static const struct nw_directive tbl[] = {
		{"n", NW_CONF_UINT, offsetof(struct t, n), 0, "3k", NULL, NULL},
		{"d", NW_CONF_DURATION, offsetof(struct t, d), 0, "10m", NULL, NULL},
		{"b", NW_CONF_BOOL, offsetof(struct t, b), 0, "no", NULL, NULL},
		{"s", NW_CONF_STRING, offsetof(struct t, s), 8, "abc", NULL, NULL},
		{NULL, NW_CONF_END, 0, 0, NULL, NULL, NULL},
	};
	struct nw_config *cfg;

	(void)state;
	memset(&t, 0, sizeof(t));
	nw_config_load_string("y.conf", "[a]\nd = 1h\nb = maybe\ns = toolongvalue\n", &cfg);
	assert_int_not_equal(nw_config_parse(cfg, nw_config_section(cfg, "a", ""), tbl, &t), 0);
	assert_int_equal(t.n, 3000);
	assert_int_equal(t.d, 3600);
	assert_string_equal(t.s, "abc");
	assert_true(has_error(cfg, "y.conf:3: [a] b = maybe: expected yes or no"));
	assert_true(has_error(cfg, "y.conf:4:"));
	nw_config_free(cfg);
}

static void test_syntax_and_duplicates(void **state)
{
	struct nw_config *cfg;

	(void)state;
	nw_config_load_string("z.conf", "[a]\nx = 1\nx = 2\njunk line\n[a]\n[b c d]\n[open\n", &cfg);
	assert_true(has_error(cfg, "z.conf:3: [a] duplicate key 'x' (first set on line 2)"));
	assert_true(has_error(cfg, "z.conf:4: syntax error"));
	assert_true(has_error(cfg, "z.conf:5: duplicate section [a]"));
	assert_true(has_error(cfg, "z.conf:6: bad section header"));
	assert_true(has_error(cfg, "z.conf:7: section header without ']'"));
	nw_config_free(cfg);
}

static void test_set_override(void **state)
{
	struct nw_config *cfg;

	(void)state;
	nw_config_load_string("s.conf", "[jail sshd]\nbantime = 1h\n", &cfg);
	assert_int_equal(nw_config_set(cfg, "jail sshd.bantime.increment=true"), 0);
	assert_int_equal(nw_config_set(cfg, "jail sshd.bantime=2h"), 0);
	assert_int_equal(nw_config_set(cfg, "plugins=ban"), 0);
	const struct nw_section *s = nw_config_section(cfg, "jail", "sshd");
	assert_string_equal(nw_section_get(s, "bantime", NULL), "2h");
	assert_string_equal(nw_section_get(s, "bantime.increment", NULL), "true");
	assert_string_equal(nw_section_get(nw_config_section(cfg, "natwarden", ""), "plugins", NULL),
			    "ban");
	assert_int_not_equal(nw_config_set(cfg, "novalue"), 0);
	nw_config_free(cfg);
}

static void test_unclaimed_and_multiline(void **state)
{
	struct nw_config *cfg;

	(void)state;
	nw_config_load_string("m.conf", "[a]\nlist = 1\n  2\n  3\n[zzz]\nk = v\n", &cfg);
	assert_string_equal(nw_section_get(nw_config_section(cfg, "a", ""), "list", NULL), "1 2 3");
	nw_config_claim(cfg, "a");
	assert_int_equal(nw_config_check_unclaimed(cfg), 1);
	assert_true(has_error(cfg, "m.conf:5: [zzz] unknown section"));
	nw_config_free(cfg);
}

static void test_value_parsers(void **state)
{
	uint64_t v;
	struct nw_addr a;
	unsigned p;
	int b;

	(void)state;
	assert_int_equal(nw_parse_duration("90", &v), 0);
	assert_int_equal(v, 90);
	assert_int_equal(nw_parse_duration("2d", &v), 0);
	assert_int_equal(v, 172800);
	assert_int_not_equal(nw_parse_duration("5 parsecs", &v), 0);
	assert_int_not_equal(nw_parse_duration("-1", &v), 0);
	assert_int_equal(nw_parse_duration_ms("250ms", &v), 0);
	assert_int_equal(v, 250);
	assert_int_not_equal(nw_parse_uint("99999999999999999999", &v), 0);
	assert_int_equal(nw_parse_uint("0x10", &v), 0);
	assert_int_equal(v, 16);
	assert_int_not_equal(nw_parse_uint("0x", &v), 0);
	assert_int_equal(nw_parse_cidr("203.0.113.0/24", &a, &p), 0);
	assert_int_equal(a.family, 4);
	assert_int_equal(p, 24);
	assert_int_equal(nw_parse_cidr("2001:db8::/32", &a, &p), 0);
	assert_int_equal(a.family, 6);
	assert_int_equal(p, 32);
	assert_int_not_equal(nw_parse_cidr("10.0.0.0/33", &a, &p), 0);
	assert_int_not_equal(nw_parse_cidr("10.0.0/8", &a, &p), 0);
	assert_int_equal(nw_parse_bool("On", &b), 0);
	assert_int_equal(b, 1);
}

static void test_missing_file(void **state)
{
	struct nw_config *cfg;

	(void)state;
	assert_int_equal(nw_config_load("/nonexistent/natwarden.conf", &cfg), -ENOENT);
	assert_true(has_error(cfg, "/nonexistent/natwarden.conf: cannot open"));
	nw_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections_and_lines),
		cmocka_unit_test(test_unknown_key_has_file_line),
		cmocka_unit_test(test_bad_value_and_defaults),
		cmocka_unit_test(test_syntax_and_duplicates),
		cmocka_unit_test(test_set_override),
		cmocka_unit_test(test_unclaimed_and_multiline),
		cmocka_unit_test(test_value_parsers),
		cmocka_unit_test(test_missing_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
