/* Control socket: the natwardenctl <-> natwarden request protocol, server and client. */
#ifndef NW_CONTROL_H
#define NW_CONTROL_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Protocol version 1, over a unix stream socket (one request per connection):
 *   request:  "NWCTL1" (SP ARG)+ LF        at most NW_CTL_MAX_REQ bytes including the LF
 *             ARG is one argv word, non-empty, percent-encoded: bytes outside 0x21..0x7e and
 *             '%' itself are written as %XX (hex). At most NW_CTL_MAX_ARGS words.
 *             A word "--json" anywhere asks for a JSON reply; it is removed from argv.
 *   reply:    "NWCTL1" SP STATUS SP LENGTH LF BODY
 *             STATUS is 0 or a negative errno; BODY is LENGTH bytes (text, or one JSON value
 *             when --json was given); the server then closes the connection.
 * The server rejects anything else (unknown version, bad escape, too long, too many words) with
 * a reply of status -EPROTO (or -E2BIG) and closes.
 */
#define NW_CTL_VERSION "NWCTL1"
#define NW_CTL_MAX_REQ 4096
#define NW_CTL_MAX_ARGS 64
#define NW_CTL_MAX_REPLY (1024 * 1024)
#define NW_CTL_DEFAULT_SOCKET "/run/natwarden/natwarden.sock"

/* A parsed request; argv points into store. */
struct nw_ctl_req {
	int argc;
	const char *argv[NW_CTL_MAX_ARGS + 1];
	int json; /* "--json" was given */
	char store[NW_CTL_MAX_REQ];
};

/* Parse one request line (with or without the trailing LF). Returns 0, -EPROTO or -E2BIG. */
int nw_ctl_req_parse(const char *buf, size_t len, struct nw_ctl_req *req);
/* Encode argv as a request line (with LF). Returns its length, or -E2BIG / -EINVAL. */
int nw_ctl_req_format(int argc, const char *const *argv, char *out, size_t outlen);

/* Client: send argv to the daemon at path; *reply is malloc'd and NUL-terminated.
 * Returns 0 (then *status is the daemon's status) or -errno for a transport failure. */
int nw_ctl_call(const char *path, int argc, const char *const *argv, int *status, char **reply,
		size_t *reply_len);

/* Server side (main thread, libevent). The handler writes its reply into out (NUL-terminated,
 * at most outlen bytes) and returns 0 or -errno. */
struct event_base;
struct nw_ctl_server;
typedef int (*nw_ctl_handler)(void *ctx, int argc, const char *const *argv, int json, char *out,
			      size_t outlen);

/*
 * Who may use the socket. The socket file is owner:group mode 0660 (its directory, when the
 * server creates it, 0750 with the same group), and every connection is checked with
 * SO_PEERCRED: root, the daemon's own (current) uid, and members of `group` (primary or
 * supplementary, from SO_PEERGROUPS or /proc/PID/status) are served; anyone else gets a reply
 * of status -EACCES and is logged (at most one line per NW_CTL_REFUSE_LOG_S seconds).
 */
#define NW_CTL_REFUSE_LOG_S 10
struct nw_ctl_access {
	int has_group;          /* 0: root and the daemon's uid only */
	gid_t group;
	char group_name[64];    /* for messages */
};

/* The rule above, as a pure function: 1 allowed, 0 refused. */
int nw_ctl_peer_allowed(const struct nw_ctl_access *acc, uid_t self, uid_t uid, gid_t gid,
			const gid_t *groups, size_t n_groups);

/* Create the socket (its directory with mode 0750 if missing; the socket 0660, group
 * acc->group), refusing to replace a socket a live daemon still answers on. acc NULL: root and
 * the daemon's uid only. Returns 0 or -errno. */
int nw_ctl_server_open(struct event_base *base, const char *path,
		       const struct nw_ctl_access *acc, nw_ctl_handler h, void *ctx,
		       struct nw_ctl_server **out);
/* Connections refused so far. */
unsigned long long nw_ctl_server_refused(const struct nw_ctl_server *s);
void nw_ctl_server_close(struct nw_ctl_server *s);

#endif
