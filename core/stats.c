/* Statistics: the offline summary and the JSON document scripts and `natwardenctl stats` read. */
#include <stdio.h>
#include <string.h>
#include "decode.h"
#include "eve.h"
#include "stats.h"

static const char *const stats_ev_names[NW_EV_MAX] = {
	NULL, "alert", "offense", "ban", "ratelimit", "custom"};

static void stats_json_str(FILE *f, const char *s)
{
	char buf[512];

	if (nw_json_escape(buf, sizeof(buf), s, strlen(s)) < 0)
		buf[0] = '\0';
	fprintf(f, "\"%s\"", buf);
}

int nw_stats_write_json(const struct nw_engine *eng, FILE *f, double wall_s)
{
	struct nw_wcounters c;
	int first;

	nw_engine_sum_counters(eng, &c);
	fprintf(f, "{\"packets\":%llu,\"bytes\":%llu,\"verdicts\":{", (unsigned long long)c.packets,
		(unsigned long long)c.bytes);
	for (int v = NW_ACCEPT; v < NW_VERDICT_MAX; v++)
		fprintf(f, "%s\"%s\":%llu", v == NW_ACCEPT ? "" : ",", nw_verdict_name(v),
			(unsigned long long)c.verdicts[v]);
	fprintf(f, "},\"alerts\":%llu,\"decode_errors\":{", (unsigned long long)eng->alerts);
	first = 1;
	for (int e = 1; e < NW_DEC_MAX; e++) {
		if (!c.decode_err[e] || e == NW_DEC_LINK_UNKNOWN)
			continue;
		fprintf(f, "%s\"%s\":%llu", first ? "" : ",", nw_decode_err_name(e),
			(unsigned long long)c.decode_err[e]);
		first = 0;
	}
	fprintf(f, "},\"decode_events\":{");
	first = 1;
	for (unsigned e = 0; e < NW_DEV_MAX; e++) {
		if (!c.decode_events[e])
			continue;
		fprintf(f, "%s\"%s\":%llu", first ? "" : ",", nw_decode_event_name(e),
			(unsigned long long)c.decode_events[e]);
		first = 0;
	}
	fprintf(f, "},\"defrag\":{\"fragments\":%llu,\"reassembled\":%llu,\"timeouts\":%llu,"
		"\"evicted\":%llu,\"overlaps\":%llu,\"duplicates\":%llu,\"too_large\":%llu,"
		"\"invalid\":%llu}",
		(unsigned long long)c.defrag.fragments, (unsigned long long)c.defrag.reassembled,
		(unsigned long long)c.defrag.timeouts, (unsigned long long)c.defrag.evicted,
		(unsigned long long)c.defrag.overlaps, (unsigned long long)c.defrag.duplicates,
		(unsigned long long)c.defrag.too_large, (unsigned long long)c.defrag.invalid);
	fprintf(f, ",\"non_ip\":%llu,\"events\":{",
		(unsigned long long)c.decode_err[NW_DEC_LINK_UNKNOWN]);
	for (int t = 1; t < NW_EV_MAX; t++)
		fprintf(f, "\"%s\":%llu,", stats_ev_names[t],
			(unsigned long long)eng->events_by_type[t]);
	fprintf(f, "\"dropped\":%llu},\"flows\":{\"created\":%llu,\"evicted\":%llu,"
		"\"timedout\":%llu,\"verdict_hits\":%llu,\"bypassed\":%llu,\"bypass_late\":%llu},",
		(unsigned long long)c.events_dropped, (unsigned long long)c.flows.created,
		(unsigned long long)c.flows.evicted, (unsigned long long)c.flows.timedout,
		(unsigned long long)c.flow_verdict_hits, (unsigned long long)c.flows_bypassed,
		(unsigned long long)c.bypass_late);
	fprintf(f, "\"eve\":{\"written\":%llu,\"errors\":%llu},",
		(unsigned long long)eng->eve_written, (unsigned long long)eng->eve_errors);
	fprintf(f, "\"live\":{\"enobufs\":%llu,\"fail_open\":%llu,\"recv_errors\":%llu,"
		"\"verdict_errors\":%llu,\"verdict_retries\":%llu,\"verdict_fallbacks\":%llu,"
		"\"verdicts_resent\":%llu},",
		(unsigned long long)c.enobufs, (unsigned long long)c.fail_open,
		(unsigned long long)c.recv_errors, (unsigned long long)c.verdict_errors,
		(unsigned long long)c.verdict_retries, (unsigned long long)c.verdict_fallbacks,
		(unsigned long long)c.verdicts_resent);
	fprintf(f, "\"plugins\":{");
	for (unsigned i = 0; i < eng->n_plugins; i++) {
		const struct nw_plugin *p = eng->plugins[i];
		fprintf(f, "%s", i ? "," : "");
		stats_json_str(f, p->name);
		fprintf(f, ":{\"verdicts\":{");
		first = 1;
		for (int v = NW_ACCEPT; v < NW_VERDICT_MAX; v++) {
			int any = 0;
			for (unsigned r = 0; r < p->n_reasons; r++)
				any |= c.plugin_verdicts[i][v][r] != 0;
			if (!any)
				continue;
			fprintf(f, "%s\"%s\":{", first ? "" : ",", nw_verdict_name(v));
			first = 0;
			int rf = 1;
			for (unsigned r = 0; r < p->n_reasons; r++) {
				if (!c.plugin_verdicts[i][v][r])
					continue;
				fprintf(f, "%s", rf ? "" : ",");
				stats_json_str(f, p->reason_name[r]);
				fprintf(f, ":%llu", (unsigned long long)c.plugin_verdicts[i][v][r]);
				rf = 0;
			}
			fprintf(f, "}");
		}
		fprintf(f, "},\"counters\":{");
		for (unsigned k = 0; k < p->n_counters; k++) {
			uint64_t val = p->counter_gauge[k] ? atomic_load(&((struct nw_plugin *)p)->gauge[k])
							   : c.plugin_ctr[i][k];
			fprintf(f, "%s", k ? "," : "");
			stats_json_str(f, p->counter_name[k]);
			fprintf(f, ":%llu", (unsigned long long)val);
		}
		fprintf(f, "}}");
	}
	fprintf(f, "}");
	if (wall_s >= 0)
		fprintf(f, ",\"wall_seconds\":%.6f,\"pps\":%.1f", wall_s,
			wall_s > 0 ? (double)c.packets / wall_s : 0.0);
	fprintf(f, "}");
	return ferror(f) ? -1 : 0;
}

