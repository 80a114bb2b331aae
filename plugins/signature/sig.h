/* plugins/signature/sig.h: internal types of the signature plugin (rules, keywords, matcher). */
#ifndef SIG_H
#define SIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <natwarden/plugin.h>

#define SIG_ERRLEN 256
#define SIG_FB_NAMES_MAX 65535   /* distinct flowbit names a process interns (ids are 16 bits) */
#define SIG_FB_OR_MAX 8          /* names in one flowbits a|b|... list */
#define SIG_FB_FLOW_MAX 24       /* flowbits set at once on one flow (more: counted, not set) */
#define SIG_STREAM_WIN 1408      /* bytes of history kept per direction of a TCP flow */
#define SIG_MAX_WORKERS 64
#define SIG_ALERT_MAX_DFLT 15    /* packet-alert-max default (Suricata's) */
#define SIG_HITQ_MAX 256         /* rule matches queued per packet (and packet-alert-max cap) */
#define SIG_SNAP_MAX 4           /* application contexts (http/dns/tls objects) per packet */
#define SIG_TLS_META_N 64        /* TLS flows remembered per worker for their EVE objects */
#define SIG_INSPECT_BUDGET 3000  /* recursion steps per rule evaluation (like Suricata) */
#define SIG_MAX_VAR_DEPTH 8

enum sig_action { SIG_ACT_PASS = 0, SIG_ACT_DROP, SIG_ACT_REJECT, SIG_ACT_ALERT };
enum sig_proto { SIG_PROTO_IP = 0, SIG_PROTO_TCP, SIG_PROTO_UDP, SIG_PROTO_ICMP,
		 SIG_PROTO_TCPUDP /* dns: either */ };

/* application protocols (detected per flow by content, sig_app.c); SMTP, FTP and SMB are
 * detected only (header rules, app-layer-protocol), not parsed */
enum sig_app { SIG_APP_NONE = 0, SIG_APP_HTTP, SIG_APP_DNS, SIG_APP_TLS, SIG_APP_SMTP, SIG_APP_FTP,
	       SIG_APP_SMB, SIG_APP_UNKNOWN };

/* ---- addresses and ports ---- */
enum { SIG_AN_ANY = 0, SIG_AN_CIDR, SIG_AN_LIST };
struct sig_anode {
	uint8_t type;    /* SIG_AN_* */
	uint8_t neg;     /* '!' in front */
	uint8_t family;  /* CIDR: 4 or 6 */
	uint8_t plen;    /* CIDR: prefix length */
	uint8_t a[16];   /* CIDR: network, masked */
	unsigned n;      /* LIST: children */
	struct sig_anode *child;
};
struct sig_pnode {
	uint8_t type; /* SIG_AN_ANY, SIG_AN_CIDR (a range), SIG_AN_LIST */
	uint8_t neg;
	uint16_t lo, hi;
	unsigned n;
	struct sig_pnode *child;
};

/* name = value variables ($HOME_NET); values are unexpanded text */
struct sig_var {
	char *name;
	char *value;
};
struct sig_vars {
	struct sig_var *v;
	unsigned n, cap;
};

/* ---- classification ---- */
struct sig_class {
	char *name;
	char *desc;
	int prio;
};
struct sig_classes {
	struct sig_class *v;
	unsigned n, cap;
};

/* ---- sigmatches ---- */
enum sig_sm_type {
	SIG_SM_CONTENT = 1, SIG_SM_PCRE, SIG_SM_ISDATAAT, SIG_SM_BYTE_TEST, SIG_SM_BYTE_JUMP,
	SIG_SM_EXT,   /* a keyword another plugin registered (payload, or packet: NW_KW_PACKET) */
	SIG_SM_PKT,   /* packet (non-payload) test with a match callback */
	SIG_SM_BSIZE, /* size of the list's buffer (bsize) */
	SIG_SM_APPVAL, /* numeric test on an application field (urilen, dns.opcode, ...) */
};

