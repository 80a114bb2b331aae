/* plugins/signature/sig_kw_pcre.c: the pcre keyword (/re/flags, PCRE2 compiled once with JIT). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sig.h"

void sig_pcre_free(void *ctx)
{
	struct sig_pcre *p = ctx;

	if (!p)
		return;
	pcre2_code_free(p->code);
	free(p->src);
	free(p);
}

int sig_kw_pcre(struct sig_parse *ps, const char *arg)
{
	const char *s = arg, *first, *last;
	uint32_t opts = 0, flags = 0;
	int hbuf = -1;
	struct sig_pcre *p;
	struct sig_sm *sm;
	size_t n;
	int errcode;
	PCRE2_SIZE erroff;
	char *re;

	if (*s == '!') {
		flags |= SIG_PCRE_NEGATED;
		s++;
	}
	n = strlen(s);
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return sig_err(ps, "expected \"/regex/flags\"");
	first = s + 1;
	last = s + n - 1; /* the closing quote */
	if (*first != '/')
		return sig_err(ps, "expected \"/regex/flags\"");
	while (last > first && *last != '/')
		last--;
	if (last == first)
		return sig_err(ps, "missing closing '/'");
	for (const char *f = last + 1; f < s + n - 1; f++) {
		switch (*f) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		case 'A': opts |= PCRE2_ANCHORED; break;
		case 'E': opts |= PCRE2_DOLLAR_ENDONLY; break;
		case 'G': opts |= PCRE2_UNGREEDY; break;
		case 'R': flags |= SIG_PCRE_RELATIVE; break;
		case 'B': case 'O': break;
		case 'U': case 'I': case 'P': case 'Q': case 'H': case 'D': case 'M': case 'C':
		case 'K': case 'S': case 'Y': case 'V': case 'W': case 'Z':
			if (hbuf >= 0)
				return sig_err(ps, "two HTTP buffer modifiers");
			hbuf = sig_pcre_flag_buf(*f);
			break;
		default:
			return sig_err(ps, "unknown modifier '%c'", *f);
		}
	}
	re = strndup(first + 1, (size_t)(last - first - 1));
	if (!re)
		return sig_err(ps, "out of memory");
	p = calloc(1, sizeof(*p));
	if (!p) {
		free(re);
		return sig_err(ps, "out of memory");
	}
	p->src = re;
	p->flags = flags;
	p->code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, opts, &errcode, &erroff,
				NULL);
	if (!p->code) {
		PCRE2_UCHAR msg[120];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		sig_pcre_free(p);
		return sig_err(ps, "regex error at offset %zu: %s", (size_t)erroff, (char *)msg);
	}
	(void)pcre2_jit_compile(p->code, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
	sm = sig_rule_add_pm(ps, SIG_SM_PCRE, sig_kw_find("pcre"), p);
	if (!sm) {
		sig_pcre_free(p);
		return sig_err(ps, "out of memory");
	}
	sm->relative = (flags & SIG_PCRE_RELATIVE) ? 1 : 0;
	if (hbuf >= 0)
		return sig_move_to_buf(ps, ps->r->n_pm - 1, (uint8_t)hbuf);
	return 0;
}
