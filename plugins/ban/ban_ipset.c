/* ban plugin: kernel offload, bans mirrored into ipsets by `ipset -exist restore` (argv, no shell). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ban_priv.h"

#define svc ban_svc
#define BI_BATCH 400      /* lines per ipset run: stays below the pipe buffer, never blocks */
#define BI_QUEUE_MAX 200000
/* Same type and options as natwardenctl firewall apply creates (tools/firewall.c), so that
 * `create -exist` of an existing set is a no-op. maxelem: the default (65536) would make the
 * kernel refuse bans beyond it, and one refused add aborts the rest of its restore run. */
#define BI_CREATE_OPTS "timeout 0 maxelem 4194304"

extern char **environ;

struct ban_ipset {
	char (*q)[96]; /* pending restore lines */
	size_t nq, capq;
	pid_t child;
	unsigned failures;
	unsigned solo; /* leading queued lines that run alone (the creates: one may fail) */
};

static void bi_push(struct ban_priv *p, const char *line)
{
	struct ban_ipset *b = p->ipset;

	if (b->nq >= BI_QUEUE_MAX) {
		svc->counter_add(p->self, NULL, p->c_ipset_errors, 1);
		return;
	}
	if (b->nq == b->capq) {
		size_t nc = b->capq ? b->capq * 2 : 256;
		char(*nq)[96] = realloc(b->q, nc * sizeof(*nq));
		if (!nq)
			return;
		b->q = nq;
		b->capq = nc;
	}
	snprintf(b->q[b->nq++], sizeof(b->q[0]), "%s", line);
}

static const char *bi_set(const struct ban_priv *p, const struct ban_net *n)
{
	int full = n->prefix == ban_net_maxprefix(n);

	if (n->family == 4)
		return full ? p->c.ipset_v4 : p->c.ipset_net4;
	return full ? p->c.ipset_v6 : p->c.ipset_net6;
}

void ban_ipset_add(struct ban_priv *p, const struct ban_net *n, uint64_t timeout_s)
{
	char net[BAN_NET_STRLEN], line[160];

	if (!p->ipset || ban_net_format(n, net, sizeof(net)) < 0)
		return;
	/* ipset timeouts are at most 2147483 s; 0 = permanent */
	if (timeout_s > 2147483)
		timeout_s = 2147483;
	snprintf(line, sizeof(line), "add %s %s timeout %" PRIu64, bi_set(p, n), net, timeout_s);
	bi_push(p, line);
}

void ban_ipset_del(struct ban_priv *p, const struct ban_net *n)
{
	char net[BAN_NET_STRLEN], line[160];

	if (!p->ipset || ban_net_format(n, net, sizeof(net)) < 0)
		return;
	snprintf(line, sizeof(line), "del %s %s", bi_set(p, n), net);
	bi_push(p, line);
}

/* Reap a finished ipset run; 1 while one is still running. */
static int bi_reap(struct ban_priv *p)
{
	struct ban_ipset *b = p->ipset;
	int st;
	pid_t r;

	if (!b->child)
		return 0;
	r = waitpid(b->child, &st, WNOHANG);
	if (r == 0)
		return 1;
	if (r == b->child && (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
		svc->counter_add(p->self, NULL, p->c_ipset_errors, 1);
		if (b->failures++ < 5)
			svc->log(p->self, NW_LOG_WARNING, "%s restore failed (status %d)",
				 p->c.ipset_bin, st);
	}
	b->child = 0;
	return 0;
}

void ban_ipset_flush_queue(struct ban_priv *p)
{
	struct ban_ipset *b = p->ipset;
	posix_spawn_file_actions_t fa;
	char *const argv[] = {p->c.ipset_bin, (char *)"-exist", (char *)"restore", NULL};
	int fds[2];
	size_t n;

	if (!b || bi_reap(p) || b->nq == 0)
		return;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	if (posix_spawnp(&b->child, p->c.ipset_bin, &fa, NULL, argv, environ) != 0) {
		b->child = 0;
		svc->counter_add(p->self, NULL, p->c_ipset_errors, 1);
		if (b->failures++ < 5)
			svc->log(p->self, NW_LOG_WARNING, "cannot run %s", p->c.ipset_bin);
		b->nq = 0;
		posix_spawn_file_actions_destroy(&fa);
		close(fds[0]);
		close(fds[1]);
		return;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	n = b->nq < BI_BATCH ? b->nq : BI_BATCH;
	if (b->solo) {
		n = 1;
		b->solo--;
	}
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(b->q[i]);
		b->q[i][l] = '\n';
		if (write(fds[1], b->q[i], l + 1) != (ssize_t)(l + 1))
			svc->counter_add(p->self, NULL, p->c_ipset_errors, 1);
	}
	close(fds[1]);
	memmove(b->q, b->q + n, (b->nq - n) * sizeof(b->q[0]));
	b->nq -= n;
}

int ban_ipset_start(struct ban_priv *p)
{
	static const char *const types[4][2] = {
		{"hash:ip", "inet"}, {"hash:ip", "inet6"}, {"hash:net", "inet"}, {"hash:net", "inet6"}};
	const char *names[4] = {p->c.ipset_v4, p->c.ipset_v6, p->c.ipset_net4, p->c.ipset_net6};
	char line[160];

	p->ipset = calloc(1, sizeof(*p->ipset));
	if (!p->ipset)
		return -ENOMEM;

	/* each create runs alone: a set that exists with other options (made by hand or by an
	 * older version) fails its create, is logged, and does not stop the others */
	for (unsigned i = 0; i < 4; i++) {
		snprintf(line, sizeof(line), "create %s %s family %s " BI_CREATE_OPTS, names[i],
			 types[i][0], types[i][1]);
		bi_push(p, line);
	}
	p->ipset->solo = 4;
	/* start from what we know: bans restored later are added as they are applied */
	snprintf(line, sizeof(line), "flush %s", p->c.ipset_v4);
	bi_push(p, line);
	snprintf(line, sizeof(line), "flush %s", p->c.ipset_v6);
	bi_push(p, line);
	snprintf(line, sizeof(line), "flush %s", p->c.ipset_net4);
	bi_push(p, line);
	snprintf(line, sizeof(line), "flush %s", p->c.ipset_net6);
	bi_push(p, line);
	return 0;
}

void ban_ipset_stop(struct ban_priv *p)
{
	struct ban_ipset *b = p->ipset;

	if (!b)
		return;
	/* write what is left (bounded: a few runs, each waited for) */
	for (int i = 0; i < 20 && (b->nq || b->child); i++) {
		if (b->child) {
			int st;
			waitpid(b->child, &st, 0);
			b->child = 0;
		}
		ban_ipset_flush_queue(p);
	}
	if (b->child) {
		int st;
		waitpid(b->child, &st, 0);
	}
	free(b->q);
	free(b);
	p->ipset = NULL;
}
