/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The one way the daemon reads a clock. CLOCK_MONOTONIC for deadlines and intervals (the policy
 * engine's Snapshot.now), CLOCK_REALTIME for what people read (history, events, journal). */

#include <time.h>

#include "policy/sample.h"

static inline usec_t now_usec(clockid_t clock) {
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}
