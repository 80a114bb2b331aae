/* plugins/signature/sig_addr.c: rule header addresses, ports and $VARIABLES (parse and match). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sig.h"

/* Suricata's shipped defaults (suricata.yaml address-groups and port-groups) */
static const char *const sig_default_vars[][2] = {
	{ "HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]" },
	{ "EXTERNAL_NET", "!$HOME_NET" },
	{ "HTTP_SERVERS", "$HOME_NET" },
	{ "SMTP_SERVERS", "$HOME_NET" },
	{ "SQL_SERVERS", "$HOME_NET" },
	{ "DNS_SERVERS", "$HOME_NET" },
	{ "TELNET_SERVERS", "$HOME_NET" },
	{ "AIM_SERVERS", "$EXTERNAL_NET" },
	{ "DC_SERVERS", "$HOME_NET" },
	{ "DNP3_SERVER", "$HOME_NET" },
	{ "DNP3_CLIENT", "$HOME_NET" },
	{ "MODBUS_CLIENT", "$HOME_NET" },
	{ "MODBUS_SERVER", "$HOME_NET" },
	{ "ENIP_CLIENT", "$HOME_NET" },
	{ "ENIP_SERVER", "$HOME_NET" },
	{ "HTTP_PORTS", "80" },
	{ "SHELLCODE_PORTS", "!80" },
	{ "ORACLE_PORTS", "1521" },
	{ "SSH_PORTS", "22" },
	{ "DNP3_PORTS", "20000" },
	{ "MODBUS_PORTS", "502" },
	{ "FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]" },
	{ "FTP_PORTS", "21" },
	{ "GENEVE_PORTS", "6081" },
	{ "VXLAN_PORTS", "4789" },
	{ "TEREDO_PORTS", "3544" },
};

