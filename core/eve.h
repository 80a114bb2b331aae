/* EVE JSON: one JSON object per event, field-compatible with Suricata's eve.json for alerts. */
#ifndef NW_EVE_H
#define NW_EVE_H

#include <stddef.h>
#include <stdint.h>
#include "natwarden/plugin.h"

/*
 * Append `in` (inlen bytes, any bytes at all) to out as the inside of a JSON string: `"` `\` and
 * control characters escaped, valid UTF-8 copied, invalid UTF-8 bytes written as \u00XX of the
 * byte (so the output is always valid JSON and valid UTF-8). Returns the number of bytes written
 * (excluding the NUL it always writes when outlen > 0) or -ENOSPC if it did not fit.
 */
int nw_json_escape(char *out, size_t outlen, const char *in, size_t inlen);

/* Format an address as text ("198.51.100.1", "2001:db8::1"). buf >= 46 bytes. */
const char *nw_addr_str(const struct nw_addr *a, char *buf, size_t len);

/* Options for the EVE writer. */
struct nw_eve_opts {
	int payload_printable; /* add alert.payload_printable when the event carries payload */
};

/*
 * Format one event as a single line of JSON followed by '\n' into buf. Returns the length or
 * -ENOSPC. The `payload` in ev (if any) must still be valid; the core copies it before queueing.
 */
int nw_eve_format(const struct nw_event *ev, const struct nw_eve_opts *opts, char *buf,
		  size_t len);

/* Suricata's timestamp format: 2024-01-02T03:04:05.123456+0000 (UTC). buf >= 40. */
void nw_eve_timestamp(uint64_t ts_ns, char *buf, size_t len);

#endif
