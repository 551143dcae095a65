/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon binary as an admin meets it: --help, --check-config, bad options, start-up on this
 * host, SIGHUP reloads (a bad policy is refused and the old one kept), the single-instance lock,
 * the status file, and a clean exit on SIGTERM. Nothing here kills: the policies are dry runs over
 * a cgroup that does not exist.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host-util.h"
#include "policy-worst-case.h"

static char *tmp;

static void setup(void) {
        tmp = host_mkdtemp();
        cr_assert_not_null(tmp);
}

static void teardown(void) {
        host_rm_rf(tmp);
        free(tmp);
}

TestSuite(daemon_cli, .init = setup, .fini = teardown, .timeout = 60);

/* A path in this test's temp directory; fails the test when out of memory. */
static char *path_in(const char *name) {
        return host_assert_path_in(tmp, name);
}


/* Runs the daemon to completion; returns its exit code, output in *out. */
static int run(char *out_name, char *const argv[], char **out) {
        char *log = path_in(out_name);
        pid_t pid = host_spawn_daemon(argv, log);
        int st = host_wait_child(pid, 20000);
        cr_assert_neq(st, -1, "pressured did not exit");
        *out = host_read_file(log);
        free(log);
        cr_assert(WIFEXITED(st), "pressured died by a signal");
        return WEXITSTATUS(st);
}

static const char GOOD[] =
        "{\"dry_run\": true, \"rulesets\": [{\"name\": \"first\","
        " \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/pressured-test-does-not-exist\"}]],"
        " \"actions\": [{\"type\": \"kill\"}]}]}";
static const char GOOD2[] =
        "{\"dry_run\": true, \"rulesets\": [{\"name\": \"second\","
        " \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/pressured-test-does-not-exist\"}]],"
        " \"actions\": [{\"type\": \"kill\"}]}]}";
static const char BAD[] =
        "{\"rulesets\": [{\"name\": \"x\", \"detectors\": [[{\"type\": \"pressure_above\", \"threshold\": 150}]],"
        " \"actions\": [{\"type\": \"kill\"}]}]}";

Test(daemon_cli, help_and_version) {
        char *out;
        cr_assert_eq(run("help", (char *[]) { "pressured", "--help", NULL }, &out), 0);
        cr_assert(strstr(out, "--check-config") && strstr(out, "--cgroup-root") && strstr(out, "Exit status"), "%s", out);
        free(out);
        cr_assert_eq(run("version", (char *[]) { "pressured", "--version", NULL }, &out), 0);
        cr_assert(strncmp(out, "pressured ", 10) == 0, "%s", out);
        free(out);
}

Test(daemon_cli, bad_options_exit_2) {
        char *out;
        cr_assert_eq(run("o1", (char *[]) { "pressured", "--no-such-option", NULL }, &out), 2);
        free(out);
        cr_assert_eq(run("o2", (char *[]) { "pressured", "--log-level", "loud", NULL }, &out), 2);
        cr_assert(strstr(out, "unknown log level"), "%s", out);
        free(out);
        cr_assert_eq(run("o3", (char *[]) { "pressured", "stray", NULL }, &out), 2);
        free(out);
}

Test(daemon_cli, check_config_of_the_embedded_default) {
        char *out;
        cr_assert_eq(run("default.json", (char *[]) { "pressured", "--print-default-policy", NULL }, &out), 0);
        free(out);
        char *p = path_in("default.json");
        cr_assert_eq(run("check", (char *[]) { "pressured", "--check-config", p, NULL }, &out), 0);
        cr_assert(strstr(out, "valid policy"), "%s", out);
        free(out);
        free(p);
}

Test(daemon_cli, check_config_names_the_json_path) {
        char *p = path_in("bad.json"), *out;
        host_assert_write_text(p, BAD);
        cr_assert_eq(run("check", (char *[]) { "pressured", "--check-config", p, NULL }, &out), 3);
        cr_assert(strstr(out, "rulesets[0].detectors[0][0].threshold"), "%s", out);
        free(out);
        cr_assert_eq(run("check2", (char *[]) { "pressured", "--check-config", "/nonexistent/policy.json", NULL }, &out), 1);
        cr_assert(strstr(out, "/nonexistent/policy.json") && strstr(out, "No such file"), "%s", out);
        free(out);
        free(p);
}

