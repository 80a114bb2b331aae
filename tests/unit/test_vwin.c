/* Unit tests: the verdict window against a model of the kernel queue (batch accepts, failed sends). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include "engine.h"
#include "vwin.h"

/*
 * The model: what nfnetlink_queue does with what we send. Packets are queued in id order; an
 * individual verdict takes its id (or fails with ENOENT); a batch verdict takes every queued id
 * up to its id, compared with wrap-around. A failed send applies nothing. "want" is the verdict
 * the engine decided; "got" what the kernel applied.
 */
#define KQ_MAX 4096
#define KQ_NONE (-1)

struct kq {
	uint32_t id[KQ_MAX];
	int want[KQ_MAX], got[KQ_MAX];
	uint32_t mark[KQ_MAX];
	int queued[KQ_MAX];
	unsigned n;
	/* the send side */
	int fail_next;       /* sends still to fail */
	int fail_err;        /* with this -errno */
	unsigned sends, ok_sends, batches, singles, enoent;
	int last_had_batch;
};

static struct kq K;
static struct nw_wcounters *C;

static int kq_index(uint32_t id)
{
	for (unsigned i = 0; i < K.n; i++)
		if (K.id[i] == id)
			return (int)i;
	return -1;
}

/* The engine judged a packet: it sits in the kernel queue until a verdict takes it. */
static unsigned kq_enqueue(uint32_t id, int want)
{
	assert_true(K.n < KQ_MAX);
	K.id[K.n] = id;
	K.want[K.n] = want;
	K.got[K.n] = KQ_NONE;
	K.mark[K.n] = 0;
	K.queued[K.n] = 1;
	return K.n++;
}

static void kq_apply(const struct nlmsghdr *nlh)
{
	struct nlattr *attr[NFQA_MAX + 1] = {NULL};
	const struct nfqnl_msg_verdict_hdr *vh;
	uint32_t id;
	int type = NFNL_MSG_TYPE(nlh->nlmsg_type);

	assert_int_equal(NFNL_SUBSYS_ID(nlh->nlmsg_type), NFNL_SUBSYS_QUEUE);
	assert_true(nfq_nlmsg_parse(nlh, attr) >= 0);
	assert_non_null(attr[NFQA_VERDICT_HDR]);
	vh = mnl_attr_get_payload(attr[NFQA_VERDICT_HDR]);
	id = ntohl(vh->id);
	if (type == NFQNL_MSG_VERDICT) {
		int i = kq_index(id);
		K.singles++;
		if (i < 0 || !K.queued[i]) {
			K.enoent++;
			return;
		}
		K.queued[i] = 0;
		K.got[i] = (int)ntohl(vh->verdict);
		if (attr[NFQA_MARK])
			K.mark[i] = ntohl(mnl_attr_get_u32(attr[NFQA_MARK]));
		return;
	}
	assert_int_equal(type, NFQNL_MSG_VERDICT_BATCH);
	K.batches++;
	K.last_had_batch = 1;
	for (unsigned i = 0; i < K.n; i++) {
		if (!K.queued[i])
			continue;
		if ((int32_t)(K.id[i] - id) > 0)
			break; /* the kernel's list is in id order: it stops at the first later id */
		K.queued[i] = 0;
		K.got[i] = (int)ntohl(vh->verdict);
	}
}

static int kq_send(void *ctx, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;

	(void)ctx;
	K.sends++;
	if (K.fail_next) {
		K.fail_next--;
		return K.fail_err;
	}
	K.ok_sends++;
	K.last_had_batch = 0;
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
		kq_apply(nlh);
	assert_int_equal(left, 0);
	return 0;
}

/* Judge a packet: into the model queue and the window. */
static void judge(struct nw_vwin *v, uint32_t id, int want)
{
	kq_enqueue(id, want);
	assert_int_equal(nw_vwin_add(v, id, want, want == NF_REPEAT, 0x10, want == NF_ACCEPT), 0);
}

/* The one property: no packet judged DROP (or REPEAT) was ever accepted. */
static void assert_no_drop_accepted(void)
{
	for (unsigned i = 0; i < K.n; i++)
		if (K.want[i] != NF_ACCEPT && K.got[i] != KQ_NONE)
			assert_int_equal(K.got[i], K.want[i]);
}

static void assert_all_delivered(void)
{
	for (unsigned i = 0; i < K.n; i++) {
		assert_false(K.queued[i]);
		assert_int_equal(K.got[i], K.want[i]);
	}
}

