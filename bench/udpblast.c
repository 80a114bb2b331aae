/* bench/udpblast.c: bounded UDP generator (send), echo server (echo) and RTT prober (ping) for the benchmarks. */
/*
 * udpblast send -d ADDR:PORT [-b SRC[,SRC...]] [-n COUNT] [-t SECONDS] [-s PAYLOAD]
 *     Sends at most COUNT datagrams (default 10M) of PAYLOAD bytes (default 22: a 64-byte
 *     Ethernet frame) for at most SECONDS (default 1), round-robin over one socket per source
 *     address (queue-balance hashes on addresses, so several sources spread over queues), with
 *     sendmmsg. Prints "sent N seconds S pps P".
 *     With -I IFACE -m DSTMAC it writes ready-made Ethernet frames to IFACE through a packet
 *     socket (like trafgen: the sender's own UDP/IP stack is skipped, so the generator goes
 *     faster than the socket path), source addresses rotating per frame; -r PPS paces it
 *     (bursts of 16 on a fixed schedule) for measurements at a fixed offered load; source
 *     ports are SPORT, SPORT+1, ... one per source address (default 40000).
 * udpblast echo -l ADDR:PORT [-t SECONDS]
 *     Echoes every datagram back to its sender, for at most SECONDS (default 600).
 * udpblast ping -d ADDR:PORT [-n COUNT] [-t SECONDS] [-i GAP_US]
 *     Sends COUNT (default 1000) probes one at a time, each waiting up to 200 ms for its echo,
 *     GAP_US microseconds apart (default 200), for at most SECONDS (default 10). Prints
 *     "replies N lost L p50_us X p99_us Y".
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>

#define UB_MAX_SRC 16
#define UB_BATCH 64

static volatile sig_atomic_t ub_stop;

static void ub_on_signal(int sig)
{
	(void)sig;
	ub_stop = 1;
}

static double ub_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int ub_parse_addr(const char *s, struct sockaddr_in *sa, int need_port)
{
	char buf[64];
	char *colon;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	colon = strchr(buf, ':');
	if (colon) {
		*colon = 0;
		sa->sin_port = htons((uint16_t)strtoul(colon + 1, NULL, 10));
	} else if (need_port) {
		return -EINVAL;
	}
	if (inet_pton(AF_INET, buf, &sa->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

static int ub_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int ub_send(struct sockaddr_in *dst, char *srcs, unsigned long long count, double secs,
		   size_t payload)
{
	int fds[UB_MAX_SRC], nfd = 0;
	static char data[65536];
	struct mmsghdr msgs[UB_BATCH];
	struct iovec iov[UB_BATCH];
	unsigned long long sent = 0;
	double t0, t1;
	char *tok, *save = NULL;

	if (payload > sizeof(data))
		payload = sizeof(data);
	for (tok = srcs ? strtok_r(srcs, ",", &save) : NULL; tok || nfd == 0;
	     tok = strtok_r(NULL, ",", &save)) {
		struct sockaddr_in src;
		int fd, sz = 4 * 1024 * 1024;

		if (nfd == UB_MAX_SRC)
			break;
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0)
			return -errno;
		setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
		if (tok) {
			if (ub_parse_addr(tok, &src, 0)) {
				fprintf(stderr, "udpblast: bad source %s\n", tok);
				return -EINVAL;
			}
			if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
				fprintf(stderr, "udpblast: bind %s: %s\n", tok, strerror(errno));
				return -errno;
			}
		}
		if (connect(fd, (struct sockaddr *)dst, sizeof(*dst)) < 0) {
			fprintf(stderr, "udpblast: connect: %s\n", strerror(errno));
			return -errno;
		}
		fds[nfd++] = fd;
		if (!tok)
			break;
	}
	for (unsigned i = 0; i < payload; i++)
		data[i] = (char)('a' + i % 26);
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < UB_BATCH; i++) {
		iov[i].iov_base = data;
		iov[i].iov_len = payload;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = ub_now();
	t1 = t0;
	for (unsigned k = 0; !ub_stop && sent < count; k++) {
		unsigned int want = UB_BATCH;
		int n;

		if (count - sent < want)
			want = (unsigned int)(count - sent);
		n = sendmmsg(fds[k % (unsigned)nfd], msgs, want, 0);
		if (n > 0)
			sent += (unsigned)n;
		else if (n < 0 && errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED &&
			 errno != EINTR) {
			fprintf(stderr, "udpblast: sendmmsg: %s\n", strerror(errno));
			break;
		}
		if ((k & 15) == 0) {
			t1 = ub_now();
			if (t1 - t0 >= secs)
				break;
		}
	}
	t1 = ub_now();
	printf("sent %llu seconds %.6f pps %.0f\n", sent, t1 - t0, (double)sent / (t1 - t0));
	for (int i = 0; i < nfd; i++)
		close(fds[i]);
	return 0;
}

static int ub_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static uint16_t ub_csum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* frames: Ethernet + IPv4 + UDP (checksum 0) + payload, one per source address */
static int ub_send_raw(struct sockaddr_in *dst, char *srcs, const char *ifname, const char *mac,
		       unsigned long long count, double secs, size_t payload, double rate,
		       unsigned sport)
{
	static uint8_t frames[UB_MAX_SRC][2048];
	struct mmsghdr msgs[UB_BATCH];
	struct iovec iov[UB_BATCH];
	struct sockaddr_ll ll = {0};
	uint8_t dmac[6];
	struct ifreq ifr;
	unsigned long long sent = 0;
	size_t flen = 14 + 20 + 8 + payload;
	int fd, nsrc = 0, one = 1;
	char *tok, *save = NULL;
	double t0, t1;

	if (ub_parse_mac(mac, dmac) || flen > sizeof(frames[0]) || strlen(ifname) >= IFNAMSIZ) {
		fprintf(stderr, "udpblast: bad -m MAC, -I IFACE or -s size\n");
		return -EINVAL;
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		fprintf(stderr, "udpblast: packet socket: %s\n", strerror(errno));
		return -errno;
	}
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		fprintf(stderr, "udpblast: %s: %s\n", ifname, strerror(errno));
		close(fd);
		return -errno;
	}
	ll.sll_family = AF_PACKET;
	ll.sll_ifindex = (int)if_nametoindex(ifname);
	ll.sll_protocol = htons(ETH_P_IP);
	ll.sll_halen = 6;
	memcpy(ll.sll_addr, dmac, 6);
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	for (tok = srcs ? strtok_r(srcs, ",", &save) : NULL; tok && nsrc < UB_MAX_SRC;
	     tok = strtok_r(NULL, ",", &save)) {
		uint8_t *f = frames[nsrc];
		struct iphdr *ip = (struct iphdr *)(f + 14);
		struct udphdr *udp = (struct udphdr *)(f + 34);
		struct sockaddr_in src;

		if (ub_parse_addr(tok, &src, 0)) {
			fprintf(stderr, "udpblast: bad source %s\n", tok);
			close(fd);
			return -EINVAL;
		}
		memcpy(f, dmac, 6);
		memcpy(f + 6, ifr.ifr_hwaddr.sa_data, 6);
		f[12] = 0x08;
		f[13] = 0x00;
		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons((uint16_t)(20 + 8 + payload));
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		ip->saddr = src.sin_addr.s_addr;
		ip->daddr = dst->sin_addr.s_addr;
		ip->check = ub_csum(ip, 20);
		udp->source = htons((uint16_t)(sport + (unsigned)nsrc));
		udp->dest = dst->sin_port;
		udp->len = htons((uint16_t)(8 + payload));
		for (size_t i = 0; i < payload; i++)
			f[42 + i] = (uint8_t)('a' + i % 26);
		nsrc++;
	}
	if (!nsrc) {
		fprintf(stderr, "udpblast: raw mode needs -b SRC[,SRC...]\n");
		close(fd);
		return -EINVAL;
	}
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < UB_BATCH; i++) {
		iov[i].iov_base = frames[i % nsrc];
		iov[i].iov_len = flen;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &ll;
		msgs[i].msg_hdr.msg_namelen = sizeof(ll);
	}
	t0 = ub_now();
	for (unsigned k = 0; !ub_stop && sent < count; k++) {
		unsigned int want = UB_BATCH;
		int n;

		if (rate > 0) { /* paced: bursts of 16 on a fixed schedule */
			double due = t0 + (double)sent / rate, now = ub_now();

			want = 16;
			if (due > now) {
				struct timespec ts = {.tv_sec = (time_t)(due - now),
						      .tv_nsec = (long)((due - now - (double)(time_t)(due - now)) * 1e9)};
				nanosleep(&ts, NULL);
			}
		}
		if (count - sent < want)
			want = (unsigned int)(count - sent);
		n = sendmmsg(fd, msgs, want, 0);
		if (n > 0)
			sent += (unsigned)n;
		else if (n < 0 && errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "udpblast: sendmmsg: %s\n", strerror(errno));
			break;
		}
		if ((rate > 0 || (k & 15) == 0) && ub_now() - t0 >= secs)
			break;
	}
	t1 = ub_now();
	printf("sent %llu seconds %.6f pps %.0f\n", sent, t1 - t0, (double)sent / (t1 - t0));
	close(fd);
	return 0;
}

