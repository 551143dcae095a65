/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>

#include "macro.h"
#include "policy-equal.h"
#include "policy.h"

#define RS(name, threshold) \
        "{\"name\": \"" name "\", \"detectors\": [[{\"type\": \"pressure_above\", \"threshold\": " #threshold "}]]," \
        " \"actions\": [{\"type\": \"kill\"}]}"

#define MAIN "{\"interval\": \"2s\", \"dry_run\": false, \"omit\": [\"/init.scope\", \"sshd\"], \"avoid\": [\"Xorg\"]," \
             " \"rulesets\": [" RS("a", 10) ", " RS("b", 20) ", " RS("c", 30) "]}"

static Policy *merge_ok(const char *const *texts, size_t n) {
        static const char *const sources[] = { "main.json", "10-first.json", "20-second.json", "30-third.json" };
        PolicyError err = {};
        Policy *p = NULL;
        int r;

        cr_assert_leq(n, ELEMENTSOF(sources));
        r = policy_parse_merged(texts, sources, n, &p, &err);
        cr_assert_eq(r, 0, "merge failed: %s: %s", err.path, err.message);
        cr_assert_not_null(p);
        return p;
}

static void merge_fails(const char *const *texts, size_t n, const char *path, const char *phrase, const char *source) {
        static const char *const sources[] = { "main.json", "10-first.json", "20-second.json", "30-third.json" };
        PolicyError err = {};
        Policy *p = NULL;
        int r = policy_parse_merged(texts, sources, n, &p, &err);

        cr_assert_eq(r, -EINVAL, "merge accepted (r=%d)", r);
        cr_assert_null(p);
        cr_assert_str_eq(err.path, path, "wrong path for \"%s\"", err.message);
        cr_assert(strstr(err.message, phrase), "message \"%s\" does not say \"%s\"", err.message, phrase);
        if (source) {
                char in[64];
                snprintf(in, sizeof(in), "(in %s)", source);
                cr_assert(strstr(err.message, in), "message \"%s\" does not name its source %s", err.message, source);
        }
}

static void assert_names(const Policy *p, const char *const *names, size_t n) {
        cr_assert_eq(p->n_rulesets, n, "%zu rulesets, expected %zu", p->n_rulesets, n);
        for (size_t i = 0; i < n; i++)
                cr_assert_str_eq(p->rulesets[i].name, names[i], "rulesets[%zu]", i);
}

static double threshold_of(const Policy *p, size_t i) {
        return p->rulesets[i].groups[0].detectors[0].threshold;
}

Test(policy_merge, drop_in_replaces_ruleset_by_name_in_place) {
        const char *texts[] = { MAIN, "{\"rulesets\": [" RS("b", 77) "]}" };
        Policy *p = merge_ok(texts, 2);

        assert_names(p, (const char *[]) { "a", "b", "c" }, 3);
        cr_assert_eq(threshold_of(p, 0), 10);
        cr_assert_eq(threshold_of(p, 1), 77, "the drop-in's ruleset replaces the main one");
        cr_assert_eq(threshold_of(p, 2), 30);
        policy_free(p);
}

Test(policy_merge, first_last_and_only_rulesets_are_replaced_in_place) {
        const char *texts[] = { MAIN, "{\"rulesets\": [" RS("c", 33) ", " RS("a", 11) "]}" };
        const char *single[] = { "{\"rulesets\": [" RS("a", 10) "]}", "{\"rulesets\": [" RS("a", 12) "]}" };
        Policy *p = merge_ok(texts, 2);

        assert_names(p, (const char *[]) { "a", "b", "c" }, 3);
        cr_assert_eq(threshold_of(p, 0), 11);
        cr_assert_eq(threshold_of(p, 1), 20);
        cr_assert_eq(threshold_of(p, 2), 33);
        policy_free(p);

        p = merge_ok(single, 2);
        assert_names(p, (const char *[]) { "a" }, 1);
        cr_assert_eq(threshold_of(p, 0), 12);
        policy_free(p);
}

