/* natwarden plugin ABI v1: the one header a plugin includes (descriptor, hooks, services). */
#ifndef NATWARDEN_PLUGIN_H
#define NATWARDEN_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Versioning
 * ----------
 * NW_ABI_MAJOR changes when anything a built plugin relies on changes incompatibly; the loader
 * refuses a plugin of another major. NW_ABI_MINOR grows when fields or services are appended;
 * a plugin built against a newer minor than the core is refused, an older one loads (1.1 added
 * reload_finish to the descriptor; a 1.0 descriptor, without it, still loads).
 * 1.2 appended decode_events to nw_pkt_info.
 * 1.2 added, for plugin keywords: nw_keyword.flags (NW_KW_PACKET: a keyword tested on packets
 * without payload too) and nw_keyword.match_priv (match with the plugin's priv); for settings:
 * struct nw_directive2 and svc->conf_parse2 (NW_CONF_UINT / NW_CONF_DURATION with bounds);
 * svc->counter_get (read a counter back) and svc->keyword_reserve (a rule engine's built-in
 * keyword names, which plugin keywords may not take). A 1.0 or 1.1 nw_keyword (shorter `size`)
 * and a 1.0 nw_directive table still work.
 * 1.2 added run_flags to the services: whether this run may use persistent and shared state.
 * 1.2 added watch_add/watch_set/watch_del and event_base to the services, to wait on file
 * descriptors and timeouts in the core's main loop (the descriptor did not change, so a 1.1
 * plugin loads).
 * 1.2 also appended the protocol context and extra members to nw_event, and
 * flow_set_app_proto and event_wanted to nw_services.
 * 1.3 appended flow_bypass_vote to nw_services (the flow bypass policy, see "Flow bypass"
 * below); a 1.2 plugin loads and, never voting, keeps its flows inspected.
 * Every struct that crosses the boundary carries its own size so appended fields are detectable.
 * NW_BUILD_OPTIONS describes the binary layout (pointer size, byte order, ABI major); the loader
 * refuses a plugin whose string differs from the core's.
 */
#define NW_ABI_MAJOR 1
#define NW_ABI_MINOR 3

#define NW_STR2_(x) #x
#define NW_STR_(x) NW_STR2_(x)
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define NW_BUILD_ENDIAN_ "be"
#else
#define NW_BUILD_ENDIAN_ "le"
#endif
#define NW_BUILD_OPTIONS                                                                  \
	"abi=" NW_STR_(NW_ABI_MAJOR) ";ptr=" NW_STR_(__SIZEOF_POINTER__) ";long=" NW_STR_( \
		__SIZEOF_LONG__) ";" NW_BUILD_ENDIAN_

/* The one symbol a plugin exports: its descriptor, defined with NW_PLUGIN_EXPORT (see the end of
 * this header). */
#define NW_PLUGIN_SYMBOL "nw_plugin_descriptor"

#if defined(__GNUC__)
#define NW_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define NW_EXPORT __attribute__((visibility("default")))
#else
#define NW_PRINTF(a, b)
#define NW_EXPORT
#endif

/*
 * Threading contract
 * ------------------
 * MAIN thread (the libevent loop; in offline mode the only thread):
 *   configure, check, start, stop, reload, timer callbacks, event subscribers, control
 *   commands, keyword parse callbacks.
 * WORKER threads (one per NFQUEUE queue; in offline mode the main thread acts as worker 0):
 *   worker_start (before the worker's first packet), packet, flow_end, keyword match
 *   callbacks, worker_stop (after its last packet; its flows have ended).
 * A worker hook must not block, allocate memory, make syscalls or log without a rate limit
 * (svc->log_ratelimited exists for that). Shared state a worker reads and the main thread
 * changes must be swapped atomically (build aside, publish with an atomic pointer store) and
 * freed only after svc->quiesce() has returned on the main thread.
 * Per-worker state: `wpriv` (worker_priv_size bytes, zeroed, one per worker, never shared).
 * Per-flow state: svc->flow_priv() (flow_priv_size bytes, zeroed when the flow is created);
 * a flow belongs to exactly one worker, so no lock is needed.
 */

/* Opaque handles. */
typedef struct nw_plugin nw_plugin;   /* one loaded plugin instance */
typedef struct nw_packet nw_packet;   /* the packet being judged (worker only, call lifetime) */
typedef struct nw_flow nw_flow;       /* the packet's flow (worker only) */
typedef struct nw_config nw_config;   /* the whole parsed config file */
typedef struct nw_section nw_section; /* one [section] of it */

/* Per-packet verdicts. The first plugin that returns anything but NW_CONTINUE decides. */
enum nw_verdict {
	NW_CONTINUE = 0, /* no opinion: ask the next plugin (accept if none decides) */
	NW_ACCEPT = 1,   /* let it through, stop the chain */
	NW_DROP = 2,     /* discard silently */
	NW_REJECT = 3,   /* discard and answer with TCP RST / ICMP unreachable */
	NW_BYPASS = 4,   /* accept, and let the kernel stop queueing this connection */
	NW_VERDICT_MAX = 5,
};

/*
 * A packet hook returns NW_RESULT(verdict, reason): reason is an id from svc->reason_register
 * (0 = the plugin's default reason) so that the core counts verdicts by plugin and reason.
 */
