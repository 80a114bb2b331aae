/* plugins/signature/sig_app.h: application layer: detection, HTTP (libhtp), DNS and TLS parsers, buffers. */
#ifndef SIG_APP_H
#define SIG_APP_H

#include "sig.h"
#include "sig_crypto.h"

/* ---- buffers ---- */
struct sig_bufinfo {
	const char *name;   /* Suricata 5+ sticky buffer name */
	uint8_t app;        /* enum sig_app */
	uint8_t stage_req;  /* stage when inspected on the request (or the only) side */
	uint8_t stage_resp; /* stage when inspected on the response side (direction-dependent) */
	uint8_t dirdep;     /* request or response side by the rule's flow direction */
	uint8_t multi;      /* several instances (each inspected) */
};
const struct sig_bufinfo *sig_buf_info(unsigned buf);

/* ---- DNS (sig_app_dns.c) ---- */
#define SIG_DNS_MAX_NAMES 8
#define SIG_DNS_NAME_MAX 256
struct sig_dns_msg {
	uint16_t id;
	uint8_t qr, opcode, rcode;
	uint8_t n_q, n_an;
	uint16_t flags;                     /* the header's second 16 bits (EVE "flags") */
	uint16_t qtype[SIG_DNS_MAX_NAMES];
	uint16_t qlen[SIG_DNS_MAX_NAMES], anlen[SIG_DNS_MAX_NAMES];
	char q[SIG_DNS_MAX_NAMES][SIG_DNS_NAME_MAX];
	char an[SIG_DNS_MAX_NAMES][SIG_DNS_NAME_MAX];
	uint16_t antype[SIG_DNS_MAX_NAMES]; /* answer record types */
	uint32_t anttl[SIG_DNS_MAX_NAMES];
	char andata[SIG_DNS_MAX_NAMES][SIG_DNS_NAME_MAX]; /* A/AAAA as text, CNAME/NS/PTR names,
							   * "" for other types */
};
/* parse one DNS message; 0 ok, -1 malformed (never reads past n) */
int sig_dns_parse(const uint8_t *p, size_t n, struct sig_dns_msg *out);
/* does p look like a DNS message (header sanity + questions parse) */
int sig_dns_sane(const uint8_t *p, size_t n);

/* ---- TLS (sig_app_tls.c) ---- */
#define SIG_TLS_SNI_MAX 256
#define SIG_JA3_MAX 2048
struct sig_tls_hello {
	uint8_t type;        /* 1 ClientHello, 2 ServerHello */
	uint16_t version;    /* legacy version, or the highest supported_versions entry */
	uint16_t sni_len;
	uint16_t ja3_len;
	char sni[SIG_TLS_SNI_MAX];
	char ja3[SIG_JA3_MAX]; /* JA3 (client) or JA3S (server) string */
	char ja3_hash[33];
};
/* parse a ClientHello/ServerHello from the start of a TLS stream:
 * 1 parsed, 0 incomplete (more data needed), -1 not TLS / malformed */
int sig_tls_parse(const uint8_t *p, size_t n, struct sig_tls_hello *out);
/* 1 if p starts like a TLS handshake record (hello), 0 undecided (short), -1 no */
int sig_tls_sane(const uint8_t *p, size_t n);

/* the server's first certificate (TLS <= 1.2), as Suricata formats its fields */
#define SIG_CERT_NAME_MAX 1024
struct sig_tls_cert {
	uint16_t subject_len, issuer_len, serial_len, fingerprint_len;
	char subject[SIG_CERT_NAME_MAX]; /* "C=NL, O=Org, CN=host" in certificate order */
	char issuer[SIG_CERT_NAME_MAX];
	char serial[3 * 64];             /* "0A:1B:..." upper-case hex of the INTEGER's bytes */
	char fingerprint[60];            /* "ab:cd:..." SHA-1 of the DER, lower-case hex */
};
/* the server's certificate chain (tls.certs): the handshake bytes gathered from its records
 * and where each complete DER certificate lies in them */
