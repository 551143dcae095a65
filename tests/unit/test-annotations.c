/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * systemd-oomd annotations become rulesets that mean what systemd-oomd means: the generated
 * document parses, its detectors and actions are the ones systemd-oomd would apply, and policy
 * files merged over it can replace or remove a generated ruleset.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "annotations.h"
#include "policy.h"

static Policy *parse_generated(const UnitAnnotation *a, size_t n, bool have_swap) {
        char *json = annotations_to_policy_json(a, n, have_swap);
        Policy *p = NULL;
        PolicyError err = {};
        cr_assert_not_null(json);
        int r = policy_parse(json, "generated", &p, &err);
        cr_assert_eq(r, 0, "the generated policy does not parse: %s: %s\n%s", err.path, err.message, json);
        free(json);
        return p;
}

static const Ruleset *find_ruleset(const Policy *p, const char *name) {
        for (size_t i = 0; i < p->n_rulesets; i++)
                if (strcmp(p->rulesets[i].name, name) == 0)
                        return &p->rulesets[i];
        return NULL;
}

Test(annotations, memory_pressure_kill_watches_the_unit_and_ranks_its_descendants_by_reclaim) {
        UnitAnnotation a[] = { { .unit = "user@1000.service", .cgroup = "/user.slice/user-1000.slice/user@1000.service",
                                 .memory_pressure_kill = true, .memory_pressure_limit = 50 } };
        Policy *p = parse_generated(a, 1, true);
        cr_assert_eq(p->n_rulesets, 1);
        const Ruleset *rs = find_ruleset(p, "systemd-user_1000.service-memory-pressure");
        cr_assert_not_null(rs);
        cr_assert_eq(rs->n_groups, 1);
        cr_assert_eq(rs->groups[0].n, 2, "pressure and reclaim must both hold, as in systemd-oomd");
        const Detector *d = &rs->groups[0].detectors[0];
        cr_assert_eq(d->type, DETECTOR_PRESSURE_ABOVE);
        cr_assert_eq(d->kind, PSI_KIND_FULL);
        cr_assert_float_eq(d->threshold, 50, 1e-9);
        cr_assert_eq(d->duration_usec, ANNOTATION_PRESSURE_DURATION_USEC);
        cr_assert_str_eq(d->cgroups.items[0].glob, "/user.slice/user-1000.slice/user@1000.service");
        cr_assert_eq(rs->groups[0].detectors[1].type, DETECTOR_MEMORY_RECLAIM);
        cr_assert_eq(rs->n_actions, 1);
        cr_assert_eq(rs->actions[0].ranker, RANKER_PGSCAN);
        cr_assert_str_eq(rs->actions[0].cgroups.items[0].glob, "/user.slice/user-1000.slice/user@1000.service/*");
        policy_free(p);
}

Test(annotations, no_limit_means_systemd_oomd_default) {
        UnitAnnotation a[] = { { .unit = "test.slice", .cgroup = "/test.slice", .memory_pressure_kill = true } };
        Policy *p = parse_generated(a, 1, false);
        cr_assert_str_eq(p->rulesets[0].name, "systemd-test.slice-memory-pressure");
        cr_assert_float_eq(p->rulesets[0].groups[0].detectors[0].threshold, ANNOTATION_DEFAULT_PRESSURE_LIMIT_PERCENT, 1e-9);
        policy_free(p);
}

Test(annotations, swap_kill_only_with_swap_and_on_both_floors) {
        UnitAnnotation a[] = { { .unit = "-.slice", .cgroup = "/", .swap_kill = true } };
        char *json = annotations_to_policy_json(a, 1, false);
        cr_assert_str_eq(json, "{\"rulesets\":[]}", "systemd-oomd's swap rule never acts without swap");
        free(json);

        Policy *p = parse_generated(a, 1, true);
        cr_assert_eq(p->n_rulesets, 1);
        const Ruleset *rs = find_ruleset(p, "systemd--.slice-swap");
        cr_assert_not_null(rs);
        cr_assert_eq(rs->groups[0].n, 2);
        cr_assert_eq(rs->groups[0].detectors[0].type, DETECTOR_MEM_AVAILABLE_BELOW);
        cr_assert_eq(rs->groups[0].detectors[1].type, DETECTOR_SWAP_FREE_BELOW);
        cr_assert_eq(rs->actions[0].ranker, RANKER_SWAP);
        cr_assert_str_eq(rs->actions[0].cgroups.items[0].glob, "/*", "the root's candidates are its children, not \"//*\"");
        policy_free(p);
}