#define NW_RESULT(verdict, reason) ((int)(verdict) | ((int)(reason) << 8))
#define NW_RESULT_VERDICT(r) ((r)&0xff)
#define NW_RESULT_REASON(r) (((r) >> 8) & 0xff)
#define NW_MAX_REASONS 32

/* Log levels (syslog numbering). */
enum nw_log_level {
	NW_LOG_ERR = 3,
	NW_LOG_WARNING = 4,
	NW_LOG_NOTICE = 5,
	NW_LOG_INFO = 6,
	NW_LOG_DEBUG = 7,
};

/* An IPv4 or IPv6 address. IPv4 is held in the first 4 bytes of `a`, network order. */
struct nw_addr {
	uint8_t family; /* 4 or 6; 0 = none */
	uint8_t a[16];
};

/* Which way a packet travels relative to its flow. */
enum nw_dir {
	NW_DIR_TO_SERVER = 0, /* same direction as the flow's first packet */
	NW_DIR_TO_CLIENT = 1,
};

/* Packet flags (nw_pkt_info.flags). */
#define NW_PKT_FRAG 0x0001       /* IP fragment (first or later) */
#define NW_PKT_FRAG_LATER 0x0002 /* non-first fragment: no L4 header */
#define NW_PKT_INBOUND 0x0004    /* entered on the public side (from the internet) */
#define NW_PKT_ORIG_DST 0x0008   /* orig_dst / orig_dport are known (DNAT) */
#define NW_PKT_IPOPTS 0x0010     /* IPv4 options or IPv6 extension headers present */
#define NW_PKT_L4 0x0020         /* an L4 header was decoded (ports/flags valid) */
#define NW_PKT_GSO 0x0040        /* a GSO super-packet: payload may exceed the MTU */

/* TCP flags as on the wire. */
#define NW_TCP_FIN 0x01
#define NW_TCP_SYN 0x02
#define NW_TCP_RST 0x04
#define NW_TCP_PSH 0x08
#define NW_TCP_ACK 0x10
#define NW_TCP_URG 0x20
#define NW_TCP_ECE 0x40
#define NW_TCP_CWR 0x80

/*
 * The decoded packet, read-only. Fields are appended only (check `size` for ones added after
 * minor 0). Pointers are valid for the duration of the hook call.
 */
struct nw_pkt_info {
	uint32_t size;     /* sizeof(struct nw_pkt_info) the core was built with */
	uint32_t flags;    /* NW_PKT_* */
	uint64_t ts_ns;    /* packet time (capture time offline, monotonic live), ns */
	struct nw_addr src;
	struct nw_addr dst;      /* after DNAT (what the kernel forwards to) */
	struct nw_addr orig_dst; /* before DNAT (the public address) when NW_PKT_ORIG_DST */
	uint16_t sport, dport;
	uint16_t orig_dport;
	uint8_t ip_proto;  /* 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ... */
	uint8_t ttl;       /* IPv4 TTL / IPv6 hop limit */
	uint8_t tcp_flags; /* NW_TCP_* */
	uint8_t icmp_type, icmp_code;
	uint8_t dir;       /* enum nw_dir */
	uint16_t icmp_id, icmp_seq;
	uint16_t tcp_win;
	uint32_t tcp_seq, tcp_ack;
	uint32_t ip_len;   /* bytes of the IP packet as captured (L3 onward) */
	uint16_t ip_id;
	uint16_t queue;    /* NFQUEUE number (0 offline) */
	const uint8_t *l3; /* start of the IP header */
	const uint8_t *payload; /* L4 payload (may be empty) */
	uint32_t payload_len;
	uint8_t ct_state;  /* enum nw_ct_state */
	uint8_t pad_[3];
	/* ABI 1.2 (check size): decoder events of this packet, bit (1 << enum nw_decode_event).
	 * A packet with an event that made it malformed still reaches the plugins when its IP
	 * addresses could be read; it then lacks NW_PKT_L4 and the core applies its `malformed`
	 * verdict after the chain. */
	uint64_t decode_events;
};

/*
 * Decoder events (nw_pkt_info.decode_events). Names are those of Suricata's decode-event
 * keyword (nw_decode_event_name), except ipv6.exthdr_limit (natwarden's own). Append only.
 */
