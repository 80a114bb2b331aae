/* plugins/signature/sig_kw_content.c: content and its modifiers (nocase offset depth distance within fast_pattern startswith endswith), isdataat. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sig.h"

static int sig_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* decode "text|41 42|\"" into bytes; returns length or -1 */
static int sig_content_decode(struct sig_parse *ps, const char *s, size_t n, uint8_t *out)
{
	size_t o = 0;
	int hex = 0, nib = -1;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '|') {
			if (hex && nib >= 0)
				return sig_err(ps, "odd number of hex digits");
			hex = !hex;
			continue;
		}
		if (hex) {
			int v;
			if (c == ' ' || c == '\t')
				continue;
			v = sig_hexval(c);
			if (v < 0)
				return sig_err(ps, "bad hex digit '%c'", c);
			if (nib < 0) {
				nib = v;
			} else {
				out[o++] = (uint8_t)(nib << 4 | v);
				nib = -1;
			}
			continue;
		}
		if (c == '\\') {
			if (i + 1 >= n)
				return sig_err(ps, "trailing backslash");
			c = (unsigned char)s[++i];
			if (c != '"' && c != ';' && c != ':' && c != '\\')
				return sig_err(ps, "invalid escape '\\%c' (use |hex|)", c);
		} else if (c == '"') {
			return sig_err(ps, "unescaped '\"' inside the string");
		} else if (c == ';') {
			return sig_err(ps, "unescaped ';' inside the string");
		}
		out[o++] = c;
	}
	if (hex)
		return sig_err(ps, "unterminated |hex| block");
	return (int)o;
}

void sig_content_free(void *ctx)
{
	struct sig_content *c = ctx;

	if (!c)
		return;
	free(c->pat);
	free(c->lpat);
	free(c);
}

int sig_kw_content(struct sig_parse *ps, const char *arg)
{
	struct sig_content *c;
	struct sig_sm *sm;
	const char *s = arg;
	size_t n;
	int neg = 0, len;

	if (*s == '!') {
		neg = 1;
		s++;
		while (*s == ' ')
			s++;
	}
	n = strlen(s);
	if (n < 2 || s[0] != '"' || s[n - 1] != '"' || (n >= 3 && s[n - 2] == '\\' &&
							 (n < 4 || s[n - 3] != '\\')))
		return sig_err(ps, "expected a quoted string");
	c = calloc(1, sizeof(*c));
	if (!c)
		return sig_err(ps, "out of memory");
	c->pat = malloc(n);
	c->lpat = malloc(n);
	if (!c->pat || !c->lpat) {
		sig_content_free(c);
		return sig_err(ps, "out of memory");
	}
	len = sig_content_decode(ps, s + 1, n - 2, c->pat);
	if (len < 0) {
		sig_content_free(c);
		return -1;
	}
	if (len == 0) {
		sig_content_free(c);
		return sig_err(ps, "empty pattern");
	}
	c->len = (uint32_t)len;
	for (int i = 0; i < len; i++)
		c->lpat[i] = sig_lower[c->pat[i]];
	if (neg)
		c->flags |= SIG_CF_NEGATED;
	sm = sig_rule_add_pm(ps, SIG_SM_CONTENT, sig_kw_find("content"), c);
	if (!sm) {
		sig_content_free(c);
		return sig_err(ps, "out of memory");
	}
	ps->last_content = c;
	ps->last_cpm = (int)(ps->r->n_pm - 1);
	return 0;
}

static struct sig_content *sig_need_content(struct sig_parse *ps)
{
	if (!ps->last_content)
		sig_err(ps, "needs a preceding content");
	return ps->last_content;
}

int sig_kw_nocase(struct sig_parse *ps, const char *arg)
{
	struct sig_content *c = sig_need_content(ps);

	if (!c)
		return -1;
	if (c->flags & SIG_CF_NOCASE)
		return sig_err(ps, "given twice for one content");
	c->flags |= SIG_CF_NOCASE;
	return 0;
}

int sig_kw_rawbytes(struct sig_parse *ps, const char *arg)
{
	return sig_need_content(ps) ? 0 : -1;
}

static int sig_num(struct sig_parse *ps, const char *arg, long long lo, long long hi, int32_t *out)
{
	long long v;

	if (sig_parse_int(arg, lo, hi, &v)) {
		if (arg[0] && (isalpha((unsigned char)arg[0]) || arg[0] == '_'))
			return sig_err(ps, "byte_extract variables are not supported by natwarden");
		return sig_err(ps, "expected a number %lld..%lld, got '%.30s'", lo, hi, arg);
	}
	*out = (int32_t)v;
	return 0;
}

#define SIG_CF_ABS (SIG_CF_OFFSET | SIG_CF_DEPTH)
#define SIG_CF_REL (SIG_CF_DISTANCE | SIG_CF_WITHIN)

int sig_kw_offset(struct sig_parse *ps, const char *arg)
{
	struct sig_content *c = sig_need_content(ps);

	if (!c)
		return -1;
	if (c->flags & (SIG_CF_REL | SIG_CF_STARTSWITH))
		return sig_err(ps, "can't mix with distance/within/startswith on one content");
	if (c->flags & SIG_CF_OFFSET)
		return sig_err(ps, "given twice for one content");
	if (sig_num(ps, arg, 0, 65535, &c->offset))
		return -1;
	c->flags |= SIG_CF_OFFSET;
	return 0;
}

