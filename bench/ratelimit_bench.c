/* ratelimit microbenchmark: ns per rl_table_take with 1, 10k and 1M active keys, 1 and 2 threads. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rl_parse.h"
#include "rl_table.h"

#define OPS 20000000ULL

struct job {
	struct rl_table *t;
	const struct rl_rate *rt;
	uint64_t keys;
	uint64_t seed;
	uint64_t ops;
	uint64_t accepted;
	int shared_keys; /* 1: both threads hit the same keys (same sequence) */
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *run(void *arg)
{
	struct job *j = arg;
	uint64_t x = j->seed, t0 = 1700000000ull * 1000000000ull;
	struct rl_take tk;
	struct rl_key k;
	memset(&k, 0, sizeof(k));
	k.family = 4;
	k.plen = 32;
	for (uint64_t i = 0; i < j->ops; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t id = (uint32_t)((x >> 33) % j->keys);
		memcpy(k.a, &id, 4);
		/* 1 us of packet time per op: 1M pps offered in total */
		j->accepted += (uint64_t)rl_table_take(j->t, j->rt, &k, t0 + i * 1000, 1,
						       10000000000ull, &tk);
	}
	return NULL;
}

static double bench(uint64_t keys, int threads)
{
	struct rl_table t;
	struct rl_rate rt;
	uint64_t seed[4] = { 1, 2, 3, 4 };
	pthread_t th[2];
	struct job jobs[2];

	rl_rate_init(&rt, 100, 1000000000ull, 10);
	if (rl_table_init(&t, keys + keys / 4 + 5, seed) < 0) {
		perror("rl_table_init");
		exit(1);
	}
	/* warm: insert every key once */
	struct job w = { &t, &rt, keys, 7, keys * 2, 0, 0 };
	run(&w);
	uint64_t start = now_ns();
	for (int i = 0; i < threads; i++) {
		jobs[i] = (struct job){ &t, &rt, keys, 99, OPS / (uint64_t)threads, 0, 1 };
		jobs[i].seed = 99 + (uint64_t)i;
		pthread_create(&th[i], NULL, run, &jobs[i]);
	}
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	uint64_t el = now_ns() - start;
	rl_table_free(&t);
	return (double)el / (double)OPS; /* wall ns per op over all threads */
}

int main(int argc, char **argv)
{
	static const uint64_t sizes[] = { 1, 10000, 1000000 };
	printf("ratelimit table: %zu bytes per bucket of %d keys = %.1f bytes per key\n",
	       sizeof(struct rl_bucket), RL_BUCKET_WAYS,
	       (double)sizeof(struct rl_bucket) / RL_BUCKET_WAYS);
	printf("%-10s %14s %14s %8s\n", "keys", "1 thread ns/op", "2 threads ns/op", "ratio");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		double one = bench(sizes[i], 1), two = bench(sizes[i], 2);
		printf("%-10llu %14.1f %14.1f %8.2f\n", (unsigned long long)sizes[i], one, two,
		       two / one);
	}
	return 0;
}
