/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Changes made with oomctl are layers over the admin's policy files, not a copy that replaces them:
 * the real daemon (cgroup mode on a fixture hierarchy, temp --config, --policy-dir, --state-dir and
 * --runtime-dir) and the real oomctl over the control socket. An edit of --config shows after a
 * reload while a kill-list change stays; revert drops the changes; persisted changes survive a
 * restart; policy show names the file of each part; --config must exist when given; --check-config
 * and `oomctl policy check` check merged results and drop-ins. Nothing is ever killed.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host-util.h"

static char *tmp, *sock, *run_dir, *state_dir, *config, *dropins, *cgroot, *log_path;
static pid_t daemon_pid;

/* Never fires: the cgroup it waits for does not exist. One kill-list entry of the admin's. */
static const char POLICY[] =
        "{\"dry_run\": true, \"interval\": \"200ms\","
        " \"kill_list\": [{\"pattern\": \"/big.slice\"}],"
        " \"rulesets\": [{\"name\": \"never\","
        " \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/pressured-test-does-not-exist\"}]],"
        " \"actions\": [{\"type\": \"kill\"}]}]}";
/* The admin's edit: another ruleset name and interval, the same kill list. */
static const char POLICY_EDITED[] =
        "{\"dry_run\": true, \"interval\": \"300ms\","
        " \"kill_list\": [{\"pattern\": \"/big.slice\"}],"
        " \"rulesets\": [{\"name\": \"edited\","
        " \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/pressured-test-does-not-exist\"}]],"
        " \"actions\": [{\"type\": \"kill\"}]}]}";
/* A drop-in that adds a ruleset. */
static const char DROPIN[] =
        "{\"rulesets\": [{\"name\": \"from-dropin\","
        " \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/pressured-test-does-not-exist-either\"}]],"
        " \"actions\": [{\"type\": \"kill\"}]}]}";
/* The drop-in example of README.md ("Drop-ins and merging"), as printed there. */
static const char README_DROPIN[] =
        "{\n"
        "  \"dry_run\": true,\n"
        "  \"rulesets\": [\n"
        "    {\"name\": \"system-memory-pressure\", \"enabled\": false},\n"
        "    {\"name\": \"build-jobs\", \"detectors\": [[{\"type\": \"memory_above\", \"cgroup\": \"/build.slice\", \"threshold\": \"8G\"}]],\n"
        "     \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/build.slice/*\"}]}\n"
        "  ]\n"
        "}\n";

static char *path_in(const char *name) {
        return host_assert_path_in(tmp, name);
}

static void start_daemon(void) {
        char *argv[] = { "pressured", "-c", config, "--policy-dir", dropins, "--state-dir", state_dir,
                         "--runtime-dir", run_dir, "--cgroup-root", cgroot, "--log-target", "stderr", "--no-mlock",
                         "--no-bus", NULL };
        daemon_pid = host_spawn_daemon(argv, log_path);
        cr_assert(host_file_contains(log_path, "started in cgroup mode", 10000),
                  "pressured did not start in cgroup mode, see %s", log_path);
        cr_assert(host_control_wait(daemon_pid, sock, 5000), "pressured made no control socket at %s", sock);
}

static void stop_daemon(void) {
        host_stop_daemon(daemon_pid);
        daemon_pid = 0;
}

static void setup(void) {
        tmp = host_mkdtemp();
        cr_assert_not_null(tmp);
        cr_assert(chmod(tmp, 0755) == 0);
        cgroot = path_in("cgroup");
        char *a = path_in("cgroup/big.slice");
        config = path_in("policy.json");
        dropins = path_in("policy.d");
        log_path = path_in("daemon.log");
        run_dir = path_in("run");
        state_dir = path_in("state");
        sock = path_in("run/control.sock");
        host_assert_fixture_root(cgroot);
        host_assert_fixture_cgroup(a, true, "314572800");
        host_assert_write_text(config, POLICY);
        cr_assert(mkdir(dropins, 0755) == 0);
        free(a);
}

