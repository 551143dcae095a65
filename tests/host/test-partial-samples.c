/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Samples of only the cgroups under pressure, with the real daemon on a fixture hierarchy whose
 * files this test rewrites as a stall would move them: while every detector holds on cg-1 (omitted:
 * the ruleset fires and finds no victim), the daemon reads cg-1 alone and the candidates ever more
 * rarely; when the pressure moves to cg-2, which holds a process, the daemon reads every cgroup
 * again at once and names cg-2 as its victim within a few seconds, not after the candidates' back-off.
 * /proc is a fixture too: this host's MemAvailable, which moves with whatever else runs, would end the
 * back-off on its own (a fall of a sixteenth of MemTotal) and hide whether the pressure's move did.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host-util.h"

static char *tmp, *log_path, *run;
static pid_t daemon_pid = -1;

static void cleanup(void) {
        host_stop_daemon(daemon_pid);
        host_rm_rf(tmp);
        free(tmp), free(log_path), free(run);
}

static const char policy_text[] =
        "{\"dry_run\": true, \"interval\": \"1s\", \"fast_interval\": \"250ms\", \"omit\": [\"/tree/cg-1\"],"
        " \"rulesets\": [{\"name\": \"tree\","
        "   \"detectors\": [[{\"type\": \"pressure_above\", \"cgroup\": \"/tree/*\", \"kind\": \"full\", \"window\": \"avg10\","
        "                    \"threshold\": 20, \"duration\": \"2s\"},"
        "                   {\"type\": \"memory_reclaim\", \"cgroup\": \"/tree/*\", \"duration\": \"10s\"}]],"
        "   \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/tree/*\", \"ranker\": \"size_or_growth\"}]}]}\n";

/* One step of a stall in DIR: full avg10 `avg10`, the stall and pgscan counters at step k. */
static void stall(const char *dir, double avg10, unsigned k) {
        char text[256];
        snprintf(text, sizeof text, "some avg10=%.2f avg60=%.2f avg300=1.00 total=%u\nfull avg10=%.2f avg60=%.2f avg300=1.00 total=%u\n",
                 avg10 + 5, avg10, k * 120000u, avg10, avg10, k * 100000u);
        host_assert_write_in(dir, "memory.pressure", text);
        snprintf(text, sizeof text, "anon 67108864\nfile 0\npgscan %u\n", k * 512u);
        host_assert_write_in(dir, "memory.stat", text);
}

Test(partial, reads_the_cgroup_under_pressure_alone_and_follows_the_pressure, .fini = cleanup, .timeout = 120) {
        tmp = host_mkdtemp();
        cr_assert_not_null(tmp);
        log_path = host_assert_path_in(tmp, "daemon.log");
        run = host_assert_path_in(tmp, "run");
        char *root = host_assert_path_in(tmp, "cgroup"), *tree = host_assert_path_in(root, "tree");
        char *policy = host_assert_path_in(tmp, "policy.json"), *state = host_assert_path_in(tmp, "state");
        char *cg[4];

        host_assert_fixture_root(root);
        host_assert_fixture_cgroup(tree, true, "0");
        for (unsigned i = 1; i <= 3; i++) {
                char name[16];
                snprintf(name, sizeof name, "cg-%u", i);
                cg[i] = host_assert_path_in(tree, name);
                host_assert_fixture_cgroup(cg[i], i == 1, i == 1 ? "67108864" : "4096");
                stall(cg[i], 0, 0);
        }
        stall(tree, 0, 0);
        host_assert_write_text(policy, policy_text);
        char *proc = host_assert_path_in(tmp, "proc");
        host_assert_copy_fixture("proc-basic", proc);

        char *argv[] = { "pressured", "--config", policy, "--policy-dir", "/nonexistent", "--cgroup-root", root, "--proc-root", proc,
                         "--state-dir", state, "--runtime-dir", run, "--log-target", "stderr", "--log-level", "debug",
                         "--no-mlock", "--no-bus", NULL };
        daemon_pid = host_spawn_daemon(argv, log_path);
        cr_assert_gt(daemon_pid, 0);
        char *sock = host_assert_path_in(run, "control.sock");
        cr_assert(host_control_wait(daemon_pid, sock, 10000), "no control socket: %s", host_read_file(log_path));

        /* cg-1 stalls: the rule fires (after 2 s) and finds no victim, cg-1 being omitted */
        unsigned k = 1;
        for (; k <= 40; k++) { /* 8 s */
                stall(cg[1], 50, k);
                stall(tree, 50, k); /* the parent's memory.stat counts cg-1's scans */
                host_sleep_ms(200);
        }
        long partial0 = host_assert_status_count(sock, "partial_samples"), cand0 = host_assert_status_count(sock, "candidate_samples");
        long samples0 = host_assert_status_count(sock, "samples");
        cr_assert(host_file_contains(log_path, "reading only", 0), "never read cg-1 alone: %s", host_read_file(log_path));
        for (unsigned end = k + 50; k <= end; k++) { /* 10 s more: the candidates' back-off is at 16 s by then */
                stall(cg[1], 50, k);
                stall(tree, 50, k);
                host_sleep_ms(200);
        }
        long partial = host_assert_status_count(sock, "partial_samples") - partial0, cand = host_assert_status_count(sock, "candidate_samples") - cand0;
        long samples = host_assert_status_count(sock, "samples") - samples0;
        cr_assert_geq(partial, samples / 2, "%ld of %ld samples in 10 s read cg-1 alone: %s", partial, samples,
                      host_read_file(log_path));
        cr_assert_leq(cand, 4, "the candidates were read %ld times in 10 s while the only ruleset firing found no victim; "
                      "with the back-off, 1 or 2", cand);
        cr_assert_eq(host_file_count(log_path, "Dry run: would kill"), 0, "a victim while only cg-1 (omitted) stalls: %s",
                     host_read_file(log_path));

        /* the pressure moves to cg-2, which now holds a process and memory: the daemon follows at once */
        host_assert_write_in(cg[2], "cgroup.events", "populated 1\nfrozen 0\n");
        host_assert_write_in(cg[2], "memory.current", "134217728\n");
        bool named = false;
        /* the condition never stopped holding: the next sample (1 s) finds cg-1 calm, reads every cgroup,
         * and the candidates at once; the back-off alone would wait some 15 s */
        for (unsigned end = k + 20; k <= end && !named; k++) { /* 4 s at most */
                stall(cg[1], 5, k);
                stall(cg[2], 60, k);
                stall(tree, 60, k);
                host_sleep_ms(200);
                named = host_file_count(log_path, "Dry run: would kill cgroup /tree/cg-2") > 0;
        }
        cr_assert(named, "the pressure moved to cg-2 4 s ago and the daemon has not named it: %s", host_read_file(log_path));
        cr_assert_eq(host_file_count(log_path, "Dry run: would kill cgroup /tree/cg-1"), 0, "cg-1 is omitted: %s", host_read_file(log_path));

        for (unsigned i = 1; i <= 3; i++)
                free(cg[i]);
        free(root), free(tree), free(policy), free(state), free(sock), free(proc);
}
