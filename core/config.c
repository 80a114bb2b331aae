/* Config: INI files parsed with inih into sections with line numbers; errors carry file:line. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <ini.h>
#include "config.h"
#include "util.h"

#define CONF_MAX_FILE (4u << 20)

/* State of one parse: inih pulls lines through conf_reader, which tracks line numbers. */
struct conf_parse {
	struct nw_config *cfg;
	const char *text;
	size_t len, pos;
	unsigned line;          /* line number of the line last handed to inih */
	int line_continues;     /* it started with whitespace (a multi-line continuation) */
	struct nw_section *cur; /* the section the last header opened */
	unsigned last_kv_line;  /* line of the key a continuation extends */
	char last_key[128];
};

static void *conf_grow(void *arr, unsigned *cap, unsigned need, size_t elem)
{
	if (need <= *cap)
		return arr;
	unsigned ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	void *n = realloc(arr, (size_t)ncap * elem);
	if (!n)
		return NULL;
	*cap = ncap;
	return n;
}

static int conf_verror(const struct nw_config *ccfg, const struct nw_section *sec, unsigned line,
		       const char *fmt, va_list ap) NW_PRINTF(4, 0);

static int conf_verror(const struct nw_config *ccfg, const struct nw_section *sec, unsigned line,
		       const char *fmt, va_list ap)
{
	struct nw_config *cfg = (struct nw_config *)ccfg; /* errors are the mutable part */
	char msg[768], full[1024], where[600], secname[200] = "";
	char **errs;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!line && sec)
		line = sec->line ? sec->line : NW_CONF_LINE_SET;
	if (line == NW_CONF_LINE_SET)
		snprintf(where, sizeof(where), "--set");
	else if (line)
		snprintf(where, sizeof(where), "%s:%u", cfg->path[0] ? cfg->path : "<config>", line);
	else
		snprintf(where, sizeof(where), "%s", cfg->path[0] ? cfg->path : "<config>");
	if (sec)
		snprintf(secname, sizeof(secname), " [%s%s%s]", sec->kind, sec->name[0] ? " " : "",
			 sec->name);
	snprintf(full, sizeof(full), "%s:%s %s", where, secname, msg);
	errs = conf_grow(cfg->errors, &cfg->cap_errors, cfg->n_errors + 1, sizeof(char *));
	if (!errs)
		return -ENOMEM;
	cfg->errors = errs;
	cfg->errors[cfg->n_errors] = strdup(full);
	if (cfg->errors[cfg->n_errors])
		cfg->n_errors++;
	return -EINVAL;
}

int nw_config_error(const struct nw_config *cfg, const struct nw_section *sec, unsigned line,
		    const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = conf_verror(cfg, sec, line, fmt, ap);
	va_end(ap);
	return r;
}

static char *conf_trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static struct nw_section *conf_add_section(struct nw_config *cfg, const char *kind,
					   const char *name, unsigned line)
{
	struct nw_section *arr = conf_grow(cfg->sec, &cfg->cap_sec, cfg->n_sec + 1, sizeof(*arr));
	if (!arr)
		return NULL;
	cfg->sec = arr;
	struct nw_section *s = &cfg->sec[cfg->n_sec];
	memset(s, 0, sizeof(*s));
	s->kind = strdup(kind);
	s->name = strdup(name);
	s->line = line;
	if (!s->kind || !s->name) {
		free(s->kind);
		free(s->name);
		return NULL;
	}
	cfg->n_sec++;
	return s;
}

