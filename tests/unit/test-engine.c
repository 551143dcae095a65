/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "engine.h"
#include "policy-builders.h"

/* Two slices under pressure; /b.slice is the larger. */
static void sample(TestSample *t, usec_t now, double system_full_avg10) {
        ts_init(t, now);
        t->s.system.mem_psi.full = psi(system_full_avg10, 0, 0);
        ts_cgroup(t, "/", 1, 0, 0);
        ts_cgroup(t, "/a.slice", 10, 1, GiB(1))->mem_psi.full = psi(5, 0, 0);
        ts_cgroup(t, "/b.slice", 20, 1, GiB(3))->mem_psi.full = psi(7.5, 0, 0);
}

/* Evaluates once; returns what engine_evaluate returned. */
static int evaluate(Engine *e, TestSample *t, Decision *d) {
        *d = (Decision) { .kill_list_index = -1 };
        return engine_evaluate(e, &t->s, d);
}

Test(engine, decision_fields_and_reason) {
        OneRuleset o;
        Policy *p = one_ruleset(&o, pressure_above(SYSTEM, 40, SEC(10)), action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        Engine *e = NULL;
        TestSample t;
        Decision d;

        o.rs.name = (char *) "protect";
        o.act[0].prekill_timeout_usec = SEC(2);
        o.rs.method = UNIT_METHOD_RESTART;
        o.rs.stop_timeout_usec = SEC(3);
        cr_assert_eq(engine_new(p, &e), 0);

        sample(&t, SEC(100), 52.3);
        cr_assert_eq(evaluate(e, &t, &d), 0);
        cr_assert(engine_arming(e));
        sample(&t, SEC(110), 52.3);
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_not(engine_arming(e)); /* fired, no longer arming */

        cr_assert_eq(d.ruleset, o.rs.name); /* borrowed */
        cr_assert_eq(d.ruleset_index, 0);
        cr_assert_eq(d.action_index, 0);
        cr_assert_eq(d.kind, TARGET_CGROUP);
        cr_assert_str_eq(d.cgroup, "/b.slice");
        cr_assert_neq(d.cgroup, t.cg[2].path); /* a copy */
        cr_assert_eq(d.inode, 20);
        cr_assert_eq(d.memory, GiB(3));
        cr_assert_float_eq(d.pressure, 7.5, 1e-9);
        cr_assert_not(d.granularity_process);
        cr_assert_not(d.dry_run);
        cr_assert_eq(d.kill_list_index, -1);
        cr_assert_eq(d.prekill_timeout_usec, SEC(2));
        cr_assert_eq(d.method, UNIT_METHOD_RESTART); /* the ladder reads how to end the victim from here */
        cr_assert_eq(d.stop_timeout_usec, SEC(3));
        cr_assert_str_eq(d.reason,
                         "memory full avg10 52.30% > 40% for 10s on / -> largest of 2 candidates by size_or_growth, phase 1");
        decision_clear(&d);
        cr_assert_null(d.cgroup);
        cr_assert_eq(d.kill_list_index, -1);
        engine_free(e);
}

Test(engine, groups_and_within_or_across) {
        Detector g0[] = { pressure_above(SYSTEM, 40, 0), detector(DETECTOR_MEM_AVAILABLE_BELOW, SYSTEM) };
        Detector g1[] = { detector(DETECTOR_EXISTS, PATTERNS(pat("/panic.slice"))) };
        DetectorGroup grp[] = { { g0, 2 }, { g1, 1 } };
        Action act[] = { action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS) };
        Ruleset rs = { .name = (char *) "r", .groups = grp, .n_groups = 2, .actions = act, .n_actions = 1 };
        Policy p = { .rulesets = &rs, .n_rulesets = 1 };
        Engine *e = NULL;
        TestSample t;
        Decision d;

        g0[1].amount = percent(10); /* MemAvailable below 1.6G */
        cr_assert_eq(engine_new(&p, &e), 0);

        sample(&t, SEC(1), 50); /* pressure yes, MemAvailable 8G no */
        cr_assert_eq(evaluate(e, &t, &d), 0);
        sample(&t, SEC(2), 10);
        t.s.system.meminfo.mem_available = GiB(1); /* MemAvailable yes, pressure no */
        cr_assert_eq(evaluate(e, &t, &d), 0);
        sample(&t, SEC(3), 50);
        t.s.system.meminfo.mem_available = GiB(1); /* both */
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_str_eq(d.reason,
                         "memory full avg10 50.00% > 40% on /; MemAvailable 1.0G < 1.6G -> largest of 2 candidates by size_or_growth, phase 1");
        decision_clear(&d);

        /* the second group alone */
        sample(&t, SEC(4), 0);
        ts_cgroup(&t, "/panic.slice", 30, 1, MiB(1));
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_str_eq(d.reason, "/panic.slice exists -> largest of 3 candidates by size_or_growth, phase 1");
        decision_clear(&d);
        engine_free(e);
}