enum nw_decode_event {
	NW_DEV_IPV4_HLEN_TOO_SMALL = 0,  /* IHL < 5 */
	NW_DEV_IPV4_IPLEN_SMALLER_THAN_HLEN, /* total length < header length */
	NW_DEV_IPV4_TRUNC_PKT,           /* header beyond the data, or total length beyond it */
	NW_DEV_IPV4_OPT_INVALID_LEN,     /* an option's length byte < 2 */
	NW_DEV_IPV4_OPT_MALFORMED,       /* an option runs past the header */
	NW_DEV_IPV4_OPT_DUPLICATE,       /* the same option twice */
	NW_DEV_IPV4_OPT_UNKNOWN,         /* an option type not assigned */
	NW_DEV_IPV4_ICMPV6,              /* IPv4 carrying ICMPv6 */
	NW_DEV_IPV6_TRUNC_PKT,           /* payload length beyond the data */
	NW_DEV_IPV6_TRUNC_EXTHDR,        /* an extension header beyond the data */
	NW_DEV_IPV6_EXTHDR_DUPL_FH,      /* two fragment headers */
	NW_DEV_IPV6_EXTHDR_DUPL_RH,      /* two routing headers */
	NW_DEV_IPV6_EXTHDR_DUPL_HH,      /* two hop-by-hop headers */
	NW_DEV_IPV6_EXTHDR_DUPL_DH,      /* more than two destination options headers */
	NW_DEV_IPV6_EXTHDR_DUPL_AH,      /* two authentication headers */
	NW_DEV_IPV6_EXTHDR_USELESS_FH,   /* atomic fragment: offset 0, no more fragments */
	NW_DEV_IPV6_FH_NON_ZERO_RES_FIELD, /* fragment header reserved bits set */
	NW_DEV_IPV6_RH_TYPE_0,           /* deprecated routing header type 0 (RFC 5095) */
	NW_DEV_IPV6_DATA_AFTER_NONE_HEADER, /* bytes after next header 59 */
	NW_DEV_IPV6_ICMPV4,              /* IPv6 carrying ICMPv4 */
	NW_DEV_IPV6_EXTHDR_LIMIT,        /* more extension headers than natwarden follows */
	NW_DEV_TCP_PKT_TOO_SMALL,        /* fewer than 20 bytes for the TCP header */
	NW_DEV_TCP_HLEN_TOO_SMALL,       /* data offset < 5, or beyond the segment */
	NW_DEV_TCP_OPT_INVALID_LEN,      /* a TCP option's length is < 2 or runs past the header */
	NW_DEV_TCP_OPT_DUPLICATE,        /* the same TCP option twice */
	NW_DEV_UDP_PKT_TOO_SMALL,        /* fewer than 8 bytes for the UDP header */
	NW_DEV_UDP_HLEN_TOO_SMALL,       /* UDP length < 8 */
	NW_DEV_UDP_HLEN_INVALID,         /* UDP length beyond the IP payload */
	NW_DEV_ICMPV4_PKT_TOO_SMALL,     /* ICMP header cut short */
	NW_DEV_ICMPV6_PKT_TOO_SMALL,     /* ICMPv6 header cut short */
	NW_DEV_IPV4_FRAG_PKT_TOO_LARGE,  /* offline reassembly: datagram over 65535 bytes */
	NW_DEV_IPV4_FRAG_OVERLAP,        /* offline reassembly: overlapping fragments */
	NW_DEV_IPV6_FRAG_PKT_TOO_LARGE,
	NW_DEV_IPV6_FRAG_OVERLAP,
	NW_DEV_IPV6_FRAG_INVALID_LENGTH, /* a non-last IPv6 fragment not a multiple of 8 bytes */
	NW_DEV_MAX,
};
#define NW_DEV_BIT(e) (1ull << (e))

/* "ipv4.trunc_pkt" for NW_DEV_IPV4_TRUNC_PKT; NULL past the table. */
static inline const char *nw_decode_event_name(unsigned ev)
{
	static const char *const names[NW_DEV_MAX] = {
		"ipv4.hlen_too_small", "ipv4.iplen_smaller_than_hlen", "ipv4.trunc_pkt",
		"ipv4.opt_invalid_len", "ipv4.opt_malformed", "ipv4.opt_duplicate",
		"ipv4.opt_unknown", "ipv4.icmpv6", "ipv6.trunc_pkt", "ipv6.trunc_exthdr",
		"ipv6.exthdr_dupl_fh", "ipv6.exthdr_dupl_rh", "ipv6.exthdr_dupl_hh",
		"ipv6.exthdr_dupl_dh", "ipv6.exthdr_dupl_ah", "ipv6.exthdr_useless_fh",
		"ipv6.fh_non_zero_reserved_field", "ipv6.rh_type_0",
		"ipv6.data_after_none_header", "ipv6.icmpv4", "ipv6.exthdr_limit",
		"tcp.pkt_too_small", "tcp.hlen_too_small", "tcp.opt_invalid_len",
		"tcp.opt_duplicate", "udp.pkt_too_small", "udp.hlen_too_small",
		"udp.hlen_invalid", "icmpv4.pkt_too_small", "icmpv6.pkt_too_small",
		"ipv4.frag_pkt_too_large", "ipv4.frag_overlap", "ipv6.frag_pkt_too_large",
		"ipv6.frag_overlap", "ipv6.frag_invalid_length",
	};
	return ev < NW_DEV_MAX ? names[ev] : NULL;
}

/* Connection tracking state as natwarden knows it (from the kernel or its own tracking). */
enum nw_ct_state {
	NW_CT_NEW = 0,
	NW_CT_ESTABLISHED = 1,
	NW_CT_RELATED = 2,
	NW_CT_CLOSED = 3,
};

/* The flow, read-only. */
struct nw_flow_info {
	uint32_t size;
	uint32_t tcp_state; /* enum nw_ct_state as natwarden tracks it */
	uint64_t id;        /* flow_id in EVE */
	uint64_t first_ns, last_ns;
	uint64_t pkts[2], bytes[2]; /* by enum nw_dir */
	struct nw_addr client, server;
	uint16_t cport, sport;
	uint8_t ip_proto;
	uint8_t pad_[3];
};