#define SIG_CERT_HS_MAX 16384   /* handshake bytes gathered looking for the certificates */
#define SIG_CERT_CHAIN_MAX 8    /* certificates of a chain kept */
struct sig_tls_chain {
	unsigned n;                          /* complete certificates in hs */
	uint16_t off[SIG_CERT_CHAIN_MAX];    /* offset of each DER certificate in hs */
	uint16_t len[SIG_CERT_CHAIN_MAX];    /* its length */
	uint8_t hs[SIG_CERT_HS_MAX];         /* the gathered handshake bytes */
};
/* the Certificate message in the server's TLS stream from its start (ServerHello first): the
 * first certificate decoded into out, the chain's DER certificates located in chain. Waits for
 * the whole message unless last (the stream's start leaves view after these bytes), then takes
 * the certificates complete so far. 1 parsed, 0 incomplete (more data needed), -1 none or
 * malformed. */
int sig_tls_cert_parse(const uint8_t *p, size_t n, int last, struct sig_tls_cert *out,
		       struct sig_tls_chain *chain);
/* one DER certificate (libcrypto's d2i_X509; bytes after it are ignored): 0 ok, -1 malformed
 * or out of arena. On a worker: inside a sig_crypto window. */
int sig_x509_parse(const uint8_t *der, size_t n, struct sig_tls_cert *out);

/* ---- detection (sig_app.c) ---- */
/* data from the start of one direction of a flow: SIG_APP_HTTP/DNS/TLS, SIG_APP_NONE when
 * undecided (too short), SIG_APP_UNKNOWN when it is none of them */
uint8_t sig_app_detect(const uint8_t *p, size_t n, int tcp);
/* TCP data from the start of one direction, also SMB (NetBIOS session message holding
 * \xffSMB, \xfeSMB or \xfdSMB), SMTP and FTP: a server's banner "220 " or "220-" (then
 * *banner_seen is set and the result is undecided: the client's first command tells, EHLO/HELO
 * SMTP, USER/PASS/AUTH FTP, when banner says a banner was seen before); else sig_app_detect */
uint8_t sig_app_detect_tcp(const uint8_t *p, size_t n, int to_client, int banner,
			   int *banner_seen);
/* the protocol's name as Suricata writes app_proto ("failed" for SIG_APP_UNKNOWN), NULL none */
const char *sig_app_proto_name(uint8_t app);

/* ---- HTTP (sig_app_http.c) ---- */
struct sig_http_conf {
	unsigned max_parsers;  /* concurrent connection parsers per worker */
	size_t body_limit;     /* body bytes kept per direction and transaction */
	size_t header_limit;   /* raw header bytes kept per direction and transaction */
};
struct sig_http_worker;
struct sig_http_worker *sig_http_worker_new(const struct sig_http_conf *c);
void sig_http_worker_free(struct sig_http_worker *w);
unsigned sig_http_worker_active(const struct sig_http_worker *w);
/* a parser for a new HTTP flow; NULL when the cap is reached (or no memory) */
struct sig_http_flow *sig_http_flow_new(struct sig_http_worker *w);
void sig_http_flow_free(struct sig_http_flow *f);
/* the parser stopped on an error (not a tunnel) */
int sig_http_failed(const struct sig_http_flow *f);
/* an event for each stage a transaction reaches while parsing */
typedef void (*sig_http_event_cb)(void *opaque, struct sig_appctx *ac);
/* feed in-order bytes of one direction; 0, 1 when there is nothing more to parse (a CONNECT
 * tunnel), -1 when the parser failed; after 1 or -1 the flow parser should be freed */
int sig_http_feed(struct sig_http_flow *f, int to_client, const uint8_t *d, size_t n,
		  uint64_t ts_ns, struct sig_appctx *ac, sig_http_event_cb cb, void *opaque);
/* the server closed its side (an in-order FIN): a response whose body runs to the close
 * (HTTP/1.0, no Content-Length) ends, and its body and completion events run; nothing is parsed
 * after it (later feeds return 1) */
void sig_http_close(struct sig_http_flow *f, uint64_t ts_ns, struct sig_appctx *ac,
		    sig_http_event_cb cb, void *opaque);
/* each transaction whose request line was read but whose response never ended (no answer,
 * the flow ended or was dropped first), for its EVE http record; no rules run */
void sig_http_pending(struct sig_http_flow *f, struct sig_appctx *ac, sig_http_event_cb cb,
		      void *opaque);
/* HTTP buffer instance (used by sig_app_buffer) */
int sig_http_buffer(struct sig_appctx *ac, unsigned buf, int resp, unsigned idx,
		    const uint8_t **p, size_t *len);
