/* Packet decoder: link layer (Ethernet/VLAN, raw, SLL, SLL2) and IPv4/IPv6/TCP/UDP/ICMP. */
#ifndef NW_DECODE_H
#define NW_DECODE_H

#include <stdint.h>
#include "natwarden/plugin.h"

/* Why a packet could not be decoded. 0 is success; every other value is counted by name. */
enum nw_decode_err {
	NW_DEC_OK = 0,
	NW_DEC_LINK_TRUNC,      /* link header shorter than its type needs */
	NW_DEC_LINK_UNKNOWN,    /* ethertype / linktype we do not carry (not counted as error) */
	NW_DEC_IP_TRUNC,        /* shorter than a minimal IP header */
	NW_DEC_IP_VERSION,      /* version is neither 4 nor 6 (or disagrees with the link) */
	NW_DEC_IPV4_HLEN,       /* IHL < 5 or beyond the captured data */
	NW_DEC_IPV4_TOTLEN,     /* total length < IHL*4 */
	NW_DEC_IPV4_OPT,        /* malformed IPv4 option */
	NW_DEC_IPV6_EXT_TRUNC,  /* extension header beyond the captured data */
	NW_DEC_IPV6_EXT_LIMIT,  /* more extension headers than NW_DECODE_MAX_EXT */
	NW_DEC_TCP_TRUNC,       /* TCP header shorter than 20 bytes */
	NW_DEC_TCP_DOFF,        /* data offset < 5 or beyond the data */
	NW_DEC_TCP_OPT,         /* malformed TCP option (length 0/1 or past the header) */
	NW_DEC_UDP_TRUNC,       /* UDP header shorter than 8 bytes */
	NW_DEC_UDP_LEN,         /* UDP length < 8 or beyond the IP payload */
	NW_DEC_ICMP_TRUNC,      /* ICMP/ICMPv6 header shorter than 4 (8 for echo) bytes */
	NW_DEC_MAX
};

#define NW_DECODE_MAX_EXT 8 /* IPv6 extension headers followed before giving up */

/* Linktypes (pcap LINKTYPE_* values). */
#define NW_LINKTYPE_ETHERNET 1
#define NW_LINKTYPE_RAW 101
#define NW_LINKTYPE_LINUX_SLL 113
#define NW_LINKTYPE_IPV4 228
#define NW_LINKTYPE_IPV6 229
#define NW_LINKTYPE_LINUX_SLL2 276

/* Name of a reason, e.g. "ipv4_hlen" (used as the key in stats and metrics). */
const char *nw_decode_err_name(int err);

/*
 * Find the IP header inside a link-layer frame. On success *l3off is the offset of the IP
 * header and 0 is returned; otherwise an nw_decode_err. Never reads past caplen.
 */
int nw_decode_link(int linktype, const uint8_t *data, uint32_t caplen, uint32_t *l3off);

/*
 * Decode an IP packet (IPv4 or IPv6, chosen by the version nibble) into `info`: addresses,
 * protocol, TTL, fragment flags, L4 ports/flags/ICMP fields and the payload pointer/length.
 * `info` is fully (re)initialised except ts_ns, queue and the NW_PKT_INBOUND/ORIG_DST flags and
 * orig_* fields, which the caller owns. Returns NW_DEC_OK or the reason. Never reads past len;
 * the payload length is bounded by both the IP length fields and len. No allocation.
 */
int nw_decode_ip(struct nw_pkt_info *info, const uint8_t *data, uint32_t len);

/* Events that make a packet malformed (the others are warnings: the packet is still decoded). */
#define NW_DEV_INVALID_MASK                                                                 \
	(NW_DEV_BIT(NW_DEV_IPV4_HLEN_TOO_SMALL) | NW_DEV_BIT(NW_DEV_IPV4_IPLEN_SMALLER_THAN_HLEN) | \
	 NW_DEV_BIT(NW_DEV_IPV4_OPT_INVALID_LEN) | NW_DEV_BIT(NW_DEV_IPV4_OPT_MALFORMED) |         \
	 NW_DEV_BIT(NW_DEV_IPV6_TRUNC_EXTHDR) | NW_DEV_BIT(NW_DEV_IPV6_EXTHDR_LIMIT) |             \
	 NW_DEV_BIT(NW_DEV_TCP_PKT_TOO_SMALL) | NW_DEV_BIT(NW_DEV_TCP_HLEN_TOO_SMALL) |            \
	 NW_DEV_BIT(NW_DEV_TCP_OPT_INVALID_LEN) | NW_DEV_BIT(NW_DEV_UDP_PKT_TOO_SMALL) |           \
	 NW_DEV_BIT(NW_DEV_UDP_HLEN_TOO_SMALL) | NW_DEV_BIT(NW_DEV_UDP_HLEN_INVALID) |             \
	 NW_DEV_BIT(NW_DEV_ICMPV4_PKT_TOO_SMALL) | NW_DEV_BIT(NW_DEV_ICMPV6_PKT_TOO_SMALL) |       \
	 NW_DEV_BIT(NW_DEV_IPV4_FRAG_PKT_TOO_LARGE) | NW_DEV_BIT(NW_DEV_IPV4_FRAG_OVERLAP) |       \
	 NW_DEV_BIT(NW_DEV_IPV6_FRAG_PKT_TOO_LARGE) | NW_DEV_BIT(NW_DEV_IPV6_FRAG_OVERLAP) |       \
	 NW_DEV_BIT(NW_DEV_IPV6_FRAG_INVALID_LENGTH))
/* Warnings a capture cut short by its snap length raises on a sound packet. */
#define NW_DEV_SNAPLEN_MASK (NW_DEV_BIT(NW_DEV_IPV4_TRUNC_PKT) | NW_DEV_BIT(NW_DEV_IPV6_TRUNC_PKT))

/* An IP fragment as reassembly needs it (nw_decode_frag). */
struct nw_frag {
	uint8_t family;      /* 4 or 6 */
	uint8_t proto;       /* protocol of the fragmented payload */
	uint8_t more;        /* more fragments follow (MF / M) */
	uint32_t id;         /* identification (16 bits for IPv4) */
	uint32_t offset;     /* byte offset of this fragment's data in the datagram's payload */
	uint32_t plen;       /* data bytes this fragment carries */
	uint32_t hlen;       /* bytes before the data: IPv4 header / IPv6 up to the fragment header */
	uint32_t unfrag_len; /* IPv6: bytes before the fragment header (IPv4: hlen) */
	uint32_t nh_off;     /* IPv6: offset of the next-header byte naming the fragment header */
	const uint8_t *src, *dst; /* addresses, inside the packet */
};

/*
 * Is data[0..len) an IP fragment that reassembly can take (sound header, lengths within len,
 * not an IPv6 atomic fragment)? Returns 1 with *f filled, else 0 (the packet goes to the
 * decoder as it is). Never reads past len. No allocation.
 */
int nw_decode_frag(const uint8_t *data, uint32_t len, struct nw_frag *f);

#endif