int sig_vars_set(struct sig_vars *vs, const char *name, const char *value)
{
	for (unsigned i = 0; i < vs->n; i++) {
		if (!strcmp(vs->v[i].name, name)) {
			char *v = strdup(value);
			if (!v)
				return -ENOMEM;
			free(vs->v[i].value);
			vs->v[i].value = v;
			return 0;
		}
	}
	if (vs->n == vs->cap) {
		unsigned cap = vs->cap ? vs->cap * 2 : 32;
		struct sig_var *nv = realloc(vs->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		vs->v = nv;
		vs->cap = cap;
	}
	vs->v[vs->n].name = strdup(name);
	vs->v[vs->n].value = strdup(value);
	if (!vs->v[vs->n].name || !vs->v[vs->n].value) {
		free(vs->v[vs->n].name);
		free(vs->v[vs->n].value);
		return -ENOMEM;
	}
	vs->n++;
	return 0;
}

const char *sig_vars_get(const struct sig_vars *vs, const char *name)
{
	for (unsigned i = 0; vs && i < vs->n; i++)
		if (!strcmp(vs->v[i].name, name))
			return vs->v[i].value;
	return NULL;
}

int sig_vars_defaults(struct sig_vars *vs)
{
	for (size_t i = 0; i < sizeof(sig_default_vars) / sizeof(sig_default_vars[0]); i++) {
		int rc = sig_vars_set(vs, sig_default_vars[i][0], sig_default_vars[i][1]);
		if (rc)
			return rc;
	}
	return 0;
}

void sig_vars_free(struct sig_vars *vs)
{
	for (unsigned i = 0; i < vs->n; i++) {
		free(vs->v[i].name);
		free(vs->v[i].value);
	}
	free(vs->v);
	memset(vs, 0, sizeof(*vs));
}

/* ---- shared list parsing ---- */
struct sig_lp {
	const struct sig_vars *vs;
	char *err;
	size_t errlen;
	int port; /* parsing ports */
};

static void sig_skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* read a variable name after '$' into buf */
static int sig_read_name(const char **p, char *buf, size_t len)
{
	size_t n = 0;

	while ((**p >= 'A' && **p <= 'Z') || (**p >= 'a' && **p <= 'z') ||
	       (**p >= '0' && **p <= '9') || **p == '_') {
		if (n + 1 >= len)
			return -1;
		buf[n++] = *(*p)++;
	}
	buf[n] = 0;
	return n ? 0 : -1;
}

static int sig_cidr_parse(const char *tok, struct sig_anode *n, char *err, size_t errlen)
{
	char buf[64];
	char *slash;
	long plen = -1;
	size_t alen;

	if (strlen(tok) >= sizeof(buf)) {
		snprintf(err, errlen, "bad address '%.40s'", tok);
		return -1;
	}
	strcpy(buf, tok);
	slash = strchr(buf, '/');
	if (slash) {
		char *end;
		*slash = 0;
		if (strchr(slash + 1, '.')) { /* netmask form a.b.c.d/255.255.0.0 */
			struct in_addr m;
			if (inet_pton(AF_INET, slash + 1, &m) != 1)
				goto bad;
			uint32_t mm = ntohl(m.s_addr);
			plen = 0;
			while (plen < 32 && (mm & (0x80000000u >> plen)))
				plen++;
		} else {
			plen = strtol(slash + 1, &end, 10);
			if (end == slash + 1 || *end)
				goto bad;
		}
	}
	memset(n->a, 0, sizeof(n->a));
	if (inet_pton(AF_INET, buf, n->a) == 1) {
		n->family = 4;
		alen = 32;
	} else if (inet_pton(AF_INET6, buf, n->a) == 1) {
		n->family = 6;
		alen = 128;
	} else {
		goto bad;
	}
	if (plen < 0)
		plen = (long)alen;
	if (plen > (long)alen)
		goto bad;
	n->plen = (uint8_t)plen;
	for (size_t b = (size_t)plen; b < alen; b++)
		n->a[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	n->type = SIG_AN_CIDR;
	return 0;
bad:
	snprintf(err, errlen, "bad address '%s'", tok);
	return -1;
}

static int sig_port_tok(const char *tok, struct sig_pnode *n, char *err, size_t errlen)
{
	const char *colon = strchr(tok, ':');
	long long lo = 0, hi = 65535;
	char buf[32];

	if (strlen(tok) >= sizeof(buf))
		goto bad;
	if (!colon) {
		if (sig_parse_int(tok, 0, 65535, &lo))
			goto bad;
		hi = lo;
	} else {
		memcpy(buf, tok, (size_t)(colon - tok));
		buf[colon - tok] = 0;
		if (buf[0] && sig_parse_int(buf, 0, 65535, &lo))
			goto bad;
		if (colon[1] && sig_parse_int(colon + 1, 0, 65535, &hi))
			goto bad;
		if (!buf[0] && !colon[1])
			goto bad;
		if (lo > hi)
			goto bad;
	}
	n->type = SIG_AN_CIDR;
	n->lo = (uint16_t)lo;
	n->hi = (uint16_t)hi;
	return 0;
bad:
	snprintf(err, errlen, "bad port '%s'", tok);
	return -1;
}

/* One element, generic over address and port nodes (node size differs): parse into a list
 * builder. We use a small tagged union approach: two copies would duplicate; instead nodes are
 * built through callbacks. */
static int sig_elem(struct sig_lp *lp, const char **p, void *node, int depth);

static int sig_list(struct sig_lp *lp, const char **p, void *node, int depth)
{
	size_t nsz = lp->port ? sizeof(struct sig_pnode) : sizeof(struct sig_anode);
	unsigned n = 0, cap = 4;
	uint8_t *kids = calloc(cap, nsz);

	if (!kids)
		return -1;
	(*p)++; /* '[' */
	for (;;) {
		sig_skip_ws(p);
		if (**p == ']' && n == 0) {
			snprintf(lp->err, lp->errlen, "empty list");
			goto fail;
		}
		if (n == cap) {
			uint8_t *nk = realloc(kids, 2 * cap * nsz);
			if (!nk)
				goto fail;
			memset(nk + cap * nsz, 0, cap * nsz);
			kids = nk;
			cap *= 2;
		}
		if (sig_elem(lp, p, kids + n * nsz, depth))
			goto fail_n;
		n++;
		sig_skip_ws(p);
		if (**p == ',') {
			(*p)++;
			continue;
		}
		if (**p == ']') {
			(*p)++;
			break;
		}
		snprintf(lp->err, lp->errlen, "unterminated list");
		goto fail;
	}
	if (lp->port) {
		struct sig_pnode *pn = node;
		pn->type = SIG_AN_LIST;
		pn->n = n;
		pn->child = (struct sig_pnode *)kids;
	} else {
		struct sig_anode *an = node;
		an->type = SIG_AN_LIST;
		an->n = n;
		an->child = (struct sig_anode *)kids;
	}
	return 0;
fail:
fail_n:
	for (unsigned i = 0; i < n; i++) {
		if (lp->port)
			sig_pnode_free((struct sig_pnode *)(kids + i * nsz));
		else
			sig_anode_free((struct sig_anode *)(kids + i * nsz));
	}
	free(kids);
	return -1;
}

static int sig_elem(struct sig_lp *lp, const char **p, void *node, int depth)
{
	int neg = 0, rc;
	char tok[80];
	size_t n = 0;

	if (depth > SIG_MAX_VAR_DEPTH * 4) {
		snprintf(lp->err, lp->errlen, "nested too deeply (variable loop?)");
		return -1;
	}
	sig_skip_ws(p);
	while (**p == '!') {
		neg = !neg;
		(*p)++;
		sig_skip_ws(p);
	}
	if (**p == '[') {
		rc = sig_list(lp, p, node, depth + 1);
	} else if (**p == '$') {
		char name[64];
		const char *val, *vp;
		(*p)++;
		if (sig_read_name(p, name, sizeof(name))) {
			snprintf(lp->err, lp->errlen, "bad variable name");
			return -1;
		}
		val = sig_vars_get(lp->vs, name);
		if (!val) {
			snprintf(lp->err, lp->errlen, "undefined variable $%s", name);
			return -1;
		}
		vp = val;
		rc = sig_elem(lp, &vp, node, depth + 4);
		if (!rc) {
			sig_skip_ws(&vp);
			if (*vp) {
				snprintf(lp->err, lp->errlen, "bad value of $%s", name);
				if (lp->port)
					sig_pnode_free(node);
				else
					sig_anode_free(node);
				rc = -1;
			}
		}
	} else {
		while (**p && **p != ',' && **p != ']' && **p != ' ' && **p != '\t') {
			if (n + 1 >= sizeof(tok)) {
				snprintf(lp->err, lp->errlen, "token too long");
				return -1;
			}
			tok[n++] = *(*p)++;
		}
		tok[n] = 0;
		if (!n) {
			snprintf(lp->err, lp->errlen, "missing %s", lp->port ? "port" : "address");
			return -1;
		}
		if (!strcmp(tok, "any")) {
			if (neg) {
				snprintf(lp->err, lp->errlen, "'!any' matches nothing");
				return -1;
			}
			if (lp->port)
				((struct sig_pnode *)node)->type = SIG_AN_ANY;
			else
				((struct sig_anode *)node)->type = SIG_AN_ANY;
			rc = 0;
		} else if (lp->port) {
			rc = sig_port_tok(tok, node, lp->err, lp->errlen);
		} else {
			rc = sig_cidr_parse(tok, node, lp->err, lp->errlen);
		}
	}
	if (rc)
		return rc;
	if (neg) {
		if (lp->port)
			((struct sig_pnode *)node)->neg ^= 1;
		else
			((struct sig_anode *)node)->neg ^= 1;
	}
	return 0;
}

static int sig_parse_top(struct sig_lp *lp, const char *text, void *node)
{
	const char *p = text;

	if (sig_elem(lp, &p, node, 0))
		return -1;
	sig_skip_ws(&p);
	if (*p) {
		snprintf(lp->err, lp->errlen, "trailing text '%.20s'", p);
		if (lp->port)
			sig_pnode_free(node);
		else
			sig_anode_free(node);
		return -1;
	}
	return 0;
}

int sig_addr_parse(const struct sig_vars *vs, const char *text, struct sig_anode *out, char *err,
		   size_t errlen)
{
	struct sig_lp lp = { vs, err, errlen, 0 };

	memset(out, 0, sizeof(*out));
	return sig_parse_top(&lp, text, out);
}

int sig_port_parse(const struct sig_vars *vs, const char *text, struct sig_pnode *out, char *err,
		   size_t errlen)
{
	struct sig_lp lp = { vs, err, errlen, 1 };

	memset(out, 0, sizeof(*out));
	return sig_parse_top(&lp, text, out);
}

static int sig_cidr_has(const struct sig_anode *n, const struct nw_addr *a)
{
	unsigned full = n->plen / 8, rem = n->plen % 8;

	if (a->family != n->family)
		return 0;
	if (memcmp(n->a, a->a, full))
		return 0;
	if (rem && ((a->a[full] & (uint8_t)(0xff00u >> rem)) != n->a[full]))
		return 0;
	return 1;
}

int sig_addr_match(const struct sig_anode *n, const struct nw_addr *a)
{
	int r;

	switch (n->type) {
	case SIG_AN_ANY:
		r = 1;
		break;
	case SIG_AN_CIDR:
		r = sig_cidr_has(n, a);
		break;
	default: {
		int npos = 0, pos = 0;
		r = 1;
		for (unsigned i = 0; i < n->n; i++) {
			const struct sig_anode *c = &n->child[i];
			if (c->neg) {
				if (!sig_addr_match(c, a)) {
					r = 0;
					break;
				}
			} else {
				npos++;
				if (!pos && sig_addr_match(c, a))
					pos = 1;
			}
		}
		if (r && npos && !pos)
			r = 0;
	}
	}
	return n->neg ? !r : r;
}

int sig_port_match(const struct sig_pnode *n, uint16_t port)
{
	int r;

	switch (n->type) {
	case SIG_AN_ANY:
		r = 1;
		break;
	case SIG_AN_CIDR:
		r = port >= n->lo && port <= n->hi;
		break;
	default: {
		int npos = 0, pos = 0;
		r = 1;
		for (unsigned i = 0; i < n->n; i++) {
			const struct sig_pnode *c = &n->child[i];
			if (c->neg) {
				if (!sig_port_match(c, port)) {
					r = 0;
					break;
				}
			} else {
				npos++;
				if (!pos && sig_port_match(c, port))
					pos = 1;
			}
		}
		if (r && npos && !pos)
			r = 0;
	}
	}
	return n->neg ? !r : r;
}

static int sig_port_list_add(const struct sig_pnode *n, uint16_t *out, int cnt, int max)
{
	if (n->neg || n->type == SIG_AN_ANY)
		return -1;
	if (n->type == SIG_AN_CIDR) {
		if ((int)(n->hi - n->lo) + 1 > max - cnt)
			return -1;
		for (unsigned p = n->lo; p <= n->hi; p++)
			out[cnt++] = (uint16_t)p;
		return cnt;
	}
	for (unsigned i = 0; i < n->n; i++) {
		cnt = sig_port_list_add(&n->child[i], out, cnt, max);
		if (cnt < 0)
			return -1;
	}
	return cnt;
}

int sig_port_list(const struct sig_pnode *n, uint16_t *out, int max)
{
	return sig_port_list_add(n, out, 0, max);
}

void sig_anode_free(struct sig_anode *n)
{
	if (n->type == SIG_AN_LIST) {
		for (unsigned i = 0; i < n->n; i++)
			sig_anode_free(&n->child[i]);
		free(n->child);
	}
	n->child = NULL;
	n->n = 0;
}

void sig_pnode_free(struct sig_pnode *n)
{
	if (n->type == SIG_AN_LIST) {
		for (unsigned i = 0; i < n->n; i++)
			sig_pnode_free(&n->child[i]);
		free(n->child);
	}
	n->child = NULL;
	n->n = 0;
}
