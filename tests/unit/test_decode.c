/* cmocka tests for the packet decoder (core/decode.c): good, truncated and malformed packets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "decode.h"

/* ---- packet builders ---- */

static const uint8_t src4[4] = {198, 51, 100, 1};
static const uint8_t dst4[4] = {203, 0, 113, 2};
static const uint8_t src6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t dst6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
static const char hello[] = "hello, world";
#define HELLO_LEN (sizeof(hello) - 1)

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* IPv4 header with `optlen` bytes of options (copied from opts) in front of l4len bytes. */
static size_t mk_ipv4(uint8_t *p, const uint8_t *opts, size_t optlen, uint8_t proto,
		      size_t l4len)
{
	size_t hlen = 20 + optlen;

	memset(p, 0, hlen);
	p[0] = (uint8_t)(0x40 | (hlen / 4));
	put16(p + 2, (uint16_t)(hlen + l4len));
	put16(p + 4, 0x1234);
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, src4, 4);
	memcpy(p + 16, dst4, 4);
	if (optlen)
		memcpy(p + 20, opts, optlen);
	return hlen;
}

static size_t mk_ipv6(uint8_t *p, uint8_t nh, size_t plen)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, (uint16_t)plen);
	p[6] = nh;
	p[7] = 255;
	memcpy(p + 8, src6, 16);
	memcpy(p + 24, dst6, 16);
	return 40;
}

/* TCP header with options and the hello payload; returns the whole segment length. */
static size_t mk_tcp(uint8_t *p, const uint8_t *opts, size_t optlen, uint8_t flags)
{
	size_t doff = 20 + optlen;

	memset(p, 0, 20);
	put16(p, 40000);
	put16(p + 2, 443);
	put32(p + 4, 0x01020304);
	put32(p + 8, 0xa0b0c0d0);
	p[12] = (uint8_t)((doff / 4) << 4);
	p[13] = flags;
	put16(p + 14, 29200);
	if (optlen)
		memcpy(p + 20, opts, optlen);
	memcpy(p + doff, hello, HELLO_LEN);
	return doff + HELLO_LEN;
}

/* UDP header + hello payload; ulen 0 means the true length. */
static size_t mk_udp(uint8_t *p, uint16_t ulen)
{
	put16(p, 5353);
	put16(p + 2, 53);
	put16(p + 4, ulen ? ulen : (uint16_t)(8 + HELLO_LEN));
	put16(p + 6, 0);
	memcpy(p + 8, hello, HELLO_LEN);
	return 8 + HELLO_LEN;
}

static size_t mk_icmp_echo(uint8_t *p, uint8_t type)
{
	p[0] = type;
	p[1] = 0;
	put16(p + 2, 0);
	put16(p + 4, 0x4242);
	put16(p + 6, 7);
	memcpy(p + 8, hello, HELLO_LEN);
	return 8 + HELLO_LEN;
}

/* A generic IPv6 extension header of 8*(hlen8+1) bytes. */
static size_t mk_ext(uint8_t *p, uint8_t nh, uint8_t hlen8)
{
	size_t n = ((size_t)hlen8 + 1) * 8;

	memset(p, 0, n);
	p[0] = nh;
	p[1] = hlen8;
	if (n > 2) { /* PadN filling the rest */
		p[2] = 1;
		p[3] = (uint8_t)(n - 4);
	}
	return n;
}

static size_t mk_frag6(uint8_t *p, uint8_t nh, uint16_t offset8, int more)
{
	memset(p, 0, 8);
	p[0] = nh;
	put16(p + 2, (uint16_t)(offset8 << 3 | (more ? 1 : 0)));
	put32(p + 4, 0xdeadbeef);
	return 8;
}

static size_t mk_eth(uint8_t *p, uint16_t etype)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};

	memcpy(p, macs, 12);
	put16(p + 12, etype);
	return 14;
}

/* Good IPv4 packet: Router Alert option, TCP with MSS, SACK-permitted, timestamps, WS. */
static size_t mk_good_v4_tcp(uint8_t *p)
{
	static const uint8_t ipopt[4] = {0x94, 0x04, 0x00, 0x00};
	static const uint8_t tcpopt[20] = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x00,
					   0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07};
	uint8_t seg[128];
	size_t l4 = mk_tcp(seg, tcpopt, sizeof(tcpopt), NW_TCP_SYN | NW_TCP_ACK | NW_TCP_PSH);
	size_t h = mk_ipv4(p, ipopt, sizeof(ipopt), 6, l4);

	memcpy(p + h, seg, l4);
	return h + l4;
}

/* IPv6: hop-by-hop, destination options, fragment (offset 0, more), UDP. */
static size_t mk_good_v6_chain(uint8_t *p)
{
	size_t off = 40;

	off += mk_ext(p + off, 60, 0);
	off += mk_ext(p + off, 44, 1);
	off += mk_frag6(p + off, 17, 0, 1);
	off += mk_udp(p + off, 0);
	mk_ipv6(p, 0, off - 40);
	return off;
}

static int decode(struct nw_pkt_info *info, const uint8_t *p, size_t len)
{
	memset(info, 0, sizeof(*info));
	return nw_decode_ip(info, p, (uint32_t)len);
}

/* ---- good packets ---- */

