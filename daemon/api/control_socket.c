/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "policy/macro.h"
#include "policy/json_text.h"
#include "policy/utf8.h"
#include "util/clock.h"
#include "api/control_socket.h"
#include "api/event_json.h"
#include "util/log.h"
#include "api/control_request.h"
#include "api/op_table.h"
#include "api/operations.h"

/* The read buffer starts small and grows to one whole line: most requests are a few dozen bytes. */
#define READ_BUFFER_INITIAL 4096
#define READ_BUFFER_MAX (CONTROL_LINE_MAX + 1) /* the longest line and its '\n' */
/* After accept() fails for want of descriptors, the socket is not watched for this long. */
#define ACCEPT_RETRY_USEC USEC_PER_SEC
/* Descriptors one recvmsg() takes: one is all a request may carry; room for a few more lets us see
 * (and close) the extra ones rather than have the kernel cut the message (MSG_CTRUNC, also handled). */
#define READ_FDS_MAX 4
/* At most one log line per this long about refused or dropped clients; the rest are counted in it. */
#define DROP_LOG_INTERVAL_USEC (10 * USEC_PER_SEC)

typedef struct Connection Connection;

/* What the connections of one uid hold, for its ceilings. */
typedef struct UidUsage {
        struct UidUsage *next;
        uid_t uid;
        unsigned n_connections;
        size_t bytes;
} UidUsage;

struct Connection {
        ControlSocket *owner;
        Connection *prev, *next;
        Connection *wait_prev, *wait_next; /* in the socket's queue of connections with requests left */
        int fd;
        sd_event_source *io;
        Caller caller;
        UidUsage *usage;
        char *rbuf;
        size_t rlen, rcap;
        /* A descriptor goes with the request line that holds the last byte read along with it
         * (the kernel ends a read at the end of the message that carried descriptors): the first
         * line whose '\n' is at passed_at or after, in rbuf. */
        OpFd passed;
        int passed_fd;
        size_t passed_at;
        char *wbuf;
        size_t woff, wlen, wcap;  /* unsent bytes are wbuf[woff..wlen) */
        bool subscribed;
        bool eof;                 /* the client sent all it will; close once answered */
        bool waiting;             /* in the queue: has whole request lines it has not been served yet */
        bool dead;                /* drop as soon as no callback of ours is using it */
        bool busy;                /* inside its own io callback */
};

struct ControlSocket {
        Manager *manager;
        sd_event *event;
        int fd;
        sd_event_source *io;
        sd_event_source *serve;   /* defer: serves the queue's head while the budget lasts */
        sd_event_source *resume;  /* the budget's next window */
        sd_event_source *accept_retry; /* watching the socket again after EMFILE */
        char *path;
        Connection *connections;
        unsigned n_connections;
        Connection *wait_head, *wait_tail;
        UidUsage *usage;
        size_t bytes_others;      /* held by all connections not of root */
        usec_t window_end, spent_usec;
        usec_t drop_logged_usec;
        unsigned drops_unlogged;
        unsigned n_passed_fds;    /* descriptors held for request lines not complete yet */
};

DEFINE_POINTER_CLEANUP(cJSON, cJSON_Delete);

/* Logs why a client was refused or dropped, at most once per DROP_LOG_INTERVAL_USEC: a thousand
 * hostile connections must not flood the journal either. */
__attribute__((format(printf, 2, 3)))
static void drop_log(ControlSocket *s, const char *fmt, ...) {
        usec_t now = now_usec(CLOCK_MONOTONIC);
        if (s->drop_logged_usec != 0 && now < s->drop_logged_usec + DROP_LOG_INTERVAL_USEC) {
                s->drops_unlogged++;
                return;
        }
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (s->drops_unlogged > 0)
                log_warning("%s (and %u more clients refused or dropped in the last %u s)", msg, s->drops_unlogged,
                            (unsigned) (DROP_LOG_INTERVAL_USEC / USEC_PER_SEC));
        else
                log_warning("%s", msg);
        s->drop_logged_usec = now;
        s->drops_unlogged = 0;
}

static UidUsage *uid_usage_get(ControlSocket *s, uid_t uid) {
        for (UidUsage *u = s->usage; u; u = u->next)
                if (u->uid == uid)
                        return u;
        UidUsage *u = calloc(1, sizeof *u);
        if (!u)
                return NULL;
        *u = (UidUsage) { .uid = uid, .next = s->usage };
        s->usage = u;
        return u;
}

