/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * End to end on this host, in whatever mode it offers (degraded here: no memory controller on
 * cgroup v2): the real daemon, a policy that kills processes of our test cgroup once they hold more
 * than 100 MiB, a child that really allocates 200 MiB and one that holds 20 MiB. The big one must
 * die by SIGKILL; the small one must live; the history and the log must record the kill. And what an
 * admin reads there: a cgroup's memory (its processes' RSS) in status and in the reply and record of
 * `oomctl kill`, and the process a dry run would have killed in its record.
 */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
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
        /* the record names the process, as the log line does */
        snprintf(needle, sizeof needle, "\"pids\":[%d]", (int) hog);
        char *text = host_read_file(path);
        cr_assert(text && strstr(text, needle), "the dry-run record does not name the hog %d: %s", (int) hog, text);
        cr_assert(strstr(text, "\"comm\":\"python3\""), "the dry-run record does not name the command: %s", text);
        free(text);
}

#define MIB (1024.0 * 1024.0)

/* The `result` of one control socket request, parsed (the whole reply goes to *reply to be freed). */
static const cJSON *request_ok(const char *sock, const char *request, cJSON **reply) {
        char *text = host_control_request(sock, request, 10000);
        cr_assert_not_null(text, "no reply to %s", request);
        *reply = cJSON_Parse(text);
        cr_assert_not_null(*reply, "not JSON: %s", text);
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(*reply, "ok");
        cr_assert(cJSON_IsTrue(ok), "%s failed: %s", request, text);
        free(text);
        return cJSON_GetObjectItemCaseSensitive(*reply, "result");
}

static double num(const cJSON *o, const char *key) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        cr_assert(cJSON_IsNumber(v), "no number \"%s\" in %s", key, cJSON_PrintUnformatted(o));
        return v->valuedouble;
}

/* The daemon under the embedded default policy (no ruleset fires on this host), socket only. */
static char *start_default(const char *name, char *state, size_t statelen) {
        cg = host_cgroup_create(name);
        cr_assert_not_null(cg, "cannot create test cgroup %s", name);
        tmp = host_mkdtemp();
        cr_assert_not_null(tmp);
        char *none = host_assert_default_policy_in(tmp, "default-policy.json"), *log = host_assert_path_in(tmp, "daemon.log");
        char *run = host_assert_path_in(tmp, "run");
        snprintf(state, statelen, "%s/state", tmp);
        char *argv[] = { "pressured", "--config", none, "--policy-dir", "/nonexistent", "--state-dir", state,
                         "--runtime-dir", run, "--log-target", "stderr", "--no-mlock", "--no-bus", NULL };
        daemon_pid = host_spawn_daemon(argv, log);
        cr_assert_gt(daemon_pid, 0);
        char *sock = host_assert_path_in(run, "control.sock");
        cr_assert(host_control_wait(daemon_pid, sock, 10000), "the daemon's socket never answered: %s", host_read_file(log));
        free(none), free(log), free(run);
        return sock;
}

/* A 32 MiB process starts in our cgroup after the daemon's first sample, with nothing firing: a
 * status asked for 6 s later reads the processes again and shows the cgroup holding at least the
 * 32 MiB (0 B before: no memory.current without the memory controller). A dry-run kill says it would
 * end 1 process holding that much, and its record names the pid; the kill itself says the same. */
