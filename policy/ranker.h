/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Ranking candidates for one action: preference tier first, then the action's ranker key, then
 * the path (or pid) for a stable order. Cgroups when the memory controller is there, processes
 * in degraded mode. Internal to policy/.
 */

#include <stddef.h>
#include <sys/types.h>

#include "policy.h"
#include "sample.h"

/* How deep recursive ranking may descend; cgroup trees are far shallower, this only stops a
 * malformed sample (a parent_inode loop) from spinning. */
#define RANKER_MAX_DEPTH 64u

typedef struct RankOutcome {
        ssize_t index;        /* into s->cgroups (cgroup mode) or s->procs (degraded), -1 when none */
        size_t n_candidates;  /* at the top level */
        int phase;            /* size_or_growth phase of the winner at its level (1..3), 0 otherwise */
        unsigned depth;       /* levels descended into children */
} RankOutcome;

/* Cgroup mode: the best eligible cgroup matching a->cgroups, descending into its children when
 * a->recursive. Returns 0 (index -1 if no candidate) or -ENOMEM. */
int ranker_pick_cgroup(const Policy *p, const Action *a, const Snapshot *s, RankOutcome *ret);

/* Degraded mode: the best pickable process under a cgroup matching a->cgroups.
 * Returns 0 (index -1 if no candidate) or -ENOMEM. */
int ranker_pick_process(const Policy *p, const Action *a, const Snapshot *s, RankOutcome *ret);

/* "size_or_growth", "swap", "pressure", "pgscan". */
const char *ranker_to_string(RankerType t);
