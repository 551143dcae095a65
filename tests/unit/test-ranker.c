/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>

#include "policy-builders.h"
#include "ranker.h"

/* The path the ranker picks, or NULL. */
static const char *pick(const Policy *p, const Action *a, TestSample *t, RankOutcome *o) {
        RankOutcome local;

        o = o ?: &local;
        cr_assert_eq(ranker_pick_cgroup(p, a, &t->s, o), 0);
        return o->index < 0 ? NULL : t->s.cgroups[o->index].path;
}

static pid_t pick_pid(const Policy *p, const Action *a, TestSample *t) {
        RankOutcome o;

        cr_assert_eq(ranker_pick_process(p, a, &t->s, &o), 0);
        return o.index < 0 ? -1 : t->s.procs[o.index].pid;
}

/* Three top-level slices and the root, under which the tests hang children. */
static void three_slices(TestSample *t, uint64_t a, uint64_t b, uint64_t c) {
        ts_init(t, SEC(100));
        ts_cgroup(t, "/", 1, 0, 0);
        ts_cgroup(t, "/a.slice", 10, 1, a);
        ts_cgroup(t, "/b.slice", 20, 1, b);
        ts_cgroup(t, "/c.slice", 30, 1, c);
}

Test(ranker, largest_wins_and_ties_go_to_smaller_path) {
        Policy p = {};
        Action a = action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS);
        TestSample t;
        RankOutcome o;

        three_slices(&t, GiB(1), GiB(3), GiB(2));
        cr_assert_str_eq(pick(&p, &a, &t, &o), "/b.slice");
        cr_assert_eq(o.n_candidates, 3); /* the root is never a candidate */
        cr_assert_eq(o.phase, 1);

        three_slices(&t, GiB(2), GiB(1), GiB(2));
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/a.slice");
        /* the order in the sample does not matter */
        three_slices(&t, GiB(1), GiB(2), GiB(2));
        t.cg[1].path = (char *) "/z.slice";
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/b.slice");
}

Test(ranker, no_candidates) {
        Policy p = {};
        Action a = action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS);
        TestSample t;
        RankOutcome o;

        ts_init(&t, 0);
        cr_assert_null(pick(&p, &a, &t, &o));
        cr_assert_eq(o.n_candidates, 0);

        three_slices(&t, 0, GiB(1), GiB(1)); /* empty, unpopulated, and not matching */
        t.cg[2].populated = false;
        t.cg[3].path = (char *) "/c.slice/deeper";
        cr_assert_null(pick(&p, &a, &t, &o));

        /* unpopulated only counts when cgroup.events was read */
        t.cg[2].fields &= ~CG_EVENTS;
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/b.slice");
}

Test(ranker, preference_from_xattrs) {
        Policy p = {};
        Action a = action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS);
        TestSample t;

        three_slices(&t, GiB(1), GiB(3), GiB(2));
        t.cg[2].preference = PREFERENCE_AVOID;
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/c.slice");
        t.cg[1].preference = PREFERENCE_PREFER;
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/a.slice");
        t.cg[1].preference = PREFERENCE_OMIT;
        t.cg[3].preference = PREFERENCE_OMIT;
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/b.slice"); /* avoid is a last resort, not never */
        t.cg[2].preference = PREFERENCE_OMIT;
        cr_assert_null(pick(&p, &a, &t, NULL));
}

Test(ranker, preference_from_policy_patterns) {
        Policy p = {
                .prefer = PATTERNS(pat("/a.slice")),
                .avoid = PATTERNS(pat("/b.slice")),
                .omit = PATTERNS(pat("/c.slice"), pat("sshd")),
        };
        Action a = action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS);
        TestSample t;

        three_slices(&t, MiB(1), GiB(3), GiB(5));
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/a.slice");
        p.prefer = (PatternList) {};
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/a.slice"); /* /b avoided, /c omitted */
        t.cg[1].memory_current = 0;
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/b.slice");
}

Test(ranker, xattr_prefer_beats_policy_avoid) {
        Policy p = { .avoid = PATTERNS(pat("/a.slice")) };
        Action a = action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS);
        TestSample t;

        three_slices(&t, MiB(1), GiB(3), GiB(5));
        t.cg[1].preference = PREFERENCE_PREFER;
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/a.slice");
}

