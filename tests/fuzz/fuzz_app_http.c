/* tests/fuzz/fuzz_app_http.c: libFuzzer target: HTTP/1.x streams through libhtp and the plugin's
 * glue, every HTTP buffer composed at every transaction stage, then run through the transforms
 * (pcrexform included) as rules would; at the end, the transactions left unanswered.
 * Input: chunks, each a header byte (bit 0: direction, to the client when set; bits 1-7: length
 * in units of 8 bytes, 0 = the rest) and its bytes, fed in order. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sig_app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_LISTS 3
static struct sig_http_worker *fz_w;
static struct sig_appctx fz_ac;
static struct sig_list fz_list[FZ_LISTS];
static pcre2_match_context *fz_mc;
static volatile uint8_t fz_sink;

static pcre2_code *fz_re(const char *re)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);

	if (!c)
		abort();
	(void)pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
	return c;
}

static void fz_init(void)
{
	const struct sig_http_conf hc = { 4, 4096, 4096 };

	fz_w = sig_http_worker_new(&hc);
	fz_ac.arena = malloc(SIG_ARENA_SIZE);
	fz_ac.xf_size = SIG_ARENA_SIZE + 16;
	fz_ac.xf[0] = malloc(fz_ac.xf_size);
	fz_ac.xf[1] = malloc(fz_ac.xf_size);
	fz_ac.md = pcre2_match_data_create(32, NULL);
	fz_mc = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(fz_mc, 100000);
	pcre2_set_depth_limit(fz_mc, 10000);
	fz_ac.mc = fz_mc;
	if (!fz_w || !fz_ac.arena || !fz_ac.xf[0] || !fz_ac.xf[1] || !fz_ac.md || !fz_mc)
		abort();
	/* transform chains rules use: capture then decode, case and dots, white space around a
	 * capture that may be empty */
	fz_list[0].n_xf = 2;
	fz_list[0].xf[0] = SIG_XF_PCRE;
	fz_list[0].xf_re[0] = fz_re("[?&]id=([^&]*)");
	fz_list[0].xf[1] = SIG_XF_URL_DECODE;
	fz_list[1].n_xf = 3;
	fz_list[1].xf[0] = SIG_XF_LOWER;
	fz_list[1].xf[1] = SIG_XF_PCRE;
	fz_list[1].xf_re[1] = fz_re("^(?:[a-z0-9-]+\\.)*([a-z0-9-]+\\.[a-z]+)");
	fz_list[1].xf[2] = SIG_XF_DOTPREFIX;
	fz_list[2].n_xf = 4;
	fz_list[2].xf[0] = SIG_XF_STRIP_WS;
	fz_list[2].xf[1] = SIG_XF_PCRE;
	fz_list[2].xf_re[1] = fz_re("(x*)$");
	fz_list[2].xf[2] = SIG_XF_COMPRESS_WS;
	fz_list[2].xf[3] = SIG_XF_HEADER_LOWER;
}

/* every HTTP buffer, every instance, both sides, raw and through each transform chain */
static void fz_event(void *opaque, struct sig_appctx *ac)
{
	(void)opaque;
	for (unsigned buf = 1; buf < SIG_BUF_MAX; buf++) {
		const struct sig_bufinfo *bi = sig_buf_info(buf);
		if (!bi || bi->app != SIG_APP_HTTP)
			continue;
		for (int resp = 0; resp < 2; resp++) {
			for (unsigned idx = 0; idx < 64; idx++) {
				const uint8_t *p;
				size_t len;
				if (!sig_app_buffer(ac, buf, resp, idx, &p, &len))
					break;
				if (len)
					fz_sink ^= p[0] ^ p[len - 1];
				for (unsigned l = 0; l < FZ_LISTS; l++) {
					size_t xl;
					const uint8_t *x = sig_xform_apply(ac, &fz_list[l], p, len, &xl);
					if (xl > ac->xf_size)
						__builtin_trap();
					if (xl)
						fz_sink ^= x[0] ^ x[xl - 1];
				}
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sig_http_flow *f;
	size_t i = 0;
	uint64_t ts = 1700000000ull * 1000000000ull;

	if (!fz_w)
		fz_init();
	f = sig_http_flow_new(fz_w);
	if (!f)
		abort(); /* one flow at a time: the cap is never reached */
	while (i < size) {
		uint8_t h = data[i++];
		size_t n = (size_t)(h >> 1) * 8;
		if (!n || n > size - i)
			n = size - i;
		if (sig_http_feed(f, h & 1, data + i, n, ts, &fz_ac, fz_event, NULL) < 0)
			break;
		i += n;
		ts += 1000000;
	}
	/* the server's FIN: ends a body that runs to the close (a no-op after a parser error) */
	sig_http_close(f, ts, &fz_ac, fz_event, NULL);
	/* the flow ends: the transactions left without a whole response, as their records read them */
	sig_http_pending(f, &fz_ac, fz_event, NULL);
	sig_http_flow_free(f);
	return 0;
}
