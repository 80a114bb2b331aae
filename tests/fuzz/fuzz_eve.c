/* libFuzzer round trip for the EVE writer: event from fuzz bytes -> JSON line -> strict parse -> same strings. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond)                                                                  \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "fuzz_eve: check failed at line %d: %s\n", __LINE__, \
				#cond);                                                 \
			abort();                                                        \
		}                                                                       \
	} while (0)

/* ---- UTF-8, written independently of core/eve.c: decode the code point and check its range ---- */

/* Length of the valid UTF-8 character at s, or 0. */
static size_t fz_utf8_char(const uint8_t *s, size_t n, uint32_t *cp_out)
{
	uint32_t cp, min;
	size_t len;

	if (s[0] < 0x80) {
		len = 1;
		cp = s[0];
		min = 0;
	} else if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp_out)
		*cp_out = cp;
	return len;
}

static size_t fz_utf8_put(uint8_t *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (uint8_t)(0xc0 | cp >> 6);
		o[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (uint8_t)(0xe0 | cp >> 12);
		o[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (uint8_t)(0xf0 | cp >> 18);
	o[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/* ---- a strict JSON parser for what the writer emits: objects, strings, numbers ---- */

enum { FZ_STR = 1, FZ_NUM = 2, FZ_OBJ = 3 };

/* One member as parsed (or as expected): key and value point into an arena. */
struct fz_member {
	int depth; /* 1 = top level */
	int kind;  /* FZ_* */
	const uint8_t *key;
	size_t klen;
	const uint8_t *val; /* string (decoded) or number text; unused for objects */
	size_t vlen;
};

#define FZ_MAX_MEMBERS 64
#define FZ_ARENA (1u << 18)

struct fz_list {
	struct fz_member m[FZ_MAX_MEMBERS];
	size_t n;
	uint8_t arena[FZ_ARENA];
	size_t used;
};

static struct fz_list got, want;

struct fz_parser {
	const uint8_t *p, *end;
	struct fz_list *out;
};

/* Decode a JSON string at ps->p (at its opening quote) into the arena; 0 on success. */
static int fz_parse_string(struct fz_parser *ps, const uint8_t **sp, size_t *sl)
{
	struct fz_list *l = ps->out;
	uint8_t *o = l->arena + l->used, *start = o;
	const uint8_t *end_arena = l->arena + FZ_ARENA;

	if (ps->p >= ps->end || *ps->p != '"')
		return -1;
	ps->p++;
	for (;;) {
		uint32_t cp;
		size_t n;

		if (ps->p >= ps->end || end_arena - o < 8)
			return -1;
		if (*ps->p == '"') {
			ps->p++;
			break;
		}
		if (*ps->p < 0x20 || *ps->p == 0x7f)
			return -1; /* raw control characters (and DEL, by our contract) */
		if (*ps->p != '\\') {
			n = fz_utf8_char(ps->p, (size_t)(ps->end - ps->p), NULL);
			if (n == 0)
				return -1; /* output must be valid UTF-8 */
			memcpy(o, ps->p, n);
			o += n;
			ps->p += n;
			continue;
		}
		if (ps->end - ps->p < 2)
			return -1;
		switch (ps->p[1]) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			uint32_t v[2] = { 0, 0 };
			int units = 1;

			for (int u = 0; u < 2; u++) {
				const uint8_t *h = ps->p + 2 + 6 * u;

				if (u == 1) {
					if (v[0] < 0xd800 || v[0] > 0xdbff)
						break;
					if (ps->end - h < 4 || h[-2] != '\\' || h[-1] != 'u')
						return -1; /* lone high surrogate */
					units = 2;
				}
				if (ps->end - h < 4)
					return -1;
				for (int k = 0; k < 4; k++) {
					uint8_t c = h[k];
					uint32_t d;

					if (c >= '0' && c <= '9')
						d = c - '0';
					else if (c >= 'a' && c <= 'f')
						d = c - 'a' + 10;
					else if (c >= 'A' && c <= 'F')
						d = c - 'A' + 10;
					else
						return -1;
					v[u] = v[u] << 4 | d;
				}
			}
			if (units == 2) {
				if (v[1] < 0xdc00 || v[1] > 0xdfff)
					return -1;
				cp = 0x10000 + ((v[0] - 0xd800) << 10) + (v[1] - 0xdc00);
			} else {
				if (v[0] >= 0xd800 && v[0] <= 0xdfff)
					return -1; /* lone surrogate */
				cp = v[0];
			}
			o += fz_utf8_put(o, cp);
			ps->p += 6 * units;
			continue;
		}
		default:
			return -1;
		}
		ps->p += 2;
	}
	*sp = start;
	*sl = (size_t)(o - start);
	l->used += *sl;
	return 0;
}

/* JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int fz_parse_number(struct fz_parser *ps, const uint8_t **sp, size_t *sl)
{
	const uint8_t *s = ps->p, *q = ps->p, *e = ps->end;

#define FZ_DIGIT(x) ((x) >= '0' && (x) <= '9')
	if (q < e && *q == '-')
		q++;
	if (q >= e || !FZ_DIGIT(*q))
		return -1;
	if (*q == '0')
		q++;
	else
		while (q < e && FZ_DIGIT(*q))
			q++;
	if (q < e && *q == '.') {
		q++;
		if (q >= e || !FZ_DIGIT(*q))
			return -1;
		while (q < e && FZ_DIGIT(*q))
			q++;
	}
	if (q < e && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < e && (*q == '+' || *q == '-'))
			q++;
		if (q >= e || !FZ_DIGIT(*q))
			return -1;
		while (q < e && FZ_DIGIT(*q))
			q++;
	}
#undef FZ_DIGIT
	ps->p = q;
	*sp = s;
	*sl = (size_t)(q - s);
	return 0;
}

static int fz_parse_object(struct fz_parser *ps, int depth)
{
	if (depth > 4 || ps->p >= ps->end || *ps->p != '{')
		return -1;
	ps->p++;
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return 0;
	}
	for (;;) {
		struct fz_member m = { .depth = depth };

		if (ps->out->n >= FZ_MAX_MEMBERS)
			return -1;
		if (fz_parse_string(ps, &m.key, &m.klen) < 0)
			return -1;
		if (ps->p >= ps->end || *ps->p != ':')
			return -1;
		ps->p++;
		if (ps->p >= ps->end)
			return -1;
		if (*ps->p == '"') {
			m.kind = FZ_STR;
			if (fz_parse_string(ps, &m.val, &m.vlen) < 0)
				return -1;
			ps->out->m[ps->out->n++] = m;
		} else if (*ps->p == '{') {
			m.kind = FZ_OBJ;
			ps->out->m[ps->out->n++] = m;
			if (fz_parse_object(ps, depth + 1) < 0)
				return -1;
		} else {
			m.kind = FZ_NUM;
			if (fz_parse_number(ps, &m.val, &m.vlen) < 0)
				return -1;
			ps->out->m[ps->out->n++] = m;
		}
		if (ps->p >= ps->end)
			return -1;
		if (*ps->p == '}') {
			ps->p++;
			return 0;
		}
		if (*ps->p != ',')
			return -1;
		ps->p++;
	}
}

/* ---- the expected members, built from the event ---- */

static const uint8_t *fz_arena_put(struct fz_list *l, const void *s, size_t n)
{
	uint8_t *o = l->arena + l->used;

	FZ_CHECK(n <= FZ_ARENA - l->used);
	memcpy(o, s, n);
	l->used += n;
	return o;
}

/* Bytes as the JSON string must decode: valid UTF-8 kept, each invalid byte as U+00XX. */
static void fz_map_bytes(struct fz_list *l, const char *src, size_t n, const uint8_t **out,
			 size_t *outlen)
{
	const uint8_t *s = (const uint8_t *)src;
	uint8_t *o = l->arena + l->used, *start = o;

	FZ_CHECK(n * 2 <= FZ_ARENA - l->used);
	for (size_t i = 0; i < n;) {
		size_t k = fz_utf8_char(s + i, n - i, NULL);

		if (k > 0) {
			memcpy(o, s + i, k);
			o += k;
			i += k;
		} else {
			o += fz_utf8_put(o, s[i]);
			i++;
		}
	}
	l->used += (size_t)(o - start);
	*out = start;
	*outlen = (size_t)(o - start);
}

static void fz_want(int depth, int kind, const char *key, size_t klen, const uint8_t *val,
		    size_t vlen)
{
	struct fz_member *m;

	FZ_CHECK(want.n < FZ_MAX_MEMBERS);
	m = &want.m[want.n++];
	m->depth = depth;
	m->kind = kind;
	m->key = fz_arena_put(&want, key, klen);
	m->klen = klen;
	m->val = val;
	m->vlen = vlen;
}

static void fz_want_str(int depth, const char *key, const char *val)
{
	fz_want(depth, FZ_STR, key, strlen(key), fz_arena_put(&want, val, strlen(val)),
		strlen(val));
}

/* A string member from a char array of the event, read up to its first NUL or its end. */
#define fz_want_field(depth, key, arr) fz_want_raw(depth, key, arr, strnlen(arr, sizeof(arr)))

static void fz_want_raw(int depth, const char *key, const char *val, size_t n)
{
	const uint8_t *v;
	size_t vl;

	fz_map_bytes(&want, val, n, &v, &vl);
	fz_want(depth, FZ_STR, key, strlen(key), v, vl);
}

static void fz_want_num(int depth, const char *key, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	fz_want_str(depth, key, num);
	want.m[want.n - 1].kind = FZ_NUM;
}

static void fz_want_obj(int depth, const uint8_t *key, size_t klen)
{
	fz_want(depth, FZ_OBJ, (const char *)key, klen, NULL, 0);
}

static void fz_want_ip(int depth, const struct nw_addr *a, uint8_t prefix)
{
	char text[80];
	unsigned max = a->family == 6 ? 128 : 32;

	nw_addr_str(a, text, sizeof(text));
	FZ_CHECK(a->family == 4 || a->family == 6 || text[0] == '\0');
	if ((a->family == 4 || a->family == 6) && prefix < max)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "/%u", (unsigned)prefix);
	fz_want_str(depth, "ip", text);
}

static void fz_want_kvs(const struct nw_event *ev)
{
	uint32_t n = ev->n_kv > NW_EV_KV_MAX ? NW_EV_KV_MAX : ev->n_kv;

	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *k, *v;
		size_t kl, vl;

		if (ev->kv[i].key[0] == '\0')
			continue;
		fz_map_bytes(&want, ev->kv[i].key, strnlen(ev->kv[i].key, sizeof(ev->kv[i].key)),
			     &k, &kl);
		fz_map_bytes(&want, ev->kv[i].val, strnlen(ev->kv[i].val, sizeof(ev->kv[i].val)),
			     &v, &vl);
		fz_want(2, FZ_STR, (const char *)k, kl, v, vl);
	}
}

