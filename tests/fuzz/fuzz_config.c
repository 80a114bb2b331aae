/* Fuzz target: the config parser (INI text, --set assignments, directive tables). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_target {
	uint64_t n;
	uint64_t d;
	int b;
	char s[16];
};

static const struct nw_directive fz_table[] = {
	{"n", NW_CONF_UINT, offsetof(struct fz_target, n), 0, "1", NULL, NULL},
	{"d", NW_CONF_DURATION, offsetof(struct fz_target, d), 0, "1s", NULL, NULL},
	{"b", NW_CONF_BOOL, offsetof(struct fz_target, b), 0, "no", NULL, NULL},
	{"s", NW_CONF_STRING, offsetof(struct fz_target, s), 16, "x", NULL, NULL},
	{NULL, NW_CONF_END, 0, 0, NULL, NULL, NULL},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nw_config *cfg = NULL;
	struct fz_target t;
	char *text = malloc(size + 1);
	unsigned it = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	nw_config_load_string("fuzz.conf", text, &cfg);
	if (cfg) {
		/* the last line, if it looks like an assignment, is also tried as --set */
		const char *nl = strrchr(text, '\n');
		nw_config_set(cfg, nl ? nl + 1 : text);
		for (unsigned i = 0; i < cfg->n_sec; i++) {
			memset(&t, 0, sizeof(t));
			nw_config_parse(cfg, &cfg->sec[i], fz_table, &t);
		}
		while (nw_config_next(cfg, "limit", &it))
			;
		nw_config_check_unclaimed(cfg);
		for (unsigned i = 0; i < cfg->n_sec; i++) {
			struct nw_addr a;
			unsigned p;
			uint64_t v;
			for (unsigned j = 0; j < cfg->sec[i].n_kv; j++) {
				nw_parse_cidr(cfg->sec[i].kv[j].value, &a, &p);
				nw_parse_duration(cfg->sec[i].kv[j].value, &v);
				nw_parse_uint(cfg->sec[i].kv[j].value, &v);
			}
		}
		nw_config_free(cfg);
	}
	free(text);
	return 0;
}