Test(policy_merge, replacement_is_whole_not_key_by_key) {
        /* the main "b" has dry_run true; the drop-in's "b" does not say, so it is false again */
        const char *texts[] = {
                "{\"rulesets\": [{\"name\": \"b\", \"dry_run\": true, \"detectors\": [[{\"type\": \"memory_reclaim\"}]],"
                " \"actions\": [{\"type\": \"kill\", \"ranker\": \"swap\"}]}]}",
                "{\"rulesets\": [" RS("b", 5) "]}",
        };
        Policy *p = merge_ok(texts, 2);

        cr_assert_eq(p->rulesets[0].dry_run, false);
        cr_assert_eq(p->rulesets[0].groups[0].detectors[0].type, DETECTOR_PRESSURE_ABOVE);
        cr_assert_eq(p->rulesets[0].actions[0].ranker, RANKER_SIZE_OR_GROWTH);
        policy_free(p);
}

Test(policy_merge, drop_in_appends_new_rulesets) {
        const char *texts[] = { MAIN, "{\"rulesets\": [" RS("z", 1) ", " RS("y", 2) "]}" };
        Policy *p = merge_ok(texts, 2);

        assert_names(p, (const char *[]) { "a", "b", "c", "z", "y" }, 5);
        cr_assert_eq(threshold_of(p, 4), 2);
        policy_free(p);
}

Test(policy_merge, enabled_false_removes_a_ruleset) {
        const char *texts[] = { MAIN, "{\"rulesets\": [{\"name\": \"b\", \"enabled\": false}]}" };
        Policy *p = merge_ok(texts, 2);

        assert_names(p, (const char *[]) { "a", "c" }, 2);
        policy_free(p);
}

Test(policy_merge, enabled_true_is_accepted_and_dropped) {
        const char *texts[] = {
                MAIN,
                "{\"rulesets\": [{\"name\": \"c\", \"enabled\": true, \"detectors\": [[{\"type\": \"pressure_above\", \"threshold\": 99}]],"
                " \"actions\": [{\"type\": \"kill\"}]}]}",
        };
        Policy *p = merge_ok(texts, 2);

        assert_names(p, (const char *[]) { "a", "b", "c" }, 3);
        cr_assert_eq(threshold_of(p, 2), 99);
        policy_free(p);
}

Test(policy_merge, remove_then_re_add_appends) {
        const char *texts[] = { MAIN, "{\"rulesets\": [{\"name\": \"a\", \"enabled\": false}]}", "{\"rulesets\": [" RS("a", 42) "]}" };
        Policy *p = merge_ok(texts, 3);

        assert_names(p, (const char *[]) { "b", "c", "a" }, 3);
        cr_assert_eq(threshold_of(p, 2), 42);
        policy_free(p);
}

Test(policy_merge, arrays_other_than_rulesets_are_replaced_whole) {
        const char *texts[] = { MAIN, "{\"omit\": [\"/system.slice/important.service\"], \"kill_list\": [{\"pattern\": \"java\"}]}" };
        Policy *p = merge_ok(texts, 2);

        cr_assert_eq(p->omit.n, 1, "omit is replaced, not appended to");
        cr_assert_str_eq(p->omit.items[0].glob, "/system.slice/important.service");
        cr_assert_eq(p->avoid.n, 1, "avoid is untouched");
        cr_assert_str_eq(p->avoid.items[0].glob, "Xorg");
        cr_assert_eq(p->n_kill_list, 1);
        assert_names(p, (const char *[]) { "a", "b", "c" }, 3);
        policy_free(p);
}

Test(policy_merge, scalars_are_overridden_later_drop_in_wins) {
        const char *texts[] = { MAIN, "{\"dry_run\": true, \"interval\": \"5s\"}", "{\"interval\": \"3s\", \"fast_interval\": \"1s\"}" };
        Policy *p = merge_ok(texts, 3);

        cr_assert_eq(p->dry_run, true);
        cr_assert_eq(p->interval_usec, 3 * USEC_PER_SEC);
        cr_assert_eq(p->fast_interval_usec, 1 * USEC_PER_SEC);
        cr_assert_eq(p->omit.n, 2, "keys a drop-in does not name stay as they were");
        policy_free(p);
}

