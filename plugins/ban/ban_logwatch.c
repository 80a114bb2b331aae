/* ban plugin: fail2ban-style failregex (<HOST> expansion, PCRE2) and the polled log-file tail. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "ban.h"

/* ---- <HOST> expansion ---- */

/* IPv4, IPv4-mapped IPv6, or IPv6 (validated by inet_pton after the match) */
#define BAN_HOST_RE                                                                  \
	"(?<host>(?:::ffff:)?\\d{1,3}(?:\\.\\d{1,3}){3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}" \
	"(?:(?<=:)\\d{1,3}(?:\\.\\d{1,3}){3})?)"

int ban_fre_expand(const char *re, char *out, size_t outlen)
{
	static const char *const tags[] = {"<HOST>", "<ADDR>", NULL};
	size_t o = 0, hosts = 0;

	if (!outlen)
		return -EINVAL;
	for (const char *s = re; *s;) {
		size_t tl = 0;
		for (unsigned t = 0; tags[t]; t++)
			if (!strncmp(s, tags[t], strlen(tags[t])))
				tl = strlen(tags[t]);
		if (tl) {
			size_t hl = strlen(BAN_HOST_RE);
			if (o + hl >= outlen)
				return -ENAMETOOLONG;
			memcpy(out + o, BAN_HOST_RE, hl);
			o += hl;
			s += tl;
			hosts++;
			continue;
		}
		if (o + 1 >= outlen)
			return -ENAMETOOLONG;
		out[o++] = *s++;
	}
	out[o] = '\0';
	return hosts == 1 ? 0 : -EINVAL;
}

/* ---- compiled regex sets ---- */

#define BAN_FRE_MAX 32

struct ban_fre {
	pcre2_code *fail[BAN_FRE_MAX];
	uint32_t host_grp[BAN_FRE_MAX];
	unsigned n_fail;
	pcre2_code *ign[BAN_FRE_MAX];
	unsigned n_ign;
	pcre2_match_data *md;
	pcre2_match_context *mc;
};

struct ban_fre *ban_fre_new(void)
{
	struct ban_fre *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->mc = pcre2_match_context_create(NULL);
	f->md = pcre2_match_data_create(32, NULL);
	if (!f->mc || !f->md) {
		ban_fre_free(f);
		return NULL;
	}
	/* a pathological regex on a hostile log line stays bounded */
	pcre2_set_match_limit(f->mc, 100000);
	pcre2_set_depth_limit(f->mc, 1000);
	return f;
}

void ban_fre_free(struct ban_fre *f)
{
	if (!f)
		return;
	for (unsigned i = 0; i < f->n_fail; i++)
		pcre2_code_free(f->fail[i]);
	for (unsigned i = 0; i < f->n_ign; i++)
		pcre2_code_free(f->ign[i]);
	pcre2_match_data_free(f->md);
	pcre2_match_context_free(f->mc);
	free(f);
}

unsigned ban_fre_count(const struct ban_fre *f, int ignore)
{
	return f ? (ignore ? f->n_ign : f->n_fail) : 0;
}

int ban_fre_add(struct ban_fre *f, const char *re, int ignore, char *err, size_t errlen)
{
	char exp[4096];
	const char *src = re;
	pcre2_code *c;
	PCRE2_SIZE off;
	int ec, r;

	if ((ignore ? f->n_ign : f->n_fail) >= BAN_FRE_MAX) {
		snprintf(err, errlen, "more than %d regexes", BAN_FRE_MAX);
		return -E2BIG;
	}
	if (!ignore) {
		r = ban_fre_expand(re, exp, sizeof(exp));
		if (r == -EINVAL) {
			snprintf(err, errlen, "failregex needs exactly one <HOST>: %.80s", re);
			return r;
		}
		if (r < 0) {
			snprintf(err, errlen, "failregex too long");
			return r;
		}
		src = exp;
	}
	c = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED, 0, &ec, &off, NULL);
	if (!c) {
		PCRE2_UCHAR msg[128];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		snprintf(err, errlen, "bad %s '%.80s': %s", ignore ? "ignoreregex" : "failregex", re,
			 (const char *)msg);
		return -EINVAL;
	}
	pcre2_jit_compile(c, PCRE2_JIT_COMPLETE); /* optional: falls back to the interpreter */
	if (ignore) {
		f->ign[f->n_ign++] = c;
		return 0;
	}
	r = pcre2_substring_number_from_name(c, (PCRE2_SPTR) "host");
	if (r <= 0) {
		pcre2_code_free(c);
		snprintf(err, errlen, "failregex: no host group");
		return -EINVAL;
	}
	f->host_grp[f->n_fail] = (uint32_t)r;
	f->fail[f->n_fail++] = c;
	return 0;
}

