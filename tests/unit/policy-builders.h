/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Hand-built policies and samples for the engine tests, so that they do not depend on the JSON
 * parser. Lists are compound literals: they live in the calling block, like the test's Policy.
 */

#include <string.h>

#include "engine.h"

#define KiB(x) ((uint64_t) (x) << 10)
#define MiB(x) ((uint64_t) (x) << 20)
#define GiB(x) ((uint64_t) (x) << 30)
#define SEC(x) ((usec_t) (x) * USEC_PER_SEC)
#define MSEC(x) ((usec_t) (x) * USEC_PER_MSEC)

#define ARRAY(T, ...) ((T[]) { __VA_ARGS__ })
#define COUNT(T, ...) (sizeof((T[]) { __VA_ARGS__ }) / sizeof(T))

static inline Pattern pat(const char *glob) {
        return (Pattern) { .glob = (char *) glob, .is_path = glob[0] == '/' };
}

#define PATTERNS(...) ((PatternList) { .items = ARRAY(Pattern, __VA_ARGS__), .n = COUNT(Pattern, __VA_ARGS__) })
#define ALL_CGROUPS PATTERNS(pat("/*"))
#define SYSTEM PATTERNS(pat("/"))

static inline Amount bytes(uint64_t b) {
        return (Amount) { .bytes = b };
}

static inline Amount percent(double pct) {
        return (Amount) { .is_percent = true, .permyriad = (uint32_t) (pct * 100.0 + 0.5) };
}

/* A detector with the parser's defaults: memory, full, avg10, fast_fall_ratio 0.85, no duration. */
static inline Detector detector(DetectorType type, PatternList cgroups) {
        return (Detector) {
                .type = type,
                .cgroups = cgroups,
                .resource = PSI_RESOURCE_MEMORY,
                .kind = PSI_KIND_FULL,
                .window = PSI_WINDOW_AVG10,
                .fast_fall_ratio = 0.85,
        };
}

static inline Detector pressure_above(PatternList cgroups, double threshold, usec_t duration) {
        Detector d = detector(DETECTOR_PRESSURE_ABOVE, cgroups);
        d.threshold = threshold;
        d.duration_usec = duration;
        return d;
}

#define GROUP(...) ((DetectorGroup) { .detectors = ARRAY(Detector, __VA_ARGS__), .n = COUNT(Detector, __VA_ARGS__) })

/* An action with the parser's defaults: recursive, kill list first, 15 s delay, 50%, 1.25, 80th. */
static inline Action action(RankerType ranker, PatternList cgroups) {
        return (Action) {
                .ranker = ranker,
                .cgroups = cgroups,
                .recursive = true,
                .granularity = GRANULARITY_CGROUP,
                .use_kill_list = true,
                .post_action_delay_usec = SEC(15),
                .size_threshold_permyriad = 5000,
                .min_growth_ratio = 1.25,
                .growing_size_percentile = 80,
                .pressure_resource = PSI_RESOURCE_MEMORY,
        };
}

/* A policy of one ruleset "r": one group of one detector, one action. Holds pointers into itself:
 * never copy it by value. */
typedef struct OneRuleset {
        Detector det[1];
        DetectorGroup grp[1];
        Action act[1];
        Ruleset rs;
        Policy p;
} OneRuleset;

static inline Policy *one_ruleset(OneRuleset *o, Detector det, Action act) {
        *o = (OneRuleset) { .det = { det }, .act = { act } };
        o->grp[0] = (DetectorGroup) { .detectors = o->det, .n = 1 };
        o->rs = (Ruleset) { .name = (char *) "r", .groups = o->grp, .n_groups = 1, .actions = o->act, .n_actions = 1 };
        o->p = (Policy) { .rulesets = &o->rs, .n_rulesets = 1 };
        return &o->p;
}

static inline KillListEntry kill_entry(const char *glob) {
        return (KillListEntry) { .pattern = pat(glob) };
}

static inline PsiLine psi(double avg10, double avg60, double avg300) {
        return (PsiLine) { .avg10 = avg10, .avg60 = avg60, .avg300 = avg300, .valid = true };
}

#define ALL_FIELDS (CG_MEMORY_CURRENT | CG_MEMORY_STAT | CG_MEMORY_PROTECT | CG_MEMORY_LIMITS | CG_SWAP_CURRENT | \
                    CG_MEMORY_PSI | CG_IO_PSI | CG_EVENTS | CG_OOM_GROUP | CG_XATTRS)

/* A sample with room for a small tree. Holds pointers into itself: never copy it by value. */
typedef struct TestSample {
        Snapshot s;
        CGroupSample cg[32];
        ProcSample proc[32];
} TestSample;

/* 16G of RAM with 8G available, no swap, no pressure, no cgroups, no processes. */
static inline void ts_init(TestSample *t, usec_t now) {
        memset(t, 0, sizeof(*t));
        t->s.now = now;
        t->s.self_pid = 4242;
        t->s.cgroups = t->cg;
        t->s.procs = t->proc;
        t->s.system.meminfo = (MemInfo) { .mem_total = GiB(16), .mem_free = GiB(4), .mem_available = GiB(8), .valid = true };
        t->s.system.mem_psi = (PsiStats) { .some = psi(0, 0, 0), .full = psi(0, 0, 0) };
        t->s.system.io_psi = (PsiStats) { .some = psi(0, 0, 0), .full = psi(0, 0, 0) };
        t->s.system.vmstat.valid = true;
}

/* A populated cgroup with every field read, no pressure, no growth, no protection. */
static inline CGroupSample *ts_cgroup(TestSample *t, const char *path, uint64_t inode, uint64_t parent_inode, uint64_t current) {
        CGroupSample *cg = &t->cg[t->s.n_cgroups++];

        *cg = (CGroupSample) {
                .path = (char *) path,
                .inode = inode,
                .parent_inode = parent_inode,
                .fields = ALL_FIELDS,
                .memory_current = current,
                .anon = current / 2,
                .mem_psi = { .some = psi(0, 0, 0), .full = psi(0, 0, 0) },
                .io_psi = { .some = psi(0, 0, 0), .full = psi(0, 0, 0) },
                .populated = true,
                .average_usage = (double) current,
                .growth = 1.0,
                .effective_usage = current,
        };
        return cg;
}

static inline ProcSample *ts_proc(TestSample *t, pid_t pid, const char *comm, const char *cgroup, uint64_t rss) {
        ProcSample *p = &t->proc[t->s.n_procs++];

        *p = (ProcSample) {
                .pid = pid,
                .uid = 1000,
                .cgroup = (char *) cgroup,
                .rss = rss,
                .rss_anon = rss / 2,
                .oom_score = 500,
                .start_time = 1000 + (uint64_t) pid,
        };
        strncpy(p->comm, comm, sizeof(p->comm) - 1);
        return p;
}