/* Event types. Events leave workers through a bounded queue; a full queue is counted. */
enum nw_event_type {
	NW_EV_ALERT = 1,     /* signature hit (EVE event_type "alert") */
	NW_EV_OFFENSE = 2,   /* an address earned a strike in a ban jail */
	NW_EV_BAN = 3,       /* a ban or unban (EVE "ban") */
	NW_EV_RATELIMIT = 4, /* a key went over its limit (EVE "ratelimit") */
	NW_EV_CUSTOM = 5,    /* a plugin's own event; EVE event_type = `name` */
	NW_EV_MAX = 6,
};
#define NW_EV_MASK(t) (1u << (t))

#define NW_EV_KV_MAX 8
#define NW_EV_DATA_MAX 4096 /* bytes of extra members (nw_event.data) */
#define NW_EV_KEY_MAX 64    /* longest key of an extra member */

/* One event. Fixed size, copied into the queue (no pointers survive the emit call). */
struct nw_event {
	uint32_t size;    /* sizeof(struct nw_event) the emitter was built with */
	uint16_t type;    /* enum nw_event_type */
	uint16_t flags;   /* NW_EVF_* */
	uint64_t ts_ns;   /* filled by the core from the packet when 0 */
	uint64_t flow_id; /* filled from the packet's flow when emitted with a packet */
	struct nw_addr src, dst;
	uint16_t sport, dport;
	uint8_t ip_proto;
	uint8_t verdict; /* enum nw_verdict applied (alert: drop/reject => "blocked") */
	uint16_t pad_;
	/* alert */
	uint32_t gid, sid, rev;
	uint32_t severity;   /* 1 (high) .. 4 */
	char msg[192];       /* signature / reason text */
	char category[96];   /* classtype description */
	char name[32];       /* jail (offense, ban), limit (ratelimit), event_type (custom) */
	/* offense / ban / ratelimit */
	struct nw_addr addr; /* the address concerned (offense, ban) */
	uint8_t prefix;      /* its prefix length (32/128 = single address) */
	uint8_t action;      /* ban: 1 = ban, 2 = unban */
	uint16_t pad2_;
	uint32_t duration_s; /* ban duration */
	char origin[32];     /* ban origin (gateway id) */
	/* custom key/values (also appended to other events as extra fields) */
	uint32_t n_kv;
	struct {
		char key[24];
		char val[104];
	} kv[NW_EV_KV_MAX];
	const void *payload; /* optional: packet payload for payload_printable (emit-time only) */
	uint32_t payload_len;
	/* ABI 1.2 (check size): what a SIEM reads next to an alert, as Suricata writes it.
	 * Emitted with a packet that has a flow, the core fills app_proto (when empty), direction
	 * and the flow_* fields (when has_flow is 0) from that flow. */
	char app_proto[16];   /* "http", "dns", "tls", ... ("" = none: not written) */
	uint8_t direction;    /* 0 = not written, 1 = to_server, 2 = to_client */
	uint8_t has_flow;     /* the flow_* fields are set: an alert's "flow" object */
	uint16_t data_len;    /* bytes of `data` in use */
	uint64_t flow_pkts[2], flow_bytes[2]; /* by enum nw_dir, when the event was emitted */
	uint64_t flow_start_ns;
	struct nw_addr flow_src, flow_dst;   /* the flow's client and server */
	uint16_t flow_sport, flow_dport;
	uint32_t pad3_;
	/* extra JSON members of the event's top-level object ("http": {...}), written with
	 * nw_ev_put_* below; the core escapes every string and closes what is left open */
	uint8_t data[NW_EV_DATA_MAX];
};
#define NW_EVF_PAYLOAD 0x1    /* copy the packet payload for payload_printable */
#define NW_EVF_DATA_FULL 0x2  /* a nw_ev_put_* did not fit: the data stops there */

/*
 * Extra members (ABI 1.2). Each record: tag, key length, value length (2 bytes, little endian),
 * key, value. Tags: 's' string, 'u' unsigned (8 bytes LE), 'b' boolean (1 byte), '{' / '['
 * open an object / array member (no value), '}' / ']' close it. Keys inside an array are
 * ignored. When a record does not fit, NW_EVF_DATA_FULL is set and later records are dropped.
 */
static inline int nw_ev_put_(struct nw_event *ev, char tag, const char *key, const void *val,
			     size_t vlen)
{
	size_t kl = 0, need;
	uint8_t *d;

	while (key && kl < NW_EV_KEY_MAX && key[kl])
		kl++;
	need = 4 + kl + vlen;

	if ((ev->flags & NW_EVF_DATA_FULL) || vlen > 0xffff ||
	    need > (size_t)NW_EV_DATA_MAX - ev->data_len) {
		ev->flags |= NW_EVF_DATA_FULL;
		return -1;
	}
	d = ev->data + ev->data_len;
	d[0] = (uint8_t)tag;
	d[1] = (uint8_t)kl;
	d[2] = (uint8_t)(vlen & 0xff);
	d[3] = (uint8_t)(vlen >> 8);
	if (kl)
		memcpy(d + 4, key, kl);
	if (vlen)
		memcpy(d + 4 + kl, val, vlen);
	ev->data_len = (uint16_t)(ev->data_len + need);
	return 0;
}
/* a string of n bytes (any bytes: the core writes invalid UTF-8 as \u00XX) */
static inline int nw_ev_put_str(struct nw_event *ev, const char *key, const char *s, size_t n)
{
	return nw_ev_put_(ev, 's', key, s, n);
}
static inline int nw_ev_put_uint(struct nw_event *ev, const char *key, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return nw_ev_put_(ev, 'u', key, b, 8);
}
static inline int nw_ev_put_bool(struct nw_event *ev, const char *key, int v)
{
	uint8_t b = v ? 1 : 0;

	return nw_ev_put_(ev, 'b', key, &b, 1);
}
static inline int nw_ev_open(struct nw_event *ev, const char *key)
{
	return nw_ev_put_(ev, '{', key, NULL, 0);
}
static inline int nw_ev_open_array(struct nw_event *ev, const char *key)
{
	return nw_ev_put_(ev, '[', key, NULL, 0);
}
static inline int nw_ev_close(struct nw_event *ev)
{
	return nw_ev_put_(ev, '}', NULL, NULL, 0);
}
static inline int nw_ev_close_array(struct nw_event *ev)
{
	return nw_ev_put_(ev, ']', NULL, NULL, 0);
}
#define NW_BAN_ACTION_BAN 1
#define NW_BAN_ACTION_UNBAN 2