static void uid_usage_put(ControlSocket *s, UidUsage *u) {
        if (--u->n_connections > 0)
                return;
        for (UidUsage **p = &s->usage; *p; p = &(*p)->next)
                if (*p == u) {
                        *p = u->next;
                        break;
                }
        free(u);
}

/* The most one connection may hold: root's is larger, so that any reply fits. */
static size_t connection_ceiling(const Connection *c) {
        return c->caller.uid == 0 ? CONTROL_ROOT_CONNECTION_MEMORY_MAX : CONTROL_CONNECTION_MEMORY_MAX;
}

/* Whether the connection may hold `more` bytes beyond what it holds now, within all three ceilings
 * (root's: its connection ceiling alone). */
static bool connection_may_grow(const Connection *c, size_t more) {
        size_t held = c->rcap + c->wcap;
        if (held + more > connection_ceiling(c))
                return false;
        if (c->caller.uid == 0)
                return c->usage->bytes + more <= CONTROL_ROOT_MEMORY_MAX;
        return c->usage->bytes + more <= CONTROL_UID_MEMORY_MAX && c->owner->bytes_others + more <= CONTROL_MEMORY_MAX;
}

/* Books a change of what the connection holds (new capacity minus old). */
static void connection_charge(Connection *c, size_t old_bytes, size_t new_bytes) {
        c->usage->bytes = c->usage->bytes - old_bytes + new_bytes;
        if (c->caller.uid != 0)
                c->owner->bytes_others = c->owner->bytes_others - old_bytes + new_bytes;
}

/* Resizes one of the connection's buffers to cap bytes (0 frees it), booking the change. */
static int connection_resize(Connection *c, char **buf, size_t *bufcap, size_t cap) {
        if (cap == 0) {
                connection_charge(c, *bufcap, 0);
                free(*buf);
                *buf = NULL;
                *bufcap = 0;
                return 0;
        }
        if (cap > *bufcap && !connection_may_grow(c, cap - *bufcap))
                return -ENOBUFS;
        char *n = realloc(*buf, cap);
        if (!n)
                return -ENOMEM;
        connection_charge(c, *bufcap, cap);
        *buf = n;
        *bufcap = cap;
        return 0;
}

static void wait_queue_remove(Connection *c) {
        ControlSocket *s = c->owner;
        if (!c->waiting)
                return;
        if (c->wait_prev)
                c->wait_prev->wait_next = c->wait_next;
        else
                s->wait_head = c->wait_next;
        if (c->wait_next)
                c->wait_next->wait_prev = c->wait_prev;
        else
                s->wait_tail = c->wait_prev;
        c->wait_prev = c->wait_next = NULL;
        c->waiting = false;
        if (!s->wait_head)
                (void) sd_event_source_set_enabled(s->serve, SD_EVENT_OFF);
}

static void wait_queue_push(Connection *c) {
        ControlSocket *s = c->owner;
        if (c->waiting)
                return;
        c->wait_prev = s->wait_tail;
        if (s->wait_tail)
                s->wait_tail->wait_next = c;
        else
                s->wait_head = c;
        s->wait_tail = c;
        c->waiting = true;
        /* The serve source runs while the budget lasts; past it, on_resume turns it on again. */
        if (!sd_event_source_get_enabled(s->resume, NULL))
                (void) sd_event_source_set_enabled(s->serve, SD_EVENT_ON);
}

/* The descriptor passed for a request line, now that the line is served or the connection ends:
 * the caller owns what is returned (-1 when none) and *ret_passed says what came. */
static int connection_take_passed(Connection *c, OpFd *ret_passed) {
        int fd = c->passed_fd;
        if (ret_passed)
                *ret_passed = c->passed;
        if (fd >= 0)
                c->owner->n_passed_fds--;
        c->passed_fd = -1;
        c->passed = OP_FD_NONE;
        return fd;
}