static int fre_host(const char *s, size_t len, struct nw_addr *a)
{
	char buf[64];

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, a->a) == 1) {
		a->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, a->a) != 1)
		return -EINVAL;
	a->family = 6;
	/* ::ffff:a.b.c.d is the IPv4 client of a dual-stack listener */
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (!memcmp(a->a, mapped, sizeof(mapped))) {
		memmove(a->a, a->a + 12, 4);
		memset(a->a + 4, 0, 12);
		a->family = 4;
	}
	return 0;
}

int ban_fre_match(struct ban_fre *f, const char *line, size_t len, struct nw_addr *out)
{
	for (unsigned i = 0; i < f->n_fail; i++) {
		int rc = pcre2_match(f->fail[i], (PCRE2_SPTR)line, len, 0, 0, f->md, f->mc);
		PCRE2_SIZE *ov;
		uint32_t g = f->host_grp[i];

		if (rc <= 0)
			continue;
		ov = pcre2_get_ovector_pointer(f->md);
		if ((uint32_t)rc <= g || ov[2 * g] == PCRE2_UNSET || ov[2 * g + 1] < ov[2 * g])
			continue;
		if (fre_host(line + ov[2 * g], ov[2 * g + 1] - ov[2 * g], out) < 0)
			continue;
		for (unsigned k = 0; k < f->n_ign; k++)
			if (pcre2_match(f->ign[k], (PCRE2_SPTR)line, len, 0, 0, f->md, f->mc) > 0)
				return 0;
		return 1;
	}
	return 0;
}

/* ---- the file tail ---- */

struct ban_logw {
	char path[256];
	int fd;
	dev_t dev;
	ino_t ino;
	off_t off;
	int skipping;  /* inside an over-long line: drop up to the next newline */
	int missing;   /* the file was absent at the last look */
	int warned;
	size_t nbuf;
	char buf[BAN_LOGW_LINE_MAX];
};

struct ban_logw *ban_logw_open(const char *path, int from_start)
{
	struct ban_logw *w = calloc(1, sizeof(*w));
	struct stat st;

	if (!w)
		return NULL;
	snprintf(w->path, sizeof(w->path), "%s", path);
	w->fd = -1;
	/* like tail: what the file held before we started is history, not new failures */
	if (!from_start && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		w->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (w->fd >= 0) {
			w->dev = st.st_dev;
			w->ino = st.st_ino;
			w->off = st.st_size;
		}
	}
	if (w->fd < 0)
		w->missing = 1;
	return w;
}

void ban_logw_close(struct ban_logw *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}

const char *ban_logw_path(const struct ban_logw *w)
{
	return w->path;
}

/* Feed n bytes to the line splitter. */
static void logw_feed(struct ban_logw *w, const char *s, size_t n, struct ban_logw_stats *st,
		      ban_logw_cb cb, void *ctx)
{
	while (n) {
		const char *nl = memchr(s, '\n', n);
		size_t k = nl ? (size_t)(nl - s) : n;

		if (!w->skipping) {
			size_t room = sizeof(w->buf) - 1 - w->nbuf;
			if (k > room) {
				/* over-long: the head is dropped as well (a host in it may be forged
				 * by whatever filled the rest) */
				w->skipping = 1;
				w->nbuf = 0;
				st->too_long++;
			} else {
				memcpy(w->buf + w->nbuf, s, k);
				w->nbuf += k;
			}
		}
		if (!nl)
			return;
		if (!w->skipping) {
			if (w->nbuf && w->buf[w->nbuf - 1] == '\r')
				w->nbuf--;
			w->buf[w->nbuf] = '\0';
			st->lines++;
			cb(ctx, w->buf, w->nbuf);
		}
		w->skipping = 0;
		w->nbuf = 0;
		s += k + 1;
		n -= k + 1;
	}
}

/* Read what is new in the open file, at most *budget bytes. 1 when it stopped on the budget. */
static int logw_drain(struct ban_logw *w, size_t *budget, struct ban_logw_stats *st,
		      ban_logw_cb cb, void *ctx)
{
	char chunk[16384];

	while (*budget) {
		size_t want = *budget < sizeof(chunk) ? *budget : sizeof(chunk);
		ssize_t r = pread(w->fd, chunk, want, w->off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			st->errors++;
			return 0;
		}
		if (r == 0)
			return 0;
		w->off += r;
		*budget -= (size_t)r;
		st->bytes += (uint64_t)r;
		logw_feed(w, chunk, (size_t)r, st, cb, ctx);
	}
	return 1;
}

