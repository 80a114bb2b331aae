/* plugins/signature/sig_classify.c: classtypes (classification.config) with built-in defaults. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sig.h"

/* Suricata's shipped classification.config (the common part) */
static const struct {
	const char *name, *desc;
	int prio;
} sig_default_classes[] = {
	{ "not-suspicious", "Not Suspicious Traffic", 3 },
	{ "unknown", "Unknown Traffic", 3 },
	{ "bad-unknown", "Potentially Bad Traffic", 2 },
	{ "attempted-recon", "Attempted Information Leak", 2 },
	{ "successful-recon-limited", "Information Leak", 2 },
	{ "successful-recon-largescale", "Large Scale Information Leak", 2 },
	{ "attempted-dos", "Attempted Denial of Service", 2 },
	{ "successful-dos", "Denial of Service", 2 },
	{ "attempted-user", "Attempted User Privilege Gain", 1 },
	{ "unsuccessful-user", "Unsuccessful User Privilege Gain", 1 },
	{ "successful-user", "Successful User Privilege Gain", 1 },
	{ "attempted-admin", "Attempted Administrator Privilege Gain", 1 },
	{ "successful-admin", "Successful Administrator Privilege Gain", 1 },
	{ "rpc-portmap-decode", "Decode of an RPC Query", 2 },
	{ "shellcode-detect", "Executable code was detected", 1 },
	{ "string-detect", "A suspicious string was detected", 3 },
	{ "suspicious-filename-detect", "A suspicious filename was detected", 2 },
	{ "suspicious-login", "An attempted login using a suspicious username was detected", 2 },
	{ "system-call-detect", "A system call was detected", 2 },
	{ "tcp-connection", "A TCP connection was detected", 4 },
	{ "trojan-activity", "A Network Trojan was detected", 1 },
	{ "unusual-client-port-connection", "A client was using an unusual port", 2 },
	{ "network-scan", "Detection of a Network Scan", 3 },
	{ "denial-of-service", "Detection of a Denial of Service Attack", 2 },
	{ "non-standard-protocol", "Detection of a non-standard protocol or event", 2 },
	{ "protocol-command-decode", "Generic Protocol Command Decode", 3 },
	{ "web-application-activity", "access to a potentially vulnerable web application", 2 },
	{ "web-application-attack", "Web Application Attack", 1 },
	{ "misc-activity", "Misc activity", 3 },
	{ "misc-attack", "Misc Attack", 2 },
	{ "icmp-event", "Generic ICMP event", 3 },
	{ "inappropriate-content", "Inappropriate Content was Detected", 1 },
	{ "policy-violation", "Potential Corporate Privacy Violation", 1 },
	{ "default-login-attempt", "Attempt to login by a default username and password", 2 },
	{ "targeted-activity", "Targeted Malicious Activity was Detected", 1 },
	{ "exploit-kit", "Exploit Kit Activity Detected", 1 },
	{ "external-ip-check", "Device Retrieving External IP Address Detected", 2 },
	{ "domain-c2", "Domain Observed Used for C2 Detected", 1 },
	{ "pup-activity", "Possibly Unwanted Program Detected", 2 },
	{ "credential-theft", "Successful Credential Theft Detected", 1 },
	{ "social-engineering", "Possible Social Engineering Attempted", 2 },
	{ "coin-mining", "Crypto Currency Mining Activity Detected", 2 },
	{ "command-and-control", "Malware Command and Control Activity Detected", 1 },
};

static int sig_class_set(struct sig_classes *cs, const char *name, const char *desc, int prio)
{
	for (unsigned i = 0; i < cs->n; i++) {
		if (!strcmp(cs->v[i].name, name)) {
			char *d = strdup(desc);
			if (!d)
				return -ENOMEM;
			free(cs->v[i].desc);
			cs->v[i].desc = d;
			cs->v[i].prio = prio;
			return 0;
		}
	}
	if (cs->n == cs->cap) {
		unsigned cap = cs->cap ? cs->cap * 2 : 64;
		struct sig_class *nv = realloc(cs->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		cs->v = nv;
		cs->cap = cap;
	}
	cs->v[cs->n].name = strdup(name);
	cs->v[cs->n].desc = strdup(desc);
	cs->v[cs->n].prio = prio;
	if (!cs->v[cs->n].name || !cs->v[cs->n].desc) {
		free(cs->v[cs->n].name);
		free(cs->v[cs->n].desc);
		return -ENOMEM;
	}
	cs->n++;
	return 0;
}

int sig_classes_defaults(struct sig_classes *cs)
{
	for (size_t i = 0; i < sizeof(sig_default_classes) / sizeof(sig_default_classes[0]); i++) {
		int rc = sig_class_set(cs, sig_default_classes[i].name, sig_default_classes[i].desc,
				       sig_default_classes[i].prio);
		if (rc)
			return rc;
	}
	return 0;
}

/* "config classification: name,description,priority" lines; # comments */
int sig_classes_load(struct sig_classes *cs, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	unsigned lineno = 0;
	int rc = 0;

	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = sig_trim(line), *argv[4];
		long long prio;
		int n;

		lineno++;
		if (!*s || *s == '#')
			continue;
		if (strncmp(s, "config classification:", 22)) {
			snprintf(err, errlen, "%s:%u: expected 'config classification:'", path, lineno);
			rc = -EINVAL;
			break;
		}
		n = sig_split_args(s + 22, argv, 4);
		if (n != 3 || !*argv[0] || sig_parse_int(argv[2], 1, 255, &prio)) {
			snprintf(err, errlen, "%s:%u: expected name,description,priority", path,
				 lineno);
			rc = -EINVAL;
			break;
		}
		rc = sig_class_set(cs, argv[0], argv[1], (int)prio);
		if (rc)
			break;
	}
	fclose(f);
	return rc;
}

const struct sig_class *sig_classes_find(const struct sig_classes *cs, const char *name)
{
	for (unsigned i = 0; cs && i < cs->n; i++)
		if (!strcmp(cs->v[i].name, name))
			return &cs->v[i];
	return NULL;
}

void sig_classes_free(struct sig_classes *cs)
{
	for (unsigned i = 0; i < cs->n; i++) {
		free(cs->v[i].name);
		free(cs->v[i].desc);
	}
	free(cs->v);
	memset(cs, 0, sizeof(*cs));
}
