/* ban plugin: the old text ban store ("# natwarden-ban-state 1"), read once to migrate it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ban.h"

#define BAN_STORE_MAGIC "# natwarden-ban-state 1"

int ban_store_text_is(const char *path)
{
	char line[sizeof(BAN_STORE_MAGIC) + 1];
	FILE *f = fopen(path, "re");
	int r;

	if (!f)
		return 0;
	r = fgets(line, sizeof(line), f) && !strncmp(line, BAN_STORE_MAGIC, strlen(BAN_STORE_MAGIC));
	fclose(f);
	return r;
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

int ban_store_text_load(const char *path, const struct ban_store_cb *cb, unsigned *bad)
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
