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

/* Result of an option scan (IPv4 and TCP options share a layout: EOL(0) and NOP(1) are one
 * byte, the others kind+len+data). */
#define DEC_OPT_BADLEN 1  /* a length byte < 2 */
#define DEC_OPT_PAST 2    /* an option runs past the header (or lacks its length byte) */
#define DEC_OPT_DUP 4     /* a kind seen twice */
#define DEC_OPT_UNKNOWN 8 /* a kind not in `known` (a 256-bit set; NULL: all known) */

static int dec_opts_scan(const uint8_t *p, uint32_t len, const uint8_t *known)
{
	uint8_t seen[32] = {0};
	uint32_t i = 0;
	int r = 0;

	while (i < len) {
		uint8_t kind = p[i];

		if (kind == 0) /* end of option list: the rest is padding */
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (seen[kind / 8] & (1u << (kind % 8)))
			r |= DEC_OPT_DUP;
		seen[kind / 8] |= (uint8_t)(1u << (kind % 8));
		if (known && !(known[kind / 8] & (1u << (kind % 8))))
			r |= DEC_OPT_UNKNOWN;
		if (len - i < 2)
			return r | DEC_OPT_PAST;
		if (p[i + 1] < 2)
			return r | DEC_OPT_BADLEN;
		if (p[i + 1] > len - i)
			return r | DEC_OPT_PAST;
		i += p[i + 1];
	}
	return r;
}

/* Record event `ev` and return the decode error `err` (NW_DEC_OK for a warning). */
static inline int dec_event(struct nw_pkt_info *info, int err, unsigned ev)
{
	info->decode_events |= NW_DEV_BIT(ev);
	return err;
}

static int dec_tcp(struct nw_pkt_info *info, const uint8_t *l4, uint32_t avail)
{
	uint32_t doff;
	int o;

	if (avail < TCP_HLEN_MIN)
		return dec_event(info, NW_DEC_TCP_TRUNC, NW_DEV_TCP_PKT_TOO_SMALL);
	info->sport = dec_rd16(l4);
	info->dport = dec_rd16(l4 + 2);
	info->tcp_seq = dec_rd32(l4 + 4);
	info->tcp_ack = dec_rd32(l4 + 8);
	info->tcp_flags = l4[13];
	info->tcp_win = dec_rd16(l4 + 14);
	doff = (uint32_t)(l4[12] >> 4) * 4;
	if (doff < TCP_HLEN_MIN || doff > avail)
		return dec_event(info, NW_DEC_TCP_DOFF, NW_DEV_TCP_HLEN_TOO_SMALL);
	o = dec_opts_scan(l4 + TCP_HLEN_MIN, doff - TCP_HLEN_MIN, NULL);
	if (o & DEC_OPT_DUP)
		dec_event(info, NW_DEC_OK, NW_DEV_TCP_OPT_DUPLICATE);
	if (o & (DEC_OPT_BADLEN | DEC_OPT_PAST))
		return dec_event(info, NW_DEC_TCP_OPT, NW_DEV_TCP_OPT_INVALID_LEN);
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
		return dec_event(info, NW_DEC_UDP_TRUNC, NW_DEV_UDP_PKT_TOO_SMALL);
	info->sport = dec_rd16(l4);
	info->dport = dec_rd16(l4 + 2);
	ulen = dec_rd16(l4 + 4);
	if (ulen == 0 && jumbo) /* RFC 2675: the IPv6 jumbo payload length rules */
		ulen = declared;
	if (ulen < UDP_HLEN)
		return dec_event(info, NW_DEC_UDP_LEN, NW_DEV_UDP_HLEN_TOO_SMALL);
	if (ulen > declared && !(info->flags & NW_PKT_FRAG))
		return dec_event(info, NW_DEC_UDP_LEN, NW_DEV_UDP_HLEN_INVALID);
	if (ulen > avail)
		ulen = avail;
	info->flags |= NW_PKT_L4;
	info->payload = l4 + UDP_HLEN;
	info->payload_len = ulen - UDP_HLEN;
	return NW_DEC_OK;
}

