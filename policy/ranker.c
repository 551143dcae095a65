/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "candidate.h"
#include "macro.h"
#include "ranker.h"

/* One candidate at one level, with everything the ranking order looks at. */
typedef struct Candidate {
        size_t index;       /* into s->cgroups or s->procs */
        int tier;           /* Preference: prefer 1, none 0, avoid -1 */
        int phase;          /* size_or_growth phase 1..3; 0 for other rankers */
        double key, key2;   /* the ranker's keys, larger first */
        const char *path;   /* cgroup candidates: ties go to the smaller path */
        pid_t pid;          /* process candidates: ties go to the smaller pid */
} Candidate;

#define CMP(a, b) (((a) > (b)) - ((a) < (b)))

/* The whole ranking as one lexicographic order: (tier desc, phase asc, key desc, key2 desc,
 * path asc, pid asc). Negative when a ranks before b. */
static int candidate_compare(const Candidate *a, const Candidate *b) {
        int c;

        if ((c = CMP(b->tier, a->tier)) != 0)
                return c;
        if ((c = CMP(a->phase, b->phase)) != 0)
                return c;
        if ((c = CMP(b->key, a->key)) != 0)
                return c;
        if ((c = CMP(b->key2, a->key2)) != 0)
                return c;
        if (a->path && b->path && (c = strcmp(a->path, b->path)) != 0)
                return c;
        return CMP(a->pid, b->pid);
}

/* The position of the best candidate; n > 0. */
static size_t candidate_best(const Candidate *c, size_t n) {
        size_t best = 0;

        for (size_t i = 1; i < n; i++)
                if (candidate_compare(&c[i], &c[best]) < 0)
                        best = i;
        return best;
}

const char *ranker_to_string(RankerType t) {
        static const char *const names[_RANKER_TYPE_MAX] = {
                [RANKER_SIZE_OR_GROWTH] = "size_or_growth",
                [RANKER_SWAP] = "swap",
                [RANKER_PRESSURE] = "pressure",
                [RANKER_PGSCAN] = "pgscan",
        };
        return (unsigned) t < _RANKER_TYPE_MAX ? names[t] : "unknown";
}

static uint64_t swap_threshold(const Action *a, const Snapshot *s) {
        return amount_resolve(&a->swap_threshold, s->system.meminfo.swap_total);
}

/* --- cgroups --- */

/* Eligible for this action at any level: may die, uses memory, and for the swap ranker uses
 * at least the threshold of swap. */
static bool cgroup_is_candidate(const Policy *p, const Action *a, const Snapshot *s, const CGroupSample *cg) {
        if (cg->memory_current == 0 || !cgroup_may_die(p, s, cg))
                return false;
        if (a->ranker == RANKER_SWAP)
                return cg->swap_current > 0 && cg->swap_current >= swap_threshold(a, s);
        return true;
}

/* Fills out[] with the candidates of one level: the cgroups matching a->cgroups when parent is
 * NULL, else parent's children. Returns how many. */
static size_t collect_cgroups(const Policy *p, const Action *a, const Snapshot *s,
                              const CGroupSample *parent, Candidate *out) {
        size_t n = 0;

        for (size_t i = 0; i < s->n_cgroups; i++) {
                const CGroupSample *cg = &s->cgroups[i];
                bool in_level = parent ? cg != parent && cg->parent_inode == parent->inode
                                       : pattern_list_match(&a->cgroups, cg->path, NULL);

                if (!in_level || !cgroup_is_candidate(p, a, s, cg))
                        continue;
                out[n++] = (Candidate) {
                        .index = i,
                        .tier = cgroup_tier(p, cg),
                        .path = cg->path,
                };
        }
        return n;
}

static int compare_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return CMP(x, y);
}

/* The nearest-rank percentile of the candidates' effective usage. */
static int effective_usage_percentile(const Snapshot *s, const Candidate *c, size_t n, uint32_t percentile, uint64_t *ret) {
        _cleanup_free_ uint64_t *v = malloc(n * sizeof(uint64_t));
        size_t rank;

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                v[i] = s->cgroups[c[i].index].effective_usage;
        qsort(v, n, sizeof(uint64_t), compare_u64);
        rank = ((size_t) (percentile > 100 ? 100 : percentile) * n + 99) / 100; /* ceil(percentile% of n) */
        *ret = v[rank > 0 ? rank - 1 : 0];
        return 0;
}

/* Facebook oomd's three phases. 1: the big ones (at least size_threshold of the level's total),
 * by effective usage. 2: the fast growers among the larger ones, by growth. 3: the rest, by
 * effective usage. Unlike oomd, "big" and "growing" count the memory above a candidate's protection
 * (memory.min, memory.low): a workload within its memory.low, which the kernel keeps from reclaim, is
 * not big beside a neighbour that has just freed what it took (a burst between two allocations);
 * oomd ranks it first then, and kills the workload it was told to protect. */
static int key_size_or_growth(const Action *a, const Snapshot *s, Candidate *c, size_t n) {
        uint64_t total = 0, growing_floor;
        int r;

        for (size_t i = 0; i < n; i++)
                total += s->cgroups[c[i].index].memory_current;
        r = effective_usage_percentile(s, c, n, a->growing_size_percentile, &growing_floor);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n; i++) {
                const CGroupSample *cg = &s->cgroups[c[i].index];
                bool big = cg->effective_usage > 0 &&
                           (double) cg->effective_usage * 10000.0 >= (double) a->size_threshold_permyriad * (double) total;
                bool growing = cg->effective_usage > 0 && cg->growth >= a->min_growth_ratio && cg->effective_usage >= growing_floor;

                c[i].phase = big ? 1 : growing ? 2 : 3;
                c[i].key = c[i].phase == 2 ? cg->growth : (double) cg->effective_usage;
        }
        return 0;
}

