/* plugins/signature/sig_crypto.c: libcrypto on the workers: EVP digests (MD5 for JA3, SHA-1 for certificate fingerprints), d2i_X509 in a per-worker library context, and the bounded per-worker arena libcrypto allocates from inside a window. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include "sig.h"
#include "sig_crypto.h"

/* ASan builds: arena blocks are poisoned outside their lifetime, as heap blocks would be */
#if defined(__SANITIZE_ADDRESS__)
#define SIG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIG_ASAN 1
#endif
#endif
#ifdef SIG_ASAN
#include <sanitizer/asan_interface.h>
#define SIG_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define SIG_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define SIG_POISON(p, n) ((void)(p), (void)(n))
#define SIG_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define SIG_ALIGN 16

/* in front of every arena block: its size, for realloc (16 bytes keep the payload aligned) */
struct sig_blk {
	size_t size;
	size_t pad;
};

struct sig_crypto {
	unsigned slot;           /* index of its arena in the region */
	uint8_t *arena;          /* SIG_CRYPTO_ARENA bytes of the region; NULL: no region */
	size_t used;             /* bump offset */
	size_t peak;             /* most bytes used in one window */
	struct sig_crypto_stats st;
	EVP_MD_CTX *md;          /* every digest of this worker */
	OSSL_LIB_CTX *lib;       /* X.509 decoding (see sig_x509_decode) */
	OSSL_PROVIDER *nullprov; /* the only provider of lib */
};

/* SIG_MAX_WORKERS arenas, mapped once and never unmapped: libcrypto may hand a block back
 * from any thread at any time, even at exit, and must always find it */
static _Atomic(uint8_t *) sig_region;
static pthread_once_t sig_region_once = PTHREAD_ONCE_INIT;
/* blocks of each arena handed out and not yet freed */
static atomic_size_t sig_live[SIG_MAX_WORKERS];
static int sig_hooks;
/* the window open on this thread; the worker this thread is (for counting heap use outside
 * windows) */
static _Thread_local struct sig_crypto *sig_cur;
static _Thread_local struct sig_crypto *sig_worker;

/* digests fetched once (EVP_md5() and friends would look them up on every init) */
static EVP_MD *sig_mds[SIG_MD_N];
static pthread_once_t sig_md_once = PTHREAD_ONCE_INIT;
/* decoding off the workers (tests, fuzzing): a library context like a worker's */
static OSSL_LIB_CTX *sig_lib;
static OSSL_PROVIDER *sig_lib_null;
static pthread_once_t sig_lib_once = PTHREAD_ONCE_INIT;

/* ---- the allocator ---- */

static int sig_in_region(const void *p, unsigned *slot)
{
	uint8_t *r = atomic_load_explicit(&sig_region, memory_order_acquire);
	uintptr_t off;

	if (!r || !p)
		return 0;
	off = (uintptr_t)p - (uintptr_t)r;
	if (off >= (uintptr_t)SIG_MAX_WORKERS * SIG_CRYPTO_ARENA)
		return 0;
	*slot = (unsigned)(off / SIG_CRYPTO_ARENA);
	return 1;
}

static void *sig_arena_alloc(struct sig_crypto *c, size_t n)
{
	struct sig_blk *b;
	size_t need;

	if (!c->arena) {
		c->st.heap++;
		return malloc(n);
	}
	if (n > SIG_CRYPTO_ARENA)
		goto full;
	need = sizeof(*b) + ((n + SIG_ALIGN - 1) & ~(size_t)(SIG_ALIGN - 1));
	if (need > SIG_CRYPTO_ARENA - c->used)
		goto full;
	b = (struct sig_blk *)(void *)(c->arena + c->used);
	SIG_UNPOISON(b, sizeof(*b) + n);
	b->size = n;
	c->used += need;
	if (c->used > c->peak)
		c->peak = c->used;
	atomic_fetch_add_explicit(&sig_live[c->slot], 1, memory_order_relaxed);
	return b + 1;
full:
	c->st.nomem++;
	return NULL;
}

static void sig_arena_release(void *p, unsigned slot)
{
	SIG_POISON(p, ((struct sig_blk *)p - 1)->size);
	atomic_fetch_sub_explicit(&sig_live[slot], 1, memory_order_release);
}

/* the hooks keep CRYPTO_malloc's contract: 0 bytes is NULL, realloc(NULL) mallocs, realloc
 * to 0 frees */
