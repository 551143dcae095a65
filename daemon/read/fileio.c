/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading small kernel files through a directory fd, and the scanning helpers the parsers share.
 * procfs and cgroupfs files are generated on read: their size is unknown (st_size is 0), a read may
 * return less than the whole file, and only a read returning 0 proves the end.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "read/fileio.h"
#include "policy/macro.h"

/* Reads up to size bytes of fd; returns the count, or -EFBIG when more data follows. */
static ssize_t read_all(int fd, char *buf, size_t size) {
        size_t n = 0;

        for (;;) {
                ssize_t k;

                if (n == size) {
                        char extra;

                        /* full: one more byte tells "exactly fits" from "too small" */
                        do
                                k = read(fd, &extra, 1);
                        while (k < 0 && errno == EINTR);
                        if (k < 0)
                                return -errno;
                        return k == 0 ? (ssize_t) n : -EFBIG;
                }

                k = read(fd, buf + n, size - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return n;
                n += k;
        }
}

ssize_t read_file_at(int dirfd, const char *name, char *buf, size_t size) {
        _cleanup_close_ int fd = -1;
        ssize_t n;

        if (!buf || size == 0)
                return -EINVAL;

        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        /* keep one byte for the NUL: the parsers take C strings */
        n = read_all(fd, buf, size - 1);
        if (n < 0)
                return n;
        buf[n] = 0;
        return n;
}

#define READ_GROW_MAX (16u * 1024u * 1024u) /* no kernel text file we read comes near; a bound against a runaway fixture */

/* A buffer of at least 4096 bytes in *buf (size in *size). 0 or -ENOMEM. */
static int buffer_ensure(char **buf, size_t *size) {
        if (*buf && *size >= 2)
                return 0;
        char *b = malloc(4096);
        if (!b)
                return -ENOMEM;
        free(*buf);
        *buf = b;
        *size = 4096;
        return 0;
}

/* Doubles the buffer, up to READ_GROW_MAX: 0, -EFBIG or -ENOMEM. */
static int buffer_double(char **buf, size_t *size) {
        if (*size >= READ_GROW_MAX)
                return -EFBIG;
        char *b = realloc(*buf, *size * 2);
        if (!b)
                return -ENOMEM;
        *buf = b;
        *size *= 2;
        return 0;
}

ssize_t read_file_at_grow(int dirfd, const char *name, char **buf, size_t *size) {
        _cleanup_close_ int fd = -1;
        int r = buffer_ensure(buf, size);

        if (r < 0)
                return r;
        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        for (;;) {
                ssize_t n = read_all(fd, *buf, *size - 1);

                if (n >= 0) {
                        (*buf)[n] = 0;
                        return n;
                }
                if (n != -EFBIG)
                        return n;

                /* too small: double it and read again from the start, since a generated file
                 * is rendered afresh and the byte read_all() peeked at is lost */
                r = buffer_double(buf, size);
                if (r < 0)
                        return r;
                if (lseek(fd, 0, SEEK_SET) < 0) {
                        int fd2 = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                        if (fd2 < 0)
                                return -errno;
                        close(fd);
                        fd = fd2;
                }
        }
}

/* One read (a pread from offset 0 when `positional`) into buf, NUL-terminated. Returns its length,
 * -EFBIG when it filled the buffer (there may be more), or negative errno. */
static ssize_t read_once(int fd, char *buf, size_t size, bool positional) {
        ssize_t n;

        do
                n = positional ? pread(fd, buf, size - 1, 0) : read(fd, buf, size - 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if ((size_t) n >= size - 1)
                return -EFBIG;
        buf[n] = 0;
        return n;
}

ssize_t pread_file_grow(int fd, char **buf, size_t *size) {
        for (;;) {
                ssize_t n;
                int r = buffer_ensure(buf, size);

                if (r < 0)
                        return r;
                n = read_once(fd, *buf, *size, true);
                if (n != -EFBIG)
                        return n;
                /* filled the buffer: maybe more; read it all again into a larger one */
                r = buffer_double(buf, size);
                if (r < 0)
                        return r;
        }
}

ssize_t read_small_file_at(int dirfd, const char *name, char **buf, size_t *size) {
        _cleanup_close_ int fd = -1;
        ssize_t n;

        if (!*buf || *size < 2)
                return read_file_at_grow(dirfd, name, buf, size);

        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        n = read_once(fd, *buf, *size, false);
        if (n != -EFBIG)
                return n;
        /* filled the buffer: maybe more, do it the careful way */
        return read_file_at_grow(dirfd, name, buf, size);
}

int scan_u64(const char **p, uint64_t *ret) {
        const char *s = *p;
        uint64_t v = 0;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        for (; *s >= '0' && *s <= '9'; s++) {
                if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t) (*s - '0'), &v))
                        return -ERANGE;
        }
        *p = s;
        *ret = v;
        return 0;
}

int scan_int(const char **p, int *ret) {
        const char *s = *p;
        bool negative = false;
        uint64_t v;
        int r;

        if (*s == '-') {
                negative = true;
                s++;
        }
        r = scan_u64(&s, &v);
        if (r < 0)
                return r;
        if (v > (uint64_t) INT_MAX + (negative ? 1 : 0))
                return -ERANGE;
        *ret = negative ? (int) -(int64_t) v : (int) v;
        *p = s;
        return 0;
}

const char *skip_blanks(const char *p) {
        while (*p == ' ' || *p == '\t')
                p++;
        return p;
}

bool at_line_end(const char *p) {
        p = skip_blanks(p);
        if (*p == '\r')
                p++;
        return *p == '\n' || *p == 0;
}

const char *next_line(const char *p) {
        p = strchr(p, '\n');
        return p && p[1] ? p + 1 : NULL;
}

int kib_to_bytes(uint64_t kib, uint64_t *ret) {
        return __builtin_mul_overflow(kib, 1024, ret) ? -ERANGE : 0;
}

bool token_is(const char *p, size_t len, const char *name) {
        return strlen(name) == len && strncmp(p, name, len) == 0;
}

int scan_line_value(const char *p, bool kib, uint64_t *ret, const char **reason) {
        uint64_t v;
        int r;

        p = skip_blanks(p);
        r = scan_u64(&p, &v);
        if (r < 0)
                return explain(reason, r == -ERANGE ? "a value does not fit in 64 bits"
                                                    : "a value is not a number (the file was cut mid-line?)", r);
        if (kib) {
                p = skip_blanks(p);
                if (strncmp(p, "kB", 2) != 0 || !at_line_end(p + 2))
                        return explain(reason, "a value lacks its \"kB\" unit (the file was cut mid-line?)", -EINVAL);
                if (kib_to_bytes(v, &v) < 0)
                        return explain(reason, "a value in kB overflows 64 bits in bytes", -ERANGE);
        } else if (!at_line_end(p))
                return explain(reason, "a value has trailing garbage", -EINVAL);
        *ret = v;
        return 0;
}
