/* [gateway] and [forward NAME] sections: the NAT instance the ruleset is rendered from. */
#ifndef NW_GATEWAY_H
#define NW_GATEWAY_H

#include <stdint.h>
#include "config.h"

#define NW_GW_MAX_IF 8         /* private interfaces */
#define NW_GW_MAX_NETS 16      /* private networks */
#define NW_GW_MAX_FORWARDS 64  /* [forward NAME] sections */
#define NW_GW_IFNAMSIZ 16

/* Defaults shared with the engine's [natwarden] settings (the ruleset must agree with them). */
#define NW_DEFAULT_BYPASS_MARK 0x1
#define NW_DEFAULT_REJECT_MARK 0x2

/* Kernel ban sets (ipset) the ruleset drops before the queue; the ban plugin fills them. */
#define NW_IPSET_BAN4 "natwarden-ban4"
#define NW_IPSET_BANNET4 "natwarden-bannet4"
#define NW_IPSET_BAN6 "natwarden-ban6"
#define NW_IPSET_BANNET6 "natwarden-bannet6"

/* A network in CIDR form. */
struct nw_gw_net {
	struct nw_addr addr; /* network address */
	unsigned prefix;     /* prefix length */
};

/* One [forward NAME]: public port -> private host:port. */
struct nw_forward {
	char name[64];        /* NAME of the section */
	uint8_t proto;        /* 6 (tcp) or 17 (udp) */
	uint16_t listen_port; /* public port (before DNAT) */
	struct nw_addr to;    /* private host */
	uint16_t to_port;     /* private port (= listen_port when `to` has no port) */
	unsigned line;        /* where the section starts */
};

/* The NAT instance. */
struct nw_gateway {
	char public_if[NW_GW_IFNAMSIZ];              /* internet side, e.g. eth0 */
	struct nw_addr public_addr;                  /* optional; family 0 = learn from public_if */
	char private_if[NW_GW_MAX_IF][NW_GW_IFNAMSIZ]; /* private side(s) */
	unsigned n_private_if;
	struct nw_gw_net private_net[NW_GW_MAX_NETS]; /* networks behind the private side */
	unsigned n_private_net;
	int ipv6;                                    /* render and enable IPv6 forwarding too */
	int ban_sets;                                /* drop sources in the natwarden-ban* ipsets */
	int masquerade;                              /* MASQUERADE private networks (default yes) */
	struct nw_forward fwd[NW_GW_MAX_FORWARDS];
	unsigned n_fwd;
	/* from [natwarden] (read, not claimed: the engine owns that section) */
	unsigned q_first, q_last;                    /* NFQUEUE range (--queue-balance) */
	int fail_open;                               /* --queue-bypass + NFQA_CFG_F_FAIL_OPEN */
	uint32_t bypass_mark, reject_mark;
};

/* Parse and claim [gateway] and every [forward NAME]; errors are recorded in cfg with file:line.
 * Without public_address, the public interface's IPv4 address is learned when it exists here.
 * *out may be NULL when the config has neither. Returns 0 or -EINVAL. */
int nw_gateway_parse(const struct nw_config *cfg, struct nw_gateway **out);
void nw_gateway_free(struct nw_gateway *gw);

/* "0", "3", "0-3", "0:3" -> first/last queue. Returns 0 or -EINVAL. */
int nw_gateway_parse_queues(const char *s, unsigned *first, unsigned *last);

/*
 * The forward whose private side is dst:dport/proto (a packet after DNAT), or NULL.
 * Worker-safe: reads only the (immutable once published) table.
 */
const struct nw_forward *nw_gateway_find_forward(const struct nw_gateway *gw, uint8_t proto,
						 const struct nw_addr *dst, uint16_t dport);

/* Is the address inside one of the private networks? Worker-safe. */
int nw_gateway_is_private(const struct nw_gateway *gw, const struct nw_addr *a);

#endif
