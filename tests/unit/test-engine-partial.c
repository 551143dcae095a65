/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Partial samples (Snapshot.partial, engine_partial_sources): an engine fed only the sources that
 * met its detectors decides exactly as one fed the whole tree, or says it cannot tell (-EAGAIN). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "detector.h"
#include "engine.h"
#include "macro.h"
#include "policy-builders.h"

/* The pressure (full avg10) of /a.slice, /b.slice and /c.slice at one moment; /c.slice is the largest. */
typedef struct Moment {
        double a, b, c;
} Moment;

static void whole(TestSample *t, usec_t now, Moment m) {
        ts_init(t, now);
        ts_cgroup(t, "/", 1, 0, 0);
        ts_cgroup(t, "/a.slice", 10, 1, GiB(1))->mem_psi.full = psi(m.a, 0, 0);
        ts_cgroup(t, "/b.slice", 20, 1, GiB(2))->mem_psi.full = psi(m.b, 0, 0);
        ts_cgroup(t, "/c.slice", 30, 1, GiB(3))->mem_psi.full = psi(m.c, 0, 0);
}

/* The same moment with only the root and `paths` read, as the daemon's partial sample reads them. */
static void partial(TestSample *t, usec_t now, Moment m, const char *const *paths, size_t n) {
        TestSample w;

        whole(&w, now, m);
        ts_init(t, now);
        t->cg[t->s.n_cgroups++] = w.cg[0];
        for (size_t i = 0; i < n; i++)
                for (size_t k = 1; k < w.s.n_cgroups; k++)
                        if (strcmp(w.cg[k].path, paths[i]) == 0)
                                t->cg[t->s.n_cgroups++] = w.cg[k];
        t->s.partial = true;
}

static int evaluate(Engine *e, TestSample *t, Decision *d) {
        decision_clear(d);
        *d = (Decision) { .kill_list_index = -1 };
        return engine_evaluate(e, &t->s, d);
}

/* Feeds `ref` every whole moment and `eng` a partial one whenever it offers sources (the whole
 * moment again when it cannot tell), and asserts after each that both decided the same. Returns the
 * number of partial evaluations that stood. */
static unsigned run_twins(const Policy *p, const Moment *moments, size_t n, usec_t step, int *first_decision) {
        Engine *ref = NULL, *eng = NULL;
        Decision dr = {}, de = {};
        unsigned stood = 0;

        cr_assert_eq(engine_new(p, &ref), 0);
        cr_assert_eq(engine_new(p, &eng), 0);
        *first_decision = -1;
        for (size_t i = 0; i < n; i++) {
                usec_t now = SEC(100) + i * step;
                const char *paths[8];
                TestSample tr, te;
                int rr, re;

                whole(&tr, now, moments[i]);
                rr = evaluate(ref, &tr, &dr);

                size_t np = engine_partial_sources(eng, now, paths, 8);
                re = -EAGAIN;
                if (np > 0) {
                        char copy[8][32];
                        const char *cp[8];
                        for (size_t k = 0; k < np; k++) { /* the engine borrows them from the last snapshot */
                                snprintf(copy[k], sizeof copy[k], "%s", paths[k]);
                                cp[k] = copy[k];
                        }
                        partial(&te, now, moments[i], cp, np);
                        re = evaluate(eng, &te, &de);
                        cr_assert_neq(re, 1, "moment %zu: a decision on a partial snapshot", i);
                        if (re != -EAGAIN)
                                stood++;
                        /* fired there: the daemon reads the whole tree and evaluates it at the same time */
                        if (re == 0 && engine_fired_set(eng) != 0)
                                re = -EAGAIN;
                }
                if (re == -EAGAIN) {
                        whole(&te, now, moments[i]);
                        re = evaluate(eng, &te, &de);
                }
                cr_assert_eq(re, rr, "moment %zu: partial engine returned %d, whole-tree engine %d", i, re, rr);
                cr_assert_eq(engine_arming(eng), engine_arming(ref), "moment %zu: arming differs", i);
                cr_assert_eq(engine_fired_set(eng), engine_fired_set(ref), "moment %zu: fired set differs", i);
                if (rr == 1) {
                        cr_assert_str_eq(de.cgroup, dr.cgroup, "moment %zu", i);
                        if (*first_decision < 0)
                                *first_decision = (int) i;
                }
        }
        decision_clear(&dr);
        decision_clear(&de);
        engine_free(ref);
        engine_free(eng);
        return stood;
}

