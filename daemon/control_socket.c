/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../policy/macro.h"
#include "control_socket.h"
#include "log.h"
#include "operations.h"

/* The read buffer starts small and grows to one whole line: most requests are a few dozen bytes. */
#define READ_BUFFER_INITIAL 4096
#define READ_BUFFER_MAX (CONTROL_LINE_MAX + 1) /* the longest line and its '\n' */

typedef struct Connection Connection;

struct Connection {
        ControlSocket *owner;
        Connection *prev, *next;
        int fd;
        sd_event_source *io;
        Caller caller;
        char *rbuf;
        size_t rlen, rcap;
        char *wbuf;
        size_t woff, wlen, wcap;  /* unsent bytes are wbuf[woff..wlen) */
        bool subscribed;
        bool closing;             /* read no more; close once the queue is sent */
        bool dead;                /* drop as soon as no callback of ours is using it */
        bool busy;                /* inside its own io callback */
};

struct ControlSocket {
        Manager *manager;
        sd_event *event;
        int fd;
        sd_event_source *io;
        char *path;
        Connection *connections;
        unsigned n_connections;
};

DEFINE_POINTER_CLEANUP(cJSON, cJSON_Delete);

static void connection_free(Connection *c) {
        ControlSocket *s = c->owner;
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
        free(c->rbuf);
        free(c->wbuf);
        free(c);
}

/* Drops the client now, or when its own callback returns (the callback still uses it). */
static void connection_drop(Connection *c) {
        c->dead = true;
        if (!c->busy)
                connection_free(c);
}

static void connection_update_events(Connection *c) {
        uint32_t events = (c->closing ? 0 : EPOLLIN) | (c->wlen > c->woff ? EPOLLOUT : 0);
        if (events == 0) { /* closing and everything sent */
                connection_drop(c);
                return;
        }
        (void) sd_event_source_set_io_events(c->io, events);
}

/* Queues text and a '\n'. -ENOBUFS when the client has CONTROL_QUEUE_MAX unsent: it is then dropped. */
static int connection_enqueue(Connection *c, const char *text) {
        size_t l = strlen(text);
        if (c->dead)
                return -ENOBUFS;
        if (c->wlen - c->woff + l + 1 > CONTROL_QUEUE_MAX) {
                log_notice("Dropping control socket client (pid %d, uid %u): %d KiB of replies and events wait unsent, "
                           "it has stopped reading. It may reconnect; a monitor must read its events as they come",
                           (int) c->caller.pid, (unsigned) c->caller.uid, CONTROL_QUEUE_MAX / 1024);
                connection_drop(c);
                return -ENOBUFS;
        }
        if (c->woff > 0 && c->woff == c->wlen)
                c->woff = c->wlen = 0;
        if (c->wlen + l + 1 > c->wcap) {
                if (c->woff > 0) { /* compact before growing */
                        memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
                        c->wlen -= c->woff;
                        c->woff = 0;
                }
                if (c->wlen + l + 1 > c->wcap) {
                        size_t cap = c->wcap ? c->wcap : 4096;
                        while (cap < c->wlen + l + 1)
                                cap *= 2;
                        char *n = realloc(c->wbuf, cap);
                        if (!n) {
                                connection_drop(c);
                                return -ENOMEM;
                        }
                        c->wbuf = n;
                        c->wcap = cap;
                }
        }
        memcpy(c->wbuf + c->wlen, text, l);
        c->wbuf[c->wlen + l] = '\n';
        c->wlen += l + 1;
        connection_update_events(c);
        return 0;
}

static int connection_send_json(Connection *c, const cJSON *o) {
        _cleanup_free_ char *text = cJSON_PrintUnformatted(o);
        if (!text) {
                connection_drop(c);
                return -ENOMEM;
        }
        return connection_enqueue(c, text);
}

static cJSON *reply_new(const cJSON *id) {
        cJSON *r = cJSON_CreateObject();
        if (r)
                cJSON_AddItemToObject(r, "id", id ? cJSON_Duplicate(id, true) : cJSON_CreateNull());
        return r;
}

static void send_error(Connection *c, const cJSON *id, const OpsError *e) {
        _cleanup_(cJSON_Deletep) cJSON *r = reply_new(id);
        if (!r)
                return;
        cJSON_AddBoolToObject(r, "ok", false);
        cJSON *x = cJSON_AddObjectToObject(r, "error");
        if (x) {
                cJSON_AddStringToObject(x, "code", ops_error_code_to_string(e->code));
                cJSON_AddStringToObject(x, "message", e->message);
                if (e->code == OPS_ERROR_INVALID_POLICY)
                        cJSON_AddStringToObject(x, "path", e->path);
        }
        (void) connection_send_json(c, r);
}

