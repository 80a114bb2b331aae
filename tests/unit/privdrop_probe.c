/* Test helper for tests/e2e/ops_privdrop.sh: nw_privdrop(USER, KEEP), then print the ids and caps. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "log.h"
#include "privdrop.h"

/* Print the Uid/Gid/Groups/Cap* lines of /proc/self/task/TID/status with a prefix. */
static void probe_status(const char *prefix)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/status", (long)syscall(SYS_gettid));
	f = fopen(path, "r");
	if (!f) {
		perror(path);
		exit(3);
	}
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4) ||
		    !strncmp(line, "Groups:", 7) || !strncmp(line, "Cap", 3) ||
		    !strncmp(line, "NoNewPrivs:", 11))
			printf("%s%s", prefix, line);
	fclose(f);
}

static void *probe_thread(void *arg)
{
	(void)arg;
	probe_status("thread ");
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	int r;

	if (argc != 3) {
		fprintf(stderr, "usage: privdrop_probe USER KEEP(0|1|3)\n");
		return 2;
	}
	nw_log_init("privdrop_probe", 0, NW_LOG_DEBUG);
	r = nw_privdrop(argv[1], atoi(argv[2]));
	if (r) {
		fprintf(stderr, "privdrop_probe: nw_privdrop: %s\n", strerror(-r));
		return 1;
	}
	probe_status("");
	printf("setuid0 %s\n", setuid(0) == 0 ? "succeeded" : "refused");
	/* threads created after the drop inherit exactly the same set */
	if (pthread_create(&t, NULL, probe_thread, NULL) || pthread_join(t, NULL))
		return 3;
	fflush(stdout);
	return 0;
}