static void test_ipv4_tcp_options(void **state)
{
	uint8_t p[256];
	struct nw_pkt_info info;
	size_t len = mk_good_v4_tcp(p);

	(void)state;
	assert_int_equal(decode(&info, p, len), NW_DEC_OK);
	assert_int_equal(info.size, sizeof(info));
	assert_int_equal(info.flags, NW_PKT_L4 | NW_PKT_IPOPTS);
	assert_int_equal(info.src.family, 4);
	assert_memory_equal(info.src.a, src4, 4);
	assert_int_equal(info.dst.family, 4);
	assert_memory_equal(info.dst.a, dst4, 4);
	assert_int_equal(info.ip_proto, 6);
	assert_int_equal(info.ttl, 64);
	assert_int_equal(info.ip_id, 0x1234);
	assert_int_equal(info.sport, 40000);
	assert_int_equal(info.dport, 443);
	assert_int_equal(info.tcp_seq, 0x01020304);
	assert_int_equal(info.tcp_ack, 0xa0b0c0d0);
	assert_int_equal(info.tcp_win, 29200);
	assert_int_equal(info.tcp_flags, NW_TCP_SYN | NW_TCP_ACK | NW_TCP_PSH);
	assert_ptr_equal(info.l3, p);
	assert_int_equal(info.ip_len, len);
	assert_int_equal(info.payload_len, HELLO_LEN);
	assert_memory_equal(info.payload, hello, HELLO_LEN);
}

static void test_ipv4_udp(void **state)
{
	uint8_t p[128];
	struct nw_pkt_info info;
	size_t h = mk_ipv4(p, NULL, 0, 17, 8 + HELLO_LEN);
	size_t len = h + mk_udp(p + h, 0);

	(void)state;
	assert_int_equal(decode(&info, p, len), NW_DEC_OK);
	assert_int_equal(info.flags, NW_PKT_L4);
	assert_int_equal(info.ip_proto, 17);
	assert_int_equal(info.sport, 5353);
	assert_int_equal(info.dport, 53);
	assert_int_equal(info.payload_len, HELLO_LEN);
	assert_memory_equal(info.payload, hello, HELLO_LEN);
}

static void test_ipv4_icmp_echo(void **state)
{
	uint8_t p[128];
	struct nw_pkt_info info;
	size_t h = mk_ipv4(p, NULL, 0, 1, 8 + HELLO_LEN);
	size_t len = h + mk_icmp_echo(p + h, 8);

	(void)state;
	assert_int_equal(decode(&info, p, len), NW_DEC_OK);
	assert_int_equal(info.flags, NW_PKT_L4);
	assert_int_equal(info.ip_proto, 1);
	assert_int_equal(info.icmp_type, 8);
	assert_int_equal(info.icmp_code, 0);
	assert_int_equal(info.icmp_id, 0x4242);
	assert_int_equal(info.icmp_seq, 7);
	assert_int_equal(info.sport, 0);
	assert_int_equal(info.payload_len, HELLO_LEN);
	assert_memory_equal(info.payload, hello, HELLO_LEN);

	/* an echo cut after 6 bytes has no id/seq */
	mk_ipv4(p, NULL, 0, 1, 6);
	assert_int_equal(decode(&info, p, h + 6), NW_DEC_ICMP_TRUNC);
	/* a 4-byte non-echo message is fine: type and code only */
	p[h] = 3;
	p[h + 1] = 1;
	mk_ipv4(p, NULL, 0, 1, 4);
	assert_int_equal(decode(&info, p, h + 4), NW_DEC_OK);
	assert_int_equal(info.icmp_type, 3);
	assert_int_equal(info.icmp_code, 1);
	assert_int_equal(info.icmp_id, 0);
	assert_int_equal(info.payload_len, 0);
	/* 3 bytes of ICMP is too short for anything */
	mk_ipv4(p, NULL, 0, 1, 3);
	assert_int_equal(decode(&info, p, h + 3), NW_DEC_ICMP_TRUNC);
}

static void test_ipv6_tcp(void **state)
{
	uint8_t p[256];
	struct nw_pkt_info info;
	size_t l4 = mk_tcp(p + 40, NULL, 0, NW_TCP_ACK);
	size_t len = 40 + l4;

	(void)state;
	mk_ipv6(p, 6, l4);
	assert_int_equal(decode(&info, p, len), NW_DEC_OK);
	assert_int_equal(info.flags, NW_PKT_L4);
	assert_int_equal(info.src.family, 6);
	assert_memory_equal(info.src.a, src6, 16);
	assert_memory_equal(info.dst.a, dst6, 16);
	assert_int_equal(info.ttl, 255);
	assert_int_equal(info.ip_proto, 6);
	assert_int_equal(info.sport, 40000);
	assert_int_equal(info.dport, 443);
	assert_int_equal(info.tcp_flags, NW_TCP_ACK);
	assert_int_equal(info.payload_len, HELLO_LEN);
	assert_memory_equal(info.payload, hello, HELLO_LEN);
}

static void test_ipv6_icmpv6_echo(void **state)
{
	uint8_t p[128];
	struct nw_pkt_info info;
	size_t l4 = mk_icmp_echo(p + 40, 129);

	(void)state;
	mk_ipv6(p, 58, l4);
	assert_int_equal(decode(&info, p, 40 + l4), NW_DEC_OK);
	assert_int_equal(info.ip_proto, 58);
	assert_int_equal(info.icmp_type, 129);
	assert_int_equal(info.icmp_id, 0x4242);
	assert_int_equal(info.icmp_seq, 7);
	assert_int_equal(info.payload_len, HELLO_LEN);
}

static void test_ipv6_ext_chain(void **state)
{
	uint8_t p[256];
	struct nw_pkt_info info;
	size_t len = mk_good_v6_chain(p);

	(void)state;
	assert_int_equal(decode(&info, p, len), NW_DEC_OK);
	assert_int_equal(info.flags, NW_PKT_L4 | NW_PKT_IPOPTS | NW_PKT_FRAG);
	assert_int_equal(info.ip_proto, 17);
	assert_int_equal(info.sport, 5353);
	assert_int_equal(info.dport, 53);
	assert_int_equal(info.payload_len, HELLO_LEN);
	assert_memory_equal(info.payload, hello, HELLO_LEN);
}

