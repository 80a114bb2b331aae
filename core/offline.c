/* Offline mode: the live pipeline fed from a pcap file, with packet time as engine time. */
#include <errno.h>
#include <pcap/pcap.h>
#include <string.h>
#include "decode.h"
#include "defrag.h"
#include "log.h"
#include "offline.h"

/* pcap gives DLT_* values; our link decoder speaks LINKTYPE_* (they differ only for raw IP). */
static int offline_linktype(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB: return NW_LINKTYPE_ETHERNET;
	case DLT_RAW: return NW_LINKTYPE_RAW;
#ifdef DLT_IPV4
	case DLT_IPV4: return NW_LINKTYPE_IPV4;
#endif
#ifdef DLT_IPV6
	case DLT_IPV6: return NW_LINKTYPE_IPV6;
#endif
	case DLT_LINUX_SLL: return NW_LINKTYPE_LINUX_SLL;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2: return NW_LINKTYPE_LINUX_SLL2;
#endif
	default: return dlt == 101 ? NW_LINKTYPE_RAW : -1;
	}
}

/* The kernel reassembles fragments before NFQUEUE sees them; offline, this does. */
static struct nw_defrag *offline_defrag_new(struct nw_engine *eng, struct nw_worker *w)
{
	struct nw_defrag_conf dc = {
		.memory = eng->set.defrag_memory,
		.max_dgrams = (uint32_t)(eng->set.defrag_max > 1000000 ? 1000000 : eng->set.defrag_max),
		.timeout4_ns = eng->set.defrag_timeout_ipv4 * 1000000000ull,
		.timeout6_ns = eng->set.defrag_timeout_ipv6 * 1000000000ull,
	};

	return eng->set.defrag ? nw_defrag_new(&dc, &w->ctr.defrag) : NULL;
}

/* pcap's seconds are unsigned 32-bit on disk (good until 2106); libpcap may hand them over
 * sign-extended into a signed time_t, which would put a 2038+ capture before 1970. */
static uint64_t offline_ts_ns(const struct pcap_pkthdr *hdr)
{
	return (uint64_t)(uint32_t)hdr->ts.tv_sec * 1000000000ull + (uint32_t)hdr->ts.tv_usec;
}

/* One IP packet to the engine, through reassembly when it is on. */
static void offline_packet(struct nw_worker *w, struct nw_defrag *df, const uint8_t *l3,
			   uint32_t caplen, uint32_t wire_len, struct nw_pkt_meta *meta)
{
	const uint8_t *out = l3;
	uint32_t out_len = caplen;

	meta->wire_len = wire_len;
	if (df) {
		switch (nw_defrag_feed(df, l3, caplen, meta->ts_ns, &out, &out_len,
				       &meta->decode_events)) {
		case NW_DEFRAG_HELD:
			return;
		case NW_DEFRAG_DONE:
			meta->wire_len = out_len;
			break;
		case NW_DEFRAG_EVENT: /* the refused fragment itself, with its events */
		default:
			out = l3;
			out_len = caplen;
			break;
		}
	}
	nw_engine_process(w, out, out_len, meta);
}

void nw_offline_state_check(const struct nw_engine *eng)
{
	if (eng->live_state)
		return;
	for (unsigned i = 0; i < eng->n_plugins; i++) {
		const struct nw_plugin_desc *d = eng->plugins[i]->desc;
		if (d->abi_major == NW_ABI_MAJOR && d->abi_minor < 2)
			nw_log(NW_LOG_WARNING,
			       "plugin '%s' was built for ABI %u.%u, before offline runs could tell "
			       "it to leave persistent and shared state alone: it may still use it",
			       eng->plugins[i]->name, d->abi_major, d->abi_minor);
	}
}

int nw_offline_run(struct nw_engine *eng, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct nw_worker *w = eng->workers[0];
	struct pcap_pkthdr *hdr;
	struct nw_defrag *df = NULL;
	const u_char *data;
	pcap_t *pc;
	int lt, r, ret = 0;

	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!pc) {
		nw_log(NW_LOG_ERR, "%s: %s", path, errbuf);
		return -EINVAL;
	}
	lt = offline_linktype(pcap_datalink(pc));
	if (lt < 0) {
		nw_log(NW_LOG_ERR, "%s: link type %s (%d) is not supported", path,
		       pcap_datalink_val_to_name(pcap_datalink(pc)) ? pcap_datalink_val_to_name(pcap_datalink(pc)) : "?",
		       pcap_datalink(pc));
		pcap_close(pc);
		return -EPROTONOSUPPORT;
	}
	df = offline_defrag_new(eng, w);
	if (eng->set.defrag && !df) {
		nw_log(NW_LOG_ERR, "cannot allocate %llu bytes for IP reassembly (defrag_memory)",
		       (unsigned long long)eng->set.defrag_memory);
		pcap_close(pc);
		return -ENOMEM;
	}
	while ((r = pcap_next_ex(pc, &hdr, &data)) == 1) {
		struct nw_pkt_meta meta = {.ct_state = -1, .from_public = -1};
		uint32_t off = 0;
		int d;

		meta.ts_ns = offline_ts_ns(hdr);
		atomic_store_explicit(&eng->now_ns, meta.ts_ns, memory_order_relaxed);
		d = nw_decode_link(lt, data, hdr->caplen, &off);
		if (d == NW_DEC_LINK_UNKNOWN) {
			w->ctr.decode_err[NW_DEC_LINK_UNKNOWN]++;
			continue;
		}
		if (d != NW_DEC_OK) {
			w->ctr.packets++;
			w->ctr.bytes += hdr->caplen;
			w->ctr.decode_err[d < NW_DEC_MAX ? d : 0]++;
			w->ctr.verdicts[eng->set.malformed_verdict]++;
			continue;
		}
		offline_packet(w, df, data + off, hdr->caplen - off,
			       hdr->len > off ? hdr->len - off : 0, &meta);
		nw_engine_drain_events(eng);
		nw_engine_run_timers(eng, meta.ts_ns);
	}
	if (r == -1) {
		nw_log(NW_LOG_ERR, "%s: %s", path, pcap_geterr(pc));
		ret = -EIO;
	}
	nw_engine_drain_events(eng);
	nw_defrag_free(df);
	pcap_close(pc);
	return ret;
}
