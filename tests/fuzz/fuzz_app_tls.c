/* tests/fuzz/fuzz_app_tls.c: libFuzzer target: the bounded TLS hello parser (SNI, JA3/JA3S) and the certificate reader (libcrypto's d2i_X509) on any prefix of the input, inside a worker's libcrypto window as on the packet path. */
#include <stdint.h>
#include <string.h>
#include "sig_app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sig_tls_hello h;
	static struct sig_tls_cert c;
	static struct sig_tls_chain chain;
	static struct sig_crypto *cw;
	struct sig_crypto_stats st;
	int rc;

	if (!cw && !(cw = sig_crypto_new(0)))
		__builtin_trap();
	sig_crypto_enter(cw);
	rc = sig_tls_parse(data, size, &h);
	if (rc == 1) {
		/* an SSLv2-format hello has no JA3: empty string and hash */
		if (h.sni_len >= SIG_TLS_SNI_MAX || h.ja3_len >= SIG_JA3_MAX ||
		    strlen(h.ja3) != h.ja3_len ||
		    (h.ja3_len ? strlen(h.ja3_hash) != 32 : h.ja3_hash[0] != 0))
			__builtin_trap();
	}
	/* an incomplete hello must never be reported as parsed by a shorter prefix and then
	 * crash; every prefix is a valid input too */
	if (size > 1)
		(void)sig_tls_parse(data, size / 2, &h);
	/* the server flight's certificates (waiting for more, and as the stream's start leaves
	 * view), and the input as a bare DER certificate */
	(void)sig_tls_cert_parse(data, size, 0, &c, &chain);
	rc = sig_tls_cert_parse(data, size, 1, &c, &chain);
	if (rc == 1) {
		if (!chain.n || chain.n > SIG_CERT_CHAIN_MAX)
			__builtin_trap();
		for (unsigned k = 0; k < chain.n; k++)
			if ((size_t)chain.off[k] + chain.len[k] > SIG_CERT_HS_MAX)
				__builtin_trap();
	}
	if (rc == 1 || sig_x509_parse(data, size, &c) == 0) {
		if (strlen(c.subject) != c.subject_len || strlen(c.issuer) != c.issuer_len ||
		    strlen(c.serial) != c.serial_len || c.fingerprint_len != 59)
			__builtin_trap();
	}
	sig_crypto_leave(cw);
	/* nothing libcrypto allocated may outlive the window, grow a heap block, or miss the
	 * arena (inputs are far smaller than it) */
	sig_crypto_take_stats(cw, &st);
	if (st.heap || st.nomem || st.held)
		__builtin_trap();
	return 0;
}