static void test_ipv6_ah_then_tcp(void **state)
{
	uint8_t p[256];
	struct nw_pkt_info info;
	size_t off = 40, l4;

	(void)state;
	/* AH with payload length 4: (4+2)*4 = 24 bytes */
	memset(p + off, 0, 24);
	p[off] = 6;
	p[off + 1] = 4;
	off += 24;
	l4 = mk_tcp(p + off, NULL, 0, NW_TCP_SYN);
	mk_ipv6(p, 51, off + l4 - 40);
	assert_int_equal(decode(&info, p, off + l4), NW_DEC_OK);
	assert_int_equal(info.ip_proto, 6);
	assert_int_equal(info.dport, 443);
	assert_int_equal(info.flags, NW_PKT_L4 | NW_PKT_IPOPTS);
}

static void test_ipv6_esp_and_no_next(void **state)
{
	uint8_t p[128];
	struct nw_pkt_info info;

	(void)state;
	memset(p, 0x77, sizeof(p));
	mk_ipv6(p, 50, 32);
	assert_int_equal(decode(&info, p, 72), NW_DEC_OK);
	assert_int_equal(info.ip_proto, 50);
	assert_false(info.flags & NW_PKT_L4);
	assert_ptr_equal(info.payload, p + 40);
	assert_int_equal(info.payload_len, 32);

	mk_ipv6(p, 60, 8);
	mk_ext(p + 40, 59, 0);
	assert_int_equal(decode(&info, p, 48), NW_DEC_OK);
	assert_int_equal(info.ip_proto, 59);
	assert_false(info.flags & NW_PKT_L4);
	assert_int_equal(info.payload_len, 0);
}

static void test_ipv6_ext_limit(void **state)
{
	uint8_t p[256];
	struct nw_pkt_info info;
	size_t off;

	(void)state;
	/* exactly NW_DECODE_MAX_EXT destination-options headers, then UDP: accepted */
	off = 40;
	for (int i = 0; i < NW_DECODE_MAX_EXT; i++)
		off += mk_ext(p + off, i == NW_DECODE_MAX_EXT - 1 ? 17 : 60, 0);
	off += mk_udp(p + off, 0);
	mk_ipv6(p, 60, off - 40);
	assert_int_equal(decode(&info, p, off), NW_DEC_OK);
	assert_int_equal(info.dport, 53);

	/* one more is refused */
	off = 40;
	for (int i = 0; i < NW_DECODE_MAX_EXT + 1; i++)
		off += mk_ext(p + off, i == NW_DECODE_MAX_EXT ? 17 : 60, 0);
	off += mk_udp(p + off, 0);
	mk_ipv6(p, 60, off - 40);
	assert_int_equal(decode(&info, p, off), NW_DEC_IPV6_EXT_LIMIT);
	assert_string_equal(nw_decode_err_name(NW_DEC_IPV6_EXT_LIMIT), "ipv6_ext_limit");
}

static void test_ipv6_ext_trunc(void **state)
{
	uint8_t p[128];
	struct nw_pkt_info info;

	(void)state;
	/* hop-by-hop claims 16 bytes, only 8 are there */
	mk_ipv6(p, 0, 8);
	mk_ext(p + 40, 17, 0);
	p[41] = 1;
	assert_int_equal(decode(&info, p, 48), NW_DEC_IPV6_EXT_TRUNC);
	/* fragment header cut short by the payload length */
	mk_ipv6(p, 44, 4);
	mk_frag6(p + 40, 17, 0, 1);
	assert_int_equal(decode(&info, p, 48), NW_DEC_IPV6_EXT_TRUNC);
}

static void test_ipv6_jumbo_uses_capture(void **state)
{
	uint8_t p[128];
	struct nw_pkt_info info;
	size_t l4 = mk_tcp(p + 40, NULL, 0, NW_TCP_ACK);

	(void)state;
	mk_ipv6(p, 6, 0);
	assert_int_equal(decode(&info, p, 40 + l4), NW_DEC_OK);
	assert_int_equal(info.payload_len, HELLO_LEN);
}

/* ---- fragments ---- */

static void test_ipv4_later_fragment_has_no_ports(void **state)
{
	uint8_t p[128];
	struct nw_pkt_info info;
	size_t h = mk_ipv4(p, NULL, 0, 17, 8 + HELLO_LEN);
	size_t len = h + mk_udp(p + h, 0);

	(void)state;
	put16(p + 6, 0x2000 | 185); /* MF, offset 1480 */
	assert_int_equal(decode(&info, p, len), NW_DEC_OK);
	assert_int_equal(info.flags, NW_PKT_FRAG | NW_PKT_FRAG_LATER);
	assert_int_equal(info.ip_proto, 17);
	assert_int_equal(info.sport, 0);
	assert_int_equal(info.dport, 0);
	assert_ptr_equal(info.payload, p + h);
	assert_int_equal(info.payload_len, 8 + HELLO_LEN);

	/* last fragment (no MF) */
	put16(p + 6, 185);
	assert_int_equal(decode(&info, p, len), NW_DEC_OK);
	assert_int_equal(info.flags, NW_PKT_FRAG | NW_PKT_FRAG_LATER);
	assert_int_equal(info.dport, 0);
}