/* inspection buffers (sig_kw_app.c has the names); 0 = the packet payload / TCP stream */
enum sig_buf {
	SIG_BUF_PKT = 0,
	SIG_BUF_HTTP_METHOD, SIG_BUF_HTTP_URI, SIG_BUF_HTTP_URI_RAW, SIG_BUF_HTTP_HOST,
	SIG_BUF_HTTP_HOST_RAW, SIG_BUF_HTTP_UA, SIG_BUF_HTTP_HEADER, SIG_BUF_HTTP_HEADER_RAW,
	SIG_BUF_HTTP_HEADER_NAMES, SIG_BUF_HTTP_COOKIE, SIG_BUF_HTTP_CONTENT_TYPE,
	SIG_BUF_HTTP_CONTENT_LEN, SIG_BUF_HTTP_REQUEST_LINE, SIG_BUF_HTTP_REQUEST_BODY,
	SIG_BUF_HTTP_STAT_CODE, SIG_BUF_HTTP_STAT_MSG, SIG_BUF_HTTP_RESPONSE_LINE,
	SIG_BUF_HTTP_RESPONSE_BODY, SIG_BUF_FILE_DATA, SIG_BUF_HTTP_SERVER, SIG_BUF_HTTP_LOCATION,
	SIG_BUF_HTTP_PROTOCOL, SIG_BUF_HTTP_START, SIG_BUF_HTTP_REFERER, SIG_BUF_HTTP_ACCEPT,
	SIG_BUF_HTTP_ACCEPT_ENC, SIG_BUF_HTTP_ACCEPT_LANG, SIG_BUF_HTTP_CONNECTION,
	SIG_BUF_HTTP_REQ_HEADER, SIG_BUF_HTTP_RESP_HEADER,
	SIG_BUF_DNS_QUERY, SIG_BUF_DNS_ANSWER_NAME,
	SIG_BUF_TLS_SNI, SIG_BUF_JA3_HASH, SIG_BUF_JA3_STRING, SIG_BUF_JA3S_HASH,
	SIG_BUF_JA3S_STRING, SIG_BUF_TLS_CERT_SUBJECT, SIG_BUF_TLS_CERT_ISSUER,
	SIG_BUF_TLS_CERT_SERIAL, SIG_BUF_TLS_CERT_FINGERPRINT, SIG_BUF_TLS_CERTS,
	SIG_BUF_MAX
};

/* transforms of a sticky buffer, applied in rule order */
enum sig_xform {
	SIG_XF_NONE = 0, SIG_XF_LOWER, SIG_XF_STRIP_WS, SIG_XF_COMPRESS_WS, SIG_XF_URL_DECODE,
	SIG_XF_DOTPREFIX, SIG_XF_HEADER_LOWER, SIG_XF_STRIP_PSEUDO,
	SIG_XF_PCRE, /* pcrexform: the buffer becomes the regex's first capture group */
};
#define SIG_MAX_XF 4
#define SIG_MAX_LISTS 16
/* one inspection list of a rule: the matches on one buffer (r->pm[start .. start+n)) */
struct sig_list {
	uint8_t buf;         /* enum sig_buf */
	uint8_t n_xf;
	uint8_t xf[SIG_MAX_XF];
	pcre2_code *xf_re[SIG_MAX_XF]; /* SIG_XF_PCRE: the regex (owned) */
	uint8_t legacy;      /* made by a content modifier (http_uri): shared by the rule */
	unsigned start, n;
};

/* when an application rule is evaluated (at most once per transaction / message) */
enum sig_stage { SIG_ST_NONE = 0, SIG_ST_REQ_HEADERS, SIG_ST_REQ_BODY, SIG_ST_RESP_HEADERS,
		 SIG_ST_RESP_BODY, SIG_ST_DNS, SIG_ST_TLS_CH, SIG_ST_TLS_SH, SIG_ST_TLS_CERT, SIG_ST_MAX };

struct sig_appctx;
struct sig_http_flow;

/* numeric application fields (SIG_SM_APPVAL) */
enum sig_appval { SIG_AV_URILEN = 1, SIG_AV_URILEN_RAW, SIG_AV_DNS_OPCODE, SIG_AV_DNS_RRTYPE,
		  SIG_AV_TLS_VERSION, SIG_AV_HTTP_EVENTS };
