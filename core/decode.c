/* Packet decoder: finds the IP header in a link frame, decodes IPv4/IPv6 + TCP/UDP/ICMP into nw_pkt_info. */
#include <string.h>
#include "decode.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100      /* 802.1Q */
#define ETHERTYPE_QINQ 0x88a8      /* 802.1ad */
#define ETHERTYPE_QINQ_OLD 0x9100  /* pre-standard QinQ */
#define DEC_MAX_VLAN 2             /* tags walked before giving up */

#define ETH_HLEN 14
#define VLAN_HLEN 4
#define SLL_HLEN 16
#define SLL_PROTO_OFF 14
#define SLL2_HLEN 20
#define SLL2_PROTO_OFF 0

#define IPV4_HLEN_MIN 20
#define IPV6_HLEN 40
#define TCP_HLEN_MIN 20
#define UDP_HLEN 8
#define ICMP_HLEN_MIN 4
#define ICMP_HLEN 8

#define IPV4_MF 0x2000
#define IPV4_OFFMASK 0x1fff
#define IPV6_FRAG_OFFMASK 0xfff8
#define IPV6_FRAG_MF 0x0001

/* IP protocol numbers the decoder knows. */
#define PROTO_HOPOPTS 0
#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ROUTING 43
#define PROTO_FRAGMENT 44
#define PROTO_ESP 50
#define PROTO_AH 51
#define PROTO_ICMPV6 58
#define PROTO_NONE 59
#define PROTO_DSTOPTS 60
#define PROTO_MOBILITY 135
#define PROTO_HIP 139
#define PROTO_SHIM6 140

static const char *const dec_err_names[] = {
	[NW_DEC_OK] = "ok",
	[NW_DEC_LINK_TRUNC] = "link_trunc",
	[NW_DEC_LINK_UNKNOWN] = "link_unknown",
	[NW_DEC_IP_TRUNC] = "ip_trunc",
	[NW_DEC_IP_VERSION] = "ip_version",
	[NW_DEC_IPV4_HLEN] = "ipv4_hlen",
	[NW_DEC_IPV4_TOTLEN] = "ipv4_totlen",
	[NW_DEC_IPV4_OPT] = "ipv4_opt",
	[NW_DEC_IPV6_EXT_TRUNC] = "ipv6_ext_trunc",
	[NW_DEC_IPV6_EXT_LIMIT] = "ipv6_ext_limit",
	[NW_DEC_TCP_TRUNC] = "tcp_trunc",
	[NW_DEC_TCP_DOFF] = "tcp_doff",
	[NW_DEC_TCP_OPT] = "tcp_opt",
	[NW_DEC_UDP_TRUNC] = "udp_trunc",
	[NW_DEC_UDP_LEN] = "udp_len",
	[NW_DEC_ICMP_TRUNC] = "icmp_trunc",
};
_Static_assert(sizeof(dec_err_names) / sizeof(dec_err_names[0]) == NW_DEC_MAX,
	       "every nw_decode_err needs a name");

static inline uint16_t dec_rd16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t dec_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

const char *nw_decode_err_name(int err)
{
	if (err < 0 || err >= NW_DEC_MAX || !dec_err_names[err])
		return "unknown";
	return dec_err_names[err];
}

/* ---- link layer ---- */

static inline int dec_is_vlan(uint16_t etype)
{
	return etype == ETHERTYPE_VLAN || etype == ETHERTYPE_QINQ || etype == ETHERTYPE_QINQ_OLD;
}

/* The IP header starts at off; if a byte of it is there, its version must be `version`. */
static int dec_link_ip(const uint8_t *data, uint32_t caplen, uint32_t off, unsigned version,
		       uint32_t *l3off)
{
	if (version && off < caplen && (unsigned)(data[off] >> 4) != version)
		return NW_DEC_IP_VERSION;
	*l3off = off;
	return NW_DEC_OK;
}