static void *sig_mem_malloc(size_t n, const char *file, int line)
{
	struct sig_crypto *c = sig_cur;

	(void)file;
	(void)line;
	if (n == 0)
		return NULL;
	if (c)
		return sig_arena_alloc(c, n);
	if (sig_worker)
		sig_worker->st.heap++; /* on a worker, outside a window */
	return malloc(n);
}

static void sig_mem_free(void *p, const char *file, int line)
{
	unsigned slot;

	(void)file;
	(void)line;
	if (sig_in_region(p, &slot))
		sig_arena_release(p, slot);
	else
		free(p);
}

static void *sig_mem_realloc(void *p, size_t n, const char *file, int line)
{
	struct sig_crypto *c = sig_cur;
	unsigned slot;
	size_t old;
	void *q;

	if (!p)
		return sig_mem_malloc(n, file, line);
	if (n == 0) {
		sig_mem_free(p, file, line);
		return NULL;
	}
	if (!sig_in_region(p, &slot)) {
		if (c || sig_worker) /* a heap block grows on a worker */
			(c ? c : sig_worker)->st.heap++;
		return realloc(p, n);
	}
	q = c ? sig_arena_alloc(c, n) : sig_mem_malloc(n, file, line);
	if (!q)
		return NULL;
	old = ((struct sig_blk *)p - 1)->size;
	memcpy(q, p, old < n ? old : n);
	sig_arena_release(p, slot);
	return q;
}

/* At load time, before anything in the process has made libcrypto allocate (natwarden's core
 * does not use libcrypto; the ban plugin only does on the main thread once running). The
 * plugin is linked with -z nodelete, so the hooks outlive a dlclose. */
__attribute__((constructor)) static void sig_crypto_hook(void)
{
	sig_hooks = CRYPTO_set_mem_functions(sig_mem_malloc, sig_mem_realloc, sig_mem_free);
}

int sig_crypto_hooked(void)
{
	return sig_hooks;
}

