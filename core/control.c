/* Control socket: request parsing/encoding (protocol in control.h), libevent server, client. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include "control.h"
#include "log.h"
#include "util.h"

#define CTL_MAX_CLIENTS 32
#define CTL_TIMEOUT_S 5

static int ctl_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int nw_ctl_req_parse(const char *buf, size_t len, struct nw_ctl_req *req)
{
	size_t vlen = strlen(NW_CTL_VERSION), i, o = 0;

	req->argc = 0;
	req->json = 0;
	req->argv[0] = NULL;
	if (len && buf[len - 1] == '\n')
		len--;
	if (len >= NW_CTL_MAX_REQ)
		return -E2BIG;
	if (len < vlen + 2 || memcmp(buf, NW_CTL_VERSION, vlen) || buf[vlen] != ' ')
		return -EPROTO;
	i = vlen + 1;
	while (i < len) {
		size_t start = o;
		if (buf[i] == ' ') /* words are separated by exactly one space */
			return -EPROTO;
		while (i < len && buf[i] != ' ') {
			unsigned char c = (unsigned char)buf[i];
			if (c < 0x21 || c > 0x7e)
				return -EPROTO;
			if (c == '%') {
				int h, l;
				if (i + 2 >= len)
					return -EPROTO;
				h = ctl_hex(buf[i + 1]);
				l = ctl_hex(buf[i + 2]);
				if (h < 0 || l < 0 || (h == 0 && l == 0))
					return -EPROTO;
				c = (unsigned char)(h << 4 | l);
				i += 3;
			} else {
				i++;
			}
			if (o + 1 >= sizeof(req->store))
				return -E2BIG;
			req->store[o++] = (char)c;
		}
		req->store[o++] = '\0';
		if (i < len) {
			i++; /* the separator */
			if (i == len)
				return -EPROTO; /* trailing space */
		}
		if (!strcmp(req->store + start, "--json")) {
			req->json = 1;
			continue;
		}
		if (req->argc >= NW_CTL_MAX_ARGS)
			return -E2BIG;
		req->argv[req->argc++] = req->store + start;
	}
	req->argv[req->argc] = NULL;
	return req->argc ? 0 : -EPROTO;
}

int nw_ctl_req_format(int argc, const char *const *argv, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o;

	if (argc < 1 || argc > NW_CTL_MAX_ARGS)
		return -EINVAL;
	if (outlen > NW_CTL_MAX_REQ)
		outlen = NW_CTL_MAX_REQ;
	o = nw_strlcpy(out, NW_CTL_VERSION, outlen);
	for (int a = 0; a < argc; a++) {
		const unsigned char *s = (const unsigned char *)argv[a];
		if (!*s)
			return -EINVAL;
		if (o + 1 >= outlen)
			return -E2BIG;
		out[o++] = ' ';
		for (; *s; s++) {
			if (o + 4 >= outlen)
				return -E2BIG;
			if (*s < 0x21 || *s > 0x7e || *s == '%') {
				out[o++] = '%';
				out[o++] = hex[*s >> 4];
				out[o++] = hex[*s & 15];
			} else {
				out[o++] = (char)*s;
			}
		}
	}
	if (o + 2 > outlen)
		return -E2BIG;
	out[o++] = '\n';
	out[o] = '\0';
	return (int)o;
}

/* ---- client ---- */

