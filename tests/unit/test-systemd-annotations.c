/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The set of units with ManagedOOM*= settings that systemd/annotations.c keeps from PID 1's answers
 * (annotated_units_merge): a later answer replaces an earlier one, a unit leaves the set when its
 * setting is no longer "kill" or it stops running; the document made of the set
 * (annotated_units_document) does not depend on the order the answers came in; and loaded the way
 * the daemon loads its policy, under the policy files, the files win where they name the same ruleset
 * and the generated rulesets are added where they do not.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/core/policy_load.h"
#include "daemon/systemd/annotations.h"
#include "policy/policy.h"
#include "test-util.h"

/* ManagedOOMMemoryPressureLimit= as PID 1's property carries it: 2^32-1 is 100%. */
#define BUS_PERCENT(p) ((uint32_t) ((double) UINT32_MAX * (p) / 100.0 + 0.5))

typedef struct Set {
        AnnotatedUnit *units;
        size_t n;
} Set;

static void set_done(Set *s) {
        for (size_t i = 0; i < s->n; i++) {
                free(s->units[i].unit);
                free(s->units[i].cgroup);
        }
        free(s->units);
        *s = (Set) {};
}

static int merge(Set *s, const char *unit, const char *cgroup, bool pressure, uint32_t limit, bool swap) {
        return annotated_units_merge(&s->units, &s->n, unit, cgroup, pressure, limit, swap);
}

static const AnnotatedUnit *find_unit(const Set *s, const char *unit) {
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->units[i].unit, unit) == 0)
                        return &s->units[i];
        return NULL;
}

static const Ruleset *find_ruleset(const Policy *p, const char *name) {
        for (size_t i = 0; i < p->n_rulesets; i++)
                if (strcmp(p->rulesets[i].name, name) == 0)
                        return &p->rulesets[i];
        return NULL;
}

/* The set's document, parsed. */
static Policy *document_policy(Set *s, bool have_swap) {
        char *json = NULL;
        cr_assert_eq(annotated_units_document(s->units, s->n, have_swap, &json), 1);
        cr_assert_not_null(json);
        Policy *p = NULL;
        PolicyError err = {};
        cr_assert_eq(policy_parse(json, "annotations", &p, &err), 0, "%s: %s\n%s", err.path, err.message, json);
        free(json);
        return p;
}

Test(systemd_annotations, an_annotated_running_unit_is_added_with_its_limit) {
        Set s = {};

        cr_assert_eq(merge(&s, "test.slice", "/test.slice", true, BUS_PERCENT(40), false), 1);
        cr_assert_eq(s.n, 1);
        const AnnotatedUnit *u = find_unit(&s, "test.slice");
        cr_assert_not_null(u);
        cr_assert_str_eq(u->cgroup, "/test.slice");
        cr_assert(u->memory_pressure_kill);
        cr_assert_not(u->swap_kill);
        cr_assert_float_eq(u->memory_pressure_limit, 40, 1e-6, "the bus's fraction of 2^32-1, in percent");

        Policy *p = document_policy(&s, true);
        cr_assert_eq(p->n_rulesets, 1);
        const Ruleset *rs = find_ruleset(p, "systemd-test.slice-memory-pressure");
        cr_assert_not_null(rs);
        cr_assert_float_eq(rs->groups[0].detectors[0].threshold, 40, 1e-6);
        policy_free(p);
        set_done(&s);
}

Test(systemd_annotations, a_later_answer_replaces_the_earlier_one) {
        Set s = {};

        cr_assert_eq(merge(&s, "test.slice", "/test.slice", true, BUS_PERCENT(40), false), 1);
        cr_assert_eq(merge(&s, "other.slice", "/other.slice", true, 0, false), 1);
        cr_assert_eq(merge(&s, "test.slice", "/test.slice", true, BUS_PERCENT(70), true), 1);
        cr_assert_eq(s.n, 2, "one entry per unit, not one per answer");
        const AnnotatedUnit *u = find_unit(&s, "test.slice");
        cr_assert_float_eq(u->memory_pressure_limit, 70, 1e-6);
        cr_assert(u->swap_kill);

        Policy *p = document_policy(&s, true);
        cr_assert_eq(p->n_rulesets, 3);
        cr_assert_float_eq(find_ruleset(p, "systemd-test.slice-memory-pressure")->groups[0].detectors[0].threshold, 70, 1e-6);
        cr_assert_not_null(find_ruleset(p, "systemd-test.slice-swap"));
        cr_assert_not_null(find_ruleset(p, "systemd-other.slice-memory-pressure"));
        policy_free(p);
        set_done(&s);
}