static int setup(void **state)
{
	(void)state;
	memset(&K, 0, sizeof(K));
	C = calloc(1, sizeof(*C));
	return C ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(C);
	return 0;
}

static void test_batch_after_singles(void **state)
{
	struct nw_vwin v;

	(void)state;
	assert_int_equal(nw_vwin_init(&v, 0, 64, 17, kq_send, NULL), 0);
	judge(&v, 1, NF_ACCEPT);
	judge(&v, 2, NF_DROP);
	judge(&v, 3, NF_ACCEPT);
	kq_enqueue(4, NF_ACCEPT); /* a bypass: an accept with a mark, sent on its own */
	assert_int_equal(nw_vwin_add(&v, 4, NF_ACCEPT, 1, 0x1, 0), 0);
	judge(&v, 5, NF_ACCEPT);
	assert_int_equal(nw_vwin_flush(&v, C), 0);
	assert_int_equal(K.sends, 1);
	assert_int_equal(K.singles, 2);
	assert_int_equal(K.batches, 1);
	assert_int_equal(K.mark[3], 0x1);
	assert_all_delivered();
	assert_int_equal(nw_vwin_pending(&v), 0);
	assert_int_equal(C->verdict_retries + C->verdict_errors + C->verdict_fallbacks, 0);
	nw_vwin_free(&v);
}

/* The bug this guards against: a failed send dropped the buffer, the next batch took the DROP. */
static void test_failed_send_keeps_drop(void **state)
{
	struct nw_vwin v;

	(void)state;
	assert_int_equal(nw_vwin_init(&v, 0, 64, 17, kq_send, NULL), 0);
	judge(&v, 10, NF_ACCEPT);
	judge(&v, 11, NF_DROP);
	judge(&v, 12, NF_ACCEPT);
	K.fail_next = 1 + NW_VWIN_RETRIES; /* more than the immediate retries */
	K.fail_err = -ENOBUFS;
	assert_int_equal(nw_vwin_flush(&v, C), -ENOBUFS);
	assert_int_equal(C->verdict_retries, NW_VWIN_RETRIES);
	assert_int_equal(C->verdict_errors, 1);
	assert_int_equal(C->verdict_fallbacks, 1);
	assert_int_equal(nw_vwin_pending(&v), 3);
	assert_true(K.queued[0] && K.queued[1] && K.queued[2]);

	/* the next round: per-packet verdicts only, the held ones first */
	judge(&v, 13, NF_ACCEPT);
	judge(&v, 14, NF_DROP);
	judge(&v, 15, NF_ACCEPT);
	assert_int_equal(nw_vwin_flush(&v, C), 0);
	assert_int_equal(K.batches, 0);
	assert_int_equal(K.singles, 6);
	assert_int_equal(C->verdicts_resent, 3);
	assert_all_delivered();

	/* everything held is delivered: batch accepts resume */
	judge(&v, 16, NF_ACCEPT);
	judge(&v, 17, NF_ACCEPT);
	assert_int_equal(nw_vwin_flush(&v, C), 0);
	assert_int_equal(K.batches, 1);
	assert_int_equal(C->verdict_fallbacks, 1);
	assert_all_delivered();
	nw_vwin_free(&v);
}

static void test_transient_retried_at_once(void **state)
{
	struct nw_vwin v;

	(void)state;
	assert_int_equal(nw_vwin_init(&v, 0, 64, 17, kq_send, NULL), 0);
	judge(&v, 1, NF_DROP);
	judge(&v, 2, NF_ACCEPT);
	K.fail_next = NW_VWIN_RETRIES; /* the last retry gets through */
	K.fail_err = -EAGAIN;
	assert_int_equal(nw_vwin_flush(&v, C), 0);
	assert_int_equal(C->verdict_retries, NW_VWIN_RETRIES);
	assert_int_equal(C->verdict_errors + C->verdict_fallbacks + C->verdicts_resent, 0);
	assert_int_equal(K.batches, 1);
	assert_all_delivered();
	nw_vwin_free(&v);
}

static void test_hard_error_not_retried(void **state)
{
	struct nw_vwin v;

	(void)state;
	assert_int_equal(nw_vwin_init(&v, 0, 64, 17, kq_send, NULL), 0);
	judge(&v, 1, NF_DROP);
	K.fail_next = 1;
	K.fail_err = -EPERM;
	assert_int_equal(nw_vwin_flush(&v, C), -EPERM);
	assert_int_equal(K.sends, 1);
	assert_int_equal(C->verdict_retries, 0);
	assert_int_equal(nw_vwin_flush(&v, C), 0); /* held, then delivered */
	assert_all_delivered();
	nw_vwin_free(&v);
}

