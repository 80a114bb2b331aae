/* EVE JSON writer: formats events as one Suricata-compatible JSON object per line, no allocation. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "eve.h"

/*
 * Length of the valid UTF-8 sequence at s (n bytes available), or 0 when the bytes there are not
 * one: overlong forms, surrogates (U+D800..DFFF), code points above U+10FFFF, stray continuation
 * bytes and truncated sequences are all invalid (Unicode table 3-7).
 */
static size_t eve_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need;

	if (c < 0xc2)
		return 0;
	if (c < 0xe0) {
		need = 1;
	} else if (c < 0xf0) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c < 0xf5) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* > U+10FFFF */
	} else {
		return 0;
	}
	if (n < need + 1 || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k <= need; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	return need + 1;
}

int nw_json_escape(char *out, size_t outlen, const char *in, size_t inlen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)in;
	size_t pos = 0, i = 0;

	if (outlen == 0)
		return -ENOSPC;
	if (outlen > (size_t)INT_MAX)
		outlen = (size_t)INT_MAX; /* the length must fit the return value */
	while (i < inlen) {
		unsigned char c = s[i];
		char esc[6];
		const char *w = esc;
		size_t wn, adv = 1;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			wn = 2;
		} else if (c < 0x20 || c == 0x7f) {
			char sh = 0;

			switch (c) {
			case '\b': sh = 'b'; break;
			case '\f': sh = 'f'; break;
			case '\n': sh = 'n'; break;
			case '\r': sh = 'r'; break;
			case '\t': sh = 't'; break;
			}
			esc[0] = '\\';
			if (sh) {
				esc[1] = sh;
				wn = 2;
			} else {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 0xf];
				wn = 6;
			}
		} else if (c < 0x80) {
			w = (const char *)&s[i];
			wn = 1;
		} else if ((adv = eve_utf8_len(&s[i], inlen - i)) > 0) {
			w = (const char *)&s[i];
			wn = adv;
		} else {
			/* a byte of an invalid sequence: keep it visible, as the code point U+00XX */
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			wn = 6;
			adv = 1;
		}
		if (wn >= outlen - pos) {
			out[pos] = '\0';
			return -ENOSPC;
		}
		memcpy(out + pos, w, wn);
		pos += wn;
		i += adv;
	}
	out[pos] = '\0';
	return (int)pos;
}

const char *nw_addr_str(const struct nw_addr *a, char *buf, size_t len)
{
	int af;

	if (len == 0)
		return "";
	buf[0] = '\0';
	if (a->family == 4)
		af = AF_INET;
	else if (a->family == 6)
		af = AF_INET6;
	else
		return buf;
	if (!inet_ntop(af, a->a, buf, (socklen_t)len))
		buf[0] = '\0';
	return buf;
}

void nw_eve_timestamp(uint64_t ts_ns, char *buf, size_t len)
{
	time_t t = (time_t)(ts_ns / 1000000000ull);
	unsigned usec = (unsigned)(ts_ns % 1000000000ull / 1000u);
	struct tm tm;
	size_t n;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (!gmtime_r(&t, &tm))
		return;
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf + n, len - n, ".%06u+0000", usec);
}

/* The output under construction. Invariant: pos < len, so the final NUL always fits. */
struct eve_buf {
	char *p;
	size_t len;
	size_t pos;
	int err;
};

static void eve_raw(struct eve_buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (n >= b->len - b->pos) {
		b->err = -ENOSPC;
		return;
	}
	memcpy(b->p + b->pos, s, n);
	b->pos += n;
}

static void eve_lit(struct eve_buf *b, const char *s)
{
	eve_raw(b, s, strlen(s));
}

/* Escaped contents of a string (no quotes). */
static void eve_esc(struct eve_buf *b, const char *s, size_t n)
{
	int r;

	if (b->err)
		return;
	r = nw_json_escape(b->p + b->pos, b->len - b->pos, s, n);
	if (r < 0) {
		b->err = r;
		return;
	}
	b->pos += (size_t)r;
}

static void eve_str(struct eve_buf *b, const char *s, size_t n)
{
	eve_raw(b, "\"", 1);
	eve_esc(b, s, n);
	eve_raw(b, "\"", 1);
}