Test(degraded_e2e, status_and_kill_show_the_cgroups_memory, .timeout = 90) {
        const char *why;
        if (!host_cgroup2_mount(&why))
                cr_skip_test("%s", why);
        atexit(cleanup);

        char name[64], path[128], state[4096], req[256];
        snprintf(name, sizeof name, "pressured-e2e-mem-%d", (int) getpid());
        snprintf(path, sizeof path, "/%s", name);
        char *sock = start_default(name, state, sizeof state);
        host_sleep_ms(500);
        hog = host_spawn_hog(cg, 32, 256);
        cr_assert_gt(hog, 0, "cannot start the 32 MiB child (is python3 installed?)");
        host_sleep_ms(6000); /* the processes read at start are now older than a status may show */

        cJSON *reply;
        const cJSON *st = request_ok(sock, "{\"op\": \"status\"}", &reply), *row = NULL, *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(st, "cgroups"))
                if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "path")) ?: "", path) == 0)
                        row = c;
        cr_assert_not_null(row, "status does not list %s: %s", path, cJSON_PrintUnformatted(st));
        cr_assert_geq(num(row, "memory_current"), 32 * MIB, "status shows %s holding %.0f bytes, less than the 32 MiB "
                      "its process touched: %s", path, num(row, "memory_current"), cJSON_PrintUnformatted(row));
        cJSON_Delete(reply);

        snprintf(req, sizeof req, "{\"op\": \"kill\", \"target\": \"%s\", \"dry_run\": true}", path);
        const cJSON *k = request_ok(sock, req, &reply);
        char *t = cJSON_PrintUnformatted(k);
        cr_assert_eq(num(k, "processes"), 1, "dry-run kill reply: %s", t);
        cr_assert_eq(num(k, "killed"), 0, "dry-run kill reply: %s", t);
        cr_assert_geq(num(k, "memory_bytes"), 32 * MIB, "dry-run kill reply: %s", t);
        const cJSON *pids = cJSON_GetObjectItemCaseSensitive(k, "pids");
        cr_assert(cJSON_GetArraySize(pids) == 1 && cJSON_GetArrayItem(pids, 0)->valuedouble == hog,
                  "the dry run does not name the hog %d: %s", (int) hog, t);
        free(t);
        cJSON_Delete(reply);
        cr_assert(host_child_alive(hog), "a dry run killed the hog");

        char *hist = host_assert_path_in(state, "history.jsonl"), needle[64];
        snprintf(needle, sizeof needle, "\"pids\":[%d]", (int) hog);
        t = host_read_file(hist);
        cr_assert(t && strstr(t, needle) && strstr(t, "\"dry_run\":true"), "the dry-run record lacks the pid %d: %s",
                  (int) hog, t ? t : "(no history)");
        free(t);

        snprintf(req, sizeof req, "{\"op\": \"kill\", \"target\": \"%s\"}", path);
        k = request_ok(sock, req, &reply);
        t = cJSON_PrintUnformatted(k);
        cr_assert_eq(num(k, "killed"), 1, "kill reply: %s", t);
        cr_assert_eq(num(k, "processes"), 1, "kill reply: %s", t);
        cr_assert_geq(num(k, "memory_bytes"), 32 * MIB, "the kill reply holds no memory: %s", t);
        free(t);
        cJSON_Delete(reply);
        int status = host_wait_child(hog, 10000);
        cr_assert(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the hog was not killed (%d)", status);
        hog = -1;

        /* the kill's record: the newest line of the history */
        t = host_read_file(hist);
        cr_assert_not_null(t);
        size_t len = strlen(t);
        while (len > 0 && t[len - 1] == '\n')
                t[--len] = 0;
        char *last = strrchr(t, '\n');
        last = last ? last + 1 : t;
        cJSON *rec = cJSON_Parse(last);
        cr_assert_not_null(rec, "cannot read the kill record: %s", t);
        cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(rec, "dry_run")), "%s", last);
        cr_assert_geq(num(rec, "memory_bytes"), 32 * MIB, "the kill record holds no memory: %s", last);
        cJSON_Delete(rec);
        free(t);
        free(hist);
        free(sock);
}

/* A ruleset whose detector needs no process (MemAvailable below 99%: always true here) fires at the
 * first sample: the processes are read in that sample and the 32 MiB process in our cgroup dies at
 * once, though no sample reads them while nothing fires. Its record names it. */
Test(degraded_e2e, a_firing_ruleset_reads_the_processes_and_kills, .timeout = 60) {
        const char *why;
        if (!host_cgroup2_mount(&why))
                cr_skip_test("%s", why);
        atexit(cleanup);

        char name[64], policy[4096], state[4096], runtime[4096], log[4096];
        snprintf(name, sizeof name, "pressured-e2e-fire-%d", (int) getpid());
        cg = host_cgroup_create(name);
        cr_assert_not_null(cg);
        tmp = host_mkdtemp();
        cr_assert_not_null(tmp);
        hog = host_spawn_hog(cg, 32, 256);
        cr_assert_gt(hog, 0, "cannot start the 32 MiB child (is python3 installed?)");

        snprintf(policy, sizeof policy, "%s/policy.json", tmp);
        snprintf(state, sizeof state, "%s/state", tmp);
        snprintf(runtime, sizeof runtime, "%s/run", tmp);
        snprintf(log, sizeof log, "%s/daemon.log", tmp);
        char text[1024];
        snprintf(text, sizeof text,
                 "{\"rulesets\": [{\"name\": \"always\", \"detectors\": [[{\"type\": \"mem_available_below\", \"threshold\": \"99%%\"}]],"
                 " \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/%s\", \"granularity\": \"process\"}]}]}\n", name);
        host_assert_write_text(policy, text);
        char *argv[] = { "pressured", "--config", policy, "--policy-dir", "/nonexistent", "--state-dir", state,
                         "--runtime-dir", runtime, "--log-target", "stderr", "--no-mlock", "--no-bus", NULL };
        daemon_pid = host_spawn_daemon(argv, log);
        cr_assert_gt(daemon_pid, 0);

        int st = host_wait_child(hog, 10000);
        cr_assert(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the 32 MiB child was not killed within 10 s: %s",
                  host_read_file(log));
        char needle[64], path[8192];
        snprintf(needle, sizeof needle, "\"pids\":[%d]", (int) hog);
        hog = -1;
        snprintf(path, sizeof path, "%s/history.jsonl", state);
        cr_assert(host_file_contains(path, needle, 2000), "history does not name the victim: %s", host_read_file(path));
}
