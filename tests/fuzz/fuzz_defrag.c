/* libFuzzer target for offline IP reassembly: the input is a sequence of IP packets, each
 * [u16 length, big endian][u8 seconds since the previous packet][length bytes]. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"
#include "defrag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_DGRAMS 8 /* small, so that eviction runs */

static volatile uint32_t fz_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nw_defrag_conf conf = {.memory = 1, .max_dgrams = FZ_MAX_DGRAMS,
				      .timeout4_ns = 30000000000ull, .timeout6_ns = 60000000000ull};
	struct nw_defrag_counts cnt;
	struct nw_defrag *d;
	uint64_t now = 0;
	size_t pos = 0;

	memset(&cnt, 0, sizeof(cnt));
	d = nw_defrag_new(&conf, &cnt);
	if (!d)
		abort();
	while (size - pos >= 3) {
		uint32_t len = (uint32_t)data[pos] << 8 | data[pos + 1], out_len = 0;
		const uint8_t *out = NULL;
		uint64_t ev = 0;
		struct nw_pkt_info info;
		int r;

		now += (uint64_t)data[pos + 2] * 1000000000ull;
		pos += 3;
		if (len > size - pos)
			len = (uint32_t)(size - pos);
		r = nw_defrag_feed(d, data + pos, len, now, &out, &out_len, &ev);
		pos += len;
		if ((r == NW_DEFRAG_EVENT) != (ev != 0) || nw_defrag_pending(d) > FZ_MAX_DGRAMS)
			abort();
		if (ev & ~(uint64_t)NW_DEV_INVALID_MASK)
			abort();
		if (r != NW_DEFRAG_DONE)
			continue;
		/* a whole datagram: one IP packet within the size limits; IPv4 no longer a fragment
		 * (IPv6 data may hold another fragment header, as the kernel would then see too) */
		if (!out || out_len < 20 || out_len > 256 + 65535)
			abort();
		memset(&info, 0, sizeof(info));
		nw_decode_ip(&info, out, out_len);
		if (out[0] >> 4 == 4 && (info.flags & NW_PKT_FRAG))
			abort();
		fz_sink += info.payload_len + out[out_len - 1];
	}
	if (cnt.reassembled > cnt.fragments)
		abort();
	nw_defrag_free(d);
	return 0;
}
