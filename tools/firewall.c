/* natwardenctl firewall: render, apply (one iptables-restore --noflush transaction), remove. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include "firewall.h"
#include "config.h"
#include "util.h"

/*
 * The ruleset (IPv4; IPv6 is the same without NAT unless v6 forwards exist):
 *   mangle POSTROUTING -> NW-MANGLE: packets natwarden accepted with the bypass mark save it
 *                                    into the connmark (the flow then skips the queue).
 *   nat PREROUTING -> NW-PREROUTING: DNAT of each [forward].
 *   nat POSTROUTING -> NW-POSTROUTING: MASQUERADE of the private networks out of public_if.
 *   filter FORWARD (policy DROP) -> NW-FORWARD:
 *       conntrack INVALID -> DROP (never NATed: forwarding it would leak private addresses)
 *       reject mark -> REJECT (tcp-reset / icmp unreachable)   [NF_REPEAT verdicts land here]
 *       source in a ban ipset -> DROP
 *       allowed traffic (ESTABLISHED,RELATED; private->public; DNATed forwards) -> NW-INSPECT
 *       anything else returns to FORWARD (the operator's rules, then policy DROP).
 *   NW-INSPECT: connmark bypass -> ACCEPT; everything else -> NFQUEUE (balance, bypass if
 *               fail-open).
 * natwarden's chains are declared in the transaction, which flushes and refills them; jumps are
 * inserted only when iptables-save does not show them yet, so applying twice changes nothing.
 */

static const char *fw_cmd(const char *tool, int family, char *buf, size_t len)
{
	const char *base = getenv("NATWARDEN_IPTABLES"); /* e.g. iptables-legacy */

	if (!base || strncmp(base, "iptables", 8))
		base = "iptables";
	snprintf(buf, len, "%s%s%s", family == 6 ? "ip6" : "ip", base + 2, tool);
	return buf;
}

static void fw_net(char *buf, size_t len, const struct nw_addr *a, unsigned prefix)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->a, s, sizeof(s));
	snprintf(buf, len, "%s/%u", s, prefix);
}

static void fw_addr(char *buf, size_t len, const struct nw_addr *a)
{
	inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->a, buf, len);
}

