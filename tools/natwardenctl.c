/* natwardenctl: talk to a running natwarden over its control socket; render/apply the ruleset. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nw_build.h"
#include "config.h"
#include "control.h"
#include "firewall.h"
#include "util.h"

#define CTL_MAX_SETS 64

static void ctl_usage(FILE *f)
{
	fprintf(f,
		"usage: natwardenctl [-s SOCKET] [-c CONF] [--set section.key=value]... COMMAND [ARGS]\n"
		"commands (daemon):\n"
		"  status [--json]          daemon state, queues, plugins\n"
		"  stats [--json]           packets, verdicts, per-queue and per-plugin counters\n"
		"  reload                   re-read the config (the old one stays if the new fails)\n"
		"  help                     commands the daemon and its plugins offer\n"
		"  NAME [ARGS]              a plugin's command (e.g. bans, ban ADDR, unban ADDR)\n"
		"commands (local, need -c CONF):\n"
		"  firewall print           the ruleset as an iptables-restore --noflush transaction\n"
		"  firewall apply [--persist]  apply it atomically (--persist: /etc/iptables/rules.v4,\n"
		"                           /etc/sysctl.d/60-natwarden.conf)\n"
		"  firewall remove          remove natwarden's chains and the jumps into them\n"
		"default socket: [natwarden] control_socket of CONF, else %s\n",
		NW_CTL_DEFAULT_SOCKET);
}

/* control_socket from the config, when -c was given and -s was not. */
static void ctl_socket_from_conf(const char *conf, char *const *sets, unsigned n_sets, char *out,
				 size_t outlen)
{
	struct nw_config *cfg = NULL;
	const char *v;

	if (nw_config_load(conf, &cfg) || !cfg) {
		nw_config_free(cfg);
		return;
	}
	for (unsigned i = 0; i < n_sets; i++)
		nw_config_set(cfg, sets[i]);
	v = nw_section_get(nw_config_section(cfg, "natwarden", NULL), "control_socket", NULL);
	if (v && *v)
		nw_strlcpy(out, v, outlen);
	nw_config_free(cfg);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"config", required_argument, NULL, 'c'},
		{"set", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	char sock[108] = NW_CTL_DEFAULT_SOCKET;
	const char *conf = NULL;
	char *sets[CTL_MAX_SETS];
	unsigned n_sets = 0;
	int have_sock = 0, c, status = 0, r;
	char *reply = NULL;
	size_t reply_len = 0;

	while ((c = getopt_long(argc, argv, "+s:c:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (nw_strlcpy(sock, optarg, sizeof(sock)) >= sizeof(sock)) {
				fprintf(stderr, "natwardenctl: socket path too long\n");
				return 2;
			}
			have_sock = 1;
			break;
		case 'c':
			conf = optarg;
			break;
		case 'S':
			if (n_sets >= CTL_MAX_SETS) {
				fprintf(stderr, "natwardenctl: too many --set\n");
				return 2;
			}
			sets[n_sets++] = optarg;
			break;
		case 'h':
			ctl_usage(stdout);
			return 0;
		case 'V':
			printf("natwardenctl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			ctl_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		ctl_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[optind], "firewall")) {
		if (!conf)
			conf = NW_SYSCONF_DIR "/natwarden.conf";
		return nw_fw_main(argc - optind - 1, argv + optind + 1, conf, sets, n_sets);
	}
	if (!have_sock && conf)
		ctl_socket_from_conf(conf, sets, n_sets, sock, sizeof(sock));
	if (argc - optind > NW_CTL_MAX_ARGS) {
		fprintf(stderr, "natwardenctl: too many arguments\n");
		return 2;
	}
	r = nw_ctl_call(sock, argc - optind, (const char *const *)argv + optind, &status, &reply,
			&reply_len);
	if (r) {
		fprintf(stderr, "natwardenctl: %s: %s%s\n", sock, strerror(-r),
			r == -ENOENT || r == -ECONNREFUSED ? " (is natwarden running?)" : "");
		return 1;
	}
	if (status) {
		fprintf(stderr, "natwardenctl: %s: %s%s", argv[optind], reply_len ? reply : strerror(-status),
			reply_len && reply[reply_len - 1] == '\n' ? "" : "\n");
		free(reply);
		return 1;
	}
	fwrite(reply, 1, reply_len, stdout);
	if (reply_len && reply[reply_len - 1] != '\n')
		putchar('\n');
	free(reply);
	return 0;
}
