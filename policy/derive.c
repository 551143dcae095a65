/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "derive.h"

/* Pages per second between two readings of a cumulative counter; 0 when the interval is empty
 * or the counter went backwards (a reset, or a recreated cgroup). */
static double counter_rate(uint64_t prev, uint64_t cur, usec_t prev_time, usec_t now) {
        if (cur < prev || now <= prev_time)
                return 0.0;
        return (double) (cur - prev) * (double) USEC_PER_SEC / (double) (now - prev_time);
}

void derive_cgroup(CGroupSample *cur, const CGroupSample *prev, usec_t prev_time, usec_t now) {
        bool both_stat;

        if (prev && prev->inode != cur->inode)
                prev = NULL; /* a recreated cgroup starts over */

        cur->average_usage = prev
                ? (prev->average_usage * (GROWTH_DECAY - 1.0) + (double) cur->memory_current) / GROWTH_DECAY
                : (double) cur->memory_current;
        cur->growth = cur->average_usage > 0 ? (double) cur->memory_current / cur->average_usage : 1.0;

        both_stat = prev && (cur->fields & CG_MEMORY_STAT) && (prev->fields & CG_MEMORY_STAT);
        cur->pgscan_rate = both_stat ? counter_rate(prev->pgscan, cur->pgscan, prev_time, now) : 0.0;
        if (both_stat && cur->pgscan > prev->pgscan)
                cur->last_pgscan_usec = now;
        else
                cur->last_pgscan_usec = prev ? prev->last_pgscan_usec : 0;

        /* A per-cgroup approximation of the kernel's effective protection: the kernel also caps
         * a child's protection by what its parent distributes, which needs the whole tree. */
        if (cur->fields & CG_MEMORY_PROTECT) {
                uint64_t declared = cur->memory_min > cur->memory_low ? cur->memory_min : cur->memory_low;
                cur->protection = declared < cur->memory_current ? declared : cur->memory_current;
        } else
                cur->protection = 0;
        cur->effective_usage = cur->memory_current - cur->protection;
}

void derive_system(SystemSample *cur, const SystemSample *prev, usec_t prev_time, usec_t now) {
        bool both = prev && cur->vmstat.valid && prev->vmstat.valid;

        cur->pgscan_rate = both ? counter_rate(prev->vmstat.pgscan, cur->vmstat.pgscan, prev_time, now) : 0.0;
        if (both && cur->vmstat.pgscan > prev->vmstat.pgscan)
                cur->last_pgscan_usec = now;
        else
                cur->last_pgscan_usec = prev ? prev->last_pgscan_usec : 0;
}
