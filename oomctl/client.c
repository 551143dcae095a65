/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "macro.h"
#include "policy_file.h"
#include "protocol.h"

struct Client {
        int fd;
        FILE *in;   /* buffered reader over a dup of fd; writes go straight to fd */
};

int client_connect(const char *socket_path, Client **ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1, rfd = -1;

        if (strlen(socket_path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, socket_path);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return -errno;

        struct timeval tv = { .tv_sec = CLIENT_REPLY_TIMEOUT_SEC };
        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
                return -errno;

        rfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (rfd < 0)
                return -errno;
        Client *c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->in = fdopen(rfd, "re");
        if (!c->in) {
                int r = -errno;
                free(c);
                return r;
        }
        rfd = -1;
        c->fd = TAKE_FD(fd);
        *ret = c;
        return 0;
}

Client *client_free(Client *c) {
        if (!c)
                return NULL;
        if (c->in)
                fclose(c->in);
        if (c->fd >= 0)
                close(c->fd);
        free(c);
        return NULL;
}

int client_wait_forever(Client *c) {
        struct timeval tv = { 0 };
        if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
                return -errno;
        return 0;
}

static int send_all(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EPIPE ? -ECONNRESET : -errno;
                }
                buf += n;
                len -= (size_t) n;
        }
        return 0;
}

int client_read_line(Client *c, char **ret) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;

        errno = 0;
        n = getline(&line, &cap, c->in);
        if (n < 0) {
                int r = errno;
                free(line);
                if (r == EAGAIN || r == EWOULDBLOCK)
                        return -ETIMEDOUT;
                return r ? -r : -ECONNRESET;
        }
        if (n > 0 && line[n - 1] == '\n')
                line[n - 1] = '\0';
        else {
                /* A line cut off by the end of the stream is not a reply. */
                free(line);
                return -ECONNRESET;
        }
        *ret = line;
        return 0;
}

static void copy_string(char *dst, size_t size, const cJSON *item) {
        const char *s = cJSON_GetStringValue(item);
        snprintf(dst, size, "%s", s ? s : "");
}

/* Sends the first bytes of buf with fd attached (SCM_RIGHTS), as far as one sendmsg() takes them;
 * returns how many went, or negative errno. */
static ssize_t send_with_fd(int sock, const char *buf, size_t len, int fd) {
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control, .msg_controllen = sizeof control };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof fd);
        for (;;) {
                ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
                if (n >= 0)
                        return n;
                if (errno != EINTR)
                        return errno == EPIPE ? -ECONNRESET : -errno;
        }
}

/* A policy-set request with "policy" becomes {"op":"policy-set","policy_fd":true,...} and a sealed
 * memfd holding the document: a policy of any size up to POLICY_MAX_BYTES, where a request line
 * holds at most CONTROL_LINE_MAX. 0 with *ret_wire (a new object) and *ret_fd, or 0 with both
 * untouched for any other request, or negative errno. */
static int policy_set_as_fd(const cJSON *request, cJSON **ret_wire, int *ret_fd) {
        const char *op = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(request, "op"));
        const cJSON *policy = cJSON_GetObjectItemCaseSensitive(request, "policy");

        if (!op || !streq(op, PROTOCOL_OP_POLICY_SET) || !cJSON_IsObject(policy))
                return 0;
        _cleanup_free_ char *text = cJSON_PrintUnformatted(policy);
        if (!text)
                return -ENOMEM;
        _cleanup_close_ int fd = policy_memfd_new("oomctl-policy", text, strlen(text));
        if (fd < 0)
                return fd;
        cJSON *wire = cJSON_Duplicate(request, true);
        if (!wire)
                return -ENOMEM;
        cJSON_DeleteItemFromObjectCaseSensitive(wire, "policy");
        if (!cJSON_AddBoolToObject(wire, "policy_fd", true)) {
                cJSON_Delete(wire);
                return -ENOMEM;
        }
        *ret_wire = wire;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int client_call(Client *c, const cJSON *request, cJSON **ret_result, ClientError *err) {
        _cleanup_free_ char *text = NULL, *line = NULL;
        _cleanup_close_ int fd = -1;
        cJSON *wire = NULL;
        int r;

        r = policy_set_as_fd(request, &wire, &fd);
        if (r < 0)
                return r;
        text = cJSON_PrintUnformatted(wire ? wire : request);
        cJSON_Delete(wire);
        if (!text)
                return -ENOMEM;
        size_t len = strlen(text);
        text[len] = '\n'; /* the line with its newline, in one piece: the descriptor goes with it */
        const char *p = text;
        if (fd >= 0) {
                /* len + 1 bytes: the '\n' overwrote the NUL, which nobody reads any more */
                ssize_t n = send_with_fd(c->fd, p, len + 1, fd);
                if (n < 0)
                        return (int) n;
                p += n;
                len = len + 1 - (size_t) n;
                r = len > 0 ? send_all(c->fd, p, len) : 0;
        } else
                r = send_all(c->fd, p, len + 1);
        if (r < 0)
                return r;

        r = client_read_line(c, &line);
        if (r < 0)
                return r;

        cJSON *reply = cJSON_Parse(line);
        if (!cJSON_IsObject(reply)) {
                cJSON_Delete(reply);
                return -EBADMSG;
        }
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(reply, "ok");
        if (cJSON_IsTrue(ok)) {
                cJSON *result = cJSON_DetachItemFromObjectCaseSensitive(reply, "result");
                cJSON_Delete(reply);
                *ret_result = result ? result : cJSON_CreateObject();
                return *ret_result ? 0 : -ENOMEM;
        }
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(reply, "error");
        if (!cJSON_IsFalse(ok) || !cJSON_IsObject(e)) {
                cJSON_Delete(reply);
                return -EBADMSG;
        }
        copy_string(err->code, sizeof err->code, cJSON_GetObjectItemCaseSensitive(e, "code"));
        copy_string(err->message, sizeof err->message, cJSON_GetObjectItemCaseSensitive(e, "message"));
        copy_string(err->path, sizeof err->path, cJSON_GetObjectItemCaseSensitive(e, "path"));
        cJSON_Delete(reply);
        return 1;
}
