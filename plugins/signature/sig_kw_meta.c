/* plugins/signature/sig_kw_meta.c: rule metadata keywords: msg sid rev gid classtype priority reference metadata prefilter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sig.h"

int sig_kw_msg(struct sig_parse *ps, const char *arg)
{
	char buf[512];

	if (ps->r->msg)
		return sig_err(ps, "given twice");
	if (sig_unquote(arg, buf, sizeof(buf)))
		return sig_err(ps, "too long, or an unescaped quote inside (a missing ';'?)");
	ps->r->msg = strdup(buf);
	return ps->r->msg ? 0 : sig_err(ps, "out of memory");
}

static int sig_u32(struct sig_parse *ps, const char *arg, uint32_t *out, long long lo)
{
	long long v;

	if (sig_parse_int(arg, lo, 0xffffffffLL, &v))
		return sig_err(ps, "expected a number %lld..4294967295, got '%.40s'", lo, arg);
	*out = (uint32_t)v;
	return 0;
}

int sig_kw_sid(struct sig_parse *ps, const char *arg)
{
	if (ps->seen_sid)
		return sig_err(ps, "given twice");
	ps->seen_sid = 1;
	return sig_u32(ps, arg, &ps->r->sid, 1);
}

int sig_kw_rev(struct sig_parse *ps, const char *arg)
{
	return sig_u32(ps, arg, &ps->r->rev, 0);
}

int sig_kw_gid(struct sig_parse *ps, const char *arg)
{
	return sig_u32(ps, arg, &ps->r->gid, 0);
}

int sig_kw_classtype(struct sig_parse *ps, const char *arg)
{
	const struct sig_class *c = sig_classes_find(ps->env ? ps->env->classes : NULL, arg);

	if (!c)
		return sig_err(ps, "unknown classtype '%.60s' (not in classification.config)", arg);
	if (ps->r->classtype)
		return sig_err(ps, "given twice");
	ps->r->cls = c;
	ps->r->classtype = strdup(arg);
	return ps->r->classtype ? 0 : sig_err(ps, "out of memory");
}

int sig_kw_priority(struct sig_parse *ps, const char *arg)
{
	long long v;

	if (sig_parse_int(arg, 1, 255, &v))
		return sig_err(ps, "expected 1..255");
	ps->r->prio = (int)v;
	ps->r->has_prio = 1;
	return 0;
}

static int sig_append(struct sig_parse *ps, char **dst, const char *arg)
{
	size_t old = *dst ? strlen(*dst) : 0, add = strlen(arg);
	char *n;

	if (old + add > 4096)
		return sig_err(ps, "too long");
	n = realloc(*dst, old + add + 3);
	if (!n)
		return sig_err(ps, "out of memory");
	if (old) {
		memcpy(n + old, ", ", 2);
		old += 2;
	}
	memcpy(n + old, arg, add + 1);
	*dst = n;
	return 0;
}

int sig_kw_reference(struct sig_parse *ps, const char *arg)
{
	if (!strchr(arg, ','))
		return sig_err(ps, "expected 'type,id'");
	return sig_append(ps, &ps->r->refs, arg);
}

int sig_kw_metadata(struct sig_parse *ps, const char *arg)
{
	return sig_append(ps, &ps->r->metadata, arg);
}

/* tag:session|host[, COUNT, packets|seconds|bytes[, src|dst]]: Suricata logs the packets that
 * follow; natwarden has no packet log, so the rule loads and the tag does nothing. */
int sig_kw_tag(struct sig_parse *ps, const char *arg)
{
	char buf[128], *f[5], *save = NULL;
	unsigned n = 0;
	long long v;

	snprintf(buf, sizeof(buf), "%s", arg);
	for (char *t = strtok_r(buf, ",", &save); t && n < 5; t = strtok_r(NULL, ",", &save))
		f[n++] = sig_trim(t);
	if (n < 1 || n > 4 || n == 2 || (strcmp(f[0], "session") && strcmp(f[0], "host")))
		return sig_err(ps, "expected session|host[, COUNT, packets|seconds|bytes[, src|dst]]");
	if (n >= 3 && (sig_parse_int(f[1], 1, 1000000000, &v) ||
		       (strcmp(f[2], "packets") && strcmp(f[2], "seconds") && strcmp(f[2], "bytes"))))
		return sig_err(ps, "expected session|host[, COUNT, packets|seconds|bytes[, src|dst]]");
	if (n == 4 && strcmp(f[3], "src") && strcmp(f[3], "dst"))
		return sig_err(ps, "the direction is src or dst");
	return 0;
}

int sig_kw_target(struct sig_parse *ps, const char *arg)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%s", arg);
	if (strcmp(sig_trim(buf), "src_ip") && strcmp(sig_trim(buf), "dest_ip"))
		return sig_err(ps, "expected src_ip or dest_ip");
	return 0;
}

void sig_free_plain(void *ctx)
{
	free(ctx);
}

static int sig_name_in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(name, *list))
			return 1;
	return 0;
}

/*
 * prefilter: Suricata's explicit prefilter. After a content (or its modifiers) it makes that
 * content the fast pattern, as fast_pattern does. After another match keyword it is accepted
 * and changes nothing: Suricata would prefilter on that keyword instead of a pattern, which
 * changes its speed, not what matches; natwarden keeps its pattern prefilter (a rule without a
 * content is evaluated on every packet of its protocol and ports anyway).
 */
int sig_kw_prefilter(struct sig_parse *ps, const char *arg)
{
	static const char *const content_kw[] = { "content", "nocase", "offset", "depth",
						  "distance", "within", "startswith", "endswith",
						  "rawbytes", "fast_pattern", NULL };
	static const char *const meta_kw[] = { "msg", "sid", "rev", "gid", "classtype",
					       "priority", "reference", "metadata", "target",
					       "tag", NULL };
	struct sig_rule *r = ps->r;
	struct sig_content *c = ps->last_content;

	(void)arg;
	if (ps->seen_prefilter)
		return sig_err(ps, "only one prefilter per rule");
	ps->seen_prefilter = 1;
	if (!ps->prev_kw || sig_name_in(ps->prev_kw, meta_kw))
		return sig_err(ps, "must follow the match keyword it applies to");
	if (!sig_name_in(ps->prev_kw, content_kw) || !c)
		return 0;
	if (c->flags & SIG_CF_NEGATED)
		return sig_err(ps, "a negated content can't be the prefilter pattern");
	for (unsigned i = 0; i < r->n_pm; i++)
		if (r->pm[i].type == SIG_SM_CONTENT && r->pm[i].ctx != c &&
		    (((struct sig_content *)r->pm[i].ctx)->flags & SIG_CF_FAST))
			return sig_err(ps, "another content is already the fast pattern");
	c->flags |= SIG_CF_FAST;
	return 0;
}
