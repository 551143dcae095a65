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
        snprintf(text, sizeof text, "some avg10=%06.2f avg60=%06.2f avg300=1.00 total=%010u\nfull avg10=%06.2f avg60=%06.2f avg300=1.00 total=%010u\n",
                 avg10 + 5, avg10, k * 120000u, avg10, avg10, k * 100000u);
        host_assert_rewrite_in(dir, "memory.pressure", text);
        snprintf(text, sizeof text, "anon 67108864\nfile 0\npgscan %010u\n", k * 512u);
        host_assert_rewrite_in(dir, "memory.stat", text);
}

/* The whole system's PSI in the fixture /proc, on (above the threshold) or off. */
static void system_stall(const char *proc, bool on, unsigned k) {
        char text[256];
        double avg10 = on ? 50 : 5;
        snprintf(text, sizeof text, "some avg10=%06.2f avg60=%06.2f avg300=1.00 total=%010u\nfull avg10=%06.2f avg60=%06.2f avg300=1.00 total=%010u\n",
                 avg10 + 5, avg10, k * 120000u, avg10, avg10, k * 100000u);
        host_assert_rewrite_in(proc, "pressure/memory", text);
}

/* The fixture: a cgroup root with /tree and cg-1 to cg-3 (cg-1 populated and large, the others
 * empty), calm; a copy of /proc whose pressure the test moves too; the daemon on them with
 * `policy_text`, at debug level. */
typedef struct Fixture {
        char *root, *tree, *cg[4], *proc, *policy, *state, *sock;
} Fixture;

static void fixture_start(Fixture *f, const char *text) {
        tmp = host_mkdtemp();
        cr_assert_not_null(tmp);
        log_path = host_assert_path_in(tmp, "daemon.log");
        run = host_assert_path_in(tmp, "run");
        f->root = host_assert_path_in(tmp, "cgroup");
        f->tree = host_assert_path_in(f->root, "tree");
        f->policy = host_assert_path_in(tmp, "policy.json");
        f->state = host_assert_path_in(tmp, "state");
        f->proc = host_assert_path_in(tmp, "proc");

        host_assert_fixture_root(f->root);
        host_assert_fixture_cgroup(f->tree, true, "0");
        for (unsigned i = 1; i <= 3; i++) {
                char name[16];
                snprintf(name, sizeof name, "cg-%u", i);
                f->cg[i] = host_assert_path_in(f->tree, name);
                host_assert_fixture_cgroup(f->cg[i], i == 1, i == 1 ? "67108864" : "4096");
                stall(f->cg[i], 0, 0);
        }
        stall(f->tree, 0, 0);
        host_assert_write_text(f->policy, text);
        host_assert_copy_fixture("proc-basic", f->proc);
        system_stall(f->proc, false, 0);

        char *argv[] = { "pressured", "--config", f->policy, "--policy-dir", "/nonexistent", "--cgroup-root", f->root,
                         "--proc-root", f->proc, "--state-dir", f->state, "--runtime-dir", run, "--log-target", "stderr",
                         "--log-level", "debug", "--no-mlock", "--no-bus", NULL };
        daemon_pid = host_spawn_daemon(argv, log_path);
        cr_assert_gt(daemon_pid, 0);
        f->sock = host_assert_path_in(run, "control.sock");
        cr_assert(host_control_wait(daemon_pid, f->sock, 10000), "no control socket: %s", host_read_file(log_path));
}

static void fixture_free(Fixture *f) {
        for (unsigned i = 1; i <= 3; i++)
                free(f->cg[i]);
        free(f->root), free(f->tree), free(f->proc), free(f->policy), free(f->state), free(f->sock);
}

/* The same, and a second ruleset on the whole system's pressure, on the edge of its threshold: it
 * starts and stops, at random, while cg-1 stalls on. Its candidates are cg-1's, so it finds no victim
 * either; each of its starts must not read every candidate again. */
static const char flapping_policy_text[] =
        "{\"dry_run\": true, \"interval\": \"1s\", \"fast_interval\": \"250ms\", \"omit\": [\"/tree/cg-1\"],"
        " \"rulesets\": [{\"name\": \"tree\","
        "   \"detectors\": [[{\"type\": \"pressure_above\", \"cgroup\": \"/tree/*\", \"kind\": \"full\", \"window\": \"avg10\","
        "                    \"threshold\": 20, \"duration\": \"2s\"}]],"
        "   \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/tree/*\", \"ranker\": \"size_or_growth\"}]},"
        "  {\"name\": \"system\","
        "   \"detectors\": [[{\"type\": \"pressure_above\", \"cgroup\": \"/\", \"kind\": \"full\", \"window\": \"avg10\","
        "                    \"threshold\": 20, \"duration\": \"250ms\"}]],"
        "   \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/tree/*\", \"ranker\": \"size_or_growth\"}]}]}\n";


