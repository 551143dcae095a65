/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loading the policy from its sources: a base document (systemd's annotations) under the main file
 * or the embedded default, and the drop-ins over both.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/core/policy_load.h"
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

/* Loads dir/rel as the only main document; returns the error. */
static int load_file_at(const char *rel, char *err, size_t size) {
        char path[256];
        Policy *p = NULL;
        int r;

        path_at(path, sizeof path, dir, rel);
        r = policy_load_file(path, &p, err, size);
        if (r >= 0)
                policy_free(p);
        return r;
}

/* A FIFO with no writer would block a plain open() for good: refused at once instead. */
Test(policy_load, a_fifo_is_refused_without_blocking, .timeout = 10) {
        char path[256], dropins[256], dropin[256], err[1024] = "";
        Policy *p = NULL;

        path_at(path, sizeof path, dir, "policy.json");
        path_at(dropins, sizeof dropins, dir, "policy.d");
        path_at(dropin, sizeof dropin, dir, "policy.d/10-fifo.json");
        cr_assert_eq(mkfifo(path, 0600), 0);
        cr_assert_lt(load_file_at("policy.json", err, sizeof err), 0);
        cr_assert(strstr(err, path) && strstr(err, "is a FIFO, not a regular file: give a policy file"), "%s", err);

        /* the same as the daemon's main file, and as a drop-in */
        PolicySources src = { .main_path = path };
        cr_assert_lt(policy_load(&src, &p, NULL, err, sizeof err), 0);
        cr_assert(strstr(err, "is a FIFO"), "%s", err);
        cr_assert_eq(rename(path, dropin), 0);
        src = (PolicySources) { .main_path = path, .dropin_dirs = { dropins } };
        cr_assert_lt(policy_load(&src, &p, NULL, err, sizeof err), 0);
        cr_assert(strstr(err, "10-fifo.json is a FIFO"), "%s", err);
        cr_assert_null(p);
}

Test(policy_load, a_directory_and_a_device_are_refused) {
        char err[1024] = "";
        Policy *p = NULL;

        cr_assert_eq(load_file_at("policy.d", err, sizeof err), -EISDIR);
        cr_assert(strstr(err, "policy.d is a directory, not a regular file"), "%s", err);
        cr_assert_lt(policy_load_file("/dev/null", &p, err, sizeof err), 0);
        cr_assert(strstr(err, "/dev/null is a character device, not a regular file"), "%s", err);
        cr_assert_null(p);
}

Test(policy_load, a_file_past_the_byte_limit_is_refused_unread) {
        char path[256], err[1024] = "";

        path_at(path, sizeof path, dir, "policy.json");
        write_at(dir, "policy.json", "");
        cr_assert_eq(truncate(path, POLICY_MAX_BYTES + 1), 0); /* sparse: the size alone refuses it */
        cr_assert_eq(load_file_at("policy.json", err, sizeof err), -EFBIG);
        cr_assert(strstr(err, "1048577 bytes, more than the limit of 1 MiB"), "%s", err);
}

Test(policy_load, a_nul_byte_in_a_file_is_refused_with_its_offset) {
        char path[256], err[1024] = "";
        FILE *f;

        path_at(path, sizeof path, dir, "policy.json");
        f = fopen(path, "we");
        cr_assert_not_null(f);
        cr_assert_eq(fwrite("{\"a\0\"}", 1, 6, f), 6);
        cr_assert_eq(fclose(f), 0);
        cr_assert_lt(load_file_at("policy.json", err, sizeof err), 0);
        cr_assert(strstr(err, "a NUL byte at byte 3"), "%s", err);
}

Test(policy_load, drop_ins_past_the_limit_are_refused) {
        char dropins[256], name[64], err[1024] = "";
        Policy *p = NULL;

        path_at(dropins, sizeof dropins, dir, "policy.d");
        for (unsigned i = 0; i <= POLICY_MAX_DROPINS; i++) {
                snprintf(name, sizeof name, "policy.d/%03u.json", i);
                write_at(dir, name, "{\"dry_run\": true}");
        }
        PolicySources src = { .dropin_dirs = { dropins } };
        cr_assert_eq(policy_load(&src, &p, NULL, err, sizeof err), -E2BIG);
        cr_assert(strstr(err, "more than 256 policy drop-ins") && strstr(err, "POLICY_MAX_DROPINS"), "%s", err);
        cr_assert_null(p);

        /* at the limit they load */
        snprintf(name, sizeof name, "policy.d/%03u.json", POLICY_MAX_DROPINS);
        rm_rf_at(dir, name);
        cr_assert_eq(policy_load(&src, &p, NULL, err, sizeof err), 0, "%s", err);
        cr_assert(p->dry_run);
        policy_free(p);
}

#define MAIN_WITH_KILL_LIST "{\"kill_list\": [{\"pattern\": \"/main.slice\"}], \"rulesets\": [{\"name\": \"main\"," \
                            " \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/x\"}]], \"actions\": [{\"type\": \"kill\"}]}]}"

Test(policy_load, change_layers_merge_last_and_name_the_kill_list_source) {
        char main_path[256], dropins[256], persisted[256], runtime[256], err[1024] = "";
        path_at(main_path, sizeof main_path, dir, "policy.json");
        path_at(dropins, sizeof dropins, dir, "policy.d");
        path_at(persisted, sizeof persisted, dir, "persisted.json");
        path_at(runtime, sizeof runtime, dir, "runtime.json");
        write_at(dir, "policy.json", MAIN_WITH_KILL_LIST);
        /* a drop-in that sets the kill list too: the layers come after it, whatever its file name */
        write_at(dir, "policy.d/zz.json", "{\"kill_list\": [{\"pattern\": \"/dropin.slice\"}]}");
        write_at(dir, "persisted.json", "{\"kill_list\": [{\"pattern\": \"/persisted.slice\"}]}");
        PolicySources src = { .main_path = main_path, .dropin_dirs = { dropins, NULL },
                              .layers = { { .path = persisted }, { .path = runtime } } }; /* runtime: absent */
        Policy *p = NULL;
        char *desc = NULL;
        cr_assert_eq(policy_load(&src, &p, &desc, err, sizeof err), 0, "%s", err);
        cr_assert_eq(p->n_kill_list, 1);
        cr_assert_str_eq(p->kill_list[0].pattern.glob, "/persisted.slice");
        cr_assert_str_eq(p->kill_list_source, persisted);
        cr_assert_str_eq(p->rulesets[0].source, main_path);
        cr_assert(strstr(desc, persisted) && !strstr(desc, runtime), "description: %s", desc);
        free(desc);
        policy_free(p);

        /* the runtime layer wins over the persisted one; given text stands in for the file, skip leaves it out */
        src.layers[1].text = "{\"kill_list\": [{\"pattern\": \"/runtime.slice\"}]}";
        cr_assert_eq(policy_load(&src, &p, NULL, err, sizeof err), 0, "%s", err);
        cr_assert_str_eq(p->kill_list[0].pattern.glob, "/runtime.slice");
        cr_assert_str_eq(p->kill_list_source, runtime);
        policy_free(p);
        src.layers[0].skip = src.layers[1].skip = true;
        cr_assert_eq(policy_load(&src, &p, NULL, err, sizeof err), 0, "%s", err);
        cr_assert_str_eq(p->kill_list[0].pattern.glob, "/dropin.slice");
        cr_assert(strstr(p->kill_list_source, "zz.json"), "%s", p->kill_list_source);
        policy_free(p);
}

Test(policy_load, a_required_main_file_that_is_missing_is_an_error) {
        char main_path[256], err[1024] = "";
        path_at(main_path, sizeof main_path, dir, "typo.json");
        PolicySources src = { .main_path = main_path };
        Policy *p = NULL;
        cr_assert_eq(policy_load(&src, &p, NULL, err, sizeof err), 0, "the default path may be absent: %s", err);
        policy_free(p);
        p = NULL;
        src.main_required = true;
        cr_assert_eq(policy_load(&src, &p, NULL, err, sizeof err), -ENOENT);
        cr_assert_null(p);
        cr_assert(strstr(err, main_path), "%s", err);
}

Test(policy_load, check_files_merges_the_directory_or_checks_a_drop_in) {
        char main_path[256], dropins[256], fragment[256], err[1024] = "";
        PolicyError e = {};
        Policy *p = NULL;
        path_at(main_path, sizeof main_path, dir, "policy.json");
        path_at(dropins, sizeof dropins, dir, "policy.d");
        path_at(fragment, sizeof fragment, dir, "fragment.json");
        write_at(dir, "policy.json", MAIN_WITH_KILL_LIST);
        write_at(dir, "fragment.json", "{\"rulesets\": [{\"name\": \"main\", \"enabled\": false}]}");

        cr_assert_eq(policy_check_files(main_path, false, NULL, dropins, &p, &e, err, sizeof err), 0, "%s", err);
        policy_free(p);
        /* the fragment as a drop-in over the main file removes its only ruleset */
        cr_assert_eq(policy_check_files(fragment, true, main_path, NULL, &p, &e, err, sizeof err), -EINVAL);
        cr_assert(strstr(e.message, "no rulesets"), "%s", e.message);
        /* over the embedded default there is no ruleset "main" to remove */
        cr_assert_eq(policy_check_files(fragment, true, NULL, NULL, &p, &e, err, sizeof err), -EINVAL);
        cr_assert(strstr(e.message, "cannot remove ruleset \"main\""), "%s", e.message);
        /* in the directory, it breaks the merged result of a main file that is valid alone */
        write_at(dir, "policy.d/50-remove.json", "{\"rulesets\": [{\"name\": \"main\", \"enabled\": false}]}");
        cr_assert_eq(policy_check_files(main_path, false, NULL, dropins, &p, &e, err, sizeof err), -EINVAL);
        cr_assert_eq(policy_check_files(main_path, false, NULL, NULL, &p, &e, err, sizeof err), 0, "%s", err);
        policy_free(p);
}
