/* Test plugin built with a wrong ABI major: the loader must refuse it. */
#include <natwarden/plugin.h>
static const struct nw_services *svc;
NW_PLUGIN_EXPORT const struct nw_plugin_desc nw_plugin_descriptor = {
	.abi_major = NW_ABI_MAJOR + 1, .abi_minor = 0, .size = sizeof(struct nw_plugin_desc),
	.build_options = NW_BUILD_OPTIONS, .name = "badmajor", .services = &svc};
