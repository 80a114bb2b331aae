/* tests/fuzz/fuzz_rules.c: libFuzzer target: whole rule files through the signature rule parser and rule set build. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sig_ruleset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void fz_err(void *opaque, const char *msg)
{
	(void)opaque;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *lines[512];
	unsigned n = 0;
	struct sig_load l = { 0 };
	struct sig_ruleset *rs = NULL;
	struct sig_names fz_fb = { 0 }, fz_xb = { 0 };

	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	for (char *p = text, *nl; p && *p && n < 512; p = nl) {
		nl = strchr(p, '\n');
		if (nl)
			*nl++ = 0;
		lines[n++] = p;
	}
	l.rule_texts = (const char *const *)lines;
	l.n_rule_texts = n;
	l.fb_names = &fz_fb;
	l.xb_names = &fz_xb;
	l.error = fz_err;
	if (sig_ruleset_build(&l, &rs) == 0)
		sig_ruleset_free(rs);
	sig_names_free(&fz_fb);
	sig_names_free(&fz_xb);
	free(text);
	return 0;
}
