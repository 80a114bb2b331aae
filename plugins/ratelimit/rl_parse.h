/* ratelimit: parsers for the [limit NAME] values (rates, sizes, keys, ports, protocols, CIDRs). */
#ifndef RL_PARSE_H
#define RL_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "rl_table.h"

#define RL_NS_PER_SEC UINT64_C(1000000000)

/* A parsed rate: `amount` units per `period_ns`. bytes: 1 if it is a byte/bit rate. */
struct rl_rate_spec {
	uint64_t amount;
	uint64_t period_ns;
	int bytes;
};

/* What a key is made of. */
enum rl_key_addr { RL_KA_NONE = 0, RL_KA_SRC = 1, RL_KA_DST = 2 };
enum rl_key_port { RL_KP_NONE = 0, RL_KP_DST = 1, RL_KP_SRC = 2 };

struct rl_keyspec {
	uint8_t addr;  /* enum rl_key_addr */
	uint8_t port;  /* enum rl_key_port */
	uint8_t v4len; /* prefix for IPv4 addresses (default 32) */
	uint8_t v6len; /* prefix for IPv6 addresses (default 128) */
};

struct rl_range {
	uint16_t lo, hi;
};

/* An address prefix (ignoreip). */
struct rl_cidr {
	uint8_t family;
	uint8_t plen;
	uint8_t a[16];
};

/*
 * "10/s", "600/min", "5/hour", "2/day" (packets); "8kbit", "2mbit", "1gbit" (bits per second,
 * 1000-based), "500B/s", "100kB/s", "10MB/s" (bytes, 1000-based), "64KiB/s", "1MiB/s" (1024),
 * and hashlimit's "100b/s", "100kb/s", "10mb/s" (bytes, 1024-based).
 */
int rl_parse_rate(const char *s, struct rl_rate_spec *out, char *err, size_t errlen);
/* Turn a rate spec into GCRA parameters with `burst` units (packets, or bytes). */
int rl_rate_from_spec(struct rl_rate *rt, const struct rl_rate_spec *sp, uint64_t burst,
		      char *err, size_t errlen);
/* Unsigned count with optional k/M/G, kB/MB/GB (1000) or KiB/MiB/GiB, hashlimit's kb/mb (1024)
 * suffix; a trailing B is allowed. */
int rl_parse_size(const char *s, uint64_t *out, char *err, size_t errlen);
/* "src", "src/24", "src/64", "src/24,src/64", "dst", "dst-port", "src+dst-port", "all"... */
int rl_parse_key(const char *s, struct rl_keyspec *ks, char *err, size_t errlen);
/* "22", "80,443 8000-8100": up to max ranges. */
int rl_parse_ports(const char *s, struct rl_range *r, unsigned max, unsigned *n, char *err,
		   size_t errlen);
/* "tcp", "udp icmp", "6", "any": sets bits in a 256-bit map; *any = 1 for "any". */
int rl_parse_protos(const char *s, uint8_t map[32], int *any, char *err, size_t errlen);
/* "198.51.100.7, 203.0.113.0/24 2001:db8::/32": appends to c[*n] (up to max). */
int rl_parse_cidrs(const char *s, struct rl_cidr *c, unsigned max, unsigned *n, char *err,
		   size_t errlen);
/* Duration "10", "10s", "500ms", "5m", "1h" -> ns. */
int rl_parse_duration_ns(const char *s, uint64_t *ns, char *err, size_t errlen);
/* yes/no/true/false/on/off/1/0 */
int rl_parse_bool(const char *s, int *out);

/* Does addr (family 4/6, 16 bytes) fall within c? */
int rl_cidr_match(const struct rl_cidr *c, uint8_t family, const uint8_t *a);
/* Zero the bits of a[] beyond plen (alen = 4 or 16 bytes). */
void rl_addr_mask(uint8_t *a, unsigned alen, unsigned plen);
/* Write "198.51.100.0/24", "2001:db8::/64", "198.51.100.7:22", "port 22", "all". */
void rl_key_format(const struct rl_key *k, const struct rl_keyspec *ks, char *buf, size_t len);

#endif
