/* Test plugin whose descriptor claims another size (built against another header). */
#include <natwarden/plugin.h>
static const struct nw_services *svc;
NW_PLUGIN_EXPORT const struct nw_plugin_desc nw_plugin_descriptor = {
	.abi_major = NW_ABI_MAJOR, .abi_minor = NW_ABI_MINOR,
	.size = sizeof(struct nw_plugin_desc) + 16, .build_options = NW_BUILD_OPTIONS,
	.name = "badsize", .services = &svc};
