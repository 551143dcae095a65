/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What the benchmark's workload and neighbours share: a sleep that survives signals, the parsing of
 * their positive whole-number arguments, and memory taken and touched a MiB block at a time. */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

#define BLOCK_BYTES (1024 * 1024)

/* `mib` blocks of 1 MiB, each written once so that it is resident; a failed mmap is retried (the
 * memory comes free as the contender acts). NULL when the block table itself cannot be had. */
static inline char **blocks_new(long mib) {
        char **blocks = calloc((size_t) mib, sizeof *blocks);
        if (!blocks)
                return NULL;
        for (long i = 0; i < mib;) {
                char *p = mmap(NULL, BLOCK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED) {
                        sleep_s(0.1);
                        continue;
                }
                memset(p, 0x5a, BLOCK_BYTES);
                blocks[i++] = p;
        }
        return blocks;
}
