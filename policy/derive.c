/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "derive.h"

/* Pages per second between two readings of a cumulative counter; 0 when the interval is empty
 * or the counter went backwards (a reset, or a recreated cgroup). */
static double counter_rate(uint64_t prev, uint64_t cur, usec_t prev_time, usec_t now) {
        if (cur < prev || now <= prev_time)
                return 0.0;
        return (double) (cur - prev) * (double) USEC_PER_SEC / (double) (now - prev_time);
}

void cgroup_history_derive(CGroupHistory *h, CGroupSample *cur, usec_t now) {
        if (h->inode != cur->inode)
                *h = (CGroupHistory) { .inode = cur->inode }; /* a recreated cgroup starts over */

        /* growth: only a sample that read memory.current moves the average; one that did not
         * reports the average as it stands and no growth, and the next that reads it derives
         * against the last that did */
        if (cur->fields & CG_MEMORY_CURRENT) {
                h->average_usage = h->has_average
                        ? (h->average_usage * (GROWTH_DECAY - 1.0) + (double) cur->memory_current) / GROWTH_DECAY
                        : (double) cur->memory_current;
                h->has_average = true;
                cur->average_usage = h->average_usage;
                cur->growth = cur->average_usage > 0 ? (double) cur->memory_current / cur->average_usage : 1.0;
        } else {
                cur->average_usage = h->has_average ? h->average_usage : 0.0;
                cur->growth = 1.0;
        }

        /* pgscan's rate spans from the last sample that read memory.stat */
        cur->pgscan_rate = 0.0;
        if (cur->fields & CG_MEMORY_STAT) {
                if (h->has_pgscan) {
                        cur->pgscan_rate = counter_rate(h->pgscan, cur->pgscan, h->pgscan_usec, now);
                        if (cur->pgscan > h->pgscan)
                                h->last_pgscan_usec = now - h->pgscan_usec <= PGSCAN_EXACT_SPAN_USEC ? now : h->pgscan_usec;
                }
                h->pgscan = cur->pgscan;
                h->pgscan_usec = now;
                h->has_pgscan = true;
        }
        cur->last_pgscan_usec = h->last_pgscan_usec;

        /* A per-cgroup approximation of the kernel's effective protection: the kernel also caps
         * a child's protection by what its parent distributes, which needs the whole tree. */
        if (cur->fields & CG_MEMORY_PROTECT) {
                uint64_t declared = cur->memory_min > cur->memory_low ? cur->memory_min : cur->memory_low;
                cur->protection = declared < cur->memory_current ? declared : cur->memory_current;
        } else
                cur->protection = 0;
        cur->effective_usage = cur->memory_current - cur->protection;
}

void derive_cgroup(CGroupSample *cur, const CGroupSample *prev, usec_t prev_time, usec_t now) {
        CGroupHistory h = { .inode = cur->inode };

        if (prev)
                h = (CGroupHistory) {
                        .inode = prev->inode,
                        .average_usage = prev->average_usage,
                        .has_average = true,
                        .pgscan = prev->pgscan,
                        .pgscan_usec = prev_time,
                        .has_pgscan = prev->fields & CG_MEMORY_STAT,
                        .last_pgscan_usec = prev->last_pgscan_usec,
                };
        cgroup_history_derive(&h, cur, now);
}

void derive_system(SystemSample *cur, const SystemSample *prev, usec_t prev_time, usec_t now) {
        bool both = prev && cur->vmstat.valid && prev->vmstat.valid;

        cur->pgscan_rate = both ? counter_rate(prev->vmstat.pgscan, cur->vmstat.pgscan, prev_time, now) : 0.0;
        if (both && cur->vmstat.pgscan > prev->vmstat.pgscan)
                cur->last_pgscan_usec = now;
        else
                cur->last_pgscan_usec = prev ? prev->last_pgscan_usec : 0;
}