int sig_kw_depth(struct sig_parse *ps, const char *arg)
{
	struct sig_content *c = sig_need_content(ps);

	if (!c)
		return -1;
	if (c->flags & (SIG_CF_REL | SIG_CF_STARTSWITH))
		return sig_err(ps, "can't mix with distance/within/startswith on one content");
	if (c->flags & SIG_CF_DEPTH)
		return sig_err(ps, "given twice for one content");
	if (sig_num(ps, arg, 1, 65535, &c->depth))
		return -1;
	if ((uint32_t)c->depth < c->len)
		return sig_err(ps, "depth %d is smaller than the content (%u bytes)", c->depth,
			       c->len);
	c->flags |= SIG_CF_DEPTH;
	return 0;
}

int sig_kw_distance(struct sig_parse *ps, const char *arg)
{
	struct sig_content *c = sig_need_content(ps);

	if (!c)
		return -1;
	if (c->flags & (SIG_CF_ABS | SIG_CF_STARTSWITH))
		return sig_err(ps, "can't mix with offset/depth/startswith on one content");
	if (c->flags & SIG_CF_DISTANCE)
		return sig_err(ps, "given twice for one content");
	if (sig_num(ps, arg, -65535, 65535, &c->distance))
		return -1;
	c->flags |= SIG_CF_DISTANCE;
	ps->r->pm[ps->last_cpm].relative = 1;
	return 0;
}

int sig_kw_within(struct sig_parse *ps, const char *arg)
{
	struct sig_content *c = sig_need_content(ps);

	if (!c)
		return -1;
	if (c->flags & (SIG_CF_ABS | SIG_CF_STARTSWITH))
		return sig_err(ps, "can't mix with offset/depth/startswith on one content");
	if (c->flags & SIG_CF_WITHIN)
		return sig_err(ps, "given twice for one content");
	if (sig_num(ps, arg, 1, 65535, &c->within))
		return -1;
	if ((uint32_t)c->within < c->len)
		return sig_err(ps, "within %d is smaller than the content (%u bytes)", c->within,
			       c->len);
	c->flags |= SIG_CF_WITHIN;
	ps->r->pm[ps->last_cpm].relative = 1;
	return 0;
}

int sig_kw_fast_pattern(struct sig_parse *ps, const char *arg)
{
	struct sig_content *c = sig_need_content(ps);
	struct sig_rule *r = ps->r;

	if (!c)
		return -1;
	if (c->flags & SIG_CF_NEGATED)
		return sig_err(ps, "a negated content can't be the fast pattern");
	for (unsigned i = 0; i < r->n_pm; i++)
		if (r->pm[i].type == SIG_SM_CONTENT &&
		    (((struct sig_content *)r->pm[i].ctx)->flags & SIG_CF_FAST))
			return sig_err(ps, "only one fast_pattern per rule");
	if (arg && *arg) {
		char buf[64], *argv[3];
		long long off, len;
		int n;
		if (!strcmp(arg, "only")) {
			c->flags |= SIG_CF_FAST | SIG_CF_FAST_ONLY;
			return 0;
		}
		snprintf(buf, sizeof(buf), "%s", arg);
		n = sig_split_args(buf, argv, 3);
		if (n != 2 || sig_parse_int(argv[0], 0, 65535, &off) ||
		    sig_parse_int(argv[1], 1, 65535, &len))
			return sig_err(ps, "expected nothing, 'only' or 'offset,length'");
		if ((uint64_t)off + (uint64_t)len > c->len)
			return sig_err(ps, "offset,length %lld,%lld outside the %u-byte content", off,
				       len, c->len);
		c->fp_off = (uint32_t)off;
		c->fp_len = (uint32_t)len;
		c->flags |= SIG_CF_FAST_SUB;
	}
	c->flags |= SIG_CF_FAST;
	return 0;
}

int sig_kw_startswith(struct sig_parse *ps, const char *arg)
{
	struct sig_content *c = sig_need_content(ps);

	if (!c)
		return -1;
	if (c->flags & (SIG_CF_ABS | SIG_CF_REL | SIG_CF_STARTSWITH))
		return sig_err(ps, "can't mix with offset/depth/distance/within");
	c->flags |= SIG_CF_STARTSWITH | SIG_CF_OFFSET | SIG_CF_DEPTH;
	c->offset = 0;
	c->depth = (int32_t)c->len;
	return 0;
}

int sig_kw_endswith(struct sig_parse *ps, const char *arg)
{
	struct sig_content *c = sig_need_content(ps);

	if (!c)
		return -1;
	c->flags |= SIG_CF_ENDSWITH;
	return 0;
}

/* isdataat:[!]N[,relative] */
int sig_kw_isdataat(struct sig_parse *ps, const char *arg)
{
	char buf[64], *argv[3];
	struct sig_isdataat *d;
	struct sig_sm *sm;
	long long v;
	int n, rel = 0;

	snprintf(buf, sizeof(buf), "%s", arg);
	n = sig_split_args(buf, argv, 3);
	if (n < 1 || n > 2)
		return sig_err(ps, "expected [!]N[,relative]");
	d = calloc(1, sizeof(*d));
	if (!d)
		return sig_err(ps, "out of memory");
	if (argv[0][0] == '!') {
		d->negated = 1;
		argv[0]++;
	}
	if (sig_parse_int(argv[0], 0, 65535, &v)) {
		free(d);
		return sig_err(ps, "expected [!]N[,relative]");
	}
	d->n = (uint32_t)v;
	if (n == 2) {
		if (strcmp(argv[1], "relative")) {
			free(d);
			return sig_err(ps, "unknown option '%s'", argv[1]);
		}
		rel = 1;
	}
	sm = sig_rule_add_pm(ps, SIG_SM_ISDATAAT, sig_kw_find("isdataat"), d);
	if (!sm) {
		free(d);
		return sig_err(ps, "out of memory");
	}
	sm->relative = (uint8_t)rel;
	return 0;
}
