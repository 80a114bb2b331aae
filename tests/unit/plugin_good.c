/* Test plugin with a correct descriptor. */
#include <natwarden/plugin.h>
static const struct nw_services *svc;
NW_PLUGIN_EXPORT const struct nw_plugin_desc nw_plugin_descriptor = {
	NW_DESC_HEADER, .name = "goodplugin", .services = &svc};
