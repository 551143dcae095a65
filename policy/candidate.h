/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Candidates: who may be a victim, in which preference tier, and what a cgroup weighs. Small pure
 * predicates over one sample, shared by the detectors, the ranker, the kill list and
 * engine_pick_process(). The daemon uses cgroup_tier() and preference_to_string() to show tiers
 * as the engine sees them.
 */

#include <stdbool.h>
#include <string.h>

#include "macro.h"
#include "pattern.h"
#include "policy_types.h"
#include "sample.h"

/* True when `path` is `prefix` or lies below it on a path boundary ("/a/b" is below "/a", "/ab" is not). */
static inline bool cgroup_path_at_or_below(const char *path, const char *prefix) {
        size_t n;

        if (!path || !prefix)
                return false;
        n = strlen(prefix);
        while (n > 0 && prefix[n - 1] == '/') /* "/a/" is "/a"; "/" becomes "" and covers everything */
                n--;
        return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static inline bool cgroup_path_is_root(const char *path) {
        return path && streq(path, "/");
}

/* The pattern "/" means the whole system, not the root cgroup's (absent) files. */
static inline bool pattern_is_root(const Pattern *p) {
        return p->is_path && cgroup_path_is_root(p->glob);
}

/* Where a memory_reclaim detector reads pgscan (see Detector.reclaim_at). */
static inline const PatternList *detector_reclaim_sources(const Detector *d) {
        return d->reclaim_at.n > 0 ? &d->reclaim_at : &d->cgroups;
}

/* True for our own cgroup and every cgroup above it: killing one of those would kill us. */
static inline bool cgroup_contains_self(const Snapshot *s, const char *path) {
        return s->self_cgroup && cgroup_path_at_or_below(s->self_cgroup, path);
}

/* "omit", "avoid", "prefer", "none": as status and the bus show a cgroup's tier. */
static inline const char *preference_to_string(Preference p) {
        switch (p) {
        case PREFERENCE_OMIT: return "omit";
        case PREFERENCE_AVOID: return "avoid";
        case PREFERENCE_PREFER: return "prefer";
        default: return "none";
        }
}

/* Merges the cgroup's xattr preference with the policy's globs. Omit beats everything; a
 * "prefer" from either source beats an "avoid" from the other, as the owner asked for it explicitly. */
static inline Preference cgroup_tier(const Policy *p, const CGroupSample *cg) {
        if (cg->preference == PREFERENCE_OMIT || (p && pattern_list_match(&p->omit, cg->path, NULL)))
                return PREFERENCE_OMIT;
        if (cg->preference == PREFERENCE_PREFER || (p && pattern_list_match(&p->prefer, cg->path, NULL)))
                return PREFERENCE_PREFER;
        if (cg->preference == PREFERENCE_AVOID || (p && pattern_list_match(&p->avoid, cg->path, NULL)))
                return PREFERENCE_AVOID;
        return PREFERENCE_NONE;
}

/* The same for a process: policy globs on its comm or on its cgroup path. */
static inline Preference process_tier(const Policy *p, const ProcSample *proc) {
        if (!p)
                return PREFERENCE_NONE;
        if (pattern_list_match(&p->omit, proc->cgroup, proc->comm))
                return PREFERENCE_OMIT;
        if (pattern_list_match(&p->prefer, proc->cgroup, proc->comm))
                return PREFERENCE_PREFER;
        if (pattern_list_match(&p->avoid, proc->cgroup, proc->comm))
                return PREFERENCE_AVOID;
        return PREFERENCE_NONE;
}

/* A cgroup that may die at all: not the root, populated (when cgroup.events was read), not
 * omitted, and not ourselves or above us. Memory criteria are the caller's. */
static inline bool cgroup_may_die(const Policy *p, const Snapshot *s, const CGroupSample *cg) {
        if (cgroup_path_is_root(cg->path))
                return false;
        if ((cg->fields & CG_EVENTS) && !cg->populated)
                return false;
        if (cgroup_contains_self(s, cg->path))
                return false;
        return cgroup_tier(p, cg) != PREFERENCE_OMIT;
}

/* A process that may die: never PID 1, kernel threads, ourselves, anything in our cgroup,
 * oom_score_adj -1000 (the kernel's own "never"), what the policy omits, or one already killed and
 * still exiting (another kill would end nothing more); and within `scope` (a cgroup path, NULL =
 * anywhere). */
static inline bool process_is_pickable(const Policy *p, const Snapshot *s, const ProcSample *proc, const char *scope) {
        const char *cg = proc->cgroup ?: "/";

        if (proc->pid <= 1 || proc->kernel_thread || proc->kill_pending)
                return false;
        if (s->self_pid > 0 && proc->pid == s->self_pid)
                return false;
        /* Our cgroup's processes share our fate, unless we sit in the root cgroup (no systemd, a
         * container's init): then "our cgroup" is everything and only our own pid is spared. */
        if (s->self_cgroup && !cgroup_path_is_root(s->self_cgroup) && cgroup_path_at_or_below(cg, s->self_cgroup))
                return false;
        if (proc->oom_score_adj <= -1000)
                return false;
        if (scope && !cgroup_path_at_or_below(cg, scope))
                return false;
        return process_tier(p, proc) != PREFERENCE_OMIT;
}

/* What a cgroup weighs, in bytes: memory.current (or anon). In degraded mode there is no memory
 * controller, so it is the RSS (or anonymous RSS) of the processes at or below it. */
/* The RSS (or anonymous RSS) of the processes at or below cgroup `path`: a cgroup's memory where the
 * memory controller is missing. A process whose cgroup is unknown counts for the root only. */
static inline uint64_t procs_memory_at_or_below(const ProcSample *procs, size_t n_procs, const char *path, bool anon) {
        uint64_t sum = 0;

        for (size_t i = 0; i < n_procs; i++)
                if (cgroup_path_at_or_below(procs[i].cgroup ?: "/", path))
                        sum += anon ? procs[i].rss_anon : procs[i].rss;
        return sum;
}

static inline uint64_t cgroup_memory(const Snapshot *s, const CGroupSample *cg, bool anon) {
        if (!s->degraded || cgroup_path_is_root(cg->path))
                return anon ? cg->anon : cg->memory_current;
        return procs_memory_at_or_below(s->procs, s->n_procs, cg->path, anon);
}

/* Memory full avg10 of a cgroup, or of the system when the cgroup's was not read. */
static inline double cgroup_memory_full_avg10(const Snapshot *s, const CGroupSample *cg) {
        if (cg && (cg->fields & CG_MEMORY_PSI) && cg->mem_psi.full.valid)
                return cg->mem_psi.full.avg10;
        return s->system.mem_psi.full.valid ? s->system.mem_psi.full.avg10 : 0.0;
}
