/* plugins/signature/sig_kw_pkt.c: packet header keywords: flags dsize ttl itype icode icmp_id icmp_seq ip_proto. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sig.h"

/* a number test: N, =N, !N, <N, >N, <=N, >=N, N<>M or N-M (exclusive range, as Suricata) */
enum { SIG_U_EQ, SIG_U_NE, SIG_U_LT, SIG_U_GT, SIG_U_LE, SIG_U_GE, SIG_U_RANGE };
struct sig_uint {
	uint8_t mode;
	uint32_t a, b;
};

static int sig_uint_parse(struct sig_parse *ps, const char *arg, uint32_t max, struct sig_uint *u)
{
	const char *s = arg, *sep;
	long long a, b;
	char buf[32];

	while (*s == ' ')
		s++;
	u->mode = SIG_U_EQ;
	if ((sep = strstr(s, "<>")) != NULL || ((sep = strchr(s, '-')) != NULL && sep != s)) {
		size_t l = (size_t)(sep - s);
		if (l >= sizeof(buf))
			goto bad;
		memcpy(buf, s, l);
		buf[l] = 0;
		if (sig_parse_int(buf, 0, max, &a) ||
		    sig_parse_int(sep + (sep[0] == '<' ? 2 : 1), 0, max, &b) || a >= b)
			goto bad;
		u->mode = SIG_U_RANGE;
		u->a = (uint32_t)a;
		u->b = (uint32_t)b;
		return 0;
	}
	if (s[0] == '<' && s[1] == '=') {
		u->mode = SIG_U_LE;
		s += 2;
	} else if (s[0] == '>' && s[1] == '=') {
		u->mode = SIG_U_GE;
		s += 2;
	} else if (s[0] == '<') {
		u->mode = SIG_U_LT;
		s++;
	} else if (s[0] == '>') {
		u->mode = SIG_U_GT;
		s++;
	} else if (s[0] == '!') {
		u->mode = SIG_U_NE;
		s++;
	} else if (s[0] == '=') {
		s++;
	}
	if (sig_parse_int(s, 0, max, &a))
		goto bad;
	u->a = (uint32_t)a;
	return 0;
bad:
	return sig_err(ps, "expected N, <N, >N, <=N, >=N, !N or N<>M (0..%u), got '%.30s'", max,
		       arg);
}

static int sig_uint_match(const struct sig_uint *u, uint32_t v)
{
	switch (u->mode) {
	case SIG_U_EQ: return v == u->a;
	case SIG_U_NE: return v != u->a;
	case SIG_U_LT: return v < u->a;
	case SIG_U_GT: return v > u->a;
	case SIG_U_LE: return v <= u->a;
	case SIG_U_GE: return v >= u->a;
	default: return v > u->a && v < u->b;
	}
}

static int sig_is_icmp(const struct nw_pkt_info *pi)
{
	return (pi->ip_proto == 1 || pi->ip_proto == 58) && (pi->flags & NW_PKT_L4);
}

static int sig_m_dsize(const struct sig_mctx *m, const void *ctx)
{
	return sig_uint_match(ctx, m->pi->payload_len);
}
static int sig_m_ttl(const struct sig_mctx *m, const void *ctx)
{
	return sig_uint_match(ctx, m->pi->ttl);
}
static int sig_m_itype(const struct sig_mctx *m, const void *ctx)
{
	return sig_is_icmp(m->pi) && sig_uint_match(ctx, m->pi->icmp_type);
}
static int sig_m_icode(const struct sig_mctx *m, const void *ctx)
{
	return sig_is_icmp(m->pi) && sig_uint_match(ctx, m->pi->icmp_code);
}
static int sig_m_icmp_id(const struct sig_mctx *m, const void *ctx)
{
	return sig_is_icmp(m->pi) && sig_uint_match(ctx, m->pi->icmp_id);
}
static int sig_m_icmp_seq(const struct sig_mctx *m, const void *ctx)
{
	return sig_is_icmp(m->pi) && sig_uint_match(ctx, m->pi->icmp_seq);
}
static int sig_m_ip_proto(const struct sig_mctx *m, const void *ctx)
{
	return sig_uint_match(ctx, m->pi->ip_proto);
}

static int sig_uint_kw(struct sig_parse *ps, const char *arg, const char *name, uint32_t max,
		       int (*match)(const struct sig_mctx *, const void *))
{
	struct sig_uint *u = calloc(1, sizeof(*u));

	if (!u)
		return sig_err(ps, "out of memory");
	if (sig_uint_parse(ps, arg, max, u)) {
		free(u);
		return -1;
	}
	if (!sig_rule_add_nm(ps, sig_kw_find(name), u, match)) {
		free(u);
		return sig_err(ps, "out of memory");
	}
	return 0;
}