int ban_logw_poll(struct ban_logw *w, size_t budget, struct ban_logw_stats *st, ban_logw_cb cb,
		  void *ctx)
{
	struct stat ps, fs;
	int have_path = stat(w->path, &ps) == 0 && S_ISREG(ps.st_mode);

	if (w->fd >= 0) {
		if (fstat(w->fd, &fs) == 0 && fs.st_size < w->off) {
			/* truncated in place (copytruncate): start over */
			st->rotations++;
			w->off = 0;
			w->nbuf = 0;
			w->skipping = 0;
		}
		if (logw_drain(w, &budget, st, cb, ctx))
			return 1;
		if (have_path && (ps.st_dev == w->dev && ps.st_ino == w->ino))
			return 0;
		/* renamed or removed: the old file is read to its end (above); follow the name */
		close(w->fd);
		w->fd = -1;
		w->nbuf = 0;
		w->skipping = 0;
		if (!have_path) {
			w->missing = 1;
			return 0;
		}
		st->rotations++;
	}
	if (!have_path) {
		w->missing = 1;
		return 0;
	}
	/* a file that appeared (or replaced the old one) after we started: all of it is new */
	w->fd = open(w->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (w->fd < 0) {
		st->errors++;
		return 0;
	}
	if (fstat(w->fd, &fs) < 0 || !S_ISREG(fs.st_mode)) {
		close(w->fd);
		w->fd = -1;
		st->errors++;
		return 0;
	}
	w->dev = fs.st_dev;
	w->ino = fs.st_ino;
	w->off = 0;
	w->missing = 0;
	return logw_drain(w, &budget, st, cb, ctx);
}

int ban_logw_take(struct ban_logw *w, struct ban_logw *old)
{
	if (strcmp(w->path, old->path) || old->fd < 0)
		return 0;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = old->fd;
	w->dev = old->dev;
	w->ino = old->ino;
	w->off = old->off;
	w->missing = 0;
	w->nbuf = old->nbuf;
	w->skipping = old->skipping;
	memcpy(w->buf, old->buf, old->nbuf);
	old->fd = -1;
	return 1;
}

/* ---- multi-line config values ---- */

/* inih: an inline comment is ';' after whitespace; then both ends trimmed */
static void conf_trim(char *s)
{
	char *e;
	size_t n;

	for (char *c = s; *c; c++)
		if (*c == ';' && c > s && (c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			break;
		}
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	e = s + strspn(s, " \t");
	memmove(s, e, strlen(e) + 1);
}

static int conf_one(const char *value, char **out)
{
	out[0] = strdup(value);
	return out[0] ? 1 : -ENOMEM;
}

int ban_conf_lines(const char *path, unsigned line, const char *value, char **out,
		   unsigned max)
{
	char buf[4096], *joined = NULL;
	unsigned n = 0, ln = 0;
	size_t jl = 0;
	FILE *f;

	if (!max)
		return 0;
	if (strchr(value, '\n')) {
		const char *s = value;
		while (*s && n < max) {
			size_t k = strcspn(s, "\n");
			if (k) {
				out[n] = strndup(s, k);
				if (!out[n])
					goto nomem;
				n++;
			}
			s += k + (s[k] == '\n');
		}
		return (int)n;
	}
	f = path && line ? fopen(path, "re") : NULL;
	if (!f)
		return conf_one(value, out);
	while (fgets(buf, sizeof(buf), f)) {
		ln++;
		if (!strchr(buf, '\n') && !feof(f))
			break; /* a line longer than inih takes: give up on splitting */
		if (ln < line)
			continue;
		if (ln == line) {
			char *eq = buf + strcspn(buf, "=:");
			if (!*eq)
				break;
			memmove(buf, eq + 1, strlen(eq + 1) + 1);
		} else {
			/* inih: blank and comment lines do not end a continuation */
			if (buf[0] == ';' || buf[0] == '#' || buf[0] == '\n' || buf[0] == '\r')
				continue;
			if (buf[0] != ' ' && buf[0] != '\t')
				break; /* the next key or section */
			conf_trim(buf);
			if (!buf[0] || buf[0] == ';' || buf[0] == '#')
				continue;
		}
		conf_trim(buf);
		if (n == max)
			break;
		out[n] = strdup(buf);
		if (!out[n])
			break;
		n++;
	}
	fclose(f);
	/* use the lines only if they are what the core read */
	for (unsigned i = 0; i < n; i++)
		jl += strlen(out[i]) + 1;
	joined = n ? malloc(jl) : NULL;
	if (joined) {
		joined[0] = '\0';
		for (unsigned i = 0; i < n; i++) {
			if (i)
				strcat(joined, " ");
			strcat(joined, out[i]);
		}
	}
	if (joined && !strcmp(joined, value)) {
		unsigned k = 0;
		free(joined);
		for (unsigned i = 0; i < n; i++) {
			if (out[i][0])
				out[k++] = out[i];
			else
				free(out[i]);
		}
		return (int)k;
	}
	free(joined);
	for (unsigned i = 0; i < n; i++)
		free(out[i]);
	return conf_one(value, out);
nomem:
	for (unsigned i = 0; i < n; i++)
		free(out[i]);
	return -ENOMEM;
}