Test(ranker, protection_lowers_effective_usage) {
        Policy p = {};
        Action a = action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS);
        TestSample t;

        a.size_threshold_permyriad = 2000; /* all three are "big" (phase 1) */
        three_slices(&t, GiB(3), GiB(4), GiB(2));
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/b.slice");
        t.cg[2].protection = GiB(2);
        t.cg[2].effective_usage = GiB(2);
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/a.slice");
}

/* The bench's burst: a workload within its memory.low beside a neighbour that allocates, frees all of
 * it and pauses. Sampled in the pause, the workload holds most of the memory; it is still not big (all
 * of it is protected), nor growing, and the neighbour goes first. */
Test(ranker, protected_memory_is_neither_big_nor_growing) {
        Policy p = {};
        Action a = action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS);
        TestSample t;
        RankOutcome o;

        ts_init(&t, 0);
        ts_cgroup(&t, "/bench.slice", 10, 1, MiB(200));
        ts_cgroup(&t, "/bench.slice/neighbour.service", 11, 2, MiB(12));
        ts_cgroup(&t, "/bench.slice/workload.service", 12, 2, MiB(183));
        t.cg[2].protection = MiB(183); /* MemoryLow=200M */
        t.cg[2].effective_usage = 0;
        t.cg[2].growth = 1.4;          /* it touches its memory still */
        a.cgroups = PATTERNS(pat("/bench.slice/*"));
        cr_assert_str_eq(pick(&p, &a, &t, &o), "/bench.slice/neighbour.service");
        cr_assert_eq(o.phase, 3, "phase %d", o.phase);

        /* the neighbour freed everything: nothing to tell them apart by size, and still not the workload
         * as "big" (it ties at no effective usage; the tie goes to the smaller path) */
        t.cg[1].memory_current = t.cg[1].effective_usage = 0;
        t.cg[2].path = (char *) "/bench.slice/a-workload.service";
        pick(&p, &a, &t, &o);
        cr_assert_eq(o.phase, 3, "the protected workload ranked in phase %d", o.phase);

        /* above its protection, the workload's excess counts as any other memory */
        t.cg[2].protection = MiB(50);
        t.cg[2].effective_usage = MiB(133); /* 133M of the 183M all candidates hold: big */
        cr_assert_str_eq(pick(&p, &a, &t, &o), "/bench.slice/a-workload.service");
        cr_assert_eq(o.phase, 1);
}

Test(ranker, size_or_growth_phases) {
        Policy p = {};
        Action a = action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS);
        TestSample t;
        RankOutcome o;
        static const char *const names[] = { "/s1", "/s2", "/s3", "/s4", "/s5", "/s6" };

        /* Six slices, total 10G: none reaches 50% (phase 1 empty). */
        ts_init(&t, 0);
        for (size_t i = 0; i < 6; i++)
                ts_cgroup(&t, names[i], 10 + i, 1, GiB(1));
        t.cg[0].memory_current = t.cg[0].effective_usage = GiB(4);  /* largest, not growing */
        t.cg[1].memory_current = t.cg[1].effective_usage = GiB(2);  /* growing, at the 80th percentile */
        t.cg[2].memory_current = t.cg[2].effective_usage = GiB(1);  /* grows fastest, too small */
        t.cg[1].growth = 1.5;
        t.cg[2].growth = 3.0;

        /* phase 2 (a large grower) beats phase 3 (the largest) */
        cr_assert_str_eq(pick(&p, &a, &t, &o), "/s2");
        cr_assert_eq(o.phase, 2);

        /* growth below min_growth_ratio: phase 3, the largest effective usage */
        t.cg[1].growth = 1.2;
        cr_assert_str_eq(pick(&p, &a, &t, &o), "/s1");
        cr_assert_eq(o.phase, 3);

        /* a cgroup with half of the total: phase 1 beats a grower */
        t.cg[1].growth = 1.5;
        t.cg[0].memory_current = t.cg[0].effective_usage = GiB(8); /* 8 of 14 */
        cr_assert_str_eq(pick(&p, &a, &t, &o), "/s1");
        cr_assert_eq(o.phase, 1);

        /* among growers, the faster grows first */
        t.cg[0].memory_current = t.cg[0].effective_usage = GiB(2);
        t.cg[0].growth = 2.0; /* 2G, 2G: both at the 80th percentile of {1,1,1,1,2,2} */
        cr_assert_str_eq(pick(&p, &a, &t, &o), "/s1");
        cr_assert_eq(o.phase, 2);
}

