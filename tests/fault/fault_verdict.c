/* LD_PRELOAD test shim: make NFQUEUE verdict sends (sendto/sendmsg) fail on a pattern. */
/*
 * Only datagrams on a NETLINK_NETFILTER socket whose first message is an NFQUEUE verdict
 * (NFQNL_MSG_VERDICT or NFQNL_MSG_VERDICT_BATCH) count as verdict sends; everything else passes.
 * Verdict send number c (from 0, over all threads) fails when c >= AFTER and
 * (c - AFTER) % EVERY < BURST, with errno ERRNO, until MAX failures were injected.
 *   NW_FAULT_VERDICT_EVERY  period (0 or unset: never fail)
 *   NW_FAULT_VERDICT_BURST  consecutive failures per period (default 1)
 *   NW_FAULT_VERDICT_AFTER  verdict sends let through first (default 0)
 *   NW_FAULT_VERDICT_MAX    stop failing after this many (default 0 = no limit)
 *   NW_FAULT_VERDICT_ERRNO  ENOBUFS (default), EAGAIN, ENOMEM, EINTR, EPERM, or a number
 * At exit it prints "nw_fault: F of N verdict sends failed" to stderr.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#define FV_API __attribute__((visibility("default")))

typedef ssize_t (*fv_sendto_fn)(int, const void *, size_t, int, const struct sockaddr *,
				socklen_t);
typedef ssize_t (*fv_sendmsg_fn)(int, const struct msghdr *, int);

static unsigned long fv_every, fv_burst = 1, fv_after, fv_max;
static int fv_errno = ENOBUFS;
static unsigned long fv_sends, fv_failed; /* touched with __atomic builtins only */

static unsigned long fv_env(const char *name, unsigned long dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : dflt;
}

__attribute__((constructor)) static void fv_init(void)
{
	const char *e = getenv("NW_FAULT_VERDICT_ERRNO");

	fv_every = fv_env("NW_FAULT_VERDICT_EVERY", 0);
	fv_burst = fv_env("NW_FAULT_VERDICT_BURST", 1);
	fv_after = fv_env("NW_FAULT_VERDICT_AFTER", 0);
	fv_max = fv_env("NW_FAULT_VERDICT_MAX", 0);
	if (e && *e) {
		if (!strcmp(e, "ENOBUFS"))
			fv_errno = ENOBUFS;
		else if (!strcmp(e, "EAGAIN"))
			fv_errno = EAGAIN;
		else if (!strcmp(e, "ENOMEM"))
			fv_errno = ENOMEM;
		else if (!strcmp(e, "EINTR"))
			fv_errno = EINTR;
		else if (!strcmp(e, "EPERM"))
			fv_errno = EPERM;
		else
			fv_errno = atoi(e);
	}
}

__attribute__((destructor)) static void fv_report(void)
{
	if (fv_every && __atomic_load_n(&fv_sends, __ATOMIC_RELAXED))
		fprintf(stderr, "nw_fault: %lu of %lu verdict sends failed\n",
			__atomic_load_n(&fv_failed, __ATOMIC_RELAXED),
			__atomic_load_n(&fv_sends, __ATOMIC_RELAXED));
}

static int fv_is_verdict(int fd, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int dom = 0, proto = 0;
	socklen_t sl = sizeof(dom);
	unsigned type;

	if (!fv_every || !buf || len < sizeof(*nlh))
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &sl) || dom != AF_NETLINK)
		return 0;
	sl = sizeof(proto);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &sl) || proto != NETLINK_NETFILTER)
		return 0;
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_QUEUE)
		return 0;
	type = NFNL_MSG_TYPE(nlh->nlmsg_type);
	return type == NFQNL_MSG_VERDICT || type == NFQNL_MSG_VERDICT_BATCH;
}

/* 1 when this verdict send must fail. */
static int fv_should_fail(void)
{
	unsigned long c = __atomic_fetch_add(&fv_sends, 1, __ATOMIC_RELAXED);

	if (c < fv_after || (c - fv_after) % fv_every >= fv_burst)
		return 0;
	if (fv_max && __atomic_load_n(&fv_failed, __ATOMIC_RELAXED) >= fv_max)
		return 0;
	__atomic_fetch_add(&fv_failed, 1, __ATOMIC_RELAXED);
	return 1;
}

FV_API ssize_t sendto(int fd, const void *buf, size_t len, int flags,
		      const struct sockaddr *addr, socklen_t alen)
{
	static fv_sendto_fn real;

	if (!real)
		real = (fv_sendto_fn)dlsym(RTLD_NEXT, "sendto");
	if (fv_is_verdict(fd, buf, len) && fv_should_fail()) {
		errno = fv_errno;
		return -1;
	}
	return real(fd, buf, len, flags, addr, alen);
}

FV_API ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	static fv_sendmsg_fn real;

	if (!real)
		real = (fv_sendmsg_fn)dlsym(RTLD_NEXT, "sendmsg");
	if (msg && msg->msg_iovlen &&
	    fv_is_verdict(fd, msg->msg_iov[0].iov_base, msg->msg_iov[0].iov_len) &&
	    fv_should_fail()) {
		errno = fv_errno;
		return -1;
	}
	return real(fd, msg, flags);
}
