/* libFuzzer target for the packet decoder: byte 0 picks the linktype, the rest is the frame. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keep in step with tests/fuzz/corpus/gen_decode.py. */
static const int fz_linktypes[] = {
	NW_LINKTYPE_ETHERNET, NW_LINKTYPE_RAW,  NW_LINKTYPE_LINUX_SLL,
	NW_LINKTYPE_IPV4,     NW_LINKTYPE_IPV6, NW_LINKTYPE_LINUX_SLL2,
};
#define FZ_N_LINKTYPES (sizeof(fz_linktypes) / sizeof(fz_linktypes[0]))

static volatile uint32_t fz_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nw_pkt_info info;
	const uint8_t *frame, *ip;
	uint32_t caplen, l3off = 0, len, sum = 0;
	int rc;

	if (size < 1 || size > 0xffff + 64)
		return 0;
	frame = data + 1;
	caplen = (uint32_t)(size - 1);
	rc = nw_decode_link(fz_linktypes[data[0] % FZ_N_LINKTYPES], frame, caplen, &l3off);
	if (rc < 0 || rc >= NW_DEC_MAX)
		abort();
	if (rc != NW_DEC_OK)
		return 0;
	if (l3off > caplen)
		abort();
	ip = frame + l3off;
	len = caplen - l3off;

	memset(&info, 0xa5, sizeof(info));
	info.flags = 0;
	rc = nw_decode_ip(&info, ip, len);
	if (rc < 0 || rc >= NW_DEC_MAX || !nw_decode_err_name(rc))
		abort();
	if (info.size != sizeof(info) || info.l3 != ip || info.ip_len != len)
		abort();
	/* whatever the outcome, the payload lies inside the IP packet */
	if (info.payload_len && (info.payload < ip || info.payload > ip + len ||
				 info.payload_len > (uint32_t)(ip + len - info.payload)))
		abort();
	for (uint32_t i = 0; i < info.payload_len; i++)
		sum += info.payload[i];
	if (rc == NW_DEC_OK && (info.flags & NW_PKT_FRAG_LATER) && (info.flags & NW_PKT_L4))
		abort();
	fz_sink = sum + info.sport + info.dport;
	return 0;
}
