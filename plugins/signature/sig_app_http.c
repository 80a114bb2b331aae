/* plugins/signature/sig_app_http.c: HTTP/1.x through libhtp: bounded per-flow parsers, transaction events, buffers. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <htp/htp.h>
#include "sig_app.h"

/*
 * Memory: libhtp allocates as it parses (transactions, headers, decompression); that is the
 * only allocation on the packet path and happens only for flows detected as HTTP, whose number
 * per worker is capped (max_parsers). Transactions are destroyed as soon as they complete
 * (tx_auto_destroy). Our own copies per flow are bounded: the body of the current request and
 * response (body_limit each, grown on demand) and their raw header blocks (header_limit each).
 *
 * Request header lines longer than SIG_HTTP_FIELD_MAX are cut to that length before libhtp
 * sees them (the rest of the line is skipped): libhtp would give up on the whole connection at
 * its field limit, this way the request stays inspectable and the transaction carries the
 * SIG_HTTP_EV_FIELD_TOO_LONG event.
 */

struct sig_http_worker {
	htp_cfg_t *cfg;
	unsigned n, max;
	size_t body_limit, header_limit;
};

struct sig_http_flow {
	struct sig_http_worker *w;
	htp_connp_t *connp;
	/* set while feeding */
	struct sig_appctx *ac;
	sig_http_event_cb cb;
	void *opaque;
	/* [0] request, [1] response of the current transaction of that direction */
	uint8_t *body[2], *raw[2];
	size_t body_len[2], body_cap[2], raw_len[2], raw_cap[2];
	uint8_t body_done[2]; /* the body stage event was given for the current transaction */
	int error;
	/* request side: the line being fed (header lines are cut at SIG_HTTP_FIELD_MAX) */
	size_t line_len;      /* bytes of the current line fed so far */
	uint8_t line_state;   /* 0 counting, 1 skipping the rest of a cut line, 2 a long line
			       * that is not a header (request line, body): fed as it is */
	unsigned long_fields; /* header lines cut since sig_http_take_long_fields */
};

static struct sig_http_flow *sig_hf(const htp_tx_t *tx)
{
	return tx && tx->connp ? htp_connp_get_user_data(tx->connp) : NULL;
}

/* append within limit (allocation grows by doubling) */
static void sig_hf_append(uint8_t **buf, size_t *len, size_t *cap, size_t limit, const uint8_t *d,
			  size_t n)
{
	if (*len >= limit || !n)
		return;
	if (n > limit - *len)
		n = limit - *len;
	if (*len + n > *cap) {
		size_t nc = *cap ? *cap : 1024;
		uint8_t *nb;
		while (nc < *len + n)
			nc *= 2;
		if (nc > limit)
			nc = limit;
		nb = realloc(*buf, nc);
		if (!nb)
			return;
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, d, n);
	*len += n;
}

/* give cb the event context of tx at stage */
static void sig_hf_call(struct sig_http_flow *f, htp_tx_t *tx, uint8_t stage,
			struct sig_appctx *ac, sig_http_event_cb cb, void *opaque)
{
	sig_appctx_reset(ac);
	ac->app = SIG_APP_HTTP;
	ac->stage = stage;
	ac->tx = tx;
	ac->hf = f;
	ac->dns = NULL;
	ac->tls = NULL;
	ac->cert = NULL;
	cb(opaque, ac);
	ac->tx = NULL;
}

static void sig_hf_event(htp_tx_t *tx, uint8_t stage)
{
	struct sig_http_flow *f = sig_hf(tx);

	if (f && f->ac && f->cb)
		sig_hf_call(f, tx, stage, f->ac, f->cb, f->opaque);
}

static int sig_cb_req_start(htp_tx_t *tx)
{
	struct sig_http_flow *f = sig_hf(tx);

	if (f) {
		f->body_len[0] = f->raw_len[0] = 0;
		f->body_done[0] = 0;
	}
	return HTP_OK;
}

static int sig_cb_res_start(htp_tx_t *tx)
{
	struct sig_http_flow *f = sig_hf(tx);

	if (f) {
		f->body_len[1] = f->raw_len[1] = 0;
		f->body_done[1] = 0;
	}
	return HTP_OK;
}

static int sig_cb_hdr_data(htp_tx_data_t *d, int side)
{
	struct sig_http_flow *f = sig_hf(d->tx);

	if (f && d->data)
		sig_hf_append(&f->raw[side], &f->raw_len[side], &f->raw_cap[side],
			      f->w->header_limit, d->data, d->len);
	return HTP_OK;
}