struct sig_appval_ctx {
	uint8_t field;  /* enum sig_appval */
	uint8_t op;     /* '=', '<', '>', 'r' (lo<>hi), '!' (not equal), '&' (a bit of lo set) */
	uint32_t lo, hi;
};

struct sig_mctx;
struct sig_sm {
	uint8_t type;   /* enum sig_sm_type */
	uint8_t relative; /* payload: anchored at the end of the previous match */
	const struct sig_kw *kw; /* the keyword that made it (free, name) */
	void *ctx;
	/* SIG_SM_PKT */
	int (*match)(const struct sig_mctx *m, const void *ctx);
	/* SIG_SM_EXT: in pm (a buffer keyword) or nm (NW_KW_PACKET) */
	const struct nw_keyword *ext;
	void *ext_priv;  /* the registering plugin's priv, for ext->match_priv */
	uint8_t list;   /* index in the rule's lists (0: payload) */
};

#define SIG_CF_NOCASE 0x01
#define SIG_CF_NEGATED 0x02
#define SIG_CF_OFFSET 0x04
#define SIG_CF_DEPTH 0x08
#define SIG_CF_DISTANCE 0x10
#define SIG_CF_WITHIN 0x20
#define SIG_CF_FAST 0x40      /* fast_pattern given */
#define SIG_CF_STARTSWITH 0x80
#define SIG_CF_ENDSWITH 0x100
#define SIG_CF_FAST_ONLY 0x200
#define SIG_CF_FAST_SUB 0x400 /* fast_pattern:offset,length */
struct sig_content {
	uint8_t *pat;     /* bytes as written */
	uint8_t *lpat;    /* lower-cased copy (nocase) */
	uint32_t len;
	uint32_t flags;   /* SIG_CF_* */
	int32_t offset, depth, distance, within;
	uint32_t fp_off, fp_len; /* fast_pattern:offset,length */
};

#define SIG_PCRE_RELATIVE 0x1
#define SIG_PCRE_NEGATED 0x2
struct sig_pcre {
	pcre2_code *code;
	uint32_t flags;
	char *src;
};

struct sig_isdataat {
	uint32_t n;
	uint8_t negated;
};

enum sig_op { SIG_OP_LT, SIG_OP_GT, SIG_OP_EQ, SIG_OP_LE, SIG_OP_GE, SIG_OP_AND, SIG_OP_OR, SIG_OP_NE };
struct sig_byte {
	uint8_t nbytes;    /* 1..10 (string) or 1,2,3,4,8 (binary) */
	uint8_t op;        /* byte_test: enum sig_op */
	uint8_t negop;     /* byte_test: '!' before the operator */
	uint8_t little;    /* little endian */
	uint8_t string;    /* 0 binary, 8/10/16 base */
	uint8_t align;     /* byte_jump: align to 4 */
	uint8_t from_beginning;
	int32_t offset;
	uint64_t value;    /* byte_test value */
	uint32_t multiplier;
	int32_t post_offset;
	uint64_t bitmask;
};

/* flow keyword */
#define SIG_FLOW_ESTABLISHED 0x01
#define SIG_FLOW_NOT_ESTABLISHED 0x02
#define SIG_FLOW_TO_SERVER 0x04
#define SIG_FLOW_TO_CLIENT 0x08
#define SIG_FLOW_STATELESS 0x10
#define SIG_FLOW_ONLY_STREAM 0x20
#define SIG_FLOW_NO_STREAM 0x40

enum sig_fb_cmd { SIG_FB_SET = 1, SIG_FB_UNSET, SIG_FB_TOGGLE, SIG_FB_ISSET, SIG_FB_ISNOTSET, SIG_FB_NOALERT };
struct sig_flowbit {
	uint8_t cmd;
	uint8_t n;                   /* names in id (a|b: 2; isset/isnotset: any of them) */
	uint16_t id[SIG_FB_OR_MAX];  /* interned names (struct sig_names) */
};
/* the flowbits set on one flow: a small unordered set of ids (part of the flow's slot) */
struct sig_fbset {
	uint8_t n;                       /* ids held */
	uint8_t pad_;
	uint16_t id[SIG_FB_FLOW_MAX];
};

