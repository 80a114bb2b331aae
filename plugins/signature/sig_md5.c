/* plugins/signature/sig_md5.c: a small MD5 (RFC 1321) for JA3/JA3S hashes. */
#include <string.h>
#include "sig_app.h"

struct sig_md5_ctx {
	uint32_t a, b, c, d;
	uint64_t len;
	uint8_t buf[64];
	size_t n;
};

static const uint32_t sig_md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
	0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
	0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
	0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
	0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
	0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
	0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
	0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
	0xeb86d391,
};
static const uint8_t sig_md5_r[64] = {
	7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9,
	14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
	4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
};

static void sig_md5_block(struct sig_md5_ctx *c, const uint8_t *p)
{
	uint32_t w[16], a = c->a, b = c->b, cc = c->c, d = c->d;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[i * 4] | (uint32_t)p[i * 4 + 1] << 8 | (uint32_t)p[i * 4 + 2] << 16 |
		       (uint32_t)p[i * 4 + 3] << 24;
	for (int i = 0; i < 64; i++) {
		uint32_t f, g, t;
		if (i < 16) {
			f = (b & cc) | (~b & d);
			g = (uint32_t)i;
		} else if (i < 32) {
			f = (d & b) | (~d & cc);
			g = (uint32_t)(5 * i + 1) % 16;
		} else if (i < 48) {
			f = b ^ cc ^ d;
			g = (uint32_t)(3 * i + 5) % 16;
		} else {
			f = cc ^ (b | ~d);
			g = (uint32_t)(7 * i) % 16;
		}
		t = d;
		d = cc;
		cc = b;
		f = a + f + sig_md5_k[i] + w[g];
		b = b + ((f << sig_md5_r[i]) | (f >> (32 - sig_md5_r[i])));
		a = t;
	}
	c->a += a;
	c->b += b;
	c->c += cc;
	c->d += d;
}

static void sig_md5_update(struct sig_md5_ctx *c, const uint8_t *d, size_t n)
{
	c->len += n;
	while (n) {
		size_t k = 64 - c->n < n ? 64 - c->n : n;
		memcpy(c->buf + c->n, d, k);
		c->n += k;
		d += k;
		n -= k;
		if (c->n == 64) {
			sig_md5_block(c, c->buf);
			c->n = 0;
		}
	}
}

void sig_md5(const uint8_t *d, size_t n, uint8_t out[16])
{
	struct sig_md5_ctx c = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0, { 0 }, 0 };
	uint8_t pad[72] = { 0x80 };
	uint64_t bits;
	size_t padlen;

	sig_md5_update(&c, d, n);
	bits = c.len * 8;
	padlen = c.n < 56 ? 56 - c.n : 120 - c.n;
	sig_md5_update(&c, pad, padlen);
	for (int i = 0; i < 8; i++)
		pad[i] = (uint8_t)(bits >> (8 * i));
	sig_md5_update(&c, pad, 8);
	uint32_t v[4] = { c.a, c.b, c.c, c.d };
	for (int i = 0; i < 4; i++)
		for (int k = 0; k < 4; k++)
			out[i * 4 + k] = (uint8_t)(v[i] >> (8 * k));
}

void sig_md5_hex(const uint8_t *d, size_t n, char out[33])
{
	static const char hx[] = "0123456789abcdef";
	uint8_t h[16];

	sig_md5(d, n, h);
	for (int i = 0; i < 16; i++) {
		out[i * 2] = hx[h[i] >> 4];
		out[i * 2 + 1] = hx[h[i] & 15];
	}
	out[32] = 0;
}