static int sig_cb_req_hdr_data(htp_tx_data_t *d)
{
	return sig_cb_hdr_data(d, 0);
}

static int sig_cb_res_hdr_data(htp_tx_data_t *d)
{
	return sig_cb_hdr_data(d, 1);
}

/* in the transaction's user data next to its SIG_HTTP_EV_* flags: its response body stage was
 * given (its EVE http record made), so sig_http_pending leaves it */
#define SIG_HTTP_TX_RESP_STAGED 0x80000000u

/* the body stage: at the end of the body (libhtp passes NULL data) or when the limit is
 * reached, whichever is first; else at transaction completion */
static void sig_body_stage(htp_tx_t *tx, int side)
{
	struct sig_http_flow *f = sig_hf(tx);

	if (!f || f->body_done[side])
		return;
	f->body_done[side] = 1;
	if (side)
		htp_tx_set_user_data(tx, (void *)((uintptr_t)htp_tx_get_user_data(tx) |
						  SIG_HTTP_TX_RESP_STAGED));
	sig_hf_event(tx, side ? SIG_ST_RESP_BODY : SIG_ST_REQ_BODY);
}

static int sig_cb_body(htp_tx_data_t *d, int side)
{
	struct sig_http_flow *f = sig_hf(d->tx);

	if (!f)
		return HTP_OK;
	if (d->data)
		sig_hf_append(&f->body[side], &f->body_len[side], &f->body_cap[side],
			      f->w->body_limit, d->data, d->len);
	if (!d->data || f->body_len[side] >= f->w->body_limit)
		sig_body_stage(d->tx, side);
	return HTP_OK;
}

static int sig_cb_req_body(htp_tx_data_t *d)
{
	return sig_cb_body(d, 0);
}

static int sig_cb_res_body(htp_tx_data_t *d)
{
	return sig_cb_body(d, 1);
}

static int sig_cb_req_headers(htp_tx_t *tx)
{
	sig_hf_event(tx, SIG_ST_REQ_HEADERS);
	return HTP_OK;
}

static int sig_cb_req_complete(htp_tx_t *tx)
{
	sig_body_stage(tx, 0);
	return HTP_OK;
}

static int sig_cb_res_headers(htp_tx_t *tx)
{
	sig_hf_event(tx, SIG_ST_RESP_HEADERS);
	return HTP_OK;
}

static int sig_cb_res_complete(htp_tx_t *tx)
{
	sig_body_stage(tx, 1);
	return HTP_OK;
}

struct sig_http_worker *sig_http_worker_new(const struct sig_http_conf *c)
{
	struct sig_http_worker *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->max = c->max_parsers;
	w->body_limit = c->body_limit;
	w->header_limit = c->header_limit;
	w->cfg = htp_config_create();
	if (!w->cfg) {
		free(w);
		return NULL;
	}
	htp_config_set_server_personality(w->cfg, HTP_SERVER_IDS);
	htp_config_set_tx_auto_destroy(w->cfg, 1);
	htp_config_set_response_decompression(w->cfg, 1);
	htp_config_set_request_decompression(w->cfg, 1);
	htp_config_set_response_decompression_layer_limit(w->cfg, 2);
	htp_config_set_compression_bomb_limit(w->cfg, c->body_limit * 4 > 1048576 ? c->body_limit * 4
										    : 1048576);
	/* a header line reaches libhtp cut to SIG_HTTP_FIELD_MAX; libhtp's own limit counts the
	 * line being buffered plus the previous header (kept for folding) */
	htp_config_set_field_limits(w->cfg, 9000, 2 * SIG_HTTP_FIELD_MAX + 4096);
	htp_config_set_number_headers_limit(w->cfg, 1024);
	htp_config_set_log_level(w->cfg, HTP_LOG_NONE);
	htp_config_register_request_start(w->cfg, sig_cb_req_start);
	htp_config_register_response_start(w->cfg, sig_cb_res_start);
	htp_config_register_request_header_data(w->cfg, sig_cb_req_hdr_data);
	htp_config_register_response_header_data(w->cfg, sig_cb_res_hdr_data);
	htp_config_register_request_body_data(w->cfg, sig_cb_req_body);
	htp_config_register_response_body_data(w->cfg, sig_cb_res_body);
	htp_config_register_request_headers(w->cfg, sig_cb_req_headers);
	htp_config_register_request_complete(w->cfg, sig_cb_req_complete);
	htp_config_register_response_headers(w->cfg, sig_cb_res_headers);
	htp_config_register_response_complete(w->cfg, sig_cb_res_complete);
	return w;
}

