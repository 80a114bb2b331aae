/* plugins/signature/sig_app_dns.c: a bounded DNS message parser (questions, answer names) for dns.* keywords. */
#include <string.h>
#include <arpa/inet.h>
#include "sig_app.h"

#define SIG_DNS_MAX_PTRS 16 /* compression pointers followed per name */

static uint16_t sig_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Read the name at *off into out (dotted, no trailing dot; "" for the root). Compression
 * pointers must point backwards and at most SIG_DNS_MAX_PTRS are followed, so no loop is
 * possible. *off moves past the name as it appears at its place. Returns the length or -1.
 */
static int sig_dns_name(const uint8_t *p, size_t n, size_t *off, char *out, size_t outsz)
{
	size_t o = *off, len = 0, end = 0;
	unsigned ptrs = 0;
	int jumped = 0;

	for (;;) {
		uint8_t l;
		if (o >= n)
			return -1;
		l = p[o];
		if ((l & 0xc0) == 0xc0) {
			size_t to;
			if (o + 1 >= n || ++ptrs > SIG_DNS_MAX_PTRS)
				return -1;
			to = (size_t)((l & 0x3f) << 8 | p[o + 1]);
			if (to >= o)
				return -1; /* forward or self pointer */
			if (!jumped)
				end = o + 2;
			jumped = 1;
			o = to;
			continue;
		}
		if (l & 0xc0)
			return -1; /* extended label types */
		if (l == 0) {
			if (!jumped)
				end = o + 1;
			break;
		}
		if (o + 1 + l > n)
			return -1;
		if (len + (len ? 1u : 0u) + l + 1 > outsz)
			return -1; /* longer than any legal name */
		if (len)
			out[len++] = '.';
		memcpy(out + len, p + o + 1, l);
		len += l;
		o += 1 + (size_t)l;
	}
	if (outsz)
		out[len] = 0;
	*off = end;
	return (int)len;
}

/* an answer's data as EVE writes it: addresses as text, names of CNAME/NS/PTR; else "" */
static void sig_dns_rdata(const uint8_t *p, size_t n, size_t off, size_t rdlen, uint16_t type,
			  char *out)
{
	size_t o = off;

	out[0] = 0;
	if (off + rdlen > n)
		return;
	if (type == 1 && rdlen == 4)
		inet_ntop(AF_INET, p + off, out, SIG_DNS_NAME_MAX);
	else if (type == 28 && rdlen == 16)
		inet_ntop(AF_INET6, p + off, out, SIG_DNS_NAME_MAX);
	else if ((type == 5 || type == 2 || type == 12) && sig_dns_name(p, n, &o, out, SIG_DNS_NAME_MAX) < 0)
		out[0] = 0;
}

int sig_dns_parse(const uint8_t *p, size_t n, struct sig_dns_msg *m)
{
	size_t off = 12;
	unsigned qd, an;
	char tmp[SIG_DNS_NAME_MAX];

	if (n < 12)
		return -1;
	m->id = sig_get16(p);
	m->qr = p[2] >> 7;
	m->opcode = (p[2] >> 3) & 0xf;
	m->rcode = p[3] & 0xf;
	m->flags = sig_get16(p + 2);
	qd = sig_get16(p + 4);
	an = sig_get16(p + 6);
	m->n_q = 0;
	m->n_an = 0;
	for (unsigned i = 0; i < qd; i++) {
		char *dst = m->n_q < SIG_DNS_MAX_NAMES ? m->q[m->n_q] : tmp;
		int l = sig_dns_name(p, n, &off, dst, SIG_DNS_NAME_MAX);
		if (l < 0 || off + 4 > n)
			return -1;
		if (m->n_q < SIG_DNS_MAX_NAMES) {
			m->qlen[m->n_q] = (uint16_t)l;
			m->qtype[m->n_q] = sig_get16(p + off);
			m->n_q++;
		}
		off += 4;
	}
	for (unsigned i = 0; i < an && m->n_an < SIG_DNS_MAX_NAMES; i++) {
		int l = sig_dns_name(p, n, &off, m->an[m->n_an], SIG_DNS_NAME_MAX);
		size_t rdlen;
		if (l < 0 || off + 10 > n)
			return m->n_q ? 0 : -1; /* keep what the questions gave */
		rdlen = sig_get16(p + off + 8);
		m->antype[m->n_an] = sig_get16(p + off);
		m->anttl[m->n_an] = (uint32_t)sig_get16(p + off + 4) << 16 | sig_get16(p + off + 6);
		sig_dns_rdata(p, n, off + 10, rdlen, m->antype[m->n_an], m->andata[m->n_an]);
		m->anlen[m->n_an++] = (uint16_t)l;
		off += 10 + rdlen;
		if (off > n)
			break;
	}
	return 0;
}

int sig_dns_sane(const uint8_t *p, size_t n)
{
	unsigned qd, an, ns, ar, opcode;
	size_t off = 12;
	char tmp[SIG_DNS_NAME_MAX];

	if (n < 17)
		return 0;
	qd = sig_get16(p + 4);
	an = sig_get16(p + 6);
	ns = sig_get16(p + 8);
	ar = sig_get16(p + 10);
	opcode = (p[2] >> 3) & 0xf;
	if (qd < 1 || qd > 4 || an > 256 || ns > 256 || ar > 256 || opcode > 6 || opcode == 3)
		return 0;
	if (p[3] & 0x40) /* Z bit */
		return 0;
	if (!(p[2] & 0x80) && (an || ns || ar > 1))
		return 0; /* a query carries at most an OPT record */
	for (unsigned i = 0; i < qd; i++) {
		uint16_t cls;
		if (sig_dns_name(p, n, &off, tmp, sizeof(tmp)) < 0 || off + 4 > n)
			return 0;
		cls = sig_get16(p + off + 2);
		if (cls != 1 && cls != 3 && cls != 4 && cls != 254 && cls != 255 && (cls & 0x7fff) != 1)
			return 0;
		off += 4;
	}
	if (!(p[2] & 0x80) && ar == 0 && off != n)
		return 0; /* a plain query is exactly its questions */
	return 1;
}