static int dec_icmp(struct nw_pkt_info *info, const uint8_t *l4, uint32_t avail,
		    uint8_t echo_req, uint8_t echo_rep, unsigned ev_trunc)
{
	uint32_t hlen;

	if (avail < ICMP_HLEN_MIN)
		return dec_event(info, NW_DEC_ICMP_TRUNC, ev_trunc);
	info->icmp_type = l4[0];
	info->icmp_code = l4[1];
	if (l4[0] == echo_req || l4[0] == echo_rep) {
		if (avail < ICMP_HLEN)
			return dec_event(info, NW_DEC_ICMP_TRUNC, ev_trunc);
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
		if (info->src.family == 6)
			dec_event(info, NW_DEC_OK, NW_DEV_IPV6_ICMPV4);
		return dec_icmp(info, l4, avail, 8, 0, NW_DEV_ICMPV4_PKT_TOO_SMALL);
	case PROTO_ICMPV6:
		if (info->src.family == 4)
			dec_event(info, NW_DEC_OK, NW_DEV_IPV4_ICMPV6);
		return dec_icmp(info, l4, avail, 128, 129, NW_DEV_ICMPV6_PKT_TOO_SMALL);
	default:
		return NW_DEC_OK;
	}
}

/* ---- IP ---- */

/* IPv4 option types assigned (RFC 791 and later): EOL 0, NOP 1, RR 7, QS 25, TS 68, SEC 130,
 * LSRR 131, CIPSO 134, SID 136, SSRR 137, RTRALT 148; one bit per type. */
static const uint8_t dec_ipv4_known_opts[32] = {
	[0] = 0x83, [3] = 0x02, [8] = 0x10, [16] = 0x4c, [17] = 0x03, [18] = 0x10,
};

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
	if (hlen < IPV4_HLEN_MIN)
		return dec_event(info, NW_DEC_IPV4_HLEN, NW_DEV_IPV4_HLEN_TOO_SMALL);
	if (hlen > len)
		return dec_event(info, NW_DEC_IPV4_HLEN, NW_DEV_IPV4_TRUNC_PKT);
	tot = dec_rd16(data + 2);
	if (tot < hlen)
		return dec_event(info, NW_DEC_IPV4_TOTLEN, NW_DEV_IPV4_IPLEN_SMALLER_THAN_HLEN);
	if (tot > len) /* a warning: the capture may be cut short by its snap length */
		dec_event(info, NW_DEC_OK, NW_DEV_IPV4_TRUNC_PKT);
	end = tot < len ? tot : len; /* drop link padding; a short capture stays short */

	frag = dec_rd16(data + 6);
	if (frag & (IPV4_MF | IPV4_OFFMASK)) {
		info->flags |= NW_PKT_FRAG;
		if (frag & IPV4_OFFMASK)
			info->flags |= NW_PKT_FRAG_LATER;
	}
	if (hlen > IPV4_HLEN_MIN) {
		int o = dec_opts_scan(data + IPV4_HLEN_MIN, hlen - IPV4_HLEN_MIN,
				      dec_ipv4_known_opts);

		info->flags |= NW_PKT_IPOPTS;
		if (o & DEC_OPT_DUP)
			dec_event(info, NW_DEC_OK, NW_DEV_IPV4_OPT_DUPLICATE);
		if (o & DEC_OPT_UNKNOWN)
			dec_event(info, NW_DEC_OK, NW_DEV_IPV4_OPT_UNKNOWN);
		if (o & DEC_OPT_BADLEN)
			return dec_event(info, NW_DEC_IPV4_OPT, NW_DEV_IPV4_OPT_INVALID_LEN);
		if (o & DEC_OPT_PAST)
			return dec_event(info, NW_DEC_IPV4_OPT, NW_DEV_IPV4_OPT_MALFORMED);
	}

	info->payload = data + hlen;
	info->payload_len = end - hlen;
	if (info->flags & NW_PKT_FRAG_LATER)
		return NW_DEC_OK;
	return dec_l4(info, data + hlen, end - hlen, tot - hlen, 0);
}

