/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Quiet mode on this host (no PSI triggers here, so only the MemAvailable guard exists): the real
 * daemon goes quiet under a policy whose only rule is a MemAvailable floor far below what this host
 * has, leaves it at once when a reload brings a rule nothing guards (memory_above on "/"), and goes
 * quiet again when the floor-only policy comes back. And the sampling cadence: while a detector
 * arms, samples come every fast_interval, not whenever the event loop's default timer slack
 * (250 ms) lets them; and a ruleset that fires without a victim has the candidates read once per
 * interval, not at every one of those samples. And the price of being quiet: a look at
 * /proc/meminfo is a wait and a read, no timer, counted by strace. And in degraded mode under the
 * default policy, with no ruleset firing, no sample opens a /proc/PID file.
 */
#include <criterion/criterion.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/stat.h>
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
        cr_assert_eq(host_file_count(log_path, "Quiet: no rule can fire"), 1, "quiet under a rule nothing guards: %s",
                     host_read_file(log_path));

        host_assert_write_text(policy, floor_only);
        kill(daemon_pid, SIGHUP);
        for (unsigned i = 0; i < 100 && host_file_count(log_path, "Quiet: no rule can fire") < 2; i++)
                host_sleep_ms(100);
        cr_assert_eq(host_file_count(log_path, "Quiet: no rule can fire"), 2, "not quiet again with the floor-only policy: %s",
                     host_read_file(log_path));
        free(status);
}

static const char always_arming[] =
        "{\"dry_run\": true, \"interval\": \"1s\", \"fast_interval\": \"20ms\","
        " \"rulesets\": [{\"name\": \"arming\", \"detectors\": [[{\"type\": \"mem_available_below\", \"threshold\": \"99%\","
        " \"duration\": \"1h\"}]], \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/*\", \"granularity\": \"process\"}]}]}\n";

static long samples_now(const char *sock) {
        return host_assert_status_count(sock, "samples");
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
 * fast sample found nothing new and cost most of the CPU with many cgroups: while only rulesets that
 * found no victim fire, they are read after 1, 2, 4 ... intervals (1 s). In 3 s, about 150 samples,
 * and 1 to 3 with the candidates (150 before the first fix, 3 or 4 before the back-off). */
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
        long before = samples_now(sock), before_cand = host_assert_status_count(sock, "candidate_samples");
        host_sleep_ms(3000);
        long samples = samples_now(sock) - before, cand = host_assert_status_count(sock, "candidate_samples") - before_cand;
        cr_assert_geq(samples, 45, "%ld samples in 3 s at a fast_interval of 20 ms: %s", samples, host_read_file(log_path));
        cr_assert_geq(cand, 1, "%ld samples with the candidates in 3 s at an interval of 1 s", cand);
        cr_assert_leq(cand, 4, "%ld of %ld samples in 3 s read the candidates: a ruleset without a victim must not "
                      "have them read every fast_interval, nor every interval", cand, samples);
        free(sock);
}

/* MemAvailable of this host in KiB, 0 when unknown. */
static unsigned long long mem_available_kib(void) {
        char *text = host_read_file("/proc/meminfo");
        const char *at = text ? strstr(text, "MemAvailable:") : NULL;
        unsigned long long kib = at ? strtoull(at + strlen("MemAvailable:"), NULL, 10) : 0;
        free(text);
        return kib;
}

/* The daemon at debug level under a policy whose only rule is a MemAvailable floor set so that
 * MemAvailable is gap_kib above twice the floor (1% where this host has less than that and 1 GiB);
 * the floor as written goes to floor[32]. */
static void start_floor_daemon(unsigned long long gap_kib, char *floor) {
        unsigned long long avail = mem_available_kib();
        char text[512];

        cr_assert_gt(avail, 0, "no MemAvailable in /proc/meminfo");
        if (avail > gap_kib + (1ULL << 20))
                snprintf(floor, 32, "%lluK", (avail - gap_kib) / 2);
        else
                snprintf(floor, 32, "1%%");
        snprintf(text, sizeof text,
                 "{\"rulesets\": [{\"name\": \"floor\", \"detectors\": [[{\"type\": \"mem_available_below\", \"threshold\": \"%s\"}]],"
                 " \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/*\", \"granularity\": \"process\"}]}]}\n", floor);
        start_daemon(text, "debug");
        cr_assert(host_file_contains(log_path, "Quiet: no rule can fire", 10000),
                  "the daemon never went quiet with MemAvailable %llu KiB above twice a floor of %s: %s", gap_kib, floor,
                  host_read_file(log_path));
}

