/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What the benchmark's workload and neighbours share: a sleep that survives signals, and the
 * parsing of their positive whole-number arguments. */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

static inline void sleep_s(double s) {
        struct timespec ts = { (time_t) s, (long) ((s - (double) (time_t) s) * 1e9) };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static inline bool parse_positive(const char *s, long *ret) {
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v <= 0)
                return false;
        *ret = v;
        return true;
}
