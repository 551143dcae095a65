/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Picking a process: the one victim among a cgroup's processes (or all of them, in degraded mode).
 * Shared by the engine's actions and the kill list, which both end at a process.
 */

#include <sys/types.h>

#include "policy_types.h"
#include "sample.h"

/* Among processes of one cgroup (or all, in degraded mode), the one to kill: the largest by RSS,
 * honouring omit/avoid/prefer and never PID 1, kernel threads, self_pid, self_cgroup or oom_score_adj -1000.
 * Returns its index, or -1 if none may die. `scope` limits candidates to cgroups under it (NULL = all). */
ssize_t engine_pick_process(const Policy *p, const Snapshot *s, const ProcSample *procs, size_t n, const char *scope);