/* While quiet, the daemon's only work is a look at /proc/meminfo at the pace at which the fastest
 * allocator (6000 MiB/s) could close the gap to twice the floor: the floor is set so that the gap
 * is 3 GiB (a look every half second) on a host with more than that, 1% elsewhere. strace counts
 * the daemon's system calls for 3 s: a look is one wait (epoll_wait, which times out) and one read
 * (pread64), as earlyoom's sleep and read; sd-event stays armed between looks, so no timer is armed
 * or read and no clock is read per look (clock_gettime and gettid, real system calls where the vDSO
 * is not used, came with each sd-event turn). Through an sd-event timer a look also read and
 * re-armed a timerfd. */
Test(quiet, a_look_arms_no_timer, .fini = cleanup, .timeout = 60) {
        struct stat st;
        if (stat("/usr/bin/strace", &st) < 0)
                cr_skip_test("strace is not installed (tests/run-all.sh installs it)");
        char floor[32];
        start_floor_daemon(3ULL << 20, floor);
        host_sleep_ms(300);

        char *counts = host_assert_path_in(tmp, "strace.txt"), cmd[512];
        snprintf(cmd, sizeof cmd, "timeout -s INT 3 strace -f -c -o %s -p %d >/dev/null 2>&1", counts, (int) daemon_pid);
        (void) system(cmd);
        char *table = host_read_file(counts);
        cr_assert_not_null(table, "strace wrote no counts to %s", counts);

        unsigned preads = 0, waits = 0, clock_reads = 0, lines = 0;
        for (char *line = strtok(table, "\n"); line; line = strtok(NULL, "\n")) {
                char name[64];
                unsigned long calls;
                if (strstr(line, "% time") || strstr(line, "------") || strstr(line, " total"))
                        continue;
                /* "% time  seconds  usecs/call  calls  [errors]  syscall": the name is the last field */
                const char *last = strrchr(line, ' ');
                if (!last || sscanf(last + 1, "%63s", name) != 1 || sscanf(line, "%*f %*f %*u %lu", &calls) != 1)
                        continue;
                lines++;
                cr_assert(strcmp(name, "epoll_wait") == 0 || strcmp(name, "pread64") == 0 ||
                          strcmp(name, "clock_gettime") == 0 || strcmp(name, "gettid") == 0,
                          "a quiet daemon made the system call %s (%lu times in 3 s); only epoll_wait, pread64, "
                          "clock_gettime and gettid belong to a quiet look (MemAvailable floor %s)", name, calls, floor);
                if (strcmp(name, "pread64") == 0)
                        preads = (unsigned) calls;
                else if (strcmp(name, "epoll_wait") == 0)
                        waits = (unsigned) calls;
                else
                        clock_reads += (unsigned) calls;
        }
        cr_assert_gt(lines, 0, "strace counted nothing in 3 s (floor %s): %s", floor, host_read_file(counts));
        cr_assert_geq(preads, 2, "%u looks at /proc/meminfo in 3 s with a gap of 3 GiB to the floor (%s): "
                      "expected about six", preads, floor);
        /* One wait per look (and one for strace's attach), and the clock read at most for a turn of
         * sd-event that strace's attach or detach may have cut into, not per look. */
        cr_assert_leq(waits, preads + 2, "%u waits for %u looks: a look must cost one wait (floor %s)", waits, preads, floor);
        cr_assert_leq(clock_reads, preads / 3, "%u clock_gettime/gettid calls for %u looks: a look must read no clock "
                      "(floor %s): %s", clock_reads, preads, floor, host_read_file(counts));
        cr_assert(host_file_contains(log_path, "Quiet: no rule can fire", 0));
        cr_assert_eq(host_file_count(log_path, "Not quiet"), 0, "quiet ended during the count: %s", host_read_file(log_path));
        free(table);
        free(counts);
}

/* MemAvailable 400 MiB above twice the floor: the fastest allocator (6000 MiB/s) could close that
 * in 67 ms, less than the 100 ms between looks. The daemon goes quiet all the same and looks every
 * 100 ms, as earlyoom does; it used to stay out of quiet there and sample the whole policy every
 * fast_interval (a small machine, or 10,000 cgroups' kernel memory in a 1 GiB guest, never went
 * quiet). Looks, counted by the status reply: about 20 in 2 s. */
