/* Unit tests: ABI 1.2 services (bounded settings, counter read-back, keyword rules) and 1.1 compat. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "engine.h"
#include "pktbuild.h"
#include "plugin_loader.h"

static const struct nw_services *svc_a, *svc_b, *svc_c;

/* Does some recorded error contain every one of the (NULL-ended) strings? */
static int has_error(const struct nw_config *cfg, ...)
{
	for (unsigned i = 0; i < cfg->n_errors; i++) {
		va_list ap;
		const char *s;
		int all = 1;

		va_start(ap, cfg);
		while ((s = va_arg(ap, const char *)))
			all &= strstr(cfg->errors[i], s) != NULL;
		va_end(ap);
		if (all)
			return 1;
	}
	return 0;
}

/* ---- bounded settings: struct nw_directive2 and conf_parse2 ---- */

struct bounded {
	uint64_t ttl, window, any;
	int on;
};

static const struct nw_directive2 bounded_table[] = {
	{"ttl", NW_CONF_UINT, offsetof(struct bounded, ttl), 0, "5", NULL, NULL, 1, 255},
	{"window", NW_CONF_DURATION, offsetof(struct bounded, window), 0, "1m", NULL, NULL, 10, 0},
	{"any", NW_CONF_UINT, offsetof(struct bounded, any), 0, NULL, NULL, NULL, 0, 0},
	{"on", NW_CONF_BOOL, offsetof(struct bounded, on), 0, "no", NULL, NULL, 0, 0},
	{NULL, NW_CONF_END, 0, 0, NULL, NULL, NULL, 0, 0},
};

static int parse_bounded(const char *text, struct bounded *b, struct nw_config **cfg)
{
	assert_int_equal(nw_config_load_string("b.conf", text, cfg), 0);
	memset(b, 0, sizeof(*b));
	return NW_CONF_PARSE2(&nw_core_services, *cfg, nw_config_section(*cfg, "t", ""),
			      bounded_table, b);
}

static void test_conf_bounds(void **state)
{
	struct nw_config *cfg;
	struct bounded b;

	(void)state;
	/* defaults, and values inside the bounds */
	assert_int_equal(parse_bounded("[t]\non = yes\n", &b, &cfg), 0);
	assert_int_equal(b.ttl, 5);
	assert_int_equal(b.window, 60);
	assert_int_equal(b.on, 1);
	nw_config_free(cfg);
	assert_int_equal(parse_bounded("[t]\nttl = 255\nwindow = 10s\nany = 9g\n", &b, &cfg), 0);
	assert_int_equal(b.ttl, 255);
	assert_int_equal(b.any, 9000000000ull);
	nw_config_free(cfg);
	/* out of range: an error with file:line, and the field keeps its default */
	assert_int_equal(parse_bounded("[t]\n\nttl = 300\nwindow = 5s\n", &b, &cfg), -EINVAL);
	assert_true(has_error(cfg, "b.conf:3: [t] ttl = 300: out of range (1-255)", NULL));
	assert_true(has_error(cfg, "b.conf:4: [t] window = 5s: out of range (at least 10 seconds)",
			      NULL));
	assert_int_equal(b.ttl, 5);
	nw_config_free(cfg);
	assert_int_equal(parse_bounded("[t]\nttl = 0\n", &b, &cfg), -EINVAL);
	assert_true(has_error(cfg, "b.conf:2: [t] ttl = 0: out of range (1-255)", NULL));
	nw_config_free(cfg);
}

/* A table built against a later minor, whose elements grew: the core walks it by the size it is
 * given and reads the fields it knows. */
struct directive_future {
	struct nw_directive2 d;
	uint64_t later_field;
};

static void test_conf_bounds_stride(void **state)
{
	static const struct directive_future table[] = {
		{{"ttl", NW_CONF_UINT, offsetof(struct bounded, ttl), 0, NULL, NULL, NULL, 1, 9}, 7},
		{{"on", NW_CONF_BOOL, offsetof(struct bounded, on), 0, NULL, NULL, NULL, 0, 0}, 7},
		{{NULL, NW_CONF_END, 0, 0, NULL, NULL, NULL, 0, 0}, 0},
	};
	struct nw_config *cfg;
	struct bounded b = {0};

	(void)state;
	assert_int_equal(nw_config_load_string("s.conf", "[t]\nttl = 9\non = yes\n", &cfg), 0);
	assert_int_equal(nw_config_parse2(cfg, nw_config_section(cfg, "t", ""), &table[0].d,
					  sizeof(table[0]), &b), 0);
	assert_int_equal(b.ttl, 9);
	assert_int_equal(b.on, 1);
	/* an element size smaller than the 1.2 struct is a plugin bug, reported */
	assert_int_equal(nw_config_parse2(cfg, nw_config_section(cfg, "t", ""), &table[0].d,
					  sizeof(struct nw_directive), &b), -EINVAL);
	assert_true(has_error(cfg, "NW_CONF_PARSE2", NULL));
	nw_config_free(cfg);
}