static void connection_free(Connection *c) {
        ControlSocket *s = c->owner;
        int pfd = connection_take_passed(c, NULL);
        if (pfd >= 0)
                close(pfd);
        wait_queue_remove(c);
        if (c->prev)
                c->prev->next = c->next;
        else
                s->connections = c->next;
        if (c->next)
                c->next->prev = c->prev;
        s->n_connections--;
        sd_event_source_disable_unref(c->io);
        if (c->fd >= 0)
                close(c->fd);
        (void) connection_resize(c, &c->rbuf, &c->rcap, 0);
        (void) connection_resize(c, &c->wbuf, &c->wcap, 0);
        uid_usage_put(s, c->usage);
        free(c);
}

/* Drops the client now, or when its own callback returns (the callback still uses it). */
static void connection_drop(Connection *c) {
        c->dead = true;
        wait_queue_remove(c);
        if (!c->busy)
                connection_free(c);
}

static bool connection_has_request(const Connection *c) {
        return c->rlen > 0 && memchr(c->rbuf, '\n', c->rlen);
}

static size_t connection_unsent(const Connection *c) {
        return c->wlen - c->woff;
}

/* Reading waits while requests it sent wait to be served, or replies wait to be read; with nothing
 * to wait for and nothing more to come, the connection ends. False when it ended (and is freed,
 * unless its callback is running). */
static bool connection_update_events(Connection *c) {
        if (c->dead)
                return false;
        bool more_input = !c->eof && !c->waiting && connection_unsent(c) < CONTROL_QUEUE_PAUSE;
        uint32_t events = (more_input ? EPOLLIN : 0) | (connection_unsent(c) > 0 ? EPOLLOUT : 0);
        if (events == 0) {
                if (c->eof && !c->waiting) { /* all answered and sent */
                        connection_drop(c);
                        return false;
                }
                /* Not even EPOLLHUP: a client that hung up while it waits must not wake the loop. */
                (void) sd_event_source_set_enabled(c->io, SD_EVENT_OFF);
                return true;
        }
        (void) sd_event_source_set_io_events(c->io, events);
        (void) sd_event_source_set_enabled(c->io, SD_EVENT_ON);
        return true;
}

/* Sends what is queued, as far as the socket takes it. Negative when the client went away. */
static int connection_write(Connection *c) {
        while (connection_unsent(c) > 0) {
                ssize_t k = send(c->fd, c->wbuf + c->woff, connection_unsent(c), MSG_NOSIGNAL | MSG_DONTWAIT);
                if (k < 0)
                        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
                c->woff += (size_t) k;
        }
        c->woff = c->wlen = 0;
        return connection_resize(c, &c->wbuf, &c->wcap, 0); /* an idle client holds no buffer */
}

/* Queues text and a '\n', sending at once what the socket takes. A client whose unsent replies and
 * events would pass a ceiling (a subscriber that stopped reading) is dropped: -ENOBUFS. */
static int connection_enqueue(Connection *c, const char *text) {
        size_t l = strlen(text);
        if (c->dead)
                return -ENOBUFS;
        if (c->woff > 0) { /* compact before growing */
                memmove(c->wbuf, c->wbuf + c->woff, connection_unsent(c));
                c->wlen -= c->woff;
                c->woff = 0;
        }
        if (c->wlen + l + 1 > c->wcap) {
                size_t cap = c->wcap ? c->wcap : 4096;
                while (cap < c->wlen + l + 1)
                        cap *= 2;
                int r = connection_resize(c, &c->wbuf, &c->wcap, cap);
                size_t most = connection_ceiling(c) - c->rcap;
                if (r == -ENOBUFS && most > c->wlen + l + 1) /* near its ceiling: all that it may have */
                        r = connection_resize(c, &c->wbuf, &c->wcap, most);
                if (r == -ENOBUFS) /* near its user's or the total ceiling: exactly what it needs */
                        r = connection_resize(c, &c->wbuf, &c->wcap, c->wlen + l + 1);
                if (r < 0) {
                        drop_log(c->owner, "Dropping control socket client (pid %d, uid %u): %zu KiB of replies and "
                                 "events wait unsent and %zu KiB more would pass what %s may hold; it has stopped reading. "
                                 "It may reconnect; a monitor must read its events as they come",
                                 (int) c->caller.pid, (unsigned) c->caller.uid, connection_unsent(c) / 1024, (l + 1) / 1024,
                                 r == -ENOMEM ? "memory allows" :
                                 c->rcap + c->wcap + l > connection_ceiling(c) ? "one connection" :
                                 c->usage->bytes + l > (c->caller.uid == 0 ? CONTROL_ROOT_MEMORY_MAX : CONTROL_UID_MEMORY_MAX) ?
                                 "one user's connections" :
                                 "all users' connections");
                        connection_drop(c);
                        return -ENOBUFS;
                }
        }
        memcpy(c->wbuf + c->wlen, text, l);
        c->wbuf[c->wlen + l] = '\n';
        c->wlen += l + 1;
        if (connection_write(c) < 0) { /* the client went away: nothing to tell it */
                connection_drop(c);
                return -EPIPE;
        }
        (void) connection_update_events(c);
        return 0;
}