/* A comma unless this is the first member of its object or array. */
static void eve_sep(struct eve_buf *b)
{
	if (b->err)
		return;
	if (b->pos > 0 && b->p[b->pos - 1] != '{' && b->p[b->pos - 1] != '[')
		eve_raw(b, ",", 1);
}

/* `"key":`, preceded by a comma unless it is the first member of its object. */
static void eve_key_n(struct eve_buf *b, const char *k, size_t n)
{
	if (b->err)
		return;
	eve_sep(b);
	eve_str(b, k, n);
	eve_raw(b, ":", 1);
}

static void eve_key(struct eve_buf *b, const char *k)
{
	eve_key_n(b, k, strlen(k));
}

/* A string member from a fixed-size char array that may lack its NUL. */
#define eve_field(b, key, arr) eve_member_str(b, key, arr, strnlen(arr, sizeof(arr)))

static void eve_member_str(struct eve_buf *b, const char *key, const char *s, size_t n)
{
	eve_key(b, key);
	eve_str(b, s, n);
}

static void eve_member_uint(struct eve_buf *b, const char *key, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRIu64, v);

	eve_key(b, key);
	eve_raw(b, num, (size_t)n);
}

static int eve_proto_has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17;
}

static void eve_proto(struct eve_buf *b, uint8_t proto)
{
	char num[8];

	eve_key(b, "proto");
	switch (proto) {
	case 6: eve_lit(b, "\"TCP\""); break;
	case 17: eve_lit(b, "\"UDP\""); break;
	case 1: eve_lit(b, "\"ICMP\""); break;
	case 58: eve_lit(b, "\"IPv6-ICMP\""); break;
	default:
		snprintf(num, sizeof(num), "%u", (unsigned)proto);
		eve_str(b, num, strlen(num));
		break;
	}
}

/* The address concerned, with "/prefix" when it covers more than one address. */
static void eve_member_net(struct eve_buf *b, const char *key, const struct nw_addr *a,
			   uint8_t prefix)
{
	char text[64];
	size_t n;
	unsigned max = a->family == 6 ? 128 : 32;

	nw_addr_str(a, text, sizeof(text));
	n = strlen(text);
	if ((a->family == 4 || a->family == 6) && prefix < max)
		snprintf(text + n, sizeof(text) - n, "/%u", (unsigned)prefix);
	eve_member_str(b, key, text, strlen(text));
}

/* The event's key/value pairs as string members of the current object (empty keys skipped). */
static void eve_kvs(struct eve_buf *b, const struct nw_event *ev)
{
	uint32_t n = ev->n_kv < NW_EV_KV_MAX ? ev->n_kv : NW_EV_KV_MAX;

	for (uint32_t i = 0; i < n; i++) {
		size_t kl = strnlen(ev->kv[i].key, sizeof(ev->kv[i].key));

		if (kl == 0)
			continue;
		eve_key_n(b, ev->kv[i].key, kl);
		eve_str(b, ev->kv[i].val, strnlen(ev->kv[i].val, sizeof(ev->kv[i].val)));
	}
}

/* Suricata's payload_printable: printable ASCII as is, every other byte as '.'. */
static void eve_payload_printable(struct eve_buf *b, const uint8_t *p, size_t n)
{
	char chunk[256];

	eve_key(b, "payload_printable");
	eve_raw(b, "\"", 1);
	while (n > 0 && !b->err) {
		size_t k = n < sizeof(chunk) ? n : sizeof(chunk);

		for (size_t i = 0; i < k; i++)
			chunk[i] = p[i] >= 0x20 && p[i] <= 0x7e ? (char)p[i] : '.';
		eve_esc(b, chunk, k);
		p += k;
		n -= k;
	}
	eve_raw(b, "\"", 1);
}

#define EVE_DATA_DEPTH 8

/*
 * The event's extra members (nw_ev_put_* records) into the current object. Whatever the bytes
 * are, the output stays valid JSON: a record cut short or of an unknown tag ends the data,
 * closes without an open container are skipped, containers past EVE_DATA_DEPTH are flattened
 * away, and containers left open are closed.
 */
