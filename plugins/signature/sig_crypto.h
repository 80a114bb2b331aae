/* plugins/signature/sig_crypto.h: libcrypto on the workers: EVP digests, the X.509 decoder, and the bounded per-worker arena libcrypto allocates from while a worker uses it. */
#ifndef SIG_CRYPTO_H
#define SIG_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

struct x509_st; /* OpenSSL's X509 */

/* bytes of arena per worker. One certificate (under 16 KiB: the TLS reader's bound) is decoded
 * per window: a real one takes 8-20 KiB (test_sig_app prints it), the worst, 16 KiB of
 * one-letter name attributes, about 800 KiB. Only the pages touched become resident. */
#define SIG_CRYPTO_ARENA (1u << 20)

enum sig_md { SIG_MD_MD5 = 0, SIG_MD_SHA1, SIG_MD_N };

/*
 * A worker's libcrypto state. libcrypto allocates all the time (d2i_X509 some 140 times per
 * certificate, every EVP digest init once), and a worker must not call malloc. So the plugin
 * routes libcrypto's allocator (CRYPTO_set_mem_functions, installed when the plugin is loaded,
 * before libcrypto's first allocation) through hooks that, on a thread inside a window
 * (sig_crypto_enter .. sig_crypto_leave), bump-allocate from that worker's fixed arena and
 * otherwise call malloc. Leaving a window frees the digest context's provider state and
 * rewinds the arena when nothing allocated in it is still held. Everything libcrypto keeps
 * across calls (the thread's error queue and its text buffers, the worker's library context,
 * the fetched digests) is made on the worker at sig_crypto_new, outside any window.
 */
struct sig_crypto;

/* on the worker thread, before its first packet (worker_start); slot < SIG_MAX_WORKERS;
 * NULL without memory */
struct sig_crypto *sig_crypto_new(unsigned slot);
void sig_crypto_free(struct sig_crypto *c);
/* open / close this thread's window (c may be NULL: no window) */
void sig_crypto_enter(struct sig_crypto *c);
void sig_crypto_leave(struct sig_crypto *c);
/* what c's thread cost since the last call: allocations refused (arena full), libcrypto
 * allocations that went to the heap on this worker thread (outside a window, or growing a heap
 * block, or no arena), windows that could not rewind (a block was still held). Without the
 * allocator hooks (sig_crypto_hooked() == 0) nothing is seen, so nothing is counted. */
struct sig_crypto_stats {
	uint64_t nomem, heap, held;
};
void sig_crypto_take_stats(struct sig_crypto *c, struct sig_crypto_stats *out);
/* 1 when libcrypto's allocator goes through the hooks (0: libcrypto had already allocated
 * when the plugin was loaded; then windows allocate from the heap and count it) */
int sig_crypto_hooked(void);
/* most bytes one window took from an arena so far (tests, sizing) */
size_t sig_crypto_arena_peak(const struct sig_crypto *c);

/* digest of d[0..n) into out (16 bytes MD5, 20 SHA-1): 0, or -1 (out unchanged) */
int sig_digest(enum sig_md md, const void *d, size_t n, uint8_t *out);
/* MD5 as 32 lower-case hex digits (JA3); out is "" when libcrypto failed */
void sig_md5_hex(const uint8_t *d, size_t n, char out[33]);
/* d2i_X509 of der[0..n) in the thread's library context; *end: the byte after the
 * certificate. NULL when malformed (or out of arena). X509_free it in the same window. */
struct x509_st *sig_x509_decode(const uint8_t *der, size_t n, const uint8_t **end);

#endif /* SIG_CRYPTO_H */
