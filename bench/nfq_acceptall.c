/* bench/nfq_acceptall.c: baseline B, a minimal accept-all NFQUEUE reader with batch verdicts (libmnl API). */
/*
 * usage: nfq_acceptall [-q QUEUE] [-b BATCH] [-c COPY_RANGE] [-m MAXLEN] [-t SECONDS]
 * Binds QUEUE with the same settings natwarden uses (full copy up to 64 KiB, GSO, fail-open,
 * 8 MiB receive buffer), reads packets until the socket would block or BATCH packets are
 * pending, then accepts all of them with one NFQNL_MSG_VERDICT_BATCH. Exits on SIGTERM/SIGINT
 * or after SECONDS (default 600: it never outlives a benchmark), printing its counters.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define ACC_BUF 8192

static volatile sig_atomic_t acc_stop;

struct acc {
	struct mnl_socket *nl;
	unsigned int portid;
	unsigned int queue;
	uint32_t last_id;
	unsigned int pending;
	unsigned long long packets, batches, enobufs;
};

static void acc_on_signal(int sig)
{
	(void)sig;
	acc_stop = 1;
}

static struct nlmsghdr *acc_msg(char *buf, int type, unsigned int queue)
{
	return nfq_nlmsg_put(buf, type, queue);
}

/* send a config message and wait for its ack */
static int acc_cfg(struct acc *a, struct nlmsghdr *nlh)
{
	char buf[ACC_BUF];
	int n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	if (mnl_socket_sendto(a->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = (int)mnl_socket_recvfrom(a->nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		n = mnl_cb_run(buf, (size_t)n, 1, a->portid, NULL, NULL);
		if (n < 0)
			return -errno;
		if (n == MNL_CB_STOP)
			return 0;
	}
}

static int acc_flags(struct acc *a, uint32_t flags)
{
	char buf[ACC_BUF];
	struct nlmsghdr *nlh = acc_msg(buf, NFQNL_MSG_CONFIG, a->queue);

	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags));
	return acc_cfg(a, nlh);
}

static int acc_verdict_batch(struct acc *a)
{
	char buf[ACC_BUF];
	struct nlmsghdr *nlh;

	if (!a->pending)
		return 0;
	nlh = acc_msg(buf, NFQNL_MSG_VERDICT_BATCH, a->queue);
	nfq_nlmsg_verdict_put(nlh, (int)a->last_id, NF_ACCEPT);
	a->pending = 0;
	a->batches++;
	if (mnl_socket_sendto(a->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

static int acc_on_packet(const struct nlmsghdr *nlh, void *data)
{
	struct acc *a = data;
	struct nlattr *attr[NFQA_MAX + 1] = {NULL};
	const struct nfqnl_msg_packet_hdr *ph;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_OK;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	a->last_id = ntohl(ph->packet_id);
	a->pending++;
	a->packets++;
	return MNL_CB_OK;
}

static int acc_open(struct acc *a, unsigned int copy, unsigned int maxlen)
{
	char buf[ACC_BUF];
	struct nlmsghdr *nlh;
	int sz = 8 * 1024 * 1024, one = 1, r;

	a->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!a->nl)
		return -errno;
	if (mnl_socket_bind(a->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	a->portid = mnl_socket_get_portid(a->nl);
	if (setsockopt(mnl_socket_get_fd(a->nl), SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(mnl_socket_get_fd(a->nl), SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(mnl_socket_get_fd(a->nl), SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));

	nlh = acc_msg(buf, NFQNL_MSG_CONFIG, a->queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	r = acc_cfg(a, nlh);
	if (r)
		return r;
	nlh = acc_msg(buf, NFQNL_MSG_CONFIG, a->queue);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)copy);
	r = acc_cfg(a, nlh);
	if (r)
		return r;
	nlh = acc_msg(buf, NFQNL_MSG_CONFIG, a->queue);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, maxlen);
	r = acc_cfg(a, nlh);
	if (r)
		return r;
	if (acc_flags(a, NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO))
		fprintf(stderr, "nfq_acceptall: kernel refuses FAIL_OPEN|GSO\n");
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int batch = 64, copy = 0xffff, maxlen = 4096, secs = 600;
	struct acc a = {0};
	struct sigaction sa = {0};
	char *buf;
	size_t bufsz;
	int opt, r;

	while ((opt = getopt(argc, argv, "q:b:c:m:t:")) != -1) {
		switch (opt) {
		case 'q': a.queue = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'b': batch = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'c': copy = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'm': maxlen = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 't': secs = (unsigned int)strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: nfq_acceptall [-q QUEUE] [-b BATCH] [-c COPY] "
				"[-m MAXLEN] [-t SECONDS]\n");
			return 2;
		}
	}
	if (!batch)
		batch = 1;
	if (!copy || copy > 0xffff)
		copy = 0xffff;
	bufsz = copy + 4096;
	buf = malloc(bufsz);
	if (!buf)
		return 1;
	/* no SA_RESTART: a blocking recv must return on SIGTERM */
	sa.sa_handler = acc_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	alarm(secs);

	r = acc_open(&a, copy, maxlen);
	if (r) {
		fprintf(stderr, "nfq_acceptall: queue %u: %s\n", a.queue, strerror(-r));
		return 1;
	}
	fprintf(stderr, "nfq_acceptall: queue %u bound, batch %u\n", a.queue, batch);
	while (!acc_stop) {
		ssize_t n;
		int flags = a.pending ? MSG_DONTWAIT : 0;

		n = recv(mnl_socket_get_fd(a.nl), buf, bufsz, flags);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				acc_verdict_batch(&a);
				continue;
			}
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				a.enobufs++;
				continue;
			}
			fprintf(stderr, "nfq_acceptall: recv: %s\n", strerror(errno));
			break;
		}
		mnl_cb_run(buf, (size_t)n, 0, a.portid, acc_on_packet, &a);
		if (a.pending >= batch)
			acc_verdict_batch(&a);
	}
	acc_verdict_batch(&a);
	fprintf(stderr, "nfq_acceptall: %llu packets, %llu batch verdicts, %llu ENOBUFS\n",
		a.packets, a.batches, a.enobufs);
	mnl_socket_close(a.nl);
	free(buf);
	return 0;
}