static int connection_send_json(Connection *c, const cJSON *o) {
        _cleanup_free_ char *text = json_print_utf8(o, false);
        if (!text) {
                connection_drop(c);
                return -ENOMEM;
        }
        return connection_enqueue(c, text);
}

static void send_error(Connection *c, const cJSON *id, const OpsError *e) {
        _cleanup_(cJSON_Deletep) cJSON *r = control_reply_error(id, e);
        if (r)
                (void) connection_send_json(c, r);
}

/* Sends a reply; one that could never fit what the connection may hold (a non-root client asking for
 * the whole of a very large policy) is answered too-large instead, and the client stays. */
static int connection_send_reply(Connection *c, const cJSON *r) {
        _cleanup_free_ char *text = json_print_utf8(r, false);
        if (!text) {
                connection_drop(c);
                return -ENOMEM;
        }
        size_t l = strlen(text) + 1;
        if (l > connection_ceiling(c) - c->rcap) {
                OpsError err = {};
                ops_error_set(&err, OPS_ERROR_TOO_LARGE, "the reply is %zu KiB, more than one connection of uid %u may "
                              "hold (%zu KiB); ask as root, whose connections may hold %d KiB", l / 1024,
                              (unsigned) c->caller.uid, connection_ceiling(c) / 1024, CONTROL_ROOT_CONNECTION_MEMORY_MAX / 1024);
                send_error(c, cJSON_GetObjectItemCaseSensitive(r, "id"), &err);
                return -EFBIG;
        }
        return connection_enqueue(c, text);
}

/* Answers one request line (without its '\n'); passed_fd (owned, closed here) and passed say what
 * descriptors came with it. */
static void handle_line(Connection *c, const char *line, size_t len, int passed_fd, OpFd passed) {
        _cleanup_close_ int pfd = passed_fd;
        bool ok;
        int op;

        _cleanup_(cJSON_Deletep) cJSON *r = control_request_answer(c->owner->manager, &c->caller, line, len, passed,
                                                                    pfd, &ok, &op);
        if (!r)
                return;
        if (!ok) {
                (void) connection_send_json(c, r);
                return;
        }
        (void) connection_send_reply(c, r);
        if (op == OP_SUBSCRIBE)
                c->subscribed = true;
}

/* True while the clients' budget for this window lasts. */
static bool budget_left(ControlSocket *s, usec_t now) {
        if (now >= s->window_end) {
                s->window_end = now + CONTROL_BUDGET_WINDOW_USEC;
                s->spent_usec = 0;
        }
        return s->spent_usec < CONTROL_BUDGET_USEC;
}

/* Past the budget: nothing is served until the window ends. */
static void budget_pause(ControlSocket *s) {
        (void) sd_event_source_set_enabled(s->serve, SD_EVENT_OFF);
        (void) sd_event_source_set_time(s->resume, s->window_end);
        (void) sd_event_source_set_enabled(s->resume, SD_EVENT_ONESHOT);
}

/* A line over the limit: answered too-large, and the connection ends. */
static void connection_refuse_long_line(Connection *c) {
        OpsError err = {};
        ops_error_set(&err, OPS_ERROR_TOO_LARGE, "the request line is longer than %d bytes, which no request needs; "
                    "closing the connection", CONTROL_LINE_MAX);
        log_notice("Control socket client (pid %d, uid %u) sent a request line over %d bytes; answered too-large "
                   "and closed the connection", (int) c->caller.pid, (unsigned) c->caller.uid, CONTROL_LINE_MAX);
        c->rlen = 0;
        c->eof = true;
        send_error(c, NULL, &err);
}

