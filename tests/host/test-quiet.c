/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Quiet mode on this host (no PSI triggers here, so only the MemAvailable guard exists): the real
 * daemon goes quiet under a policy whose only rule is a MemAvailable floor far below what this host
 * has, leaves it at once when a reload brings a rule nothing guards (memory_above on "/"), and goes
 * quiet again when the floor-only policy comes back. And the sampling cadence: while a detector
 * arms, samples come every fast_interval, not whenever the event loop's default timer slack
 * (250 ms) lets them; and a ruleset that fires without a victim has the candidates read once per
 * interval, not at every one of those samples.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host-util.h"

static char *tmp, *policy, *log_path, *run;
static pid_t daemon_pid = -1;

static void cleanup(void) {
        host_stop_daemon(daemon_pid);
        host_rm_rf(tmp);
        free(tmp), free(policy), free(log_path), free(run);
}

/* The daemon in a fresh temporary directory (policy.json, daemon.log, state/, run/) with
 * policy_text as its only policy, logging at log_level to daemon.log. */
static void start_daemon(const char *policy_text, const char *log_level) {
        tmp = host_mkdtemp();
        cr_assert_not_null(tmp);
        policy = host_assert_path_in(tmp, "policy.json");
        log_path = host_assert_path_in(tmp, "daemon.log");
        run = host_assert_path_in(tmp, "run");
        char *state = host_assert_path_in(tmp, "state");
        host_assert_write_text(policy, policy_text);

        char *argv[] = { "pressured", "--config", policy, "--policy-dir", "/nonexistent", "--state-dir", state,
                         "--runtime-dir", run, "--log-target", "stderr", "--log-level", (char *) log_level,
                         "--no-mlock", "--no-bus", NULL };
        daemon_pid = host_spawn_daemon(argv, log_path);
        cr_assert_gt(daemon_pid, 0);
        free(state);
}

static const char floor_only[] =
        "{\"rulesets\": [{\"name\": \"floor\", \"detectors\": [[{\"type\": \"mem_available_below\", \"threshold\": \"1%\"}]],"
        " \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/*\", \"granularity\": \"process\"}]}]}\n";
static const char unguarded[] =
        "{\"rulesets\": [{\"name\": \"size\", \"detectors\": [[{\"type\": \"memory_above\", \"cgroup\": \"/\", \"threshold\": \"1000T\"}]],"
        " \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/*\", \"granularity\": \"process\"}]}]}\n";

/* The number of times `needle` occurs in the file. */
static unsigned count_in(const char *path, const char *needle) {
        char *text = host_read_file(path);
        unsigned n = 0;
        for (const char *p = text; p && (p = strstr(p, needle)); p += strlen(needle))
                n++;
        free(text);
        return n;
}

Test(quiet, floor_only_goes_quiet_and_a_reload_ends_it, .fini = cleanup, .timeout = 60) {
        start_daemon(floor_only, "debug");
        char *status = host_assert_path_in(run, "status.json");
        cr_assert(host_file_contains(log_path, "Quiet: no rule can fire", 10000),
                  "the daemon never went quiet under a MemAvailable floor of 1%%: %s", host_read_file(log_path));

        /* a rule no trigger or floor guards: quiet ends with the reload, before any sample */
        host_assert_write_text(policy, unguarded);
        unlink(status);
        kill(daemon_pid, SIGHUP);
        cr_assert(host_file_contains(status, "\"policy\"", 10000), "no status after the reload: %s", host_read_file(log_path));
        cr_assert(host_file_contains(status, "\"quiet\":\tfalse", 1000), "still quiet after the reload: %s",
                  host_read_file(status));
        host_sleep_ms(1500);
        cr_assert_eq(count_in(log_path, "Quiet: no rule can fire"), 1, "quiet under a rule nothing guards: %s",
                     host_read_file(log_path));

        host_assert_write_text(policy, floor_only);
        kill(daemon_pid, SIGHUP);
        for (unsigned i = 0; i < 100 && count_in(log_path, "Quiet: no rule can fire") < 2; i++)
                host_sleep_ms(100);
        cr_assert_eq(count_in(log_path, "Quiet: no rule can fire"), 2, "not quiet again with the floor-only policy: %s",
                     host_read_file(log_path));
        free(status);
}