int sig_kw_dsize(struct sig_parse *ps, const char *arg)
{
	ps->r->pkt_only = 1; /* dsize is about one packet's payload: no stream inspection */
	return sig_uint_kw(ps, arg, "dsize", 65535, sig_m_dsize);
}
int sig_kw_ttl(struct sig_parse *ps, const char *arg)
{
	return sig_uint_kw(ps, arg, "ttl", 255, sig_m_ttl);
}
int sig_kw_itype(struct sig_parse *ps, const char *arg)
{
	return sig_uint_kw(ps, arg, "itype", 255, sig_m_itype);
}
int sig_kw_icode(struct sig_parse *ps, const char *arg)
{
	return sig_uint_kw(ps, arg, "icode", 255, sig_m_icode);
}
int sig_kw_icmp_id(struct sig_parse *ps, const char *arg)
{
	return sig_uint_kw(ps, arg, "icmp_id", 65535, sig_m_icmp_id);
}
int sig_kw_icmp_seq(struct sig_parse *ps, const char *arg)
{
	return sig_uint_kw(ps, arg, "icmp_seq", 65535, sig_m_icmp_seq);
}

int sig_kw_ip_proto(struct sig_parse *ps, const char *arg)
{
	static const struct {
		const char *name;
		int num;
	} names[] = { { "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 }, { "udp", 17 }, { "ipv6", 41 },
		      { "gre", 47 }, { "esp", 50 }, { "ah", 51 }, { "ipv6-icmp", 58 },
		      { "icmpv6", 58 }, { "sctp", 132 } };
	const char *s = arg;
	char buf[32];
	size_t pre = 0;

	while (s[pre] == '!' || s[pre] == '<' || s[pre] == '>' || s[pre] == '=')
		pre++;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s + pre, names[i].name) && pre < 3) {
			snprintf(buf, sizeof(buf), "%.*s%d", (int)pre, s, names[i].num);
			return sig_uint_kw(ps, buf, "ip_proto", 255, sig_m_ip_proto);
		}
	}
	return sig_uint_kw(ps, arg, "ip_proto", 255, sig_m_ip_proto);
}

/* flags:[+*!]FSRPAUCE0[+*!][,ignore] */
struct sig_flags {
	uint8_t set, ignore;
	char mod; /* 0 exact, '+', '*', '!' */
};

static int sig_m_flags(const struct sig_mctx *m, const void *ctx)
{
	const struct sig_flags *f = ctx;
	uint8_t v;

	if (m->pi->ip_proto != 6 || !(m->pi->flags & NW_PKT_L4))
		return 0;
	v = m->pi->tcp_flags & (uint8_t)~f->ignore;
	switch (f->mod) {
	case '+': return (v & f->set) == f->set;
	case '*': return (v & f->set) != 0;
	case '!': return (v & f->set) == 0;
	default: return v == f->set;
	}
}

static int sig_flag_bit(char c, uint8_t *bit)
{
	switch (c) {
	case 'F': *bit = NW_TCP_FIN; return 0;
	case 'S': *bit = NW_TCP_SYN; return 0;
	case 'R': *bit = NW_TCP_RST; return 0;
	case 'P': *bit = NW_TCP_PSH; return 0;
	case 'A': *bit = NW_TCP_ACK; return 0;
	case 'U': *bit = NW_TCP_URG; return 0;
	case 'C': case '1': *bit = NW_TCP_CWR; return 0;
	case 'E': case '2': *bit = NW_TCP_ECE; return 0;
	case '0': *bit = 0; return 0;
	default: return -1;
	}
}

int sig_kw_flags(struct sig_parse *ps, const char *arg)
{
	struct sig_flags *f = calloc(1, sizeof(*f));
	const char *s = arg, *comma = strchr(arg, ',');
	const char *end = comma ? comma : arg + strlen(arg);
	uint8_t bit;

	if (!f)
		return sig_err(ps, "out of memory");
	for (; s < end; s++) {
		if (*s == ' ')
			continue;
		if (*s == '+' || *s == '*' || *s == '!') {
			if (f->mod) {
				free(f);
				return sig_err(ps, "more than one modifier");
			}
			f->mod = *s;
			continue;
		}
		if (sig_flag_bit(*s, &bit)) {
			free(f);
			return sig_err(ps, "unknown flag '%c' (use F S R P A U C E 0)", *s);
		}
		f->set |= bit;
	}
	if (comma) {
		for (s = comma + 1; *s; s++) {
			if (*s == ' ')
				continue;
			if (sig_flag_bit(*s, &bit)) {
				free(f);
				return sig_err(ps, "unknown flag '%c' in the ignore mask", *s);
			}
			f->ignore |= bit;
		}
	}
	if (!sig_rule_add_nm(ps, sig_kw_find("flags"), f, sig_m_flags)) {
		free(f);
		return sig_err(ps, "out of memory");
	}
	return 0;
}
