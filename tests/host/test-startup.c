/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the daemon says at start, as an admin reads it: one line per ruleset in this machine's
 * figures, a warning when it cannot signal other users' processes (no CAP_KILL), and, with
 * --log-target=journal and no journald, one line saying it logs to standard error instead.
 * Nothing here kills: the policies are dry runs.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "format.h"
#include "host-util.h"
#include "daemon/read/meminfo.h"

static char *tmp;

static void setup(void) {
        tmp = host_mkdtemp();
        cr_assert_not_null(tmp);
}

static void teardown(void) {
        host_rm_rf(tmp);
        free(tmp);
}

TestSuite(startup, .init = setup, .fini = teardown, .timeout = 60);

/* How the child is set up before it runs the daemon. */
typedef enum Setup {
        SETUP_NONE,
        SETUP_NO_JOURNAL,   /* a mount namespace with an empty tmpfs over /run/systemd/journal */
        SETUP_NO_CAP_KILL,  /* CAP_KILL dropped from the bounding set, so root execs without it */
} Setup;

/* Exit codes of a child whose setup failed: the test skips on them and says why. */
#define EXIT_NO_NAMESPACE 90
#define EXIT_NO_CAPDROP   91

static pid_t spawn(Setup how, char *const argv[], const char *log_path) {
        pid_t pid = fork();
        if (pid != 0)
                return pid;
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (how == SETUP_NO_JOURNAL) {
                struct stat st;
                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        _exit(EXIT_NO_NAMESPACE);
                /* Where journald runs its socket is there; hide it. Where it does not, nothing to hide. */
                if (stat("/run/systemd/journal", &st) == 0 &&
                    mount("tmpfs", "/run/systemd/journal", "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755") < 0)
                        _exit(EXIT_NO_NAMESPACE);
        } else if (how == SETUP_NO_CAP_KILL) {
                if (prctl(PR_CAPBSET_DROP, CAP_KILL, 0, 0, 0) < 0)
                        _exit(EXIT_NO_CAPDROP);
        }
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                _exit(95);
        dup2(fd, STDERR_FILENO);
        dup2(fd, STDOUT_FILENO);
        execv(PRESSURED_BIN, argv);
        _exit(96);
}

/* Runs the daemon with the policy and the log target until it has started, stops it, and returns
 * what it wrote. Skips the test when the child's setup is refused here. */
static char *start_and_stop(Setup how, const char *policy, const char *target) {
        char *p = host_assert_path_in(tmp, "policy.json"), *state = host_assert_path_in(tmp, "state");
        /* a log of its own per run: the last run's "started in" must not count for this one */
        static unsigned runs;
        char log_name[32];
        snprintf(log_name, sizeof log_name, "daemon-%u.log", runs++);
        char *run_dir = host_assert_path_in(tmp, "run"), *log = host_assert_path_in(tmp, log_name);
        host_assert_write_text(p, policy);
        char *argv[] = { "pressured", "-c", p, "--policy-dir", "/nonexistent", "--state-dir", state, "--runtime-dir",
                         run_dir, "--log-target", (char *) target, "--no-mlock", "--no-bus", NULL };
        pid_t pid = spawn(how, argv, log);
        cr_assert_gt(pid, 0);
        bool started = host_file_contains(log, "started in", 10000);
        if (!started) {
                int st = host_wait_child(pid, 100);
                if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == EXIT_NO_NAMESPACE)
                        cr_skip_test("no mount namespace here (unshare or mount refused): cannot hide the journal socket");
                if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == EXIT_NO_CAPDROP)
                        cr_skip_test("cannot drop CAP_KILL from the bounding set here (no CAP_SETPCAP)");
                host_stop_daemon(pid);
        }
        char *text = host_read_file(log);
        cr_assert(started, "no start-up line:\n%s", text ? text : "(no output)");
        kill(pid, SIGTERM);
        cr_assert_neq(host_wait_child(pid, 5000), -1, "no exit within 5 s of SIGTERM");
        free(text);
        text = host_read_file(log);
        cr_assert_not_null(text);
        free(p); free(state); free(run_dir); free(log);
        return text;
}

