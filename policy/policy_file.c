/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "policy_file.h"
#include "policy_limits.h"

/* What a file that is not a regular file is, for "... is a FIFO, not a regular file". */
static const char *file_type_name(mode_t mode) {
        if (S_ISDIR(mode))
                return "a directory";
        if (S_ISFIFO(mode))
                return "a FIFO";
        if (S_ISCHR(mode))
                return "a character device";
        if (S_ISBLK(mode))
                return "a block device";
        if (S_ISSOCK(mode))
                return "a socket";
        return "a special file";
}

/* Opens a policy file for reading: without blocking (a FIFO with no writer would hang the open),
 * and only a regular file. Standard input ("-") is taken as it is: a pipe is what it usually is. */
static int open_policy_file(const char *path, char *errbuf, size_t errlen) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        if (streq(path, "-")) {
                fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
                if (fd < 0) {
                        r = -errno;
                        snprintf(errbuf, errlen, "<stdin>: cannot read the policy: %s", strerror(-r));
                        return r;
                }
                return TAKE_FD(fd);
        }

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &st) < 0) {
                r = -errno;
                snprintf(errbuf, errlen, "%s: cannot %s the policy file: %s", path, fd < 0 ? "open" : "read", strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                snprintf(errbuf, errlen, "%s is %s, not a regular file: give a policy file", path, file_type_name(st.st_mode));
                return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
        }
        if ((uintmax_t) st.st_size > POLICY_MAX_BYTES) {
                snprintf(errbuf, errlen, "%s: the policy file is %jd bytes, more than the limit of " POLICY_MAX_BYTES_TEXT
                         " (POLICY_MAX_BYTES); a policy is a few KiB: is it the right file?", path, (intmax_t) st.st_size);
                return -EFBIG;
        }
        return TAKE_FD(fd);
}

/* Reads fd to its end, at most POLICY_MAX_BYTES, into a NUL-terminated malloc'd string. */
static int read_all_fd(int fd, char **ret, size_t *ret_size) {
        size_t size = 0, cap = 4096;
        _cleanup_free_ char *buf = malloc(cap);

        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k;

                if (size + 1 >= cap) {
                        char *n;

                        if (cap > POLICY_MAX_BYTES)
                                return -EFBIG;
                        cap *= 2;
                        n = realloc(buf, cap);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                }
                k = read(fd, buf + size, cap - 1 - size);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                size += (size_t) k;
        }
        if (size > POLICY_MAX_BYTES)
                return -EFBIG;
        buf[size] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_size = size;
        return 0;
}

int policy_file_read(const char *path, char **ret, char *errbuf, size_t errlen) {
        const char *name = streq(path, "-") ? "<stdin>" : path;
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -1;
        const char *nul;
        size_t size = 0;
        int r;

        fd = open_policy_file(path, errbuf, errlen);
        if (fd < 0)
                return fd;
        r = read_all_fd(fd, &text, &size);
        if (r == -EFBIG) {
                snprintf(errbuf, errlen, "%s: the policy is larger than the limit of " POLICY_MAX_BYTES_TEXT
                         " (POLICY_MAX_BYTES); a policy is a few KiB: is it the right file?", name);
                return r;
        }
        if (r < 0) {
                snprintf(errbuf, errlen, "%s: cannot read the policy file: %s", name, strerror(-r));
                return r;
        }
        nul = memchr(text, '\0', size);
        if (nul) {
                snprintf(errbuf, errlen, "%s: a NUL byte at byte %zu: a policy is JSON text; is this the right file?",
                         name, (size_t) (nul - text));
                return -EBADMSG;
        }
        *ret = TAKE_PTR(text);
        return 0;
}