Test(systemd_annotations, a_unit_leaves_when_its_setting_is_no_longer_kill) {
        Set s = {};

        cr_assert_eq(merge(&s, "test.slice", "/test.slice", true, 0, false), 1);
        cr_assert_eq(merge(&s, "other.slice", "/other.slice", false, 0, true), 1);
        cr_assert_eq(merge(&s, "test.slice", "/test.slice", false, BUS_PERCENT(40), false), 0);
        cr_assert_eq(s.n, 1);
        cr_assert_null(find_unit(&s, "test.slice"));
        cr_assert_not_null(find_unit(&s, "other.slice"));

        cr_assert_eq(merge(&s, "other.slice", "/other.slice", false, 0, false), 0);
        cr_assert_eq(s.n, 0);
        char *json = (char *) "untouched";
        cr_assert_eq(annotated_units_document(s.units, s.n, true, &json), 0);
        cr_assert_null(json, "an empty set is no document, not an empty one");
        set_done(&s);
}

Test(systemd_annotations, a_unit_that_does_not_run_is_left_out) {
        Set s = {};

        cr_assert_eq(merge(&s, "idle.service", NULL, true, 0, true), 0);
        cr_assert_eq(merge(&s, "idle2.service", "", true, 0, true), 0);
        cr_assert_eq(s.n, 0);

        cr_assert_eq(merge(&s, "db.service", "/system.slice/db.service", true, 0, false), 1);
        cr_assert_eq(merge(&s, "db.service", "", true, 0, false), 0, "stopped: its cgroup is gone");
        cr_assert_eq(s.n, 0);
        set_done(&s);
}

Test(systemd_annotations, removing_a_unit_keeps_the_others) {
        Set s = {};

        cr_assert_eq(merge(&s, "a.slice", "/a.slice", true, 0, false), 1);
        cr_assert_eq(merge(&s, "b.slice", "/b.slice", true, 0, false), 1);
        cr_assert_eq(merge(&s, "c.slice", "/c.slice", true, 0, false), 1);
        annotated_units_remove(s.units, &s.n, "a.slice");
        annotated_units_remove(s.units, &s.n, "nonexistent.slice");
        cr_assert_eq(s.n, 2);
        cr_assert_null(find_unit(&s, "a.slice"));
        cr_assert_not_null(find_unit(&s, "b.slice"));
        cr_assert_not_null(find_unit(&s, "c.slice"));
        set_done(&s);
}

Test(systemd_annotations, the_same_units_give_the_same_text_whatever_the_order) {
        Set x = {}, y = {};
        char *jx = NULL, *jy = NULL;

        merge(&x, "a.slice", "/a.slice", true, BUS_PERCENT(30), false);
        merge(&x, "b.service", "/system.slice/b.service", false, 0, true);
        merge(&x, "c.scope", "/c.scope", true, 0, true);
        merge(&y, "c.scope", "/c.scope", true, 0, true);
        merge(&y, "a.slice", "/a.slice", true, BUS_PERCENT(30), false);
        merge(&y, "b.service", "/system.slice/b.service", false, 0, true);
        cr_assert_eq(annotated_units_document(x.units, x.n, true, &jx), 1);
        cr_assert_eq(annotated_units_document(y.units, y.n, true, &jy), 1);
        cr_assert_str_eq(jx, jy);
        cr_assert_lt(strstr(jx, "systemd-a.slice"), strstr(jx, "systemd-b.service"), "sorted by unit: %s", jx);
        cr_assert_lt(strstr(jx, "systemd-b.service"), strstr(jx, "systemd-c.scope"), "sorted by unit: %s", jx);
        free(jx);
        free(jy);
        set_done(&x);
        set_done(&y);
}