static int conf_add_kv(struct nw_section *s, const char *key, const char *value, unsigned line)
{
	struct nw_kv *arr = conf_grow(s->kv, &s->cap_kv, s->n_kv + 1, sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	s->kv = arr;
	arr[s->n_kv].key = strdup(key);
	arr[s->n_kv].value = strdup(value);
	arr[s->n_kv].line = line;
	if (!arr[s->n_kv].key || !arr[s->n_kv].value) {
		free(arr[s->n_kv].key);
		free(arr[s->n_kv].value);
		return -ENOMEM;
	}
	s->n_kv++;
	return 0;
}

/* Split "kind NAME" (whitespace separated); the name may itself contain no spaces. */
static int conf_split_header(char *hdr, char **kind, char **name)
{
	char *sp;

	hdr = conf_trim(hdr);
	sp = hdr;
	while (*sp && !isspace((unsigned char)*sp))
		sp++;
	if (*sp) {
		*sp++ = '\0';
		sp = conf_trim(sp);
	}
	*kind = hdr;
	*name = sp;
	if (!*hdr)
		return -EINVAL;
	for (char *c = sp; *c; c++)
		if (isspace((unsigned char)*c))
			return -EINVAL;
	return 0;
}

/* Look at each raw line before inih does: track line numbers, headers and malformed lines. */
static void conf_scan_line(struct conf_parse *p, const char *raw, size_t n)
{
	char buf[512];
	size_t c = n < sizeof(buf) - 1 ? n : sizeof(buf) - 1;

	memcpy(buf, raw, c);
	buf[c] = '\0';
	p->line_continues = c > 0 && (buf[0] == ' ' || buf[0] == '\t');
	char *t = conf_trim(buf);
	if (!*t || *t == ';' || *t == '#')
		return;
	if (n >= 200) {
		nw_config_error(p->cfg, NULL, p->line, "line longer than 199 characters");
		return;
	}
	if (*t == '[') {
		char *end = strchr(t, ']');
		char *kind, *name;
		if (!end) {
			nw_config_error(p->cfg, NULL, p->line, "section header without ']'");
			p->cur = NULL;
			return;
		}
		*end = '\0';
		if (conf_split_header(t + 1, &kind, &name)) {
			nw_config_error(p->cfg, NULL, p->line,
					"bad section header (expected [kind] or [kind NAME])");
			p->cur = NULL;
			return;
		}
		if (nw_config_section(p->cfg, kind, name)) {
			nw_config_error(p->cfg, NULL, p->line, "duplicate section [%s%s%s]", kind,
					*name ? " " : "", name);
			p->cur = NULL;
			return;
		}
		p->cur = conf_add_section(p->cfg, kind, name, p->line);
		p->last_key[0] = '\0';
		return;
	}
	if (p->line_continues && p->last_key[0])
		return; /* a continuation of the previous value */
	if (!strchr(t, '=') && !strchr(t, ':')) {
		nw_config_error(p->cfg, NULL, p->line, "syntax error (expected key = value)");
		p->last_key[0] = '\0';
	}
}

static char *conf_reader(char *str, int num, void *stream)
{
	struct conf_parse *p = stream;

	if (p->pos >= p->len || num < 2)
		return NULL;
	const char *start = p->text + p->pos;
	const char *nl = memchr(start, '\n', p->len - p->pos);
	size_t n = nl ? (size_t)(nl - start) : p->len - p->pos;
	p->pos += n + (nl ? 1 : 0);
	p->line++;
	conf_scan_line(p, start, n);
	size_t c = n < (size_t)num - 1 ? n : (size_t)num - 1;
	memcpy(str, start, c);
	/* NUL bytes inside a line would cut it short silently; refuse them */
	if (memchr(str, '\0', c)) {
		nw_config_error(p->cfg, NULL, p->line, "NUL byte in line");
		c = 0;
	}
	str[c] = '\n';
	str[c + 1 < (size_t)num ? c + 1 : c] = '\0';
	if (c + 1 >= (size_t)num)
		str[c] = '\0';
	return str;
}

static int conf_handler(void *user, const char *section, const char *name, const char *value)
{
	struct conf_parse *p = user;
	struct nw_section *s = p->cur;

	(void)section;
	if (!s) {
		if (p->cfg->n_sec == 0)
			nw_config_error(p->cfg, NULL, p->line, "key '%s' outside any section", name);
		return 1; /* a bad header was already reported */
	}
	if (p->line_continues && !strcmp(p->last_key, name) && s->n_kv) {
		/* multi-line value: append */
		struct nw_kv *kv = &s->kv[s->n_kv - 1];
		size_t a = strlen(kv->value), b = strlen(value);
		char *nv = realloc(kv->value, a + b + 2);
		if (!nv)
			return 0;
		nv[a] = ' ';
		memcpy(nv + a + 1, value, b + 1);
		kv->value = nv;
		return 1;
	}
	if (nw_section_get(s, name, NULL)) {
		unsigned first = 0;
		nw_section_get(s, name, &first);
		nw_config_error(p->cfg, s, p->line, "duplicate key '%s' (first set on line %u)", name,
				first);
		return 1;
	}
	if (conf_add_kv(s, name, value, p->line))
		return 0;
	nw_strlcpy(p->last_key, name, sizeof(p->last_key));
	p->last_kv_line = p->line;
	return 1;
}

static int conf_parse_text(struct nw_config *cfg, const char *text, size_t len)
{
	struct conf_parse p = {.cfg = cfg, .text = text, .len = len};
	int r = ini_parse_stream(conf_reader, &p, conf_handler, &p);

	if (r == -2)
		return -ENOMEM;
	return 0; /* syntax errors were recorded by the scanner */
}

static struct nw_config *conf_new(const char *name)
{
	struct nw_config *cfg = calloc(1, sizeof(*cfg));

	if (cfg && name)
		nw_strlcpy(cfg->path, name, sizeof(cfg->path));
	return cfg;
}

int nw_config_load_string(const char *name, const char *text, struct nw_config **out)
{
	struct nw_config *cfg = conf_new(name);
	int r;

	if (!cfg)
		return -ENOMEM;
	r = conf_parse_text(cfg, text, strlen(text));
	*out = cfg;
	return r;
}

int nw_config_load(const char *path, struct nw_config **out)
{
	struct nw_config *cfg = conf_new(path);
	char *buf = NULL;
	FILE *f = NULL;
	size_t len = 0;
	int r = 0;

	if (!cfg)
		return -ENOMEM;
	*out = cfg;
	if (!path)
		return 0;
	f = fopen(path, "r");
	if (!f) {
		r = -errno;
		nw_config_error(cfg, NULL, 0, "cannot open: %s", strerror(-r));
		return r;
	}
	buf = malloc(CONF_MAX_FILE + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out_close;
	}
	len = fread(buf, 1, CONF_MAX_FILE + 1, f);
	if (ferror(f)) {
		r = -EIO;
		nw_config_error(cfg, NULL, 0, "read error");
		goto out_free;
	}
	if (len > CONF_MAX_FILE) {
		r = -EFBIG;
		nw_config_error(cfg, NULL, 0, "larger than %u bytes", CONF_MAX_FILE);
		goto out_free;
	}
	r = conf_parse_text(cfg, buf, len);
out_free:
	free(buf);
out_close:
	fclose(f);
	return r;
}

int nw_config_set(struct nw_config *cfg, const char *assignment)
{
	char buf[1024], *eq, *dot, *kind, *name, *key, *value;
	struct nw_section *s;

	if (nw_strlcpy(buf, assignment, sizeof(buf)) >= sizeof(buf))
		return nw_config_error(cfg, NULL, 0, "--set %.40s...: too long", assignment);
	eq = strchr(buf, '=');
	if (!eq)
		return nw_config_error(cfg, NULL, 0, "--set %s: expected section.key=value",
				       assignment);
	*eq = '\0';
	value = conf_trim(eq + 1);
	dot = strchr(buf, '.');
	if (dot) {
		*dot = '\0';
		key = conf_trim(dot + 1);
		if (conf_split_header(buf, &kind, &name))
			return nw_config_error(cfg, NULL, 0, "--set %s: bad section", assignment);
	} else {
		kind = (char *)"natwarden";
		name = (char *)"";
		key = conf_trim(buf);
	}
	if (!*key)
		return nw_config_error(cfg, NULL, 0, "--set %s: empty key", assignment);
	s = (struct nw_section *)nw_config_section(cfg, kind, name);
	if (!s)
		s = conf_add_section(cfg, kind, name, 0);
	if (!s)
		return -ENOMEM;
	for (unsigned i = 0; i < s->n_kv; i++) {
		if (!strcmp(s->kv[i].key, key)) {
			char *v = strdup(value);
			if (!v)
				return -ENOMEM;
			free(s->kv[i].value);
			s->kv[i].value = v;
			s->kv[i].line = NW_CONF_LINE_SET;
			return 0;
		}
	}
	return conf_add_kv(s, key, value, NW_CONF_LINE_SET);
}

void nw_config_free(struct nw_config *cfg)
{
	if (!cfg)
		return;
	for (unsigned i = 0; i < cfg->n_sec; i++) {
		struct nw_section *s = &cfg->sec[i];
		for (unsigned j = 0; j < s->n_kv; j++) {
			free(s->kv[j].key);
			free(s->kv[j].value);
		}
		free(s->kv);
		free(s->kind);
		free(s->name);
	}
	free(cfg->sec);
	for (unsigned i = 0; i < cfg->n_errors; i++)
		free(cfg->errors[i]);
	free(cfg->errors);
	free(cfg);
}

const struct nw_section *nw_config_section(const struct nw_config *cfg, const char *kind,
					   const char *name)
{
	for (unsigned i = 0; i < cfg->n_sec; i++)
		if (!strcmp(cfg->sec[i].kind, kind) && !strcmp(cfg->sec[i].name, name ? name : ""))
			return &cfg->sec[i];
	return NULL;
}

const struct nw_section *nw_config_next(const struct nw_config *cfg, const char *kind,
					unsigned *it)
{
	while (*it < cfg->n_sec) {
		const struct nw_section *s = &cfg->sec[(*it)++];
		if (!strcmp(s->kind, kind))
			return s;
	}
	return NULL;
}

const char *nw_section_get(const struct nw_section *sec, const char *key, unsigned *line)
{
	if (!sec)
		return NULL;
	for (unsigned i = 0; i < sec->n_kv; i++) {
		if (!strcmp(sec->kv[i].key, key)) {
			if (line)
				*line = sec->kv[i].line;
			return sec->kv[i].value;
		}
	}
	return NULL;
}

void nw_config_claim(const struct nw_config *ccfg, const char *kind)
{
	struct nw_config *cfg = (struct nw_config *)ccfg;

	for (unsigned i = 0; i < cfg->n_sec; i++)
		if (!strcmp(cfg->sec[i].kind, kind))
			cfg->sec[i].claimed = 1;
}

unsigned nw_config_check_unclaimed(const struct nw_config *cfg)
{
	unsigned n = 0;

	for (unsigned i = 0; i < cfg->n_sec; i++) {
		if (cfg->sec[i].claimed)
			continue;
		nw_config_error(cfg, &cfg->sec[i], 0,
				"unknown section (no loaded plugin handles '%s')", cfg->sec[i].kind);
		n++;
	}
	return n;
}

int nw_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}