static void connection_serve_lines(Connection *c);

/* Answers the connection's whole request lines, at most CONTROL_REQUESTS_PER_TURN of them and only
 * while the budget lasts and its replies are read; what is left waits in the queue for a later turn.
 * False when the connection ended (it is freed then). */
static bool connection_serve(Connection *c) {
        c->busy = true; /* a reply may drop it: it is freed below, not under our feet */
        connection_serve_lines(c);
        c->busy = false;
        if (c->dead) {
                connection_free(c);
                return false;
        }
        return connection_update_events(c);
}

static void connection_serve_lines(Connection *c) {
        ControlSocket *s = c->owner;
        size_t start = 0;
        unsigned served = 0;
        usec_t now = now_usec(CLOCK_MONOTONIC);
        bool privileged = c->caller.uid == 0; /* root is not held to the budget: it could stop us anyway */

        wait_queue_remove(c);
        for (;;) {
                if (c->dead)
                        return;
                /* an idle connection holds no buffer: rbuf is NULL then, and memchr() must not see it */
                char *nl = c->rlen > start ? memchr(c->rbuf + start, '\n', c->rlen - start) : NULL;
                if (!nl)
                        break;
                if (served == CONTROL_REQUESTS_PER_TURN || connection_unsent(c) >= CONTROL_QUEUE_PAUSE ||
                    (!privileged && !budget_left(s, now)))
                        break;
                OpFd passed = OP_FD_NONE;
                int pfd = -1;
                if (c->passed != OP_FD_NONE && (size_t) (nl - c->rbuf) >= c->passed_at)
                        pfd = connection_take_passed(c, &passed);
                handle_line(c, c->rbuf + start, (size_t) (nl - (c->rbuf + start)), pfd, passed);
                start = (size_t) (nl - c->rbuf) + 1;
                served++;
                if (!privileged) {
                        usec_t after = now_usec(CLOCK_MONOTONIC);
                        s->spent_usec += after - now;
                        now = after;
                }
        }
        if (c->dead)
                return;
        if (start > 0)
                memmove(c->rbuf, c->rbuf + start, c->rlen - start);
        c->rlen -= start;
        if (c->passed != OP_FD_NONE)
                c->passed_at -= start; /* its line is not complete yet: it starts at or after start */
        if (connection_has_request(c)) {
                /* Waiting on its own unread replies is not the queue's business: EPOLLOUT resumes it. */
                if (connection_unsent(c) < CONTROL_QUEUE_PAUSE) {
                        wait_queue_push(c);
                        if (!privileged && !budget_left(s, now))
                                budget_pause(s);
                }
        } else if (c->rlen > CONTROL_LINE_MAX)
                connection_refuse_long_line(c);
        else if (c->rlen == 0)
                (void) connection_resize(c, &c->rbuf, &c->rcap, 0); /* an idle client holds no buffer */
}

/* Takes the descriptors that came with the `len` bytes just read (at rbuf[c->rlen]): one for the
 * request line they end in, if the caller may set the policy and it has none waiting; any other is
 * closed at once, unread, and the line is answered with why. */
static void connection_take_fds(Connection *c, int *fds, size_t n, bool truncated, size_t len) {
        ControlSocket *s = c->owner;
        OpsError ignored;
        OpFd what;

        if (n == 0 && !truncated)
                return;
        /* Held only for a caller who may set the policy; the request itself is authorized when served. */
        if (!ops_authorize(s->manager, &c->caller, OP_POLICY_SET, &ignored))
                what = OP_FD_UNAUTHORIZED;
        else if (n != 1 || truncated || c->passed != OP_FD_NONE)
                what = OP_FD_MANY;
        else if (s->n_passed_fds >= CONTROL_PASSED_FDS_MAX)
                what = OP_FD_BUSY;
        else
                what = OP_FD_ONE;
        if (what != OP_FD_ONE) {
                for (size_t i = 0; i < n; i++)
                        close(fds[i]);
                if (c->passed == OP_FD_NONE)
                        c->passed_at = c->rlen + (len > 0 ? len - 1 : 0);
                else {
                        int old = connection_take_passed(c, NULL);
                        if (old >= 0)
                                close(old);
                }
                c->passed = what;
                return;
        }
        c->passed = OP_FD_ONE;
        c->passed_fd = fds[0];
        c->passed_at = c->rlen + (len > 0 ? len - 1 : 0);
        s->n_passed_fds++;
}