static int ub_echo(struct sockaddr_in *lis, double secs)
{
	char buf[2048];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	double t0 = ub_now();

	if (fd < 0 || bind(fd, (struct sockaddr *)lis, sizeof(*lis)) < 0) {
		fprintf(stderr, "udpblast: echo bind: %s\n", strerror(errno));
		return -errno;
	}
	while (!ub_stop && ub_now() - t0 < secs) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 500) <= 0)
			continue;
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n > 0)
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
	close(fd);
	return 0;
}

static int ub_ping(struct sockaddr_in *dst, unsigned long long count, double secs, unsigned gap_us)
{
	double *rtt, t0 = ub_now();
	unsigned long long got = 0, lost = 0;
	char buf[2048];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	rtt = calloc(count ? count : 1, sizeof(*rtt));
	if (fd < 0 || !rtt || connect(fd, (struct sockaddr *)dst, sizeof(*dst)) < 0) {
		fprintf(stderr, "udpblast: ping: %s\n", strerror(errno));
		free(rtt);
		return -errno;
	}
	for (unsigned long long i = 0; i < count && !ub_stop && ub_now() - t0 < secs; i++) {
		uint64_t seq = i, echo;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		double s = ub_now(), deadline = s + 0.2;
		int done = 0;

		memset(buf, 0, 22);
		memcpy(buf, &seq, sizeof(seq));
		if (send(fd, buf, 22, 0) < 0) {
			lost++;
			continue;
		}
		while (!done) {
			double left = deadline - ub_now();
			ssize_t n;

			if (left <= 0 || poll(&p, 1, (int)(left * 1000) + 1) <= 0)
				break;
			n = recv(fd, buf, sizeof(buf), 0);
			if (n >= (ssize_t)sizeof(echo)) {
				memcpy(&echo, buf, sizeof(echo));
				if (echo == seq) {
					rtt[got++] = (ub_now() - s) * 1e6;
					done = 1;
				}
			}
		}
		if (!done)
			lost++;
		if (gap_us)
			usleep(gap_us);
	}
	if (got) {
		qsort(rtt, got, sizeof(*rtt), ub_cmp_double);
		printf("replies %llu lost %llu p50_us %.1f p99_us %.1f\n", got, lost,
		       rtt[(got - 1) / 2], rtt[(got * 99 + 99) / 100 - 1]);
	} else {
		printf("replies 0 lost %llu p50_us nan p99_us nan\n", lost);
	}
	free(rtt);
	close(fd);
	return got ? 0 : -ETIMEDOUT;
}

