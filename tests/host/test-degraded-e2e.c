/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * End to end on this host, in whatever mode it offers (degraded here: no memory controller on
 * cgroup v2): the real daemon, a policy that kills processes of our test cgroup once they hold more
 * than 100 MiB, a child that really allocates 200 MiB and one that holds 20 MiB. The big one must
 * die by SIGKILL; the small one must live; the history and the log must record the kill.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host-util.h"

static char *cg, *tmp;
static pid_t hog = -1, small = -1, daemon_pid = -1;

static void cleanup(void) {
        host_stop_daemon(daemon_pid);
        for (pid_t *p = (pid_t[]) { hog, small, 0 }; *p; p++)
                if (*p > 0) {
                        kill(*p, SIGKILL);
                        waitpid(*p, NULL, 0);
                }
        host_cgroup_destroy(cg);
        free(cg);
        host_rm_rf(tmp);
        free(tmp);
}

/* Writes the test policy for cgroup /NAME, starts both children and the daemon (with extra args). */
static void start(const char *name, const char *extra, char *log, size_t loglen, char *state, size_t statelen,
                  char *runtime, size_t runlen) {
        char policy[4096];
        cg = host_cgroup_create(name);
        cr_assert_not_null(cg, "cannot create test cgroup %s", name);
        tmp = host_mkdtemp();
        cr_assert_not_null(tmp);

        snprintf(policy, sizeof policy, "%s/policy.json", tmp);
        FILE *f = fopen(policy, "we");
        cr_assert_not_null(f);
        fprintf(f,
                "{\"interval\": \"200ms\", \"fast_interval\": \"50ms\",\n"
                " \"rulesets\": [{\"name\": \"test-rss\",\n"
                "   \"detectors\": [[{\"type\": \"memory_above\", \"cgroup\": \"/%s\", \"threshold\": \"100M\"}]],\n"
                "   \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/%s\", \"granularity\": \"process\",\n"
                "                  \"kill_list\": false, \"post_action_delay\": \"1s\"}]}]}\n",
                name, name);
        fclose(f);

        /* The small one first, so the sum crosses 100 MiB only with the hog. */
        small = host_spawn_hog(cg, 20, 512);
        cr_assert_gt(small, 0, "cannot start the 20 MiB child (is python3 installed?)");
        hog = host_spawn_hog(cg, 200, 512);
        cr_assert_gt(hog, 0, "cannot start the 200 MiB child");

        snprintf(log, loglen, "%s/daemon.log", tmp);
        snprintf(state, statelen, "%s/state", tmp);
        snprintf(runtime, runlen, "%s/run", tmp);
        char *argv[] = { "pressured", "--config", policy, "--policy-dir", "/nonexistent",
                         "--state-dir", state, "--runtime-dir", runtime, "--log-target", "stderr",
                         "--no-mlock", (char *) extra, NULL };
        daemon_pid = host_spawn_daemon(argv, log);
        cr_assert_gt(daemon_pid, 0);
}

Test(degraded_e2e, kills_the_hog_and_spares_the_small_one, .timeout = 90) {
        const char *why;
        if (!host_cgroup2_mount(&why))
                cr_skip_test("%s", why);
        atexit(cleanup);

        char name[64], path[8192], log[4096], state[4096], runtime[4096];
        snprintf(name, sizeof name, "pressured-e2e-%d", (int) getpid());
        start(name, NULL, log, sizeof log, state, sizeof state, runtime, sizeof runtime);

        int st = host_wait_child(hog, 20000);
        char *text = host_read_file(log);
        cr_assert_neq(st, -1, "the 200 MiB child was not killed within 20 s; daemon log:\n%s", text ? text : "");
        cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the hog ended otherwise (status %d)", st);
        pid_t hog_pid = hog;
        hog = -1;
        free(text);

        /* The small one stays: wait out the post-action delay plus a few samples. */
        usleep(2500 * 1000);
        cr_assert(host_child_alive(small), "the 20 MiB child was killed too");
        cr_assert(host_child_alive(daemon_pid), "the daemon exited");

        char needle[64];
        snprintf(path, sizeof path, "%s/history.jsonl", state);
        snprintf(needle, sizeof needle, "\"pids\":[%d]", (int) hog_pid);
        text = host_read_file(path);
        cr_assert_not_null(text, "no history file at %s", path);
        cr_assert(strstr(text, "\"ruleset\":\"test-rss\""), "history lacks the ruleset: %s", text);
        cr_assert(strstr(text, needle), "history does not name the hog's pid %d: %s", (int) hog_pid, text);
        cr_assert(strstr(text, "\"dry_run\":false"), "history: %s", text);
        free(text);

        text = host_read_file(log);
        cr_assert(strstr(text, "MESSAGE_ID=f3a1c4be5d2b4c6f9e0a7d18b2c3e4f5"), "no structured kill entry in the log:\n%s", text);
        cr_assert(strstr(text, "RULESET=test-rss"), "log:\n%s", text);
        snprintf(needle, sizeof needle, "Killed process %d (python3)", (int) hog_pid);
        cr_assert(strstr(text, needle), "the log does not name the victim (%s):\n%s", needle, text);
        cr_assert(strstr(text, "degraded mode") || strstr(text, "cgroup mode"), "the log does not state the mode:\n%s", text);
        free(text);

        snprintf(path, sizeof path, "%s/status.json", runtime);
        cr_assert(host_file_contains(path, "\"kill_count\":\t1", 3000) || host_file_contains(path, "\"kill_count\": 1", 100),
                  "status.json does not count the kill");
}

Test(degraded_e2e, dry_run_logs_and_kills_nothing, .timeout = 60) {
        const char *why;
        if (!host_cgroup2_mount(&why))
                cr_skip_test("%s", why);
        atexit(cleanup);

        char name[64], path[8192], log[4096], state[4096], runtime[4096], needle[64];
        snprintf(name, sizeof name, "pressured-e2e-dry-%d", (int) getpid());
        start(name, "--dry-run", log, sizeof log, state, sizeof state, runtime, sizeof runtime);

        snprintf(needle, sizeof needle, "Dry run: would kill process %d", (int) hog);
        cr_assert(host_file_contains(log, needle, 20000), "no dry-run decision for the hog in the log");
        cr_assert(host_child_alive(hog), "a dry run killed the hog");
        cr_assert(host_child_alive(small));
        snprintf(path, sizeof path, "%s/history.jsonl", state);
        cr_assert(host_file_contains(path, "\"dry_run\":true", 2000), "the dry-run decision is not in the history");
}