/* Reads once: 1 when data came (or nothing yet), 0 at EOF, negative on error or when the buffer may
 * not grow (-ENOBUFS). Descriptors passed along (SCM_RIGHTS) go to connection_take_fds(). */
static int connection_read(Connection *c) {
        if (c->rlen == c->rcap) {
                size_t cap = c->rcap ? c->rcap * 2 : READ_BUFFER_INITIAL;
                if (cap > READ_BUFFER_MAX)
                        cap = READ_BUFFER_MAX;
                if (cap == c->rcap) /* a whole line's room and no '\n': connection_serve refuses it */
                        return 1;
                int r = connection_resize(c, &c->rbuf, &c->rcap, cap);
                if (r < 0)
                        return r;
        }
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * READ_FDS_MAX)];
        } control = {};
        struct iovec iov = { .iov_base = c->rbuf + c->rlen, .iov_len = c->rcap - c->rlen };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control, .msg_controllen = sizeof control };
        ssize_t k = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (k < 0)
                return errno == EAGAIN || errno == EINTR ? 1 : -errno;

        int fds[READ_FDS_MAX];
        size_t n_fds = 0;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
                        size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                        for (size_t i = 0; i < n; i++) {
                                int fd;
                                memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
                                if (n_fds < READ_FDS_MAX)
                                        fds[n_fds++] = fd;
                                else
                                        close(fd); /* cannot happen: the buffer holds READ_FDS_MAX */
                        }
                }
        if (k == 0) {
                for (size_t i = 0; i < n_fds; i++)
                        close(fds[i]);
                return 0;
        }
        connection_take_fds(c, fds, n_fds, mh.msg_flags & MSG_CTRUNC, (size_t) k);
        c->rlen += (size_t) k;
        return 1;
}

static int on_connection_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Connection *c = userdata;
        bool had_unsent = connection_unsent(c) >= CONTROL_QUEUE_PAUSE;

        c->busy = true;
        if ((revents & EPOLLOUT) && connection_write(c) < 0)
                c->dead = true; /* the client went away: nothing to tell it */
        if (!c->dead && !c->eof && !c->waiting && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
                int r = connection_read(c);
                if (r == 0)
                        /* EOF: what it asked for is still answered, then the connection closes. A half
                         * line it never finished is dropped. */
                        c->eof = true;
                else if (r == -ENOBUFS) {
                        drop_log(c->owner, "Dropping control socket client (pid %d, uid %u): its request would pass "
                                 "what the connections of uid %u or of all users may hold (%d and %d KiB)",
                                 (int) c->caller.pid, (unsigned) c->caller.uid, (unsigned) c->caller.uid,
                                 CONTROL_UID_MEMORY_MAX / 1024, CONTROL_MEMORY_MAX / 1024);
                        c->dead = true;
                } else if (r < 0)
                        c->dead = true;
        }
        c->busy = false;

        if (c->dead) {
                connection_free(c);
                return 0;
        }
        /* New lines, or room again for the replies of lines it sent before. */
        if ((revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) || had_unsent) {
                if (!connection_serve(c))
                        return 0;
        } else if (!connection_update_events(c))
                return 0;
        if (c->eof && (revents & (EPOLLHUP | EPOLLERR)) && connection_unsent(c) > 0)
                connection_drop(c); /* gone both ways: what waits can never be sent */
        return 0;
}

/* The queue's head gets its turn, then goes to the back if it has more. */
static int on_serve(sd_event_source *src, void *userdata) {
        ControlSocket *s = userdata;
        if (s->wait_head)
                connection_serve(s->wait_head);
        return 0;
}

static int on_resume(sd_event_source *src, uint64_t usec, void *userdata) {
        ControlSocket *s = userdata;
        if (s->wait_head)
                (void) sd_event_source_set_enabled(s->serve, SD_EVENT_ON);
        return 0;
}