/* Ids wrap at 2^32: the batch goes up to the last id received, not the largest number. */
static void test_id_wraparound(void **state)
{
	struct nw_vwin v;

	(void)state;
	assert_int_equal(nw_vwin_init(&v, 0, 64, 17, kq_send, NULL), 0);
	judge(&v, 0xfffffffeu, NF_ACCEPT);
	judge(&v, 0xffffffffu, NF_DROP);
	judge(&v, 0, NF_ACCEPT);
	judge(&v, 1, NF_ACCEPT);
	assert_int_equal(nw_vwin_flush(&v, C), 0);
	assert_int_equal(K.batches, 1);
	assert_all_delivered();
	nw_vwin_free(&v);
}

/* More records than one send carries: only per-packet verdicts until one send takes the rest. */
static void test_split_sends_no_batch(void **state)
{
	struct nw_vwin v;

	(void)state;
	assert_int_equal(nw_vwin_init(&v, 0, 64, 4, kq_send, NULL), 0);
	for (uint32_t id = 1; id <= 10; id++)
		judge(&v, id, id % 4 ? NF_ACCEPT : NF_DROP);
	assert_int_equal(nw_vwin_flush(&v, C), 0);
	assert_int_equal(K.sends, 4);
	/* sends of 3, 3, 3 records, all individual; the last record alone may close with a batch */
	assert_true(K.batches <= 1);
	assert_all_delivered();
	nw_vwin_free(&v);
}

/* A verdict that finds no room is not recorded: its packet stays queued, so no batch ever again. */
static void test_full_store_no_batch(void **state)
{
	struct nw_vwin v;
	unsigned lost;

	(void)state;
	assert_int_equal(nw_vwin_init(&v, 0, 2, 8, kq_send, NULL), 0);
	judge(&v, 1, NF_ACCEPT);
	judge(&v, 2, NF_ACCEPT);
	assert_int_equal(nw_vwin_room(&v), 0);
	lost = kq_enqueue(3, NF_DROP);
	assert_int_equal(nw_vwin_add(&v, 3, NF_DROP, 0, 0, 0), -ENOSPC);
	assert_int_equal(nw_vwin_flush(&v, C), 0);
	judge(&v, 4, NF_ACCEPT);
	assert_int_equal(nw_vwin_flush(&v, C), 0);
	assert_int_equal(K.batches, 0);
	assert_true(K.queued[lost]); /* still queued: the kernel drops it on unbind */
	assert_no_drop_accepted();
	nw_vwin_free(&v);
}

/* Random verdicts and random failures, round after round, as a worker would drive it. */
static void test_random_rounds(void **state)
{
	static const int errs[] = {-ENOBUFS, -EAGAIN, -ENOMEM, -EINTR, -EPERM, -EMSGSIZE};
	struct nw_vwin v;
	uint32_t id = 0xffffff00u; /* crosses the wrap */
	unsigned seed = 12345;

	(void)state;
	assert_int_equal(nw_vwin_init(&v, 0, 32, 9, kq_send, NULL), 0);
	for (int round = 0; round < 300 && K.n + 16 < KQ_MAX; round++) {
		unsigned room = nw_vwin_room(&v), take = rand_r(&seed) % 9;

		if (take > room)
			take = room;
		for (unsigned i = 0; i < take; i++) {
			unsigned r = (unsigned)rand_r(&seed) % 10;
			judge(&v, id++, r < 6 ? NF_ACCEPT : r < 9 ? NF_DROP : NF_REPEAT);
		}
		if (rand_r(&seed) % 4 == 0) {
			K.fail_next = rand_r(&seed) % 8;
			K.fail_err = errs[rand_r(&seed) % 6];
		}
		nw_vwin_flush(&v, C);
		assert_no_drop_accepted();
	}
	K.fail_next = 0;
	assert_int_equal(nw_vwin_flush(&v, C), 0);
	assert_all_delivered();
	assert_true(C->verdict_fallbacks > 0);
	assert_true(C->verdicts_resent > 0);
	assert_int_equal(K.enoent, 0); /* nothing sent twice */
	nw_vwin_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batch_after_singles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_send_keeps_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transient_retried_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hard_error_not_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_id_wraparound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_sends_no_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_store_no_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_rounds, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