static void test_ipv4_first_fragment_udp(void **state)
{
	uint8_t p[128];
	struct nw_pkt_info info;
	size_t h = mk_ipv4(p, NULL, 0, 17, 8 + HELLO_LEN);
	size_t len = h + mk_udp(p + h, 3000); /* the datagram continues in later fragments */

	(void)state;
	put16(p + 6, 0x2000);
	assert_int_equal(decode(&info, p, len), NW_DEC_OK);
	assert_int_equal(info.flags, NW_PKT_FRAG | NW_PKT_L4);
	assert_int_equal(info.dport, 53);
	assert_int_equal(info.payload_len, HELLO_LEN);
	/* the same UDP length without MF is a lie */
	put16(p + 6, 0x4000); /* DF */
	assert_int_equal(decode(&info, p, len), NW_DEC_UDP_LEN);
}

static void test_ipv6_later_fragment_has_no_ports(void **state)
{
	uint8_t p[128];
	struct nw_pkt_info info;
	size_t off = 40;

	(void)state;
	off += mk_frag6(p + off, 6, 100, 0);
	off += mk_tcp(p + off, NULL, 0, NW_TCP_SYN);
	mk_ipv6(p, 44, off - 40);
	assert_int_equal(decode(&info, p, off), NW_DEC_OK);
	assert_int_equal(info.flags, NW_PKT_FRAG | NW_PKT_FRAG_LATER | NW_PKT_IPOPTS);
	assert_int_equal(info.ip_proto, 6);
	assert_int_equal(info.sport, 0);
	assert_int_equal(info.tcp_flags, 0);
	assert_ptr_equal(info.payload, p + 48);
	assert_int_equal(info.payload_len, off - 48);

	/* atomic fragment (offset 0, no M): a whole packet, decoded to L4 */
	mk_frag6(p + 40, 6, 0, 0);
	assert_int_equal(decode(&info, p, off), NW_DEC_OK);
	assert_int_equal(info.flags, NW_PKT_L4 | NW_PKT_IPOPTS);
	assert_int_equal(info.dport, 443);
}

/* ---- malformed IPv4 ---- */

static void test_ip_trunc_and_version(void **state)
{
	uint8_t p[64] = {0};
	struct nw_pkt_info info;

	(void)state;
	assert_int_equal(decode(&info, p, 0), NW_DEC_IP_TRUNC);
	assert_int_equal(decode(&info, NULL, 0), NW_DEC_IP_TRUNC);
	mk_ipv4(p, NULL, 0, 6, 0);
	assert_int_equal(decode(&info, p, 19), NW_DEC_IP_TRUNC);
	mk_ipv6(p, 6, 0);
	assert_int_equal(decode(&info, p, 39), NW_DEC_IP_TRUNC);
	p[0] = 0x55;
	assert_int_equal(decode(&info, p, 40), NW_DEC_IP_VERSION);
}

static void test_ipv4_bad_ihl(void **state)
{
	uint8_t p[64];
	struct nw_pkt_info info;

	(void)state;
	mk_ipv4(p, NULL, 0, 6, 0);
	p[0] = 0x44; /* IHL 4 */
	assert_int_equal(decode(&info, p, 40), NW_DEC_IPV4_HLEN);
	p[0] = 0x4f; /* 60 bytes of header, 40 captured */
	put16(p + 2, 60);
	assert_int_equal(decode(&info, p, 40), NW_DEC_IPV4_HLEN);
	assert_string_equal(nw_decode_err_name(NW_DEC_IPV4_HLEN), "ipv4_hlen");
}

static void test_ipv4_totlen_below_ihl(void **state)
{
	uint8_t p[64];
	struct nw_pkt_info info;

	(void)state;
	mk_ipv4(p, NULL, 0, 6, 0);
	put16(p + 2, 19);
	assert_int_equal(decode(&info, p, 40), NW_DEC_IPV4_TOTLEN);
	put16(p + 2, 0);
	assert_int_equal(decode(&info, p, 40), NW_DEC_IPV4_TOTLEN);
}

static void test_ipv4_bad_options(void **state)
{
	static const uint8_t zero_len[4] = {0x83, 0x00, 0x00, 0x00};
	static const uint8_t past_end[4] = {0x01, 0x83, 0x07, 0x00};
	static const uint8_t lone_kind[4] = {0x01, 0x01, 0x01, 0x83};
	static const uint8_t eol_then_junk[4] = {0x00, 0xff, 0xff, 0xff};
	uint8_t p[64];
	struct nw_pkt_info info;

	(void)state;
	mk_ipv4(p, zero_len, 4, 59, 0);
	assert_int_equal(decode(&info, p, 24), NW_DEC_IPV4_OPT);
	mk_ipv4(p, past_end, 4, 59, 0);
	assert_int_equal(decode(&info, p, 24), NW_DEC_IPV4_OPT);
	mk_ipv4(p, lone_kind, 4, 59, 0);
	assert_int_equal(decode(&info, p, 24), NW_DEC_IPV4_OPT);
	mk_ipv4(p, eol_then_junk, 4, 59, 0);
	assert_int_equal(decode(&info, p, 24), NW_DEC_OK);
	assert_true(info.flags & NW_PKT_IPOPTS);
}

/* ---- malformed L4 ---- */

static void test_tcp_bad_doff(void **state)
{
	uint8_t p[128];
	struct nw_pkt_info info;
	size_t h = mk_ipv4(p, NULL, 0, 6, 20 + HELLO_LEN);
	size_t len = h + mk_tcp(p + h, NULL, 0, NW_TCP_SYN);

	(void)state;
	p[h + 12] = 0x40; /* 16 bytes */
	assert_int_equal(decode(&info, p, len), NW_DEC_TCP_DOFF);
	assert_true(info.decode_events == NW_DEV_BIT(NW_DEV_TCP_HLEN_TOO_SMALL));
	/* the IP header decoded: the addresses are there for ip rules, the ports are not valid */
	assert_memory_equal(info.src.a, src4, 4);
	assert_false(info.flags & NW_PKT_L4);
	p[h + 12] = 0xf0; /* 60 bytes, 32 there */
	assert_int_equal(decode(&info, p, len), NW_DEC_TCP_DOFF);
	assert_true(info.decode_events == NW_DEV_BIT(NW_DEV_TCP_HLEN_TOO_SMALL));
	/* fewer than 20 bytes of TCP */
	mk_ipv4(p, NULL, 0, 6, 12);
	assert_int_equal(decode(&info, p, h + 12), NW_DEC_TCP_TRUNC);
	assert_true(info.decode_events == NW_DEV_BIT(NW_DEV_TCP_PKT_TOO_SMALL));
}