static void fz_build_want(const struct nw_event *ev, const struct nw_eve_opts *opts)
{
	static const char *const types[] = { NULL, "alert", "offense", "ban", "ratelimit" };
	char ts[64], addr[64];
	const uint8_t *tname;
	size_t tlen;
	int ports = ev->ip_proto == 6 || ev->ip_proto == 17;

	want.n = 0;
	want.used = 0;
	if (ev->type == NW_EV_CUSTOM) {
		if (ev->name[0] == '\0')
			fz_map_bytes(&want, "custom", 6, &tname, &tlen);
		else
			fz_map_bytes(&want, ev->name, strnlen(ev->name, sizeof(ev->name)), &tname,
				     &tlen);
	} else {
		fz_map_bytes(&want, types[ev->type], strlen(types[ev->type]), &tname, &tlen);
	}

	nw_eve_timestamp(ev->ts_ns, ts, sizeof(ts));
	FZ_CHECK(strlen(ts) == 31 && ts[4] == '-' && ts[10] == 'T' && ts[19] == '.' &&
		 strcmp(ts + 26, "+0000") == 0);
	fz_want_str(1, "timestamp", ts);
	if (ev->flow_id)
		fz_want_num(1, "flow_id", ev->flow_id);
	fz_want(1, FZ_STR, "event_type", 10, tname, tlen);
	if (ev->src.family) {
		fz_want_str(1, "src_ip", nw_addr_str(&ev->src, addr, sizeof(addr)));
		if (ports)
			fz_want_num(1, "src_port", ev->sport);
		fz_want_str(1, "dest_ip", nw_addr_str(&ev->dst, addr, sizeof(addr)));
		if (ports)
			fz_want_num(1, "dest_port", ev->dport);
		switch (ev->ip_proto) {
		case 1: fz_want_str(1, "proto", "ICMP"); break;
		case 6: fz_want_str(1, "proto", "TCP"); break;
		case 17: fz_want_str(1, "proto", "UDP"); break;
		case 58: fz_want_str(1, "proto", "IPv6-ICMP"); break;
		default:
			snprintf(addr, sizeof(addr), "%u", (unsigned)ev->ip_proto);
			fz_want_str(1, "proto", addr);
		}
	}
	fz_want_obj(1, tname, tlen);
	switch (ev->type) {
	case NW_EV_ALERT:
		fz_want_str(2, "action",
			    ev->verdict == NW_DROP || ev->verdict == NW_REJECT ? "blocked"
									 : "allowed");
		fz_want_num(2, "gid", ev->gid);
		fz_want_num(2, "signature_id", ev->sid);
		fz_want_num(2, "rev", ev->rev);
		fz_want_field(2, "signature", ev->msg);
		fz_want_field(2, "category", ev->category);
		fz_want_num(2, "severity", ev->severity);
		fz_want_kvs(ev);
		if (opts->payload_printable && ev->payload && ev->payload_len) {
			const uint8_t *p = ev->payload;
			uint8_t *o = want.arena + want.used;

			FZ_CHECK(ev->payload_len <= FZ_ARENA - want.used);
			for (uint32_t i = 0; i < ev->payload_len; i++)
				o[i] = p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.';
			want.used += ev->payload_len;
			fz_want(1, FZ_STR, "payload_printable", 17, o, ev->payload_len);
		}
		break;
	case NW_EV_OFFENSE:
		fz_want_field(2, "jail", ev->name);
		fz_want_ip(2, &ev->addr, ev->prefix);
		fz_want_field(2, "reason", ev->msg);
		fz_want_kvs(ev);
		break;
	case NW_EV_BAN:
		fz_want_str(2, "action", ev->action == NW_BAN_ACTION_UNBAN ? "unban" : "ban");
		fz_want_ip(2, &ev->addr, ev->prefix);
		fz_want_field(2, "jail", ev->name);
		fz_want_num(2, "duration", ev->duration_s);
		fz_want_field(2, "reason", ev->msg);
		fz_want_field(2, "origin", ev->origin);
		fz_want_kvs(ev);
		break;
	case NW_EV_RATELIMIT:
		fz_want_field(2, "limit", ev->name);
		fz_want_field(2, "reason", ev->msg);
		fz_want_kvs(ev);
		break;
	case NW_EV_CUSTOM:
		fz_want_kvs(ev);
		break;
	}
}