int nw_parse_uint(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!isxdigit((unsigned char)s[2]))
			return -EINVAL;
		v = strtoull(s + 2, &end, 16); /* marks and masks are written in hex */
		if (errno || *end)
			return -EINVAL;
		*out = v;
		return 0;
	}
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end == 'k' || *end == 'K')
		mul = 1000, end++;
	else if (*end == 'm' || *end == 'M')
		mul = 1000000, end++;
	else if (*end == 'g' || *end == 'G')
		mul = 1000000000, end++;
	if (*end)
		return -EINVAL;
	if (v > UINT64_MAX / mul)
		return -ERANGE;
	*out = v * mul;
	return 0;
}

int nw_parse_duration_ms(const char *s, uint64_t *ms)
{
	char *end;
	unsigned long long v;
	uint64_t mul;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (!*end || !strcmp(end, "s"))
		mul = 1000;
	else if (!strcmp(end, "ms"))
		mul = 1;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		mul = 60000;
	else if (!strcmp(end, "h"))
		mul = 3600000;
	else if (!strcmp(end, "d"))
		mul = 86400000;
	else if (!strcmp(end, "w"))
		mul = 7 * 86400000ull;
	else
		return -EINVAL;
	if (v > UINT64_MAX / mul)
		return -ERANGE;
	*ms = v * mul;
	return 0;
}