static void key_cgroup(const Action *a, const CGroupSample *cg, Candidate *c) {
        const PsiLine *some = a->pressure_resource == PSI_RESOURCE_IO ? &cg->io_psi.some : &cg->mem_psi.some;

        switch (a->ranker) {
        case RANKER_SWAP:
                c->key = (double) cg->swap_current;
                break;
        case RANKER_PRESSURE:
                c->key = some->valid ? (some->avg10 + some->avg60) / 2.0 : 0.0;
                break;
        case RANKER_PGSCAN: /* systemd-oomd's order: reclaim rate, then size */
                c->key = cg->pgscan_rate;
                c->key2 = (double) cg->memory_current;
                break;
        case RANKER_SIZE_OR_GROWTH:
        case _RANKER_TYPE_MAX:
                c->key = (double) cg->effective_usage;
                break;
        }
}

/* Ranks one level; returns the winner's position in c[] (n > 0), or -ENOMEM. */
static ssize_t rank_cgroups(const Action *a, const Snapshot *s, Candidate *c, size_t n) {
        if (a->ranker == RANKER_SIZE_OR_GROWTH) {
                int r = key_size_or_growth(a, s, c, n);
                if (r < 0)
                        return r;
        } else
                for (size_t i = 0; i < n; i++)
                        key_cgroup(a, &s->cgroups[c[i].index], &c[i]);
        return (ssize_t) candidate_best(c, n);
}

int ranker_pick_cgroup(const Policy *p, const Action *a, const Snapshot *s, RankOutcome *ret) {
        _cleanup_free_ Candidate *c = NULL;
        const CGroupSample *best;
        ssize_t w;
        size_t n;

        *ret = (RankOutcome) { .index = -1 };
        if (s->n_cgroups == 0)
                return 0;
        c = malloc(s->n_cgroups * sizeof(Candidate));
        if (!c)
                return -ENOMEM;

        n = collect_cgroups(p, a, s, NULL, c);
        ret->n_candidates = n;
        if (n == 0)
                return 0;

        for (;;) {
                w = rank_cgroups(a, s, c, n);
                if (w < 0)
                        return (int) w;
                best = &s->cgroups[c[w].index];
                ret->index = (ssize_t) c[w].index;
                ret->phase = c[w].phase;

                /* oom_group: the kernel treats the subtree as one; so do we. */
                if (!a->recursive || best->oom_group || ret->depth >= RANKER_MAX_DEPTH)
                        return 0;
                n = collect_cgroups(p, a, s, best, c);
                if (n == 0)
                        return 0;
                ret->depth++;
        }
}

/* --- processes (degraded mode) --- */

/* The process's cgroup, or one of its ancestors, matches the action's cgroups. A process in the
 * root cgroup also counts for the "every top-level cgroup" pattern ("/" and a star), so hosts
 * whose processes all sit at "/" stay protected. */
static bool process_in_action_cgroups(const Action *a, const ProcSample *proc) {
        const char *path = proc->cgroup ?: "/";
        char buf[PATH_MAX];

        if (cgroup_path_is_root(path))
                for (size_t i = 0; i < a->cgroups.n; i++)
                        if (a->cgroups.items[i].is_path && streq(a->cgroups.items[i].glob, "/*"))
                                return true;

        if (strlen(path) >= sizeof(buf))
                return pattern_list_match(&a->cgroups, path, NULL);
        strcpy(buf, path);
        for (;;) {
                char *slash;

                if (pattern_list_match(&a->cgroups, buf, NULL))
                        return true;
                slash = strrchr(buf, '/');
                if (!slash || slash == buf)
                        break;
                *slash = '\0';
        }
        return !cgroup_path_is_root(path) && pattern_list_match(&a->cgroups, "/", NULL);
}

int ranker_pick_process(const Policy *p, const Action *a, const Snapshot *s, RankOutcome *ret) {
        _cleanup_free_ Candidate *c = NULL;
        uint64_t swap_floor = swap_threshold(a, s);
        size_t n = 0;

        *ret = (RankOutcome) { .index = -1 };
        if (s->n_procs == 0)
                return 0;
        c = malloc(s->n_procs * sizeof(Candidate));
        if (!c)
                return -ENOMEM;

        for (size_t i = 0; i < s->n_procs; i++) {
                const ProcSample *proc = &s->procs[i];

                if (!process_is_pickable(p, s, proc, NULL) || !process_in_action_cgroups(a, proc))
                        continue;
                if (a->ranker == RANKER_SWAP && (proc->swap == 0 || proc->swap < swap_floor))
                        continue;
                /* Processes have no growth, pressure or pgscan of their own: size (or swap) ranks. */
                c[n++] = (Candidate) {
                        .index = i,
                        .tier = process_tier(p, proc),
                        .key = (double) (a->ranker == RANKER_SWAP ? proc->swap : proc->rss),
                        .key2 = proc->oom_score,
                        .pid = proc->pid,
                };
        }
        ret->n_candidates = n;
        if (n > 0)
                ret->index = (ssize_t) c[candidate_best(c, n)].index;
        return 0;
}