static const char always_arming[] =
        "{\"dry_run\": true, \"interval\": \"1s\", \"fast_interval\": \"20ms\","
        " \"rulesets\": [{\"name\": \"arming\", \"detectors\": [[{\"type\": \"mem_available_below\", \"threshold\": \"99%\","
        " \"duration\": \"1h\"}]], \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/*\", \"granularity\": \"process\"}]}]}\n";

/* A count from the control socket's status reply: "samples" or "candidate_samples". */
static long status_count(const char *sock, const char *key) {
        char *reply = host_control_request(sock, "{\"op\": \"status\"}", 10000);
        cr_assert_not_null(reply, "no status reply from %s", sock);
        char quoted[64];
        snprintf(quoted, sizeof quoted, "\"%s\":", key);
        const char *at = strstr(reply, quoted);
        cr_assert_not_null(at, "no %s count in the status reply: %s", key, reply);
        long n = strtol(at + strlen(quoted), NULL, 10);
        free(reply);
        return n;
}

static long samples_now(const char *sock) {
        return status_count(sock, "samples");
}

/* The control socket of the daemon started last, once it answers. */
static char *wait_for_socket(void) {
        char *sock = host_assert_path_in(run, "control.sock");
        for (unsigned i = 0; i < 100 && access(sock, F_OK) < 0; i++)
                host_sleep_ms(100);
        cr_assert_eq(access(sock, F_OK), 0, "no control socket at %s: %s", sock, host_read_file(log_path));
        return sock;
}

/* A detector whose condition always holds and whose duration (1 h) never runs out keeps the
 * daemon arming, so it samples every fast_interval (20 ms). In 3 s that is about 150 samples;
 * with sd-event's default 250 ms timer slack there were 13. At least 45 must come (a mean
 * gap of 67 ms at most, generous for a loaded machine under ASan). */
Test(sampling, fast_interval_is_kept_while_arming, .fini = cleanup, .timeout = 60) {
        start_daemon(always_arming, "info");
        char *sock = wait_for_socket();
        host_sleep_ms(500); /* past the start-up samples */
        long before = samples_now(sock);
        host_sleep_ms(3000);
        long after = samples_now(sock);
        cr_assert_geq(after - before, 45, "%ld samples in 3 s at a fast_interval of 20 ms (expected about 150): %s",
                      after - before, host_read_file(log_path));
        cr_assert_leq(after - before, 160, "%ld samples in 3 s at a fast_interval of 20 ms: more than the interval allows",
                      after - before);
        free(sock);
}

/* One ruleset keeps the daemon sampling every fast_interval (as above); another fires at every
 * sample but its action has no candidate (no cgroup matches). Reading every candidate again at each
 * fast sample found nothing new and cost most of the CPU with many cgroups: they are read once per
 * interval (1 s) while only rulesets that found no victim fire. In 3 s, about 150 samples, and 3 or
 * 4 with the candidates (150 before the fix). */
static const char victimless[] =
        "{\"dry_run\": true, \"interval\": \"1s\", \"fast_interval\": \"20ms\", \"rulesets\": ["
        " {\"name\": \"arming\", \"detectors\": [[{\"type\": \"mem_available_below\", \"threshold\": \"99%\", \"duration\": \"1h\"}]],"
        "  \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/*\", \"granularity\": \"process\"}]},"
        " {\"name\": \"victimless\", \"detectors\": [[{\"type\": \"mem_available_below\", \"threshold\": \"99%\"}]],"
        "  \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/pressured-test-no-such-*\"}]}]}\n";

Test(sampling, a_victimless_ruleset_reads_candidates_once_per_interval, .fini = cleanup, .timeout = 60) {
        start_daemon(victimless, "info");
        char *sock = wait_for_socket();
        host_sleep_ms(500);
        long before = samples_now(sock), before_cand = status_count(sock, "candidate_samples");
        host_sleep_ms(3000);
        long samples = samples_now(sock) - before, cand = status_count(sock, "candidate_samples") - before_cand;
        cr_assert_geq(samples, 45, "%ld samples in 3 s at a fast_interval of 20 ms: %s", samples, host_read_file(log_path));
        cr_assert_geq(cand, 2, "%ld samples with the candidates in 3 s at an interval of 1 s", cand);
        cr_assert_leq(cand, 6, "%ld of %ld samples in 3 s read the candidates: a ruleset without a victim must not "
                      "have them read every fast_interval", cand, samples);
        free(sock);
}