Test(engine, post_action_delay) {
        OneRuleset o;
        Policy *p = one_ruleset(&o, pressure_above(SYSTEM, 40, 0), action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        Engine *e = NULL;
        TestSample t;
        Decision d;

        cr_assert_eq(engine_new(p, &e), 0);
        sample(&t, SEC(10), 50);
        cr_assert_eq(evaluate(e, &t, &d), 1);

        /* nothing came of it: no delay */
        engine_action_done(e, &d, false, SEC(10));
        decision_clear(&d);
        sample(&t, SEC(11), 50);
        cr_assert_eq(evaluate(e, &t, &d), 1);

        engine_action_done(e, &d, true, SEC(11));
        decision_clear(&d);
        sample(&t, SEC(12), 50);
        cr_assert_eq(evaluate(e, &t, &d), 0);
        sample(&t, SEC(26) - 1, 50);
        cr_assert_eq(evaluate(e, &t, &d), 0);
        sample(&t, SEC(26), 50);
        cr_assert_eq(evaluate(e, &t, &d), 1);
        decision_clear(&d);
        engine_free(e);
}

Test(engine, delayed_ruleset_keeps_timing) {
        OneRuleset o;
        Policy *p = one_ruleset(&o, pressure_above(SYSTEM, 40, SEC(5)), action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        Engine *e = NULL;
        TestSample t;
        Decision d;

        o.act[0].post_action_delay_usec = SEC(15);
        cr_assert_eq(engine_new(p, &e), 0);
        sample(&t, SEC(0), 50);
        cr_assert_eq(evaluate(e, &t, &d), 0);
        sample(&t, SEC(5), 50);
        cr_assert_eq(evaluate(e, &t, &d), 1);
        engine_action_done(e, &d, true, SEC(5));
        decision_clear(&d);

        /* pressure drops and comes back during the delay: the detector re-arms meanwhile */
        sample(&t, SEC(6), 0);
        cr_assert_eq(evaluate(e, &t, &d), 0);
        cr_assert_not(engine_arming(e));
        sample(&t, SEC(10), 50);
        cr_assert_eq(evaluate(e, &t, &d), 0);
        cr_assert(engine_arming(e));
        sample(&t, SEC(15), 50);
        cr_assert_eq(evaluate(e, &t, &d), 0); /* fired, but delayed */
        sample(&t, SEC(20), 50);
        cr_assert_eq(evaluate(e, &t, &d), 1); /* at once when the delay ends */
        decision_clear(&d);
        engine_free(e);
}

Test(engine, dry_run_three_levels) {
        OneRuleset o;
        Policy *p = one_ruleset(&o, pressure_above(SYSTEM, 40, 0), action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        Engine *e = NULL;
        TestSample t;
        Decision d;

        cr_assert_eq(engine_new(p, &e), 0);
        sample(&t, SEC(1), 50);
        for (int level = 0; level < 4; level++) {
                p->dry_run = level == 1;
                o.rs.dry_run = level == 2;
                o.act[0].dry_run = level == 3;
                cr_assert_eq(evaluate(e, &t, &d), 1);
                cr_assert_eq(d.dry_run, level != 0, "level %d", level);
                decision_clear(&d);
        }
        engine_free(e);
}

Test(engine, one_decision_per_call_in_ruleset_order) {
        Detector det[] = { pressure_above(SYSTEM, 40, 0) };
        Detector armed[] = { pressure_above(SYSTEM, 40, SEC(3)) };
        DetectorGroup grp[] = { { det, 1 } }, grp_armed[] = { { armed, 1 } };
        Action none[] = { action(RANKER_SIZE_OR_GROWTH, PATTERNS(pat("/nothing/*"))),
                          action(RANKER_SWAP, ALL_CGROUPS) };
        Action some[] = { action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS) };
        Ruleset rs[] = {
                { .name = (char *) "empty", .groups = grp, .n_groups = 1, .actions = none, .n_actions = 2 },
                { .name = (char *) "second", .groups = grp, .n_groups = 1, .actions = some, .n_actions = 1 },
                { .name = (char *) "third", .groups = grp_armed, .n_groups = 1, .actions = some, .n_actions = 1 },
        };
        Policy p = { .rulesets = rs, .n_rulesets = 3 };
        Engine *e = NULL;
        TestSample t;
        Decision d;

        cr_assert_eq(engine_new(&p, &e), 0);
        sample(&t, SEC(1), 50);
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_str_eq(d.ruleset, "second"); /* the first fired but found no victim */
        cr_assert_eq(d.ruleset_index, 1);
        cr_assert(engine_arming(e)); /* "third" is timing even though a decision was made */
        decision_clear(&d);

        /* the first ruleset's second action finds a victim: action_index 1 */
        t.cg[1].swap_current = MiB(10);
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_str_eq(d.ruleset, "empty");
        cr_assert_eq(d.action_index, 1);
        decision_clear(&d);

        /* "third" kept its timer while the others decided: it fires on time once they are delayed */
        t.cg[1].swap_current = 0;
        engine_action_done(e, &(Decision) { .ruleset = rs[1].name, .ruleset_index = 1 }, true, SEC(1));
        sample(&t, SEC(4), 50);
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_str_eq(d.ruleset, "third");
        decision_clear(&d);
        engine_free(e);
}

Test(engine, kill_list_first_unless_disabled) {
        OneRuleset o;
        KillListEntry kl[] = { kill_entry("/gone.slice"), kill_entry("/a.slice") };
        Policy *p = one_ruleset(&o, pressure_above(SYSTEM, 40, 0), action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        Engine *e = NULL;
        TestSample t;
        Decision d;

        p->kill_list = kl;
        p->n_kill_list = 2;
        cr_assert_eq(engine_new(p, &e), 0);
        sample(&t, SEC(1), 50);
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_str_eq(d.cgroup, "/a.slice");
        cr_assert_eq(d.kill_list_index, 1);
        cr_assert_str_eq(d.reason, "memory full avg10 50.00% > 40% on / -> kill list entry 1 (/a.slice)");
        decision_clear(&d);

        o.act[0].use_kill_list = false;
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_str_eq(d.cgroup, "/b.slice");
        cr_assert_eq(d.kill_list_index, -1);
        decision_clear(&d);
        engine_free(e);
}

Test(engine, granularity_process) {
        OneRuleset o;
        KillListEntry kl[] = { kill_entry("/a.slice") };
        Policy *p = one_ruleset(&o, pressure_above(SYSTEM, 40, 0), action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        Engine *e = NULL;
        TestSample t;
        Decision d;

        p->kill_list = kl;
        p->n_kill_list = 1;
        o.act[0].granularity = GRANULARITY_PROCESS;
        cr_assert_eq(engine_new(p, &e), 0);
        sample(&t, SEC(1), 50);
        ts_proc(&t, 700, "worker", "/a.slice", MiB(600));

        /* the kill list names the cgroup; the daemon picks its largest process at kill time */
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_eq(d.kind, TARGET_CGROUP);
        cr_assert(d.granularity_process);
        cr_assert_str_eq(d.cgroup, "/a.slice");
        cr_assert_eq(d.kill_list_index, 0);
        decision_clear(&d);

        /* in degraded mode the kill list names the process inside */
        t.s.degraded = true;
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_eq(d.kind, TARGET_PROCESS);
        cr_assert_eq(d.pid, 700);
        cr_assert_eq(d.start_time, 1700);
        cr_assert_str_eq(d.comm, "worker");
        cr_assert_str_eq(d.cgroup, "/a.slice");
        cr_assert_eq(d.inode, 0);
        cr_assert_eq(d.memory, MiB(600));
        cr_assert_float_eq(d.pressure, 50, 1e-9); /* the system's */
        decision_clear(&d);
        t.s.degraded = false;

        /* the ranker names a cgroup of which only the largest process must die */
        o.act[0].use_kill_list = false;
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_eq(d.kind, TARGET_CGROUP);
        cr_assert_str_eq(d.cgroup, "/b.slice");
        cr_assert(d.granularity_process);
        decision_clear(&d);
        engine_free(e);
}

Test(engine, degraded_mode_kills_processes) {
        OneRuleset o;
        Policy *p = one_ruleset(&o, pressure_above(SYSTEM, 40, 0), action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        Engine *e = NULL;
        TestSample t;
        Decision d;

        cr_assert_eq(engine_new(p, &e), 0);
        ts_init(&t, SEC(1));
        t.s.degraded = true;
        t.s.system.mem_psi.full = psi(60, 0, 0);
        ts_proc(&t, 1, "systemd", "/", GiB(2));
        ts_proc(&t, 4242, "pressured", "/", GiB(2)); /* ourselves */
        ts_proc(&t, 900, "hog", "/", GiB(1));
        ts_proc(&t, 901, "small", "/user.slice/x.scope", MiB(1));
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_eq(d.kind, TARGET_PROCESS);
        cr_assert_eq(d.pid, 900);
        cr_assert_str_eq(d.cgroup, "/");
        cr_assert_str_eq(d.reason, "memory full avg10 60.00% > 40% on / -> largest of 2 processes by RSS");
        decision_clear(&d);
        engine_free(e);
}

Test(engine, set_policy_resets_state) {
        OneRuleset o, o2;
        Policy *p = one_ruleset(&o, pressure_above(SYSTEM, 40, SEC(10)), action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        Policy *p2 = one_ruleset(&o2, pressure_above(SYSTEM, 40, SEC(10)), action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        Engine *e = NULL;
        TestSample t;
        Decision d, old;

        o2.rs.name = (char *) "r2";
        cr_assert_eq(engine_new(p, &e), 0);
        sample(&t, SEC(0), 50);
        cr_assert_eq(evaluate(e, &t, &d), 0);
        sample(&t, SEC(10), 50);
        cr_assert_eq(evaluate(e, &t, &old), 1);
        engine_action_done(e, &old, true, SEC(10));

        cr_assert_eq(engine_set_policy(e, p2), 0);
        cr_assert_not(engine_arming(e));
        sample(&t, SEC(11), 50);
        cr_assert_eq(evaluate(e, &t, &d), 0); /* timer restarted: arming again, no delay carried over */
        cr_assert(engine_arming(e));
        sample(&t, SEC(21), 50);
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_str_eq(d.ruleset, "r2");

        /* a decision from the old policy does not start a delay in the new one */
        engine_action_done(e, &old, true, SEC(21));
        decision_clear(&d);
        cr_assert_eq(evaluate(e, &t, &d), 1);
        decision_clear(&d);
        decision_clear(&old);
        engine_free(e);
}

Test(engine, bad_arguments) {
        Policy p = {};
        Engine *e = NULL;
        TestSample t;
        Decision d;

        cr_assert_eq(engine_new(NULL, &e), -EINVAL);
        cr_assert_eq(engine_new(&p, NULL), -EINVAL);
        cr_assert_eq(engine_new(&p, &e), 0);
        ts_init(&t, 0);
        cr_assert_eq(engine_evaluate(e, NULL, &d), -EINVAL);
        cr_assert_eq(evaluate(e, &t, &d), 0); /* an empty policy never kills */
        cr_assert_eq(engine_set_policy(e, NULL), -EINVAL);
        engine_action_done(e, NULL, true, 0);
        cr_assert_not(engine_arming(NULL));
        cr_assert_null(engine_free(e));
        cr_assert_null(engine_free(NULL));
        decision_clear(NULL);
}

Test(engine, long_reason_keeps_victim_part) {
        /* Three detectors naming a long path overflow the reason's 320 bytes for detectors and ranking
         * (the rest is kept for an escalation): the detector part is cut. */
        Detector det[] = {
                detector(DETECTOR_EXISTS, PATTERNS(pat("/a-very-long-slice-name-that-goes-on-and-on.slice/*"))),
                detector(DETECTOR_EXISTS, PATTERNS(pat("/a-very-long-slice-name-that-goes-on-and-on.slice/*"))),
                detector(DETECTOR_EXISTS, PATTERNS(pat("/a-very-long-slice-name-that-goes-on-and-on.slice/*"))),
        };
        DetectorGroup grp[] = { { det, 3 } };
        Action act[] = { action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS) };
        Ruleset rs = { .name = (char *) "r", .groups = grp, .n_groups = 1, .actions = act, .n_actions = 1 };
        Policy p = { .rulesets = &rs, .n_rulesets = 1 };
        const char *victim = " -> largest of 3 candidates by size_or_growth, phase 1";
        Engine *e = NULL;
        TestSample t;
        Decision d;

        cr_assert_eq(engine_new(&p, &e), 0);
        sample(&t, SEC(1), 0);
        ts_cgroup(&t, "/a-very-long-slice-name-that-goes-on-and-on.slice", 40, 1, MiB(1));
        ts_cgroup(&t, "/a-very-long-slice-name-that-goes-on-and-on.slice/and-a-very-long-service-name-as-well.service",
                  41, 40, MiB(1));
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_eq(strlen(d.reason), 320 - 1, "not cut: %s", d.reason);
        cr_assert_str_eq(d.reason + strlen(d.reason) - strlen(victim), victim, "%s", d.reason);
        cr_assert(strncmp(d.reason, "/a-very-long-slice-name-that-goes-on-and-on.slice/and-a-very-long-service-name-as-well.service exists; ", 100) == 0);
        decision_clear(&d);
        engine_free(e);
}

/* --- policy_needs --- */

Test(needs, from_detectors_actions_and_kill_list) {
        Detector g0[] = {
                pressure_above(SYSTEM, 10, 0),
                pressure_above(PATTERNS(pat("/user.slice/*")), 10, 0),
                detector(DETECTOR_MEMORY_ABOVE, PATTERNS(pat("/user.slice/*"), pat("/"))),
                detector(DETECTOR_MEMORY_RECLAIM, SYSTEM),
        };
        DetectorGroup grp[] = { { g0, 4 } };
        Action act[] = { action(RANKER_SWAP, PATTERNS(pat("/work.slice/*"))) };
        Ruleset rs = { .name = (char *) "r", .groups = grp, .n_groups = 1, .actions = act, .n_actions = 1 };
        KillListEntry kl[] = { kill_entry("/user.slice/*"), kill_entry("/batch.slice/*") };
        Policy p = { .rulesets = &rs, .n_rulesets = 1, .kill_list = kl, .n_kill_list = 2 };
        SampleNeeds n;

        g0[1].resource = PSI_RESOURCE_IO;
        g0[2].anon = true;
        act[0].recursive = false;
        kl[1].has_min_pressure = true;

        cr_assert_eq(policy_needs(&p, false, &n), 0);
        cr_assert(n.meminfo && n.system_mem_psi && n.vmstat);
        cr_assert_not(n.system_io_psi);
        cr_assert_not(n.procs);
        cr_assert_not(n.descendants);
        cr_assert_eq(n.cgroup_fields, CG_IO_PSI | CG_MEMORY_CURRENT | CG_MEMORY_STAT | CG_EVENTS | CG_XATTRS |
                                      CG_OOM_GROUP | CG_SWAP_CURRENT | CG_MEMORY_PSI);
        cr_assert_eq(n.cgroups.n, 3); /* "/" is not a cgroup to read; duplicates once */
        cr_assert_str_eq(n.cgroups.items[0].glob, "/user.slice/*");
        cr_assert_eq(n.cgroups.items[0].glob, g0[1].cgroups.items[0].glob); /* borrowed */
        cr_assert_str_eq(n.cgroups.items[1].glob, "/work.slice/*");
        cr_assert_str_eq(n.cgroups.items[2].glob, "/batch.slice/*");
        sample_needs_clear(&n);
        cr_assert_null(n.cgroups.items);
        cr_assert_eq(n.cgroups.n, 0);
}

Test(needs, rankers_recursion_and_procs) {
        Action act[] = {
                action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS),
                action(RANKER_PRESSURE, ALL_CGROUPS),
                action(RANKER_PGSCAN, ALL_CGROUPS),
        };
        Ruleset rs = { .name = (char *) "r", .actions = act, .n_actions = 3 };
        KillListEntry kl[] = { kill_entry("java") };
        Policy p = { .rulesets = &rs, .n_rulesets = 1 };
        SampleNeeds n;

        act[1].pressure_resource = PSI_RESOURCE_IO;
        cr_assert_eq(policy_needs(&p, false, &n), 0);
        cr_assert(n.descendants);
        cr_assert_not(n.procs);
        cr_assert_not(n.vmstat);
        cr_assert_eq(n.cgroup_fields, CG_MEMORY_CURRENT | CG_EVENTS | CG_XATTRS | CG_OOM_GROUP |
                                      CG_MEMORY_PROTECT | CG_IO_PSI | CG_MEMORY_STAT);
        cr_assert_eq(n.cgroups.n, 1);
        sample_needs_clear(&n);

        cr_assert_eq(policy_needs(&p, true, &n), 0);
        cr_assert(n.procs); /* degraded */
        sample_needs_clear(&n);

        /* granularity process reads one cgroup's processes at kill time, not all of them every sample */
        act[2].granularity = GRANULARITY_PROCESS;
        cr_assert_eq(policy_needs(&p, false, &n), 0);
        cr_assert_not(n.procs);
        sample_needs_clear(&n);

        act[2].granularity = GRANULARITY_CGROUP;
        p.kill_list = kl;
        p.n_kill_list = 1;
        cr_assert_eq(policy_needs(&p, false, &n), 0);
        cr_assert(n.procs); /* a name pattern */
        cr_assert_eq(n.cgroups.n, 1);
        sample_needs_clear(&n);

        cr_assert_eq(policy_needs(NULL, false, &n), -EINVAL);
        sample_needs_clear(NULL);
}

/* memory.stat, the dearest file, is read only where a rule reads it: memory_reclaim (a glob of
 * every child at the parent), memory_above on anon, and a pgscan ranking (below its matches too);
 * quiet's periodic sample reads none of it. */
Test(needs, memory_stat_only_where_read) {
        static const char json[] =
                "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [["
                "{\"type\": \"pressure_above\", \"cgroup\": \"/t/*\", \"threshold\": 20},"
                "{\"type\": \"memory_reclaim\", \"cgroup\": \"/t/*\"},"
                "{\"type\": \"memory_above\", \"cgroup\": \"/m\", \"threshold_anon\": \"1G\"},"
                "{\"type\": \"memory_above\", \"cgroup\": \"/n\", \"threshold\": \"1G\"}]],"
                "\"actions\": [{\"type\": \"kill\", \"cgroup\": \"/t/*\", \"ranker\": \"size_or_growth\"}]},"
                "{\"name\": \"s\", \"detectors\": [[{\"type\": \"pressure_above\", \"threshold\": 20}]],"
                "\"actions\": [{\"type\": \"kill\", \"cgroup\": \"/w/*\", \"ranker\": \"pgscan\", \"recursive\": true}]}]}";
        Policy *p = NULL;
        PolicyError err = {};
        SampleNeeds n;

        cr_assert_eq(policy_parse(json, "test", &p, &err), 0, "%s", err.message);

        cr_assert_eq(policy_needs_detectors(p, false, &n), 0);
        cr_assert(n.cgroup_fields & CG_MEMORY_STAT);
        cr_assert_eq(n.stat_cgroups.n, 2);
        cr_assert_str_eq(n.stat_cgroups.items[0].glob, "/t", "memory_reclaim on every child of /t reads /t");
        cr_assert_str_eq(n.stat_cgroups.items[1].glob, "/m");
        cr_assert_not(n.stat_descendants);
        cr_assert_eq(n.cgroups.n, 4); /* the children of /t (pressure), /t (reclaim), /m, /n */
        sample_needs_clear(&n);

        cr_assert_eq(policy_needs(p, false, &n), 0);
        cr_assert_eq(n.stat_cgroups.n, 3);
        cr_assert_str_eq(n.stat_cgroups.items[2].glob, "/w/*");
        cr_assert(n.stat_descendants, "a recursive pgscan ranking descends");
        sample_needs_clear(&n);
        cr_assert_null(n.stat_cgroups.items);

        /* quiet's periodic sample: the same cgroups (the tree keeps its entries), no reclaim counters */
        cr_assert_eq(policy_needs_detectors(p, false, &n), 0);
        cr_assert(n.vmstat);
        SampleNeeds g = sample_needs_guards(&n);
        cr_assert_eq(g.stat_cgroups.n, 0);
        cr_assert_not(g.stat_descendants || g.vmstat);
        cr_assert_not(g.cgroup_fields & CG_MEMORY_STAT);
        cr_assert(g.cgroup_fields & CG_MEMORY_PSI, "memory.pressure is what guards the pressure detector");
        cr_assert_eq(g.cgroups.n, n.cgroups.n);
        cr_assert(g.cgroups.items == n.cgroups.items, "borrowed, not copied");
        cr_assert(g.meminfo && g.system_mem_psi);
        cr_assert_eq(n.stat_cgroups.n, 2, "the detectors' own needs are untouched");
        sample_needs_clear(&n);
        policy_free(p);
}

Test(needs, empty_policy) {
        Policy p = {};
        SampleNeeds n;

        cr_assert_eq(policy_needs(&p, false, &n), 0);
        cr_assert(n.meminfo && n.system_mem_psi);
        cr_assert_not(n.vmstat || n.system_io_psi || n.procs || n.descendants);
        cr_assert_eq(n.cgroup_fields, 0);
        cr_assert_eq(n.cgroups.n, 0);
        sample_needs_clear(&n);
}

/* A detectors-only sample fires the ruleset but finds no candidate: the engine says it fired, so the
 * daemon reads the candidates and asks again. */
Test(engine, fired_without_candidates) {
        OneRuleset o;
        Policy *p = one_ruleset(&o, pressure_above(SYSTEM, 40, 0), action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        Engine *e = NULL;
        TestSample t;
        Decision d;

        cr_assert_eq(engine_new(p, &e), 0);
        ts_init(&t, SEC(1));
        t.s.system.mem_psi.full = psi(50, 0, 0);
        cr_assert_eq(evaluate(e, &t, &d), 0, "no candidate was sampled");
        cr_assert(engine_fired(e));
        cr_assert_eq(engine_fired_set(e), 1, "ruleset 0 fired");

        sample(&t, SEC(2), 50);
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert(engine_fired(e));
        decision_clear(&d);

        sample(&t, SEC(3), 10);
        cr_assert_eq(evaluate(e, &t, &d), 0);
        cr_assert_not(engine_fired(e));
        cr_assert_eq(engine_fired_set(e), 0);

        /* within the post-action delay the ruleset does not count as fired */
        sample(&t, SEC(4), 50);
        cr_assert_eq(evaluate(e, &t, &d), 1);
        engine_action_done(e, &d, true, SEC(4));
        decision_clear(&d);
        sample(&t, SEC(5), 50);
        cr_assert_eq(evaluate(e, &t, &d), 0);
        cr_assert_not(engine_fired(e));
        cr_assert_eq(engine_fired_set(e), 0, "a delayed ruleset is not in the set");
        engine_free(e);
        cr_assert_eq(engine_fired_set(NULL), 0);
}

Test(needs, detectors_alone) {
        Detector det[] = { pressure_above(SYSTEM, 40, 0), detector(DETECTOR_MEMORY_ABOVE, PATTERNS(pat("/work.slice"))) };
        DetectorGroup grp[] = { { det, 2 } };
        Action act[] = { action(RANKER_SWAP, ALL_CGROUPS) };
        Ruleset rs = { .name = (char *) "r", .groups = grp, .n_groups = 1, .actions = act, .n_actions = 1 };
        KillListEntry kl[] = { kill_entry("java") };
        Policy p = { .rulesets = &rs, .n_rulesets = 1, .kill_list = kl, .n_kill_list = 1 };
        SampleNeeds n;

        det[1].amount = bytes(MiB(100));
        cr_assert_eq(policy_needs_detectors(&p, false, &n), 0);
        cr_assert_eq(n.cgroup_fields, CG_MEMORY_CURRENT, "only what memory_above reads, got %#x", n.cgroup_fields);
        cr_assert_eq(n.cgroups.n, 1);
        cr_assert_str_eq(n.cgroups.items[0].glob, "/work.slice");
        cr_assert_not(n.descendants);
        cr_assert_not(n.procs, "the kill list's name pattern is a candidate need, not a detector need");
        cr_assert(n.system_mem_psi && n.meminfo);
        sample_needs_clear(&n);

        /* degraded: a cgroup's memory is its processes' RSS, so the detector needs them */
        cr_assert_eq(policy_needs_detectors(&p, true, &n), 0);
        cr_assert(n.procs);
        sample_needs_clear(&n);

        cr_assert_eq(policy_needs(&p, false, &n), 0);
        cr_assert(n.procs);
        cr_assert(n.descendants);
        cr_assert(n.cgroup_fields & CG_SWAP_CURRENT);
        sample_needs_clear(&n);
}

/* --- holding a decision through its prekill_timeout, and rechecking it --- */

Test(engine, hold_stops_its_ruleset_only) {
        Detector det[] = { pressure_above(SYSTEM, 40, 0) };
        DetectorGroup grp[] = { { det, 1 } };
        Action act[] = { action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS) };
        Ruleset rs[] = {
                { .name = (char *) "first", .groups = grp, .n_groups = 1, .actions = act, .n_actions = 1 },
                { .name = (char *) "second", .groups = grp, .n_groups = 1, .actions = act, .n_actions = 1 },
        };
        Policy p = { .rulesets = rs, .n_rulesets = 2 };
        Engine *e = NULL;
        TestSample t;
        Decision d1, d2, d;

        act[0].prekill_timeout_usec = SEC(5);
        cr_assert_eq(engine_new(&p, &e), 0);
        sample(&t, SEC(1), 50);
        cr_assert_eq(evaluate(e, &t, &d1), 1);
        cr_assert_str_eq(d1.ruleset, "first");
        cr_assert_eq(d1.prekill_timeout_usec, SEC(5));

        engine_hold(e, &d1);
        cr_assert(engine_held(e, 0));
        cr_assert_not(engine_held(e, 1));
        cr_assert_eq(evaluate(e, &t, &d2), 1, "another ruleset still decides");
        cr_assert_str_eq(d2.ruleset, "second");
        cr_assert(engine_fired(e));

        engine_hold(e, &d2);
        cr_assert_eq(evaluate(e, &t, &d), 0, "both rulesets are held");
        cr_assert_not(engine_fired(e), "a held ruleset does not count as fired");

        /* spared (not killed): released, and no post-action delay */
        engine_action_done(e, &d1, false, SEC(1));
        cr_assert_not(engine_held(e, 0));
        cr_assert(engine_held(e, 1));
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_str_eq(d.ruleset, "first");
        decision_clear(&d);

        /* killed: released, and the post-action delay starts */
        engine_action_done(e, &d2, true, SEC(1));
        cr_assert_not(engine_held(e, 1));
        engine_action_done(e, &d1, true, SEC(1));
        cr_assert_eq(evaluate(e, &t, &d), 0, "both rulesets are in their post-action delay");
        decision_clear(&d1);
        decision_clear(&d2);

        engine_hold(NULL, &d1);
        engine_hold(e, NULL);
        cr_assert_not(engine_held(NULL, 0));
        cr_assert_not(engine_held(e, 2));
        engine_free(e);
}

Test(engine, detectors_keep_counting_while_held) {
        OneRuleset o;
        Policy *p = one_ruleset(&o, pressure_above(SYSTEM, 40, SEC(10)), action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        Engine *e = NULL;
        TestSample t;
        Decision d, held;

        cr_assert_eq(engine_new(p, &e), 0);
        sample(&t, SEC(0), 50);
        cr_assert_eq(evaluate(e, &t, &d), 0);
        sample(&t, SEC(10), 50);
        cr_assert_eq(evaluate(e, &t, &held), 1);
        engine_hold(e, &held);

        /* pressure stays: while held nothing is decided; on release the ruleset decides at once */
        sample(&t, SEC(12), 50);
        cr_assert_eq(evaluate(e, &t, &d), 0);
        engine_action_done(e, &held, false, SEC(12));
        cr_assert_eq(evaluate(e, &t, &d), 1, "no new duration wait after the release");
        engine_hold(e, &d);
        decision_clear(&held);
        held = d;

        /* pressure drops and comes back while held: the detector re-arms meanwhile, so after the
         * release it waits out its duration from when the pressure came back */
        sample(&t, SEC(13), 10);
        cr_assert_eq(evaluate(e, &t, &d), 0);
        sample(&t, SEC(14), 50);
        cr_assert_eq(evaluate(e, &t, &d), 0);
        cr_assert(engine_arming(e));
        sample(&t, SEC(20), 50);
        engine_action_done(e, &held, false, SEC(20));
        cr_assert_eq(evaluate(e, &t, &d), 0, "armed at 14s, fires at 24s");
        sample(&t, SEC(24), 50);
        cr_assert_eq(evaluate(e, &t, &d), 1);
        decision_clear(&d);
        decision_clear(&held);
        engine_free(e);
}

Test(engine, hold_of_a_replaced_policy_is_ignored) {
        OneRuleset o, o2;
        Policy *p = one_ruleset(&o, pressure_above(SYSTEM, 40, 0), action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        Policy *p2 = one_ruleset(&o2, pressure_above(SYSTEM, 40, 0), action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        Engine *e = NULL;
        TestSample t;
        Decision d, old;

        o2.rs.name = (char *) "r2";
        cr_assert_eq(engine_new(p, &e), 0);
        sample(&t, SEC(1), 50);
        cr_assert_eq(evaluate(e, &t, &old), 1);
        engine_hold(e, &old);
        cr_assert_eq(engine_set_policy(e, p2), 0);
        cr_assert_not(engine_held(e, 0), "a new policy starts with nothing held");
        engine_hold(e, &old);
        cr_assert_not(engine_held(e, 0), "the old decision names a ruleset of the old policy");
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_str_eq(d.ruleset, "r2");
        decision_clear(&d);
        decision_clear(&old);
        engine_free(e);
}

/* /test.slice/a.service 512M (the victim) and b.service 200M; ruleset hog-size fires while a
 * service is above `limit`. */
static void hog_sample(TestSample *t, usec_t now, uint64_t a, uint64_t b) {
        ts_init(t, now);
        ts_cgroup(t, "/", 1, 0, 0);
        ts_cgroup(t, "/test.slice", 2, 1, a + b);
        ts_cgroup(t, "/test.slice/a.service", 30, 2, a);
        ts_cgroup(t, "/test.slice/b.service", 31, 2, b);
}

static Policy *hog_policy(OneRuleset *o, uint64_t limit) {
        /* static: the policy outlives this function */
        static Pattern services[] = { { .glob = (char *) "/test.slice/*", .is_path = true } };
        PatternList l = { .items = services, .n = 1 };
        Detector det = detector(DETECTOR_MEMORY_ABOVE, l);
        Policy *p;

        det.amount = bytes(limit);
        p = one_ruleset(o, det, action(RANKER_SIZE_OR_GROWTH, l));
        o->rs.name = (char *) "hog-size";
        return p;
}

static PrekillVerdict recheck(Engine *e, TestSample *t, const Decision *d, char *why, size_t size) {
        Decision other;
        int r = evaluate(e, t, &other);

        cr_assert_geq(r, 0);
        cr_assert_eq(r, 0, "the held ruleset decided again: %s", other.reason);
        return engine_recheck(e, &t->s, d, why, size);
}

/* An engine on hog_policy that has decided against a.service and holds that decision, as the
 * ladder does through a prekill_timeout. */
typedef struct HeldHog {
        OneRuleset o;
        Policy *p;
        Engine *e;
        TestSample t;  /* a.service 512M, b.service 200M at 1s, until a test samples again */
        Decision d;    /* the held decision */
        char why[512];
} HeldHog;

/* The policy and the first sample; a test may change either before held_hog_decide(). */
static void held_hog_init(HeldHog *h, uint64_t limit) {
        h->p = hog_policy(&h->o, limit);
        h->e = NULL;
        hog_sample(&h->t, SEC(1), MiB(512), MiB(200));
}

/* Starts the engine, which must decide against a.service on the first sample, and holds that. */
static void held_hog_decide(HeldHog *h) {
        cr_assert_eq(engine_new(h->p, &h->e), 0);
        cr_assert_eq(evaluate(h->e, &h->t, &h->d), 1);
        cr_assert_str_eq(h->d.cgroup, "/test.slice/a.service");
        engine_hold(h->e, &h->d);
}

static void held_hog_free(HeldHog *h) {
        decision_clear(&h->d);
        engine_free(h->e);
}

/* recheck() of the held decision against h->t; the reason lands in h->why. */
static PrekillVerdict held_hog_recheck(HeldHog *h) {
        return recheck(h->e, &h->t, &h->d, h->why, sizeof(h->why));
}

Test(engine, recheck_stands_and_quiet) {
        HeldHog h;

        held_hog_init(&h, MiB(400));
        held_hog_decide(&h);

        hog_sample(&h.t, SEC(2), MiB(450), MiB(200));
        cr_assert_eq(held_hog_recheck(&h), PREKILL_VERDICT_STANDS, "%s", h.why);
        cr_assert_str_eq(h.why, "its memory went from 512M to 450M and ruleset hog-size still fires and still picks it "
                                "(largest of 2 candidates by size_or_growth, phase 1)");

        hog_sample(&h.t, SEC(3), MiB(96), MiB(200));
        cr_assert_eq(held_hog_recheck(&h), PREKILL_VERDICT_QUIET, "%s", h.why);
        cr_assert_str_eq(h.why, "its memory went from 512M to 96M and ruleset hog-size no longer fires");

        /* pure: rechecking twice gives the same answer, and a NULL why is fine */
        cr_assert_eq(engine_recheck(h.e, &h.t.s, &h.d, NULL, 0), PREKILL_VERDICT_QUIET);
        cr_assert(engine_held(h.e, 0));
        held_hog_free(&h);
}

Test(engine, recheck_other_victim) {
        HeldHog h;

        held_hog_init(&h, MiB(150));
        held_hog_decide(&h);

        /* a.service shed memory below b.service; both are still above 150M, so the ruleset fires */
        hog_sample(&h.t, SEC(2), MiB(180), MiB(200));
        cr_assert_eq(held_hog_recheck(&h), PREKILL_VERDICT_OTHER_VICTIM, "%s", h.why);
        cr_assert_str_eq(h.why, "its memory went from 512M to 180M; ruleset hog-size still fires but now picks "
                                "/test.slice/b.service (largest of 2 candidates by size_or_growth, phase 1)");
        held_hog_free(&h);
}

Test(engine, recheck_other_victim_none) {
        HeldHog h;

        held_hog_init(&h, MiB(150));
        h.o.act[0].ranker = RANKER_SWAP;
        h.o.act[0].swap_threshold = bytes(MiB(100));
        h.t.cg[2].swap_current = MiB(300);
        held_hog_decide(&h);

        /* its swap fell below the action's swap_threshold: no candidate is left */
        hog_sample(&h.t, SEC(2), MiB(500), MiB(200));
        h.t.cg[2].swap_current = MiB(50);
        cr_assert_eq(held_hog_recheck(&h), PREKILL_VERDICT_OTHER_VICTIM, "%s", h.why);
        cr_assert_str_eq(h.why, "its memory went from 512M to 500M; ruleset hog-size still fires but its action now finds "
                                "no victim: /test.slice/a.service no longer meets its criteria");
        held_hog_free(&h);
}

Test(engine, recheck_gone) {
        HeldHog h;

        held_hog_init(&h, MiB(400));
        held_hog_decide(&h);

        /* removed: checked before whether the ruleset still fires (it does not, here) */
        ts_init(&h.t, SEC(2));
        ts_cgroup(&h.t, "/", 1, 0, 0);
        ts_cgroup(&h.t, "/test.slice", 2, 1, MiB(200));
        ts_cgroup(&h.t, "/test.slice/b.service", 31, 2, MiB(200));
        cr_assert_eq(held_hog_recheck(&h), PREKILL_VERDICT_GONE, "%s", h.why);
        cr_assert_str_eq(h.why, "/test.slice/a.service is gone: removed, or replaced by a new cgroup of the same name "
                                "(its memory was 512M at the decision)");

        /* the same path with another inode is another cgroup (the unit restarted) */
        hog_sample(&h.t, SEC(3), MiB(512), MiB(200));
        h.t.cg[2].inode = 99;
        cr_assert_eq(engine_recheck(h.e, &h.t.s, &h.d, h.why, sizeof(h.why)), PREKILL_VERDICT_GONE, "%s", h.why);
        held_hog_free(&h);
}

Test(engine, recheck_process_victim) {
        OneRuleset o;
        Policy *p = one_ruleset(&o, pressure_above(SYSTEM, 40, 0), action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        Engine *e = NULL;
        TestSample t;
        Decision d;
        char why[512];

        cr_assert_eq(engine_new(p, &e), 0);
        ts_init(&t, SEC(1));
        t.s.degraded = true;
        t.s.system.mem_psi.full = psi(60, 0, 0);
        ts_proc(&t, 900, "hog", "/", GiB(1));
        ts_proc(&t, 901, "small", "/", MiB(300));
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_eq(d.kind, TARGET_PROCESS);
        engine_hold(e, &d);

        t.s.now = SEC(2);
        t.proc[0].rss = MiB(800);
        cr_assert_eq(recheck(e, &t, &d, why, sizeof(why)), PREKILL_VERDICT_STANDS, "%s", why);
        cr_assert(strstr(why, "from 1.0G to 800M"), "%s", why);

        t.proc[0].rss = MiB(100);
        cr_assert_eq(recheck(e, &t, &d, why, sizeof(why)), PREKILL_VERDICT_OTHER_VICTIM, "%s", why);
        cr_assert_str_eq(why, "its memory went from 1.0G to 100M; ruleset r still fires but now picks process 901 (small) "
                              "(largest of 2 processes by RSS)");

        /* pid reuse: same pid, another start time */
        t.proc[0].start_time++;
        cr_assert_eq(recheck(e, &t, &d, why, sizeof(why)), PREKILL_VERDICT_GONE, "%s", why);
        cr_assert_str_eq(why, "process 900 (hog) has exited (its RSS was 1.0G at the decision)");
        decision_clear(&d);
        engine_free(e);
}

Test(engine, recheck_stale) {
        HeldHog h;
        OneRuleset o2;
        Policy *p2 = hog_policy(&o2, MiB(400));
        char name2[] = "hog-size"; /* a reload parses the same name into new memory */
        Decision fresh;

        o2.rs.name = name2;
        held_hog_init(&h, MiB(400));
        held_hog_decide(&h);

        /* the same ruleset name in a reloaded policy is still another policy */
        cr_assert_eq(engine_set_policy(h.e, p2), 0);
        cr_assert_eq(evaluate(h.e, &h.t, &fresh), 1);
        decision_clear(&fresh);
        cr_assert_eq(engine_recheck(h.e, &h.t.s, &h.d, h.why, sizeof(h.why)), PREKILL_VERDICT_STALE, "%s", h.why);
        cr_assert(strstr(h.why, "policy was reloaded"), "%s", h.why);

        h.d.ruleset = o2.rs.name;
        h.d.ruleset_index = 5;
        cr_assert_eq(engine_recheck(h.e, &h.t.s, &h.d, h.why, sizeof(h.why)), PREKILL_VERDICT_STALE);
        cr_assert_eq(engine_recheck(NULL, &h.t.s, &h.d, h.why, sizeof(h.why)), PREKILL_VERDICT_STALE);
        cr_assert_eq(engine_recheck(h.e, NULL, &h.d, h.why, sizeof(h.why)), PREKILL_VERDICT_STALE);
        /* a manual kill names no ruleset: nothing to recheck */
        cr_assert_eq(engine_recheck(h.e, &h.t.s, &(Decision) { .kind = TARGET_CGROUP }, h.why, sizeof(h.why)),
                     PREKILL_VERDICT_STALE);
        held_hog_free(&h);
}

Test(engine, prekill_verdict_names_and_hook) {
        OneRuleset o;
        Policy *p = one_ruleset(&o, pressure_above(SYSTEM, 40, 0), action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        char *hook[] = { (char *) "/usr/local/bin/save-state", (char *) "--quick", NULL };
        Engine *e = NULL;
        TestSample t;
        Decision d;

        cr_assert_str_eq(prekill_verdict_to_string(PREKILL_VERDICT_STANDS), "stands");
        cr_assert_str_eq(prekill_verdict_to_string(PREKILL_VERDICT_QUIET), "quiet");
        cr_assert_str_eq(prekill_verdict_to_string(PREKILL_VERDICT_OTHER_VICTIM), "other-victim");
        cr_assert_str_eq(prekill_verdict_to_string(PREKILL_VERDICT_GONE), "gone");
        cr_assert_str_eq(prekill_verdict_to_string(PREKILL_VERDICT_STALE), "stale");
        cr_assert_null(prekill_verdict_to_string(_PREKILL_VERDICT_MAX));
        cr_assert_null(prekill_verdict_to_string((PrekillVerdict) -1));

        cr_assert_eq(engine_new(p, &e), 0);
        sample(&t, SEC(1), 50);
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_null(d.prekill_hook);
        decision_clear(&d);
        o.act[0].prekill_hook = hook;
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_eq(d.prekill_hook, hook, "borrowed from the policy's action");
        decision_clear(&d);
        engine_free(e);
}

/* ---- kills in flight, releases, incidents ---- */

/* Two rulesets: "a" watches /a.slice's pressure and kills in it, "b" watches /b.slice's. */
typedef struct TwoSlices {
        Pattern pa[1], pb[1], pa_children[1], pb_children[1];
        Detector da[1], db[1];
        DetectorGroup ga[1], gb[1];
        Action aa[1], ab[1];
        Ruleset rs[2];
        Policy p;
} TwoSlices;

static Policy *two_slices(TwoSlices *o) {
        *o = (TwoSlices) {
                .pa = { pat("/a.slice") }, .pb = { pat("/b.slice") },
                .pa_children = { pat("/a.slice/*") }, .pb_children = { pat("/b.slice/*") },
        };
        o->da[0] = pressure_above((PatternList) { o->pa, 1 }, 20, 0);
        o->db[0] = pressure_above((PatternList) { o->pb, 1 }, 20, 0);
        o->aa[0] = action(RANKER_SIZE_OR_GROWTH, (PatternList) { o->pa_children, 1 });
        o->ab[0] = action(RANKER_SIZE_OR_GROWTH, (PatternList) { o->pb_children, 1 });
        o->ga[0] = (DetectorGroup) { .detectors = o->da, .n = 1 };
        o->gb[0] = (DetectorGroup) { .detectors = o->db, .n = 1 };
        o->rs[0] = (Ruleset) { .name = (char *) "a", .groups = o->ga, .n_groups = 1, .actions = o->aa, .n_actions = 1 };
        o->rs[1] = (Ruleset) { .name = (char *) "b", .groups = o->gb, .n_groups = 1, .actions = o->ab, .n_actions = 1 };
        o->p = (Policy) { .rulesets = o->rs, .n_rulesets = 2 };
        return &o->p;
}

/* Both slices stalled (avg10 `a`, `b`), each with two services; the first of each is the larger. */
static void two_slices_sample(TestSample *t, usec_t now, double a, double b) {
        ts_init(t, now);
        ts_cgroup(t, "/a.slice", 10, 1, GiB(3))->mem_psi.full = psi(a, 0, 0);
        ts_cgroup(t, "/a.slice/hog.service", 11, 10, GiB(2));
        ts_cgroup(t, "/a.slice/calm.service", 12, 10, GiB(1));
        ts_cgroup(t, "/b.slice", 20, 1, GiB(3))->mem_psi.full = psi(b, 0, 0);
        ts_cgroup(t, "/b.slice/big.service", 21, 20, GiB(2));
        ts_cgroup(t, "/b.slice/small.service", 22, 20, GiB(1));
}

/* Ruleset "a" kills /a.slice/hog.service at 100 s, gone at once: the first kill of an incident. */
static void kill_the_hog(Engine *e, TestSample *t) {
        Decision d;

        two_slices_sample(t, SEC(100), 50, 0);
        t->cg[0].mem_psi.full.total_usec = SEC(1);
        cr_assert_eq(evaluate(e, t, &d), 1);
        cr_assert_str_eq(d.cgroup, "/a.slice/hog.service");
        cr_assert_eq(engine_action_started(e, &d, SEC(100)), 0);
        engine_victim_gone(e, &d, SEC(100));
        decision_clear(&d);
}

Test(engine, a_stop_in_flight_holds_every_ruleset_that_watches_the_victim) {
        TwoSlices o;
        Policy *p = two_slices(&o);
        Engine *e = NULL;
        TestSample t;
        Decision d, d2;

        cr_assert_eq(engine_new(p, &e), 0);
        two_slices_sample(&t, SEC(100), 50, 0);
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_str_eq(d.cgroup, "/a.slice/hog.service");
        cr_assert_eq(d.incident_kill, 1);
        cr_assert_eq(engine_action_started(e, &d, SEC(100)), 0);
        cr_assert(engine_held(e, 0));
        cr_assert_not(engine_guarded(e, 0, NULL), "never quiet while a kill is in flight");

        /* the stop takes 4 s; the slice still stalls, and "b" fires on its own slice meanwhile */
        two_slices_sample(&t, SEC(102), 50, 50);
        cr_assert_eq(evaluate(e, &t, &d2), 1, "a ruleset that does not watch the victim goes on");
        cr_assert_str_eq(d2.ruleset, "b");
        decision_clear(&d2);
        engine_action_done(e, &(Decision) { .ruleset = o.rs[1].name, .ruleset_index = 1 }, false, SEC(102));

        /* a third ruleset watching the whole system waits too */
        engine_victim_gone(e, &d, SEC(104));
        cr_assert_not(engine_held(e, 0));
        decision_clear(&d);
        engine_free(e);
}

Test(engine, a_ruleset_on_the_system_waits_for_any_kill_in_flight) {
        OneRuleset o;
        Policy *p = one_ruleset(&o, pressure_above(SYSTEM, 40, 0), action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        Engine *e = NULL;
        TestSample t;
        Decision manual = { .cgroup = (char *) "/a.slice", .kill_list_index = -1 }, d;

        cr_assert_eq(engine_new(p, &e), 0);
        cr_assert_eq(engine_action_started(e, &manual, SEC(100)), 0, "a manual kill has no ruleset");
        sample(&t, SEC(101), 60);
        cr_assert_eq(evaluate(e, &t, &d), 0, "the system's pressure still carries the victim");
        engine_victim_gone(e, &manual, SEC(103));
        sample(&t, SEC(104), 60);
        cr_assert_eq(evaluate(e, &t, &d), 0, "avg10 60%% is from before the victim was gone: no stall since");
        engine_free(e);
}

Test(engine, a_lost_stop_holds_back_no_longer_than_its_deadline) {
        TwoSlices o;
        Policy *p = two_slices(&o);
        Engine *e = NULL;
        TestSample t;
        Decision d;
        char notice[768];

        o.aa[0].post_action_delay_usec = 0;
        cr_assert_eq(engine_new(p, &e), 0);
        two_slices_sample(&t, SEC(100), 50, 0);
        cr_assert_eq(evaluate(e, &t, &d), 1);
        d.stop_timeout_usec = SEC(2);
        cr_assert_eq(engine_action_started(e, &d, SEC(100)), 0);
        decision_clear(&d);
        two_slices_sample(&t, SEC(106), 50, 0);
        cr_assert_eq(evaluate(e, &t, &d), 0, "still within stop_timeout + grace");
        cr_assert_not(engine_take_notice(e, notice, sizeof notice));
        two_slices_sample(&t, SEC(107) + 1, 50, 0);
        cr_assert_eq(evaluate(e, &t, &d), 0, "taken as gone: the stale avg10 does not count");
        cr_assert(engine_take_notice(e, notice, sizeof notice));
        cr_assert(strstr(notice, "The kill of /a.slice/hog.service did not report its victim gone"), "%s", notice);
        cr_assert_not(engine_held(e, 0));
        engine_free(e);
}

/* The spike bug: the neighbour's stop took 6 s, avg10 still carried its stall when the delay that
 * began at StopUnit ran out, and the calm workload was the only candidate left. */
Test(engine, the_delay_starts_when_the_victim_is_gone_and_stale_pressure_spares_the_calm) {
        TwoSlices o;
        Policy *p = two_slices(&o);
        Engine *e = NULL;
        TestSample t;
        Decision d;

        o.da[0].duration_usec = SEC(5);
        cr_assert_eq(engine_new(p, &e), 0);
        two_slices_sample(&t, SEC(100), 50, 0);
        t.cg[0].mem_psi.full.total_usec = SEC(10);
        evaluate(e, &t, &d);
        two_slices_sample(&t, SEC(105), 50, 0);
        t.cg[0].mem_psi.full.total_usec = SEC(14);
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_str_eq(d.cgroup, "/a.slice/hog.service");
        cr_assert_eq(engine_action_started(e, &d, SEC(105)), 0);
        engine_victim_gone(e, &d, SEC(111));
        decision_clear(&d);

        /* the hog is gone; avg10 decays from 45% over 30 s, the counter no longer moves */
        for (int i = 0; i <= 30; i++) {
                two_slices_sample(&t, SEC(112 + i), 45 - i, 0);
                t.cg[0].mem_psi.full.total_usec = SEC(15);
                t.s.n_cgroups = 5; /* the hog's cgroup is gone: /a.slice/calm.service stays */
                t.cg[1] = t.cg[2];
                cr_assert_eq(evaluate(e, &t, &d), 0, "at +%d s the calm service was chosen: %s", i, d.reason);
        }
        engine_free(e);
}

/* One worker in one cgroup, replaced by its supervisor as soon as it dies. */
static void respawner(TestSample *t, usec_t now, uint64_t stalled) {
        ts_init(t, now);
        t->s.system.mem_psi.full = psi(80, 50, 10);
        t->s.system.mem_psi.full.total_usec = stalled;
        ts_cgroup(t, "/user.slice", 10, 1, GiB(3));
        ts_cgroup(t, "/user.slice/stress.service", 11, 10, GiB(3));
        ts_cgroup(t, "/system.slice", 20, 1, GiB(1));
        ts_cgroup(t, "/system.slice/calm.service", 21, 20, GiB(1));
}

Test(engine, a_victim_that_comes_back_is_ended_on_a_larger_scope_three_kills_at_most) {
        OneRuleset o;
        Detector det = pressure_above(SYSTEM, 50, SEC(1));
        Action act = action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS);
        Engine *e = NULL;
        TestSample t;
        Decision d;
        usec_t now = SEC(100);
        uint64_t stalled = 0;
        char notice[768];

        det.window = PSI_WINDOW_EXACT;
        det.window_usec = SEC(2);
        act.granularity = GRANULARITY_PROCESS;
        act.post_action_delay_usec = SEC(2);
        Policy *p = one_ruleset(&o, det, act);
        o.rs.method = UNIT_METHOD_KILL;
        cr_assert_eq(engine_new(p, &e), 0);

        const struct { bool process; UnitMethod method; const char *says; } steps[] = {
                { true, UNIT_METHOD_KILL, NULL },
                { false, UNIT_METHOD_KILL, "/user.slice/stress.service came back 3.0s after the last kill: escalated from process to cgroup (kill 2 of at most 3 in this incident)" },
                { false, UNIT_METHOD_STOP, "/user.slice/stress.service came back 3.0s after the last kill: escalated from cgroup to unit (kill 3 of at most 3 in this incident)" },
        };
        for (size_t k = 0; k < 3; k++) {
                int r = 0;
                /* 90% stalled: it fires once the 2 s window since the release holds and the delay is over */
                for (int i = 0; i < 20 && r == 0; i++, now += SEC(1), stalled += MSEC(900)) {
                        respawner(&t, now, stalled);
                        r = evaluate(e, &t, &d);
                }
                cr_assert_eq(r, 1, "kill %zu", k + 1);
                cr_assert_str_eq(d.cgroup, "/user.slice/stress.service");
                cr_assert_eq(d.granularity_process, steps[k].process, "kill %zu", k + 1);
                cr_assert_eq(d.method, steps[k].method, "kill %zu", k + 1);
                cr_assert_eq(d.escalated, k > 0);
                cr_assert_eq(d.incident_kill, k + 1);
                if (steps[k].says)
                        cr_assert(strstr(d.reason, steps[k].says), "kill %zu: %s", k + 1, d.reason);
                cr_assert_eq(engine_action_started(e, &d, t.s.now), 0);
                engine_victim_gone(e, &d, t.s.now);
                decision_clear(&d);
        }
        cr_assert_not(engine_take_notice(e, notice, sizeof notice));

        /* a fourth time: the bound; said once */
        for (int i = 0; i < 20; i++, now += SEC(1), stalled += MSEC(900)) {
                respawner(&t, now, stalled);
                cr_assert_eq(evaluate(e, &t, &d), 0, "a fourth kill at +%d s: %s", i, d.reason);
        }
        cr_assert(engine_take_notice(e, notice, sizeof notice));
        cr_assert(strstr(notice, "Ruleset r still fires after 3 kills in this incident, its bound (max_kills_per_incident); "
                                 "the last victim was /user.slice/stress.service"), "%s", notice);
        cr_assert_not(engine_take_notice(e, notice, sizeof notice));

        /* calm for 30 s: a new incident, a process first again */
        for (int i = 0; i < 31; i++, now += SEC(1)) {
                respawner(&t, now, stalled);
                cr_assert_eq(evaluate(e, &t, &d), 0);
        }
        int r = 0;
        for (int i = 0; i < 10 && r == 0; i++, now += SEC(1), stalled += MSEC(900)) {
                respawner(&t, now, stalled);
                r = evaluate(e, &t, &d);
        }
        cr_assert_eq(r, 1);
        cr_assert(d.granularity_process, "a new incident starts at the action's own scope");
        cr_assert_eq(d.incident_kill, 1);
        decision_clear(&d);
        engine_free(e);
}

Test(engine, another_victim_in_the_incident_is_not_escalated_but_counts) {
        TwoSlices o;
        Policy *p = two_slices(&o);
        Engine *e = NULL;
        TestSample t;
        Decision d;

        o.aa[0].post_action_delay_usec = 0;
        o.aa[0].granularity = GRANULARITY_PROCESS;
        cr_assert_eq(engine_new(p, &e), 0);
        kill_the_hog(e, &t);

        int r = 0;
        for (int i = 1; i < 10 && r == 0; i++) {
                two_slices_sample(&t, SEC(100 + i), 50, 0);
                t.cg[0].mem_psi.full.total_usec = SEC(1) + MSEC(900) * (uint64_t) i;
                t.cg[1] = t.cg[2]; /* the hog is gone for good; the calm service is left */
                t.cg[1].memory_current = GiB(3);
                t.s.n_cgroups = 5;
                r = evaluate(e, &t, &d);
        }
        cr_assert_eq(r, 1);
        cr_assert_str_eq(d.cgroup, "/a.slice/calm.service");
        cr_assert(d.granularity_process);
        cr_assert_not(d.escalated);
        cr_assert(strstr(d.reason, "; kill 2 of at most 3 in this incident"), "%s", d.reason);
        decision_clear(&d);
        engine_free(e);
}

/* The leaker is gone, the survivors page back in and the system still stalls: the small service
 * left is not the cause and must live; a large newcomer still may die. */
Test(engine, after_a_large_kill_a_much_smaller_candidate_is_not_the_cause) {
        TwoSlices o;
        Policy *p = two_slices(&o);
        Engine *e = NULL;
        TestSample t;
        Decision d;
        char notice[768];

        o.aa[0].post_action_delay_usec = 0;
        cr_assert_eq(engine_new(p, &e), 0);
        kill_the_hog(e, &t);

        for (int i = 1; i <= 8; i++) {
                two_slices_sample(&t, SEC(100 + i), 50, 0);
                t.cg[0].mem_psi.full.total_usec = SEC(1) + MSEC(900) * (uint64_t) i;
                /* the hog's cgroup is gone: calm.service and b.slice's are left */
                t.cg[1] = t.cg[2];
                t.cg[1].memory_current = t.cg[1].effective_usage = MiB(500); /* under a quarter of the hog's 2G */
                t.cg[2] = t.cg[3];
                t.cg[3] = t.cg[4];
                t.s.n_cgroups = 4;
                cr_assert_eq(evaluate(e, &t, &d), 0, "at +%d s: %s", i, d.reason);
        }
        cr_assert(engine_take_notice(e, notice, sizeof notice));
        cr_assert(strstr(notice, "Ruleset a still fires after killing /a.slice/hog.service (2.0G), but the candidate it finds "
                                 "now, /a.slice/calm.service, holds only 500M, less than 1/4 of that"), "%s", notice);
        cr_assert_not(engine_take_notice(e, notice, sizeof notice), "said once");

        t.cg[1].memory_current = t.cg[1].effective_usage = MiB(600);
        t.cg[1].average_usage = (double) MiB(600);
        cr_assert_eq(evaluate(e, &t, &d), 1, "a quarter or more may be the cause");
        cr_assert(strstr(d.reason, "kill 2 of at most 3 in this incident"), "%s", d.reason);
        decision_clear(&d);
        engine_free(e);
}

/* With method stop, the second kill is already the unit: a third finds no larger step. The victim
 * come back is ended however small it is now: it is the offender, not a bystander. */
Test(engine, after_the_unit_nothing_is_larger_and_the_victim_come_back_dies_small) {
        OneRuleset o;
        Detector det = pressure_above(SYSTEM, 50, SEC(1));
        Action act = action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS);
        Engine *e = NULL;
        TestSample t;
        Decision d;
        usec_t now = SEC(100);
        uint64_t stalled = 0;
        char notice[768];
        const char *says[] = {
                NULL,
                "/user.slice/stress.service came back 3.0s after the last kill: escalated from process to unit (kill 2 of at most 3",
                "/user.slice/stress.service came back 3.0s after the last kill, ended by unit again (kill 3 of at most 3",
        };

        det.window = PSI_WINDOW_EXACT;
        det.window_usec = SEC(2);
        act.granularity = GRANULARITY_PROCESS;
        act.post_action_delay_usec = SEC(2);
        Policy *p = one_ruleset(&o, det, act);
        o.rs.method = UNIT_METHOD_STOP;
        cr_assert_eq(engine_new(p, &e), 0);

        for (size_t k = 0; k < 3; k++) {
                int r = 0;
                for (int i = 0; i < 20 && r == 0; i++, now += SEC(1), stalled += MSEC(900)) {
                        respawner(&t, now, stalled);
                        if (k == 2 && i < 3) /* just after the second kill: 100M left of 3G */
                                t.cg[1].memory_current = t.cg[1].effective_usage = MiB(100);
                        r = evaluate(e, &t, &d);
                }
                cr_assert_eq(r, 1, "kill %zu", k + 1);
                if (says[k])
                        cr_assert(strstr(d.reason, says[k]), "kill %zu: %s", k + 1, d.reason);
                cr_assert_eq(decision_scope(&d), k == 0 ? KILL_SCOPE_PROCESS : KILL_SCOPE_UNIT);
                cr_assert_eq(engine_action_started(e, &d, t.s.now), 0);
                engine_victim_gone(e, &d, t.s.now);
                decision_clear(&d);
        }
        cr_assert_not(engine_take_notice(e, notice, sizeof notice), "%s", notice);
        engine_free(e);
}