void nw_stats_print_summary(const struct nw_engine *eng, FILE *f, double wall_s)
{
	struct nw_wcounters c;
	uint64_t errs = 0;

	nw_engine_sum_counters(eng, &c);
	fprintf(f, "natwarden summary:\n");
	fprintf(f, "  packets        %llu (%llu bytes)\n", (unsigned long long)c.packets,
		(unsigned long long)c.bytes);
	fprintf(f, "  verdicts       accept %llu, drop %llu, reject %llu, bypass %llu\n",
		(unsigned long long)c.verdicts[NW_ACCEPT], (unsigned long long)c.verdicts[NW_DROP],
		(unsigned long long)c.verdicts[NW_REJECT], (unsigned long long)c.verdicts[NW_BYPASS]);
	fprintf(f, "  alerts         %llu\n", (unsigned long long)eng->alerts);
	for (int e = 1; e < NW_DEC_MAX; e++)
		if (e != NW_DEC_LINK_UNKNOWN)
			errs += c.decode_err[e];
	fprintf(f, "  decode errors  %llu", (unsigned long long)errs);
	for (int e = 1; e < NW_DEC_MAX; e++)
		if (c.decode_err[e] && e != NW_DEC_LINK_UNKNOWN)
			fprintf(f, " %s=%llu", nw_decode_err_name(e),
				(unsigned long long)c.decode_err[e]);
	fprintf(f, "\n  non-IP frames  %llu\n",
		(unsigned long long)c.decode_err[NW_DEC_LINK_UNKNOWN]);
	if (c.defrag.fragments)
		fprintf(f, "  fragments      %llu: %llu datagrams reassembled, %llu overlaps, "
			"%llu timed out, %llu evicted, %llu refused\n",
			(unsigned long long)c.defrag.fragments,
			(unsigned long long)c.defrag.reassembled,
			(unsigned long long)c.defrag.overlaps, (unsigned long long)c.defrag.timeouts,
			(unsigned long long)c.defrag.evicted,
			(unsigned long long)(c.defrag.too_large + c.defrag.invalid));
	fprintf(f, "  flows          %llu created, %llu evicted, %llu timed out\n",
		(unsigned long long)c.flows.created, (unsigned long long)c.flows.evicted,
		(unsigned long long)c.flows.timedout);
	if (c.flows_bypassed)
		fprintf(f, "  bypassed       %llu flows, %llu packets after their bypass\n",
			(unsigned long long)c.flows_bypassed, (unsigned long long)c.bypass_late);
	if (c.events_dropped)
		fprintf(f, "  events lost    %llu (event queue full)\n",
			(unsigned long long)c.events_dropped);
	for (unsigned i = 0; i < eng->n_plugins; i++) {
		const struct nw_plugin *p = eng->plugins[i];
		fprintf(f, "  plugin %-8s", p->name);
		for (int v = NW_ACCEPT; v < NW_VERDICT_MAX; v++)
			for (unsigned r = 0; r < p->n_reasons; r++)
				if (c.plugin_verdicts[i][v][r])
					fprintf(f, " %s/%s=%llu", nw_verdict_name(v), p->reason_name[r],
						(unsigned long long)c.plugin_verdicts[i][v][r]);
		fprintf(f, "\n");
	}
	if (wall_s >= 0)
		fprintf(f, "  wall time      %.3f s (%.0f packets/s)\n", wall_s,
			wall_s > 0 ? (double)c.packets / wall_s : 0.0);
}
