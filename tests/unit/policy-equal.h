/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Field-by-field comparison of two Policy values, for the round-trip tests. Each helper asserts
 * with the name of the field that differs, so a failing round trip says what was lost. */

#include <criterion/criterion.h>
#include <string.h>

#include "policy.h"

static inline void assert_amount_equal(const Amount *a, const Amount *b, const char *what) {
        cr_assert_eq(a->is_percent, b->is_percent, "%s.is_percent differs", what);
        cr_assert_eq(a->bytes, b->bytes, "%s.bytes differs", what);
        cr_assert_eq(a->permyriad, b->permyriad, "%s.permyriad differs", what);
}

static inline void assert_patterns_equal(const PatternList *a, const PatternList *b, const char *what) {
        cr_assert_eq(a->n, b->n, "%s: %zu patterns vs %zu", what, a->n, b->n);
        for (size_t i = 0; i < a->n; i++) {
                cr_assert_str_eq(a->items[i].glob, b->items[i].glob, "%s[%zu] differs", what, i);
                cr_assert_eq(a->items[i].is_path, b->items[i].is_path, "%s[%zu].is_path differs", what, i);
        }
}

static inline void assert_detector_equal(const Detector *a, const Detector *b) {
        cr_assert_eq(a->type, b->type);
        assert_patterns_equal(&a->cgroups, &b->cgroups, "detector.cgroups");
        cr_assert_eq(a->resource, b->resource);
        cr_assert_eq(a->kind, b->kind);
        cr_assert_eq(a->window, b->window);
        cr_assert_eq(a->window_usec, b->window_usec);
        cr_assert_eq(a->threshold, b->threshold, "threshold %g vs %g", a->threshold, b->threshold);
        assert_amount_equal(&a->amount, &b->amount, "detector.amount");
        cr_assert_eq(a->anon, b->anon);
        cr_assert_eq(a->duration_usec, b->duration_usec);
        cr_assert_eq(a->fast_fall_ratio, b->fast_fall_ratio);
        cr_assert_eq(a->negate, b->negate);
}

static inline void assert_action_equal(const Action *a, const Action *b) {
        cr_assert_eq(a->ranker, b->ranker);
        assert_patterns_equal(&a->cgroups, &b->cgroups, "action.cgroups");
        cr_assert_eq(a->recursive, b->recursive);
        cr_assert_eq(a->granularity, b->granularity);
        cr_assert_eq(a->use_kill_list, b->use_kill_list);
        cr_assert_eq(a->dry_run, b->dry_run);
        cr_assert_eq(a->post_action_delay_usec, b->post_action_delay_usec);
        cr_assert_eq(a->prekill_timeout_usec, b->prekill_timeout_usec);
        cr_assert_eq(!a->prekill_hook, !b->prekill_hook, "prekill_hook present in one only");
        for (size_t i = 0; a->prekill_hook && (a->prekill_hook[i] || b->prekill_hook[i]); i++) {
                cr_assert(a->prekill_hook[i] && b->prekill_hook[i], "prekill_hook: lengths differ at [%zu]", i);
                cr_assert_str_eq(a->prekill_hook[i], b->prekill_hook[i], "prekill_hook[%zu] differs", i);
        }
        cr_assert_eq(a->size_threshold_permyriad, b->size_threshold_permyriad);
        cr_assert_eq(a->min_growth_ratio, b->min_growth_ratio, "min_growth_ratio %.17g vs %.17g",
                     a->min_growth_ratio, b->min_growth_ratio);
        cr_assert_eq(a->growing_size_percentile, b->growing_size_percentile);
        assert_amount_equal(&a->swap_threshold, &b->swap_threshold, "swap_threshold");
        cr_assert_eq(a->pressure_resource, b->pressure_resource);
}

static inline void assert_policy_equal(const Policy *a, const Policy *b) {
        cr_assert_eq(a->dry_run, b->dry_run);
        cr_assert_eq(a->interval_usec, b->interval_usec);
        cr_assert_eq(a->fast_interval_usec, b->fast_interval_usec);
        assert_patterns_equal(&a->omit, &b->omit, "omit");
        assert_patterns_equal(&a->avoid, &b->avoid, "avoid");
        assert_patterns_equal(&a->prefer, &b->prefer, "prefer");
        cr_assert_eq(a->n_kill_list, b->n_kill_list);
        for (size_t i = 0; i < a->n_kill_list; i++) {
                const KillListEntry *x = &a->kill_list[i], *y = &b->kill_list[i];
                cr_assert_str_eq(x->pattern.glob, y->pattern.glob);
                cr_assert_eq(x->pattern.is_path, y->pattern.is_path);
                cr_assert_eq(x->has_min_memory, y->has_min_memory);
                assert_amount_equal(&x->min_memory, &y->min_memory, "kill_list.min_memory");
                cr_assert_eq(x->has_min_pressure, y->has_min_pressure);
                cr_assert_eq(x->min_pressure, y->min_pressure);
        }
        cr_assert_eq(a->n_rulesets, b->n_rulesets);
        for (size_t i = 0; i < a->n_rulesets; i++) {
                const Ruleset *x = &a->rulesets[i], *y = &b->rulesets[i];
                cr_assert_str_eq(x->name, y->name);
                cr_assert_eq(x->dry_run, y->dry_run);
                cr_assert_eq(x->method, y->method);
                cr_assert_eq(x->stop_timeout_usec, y->stop_timeout_usec);
                cr_assert_eq(x->max_kills, y->max_kills);
                cr_assert_eq(x->n_groups, y->n_groups);
                for (size_t g = 0; g < x->n_groups; g++) {
                        cr_assert_eq(x->groups[g].n, y->groups[g].n);
                        for (size_t d = 0; d < x->groups[g].n; d++)
                                assert_detector_equal(&x->groups[g].detectors[d], &y->groups[g].detectors[d]);
                }
                cr_assert_eq(x->n_actions, y->n_actions);
                for (size_t k = 0; k < x->n_actions; k++)
                        assert_action_equal(&x->actions[k], &y->actions[k]);
        }
}

/* Parses `json`, serializes it, parses that again and checks both policies are equal and that the
 * second serialization is identical text. Returns the first parse (caller frees). */
static inline Policy *assert_round_trip(const char *json) {
        Policy *a = NULL, *b = NULL;
        PolicyError err = {};
        char *text1, *text2;
        int r;

        r = policy_parse(json, "test", &a, &err);
        cr_assert_eq(r, 0, "parse failed: %s: %s", err.path, err.message);
        text1 = policy_to_json(a);
        cr_assert_not_null(text1);
        r = policy_parse(text1, "round-trip", &b, &err);
        cr_assert_eq(r, 0, "re-parse of policy_to_json output failed: %s: %s\n%s", err.path, err.message, text1);
        assert_policy_equal(a, b);
        text2 = policy_to_json(b);
        cr_assert_not_null(text2);
        cr_assert_str_eq(text1, text2);
        free(text1);
        free(text2);
        policy_free(b);
        return a;
}
