/* Unit tests: plugin watches (ABI 1.2) on fds and timeouts in the main loop; none offline. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <event2/event.h>
#include "engine.h"
#include "plugin_loader.h"

static const struct nw_services *svc;
static nw_watch *w_pipe, *w_timer, *w_left;
static int pipe_fd[2] = {-1, -1};
static unsigned reads, timeouts;
static int start_rc;

/* Reads one byte per call: what is left calls again (level-triggered). */
static void on_pipe(void *priv, nw_watch *w, int fd, unsigned what, void *arg)
{
	char c;

	assert_ptr_equal(priv, arg);
	assert_ptr_equal(w, w_pipe);
	assert_int_equal(fd, pipe_fd[0]);
	assert_int_equal(what, NW_WATCH_READ);
	assert_int_equal(read(fd, &c, 1), 1);
	reads++;
}

/* A periodic timer that deletes itself from inside its callback on the third run. */
static void on_timer(void *priv, nw_watch *w, int fd, unsigned what, void *arg)
{
	(void)priv, (void)arg;
	assert_int_equal(fd, -1);
	assert_int_equal(what, NW_WATCH_TIMEOUT);
	if (++timeouts == 3) {
		svc->watch_del(w);
		w_timer = NULL;
	}
}

static void on_never(void *priv, nw_watch *w, int fd, unsigned what, void *arg)
{
	(void)priv, (void)w, (void)fd, (void)what, (void)arg;
	fail_msg("a disarmed watch ran");
}

static int wp_start(nw_plugin *self, void *priv)
{
	start_rc = svc->watch_add(self, pipe_fd[0], on_pipe, priv, &w_pipe);
	if (start_rc)
		return start_rc;
	if ((start_rc = svc->watch_add(self, -1, on_timer, NULL, &w_timer)) ||
	    (start_rc = svc->watch_add(self, -1, on_never, NULL, &w_left)))
		return start_rc;
	return 0;
}

static const struct nw_plugin_desc desc_wp = {
	NW_DESC_HEADER, .name = "wp", .services = &svc, .start = wp_start, .priv_size = 8};

static struct nw_engine *engine_with_plugin(int offline, struct nw_config **cfg)
{
	struct nw_engine *eng;
	struct nw_plugin *p;
	char err[256];

	assert_int_equal(nw_config_load_string("w.conf", "[natwarden]\nflow_max = 64\n", cfg), 0);
	assert_int_equal(nw_engine_new(*cfg, offline, &eng), 0);
	assert_int_equal(nw_plugin_from_desc(&desc_wp, &p, err, sizeof(err)), 0);
	assert_int_equal(nw_engine_add_plugin(eng, p), 0);
	assert_int_equal(nw_engine_configure_all(eng), 0);
	return eng;
}

static void test_watch_live(void **state)
{
	struct nw_config *cfg;
	struct nw_engine *eng = engine_with_plugin(0, &cfg);
	struct event_base *base = event_base_new();
	nw_plugin *self = eng->plugins[0];

	(void)state;
	assert_non_null(base);
	assert_int_equal(pipe(pipe_fd), 0);
	eng->loop = base;
	assert_int_equal(nw_engine_start(eng, 1), 0);
	assert_int_equal(start_rc, 0);
	assert_ptr_equal(svc->event_base(self), base);

	/* what may be asked */
	assert_int_equal(svc->watch_set(w_timer, NW_WATCH_READ, 0), -EINVAL); /* no fd */
	assert_int_equal(svc->watch_set(w_pipe, 0x80, 0), -EINVAL);
	/* a worker may not */
	nw_tls_worker = eng->workers[0];
	assert_int_equal(svc->watch_set(w_pipe, NW_WATCH_READ, 0), -EPERM);
	assert_null(svc->event_base(self));
	nw_tls_worker = NULL;

	/* readable: one callback per byte, level-triggered */
	assert_int_equal(svc->watch_set(w_pipe, NW_WATCH_READ, 0), 0);
	assert_int_equal(write(pipe_fd[1], "abc", 3), 3);
	while (reads < 3)
		assert_int_equal(event_base_loop(base, EVLOOP_ONCE), 0);
	assert_int_equal(reads, 3);

	/* the periodic timer, deleted from its own callback; the pipe waits meanwhile */
	assert_int_equal(svc->watch_set(w_timer, 0, 1), 0);
	while (timeouts < 3)
		assert_int_equal(event_base_loop(base, EVLOOP_ONCE), 0);
	assert_null(w_timer);
	assert_int_equal(reads, 3);

	/* disarmed: neither readiness nor time calls it */
	assert_int_equal(svc->watch_set(w_pipe, 0, 0), 0);
	assert_int_equal(write(pipe_fd[1], "d", 1), 1);
	assert_true(event_base_loop(base, EVLOOP_NONBLOCK) >= 0); /* 1: nothing waits */
	assert_int_equal(reads, 3);
	svc->watch_del(w_pipe);
	svc->watch_del(NULL);

	/* w_left was never deleted: the core deletes it after stop, before the loop goes */
	assert_non_null(self->watches);
	nw_engine_stop(eng);
	assert_null(self->watches);
	eng->loop = NULL;
	event_base_free(base);
	nw_engine_destroy(eng);
	nw_config_free(cfg);
	close(pipe_fd[0]);
	close(pipe_fd[1]);
}

/* Offline: no loop, no watches; the plugin's start sees -EOPNOTSUPP (and here fails with it). */
static void test_watch_offline(void **state)
{
	struct nw_config *cfg;
	struct nw_engine *eng = engine_with_plugin(1, &cfg);

	(void)state;
	assert_int_equal(nw_engine_start(eng, 1), -EINVAL);
	assert_int_equal(start_rc, -EOPNOTSUPP);
	assert_null(w_pipe);
	assert_null(svc->event_base(eng->plugins[0]));
	nw_engine_destroy(eng);
	nw_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watch_live),
		cmocka_unit_test(test_watch_offline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
