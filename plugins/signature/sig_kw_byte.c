/* plugins/signature/sig_kw_byte.c: byte_test and byte_jump (common forms). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sig.h"

static int sig_byte_common(struct sig_parse *ps, struct sig_byte *b, char **argv, int n, int start,
			   int *relative, int jump)
{
	int string = 0, base = 0;

	for (int i = start; i < n; i++) {
		const char *a = argv[i];
		long long v;
		if (!strcmp(a, "relative")) {
			*relative = 1;
		} else if (!strcmp(a, "big")) {
			b->little = 0;
		} else if (!strcmp(a, "little")) {
			b->little = 1;
		} else if (!strcmp(a, "string")) {
			string = 1;
		} else if (!strcmp(a, "dec") || !strcmp(a, "hex") || !strcmp(a, "oct")) {
			int nb = a[0] == 'd' ? 10 : a[0] == 'h' ? 16 : 8;
			if (base && base != nb)
				return sig_err(ps, "more than one of dec, hex, oct");
			base = nb;
		} else if (jump && !strcmp(a, "align")) {
			b->align = 1;
		} else if (jump && !strcmp(a, "from_beginning")) {
			b->from_beginning = 1;
		} else if (jump && !strncmp(a, "multiplier ", 11)) {
			if (sig_parse_int(a + 11, 1, 65535, &v))
				return sig_err(ps, "bad multiplier");
			b->multiplier = (uint32_t)v;
		} else if (jump && !strncmp(a, "post_offset ", 12)) {
			if (sig_parse_int(a + 12, -65535, 65535, &v))
				return sig_err(ps, "bad post_offset");
			b->post_offset = (int32_t)v;
		} else if (!strncmp(a, "bitmask ", 8)) {
			if (sig_parse_int(a + 8, 1, 0xffffffffLL, &v) || b->bitmask)
				return sig_err(ps, "bad bitmask");
			b->bitmask = (uint64_t)v;
		} else if (!strcmp(a, "dce") || !strcmp(a, "from_end") ||
			   !strncmp(a, "endian", 6)) {
			return sig_err(ps, "option '%s' not supported by natwarden", a);
		} else {
			return sig_err(ps, "unknown option '%.30s'", a);
		}
	}
	if (base && !string)
		return sig_err(ps, "dec, hex and oct need string");
	if (string)
		b->string = (uint8_t)(base ? base : 10); /* string alone: decimal */
	if (b->string && b->nbytes > 10)
		return sig_err(ps, "string conversion of more than 10 bytes");
	if (!b->string && b->nbytes > 8)
		return sig_err(ps, "binary conversion of more than 8 bytes");
	return 0;
}

static int sig_byte_attach(struct sig_parse *ps, struct sig_byte *b, uint8_t type, const char *kw,
			   int relative)
{
	struct sig_sm *sm = sig_rule_add_pm(ps, type, sig_kw_find(kw), b);

	if (!sm) {
		free(b);
		return sig_err(ps, "out of memory");
	}
	sm->relative = (uint8_t)relative;
	return 0;
}

/* byte_test:bytes,[!]op,value,offset[,relative][,big|little][,string,dec|hex|oct][,bitmask N] */
int sig_kw_byte_test(struct sig_parse *ps, const char *arg)
{
	char buf[256], *argv[12];
	struct sig_byte *b;
	long long v;
	int n, relative = 0;
	const char *op;

	snprintf(buf, sizeof(buf), "%s", arg);
	n = sig_split_args(buf, argv, 12);
	if (n < 4)
		return sig_err(ps, "expected bytes,op,value,offset[,...]");
	b = calloc(1, sizeof(*b));
	if (!b)
		return sig_err(ps, "out of memory");
	if (sig_parse_int(argv[0], 1, 10, &v))
		goto bad_bytes;
	b->nbytes = (uint8_t)v;
	op = argv[1];
	if (*op == '!') {
		b->negop = 1;
		op++;
	}
	if (!strcmp(op, "<"))
		b->op = SIG_OP_LT;
	else if (!strcmp(op, ">"))
		b->op = SIG_OP_GT;
	else if (!strcmp(op, "=") || (!*op && b->negop))
		b->op = SIG_OP_EQ;
	else if (!strcmp(op, "<="))
		b->op = SIG_OP_LE;
	else if (!strcmp(op, ">="))
		b->op = SIG_OP_GE;
	else if (!strcmp(op, "&"))
		b->op = SIG_OP_AND;
	else if (!strcmp(op, "^"))
		b->op = SIG_OP_OR;
	else {
		free(b);
		return sig_err(ps, "unknown operator '%s'", argv[1]);
	}
	if (sig_parse_int(argv[2], 0, 0x7fffffffffffffffLL, &v)) {
		free(b);
		return sig_err(ps, "bad value '%.30s' (byte_extract variables are not supported)",
			       argv[2]);
	}
	b->value = (uint64_t)v;
	if (sig_parse_int(argv[3], -65535, 65535, &v)) {
		free(b);
		return sig_err(ps, "bad offset '%.30s'", argv[3]);
	}
	b->offset = (int32_t)v;
	if (sig_byte_common(ps, b, argv, n, 4, &relative, 0)) {
		free(b);
		return -1;
	}
	return sig_byte_attach(ps, b, SIG_SM_BYTE_TEST, "byte_test", relative);
bad_bytes:
	free(b);
	return sig_err(ps, "bytes must be 1..10");
}

/* byte_jump:bytes,offset[,relative][,multiplier N][,big|little][,string,dec|hex|oct][,align]
 * [,from_beginning][,post_offset N] */
int sig_kw_byte_jump(struct sig_parse *ps, const char *arg)
{
	char buf[256], *argv[14];
	struct sig_byte *b;
	long long v;
	int n, relative = 0;

	snprintf(buf, sizeof(buf), "%s", arg);
	n = sig_split_args(buf, argv, 14);
	if (n < 2)
		return sig_err(ps, "expected bytes,offset[,...]");
	b = calloc(1, sizeof(*b));
	if (!b)
		return sig_err(ps, "out of memory");
	b->multiplier = 1;
	if (sig_parse_int(argv[0], 1, 10, &v)) {
		free(b);
		return sig_err(ps, "bytes must be 1..10");
	}
	b->nbytes = (uint8_t)v;
	if (sig_parse_int(argv[1], -65535, 65535, &v)) {
		free(b);
		return sig_err(ps, "bad offset '%.30s'", argv[1]);
	}
	b->offset = (int32_t)v;
	if (sig_byte_common(ps, b, argv, n, 2, &relative, 1)) {
		free(b);
		return -1;
	}
	return sig_byte_attach(ps, b, SIG_SM_BYTE_JUMP, "byte_jump", relative);
}
