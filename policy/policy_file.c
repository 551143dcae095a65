/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
                return S_ISDIR(st.st_mode) ? -EISDIR : -ENODEV; /* not a policy problem: the wrong file */
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

/* The seals that make a memfd a fixed text: nobody can write it, grow it or shrink it any more. */
#define POLICY_FD_SEALS (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK)

int policy_fd_read(int fd, const char *what, char **ret, char *errbuf, size_t errlen) {
        _cleanup_free_ char *text = NULL;
        struct stat st;
        size_t size = 0;
        int seals;

        if (fstat(fd, &st) < 0) {
                int r = -errno;
                snprintf(errbuf, errlen, "%s cannot be examined: %s", what, strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                snprintf(errbuf, errlen, "%s is %s, not a sealed memfd: pass the policy in a memfd sealed with "
                         "F_SEAL_WRITE, F_SEAL_GROW and F_SEAL_SHRINK (oomctl policy set does)", what, file_type_name(st.st_mode));
                return -EINVAL;
        }
        /* Only a memfd (shmem) carries seals; a file on disk or a network mount is refused here, before
         * any read that could block on it. */
        seals = fcntl(fd, F_GET_SEALS);
        if (seals < 0 || (seals & POLICY_FD_SEALS) != POLICY_FD_SEALS) {
                snprintf(errbuf, errlen, "%s is %s: pass the policy in a memfd sealed with F_SEAL_WRITE, F_SEAL_GROW "
                         "and F_SEAL_SHRINK (oomctl policy set does), so that it cannot change while it is read",
                         what, seals < 0 ? "not a memfd" : "a memfd without all of F_SEAL_WRITE, F_SEAL_GROW and F_SEAL_SHRINK");
                return -EPERM;
        }
        if (st.st_size < 0 || (uintmax_t) st.st_size > POLICY_MAX_BYTES) {
                snprintf(errbuf, errlen, "%s is %jd bytes, more than the limit of " POLICY_MAX_BYTES_TEXT
                         " (POLICY_MAX_BYTES); a policy is a few KiB: is it the right file?", what, (intmax_t) st.st_size);
                return -EFBIG;
        }
        /* Sealed against growing and shrinking: st_size is the size for good. */
        text = malloc((size_t) st.st_size + 1);
        if (!text) {
                snprintf(errbuf, errlen, "%s: out of memory reading %jd bytes", what, (intmax_t) st.st_size);
                return -ENOMEM;
        }
        while (size < (size_t) st.st_size) {
                ssize_t k = pread(fd, text + size, (size_t) st.st_size - size, (off_t) size);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        int r = k < 0 ? -errno : -EIO;
                        snprintf(errbuf, errlen, "%s cannot be read: %s", what, strerror(-r));
                        return r;
                }
                size += (size_t) k;
        }
        text[size] = '\0';
        const char *nul = memchr(text, '\0', size);
        if (nul) {
                snprintf(errbuf, errlen, "%s: a NUL byte at byte %zu: a policy is JSON text", what, (size_t) (nul - text));
                return -EBADMSG;
        }
        *ret = TAKE_PTR(text);
        return 0;
}

int policy_memfd_new(const char *name, const char *text, size_t len) {
        _cleanup_close_ int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;
        while (len > 0) {
                ssize_t k = write(fd, text, len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return k < 0 ? -errno : -EIO;
                text += k;
                len -= (size_t) k;
        }
        if (fcntl(fd, F_ADD_SEALS, POLICY_FD_SEALS | F_SEAL_SEAL) < 0)
                return -errno;
        return TAKE_FD(fd);
}