static void teardown(void) {
        if (daemon_pid > 0)
                stop_daemon();
        host_rm_rf(tmp);
        free(tmp); free(sock); free(run_dir); free(state_dir); free(config); free(dropins); free(cgroot); free(log_path);
}

TestSuite(policy_layers, .init = setup, .fini = teardown, .timeout = 120);

typedef HostRun Run;
#define run_free host_run_free

static Run run_v(const char *bin, char *const argv[]) {
        return host_run(tmp, 0, bin, argv);
}

static Run oomctl_(const char *first, ...) {
        va_list ap;
        va_start(ap, first);
        char *argv[32] = { "oomctl", (char *) first };
        int n = 2;
        for (const char *s; (s = va_arg(ap, const char *)) && n < 28;)
                argv[n++] = (char *) s;
        va_end(ap);
        argv[n++] = "--socket";
        argv[n++] = sock;
        argv[n] = NULL;
        return run_v(OOMCTL_BIN, argv);
}
#define oomctl(...) oomctl_(__VA_ARGS__, NULL)

static Run pressured_(const char *first, ...) {
        va_list ap;
        va_start(ap, first);
        char *argv[32] = { "pressured", (char *) first };
        int n = 2;
        for (const char *s; (s = va_arg(ap, const char *)) && n < 30;)
                argv[n++] = (char *) s;
        va_end(ap);
        argv[n] = NULL;
        return run_v(PRESSURED_BIN, argv);
}
#define pressured(...) pressured_(__VA_ARGS__, NULL)

static const char *jstr(const cJSON *o, const char *key) {
        return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* `oomctl policy show --json`, parsed. */
static cJSON *policy_show(void) {
        Run r = oomctl("policy", "show", "--json");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cJSON *j = cJSON_Parse(r.out);
        cr_assert_not_null(j, "not JSON: %s", r.out);
        run_free(&r);
        return j;
}

/* The running kill list's patterns, space-separated, and the source of its entries. */
static void kill_list_of(const cJSON *show, char *buf, size_t size, const char **source) {
        const cJSON *e;
        buf[0] = 0;
        *source = NULL;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(show, "policy"), "kill_list")) {
                size_t l = strlen(buf);
                snprintf(buf + l, size - l, "%s%s", l ? " " : "", jstr(e, "pattern"));
        }
        if (buf[0]) /* one source for the whole list: drop-ins replace it whole */
                *source = jstr(cJSON_GetObjectItemCaseSensitive(show, "sources"), "kill_list");
}

/* The source of ruleset `name` in `policy show --json`, or NULL when it is not running. */
static const char *ruleset_source(const cJSON *show, const char *name) {
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(show, "sources"), "rulesets"))
                if (jstr(e, "name") && strcmp(jstr(e, "name"), name) == 0)
                        return jstr(e, "source");
        return NULL;
}

static void expect_ok(Run r) {
        cr_assert_eq(r.rc, 0, "rc %d\nstdout: %s\nstderr: %s", r.rc, r.out, r.err);
        run_free(&r);
}

