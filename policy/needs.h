/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What a sample must read for a policy (SampleNeeds): the monitor reads nothing else. Derived from
 * the policy's detectors, rankers and kill list.
 */

#include <stdbool.h>

#include "policy_types.h"

/* What a sample must contain for this policy: the monitor reads nothing else. */
typedef struct SampleNeeds {
        unsigned cgroup_fields;   /* CGroupField bits, for the cgroups below; CG_MEMORY_STAT for stat_cgroups only */
        PatternList cgroups;      /* globs of cgroups to read (borrowed from the Policy, not owned) */
        PatternList stat_cgroups; /* those of them whose memory.stat is read (CG_MEMORY_STAT), borrowed too */
        bool stat_descendants;    /* and memory.stat of every cgroup below a match (a recursive pgscan ranking) */
        bool descendants;         /* also read every cgroup below a match (recursive ranking descends) */
        bool system_mem_psi, system_io_psi, meminfo, vmstat;
        bool procs;               /* every process is read: degraded mode, or name patterns in the kill list */
} SampleNeeds;

/* Fills *ret from the policy. `degraded` forces procs. Free with sample_needs_clear(). */
int policy_needs(const Policy *p, bool degraded, SampleNeeds *ret);
void sample_needs_clear(SampleNeeds *n);

/* The part of policy_needs() that the detectors alone need: what an idle sample reads. The rest
 * (candidates for the rankers and the kill list) is read when a ruleset fires, and now and then
 * so growth and reclaim rates stay current. */
int policy_needs_detectors(const Policy *p, bool degraded, SampleNeeds *ret);

/* What quiet's periodic sample reads: `detectors` (policy_needs_detectors()) without the reclaim
 * counters, memory.stat and /proc/vmstat, the costliest files the detectors read. While quiet every
 * detector group is guarded by a memory pressure detector (its cgroups' memory.pressure, still read)
 * or a floor (/proc/meminfo, still read), and a group fires only if its guard holds too; the
 * counters are no guard. The result borrows the lists of `detectors`: never clear it. The first
 * sample after quiet that reads the counters again measures their rates over the quiet spell, from
 * the last sample that read them (cgroup_history_derive()): an average, never an overstatement. */
SampleNeeds sample_needs_guards(const SampleNeeds *detectors);
