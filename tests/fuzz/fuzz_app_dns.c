/* tests/fuzz/fuzz_app_dns.c: libFuzzer target: the bounded DNS message parser and the detection sanity check, TCP detection (SMB, SMTP, FTP included). */
#include <stdint.h>
#include <string.h>
#include "sig_app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sig_dns_msg m;

	if (sig_dns_parse(data, size, &m) == 0) {
		/* names are NUL-terminated, within bounds, and as long as said */
		for (unsigned i = 0; i < m.n_q; i++)
			if (m.qlen[i] >= SIG_DNS_NAME_MAX || strlen(m.q[i]) > m.qlen[i])
				__builtin_trap();
		for (unsigned i = 0; i < m.n_an; i++)
			if (m.anlen[i] >= SIG_DNS_NAME_MAX || strlen(m.an[i]) > m.anlen[i])
				__builtin_trap();
	}
	(void)sig_dns_sane(data, size);
	(void)sig_app_detect(data, size, 0);
	(void)sig_app_detect(data, size, 1);
	/* TCP detection with SMB, SMTP and FTP, each side, with and without a banner seen */
	for (int k = 0; k < 4; k++) {
		int banner;
		uint8_t a = sig_app_detect_tcp(data, size, k & 1, k >> 1, &banner);
		if (a > SIG_APP_UNKNOWN || (banner && (a != SIG_APP_NONE || !(k & 1))))
			__builtin_trap();
	}
	return 0;
}