/* Takes the accepted fd cfd as a client: 0, or negative when it is refused (cfd then closed). */
static int connection_new(ControlSocket *s, int cfd) {
        struct ucred cred;
        socklen_t l = sizeof cred;
        if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &l) < 0) {
                log_warning_errno(errno, "Failed to read the credentials of a control socket client: %m; closing it");
                close(cfd);
                return -errno;
        }
        UidUsage *u = uid_usage_get(s, cred.uid);
        if (!u) {
                close(cfd);
                return log_oom();
        }
        u->n_connections++; /* from here on, uid_usage_put gives it back */
        if (u->n_connections > CONTROL_CONNECTIONS_PER_UID_MAX && cred.uid != 0) {
                drop_log(s, "Refusing a control socket connection from uid %u (pid %d): it has %d open already, the "
                         "most one user may have. Look for a client of that user that opens connections without "
                         "closing them", (unsigned) cred.uid, (int) cred.pid, CONTROL_CONNECTIONS_PER_UID_MAX);
                uid_usage_put(s, u);
                close(cfd);
                return -EUSERS;
        }
        Connection *c = calloc(1, sizeof *c);
        if (!c) {
                uid_usage_put(s, u);
                close(cfd);
                return log_oom();
        }
        gid_t groups[CALLER_GROUPS_MAX];
        socklen_t gl = sizeof groups;
        /* Supplementary groups, for the policy's admin_group; a caller with more than fit is
         * judged on its primary group alone (ERANGE). */
        if (getsockopt(cfd, SOL_SOCKET, SO_PEERGROUPS, groups, &gl) < 0)
                gl = 0;
        *c = (Connection) {
                .owner = s,
                .fd = cfd,
                .passed_fd = -1,
                .caller = { .uid = cred.uid, .gid = cred.gid, .pid = cred.pid, .n_groups = gl / sizeof(gid_t) },
                .usage = u,
                .next = s->connections,
        };
        memcpy(c->caller.groups, groups, c->caller.n_groups * sizeof(gid_t));
        if (s->connections)
                s->connections->prev = c;
        s->connections = c;
        s->n_connections++;
        int r = sd_event_add_io(s->event, &c->io, cfd, EPOLLIN, on_connection_io, c);
        if (r < 0) {
                log_warning_errno(r, "Failed to watch a control socket connection: %m; closing it");
                connection_free(c);
                return r;
        }
        (void) sd_event_source_set_priority(c->io, SD_EVENT_PRIORITY_IDLE);
        (void) sd_event_source_set_description(c->io, "control-connection");
        return 0;
}

/* The most connections served at once: CONTROL_CONNECTIONS_MAX, and never more than half the
 * open-file limit, so clients cannot take the descriptors that sampling and killing need. */
static unsigned connections_max(void) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur / 2 >= CONTROL_CONNECTIONS_MAX)
                return CONTROL_CONNECTIONS_MAX;
        return (unsigned) (rl.rlim_cur / 2);
}

static int on_accept_retry(sd_event_source *src, uint64_t usec, void *userdata) {
        ControlSocket *s = userdata;
        (void) sd_event_source_set_enabled(s->io, SD_EVENT_ON);
        return 0;
}

static int on_listen_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        ControlSocket *s = userdata;
        unsigned max = connections_max();

        for (;;) {
                int cfd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (cfd < 0) {
                        if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                                return 0;
                        /* EMFILE and friends: the connection stays queued and the socket readable, so
                         * stop watching it for a while rather than wake again at once. */
                        log_warning_errno(errno, "Failed to accept a control socket connection: %m; not accepting "
                                          "for %u s", (unsigned) (ACCEPT_RETRY_USEC / USEC_PER_SEC));
                        (void) sd_event_source_set_enabled(s->io, SD_EVENT_OFF);
                        (void) sd_event_source_set_time_relative(s->accept_retry, ACCEPT_RETRY_USEC);
                        (void) sd_event_source_set_enabled(s->accept_retry, SD_EVENT_ONESHOT);
                        return 0;
                }
                if (s->n_connections >= max) {
                        drop_log(s, "Refusing a control socket connection: %u are open already, the most pressured "
                                 "serves at once (at most %d, and half the open-file limit). Look for a client that "
                                 "opens connections without closing them", max, CONTROL_CONNECTIONS_MAX);
                        close(cfd);
                        continue;
                }
                (void) connection_new(s, cfd);
        }
}