/* Config directives, nginx style: a table the core parses a section with. */
enum nw_conf_type {
	NW_CONF_END = 0,
	NW_CONF_BOOL,     /* yes/no/true/false/on/off/1/0 -> int */
	NW_CONF_INT,      /* signed decimal -> long long */
	NW_CONF_UINT,     /* unsigned decimal, k/m/g suffix allowed -> uint64_t */
	NW_CONF_DURATION, /* 10, 10s, 5m, 1h, 2d, 1w -> uint64_t seconds; "ms" -> rounded up */
	NW_CONF_STRING,   /* copied into char[len] (len = `size`) */
	NW_CONF_CUSTOM,   /* `parse` callback */
};

struct nw_directive {
	const char *name;
	enum nw_conf_type type;
	size_t offset; /* offsetof() into the target struct */
	size_t size;   /* NW_CONF_STRING: buffer size */
	const char *deflt; /* default value text applied before parsing (NULL: leave zero) */
	/* NW_CONF_CUSTOM: parse `value` into target+offset; write a message into err on error. */
	int (*parse)(void *target, const char *value, char *err, size_t errlen);
	const char *help;
};
/* struct nw_directive is an array element in plugins built for 1.0 and 1.1: its layout is
 * frozen. New directive fields go into struct nw_directive2, parsed by svc->conf_parse2. */

/*
 * ABI 1.2: a directive with bounds. The same first fields as struct nw_directive, then:
 *   NW_CONF_UINT:     min <= value <= max;
 *   NW_CONF_DURATION: min <= seconds <= max;
 * max = 0 means no upper bound (min = max = 0: no bounds). A value out of range is a config
 * error "file:line: [section] key = value: out of range (min-max)"; defaults are checked too.
 * Other types ignore min and max. Parse a table of these with
 * NW_CONF_PARSE2(svc, cfg, sec, table, target): the core is given the element size, so fields
 * appended to this struct in a later minor do not break tables built against this one.
 */
struct nw_directive2 {
	const char *name;
	enum nw_conf_type type;
	size_t offset;
	size_t size;
	const char *deflt;
	int (*parse)(void *target, const char *value, char *err, size_t errlen);
	const char *help;
	uint64_t min, max; /* inclusive bounds (see above) */
};
#define NW_CONF_PARSE2(svc, cfg, sec, table, target) \
	((svc)->conf_parse2((cfg), (sec), (table), sizeof((table)[0]), (target)))

/* Keyword flags (nw_keyword.flags, ABI 1.2). */
#define NW_KW_PACKET 0x1 /* a packet keyword: tested on every packet whose rule header matches,
			  * with or without payload, like the signature plugin's flags or ttl;
			  * buf/len is the packet's payload (len may be 0). Without it the keyword
			  * tests a buffer, and a rule reaches it only when there is one. */

/* A rule keyword another plugin (the signature engine) evaluates. */
struct nw_keyword {
	uint32_t size;           /* sizeof(struct nw_keyword) */
	const char *name;        /* as written in rules: name:arg; */
	const char *description; /* one line: what the keyword matches */
	/* Parse the argument (NULL when the keyword has none). Store the result in *ctx. */
	int (*parse)(void *plugin_priv, const char *arg, void **ctx, char *err, size_t errlen);
	/* Worker: return 1 on match, 0 otherwise. buf/len: the buffer being inspected.
	 * May be NULL when match_priv is set. */
	int (*match)(const void *ctx, const nw_packet *pkt, nw_flow *flow, const uint8_t *buf,
		     size_t len);
	void (*free)(void *ctx);

	/* ABI 1.2 (a 1.0/1.1 keyword is NW_KEYWORD_SIZE_1_1 bytes: these read as 0/NULL) */
	uint32_t flags; /* NW_KW_* */
	/* Worker: as match, with the registering plugin's priv (read it as the packet hook does:
	 * published state only). Used instead of match when set. */
	int (*match_priv)(void *plugin_priv, const void *ctx, const nw_packet *pkt, nw_flow *flow,
			  const uint8_t *buf, size_t len);
};
/* the size of a 1.0/1.1 keyword (without flags and match_priv) */
#define NW_KEYWORD_SIZE_1_1 offsetof(struct nw_keyword, flags)

/* Event subscriber callback: main thread. */
typedef void (*nw_event_cb)(void *plugin_priv, const struct nw_event *ev);
/* Timer callback: main thread; now_ns is engine time (packet time offline). */
typedef void (*nw_timer_cb)(void *plugin_priv, uint64_t now_ns);