/* interned names (flowbits): id = index in v; grows only, so ids keep meaning across reloads */
struct sig_names {
	char **v;
	unsigned n, cap;
};

/* xbits: bits per host (track ip_src / ip_dst) or per address pair, in a table workers share */
enum { SIG_XB_HOST = 0, SIG_XB_PAIR };
struct sig_xbit {
	uint8_t cmd;      /* enum sig_fb_cmd (no noalert) */
	uint8_t track;    /* 0 ip_src, 1 ip_dst, 2 ip_pair */
	uint16_t id;      /* interned name (sig_env.xb_names) */
	uint32_t expire;  /* seconds a set lasts */
};
#define SIG_XB_WAYS 8       /* entries per bucket (one bucket lock) */
#define SIG_XB_SIZE_DFLT 65536
struct sig_xb_entry {
	uint64_t expire_ns; /* packet time it lapses; 0: free */
	uint16_t id;
	uint8_t kind;       /* SIG_XB_HOST, SIG_XB_PAIR */
	uint8_t family;
	uint8_t a[16], b[16]; /* host: a; pair: the lower address in a */
};
struct sig_xb_bucket {
	atomic_flag lock;   /* held while the bucket's 8 entries are scanned or changed */
	struct sig_xb_entry e[SIG_XB_WAYS];
};
struct sig_xb_table {
	struct sig_xb_bucket *b;
	unsigned nb;        /* buckets, a power of two */
};
int sig_xb_init(struct sig_xb_table *t, unsigned entries);
void sig_xb_free(struct sig_xb_table *t);

enum sig_thr_type { SIG_THR_LIMIT = 1, SIG_THR_THRESHOLD, SIG_THR_BOTH, SIG_THR_DETECTION };
struct sig_threshold {
	uint8_t type;
	uint8_t by_dst;
	uint32_t count;
	uint32_t seconds;
};

/* one rule */
struct sig_rule {
	uint32_t gid, sid, rev;
	int prio;              /* 1 (high) .. 4; from priority or classtype; 3 if neither */
	uint8_t action;        /* enum sig_action */
	uint8_t proto;         /* enum sig_proto */
	uint8_t bidir;         /* <> */
	uint8_t noalert;       /* flowbits:noalert */
	uint8_t flow;          /* SIG_FLOW_* */
	uint8_t pkt_only;      /* dsize etc.: inspect the packet payload, never the stream */
	uint8_t has_prio;
	struct sig_anode src, dst;
	struct sig_pnode sp, dp;
	char *msg;
	char *classtype;
	const struct sig_class *cls;
	char *refs;            /* references, ", "-joined (kept, not used) */
	char *metadata;        /* metadata, ", "-joined (kept, not used) */
	struct sig_sm *pm;     /* payload matches, in rule order */
	unsigned n_pm;
	struct sig_sm *nm;     /* packet (non-payload) matches */
	unsigned n_nm;
	struct sig_flowbit *fb;
	unsigned n_fb;
	struct sig_xbit *xb;   /* xbits, in rule order */
	unsigned n_xb;
	struct sig_threshold thr; /* threshold (type 0: none) */
	struct sig_threshold df;  /* detection_filter (type 0: none) */
	struct sig_content *fp;   /* fast pattern (NULL: always evaluated) */
	uint8_t fp_list;          /* list holding fp */
	uint8_t app;              /* enum sig_app the rule needs (0: any) */
	uint8_t app_rule;         /* inspects application buffers: evaluated per app event */
	uint8_t stage;            /* enum sig_stage the rule waits for */
	uint8_t to_client;        /* direction-dependent buffers are the response's */
	struct sig_list lists[SIG_MAX_LISTS]; /* [0]: payload */
	unsigned n_lists;
	uint32_t idx;             /* position in the sorted rule set */
	char *file;
	unsigned line;
};

/* loading options and results */
struct sig_env {
	const struct sig_vars *vars;
	const struct sig_classes *classes;
	/* flowbit names -> id (shared by rule sets, grows only) */
	struct sig_names *fb_names;
	/* xbit names -> id (likewise; NULL: xbits refused) */
	struct sig_names *xb_names;
	/* plugin keywords: NULL if none */
	const struct nw_keyword *(*ext_find)(const char *name, void **priv);
	/* error sink: called once per bad rule with the whole message (no newline) */
	void (*error)(void *opaque, const char *msg);
	void *opaque;
};

