/* [gateway] and [forward NAME] sections: interfaces, private networks and port forwards. */
#include <errno.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include "gateway.h"
#include "util.h"

/* Split a list on spaces and commas; calls fn for every token. */
static int gw_each_token(const char *list, int (*fn)(void *ctx, const char *tok), void *ctx)
{
	char buf[1024], *save = NULL, *tok;
	int r;

	if (nw_strlcpy(buf, list, sizeof(buf)) >= sizeof(buf))
		return -E2BIG;
	for (tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
		r = fn(ctx, tok);
		if (r)
			return r;
	}
	return 0;
}

static int gw_valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= NW_GW_IFNAMSIZ)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-@:+", s[i]))
			return 0;
	return 1;
}

static int gw_add_if(void *ctx, const char *tok)
{
	struct nw_gateway *gw = ctx;

	if (gw->n_private_if >= NW_GW_MAX_IF)
		return -E2BIG;
	if (!gw_valid_ifname(tok))
		return -EINVAL;
	nw_strlcpy(gw->private_if[gw->n_private_if++], tok, NW_GW_IFNAMSIZ);
	return 0;
}

static int gw_add_net(void *ctx, const char *tok)
{
	struct nw_gateway *gw = ctx;
	struct nw_gw_net *n;

	if (gw->n_private_net >= NW_GW_MAX_NETS)
		return -E2BIG;
	n = &gw->private_net[gw->n_private_net];
	if (nw_parse_cidr(tok, &n->addr, &n->prefix))
		return -EINVAL;
	gw->n_private_net++;
	return 0;
}

