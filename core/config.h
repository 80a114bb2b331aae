/* Config: INI files parsed with inih into sections with line numbers; errors carry file:line. */
#ifndef NW_CONFIG_H
#define NW_CONFIG_H

#include <stddef.h>
#include "natwarden/plugin.h"

#define NW_CONF_LINE_SET 0xffffffffu /* the value came from --set */

struct nw_kv {
	char *key;
	char *value;
	unsigned line; /* NW_CONF_LINE_SET = from --set */
};

/* [kind] or [kind NAME] (the opaque nw_section of the ABI). */
struct nw_section {
	char *kind;  /* "natwarden", "limit", "jail", ... */
	char *name;  /* "" when the header has no name */
	unsigned line;
	struct nw_kv *kv;
	unsigned n_kv, cap_kv;
	int claimed; /* some part of the program parsed it (unclaimed sections are errors) */
};

/* The opaque nw_config of the ABI. */
struct nw_config {
	char path[512];
	struct nw_section *sec;
	unsigned n_sec, cap_sec;
	char **errors; /* "file:line: message" */
	unsigned n_errors, cap_errors;
};

/* Parse a file (path may be NULL: an empty config). Syntax errors are recorded, not fatal.
 * Returns 0, or -errno if the file cannot be read (also recorded). */
int nw_config_load(const char *path, struct nw_config **out);
/* Parse from a string (tests, fuzzers); `name` is used in messages. */
int nw_config_load_string(const char *name, const char *text, struct nw_config **out);
/* Apply "--set section.key=value" (section "kind NAME" allowed; no dot means [natwarden]). */
int nw_config_set(struct nw_config *cfg, const char *assignment);
void nw_config_free(struct nw_config *cfg);

const struct nw_section *nw_config_section(const struct nw_config *cfg, const char *kind,
					   const char *name);
const struct nw_section *nw_config_next(const struct nw_config *cfg, const char *kind,
					unsigned *it);
/* Look up a key in a section (NULL if absent). */
const char *nw_section_get(const struct nw_section *sec, const char *key, unsigned *line);
/* Parse with a directive table (unknown keys and bad values are recorded errors). */
int nw_config_parse(const struct nw_config *cfg, const struct nw_section *sec,
		    const struct nw_directive *table, void *target);
/* The same with a struct nw_directive2 table (bounds) of elem_size-byte elements (ABI 1.2). */
int nw_config_parse2(const struct nw_config *cfg, const struct nw_section *sec,
		     const struct nw_directive2 *table, size_t elem_size, void *target);
int nw_config_error(const struct nw_config *cfg, const struct nw_section *sec, unsigned line,
		    const char *fmt, ...) NW_PRINTF(4, 5);
/* Mark sections of a kind as handled (so they are not reported as unknown). */
void nw_config_claim(const struct nw_config *cfg, const char *kind);
/* Record an error for every section nobody claimed. Returns the number of such sections. */
unsigned nw_config_check_unclaimed(const struct nw_config *cfg);

/* Value parsers shared by the core and tools (0 or -EINVAL). */
int nw_parse_bool(const char *s, int *out);
int nw_parse_uint(const char *s, uint64_t *out);     /* decimal, k/m/g (1000s) suffixes */
int nw_parse_duration(const char *s, uint64_t *seconds); /* 10, 10s, 5m, 1h, 2d, 1w */
int nw_parse_duration_ms(const char *s, uint64_t *ms);
/* "198.51.100.7", "2001:db8::/32", "10.0.0.0/8" -> address + prefix length */
int nw_parse_cidr(const char *s, struct nw_addr *addr, unsigned *prefix);

#endif