/* Takes ownership of result. */
static void send_result(Connection *c, const cJSON *id, cJSON *result) {
        _cleanup_(cJSON_Deletep) cJSON *r = reply_new(id);
        if (!r) {
                cJSON_Delete(result);
                return;
        }
        cJSON_AddBoolToObject(r, "ok", true);
        cJSON_AddItemToObject(r, "result", result);
        (void) connection_send_json(c, r);
}

/* Argument readers: false with *err filled when the argument has the wrong type (or is missing and required). */
static bool arg_string(const cJSON *req, const char *op, const char *key, bool required, const char **ret, OpsError *err) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);
        if (!v || cJSON_IsNull(v)) {
                if (required)
                        return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "%s needs the string argument \"%s\"", op, key);
                *ret = NULL;
                return true;
        }
        if (!cJSON_IsString(v))
                return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "argument \"%s\" of %s must be a string", key, op);
        *ret = v->valuestring;
        return true;
}

static bool arg_bool(const cJSON *req, const char *op, const char *key, bool required, bool *ret, OpsError *err) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);
        if (!v || cJSON_IsNull(v)) {
                if (required)
                        return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "%s needs the boolean argument \"%s\" (true or false)", op, key);
                return true; /* *ret keeps its default */
        }
        if (!cJSON_IsBool(v))
                return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "argument \"%s\" of %s must be true or false", key, op);
        *ret = cJSON_IsTrue(v);
        return true;
}

/* A whole number within [min, max]; *ret keeps its default when absent and not required. */
static bool arg_int(const cJSON *req, const char *op, const char *key, bool required, double min, double max,
                    int64_t *ret, OpsError *err) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);
        if (!v || cJSON_IsNull(v)) {
                if (required)
                        return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "%s needs the number argument \"%s\"", op, key);
                return true;
        }
        if (!cJSON_IsNumber(v) || !double_is_whole(v->valuedouble) || v->valuedouble < min || v->valuedouble > max)
                return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "argument \"%s\" of %s must be a whole number from %.0f to %.0f",
                                   key, op, min, max);
        *ret = (int64_t) v->valuedouble;
        return true;
}

/* Runs one operation for a request object; returns the result or NULL with *err filled. */
static cJSON *dispatch(Connection *c, Op op, const cJSON *req, OpsError *err) {
        Manager *m = c->owner->manager;
        const char *name = op_to_string(op);

        switch (op) {
        case OP_STATUS:
                return ops_status(m, &c->caller, err);
        case OP_KILL_LIST:
                return ops_kill_list(m, &c->caller, err);
        case OP_POLICY_GET:
                return ops_policy_get(m, &c->caller, err);
        case OP_DUMP:
                return ops_dump(m, &c->caller, err);
        case OP_HISTORY: {
                int64_t since = 0;
                if (!arg_int(req, name, "since", false, 0, 9007199254740992.0, &since, err))
                        return NULL;
                return ops_history(m, &c->caller, (uint64_t) since, err);
        }
        case OP_SUBSCRIBE: {
                if (!ops_authorize(m, &c->caller, op, err))
                        return NULL;
                cJSON *o = cJSON_CreateObject();
                if (o)
                        cJSON_AddBoolToObject(o, "subscribed", true);
                else
                        ops_error_set(err, OPS_ERROR_FAILED, "pressured ran out of memory answering this request; try again");
                return o;
        }
        case OP_KILL: {
                const char *target, *reason;
                bool dry_run = false;
                if (!ops_authorize(m, &c->caller, op, err) ||
                    !arg_string(req, name, "target", true, &target, err) ||
                    !arg_string(req, name, "reason", false, &reason, err) ||
                    !arg_bool(req, name, "dry_run", false, &dry_run, err))
                        return NULL;
                return ops_kill(m, &c->caller, target, reason, dry_run, err);
        }
        case OP_KILL_LIST_ADD: {
                const char *pattern;
                char mem[64];
                const char *min_memory = NULL;
                int64_t position = -1;
                bool persist = false;
                double min_pressure = -1;
                if (!ops_authorize(m, &c->caller, op, err) ||
                    !arg_string(req, name, "pattern", true, &pattern, err) ||
                    !arg_int(req, name, "position", false, 0, INT32_MAX, &position, err) ||
                    !arg_bool(req, name, "persist", false, &persist, err))
                        return NULL;
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, "min_memory");
                if (cJSON_IsString(v))
                        min_memory = v->valuestring;
                else if (cJSON_IsNumber(v) && v->valuedouble >= 0 && double_is_whole(v->valuedouble)) {
                        snprintf(mem, sizeof mem, "%.0f", v->valuedouble);
                        min_memory = mem;
                } else if (v && !cJSON_IsNull(v))
                        return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "argument \"min_memory\" of %s must be a size: bytes, "
                                           "or a string such as \"512M\" or \"10%%\"", name), NULL;
                v = cJSON_GetObjectItemCaseSensitive(req, "min_pressure");
                if (cJSON_IsNumber(v) && v->valuedouble >= 0)
                        min_pressure = v->valuedouble;
                else if (v && !cJSON_IsNull(v))
                        return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "argument \"min_pressure\" of %s must be a number "
                                           "from 0 to 100 (memory full avg10, percent)", name), NULL;
                return ops_kill_list_add(m, &c->caller, pattern, min_memory, min_pressure, position, persist, err);
        }
        case OP_KILL_LIST_REMOVE: {
                int64_t index = 0;
                bool persist = false;
                if (!ops_authorize(m, &c->caller, op, err) ||
                    !arg_int(req, name, "index", true, 0, INT32_MAX, &index, err) ||
                    !arg_bool(req, name, "persist", false, &persist, err))
                        return NULL;
                return ops_kill_list_remove(m, &c->caller, index, persist, err);
        }
        case OP_KILL_LIST_MOVE: {
                int64_t from = 0, to = 0;
                bool persist = false;
                if (!ops_authorize(m, &c->caller, op, err) ||
                    !arg_int(req, name, "from", true, 0, INT32_MAX, &from, err) ||
                    !arg_int(req, name, "to", true, 0, INT32_MAX, &to, err) ||
                    !arg_bool(req, name, "persist", false, &persist, err))
                        return NULL;
                return ops_kill_list_move(m, &c->caller, from, to, persist, err);
        }
        case OP_POLICY_SET: {
                bool persist = false;
                if (!ops_authorize(m, &c->caller, op, err) ||
                    !arg_bool(req, name, "persist", false, &persist, err))
                        return NULL;
                const cJSON *p = cJSON_GetObjectItemCaseSensitive(req, "policy");
                if (!cJSON_IsObject(p))
                        return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "policy-set needs the argument \"policy\": "
                                           "the whole policy document as a JSON object"), NULL;
                return ops_policy_set(m, &c->caller, p, persist, err);
        }
        case OP_POLICY_RELOAD:
                return ops_policy_reload(m, &c->caller, err);
        case OP_SET_DRY_RUN: {
                bool dry_run = false;
                if (!ops_authorize(m, &c->caller, op, err) ||
                    !arg_bool(req, name, "dry_run", true, &dry_run, err))
                        return NULL;
                return ops_set_dry_run(m, &c->caller, dry_run, err);
        }
        default:
                break;
        }
        ops_error_set(err, OPS_ERROR_UNKNOWN_OP, "unknown operation");
        return NULL;
}