void sig_http_worker_free(struct sig_http_worker *w)
{
	if (!w)
		return;
	htp_config_destroy(w->cfg);
	free(w);
}

unsigned sig_http_worker_active(const struct sig_http_worker *w)
{
	return w ? w->n : 0;
}

struct sig_http_flow *sig_http_flow_new(struct sig_http_worker *w)
{
	struct sig_http_flow *f;

	if (!w || w->n >= w->max)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->w = w;
	f->connp = htp_connp_create(w->cfg);
	if (!f->connp) {
		free(f);
		return NULL;
	}
	htp_connp_set_user_data(f->connp, f);
	htp_connp_open(f->connp, NULL, 0, NULL, 0, NULL);
	w->n++;
	return f;
}

void sig_http_flow_free(struct sig_http_flow *f)
{
	if (!f)
		return;
	f->cb = NULL; /* no events while tearing down */
	f->ac = NULL;
	htp_connp_destroy_all(f->connp);
	for (int i = 0; i < 2; i++) {
		free(f->body[i]);
		free(f->raw[i]);
	}
	f->w->n--;
	free(f);
}

/* the end of the request bytes libhtp may take in one go: n, or where the current line reaches
 * SIG_HTTP_FIELD_MAX (and f->line_len as it will be after d[0 .. end)) */
static size_t sig_req_scan(struct sig_http_flow *f, const uint8_t *d, size_t n, size_t *line)
{
	size_t j = 0, l = f->line_len;

	while (j < n) {
		const uint8_t *lf = memchr(d + j, '\n', n - j);
		size_t end = lf ? (size_t)(lf - d) : n;
		if (f->line_state != 2 && l + (end - j) > SIG_HTTP_FIELD_MAX) {
			*line = SIG_HTTP_FIELD_MAX;
			return j + (SIG_HTTP_FIELD_MAX - l);
		}
		if (!lf) {
			l += end - j;
			break;
		}
		l = 0;
		f->line_state = 0;
		j = end + 1;
	}
	*line = l;
	return n;
}

/* request bytes to libhtp, over-long header lines cut */
static int sig_req_feed(struct sig_http_flow *f, struct timeval *tv, const uint8_t *d, size_t n)
{
	int rc = HTP_STREAM_DATA;

	while (n && rc == HTP_STREAM_DATA) {
		size_t cut, line;
		if (f->line_state == 1) { /* skip to the end of the cut line */
			const uint8_t *lf = memchr(d, '\n', n);
			if (!lf)
				return rc;
			n -= (size_t)(lf - d);
			d = lf; /* its LF ends the cut line */
			f->line_state = 0;
			f->line_len = 0;
		}
		cut = sig_req_scan(f, d, n, &line);
		rc = htp_connp_req_data(f->connp, tv, d, cut);
		f->line_len = line;
		if (cut == n)
			break;
		d += cut;
		n -= cut;
		/* a header line (the transaction is reading headers) is cut; anything else is not
		 * ours to cut (libhtp applies its own limit to a request line) */
		{
			htp_tx_t *tx = htp_connp_get_in_tx(f->connp);
			if (tx && tx->request_progress == HTP_REQUEST_HEADERS) {
				uintptr_t ev = (uintptr_t)htp_tx_get_user_data(tx);
				htp_tx_set_user_data(tx, (void *)(ev | SIG_HTTP_EV_FIELD_TOO_LONG));
				f->long_fields++;
				f->line_state = 1;
			} else {
				f->line_state = 2;
			}
		}
	}
	return rc;
}

unsigned sig_http_take_long_fields(struct sig_http_flow *f)
{
	unsigned n = f ? f->long_fields : 0;

	if (f)
		f->long_fields = 0;
	return n;
}

int sig_http_events(const struct sig_appctx *ac, uint32_t *v)
{
	if (!ac->tx)
		return 0;
	*v = (uint32_t)(uintptr_t)htp_tx_get_user_data(ac->tx) & ~SIG_HTTP_TX_RESP_STAGED;
	return 1;
}

