/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "candidate.h"
#include "pick.h"

/* Processes rank by (tier desc, rss desc, oom_score desc, pid asc). Negative when a goes first. */
static int process_compare(const ProcSample *a, Preference ta, const ProcSample *b, Preference tb) {
        if (ta != tb)
                return ta > tb ? -1 : 1;
        if (a->rss != b->rss)
                return a->rss > b->rss ? -1 : 1;
        if (a->oom_score != b->oom_score)
                return a->oom_score > b->oom_score ? -1 : 1;
        return (a->pid > b->pid) - (a->pid < b->pid);
}

ssize_t engine_pick_process(const Policy *p, const Snapshot *s, const ProcSample *procs, size_t n, const char *scope) {
        Preference best_tier = PREFERENCE_NONE;
        ssize_t best = -1;

        if (!s || !procs)
                return -1;
        for (size_t i = 0; i < n; i++) {
                Preference tier;

                if (!process_is_pickable(p, s, &procs[i], scope))
                        continue;
                tier = process_tier(p, &procs[i]);
                if (best < 0 || process_compare(&procs[i], tier, &procs[best], best_tier) < 0) {
                        best = (ssize_t) i;
                        best_tier = tier;
                }
        }
        return best;
}