/* ---- counter read-back ---- */

static unsigned ctr_id, gauge_id;
static nw_plugin *self_a;

static int a_configure(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	(void)priv, (void)cfg, (void)sec;
	self_a = self;
	return svc_a->counter_register(self, "seen", "packets seen", &ctr_id) ||
	       svc_a->counter_register(self, "level", "a gauge", &gauge_id);
}

static int a_packet(void *priv, void *wpriv, nw_packet *pkt, nw_flow *flow)
{
	(void)priv, (void)wpriv, (void)flow;
	svc_a->counter_add(self_a, pkt, ctr_id, 2);
	return NW_CONTINUE;
}

static const struct nw_plugin_desc desc_counting = {
	NW_DESC_HEADER, .name = "a", .services = &svc_a, .configure = a_configure,
	.packet = a_packet};

static void process_on(struct nw_worker *w, uint16_t sport)
{
	uint8_t buf[128];
	struct nw_pkt_meta meta = {.ts_ns = 1000, .ct_state = -1};
	uint32_t n = pkt_build4(buf, 6, "198.51.100.10", "172.31.19.240", sport, 80, NW_TCP_SYN,
				NULL);

	nw_engine_process(w, buf, n, &meta);
}

static void test_counter_get(void **state)
{
	struct nw_config *cfg;
	struct nw_engine *eng;
	struct nw_plugin *p;
	char err[256];

	(void)state;
	assert_int_equal(nw_config_load_string("c.conf", "[natwarden]\n", &cfg), 0);
	assert_int_equal(nw_engine_new(cfg, 1, &eng), 0);
	assert_int_equal(nw_plugin_from_desc(&desc_counting, &p, err, sizeof(err)), 0);
	assert_int_equal(nw_engine_add_plugin(eng, p), 0);
	assert_int_equal(nw_engine_configure_all(eng), 0);
	assert_int_equal(nw_engine_start(eng, 3), 0);
	/* packets on three workers, one count from the main thread */
	process_on(eng->workers[0], 1000);
	process_on(eng->workers[1], 1001);
	process_on(eng->workers[1], 1002);
	process_on(eng->workers[2], 1003);
	svc_a->counter_add(self_a, NULL, ctr_id, 5);
	assert_int_equal(svc_a->counter_get(self_a, ctr_id), 4 * 2 + 5);
	svc_a->gauge_set(self_a, gauge_id, 42);
	assert_int_equal(svc_a->counter_get(self_a, gauge_id), 42);
	assert_int_equal(svc_a->counter_get(self_a, 99), 0);
	nw_engine_destroy(eng);
	nw_config_free(cfg);
}

/* ---- keywords ---- */

static void *priv_seen;

static int kw_match_old(const void *ctx, const nw_packet *pkt, nw_flow *flow, const uint8_t *buf,
			size_t len)
{
	(void)ctx, (void)pkt, (void)flow, (void)buf, (void)len;
	return 1;
}

static int kw_match_priv(void *plugin_priv, const void *ctx, const nw_packet *pkt, nw_flow *flow,
			 const uint8_t *buf, size_t len)
{
	(void)ctx, (void)pkt, (void)flow, (void)buf, (void)len;
	priv_seen = plugin_priv;
	return 1;
}

/* which keywords each test plugin registers or reserves (set by a test before configure) */
static const struct nw_keyword *kw_of_b, *kw_of_c;
static const char *reserved_by_a;
static int rc_b, rc_c;

static int ra_configure(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	(void)priv, (void)cfg, (void)sec;
	return reserved_by_a ? svc_a->keyword_reserve(self, reserved_by_a) : 0;
}

static int kb_configure(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	(void)priv, (void)cfg, (void)sec;
	rc_b = kw_of_b ? svc_b->keyword_register(self, kw_of_b) : 0;
	return 0; /* even a plugin that ignores the refusal does not start */
}

static int kc_configure(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	(void)priv, (void)cfg, (void)sec;
	rc_c = kw_of_c ? svc_c->keyword_register(self, kw_of_c) : 0;
	return rc_c;
}

static int checks_run;

static int any_check(nw_plugin *self, void *priv)
{
	(void)self, (void)priv;
	checks_run++;
	return 0;
}

