/* Fuzz target: decoder + flow table + chain through the engine (many packets per input). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct nw_engine *fz_eng;
static struct nw_config *fz_cfg;

/* One engine for the whole run: a tiny flow table so eviction and timeouts happen often. */
static int fz_init(void)
{
	if (fz_eng)
		return 0;
	if (nw_config_load_string("fuzz.conf",
				  "[natwarden]\nflow_max = 16\nflow_timeout_udp = 2s\n"
				  "flow_timeout_tcp = 5s\nflow_timeout_closed = 1s\n"
				  "flow_timeout_other = 1s\nevent_queue = 16\n",
				  &fz_cfg))
		return -1;
	if (nw_engine_new(fz_cfg, 1, &fz_eng) || nw_engine_start(fz_eng, 1) ||
	    nw_worker_thread_start(fz_eng->workers[0]))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t now = 1;
	size_t off = 0;

	if (fz_init())
		return 0;
	/* input: [len_hi len_lo dt] packet bytes ... */
	while (off + 3 <= size) {
		size_t len = ((size_t)data[off] << 8 | data[off + 1]) % 2048;
		uint64_t dt = data[off + 2];
		struct nw_pkt_meta meta = {.ct_state = -1, .from_public = -1};
		off += 3;
		if (len > size - off)
			len = size - off;
		now += dt * 100000000ull; /* up to 25.5 s between packets */
		meta.ts_ns = now;
		meta.flags = (dt & 1) ? NW_PKT_INBOUND : 0;
		/* copy so ASan sees reads past the packet's own length */
		uint8_t *pkt = malloc(len ? len : 1);
		if (!pkt)
			return 0;
		memcpy(pkt, data + off, len);
		int r = nw_engine_process(fz_eng->workers[0], pkt, (uint32_t)len, &meta);
		if (NW_RESULT_VERDICT(r) <= NW_CONTINUE || NW_RESULT_VERDICT(r) >= NW_VERDICT_MAX)
			abort();
		free(pkt);
		off += len;
	}
	nw_engine_drain_events(fz_eng);
	return 0;
}