int nw_fw_render(FILE *out, const struct nw_gateway *gw, int family,
		 const struct nw_fw_jumps *jumps, const char *conf_path)
{
	static const struct nw_fw_jumps none;
	const char *pub = gw->public_if;
	char net[80], addr[64], pubd[96] = "";
	unsigned bm = gw->bypass_mark, rm = gw->reject_mark;
	unsigned n_fwd = 0;

	if (!jumps)
		jumps = &none;
	for (unsigned i = 0; i < gw->n_fwd; i++)
		if (gw->fwd[i].to.family == family)
			n_fwd++;
	if (gw->public_addr.family == family) {
		fw_addr(addr, sizeof(addr), &gw->public_addr);
		snprintf(pubd, sizeof(pubd), " -d %s", addr);
	}
	fprintf(out, "# natwarden ruleset (IPv%d) rendered from %s by natwardenctl firewall\n",
		family, conf_path ? conf_path : "(defaults)");
	fprintf(out, "# apply with: iptables-restore --noflush (only natwarden's chains change)\n");

	/* mangle: save the bypass mark into the connmark */
	fprintf(out, "*mangle\n:NW-MANGLE - [0:0]\n");
	if (!jumps->mangle_postrouting)
		fprintf(out, "-I POSTROUTING 1 -j NW-MANGLE\n");
	fprintf(out,
		"-A NW-MANGLE -m mark --mark 0x%x/0x%x -j CONNMARK --save-mark --nfmask 0x%x "
		"--ctmask 0x%x\nCOMMIT\n",
		bm, bm, bm, bm);

	/* nat: DNAT forwards, MASQUERADE (IPv6 only gets a nat table when it has forwards) */
	if (family == 4 || n_fwd) {
		fprintf(out, "*nat\n:NW-PREROUTING - [0:0]\n:NW-POSTROUTING - [0:0]\n");
		if (!jumps->prerouting)
			fprintf(out, "-I PREROUTING 1 -j NW-PREROUTING\n");
		if (!jumps->postrouting)
			fprintf(out, "-I POSTROUTING 1 -j NW-POSTROUTING\n");
		for (unsigned i = 0; i < gw->n_fwd; i++) {
			const struct nw_forward *f = &gw->fwd[i];
			const char *p = f->proto == 6 ? "tcp" : "udp";
			if (f->to.family != family)
				continue;
			fw_addr(addr, sizeof(addr), &f->to);
			fprintf(out,
				"-A NW-PREROUTING -i %s%s -p %s -m %s --dport %u -m comment "
				"--comment \"forward %s\" -j DNAT --to-destination %s%s%s:%u\n",
				pub, pubd, p, p, f->listen_port, f->name, family == 6 ? "[" : "",
				addr, family == 6 ? "]" : "", f->to_port);
		}
		for (unsigned i = 0; family == 4 && gw->masquerade && i < gw->n_private_net; i++) {
			if (gw->private_net[i].addr.family != 4)
				continue;
			fw_net(net, sizeof(net), &gw->private_net[i].addr, gw->private_net[i].prefix);
			fprintf(out, "-A NW-POSTROUTING -s %s -o %s -j MASQUERADE\n", net, pub);
		}
		fprintf(out, "COMMIT\n");
	}

	/* filter */
	fprintf(out, "*filter\n:FORWARD DROP [0:0]\n:NW-FORWARD - [0:0]\n:NW-INSPECT - [0:0]\n");
	if (!jumps->forward)
		fprintf(out, "-I FORWARD 1 -j NW-FORWARD\n");
	/* conntrack gives INVALID packets no NAT: forwarded, they would leave with a private source */
	fprintf(out, "-A NW-FORWARD -m conntrack --ctstate INVALID -j DROP\n");
	fprintf(out, "-A NW-FORWARD -p tcp -m mark --mark 0x%x/0x%x -j REJECT --reject-with "
		     "tcp-reset\n", rm, rm);
	fprintf(out, "-A NW-FORWARD -m mark --mark 0x%x/0x%x -j REJECT --reject-with %s\n", rm, rm,
		family == 4 ? "icmp-port-unreachable" : "icmp6-port-unreachable");
	if (gw->ban_sets) {
		fprintf(out, "-A NW-FORWARD -m set --match-set %s src -j DROP\n",
			family == 4 ? NW_IPSET_BAN4 : NW_IPSET_BAN6);
		fprintf(out, "-A NW-FORWARD -m set --match-set %s src -j DROP\n",
			family == 4 ? NW_IPSET_BANNET4 : NW_IPSET_BANNET6);
	}
	fprintf(out, "-A NW-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j NW-INSPECT\n");
	for (unsigned i = 0; i < gw->n_private_net; i++) {
		if (gw->private_net[i].addr.family != family)
			continue;
		fw_net(net, sizeof(net), &gw->private_net[i].addr, gw->private_net[i].prefix);
		if (!gw->n_private_if) {
			fprintf(out, "-A NW-FORWARD -s %s -o %s -j NW-INSPECT\n", net, pub);
			continue;
		}
		for (unsigned j = 0; j < gw->n_private_if; j++)
			fprintf(out, "-A NW-FORWARD -i %s -o %s -s %s -j NW-INSPECT\n",
				gw->private_if[j], pub, net);
	}
	for (unsigned i = 0; i < gw->n_fwd; i++) {
		const struct nw_forward *f = &gw->fwd[i];
		const char *p = f->proto == 6 ? "tcp" : "udp";
		if (f->to.family != family)
			continue;
		fw_addr(addr, sizeof(addr), &f->to);
		fprintf(out,
			"-A NW-FORWARD -i %s -d %s -p %s -m %s --dport %u -m conntrack --ctstate DNAT "
			"--ctorigdstport %u -m comment --comment \"forward %s\" -j NW-INSPECT\n",
			pub, addr, p, p, f->to_port, f->listen_port, f->name);
	}
	fprintf(out, "-A NW-INSPECT -m connmark --mark 0x%x/0x%x -j ACCEPT\n", bm, bm);
	if (gw->q_first == gw->q_last)
		fprintf(out, "-A NW-INSPECT -j NFQUEUE --queue-num %u%s\n", gw->q_first,
			gw->fail_open ? " --queue-bypass" : "");
	else
		fprintf(out, "-A NW-INSPECT -j NFQUEUE --queue-balance %u:%u%s\n", gw->q_first,
			gw->q_last, gw->fail_open ? " --queue-bypass" : "");
	fprintf(out, "COMMIT\n");
	return ferror(out) ? -EIO : 0;
}

/* Run argv; feed `in` (may be NULL) to stdin; capture stdout into *outbuf (may be NULL).
 * Returns the exit status, or -errno if it could not run. */