static void test_tcp_bad_options(void **state)
{
	static const uint8_t len0[4] = {0x02, 0x00, 0x05, 0xb4};
	static const uint8_t len1[4] = {0x01, 0x01, 0x08, 0x01};
	static const uint8_t past[8] = {0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 0};
	static const uint8_t lone[4] = {0x01, 0x01, 0x01, 0x02};
	static const uint8_t good_mss[4] = {0x02, 0x04, 0x05, 0xb4};
	const uint8_t *bad[] = {len0, len1, past, lone};
	const size_t badlen[] = {4, 4, 8, 4};
	uint8_t p[128];
	struct nw_pkt_info info;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		uint8_t seg[96];
		size_t l4 = mk_tcp(seg, bad[i], badlen[i], NW_TCP_SYN);
		size_t h = mk_ipv4(p, NULL, 0, 6, l4);

		memcpy(p + h, seg, l4);
		assert_int_equal(decode(&info, p, h + l4), NW_DEC_TCP_OPT);
	}
	{
		uint8_t seg[96];
		size_t l4 = mk_tcp(seg, good_mss, sizeof(good_mss), NW_TCP_SYN);
		size_t h = mk_ipv4(p, NULL, 0, 6, l4);

		memcpy(p + h, seg, l4);
		assert_int_equal(decode(&info, p, h + l4), NW_DEC_OK);
		assert_int_equal(info.payload_len, HELLO_LEN);
	}
}

static void test_udp_bad_length(void **state)
{
	uint8_t p[128];
	struct nw_pkt_info info;
	size_t h = mk_ipv4(p, NULL, 0, 17, 8 + HELLO_LEN);
	size_t len = h + mk_udp(p + h, 200); /* longer than the IP payload */

	(void)state;
	assert_int_equal(decode(&info, p, len), NW_DEC_UDP_LEN);
	mk_udp(p + h, 7);
	assert_int_equal(decode(&info, p, len), NW_DEC_UDP_LEN);
	mk_ipv4(p, NULL, 0, 17, 6);
	assert_int_equal(decode(&info, p, h + 6), NW_DEC_UDP_TRUNC);
	/* a shorter UDP length bounds the payload */
	mk_ipv4(p, NULL, 0, 17, 8 + HELLO_LEN);
	mk_udp(p + h, 8 + 5);
	assert_int_equal(decode(&info, p, len), NW_DEC_OK);
	assert_int_equal(info.payload_len, 5);
}

static void test_short_capture_is_not_malformed(void **state)
{
	uint8_t p[128];
	struct nw_pkt_info info;
	size_t h = mk_ipv4(p, NULL, 0, 17, 8 + HELLO_LEN);

	(void)state;
	mk_udp(p + h, 0);
	/* snaplen cut 4 payload bytes: headers agree, capture is short */
	assert_int_equal(decode(&info, p, h + 8 + HELLO_LEN - 4), NW_DEC_OK);
	assert_int_equal(info.payload_len, HELLO_LEN - 4);
	assert_int_equal(info.ip_len, h + 8 + HELLO_LEN - 4);
	/* only a warning, which the engine drops when it knows the capture was cut */
	assert_true(info.decode_events == NW_DEV_BIT(NW_DEV_IPV4_TRUNC_PKT));
	assert_true(NW_DEV_SNAPLEN_MASK & info.decode_events);
	assert_false(NW_DEV_INVALID_MASK & info.decode_events);
}

/* Warnings: the packet decodes, the event is raised. */
static void test_warning_events(void **state)
{
	static const uint8_t dup_rr[8] = {0x07, 0x03, 0x04, 0x07, 0x03, 0x04, 0x01, 0x00};
	static const uint8_t unknown[4] = {0x9e, 0x04, 0x00, 0x00};
	static const uint8_t mss2[8] = {0x02, 0x04, 0x05, 0xb4, 0x02, 0x04, 0x05, 0x78};
	uint8_t p[256];
	struct nw_pkt_info info;
	size_t h, len;

	(void)state;
	h = mk_ipv4(p, dup_rr, 8, 17, 8 + HELLO_LEN);
	len = h + mk_udp(p + h, 0);
	assert_int_equal(decode(&info, p, len), NW_DEC_OK);
	assert_true(info.decode_events == NW_DEV_BIT(NW_DEV_IPV4_OPT_DUPLICATE));
	h = mk_ipv4(p, unknown, 4, 17, 8 + HELLO_LEN);
	len = h + mk_udp(p + h, 0);
	assert_int_equal(decode(&info, p, len), NW_DEC_OK);
	assert_true(info.decode_events == NW_DEV_BIT(NW_DEV_IPV4_OPT_UNKNOWN));
	h = mk_ipv4(p, NULL, 0, 6, 28 + HELLO_LEN);
	len = h + mk_tcp(p + h, mss2, 8, NW_TCP_SYN);
	assert_int_equal(decode(&info, p, len), NW_DEC_OK);
	assert_true(info.decode_events == NW_DEV_BIT(NW_DEV_TCP_OPT_DUPLICATE));
	/* IPv6: atomic fragment, ICMPv4 inside */
	h = mk_ipv6(p, 44, 8 + 8 + HELLO_LEN);
	h += mk_frag6(p + h, 1, 0, 0);
	len = h + mk_icmp_echo(p + h, 8);
	assert_int_equal(decode(&info, p, len), NW_DEC_OK);
	assert_true(info.decode_events ==
		    (NW_DEV_BIT(NW_DEV_IPV6_EXTHDR_USELESS_FH) | NW_DEV_BIT(NW_DEV_IPV6_ICMPV4)));
	assert_false(info.flags & NW_PKT_FRAG);
	/* two hop-by-hop headers */
	h = mk_ipv6(p, 0, 8 + 8 + 8 + HELLO_LEN);
	h += mk_ext(p + h, 0, 0);
	h += mk_ext(p + h, 17, 0);
	len = h + mk_udp(p + h, 0);
	assert_int_equal(decode(&info, p, len), NW_DEC_OK);
	assert_true(info.decode_events == NW_DEV_BIT(NW_DEV_IPV6_EXTHDR_DUPL_HH));
}

