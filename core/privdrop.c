/* Privilege drop: setgroups/setgid/setuid to the service user, then only CAP_NET_ADMIN (libcap). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include "log.h"
#include "privdrop.h"

int nw_privdrop_lookup(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int r;

	if (!user || !*user)
		return -EINVAL;
	r = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (r)
		return -r;
	if (!res)
		return -ENOENT;
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

/* Drop every capability but `keep` (or all when keep < 0) from the bounding set, if allowed. */
static void pd_bound_drop(int keep)
{
	if (!CAP_IS_SUPPORTED(CAP_SETPCAP))
		return;
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		if (c == keep || !CAP_IS_SUPPORTED(c))
			continue;
		/* EPERM without CAP_SETPCAP (e.g. under systemd's bounding set): already narrower */
		if (prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) && errno != EPERM &&
		    errno != EINVAL)
			nw_log(NW_LOG_WARNING, "privdrop: cannot drop capability %d from the "
			       "bounding set: %s", (int)c, strerror(errno));
	}
}

/* Set permitted+effective (and inheritable+ambient if asked) to exactly `keep` (none if < 0). */
static int pd_caps_set(int keep, int ambient)
{
	cap_t caps = cap_init(); /* all clear */
	cap_value_t v = (cap_value_t)keep;
	int r = 0;

	if (!caps)
		return -ENOMEM;
	if (keep >= 0 && (cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET) ||
			  cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET) ||
			  (ambient && cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET)))) {
		r = -errno;
		goto out;
	}
	if (cap_set_proc(caps)) {
		r = -errno;
		nw_log(NW_LOG_ERR, "privdrop: cannot set capabilities: %s", strerror(errno));
		goto out;
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (ambient && keep >= 0 && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)keep,
					  0, 0)) {
		r = -errno;
		nw_log(NW_LOG_ERR, "privdrop: cannot raise the ambient capability: %s",
		       strerror(errno));
	}
out:
	cap_free(caps);
	return r;
}

/* After the drop: not root in any id, and no way back. */
static int pd_verify(uid_t uid, gid_t gid, int keep)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	cap_t caps;
	cap_flag_value_t fv = CAP_CLEAR;

	if (getresuid(&ru, &eu, &su) || getresgid(&rg, &eg, &sg) || ru != uid || eu != uid ||
	    su != uid || rg != gid || eg != gid || sg != gid) {
		nw_log(NW_LOG_ERR, "privdrop: ids did not change as asked");
		return -EPERM;
	}
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0) {
		nw_log(NW_LOG_ERR, "privdrop: root could be regained: refusing to run");
		return -EPERM;
	}
	caps = cap_get_proc();
	if (!caps)
		return -errno;
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		if (cap_get_flag(caps, c, CAP_PERMITTED, &fv) == 0 && fv == CAP_SET && c != keep) {
			cap_free(caps);
			nw_log(NW_LOG_ERR, "privdrop: capability %d still permitted", (int)c);
			return -EPERM;
		}
	}
	cap_free(caps);
	return 0;
}

int nw_privdrop(const char *user, int keep_net_admin)
{
	uid_t uid;
	gid_t gid;
	int keep = keep_net_admin ? CAP_NET_ADMIN : -1;
	int ambient = keep >= 0 && ((unsigned)keep_net_admin & NW_PRIVDROP_AMBIENT);
	int r;

	r = nw_privdrop_lookup(user, &uid, &gid);
	if (r) {
		nw_log(NW_LOG_ERR, "privdrop: user '%s': %s", user ? user : "(null)",
		       r == -ENOENT ? "no such user (create it: adduser --system --group natwarden)"
				    : strerror(-r));
		return r;
	}
	if (uid == 0 || gid == 0) {
		nw_log(NW_LOG_ERR, "privdrop: user '%s' is root (uid %u gid %u): choose an "
		       "unprivileged user", user, (unsigned)uid, (unsigned)gid);
		return -EINVAL;
	}
	if (geteuid() != 0) {
		nw_log(NW_LOG_ERR, "privdrop: running as uid %u, not root: cannot switch to '%s'",
		       (unsigned)geteuid(), user);
		return -EPERM;
	}
	pd_bound_drop(keep);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)) {
		r = -errno;
		nw_log(NW_LOG_ERR, "privdrop: PR_SET_KEEPCAPS: %s", strerror(errno));
		return r;
	}
	if (setgroups(1, &gid) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid)) {
		r = -errno;
		nw_log(NW_LOG_ERR, "privdrop: cannot switch to '%s' (uid %u gid %u): %s", user,
		       (unsigned)uid, (unsigned)gid, strerror(errno));
		return r;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	r = pd_caps_set(keep, ambient);
	if (r)
		return r;
	r = pd_verify(uid, gid, keep);
	if (r)
		return r;
	nw_log(NW_LOG_INFO, "running as %s (uid %u gid %u)%s", user, (unsigned)uid, (unsigned)gid,
	       keep >= 0 ? " with CAP_NET_ADMIN" : " without capabilities");
	return 0;
}
