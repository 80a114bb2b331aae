/* plugins/signature/sig_kw_decode.c: decode-event (alias engine-event): the packet's decoder events. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "sig.h"

/* Suricata decoder events whose packets never reach the rules here: the IP addresses could not
 * be read (or natwarden does not decode that layer). Refused with the reason, not "unknown". */
static const char *const sig_decode_unreachable[] = {
	"ipv4.pkt_too_small", "ipv6.pkt_too_small", "ipv4.wrong_ip_version",
	"ipv6.wrong_ip_version", "ipraw.invalid_ip_version", "ethernet.pkt_too_small",
	"sll.pkt_too_small", "vlan.header_too_small", "vlan.unknown_type", "vlan.too_many_layers",
};

static int sig_decode_event_match(const struct sig_mctx *m, const void *ctx)
{
	const struct nw_pkt_info *pi = m->pi;

	if (pi->size < offsetof(struct nw_pkt_info, decode_events) + sizeof(pi->decode_events))
		return 0; /* a core older than ABI 1.2 raises none */
	return (pi->decode_events & *(const uint64_t *)ctx) != 0;
}

int sig_kw_decode_event(struct sig_parse *ps, const char *arg)
{
	const char *name = arg;
	uint64_t *bit;
	unsigned e;

	while (*name == ' ')
		name++;
	if (!strncmp(name, "decoder.", 8)) /* Suricata 7's full name */
		name += 8;
	for (e = 0; e < NW_DEV_MAX; e++)
		if (!strcmp(nw_decode_event_name(e), name))
			break;
	if (e == NW_DEV_MAX) {
		for (size_t i = 0; i < sizeof(sig_decode_unreachable) / sizeof(*sig_decode_unreachable);
		     i++)
			if (!strcmp(sig_decode_unreachable[i], name))
				return sig_err(ps, "event '%s' not supported by natwarden: such packets "
					       "have no IP addresses and never reach the rules (see "
					       "decode_errors in the statistics)", name);
		return sig_err(ps, "unknown event '%.40s' (natwarden raises the ipv4, ipv6, tcp, "
			       "udp, icmpv4, icmpv6 and fragment events natwarden-rules(7) lists)",
			       name);
	}
	bit = malloc(sizeof(*bit));
	if (!bit)
		return sig_err(ps, "out of memory");
	*bit = NW_DEV_BIT(e);
	if (!sig_rule_add_nm(ps, ps->cur_kw, bit, sig_decode_event_match)) {
		free(bit);
		return sig_err(ps, "out of memory");
	}
	return 0;
}
