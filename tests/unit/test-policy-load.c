/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loading the policy from its sources: a base document (systemd's annotations) under the main file
 * or the embedded default, and the drop-ins over both.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/policy_load.h"
#include "test-util.h"

static char dir[64];

static void setup(void) {
        tmpdir_new(dir, sizeof dir, "test-policy-load");
        mkdir_at(dir, "policy.d");
}

static void teardown(void) {
        rm_rf_at(dir, "");
}

TestSuite(policy_load, .init = setup, .fini = teardown);

#define BASE "{\"rulesets\": [{\"name\": \"systemd-test.slice-memory-pressure\", \"detectors\": [[{\"type\": \"pressure_above\"," \
             " \"cgroup\": \"/test.slice\", \"threshold\": 20}]], \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/test.slice/*\"}]}]}"

static const Ruleset *find(const Policy *p, const char *name) {
        for (size_t i = 0; i < p->n_rulesets; i++)
                if (strcmp(p->rulesets[i].name, name) == 0)
                        return &p->rulesets[i];
        return NULL;
}

Test(policy_load, base_under_the_embedded_default) {
        char main_path[256], dropins[256], err[1024] = "";
        path_at(main_path, sizeof main_path, dir, "policy.json"); /* absent */
        path_at(dropins, sizeof dropins, dir, "policy.d");
        PolicySources src = { .main_path = main_path, .dropin_dirs = { dropins, NULL }, .base_text = BASE,
                              .base_name = "systemd's annotations" };
        Policy *p = NULL;
        char *desc = NULL;
        int r = policy_load(&src, &p, &desc, err, sizeof err);
        cr_assert_eq(r, 0, "%s", err);
        cr_assert_not_null(find(p, "systemd-test.slice-memory-pressure"), "the base's ruleset is missing");
        cr_assert_gt(p->n_rulesets, 1, "the embedded default's rulesets are missing");
        cr_assert(strstr(desc, "embedded default policy") && strstr(desc, "over systemd's annotations"), "description: %s", desc);
        free(desc);
        policy_free(p);
}

Test(policy_load, main_file_and_dropins_override_the_base) {
        char main_path[256], dropins[256], err[1024] = "";
        path_at(main_path, sizeof main_path, dir, "policy.json");
        path_at(dropins, sizeof dropins, dir, "policy.d");
        write_at(dir, "policy.json", "{\"rulesets\": [{\"name\": \"systemd-test.slice-memory-pressure\", \"detectors\": [[{\"type\":"
                 " \"pressure_above\", \"cgroup\": \"/test.slice\", \"threshold\": 35}]], \"actions\": [{\"type\": \"kill\"}]}]}");
        PolicySources src = { .main_path = main_path, .dropin_dirs = { dropins, NULL }, .base_text = BASE };
        Policy *p = NULL;
        int r = policy_load(&src, &p, NULL, err, sizeof err);
        cr_assert_eq(r, 0, "%s", err);
        cr_assert_eq(p->n_rulesets, 1);
        cr_assert_float_eq(p->rulesets[0].groups[0].detectors[0].threshold, 35, 1e-9, "the main file must win");
        policy_free(p);

        write_at(dir, "policy.d/50-off.json", "{\"rulesets\": [{\"name\": \"systemd-test.slice-memory-pressure\", \"enabled\": false},"
                 " {\"name\": \"other\", \"detectors\": [[{\"type\": \"mem_available_below\", \"threshold\": \"5%\"}]],"
                 " \"actions\": [{\"type\": \"kill\"}]}]}");
        r = policy_load(&src, &p, NULL, err, sizeof err);
        cr_assert_eq(r, 0, "%s", err);
        cr_assert_eq(p->n_rulesets, 1);
        cr_assert_str_eq(p->rulesets[0].name, "other");
        policy_free(p);
}

Test(policy_load, a_bad_main_file_is_named_in_the_error_despite_the_base) {
        char main_path[256], err[1024] = "";
        path_at(main_path, sizeof main_path, dir, "policy.json");
        write_at(dir, "policy.json", "{\"rulesets\": 7}");
        PolicySources src = { .main_path = main_path, .base_text = BASE };
        Policy *p = NULL;
        int r = policy_load(&src, &p, NULL, err, sizeof err);
        cr_assert_lt(r, 0);
        cr_assert_null(p);
        cr_assert(strstr(err, "policy.json") && strstr(err, "rulesets"), "error: %s", err);
}
