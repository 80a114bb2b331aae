/* natwardenctl: talk to a running natwarden over its control socket; render/apply the ruleset. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "nw_build.h"
#include "config.h"
#include "control.h"
#include "eve.h"
#include "firewall.h"
#include "util.h"

#define CTL_MAX_SETS 64

static void ctl_usage(FILE *f)
{
	fprintf(f,
		"usage: natwardenctl [-s SOCKET] [-c CONF] [--set section.key=value]... COMMAND [ARGS]\n"
		"commands (daemon):\n"
		"  status [--json]          version, uptime, config, queues, rule count, plugins\n"
		"  stats [--json]           packets, verdicts, per-queue and per-plugin counters\n"
		"  reload                   re-read the config (the old one stays if the new fails)\n"
		"  reopen                   reopen eve.json (after logrotate moved it)\n"
		"  help                     commands the daemon and its plugins offer\n"
		"  NAME [ARGS]              a plugin's command (e.g. bans, ban ADDR, unban ADDR)\n"
		"commands (local):\n"
		"  rules test FILE [--json] load FILE with the running config's [signature] settings\n"
		"                           (natwarden -T, nothing changes); loaded/failed, file:line\n"
		"  firewall print           the ruleset as an iptables-restore --noflush transaction\n"
		"  firewall apply [--persist]  apply it atomically (--persist: /etc/iptables/rules.v4,\n"
		"                           /etc/sysctl.d/60-natwarden.conf)\n"
		"  firewall remove          remove natwarden's chains and the jumps into them\n"
		"default socket: [natwarden] control_socket of CONF, else %s\n"
		"(daemon commands: root, natwarden's user or the [natwarden] control_group only)\n",
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

/* ---- rules test: natwarden -T as a child process (argv only, no shell) ---- */

#define CTL_RT_MAX_OUT (4u << 20)
#define CTL_RT_MAX_LINES 200

/* A JSON string at p (the opening quote) into out; returns the byte after it, or NULL.
 * Only what the daemon writes: plain bytes and \" \\ \/ \b \f \n \r \t \u00XX. */
static const char *ctl_json_str(const char *p, char *out, size_t outlen)
{
	size_t o = 0;

	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		char c = *p++;
		if (c == '\\') {
			c = *p++;
			switch (c) {
			case '"': case '\\': case '/': break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				unsigned v;
				if (sscanf(p, "%4x", &v) != 1 || v == 0 || v > 0xff)
					return NULL;
				c = (char)v;
				p += 4;
				break;
			}
			default:
				return NULL;
			}
		}
		if (o + 1 >= outlen)
			return NULL;
		out[o++] = c;
	}
	if (*p != '"')
		return NULL;
	out[o] = '\0';
	return p + 1;
}

/* The running daemon's config file and --set overrides (from `status --json`). */
static int ctl_daemon_config(const char *sock, char *conf, size_t conflen, char ***sets,
			     unsigned *n_sets)
{
	const char *argv[] = {"status", "--json"};
	char *reply = NULL, one[1024];
	const char *p;
	size_t len;
	int status = 0, r;

	*sets = NULL;
	*n_sets = 0;
	r = nw_ctl_call(sock, 2, argv, &status, &reply, &len);
	if (r || status) {
		free(reply);
		return r ? r : status;
	}
	r = -EPROTO;
	p = strstr(reply, "\"config\":");
	if (!p || !ctl_json_str(p + 9, conf, conflen) || !*conf)
		goto cleanup;
	p = strstr(reply, "\"sets\":[");
	if (p) {
		p += 8;
		while (*p == '"' || *p == ',') {
			char **ns;
			if (*p == ',')
				p++;
			p = ctl_json_str(p, one, sizeof(one));
			if (!p || *n_sets >= CTL_MAX_SETS)
				goto cleanup;
			ns = realloc(*sets, (*n_sets + 1) * sizeof(*ns));
			if (!ns || !(ns[*n_sets] = strdup(one))) {
				if (ns)
					*sets = ns;
				r = -ENOMEM;
				goto cleanup;
			}
			*sets = ns;
			(*n_sets)++;
		}
	}
	r = 0;
cleanup:
	free(reply);
	return r;
}