/* a parse in progress: the rule and the last content (for modifiers) */
struct sig_parse {
	const struct sig_env *env;
	struct sig_rule *r;
	struct sig_content *last_content; /* content the modifiers apply to */
	int last_cpm;                     /* index in r->pm of last_content, -1 if none */
	char *err;
	size_t errlen;
	unsigned seen_sid : 1;
	int cur_list;                     /* list new matches go to (sticky buffer), 0 payload */
	const struct sig_kw *cur_kw;      /* the keyword being set up */
	const char *prev_kw;              /* the keyword before it (NULL: none) */
	unsigned seen_prefilter : 1;
};

/* a keyword of the rule language */
#define SIG_KW_NOARG 0x1     /* takes no argument */
#define SIG_KW_OPTARG 0x2    /* argument optional */
struct sig_kw {
	const char *name;
	const char *desc;
	unsigned flags;
	int (*setup)(struct sig_parse *ps, const char *arg); /* parse and attach; 0 or -1 + err */
	void (*free)(void *ctx);
};

/* matching context for one packet / buffer */
struct sig_mctx {
	const struct nw_pkt_info *pi;
	const nw_packet *pkt;     /* opaque, for plugin keywords */
	nw_flow *flow;
	struct sig_fbset *flowbits; /* the flow's flowbits, or NULL (no flow) */
	const struct sig_stream *streams; /* TCP flow: its two directions (stream_size), or NULL */
	struct sig_xb_table *xbt;   /* xbits table (NULL: every xbit unset, sets dropped) */
	int established;          /* flow is established */
	const uint8_t *buf;       /* buffer inspected (payload or stream window) */
	size_t len;
	uint64_t abs_base;        /* stream: stream offset of buf[0] (absolute offsets) */
	size_t min_end;           /* a match must end beyond this (stream: only new bytes) */
	int stream;               /* buf is a stream window */
	pcre2_match_data *md;
	pcre2_match_context *mc;
	unsigned steps;
	unsigned sm_end;          /* end of the list being inspected (index in r->pm) */
	uint8_t app;              /* enum sig_app of the flow */
	struct sig_appctx *ac;    /* application event (NULL: packet inspection) */
};

/* util */
int sig_err(struct sig_parse *ps, const char *fmt, ...) NW_PRINTF(2, 3);
char *sig_trim(char *s);
char *sig_strdup(const char *s);
int sig_parse_int(const char *s, long long lo, long long hi, long long *out);
int sig_unquote(const char *in, char *out, size_t outlen);
const uint8_t *sig_search(const uint8_t *hay, size_t hlen, const uint8_t *pat, size_t plen,
			  int nocase);
extern const uint8_t sig_lower[256];
int sig_split_args(char *s, char **argv, int max);

/* addresses, ports, variables */
int sig_vars_set(struct sig_vars *vs, const char *name, const char *value);
const char *sig_vars_get(const struct sig_vars *vs, const char *name);
int sig_vars_defaults(struct sig_vars *vs);
void sig_vars_free(struct sig_vars *vs);
int sig_addr_parse(const struct sig_vars *vs, const char *text, struct sig_anode *out, char *err,
		   size_t errlen);
int sig_port_parse(const struct sig_vars *vs, const char *text, struct sig_pnode *out, char *err,
		   size_t errlen);
int sig_addr_match(const struct sig_anode *n, const struct nw_addr *a);
int sig_port_match(const struct sig_pnode *n, uint16_t port);
void sig_anode_free(struct sig_anode *n);
void sig_pnode_free(struct sig_pnode *n);
/* single destination ports of a rule (for grouping); returns count, -1 = any/too many */
int sig_port_list(const struct sig_pnode *n, uint16_t *out, int max);

/* classification */
int sig_classes_defaults(struct sig_classes *cs);
int sig_classes_load(struct sig_classes *cs, const char *path, char *err, size_t errlen);
const struct sig_class *sig_classes_find(const struct sig_classes *cs, const char *name);
void sig_classes_free(struct sig_classes *cs);

