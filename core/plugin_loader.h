/* Plugin loader: dlopen a plugin, check its descriptor (ABI major/minor, size, build options). */
#ifndef NW_PLUGIN_LOADER_H
#define NW_PLUGIN_LOADER_H

#include <stddef.h>
#include "natwarden/plugin.h"

struct nw_plugin;

/* Check a descriptor against this core; on mismatch write why into err and return -EPROTO. */
int nw_plugin_check_desc(const struct nw_plugin_desc *d, const char *want_name, char *err,
			 size_t errlen);
/* A plugin_dir search path with its relative entries resolved against the directory of
 * conf_path (when it has one; NULL: left relative, to the working directory). */
int nw_plugin_dirs_resolve(const char *dirs, const char *conf_path, char *out, size_t outlen);
/* Find NAME.so in the colon-separated dirs, dlopen it (RTLD_NOW|RTLD_LOCAL) and check it. */
int nw_plugin_open(const char *name, const char *dirs, struct nw_plugin **out, char *err,
		   size_t errlen);
/* Wrap a descriptor linked into the program (tests). */
int nw_plugin_from_desc(const struct nw_plugin_desc *d, struct nw_plugin **out, char *err,
			size_t errlen);
void nw_plugin_close(struct nw_plugin *p);

#endif
