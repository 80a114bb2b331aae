/* libFuzzer target: the control socket request parser (and re-encoding what it accepts). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nw_ctl_req req, again;
	static char line[NW_CTL_MAX_REQ];
	int n;

	if (nw_ctl_req_parse((const char *)data, size, &req))
		return 0;
	/* what parses must encode and parse back to the same words */
	n = nw_ctl_req_format(req.argc, req.argv, line, sizeof(line));
	if (n < 0)
		return 0;
	if (nw_ctl_req_parse(line, (size_t)n, &again) || again.argc != req.argc)
		__builtin_trap();
	for (int i = 0; i < req.argc; i++)
		if (strcmp(req.argv[i], again.argv[i]))
			__builtin_trap();
	return 0;
}