static void sig_region_map(void)
{
	void *r = mmap(NULL, (size_t)SIG_MAX_WORKERS * SIG_CRYPTO_ARENA, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (r != MAP_FAILED)
		atomic_store_explicit(&sig_region, (uint8_t *)r, memory_order_release);
}

/* ---- digests ---- */

static void sig_md_fetch(void)
{
	sig_mds[SIG_MD_MD5] = EVP_MD_fetch(NULL, "MD5", NULL);
	sig_mds[SIG_MD_SHA1] = EVP_MD_fetch(NULL, "SHA1", NULL);
}

int sig_digest(enum sig_md md, const void *d, size_t n, uint8_t *out)
{
	struct sig_crypto *c = sig_cur;
	unsigned len = 0;

	pthread_once(&sig_md_once, sig_md_fetch);
	if ((unsigned)md >= SIG_MD_N || !sig_mds[md])
		return -1;
	if (!c) /* off the workers */
		return EVP_Digest(d, n, out, &len, sig_mds[md], NULL) ? 0 : -1;
	/* OpenSSL 3.0 still allocates the provider's state on every init (freed on leaving) */
	if (!EVP_DigestInit_ex2(c->md, sig_mds[md], NULL) || !EVP_DigestUpdate(c->md, d, n) ||
	    !EVP_DigestFinal_ex(c->md, out, &len))
		return -1;
	return 0;
}

void sig_md5_hex(const uint8_t *d, size_t n, char out[33])
{
	static const char hx[] = "0123456789abcdef";
	uint8_t h[16];

	out[0] = 0;
	if (sig_digest(SIG_MD_MD5, d, n, h))
		return;
	for (int i = 0; i < 16; i++) {
		out[i * 2] = hx[h[i] >> 4];
		out[i * 2 + 1] = hx[h[i] & 15];
	}
	out[32] = 0;
}

/* ---- X.509 ---- */

/*
 * d2i_X509 decodes the public key too, and in OpenSSL 3.0 that means building a decoder
 * context over every provider's decoders: some 1000 allocations, locks and name-map work per
 * certificate in the default library context. No rule looks at the key, so certificates are
 * decoded in a library context whose only provider is "null": the key stays undecoded (as
 * d2i_X509 allows), everything else is parsed the same, for a seventh of the allocations.
 */
static OSSL_LIB_CTX *sig_lib_new(OSSL_PROVIDER **nullprov)
{
	OSSL_LIB_CTX *lib = OSSL_LIB_CTX_new();

	*nullprov = lib ? OSSL_PROVIDER_load(lib, "null") : NULL;
	if (lib && !*nullprov) {
		OSSL_LIB_CTX_free(lib);
		lib = NULL;
	}
	return lib;
}

static void sig_lib_init(void)
{
	sig_lib = sig_lib_new(&sig_lib_null);
}

struct x509_st *sig_x509_decode(const uint8_t *der, size_t n, const uint8_t **end)
{
	struct sig_crypto *c = sig_cur;
	OSSL_LIB_CTX *lib;
	const unsigned char *p = der;
	X509 *x;

	if (n > SIG_CRYPTO_ARENA) /* far beyond any certificate the TLS reader hands over */
		return NULL;
	if (c) {
		lib = c->lib;
	} else {
		pthread_once(&sig_lib_once, sig_lib_init);
		lib = sig_lib;
	}
	if (!lib)
		return NULL;
	/* d2i_X509 in a given library context */
	x = (X509 *)ASN1_item_d2i_ex(NULL, &p, (long)n, ASN1_ITEM_rptr(X509), lib, NULL);
	if (x)
		*end = p;
	return x;
}

/* ---- workers ---- */

/* a small self-signed certificate (CN=w, P-256), decoded once per worker outside any window */
static const uint8_t sig_warm_cert[] = {
	0x30, 0x81, 0xff, 0x30, 0x81, 0xa6, 0x02, 0x01, 0x01, 0x30, 0x0a, 0x06,
	0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30, 0x0c, 0x31,
	0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x01, 0x77, 0x30,
	0x1e, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x32, 0x30, 0x35, 0x31, 0x32, 0x34,
	0x33, 0x31, 0x30, 0x5a, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x32, 0x30, 0x36,
	0x31, 0x32, 0x34, 0x33, 0x31, 0x30, 0x5a, 0x30, 0x0c, 0x31, 0x0a, 0x30,
	0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x01, 0x77, 0x30, 0x59, 0x30,
	0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
	0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
	0x38, 0xa7, 0xdd, 0xf9, 0x4a, 0x7d, 0xb7, 0x9f, 0xac, 0x1e, 0xd9, 0x2b,
	0x2d, 0x93, 0xd9, 0xe0, 0x89, 0x76, 0xea, 0x21, 0xd0, 0x2b, 0x2a, 0xb6,
	0x39, 0xf8, 0x9a, 0xda, 0x90, 0x80, 0x80, 0xca, 0xa7, 0x83, 0x1a, 0x60,
	0x6f, 0x74, 0x23, 0x46, 0x52, 0x64, 0x6e, 0x50, 0xca, 0x77, 0x9b, 0x26,
	0x47, 0xb6, 0x34, 0x07, 0xde, 0x63, 0x3d, 0xfd, 0x3b, 0x1c, 0x4c, 0xae,
	0x60, 0x20, 0xf6, 0x97, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
	0x3d, 0x04, 0x03, 0x02, 0x03, 0x48, 0x00, 0x30, 0x45, 0x02, 0x20, 0x3e,
	0xd2, 0x92, 0x77, 0xc8, 0x0b, 0x05, 0x04, 0xcf, 0xe6, 0x8d, 0x36, 0xc7,
	0xd0, 0xbe, 0x8e, 0x1a, 0x9f, 0xaf, 0xff, 0xc0, 0x4e, 0xd6, 0xd2, 0xfe,
	0x15, 0x2d, 0x5f, 0x1d, 0xc4, 0x17, 0x11, 0x02, 0x21, 0x00, 0xcb, 0x6c,
	0x6a, 0x53, 0x07, 0xbb, 0x8c, 0x63, 0xb2, 0xb6, 0xd8, 0x26, 0x8e, 0xc1,
	0x7b, 0xc2, 0xfd, 0x83, 0x02, 0xaa, 0x8c, 0x62, 0x70, 0xb4, 0xff, 0xe5,
	0x6c, 0x5c, 0xbf, 0x09, 0x2d, 0x09,
};

/* The text of an error (ASN.1 decoding adds "Field=..., Type=...") lives in a buffer of its
 * slot in the thread's error queue, kept after the error is cleared (its file and function
 * names are freed). Setting a slot's data with ERR_set_error_data frees the buffer it
 * replaces: done on every slot (an error without file or function: nothing is copied), the
 * queue holds no buffer and no arena block outlives the window that made it. */
static void sig_err_flush(void)
{
	static char none[1];

	for (int i = 0; i < ERR_NUM_ERRORS; i++) {
		ERR_new();
		ERR_set_debug(NULL, 0, NULL);
		ERR_set_error(ERR_LIB_USER, ERR_R_INTERNAL_ERROR, NULL);
		ERR_set_error_data(none, ERR_TXT_STRING);
	}
	ERR_clear_error();
}

/* Make outside any window what libcrypto keeps across calls: the thread's error queue, the
 * library context's name map and method caches, the digests' first use. */
static int sig_crypto_warm(struct sig_crypto *c)
{
	const uint8_t *end;
	uint8_t out[20];
	X509 *x;

	sig_cur = c;
	c->arena = NULL; /* the warm-up allocates from the heap (and counts it: reset below) */
	for (int i = 0; i < 2; i++) {
		x = sig_x509_decode(sig_warm_cert, sizeof(sig_warm_cert) - (size_t)i * 9, &end);
		X509_free(x);
		if (!i && !x)
			goto fail;
	}
	if (sig_digest(SIG_MD_MD5, sig_warm_cert, 16, out) ||
	    sig_digest(SIG_MD_SHA1, sig_warm_cert, 16, out))
		goto fail;
	EVP_MD_CTX_reset(c->md);
	sig_err_flush();
	sig_cur = NULL;
	memset(&c->st, 0, sizeof(c->st));
	return 0;
fail:
	sig_cur = NULL;
	return -1;
}

struct sig_crypto *sig_crypto_new(unsigned slot)
{
	struct sig_crypto *c;
	uint8_t *r;

	if (slot >= SIG_MAX_WORKERS)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->slot = slot;
	sig_cur = NULL; /* the first touch of this thread-local may allocate: not in a window */
	pthread_once(&sig_md_once, sig_md_fetch);
	pthread_once(&sig_region_once, sig_region_map);
	c->md = EVP_MD_CTX_new();
	c->lib = sig_lib_new(&c->nullprov);
	if (!c->md || !c->lib || sig_crypto_warm(c) < 0) {
		sig_crypto_free(c);
		return NULL;
	}
	sig_worker = c;
	r = atomic_load_explicit(&sig_region, memory_order_acquire);
	/* an arena a previous worker of this slot left a block in is not reused */
	if (r && sig_hooks && atomic_load_explicit(&sig_live[slot], memory_order_acquire) == 0) {
		c->arena = r + (size_t)slot * SIG_CRYPTO_ARENA;
		SIG_POISON(c->arena, SIG_CRYPTO_ARENA);
	}
	return c;
}

void sig_crypto_free(struct sig_crypto *c)
{
	if (!c)
		return;
	if (sig_cur == c)
		sig_cur = NULL;
	if (sig_worker == c)
		sig_worker = NULL;
	EVP_MD_CTX_free(c->md);
	if (c->nullprov)
		OSSL_PROVIDER_unload(c->nullprov);
	OSSL_LIB_CTX_free(c->lib);
	free(c);
}

void sig_crypto_enter(struct sig_crypto *c)
{
	sig_cur = c;
}

void sig_crypto_leave(struct sig_crypto *c)
{
	if (!c)
		return;
	EVP_MD_CTX_reset(c->md); /* frees the provider state the last digest made */
	ERR_clear_error();
	if (atomic_load_explicit(&sig_live[c->slot], memory_order_acquire))
		sig_err_flush(); /* the error texts of this window */
	sig_cur = NULL;
	if (!c->arena || !c->used)
		return;
	if (atomic_load_explicit(&sig_live[c->slot], memory_order_acquire) == 0) {
		SIG_POISON(c->arena, c->used);
		c->used = 0;
	} else {
		c->st.held++; /* something still holds a block: keep it, bump on past it */
	}
}

void sig_crypto_take_stats(struct sig_crypto *c, struct sig_crypto_stats *out)
{
	*out = c->st;
	memset(&c->st, 0, sizeof(c->st));
}

size_t sig_crypto_arena_peak(const struct sig_crypto *c)
{
	return c->peak;
}