/* Whether ruleset `name` fires and has no victim, per the daemon's status. */
static void ruleset_state(const char *sock, const char *name, bool *firing, bool *victimless) {
        char *reply = host_control_request(sock, "{\"op\": \"status\"}", 10000);
        cr_assert_not_null(reply, "no status reply");
        char key[64];
        snprintf(key, sizeof key, "\"name\":\"%s\"", name);
        const char *at = strstr(reply, key);
        cr_assert_not_null(at, "no ruleset %s in the status: %s", name, reply);
        const char *end = strchr(at, '}');
        cr_assert_not_null(end);
        const char *f = strstr(at, "\"firing\":"), *v = strstr(at, "\"victimless\":");
        cr_assert(f && v && f < end && v < end, "no firing/victimless for ruleset %s: %s", name, reply);
        *firing = strncmp(f + strlen("\"firing\":"), "true", 4) == 0;
        *victimless = strncmp(v + strlen("\"victimless\":"), "true", 4) == 0;
        free(reply);
}

Test(partial, a_ruleset_that_flaps_without_a_victim_does_not_read_every_candidate_each_time, .fini = cleanup, .timeout = 120) {
        Fixture f = {};
        fixture_start(&f, flapping_policy_text);
        char *cg1 = f.cg[1], *tree = f.tree, *proc = f.proc, *sock = f.sock;

        /* cg-1 stalls on; the system's pressure goes on and off irregularly, for 0.2 to 2 s at a time */
        unsigned k = 1, starts = 0, seen_firing = 0, seen_calm = 0;
        bool was_on = false;
        long cand0 = 0;
        long cand = 0;
        for (; k <= 160; k++) { /* 8 s to settle, 12 s measured, 12 s of looks at the status (each reads the candidates) */
                bool on = (k % 7 < 4) != (k % 13 < 3);
                stall(cg1, 50, k), stall(tree, 50, k);
                system_stall(proc, on, k);
                if (k > 40 && k <= 100)
                        starts += on && !was_on;
                was_on = on;
                if (k == 40)
                        cand0 = host_assert_status_count(sock, "candidate_samples");
                if (k == 100)
                        cand = host_assert_status_count(sock, "candidate_samples") - cand0;
                if (k > 100 && k % 3 == 0) { /* status shows the system's ruleset come and go, with no victim */
                        bool firing, victimless;
                        ruleset_state(sock, "system", &firing, &victimless);
                        seen_firing += firing && victimless;
                        seen_calm += !firing;
                        ruleset_state(sock, "tree", &firing, &victimless);
                        cr_assert(firing && victimless, "ruleset tree %s while cg-1 (omitted) stalls on",
                                  firing ? "has a victim" : "is calm");
                }
                host_sleep_ms(200);
        }
        cr_assert_geq(starts, 3, "the system's pressure started only %u times in 12 s", starts);
        cr_assert(seen_firing > 0 && seen_calm > 0, "the system's ruleset was seen firing (with no victim) %u times and calm %u "
                  "times in 20 looks", seen_firing, seen_calm);
        /* the back-off alone: 8 -> 16 -> 32 s apart by now, so one or two reads in 12 s; each start of
         * the system's ruleset used to read every candidate and begin the back-off again */
        cr_assert_leq(cand, 4, "the candidates were read %ld times in 12 s while the system's ruleset started %u times "
                      "and found no victim: %s", cand, starts, host_read_file(log_path));
        cr_assert_eq(host_file_count(log_path, "Dry run: would kill"), 0, "a victim while only cg-1 (omitted) stalls: %s",
                     host_read_file(log_path));

        fixture_free(&f);
}

Test(partial, reads_the_cgroup_under_pressure_alone_and_follows_the_pressure, .fini = cleanup, .timeout = 120) {
        Fixture f = {};
        fixture_start(&f, policy_text);
        char **cg = f.cg, *tree = f.tree, *sock = f.sock;

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

        fixture_free(&f);
}
