/* ban plugin: the local ban store, a text file replaced atomically (temp + fsync + rename). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ban.h"

#define BAN_STORE_MAGIC "# natwarden-ban-state 1"

struct ban_store_writer {
	FILE *f;
	char path[4096];
	char tmp[4096 + 16];
	int err;
};

/* Names go in as one token: anything outside [A-Za-z0-9._:@-] becomes '_', empty is "-". */
static void ban_token(char *dst, size_t len, const char *src)
{
	size_t i = 0;

	for (; src && src[i] && i + 1 < len; i++) {
		char c = src[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			 c == '.' || c == '_' || c == ':' || c == '@' || c == '-';
		dst[i] = ok ? c : '_';
	}
	dst[i] = '\0';
	if (i == 0 && len > 1)
		snprintf(dst, len, "-");
}

int ban_store_begin(struct ban_store_writer **out, const char *path)
{
	struct ban_store_writer *w = calloc(1, sizeof(*w));
	int fd;

	if (!w)
		return -ENOMEM;
	if (strlen(path) >= sizeof(w->path)) {
		free(w);
		return -ENAMETOOLONG;
	}
	snprintf(w->path, sizeof(w->path), "%s", path);
	snprintf(w->tmp, sizeof(w->tmp), "%s.tmpXXXXXX", path);
	fd = mkstemp(w->tmp);
	if (fd < 0) {
		int e = -errno;
		free(w);
		return e;
	}
	w->f = fdopen(fd, "w");
	if (!w->f) {
		int e = -errno;
		close(fd);
		unlink(w->tmp);
		free(w);
		return e;
	}
	if (fprintf(w->f, "%s\n", BAN_STORE_MAGIC) < 0)
		w->err = -EIO;
	*out = w;
	return 0;
}

int ban_store_add_ban(struct ban_store_writer *w, const struct ban_record *r)
{
	char net[BAN_NET_STRLEN], jail[32], origin[32];

	if (ban_net_format(&r->net, net, sizeof(net)) < 0)
		return -EINVAL;
	ban_token(jail, sizeof(jail), r->jail);
	ban_token(origin, sizeof(origin), r->origin);
	if (fprintf(w->f, "ban %s %" PRIu64 " %" PRIu64 " %s %" PRIu32 " %s %s\n", net,
		    r->expires_wall, r->created_wall, r->reject ? "reject" : "drop", r->count, jail,
		    origin) < 0)
		w->err = -EIO;
	return w->err;
}

int ban_store_add_hist(struct ban_store_writer *w, const char *jail, const struct ban_net *n,
		       uint32_t count, uint64_t last_wall)
{
	char net[BAN_NET_STRLEN], j[32];

	if (ban_net_format(n, net, sizeof(net)) < 0)
		return -EINVAL;
	ban_token(j, sizeof(j), jail);
	if (fprintf(w->f, "hist %s %s %" PRIu32 " %" PRIu64 "\n", j, net, count, last_wall) < 0)
		w->err = -EIO;
	return w->err;
}

void ban_store_abort(struct ban_store_writer *w)
{
	if (!w)
		return;
	if (w->f)
		fclose(w->f);
	unlink(w->tmp);
	free(w);
}

int ban_store_commit(struct ban_store_writer *w)
{
	char dir[4096];
	int r = w->err, dfd;

	if (fprintf(w->f, "# end\n") < 0)
		r = -EIO;
	if (!r && fflush(w->f) != 0)
		r = -errno;
	if (!r && fsync(fileno(w->f)) < 0)
		r = -errno;
	if (fclose(w->f) != 0 && !r)
		r = -errno;
	w->f = NULL;
	if (!r && rename(w->tmp, w->path) < 0)
		r = -errno;
	if (r) {
		unlink(w->tmp);
		free(w);
		return r;
	}
	snprintf(dir, sizeof(dir), "%s", w->path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(w);
	return 0;
}

static int ban_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*v = x;
	return 0;
}

static int ban_store_line(char *line, const struct ban_store_cb *cb)
{
	char *tok[9], *save = NULL;
	int n = 0;

	for (char *t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
		if (n >= 9)
			return -EINVAL;
		tok[n++] = t;
	}
	if (n == 0 || tok[0][0] == '#')
		return 0;
	if (!strcmp(tok[0], "ban") && n == 8) {
		struct ban_record r;
		uint64_t cnt;
		memset(&r, 0, sizeof(r));
		if (ban_net_parse(tok[1], &r.net, 1) < 0 || ban_u64(tok[2], &r.expires_wall) ||
		    ban_u64(tok[3], &r.created_wall) || ban_u64(tok[5], &cnt) || cnt > UINT32_MAX)
			return -EINVAL;
		if (!strcmp(tok[4], "reject"))
			r.reject = 1;
		else if (strcmp(tok[4], "drop"))
			return -EINVAL;
		r.count = (uint32_t)cnt;
		if (strlen(tok[6]) >= sizeof(r.jail) || strlen(tok[7]) >= sizeof(r.origin))
			return -EINVAL;
		snprintf(r.jail, sizeof(r.jail), "%s", strcmp(tok[6], "-") ? tok[6] : "");
		snprintf(r.origin, sizeof(r.origin), "%s", strcmp(tok[7], "-") ? tok[7] : "");
		return cb->ban ? cb->ban(cb->ctx, &r) : 0;
	}
	if (!strcmp(tok[0], "hist") && n == 5) {
		struct ban_net net;
		uint64_t cnt, last;
		if (strlen(tok[1]) >= 32 || ban_net_parse(tok[2], &net, 1) < 0 ||
		    ban_u64(tok[3], &cnt) || cnt > UINT32_MAX || ban_u64(tok[4], &last))
			return -EINVAL;
		return cb->hist ? cb->hist(cb->ctx, tok[1], &net, (uint32_t)cnt, last) : 0;
	}
	return -EINVAL;
}

int ban_store_load(const char *path, const struct ban_store_cb *cb, unsigned *bad)
{
	char line[512];
	FILE *f = fopen(path, "re");
	int first = 1;

	*bad = 0;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			int c;
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			(*bad)++;
			continue;
		}
		if (first) {
			first = 0;
			if (strncmp(line, BAN_STORE_MAGIC, strlen(BAN_STORE_MAGIC))) {
				fclose(f);
				return -EINVAL;
			}
			continue;
		}
		if (ban_store_line(line, cb) < 0)
			(*bad)++;
	}
	fclose(f);
	return 0;
}