static void eve_data(struct eve_buf *b, const struct nw_event *ev)
{
	const uint8_t *d = ev->data;
	size_t n = ev->data_len < sizeof(ev->data) ? ev->data_len : sizeof(ev->data), i = 0;
	char stack[EVE_DATA_DEPTH];
	unsigned depth = 0, skipped = 0;

	while (i + 4 <= n && !b->err) {
		char tag = (char)d[i];
		size_t kl = d[i + 1], vl = (size_t)d[i + 2] | (size_t)d[i + 3] << 8;
		const char *key = (const char *)d + i + 4, *val = key + kl;
		int in_array = depth > 0 && stack[depth - 1] == ']';

		if (kl > n - i - 4 || vl > n - i - 4 - kl)
			break;
		i += 4 + kl + vl;
		if (tag == '}' || tag == ']') {
			if (skipped) {
				skipped--;
			} else if (depth > 0) {
				eve_raw(b, &stack[depth - 1], 1);
				depth--;
			}
			continue;
		}
		if ((tag == '{' || tag == '[') && (depth == EVE_DATA_DEPTH || skipped)) {
			skipped++;
			continue;
		}
		if (skipped)
			continue;
		if (tag != 's' && tag != 'u' && tag != 'b' && tag != '{' && tag != '[')
			break;
		if ((tag == 'u' && vl != 8) || (tag == 'b' && vl != 1))
			break;
		if (in_array)
			eve_sep(b);
		else
			eve_key_n(b, key, kl);
		switch (tag) {
		case 's':
			eve_str(b, val, vl);
			break;
		case 'u': {
			uint64_t v = 0;
			char num[24];
			for (int k = 7; k >= 0; k--)
				v = v << 8 | (uint8_t)val[k];
			eve_raw(b, num, (size_t)snprintf(num, sizeof(num), "%" PRIu64, v));
			break;
		}
		case 'b':
			eve_lit(b, val[0] ? "true" : "false");
			break;
		default:
			eve_raw(b, &tag, 1);
			stack[depth++] = tag == '{' ? '}' : ']';
			break;
		}
	}
	while (depth > 0)
		eve_raw(b, &stack[--depth], 1);
}

/* What Suricata writes after the event's own object: extra members, app_proto, direction,
 * and (alerts) the flow's counters. */
static void eve_context(struct eve_buf *b, const struct nw_event *ev, int with_flow)
{
	size_t n;

	eve_data(b, ev);
	n = strnlen(ev->app_proto, sizeof(ev->app_proto));
	if (n)
		eve_member_str(b, "app_proto", ev->app_proto, n);
	if (ev->direction == 1 || ev->direction == 2)
		eve_member_str(b, "direction", ev->direction == 1 ? "to_server" : "to_client", 9);
	if (with_flow && ev->has_flow) {
		char ts[64], addr[64];
		int ports = eve_proto_has_ports(ev->ip_proto);

		eve_key(b, "flow");
		eve_raw(b, "{", 1);
		eve_member_uint(b, "pkts_toserver", ev->flow_pkts[0]);
		eve_member_uint(b, "pkts_toclient", ev->flow_pkts[1]);
		eve_member_uint(b, "bytes_toserver", ev->flow_bytes[0]);
		eve_member_uint(b, "bytes_toclient", ev->flow_bytes[1]);
		nw_eve_timestamp(ev->flow_start_ns, ts, sizeof(ts));
		eve_member_str(b, "start", ts, strlen(ts));
		if (ev->flow_src.family) {
			nw_addr_str(&ev->flow_src, addr, sizeof(addr));
			eve_member_str(b, "src_ip", addr, strlen(addr));
			nw_addr_str(&ev->flow_dst, addr, sizeof(addr));
			eve_member_str(b, "dest_ip", addr, strlen(addr));
			if (ports) {
				eve_member_uint(b, "src_port", ev->flow_sport);
				eve_member_uint(b, "dest_port", ev->flow_dport);
			}
		}
		eve_raw(b, "}", 1);
	}
}

static void eve_common(struct eve_buf *b, const struct nw_event *ev, const char *type,
		       size_t type_len)
{
	char ts[64], addr[64];
	int ports = eve_proto_has_ports(ev->ip_proto);

	eve_raw(b, "{", 1);
	nw_eve_timestamp(ev->ts_ns, ts, sizeof(ts));
	eve_member_str(b, "timestamp", ts, strlen(ts));
	if (ev->flow_id)
		eve_member_uint(b, "flow_id", ev->flow_id);
	eve_member_str(b, "event_type", type, type_len);
	if (ev->src.family == 0)
		return; /* no packet behind this event: no tuple */
	nw_addr_str(&ev->src, addr, sizeof(addr));
	eve_member_str(b, "src_ip", addr, strlen(addr));
	if (ports)
		eve_member_uint(b, "src_port", ev->sport);
	nw_addr_str(&ev->dst, addr, sizeof(addr));
	eve_member_str(b, "dest_ip", addr, strlen(addr));
	if (ports)
		eve_member_uint(b, "dest_port", ev->dport);
	eve_proto(b, ev->ip_proto);
}