static int ctl_write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int nw_ctl_call(const char *path, int argc, const char *const *argv, int *status, char **reply,
		size_t *reply_len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char req[NW_CTL_MAX_REQ], *buf = NULL, *nl, *body;
	size_t len = 0, cap = 0;
	unsigned long blen;
	int fd = -1, r, n;
	long st;

	*reply = NULL;
	*reply_len = 0;
	n = nw_ctl_req_format(argc, argv, req, sizeof(req));
	if (n < 0)
		return n;
	if (nw_strlcpy(sa.sun_path, path, sizeof(sa.sun_path)) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		r = -errno;
		goto cleanup;
	}
	r = ctl_write_all(fd, req, (size_t)n);
	if (r)
		goto cleanup;
	for (;;) {
		ssize_t got;
		if (len + 1 >= cap) {
			char *nb;
			if (cap >= NW_CTL_MAX_REPLY + 128) {
				r = -E2BIG;
				goto cleanup;
			}
			nb = realloc(buf, cap ? cap * 2 : 8192);
			if (!nb) {
				r = -ENOMEM;
				goto cleanup;
			}
			buf = nb;
			cap = cap ? cap * 2 : 8192;
		}
		got = read(fd, buf + len, cap - len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			goto cleanup;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	r = -EPROTO;
	if (!buf)
		goto cleanup;
	buf[len] = '\0';
	nl = memchr(buf, '\n', len);
	if (!nl || strncmp(buf, NW_CTL_VERSION " ", strlen(NW_CTL_VERSION) + 1))
		goto cleanup;
	*nl = '\0';
	if (sscanf(buf + strlen(NW_CTL_VERSION) + 1, "%ld %lu", &st, &blen) != 2)
		goto cleanup;
	body = nl + 1;
	if (blen != len - (size_t)(body - buf))
		goto cleanup;
	memmove(buf, body, blen);
	buf[blen] = '\0';
	*status = (int)st;
	*reply = buf;
	*reply_len = blen;
	buf = NULL;
	r = 0;
cleanup:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

/* ---- server ---- */

struct nw_ctl_server {
	struct evconnlistener *lis;
	char path[108];
	nw_ctl_handler handler;
	void *ctx;
	unsigned n_clients;
	struct nw_ctl_access acc;
	unsigned long long refused;
	uint64_t refuse_logged_ns;       /* last refusal log line, 0 = none yet */
	unsigned long long refuse_quiet; /* refusals not logged since */
};

struct ctl_conn {
	struct nw_ctl_server *srv;
	int replied;
	int refused;        /* peer not authorised: every request gets -EACCES */
};

int nw_ctl_peer_allowed(const struct nw_ctl_access *acc, uid_t self, uid_t uid, gid_t gid,
			const gid_t *groups, size_t n_groups)
{
	if (uid == 0 || uid == self)
		return 1;
	if (!acc || !acc->has_group)
		return 0;
	if (gid == acc->group)
		return 1;
	for (size_t i = 0; i < n_groups; i++)
		if (groups[i] == acc->group)
			return 1;
	return 0;
}

/* Supplementary groups from the "Groups:" line of /proc/PID/status (kernels without
 * SO_PEERGROUPS). *out is malloc'd. Returns the count or -errno. */
static int ctl_proc_groups(pid_t pid, gid_t **out)
{
	char path[64], *line = NULL, *p, *end;
	size_t cap = 0, n = 0, max = 0;
	gid_t *g = NULL;
	FILE *f;
	int r = -ENOENT;

	*out = NULL;
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "Groups:", 7))
			continue;
		r = 0;
		for (p = line + 7;; p = end) {
			unsigned long v;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p < '0' || *p > '9')
				break;
			errno = 0;
			v = strtoul(p, &end, 10);
			if (errno || end == p || v > UINT32_MAX)
				break;
			if (n == max) {
				gid_t *ng = max < 65536 ? realloc(g, (max ? max * 2 : 32) * sizeof(*g))
							: NULL;
				if (!ng) {
					r = -ENOMEM;
					break;
				}
				g = ng;
				max = max ? max * 2 : 32;
			}
			g[n++] = (gid_t)v;
		}
		break;
	}
	free(line);
	fclose(f);
	if (r) {
		free(g);
		return r;
	}
	*out = g;
	return (int)n;
}

/* The peer's supplementary groups as of connect(): SO_PEERGROUPS, else /proc/PID/status. */
static int ctl_peer_groups(int fd, pid_t pid, gid_t **out)
{
#ifdef SO_PEERGROUPS
	socklen_t len = 0;

	*out = NULL;
	/* a zero-sized buffer: success means no groups, ERANGE tells the size */
	if (!getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, NULL, &len))
		return 0;
	if (errno == ERANGE && len <= 65536 * sizeof(gid_t)) {
		gid_t *g = malloc(len ? len : sizeof(gid_t));
		if (!g)
			return -ENOMEM;
		if (!getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len)) {
			*out = g;
			return (int)(len / sizeof(gid_t));
		}
		free(g);
	}
#endif
	return ctl_proc_groups(pid, out);
}

