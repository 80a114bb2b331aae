/* Unit tests: the loader refuses ABI major, minor, size and build-option mismatches. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "engine.h"
#include "plugin_loader.h"

static const struct nw_services *svc;

static void test_desc_checks(void **state)
{
	struct nw_plugin_desc d = {NW_DESC_HEADER, .name = "ok", .services = &svc};
	char err[512];

	(void)state;
	assert_int_equal(nw_plugin_check_desc(&d, "ok", err, sizeof(err)), 0);
	d.abi_major = NW_ABI_MAJOR + 1;
	assert_int_equal(nw_plugin_check_desc(&d, NULL, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "major versions differ"));
	d.abi_major = NW_ABI_MAJOR;
	d.abi_minor = NW_ABI_MINOR + 1;
	assert_int_equal(nw_plugin_check_desc(&d, NULL, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "newer than this natwarden"));
	d.abi_minor = NW_ABI_MINOR;
	d.size = sizeof(d) - 8;
	assert_int_equal(nw_plugin_check_desc(&d, NULL, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "descriptor size"));
	d.size = sizeof(d);
	d.build_options = "abi=1;ptr=4;long=4;le";
	assert_int_equal(nw_plugin_check_desc(&d, NULL, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "build options"));
	d.build_options = NW_BUILD_OPTIONS;
	assert_int_equal(nw_plugin_check_desc(&d, "other", err, sizeof(err)), -EPROTO);
	d.flow_priv_size = 5000;
	assert_int_equal(nw_plugin_check_desc(&d, NULL, err, sizeof(err)), -EPROTO);
}

/* Real .so files built next to this test with deliberately wrong descriptors. */
static void test_dlopen_refuses(void **state)
{
	struct nw_plugin *p = NULL;
	char err[768];
	const char *dir = getenv("NW_TEST_PLUGIN_DIR");

	(void)state;
	if (!dir)
		dir = "tests/unit/.libs";
	assert_int_equal(nw_plugin_open("badmajor", dir, &p, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "refused"));
	assert_non_null(strstr(err, "ABI 2.0"));
	assert_int_equal(nw_plugin_open("badsize", dir, &p, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "descriptor size"));
	assert_int_equal(nw_plugin_open("missing", dir, &p, err, sizeof(err)), -ENOENT);
	assert_int_equal(nw_plugin_open("../etc", dir, &p, err, sizeof(err)), -EINVAL);
	assert_int_equal(nw_plugin_open("goodplugin", dir, &p, err, sizeof(err)), 0);
	assert_string_equal(p->desc->name, "goodplugin");
	nw_plugin_close(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_desc_checks),
		cmocka_unit_test(test_dlopen_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