static void fz_compare(void)
{
	FZ_CHECK(got.n == want.n);
	for (size_t i = 0; i < got.n; i++) {
		const struct fz_member *g = &got.m[i], *w = &want.m[i];

		FZ_CHECK(g->depth == w->depth);
		FZ_CHECK(g->kind == w->kind);
		FZ_CHECK(g->klen == w->klen && memcmp(g->key, w->key, g->klen) == 0);
		if (g->kind != FZ_OBJ)
			FZ_CHECK(g->vlen == w->vlen && memcmp(g->val, w->val, g->vlen) == 0);
	}
}

/* Any JSON value (objects, arrays, strings, numbers, true/false), checked strictly and thrown
 * away: the shape of a line with fuzzed extra members is not known in advance. */
static int fz_valid_value(struct fz_parser *ps, int depth)
{
	const uint8_t *v;
	size_t vl;
	int first = 1;
	uint8_t close;

	if (depth > 16 || ps->p >= ps->end)
		return -1;
	ps->out->used = 0; /* strings are decoded and dropped */
	switch (*ps->p) {
	case '"':
		return fz_parse_string(ps, &v, &vl);
	case 't':
	case 'f': {
		const char *w = *ps->p == 't' ? "true" : "false";
		size_t n = strlen(w);
		if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n))
			return -1;
		ps->p += n;
		return 0;
	}
	case '{':
	case '[':
		close = *ps->p == '{' ? '}' : ']';
		ps->p++;
		for (;;) {
			if (ps->p >= ps->end)
				return -1;
			if (*ps->p == close) {
				ps->p++;
				return 0;
			}
			if (!first) {
				if (*ps->p != ',')
					return -1;
				ps->p++;
			}
			first = 0;
			if (close == '}') {
				ps->out->used = 0;
				if (fz_parse_string(ps, &v, &vl) < 0 || ps->p >= ps->end || *ps->p != ':')
					return -1;
				ps->p++;
			}
			if (fz_valid_value(ps, depth + 1) < 0)
				return -1;
		}
	default:
		return fz_parse_number(ps, &v, &vl);
	}
}