/* Answers one request line (without its '\n'). */
static void handle_line(Connection *c, const char *line, size_t len) {
        OpsError err = {};
        const char *end = NULL;

        _cleanup_(cJSON_Deletep) cJSON *req = cJSON_ParseWithLengthOpts(line, len, &end, false);
        if (req)
                while (end < line + len && (*end == ' ' || *end == '\t' || *end == '\r'))
                        end++;
        if (!req || end != line + len) {
                ops_error_set(&err, OPS_ERROR_INVALID_REQUEST, "the request is not valid JSON: send one JSON object per line, "
                            "such as {\"op\": \"status\"}");
                send_error(c, NULL, &err);
                return;
        }
        if (!cJSON_IsObject(req)) {
                ops_error_set(&err, OPS_ERROR_INVALID_REQUEST, "the request must be a JSON object such as {\"op\": \"status\"}, "
                            "not an array or a bare value");
                send_error(c, NULL, &err);
                return;
        }
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
        const cJSON *opv = cJSON_GetObjectItemCaseSensitive(req, "op");
        if (!cJSON_IsString(opv)) {
                ops_error_set(&err, OPS_ERROR_INVALID_REQUEST, "the request has no \"op\" string; say what to do, "
                            "e.g. {\"op\": \"status\"}");
                send_error(c, id, &err);
                return;
        }
        int op = op_from_string(opv->valuestring);
        if (op < 0) {
                ops_error_set(&err, OPS_ERROR_UNKNOWN_OP, "unknown op \"%.64s\"; this pressured knows status, kill-list, "
                            "policy-get, history, dump, subscribe, kill, kill-list-add, kill-list-remove, kill-list-move, "
                            "policy-set, policy-reload and set-dry-run", opv->valuestring);
                send_error(c, id, &err);
                return;
        }

        cJSON *result = dispatch(c, op, req, &err);
        if (!result) {
                send_error(c, id, &err);
                return;
        }
        send_result(c, id, result);
        if (op == OP_SUBSCRIBE)
                c->subscribed = true;
}