int sig_http_feed(struct sig_http_flow *f, int to_client, const uint8_t *d, size_t n,
		  uint64_t ts_ns, struct sig_appctx *ac, sig_http_event_cb cb, void *opaque)
{
	struct timeval tv = { (time_t)(ts_ns / 1000000000u), (suseconds_t)(ts_ns % 1000000000u / 1000) };
	int rc;

	if (f->error)
		return f->error == 2 ? 1 : -1;
	if (!n)
		return 0;
	f->ac = ac;
	f->cb = cb;
	f->opaque = opaque;
	if (to_client)
		rc = htp_connp_res_data(f->connp, &tv, d, n);
	else
		rc = sig_req_feed(f, &tv, d, n);
	f->ac = NULL;
	f->cb = NULL;
	if (rc == HTP_STREAM_ERROR) {
		f->error = 1;
		return -1;
	}
	if (rc == HTP_STREAM_TUNNEL || rc == HTP_STREAM_CLOSED) {
		f->error = 2; /* nothing more to parse (CONNECT tunnel): not an error */
		return 1;
	}
	return 0;
}

void sig_http_close(struct sig_http_flow *f, uint64_t ts_ns, struct sig_appctx *ac,
		    sig_http_event_cb cb, void *opaque)
{
	struct timeval tv = { (time_t)(ts_ns / 1000000000u), (suseconds_t)(ts_ns % 1000000000u / 1000) };

	if (f->error)
		return;
	f->ac = ac;
	f->cb = cb;
	f->opaque = opaque;
	htp_connp_close(f->connp, &tv);
	f->ac = NULL;
	f->cb = NULL;
	f->error = 2;
}

void sig_http_pending(struct sig_http_flow *f, struct sig_appctx *ac, sig_http_event_cb cb,
		      void *opaque)
{
	htp_conn_t *conn = f ? htp_connp_get_connection(f->connp) : NULL;

	/* complete transactions were destroyed (tx auto-destroy); one whose response body stage
	 * came (at the body limit) already has its record */
	for (size_t i = 0, n = conn ? htp_list_size(conn->transactions) : 0; i < n; i++) {
		htp_tx_t *tx = htp_list_get(conn->transactions, i);

		if (!tx || tx->request_progress < HTP_REQUEST_HEADERS ||
		    tx->response_progress == HTP_RESPONSE_COMPLETE ||
		    ((uintptr_t)htp_tx_get_user_data(tx) & SIG_HTTP_TX_RESP_STAGED))
			continue;
		sig_hf_call(f, tx,
			    tx->response_progress > HTP_RESPONSE_HEADERS ? SIG_ST_RESP_HEADERS
									 : SIG_ST_REQ_BODY,
			    ac, cb, opaque);
	}
}

int sig_http_failed(const struct sig_http_flow *f)
{
	return f && f->error == 1;
}

/* ---- buffers ---- */

static int sig_bstr(const bstr *b, const uint8_t **p, size_t *len)
{
	if (!b)
		return 0;
	*p = bstr_ptr(b);
	*len = bstr_len(b);
	return 1;
}

static const htp_header_t *sig_hdr_find(const htp_table_t *t, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0, n = t ? htp_table_size(t) : 0; i < n; i++) {
		const htp_header_t *h = htp_table_get_index(t, i, NULL);
		if (h && h->name && bstr_len(h->name) == nl &&
		    !strncasecmp((const char *)bstr_ptr(h->name), name, nl))
			return h;
	}
	return NULL;
}

static int sig_hdr_value(const htp_table_t *t, const char *name, const uint8_t **p, size_t *len)
{
	const htp_header_t *h = sig_hdr_find(t, name);

	return h ? sig_bstr(h->value, p, len) : 0;
}

/* composing in the event's arena */
struct sig_comp {
	struct sig_appctx *ac;
	uint8_t *start;
	size_t n;
};

static void sig_comp_begin(struct sig_comp *c, struct sig_appctx *ac)
{
	c->ac = ac;
	c->start = ac->arena + ac->arena_used;
	c->n = 0;
}

static void sig_comp_put(struct sig_comp *c, const void *d, size_t n)
{
	size_t room = SIG_ARENA_SIZE - c->ac->arena_used - c->n;

	if (n > room) {
		n = room;
		c->ac->arena_full = 1; /* counted (http_buffer_truncated): not a silent miss */
	}
	memcpy(c->start + c->n, d, n);
	c->n += n;
}