Test(daemon_cli, check_config_refuses_a_fifo_at_once) {
        /* a plain open() of a FIFO waits for a writer for good */
        char *fifo = path_in("policy.json"), *log = path_in("check"), *out;
        cr_assert_eq(mkfifo(fifo, 0600), 0);
        pid_t pid = host_spawn_daemon((char *[]) { "pressured", "--check-config", fifo, NULL }, log);
        int st = host_wait_child(pid, 5000);
        if (st == -1)
                host_stop_daemon(pid);
        cr_assert_neq(st, -1, "pressured --check-config hangs on a FIFO");
        cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %d: the wrong kind of file exits 1, as one that cannot be read", st);
        out = host_read_file(log);
        cr_assert(strstr(out, fifo) && strstr(out, "is a FIFO, not a regular file: give a policy file"), "%s", out);
        free(out);
        free(log);
        free(fifo);
}

Test(daemon_cli, check_config_refuses_a_directory_and_a_device) {
        char *out;
        cr_assert_eq(run("dir", (char *[]) { "pressured", "--check-config", tmp, NULL }, &out), 1);
        cr_assert(strstr(out, "is a directory, not a regular file"), "%s", out);
        free(out);
        cr_assert_eq(run("null", (char *[]) { "pressured", "--check-config", "/dev/null", NULL }, &out), 1);
        cr_assert(strstr(out, "/dev/null is a character device, not a regular file"), "%s", out);
        free(out);
}