int nw_parse_duration(const char *s, uint64_t *seconds)
{
	uint64_t ms;
	int r = nw_parse_duration_ms(s, &ms);

	if (r)
		return r;
	*seconds = (ms + 999) / 1000;
	return 0;
}

int nw_parse_cidr(const char *s, struct nw_addr *addr, unsigned *prefix)
{
	char buf[64], *slash;
	unsigned max;

	if (nw_strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -EINVAL;
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, buf, addr->a) == 1) {
		addr->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, addr->a) == 1) {
		addr->family = 6;
		max = 128;
	} else {
		return -EINVAL;
	}
	*prefix = max;
	if (slash) {
		char *end;
		if (!isdigit((unsigned char)slash[1]))
			return -EINVAL;
		unsigned long p = strtoul(slash + 1, &end, 10);
		if (*end || p > max)
			return -EINVAL;
		*prefix = (unsigned)p;
	}
	return 0;
}

/* Parse one value of a directive into target. */
static int conf_apply(const struct nw_directive2 *d, void *target, const char *value, char *err,
		      size_t errlen)
{
	char *dst = (char *)target + d->offset;
	int r = 0;

	switch (d->type) {
	case NW_CONF_BOOL: {
		int b;
		r = nw_parse_bool(value, &b);
		if (!r)
			memcpy(dst, &b, sizeof(b));
		else
			snprintf(err, errlen, "expected yes or no");
		break;
	}
	case NW_CONF_INT: {
		char *end;
		errno = 0;
		long long v = strtoll(value, &end, 10);
		if (errno || end == value || *end) {
			snprintf(err, errlen, "expected an integer");
			r = -EINVAL;
		} else {
			memcpy(dst, &v, sizeof(v));
		}
		break;
	}
	case NW_CONF_UINT:
	case NW_CONF_DURATION: {
		uint64_t v;
		if (d->type == NW_CONF_UINT)
			r = nw_parse_uint(value, &v);
		else
			r = nw_parse_duration(value, &v);
		if (r) {
			snprintf(err, errlen, d->type == NW_CONF_UINT
				 ? "expected a non-negative number (k/m/g allowed)"
				 : "expected a duration (e.g. 30s, 10m, 1h, 2d)");
		} else if (v < d->min || (d->max && v > d->max)) {
			if (d->max)
				snprintf(err, errlen, "out of range (%llu-%llu%s)",
					 (unsigned long long)d->min, (unsigned long long)d->max,
					 d->type == NW_CONF_DURATION ? " seconds" : "");
			else
				snprintf(err, errlen, "out of range (at least %llu%s)",
					 (unsigned long long)d->min,
					 d->type == NW_CONF_DURATION ? " seconds" : "");
			r = -ERANGE;
		} else {
			memcpy(dst, &v, sizeof(v));
		}
		break;
	}
	case NW_CONF_STRING:
		if (strlen(value) >= d->size) {
			snprintf(err, errlen, "value longer than %zu characters", d->size - 1);
			r = -EINVAL;
		} else {
			memcpy(dst, value, strlen(value) + 1);
		}
		break;
	case NW_CONF_CUSTOM:
		r = d->parse ? d->parse(dst, value, err, errlen) : -EINVAL;
		if (r > 0)
			r = -r;
		break;
	default:
		r = -EINVAL;
		snprintf(err, errlen, "bad directive type");
	}
	return r;
}

