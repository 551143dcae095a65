/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "candidate.h"
#include "kill_list.h"
#include "pick.h"

static uint64_t entry_min_memory(const KillListEntry *e, const Snapshot *s) {
        return e->has_min_memory ? amount_resolve(&e->min_memory, s->system.meminfo.mem_total) : 0;
}

static bool entry_pressure_met(const KillListEntry *e, double pressure) {
        return !e->has_min_pressure || pressure >= e->min_pressure;
}

/* A path entry: the largest matching cgroup that may die and meets the criteria (and, when a
 * process must die, holds one that may). */
static bool pick_by_path(const Policy *p, const Snapshot *s, const KillListEntry *e, bool want_process, KillListPick *ret) {
        uint64_t floor = entry_min_memory(e, s), best_memory = 0;
        const CGroupSample *best = NULL;
        ssize_t best_proc = -1;

        for (size_t i = 0; i < s->n_cgroups; i++) {
                const CGroupSample *cg = &s->cgroups[i];
                uint64_t mem;
                ssize_t proc = -1;

                if (!pattern_match(&e->pattern, cg->path, NULL) || !cgroup_may_die(p, s, cg))
                        continue;
                mem = cgroup_memory(s, cg, false);
                if (mem < floor || !entry_pressure_met(e, cgroup_memory_full_avg10(s, cg)))
                        continue;
                if (best && (mem < best_memory || (mem == best_memory && strcmp(cg->path, best->path) > 0)))
                        continue;
                if (want_process) {
                        proc = engine_pick_process(p, s, s->procs, s->n_procs, cg->path);
                        if (proc < 0)
                                continue;
                }
                best = cg;
                best_memory = mem;
                best_proc = proc;
        }
        if (!best)
                return false;
        ret->cgroup = best;
        ret->proc = best_proc >= 0 ? &s->procs[best_proc] : NULL;
        return true;
}

/* A name entry: the largest process whose comm matches, under system memory pressure. */
static bool pick_by_name(const Policy *p, const Snapshot *s, const KillListEntry *e, KillListPick *ret) {
        uint64_t floor = entry_min_memory(e, s);
        const ProcSample *best = NULL;

        if (!entry_pressure_met(e, cgroup_memory_full_avg10(s, NULL)))
                return false;
        for (size_t i = 0; i < s->n_procs; i++) {
                const ProcSample *proc = &s->procs[i];

                if (!pattern_match(&e->pattern, NULL, proc->comm) || proc->rss < floor)
                        continue;
                if (best && (proc->rss < best->rss || (proc->rss == best->rss && proc->pid > best->pid)))
                        continue;
                if (!process_is_pickable(p, s, proc, NULL))
                        continue;
                best = proc;
        }
        if (!best)
                return false;
        ret->cgroup = NULL;
        ret->proc = best;
        return true;
}

bool kill_list_pick(const Policy *p, const Snapshot *s, bool want_process, KillListPick *ret) {
        for (size_t i = 0; i < p->n_kill_list; i++) {
                const KillListEntry *e = &p->kill_list[i];
                bool found = e->pattern.is_path ? pick_by_path(p, s, e, want_process, ret)
                                                : pick_by_name(p, s, e, ret);
                if (found) {
                        ret->entry = (int) i;
                        return true;
                }
        }
        return false;
}
