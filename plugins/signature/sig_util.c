/* plugins/signature/sig_util.c: small text and search helpers of the rule parser and matcher. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sig.h"

#define L4(b) sig_lower_(b), sig_lower_(b + 1), sig_lower_(b + 2), sig_lower_(b + 3)
#define sig_lower_(c) ((uint8_t)((c) >= 'A' && (c) <= 'Z' ? (c) + 32 : (c)))
#define L16(b) L4(b), L4(b + 4), L4(b + 8), L4(b + 12)
#define L64(b) L16(b), L16(b + 16), L16(b + 32), L16(b + 48)
const uint8_t sig_lower[256] = { L64(0), L64(64), L64(128), L64(192) };

int sig_err(struct sig_parse *ps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ps->err, ps->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

char *sig_trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = 0;
	return s;
}

char *sig_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* decimal (or 0x hex) integer within [lo, hi]; surrounding blanks allowed */
int sig_parse_int(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || end == s)
		return -1;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* strip surrounding double quotes and \" \\ \; escapes (for msg and the like) */
int sig_unquote(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in), o = 0;
	int quoted = 0;

	if (n >= 2 && in[0] == '"' && in[n - 1] == '"') {
		in++;
		n -= 2;
		quoted = 1;
	}
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (c == '\\' && i + 1 < n)
			c = in[++i];
		else if (c == '"' && quoted)
			return -1; /* e.g. msg:"a" content:"b" -- a ';' is missing */
		if (o + 1 >= outlen)
			return -1;
		out[o++] = c;
	}
	out[o] = 0;
	return 0;
}

/* split on commas outside quotes; trims each; returns count (at most max) */
int sig_split_args(char *s, char **argv, int max)
{
	int n = 0, q = 0;
	char *start = s;

	for (char *p = s;; p++) {
		if (*p == '"' && (p == s || p[-1] != '\\'))
			q = !q;
		if ((*p == ',' && !q) || !*p) {
			int last = !*p;
			*p = 0;
			if (n < max)
				argv[n++] = sig_trim(start);
			else
				return -1;
			if (last)
				break;
			start = p + 1;
		}
	}
	return n;
}

/* first occurrence of pat in hay; nocase: pat must be lower-case already */
const uint8_t *sig_search(const uint8_t *hay, size_t hlen, const uint8_t *pat, size_t plen,
			  int nocase)
{
	if (plen == 0)
		return hay;
	if (plen > hlen)
		return NULL;
	if (!nocase)
		return memmem(hay, hlen, pat, plen);
	const uint8_t first = pat[0];
	const uint8_t up = (uint8_t)toupper(first);
	size_t last = hlen - plen;
	for (size_t i = 0; i <= last; i++) {
		uint8_t c = hay[i];
		if (c != first && c != up)
			continue;
		size_t j = 1;
		while (j < plen && sig_lower[hay[i + j]] == pat[j])
			j++;
		if (j == plen)
			return hay + i;
	}
	return NULL;
}