int sig_http_urilen(struct sig_appctx *ac, int raw, uint32_t *v);
/* the response body length of the event's transaction so far; 1 if it has a response */
int sig_http_resp_len(const struct sig_appctx *ac, uint64_t *len);
/* request header lines longer than this are cut (the transaction gets the event below) */
#define SIG_HTTP_FIELD_MAX 16384
#define SIG_HTTP_EV_FIELD_TOO_LONG 0x1 /* app-layer-event:http.request_field_too_long */
/* the event's transaction's SIG_HTTP_EV_* flags; 1 if there is a transaction */
int sig_http_events(const struct sig_appctx *ac, uint32_t *v);
/* header lines cut on the flow since the last call (for a counter) */
unsigned sig_http_take_long_fields(struct sig_http_flow *f);

/* ---- an application event being inspected ---- */
#define SIG_ARENA_SIZE 65536
struct sig_appctx {
	uint8_t app, stage;
	void *tx;                     /* htp_tx_t * */
	struct sig_http_flow *hf;
	const struct sig_dns_msg *dns;
	const struct sig_tls_hello *tls;
	const struct sig_tls_cert *cert; /* SIG_ST_TLS_CERT events */
	const struct sig_tls_chain *chain; /* SIG_ST_TLS_CERT events: the DER certificates */
	/* per-worker scratch: composed buffers and a cache of them for this event */
	uint8_t *arena;               /* SIG_ARENA_SIZE */
	size_t arena_used;
	int arena_full;               /* a composed buffer was cut short in this event */
	struct {
		const uint8_t *p;
		uint32_t len;
		uint8_t state;        /* 0 unknown, 1 present, 2 absent */
	} cache[SIG_BUF_MAX][2];
	uint8_t *xf[2];               /* transform scratch, xf_size each */
	size_t xf_size;
	pcre2_match_data *md;         /* pcrexform (the worker's) */
	pcre2_match_context *mc;
};
/* forget the cached buffers (a new event) */
void sig_appctx_reset(struct sig_appctx *ac);
/* instance idx of a buffer (resp: the response side of a direction-dependent buffer); 1 if it
 * exists */
int sig_app_buffer(struct sig_appctx *ac, unsigned buf, int resp, unsigned idx,
		   const uint8_t **p, size_t *len);
/* a numeric field (enum sig_appval), instance idx; 1 if it exists */
int sig_app_value(struct sig_appctx *ac, unsigned field, unsigned idx, uint32_t *v);
/* apply a list's transforms to in/n; returns the result (in itself, or one of ac->xf) */
const uint8_t *sig_xform_apply(struct sig_appctx *ac, const struct sig_list *l, const uint8_t *in,
			       size_t n, size_t *outlen);

/* ---- EVE objects (sig_eve.c), with Suricata's field names ---- */
/* what a TLS flow showed so far, kept per worker by flow id until its record is written */
#define SIG_TLS_META_JA3 1024
struct sig_tls_meta {
	uint64_t flow_id;               /* 0: free */
	uint16_t cver, sver;            /* ClientHello / ServerHello version (0: not seen) */
	uint16_t sni_len, ja3_len, ja3s_len;
	char sni[SIG_TLS_SNI_MAX];
	char ja3[SIG_TLS_META_JA3], ja3_hash[33];
	char ja3s[SIG_TLS_META_JA3], ja3s_hash[33];
};
/* remember a hello in m */
void sig_tls_meta_note(struct sig_tls_meta *m, const struct sig_tls_hello *h);
/* "http": {hostname, url, http_user_agent, http_content_type, http_refer, http_method,
 * protocol, status, length} of the event's transaction */
void sig_eve_http(struct nw_event *ev, struct sig_appctx *ac);
/* an alert's "dns": {"query": [...]} or {"answer": {...}} (Suricata 7) */
void sig_eve_dns_alert(struct nw_event *ev, const struct sig_dns_msg *m);
/* a dns record: "dns": question q of a query, or the answer (version 2) of a response */
void sig_eve_dns_record(struct nw_event *ev, const struct sig_dns_msg *m, unsigned q);
/* "tls": {subject, issuerdn, serial, fingerprint, sni, version, ja3, ja3s} (cert: NULL if none) */
void sig_eve_tls(struct nw_event *ev, const struct sig_tls_meta *m, const struct sig_tls_cert *cert);

#endif /* SIG_APP_H */
