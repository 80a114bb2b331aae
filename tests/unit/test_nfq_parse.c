/* Unit tests: the one-pass NFQUEUE message parser against messages built as the kernel builds them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include "nfq.h"

#define MSG_MAX 4096

/* ip_conntrack_info as the kernel numbers it */
enum { CTI_ESTABLISHED, CTI_RELATED, CTI_NEW, CTI_ESTABLISHED_REPLY };

static char buf[MSG_MAX];

/* An NFQNL_MSG_PACKET as nfqnl_build_packet_message lays it out: header, ifindexes, mark, the
 * optional conntrack nest and ct info, skb info, cap len, then the payload (often an odd length). */
static struct nlmsghdr *msg_build(uint32_t id, const uint8_t *pl, uint16_t pllen, int with_ct,
				  uint32_t ctinfo, uint32_t mark, uint32_t caplen)
{
	struct nlmsghdr *nlh;
	struct nfqnl_msg_packet_hdr ph;

	memset(buf, 0, sizeof(buf));
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_PACKET, 3);
	memset(&ph, 0, sizeof(ph));
	ph.packet_id = htonl(id);
	ph.hw_protocol = htons(0x0800);
	ph.hook = NF_INET_FORWARD;
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put_u32(nlh, NFQA_IFINDEX_INDEV, htonl(7));
	mnl_attr_put_u32(nlh, NFQA_IFINDEX_OUTDEV, htonl(9));
	if (mark)
		mnl_attr_put_u32(nlh, NFQA_MARK, htonl(mark));
	if (with_ct) {
		struct nlattr *ct = mnl_attr_nest_start(nlh, NFQA_CT);
		struct nlattr *tup = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
		struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
		struct nlattr *proto;
		uint8_t src[4] = {198, 51, 100, 10}, dst[4] = {203, 0, 113, 1};

		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, src);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, dst);
		mnl_attr_nest_end(nlh, ip);
		proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
		mnl_attr_put_u8(nlh, CTA_PROTO_NUM, 17); /* a 5-byte attribute: padding follows */
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(40000));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(80));
		mnl_attr_nest_end(nlh, proto);
		mnl_attr_nest_end(nlh, tup);
		mnl_attr_nest_end(nlh, ct);
		mnl_attr_put_u32(nlh, NFQA_CT_INFO, htonl(ctinfo));
	}
	mnl_attr_put_u32(nlh, NFQA_SKB_INFO, htonl(NFQA_SKB_GSO));
	if (caplen)
		mnl_attr_put_u32(nlh, NFQA_CAP_LEN, htonl(caplen));
	if (pl)
		mnl_attr_put(nlh, NFQA_PAYLOAD, pllen, pl);
	return nlh;
}

static const uint8_t PAYLOAD[61] = {0x45, 0, 0, 61, 1, 2, 0, 0, 64, 17};

static void test_all_fields(void **state)
{
	struct nlmsghdr *nlh = msg_build(0xfffffff0u, PAYLOAD, sizeof(PAYLOAD), 1, CTI_NEW, 0x10,
					 1500);
	struct nw_nfq_pkt p;

	(void)state;
	assert_int_equal(nw_nfq_parse(nlh, nlh->nlmsg_len, &p), 0);
	assert_int_equal(p.id, 0xfffffff0u);
	assert_ptr_not_equal(p.data, NULL);
	assert_int_equal(p.len, sizeof(PAYLOAD));
	assert_memory_equal(p.data, PAYLOAD, sizeof(PAYLOAD));
	assert_int_equal(p.orig_len, 1500);
	assert_int_equal(p.indev, 7);
	assert_int_equal(p.outdev, 9);
	assert_int_equal(p.mark, 0x10);
	assert_int_equal(p.gso, 1);
	assert_int_equal(p.ct_state, NW_CT_NEW);
	assert_int_equal(p.have_orig_dst, 1);
	assert_int_equal(p.orig_dst.family, 4);
	assert_int_equal(p.orig_dst.a[0], 203);
	assert_int_equal(p.orig_dst.a[3], 1);
	assert_int_equal(p.orig_dport, 80);
}

/* no cap len: the packet was not cut, orig_len = len; no conntrack: ct_state -1 */
static void test_minimal(void **state)
{
	struct nlmsghdr *nlh = msg_build(5, PAYLOAD, 20, 0, 0, 0, 0);
	struct nw_nfq_pkt p;

	(void)state;
	assert_int_equal(nw_nfq_parse(nlh, nlh->nlmsg_len, &p), 0);
	assert_int_equal(p.id, 5);
	assert_int_equal(p.len, 20);
	assert_int_equal(p.orig_len, 20);
	assert_int_equal(p.mark, 0);
	assert_int_equal(p.ct_state, -1);
	assert_int_equal(p.have_orig_dst, 0);
}

