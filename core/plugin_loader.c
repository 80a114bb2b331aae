/* Plugin loader: dlopen a plugin, check its descriptor (ABI major/minor, size, build options). */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine.h"
#include "plugin_loader.h"
#include "util.h"

static int loader_name_ok(const char *name)
{
	if (!name[0] || strlen(name) >= 64)
		return 0;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' ||
		      *c == '-'))
			return 0;
	return 1;
}

int nw_plugin_check_desc(const struct nw_plugin_desc *d, const char *want_name, char *err,
			 size_t errlen)
{
	if (d->abi_major != NW_ABI_MAJOR) {
		snprintf(err, errlen, "built for plugin ABI %u.%u, this natwarden has ABI %u.%u "
			 "(major versions differ; rebuild the plugin against this natwarden)",
			 d->abi_major, d->abi_minor, NW_ABI_MAJOR, NW_ABI_MINOR);
		return -EPROTO;
	}
	if (d->abi_minor > NW_ABI_MINOR) {
		snprintf(err, errlen, "built for plugin ABI %u.%u, newer than this natwarden's %u.%u",
			 d->abi_major, d->abi_minor, NW_ABI_MAJOR, NW_ABI_MINOR);
		return -EPROTO;
	}
	if (d->size != (d->abi_minor == 0 ? NW_DESC_SIZE_1_0 : sizeof(struct nw_plugin_desc))) {
		snprintf(err, errlen, "descriptor size %u, expected %zu for ABI %u.%u (built against "
			 "another plugin.h?)", d->size,
			 d->abi_minor == 0 ? NW_DESC_SIZE_1_0 : sizeof(struct nw_plugin_desc),
			 d->abi_major, d->abi_minor);
		return -EPROTO;
	}
	if (!d->build_options || strcmp(d->build_options, NW_BUILD_OPTIONS)) {
		snprintf(err, errlen, "build options '%s' differ from this natwarden's '%s'",
			 d->build_options ? d->build_options : "(none)", NW_BUILD_OPTIONS);
		return -EPROTO;
	}
	if (!d->name || !loader_name_ok(d->name)) {
		snprintf(err, errlen, "descriptor has no valid name");
		return -EPROTO;
	}
	if (want_name && strcmp(d->name, want_name)) {
		snprintf(err, errlen, "descriptor name '%s' does not match '%s'", d->name, want_name);
		return -EPROTO;
	}
	if (!d->services) {
		snprintf(err, errlen, "descriptor has no services slot");
		return -EPROTO;
	}
	if (d->flow_priv_size > 4096) {
		snprintf(err, errlen, "flow_priv_size %zu exceeds 4096", d->flow_priv_size);
		return -EPROTO;
	}
	return 0;
}

int nw_plugin_from_desc(const struct nw_plugin_desc *d, struct nw_plugin **out, char *err,
			size_t errlen)
{
	struct nw_plugin *p;
	int r = nw_plugin_check_desc(d, NULL, err, errlen);

	if (r)
		return r;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	/* the core's own copy in the current layout: fields an older plugin lacks read as NULL */
	memcpy(&p->desc_copy, d, d->size);
	p->desc = &p->desc_copy;
	nw_strlcpy(p->name, d->name, sizeof(p->name));
	nw_strlcpy(p->path, "(built in)", sizeof(p->path));
	p->n_reasons = 1;
	nw_strlcpy(p->reason_name[0], "default", sizeof(p->reason_name[0]));
	*out = p;
	return 0;
}

int nw_plugin_dirs_resolve(const char *dirs, const char *conf_path, char *out, size_t outlen)
{
	const char *slash = conf_path ? strrchr(conf_path, '/') : NULL;
	char buf[1024];
	size_t len = 0;

	if (nw_strlcpy(buf, dirs, sizeof(buf)) >= sizeof(buf))
		return -ENAMETOOLONG;
	if (outlen)
		out[0] = '\0';
	for (char *save = NULL, *dir = strtok_r(buf, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		int n;
		if (dir[0] != '/' && slash) /* "plugins" in /etc/nw/nw.conf: /etc/nw/plugins */
			n = snprintf(out + len, outlen - len, "%s%.*s/%s", len ? ":" : "",
				     (int)(slash - conf_path), conf_path, dir);
		else
			n = snprintf(out + len, outlen - len, "%s%s", len ? ":" : "", dir);
		if (n < 0 || (size_t)n >= outlen - len)
			return -ENAMETOOLONG;
		len += (size_t)n;
	}
	return 0;
}

int nw_plugin_open(const char *name, const char *dirs, struct nw_plugin **out, char *err,
		   size_t errlen)
{
	char path[512], dirbuf[2048];
	const struct nw_plugin_desc *d;
	void *dl = NULL;
	int r;

	if (!loader_name_ok(name)) {
		snprintf(err, errlen, "bad plugin name '%s' (letters, digits, - and _ only)", name);
		return -EINVAL;
	}
	nw_strlcpy(dirbuf, dirs, sizeof(dirbuf));
	path[0] = '\0';
	for (char *save = NULL, *dir = strtok_r(dirbuf, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof(path), "%s/%s.so", dir, name);
		if (access(path, R_OK) == 0)
			break;
		path[0] = '\0';
	}
	if (!path[0]) {
		snprintf(err, errlen, "%s.so not found in %s", name, dirs);
		return -ENOENT;
	}
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		snprintf(err, errlen, "%s", dlerror()); /* it names the file already */
		return -ELIBBAD;
	}
	d = dlsym(dl, NW_PLUGIN_SYMBOL);
	if (!d) {
		snprintf(err, errlen, "%s: no %s symbol exported: not a natwarden plugin, or its "
			 "descriptor is hidden (built with -fvisibility=hidden, as pkg-config "
			 "natwarden-plugin gives, it must be defined with NW_PLUGIN_EXPORT)", path,
			 NW_PLUGIN_SYMBOL);
		dlclose(dl);
		return -ELIBBAD;
	}
	char why[400];
	r = nw_plugin_check_desc(d, name, why, sizeof(why));
	if (r) {
		snprintf(err, errlen, "%s: refused: %s", path, why);
		dlclose(dl);
		return r;
	}
	r = nw_plugin_from_desc(d, out, err, errlen);
	if (r) {
		dlclose(dl);
		return r;
	}
	(*out)->dl = dl;
	nw_strlcpy((*out)->path, path, sizeof((*out)->path));
	return 0;
}

void nw_plugin_close(struct nw_plugin *p)
{
	if (!p)
		return;
	free(p->priv);
	if (p->dl)
		dlclose(p->dl);
	free(p);
}
