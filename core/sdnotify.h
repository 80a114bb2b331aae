/* systemd readiness notification (sd_notify protocol) without libsystemd. */
#ifndef NW_SDNOTIFY_H
#define NW_SDNOTIFY_H

/*
 * Send `state` (e.g. "READY=1", "RELOADING=1", "STOPPING=1", "STATUS=...", lines joined by '\n')
 * to the socket named by $NOTIFY_SOCKET (path or '@' abstract name). Does nothing and returns 0
 * when the variable is unset (not started by systemd with Type=notify). Returns 0 or -errno.
 * Main thread; never blocks (datagram, MSG_DONTWAIT).
 */
int nw_sd_notify(const char *state);

#endif