/* keywords */
const struct sig_kw *sig_kw_find(const char *name);
int sig_kw_is_suricata(const char *name);
const struct sig_kw *sig_kw_table(unsigned *n);
/* a plugin keyword's match (match_priv when it has one) on buf/len */
int sig_ext_match(const struct sig_sm *sm, const nw_packet *pkt, nw_flow *flow,
		  const uint8_t *buf, size_t len);
struct sig_sm *sig_rule_add_pm(struct sig_parse *ps, uint8_t type, const struct sig_kw *kw,
			       void *ctx);
struct sig_sm *sig_rule_add_nm(struct sig_parse *ps, const struct sig_kw *kw, void *ctx,
			       int (*match)(const struct sig_mctx *, const void *));
int sig_flowbit_index(const struct sig_env *env, const char *name);
/* the id of name in ns, interned if new (at most max names): id, or -1 (full / no memory) */
int sig_names_intern(struct sig_names *ns, const char *name, unsigned max);
void sig_names_free(struct sig_names *ns);

/* per-keyword setup functions (sig_kw_*.c) */
int sig_kw_msg(struct sig_parse *ps, const char *arg);
int sig_kw_sid(struct sig_parse *ps, const char *arg);
int sig_kw_rev(struct sig_parse *ps, const char *arg);
int sig_kw_gid(struct sig_parse *ps, const char *arg);
int sig_kw_classtype(struct sig_parse *ps, const char *arg);
int sig_kw_priority(struct sig_parse *ps, const char *arg);
int sig_kw_reference(struct sig_parse *ps, const char *arg);
int sig_kw_metadata(struct sig_parse *ps, const char *arg);
int sig_kw_content(struct sig_parse *ps, const char *arg);
int sig_kw_nocase(struct sig_parse *ps, const char *arg);
int sig_kw_offset(struct sig_parse *ps, const char *arg);
int sig_kw_depth(struct sig_parse *ps, const char *arg);
int sig_kw_distance(struct sig_parse *ps, const char *arg);
int sig_kw_within(struct sig_parse *ps, const char *arg);
int sig_kw_fast_pattern(struct sig_parse *ps, const char *arg);
int sig_kw_prefilter(struct sig_parse *ps, const char *arg);
int sig_kw_startswith(struct sig_parse *ps, const char *arg);
int sig_kw_endswith(struct sig_parse *ps, const char *arg);
int sig_kw_rawbytes(struct sig_parse *ps, const char *arg);
int sig_kw_isdataat(struct sig_parse *ps, const char *arg);
int sig_kw_pcre(struct sig_parse *ps, const char *arg);
int sig_kw_flow(struct sig_parse *ps, const char *arg);
int sig_kw_flowbits(struct sig_parse *ps, const char *arg);
int sig_kw_noalert(struct sig_parse *ps, const char *arg);
int sig_kw_stream_size(struct sig_parse *ps, const char *arg);
int sig_kw_xbits(struct sig_parse *ps, const char *arg);
/* xbits conditions (isset/isnotset) of r on the packet's addresses at pi->ts_ns: 1 hold */
int sig_xbits_check(const struct sig_mctx *m, const struct sig_rule *r);
/* xbits actions after a match; returns the live entries evicted to make room */
unsigned sig_xbits_apply(const struct sig_mctx *m, const struct sig_rule *r);
/* stream_size's count for a direction of the packet's TCP flow (see natwarden-rules(7)) */
uint64_t sig_stream_size(const struct sig_stream *s, const struct nw_pkt_info *pi, int dir);
int sig_kw_flags(struct sig_parse *ps, const char *arg);
int sig_kw_dsize(struct sig_parse *ps, const char *arg);
int sig_kw_ttl(struct sig_parse *ps, const char *arg);
int sig_kw_itype(struct sig_parse *ps, const char *arg);
int sig_kw_icode(struct sig_parse *ps, const char *arg);
int sig_kw_icmp_id(struct sig_parse *ps, const char *arg);
int sig_kw_icmp_seq(struct sig_parse *ps, const char *arg);
int sig_kw_ip_proto(struct sig_parse *ps, const char *arg);
int sig_kw_threshold(struct sig_parse *ps, const char *arg);
int sig_kw_detection_filter(struct sig_parse *ps, const char *arg);
int sig_kw_byte_test(struct sig_parse *ps, const char *arg);
int sig_kw_byte_jump(struct sig_parse *ps, const char *arg);
int sig_kw_decode_event(struct sig_parse *ps, const char *arg);
/* application keywords (sig_kw_app.c) */
int sig_kw_sticky(struct sig_parse *ps, const char *arg);
int sig_kw_legacy_mod(struct sig_parse *ps, const char *arg);
int sig_kw_xform(struct sig_parse *ps, const char *arg);
int sig_kw_pcrexform(struct sig_parse *ps, const char *arg);
int sig_kw_alproto(struct sig_parse *ps, const char *arg);
int sig_kw_tag(struct sig_parse *ps, const char *arg);
int sig_kw_target(struct sig_parse *ps, const char *arg);
int sig_kw_bsize(struct sig_parse *ps, const char *arg);
int sig_kw_urilen(struct sig_parse *ps, const char *arg);
int sig_kw_dns_opcode(struct sig_parse *ps, const char *arg);
int sig_kw_dns_rrtype(struct sig_parse *ps, const char *arg);
int sig_kw_tls_version(struct sig_parse *ps, const char *arg);
int sig_kw_app_event(struct sig_parse *ps, const char *arg);
int sig_sticky_buf(const char *name);
int sig_pcre_flag_buf(char f);
int sig_move_to_buf(struct sig_parse *ps, unsigned i, uint8_t buf);
int sig_appval_match(struct sig_appctx *ac, const struct sig_appval_ctx *v);
int sig_bsize_match(const struct sig_appval_ctx *v, size_t len);
void sig_content_free(void *ctx);
void sig_pcre_free(void *ctx);
void sig_free_plain(void *ctx);