static int gw_parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* "80/tcp", "53/udp", "8080" (tcp) */
static int gw_parse_listen(const char *s, struct nw_forward *f)
{
	char buf[32], *slash;

	if (nw_strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -EINVAL;
	f->proto = 6;
	slash = strchr(buf, '/');
	if (slash) {
		*slash++ = '\0';
		if (!strcasecmp(slash, "udp"))
			f->proto = 17;
		else if (strcasecmp(slash, "tcp"))
			return -EINVAL;
	}
	return gw_parse_port(buf, &f->listen_port);
}

/* "172.31.19.240:8000", "172.31.19.240", "[2001:db8::5]:80", "2001:db8::5" */
static int gw_parse_to(const char *s, struct nw_forward *f)
{
	char buf[80], *host = buf, *port = NULL;

	if (nw_strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -EINVAL;
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');
		if (!close)
			return -EINVAL;
		*close = '\0';
		host = buf + 1;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return -EINVAL;
	} else {
		char *colon = strchr(buf, ':');
		if (colon && !strchr(colon + 1, ':')) { /* exactly one colon: IPv4:port */
			*colon = '\0';
			port = colon + 1;
		}
	}
	memset(&f->to, 0, sizeof(f->to));
	if (inet_pton(AF_INET, host, f->to.a) == 1)
		f->to.family = 4;
	else if (inet_pton(AF_INET6, host, f->to.a) == 1)
		f->to.family = 6;
	else
		return -EINVAL;
	if (port)
		return gw_parse_port(port, &f->to_port);
	f->to_port = f->listen_port;
	return 0;
}

int nw_gateway_parse_queues(const char *s, unsigned *first, unsigned *last)
{
	char *end;
	unsigned long a, b;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	a = strtoul(s, &end, 10);
	b = a;
	if (*end == '-' || *end == ':') {
		const char *p = end + 1;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		b = strtoul(p, &end, 10);
	}
	if (errno || *end || a > 65535 || b > 65535 || b < a)
		return -EINVAL;
	*first = (unsigned)a;
	*last = (unsigned)b;
	return 0;
}

static int gw_parse_mark(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v == 0 || v > 0xffffffffULL)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* The [natwarden] values the ruleset depends on (the engine validates that section itself;
 * the defaults here must match the engine's). */
static void gw_read_core(const struct nw_config *cfg, struct nw_gateway *gw)
{
	const struct nw_section *core = nw_config_section(cfg, "natwarden", NULL);
	const char *v;
	unsigned line = 0;

	gw->q_first = gw->q_last = 0;
	gw->fail_open = 1;
	gw->bypass_mark = NW_DEFAULT_BYPASS_MARK;
	gw->reject_mark = NW_DEFAULT_REJECT_MARK;
	if (!core)
		return;
	if ((v = nw_section_get(core, "queues", &line)) &&
	    nw_gateway_parse_queues(v, &gw->q_first, &gw->q_last))
		nw_config_error(cfg, core, line,
				"queues: '%s' is not N or N-M (the ruleset needs a range)", v);
	if ((v = nw_section_get(core, "fail_open", &line)) && nw_parse_bool(v, &gw->fail_open))
		nw_config_error(cfg, core, line, "fail_open: '%s' is not a boolean", v);
	if ((v = nw_section_get(core, "bypass_mark", &line)) && gw_parse_mark(v, &gw->bypass_mark))
		nw_config_error(cfg, core, line, "bypass_mark: '%s' is not a non-zero mark", v);
	if ((v = nw_section_get(core, "reject_mark", &line)) && gw_parse_mark(v, &gw->reject_mark))
		nw_config_error(cfg, core, line, "reject_mark: '%s' is not a non-zero mark", v);
	if (gw->bypass_mark & gw->reject_mark)
		nw_config_error(cfg, core, 0, "bypass_mark and reject_mark must not share bits");
}

static int gw_parse_gateway(const struct nw_config *cfg, const struct nw_section *sec,
			    struct nw_gateway *gw)
{
	int bad = 0;

	gw->ban_sets = 1;
	gw->masquerade = 1;
	for (unsigned i = 0; i < sec->n_kv; i++) {
		const char *k = sec->kv[i].key, *v = sec->kv[i].value;
		unsigned line = sec->kv[i].line;
		int r = 0;

		if (!strcmp(k, "public_interface")) {
			if (!gw_valid_ifname(v))
				r = -EINVAL;
			else
				nw_strlcpy(gw->public_if, v, sizeof(gw->public_if));
		} else if (!strcmp(k, "public_address")) {
			unsigned prefix;
			r = nw_parse_cidr(v, &gw->public_addr, &prefix);
			if (!r && prefix != (gw->public_addr.family == 4 ? 32u : 128u))
				r = -EINVAL;
		} else if (!strcmp(k, "private_interfaces") || !strcmp(k, "private_interface")) {
			gw->n_private_if = 0;
			r = gw_each_token(v, gw_add_if, gw);
		} else if (!strcmp(k, "private_networks") || !strcmp(k, "private_network")) {
			gw->n_private_net = 0;
			r = gw_each_token(v, gw_add_net, gw);
		} else if (!strcmp(k, "ipv6")) {
			r = nw_parse_bool(v, &gw->ipv6);
		} else if (!strcmp(k, "ban_sets")) {
			r = nw_parse_bool(v, &gw->ban_sets);
		} else if (!strcmp(k, "masquerade")) {
			r = nw_parse_bool(v, &gw->masquerade);
		} else {
			nw_config_error(cfg, sec, line, "unknown key '%s'", k);
			bad = 1;
			continue;
		}
		if (r) {
			nw_config_error(cfg, sec, line, "%s: invalid value '%s'", k, v);
			bad = 1;
		}
	}
	if (!gw->public_if[0]) {
		nw_config_error(cfg, sec, 0, "public_interface is required");
		bad = 1;
	}
	if (!gw->n_private_net) {
		nw_config_error(cfg, sec, 0, "private_networks is required (e.g. 172.31.0.0/16)");
		bad = 1;
	}
	for (unsigned i = 0; i < gw->n_private_if; i++)
		if (!strcmp(gw->private_if[i], gw->public_if) && gw->n_private_if > 1) {
			nw_config_error(cfg, sec, 0, "private interface %s is the public one",
					gw->private_if[i]);
			bad = 1;
		}
	if (gw->public_addr.family == 6 && !gw->ipv6) {
		nw_config_error(cfg, sec, 0, "public_address is IPv6 but ipv6 = no");
		bad = 1;
	}
	return bad ? -EINVAL : 0;
}

static int gw_parse_forward(const struct nw_config *cfg, const struct nw_section *sec,
			    struct nw_gateway *gw)
{
	struct nw_forward *f;
	int have_listen = 0, have_to = 0, bad = 0;
	const char *to = NULL;
	unsigned to_line = 0;

	if (gw->n_fwd >= NW_GW_MAX_FORWARDS)
		return nw_config_error(cfg, sec, 0, "more than %d [forward] sections",
				       NW_GW_MAX_FORWARDS);
	f = &gw->fwd[gw->n_fwd];
	memset(f, 0, sizeof(*f));
	f->line = sec->line;
	if (!sec->name[0] || nw_strlcpy(f->name, sec->name, sizeof(f->name)) >= sizeof(f->name))
		return nw_config_error(cfg, sec, 0, "a forward needs a short name: [forward NAME]");
	for (unsigned i = 0; i < sec->n_kv; i++) {
		const char *k = sec->kv[i].key, *v = sec->kv[i].value;
		unsigned line = sec->kv[i].line;

		if (!strcmp(k, "listen")) {
			if (gw_parse_listen(v, f)) {
				nw_config_error(cfg, sec, line,
						"listen: '%s' is not PORT/tcp or PORT/udp", v);
				bad = 1;
			}
			have_listen = 1;
		} else if (!strcmp(k, "to")) {
			to = v;
			to_line = line;
			have_to = 1;
		} else {
			nw_config_error(cfg, sec, line, "unknown key '%s'", k);
			bad = 1;
		}
	}
	/* `to` is parsed after `listen` so a port-less `to` takes the listen port */
	if (to && gw_parse_to(to, f)) {
		nw_config_error(cfg, sec, to_line, "to: '%s' is not ADDRESS[:PORT]", to);
		bad = 1;
	}
	if (!have_listen || !have_to) {
		nw_config_error(cfg, sec, 0, "listen and to are both required");
		bad = 1;
	}
	if (!bad && f->to.family == 6 && !gw->ipv6) {
		nw_config_error(cfg, sec, to_line, "IPv6 forward needs ipv6 = yes in [gateway]");
		bad = 1;
	}
	for (unsigned i = 0; !bad && i < gw->n_fwd; i++) {
		if (gw->fwd[i].proto == f->proto && gw->fwd[i].listen_port == f->listen_port &&
		    gw->fwd[i].to.family == f->to.family) {
			nw_config_error(cfg, sec, 0, "port %u/%s is already forwarded by [forward %s]",
					f->listen_port, f->proto == 6 ? "tcp" : "udp",
					gw->fwd[i].name);
			bad = 1;
		}
	}
	if (bad)
		return -EINVAL;
	gw->n_fwd++;
	return 0;
}

/* No public_address configured: take the public interface's first IPv4 address, if it has one
 * here (the NAT instance itself; tools on other machines just render without it). */
static void gw_learn_public(struct nw_gateway *gw)
{
	struct ifaddrs *ifa, *i;

	if (gw->public_addr.family || !gw->public_if[0] || getifaddrs(&ifa))
		return;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, gw->public_if) ||
		    i->ifa_addr->sa_family != AF_INET)
			continue;
		gw->public_addr.family = 4;
		memcpy(gw->public_addr.a, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, 4);
		break;
	}
	freeifaddrs(ifa);
}