/*
 * Returns the line length (newline included); a NUL follows it, so len must exceed the length.
 * -ENOSPC when it does not fit, -EINVAL for an unknown event type.
 */
int nw_eve_format(const struct nw_event *ev, const struct nw_eve_opts *opts, char *buf,
		  size_t len)
{
	struct eve_buf b = { .p = buf, .len = len };
	size_t nl;

	if (len == 0)
		return -ENOSPC;
	if (len > (size_t)INT_MAX)
		b.len = (size_t)INT_MAX; /* the length must fit the return value */
	switch (ev->type) {
	case NW_EV_ALERT:
		eve_common(&b, ev, "alert", 5);
		eve_key(&b, "alert");
		eve_raw(&b, "{", 1);
		eve_member_str(&b, "action",
			       ev->verdict == NW_DROP || ev->verdict == NW_REJECT ? "blocked"
										: "allowed",
			       7);
		eve_member_uint(&b, "gid", ev->gid);
		eve_member_uint(&b, "signature_id", ev->sid);
		eve_member_uint(&b, "rev", ev->rev);
		eve_field(&b, "signature", ev->msg);
		eve_field(&b, "category", ev->category);
		eve_member_uint(&b, "severity", ev->severity);
		eve_kvs(&b, ev);
		eve_raw(&b, "}", 1);
		if (opts && opts->payload_printable && ev->payload && ev->payload_len > 0)
			eve_payload_printable(&b, ev->payload, ev->payload_len);
		eve_context(&b, ev, 1);
		break;
	case NW_EV_OFFENSE:
		eve_common(&b, ev, "offense", 7);
		eve_key(&b, "offense");
		eve_raw(&b, "{", 1);
		eve_field(&b, "jail", ev->name);
		eve_member_net(&b, "ip", &ev->addr, ev->prefix);
		eve_field(&b, "reason", ev->msg);
		eve_kvs(&b, ev);
		eve_raw(&b, "}", 1);
		eve_data(&b, ev);
		break;
	case NW_EV_BAN:
		eve_common(&b, ev, "ban", 3);
		eve_key(&b, "ban");
		eve_raw(&b, "{", 1);
		if (ev->action == NW_BAN_ACTION_UNBAN)
			eve_member_str(&b, "action", "unban", 5);
		else
			eve_member_str(&b, "action", "ban", 3);
		eve_member_net(&b, "ip", &ev->addr, ev->prefix);
		eve_field(&b, "jail", ev->name);
		eve_member_uint(&b, "duration", ev->duration_s);
		eve_field(&b, "reason", ev->msg);
		eve_field(&b, "origin", ev->origin);
		eve_kvs(&b, ev);
		eve_raw(&b, "}", 1);
		eve_data(&b, ev);
		break;
	case NW_EV_RATELIMIT:
		eve_common(&b, ev, "ratelimit", 9);
		eve_key(&b, "ratelimit");
		eve_raw(&b, "{", 1);
		eve_field(&b, "limit", ev->name);
		eve_field(&b, "reason", ev->msg);
		eve_kvs(&b, ev);
		eve_raw(&b, "}", 1);
		eve_data(&b, ev);
		break;
	case NW_EV_CUSTOM: {
		const char *name = ev->name;

		nl = strnlen(ev->name, sizeof(ev->name));
		if (nl == 0) {
			name = "custom";
			nl = 6;
		}
		eve_common(&b, ev, name, nl);
		/* a protocol or flow record brings its object in the extra members */
		if (ev->n_kv || !ev->data_len) {
			eve_key_n(&b, name, nl);
			eve_raw(&b, "{", 1);
			eve_kvs(&b, ev);
			eve_raw(&b, "}", 1);
		}
		eve_context(&b, ev, 0);
		break;
	}
	default:
		return -EINVAL;
	}
	eve_raw(&b, "}\n", 2);
	if (b.err)
		return b.err;
	buf[b.pos] = '\0';
	return (int)b.pos;
}