static void sig_comp_bstr(struct sig_comp *c, const bstr *b)
{
	if (b)
		sig_comp_put(c, bstr_ptr(b), bstr_len(b));
}

static int sig_comp_end(struct sig_comp *c, const uint8_t **p, size_t *len)
{
	*p = c->start;
	*len = c->n;
	c->ac->arena_used += c->n;
	return 1;
}

static int sig_http_uri_norm(struct sig_appctx *ac, htp_tx_t *tx, const uint8_t **p, size_t *len)
{
	struct sig_comp c;
	const htp_uri_t *u = tx->parsed_uri;

	if (!u || !u->path)
		return sig_bstr(tx->request_uri, p, len);
	sig_comp_begin(&c, ac);
	sig_comp_bstr(&c, u->path);
	if (u->query) {
		sig_comp_put(&c, "?", 1);
		sig_comp_bstr(&c, u->query);
	}
	if (u->fragment) {
		sig_comp_put(&c, "#", 1);
		sig_comp_bstr(&c, u->fragment);
	}
	return sig_comp_end(&c, p, len);
}

int sig_http_urilen(struct sig_appctx *ac, int raw, uint32_t *v)
{
	const uint8_t *p;
	size_t len;
	int ok;

	if (!ac->tx)
		return 0;
	ok = raw ? sig_app_buffer(ac, SIG_BUF_HTTP_URI_RAW, 0, 0, &p, &len)
		 : sig_app_buffer(ac, SIG_BUF_HTTP_URI, 0, 0, &p, &len);
	if (!ok)
		return 0;
	*v = (uint32_t)len;
	return 1;
}