Test(systemd_annotations, swap_kill_is_a_ruleset_only_with_swap) {
        Set s = {};

        char *json = NULL;

        merge(&s, "-.slice", "/", false, 0, true);
        cr_assert_eq(annotated_units_document(s.units, s.n, false, &json), 1);
        cr_assert_str_eq(json, "{\"rulesets\":[]}", "systemd-oomd's swap rule never acts without swap");
        free(json);
        Policy *p = document_policy(&s, true);
        cr_assert_eq(p->n_rulesets, 1);
        cr_assert_not_null(find_ruleset(p, "systemd--.slice-swap"));
        policy_free(p);
        set_done(&s);
}

Test(systemd_annotations, under_the_policy_files_the_files_win_and_the_rest_is_added) {
        char dir[64], main_path[256], dropins[256], err[1024] = "";
        Set s = {};
        char *base = NULL;

        merge(&s, "test.slice", "/test.slice", true, BUS_PERCENT(20), false);
        merge(&s, "other.slice", "/other.slice", true, BUS_PERCENT(60), false);
        merge(&s, "gone.slice", "/gone.slice", true, 0, false);
        cr_assert_eq(annotated_units_document(s.units, s.n, true, &base), 1);

        tmpdir_new(dir, sizeof dir, "test-systemd-annotations");
        path_at(main_path, sizeof main_path, dir, "policy.json");
        path_at(dropins, sizeof dropins, dir, "policy.d");
        mkdir_at(dir, "policy.d");
        /* The main file names one generated ruleset (its version wins) and adds its own; a drop-in turns
         * another off. */
        write_at(dir, "policy.json", "{\"rulesets\": [{\"name\": \"systemd-test.slice-memory-pressure\", \"detectors\": "
                 "[[{\"type\": \"pressure_above\", \"cgroup\": \"/test.slice\", \"threshold\": 35}]], \"actions\": "
                 "[{\"type\": \"kill\", \"cgroup\": \"/test.slice/*\"}]}, {\"name\": \"mine\", \"detectors\": "
                 "[[{\"type\": \"mem_available_below\", \"threshold\": \"5%\"}]], \"actions\": [{\"type\": \"kill\"}]}]}");
        write_at(dir, "policy.d/50-off.json", "{\"rulesets\": [{\"name\": \"systemd-gone.slice-memory-pressure\", "
                 "\"enabled\": false}]}");

        PolicySources src = { .main_path = main_path, .dropin_dirs = { dropins, NULL }, .base_text = base,
                              .base_name = "systemd's ManagedOOM*= settings of 3 unit(s)" };
        Policy *p = NULL;
        char *desc = NULL;
        cr_assert_eq(policy_load(&src, &p, &desc, err, sizeof err), 0, "%s", err);
        cr_assert_eq(p->n_rulesets, 3, "the file's two and the generated one no file names");
        const Ruleset *rs = find_ruleset(p, "systemd-test.slice-memory-pressure");
        cr_assert_not_null(rs);
        cr_assert_float_eq(rs->groups[0].detectors[0].threshold, 35, 1e-9, "the policy file's version wins");
        cr_assert_not_null(find_ruleset(p, "mine"));
        rs = find_ruleset(p, "systemd-other.slice-memory-pressure");
        cr_assert_not_null(rs, "a generated ruleset no file names is added");
        cr_assert_float_eq(rs->groups[0].detectors[0].threshold, 60, 1e-6, "with the unit's own limit");
        cr_assert_null(find_ruleset(p, "systemd-gone.slice-memory-pressure"), "a drop-in may turn one off");
        cr_assert_not_null(strstr(desc, "systemd's ManagedOOM*= settings of 3 unit(s)"), "description: %s", desc);

        free(desc);
        policy_free(p);
        free(base);
        set_done(&s);
        rm_rf_at(dir, "");
}
