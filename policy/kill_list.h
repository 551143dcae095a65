/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The kill list: the policy's ordered list of known offenders, walked before any ranker.
 * Internal to policy/.
 */

#include <stdbool.h>

#include "policy.h"
#include "sample.h"

typedef struct KillListPick {
        int entry;                  /* index into Policy.kill_list */
        const CGroupSample *cgroup; /* a path entry's cgroup (the victim, or the victim process's scope); NULL for name entries */
        const ProcSample *proc;     /* the victim process; NULL when the cgroup itself dies */
} KillListPick;

/* Walks the kill list in order and returns true with *ret filled for the first entry that has an
 * eligible target meeting its criteria. With want_process (degraded mode, granularity process)
 * a path entry yields the process engine_pick_process() chooses inside its cgroup. */
bool kill_list_pick(const Policy *p, const Snapshot *s, bool want_process, KillListPick *ret);
