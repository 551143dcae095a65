/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine_guarded(): when the daemon may stop sampling because no ruleset can fire before a PSI
 * trigger does or MemAvailable (SwapFree) runs down. */
#include <criterion/criterion.h>

#include "engine.h"
#include "policy-builders.h"

static Policy *parse(const char *json) {
        PolicyError err = {};
        Policy *p = NULL;
        int r = policy_parse(json, "test policy", &p, &err);
        cr_assert_eq(r, 0, "%s: %s", err.path, err.message);
        return p;
}

/* Runs one evaluation of the policy on a sample: 16G RAM, 8G available, no swap unless swap_total,
 * system full avg10 `full`, /work.slice at `cg_full`. Returns the engine (caller frees both). */
static Engine *evaluated(Policy *p, double full, double cg_full, uint64_t swap_total, uint64_t swap_free) {
        TestSample t;
        Decision d = { .kill_list_index = -1 };
        Engine *e = NULL;

        cr_assert_eq(engine_new(p, &e), 0);
        ts_init(&t, SEC(100));
        t.s.system.mem_psi.full = psi(full, 0, 0);
        t.s.system.mem_psi.some = psi(full, 0, 0);
        t.s.system.meminfo.swap_total = swap_total;
        t.s.system.meminfo.swap_free = swap_free;
        ts_cgroup(&t, "/", 1, 0, 0);
        ts_cgroup(&t, "/work.slice", 2, 1, GiB(1))->mem_psi.full = psi(cg_full, 0, 0);
        cr_assert_geq(engine_evaluate(e, &t.s, &d), 0);
        decision_clear(&d);
        return e;
}

static const char pressure_and_reclaim[] =
        "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[{\"type\": \"pressure_above\", \"cgroup\": \"/work.slice\","
        " \"threshold\": 20, \"duration\": \"5s\"}, {\"type\": \"memory_reclaim\", \"cgroup\": \"/\", \"duration\": \"10s\"}]],"
        " \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/work.slice/*\"}]}]}";

Test(engine_guard, pressure_detector_guarded_by_a_low_enough_trigger) {
        Policy *p = parse(pressure_and_reclaim);
        Engine *e = evaluated(p, 0, 3, 0, 0);
        EngineGuard g = { .mem_available_floor = 7 };

        cr_assert(engine_guarded(e, 10, &g), "some trigger at 10%% guards a 20%% threshold");
        cr_assert_eq(g.mem_available_floor, 0);
        cr_assert_eq(g.swap_free_floor, 0);
        cr_assert_not(engine_guarded(e, 10.5, &g), "a trigger above half the threshold does not");
        cr_assert_not(engine_guarded(e, 0, NULL), "no trigger, no guard");
        engine_free(e);
        policy_free(p);
}

Test(engine_guard, a_holding_pressure_detector_is_no_guard) {
        Policy *p = parse(pressure_and_reclaim);
        Engine *e = evaluated(p, 0, 25, 0, 0);

        cr_assert_not(engine_guarded(e, 5, NULL), "/work.slice is above its threshold: the ruleset is arming");
        engine_free(e);
        policy_free(p);
}

Test(engine_guard, every_group_needs_a_guard) {
        /* the second group has only memory_above on a cgroup: nothing wakes us before it fires */
        Policy *p = parse("{\"rulesets\": [{\"name\": \"r\", \"detectors\": ["
                          "[{\"type\": \"pressure_above\", \"cgroup\": \"/\", \"threshold\": 40}],"
                          "[{\"type\": \"memory_above\", \"cgroup\": \"/work.slice\", \"threshold\": \"4G\"}]],"
                          " \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/work.slice/*\"}]}]}");
        Engine *e = evaluated(p, 0, 0, 0, 0);

        cr_assert_not(engine_guarded(e, 5, NULL));
        engine_free(e);
        policy_free(p);
}

Test(engine_guard, io_pressure_is_no_guard) {
        Policy *p = parse("{\"rulesets\": [{\"name\": \"r\", \"detectors\": ["
                          "[{\"type\": \"pressure_above\", \"cgroup\": \"/\", \"resource\": \"io\", \"threshold\": 40}]],"
                          " \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/work.slice/*\"}]}]}");
        Engine *e = evaluated(p, 0, 0, 0, 0);

        cr_assert_not(engine_guarded(e, 5, NULL), "the trigger watches memory, not io");
        engine_free(e);
        policy_free(p);
}

Test(engine_guard, default_policy_floors) {
        Policy *p = parse(policy_default_json);
        EngineGuard g;

        /* no swap: swap_free_below holds, so MemAvailable guards the floor ruleset */
        Engine *e = evaluated(p, 0, 0, 0, 0);
        cr_assert(engine_guarded(e, 7, &g));
        cr_assert_eq(g.mem_available_floor, GiB(16) / 20, "5%% of MemTotal");
        cr_assert_eq(g.swap_free_floor, 0);
        cr_assert_not(engine_guarded(e, 0, NULL), "without a trigger the pressure ruleset is unguarded");
        engine_free(e);

        /* the system fully stalled for 90% of the last 2 s (over 50% of its 5 s window): arming */
        e = evaluated(p, 0, 0, 0, 0);
        TestSample t;
        Decision d = { .kill_list_index = -1 };
        ts_init(&t, SEC(102));
        t.s.system.mem_psi.full.total_usec = MSEC(1800);
        cr_assert_eq(engine_evaluate(e, &t.s, &d), 0);
        cr_assert(engine_arming(e));
        cr_assert_not(engine_guarded(e, 7, NULL));
        engine_free(e);
        policy_free(p);
}

Test(engine_guard, swap_guards_when_memory_is_short) {
        /* MemAvailable under its floor but swap plentiful: SwapFree is the guard */
        Policy *p = parse("{\"rulesets\": [{\"name\": \"r\", \"detectors\": [["
                          "{\"type\": \"mem_available_below\", \"threshold\": \"60%\"},"
                          "{\"type\": \"swap_free_below\", \"threshold\": \"10%\"}]],"
                          " \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/work.slice/*\"}]}]}");
        EngineGuard g;
        Engine *e = evaluated(p, 0, 0, GiB(4), GiB(3));

        cr_assert(engine_guarded(e, 0, &g));
        cr_assert_eq(g.mem_available_floor, 0);
        cr_assert_eq(g.swap_free_floor, GiB(4) / 10);
        engine_free(e);
        policy_free(p);
}

Test(engine_guard, held_ruleset_and_null) {
        Policy *p = parse(policy_default_json);
        Engine *e = evaluated(p, 0, 0, 0, 0);
        Decision d = { .ruleset = p->rulesets[0].name, .ruleset_index = 0, .kill_list_index = -1 };

        engine_hold(e, &d);
        cr_assert_not(engine_guarded(e, 7, NULL), "a kill waits out its prekill_timeout: keep sampling");
        engine_action_done(e, &d, false, SEC(101));
        cr_assert(engine_guarded(e, 7, NULL));
        cr_assert_not(engine_guarded(NULL, 7, NULL));
        engine_free(e);
        policy_free(p);
}