Test(annotations, units_without_kill_are_skipped_and_bad_input_is_refused) {
        UnitAnnotation a[] = { { .unit = "a.service", .cgroup = "/a.service" },
                               { .unit = "b.slice", .cgroup = "/b.slice", .memory_pressure_kill = true, .swap_kill = true } };
        Policy *p = parse_generated(a, 2, true);
        cr_assert_eq(p->n_rulesets, 2);
        cr_assert_not_null(find_ruleset(p, "systemd-b.slice-memory-pressure"));
        cr_assert_not_null(find_ruleset(p, "systemd-b.slice-swap"));
        policy_free(p);

        UnitAnnotation bad[] = { { .unit = "c.slice", .cgroup = NULL, .memory_pressure_kill = true } };
        cr_assert_null(annotations_to_policy_json(bad, 1, true));
        UnitAnnotation rel[] = { { .unit = "c.slice", .cgroup = "c.slice", .memory_pressure_kill = true } };
        cr_assert_null(annotations_to_policy_json(rel, 1, true));
}

Test(annotations, policy_files_merge_over_the_generated_rulesets) {
        UnitAnnotation a[] = { { .unit = "test.slice", .cgroup = "/test.slice", .memory_pressure_kill = true, .memory_pressure_limit = 20 },
                               { .unit = "other.slice", .cgroup = "/other.slice", .memory_pressure_kill = true } };
        char *generated = annotations_to_policy_json(a, 2, false);
        cr_assert_not_null(generated);
        /* The main file replaces one generated ruleset by name and adds its own; a drop-in removes the other. */
        const char *main_doc =
                "{\"rulesets\": [{\"name\": \"systemd-test.slice-memory-pressure\", \"detectors\": [[{\"type\": \"pressure_above\","
                " \"cgroup\": \"/test.slice\", \"threshold\": 35}]], \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/test.slice/*\"}]},"
                " {\"name\": \"mine\", \"detectors\": [[{\"type\": \"mem_available_below\", \"threshold\": \"5%\"}]],"
                " \"actions\": [{\"type\": \"kill\"}]}]}";
        const char *dropin = "{\"rulesets\": [{\"name\": \"systemd-other.slice-memory-pressure\", \"enabled\": false}]}";
        const char *texts[] = { generated, main_doc, dropin };
        const char *sources[] = { "systemd", "policy.json", "50-off.json" };
        Policy *p = NULL;
        PolicyError err = {};
        int r = policy_parse_merged(texts, sources, 3, &p, &err);
        cr_assert_eq(r, 0, "%s: %s", err.path, err.message);
        cr_assert_eq(p->n_rulesets, 2);
        const Ruleset *rs = find_ruleset(p, "systemd-test.slice-memory-pressure");
        cr_assert_not_null(rs);
        cr_assert_float_eq(rs->groups[0].detectors[0].threshold, 35, 1e-9, "the policy file's version wins");
        cr_assert_not_null(find_ruleset(p, "mine"));
        cr_assert_null(find_ruleset(p, "systemd-other.slice-memory-pressure"));
        policy_free(p);
        free(generated);
}

Test(annotations, limit_from_the_bus_is_a_fraction_of_uint32) {
        cr_assert_float_eq(annotation_limit_from_bus(UINT32_MAX), 100, 1e-9);
        cr_assert_float_eq(annotation_limit_from_bus(0), 0, 1e-9);
        cr_assert_float_eq(annotation_limit_from_bus(858993459), 20, 1e-12, "20%% exactly, as systemd was told");
        cr_assert_float_eq(annotation_limit_from_bus(1073741824), 25, 1e-12);
        cr_assert_float_eq(annotation_limit_from_bus(2147483647), 50, 1e-12);
}