/* a reply's original tuple is the other direction's: no pre-DNAT destination */
static void test_reply_has_no_orig_dst(void **state)
{
	struct nlmsghdr *nlh = msg_build(6, PAYLOAD, 20, 1, CTI_ESTABLISHED_REPLY, 0, 0);
	struct nw_nfq_pkt p;

	(void)state;
	assert_int_equal(nw_nfq_parse(nlh, nlh->nlmsg_len, &p), 0);
	assert_int_equal(p.ct_state, NW_CT_ESTABLISHED);
	assert_int_equal(p.have_orig_dst, 0);
}

/* The bug the first version had: an attribute with an unaligned length as the last one, whose
 * padding lies past nlmsg_len (a message cut right after the payload). Every attribute before it
 * must still be read, the payload must have its exact length, nothing past the end is read (the
 * copy is exactly nlmsg_len bytes, so ASan sees any overread). */
static void test_unaligned_last_attribute(void **state)
{
	struct nlmsghdr *nlh = msg_build(8, PAYLOAD, 61, 0, 0, 0x3, 0);
	struct nw_nfq_pkt p;
	size_t cut = nlh->nlmsg_len - 3; /* 61 + 3 padding bytes: drop the padding */
	uint8_t *m = malloc(cut);

	(void)state;
	assert_non_null(m);
	memcpy(m, nlh, cut);
	((struct nlmsghdr *)m)->nlmsg_len = (uint32_t)cut;
	assert_int_equal(nw_nfq_parse(m, cut, &p), 0);
	assert_int_equal(p.id, 8);
	assert_int_equal(p.mark, 3);
	assert_int_equal(p.len, 61);
	assert_memory_equal(p.data, PAYLOAD, 61);
	free(m);
}

/* an attribute with an odd length in the middle: the next one is found at the aligned offset */
static void test_unaligned_middle_attribute(void **state)
{
	struct nlmsghdr *nlh;
	struct nfqnl_msg_packet_hdr ph = {.packet_id = htonl(9)};
	uint8_t odd[5] = {1, 2, 3, 4, 5};
	struct nw_nfq_pkt p;

	(void)state;
	memset(buf, 0, sizeof(buf));
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_PACKET, 0);
	mnl_attr_put(nlh, NFQA_HWADDR, sizeof(odd), odd);
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph); /* 7 bytes: unaligned too */
	mnl_attr_put_u32(nlh, NFQA_MARK, htonl(0x42));
	mnl_attr_put(nlh, NFQA_PAYLOAD, 3, PAYLOAD);
	assert_int_equal(nw_nfq_parse(nlh, nlh->nlmsg_len, &p), 0);
	assert_int_equal(p.id, 9);
	assert_int_equal(p.mark, 0x42);
	assert_int_equal(p.len, 3);
}

/* no packet header, a header too short, a message length past the buffer: refused */
static void test_malformed(void **state)
{
	struct nlmsghdr *nlh;
	struct nw_nfq_pkt p;
	uint8_t two[2] = {0, 1};

	(void)state;
	memset(buf, 0, sizeof(buf));
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_PACKET, 0);
	mnl_attr_put(nlh, NFQA_PAYLOAD, 20, PAYLOAD);
	assert_int_equal(nw_nfq_parse(nlh, nlh->nlmsg_len, &p), -EBADMSG);

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_PACKET, 0);
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(two), two);
	assert_int_equal(nw_nfq_parse(nlh, nlh->nlmsg_len, &p), -EBADMSG);

	nlh = msg_build(1, PAYLOAD, 20, 0, 0, 0, 0);
	assert_int_equal(nw_nfq_parse(nlh, nlh->nlmsg_len - 1, &p), -EBADMSG);
	assert_int_equal(nw_nfq_parse(nlh, 4, &p), -EBADMSG);
}

/* Every prefix of a full message, with nlmsg_len rewritten to fit, parses or is refused without
 * reading past it (each prefix is its own allocation of exactly that size). */
static void test_every_truncation(void **state)
{
	struct nlmsghdr *nlh = msg_build(77, PAYLOAD, sizeof(PAYLOAD), 1, CTI_NEW, 1, 99);
	uint32_t full = nlh->nlmsg_len;
	struct nw_nfq_pkt p;

	(void)state;
	for (uint32_t n = 0; n <= full; n++) {
		uint8_t *m = malloc(n ? n : 1);
		int r;

		assert_non_null(m);
		memcpy(m, nlh, n);
		if (n >= sizeof(uint32_t))
			((struct nlmsghdr *)m)->nlmsg_len = n;
		r = nw_nfq_parse(m, n, &p);
		assert_true(r == 0 || r == -EBADMSG);
		if (r == 0) {
			assert_int_equal(p.id, 77);
			assert_true(p.len <= sizeof(PAYLOAD));
			if (p.data)
				assert_true(p.data >= m && p.data + p.len <= m + n);
		}
		free(m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_fields),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_reply_has_no_orig_dst),
		cmocka_unit_test(test_unaligned_last_attribute),
		cmocka_unit_test(test_unaligned_middle_attribute),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_every_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
