/* Test plugin registering keywords it may not have: a signature built-in and the example's. */
#include <stddef.h>
#include <natwarden/plugin.h>

static const struct nw_services *svc;

static int kws_match(const void *ctx, const nw_packet *pkt, nw_flow *flow, const uint8_t *buf,
		     size_t len)
{
	(void)ctx, (void)pkt, (void)flow, (void)buf, (void)len;
	return 1;
}

static const struct nw_keyword kws_keywords[] = {
	{.size = sizeof(struct nw_keyword), .name = "content", .match = kws_match},
	{.size = sizeof(struct nw_keyword), .name = "example_dport_even", .match = kws_match},
};

static int kws_configure(nw_plugin *self, void *priv, const nw_config *cfg, const nw_section *sec)
{
	(void)priv, (void)cfg, (void)sec;
	/* a careless plugin: the refusals are reported by the core even so */
	for (size_t i = 0; i < sizeof(kws_keywords) / sizeof(kws_keywords[0]); i++)
		svc->keyword_register(self, &kws_keywords[i]);
	return 0;
}

NW_PLUGIN_EXPORT const struct nw_plugin_desc nw_plugin_descriptor = {
	NW_DESC_HEADER, .name = "kwshadow", .services = &svc, .configure = kws_configure};