/* The i-th entry of a 1.0 table (struct nw_directive) or of a 1.2 one (struct nw_directive2 of
 * `stride` bytes), in the 1.2 form: a 1.0 entry has no bounds. */
static void conf_entry(const void *table, size_t stride, int v2, unsigned i,
		       struct nw_directive2 *out)
{
	const char *e = (const char *)table + (size_t)i * stride;

	memset(out, 0, sizeof(*out));
	if (v2) {
		memcpy(out, e, stride < sizeof(*out) ? stride : sizeof(*out));
		return;
	}
	const struct nw_directive *d = (const struct nw_directive *)(const void *)e;
	out->name = d->name;
	out->type = d->type;
	out->offset = d->offset;
	out->size = d->size;
	out->deflt = d->deflt;
	out->parse = d->parse;
	out->help = d->help;
}

/* Find key in the table: 0 and *out, or -ENOENT. */
static int conf_lookup(const void *table, size_t stride, int v2, const char *key,
		       struct nw_directive2 *out)
{
	for (unsigned i = 0;; i++) {
		conf_entry(table, stride, v2, i, out);
		if (!out->name)
			return -ENOENT;
		if (!strcmp(out->name, key))
			return 0;
	}
}

static int conf_parse_table(const struct nw_config *cfg, const struct nw_section *csec,
			    const void *table, size_t stride, int v2, void *target)
{
	struct nw_section *sec = (struct nw_section *)csec;
	struct nw_directive2 d;
	char err[256];
	int ret = 0;

	for (unsigned i = 0;; i++) {
		conf_entry(table, stride, v2, i, &d);
		if (!d.name)
			break;
		if (!d.deflt)
			continue;
		err[0] = '\0';
		if (conf_apply(&d, target, d.deflt, err, sizeof(err)) < 0)
			ret = nw_config_error(cfg, NULL, 0, "internal: bad default for '%s': %s",
					      d.name, err);
	}
	if (!sec)
		return ret;
	sec->claimed = 1;
	for (unsigned i = 0; i < sec->n_kv; i++) {
		if (conf_lookup(table, stride, v2, sec->kv[i].key, &d)) {
			ret = nw_config_error(cfg, sec, sec->kv[i].line, "unknown key '%s'",
					      sec->kv[i].key);
			continue;
		}
		err[0] = '\0';
		if (conf_apply(&d, target, sec->kv[i].value, err, sizeof(err)) < 0)
			ret = nw_config_error(cfg, sec, sec->kv[i].line, "%s = %s: %s", d.name,
					      sec->kv[i].value, err[0] ? err : "invalid value");
	}
	return ret;
}

int nw_config_parse(const struct nw_config *cfg, const struct nw_section *sec,
		    const struct nw_directive *table, void *target)
{
	return conf_parse_table(cfg, sec, table, sizeof(*table), 0, target);
}

int nw_config_parse2(const struct nw_config *cfg, const struct nw_section *sec,
		     const struct nw_directive2 *table, size_t elem_size, void *target)
{
	/* the element size of the 1.2 struct is the least a table can have */
	if (elem_size < offsetof(struct nw_directive2, max) + sizeof(table->max))
		return nw_config_error(cfg, sec, 0,
				       "internal: directive table elements of %zu bytes, expected "
				       "sizeof(struct nw_directive2) (use NW_CONF_PARSE2)", elem_size);
	return conf_parse_table(cfg, sec, table, elem_size, 1, target);
}
