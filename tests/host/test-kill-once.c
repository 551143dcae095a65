/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One kill per victim: a cgroup whose processes were all killed and are still exiting (SIGKILL
 * pending, as /proc/PID/status shows while the kernel holds a dying process on swap I/O) is waited
 * for, not killed again, escalated or counted. A real kernel shows a pending SIGKILL only for the
 * moment before the process dies, so the daemon reads a fixture /proc and a fixture cgroup
 * hierarchy (cgroup mode) whose one cgroup lists a real child of this test. While the fixture says
 * "killed, exiting", the child must live and the wait be logged once; when it says "not killed",
 * the same daemon must kill that child: the check that the test reaches the kill path at all.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host-util.h"

#define WAIT_NOTICE "were already killed and are still exiting"

static char *tmp;
static pid_t child = -1, daemon_pid = -1;

static void teardown(void) {
        host_stop_daemon(daemon_pid);
        if (child > 0) {
                kill(child, SIGKILL);
                host_wait_child(child, 5000);
        }
        host_rm_rf(tmp);
        free(tmp);
}

/* The fixture's /proc/PID/status for the child: SIGKILL (signal 9, bit 0x100) in ShdPnd, or none. */
static void write_status(const char *proc_pid, pid_t pid, bool kill_pending) {
        char text[512], *path = host_assert_path_in(proc_pid, ".status"), *final = host_assert_path_in(proc_pid, "status");
        snprintf(text, sizeof text,
                 "Name:\tsleeper\nState:\t%s\nTgid:\t%d\nPid:\t%d\nPPid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
                 "VmRSS:\t  307200 kB\nRssAnon:\t  307200 kB\nVmSwap:\t       0 kB\nThreads:\t1\n"
                 "SigPnd:\t0000000000000000\nShdPnd:\t%s\n",
                 kill_pending ? "D (disk sleep)" : "S (sleeping)", (int) pid, (int) pid,
                 kill_pending ? "0000000000000100" : "0000000000000000");
        host_assert_write_text(path, text);
        cr_assert_eq(rename(path, final), 0); /* whole, never half a file */
        free(path);
        free(final);
}

Test(kill_once, a_victim_still_exiting_is_waited_for_not_killed_again, .fini = teardown, .timeout = 90) {
        tmp = host_mkdtemp();
        cr_assert_not_null(tmp);
        child = host_spawn_sleeper();
        cr_assert_geq(child, 0);

        char *root = host_assert_path_in(tmp, "cgroup"), *victim = host_assert_path_in(tmp, "cgroup/victim.slice");
        char *proc = host_assert_path_in(tmp, "proc"), *policy = host_assert_path_in(tmp, "policy.json");
        char *state = host_assert_path_in(tmp, "state"), *run = host_assert_path_in(tmp, "run");
        char *log = host_assert_path_in(tmp, "daemon.log"), *history = host_assert_path_in(tmp, "state/history.jsonl");
        char text[256], pid_name[16];

        host_assert_fixture_root(root);
        host_assert_fixture_cgroup(victim, true, "314572800");
        snprintf(text, sizeof text, "%d\n", (int) child);
        host_assert_write_in(victim, "cgroup.procs", text);

        /* /proc: the fixture's system files, and the child as the fixture cgroup's only process. */
        host_assert_copy_fixture("proc-basic", proc);
        snprintf(pid_name, sizeof pid_name, "%d", (int) child);
        char *proc_pid = host_assert_path_in(proc, pid_name);
        cr_assert_eq(mkdir(proc_pid, 0755), 0);
        snprintf(text, sizeof text, "%d (sleeper) D 1 %d %d 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 4242 314572800 76800 "
                 "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
                 (int) child, (int) child, (int) child);
        host_assert_write_in(proc_pid, "stat", text);
        host_assert_write_in(proc_pid, "oom_score", "600\n");
        host_assert_write_in(proc_pid, "oom_score_adj", "0\n");
        host_assert_write_in(proc_pid, "cgroup", "0::/victim.slice\n");
        write_status(proc_pid, child, true);

        host_assert_write_text(policy,
                "{\"interval\": \"200ms\", \"rulesets\": [{\"name\": \"once\","
                " \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/victim.slice\"}]],"
                " \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/*\", \"kill_list\": false, \"post_action_delay\": \"1s\"}]}]}");
        char *argv[] = { "pressured", "-c", policy, "--policy-dir", "/nonexistent", "--state-dir", state,
                         "--runtime-dir", run, "--cgroup-root", root, "--proc-root", proc, "--log-target", "stderr",
                         "--no-mlock", "--no-bus", NULL };
        daemon_pid = host_spawn_daemon(argv, log);
        cr_assert_gt(daemon_pid, 0);
        cr_assert(host_file_contains(log, "started in cgroup mode", 10000), "not in cgroup mode:\n%s", host_read_file(log));

        /* Killed, still exiting: waited for, said once, over many samples. */
        cr_assert(host_file_contains(log, WAIT_NOTICE, 10000), "no wait for the dying victim:\n%s", host_read_file(log));
        host_sleep_ms(3000); /* 15 intervals, 3 post-action delays */
        char *l = host_read_file(log);
        cr_assert(host_child_alive(child), "a victim already killed and exiting was killed again:\n%s", l);
        cr_assert_eq(host_file_count(log, WAIT_NOTICE), 1, "the wait was not logged exactly once:\n%s", l);
        cr_assert(strstr(l, "Ruleset once chose /victim.slice again") && strstr(l, pid_name),
                  "the notice names neither the ruleset and cgroup nor the pid:\n%s", l);
        cr_assert_null(strstr(l, "Killed cgroup"), "a kill was recorded:\n%s", l);
        free(l);
        l = host_read_file(history);
        cr_assert(!l || !strstr(l, "victim.slice"), "the history records a kill of the waited-for victim:\n%s", l);
        free(l);

        /* Not killed: the same daemon kills it (so the wait above was the check, not a path never reached). */
        write_status(proc_pid, child, false);
        int st = host_wait_child(child, 10000);
        cr_assert_neq(st, -1, "the daemon did not kill a victim that was not dying:\n%s", host_read_file(log));
        cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the child ended otherwise (status %d)", st);
        child = -1;
        cr_assert(host_file_contains(history, "\"cgroup\":\"/victim.slice\"", 5000), "the kill is not in the history");

        free(root); free(victim); free(proc); free(policy); free(state); free(run); free(log); free(history);
        free(proc_pid);
}