/* Answers every complete line in the read buffer; a line over the limit ends the connection. */
static void connection_process(Connection *c) {
        size_t start = 0;
        for (;;) {
                if (c->dead || c->closing)
                        return;
                char *nl = memchr(c->rbuf + start, '\n', c->rlen - start);
                if (!nl)
                        break;
                handle_line(c, c->rbuf + start, (size_t) (nl - (c->rbuf + start)));
                start = (size_t) (nl - c->rbuf) + 1;
        }
        memmove(c->rbuf, c->rbuf + start, c->rlen - start);
        c->rlen -= start;
        if (c->rlen > CONTROL_LINE_MAX) {
                OpsError err = {};
                ops_error_set(&err, OPS_ERROR_TOO_LARGE, "the request line is longer than %d bytes, which no request needs; "
                            "closing the connection", CONTROL_LINE_MAX);
                log_notice("Control socket client (pid %d, uid %u) sent a request line over %d bytes; answered too-large "
                           "and closed the connection", (int) c->caller.pid, (unsigned) c->caller.uid, CONTROL_LINE_MAX);
                send_error(c, NULL, &err);
                if (!c->dead) {
                        c->closing = true;
                        connection_update_events(c);
                }
        }
}

static int connection_read(Connection *c) {
        if (c->rlen == c->rcap) {
                size_t cap = c->rcap ? c->rcap * 2 : READ_BUFFER_INITIAL;
                if (cap > READ_BUFFER_MAX)
                        cap = READ_BUFFER_MAX;
                char *n = realloc(c->rbuf, cap);
                if (!n)
                        return -ENOMEM;
                c->rbuf = n;
                c->rcap = cap;
        }
        ssize_t k = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
        if (k < 0)
                return errno == EAGAIN || errno == EINTR ? 1 : -errno;
        if (k == 0)
                return 0;
        c->rlen += (size_t) k;
        connection_process(c);
        return 1;
}

static int connection_write(Connection *c) {
        while (c->wlen > c->woff) {
                ssize_t k = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (k < 0)
                        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
                c->woff += (size_t) k;
        }
        c->woff = c->wlen = 0;
        return 0;
}

static int on_connection_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Connection *c = userdata;
        int r;

        c->busy = true;
        if (revents & EPOLLOUT) {
                r = connection_write(c);
                if (r < 0) /* the client went away: nothing to tell it */
                        c->dead = true;
        }
        if (!c->dead && !c->closing && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
                r = connection_read(c);
                if (r == 0) {
                        /* EOF: what it asked for is still answered, then the connection closes. A half
                         * line it never finished is dropped. */
                        c->closing = true;
                } else if (r < 0)
                        c->dead = true;
        } else if (!c->dead && (revents & (EPOLLHUP | EPOLLERR)) && c->closing)
                c->dead = true;
        c->busy = false;

        if (c->dead)
                connection_free(c);
        else
                connection_update_events(c);
        return 0;
}

static int on_listen_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        ControlSocket *s = userdata;

        for (;;) {
                int cfd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (cfd < 0) {
                        if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                                return 0;
                        /* EMFILE and friends: try again on the next wakeup, do not spin on the log. */
                        log_warning_errno(errno, "Failed to accept a control socket connection: %m; it will be retried");
                        return 0;
                }
                if (s->n_connections >= CONTROL_CONNECTIONS_MAX) {
                        log_warning("Refusing a control socket connection: %d are open already, the most pressured "
                                    "serves at once. Look for a client that opens connections without closing them",
                                    CONTROL_CONNECTIONS_MAX);
                        close(cfd);
                        continue;
                }
                struct ucred cred;
                socklen_t l = sizeof cred;
                if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &l) < 0) {
                        log_warning_errno(errno, "Failed to read the credentials of a control socket client: %m; closing it");
                        close(cfd);
                        continue;
                }
                Connection *c = calloc(1, sizeof *c);
                if (!c) {
                        close(cfd);
                        log_oom();
                        continue;
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
                        .caller = { .uid = cred.uid, .gid = cred.gid, .pid = cred.pid, .n_groups = gl / sizeof(gid_t) },
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
                        continue;
                }
                (void) sd_event_source_set_description(c->io, "control-connection");
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
        (void) sd_event_source_set_description(s->io, "control-socket");
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
        if (s->fd >= 0) {
                close(s->fd);
                (void) unlink(s->path);
        }
        free(s->path);
        free(s);
        return NULL;
}

void control_socket_broadcast(ControlSocket *s, const cJSON *event) {
        if (!s || !event)
                return;
        _cleanup_free_ char *text = NULL;
        for (Connection *c = s->connections, *next; c; c = next) {
                next = c->next;
                if (!c->subscribed || c->dead)
                        continue;
                if (!text && !(text = cJSON_PrintUnformatted(event))) {
                        log_oom();
                        return;
                }
                (void) connection_enqueue(c, text);
        }
}