/* `etype` was read just before off: walk VLAN tags, then accept IPv4/IPv6. off <= caplen. */
static int dec_link_ethertype(const uint8_t *data, uint32_t caplen, uint32_t off, uint16_t etype,
			      uint32_t *l3off)
{
	for (unsigned tags = 0; dec_is_vlan(etype); tags++) {
		if (tags == DEC_MAX_VLAN)
			return NW_DEC_LINK_UNKNOWN;
		if (caplen - off < VLAN_HLEN)
			return NW_DEC_LINK_TRUNC;
		etype = dec_rd16(data + off + 2); /* after the 2-byte TCI */
		off += VLAN_HLEN;
	}
	if (etype == ETHERTYPE_IPV4)
		return dec_link_ip(data, caplen, off, 4, l3off);
	if (etype == ETHERTYPE_IPV6)
		return dec_link_ip(data, caplen, off, 6, l3off);
	return NW_DEC_LINK_UNKNOWN;
}

int nw_decode_link(int linktype, const uint8_t *data, uint32_t caplen, uint32_t *l3off)
{
	switch (linktype) {
	case NW_LINKTYPE_ETHERNET:
		if (caplen < ETH_HLEN)
			return NW_DEC_LINK_TRUNC;
		return dec_link_ethertype(data, caplen, ETH_HLEN, dec_rd16(data + 12), l3off);
	case NW_LINKTYPE_RAW:
		return dec_link_ip(data, caplen, 0, 0, l3off);
	case NW_LINKTYPE_IPV4:
		return dec_link_ip(data, caplen, 0, 4, l3off);
	case NW_LINKTYPE_IPV6:
		return dec_link_ip(data, caplen, 0, 6, l3off);
	case NW_LINKTYPE_LINUX_SLL:
		if (caplen < SLL_HLEN)
			return NW_DEC_LINK_TRUNC;
		return dec_link_ethertype(data, caplen, SLL_HLEN, dec_rd16(data + SLL_PROTO_OFF),
					  l3off);
	case NW_LINKTYPE_LINUX_SLL2:
		if (caplen < SLL2_HLEN)
			return NW_DEC_LINK_TRUNC;
		return dec_link_ethertype(data, caplen, SLL2_HLEN,
					  dec_rd16(data + SLL2_PROTO_OFF), l3off);
	default:
		return NW_DEC_LINK_UNKNOWN;
	}
}

/* ---- L4 ---- */

/* IPv4 and TCP options share a layout: EOL(0) and NOP(1) are one byte, others kind+len+data. */
static int dec_opts_valid(const uint8_t *p, uint32_t len)
{
	uint32_t i = 0;

	while (i < len) {
		uint8_t kind = p[i];

		if (kind == 0) /* end of option list: the rest is padding */
			return 1;
		if (kind == 1) {
			i++;
			continue;
		}
		if (len - i < 2 || p[i + 1] < 2 || p[i + 1] > len - i)
			return 0;
		i += p[i + 1];
	}
	return 1;
}

static int dec_tcp(struct nw_pkt_info *info, const uint8_t *l4, uint32_t avail)
{
	uint32_t doff;

	if (avail < TCP_HLEN_MIN)
		return NW_DEC_TCP_TRUNC;
	info->sport = dec_rd16(l4);
	info->dport = dec_rd16(l4 + 2);
	info->tcp_seq = dec_rd32(l4 + 4);
	info->tcp_ack = dec_rd32(l4 + 8);
	info->tcp_flags = l4[13];
	info->tcp_win = dec_rd16(l4 + 14);
	doff = (uint32_t)(l4[12] >> 4) * 4;
	if (doff < TCP_HLEN_MIN || doff > avail)
		return NW_DEC_TCP_DOFF;
	if (doff > TCP_HLEN_MIN && !dec_opts_valid(l4 + TCP_HLEN_MIN, doff - TCP_HLEN_MIN))
		return NW_DEC_TCP_OPT;
	info->flags |= NW_PKT_L4;
	info->payload = l4 + doff;
	info->payload_len = avail - doff;
	return NW_DEC_OK;
}

/*
 * avail: bytes captured after the IP headers; declared: what the IP length fields promise.
 * A UDP length beyond `declared` is malformed, unless this is a first fragment (the UDP length
 * covers the whole datagram); beyond `avail` only means a short capture.
 */
