/* Unit tests: a worker's log lines wait in its queue and reach stderr only when the main thread drains it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "log.h"

static char captured[65536];

/* Run fn with stderr sent to a file; what was written lands in captured. */
static void capture(void (*fn)(void *), void *arg)
{
	FILE *tmp = tmpfile();
	int saved;
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), 2) >= 0);
	fn(arg);
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(captured, 1, sizeof(captured) - 1, tmp);
	captured[n] = '\0';
	fclose(tmp);
}

struct wctx {
	struct nw_logq *q;
	int lines;
};

static void *worker(void *arg)
{
	struct wctx *c = arg;

	nw_log_thread_queue(c->q);
	for (int i = 0; i < c->lines; i++)
		nw_log(NW_LOG_WARNING, "worker line %d", i);
	nw_log_thread_queue(NULL);
	return NULL;
}

static void run_worker(void *arg)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, worker, arg), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
}

static void drain(void *arg)
{
	nw_logq_drain(arg);
}

static void test_worker_lines_wait_for_the_drain(void **state)
{
	struct wctx c = {.q = nw_logq_new(), .lines = 3};

	(void)state;
	assert_non_null(c.q);
	capture(run_worker, &c);
	assert_null(strstr(captured, "worker line")); /* the worker wrote nothing itself */
	capture(drain, c.q);
	assert_non_null(strstr(captured, "warning: worker line 0\n"));
	assert_non_null(strstr(captured, "worker line 2\n"));
	capture(drain, c.q);
	assert_string_equal(captured, ""); /* drained once */
	nw_logq_free(c.q);
}

/* a full queue drops, never blocks, and the drain says how many lines were lost */
static void test_full_queue_counts_lost_lines(void **state)
{
	struct wctx c = {.q = nw_logq_new(), .lines = 100};

	(void)state;
	capture(run_worker, &c);
	capture(drain, c.q);
	assert_non_null(strstr(captured, "worker line 63\n"));
	assert_null(strstr(captured, "worker line 64\n"));
	assert_non_null(strstr(captured, "36 log lines from a worker lost"));
	nw_logq_free(c.q);
}

static void direct(void *arg)
{
	(void)arg;
	nw_log(NW_LOG_WARNING, "main line");
}

/* a thread without a queue (the main thread) still writes directly */
static void test_main_thread_writes_directly(void **state)
{
	(void)state;
	capture(direct, NULL);
	assert_non_null(strstr(captured, "main line"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worker_lines_wait_for_the_drain),
		cmocka_unit_test(test_full_queue_counts_lost_lines),
		cmocka_unit_test(test_main_thread_writes_directly),
	};
	nw_log_init("nwtest", 0, NW_LOG_DEBUG);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