/*
 * Control command callback (main thread): `natwardenctl NAME ARGS...` reaches the plugin that
 * registered NAME. argv[0] is NAME. Write the reply into out (human text, or one JSON value when
 * json is non-zero). Return 0, or -errno with an error message in out.
 */
typedef int (*nw_command_cb)(void *plugin_priv, int argc, const char *const *argv, int json,
			     char *out, size_t outlen);

/*
 * Waiting in the main loop (ABI 1.2)
 * ----------------------------------
 * A plugin that talks over sockets (a database, a feed, a peer) waits for them in the core's
 * main loop instead of polling them from a timer. A watch is one file descriptor (or none:
 * fd -1) and a timeout; svc->watch_set arms it and it stays armed until changed:
 *   - the callback runs on the main thread for every readiness asked for (level-triggered:
 *     read until EAGAIN, or it is called again at the next loop turn);
 *   - with timeout_ms, it runs with NW_WATCH_TIMEOUT when that long passed without the fd
 *     becoming ready; the timeout starts afresh after every callback, so a watch on fd -1 with
 *     a timeout is a periodic timer (monotonic clock, also when engine time is packet time).
 * Lifetime: the plugin owns its watches (and its fds: the core never closes them). Delete a
 * watch with svc->watch_del before closing its fd and at the latest in `stop`; after
 * watch_del returns its callback never runs again (watch_del may be called from inside the
 * callback). A reload that replaces what a callback uses must re-point or delete the watch in
 * reload_finish. Watches left at stop are deleted by the core (and logged).
 * Threading: every watch call and callback is main-thread only (a worker gets -EPERM), from
 * `start` on (the loop does not exist yet during configure and check).
 * Offline (natwarden -r) there is no main loop: watch_add returns -EOPNOTSUPP and event_base
 * NULL; a plugin must then work without (or refuse its option with a clear message in start).
 */
typedef struct nw_watch nw_watch; /* opaque: one wait registered with the main loop */
#define NW_WATCH_READ 0x1    /* the fd is readable (or at end of file / in error: read to see) */
#define NW_WATCH_WRITE 0x2   /* the fd is writable */
#define NW_WATCH_TIMEOUT 0x4 /* (callback only) timeout_ms passed first */
/* Watch callback (main thread): `what` is the NW_WATCH_* that happened; fd and arg as given. */
typedef void (*nw_watch_cb)(void *plugin_priv, nw_watch *w, int fd, unsigned what, void *arg);

/*
 * Flow bypass (ABI 1.3)
 * ---------------------
 * With `[natwarden] bypass = yes` the core gives a flow the NW_BYPASS verdict (live: the kernel
 * carries the rest of the connection without queueing it) once EVERY plugin in the chain that
 * has a packet hook has voted yes for that flow with svc->flow_bypass_vote(flow, self, 1): the
 * plugin's decision for the flow cannot change any more (its rules cannot match what is left,
 * its limit does not count this flow's packets, ...). A vote is per flow and per plugin, starts
 * at no when the flow is created, and can be taken back (yes = 0) until the flow is bypassed.
 * The bypass is given on the packet that completes the votes, when the chain accepted it
 * (drop, reject or a malformed packet are never turned into a bypass); the flow is then judged
 * NW_BYPASS without running the chain for whatever packets still reach natwarden, and its table
 * entry ends after `bypass_timeout` idle. A plugin that never votes (a 1.2 plugin, or one that
 * does not know) keeps every flow inspected: that is the safe default. Plugins without a packet
 * hook (outputs, event subscribers) do not vote. A plugin may still return NW_BYPASS itself,
 * which bypasses the connection whatever the others voted (as before 1.3).
 */

/* Services the core offers, filled by the core. Append-only within a major version. */
struct nw_services {
	uint32_t size;      /* sizeof(struct nw_services) the core was built with */
	uint16_t abi_major; /* the core's */
	uint16_t abi_minor;

	/* logging: "natwarden[plugin]: ..." to syslog/stderr. Any thread, but see log_ratelimited. */
	void (*log)(nw_plugin *self, int level, const char *fmt, ...) NW_PRINTF(3, 4);
	/* worker-safe: at most one line per second per (plugin, key); the rest are counted and
	 * reported with the next line that passes */
	void (*log_ratelimited)(nw_plugin *self, int level, unsigned key, const char *fmt, ...)
		NW_PRINTF(4, 5);

	/* configuration (configure/reload only) */
	const nw_section *(*conf_section)(const nw_config *cfg, const char *kind, const char *name);
	/* iterate sections "[kind NAME]"; *it starts at 0; returns NULL at the end */
	const nw_section *(*conf_next)(const nw_config *cfg, const char *kind, unsigned *it);
	const char *(*conf_section_name)(const nw_section *sec); /* NAME of [kind NAME] */
	/* parse a section with a directive table; unknown keys and bad values are errors */
	int (*conf_parse)(const nw_config *cfg, const nw_section *sec,
			  const struct nw_directive *table, void *target);
	/* raw access: the n-th key/value of a section (NULL at the end) and its line */
	const char *(*conf_kv)(const nw_section *sec, unsigned n, const char **value,
			       unsigned *line);
	/* record a config error "file:line: [section] msg"; returns -EINVAL */
	int (*conf_error)(const nw_config *cfg, const nw_section *sec, unsigned line,
			  const char *fmt, ...) NW_PRINTF(4, 5);
	const char *(*conf_path)(const nw_config *cfg);