Test(ranker, swap) {
        Policy p = {};
        Action a = action(RANKER_SWAP, ALL_CGROUPS);
        TestSample t;
        RankOutcome o;

        three_slices(&t, GiB(5), GiB(1), GiB(1));
        t.s.system.meminfo.swap_total = GiB(8);
        cr_assert_null(pick(&p, &a, &t, &o)); /* no one swaps */
        t.cg[2].swap_current = MiB(100);
        t.cg[3].swap_current = MiB(700);
        cr_assert_str_eq(pick(&p, &a, &t, &o), "/c.slice");
        cr_assert_eq(o.n_candidates, 2);
        cr_assert_eq(o.phase, 0);

        a.swap_threshold = percent(10); /* 819M */
        cr_assert_null(pick(&p, &a, &t, NULL));
        a.swap_threshold = bytes(MiB(100));
        cr_assert_str_eq(pick(&p, &a, &t, &o), "/c.slice");
        cr_assert_eq(o.n_candidates, 2);
}

Test(ranker, pressure_uses_some_avg10_and_avg60) {
        Policy p = {};
        Action a = action(RANKER_PRESSURE, ALL_CGROUPS);
        TestSample t;

        three_slices(&t, GiB(5), GiB(1), GiB(1));
        t.cg[2].mem_psi.some = psi(30, 10, 0); /* 20 */
        t.cg[3].mem_psi.some = psi(10, 40, 0); /* 25 */
        t.cg[1].mem_psi.full = psi(90, 90, 90); /* full does not count */
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/c.slice");

        a.pressure_resource = PSI_RESOURCE_IO;
        t.cg[1].io_psi.some = psi(5, 5, 0);
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/a.slice");
}

Test(ranker, pgscan_rate_then_size) {
        Policy p = {};
        Action a = action(RANKER_PGSCAN, ALL_CGROUPS);
        TestSample t;

        three_slices(&t, GiB(5), GiB(1), GiB(2));
        t.cg[2].pgscan_rate = 300;
        t.cg[3].pgscan_rate = 200;
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/b.slice");
        t.cg[3].pgscan_rate = 300;
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/c.slice");
}

Test(ranker, recursion_into_children) {
        Policy p = {};
        Action a = action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS);
        TestSample t;
        RankOutcome o;

        three_slices(&t, GiB(1), GiB(6), GiB(2));
        ts_cgroup(&t, "/b.slice/x.service", 21, 20, GiB(2));
        ts_cgroup(&t, "/b.slice/y.service", 22, 20, GiB(4));
        ts_cgroup(&t, "/b.slice/y.service/w1", 23, 22, GiB(1));
        ts_cgroup(&t, "/b.slice/y.service/w2", 24, 22, GiB(3));
        ts_cgroup(&t, "/a.slice/q.service", 11, 10, GiB(1));

        cr_assert_str_eq(pick(&p, &a, &t, &o), "/b.slice/y.service/w2");
        cr_assert_eq(o.depth, 2);
        cr_assert_eq(o.n_candidates, 3);

        a.recursive = false;
        cr_assert_str_eq(pick(&p, &a, &t, &o), "/b.slice");
        cr_assert_eq(o.depth, 0);

        /* ineligible children do not stop at the parent if one child is eligible */
        a.recursive = true;
        t.cg[7].preference = PREFERENCE_OMIT; /* w2 */
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/b.slice/y.service/w1");
        t.cg[6].populated = false; /* w1: now no eligible child, y.service itself */
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/b.slice/y.service");
}