Test(policy_layers, config_edit_shows_after_reload_and_the_kill_list_change_stays) {
        char pats[512], *changes = path_in("run/changes.json");
        const char *src;
        start_daemon();
        expect_ok(oomctl("kill-list", "add", "firefox"));

        /* The runtime layer holds the kill list alone: the admin's rulesets are not copied. */
        char *text = host_read_file(changes);
        cr_assert(text && strstr(text, "firefox") && !strstr(text, "rulesets") && !strstr(text, "interval"),
                  "%s: %s", changes, text ? text : "(missing)");
        free(text);

        host_assert_write_text(config, POLICY_EDITED);
        Run r = oomctl("policy", "reload");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, config) && strstr(r.out, changes), "reload does not name both files: %s", r.out);
        run_free(&r);

        cJSON *show = policy_show();
        cJSON *doc = cJSON_GetObjectItemCaseSensitive(show, "policy");
        cr_assert_str_eq(jstr(doc, "interval"), "300ms", "the edit of --config is not running");
        cr_assert_str_eq(ruleset_source(show, "edited"), config);
        cr_assert_null(ruleset_source(show, "never"), "the old ruleset survived the edit");
        kill_list_of(show, pats, sizeof pats, &src);
        cr_assert_str_eq(pats, "/big.slice firefox", "the kill-list change was lost");
        cr_assert_str_eq(src, changes);
        cJSON_Delete(show);

        /* SIGHUP reads the files the same way. */
        host_assert_write_text(config, POLICY);
        unsigned reloads = host_file_count(log_path, "Reloaded policy from");
        kill(daemon_pid, SIGHUP);
        for (unsigned t = 0; t < 5000 && host_file_count(log_path, "Reloaded policy from") == reloads; t += 50)
                host_sleep_ms(50);
        show = policy_show();
        cr_assert_not_null(ruleset_source(show, "never"), "SIGHUP did not re-read --config");
        kill_list_of(show, pats, sizeof pats, &src);
        cr_assert_str_eq(pats, "/big.slice firefox");
        cJSON_Delete(show);
        free(changes);
}

Test(policy_layers, revert_drops_the_runtime_changes) {
        char pats[512], *changes = path_in("run/changes.json"), *override = path_in("run/policy.json");
        const char *src;
        start_daemon();
        expect_ok(oomctl("kill-list", "add", "firefox", "--position", "0"));

        Run r = oomctl("policy", "revert");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, "removed") && strstr(r.out, changes), "revert does not say what it removed: %s", r.out);
        run_free(&r);
        cr_assert_neq(access(changes, F_OK), 0, "%s outlived the revert", changes);
        cJSON *show = policy_show();
        kill_list_of(show, pats, sizeof pats, &src);
        cr_assert_str_eq(pats, "/big.slice");
        cr_assert_str_eq(src, config);
        cJSON_Delete(show);

        /* policy set is kept as sent (not the expanded policy), and revert drops it too. */
        char *sent = path_in("sent.json");
        host_assert_write_text(sent, POLICY_EDITED);
        expect_ok(oomctl("policy", "set", sent));
        char *text = host_read_file(override);
        cr_assert(text && strstr(text, "edited") && !strstr(text, "fast_interval"),
                  "%s is not the document as sent: %s", override, text ? text : "(missing)");
        free(text);
        show = policy_show();
        cr_assert(strstr(jstr(show, "source"), "policy set"), "the override is not called one: %s", jstr(show, "source"));
        cr_assert_str_eq(ruleset_source(show, "edited"), override);
        cJSON_Delete(show);

        /* What remains must be valid: a broken --config refuses the revert and removes nothing. */
        host_assert_write_text(config, "{\"rulesets\": []}");
        r = oomctl("policy", "revert");
        cr_assert_eq(r.rc, 3, "rc %d: %s", r.rc, r.out);
        cr_assert(strstr(r.err, "nothing was reverted"), "%s", r.err);
        run_free(&r);
        cr_assert_eq(access(override, F_OK), 0, "a refused revert removed %s", override);

        host_assert_write_text(config, POLICY);
        r = oomctl("policy", "revert");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, override), "%s", r.out);
        run_free(&r);
        show = policy_show();
        cr_assert_str_eq(ruleset_source(show, "never"), config);
        cJSON_Delete(show);

        r = oomctl("policy", "revert");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, "no runtime changes"), "%s", r.out);
        run_free(&r);
        free(changes); free(override); free(sent);
}

