/* tests/fuzz/fuzz_app_tls.c: libFuzzer target: the bounded TLS hello parser (SNI, JA3/JA3S) on any prefix of the input. */
#include <stdint.h>
#include <string.h>
#include "sig_app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sig_tls_hello h;
	int rc = sig_tls_parse(data, size, &h);

	if (rc == 1) {
		if (h.sni_len >= SIG_TLS_SNI_MAX || h.ja3_len >= SIG_JA3_MAX ||
		    strlen(h.ja3) != h.ja3_len || strlen(h.ja3_hash) != 32)
			__builtin_trap();
	}
	/* an incomplete hello must never be reported as parsed by a shorter prefix and then
	 * crash; every prefix is a valid input too */
	if (size > 1)
		(void)sig_tls_parse(data, size / 2, &h);
	return 0;
}