static int dec_udp(struct nw_pkt_info *info, const uint8_t *l4, uint32_t avail,
		   uint32_t declared, int jumbo)
{
	uint32_t ulen;

	if (avail < UDP_HLEN)
		return NW_DEC_UDP_TRUNC;
	info->sport = dec_rd16(l4);
	info->dport = dec_rd16(l4 + 2);
	ulen = dec_rd16(l4 + 4);
	if (ulen == 0 && jumbo) /* RFC 2675: the IPv6 jumbo payload length rules */
		ulen = declared;
	if (ulen < UDP_HLEN || (ulen > declared && !(info->flags & NW_PKT_FRAG)))
		return NW_DEC_UDP_LEN;
	if (ulen > avail)
		ulen = avail;
	info->flags |= NW_PKT_L4;
	info->payload = l4 + UDP_HLEN;
	info->payload_len = ulen - UDP_HLEN;
	return NW_DEC_OK;
}

static int dec_icmp(struct nw_pkt_info *info, const uint8_t *l4, uint32_t avail,
		    uint8_t echo_req, uint8_t echo_rep)
{
	uint32_t hlen;

	if (avail < ICMP_HLEN_MIN)
		return NW_DEC_ICMP_TRUNC;
	info->icmp_type = l4[0];
	info->icmp_code = l4[1];
	if (l4[0] == echo_req || l4[0] == echo_rep) {
		if (avail < ICMP_HLEN)
			return NW_DEC_ICMP_TRUNC;
		info->icmp_id = dec_rd16(l4 + 4);
		info->icmp_seq = dec_rd16(l4 + 6);
	}
	hlen = avail < ICMP_HLEN ? avail : ICMP_HLEN;
	info->flags |= NW_PKT_L4;
	info->payload = l4 + hlen;
	info->payload_len = avail - hlen;
	return NW_DEC_OK;
}

/* Decode the upper-layer header info->ip_proto at l4. The payload defaults to all of it. */
static int dec_l4(struct nw_pkt_info *info, const uint8_t *l4, uint32_t avail, uint32_t declared,
		  int jumbo)
{
	info->payload = l4;
	info->payload_len = avail;
	switch (info->ip_proto) {
	case PROTO_TCP:
		return dec_tcp(info, l4, avail);
	case PROTO_UDP:
		return dec_udp(info, l4, avail, declared, jumbo);
	case PROTO_ICMP:
		return dec_icmp(info, l4, avail, 8, 0);
	case PROTO_ICMPV6:
		return dec_icmp(info, l4, avail, 128, 129);
	default:
		return NW_DEC_OK;
	}
}

/* ---- IP ---- */

static int dec_ipv4(struct nw_pkt_info *info, const uint8_t *data, uint32_t len)
{
	uint32_t hlen, tot, end;
	uint16_t frag;

	if (len < IPV4_HLEN_MIN)
		return NW_DEC_IP_TRUNC;
	info->src.family = 4;
	memcpy(info->src.a, data + 12, 4);
	info->dst.family = 4;
	memcpy(info->dst.a, data + 16, 4);
	info->ttl = data[8];
	info->ip_id = dec_rd16(data + 4);
	info->ip_proto = data[9];

	hlen = (uint32_t)(data[0] & 0x0f) * 4;
	if (hlen < IPV4_HLEN_MIN || hlen > len)
		return NW_DEC_IPV4_HLEN;
	tot = dec_rd16(data + 2);
	if (tot < hlen)
		return NW_DEC_IPV4_TOTLEN;
	end = tot < len ? tot : len; /* drop link padding; a short capture stays short */

	frag = dec_rd16(data + 6);
	if (frag & (IPV4_MF | IPV4_OFFMASK)) {
		info->flags |= NW_PKT_FRAG;
		if (frag & IPV4_OFFMASK)
			info->flags |= NW_PKT_FRAG_LATER;
	}
	if (hlen > IPV4_HLEN_MIN) {
		info->flags |= NW_PKT_IPOPTS;
		if (!dec_opts_valid(data + IPV4_HLEN_MIN, hlen - IPV4_HLEN_MIN))
			return NW_DEC_IPV4_OPT;
	}

	info->payload = data + hlen;
	info->payload_len = end - hlen;
	if (info->flags & NW_PKT_FRAG_LATER)
		return NW_DEC_OK;
	return dec_l4(info, data + hlen, end - hlen, tot - hlen, 0);
}