/* SO_PEERCRED (+ groups) against the access rule. Fills why with who was refused. */
static int ctl_peer_check(const struct nw_ctl_server *srv, int fd, char *why, size_t whylen)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	gid_t *groups = NULL;
	int n = 0, ok;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) || len != sizeof(uc)) {
		snprintf(why, whylen, "a peer without credentials (%s)", strerror(errno));
		return 0;
	}
	if (nw_ctl_peer_allowed(&srv->acc, geteuid(), uc.uid, uc.gid, NULL, 0))
		return 1;
	if (srv->acc.has_group) {
		n = ctl_peer_groups(fd, uc.pid, &groups);
		if (n < 0)
			n = 0;
	}
	ok = nw_ctl_peer_allowed(&srv->acc, geteuid(), uc.uid, uc.gid, groups, (size_t)n);
	free(groups);
	if (!ok)
		snprintf(why, whylen, "pid %ld uid %lu gid %lu: not root, not natwarden's user%s%s",
			 (long)uc.pid, (unsigned long)uc.uid, (unsigned long)uc.gid,
			 srv->acc.has_group ? " and not in group " : "",
			 srv->acc.has_group ? srv->acc.group_name : "");
	return ok;
}

/* One log line per NW_CTL_REFUSE_LOG_S seconds at most; the rest are counted into the next. */
static void ctl_log_refusal(struct nw_ctl_server *srv, const char *why)
{
	uint64_t now = nw_time_mono_ns();

	srv->refused++;
	if (srv->refuse_logged_ns &&
	    now - srv->refuse_logged_ns < (uint64_t)NW_CTL_REFUSE_LOG_S * 1000000000ull) {
		srv->refuse_quiet++;
		return;
	}
	if (srv->refuse_quiet)
		nw_log(NW_LOG_WARNING, "control socket: refused %s (and %llu more not logged)", why,
		       srv->refuse_quiet);
	else
		nw_log(NW_LOG_WARNING, "control socket: refused %s", why);
	srv->refuse_logged_ns = now;
	srv->refuse_quiet = 0;
}

unsigned long long nw_ctl_server_refused(const struct nw_ctl_server *s)
{
	return s ? s->refused : 0;
}

static void ctl_conn_free(struct bufferevent *bev, struct ctl_conn *c)
{
	c->srv->n_clients--;
	free(c);
	bufferevent_free(bev);
}

static void ctl_reply(struct bufferevent *bev, struct ctl_conn *c, int status, const char *body,
		      size_t len)
{
	struct evbuffer *out = bufferevent_get_output(bev);

	evbuffer_add_printf(out, NW_CTL_VERSION " %d %zu\n", status, len);
	evbuffer_add(out, body, len);
	c->replied = 1;
	bufferevent_disable(bev, EV_READ);
	bufferevent_enable(bev, EV_WRITE);
}

static void ctl_on_read(struct bufferevent *bev, void *arg)
{
	struct ctl_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr eol;
	struct nw_ctl_req *req = NULL;
	char *line = NULL, *out = NULL;
	size_t n;
	int r;

	if (c->replied)
		return;
	eol = evbuffer_search_eol(in, NULL, &n, EVBUFFER_EOL_LF);
	if (eol.pos < 0) {
		if (evbuffer_get_length(in) >= NW_CTL_MAX_REQ) {
			static const char msg[] = "request too long\n";
			ctl_reply(bev, c, -E2BIG, msg, sizeof(msg) - 1);
		}
		return;
	}
	n = (size_t)eol.pos + 1;
	if (n > NW_CTL_MAX_REQ) {
		static const char msg[] = "request too long\n";
		ctl_reply(bev, c, -E2BIG, msg, sizeof(msg) - 1);
		return;
	}
	if (c->refused) {
		/* the request is read (so the peer sees the answer, not a reset) but never parsed */
		char msg[160];
		int len = snprintf(msg, sizeof(msg), "permission denied: natwardenctl needs root or "
				   "membership of group %s\n",
				   c->srv->acc.has_group ? c->srv->acc.group_name : "(none: root only)");
		evbuffer_drain(in, n);
		ctl_reply(bev, c, -EACCES, msg, (size_t)len);
		return;
	}
	line = malloc(n);
	req = malloc(sizeof(*req));
	out = malloc(NW_CTL_MAX_REPLY);
	if (!line || !req || !out) {
		static const char msg[] = "out of memory\n";
		ctl_reply(bev, c, -ENOMEM, msg, sizeof(msg) - 1);
		goto cleanup;
	}
	evbuffer_remove(in, line, n);
	r = nw_ctl_req_parse(line, n, req);
	if (r) {
		int len = snprintf(out, NW_CTL_MAX_REPLY, "malformed request (protocol %s)\n",
				   NW_CTL_VERSION);
		ctl_reply(bev, c, r, out, (size_t)len);
		goto cleanup;
	}
	out[0] = '\0';
	r = c->srv->handler(c->srv->ctx, req->argc, req->argv, req->json, out, NW_CTL_MAX_REPLY);
	out[NW_CTL_MAX_REPLY - 1] = '\0';
	ctl_reply(bev, c, r, out, strlen(out));
cleanup:
	free(line);
	free(req);
	free(out);
}