/* An IPv6 extension header the decoder walks through (the fragment header is handled apart). */
static int dec_ipv6_is_ext(uint8_t nh)
{
	switch (nh) {
	case PROTO_HOPOPTS:
	case PROTO_ROUTING:
	case PROTO_DSTOPTS:
	case PROTO_MOBILITY:
	case PROTO_HIP:
	case PROTO_SHIM6:
	case PROTO_AH:
		return 1;
	default:
		return 0;
	}
}

/* Length of the extension header nh (dec_ipv6_is_ext) at p; p[0..1] must be readable. */
static uint32_t dec_ipv6_ext_len(uint8_t nh, const uint8_t *p)
{
	if (nh == PROTO_AH)
		return ((uint32_t)p[1] + 2) * 4;
	return ((uint32_t)p[1] + 1) * 8;
}

/* Duplicate extension headers (RFC 8200 4.1: each at most once, destination options twice). */
static void dec_ipv6_ext_seen(struct nw_pkt_info *info, uint8_t nh, uint8_t count[4])
{
	static const struct {
		uint8_t nh, max;
		unsigned ev;
	} rules[4] = {
		{PROTO_HOPOPTS, 1, NW_DEV_IPV6_EXTHDR_DUPL_HH},
		{PROTO_ROUTING, 1, NW_DEV_IPV6_EXTHDR_DUPL_RH},
		{PROTO_DSTOPTS, 2, NW_DEV_IPV6_EXTHDR_DUPL_DH},
		{PROTO_AH, 1, NW_DEV_IPV6_EXTHDR_DUPL_AH},
	};

	for (unsigned i = 0; i < 4; i++)
		if (rules[i].nh == nh && ++count[i] > rules[i].max)
			dec_event(info, NW_DEC_OK, rules[i].ev);
}

