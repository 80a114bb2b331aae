/* Test plugin whose descriptor lacks NW_PLUGIN_EXPORT: hidden by -fvisibility=hidden. */
#include <natwarden/plugin.h>
static const struct nw_services *svc;
const struct nw_plugin_desc nw_plugin_descriptor = {
	NW_DESC_HEADER, .name = "hiddenplugin", .services = &svc};