int nw_gateway_parse(const struct nw_config *cfg, struct nw_gateway **out)
{
	const struct nw_section *gsec = nw_config_section(cfg, "gateway", NULL);
	const struct nw_section *sec;
	struct nw_gateway *gw;
	unsigned it = 0;
	int bad = 0;

	*out = NULL;
	nw_config_claim(cfg, "gateway");
	nw_config_claim(cfg, "forward");
	if (!gsec) {
		if ((sec = nw_config_next(cfg, "forward", &it)))
			return nw_config_error(cfg, sec, 0, "[forward] needs a [gateway] section");
		it = 0;
		if ((sec = nw_config_next(cfg, "gateway", &it)))
			return nw_config_error(cfg, sec, 0, "[gateway] takes no name");
		return 0;
	}
	gw = calloc(1, sizeof(*gw));
	if (!gw)
		return -ENOMEM;
	gw_read_core(cfg, gw);
	if (gw_parse_gateway(cfg, gsec, gw))
		bad = 1;
	it = 0;
	while ((sec = nw_config_next(cfg, "gateway", &it)))
		if (sec != gsec) {
			nw_config_error(cfg, sec, 0, "only one unnamed [gateway] section is allowed");
			bad = 1;
		}
	it = 0;
	while ((sec = nw_config_next(cfg, "forward", &it)))
		if (gw_parse_forward(cfg, sec, gw))
			bad = 1;
	if (bad) {
		free(gw);
		return -EINVAL;
	}
	gw_learn_public(gw);
	*out = gw;
	return 0;
}

void nw_gateway_free(struct nw_gateway *gw)
{
	free(gw);
}

const struct nw_forward *nw_gateway_find_forward(const struct nw_gateway *gw, uint8_t proto,
						 const struct nw_addr *dst, uint16_t dport)
{
	if (!gw)
		return NULL;
	for (unsigned i = 0; i < gw->n_fwd; i++) {
		const struct nw_forward *f = &gw->fwd[i];
		if (f->proto == proto && f->to_port == dport && nw_addr_eq(&f->to, dst))
			return f;
	}
	return NULL;
}

int nw_gateway_is_private(const struct nw_gateway *gw, const struct nw_addr *a)
{
	for (unsigned i = 0; i < gw->n_private_net; i++) {
		const struct nw_gw_net *n = &gw->private_net[i];
		unsigned full = n->prefix / 8, rest = n->prefix % 8;
		if (n->addr.family != a->family)
			continue;
		if (memcmp(n->addr.a, a->a, full))
			continue;
		if (rest && ((n->addr.a[full] ^ a->a[full]) & (0xffu << (8 - rest)) & 0xff))
			continue;
		return 1;
	}
	return 0;
}
