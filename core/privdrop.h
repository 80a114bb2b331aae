/* Privilege drop: after the privileged setup, become an unprivileged user keeping CAP_NET_ADMIN. */
#ifndef NW_PRIVDROP_H
#define NW_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

/* Flags for nw_privdrop's keep argument (any non-zero value keeps CAP_NET_ADMIN). */
#define NW_PRIVDROP_NET_ADMIN 1u /* keep CAP_NET_ADMIN (NFQUEUE verdicts, ipset) */
#define NW_PRIVDROP_AMBIENT 2u   /* also in the ambient set: programs we exec keep it */

/*
 * Switch the process to `user` (its uid, its primary gid as the only group) keeping nothing but
 * CAP_NET_ADMIN in the permitted and effective sets when keep_net_admin is non-zero (nothing at all
 * when 0); other capabilities are dropped from the bounding set where we may (not under a systemd
 * CapabilityBoundingSet without CAP_SETPCAP, which is already narrower). Afterwards it checks
 * that root cannot be regained.
 *
 * Must run as root (needs CAP_SETUID, CAP_SETGID) on the main thread BEFORE any other thread is
 * created: capabilities are per thread and threads inherit them only at creation. Refuses a user
 * whose uid or gid is 0. Logs the reason on failure. Returns 0, -ENOENT (no such user), -EINVAL
 * (root user, bad argument), -EPERM (not root, or root could be regained) or another -errno. On
 * failure the process may be half-dropped: the caller must exit.
 */
int nw_privdrop(const char *user, int keep_net_admin);

/* uid and primary gid of user (e.g. to chown files created before the drop). 0 or -ENOENT. */
int nw_privdrop_lookup(const char *user, uid_t *uid, gid_t *gid);

#endif