Test(policy_layers, persisted_change_survives_a_restart_until_revert_persist) {
        char pats[512], *persisted = path_in("state/changes.json"), *runtime = path_in("run/changes.json");
        const char *src;
        start_daemon();
        expect_ok(oomctl("kill-list", "add", "chrome"));
        expect_ok(oomctl("kill-list", "add", "firefox", "--persist"));
        cr_assert_neq(access(runtime, F_OK), 0, "the runtime layer would hide the persisted kill list");
        char *text = host_read_file(persisted);
        cr_assert(text && strstr(text, "chrome") && strstr(text, "firefox") && !strstr(text, "rulesets"), "%s",
                  text ? text : "(missing)");
        free(text);

        stop_daemon();
        host_assert_write_text(config, POLICY_EDITED);
        free(log_path);
        log_path = path_in("daemon-restarted.log");
        start_daemon();
        cJSON *show = policy_show();
        kill_list_of(show, pats, sizeof pats, &src);
        cr_assert_str_eq(pats, "/big.slice chrome firefox");
        cr_assert_str_eq(src, persisted);
        cr_assert_str_eq(ruleset_source(show, "edited"), config, "the persisted change froze the old --config");
        cJSON_Delete(show);

        /* A plain revert leaves what was persisted. */
        Run r = oomctl("policy", "revert");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        run_free(&r);
        show = policy_show();
        kill_list_of(show, pats, sizeof pats, &src);
        cr_assert_str_eq(pats, "/big.slice chrome firefox");
        cJSON_Delete(show);

        r = oomctl("policy", "revert", "--persist", "--json");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cJSON *j = cJSON_Parse(r.out);
        cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "removed"), 0)), persisted,
                         "%s", r.out);
        cJSON_Delete(j);
        run_free(&r);
        cr_assert_neq(access(persisted, F_OK), 0);
        show = policy_show();
        kill_list_of(show, pats, sizeof pats, &src);
        cr_assert_str_eq(pats, "/big.slice");
        cJSON_Delete(show);
        free(persisted); free(runtime);
}

Test(policy_layers, show_names_the_file_of_each_ruleset_and_entry) {
        char *dropin = path_in("policy.d/50-extra.json");
        host_assert_write_text(dropin, DROPIN);
        start_daemon();
        cJSON *show = policy_show();
        cr_assert_str_eq(ruleset_source(show, "never"), config);
        cr_assert_str_eq(ruleset_source(show, "from-dropin"), dropin);
        cJSON_Delete(show);

        Run r = oomctl("policy", "show");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, "from-dropin") && strstr(r.out, dropin), "%s", r.out);
        cr_assert(strstr(r.out, "/big.slice") && strstr(r.out, "Kill list, from "), "%s", r.out);
        run_free(&r);
        free(dropin);
}

Test(policy_layers, changes_are_logged_with_the_caller) {
        start_daemon();
        Run r = oomctl("kill-list", "add", "firefox");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        char who[128];
        snprintf(who, sizeof who, "Policy changed by uid 0 (pid %d, oomctl)", (int) r.pid);
        run_free(&r);
        cr_assert(host_file_contains(log_path, who, 5000), "no \"%s\" in %s", who, log_path);
        cr_assert(host_file_contains(log_path, "kill-list entry firefox added at index 1", 1000));

        r = oomctl("policy", "revert");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        snprintf(who, sizeof who, "Policy reverted by uid 0 (pid %d, oomctl)", (int) r.pid);
        run_free(&r);
        cr_assert(host_file_contains(log_path, who, 5000), "no \"%s\" in %s", who, log_path);
}

Test(policy_layers, an_explicit_config_that_is_missing_exits_1) {
        char *missing = path_in("typo.json");
        Run r = pressured("--config", missing, "--state-dir", state_dir, "--runtime-dir", run_dir,
                          "--cgroup-root", cgroot, "--log-target", "stderr", "--no-mlock", "--no-bus");
        cr_assert_eq(r.rc, 1, "rc %d: %s", r.rc, r.err);
        cr_assert(strstr(r.err, missing) && strstr(r.err, "No such file"), "%s", r.err);
        cr_assert_null(strstr(r.err, "Loaded policy"), "it ran a policy: %s", r.err);
        run_free(&r);
        cr_assert_neq(access(sock, F_OK), 0, "pressured started anyway");
        free(missing);
}