static char line[1u << 17];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nw_event ev, ctx;
	struct nw_eve_opts opts = { 0 };
	struct fz_parser ps;
	uint16_t raw_type;
	size_t cut;
	char *small;
	int n, r;

	memset(&ev, 0, sizeof(ev));
	memcpy(&ev, data, size < sizeof(ev) ? size : sizeof(ev));
	/* the protocol context and extra members (ABI 1.2) are checked apart, below: the round
	 * trip covers the fields before them */
	memcpy(&ctx, &ev, sizeof(ctx));
	memset((char *)&ev + offsetof(struct nw_event, app_proto), 0,
	       sizeof(ev) - offsetof(struct nw_event, app_proto));
	/* the payload is whatever follows the struct; a NULL payload keeps its raw length */
	ev.payload = NULL;
	if (size > sizeof(ev)) {
		ev.payload = data + sizeof(ev);
		if (ev.payload_len > size - sizeof(ev))
			ev.payload_len = (uint32_t)(size - sizeof(ev));
		if (ev.payload_len > 16384) /* keeps the line within `line` */
			ev.payload_len = 16384;
	}
	opts.payload_printable = ev.flags & 1;

	raw_type = ev.type;
	if (raw_type == 0 || raw_type >= NW_EV_MAX) {
		FZ_CHECK(nw_eve_format(&ev, &opts, line, sizeof(line)) == -EINVAL);
		ev.type = (uint16_t)(1 + raw_type % (NW_EV_MAX - 1));
	}

	/* inputs are bounded by -max_len, so the line always fits this buffer */
	n = nw_eve_format(&ev, &opts, line, sizeof(line));
	FZ_CHECK(n > 2);
	FZ_CHECK((size_t)n < sizeof(line) && line[n] == '\0' && line[n - 1] == '\n');
	FZ_CHECK(memchr(line, '\0', (size_t)n) == NULL);
	FZ_CHECK(memchr(line, '\n', (size_t)n - 1) == NULL);

	got.n = 0;
	got.used = 0;
	ps.p = (const uint8_t *)line;
	ps.end = (const uint8_t *)line + n - 1;
	ps.out = &got;
	FZ_CHECK(fz_parse_object(&ps, 1) == 0);
	FZ_CHECK(ps.p == ps.end); /* nothing after the object but the newline */

	fz_build_want(&ev, &opts);
	fz_compare();

	/* a buffer one byte short (or a cut chosen by the input) fails cleanly, without overflow */
	cut = size ? (size_t)data[size - 1] * 7 % (size_t)(n + 1) : (size_t)n;
	for (int pass = 0; pass < 2; pass++) {
		size_t len = pass ? (size_t)n : cut;

		small = malloc(len ? len : 1);
		FZ_CHECK(small != NULL);
		r = nw_eve_format(&ev, &opts, small, len);
		FZ_CHECK(r == -ENOSPC);
		free(small);
	}
	small = malloc((size_t)n + 1);
	FZ_CHECK(small != NULL);
	r = nw_eve_format(&ev, &opts, small, (size_t)n + 1);
	FZ_CHECK(r == n && memcmp(small, line, (size_t)n + 1) == 0);
	free(small);

	/* with the fuzzed context and extra members: still one valid JSON object on one line */
	memcpy((char *)&ev + offsetof(struct nw_event, app_proto),
	       (const char *)&ctx + offsetof(struct nw_event, app_proto),
	       sizeof(ev) - offsetof(struct nw_event, app_proto));
	ev.type = raw_type == 0 || raw_type >= NW_EV_MAX ? (uint16_t)(1 + raw_type % (NW_EV_MAX - 1))
							 : raw_type;
	n = nw_eve_format(&ev, &opts, line, sizeof(line));
	FZ_CHECK(n > 2 && (size_t)n < sizeof(line) && line[n - 1] == '\n');
	FZ_CHECK(memchr(line, '\n', (size_t)n - 1) == NULL);
	got.n = 0;
	got.used = 0;
	ps.p = (const uint8_t *)line;
	ps.end = (const uint8_t *)line + n - 1;
	ps.out = &got;
	FZ_CHECK(*ps.p == '{' && fz_valid_value(&ps, 1) == 0);
	FZ_CHECK(ps.p == ps.end);
	small = malloc((size_t)n);
	FZ_CHECK(small != NULL);
	FZ_CHECK(nw_eve_format(&ev, &opts, small, (size_t)n) == -ENOSPC);
	free(small);
	return 0;
}