static int fw_run(char *const argv[], const char *in, size_t inlen, char **outbuf)
{
	int pin[2] = {-1, -1}, pout[2] = {-1, -1}, status = 0, r = -EIO;
	pid_t pid;
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (pipe(pin) || pipe(pout)) {
		r = -errno;
		goto cleanup_pipes;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto cleanup_pipes;
	}
	if (pid == 0) {
		dup2(pin[0], 0);
		if (outbuf)
			dup2(pout[1], 1);
		close(pin[0]);
		close(pin[1]);
		close(pout[0]);
		close(pout[1]);
		execvp(argv[0], argv);
		fprintf(stderr, "natwardenctl: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	pin[0] = pout[1] = -1;
	/* outputs here are small and the inputs are written before reading: the child reads all of
	 * its stdin before it writes (iptables-restore), and iptables-save gets no input */
	while (in && inlen) {
		ssize_t n = write(pin[1], in, inlen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		in += n;
		inlen -= (size_t)n;
	}
	close(pin[1]);
	pin[1] = -1;
	for (;;) {
		ssize_t n;
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 65536);
			if (!nb)
				break;
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		n = read(pout[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (buf)
		buf[len] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	r = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	if (outbuf) {
		*outbuf = buf;
		buf = NULL;
	}
cleanup_pipes:
	free(buf);
	for (int i = 0; i < 2; i++) {
		if (pin[i] >= 0)
			close(pin[i]);
		if (pout[i] >= 0)
			close(pout[i]);
	}
	return r;
}

/* Find which jumps exist, and which natwarden chains, from iptables-save output. */
static void fw_scan(const char *save, struct nw_fw_jumps *j, char chains[][48], unsigned *n_chains,
		    unsigned max_chains)
{
	const char *line = save;
	char table[16] = "";

	memset(j, 0, sizeof(*j));
	*n_chains = 0;
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		char l[512];

		if (n >= sizeof(l))
			n = sizeof(l) - 1;
		memcpy(l, line, n);
		l[n] = '\0';
		if (l[0] == '*')
			nw_strlcpy(table, l + 1, sizeof(table));
		else if (!strcmp(l, "-A FORWARD -j NW-FORWARD") && !strcmp(table, "filter"))
			j->forward = 1;
		else if (!strcmp(l, "-A PREROUTING -j NW-PREROUTING") && !strcmp(table, "nat"))
			j->prerouting = 1;
		else if (!strcmp(l, "-A POSTROUTING -j NW-POSTROUTING") && !strcmp(table, "nat"))
			j->postrouting = 1;
		else if (!strcmp(l, "-A POSTROUTING -j NW-MANGLE") && !strcmp(table, "mangle"))
			j->mangle_postrouting = 1;
		else if (!strncmp(l, ":NW-", 4) && *n_chains < max_chains) {
			char *sp = strchr(l, ' ');
			if (sp)
				*sp = '\0';
			snprintf(chains[*n_chains], 48, "%.8s %.32s", table, l + 1);
			(*n_chains)++;
		}
		line = nl ? nl + 1 : NULL;
	}
}

static int fw_save(int family, char **out, int quiet)
{
	char cmd[64];
	char *argv[] = {(char *)fw_cmd("-save", family, cmd, sizeof(cmd)), NULL};
	int r = fw_run(argv, NULL, 0, out);

	if (r) {
		if (!quiet)
			fprintf(stderr, "natwardenctl: %s failed (%d)\n", cmd, r);
		free(*out);
		*out = NULL;
		return -EIO;
	}
	return 0;
}

static int fw_restore(int family, const char *text, size_t len)
{
	char cmd[64];
	char *argv[] = {(char *)fw_cmd("-restore", family, cmd, sizeof(cmd)), (char *)"--noflush",
			NULL};
	int r = fw_run(argv, text, len, NULL);

	if (r) {
		fprintf(stderr, "natwardenctl: %s --noflush failed (%d); nothing was changed\n", cmd,
			r);
		return -EIO;
	}
	return 0;
}

static int fw_write_file(const char *path, const char *text, size_t len, mode_t mode)
{
	char tmp[512];
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), "%s.natwarden-tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t n = write(fd, text, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		text += n;
		len -= (size_t)n;
	}
	if (!r && fsync(fd))
		r = -errno;
	close(fd);
	if (!r && rename(tmp, path))
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}

static int fw_sysctl(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int fw_ipsets(const struct nw_gateway *gw)
{
	static const char *const sets[][3] = {
		{NW_IPSET_BAN4, "hash:ip", "inet"},
		{NW_IPSET_BANNET4, "hash:net", "inet"},
		{NW_IPSET_BAN6, "hash:ip", "inet6"},
		{NW_IPSET_BANNET6, "hash:net", "inet6"},
	};

	if (!gw->ban_sets)
		return 0;
	for (unsigned i = 0; i < 4; i++) {
		char *argv[] = {(char *)"ipset", (char *)"create", (char *)"-exist",
				(char *)sets[i][0], (char *)sets[i][1], (char *)"family",
				(char *)sets[i][2], (char *)"timeout", (char *)"0",
				/* as the ban plugin creates them (plugins/ban/ban_ipset.c): the
				 * default maxelem 65536 would refuse bans beyond it */
				(char *)"maxelem", (char *)"4194304", NULL};
		if (i >= 2 && !gw->ipv6)
			break;
		if (fw_run(argv, NULL, 0, NULL)) {
			fprintf(stderr, "natwardenctl: ipset create %s failed\n", sets[i][0]);
			return -EIO;
		}
	}
	return 0;
}

static int fw_render_mem(const struct nw_gateway *gw, int family, const struct nw_fw_jumps *j,
			 const char *conf_path, char **text, size_t *len)
{
	FILE *m = open_memstream(text, len);
	int r;

	if (!m)
		return -errno;
	r = nw_fw_render(m, gw, family, j, conf_path);
	if (fclose(m))
		r = -EIO;
	return r;
}

static int fw_apply(const struct nw_gateway *gw, const char *conf_path, int persist)
{
	int families[2] = {4, 6};

	if (fw_ipsets(gw))
		return 1;
	for (unsigned f = 0; f < (gw->ipv6 ? 2u : 1u); f++) {
		struct nw_fw_jumps j;
		char chains[16][48], *save = NULL, *text = NULL;
		unsigned n_chains;
		size_t len = 0;
		int r;

		if (fw_save(families[f], &save, 0))
			return 1;
		fw_scan(save, &j, chains, &n_chains, 16);
		free(save);
		r = fw_render_mem(gw, families[f], &j, conf_path, &text, &len);
		if (!r)
			r = fw_restore(families[f], text, len);
		free(text);
		if (r)
			return 1;
	}
	if (fw_sysctl("/proc/sys/net/ipv4/ip_forward", "1\n"))
		fprintf(stderr, "natwardenctl: cannot set net.ipv4.ip_forward=1: %s\n",
			strerror(errno));
	if (gw->ipv6 && fw_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1\n"))
		fprintf(stderr, "natwardenctl: cannot set net.ipv6.conf.all.forwarding=1\n");
	if (persist) {
		const char *dir = getenv("NATWARDEN_PERSIST_DIR"); /* tests: instead of /etc */
		char p[512];
		char sysctl[160];
		if (dir)
			mkdir(dir, 0755);
		for (unsigned f = 0; f < (gw->ipv6 ? 2u : 1u); f++) {
			char *save = NULL;
			snprintf(p, sizeof(p), "%s/iptables/rules.v%d", dir ? dir : "/etc", families[f]);
			if (fw_save(families[f], &save, 0))
				return 1;
			snprintf(sysctl, sizeof(sysctl), "%s/iptables", dir ? dir : "/etc");
			mkdir(sysctl, 0755);
			if (fw_write_file(p, save, strlen(save), 0640)) {
				fprintf(stderr, "natwardenctl: cannot write %s: %s\n", p,
					strerror(errno));
				free(save);
				return 1;
			}
			free(save);
			printf("wrote %s\n", p);
		}
		snprintf(p, sizeof(p), "%s/sysctl.d/60-natwarden.conf", dir ? dir : "/etc");
		snprintf(sysctl, sizeof(sysctl), "%s/sysctl.d", dir ? dir : "/etc");
		mkdir(sysctl, 0755);
		snprintf(sysctl, sizeof(sysctl),
			 "# written by natwardenctl firewall apply --persist\n"
			 "net.ipv4.ip_forward = 1\n%s",
			 gw->ipv6 ? "net.ipv6.conf.all.forwarding = 1\n" : "");
		if (fw_write_file(p, sysctl, strlen(sysctl), 0644)) {
			fprintf(stderr, "natwardenctl: cannot write %s\n", p);
			return 1;
		}
		printf("wrote %s\n", p);
	}
	return 0;
}

/* Delete the jumps and natwarden's chains (only those that exist), one transaction per family. */
static int fw_remove(int family)
{
	static const char *const tables[] = {"mangle", "nat", "filter"};
	struct nw_fw_jumps j;
	char chains[16][48], *save = NULL, *text = NULL;
	unsigned n_chains;
	size_t len = 0;
	FILE *m;
	int r;

	if (fw_save(family, &save, family == 6))
		return family == 6 ? 0 : 1; /* no ip6tables: nothing of ours there */
	fw_scan(save, &j, chains, &n_chains, 16);
	free(save);
	m = open_memstream(&text, &len);
	if (!m)
		return 1;
	for (unsigned t = 0; t < 3; t++) {
		int any = 0;
		for (unsigned c = 0; c < n_chains; c++)
			any |= !strncmp(chains[c], tables[t], strlen(tables[t])) &&
			       chains[c][strlen(tables[t])] == ' ';
		if (!any)
			continue;
		fprintf(m, "*%s\n", tables[t]);
		if (t == 0 && j.mangle_postrouting)
			fprintf(m, "-D POSTROUTING -j NW-MANGLE\n");
		if (t == 1 && j.prerouting)
			fprintf(m, "-D PREROUTING -j NW-PREROUTING\n");
		if (t == 1 && j.postrouting)
			fprintf(m, "-D POSTROUTING -j NW-POSTROUTING\n");
		if (t == 2 && j.forward)
			fprintf(m, "-D FORWARD -j NW-FORWARD\n");
		for (unsigned c = 0; c < n_chains; c++)
			if (!strncmp(chains[c], tables[t], strlen(tables[t])) &&
			    chains[c][strlen(tables[t])] == ' ')
				fprintf(m, "-F %s\n", chains[c] + strlen(tables[t]) + 1);
		for (unsigned c = 0; c < n_chains; c++)
			if (!strncmp(chains[c], tables[t], strlen(tables[t])) &&
			    chains[c][strlen(tables[t])] == ' ')
				fprintf(m, "-X %s\n", chains[c] + strlen(tables[t]) + 1);
		fprintf(m, "COMMIT\n");
	}
	if (fclose(m)) {
		free(text);
		return 1;
	}
	r = len ? fw_restore(family, text, len) : 0;
	free(text);
	return r ? 1 : 0;
}

static int fw_load(const char *conf_path, char *const *sets, unsigned n_sets,
		   struct nw_gateway **gw, struct nw_config **cfgp)
{
	struct nw_config *cfg = NULL;
	int r = nw_config_load(conf_path, &cfg);

	if (cfg)
		for (unsigned i = 0; i < n_sets; i++)
			if (nw_config_set(cfg, sets[i]))
				r = r ? r : -EINVAL;
	if (cfg && !r)
		r = nw_gateway_parse(cfg, gw);
	if (cfg && cfg->n_errors) {
		for (unsigned i = 0; i < cfg->n_errors; i++)
			fprintf(stderr, "natwardenctl: %s\n", cfg->errors[i]);
		r = r ? r : -EINVAL;
	}
	if (!r && !*gw) {
		fprintf(stderr, "natwardenctl: %s has no [gateway] section\n", conf_path);
		r = -EINVAL;
	}
	if (r) {
		nw_gateway_free(*gw);
		*gw = NULL;
		nw_config_free(cfg);
		return r;
	}
	*cfgp = cfg;
	return 0;
}

int nw_fw_main(int argc, char **argv, const char *conf_path, char *const *sets, unsigned n_sets)
{
	struct nw_gateway *gw = NULL;
	struct nw_config *cfg = NULL;
	const char *sub = argc > 0 ? argv[0] : "";
	int persist = 0, r = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--persist") && !strcmp(sub, "apply")) {
			persist = 1;
		} else {
			fprintf(stderr, "natwardenctl: firewall %s: unexpected '%s'\n", sub, argv[i]);
			return 2;
		}
	}
	if (!strcmp(sub, "remove")) {
		r = fw_remove(4);
		r |= fw_remove(6);
		if (!r)
			printf("natwarden's chains and jumps removed (FORWARD policy unchanged)\n");
		return r;
	}
	if (strcmp(sub, "print") && strcmp(sub, "apply")) {
		fprintf(stderr, "usage: natwardenctl [-c CONF] firewall print|apply [--persist]|remove\n");
		return 2;
	}
	if (fw_load(conf_path, sets, n_sets, &gw, &cfg))
		return 1;
	if (!strcmp(sub, "print")) {
		r = nw_fw_render(stdout, gw, 4, NULL, conf_path);
		if (!r && gw->ipv6) {
			printf("\n# ---- ip6tables-restore --noflush ----\n");
			r = nw_fw_render(stdout, gw, 6, NULL, conf_path);
		}
		r = r ? 1 : 0;
	} else {
		r = fw_apply(gw, conf_path, persist);
		if (!r)
			printf("ruleset applied (queues %u-%u, %s)\n", gw->q_first, gw->q_last,
			       gw->fail_open ? "fail-open" : "fail-closed");
	}
	nw_gateway_free(gw);
	nw_config_free(cfg);
	return r;
}