Test(quiet, close_to_the_floor_it_looks_every_100ms, .fini = cleanup, .timeout = 60) {
        char floor[32];
        start_floor_daemon(400ULL << 10, floor);
        char *sock = wait_for_socket();
        long before = host_assert_status_count(sock, "quiet_checks");
        host_sleep_ms(2000);
        long looks = host_assert_status_count(sock, "quiet_checks") - before;
        cr_assert_geq(looks, 5, "%ld looks at /proc/meminfo in 2 s while quiet near the floor (%s); expected about 20: %s",
                      looks, floor, host_read_file(log_path));
        cr_assert_leq(looks, 25, "%ld looks at /proc/meminfo in 2 s: more often than every 100 ms", looks);
        free(sock);
}

/* The default policy (no file at --config), and nothing fires on this host. Degraded mode's
 * candidates are processes, with no growth to measure: the samples read /proc/meminfo,
 * /proc/pressure/memory and /proc/vmstat, and /proc/PID only when a ruleset fires, every 60 s, or
 * for a status whose figures are older than 5 s. strace sees the daemon for 3 s (about 3 samples):
 * no /proc/PID file is opened (some 550 were before, 89 processes read every second), and the
 * status counts no process scan in that time but the one its own request may make. */
Test(sampling, no_process_is_read_while_nothing_fires, .fini = cleanup, .timeout = 60) {
        struct stat st;
        if (stat("/usr/bin/strace", &st) < 0)
                cr_skip_test("strace is not installed (tests/run-all.sh installs it)");
        tmp = host_mkdtemp();
        cr_assert_not_null(tmp);
        policy = host_assert_default_policy_in(tmp, "default-policy.json");
        log_path = host_assert_path_in(tmp, "daemon.log");
        run = host_assert_path_in(tmp, "run");
        char *state = host_assert_path_in(tmp, "state");
        char *argv[] = { "pressured", "--config", policy, "--policy-dir", "/nonexistent", "--state-dir", state,
                         "--runtime-dir", run, "--log-target", "stderr", "--no-mlock", "--no-bus", NULL };
        daemon_pid = host_spawn_daemon(argv, log_path);
        cr_assert_gt(daemon_pid, 0);
        free(state);
        char *sock = wait_for_socket();
        host_sleep_ms(500);
        long samples = samples_now(sock), scans = host_assert_status_count(sock, "process_scans");

        char *trace = host_assert_path_in(tmp, "strace.txt"), cmd[512];
        snprintf(cmd, sizeof cmd, "timeout -s INT 3 strace -f -e trace=openat -o %s -p %d >/dev/null 2>&1", trace,
                 (int) daemon_pid);
        (void) system(cmd);
        char *text = host_read_file(trace);
        cr_assert_not_null(text, "strace wrote nothing to %s", trace);

        /* openat(fd of /proc, "1234/stat", ...) or openat(AT_FDCWD, "/proc/1234/...") */
        regex_t re;
        cr_assert_eq(regcomp(&re, "openat\\([^,]*, \"(/proc/)?[0-9]+/", REG_EXTENDED), 0);
        unsigned opens = 0, pid_opens = 0;
        char *first = NULL;
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                if (!strstr(line, "openat("))
                        continue;
                opens++;
                if (regexec(&re, line, 0, NULL, 0) == 0 && pid_opens++ == 0)
                        first = strdup(line);
        }
        regfree(&re);
        cr_assert_eq(pid_opens, 0, "with nothing firing, the daemon opened %u /proc/PID files in 3 s (of %u opens), "
                     "the first: %s", pid_opens, opens, first ? first : "");
        /* opens may be 0: the system files are kept open (pread); the samples are counted below */

        long more_samples = samples_now(sock) - samples, more_scans = host_assert_status_count(sock, "process_scans") - scans;
        cr_assert_geq(more_samples, 2, "%ld samples in 3 s at an interval of 1 s", more_samples);
        cr_assert_leq(more_scans, 1, "%ld process scans in %ld samples while nothing fires", more_scans, more_samples);
        free(first);
        free(text);
        free(trace);
        free(sock);
}
