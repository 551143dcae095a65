/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The few helpers every module uses: cleanup attributes, ownership transfer, array size. */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Takes ownership out of a cleanup variable: `*ret = TAKE_PTR(p);` */
#define TAKE_PTR(p) ({ __typeof__(p) _p_ = (p); (p) = NULL; _p_; })
#define TAKE_FD(fd) ({ int _fd_ = (fd); (fd) = -1; _fd_; })

static inline void freep(void *p) { free(*(void **) p); }
static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Defines `static inline void NAMEp(T **p)` calling NAME(*p), for _cleanup_(). */
#define DEFINE_POINTER_CLEANUP(type, func)              \
        static inline void func##p(type **p) {          \
                if (*p)                                 \
                        func(*p);                       \
        }

#define streq(a, b) (strcmp((a), (b)) == 0)

/* Whole-number tests and rounding for the numbers of policies and requests, without libm: a shared
 * library the daemon would map for three functions, and whose pages count in its RSS. */
/* A string for a log line or a reply: "n/a" for NULL. */
static inline const char *strna(const char *s) {
        return s ? s : "n/a";
}

static inline bool double_is_whole(double d) {
        if (d != d)
                return false;
        if (d >= 0x1p52 || d <= -0x1p52)
                return d - d == 0; /* every finite double this large is whole; infinity less itself is NaN */
        return d == (double) (int64_t) d;
}

/* d rounded to the nearest whole number, halves up; for 0 <= d < 2^64. */
static inline uint64_t double_round_unsigned(double d) {
        return (uint64_t) (d + 0.5);
}