static void ctl_on_write(struct bufferevent *bev, void *arg)
{
	struct ctl_conn *c = arg;

	if (c->replied && !evbuffer_get_length(bufferevent_get_output(bev)))
		ctl_conn_free(bev, c);
}

static void ctl_on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	ctl_conn_free(bev, arg);
}

static void ctl_on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
			  int salen, void *arg)
{
	struct nw_ctl_server *srv = arg;
	struct bufferevent *bev;
	struct ctl_conn *c;
	struct timeval tv = {CTL_TIMEOUT_S, 0};

	char why[192];
	int allowed;

	(void)sa;
	(void)salen;
	if (srv->n_clients >= CTL_MAX_CLIENTS) {
		close(fd);
		return;
	}
	allowed = ctl_peer_check(srv, fd, why, sizeof(why));
	if (!allowed)
		ctl_log_refusal(srv, why);
	c = calloc(1, sizeof(*c));
	bev = c ? bufferevent_socket_new(evconnlistener_get_base(lis), fd, BEV_OPT_CLOSE_ON_FREE)
		: NULL;
	if (!bev) {
		free(c);
		close(fd);
		return;
	}
	c->srv = srv;
	c->refused = !allowed;
	srv->n_clients++;
	bufferevent_setcb(bev, ctl_on_read, ctl_on_write, ctl_on_event, c);
	if (!allowed)
		tv.tv_sec = 1; /* a refused peer holds a client slot briefly */
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_setwatermark(bev, EV_READ, 0, NW_CTL_MAX_REQ + 1);
	bufferevent_enable(bev, EV_READ);
}

/* mkdir -p for the socket's parent, mode 0750; a directory it creates gets the control group
 * (so members can reach the socket). An existing directory is left as it is. */
static int ctl_mkdir_parent(const char *path, const struct nw_ctl_access *acc)
{
	char dir[108], *p;

	nw_strlcpy(dir, path, sizeof(dir));
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0750)) {
		if (errno != EEXIST)
			return -errno;
		return 0;
	}
	if (acc && acc->has_group && chown(dir, (uid_t)-1, acc->group))
		nw_log(NW_LOG_WARNING, "control socket directory %s: cannot give it group %s: %s",
		       dir, acc->group_name, strerror(errno));
	return 0;
}

int nw_ctl_server_open(struct event_base *base, const char *path,
		       const struct nw_ctl_access *acc, nw_ctl_handler h, void *ctx,
		       struct nw_ctl_server **out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct nw_ctl_server *srv;
	mode_t um;
	int fd = -1, r;

	*out = NULL;
	if (!path || !*path)
		path = NW_CTL_DEFAULT_SOCKET;
	if (nw_strlcpy(sa.sun_path, path, sizeof(sa.sun_path)) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	r = ctl_mkdir_parent(path, acc);
	if (r)
		return r;
	/* a socket file left by a dead daemon is replaced; a live one is not */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -EADDRINUSE;
	}
	close(fd);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* never more than 0660, not even between bind and chmod */
	um = umask(0117);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(um);
	if (!r && acc && acc->has_group && chown(path, (uid_t)-1, acc->group)) {
		/* fail closed: without the group only root and our own uid can connect */
		nw_log(NW_LOG_WARNING, "control socket %s: cannot give it group %s: %s", path,
		       acc->group_name, strerror(errno));
	}
	if (r) {
		close(fd);
		return r;
	}
	if (chmod(path, 0660) || listen(fd, 16)) {
		r = -errno;
		close(fd);
		unlink(path);
		return r;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		close(fd);
		unlink(path);
		return -ENOMEM;
	}
	nw_strlcpy(srv->path, path, sizeof(srv->path));
	srv->handler = h;
	srv->ctx = ctx;
	if (acc)
		srv->acc = *acc;
	srv->lis = evconnlistener_new(base, ctl_on_accept, srv, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	if (!srv->lis) {
		close(fd);
		unlink(path);
		free(srv);
		return -ENOMEM;
	}
	*out = srv;
	return 0;
}

void nw_ctl_server_close(struct nw_ctl_server *s)
{
	if (!s)
		return;
	evconnlistener_free(s->lis);
	unlink(s->path);
	free(s);
}