/* rule parsing */
/* parse one rule line; returns 0, 1 (blank/comment), or -1 with err filled ("keyword 'x': ...") */
int sig_rule_parse(const struct sig_env *env, const char *line, struct sig_rule **out, char *err,
		   size_t errlen);
void sig_rule_free(struct sig_rule *r);
/* the sid written in a rule's text (for error messages), 0 if none */
uint32_t sig_rule_peek_sid(const char *line);

/* matching */
/* payload inspection of r on m->buf: 1 match, 0 no */
int sig_inspect_payload(struct sig_mctx *m, const struct sig_rule *r);
/* application lists of r on the event m->ac: 1 match */
int sig_inspect_app(struct sig_mctx *m, const struct sig_rule *r);
/* header + packet tests (not payload, not flowbits): 1 match */
int sig_match_header(const struct sig_mctx *m, const struct sig_rule *r);
int sig_match_packet_tests(const struct sig_mctx *m, const struct sig_rule *r);
/* flowbits conditions (isset/isnotset), then the xbits ones */
int sig_flowbits_check(const struct sig_mctx *m, const struct sig_rule *r);
/* flowbits actions after a match; returns the sets lost because the flow's set was full */
unsigned sig_flowbits_apply(const struct sig_mctx *m, const struct sig_rule *r);

/* thresholds: a bounded table shared by workers */
struct sig_thr_entry {
	uint32_t gid, sid;
	uint8_t kind; /* 0 threshold, 1 detection_filter */
	struct nw_addr addr;
	uint64_t start_ns;
	uint32_t count;
	uint8_t used;
};
struct sig_thr_table {
	atomic_flag lock;
	unsigned size; /* power of two */
	struct sig_thr_entry *e;
	uint64_t evicted;
};
int sig_thr_init(struct sig_thr_table *t, unsigned size);
void sig_thr_free(struct sig_thr_table *t);
/* returns 1 if the event passes (alert / detection), 0 if suppressed */
int sig_thr_check(struct sig_thr_table *t, const struct sig_rule *r, const struct sig_threshold *th,
		  int kind, const struct nw_pkt_info *pi, uint64_t now_ns);

