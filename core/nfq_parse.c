/* NFQUEUE packet message parser: one pass over the netlink attributes into struct nw_nfq_pkt. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include "nfq.h"

/* ip_conntrack_info values (include/uapi/linux/netfilter/nf_conntrack_common.h) */
enum { NFQP_CT_ESTABLISHED, NFQP_CT_RELATED, NFQP_CT_NEW, NFQP_CT_ESTABLISHED_REPLY,
       NFQP_CT_RELATED_REPLY };

/* A cursor over a run of attributes [pos, end). */
struct nfqp_walk {
	const uint8_t *pos, *end;
};

/*
 * The next attribute, or NULL at the end or at a malformed one. nla_len counts the header and the
 * payload but not the padding after it, so a length need not be a multiple of 4: the payload is
 * nla_len - 4 bytes, and the next attribute starts NLA_ALIGN(nla_len) further on — which may lie
 * past the end for the last attribute of a message whose padding was cut off. The cursor never
 * moves past end, and an attribute is only returned when all of its nla_len bytes lie inside.
 */
static const struct nlattr *nfqp_next(struct nfqp_walk *w, uint16_t *type, const uint8_t **pl,
				      uint32_t *plen)
{
	const struct nlattr *a;
	size_t left = (size_t)(w->end - w->pos), step;
	uint16_t len;

	if (left < NLA_HDRLEN)
		return NULL;
	a = (const struct nlattr *)w->pos;
	memcpy(&len, &a->nla_len, sizeof(len));
	if (len < NLA_HDRLEN || len > left)
		return NULL;
	memcpy(type, &a->nla_type, sizeof(*type));
	*type &= NLA_TYPE_MASK;
	*pl = w->pos + NLA_HDRLEN;
	*plen = len - NLA_HDRLEN;
	step = NLA_ALIGN((size_t)len);
	w->pos = step < left ? w->pos + step : w->end;
	return a;
}

static void nfqp_nested(struct nfqp_walk *w, const uint8_t *pl, uint32_t plen)
{
	w->pos = pl;
	w->end = pl + plen;
}

static uint32_t nfqp_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return ntohl(v);
}

/* NFQA_CT: the original tuple's destination (the address before DNAT). */
static void nfqp_ct(const uint8_t *ct, uint32_t ctlen, struct nw_nfq_pkt *p)
{
	struct nfqp_walk w1, w2, w3;
	const uint8_t *pl1, *pl2, *pl3;
	uint32_t len1, len2, len3;
	uint16_t t1, t2, t3;

	nfqp_nested(&w1, ct, ctlen);
	while (nfqp_next(&w1, &t1, &pl1, &len1)) {
		if (t1 != CTA_TUPLE_ORIG)
			continue;
		nfqp_nested(&w2, pl1, len1);
		while (nfqp_next(&w2, &t2, &pl2, &len2)) {
			if (t2 != CTA_TUPLE_IP && t2 != CTA_TUPLE_PROTO)
				continue;
			nfqp_nested(&w3, pl2, len2);
			while (nfqp_next(&w3, &t3, &pl3, &len3)) {
				if (t2 == CTA_TUPLE_IP && t3 == CTA_IP_V4_DST && len3 == 4) {
					p->orig_dst.family = 4;
					memcpy(p->orig_dst.a, pl3, 4);
				} else if (t2 == CTA_TUPLE_IP && t3 == CTA_IP_V6_DST && len3 == 16) {
					p->orig_dst.family = 6;
					memcpy(p->orig_dst.a, pl3, 16);
				} else if (t2 == CTA_TUPLE_PROTO && t3 == CTA_PROTO_DST_PORT &&
					   len3 == 2) {
					p->orig_dport = (uint16_t)(pl3[0] << 8 | pl3[1]);
				}
			}
		}
	}
	p->have_orig_dst = p->orig_dst.family != 0;
}

static int nfqp_ct_state(uint32_t info)
{
	switch (info) {
	case NFQP_CT_NEW:
		return NW_CT_NEW;
	case NFQP_CT_RELATED:
	case NFQP_CT_RELATED_REPLY:
		return NW_CT_RELATED;
	case NFQP_CT_ESTABLISHED:
	case NFQP_CT_ESTABLISHED_REPLY:
		return NW_CT_ESTABLISHED;
	default:
		return -1;
	}
}

int nw_nfq_parse(const void *msg, size_t len, struct nw_nfq_pkt *p)
{
	const struct nlmsghdr *nlh = msg;
	const uint8_t *ct = NULL, *pl;
	uint32_t ctlen = 0, plen, info = 0, mlen;
	int have_hdr = 0, have_info = 0, have_cap = 0;
	struct nfqp_walk w;
	uint16_t type;

	memset(p, 0, sizeof(*p));
	p->ct_state = -1;
	if (len < NLMSG_HDRLEN + sizeof(struct nfgenmsg))
		return -EBADMSG;
	memcpy(&mlen, &nlh->nlmsg_len, sizeof(mlen));
	if (mlen < NLMSG_HDRLEN + sizeof(struct nfgenmsg) || mlen > len)
		return -EBADMSG;
	w.pos = (const uint8_t *)msg + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	w.end = (const uint8_t *)msg + mlen;
	if (w.pos > w.end)
		return -EBADMSG;
	while (nfqp_next(&w, &type, &pl, &plen)) {
		switch (type) {
		case NFQA_PACKET_HDR:
			/* packet_id (4), hw_protocol (2), hook (1) */
			if (plen < 7)
				return -EBADMSG;
			p->id = nfqp_be32(pl);
			have_hdr = 1;
			break;
		case NFQA_PAYLOAD:
			p->data = pl;
			p->len = plen;
			break;
		case NFQA_CAP_LEN:
			if (plen >= 4)
				p->orig_len = nfqp_be32(pl), have_cap = 1;
			break;
		case NFQA_IFINDEX_INDEV:
			if (plen >= 4)
				p->indev = nfqp_be32(pl);
			break;
		case NFQA_IFINDEX_OUTDEV:
			if (plen >= 4)
				p->outdev = nfqp_be32(pl);
			break;
		case NFQA_MARK:
			if (plen >= 4)
				p->mark = nfqp_be32(pl);
			break;
		case NFQA_SKB_INFO:
			if (plen >= 4)
				p->gso = !!(nfqp_be32(pl) & NFQA_SKB_GSO);
			break;
		case NFQA_CT:
			ct = pl;
			ctlen = plen;
			break;
		case NFQA_CT_INFO:
			if (plen >= 4)
				info = nfqp_be32(pl), have_info = 1;
			break;
		default:
			break;
		}
	}
	if (!have_hdr)
		return -EBADMSG;
	if (!have_cap)
		p->orig_len = p->len;
	if (ct)
		nfqp_ct(ct, ctlen, p);
	if (have_info) {
		p->ct_state = nfqp_ct_state(info);
		/* a reply's original tuple is the other direction's: its destination is not this
		 * packet's pre-DNAT destination */
		if (info == NFQP_CT_ESTABLISHED_REPLY || info == NFQP_CT_RELATED_REPLY)
			p->have_orig_dst = 0;
	}
	return 0;
}