static unsigned count(const char *text, const char *needle) {
        unsigned n = 0;
        for (const char *s = text; (s = strstr(s, needle)); s += strlen(needle))
                n++;
        return n;
}

static const char DRY_DEFAULT_LIKE[] =
        "{\"dry_run\": true, \"rulesets\": [{\"name\": \"floor\","
        " \"detectors\": [[{\"type\": \"mem_available_below\", \"threshold\": \"5%\"}]],"
        " \"actions\": [{\"type\": \"kill\", \"granularity\": \"process\"}]},"
        " {\"name\": \"work\", \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/pressured-test-does-not-exist\"}]],"
        " \"actions\": [{\"type\": \"kill\", \"ranker\": \"swap\"}]}]}";

/* Without journald the journal target used to swallow every line; now they go to stderr, after one
 * line that says why. */
Test(startup, journal_target_without_journald_falls_back_to_stderr) {
        char *text = start_and_stop(SETUP_NO_JOURNAL, DRY_DEFAULT_LIKE, "journal");

        cr_assert_eq(count(text, "Cannot log to the journal"), 1, "the fallback is not said exactly once:\n%s", text);
        cr_assert(strstr(text, "/run/systemd/journal/socket does not exist") &&
                  strstr(text, "logging to standard error instead"), "%s", text);
        cr_assert(strstr(text, "info: Loaded policy from") && strstr(text, "notice: pressured ") &&
                  strstr(text, "SIGTERM received, exiting"), "the normal lines are missing:\n%s", text);
        /* the fallback line comes first: nothing was lost before it */
        cr_assert(strstr(text, "Cannot log to the journal") < strstr(text, "Loaded policy"), "%s", text);
        free(text);
}

/* The start-up line per ruleset, in this machine's figures: 5% of MemTotal as a size. */
Test(startup, one_line_per_ruleset_in_plain_numbers) {
        char *meminfo = host_read_file("/proc/meminfo");
        MemInfo mi = {};
        cr_assert_not_null(meminfo);
        cr_assert_eq(meminfo_parse(meminfo, &mi), 0);
        free(meminfo);
        char five[32], line[256];
        format_bytes(five, sizeof five, (double) (mi.mem_total / 20));

        char *text = start_and_stop(SETUP_NONE, DRY_DEFAULT_LIKE, "stderr");
        snprintf(line, sizeof line, "Ruleset floor would kill (dry run) the largest or fastest-growing process when "
                 "MemAvailable < 5%% (%s)\n", five);
        cr_assert(strstr(text, line), "no line \"%s\" in:\n%s", line, text);
        cr_assert(strstr(text, "Ruleset work would kill (dry run) the "), "%s", text);
        cr_assert(strstr(text, "using the most swap when a cgroup /pressured-test-does-not-exist exists\n"), "%s", text);
        /* after the policy line, before the daemon says it started */
        cr_assert(strstr(text, "Loaded policy") < strstr(text, "Ruleset floor") &&
                  strstr(text, "Ruleset work") < strstr(text, " started in "), "%s", text);
        free(text);
}

static bool have_cap_kill(void) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};
        return syscall(SYS_capget, &h, d) == 0 && (d[CAP_TO_INDEX(CAP_KILL)].effective & CAP_TO_MASK(CAP_KILL));
}

/* Without CAP_KILL a kill of another user's process fails when it matters: say so at start, and
 * only then. */
Test(startup, warns_without_cap_kill) {
        if (!have_cap_kill() || geteuid() != 0)
                cr_skip_test("needs root with CAP_KILL, to start the daemon with and without it");
        char *with = start_and_stop(SETUP_NONE, DRY_DEFAULT_LIKE, "stderr");
        cr_assert_null(strstr(with, "CAP_KILL"), "a warning with CAP_KILL:\n%s", with);
        free(with);

        char *without = start_and_stop(SETUP_NO_CAP_KILL, DRY_DEFAULT_LIKE, "stderr");
        cr_assert_eq(count(without, "warning: Running without CAP_KILL: pressured can signal only processes of its own user (uid 0)"), 1,
                     "no warning without CAP_KILL:\n%s", without);
        free(without);
}