static void test_event_names(void **state)
{
	(void)state;
	for (unsigned e = 0; e < NW_DEV_MAX; e++) {
		assert_non_null(nw_decode_event_name(e));
		for (unsigned f = 0; f < e; f++)
			assert_string_not_equal(nw_decode_event_name(e), nw_decode_event_name(f));
	}
	assert_null(nw_decode_event_name(NW_DEV_MAX));
	assert_true(NW_DEV_MAX <= 64);
}

/* ---- link layer ---- */

static void test_link_ethernet_vlan_qinq(void **state)
{
	uint8_t f[256];
	uint32_t l3off = 99;
	size_t off, len;

	(void)state;
	off = mk_eth(f, 0x0800);
	len = off + mk_good_v4_tcp(f + off);
	assert_int_equal(nw_decode_link(NW_LINKTYPE_ETHERNET, f, (uint32_t)len, &l3off), NW_DEC_OK);
	assert_int_equal(l3off, 14);

	off = mk_eth(f, 0x8100);
	put16(f + off, 100);
	put16(f + off + 2, 0x86dd);
	off += 4;
	len = off + mk_good_v6_chain(f + off);
	assert_int_equal(nw_decode_link(NW_LINKTYPE_ETHERNET, f, (uint32_t)len, &l3off), NW_DEC_OK);
	assert_int_equal(l3off, 18);

	for (int i = 0; i < 2; i++) {
		off = mk_eth(f, i ? 0x9100 : 0x88a8);
		put16(f + off, 10);
		put16(f + off + 2, 0x8100);
		put16(f + off + 4, 20);
		put16(f + off + 6, 0x0800);
		off += 8;
		len = off + mk_good_v4_tcp(f + off);
		assert_int_equal(nw_decode_link(NW_LINKTYPE_ETHERNET, f, (uint32_t)len, &l3off),
				 NW_DEC_OK);
		assert_int_equal(l3off, 22);
	}
	/* a third tag is more than we carry */
	put16(f + 20, 0x8100);
	assert_int_equal(nw_decode_link(NW_LINKTYPE_ETHERNET, f, (uint32_t)len, &l3off),
			 NW_DEC_LINK_UNKNOWN);
	/* the tag cut short */
	assert_int_equal(nw_decode_link(NW_LINKTYPE_ETHERNET, f, 16, &l3off), NW_DEC_LINK_TRUNC);
	assert_int_equal(nw_decode_link(NW_LINKTYPE_ETHERNET, f, 13, &l3off), NW_DEC_LINK_TRUNC);
	/* ethertype IPv4 carrying an IPv6 header */
	off = mk_eth(f, 0x0800);
	len = off + mk_good_v6_chain(f + off);
	assert_int_equal(nw_decode_link(NW_LINKTYPE_ETHERNET, f, (uint32_t)len, &l3off),
			 NW_DEC_IP_VERSION);
}

static void test_link_arp_unknown(void **state)
{
	uint8_t f[64];
	uint32_t l3off = 0;

	(void)state;
	memset(f, 0, sizeof(f));
	mk_eth(f, 0x0806);
	assert_int_equal(nw_decode_link(NW_LINKTYPE_ETHERNET, f, 42, &l3off), NW_DEC_LINK_UNKNOWN);
	assert_string_equal(nw_decode_err_name(NW_DEC_LINK_UNKNOWN), "link_unknown");
	assert_int_equal(nw_decode_link(105 /* 802.11 */, f, 42, &l3off), NW_DEC_LINK_UNKNOWN);
	put16(f + 14, 0x0806);
	assert_int_equal(nw_decode_link(NW_LINKTYPE_LINUX_SLL, f, 42, &l3off), NW_DEC_LINK_UNKNOWN);
}