static const struct nw_plugin_desc desc_ra = {
	NW_DESC_HEADER, .name = "rules", .services = &svc_a, .configure = ra_configure,
	.check = any_check};
static const struct nw_plugin_desc desc_kb = {
	NW_DESC_HEADER, .name = "kb", .services = &svc_b, .configure = kb_configure,
	.check = any_check, .priv_size = 16};
static const struct nw_plugin_desc desc_kc = {
	NW_DESC_HEADER, .name = "kc", .services = &svc_c, .configure = kc_configure,
	.check = any_check};

/* An engine from cfg_text with the given plugins in order, configured; returns configure_all's
 * result. */
static int engine_with(const char *cfg_text, const struct nw_plugin_desc *const *descs,
		       unsigned n, struct nw_config **cfg, struct nw_engine **eng)
{
	char err[256];

	assert_int_equal(nw_config_load_string("k.conf", cfg_text, cfg), 0);
	assert_int_equal(nw_engine_new(*cfg, 1, eng), 0);
	for (unsigned i = 0; i < n; i++) {
		struct nw_plugin *p;
		assert_int_equal(nw_plugin_from_desc(descs[i], &p, err, sizeof(err)), 0);
		assert_int_equal(nw_engine_add_plugin(*eng, p), 0);
	}
	return nw_engine_configure_all(*eng);
}

static void engine_done(struct nw_config *cfg, struct nw_engine *eng)
{
	nw_engine_destroy(eng);
	nw_config_free(cfg);
	kw_of_b = kw_of_c = NULL;
	reserved_by_a = NULL;
	rc_b = rc_c = 0;
	checks_run = 0;
}

/* A keyword of a 1.1 plugin ends before flags: the core reads only its bytes (ASan checks it),
 * and keyword_find gives a copy in the current layout. A 1.2 keyword may have match_priv only. */
static void test_keyword_compat(void **state)
{
	static const struct nw_plugin_desc *const descs[] = {&desc_kb, &desc_kc};
	struct nw_keyword full = {.size = NW_KEYWORD_SIZE_1_1, .name = "old_kw",
				  .match = kw_match_old};
	struct nw_keyword *old = malloc(NW_KEYWORD_SIZE_1_1);
	const struct nw_keyword newer = {.size = sizeof(struct nw_keyword), .name = "new_kw",
					 .flags = NW_KW_PACKET, .match_priv = kw_match_priv};
	struct nw_config *cfg;
	struct nw_engine *eng;
	const struct nw_keyword *k;
	void *priv = NULL;

	(void)state;
	assert_non_null(old);
	memcpy(old, &full, NW_KEYWORD_SIZE_1_1);
	kw_of_b = old;
	kw_of_c = &newer;
	assert_int_equal(engine_with("[natwarden]\n", descs, 2, &cfg, &eng), 0);
	free(old);
	assert_int_equal(rc_b, 0);
	assert_int_equal(rc_c, 0);
	k = svc_b->keyword_find("old_kw", &priv);
	assert_non_null(k);
	assert_int_equal(k->size, sizeof(struct nw_keyword));
	assert_int_equal(k->flags, 0);
	assert_null(k->match_priv);
	assert_ptr_equal(k->match, kw_match_old);
	assert_ptr_equal(priv, eng->plugins[0]->priv);
	k = svc_b->keyword_find("new_kw", &priv);
	assert_non_null(k);
	assert_int_equal(k->flags, NW_KW_PACKET);
	assert_int_equal(k->match_priv(priv, NULL, NULL, NULL, NULL, 0), 1);
	assert_ptr_equal(priv_seen, eng->plugins[1]->priv);
	engine_done(cfg, eng);
}

static void test_keyword_needs_match(void **state)
{
	static const struct nw_plugin_desc *const descs[] = {&desc_kb};
	const struct nw_keyword none = {.size = sizeof(struct nw_keyword), .name = "nothing"};
	struct nw_config *cfg;
	struct nw_engine *eng;

	(void)state;
	kw_of_b = &none;
	assert_int_equal(engine_with("[natwarden]\nplugins = kb\n", descs, 1, &cfg, &eng),
			 -EINVAL);
	assert_int_equal(rc_b, -EINVAL);
	assert_true(has_error(cfg, "k.conf:2:", "keyword 'nothing' has no match callback", NULL));
	engine_done(cfg, eng);
}

/* The rule engine (configured first) reserved "content": a plugin keyword by that name is
 * refused at registration; the error names both plugins and the run does not pass -T. */
