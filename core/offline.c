/* Offline mode: the live pipeline fed from a pcap file, with packet time as engine time. */
#include <errno.h>
#include <pcap/pcap.h>
#include <string.h>
#include "decode.h"
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

int nw_offline_run(struct nw_engine *eng, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct nw_worker *w = eng->workers[0];
	struct pcap_pkthdr *hdr;
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
	while ((r = pcap_next_ex(pc, &hdr, &data)) == 1) {
		struct nw_pkt_meta meta = {.ct_state = -1, .from_public = -1};
		uint32_t off = 0;
		int d;

		meta.ts_ns = (uint64_t)hdr->ts.tv_sec * 1000000000ull + (uint64_t)hdr->ts.tv_usec;
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
		nw_engine_process(w, data + off, hdr->caplen - off, &meta);
		nw_engine_drain_events(eng);
		nw_engine_run_timers(eng, meta.ts_ns);
	}
	if (r == -1) {
		nw_log(NW_LOG_ERR, "%s: %s", path, pcap_geterr(pc));
		ret = -EIO;
	}
	nw_engine_drain_events(eng);
	pcap_close(pc);
	return ret;
}
