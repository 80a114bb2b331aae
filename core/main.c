/* natwarden: command line, then offline (-r), config test (-T) or live (-q) mode. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "nw_build.h"
#include "config.h"
#include "engine.h"
#include "gateway.h"
#include "live.h"
#include "log.h"
#include "offline.h"
#include "stats.h"
#include "util.h"

#define MAIN_MAX_SETS 128

struct main_opts {
	const char *pcap;      /* -r */
	const char *queues;    /* -q */
	const char *conf;      /* -c */
	const char *log_dir;   /* -l */
	const char *rules;     /* -S */
	const char *stats_json;
	const char *pidfile;
	int test;              /* -T */
	int live_state;        /* --live-state */
	int verbose;
	char *sets[MAIN_MAX_SETS];
	unsigned n_sets;
};

static void main_usage(FILE *f)
{
	fprintf(f,
		"usage: natwarden [-c CONF] [-q N[:M] | -r FILE.pcap | -T] [options]\n"
		"  (live on the configured queues when neither -r nor -T is given)\n"
		"  -c, --config FILE     configuration (default " NW_SYSCONF_DIR "/natwarden.conf)\n"
		"  -q, --queue N[:M]     run live on NFQUEUE N (to M), one worker per queue\n"
		"  -r, --read FILE       run offline over a pcap file (packet time drives the engine)\n"
		"  -l, --log-dir DIR     write eve.json into DIR\n"
		"  -S, --rules FILE      use only these signatures (loads the signature plugin)\n"
		"  -T, --test            check the configuration (and rules), list every error\n"
		"      --set S.KEY=VAL   override a config value ([natwarden] when S. is omitted)\n"
		"      --stats-json FILE offline: write statistics as JSON at exit\n"
		"      --live-state      offline: let plugins use persistent and shared state (the ban\n"
		"                        state file, Redis, ipsets, jail log files); without it bans\n"
		"                        stay in memory and nothing outside -l/--stats-json is touched\n"
		"      --rule-report     with -T: loaded/skipped rule counts and the top skip reasons\n"
		"  -p, --pidfile FILE    live: write the process id\n"
		"  -v, --verbose         more logging\n"
		"  -V, --version         print the version and plugin ABI\n");
}

static int main_add_set(struct main_opts *o, char *s)
{
	if (o->n_sets >= MAIN_MAX_SETS) {
		fprintf(stderr, "natwarden: too many --set options\n");
		return -1;
	}
	o->sets[o->n_sets++] = s;
	return 0;
}

static int main_parse_args(int argc, char **argv, struct main_opts *o)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"queue", required_argument, NULL, 'q'},
		{"read", required_argument, NULL, 'r'},
		{"log-dir", required_argument, NULL, 'l'},
		{"rules", required_argument, NULL, 'S'},
		{"test", no_argument, NULL, 'T'},
		{"set", required_argument, NULL, 's'},
		{"stats-json", required_argument, NULL, 'j'},
		{"rule-report", no_argument, NULL, 'R'},
		{"live-state", no_argument, NULL, 'L'},
		{"pidfile", required_argument, NULL, 'p'},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:q:r:l:S:Tp:vVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->conf = optarg; break;
		case 'q': o->queues = optarg; break;
		case 'r': o->pcap = optarg; break;
		case 'l': o->log_dir = optarg; break;
		case 'S': o->rules = optarg; break;
		case 'T': o->test = 1; break;
		case 's':
			if (main_add_set(o, optarg))
				return 2;
			break;
		case 'j': o->stats_json = optarg; break;
		case 'R':
			if (main_add_set(o, (char *)"signature.rule-report=yes"))
				return 2;
			break;
		case 'L': o->live_state = 1; break;
		case 'p': o->pidfile = optarg; break;
		case 'v': o->verbose = 1; break;
		case 'V':
			printf("natwarden %s (plugin ABI %d.%d, %s)\n", PACKAGE_VERSION, NW_ABI_MAJOR,
			       NW_ABI_MINOR, NW_BUILD_OPTIONS);
			exit(0);
		case 'h': main_usage(stdout); exit(0);
		default: main_usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "natwarden: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!!o->pcap + !!o->queues > 1) {
		fprintf(stderr, "natwarden: -r and -q cannot be combined\n");
		return 2;
	}
	if (o->live_state && !o->pcap) {
		fprintf(stderr, "natwarden: --live-state applies to offline mode (-r) only\n");
		return 2;
	}
	return 0;
}

/* -S FILE: the rules override, and the signature plugin in the chain if it is not there.
 * Added as --set overrides so that a reload re-applies them. */
static int main_apply_rules(struct main_opts *o, struct nw_config *cfg)
{
	static char chain_set[1024], rules_set[1024];
	const char *chain = nw_section_get(nw_config_section(cfg, "natwarden", ""), "plugins", NULL);

	if (!chain || !strstr(chain, "signature")) {
		snprintf(chain_set, sizeof(chain_set), "natwarden.plugins=%s%ssignature",
			 chain ? chain : "", chain && *chain ? " " : "");
		if (main_add_set(o, chain_set) || nw_config_set(cfg, chain_set))
			return -EINVAL;
	}
	snprintf(rules_set, sizeof(rules_set), "signature.rules=%s", o->rules);
	if (main_add_set(o, rules_set))
		return -EINVAL;
	return nw_config_set(cfg, rules_set);
}