static void test_keyword_shadow_refused(void **state)
{
	static const struct nw_plugin_desc *const descs[] = {&desc_ra, &desc_kb};
	const struct nw_keyword kw = {.size = sizeof(struct nw_keyword), .name = "content",
				      .match = kw_match_old};
	struct nw_config *cfg;
	struct nw_engine *eng;

	(void)state;
	reserved_by_a = "content";
	kw_of_b = &kw;
	assert_int_equal(engine_with("[natwarden]\nplugins = rules kb\n[kb]\n", descs, 2, &cfg,
				     &eng), -EINVAL);
	assert_int_equal(rc_b, -EEXIST);
	assert_null(svc_b->keyword_find("content", NULL));
	assert_true(has_error(cfg, "k.conf:3: [kb]", "keyword 'content' of plugin 'kb'",
			      "built-in keyword of plugin 'rules'", NULL));
	/* kb is not configured: it is not checked, and check fails */
	assert_int_equal(nw_engine_check(eng), -EINVAL);
	assert_int_equal(checks_run, 1);
	engine_done(cfg, eng);
}

/* The plugin keyword was registered before the rule engine reserved the name (the engine later
 * in the chain): reported once every plugin is configured. */
static void test_keyword_shadow_late(void **state)
{
	static const struct nw_plugin_desc *const descs[] = {&desc_kb, &desc_ra};
	const struct nw_keyword kw = {.size = sizeof(struct nw_keyword), .name = "flow",
				      .match = kw_match_old};
	struct nw_config *cfg;
	struct nw_engine *eng;

	(void)state;
	reserved_by_a = "flow";
	kw_of_b = &kw;
	assert_int_equal(engine_with("[natwarden]\nplugins = kb rules\n", descs, 2, &cfg, &eng),
			 -EINVAL);
	assert_int_equal(rc_b, 0);
	assert_true(has_error(cfg, "k.conf:2:", "keyword 'flow' of plugin 'kb'",
			      "built-in keyword of plugin 'rules'", NULL));
	assert_int_equal(cfg->n_errors, 1);
	assert_true(eng->plugins[0]->conf_failed);
	assert_false(eng->plugins[1]->conf_failed);
	engine_done(cfg, eng);
}

static void test_keyword_duplicate(void **state)
{
	static const struct nw_plugin_desc *const descs[] = {&desc_kb, &desc_kc};
	const struct nw_keyword kw = {.size = sizeof(struct nw_keyword), .name = "mine",
				      .match = kw_match_old};
	struct nw_config *cfg;
	struct nw_engine *eng;

	(void)state;
	kw_of_b = &kw;
	kw_of_c = &kw;
	assert_int_equal(engine_with("[natwarden]\nplugins = kb kc\n", descs, 2, &cfg, &eng),
			 -EINVAL);
	assert_int_equal(rc_c, -EEXIST);
	assert_true(has_error(cfg, "keyword 'mine' of plugin 'kc' is already registered by plugin "
			      "'kb'", NULL));
	/* the core's own "failed to configure" line does not bury the cause */
	assert_int_equal(cfg->n_errors, 1);
	engine_done(cfg, eng);
}

/* ---- plugin_dir ---- */

static void test_plugin_dirs_resolve(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(nw_plugin_dirs_resolve("plugins:/usr/lib/nw:../x", "/etc/nw/nw.conf", out,
						sizeof(out)), 0);
	assert_string_equal(out, "/etc/nw/plugins:/usr/lib/nw:/etc/nw/../x");
	assert_int_equal(nw_plugin_dirs_resolve("p", "conf/nw.conf", out, sizeof(out)), 0);
	assert_string_equal(out, "conf/p");
	assert_int_equal(nw_plugin_dirs_resolve("p", "/nw.conf", out, sizeof(out)), 0);
	assert_string_equal(out, "/p");
	/* a config without a directory part, or none: relative to the working directory */
	assert_int_equal(nw_plugin_dirs_resolve("p:.", "nw.conf", out, sizeof(out)), 0);
	assert_string_equal(out, "p:.");
	assert_int_equal(nw_plugin_dirs_resolve("p", NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "p");
	assert_int_equal(nw_plugin_dirs_resolve("abcdef", "/a/b.conf", out, 8), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_bounds),
		cmocka_unit_test(test_conf_bounds_stride),
		cmocka_unit_test(test_counter_get),
		cmocka_unit_test(test_keyword_compat),
		cmocka_unit_test(test_keyword_needs_match),
		cmocka_unit_test(test_keyword_shadow_refused),
		cmocka_unit_test(test_keyword_shadow_late),
		cmocka_unit_test(test_keyword_duplicate),
		cmocka_unit_test(test_plugin_dirs_resolve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