/* natwarden next to this natwardenctl (build tree, /usr/sbin), else from PATH. */
static void ctl_natwarden_path(char *out, size_t outlen)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	nw_strlcpy(out, "natwarden", outlen);
	if (n <= 0)
		return;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return;
	slash[1] = '\0';
	if ((size_t)snprintf(out, outlen, "%snatwarden", self) >= outlen || access(out, X_OK))
		nw_strlcpy(out, "natwarden", outlen);
}

/* Run argv, its stdout and stderr into *buf (at most CTL_RT_MAX_OUT bytes). Returns the exit
 * status (0..255), or -errno. */
static int ctl_run_capture(char *const *argv, char **buf, size_t *len)
{
	size_t cap = 65536;
	int pfd[2], st;
	pid_t pid;

	*len = 0;
	*buf = malloc(cap);
	if (!*buf)
		return -ENOMEM;
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		if (strchr(argv[0], '/'))
			execv(argv[0], argv);
		else
			execvp(argv[0], argv);
		fprintf(stderr, "natwardenctl: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		ssize_t n;
		if (*len + 1 >= cap && cap < CTL_RT_MAX_OUT) {
			char *nb = realloc(*buf, cap * 2);
			if (nb) {
				*buf = nb;
				cap *= 2;
			}
		}
		if (*len + 1 >= cap) { /* full: drain and drop the rest */
			char sink[4096];
			n = read(pfd[0], sink, sizeof(sink));
		} else {
			n = read(pfd[0], *buf + *len, cap - *len - 1);
			if (n > 0)
				*len += (size_t)n;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
	}
	(*buf)[*len] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void ctl_json_out(const char *s)
{
	char esc[4096];

	if (nw_json_escape(esc, sizeof(esc), s, strlen(s)) < 0)
		esc[0] = '\0';
	printf("\"%s\"", esc);
}

/* `rules test FILE [--json]`: a dry run of natwarden -T with the running config's [signature]
 * settings (the daemon's config file and --set overrides when it answers; else -c CONF). */
static int ctl_rules_test(int argc, char **argv, const char *sock, const char *conf_opt,
			  char *const *user_sets, unsigned n_user_sets)
{
	char conf[PATH_MAX], file[PATH_MAX], nw[PATH_MAX];
	char *cargv[2 * (2 * CTL_MAX_SETS) + 16], **dsets = NULL, *out = NULL, *line, *save = NULL;
	const char *reasons[CTL_RT_MAX_LINES], *others[CTL_RT_MAX_LINES], *fname = NULL, *base;
	unsigned n_dsets = 0, n_reasons = 0, n_others = 0, loaded = 0, files = 0, failed = 0;
	int json = 0, from_daemon = 0, have_summary = 0, rc, a = 0;
	size_t out_len;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (fname)
			fname = "", i = argc; /* a second file */
		else
			fname = argv[i];
	}
	if (argc < 2 || strcmp(argv[0], "test") || !fname || !*fname) {
		fprintf(stderr, "usage: natwardenctl rules test FILE [--json]\n");
		return 2;
	}
	if (!realpath(fname, file)) {
		fprintf(stderr, "natwardenctl: %s: %s\n", fname, strerror(errno));
		return 2;
	}
	if (!conf_opt && !ctl_daemon_config(sock, conf, sizeof(conf), &dsets, &n_dsets))
		from_daemon = 1;
	else
		nw_strlcpy(conf, conf_opt ? conf_opt : NW_SYSCONF_DIR "/natwarden.conf", sizeof(conf));
	ctl_natwarden_path(nw, sizeof(nw));
	cargv[a++] = nw;
	cargv[a++] = (char *)"-T";
	cargv[a++] = (char *)"-c";
	cargv[a++] = conf;
	cargv[a++] = (char *)"--set";
	cargv[a++] = (char *)"natwarden.log_level=info"; /* the summary line is at level info */
	for (unsigned i = 0; i < n_dsets; i++) {
		cargv[a++] = (char *)"--set";
		cargv[a++] = dsets[i];
	}
	for (unsigned i = 0; i < n_user_sets; i++) {
		cargv[a++] = (char *)"--set";
		cargv[a++] = user_sets[i];
	}
	cargv[a++] = (char *)"-S";
	cargv[a++] = file;
	cargv[a] = NULL;
	rc = ctl_run_capture(cargv, &out, &out_len);
	if (rc < 0) {
		fprintf(stderr, "natwardenctl: cannot run %s: %s\n", nw, strerror(-rc));
		goto cleanup;
	}
	base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *msg = strstr(line, ": error: ");
		unsigned x, y, z;
		if (!msg)
			msg = strstr(line, ": warning: ");
		if (!msg) {
			char *info = strstr(line, ": info: ");
			if (info && sscanf(info + 8, "%u rules loaded from %u files, %u failed", &x,
					   &y, &z) == 3)
				loaded = x, files = y, failed = z, have_summary = 1;
			else if (!info && !strstr(line, ": notice: ") && !strstr(line, ": debug: ") &&
				 !strstr(line, ": configuration ") && n_others < CTL_RT_MAX_LINES)
				others[n_others++] = line; /* e.g. "CONF: cannot open: ..." */
			continue;
		}
		msg = strchr(msg + 2, ':') + 2; /* past "error: " / "warning: " */
		if (sscanf(msg, "%u rules loaded from %u files, %u failed", &x, &y, &z) == 3) {
			loaded = x, files = y, failed = z, have_summary = 1;
			continue;
		}
		if (strstr(msg, "configuration has errors"))
			continue;
		{
			/* PATH:LINE: ... on the rule file = a reason; anything else stands apart */
			char *colon = strchr(msg, ':');
			const char *b = msg;
			for (const char *q = msg; colon && q < colon; q++)
				if (*q == '/')
					b = q + 1;
			if (colon && colon[1] >= '0' && colon[1] <= '9' &&
			    (size_t)(colon - b) == strlen(base) && !strncmp(b, base, strlen(base))) {
				if (n_reasons < CTL_RT_MAX_LINES)
					reasons[n_reasons++] = msg;
			} else if (n_others < CTL_RT_MAX_LINES) {
				others[n_others++] = msg;
			}
		}
	}
	(void)files;
	if (json) {
		printf("{\"file\":");
		ctl_json_out(file);
		printf(",\"config\":");
		ctl_json_out(conf);
		printf(",\"config_from\":\"%s\",\"ok\":%s,\"loaded\":",
		       from_daemon ? "daemon" : "option",
		       have_summary && !failed && !n_others ? "true" : "false");
		if (have_summary)
			printf("%u,\"failed\":%u", loaded, failed);
		else
			printf("null,\"failed\":null");
		printf(",\"errors\":[");
		for (unsigned i = 0; i < n_reasons; i++) {
			printf("%s", i ? "," : "");
			ctl_json_out(reasons[i]);
		}
		printf("],\"other_errors\":[");
		for (unsigned i = 0; i < n_others; i++) {
			printf("%s", i ? "," : "");
			ctl_json_out(others[i]);
		}
		printf("]}\n");
	} else {
		if (have_summary)
			printf("%s: %u loaded, %u failed\n", file, loaded, failed);
		else
			printf("%s: not loaded\n", file);
		for (unsigned i = 0; i < n_reasons; i++)
			printf("  %s\n", reasons[i]);
		for (unsigned i = 0; i < n_others; i++)
			printf("  %s\n", others[i]);
		printf("(dry run with the [signature] settings of %s%s; nothing was changed)\n",
		       conf, from_daemon ? ", the running daemon's config" : "");
	}
	rc = have_summary && !failed && !n_others ? 0 : 1;
cleanup:
	free(out);
	for (unsigned i = 0; i < n_dsets; i++)
		free(dsets[i]);
	free(dsets);
	return rc < 0 ? 2 : rc;
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
	if (!strcmp(argv[optind], "rules"))
		return ctl_rules_test(argc - optind - 1, argv + optind + 1, sock, conf, sets, n_sets);
	if (argc - optind > NW_CTL_MAX_ARGS) {
		fprintf(stderr, "natwardenctl: too many arguments\n");
		return 2;
	}
	r = nw_ctl_call(sock, argc - optind, (const char *const *)argv + optind, &status, &reply,
			&reply_len);
	if (r) {
		fprintf(stderr, "natwardenctl: %s: %s%s\n", sock, strerror(-r),
			r == -ENOENT || r == -ECONNREFUSED ? " (is natwarden running?)"
			: r == -EACCES ? " (root or the control group, [natwarden] control_group)"
				       : "");
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