static int dec_ipv6(struct nw_pkt_info *info, const uint8_t *data, uint32_t len)
{
	uint32_t plen, declared, end, off = IPV6_HLEN;
	unsigned n_ext = 0;
	uint8_t ext_count[4] = {0};
	int jumbo = 0, n_frag = 0;
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
	if (declared > len) /* a warning: the capture may be cut short by its snap length */
		dec_event(info, NW_DEC_OK, NW_DEV_IPV6_TRUNC_PKT);
	end = declared < len ? declared : len;

	for (;;) {
		uint32_t hl;

		if (nh == PROTO_FRAGMENT) {
			uint16_t fo;

			if (++n_ext > NW_DECODE_MAX_EXT)
				return dec_event(info, NW_DEC_IPV6_EXT_LIMIT, NW_DEV_IPV6_EXTHDR_LIMIT);
			info->flags |= NW_PKT_IPOPTS;
			if (end - off < 8)
				return dec_event(info, NW_DEC_IPV6_EXT_TRUNC, NW_DEV_IPV6_TRUNC_EXTHDR);
			if (++n_frag > 1)
				dec_event(info, NW_DEC_OK, NW_DEV_IPV6_EXTHDR_DUPL_FH);
			fo = dec_rd16(data + off + 2);
			if (data[off + 1] || (fo & 0x0006))
				dec_event(info, NW_DEC_OK, NW_DEV_IPV6_FH_NON_ZERO_RES_FIELD);
			nh = data[off];
			off += 8;
			info->ip_proto = nh;
			/* offset 0 and M=0 is an atomic fragment (RFC 6946): a whole packet */
			if (!(fo & (IPV6_FRAG_OFFMASK | IPV6_FRAG_MF)))
				dec_event(info, NW_DEC_OK, NW_DEV_IPV6_EXTHDR_USELESS_FH);
			else
				info->flags |= NW_PKT_FRAG;
			if (fo & IPV6_FRAG_OFFMASK) {
				info->flags |= NW_PKT_FRAG_LATER;
				info->payload = data + off;
				info->payload_len = end - off;
				return NW_DEC_OK;
			}
			continue;
		}
		if (!dec_ipv6_is_ext(nh))
			break;
		if (++n_ext > NW_DECODE_MAX_EXT)
			return dec_event(info, NW_DEC_IPV6_EXT_LIMIT, NW_DEV_IPV6_EXTHDR_LIMIT);
		info->flags |= NW_PKT_IPOPTS;
		if (end - off < 2)
			return dec_event(info, NW_DEC_IPV6_EXT_TRUNC, NW_DEV_IPV6_TRUNC_EXTHDR);
		hl = dec_ipv6_ext_len(nh, data + off);
		if (end - off < hl)
			return dec_event(info, NW_DEC_IPV6_EXT_TRUNC, NW_DEV_IPV6_TRUNC_EXTHDR);
		dec_ipv6_ext_seen(info, nh, ext_count);
		if (nh == PROTO_ROUTING && data[off + 2] == 0)
			dec_event(info, NW_DEC_OK, NW_DEV_IPV6_RH_TYPE_0);
		nh = data[off];
		off += hl;
		info->ip_proto = nh;
	}

	info->payload = data + off;
	info->payload_len = end - off;
	if (nh == PROTO_ESP) /* encrypted: no L4 to see */
		return NW_DEC_OK;
	if (nh == PROTO_NONE) { /* RFC 8200: anything after "no next header" is ignored */
		if (end > off)
			dec_event(info, NW_DEC_OK, NW_DEV_IPV6_DATA_AFTER_NONE_HEADER);
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

int nw_decode_frag(const uint8_t *data, uint32_t len, struct nw_frag *f)
{
	memset(f, 0, sizeof(*f));
	if (len >= IPV4_HLEN_MIN && data[0] >> 4 == 4) {
		uint32_t hlen = (uint32_t)(data[0] & 0x0f) * 4, tot = dec_rd16(data + 2);
		uint16_t fr = dec_rd16(data + 6);

		if (hlen < IPV4_HLEN_MIN || hlen > len || tot < hlen || tot > len ||
		    !(fr & (IPV4_MF | IPV4_OFFMASK)))
			return 0;
		f->family = 4;
		f->proto = data[9];
		f->more = !!(fr & IPV4_MF);
		f->id = dec_rd16(data + 4);
		f->offset = (uint32_t)(fr & IPV4_OFFMASK) * 8;
		f->unfrag_len = f->hlen = hlen;
		f->plen = tot - hlen;
		f->src = data + 12;
		f->dst = data + 16;
		return 1;
	}
	if (len >= IPV6_HLEN && data[0] >> 4 == 6) {
		uint32_t plen = dec_rd16(data + 4), end, off = IPV6_HLEN, nh_off = 6;
		unsigned n = 0;
		uint16_t fo;
		uint8_t nh = data[6];

		if (plen == 0 || IPV6_HLEN + plen > len) /* no fragment header in a jumbogram */
			return 0;
		end = IPV6_HLEN + plen;
		while (dec_ipv6_is_ext(nh)) {
			uint32_t hl;

			if (++n > NW_DECODE_MAX_EXT || end - off < 2)
				return 0;
			hl = dec_ipv6_ext_len(nh, data + off);
			if (end - off < hl)
				return 0;
			nh_off = off;
			nh = data[off];
			off += hl;
		}
		if (nh != PROTO_FRAGMENT || end - off < 8)
			return 0;
		fo = dec_rd16(data + off + 2);
		if (!(fo & (IPV6_FRAG_OFFMASK | IPV6_FRAG_MF))) /* atomic: a whole packet */
			return 0;
		f->family = 6;
		f->proto = data[off];
		f->more = !!(fo & IPV6_FRAG_MF);
		f->id = dec_rd32(data + off + 4);
		f->offset = fo & IPV6_FRAG_OFFMASK;
		f->unfrag_len = off;
		f->nh_off = nh_off;
		f->hlen = off + 8;
		f->plen = end - f->hlen;
		f->src = data + 8;
		f->dst = data + 24;
		return 1;
	}
	return 0;
}