	/* counters (register at configure; add from any thread: per-worker slots, no lock) */
	int (*counter_register)(nw_plugin *self, const char *name, const char *help,
				unsigned *id);
	void (*counter_add)(nw_plugin *self, const nw_packet *pkt, unsigned id, uint64_t n);
	/* gauges are set from the main thread */
	void (*gauge_set)(nw_plugin *self, unsigned id, uint64_t v);
	/* a verdict reason name, counted per plugin (configure only); id 1..NW_MAX_REASONS-1 */
	int (*reason_register)(nw_plugin *self, const char *name, unsigned *id);

	/* timers (main thread), engine time */
	int (*timer_add)(nw_plugin *self, uint32_t interval_ms, nw_timer_cb cb);
	uint64_t (*now_ns)(void); /* engine time */

	/* events: emit from a worker (with pkt) or the main thread (pkt NULL) */
	int (*event_emit)(nw_plugin *self, const nw_packet *pkt, const struct nw_event *ev);
	int (*event_subscribe)(nw_plugin *self, uint32_t type_mask, nw_event_cb cb);

	/* packet and flow accessors (worker) */
	const struct nw_pkt_info *(*pkt_info)(const nw_packet *pkt);
	const struct nw_flow_info *(*flow_info)(const nw_flow *flow);
	void *(*flow_priv)(nw_flow *flow, nw_plugin *self); /* flow_priv_size bytes */
	void (*flow_set_verdict)(nw_flow *flow, int verdict); /* sticky: later packets too */

	/* rule keywords (configure). The core copies kw (kw->size bytes; a 1.0/1.1 keyword reads
	 * as flags 0, no match_priv). A name another plugin registered, or a rule engine reserved
	 * (keyword_reserve), is refused: -EEXIST, recorded as a config error naming both. */
	int (*keyword_register)(nw_plugin *self, const struct nw_keyword *kw);
	/* the core's copy, in this header's layout (size = sizeof(struct nw_keyword)) */
	const struct nw_keyword *(*keyword_find)(const char *name, void **plugin_priv);

	/* main thread: wait until every worker has finished the packet (batch) it had in hand */
	void (*quiesce)(void);

	/* control commands (configure/start only) */
	int (*command_register)(nw_plugin *self, const char *name, const char *help,
				nw_command_cb cb);

	/* the plugin's own name (section) and the state directory */
	const char *(*plugin_name)(const nw_plugin *self);
	const char *(*state_dir)(void);

	/* ABI 1.2: plugin author's first try (keywords, bounded settings, counters) */
	/* conf_parse for a struct nw_directive2 table of elements `elem_size` bytes (use
	 * NW_CONF_PARSE2, which passes sizeof(table[0])) */
	int (*conf_parse2)(const nw_config *cfg, const nw_section *sec,
			   const struct nw_directive2 *table, size_t elem_size, void *target);
	/* main thread: a counter's value summed over the workers and the main thread (a gauge: its
	 * last value); workers that are counting may be a few packets ahead. 0 for an unknown id. */
	uint64_t (*counter_get)(nw_plugin *self, unsigned id);
	/* configure: a plugin that evaluates rule keywords (the signature plugin) reserves the
	 * names of its built-in keywords, so that no plugin keyword shadows one: keyword_register
	 * refuses them, and one registered earlier is reported as a config error of its plugin
	 * once every plugin is configured. `name` must stay valid while the plugin is loaded.
	 * Returns 0, -EINVAL or -ENOMEM. */
	int (*keyword_reserve)(nw_plugin *self, const char *name);

	/* ABI 1.2. Any thread: how this run was started, NW_RUN_* flags. Without
	 * NW_RUN_LIVE_STATE (an offline replay, unless --live-state) a plugin reads and writes no
	 * persistent or shared state: no state files, shared stores, kernel tables, other programs'
	 * logs; it judges packets from memory alone. */
	uint32_t (*run_flags)(void);

	/* ABI 1.2: waiting in the main loop (see "Waiting in the main loop" above); main thread.
	 * watch_add: a new watch on fd (or -1 for a pure timer), armed for nothing yet; *out gets
	 * it. 0, -EOPNOTSUPP offline, -EPERM on a worker, -EINVAL, -ENOMEM. */
	int (*watch_add)(nw_plugin *self, int fd, nw_watch_cb cb, void *arg, nw_watch **out);
	/* what to wait for from now on: NW_WATCH_READ | NW_WATCH_WRITE (0 = nothing) and a
	 * timeout in ms (0 = none). 0, or -EINVAL (fd events on fd -1, unknown bits). */
	int (*watch_set)(nw_watch *w, unsigned events, uint32_t timeout_ms);
	/* stop waiting and free the watch (NULL is fine); the fd stays open */
	void (*watch_del)(nw_watch *w);
	/* The main loop itself, a `struct event_base *` of the system's libevent 2.1, for
	 * libraries that attach to libevent (hiredis: redisLibeventAttach). The plugin must link
	 * that same libevent (pkg-config libevent), add events from the main thread only, free
	 * them in `stop` at the latest (the base outlives every plugin's stop), and never run,
	 * break or free the loop. NULL offline. The watch calls above are the stable way to wait;
	 * this one ties the plugin to the core's libevent. */
	void *(*event_base)(nw_plugin *self);