Test(policy_layers, check_config_checks_the_merged_result) {
        char *bad = path_in("policy.d/60-bad.json");
        /* Valid alone; merged, it removes the only ruleset of the main file. */
        host_assert_write_text(bad, "{\"rulesets\": [{\"name\": \"never\", \"enabled\": false}]}");

        Run r = pressured("--check-config", config);
        cr_assert_eq(r.rc, 0, "%s", r.err);
        run_free(&r);
        r = pressured("--check-config", config, "--policy-dir", dropins);
        cr_assert_eq(r.rc, 3, "the merged result passed: %s", r.out);
        cr_assert(strstr(r.err, "no rulesets"), "%s", r.err);
        run_free(&r);
        r = oomctl("policy", "check", config, "--policy-dir", dropins);
        cr_assert_eq(r.rc, 3, "the merged result passed: %s", r.out);
        cr_assert(strstr(r.err, "no rulesets"), "%s", r.err);
        run_free(&r);

        host_assert_write_text(bad, DROPIN);
        r = pressured("--check-config", config, "--policy-dir", dropins);
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, "2 ruleset(s)"), "the drop-in was not merged: %s", r.out);
        run_free(&r);
        r = oomctl("policy", "check", config, "--policy-dir", dropins);
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, "2 rulesets"), "%s", r.out);
        run_free(&r);

        /* a directory that is not there is a mistake, not an empty set of drop-ins */
        r = pressured("--check-config", config, "--policy-dir", "/nonexistent/policy.d");
        cr_assert_eq(r.rc, 1, "a directory that cannot be read exits 1, as a policy file that cannot be read does");
        cr_assert(strstr(r.err, "/nonexistent/policy.d"), "%s", r.err);
        run_free(&r);
        free(bad);
}

Test(policy_layers, readme_dropin_example_checks_as_a_dropin) {
        char *f = path_in("example.json");
        host_assert_write_text(f, README_DROPIN);

        /* As a main policy it is refused ("enabled" belongs in drop-ins); as a drop-in it is fine. */
        Run r = pressured("--check-config", f);
        cr_assert_eq(r.rc, 3, "%s", r.out);
        run_free(&r);
        r = pressured("--check-config", f, "--dropin");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, "valid drop-in over the embedded default policy"), "%s", r.out);
        run_free(&r);
        r = oomctl("policy", "check", f, "--dropin");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        run_free(&r);
        r = oomctl("policy", "check", f, "--dropin", "--json");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, "\"valid\": true"), "%s", r.out);
        run_free(&r);

        /* Over a main policy without the ruleset it removes, the same drop-in is refused, as the daemon would. */
        r = pressured("--check-config", f, "--dropin", "--config", config);
        cr_assert_eq(r.rc, 3, "%s", r.out);
        cr_assert(strstr(r.err, "cannot remove ruleset \"system-memory-pressure\""), "%s", r.err);
        run_free(&r);
        r = oomctl("policy", "check", f, "--dropin", "--config", config);
        cr_assert_eq(r.rc, 3, "%s", r.out);
        run_free(&r);
        free(f);
}

Test(policy_layers, policy_set_persist_keeps_the_runtime_kill_list_layer) {
        char pats[512], *changes = path_in("run/changes.json"), *override = path_in("state/policy.json");
        char *sent = path_in("sent.json");
        const char *src;
        start_daemon();
        expect_ok(oomctl("kill-list", "add", "firefox"));
        host_assert_write_text(sent, POLICY_EDITED);
        expect_ok(oomctl("policy", "set", sent, "--persist"));
        cJSON *show = policy_show();
        cr_assert_str_eq(ruleset_source(show, "edited"), override);
        kill_list_of(show, pats, sizeof pats, &src);
        cr_assert_str_eq(pats, "/big.slice firefox", "the kill-list layer no longer merges over the set policy");
        cr_assert_str_eq(src, changes);
        cJSON_Delete(show);
        free(changes); free(override); free(sent);
}
