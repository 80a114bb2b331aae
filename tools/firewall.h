/* The NAT-instance ruleset natwardenctl renders from the config and applies atomically. */
#ifndef NW_TOOLS_FIREWALL_H
#define NW_TOOLS_FIREWALL_H

#include <stdio.h>
#include "gateway.h"

/* Which jumps into natwarden's chains already exist (from iptables-save). */
struct nw_fw_jumps {
	int forward, prerouting, postrouting, mangle_postrouting; /* 1 = present */
};

/* Render the iptables-restore --noflush transaction for family 4 or 6. `jumps` says which jump
 * rules exist already (NULL: none, as `firewall print` shows). Returns 0 or -errno. */
int nw_fw_render(FILE *out, const struct nw_gateway *gw, int family,
		 const struct nw_fw_jumps *jumps, const char *conf_path);

/* firewall print|apply|remove: argv after "firewall". Returns a process exit status. */
int nw_fw_main(int argc, char **argv, const char *conf_path, char *const *sets, unsigned n_sets);

#endif