Test(ranker, oom_group_stops_recursion) {
        Policy p = {};
        Action a = action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS);
        TestSample t;

        three_slices(&t, GiB(1), GiB(6), GiB(2));
        ts_cgroup(&t, "/b.slice/y.service", 22, 20, GiB(4));
        ts_cgroup(&t, "/b.slice/y.service/w", 23, 22, GiB(4));
        t.cg[4].oom_group = true;
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/b.slice/y.service");
        t.cg[2].oom_group = true;
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/b.slice");
}

Test(ranker, never_self_nor_ancestors) {
        Policy p = {};
        Action a = action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS);
        TestSample t;

        three_slices(&t, GiB(1), GiB(6), GiB(2));
        ts_cgroup(&t, "/b.slice/pressured.service", 21, 20, GiB(5));
        ts_cgroup(&t, "/b.slice/other.service", 22, 20, GiB(1));
        t.s.self_cgroup = "/b.slice/pressured.service";
        /* /b.slice holds us: skipped; /c.slice is next */
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/c.slice");

        /* ranking inside /b.slice directly: our own service is skipped, its sibling is not */
        a.cgroups = PATTERNS(pat("/b.slice/*"));
        cr_assert_str_eq(pick(&p, &a, &t, NULL), "/b.slice/other.service");
}

Test(ranker, degraded_processes) {
        Policy p = { .avoid = PATTERNS(pat("bigdb")) };
        Action a = action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS);
        TestSample t;
        RankOutcome o;

        ts_init(&t, 0);
        t.s.degraded = true;
        ts_proc(&t, 1, "systemd", "/init.scope", GiB(9));
        ts_proc(&t, 200, "bigdb", "/system.slice/db.service", GiB(8));
        ts_proc(&t, 300, "leak", "/user.slice/user-1000.slice/app.scope", GiB(2));
        ts_proc(&t, 400, "bash", "/", GiB(1));
        ts_proc(&t, 500, "kworker/0:1", "/", GiB(7))->kernel_thread = true;

        cr_assert_eq(pick_pid(&p, &a, &t), 300);
        cr_assert_eq(ranker_pick_process(&p, &a, &t.s, &o), 0);
        cr_assert_eq(o.n_candidates, 3);

        /* only under /user.slice */
        a.cgroups = PATTERNS(pat("/user.slice"));
        t.proc[2].rss = MiB(1);
        cr_assert_eq(pick_pid(&p, &a, &t), 300);
        a.cgroups = PATTERNS(pat("/nothing.slice"));
        cr_assert_eq(pick_pid(&p, &a, &t), -1);

        /* processes sitting in the root cgroup are covered by "/ *" too */
        a.cgroups = ALL_CGROUPS;
        t.proc[1].oom_score_adj = -1000;
        t.proc[2].rss = 0;
        cr_assert_eq(pick_pid(&p, &a, &t), 400);

        /* swap ranks processes by their swap */
        a = action(RANKER_SWAP, ALL_CGROUPS);
        cr_assert_eq(pick_pid(&p, &a, &t), -1);
        t.proc[2].swap = MiB(50);
        cr_assert_eq(pick_pid(&p, &a, &t), 300);
}

Test(ranker, degraded_ties_by_oom_score_then_pid) {
        Policy p = {};
        Action a = action(RANKER_PRESSURE, ALL_CGROUPS);
        TestSample t;

        ts_init(&t, 0);
        t.s.degraded = true;
        ts_proc(&t, 30, "a", "/x", GiB(1));
        ts_proc(&t, 20, "b", "/x", GiB(1));
        ts_proc(&t, 10, "c", "/x", GiB(1))->oom_score = 100;
        cr_assert_eq(pick_pid(&p, &a, &t), 20);
        t.proc[0].oom_score = 900;
        cr_assert_eq(pick_pid(&p, &a, &t), 30);
}

Test(ranker, names) {
        cr_assert_str_eq(ranker_to_string(RANKER_SIZE_OR_GROWTH), "size_or_growth");
        cr_assert_str_eq(ranker_to_string(RANKER_SWAP), "swap");
        cr_assert_str_eq(ranker_to_string(RANKER_PRESSURE), "pressure");
        cr_assert_str_eq(ranker_to_string(RANKER_PGSCAN), "pgscan");
        cr_assert_str_eq(ranker_to_string(_RANKER_TYPE_MAX), "unknown");
}