Test(policy_merge, empty_drop_in_changes_nothing) {
        const char *texts[] = { MAIN, "{}", "{\"rulesets\": []}" };
        Policy *merged = merge_ok(texts, 3), *plain = NULL;
        PolicyError err = {};

        cr_assert_eq(policy_parse(MAIN, "main.json", &plain, &err), 0, "%s", err.message);
        assert_policy_equal(merged, plain);
        policy_free(merged);
        policy_free(plain);
}

Test(policy_merge, null_main_uses_the_default_policy) {
        const char *texts[] = { NULL, "{\"dry_run\": true, \"rulesets\": [{\"name\": \"system-memory-pressure\", \"enabled\": false}]}" };
        Policy *p = merge_ok(texts, 2), *def = NULL;

        cr_assert_eq(p->dry_run, true);
        assert_names(p, (const char *[]) { "memory-available-floor" }, 1);
        cr_assert_gt(p->omit.n, 0, "the default's omit list is kept");
        policy_free(p);

        /* no documents at all = the default policy */
        cr_assert_eq(policy_parse_merged(NULL, NULL, 0, &def, NULL), 0);
        assert_names(def, (const char *[]) { "memory-available-floor", "system-memory-pressure" }, 2);
        policy_free(def);
}

Test(policy_merge, main_without_rulesets_is_fine_when_a_drop_in_adds_one) {
        const char *texts[] = { "{\"dry_run\": true}", "{\"rulesets\": [" RS("only", 50) "]}" };
        Policy *p = merge_ok(texts, 2);

        assert_names(p, (const char *[]) { "only" }, 1);
        policy_free(p);
}

Test(policy_merge, merged_policy_round_trips) {
        const char *texts[] = { MAIN, "{\"rulesets\": [" RS("b", 77) ", " RS("new", 5) "], \"prefer\": [\"chrome\"]}" };
        Policy *p = merge_ok(texts, 2), *q = NULL;
        PolicyError err = {};
        char *json = policy_to_json(p);

        cr_assert_not_null(json);
        cr_assert_eq(policy_parse(json, "round-trip", &q, &err), 0, "%s: %s", err.path, err.message);
        assert_policy_equal(p, q);
        free(json);
        policy_free(p);
        policy_free(q);
}

/* errors */

Test(policy_merge, bad_drop_in_json_names_its_source) {
        const char *texts[] = { MAIN, "{}", "{\"dry_run\": true,\n \"interval\": }" };
        merge_fails(texts, 3, "", "invalid JSON: parsing stopped at line 2", "20-second.json");
}

Test(policy_merge, truncated_drop_in_names_its_source) {
        const char *texts[] = { MAIN, "{\"rulesets\": [" };
        merge_fails(texts, 2, "", "ends too early", "10-first.json");
}

Test(policy_merge, bad_value_from_drop_in_names_it_at_the_merged_path) {
        const char *texts[] = { MAIN, "{\"rulesets\": [" RS("z", 1) "]}", "{\"rulesets\": [" RS("b", 150) "]}" };
        /* "b" stays at index 1 of the merged document */
        merge_fails(texts, 3, "rulesets[1].detectors[0][0].threshold", "got 150", "20-second.json");
}

Test(policy_merge, bad_value_left_in_main_names_main) {
        const char *texts[] = { "{\"interval\": \"1x\", \"rulesets\": [" RS("a", 10) "]}", "{\"rulesets\": [" RS("b", 1) "]}" };
        merge_fails(texts, 2, "interval", "expected a duration", "main.json");
}

Test(policy_merge, bad_scalar_from_drop_in) {
        const char *texts[] = { MAIN, "{\"interval\": \"fast\"}" };
        merge_fails(texts, 2, "interval", "expected a duration", "10-first.json");
}

Test(policy_merge, unknown_key_from_drop_in) {
        const char *texts[] = { MAIN, "{\"omitt\": []}" };
        merge_fails(texts, 2, "omitt", "unknown key \"omitt\"", "10-first.json");
}