/* CPU seconds of the children reaped so far. */
static double children_cpu_seconds(void) {
        struct rusage ru;
        cr_assert_eq(getrusage(RUSAGE_CHILDREN, &ru), 0);
        return (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Each policy at a limit of policy_limits.h is checked in well under a second (README "Limits"; 5 s
 * of CPU allows for a slow machine); one past it is refused, naming the limit. */
Test(daemon_cli, check_config_at_and_past_the_limits, .timeout = 170) {
        for (WorstCase c = 0; c < _WORST_CASE_MAX; c++)
                for (int over = 0; over <= 1; over++) {
                        char name[64], *text = worst_case_policy(c, over), *out;
                        snprintf(name, sizeof name, "%s%s.json", worst_case_name(c), over ? "-past" : "");
                        char *p = path_in(name);
                        host_assert_write_text(p, text);
                        double cpu = children_cpu_seconds();
                        int st = run("check", (char *[]) { "pressured", "--check-config", p, NULL }, &out);
                        cpu = children_cpu_seconds() - cpu;
                        cr_log_info("pressured --check-config %s: exit %d, %.3f s of CPU", name, st, cpu);
                        cr_assert_lt(cpu, 5.0, "%s took %.3f s of CPU", name, cpu);
                        if (over)
                                cr_assert(st == 3 && strstr(out, worst_case_limit(c)), "%s: %s", name, out);
                        else if (worst_case_valid(c))
                                cr_assert(st == 0 && strstr(out, "valid policy"), "%s: %s", name, out);
                        else
                                cr_assert(st == 3 && strstr(out, "unknown key \"x\""), "%s: %s", name, out);
                        free(out);
                        free(p);
                        free(text);
                }
}

Test(daemon_cli, invalid_policy_at_start_exits_3) {
        char *p = path_in("bad.json"), *state = path_in("state"), *run_dir = path_in("run"), *out;
        host_assert_write_text(p, BAD);
        cr_assert_eq(run("start", (char *[]) { "pressured", "-c", p, "--policy-dir", "/nonexistent", "--state-dir", state,
                                               "--runtime-dir", run_dir, "--log-target", "stderr", "--no-mlock", NULL }, &out), 3);
        cr_assert(strstr(out, "Invalid policy, not starting") && strstr(out, "threshold"), "%s", out);
        free(out);
        free(p);
        free(state);
        free(run_dir);
}

Test(daemon_cli, reload_lock_status_and_clean_exit) {
        char *p = path_in("policy.json"), *state = path_in("state"), *run_dir = path_in("run"), *log = path_in("daemon.log");
        char *status = path_in("run/status.json");
        host_assert_write_text(p, GOOD);
        char *argv[] = { "pressured", "-c", p, "--policy-dir", "/nonexistent", "--state-dir", state,
                         "--runtime-dir", run_dir, "--log-target", "stderr", "--no-mlock", NULL };
        pid_t pid = host_spawn_daemon(argv, log);
        cr_assert(host_file_contains(log, "started in", 10000), "no start-up line");
        cr_assert(host_file_contains(status, "\"mode\"", 5000), "no status file at %s", status);
        char *s = host_read_file(status);
        cr_assert(strstr(s, "\"mode_reason\"") && (strstr(s, "degraded") || strstr(s, "cgroup")), "%s", s);
        /* The file is the summary: the table of cgroups, rewritten every 10 s, cost more than a sample. */
        cr_assert(!strstr(s, "\"cgroups\""), "status.json carries the table of cgroups: %s", s);
        free(s);

        /* A second instance on the same runtime directory refuses to start. */
        char *out;
        cr_assert_eq(run("second", argv, &out), 1);
        cr_assert(strstr(out, "Another pressured is already running"), "%s", out);
        free(out);

        /* A bad reload keeps the old policy. */
        host_assert_write_text(p, BAD);
        kill(pid, SIGHUP);
        cr_assert(host_file_contains(log, "Policy reload failed, keeping the policy that was running", 5000), "bad reload not reported");
        cr_assert(host_child_alive(pid), "the daemon died on a bad reload");

        /* A good reload takes effect. */
        host_assert_write_text(p, GOOD2);
        kill(pid, SIGHUP);
        cr_assert(host_file_contains(log, "Reloaded policy", 5000), "good reload not reported");

        kill(pid, SIGTERM);
        int st = host_wait_child(pid, 5000);
        cr_assert_neq(st, -1, "no exit within 5 s of SIGTERM");
        cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "unclean exit, status %d", st);
        cr_assert(host_file_contains(log, "SIGTERM received, exiting", 100));
        cr_assert(access(status, F_OK) < 0, "status.json outlived the daemon");
        free(p);
        free(state);
        free(run_dir);
        free(log);
        free(status);
}


/* The cgroup-mode pipeline (mode detection, per-cgroup sampling, ranking, the decision) against a
 * fixture hierarchy that has the memory controller, which this host's real one lacks. Dry run:
 * the fixture's files are not a kernel's. */
Test(daemon_cli, cgroup_mode_on_a_fixture_hierarchy) {
        char *root = path_in("cgroup"), *a = path_in("cgroup/big.slice"), *b = path_in("cgroup/small.slice");
        char *p = path_in("policy.json"), *state = path_in("state"), *run_dir = path_in("run"), *log = path_in("daemon.log");
        char *status = path_in("run/status.json"), *history = path_in("state/history.jsonl");
        host_assert_fixture_root(root);
        host_assert_fixture_cgroup(a, true, "314572800");
        host_assert_fixture_cgroup(b, true, "10485760");
        host_assert_write_text(p, "{\"interval\": \"200ms\", \"rulesets\": [{\"name\": \"big\","
                      " \"detectors\": [[{\"type\": \"memory_above\", \"cgroup\": \"/*.slice\", \"threshold\": \"100M\"}]],"
                      " \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/*\", \"kill_list\": false}]}]}");

        char *argv[] = { "pressured", "-c", p, "--policy-dir", "/nonexistent", "--state-dir", state,
                         "--runtime-dir", run_dir, "--cgroup-root", root, "--log-target", "stderr",
                         "--no-mlock", "--dry-run", NULL };
        pid_t pid = host_spawn_daemon(argv, log);
        cr_assert(host_file_contains(log, "started in cgroup mode", 10000), "not in cgroup mode");
        cr_assert(host_file_contains(log, "Dry run: would kill cgroup /big.slice holding 300M", 10000), "no decision for /big.slice");
        { char *l = host_read_file(log); cr_assert(strstr(l, "on /big.slice"), "the reason does not name the detector:\n%s", l); free(l); }
        cr_assert(host_file_contains(history, "\"cgroup\":\"/big.slice\"", 2000), "the decision is not in the history");
        cr_assert(host_file_contains(status, "\"mode\":\t\"cgroup\"", 5000), "status does not say cgroup mode");
        char *text = host_read_file(log);
        cr_assert_null(strstr(text, "small.slice"), "the small cgroup was named:\n%s", text);
        free(text);

        kill(pid, SIGTERM);
        cr_assert_neq(host_wait_child(pid, 5000), -1);
        free(root); free(a); free(b); free(p); free(state); free(run_dir); free(log); free(status); free(history);
}
