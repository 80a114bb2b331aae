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
	d.flow_priv_size = 0;
	/* ABI 1.0 descriptors are shorter (no reload_finish): that size only with minor 0 */
	d.abi_minor = 0;
	assert_int_equal(nw_plugin_check_desc(&d, NULL, err, sizeof(err)), -EPROTO);
	d.size = NW_DESC_SIZE_1_0;
	assert_int_equal(nw_plugin_check_desc(&d, NULL, err, sizeof(err)), 0);
	d.abi_minor = 1;
	assert_int_equal(nw_plugin_check_desc(&d, NULL, err, sizeof(err)), -EPROTO);
	/* ABI 1.2 only appended services: a 1.1 plugin (same descriptor) still loads */
	d.size = sizeof(d);
	assert_int_equal(nw_plugin_check_desc(&d, NULL, err, sizeof(err)), 0);
}

static int old_reload(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	(void)self, (void)priv, (void)cfg, (void)sec;
	return 0;
}

/* A plugin built against ABI 1.0: its descriptor object ends before reload_finish. The core
 * reads only what it has and sees reload_finish as absent (ASan checks the reads). */
static void test_desc_1_0(void **state)
{
	struct nw_plugin_desc full = {NW_DESC_HEADER, .name = "old", .services = &svc,
				      .reload = old_reload};
	struct nw_plugin_desc *d = malloc(NW_DESC_SIZE_1_0);
	struct nw_plugin *p = NULL;
	char err[256];

	(void)state;
	assert_non_null(d);
	full.abi_minor = 0;
	full.size = NW_DESC_SIZE_1_0;
	memcpy(d, &full, NW_DESC_SIZE_1_0);
	assert_int_equal(nw_plugin_from_desc(d, &p, err, sizeof(err)), 0);
	free(d);
	assert_ptr_equal(p->desc->reload, old_reload);
	assert_null(p->desc->reload_finish);
	assert_string_equal(p->desc->name, "old");
	nw_plugin_close(p);
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
	/* a descriptor defined without NW_PLUGIN_EXPORT: the message says how to fix it */
	assert_int_equal(nw_plugin_open("hiddenplugin", dir, &p, err, sizeof(err)), -ELIBBAD);
	assert_non_null(strstr(err, "-fvisibility=hidden"));
	assert_non_null(strstr(err, "NW_PLUGIN_EXPORT"));
	assert_int_equal(nw_plugin_open("goodplugin", dir, &p, err, sizeof(err)), 0);
	assert_string_equal(p->desc->name, "goodplugin");
	nw_plugin_close(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_desc_checks),
		cmocka_unit_test(test_desc_1_0),
		cmocka_unit_test(test_dlopen_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