static int dec_ipv6(struct nw_pkt_info *info, const uint8_t *data, uint32_t len)
{
	uint32_t plen, declared, end, off = IPV6_HLEN;
	unsigned n_ext = 0;
	int jumbo = 0;
	uint8_t nh;

	if (len < IPV6_HLEN)
		return NW_DEC_IP_TRUNC;
	info->src.family = 6;
	memcpy(info->src.a, data + 8, 16);
	info->dst.family = 6;
	memcpy(info->dst.a, data + 24, 16);
	info->ttl = data[7];
	nh = data[6];
	info->ip_proto = nh;

	plen = dec_rd16(data + 4);
	if (plen == 0) { /* jumbogram (or a GSO super-packet): the capture is the length */
		jumbo = 1;
		declared = len;
	} else {
		declared = IPV6_HLEN + plen;
	}
	end = declared < len ? declared : len;

	for (;;) {
		uint32_t hl;

		switch (nh) {
		case PROTO_HOPOPTS:
		case PROTO_ROUTING:
		case PROTO_DSTOPTS:
		case PROTO_MOBILITY:
		case PROTO_HIP:
		case PROTO_SHIM6:
		case PROTO_AH:
			if (++n_ext > NW_DECODE_MAX_EXT)
				return NW_DEC_IPV6_EXT_LIMIT;
			info->flags |= NW_PKT_IPOPTS;
			if (end - off < 2)
				return NW_DEC_IPV6_EXT_TRUNC;
			if (nh == PROTO_AH)
				hl = ((uint32_t)data[off + 1] + 2) * 4;
			else
				hl = ((uint32_t)data[off + 1] + 1) * 8;
			if (end - off < hl)
				return NW_DEC_IPV6_EXT_TRUNC;
			nh = data[off];
			off += hl;
			info->ip_proto = nh;
			continue;
		case PROTO_FRAGMENT: {
			uint16_t fo;

			if (++n_ext > NW_DECODE_MAX_EXT)
				return NW_DEC_IPV6_EXT_LIMIT;
			info->flags |= NW_PKT_IPOPTS;
			if (end - off < 8)
				return NW_DEC_IPV6_EXT_TRUNC;
			fo = dec_rd16(data + off + 2);
			nh = data[off];
			off += 8;
			info->ip_proto = nh;
			/* offset 0 and M=0 is an atomic fragment (RFC 6946): a whole packet */
			if (fo & (IPV6_FRAG_OFFMASK | IPV6_FRAG_MF))
				info->flags |= NW_PKT_FRAG;
			if (fo & IPV6_FRAG_OFFMASK) {
				info->flags |= NW_PKT_FRAG_LATER;
				info->payload = data + off;
				info->payload_len = end - off;
				return NW_DEC_OK;
			}
			continue;
		}
		default:
			break;
		}
		break;
	}

	info->payload = data + off;
	info->payload_len = end - off;
	if (nh == PROTO_ESP) /* encrypted: no L4 to see */
		return NW_DEC_OK;
	if (nh == PROTO_NONE) { /* RFC 8200: anything after "no next header" is ignored */
		info->payload_len = 0;
		return NW_DEC_OK;
	}
	return dec_l4(info, data + off, end - off, declared - off, jumbo);
}

/* Zero everything the decoder owns; keep what the caller set (time, queue, DNAT info). */
static void dec_info_reset(struct nw_pkt_info *info)
{
	uint64_t ts_ns = info->ts_ns;
	uint16_t queue = info->queue;
	uint32_t flags = info->flags & (NW_PKT_INBOUND | NW_PKT_ORIG_DST);
	struct nw_addr orig_dst = info->orig_dst;
	uint16_t orig_dport = info->orig_dport;

	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->ts_ns = ts_ns;
	info->queue = queue;
	info->flags = flags;
	info->orig_dst = orig_dst;
	info->orig_dport = orig_dport;
}

int nw_decode_ip(struct nw_pkt_info *info, const uint8_t *data, uint32_t len)
{
	dec_info_reset(info);
	info->l3 = data;
	info->ip_len = len;
	info->payload = data;
	if (len < 1)
		return NW_DEC_IP_TRUNC;
	switch (data[0] >> 4) {
	case 4:
		return dec_ipv4(info, data, len);
	case 6:
		return dec_ipv6(info, data, len);
	default:
		return NW_DEC_IP_VERSION;
	}
}
