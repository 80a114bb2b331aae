/* fuzz target: the ban plugin's parsers for data read from Redis (stream events, members, scores,
 * metadata, Sentinel master addresses). Input: NUL-separated fields; byte 0 selects the parser
 * and whether an HMAC key is on. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ban.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[] = "fuzz-shared-key-0123456789";
	const struct ban_rlimits lim = {
		.min_prefix4 = 16, .min_prefix6 = 32, .max_ttl = 86400 * 365, .allow_perm = 1};
	const char *f[32];
	size_t l[32], n = 0, start = 1;
	struct ban_revent ev;
	struct ban_record rec;
	struct ban_net net;
	uint64_t exp;
	char reason[96];

	if (size < 1 || size > 4096)
		return 0;
	for (size_t i = 1; i <= size && n < 32; i++) {
		if (i == size || data[i] == '\0') {
			f[n] = (const char *)data + start;
			l[n] = i - start;
			n++;
			start = i + 1;
		}
	}
	if ((data[0] & 7) == 4) { /* a Sentinel reply: host, port */
		char addr[264];
		if (n >= 2)
			ban_rparse_hostport(f[0], l[0], f[1], l[1], addr, sizeof(addr));
		if (n >= 1) /* and as a config item: HOST[:PORT] / [IPv6][:PORT] */
			ban_hostport_parse(f[0], l[0], "26379", addr, sizeof(addr));
		return 0;
	}
	switch (data[0] & 3) {
	case 0:
	case 1:
		if (n >= 2)
			ban_rparse_event(f, l, n / 2, 1700000000, &lim, (data[0] & 1) ? key : NULL,
					 (data[0] & 1) ? sizeof(key) - 1 : 0, &ev);
		break;
	case 2:
		if (n >= 1)
			ban_rparse_member(f[0], l[0], &lim, &net);
		if (n >= 2)
			ban_rparse_expiry(f[1], l[1], 1700000000, &lim, &exp);
		break;
	case 3:
		memset(&rec, 0, sizeof(rec));
		if (n >= 1 && ban_rparse_meta(f[0], l[0], &rec, reason, sizeof(reason)) == 0) {
			char buf[256];
			ban_rmeta_format(&rec, reason, buf, sizeof(buf));
		}
		break;
	}
	return 0;
}