int control_socket_new(Manager *m, sd_event *e, const char *path, ControlSocket **ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int r;

        if (strlen(path) >= sizeof sa.sun_path)
                return log_error_errno(ENAMETOOLONG, "The control socket path %s is longer than %zu bytes, the limit of "
                                       "AF_UNIX; pass a shorter --runtime-dir", path, sizeof sa.sun_path - 1);
        strcpy(sa.sun_path, path);

        ControlSocket *s = calloc(1, sizeof *s);
        if (!s)
                return log_oom();
        s->manager = m;
        s->event = e;
        s->fd = -1;
        s->path = strdup(path);
        if (!s->path) {
                free(s);
                return log_oom();
        }

        /* A socket file left by a daemon that died; a live one is excluded by the lock taken earlier. */
        if (unlink(path) < 0 && errno != ENOENT) {
                r = log_error_errno(errno, "Failed to remove the stale control socket %s: %m; remove it by hand", path);
                goto fail;
        }
        s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s->fd < 0) {
                r = log_error_errno(errno, "Failed to create the control socket: %m");
                goto fail;
        }
        if (bind(s->fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                r = log_error_errno(errno, "Failed to bind the control socket to %s: %m", path);
                goto fail;
        }
        /* Anyone may connect and read; each request is authorized from SO_PEERCRED. */
        if (chmod(path, 0666) < 0) {
                r = log_error_errno(errno, "Failed to make the control socket %s accessible to all users: %m", path);
                goto fail;
        }
        if (listen(s->fd, SOMAXCONN) < 0) {
                r = log_error_errno(errno, "Failed to listen on the control socket %s: %m", path);
                goto fail;
        }
        r = sd_event_add_io(e, &s->io, s->fd, EPOLLIN, on_listen_io, s);
        if (r < 0) {
                log_error_errno(r, "Failed to watch the control socket %s: %m", path);
                goto fail;
        }
        (void) sd_event_source_set_priority(s->io, SD_EVENT_PRIORITY_IDLE);
        (void) sd_event_source_set_description(s->io, "control-socket");
        r = sd_event_add_defer(e, &s->serve, on_serve, s);
        if (r >= 0)
                r = sd_event_add_time(e, &s->resume, CLOCK_MONOTONIC, 0, 0, on_resume, s);
        if (r >= 0)
                r = sd_event_add_time(e, &s->accept_retry, CLOCK_MONOTONIC, 0, 0, on_accept_retry, s);
        if (r < 0) {
                log_error_errno(r, "Failed to set up serving the control socket %s: %m", path);
                goto fail;
        }
        (void) sd_event_source_set_enabled(s->serve, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(s->resume, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(s->accept_retry, SD_EVENT_OFF);
        (void) sd_event_source_set_description(s->accept_retry, "control-accept-retry");
        (void) sd_event_source_set_priority(s->serve, SD_EVENT_PRIORITY_IDLE);
        (void) sd_event_source_set_description(s->serve, "control-serve");
        (void) sd_event_source_set_description(s->resume, "control-budget");
        log_debug("Control socket listening on %s", path);
        *ret = s;
        return 0;

fail:
        control_socket_free(s);
        return r;
}

ControlSocket *control_socket_free(ControlSocket *s) {
        if (!s)
                return NULL;
        while (s->connections)
                connection_free(s->connections);
        sd_event_source_disable_unref(s->io);
        sd_event_source_disable_unref(s->serve);
        sd_event_source_disable_unref(s->resume);
        sd_event_source_disable_unref(s->accept_retry);
        if (s->fd >= 0) {
                close(s->fd);
                (void) unlink(s->path);
        }
        free(s->path);
        free(s);
        return NULL;
}

void control_socket_broadcast(ControlSocket *s, const Event *e) {
        if (!s || !e)
                return;
        _cleanup_(cJSON_Deletep) cJSON *event = NULL;
        _cleanup_free_ char *text = NULL;
        for (Connection *c = s->connections, *next; c; c = next) {
                next = c->next;
                if (!c->subscribed || c->dead)
                        continue;
                if (!text) {
                        event = event_to_json(e);
                        if (!event) /* no JSON form (the D-Bus objects' alone), or out of memory */
                                return;
                        if (!(text = json_print_utf8(event, false))) {
                                log_oom();
                                return;
                        }
                }
                (void) connection_enqueue(c, text);
        }
}