static void test_link_sll_sll2_raw(void **state)
{
	uint8_t f[256];
	uint32_t l3off = 99;
	size_t len;
	struct nw_pkt_info info;

	(void)state;
	memset(f, 0, 20);
	put16(f, 0); /* packet type: to us */
	put16(f + 2, 1);
	put16(f + 4, 6);
	put16(f + 14, 0x0800);
	len = 16 + mk_good_v4_tcp(f + 16);
	assert_int_equal(nw_decode_link(NW_LINKTYPE_LINUX_SLL, f, (uint32_t)len, &l3off), NW_DEC_OK);
	assert_int_equal(l3off, 16);
	assert_int_equal(nw_decode_ip(&info, f + l3off, (uint32_t)(len - l3off)), NW_DEC_OK);
	assert_int_equal(info.dport, 443);
	assert_int_equal(nw_decode_link(NW_LINKTYPE_LINUX_SLL, f, 15, &l3off), NW_DEC_LINK_TRUNC);

	memset(f, 0, 20);
	put16(f, 0x86dd);
	put32(f + 4, 3); /* ifindex */
	put16(f + 8, 1);
	len = 20 + mk_good_v6_chain(f + 20);
	assert_int_equal(nw_decode_link(NW_LINKTYPE_LINUX_SLL2, f, (uint32_t)len, &l3off),
			 NW_DEC_OK);
	assert_int_equal(l3off, 20);
	assert_int_equal(nw_decode_ip(&info, f + l3off, (uint32_t)(len - l3off)), NW_DEC_OK);
	assert_int_equal(info.dport, 53);
	assert_int_equal(nw_decode_link(NW_LINKTYPE_LINUX_SLL2, f, 19, &l3off), NW_DEC_LINK_TRUNC);

	len = mk_good_v4_tcp(f);
	assert_int_equal(nw_decode_link(NW_LINKTYPE_RAW, f, (uint32_t)len, &l3off), NW_DEC_OK);
	assert_int_equal(l3off, 0);
	assert_int_equal(nw_decode_link(NW_LINKTYPE_IPV4, f, (uint32_t)len, &l3off), NW_DEC_OK);
	assert_int_equal(nw_decode_link(NW_LINKTYPE_IPV6, f, (uint32_t)len, &l3off),
			 NW_DEC_IP_VERSION);
	len = mk_good_v6_chain(f);
	assert_int_equal(nw_decode_link(NW_LINKTYPE_RAW, f, (uint32_t)len, &l3off), NW_DEC_OK);
	assert_int_equal(nw_decode_link(NW_LINKTYPE_IPV6, f, (uint32_t)len, &l3off), NW_DEC_OK);
	assert_int_equal(l3off, 0);
}

static void test_ethernet_padding_bounded_by_totlen(void **state)
{
	uint8_t f[128];
	uint32_t l3off;
	struct nw_pkt_info info;
	size_t h;

	(void)state;
	/* 14 + 20 + 8 + 4 = 46 bytes, padded to the 60-byte Ethernet minimum with 0xee */
	memset(f, 0xee, sizeof(f));
	mk_eth(f, 0x0800);
	h = mk_ipv4(f + 14, NULL, 0, 17, 12); /* tot_len 32 */
	put16(f + 14 + h, 1000);
	put16(f + 14 + h + 2, 2000);
	put16(f + 14 + h + 4, 12);
	memcpy(f + 14 + h + 8, "abcd", 4);
	assert_int_equal(nw_decode_link(NW_LINKTYPE_ETHERNET, f, 60, &l3off), NW_DEC_OK);
	assert_int_equal(nw_decode_ip(&info, f + l3off, 60 - l3off), NW_DEC_OK);
	assert_int_equal(info.ip_len, 60 - 14); /* as captured, padding included */
	assert_int_equal(info.payload_len, 4);
	assert_memory_equal(info.payload, "abcd", 4);

	/* the same with TCP, whose length comes only from tot_len */
	memset(f, 0xee, sizeof(f));
	mk_eth(f, 0x0800);
	h = mk_ipv4(f + 14, NULL, 0, 6, 22);
	mk_tcp(f + 14 + h, NULL, 0, NW_TCP_ACK | NW_TCP_PSH);
	memcpy(f + 14 + h + 20, "ok", 2);
	memset(f + 14 + h + 22, 0xee, 60 - 14 - h - 22);
	assert_int_equal(nw_decode_ip(&info, f + 14, 46), NW_DEC_OK);
	assert_int_equal(info.payload_len, 2);
	assert_memory_equal(info.payload, "ok", 2);
}

/* ---- every prefix of good frames: an error or a consistent decode, never an overread ---- */

static void check_prefixes(int linktype, const uint8_t *frame, size_t full)
{
	struct nw_pkt_info ref, info;
	uint32_t l3off;

	assert_int_equal(nw_decode_link(linktype, frame, (uint32_t)full, &l3off), NW_DEC_OK);
	assert_int_equal(nw_decode_ip(&ref, frame + l3off, (uint32_t)(full - l3off)), NW_DEC_OK);

	for (size_t n = 0; n <= full; n++) {
		/* an exact-size heap copy, so ASan sees any read past n */
		uint8_t *buf = malloc(n ? n : 1);
		uint32_t off = 0;
		int rc;

		assert_non_null(buf);
		memcpy(buf, frame, n);
		rc = nw_decode_link(linktype, buf, (uint32_t)n, &off);
		if (rc == NW_DEC_OK) {
			assert_int_equal(off, l3off);
			memset(&info, 0, sizeof(info));
			rc = nw_decode_ip(&info, buf + off, (uint32_t)(n - off));
			assert_true(rc >= 0 && rc < NW_DEC_MAX);
			assert_int_equal(info.ip_len, n - off);
			assert_true(info.payload >= buf + off);
			assert_true(info.payload + info.payload_len <= buf + n);
			if (rc == NW_DEC_OK) {
				assert_int_equal(info.ip_proto, ref.ip_proto);
				assert_memory_equal(&info.src, &ref.src, sizeof(ref.src));
				assert_memory_equal(&info.dst, &ref.dst, sizeof(ref.dst));
				assert_true(info.payload_len <= ref.payload_len);
				if (info.flags & NW_PKT_L4) {
					assert_int_equal(info.sport, ref.sport);
					assert_int_equal(info.dport, ref.dport);
				}
				/* the payload starts where it does in the whole frame */
				assert_int_equal(info.payload - (buf + off),
						 ref.payload - (frame + l3off));
				assert_memory_equal(info.payload, ref.payload, info.payload_len);
			}
		} else {
			assert_true(rc == NW_DEC_LINK_TRUNC || rc == NW_DEC_IP_VERSION);
			assert_true(n < l3off + 1);
		}
		if (n == full)
			assert_int_equal(rc, NW_DEC_OK);
		free(buf);
	}
}