Test(policy_merge, removing_an_unknown_ruleset_is_an_error) {
        const char *texts[] = { MAIN, "{\"rulesets\": [" RS("x", 1) ", {\"name\": \"nope\", \"enabled\": false}]}" };
        merge_fails(texts, 2, "rulesets[1]", "cannot remove ruleset \"nope\"", "10-first.json");
}

Test(policy_merge, enabled_false_with_other_keys) {
        const char *texts[] = { MAIN, "{\"rulesets\": [{\"name\": \"a\", \"enabled\": false, \"dry_run\": true}]}" };
        merge_fails(texts, 2, "rulesets[0]", "must have no other keys", "10-first.json");
}

Test(policy_merge, enabled_not_a_boolean) {
        const char *texts[] = { MAIN, "{\"rulesets\": [{\"name\": \"a\", \"enabled\": \"no\"}]}" };
        merge_fails(texts, 2, "rulesets[0].enabled", "expected a boolean", "10-first.json");
}

Test(policy_merge, drop_in_ruleset_without_name) {
        const char *texts[] = { MAIN, "{\"rulesets\": [{\"detectors\": []}]}" };
        merge_fails(texts, 2, "rulesets[0]", "needs a \"name\"", "10-first.json");
}

Test(policy_merge, drop_in_rulesets_not_an_array) {
        const char *texts[] = { MAIN, "{\"rulesets\": " RS("a", 1) "}" };
        merge_fails(texts, 2, "rulesets", "expected an array of rulesets, got an object", "10-first.json");
}

Test(policy_merge, duplicate_name_inside_one_drop_in) {
        const char *texts[] = { MAIN, "{\"rulesets\": [" RS("q", 1) ", " RS("q", 2) "]}" };
        merge_fails(texts, 2, "rulesets[1].name", "duplicate ruleset name \"q\" in one drop-in", "10-first.json");
}

Test(policy_merge, duplicate_key_in_drop_in) {
        const char *texts[] = { MAIN, "{}", "{\"dry_run\": true, \"dry_run\": false}" };
        merge_fails(texts, 3, "dry_run", "duplicate key", "20-second.json");
}

Test(policy_merge, drop_in_must_be_an_object) {
        const char *texts[] = { MAIN, "[]" };
        merge_fails(texts, 2, "", "expected a JSON object at the top level", "10-first.json");
}

Test(policy_merge, drop_in_without_text) {
        const char *texts[] = { MAIN, NULL };
        merge_fails(texts, 2, "", "drop-in has no text", "10-first.json");
}

Test(policy_merge, removing_every_ruleset_leaves_no_policy) {
        const char *texts[] = {
                "{\"rulesets\": [" RS("a", 10) "]}", "{\"rulesets\": [{\"name\": \"a\", \"enabled\": false}]}",
        };
        merge_fails(texts, 2, "rulesets", "policy has no rulesets", NULL);
}

Test(policy_merge, main_alone_without_rulesets_is_an_error) {
        const char *texts[] = { "{\"dry_run\": true}" };
        PolicyError err = {};
        Policy *p = NULL;

        cr_assert_eq(policy_parse_merged(texts, NULL, 1, &p, &err), -EINVAL);
        cr_assert_str_eq(err.path, "");
        cr_assert(strstr(err.message, "policy has no rulesets"), "%s", err.message);
        cr_assert_null(strstr(err.message, "(in "), "one document: the caller names the source");
}

Test(policy_merge, unnamed_sources_still_say_which_document) {
        const char *texts[] = { MAIN, "{\"interval\": true}" };
        PolicyError err = {};
        Policy *p = NULL;

        cr_assert_eq(policy_parse_merged(texts, NULL, 2, &p, &err), -EINVAL);
        cr_assert_str_eq(err.path, "interval");
        cr_assert(strstr(err.message, "(in a drop-in without a name)"), "%s", err.message);
}

