/* libFuzzer target for the NFQUEUE message parser: the input is one netlink message from the kernel. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nfq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint32_t fz_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nw_nfq_pkt p;
	uint8_t *m;
	int r;

	if (size > 0x20000)
		return 0;
	/* an exact-size copy, so any read past the end is ASan's to see */
	m = malloc(size ? size : 1);
	if (!m)
		return 0;
	memcpy(m, data, size);
	r = nw_nfq_parse(m, size, &p);
	if (r != 0 && r != -EBADMSG)
		abort();
	if (r == 0) {
		uint32_t sum = p.id + p.mark + p.indev + p.outdev + p.orig_len;

		if ((p.data && (p.data < m || p.len > size || p.data + p.len > m + size)) ||
		    (!p.data && p.len))
			abort();
		if (p.ct_state < -1 || p.ct_state > NW_CT_RELATED)
			abort();
		if (p.have_orig_dst && p.orig_dst.family != 4 && p.orig_dst.family != 6)
			abort();
		for (uint32_t i = 0; i < p.len; i++)
			sum += p.data[i];
		fz_sink = sum;
	}
	free(m);
	return 0;
}