	/* ABI 1.2 (check size) */
	/* worker: name the flow's application protocol ("http"); EVE alerts and flow records
	 * carry it as app_proto */
	void (*flow_set_app_proto)(nw_flow *flow, const char *name);
	/* main thread: 1 when eve.json takes events of this event_type (natwarden.conf
	 * eve_types); a plugin skips building events nobody writes */
	int (*event_wanted)(const char *event_type);

	/* ABI 1.3 (check size). Worker: this plugin's bypass vote for the flow (1 = nothing it
	 * does can change for the rest of the flow; 0 = take it back). See "Flow bypass". */
	void (*flow_bypass_vote)(nw_flow *flow, nw_plugin *self, int yes);
};

/* svc->run_flags() (ABI 1.2) */
#define NW_RUN_OFFLINE 0x1    /* natwarden -r: a capture replayed, packet time is engine time */
#define NW_RUN_LIVE_STATE 0x2 /* persistent and shared state may be used: always live; offline
			       * only with --live-state */

/* Plugin descriptor: one per plugin, exported as NW_PLUGIN_SYMBOL. */
struct nw_plugin_desc {
	uint32_t abi_major;        /* NW_ABI_MAJOR when built */
	uint32_t abi_minor;        /* NW_ABI_MINOR when built */
	uint32_t size;             /* sizeof(struct nw_plugin_desc) when built */
	const char *build_options; /* NW_BUILD_OPTIONS when built */
	const char *name;          /* config name, e.g. "ratelimit" */
	const char *version;       /* the plugin's own version */
	const char *description;   /* one line */

	size_t priv_size;        /* instance state the core allocates (zeroed) */
	size_t worker_priv_size; /* per-worker state (zeroed) */
	size_t flow_priv_size;   /* per-flow state (zeroed at flow creation), <= 4096 */
	const char *const *section_kinds; /* extra section kinds it owns, e.g. {"limit", NULL} */
	/* where the core stores its services table before any hook is called */
	const struct nw_services **services;

	/* main thread. `sec` is [name] (NULL if absent). Return 0 or -errno (errors via conf_error). */
	int (*configure)(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec);
	/* main thread, after every plugin is configured: validate (e.g. load rules), for `-T` and
	 * before start. 0 = fine; > 0 = problems that do not stop a run (e.g. skipped rules: -T
	 * exits non-zero, the daemon starts); < 0 = cannot run. */
	int (*check)(nw_plugin *self, void *priv);
	int (*start)(nw_plugin *self, void *priv);
	/* worker thread, before its first packet / after its last */
	int (*worker_start)(void *priv, void *wpriv, unsigned worker);
	void (*worker_stop)(void *priv, void *wpriv, unsigned worker);
	/* worker: return NW_RESULT(verdict, reason) */
	int (*packet)(void *priv, void *wpriv, nw_packet *pkt, nw_flow *flow);
	/* worker: the flow is going away (idle timeout, eviction, end) */
	void (*flow_end)(void *priv, void *wpriv, nw_flow *flow);
	/* main thread: build new state from cfg aside, swap; on error keep the old and return <0.
	 * With reload_finish: only check and build aside (nothing a worker sees may change). */
	int (*reload)(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec);
	void (*stop)(nw_plugin *self, void *priv);

	/* ABI 1.1. Main thread. Makes a reload atomic across the chain: when every plugin's
	 * `reload` succeeded, reload_finish(apply = 1) swaps the state it built in (this cannot
	 * fail: `reload` did every allocation); when any plugin refused the new file,
	 * reload_finish(apply = 0) throws it away and the old state runs on. Plugins without it
	 * apply in `reload` itself, after the others have been finished. */
	void (*reload_finish)(nw_plugin *self, void *priv, int apply);
};
/* the size of a 1.0 descriptor (without reload_finish) */
#define NW_DESC_SIZE_1_0 offsetof(struct nw_plugin_desc, reload_finish)

/*
 * A plugin defines its descriptor like this (only this symbol is exported; with
 * -fvisibility=hidden, as pkg-config's natwarden-plugin flags give, NW_PLUGIN_EXPORT is what makes
 * it visible to the loader):
 *   static const struct nw_services *svc;
 *   NW_PLUGIN_EXPORT const struct nw_plugin_desc nw_plugin_descriptor = {
 *           NW_DESC_HEADER, .name = "example", .services = &svc, .packet = ex_packet, ... };
 */
#define NW_PLUGIN_EXPORT NW_EXPORT

#define NW_DESC_HEADER                                                             \
	.abi_major = NW_ABI_MAJOR, .abi_minor = NW_ABI_MINOR,                       \
	.size = sizeof(struct nw_plugin_desc), .build_options = NW_BUILD_OPTIONS

/* Helpers plugins may use freely (header-only). */
static inline int nw_addr_eq(const struct nw_addr *a, const struct nw_addr *b)
{
	if (a->family != b->family)
		return 0;
	for (int i = 0; i < (a->family == 4 ? 4 : 16); i++)
		if (a->a[i] != b->a[i])
			return 0;
	return 1;
}

#ifdef __cplusplus
}
#endif
#endif /* NATWARDEN_PLUGIN_H */
