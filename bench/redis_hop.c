/* redis_hop: the floor under ban propagation — one Redis stream hop between two processes. */
/*
 * Usage: redis_hop SOCKET KEY N INTERVAL_MS
 * A child blocks in XREAD BLOCK on KEY (unix socket SOCKET); the parent XADDs N entries, one every
 * INTERVAL_MS, each carrying its send time (CLOCK_MONOTONIC, shared by every process on the
 * host). The child prints each hop's send -> receipt time in ms, one a line, in the order sent:
 * what two hiredis clients on this
 * machine, at this moment, need for the hop natwarden's propagation makes (XADD on one gateway,
 * XREAD BLOCK on the other), without natwarden. Exit 0, or 1 with a message on stderr.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <hiredis/hiredis.h>

static uint64_t hop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Child: read N entries from the start of the (fresh) stream; print their latencies. */
static int hop_reader(const char *sock, const char *key, unsigned n)
{
	redisContext *c = redisConnectUnix(sock);
	double *lat = calloc(n, sizeof(*lat));
	char last[64] = "0-0";
	unsigned got = 0;

	if (!c || c->err || !lat) {
		fprintf(stderr, "redis_hop: reader: cannot connect to %s\n", sock);
		return 1;
	}
	while (got < n) {
		redisReply *r = redisCommand(c, "XREAD COUNT 100 BLOCK 10000 STREAMS %s %s", key, last);
		uint64_t now = hop_now_ns();
		if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 1 ||
		    r->element[0]->elements != 2) {
			fprintf(stderr, "redis_hop: reader: no entry within 10 s\n");
			return 1;
		}
		redisReply *ents = r->element[0]->element[1];
		for (size_t i = 0; i < ents->elements && got < n; i++) {
			redisReply *e = ents->element[i];
			if (e->elements != 2)
				continue;
			snprintf(last, sizeof(last), "%s", e->element[0]->str);
			if (e->element[1]->elements == 2)
				lat[got++] = (double)(now - strtoull(e->element[1]->element[1]->str,
								     NULL, 10)) / 1e6;
		}
		freeReplyObject(r);
	}
	for (unsigned i = 0; i < n; i++)
		printf("%.3f\n", lat[i]);
	fflush(stdout); /* the child leaves with _exit */
	redisFree(c);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned n, ms;
	redisContext *c;
	int status = 1;
	pid_t pid;

	if (argc != 5 || !(n = (unsigned)strtoul(argv[3], NULL, 10))) {
		fprintf(stderr, "usage: redis_hop SOCKET KEY N INTERVAL_MS\n");
		return 2;
	}
	ms = (unsigned)strtoul(argv[4], NULL, 10);
	c = redisConnectUnix(argv[1]);
	if (!c || c->err) {
		fprintf(stderr, "redis_hop: cannot connect to %s\n", argv[1]);
		return 1;
	}
	freeReplyObject(redisCommand(c, "DEL %s", argv[2]));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0)
		_exit(hop_reader(argv[1], argv[2], n));
	usleep(200000); /* the reader is blocked in XREAD by now (if not, the first entries wait) */
	for (unsigned i = 0; i < n; i++) {
		char t[24];
		snprintf(t, sizeof(t), "%" PRIu64, hop_now_ns());
		redisReply *r = redisCommand(c, "XADD %s * t %s", argv[2], t);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "redis_hop: XADD failed\n");
			break;
		}
		freeReplyObject(r);
		usleep(ms * 1000);
	}
	waitpid(pid, &status, 0);
	freeReplyObject(redisCommand(c, "DEL %s", argv[2]));
	redisFree(c);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