int sig_http_buffer(struct sig_appctx *ac, unsigned buf, int resp, unsigned idx,
		    const uint8_t **p, size_t *len)
{
	htp_tx_t *tx = ac->tx;
	struct sig_http_flow *f = ac->hf;
	const htp_table_t *hdrs;
	struct sig_comp c;

	if (!tx || !f)
		return 0;
	if (resp && ac->stage < SIG_ST_RESP_HEADERS)
		return 0;
	hdrs = resp ? tx->response_headers : tx->request_headers;
	switch (buf) {
	case SIG_BUF_HTTP_METHOD:
		return sig_bstr(tx->request_method, p, len);
	case SIG_BUF_HTTP_URI:
		return sig_http_uri_norm(ac, tx, p, len);
	case SIG_BUF_HTTP_URI_RAW:
		return sig_bstr(tx->request_uri, p, len);
	case SIG_BUF_HTTP_HOST: {
		/* libhtp's hostname, else the Host header: lower case, without the port */
		const uint8_t *h;
		size_t hl, k;
		if (!sig_bstr(tx->request_hostname, &h, &hl) &&
		    !sig_hdr_value(tx->request_headers, "Host", &h, &hl))
			return 0;
		if (hl && h[0] != '[')
			for (k = 0; k < hl; k++)
				if (h[k] == ':') {
					hl = k;
					break;
				}
		while (hl && h[hl - 1] == ' ')
			hl--;
		sig_comp_begin(&c, ac);
		for (k = 0; k < hl; k++) {
			uint8_t lc = sig_lower[h[k]];
			sig_comp_put(&c, &lc, 1);
		}
		return sig_comp_end(&c, p, len);
	}
	case SIG_BUF_HTTP_HOST_RAW:
		return sig_hdr_value(tx->request_headers, "Host", p, len);
	case SIG_BUF_HTTP_UA:
		return sig_hdr_value(tx->request_headers, "User-Agent", p, len);
	case SIG_BUF_HTTP_REFERER:
		return sig_hdr_value(tx->request_headers, "Referer", p, len);
	case SIG_BUF_HTTP_ACCEPT:
		return sig_hdr_value(tx->request_headers, "Accept", p, len);
	case SIG_BUF_HTTP_ACCEPT_ENC:
		return sig_hdr_value(tx->request_headers, "Accept-Encoding", p, len);
	case SIG_BUF_HTTP_ACCEPT_LANG:
		return sig_hdr_value(tx->request_headers, "Accept-Language", p, len);
	case SIG_BUF_HTTP_CONNECTION:
		return sig_hdr_value(hdrs, "Connection", p, len);
	case SIG_BUF_HTTP_COOKIE:
		return sig_hdr_value(hdrs, resp ? "Set-Cookie" : "Cookie", p, len);
	case SIG_BUF_HTTP_CONTENT_TYPE:
		return sig_hdr_value(hdrs, "Content-Type", p, len);
	case SIG_BUF_HTTP_CONTENT_LEN:
		return sig_hdr_value(hdrs, "Content-Length", p, len);
	case SIG_BUF_HTTP_SERVER:
		return sig_hdr_value(tx->response_headers, "Server", p, len);
	case SIG_BUF_HTTP_LOCATION:
		return sig_hdr_value(tx->response_headers, "Location", p, len);
	case SIG_BUF_HTTP_REQUEST_LINE:
		return sig_bstr(tx->request_line, p, len);
	case SIG_BUF_HTTP_RESPONSE_LINE:
		return sig_bstr(tx->response_line, p, len);
	case SIG_BUF_HTTP_STAT_CODE:
		return sig_bstr(tx->response_status, p, len);
	case SIG_BUF_HTTP_STAT_MSG:
		return sig_bstr(tx->response_message, p, len);
	case SIG_BUF_HTTP_PROTOCOL:
		return sig_bstr(resp ? tx->response_protocol : tx->request_protocol, p, len);
	case SIG_BUF_HTTP_REQUEST_BODY:
	case SIG_BUF_HTTP_RESPONSE_BODY:
	case SIG_BUF_FILE_DATA: {
		int side = buf == SIG_BUF_HTTP_REQUEST_BODY ? 0 : buf == SIG_BUF_HTTP_RESPONSE_BODY ? 1
											   : resp;
		if (!f->body_len[side])
			return 0;
		*p = f->body[side];
		*len = f->body_len[side];
		return 1;
	}
	case SIG_BUF_HTTP_HEADER_RAW:
		if (!f->raw_len[resp])
			return 0;
		*p = f->raw[resp];
		*len = f->raw_len[resp];
		return 1;
	case SIG_BUF_HTTP_START:
		sig_comp_begin(&c, ac);
		sig_comp_bstr(&c, resp ? tx->response_line : tx->request_line);
		sig_comp_put(&c, "\r\n", 2);
		if (f->raw_len[resp])
			sig_comp_put(&c, f->raw[resp], f->raw_len[resp]);
		return sig_comp_end(&c, p, len);
	case SIG_BUF_HTTP_HEADER:
	case SIG_BUF_HTTP_HEADER_NAMES: {
		size_t n = hdrs ? htp_table_size(hdrs) : 0;
		if (!n)
			return 0;
		sig_comp_begin(&c, ac);
		if (buf == SIG_BUF_HTTP_HEADER_NAMES)
			sig_comp_put(&c, "\r\n", 2);
		for (size_t i = 0; i < n; i++) {
			const htp_header_t *h = htp_table_get_index(hdrs, i, NULL);
			if (!h)
				continue;
			sig_comp_bstr(&c, h->name);
			if (buf == SIG_BUF_HTTP_HEADER) {
				sig_comp_put(&c, ": ", 2);
				sig_comp_bstr(&c, h->value);
			}
			sig_comp_put(&c, "\r\n", 2);
		}
		if (buf == SIG_BUF_HTTP_HEADER_NAMES)
			sig_comp_put(&c, "\r\n", 2);
		return sig_comp_end(&c, p, len);
	}
	case SIG_BUF_HTTP_REQ_HEADER:
	case SIG_BUF_HTTP_RESP_HEADER: {
		const htp_table_t *t = buf == SIG_BUF_HTTP_REQ_HEADER ? tx->request_headers
								       : tx->response_headers;
		const htp_header_t *h;
		if (!t || idx >= htp_table_size(t) || !(h = htp_table_get_index(t, idx, NULL)))
			return 0;
		sig_comp_begin(&c, ac);
		sig_comp_bstr(&c, h->name);
		sig_comp_put(&c, ": ", 2);
		sig_comp_bstr(&c, h->value);
		return sig_comp_end(&c, p, len);
	}
	default:
		return 0;
	}
}

int sig_http_resp_len(const struct sig_appctx *ac, uint64_t *len)
{
	const htp_tx_t *tx = ac->tx;

	if (!tx || ac->stage < SIG_ST_RESP_HEADERS || tx->response_message_len < 0)
		return 0;
	*len = (uint64_t)tx->response_message_len;
	return 1;
}