/* Print the errors recorded since the last call (*shown of them were printed already). */
static void main_print_errors(const struct nw_config *cfg, unsigned *shown)
{
	for (; *shown < cfg->n_errors; (*shown)++)
		fprintf(stderr, "%s\n", cfg->errors[*shown]);
}

int main(int argc, char **argv)
{
	struct main_opts o;
	struct nw_config *cfg = NULL;
	struct nw_engine *eng = NULL;
	const char *conf;
	unsigned shown = 0;
	int r, ret = 1;

	memset(&o, 0, sizeof(o));
	r = main_parse_args(argc, argv, &o);
	if (r)
		return r;
	nw_log_init("natwarden", 0, o.verbose ? NW_LOG_DEBUG : NW_LOG_INFO);
	conf = o.conf;
	if (!conf && !o.pcap)
		conf = NW_SYSCONF_DIR "/natwarden.conf";
	r = nw_config_load(conf, &cfg);
	if (!cfg) {
		fprintf(stderr, "natwarden: out of memory\n");
		return 1;
	}
	for (unsigned i = 0; i < o.n_sets; i++)
		nw_config_set(cfg, o.sets[i]);
	if (o.rules && main_apply_rules(&o, cfg))
		fprintf(stderr, "natwarden: cannot apply -S %s\n", o.rules);
	if (r < 0) {
		main_print_errors(cfg, &shown);
		goto out;
	}
	/* go on past syntax errors so that -T lists every error in one pass */
	r = nw_engine_create(cfg, o.pcap != NULL, &eng);
	if (eng && !o.verbose)
		nw_log_init("natwarden", 0, nw_log_level_parse(eng->set.log_level) > 0
						  ? nw_log_level_parse(eng->set.log_level)
						  : NW_LOG_INFO);
	int warnings = 0;
	/* configuration errors before what the checks report: they are often its cause */
	main_print_errors(cfg, &shown);
	if (eng && (r >= 0 || o.test)) {
		int c = nw_engine_check(eng);
		if (c < 0)
			r = -EINVAL;
		warnings = c > 0;
	}
	main_print_errors(cfg, &shown);
	if (r < 0 || cfg->n_errors || (o.test && warnings)) {
		fprintf(stderr, "natwarden: %s: configuration has errors\n", conf ? conf : "(none)");
		goto out;
	}
	if (o.test) {
		fprintf(stderr, "natwarden: %s: configuration OK (%u plugins)\n",
			conf ? conf : "(none)", eng->n_plugins);
		ret = 0;
		goto out;
	}
	if (o.pcap) {
		uint64_t t0;
		double wall;

		/* offline: eve.json only where -l says; persistent and shared state only when asked */
		if (o.log_dir && nw_engine_open_eve(eng, o.log_dir) < 0)
			goto out;
		eng->live_state = o.live_state;
		nw_offline_state_check(eng);
		r = nw_engine_start(eng, 1);
		if (r >= 0)
			r = nw_worker_thread_start(eng->workers[0]);
		if (r < 0) {
			fprintf(stderr, "natwarden: cannot start: %s\n", strerror(-r));
			goto out;
		}
		t0 = nw_time_mono_ns();
		r = nw_offline_run(eng, o.pcap);
		nw_worker_thread_stop(eng->workers[0]);
		nw_engine_drain_events(eng);
		wall = (double)(nw_time_mono_ns() - t0) / 1e9;
		nw_stats_print_summary(eng, stderr, wall);
		if (o.stats_json) {
			FILE *f = fopen(o.stats_json, "w");
			if (!f || nw_stats_write_json(eng, f, wall) || fputc('\n', f) == EOF) {
				fprintf(stderr, "natwarden: cannot write %s\n", o.stats_json);
				r = -EIO;
			}
			if (f)
				fclose(f);
		}
		ret = r < 0 ? 1 : 0;
		goto out;
	}
	{
		struct nw_live_opts lo = {.conf_path = conf, .sets = o.sets, .n_sets = o.n_sets,
					  .log_dir = o.log_dir ? o.log_dir : eng->set.log_dir,
					  .pidfile = o.pidfile};
		/* without -q: [natwarden] queues */
		const char *q = o.queues ? o.queues : eng->set.queues;
		if (nw_gateway_parse_queues(q, &lo.q_first, &lo.q_last) ||
		    lo.q_last - lo.q_first + 1 > NW_MAX_WORKERS) {
			fprintf(stderr, "natwarden: queues %s: expected N, N:M or N-M (at most %d)\n",
				q, NW_MAX_WORKERS);
			ret = 2;
			goto out;
		}
		ret = nw_live_run(eng, &lo) < 0 ? 1 : 0;
	}
out:
	nw_engine_destroy(eng);
	nw_config_free(cfg);
	return ret;
}