static void ub_usage(void)
{
	fprintf(stderr, "usage: udpblast send -d ADDR:PORT [-b SRC,...] [-n COUNT] [-t SECS] [-s BYTES]\n"
			"                     [-I IFACE -m DSTMAC [-r PPS] [-p SPORT]]\n"
			"       udpblast echo -l ADDR:PORT [-t SECS]\n"
			"       udpblast ping -d ADDR:PORT [-n COUNT] [-t SECS] [-i GAP_US]\n");
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr;
	const char *mode, *a_addr = NULL, *ifname = NULL, *mac = NULL;
	char *srcs = NULL;
	unsigned long long count = 0;
	double secs = 0, rate = 0;
	size_t payload = 22;
	unsigned gap = 200, sport = 40000;
	struct sigaction sa = {0};
	int opt, r;

	if (argc < 2) {
		ub_usage();
		return 2;
	}
	mode = argv[1];
	optind = 2;
	while ((opt = getopt(argc, argv, "d:l:b:n:t:s:i:I:m:r:p:")) != -1) {
		switch (opt) {
		case 'd': case 'l': a_addr = optarg; break;
		case 'b': srcs = optarg; break;
		case 'n': count = strtoull(optarg, NULL, 10); break;
		case 't': secs = strtod(optarg, NULL); break;
		case 's': payload = strtoul(optarg, NULL, 10); break;
		case 'I': ifname = optarg; break;
		case 'm': mac = optarg; break;
		case 'r': rate = strtod(optarg, NULL); break;
		case 'p': sport = (unsigned)strtoul(optarg, NULL, 10) & 0xffff; break;
		case 'i': gap = (unsigned)strtoul(optarg, NULL, 10); break;
		default: ub_usage(); return 2;
		}
	}
	if (!a_addr || ub_parse_addr(a_addr, &addr, 1)) {
		ub_usage();
		return 2;
	}
	sa.sa_handler = ub_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (!strcmp(mode, "send") && ifname && mac)
		r = ub_send_raw(&addr, srcs, ifname, mac, count ? count : 10000000ull,
				secs > 0 ? secs : 1, payload, rate, sport);
	else if (!strcmp(mode, "send"))
		r = ub_send(&addr, srcs, count ? count : 10000000ull, secs > 0 ? secs : 1, payload);
	else if (!strcmp(mode, "echo"))
		r = ub_echo(&addr, secs > 0 ? secs : 600);
	else if (!strcmp(mode, "ping"))
		r = ub_ping(&addr, count ? count : 1000, secs > 0 ? secs : 10, gap);
	else {
		ub_usage();
		return 2;
	}
	return r ? 1 : 0;
}