static void test_truncated_at_every_length(void **state)
{
	uint8_t f[256];
	size_t off, len;

	(void)state;
	off = mk_eth(f, 0x0800);
	len = off + mk_good_v4_tcp(f + off);
	check_prefixes(NW_LINKTYPE_ETHERNET, f, len);

	off = mk_eth(f, 0x8100);
	put16(f + off, 7);
	put16(f + off + 2, 0x86dd);
	off += 4;
	len = off + mk_good_v6_chain(f + off);
	check_prefixes(NW_LINKTYPE_ETHERNET, f, len);

	memset(f, 0, 20);
	put16(f, 0x0800);
	off = 20 + mk_ipv4(f + 20, NULL, 0, 1, 8 + HELLO_LEN);
	len = off + mk_icmp_echo(f + off, 0);
	check_prefixes(NW_LINKTYPE_LINUX_SLL2, f, len);

	off = 40;
	off += mk_frag6(f + off, 6, 0, 1);
	off += mk_tcp(f + off, NULL, 0, NW_TCP_SYN);
	mk_ipv6(f, 44, off - 40);
	check_prefixes(NW_LINKTYPE_RAW, f, off);
}

/* ---- info ownership and names ---- */

static void test_info_reset_keeps_caller_fields(void **state)
{
	uint8_t p[256];
	struct nw_pkt_info info;
	size_t len = mk_good_v4_tcp(p);

	(void)state;
	memset(&info, 0x5a, sizeof(info));
	info.ts_ns = 123456789;
	info.queue = 3;
	info.flags = NW_PKT_INBOUND | NW_PKT_ORIG_DST | NW_PKT_GSO | NW_PKT_FRAG_LATER;
	info.orig_dst.family = 4;
	memcpy(info.orig_dst.a, src4, 4);
	info.orig_dport = 8443;
	assert_int_equal(nw_decode_ip(&info, p, (uint32_t)len), NW_DEC_OK);
	assert_int_equal(info.size, sizeof(info));
	assert_int_equal(info.ts_ns, 123456789);
	assert_int_equal(info.queue, 3);
	assert_int_equal(info.flags,
			 NW_PKT_INBOUND | NW_PKT_ORIG_DST | NW_PKT_L4 | NW_PKT_IPOPTS);
	assert_int_equal(info.orig_dst.family, 4);
	assert_memory_equal(info.orig_dst.a, src4, 4);
	assert_int_equal(info.orig_dport, 8443);
	assert_int_equal(info.dir, 0);
	assert_int_equal(info.ct_state, 0);
	assert_int_equal(info.icmp_id, 0);
	assert_int_equal(info.src.family, 4);
	assert_memory_equal(info.src.a + 4, (uint8_t[12]){0}, 12);
}

static void test_err_names(void **state)
{
	static const char *const want[] = {
		"ok", "link_trunc", "link_unknown", "ip_trunc", "ip_version", "ipv4_hlen",
		"ipv4_totlen", "ipv4_opt", "ipv6_ext_trunc", "ipv6_ext_limit", "tcp_trunc",
		"tcp_doff", "tcp_opt", "udp_trunc", "udp_len", "icmp_trunc",
	};

	(void)state;
	assert_int_equal(sizeof(want) / sizeof(want[0]), NW_DEC_MAX);
	for (int i = 0; i < NW_DEC_MAX; i++)
		assert_string_equal(nw_decode_err_name(i), want[i]);
	assert_string_equal(nw_decode_err_name(NW_DEC_MAX), "unknown");
	assert_string_equal(nw_decode_err_name(-1), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_tcp_options),
		cmocka_unit_test(test_ipv4_udp),
		cmocka_unit_test(test_ipv4_icmp_echo),
		cmocka_unit_test(test_ipv6_tcp),
		cmocka_unit_test(test_ipv6_icmpv6_echo),
		cmocka_unit_test(test_ipv6_ext_chain),
		cmocka_unit_test(test_ipv6_ah_then_tcp),
		cmocka_unit_test(test_ipv6_esp_and_no_next),
		cmocka_unit_test(test_ipv6_ext_limit),
		cmocka_unit_test(test_ipv6_ext_trunc),
		cmocka_unit_test(test_ipv6_jumbo_uses_capture),
		cmocka_unit_test(test_ipv4_later_fragment_has_no_ports),
		cmocka_unit_test(test_ipv4_first_fragment_udp),
		cmocka_unit_test(test_ipv6_later_fragment_has_no_ports),
		cmocka_unit_test(test_ip_trunc_and_version),
		cmocka_unit_test(test_ipv4_bad_ihl),
		cmocka_unit_test(test_ipv4_totlen_below_ihl),
		cmocka_unit_test(test_ipv4_bad_options),
		cmocka_unit_test(test_tcp_bad_doff),
		cmocka_unit_test(test_tcp_bad_options),
		cmocka_unit_test(test_udp_bad_length),
		cmocka_unit_test(test_short_capture_is_not_malformed),
		cmocka_unit_test(test_warning_events),
		cmocka_unit_test(test_event_names),
		cmocka_unit_test(test_link_ethernet_vlan_qinq),
		cmocka_unit_test(test_link_arp_unknown),
		cmocka_unit_test(test_link_sll_sll2_raw),
		cmocka_unit_test(test_ethernet_padding_bounded_by_totlen),
		cmocka_unit_test(test_truncated_at_every_length),
		cmocka_unit_test(test_info_reset_keeps_caller_fields),
		cmocka_unit_test(test_err_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