Test(policy_merge, bad_default_override_names_the_embedded_default) {
        /* the drop-in replaces a key of a default ruleset's sibling; the bad value is its own */
        const char *texts[] = { NULL, "{\"avoid\": [\"bad]\"]}" };
        merge_fails(texts, 2, "avoid[0]", "unbalanced ']'", "10-first.json");
}

/* Ruleset.source: the document whose ruleset object survived the merge, for the kill's log line. */
Test(policy_merge, ruleset_source_names_the_defining_document) {
        const char *texts[] = { "{\"rulesets\": [" RS("A", 10) ", " RS("B", 20) "]}",
                                "{\"rulesets\": [" RS("B", 77) ", " RS("C", 30) "]}" };
        Policy *p = merge_ok(texts, 2);

        assert_names(p, (const char *[]) { "A", "B", "C" }, 3);
        cr_assert_str_eq(p->rulesets[0].source, "main.json");
        cr_assert_str_eq(p->rulesets[1].source, "10-first.json", "B was replaced by the drop-in");
        cr_assert_eq(threshold_of(p, 1), 77);
        cr_assert_str_eq(p->rulesets[2].source, "10-first.json", "C was added by the drop-in");
        policy_free(p);
}

Test(policy_merge, ruleset_source_with_a_generated_base_document) {
        static const char *const sources[] = { "systemd's ManagedOOM*= settings of 2 unit(s)", "/etc/pressured/policy.json",
                                                "/etc/pressured/policy.d/50-web.json" };
        const char *texts[] = { "{\"rulesets\": [" RS("managed-oom-a", 10) ", " RS("managed-oom-b", 20) "]}",
                                "{\"rulesets\": [" RS("main-only", 30) "]}",
                                "{\"rulesets\": [" RS("managed-oom-b", 60) ", " RS("web", 40) "]}" };
        PolicyError err = {};
        Policy *p = NULL;

        cr_assert_eq(policy_parse_merged(texts, sources, 3, &p, &err), 0, "%s: %s", err.path, err.message);
        assert_names(p, (const char *[]) { "managed-oom-a", "managed-oom-b", "main-only", "web" }, 4);
        cr_assert_str_eq(p->rulesets[0].source, sources[0]);
        cr_assert_str_eq(p->rulesets[1].source, sources[2]);
        cr_assert_str_eq(p->rulesets[2].source, sources[1]);
        cr_assert_str_eq(p->rulesets[3].source, sources[2]);
        cr_assert_neq(p->rulesets[0].source, sources[0], "a copy: the policy outlives the caller's names");
        policy_free(p);
}

Test(policy_merge, ruleset_source_of_the_embedded_default) {
        const char *texts[] = { NULL, "{\"rulesets\": [" RS("extra", 50) "]}" };
        Policy *p = merge_ok(texts, 2), *def = NULL;

        cr_assert_eq(p->n_rulesets, 3);
        cr_assert_str_eq(p->rulesets[0].source, "the embedded default policy");
        cr_assert_str_eq(p->rulesets[1].source, "the embedded default policy");
        cr_assert_str_eq(p->rulesets[2].source, "10-first.json");
        policy_free(p);

        cr_assert_eq(policy_parse_merged(NULL, NULL, 0, &def, NULL), 0);
        cr_assert_str_eq(def->rulesets[0].source, "the embedded default policy");
        policy_free(def);
}

/* A drop-in that re-enables a ruleset ({"enabled": true} plus a full definition) defines it. */
Test(policy_merge, ruleset_source_after_enabled_true) {
        const char *texts[] = { MAIN, "{\"rulesets\": [{\"name\": \"b\", \"enabled\": true, \"detectors\": [[{\"type\": \"pressure_above\","
                                      " \"threshold\": 5}]], \"actions\": [{\"type\": \"kill\"}]}]}" };
        Policy *p = merge_ok(texts, 2);

        cr_assert_str_eq(p->rulesets[0].source, "main.json");
        cr_assert_str_eq(p->rulesets[1].source, "10-first.json");
        cr_assert_str_eq(p->rulesets[2].source, "main.json");
        policy_free(p);
}