/* stream window, part of the per-flow private slot (sig_stream.c) */
#define SIG_STREAM_PEND 576 /* one out-of-order segment held until the gap before it fills */
struct sig_stream {
	uint64_t base;     /* stream offset of buf[0] (0 = first data byte seen) */
	uint32_t next_seq; /* next expected sequence number */
	uint32_t pend_seq; /* sequence number of pend[0] */
	uint16_t len;      /* bytes held in buf */
	uint16_t pend_len; /* bytes held in pend */
	uint8_t init;      /* next_seq known */
	uint8_t syn;       /* the direction began with a SYN (counts 1 in stream_size, as its ISN) */
	uint8_t pad_[2];
	uint8_t buf[SIG_STREAM_WIN];
	uint8_t pend[SIG_STREAM_PEND];
};
#define SIG_FP_PASSED 0x1
#define SIG_FP_DROPPED 0x2
#define SIG_FP_APP_ERROR 0x4               /* an app parser failed on this flow */
#define SIG_FP_TLS_CH 0x8                  /* ClientHello seen (parsed or given up) */
#define SIG_FP_TLS_SH 0x10                 /* ServerHello seen */
#define SIG_FP_HTTP_CAP 0x20               /* HTTP flow without a parser (cap hit) */
#define SIG_FP_TLS_CERT 0x40               /* server certificate parsed, given up or not expected */
#define SIG_FP2_TLS_LOGGED 0x1            /* the EVE tls record was written */
#define SIG_FP2_APP_NAMED 0x2             /* the core was told the flow's app_proto */
#define SIG_FP2_BANNER220 0x4             /* the server's data began "220 " (SMTP or FTP) */
#define SIG_FP2_BYPASS_VOTED 0x8          /* voted for the flow bypass (done with the flow) */
#define SIG_FP2_DNS_RESP 0x10             /* UDP DNS: a response was read */
#define SIG_FP_HANDSHAKE 0x80              /* the client's SYN was seen (not picked up mid-stream) */
struct sig_flowpriv {
	uint8_t flags;                      /* SIG_FP_* */
	uint8_t app;                        /* enum sig_app */
	uint8_t tries[2];                   /* data packets looked at for detection, by dir */
	uint8_t flags2;                     /* SIG_FP2_* */
	uint8_t pad_[3];
	struct sig_http_flow *http;         /* libhtp state (SIG_APP_HTTP only), freed at flow_end */
	struct sig_fbset fb;                /* flowbits set on this flow */
	struct sig_stream st[2];            /* by enum nw_dir */
};
_Static_assert(sizeof(struct sig_flowpriv) <= 4096, "flow_priv_size is limited to 4096");

/* what to inspect for one TCP segment */
struct sig_view {
	size_t pkt_min_end;  /* packet buffer: a match must end beyond this (0: anywhere) */
	int nothing_new;     /* retransmission of bytes already inspected */
	int overlap_diff;    /* the segment rewrites bytes already seen with other bytes */
	int ooo;             /* the segment lies beyond a gap */
	int has_stream;      /* a stream buffer was built */
	const uint8_t *sbuf; /* history + segment (+ held out-of-order data) */
	size_t slen;
	uint64_t sbase;      /* stream offset of sbuf[0] */
	size_t s_min_end;    /* stream buffer: a match must end beyond this */
};
#define SIG_SBUF_SIZE (SIG_STREAM_WIN + SIG_STREAM_PEND + 65536 + 64)
/* build the view of a segment before it is added (scratch: SIG_SBUF_SIZE bytes) */
void sig_stream_view(const struct sig_stream *s, const struct nw_pkt_info *pi, uint8_t *scratch,
		     struct sig_view *v);
/* the bytes the segment adds in order (call before sig_stream_update): 0..2 ranges */
unsigned sig_stream_new(const struct sig_stream *s, const struct nw_pkt_info *pi,
			const uint8_t *d[2], size_t n[2]);
/* the direction's data from its first byte through this segment, if still in view: 1 */
int sig_stream_head(const struct sig_stream *s, const struct nw_pkt_info *pi,
		    const struct sig_view *v, const uint8_t **p, size_t *n);
/* add the segment to the window after inspection */
void sig_stream_update(struct sig_stream *s, const struct nw_pkt_info *pi);

#endif /* SIG_H */