Test(engine_partial, same_decision_when_the_source_changes) {
        OneRuleset o;
        Policy *p = one_ruleset(&o, pressure_above(ALL_CGROUPS, 20, SEC(5)), action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        /* /a holds from 100 s; at 104 s it drops and /b takes over: the duration runs on from 100 s
         * (the condition never stopped holding on the whole tree), and the ruleset fires at 105 s. */
        Moment m[] = {
                { 30, 5, 0 }, { 30, 5, 0 }, { 31, 5, 0 }, { 29, 5, 0 }, { 10, 30, 0 }, { 10, 30, 0 }, { 10, 30, 0 },
        };
        int first;
        unsigned stood = run_twins(p, m, ELEMENTSOF(m), SEC(1), &first);

        cr_assert_eq(first, 5, "the ruleset fired at moment %d, not 5", first);
        cr_assert_geq(stood, 4, "only %u partial evaluations stood", stood);
}

Test(engine_partial, cannot_tell_when_the_pressure_ends) {
        OneRuleset o;
        Policy *p = one_ruleset(&o, pressure_above(ALL_CGROUPS, 20, SEC(5)), action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        /* /a holds, then nothing does: the partial sample cannot say so, the whole one does */
        Moment m[] = { { 30, 5, 0 }, { 30, 5, 0 }, { 5, 5, 0 }, { 5, 5, 0 }, { 5, 30, 0 }, { 5, 30, 0 } };
        int first;

        run_twins(p, m, ELEMENTSOF(m), SEC(1), &first);
        cr_assert_eq(first, -1);
}

Test(engine_partial, fires_on_schedule_under_lasting_pressure) {
        OneRuleset o;
        Policy *p = one_ruleset(&o, pressure_above(ALL_CGROUPS, 20, SEC(5)), action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        Moment m[40];
        int first;

        for (size_t i = 0; i < ELEMENTSOF(m); i++)
                m[i] = (Moment) { 5, 5, 40 };
        unsigned stood = run_twins(p, m, ELEMENTSOF(m), MSEC(250), &first);
        cr_assert_eq(first, 20, "fired at moment %d, 5 s in is 20", first);
        cr_assert_geq(stood, 19);
}

Test(engine_partial, offers_the_source_of_each_holding_detector) {
        Detector d1 = pressure_above(ALL_CGROUPS, 20, SEC(5));
        Detector d2 = detector(DETECTOR_MEMORY_ABOVE, PATTERNS(pat("/b.slice"), pat("/c.slice")));
        Detector d3 = pressure_above(SYSTEM, 90, SEC(5)); /* the system's: read in every sample, needs no source */
        d2.amount = bytes(GiB(2));
        DetectorGroup g = GROUP(d1, d2, d3);
        Action a = action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS);
        Ruleset rs = { .name = (char *) "r", .groups = &g, .n_groups = 1, .actions = &a, .n_actions = 1 };
        Policy p = { .rulesets = &rs, .n_rulesets = 1 };
        Engine *e = NULL;
        Decision d = {};
        TestSample t;
        const char *paths[8];

        cr_assert_eq(engine_new(&p, &e), 0);
        cr_assert_eq(engine_partial_sources(e, SEC(100), paths, 8), 0, "nothing evaluated yet: every source");
        whole(&t, SEC(100), (Moment) { 30, 0, 0 });
        cr_assert_geq(evaluate(e, &t, &d), 0);
        /* d3 (the system) does not hold, but reads no cgroup; d1 holds on /a; d2 names its cgroups:
         * both of them, whether it holds or not */
        cr_assert_eq(engine_partial_sources(e, SEC(100), paths, 8), 3);
        cr_assert_str_eq(paths[0], "/a.slice");
        cr_assert_str_eq(paths[1], "/b.slice");
        cr_assert_str_eq(paths[2], "/c.slice");
        cr_assert_eq(engine_partial_sources(e, SEC(100), paths, 2), 0, "more sources than room: every source");

        whole(&t, SEC(101), (Moment) { 5, 0, 0 });
        cr_assert_geq(evaluate(e, &t, &d), 0);
        cr_assert_eq(engine_partial_sources(e, SEC(101), paths, 8), 0, "d1 holds nowhere: every source");
        decision_clear(&d);
        engine_free(e);
}

Test(engine_partial, detectors_that_need_every_source) {
        Detector rising = detector(DETECTOR_PRESSURE_RISING_BEYOND, ALL_CGROUPS);
        Detector none = detector(DETECTOR_EXISTS, PATTERNS(pat("/d*.slice")));
        rising.threshold = 20;
        none.negate = true;
        Detector dets[] = { rising, none };

        for (size_t i = 0; i < ELEMENTSOF(dets); i++) {
                OneRuleset o;
                Policy *p = one_ruleset(&o, dets[i], action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
                Engine *e = NULL;
                Decision d = {};
                TestSample t;
                const char *paths[8];

                cr_assert_eq(engine_new(p, &e), 0);
                for (unsigned s = 0; s < 3; s++) {
                        whole(&t, SEC(100 + s), (Moment) { 30, 30, 30 });
                        t.cg[1].mem_psi.full = psi(30, 30, 0);
                        cr_assert_geq(evaluate(e, &t, &d), 0);
                }
                cr_assert_eq(engine_partial_sources(e, SEC(102), paths, 8), 0, "detector %zu", i);
                /* handed a partial snapshot anyway, the engine cannot tell, and its state stays */
                partial(&t, SEC(103), (Moment) { 30, 30, 30 }, (const char *[]) { "/a.slice" }, 1);
                cr_assert_eq(evaluate(e, &t, &d), -EAGAIN, "detector %zu", i);
                decision_clear(&d);
                engine_free(e);
        }
}

Test(engine_partial, every_source_while_a_release_matters) {
        OneRuleset o;
        Policy *p = one_ruleset(&o, pressure_above(ALL_CGROUPS, 20, SEC(1)), action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        Engine *e = NULL;
        Decision d = {};
        TestSample t;
        const char *paths[8];

        o.act[0].post_action_delay_usec = 0;
        cr_assert_eq(engine_new(p, &e), 0);
        whole(&t, SEC(100), (Moment) { 30, 0, 0 });
        cr_assert_eq(evaluate(e, &t, &d), 0);
        cr_assert_eq(engine_partial_sources(e, SEC(100), paths, 8), 1);
        whole(&t, SEC(101), (Moment) { 30, 0, 0 });
        cr_assert_eq(evaluate(e, &t, &d), 1);
        cr_assert_eq(engine_action_started(e, &d, SEC(101)), 0);
        cr_assert_eq(engine_partial_sources(e, SEC(101), paths, 8), 0, "a kill in flight: every source");
        engine_victim_gone(e, &d, SEC(102));
        cr_assert_eq(engine_partial_sources(e, SEC(102), paths, 8), 0, "a release just now: every source");
        cr_assert_eq(engine_partial_sources(e, SEC(102) + RELEASE_KEEP_USEC, paths, 8), 1,
                     "the release no longer matters");
        decision_clear(&d);
        engine_free(e);
}

/* A detector on named cgroups (no glob) is told in full by a partial snapshot that holds them: its
 * condition false there is trusted, so it does not keep the daemon reading every cgroup. Here a
 * group of pressure_above on every cgroup and memory_above on /c.slice alone (3 GiB, never above
 * 4 GiB): the group never fires, and the partial evaluations stand all along. */
Test(engine_partial, named_sources_are_read_and_trusted_whether_they_hold_or_not) {
        Detector d1 = pressure_above(ALL_CGROUPS, 20, SEC(5));
        Detector d2 = detector(DETECTOR_MEMORY_ABOVE, PATTERNS(pat("/c.slice")));
        d2.amount = bytes(GiB(4));
        DetectorGroup g = GROUP(d1, d2);
        Action a = action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS);
        Ruleset rs = { .name = (char *) "r", .groups = &g, .n_groups = 1, .actions = &a, .n_actions = 1 };
        Policy p = { .rulesets = &rs, .n_rulesets = 1 };
        Moment m[12];
        int first;

        for (size_t i = 0; i < ELEMENTSOF(m); i++)
                m[i] = (Moment) { 40, 5, 5 };
        unsigned stood = run_twins(&p, m, ELEMENTSOF(m), SEC(1), &first);
        cr_assert_eq(first, -1, "memory_above never holds: no decision");
        cr_assert_eq(stood, ELEMENTSOF(m) - 1, "%u of %zu partial evaluations stood", stood, ELEMENTSOF(m) - 1);
}

/* A named source the partial snapshot lacks (a policy reloaded since, a cgroup not yet read): the
 * detector cannot tell. */
Test(engine_partial, a_named_source_not_read_cannot_tell) {
        OneRuleset o;
        Detector d = detector(DETECTOR_MEMORY_ABOVE, PATTERNS(pat("/c.slice")));
        d.amount = bytes(GiB(4));
        Policy *p = one_ruleset(&o, d, action(RANKER_SIZE_OR_GROWTH, ALL_CGROUPS));
        Engine *e = NULL;
        Decision dec = {};
        TestSample t;

        cr_assert_eq(engine_new(p, &e), 0);
        partial(&t, SEC(100), (Moment) { 0, 0, 0 }, (const char *[]) { "/a.slice" }, 1);
        cr_assert_eq(evaluate(e, &t, &dec), -EAGAIN);
        partial(&t, SEC(101), (Moment) { 0, 0, 0 }, (const char *[]) { "/c.slice" }, 1);
        cr_assert_eq(evaluate(e, &t, &dec), 0, "/c.slice read: memory_above is told, and false");
        decision_clear(&dec);
        engine_free(e);
}
