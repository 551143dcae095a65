/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pre-kill hook runner against real processes and a real sd-event loop: what a hook inherits
 * (environment, fds, signal mask, oom_score_adj), its exit status, its deadline, the process group
 * killed behind it, exec failures, forget, and free with a hook still running.
 *
 * Background children of a hook are orphaned when its shell dies; the test process makes itself a
 * child subreaper so they come back to it and get reaped (this host's PID 1 may not reap), and the
 * fixture kills what a failed test left behind: only pids its own hooks wrote down.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host-util.h"
#include "policy/macro.h"
#include "daemon/act/hook_runner.h"

/* Generous bounds: a loaded CI runner, an ASan build. */
#define WAIT_MS 10000u

static sd_event *event;
static HookRunner *runner;
static char *tmpdir;
static pid_t strays[8];
static size_t n_strays;

typedef struct Exit {
        unsigned calls;
        uint64_t id;
        int status;
} Exit;

static void on_exit_cb(uint64_t id, int status, void *userdata) {
        Exit *x = userdata;
        x->calls++;
        x->id = id;
        x->status = status;
}

static usec_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

/* True for a pid that is gone or a zombie (dead, not yet reaped by whoever its parent is). */
static bool pid_dead(pid_t pid) {
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return errno == ENOENT;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        const char *p = strrchr(buf, ')');
        return p && (p[2] == 'Z' || p[2] == 'X');
}

static bool pid_is_sleep(pid_t pid) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/comm", (int) pid);
        char *comm = host_read_file(path);
        bool r = comm && strcmp(comm, "sleep\n") == 0 && !pid_dead(pid);
        free(comm);
        return r;
}

/* The shell writes $! before its forked child has exec'd sleep: give it time. */
static bool wait_is_sleep(pid_t pid, unsigned timeout_ms) {
        for (unsigned waited = 0; !pid_is_sleep(pid); waited += 10) {
                if (waited >= timeout_ms)
                        return false;
                host_sleep_ms(10);
        }
        return true;
}

/* Polls until pid is dead and reaped: a hook's orphan comes back to us (the subreaper) once its
 * shell is gone, so we reap it here, and leave no zombie to this host's PID 1. */
static bool wait_dead(pid_t pid, unsigned timeout_ms) {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/%d", (int) pid);
        for (unsigned waited = 0;; waited += 10) {
                if (waitpid(pid, NULL, WNOHANG) == pid || access(proc, F_OK) < 0)
                        return true;
                if (waited >= timeout_ms)
                        return false;
                host_sleep_ms(10);
        }
}

/* Runs the loop until *calls is nonzero or timeout_ms passes; true when it happened. */
static bool run_until_called(const unsigned *calls, unsigned timeout_ms) {
        usec_t until = now_usec() + (usec_t) timeout_ms * USEC_PER_MSEC;
        while (!*calls && now_usec() < until)
                cr_assert_geq(sd_event_run(event, 20 * USEC_PER_MSEC), 0);
        return *calls > 0;
}

/* Runs the loop until the file holds a pid (a line ending in newline); returns it, or 0. */
static pid_t run_until_pid_file(const char *path, unsigned timeout_ms) {
        usec_t until = now_usec() + (usec_t) timeout_ms * USEC_PER_MSEC;
        for (;;) {
                char *s = host_read_file(path);
                long pid = s && strchr(s, '\n') ? strtol(s, NULL, 10) : 0;
                free(s);
                if (pid > 0) {
                        if (n_strays < ELEMENTSOF(strays))
                                strays[n_strays++] = (pid_t) pid;
                        return (pid_t) pid;
                }
                if (now_usec() >= until)
                        return 0;
                cr_assert_geq(sd_event_run(event, 10 * USEC_PER_MSEC), 0);
        }
}

/* Points target (stdout or stderr) at a new file at path, to catch what a hook or the runner writes
 * there; returns a copy of the old fd for restore_fd(). */
static int redirect_fd_to_file(int target, const char *path) {
        fflush(NULL);
        int saved = dup(target);
        cr_assert_geq(saved, 0);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        cr_assert_geq(fd, 0);
        cr_assert_eq(dup2(fd, target), target);
        close(fd);
        return saved;
}

static void restore_fd(int target, int saved) {
        cr_assert_eq(dup2(saved, target), target);
        close(saved);
}

static void setup(void) {
        cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
        cr_assert_eq(sd_event_new(&event), 0);
        cr_assert_eq(hook_runner_new(event, &runner), 0);
        tmpdir = host_mkdtemp();
        cr_assert_not_null(tmpdir);
}

/* Our children now: only what our hooks left behind (we are their subreaper), as the runner reaped
 * the hooks themselves. A killed hook's foreground child, for one, comes back to us as a zombie. */
static void reap_adopted(void) {
        DIR *d = opendir("/proc");
        if (!d)
                return;
        for (struct dirent *de; (de = readdir(d));) {
                char path[300], buf[512];
                long pid = strtol(de->d_name, NULL, 10);
                if (pid <= 0)
                        continue;
                snprintf(path, sizeof path, "/proc/%ld/stat", pid);
                FILE *f = fopen(path, "re");
                if (!f)
                        continue;
                size_t n = fread(buf, 1, sizeof buf - 1, f);
                fclose(f);
                buf[n] = '\0';
                const char *p = strrchr(buf, ')');
                int ppid;
                if (p && sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == getpid()) {
                        (void) kill((pid_t) pid, SIGKILL);
                        (void) host_wait_child((pid_t) pid, 1000);
                }
        }
        closedir(d);
}

static void teardown(void) {
        hook_runner_free(runner);
        runner = NULL;
        /* A failed test may leave a hook's background sleep behind: only those pids, only if still a sleep. */
        for (size_t i = 0; i < n_strays; i++)
                if (pid_is_sleep(strays[i]))
                        (void) kill(strays[i], SIGKILL);
        for (size_t i = 0; i < n_strays; i++)
                (void) wait_dead(strays[i], 1000);
        reap_adopted();
        event = sd_event_unref(event);
        if (tmpdir)
                host_rm_rf(tmpdir);
        free(tmpdir);
}

TestSuite(prekill_hook, .init = setup, .fini = teardown, .timeout = 60);

static char *path_in(const char *name) {
        return host_assert_path_in(tmpdir, name);
}

/* A shell script with its output file names substituted (%1$s, %2$s: absolute paths). */
#define SCRIPT(...) ({ char *_s = NULL; cr_assert_geq(asprintf(&_s, __VA_ARGS__), 0); _s; })

/* Starts `/bin/sh -c script` with an empty environment, reporting to x; returns the hook's id. */
static uint64_t start_shell_hook(char *script, usec_t deadline, Exit *x) {
        char *argv[] = { "/bin/sh", "-c", script, NULL };
        uint64_t id = 0;
        int r = hook_runner_start(runner, argv, NULL, deadline, on_exit_cb, x, &id);
        cr_assert_eq(r, 0, "hook_runner_start: %s", strerror(-r));
        return id;
}

Test(prekill_hook, exit_status_env_fds_oom_score_adj) {
        _cleanup_free_ char *out = path_in("out");
        _cleanup_free_ char *sh = SCRIPT("env > %1$s.env; ls /proc/self/fd > %1$s.fd; readlink /proc/self/fd/0 > %1$s.stdin; "
                                         "cat /proc/self/oom_score_adj > %1$s.adj; exit 3", out);

        /* What the hook must not inherit: an environment variable, an fd without CLOEXEC, a low oom_score_adj. */
        cr_assert_eq(setenv("PRESSURED_TEST_DAEMON_ONLY", "leak", 1), 0);
        int leak_fd = open("/dev/null", O_RDONLY);
        cr_assert_geq(leak_fd, 3);
        char *old_adj = host_read_file("/proc/self/oom_score_adj");
        cr_assert_not_null(old_adj);
        /* -500 stands in for the daemon's -1000; without CAP_SYS_RESOURCE (some containers) only
         * raising is allowed, and +500 shows the same: the hook's value is set, not inherited. */
        if (host_write_file("/proc/self/oom_score_adj", "-500") < 0)
                cr_assert_eq(host_write_file("/proc/self/oom_score_adj", "500"), 0);

        char *argv[] = { "/bin/sh", "-c", sh, NULL };
        char *env[] = { "PRESSURED_CGROUP=/test.slice/victim.scope", NULL };
        Exit x = {};
        uint64_t id = 0;
        int r = hook_runner_start(runner, argv, env, now_usec() + 30 * USEC_PER_SEC, on_exit_cb, &x, &id);
        cr_assert_eq(host_write_file("/proc/self/oom_score_adj", old_adj), 0);
        free(old_adj);
        close(leak_fd);
        cr_assert_eq(r, 0, "hook_runner_start: %s", strerror(-r));
        cr_assert_gt(id, 0);
        cr_assert_eq(hook_runner_running(runner), 1);
        cr_assert_eq(x.calls, 0, "never from inside hook_runner_start");

        cr_assert(run_until_called(&x.calls, WAIT_MS), "no exit callback within %u ms", WAIT_MS);
        cr_assert_eq(x.calls, 1);
        cr_assert_eq(x.id, id);
        cr_assert(WIFEXITED(x.status) && WEXITSTATUS(x.status) == 3, "status 0x%x, expected exit 3", x.status);
        cr_assert_eq(hook_runner_running(runner), 0);

        _cleanup_free_ char *envf = path_in("out.env"), *fdf = path_in("out.fd"), *stdinf = path_in("out.stdin"),
                            *adjf = path_in("out.adj");
        _cleanup_free_ char *env_out = host_read_file(envf);
        cr_assert_not_null(env_out);
        cr_assert(strstr(env_out, "PRESSURED_CGROUP=/test.slice/victim.scope\n"), "env:\n%s", env_out);
        cr_assert(strstr(env_out, HOOK_DEFAULT_PATH "\n"), "env:\n%s", env_out);
        cr_assert_null(strstr(env_out, "PRESSURED_TEST_DAEMON_ONLY"), "the daemon's environment leaked:\n%s", env_out);
        /* Only what we gave, plus what the shell sets itself (PWD). */
        for (char *line = strtok(env_out, "\n"); line; line = strtok(NULL, "\n"))
                cr_assert(strncmp(line, "PATH=", 5) == 0 || strncmp(line, "PRESSURED_CGROUP=", 17) == 0 ||
                          strncmp(line, "PWD=", 4) == 0, "unexpected variable in the hook's environment: %s", line);

        /* ls's own fds: 0 1 2, and 3 for the directory it lists. */
        _cleanup_free_ char *fds = host_read_file(fdf);
        cr_assert_not_null(fds);
        cr_assert_str_eq(fds, "0\n1\n2\n3\n", "fds other than 0-2 reached the hook:\n%s", fds);
        _cleanup_free_ char *in = host_read_file(stdinf);
        cr_assert_not_null(in);
        cr_assert_str_eq(in, "/dev/null\n");
        _cleanup_free_ char *adj = host_read_file(adjf);
        cr_assert_not_null(adj);
        cr_assert_str_eq(adj, "0\n", "the hook inherited oom_score_adj %s", adj);
}

Test(prekill_hook, signal_mask_and_dispositions_reset_stdout_kept) {
        /* grep itself, not a shell (dash clears its signal mask at startup and would hide a leak),
         * writing to the stdout it inherits: point ours at a file while the hook starts. */
        _cleanup_free_ char *out = path_in("sig");
        char *argv[] = { "/bin/grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status", NULL };

        /* The runner blocked SIGCHLD; block and ignore more, as a daemon might. */
        sigset_t ss;
        sigemptyset(&ss);
        sigaddset(&ss, SIGUSR1);
        sigaddset(&ss, SIGTERM);
        cr_assert_eq(sigprocmask(SIG_BLOCK, &ss, NULL), 0);
        cr_assert_neq(signal(SIGPIPE, SIG_IGN), SIG_ERR);
        cr_assert_neq(signal(SIGHUP, SIG_IGN), SIG_ERR);

        int saved_stdout = redirect_fd_to_file(STDOUT_FILENO, out);
        Exit x = {};
        uint64_t id;
        int r = hook_runner_start(runner, argv, NULL, now_usec() + 30 * USEC_PER_SEC, on_exit_cb, &x, &id);
        restore_fd(STDOUT_FILENO, saved_stdout);
        cr_assert_eq(r, 0, "hook_runner_start: %s", strerror(-r));

        cr_assert(run_until_called(&x.calls, WAIT_MS));
        cr_assert(WIFEXITED(x.status) && WEXITSTATUS(x.status) == 0, "status 0x%x", x.status);
        _cleanup_free_ char *s = host_read_file(out);
        cr_assert_not_null(s);
        cr_assert_str_eq(s, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n", "the hook's signals:\n%s", s);
}

Test(prekill_hook, deadline_kills_the_process_group) {
        _cleanup_free_ char *pidf = path_in("bg");
        _cleanup_free_ char *sh = SCRIPT("sleep 100 & echo $! > %1$s; sleep 100", pidf);
        Exit x = {};

        usec_t started = now_usec();
        start_shell_hook(sh, started + 300 * USEC_PER_MSEC, &x);
        pid_t bg = run_until_pid_file(pidf, WAIT_MS);
        cr_assert_gt(bg, 0, "the hook never wrote its background pid");
        cr_assert(wait_is_sleep(bg, 200), "pid %d from the hook is not a running sleep", (int) bg);

        /* The warning goes to our stderr (no journal here): catch it in a file. */
        _cleanup_free_ char *logf = path_in("log");
        int saved_stderr = redirect_fd_to_file(STDERR_FILENO, logf);
        bool called = run_until_called(&x.calls, WAIT_MS);
        restore_fd(STDERR_FILENO, saved_stderr);
        cr_assert(called, "a hook past its deadline must still produce its callback");
        usec_t ran = now_usec() - started;
        _cleanup_free_ char *log = host_read_file(logf);
        cr_assert_not_null(log);
        cr_assert(strstr(log, "warning: Pre-kill hook \"/bin/sh -c sleep 100 & echo") && strstr(log, "at its deadline") &&
                  strstr(log, "s after it started"), "no warning naming the hook and its run time:\n%s", log);
        cr_assert(WIFSIGNALED(x.status) && WTERMSIG(x.status) == SIGKILL, "status 0x%x, expected SIGKILL", x.status);
        cr_assert_geq(ran, 300 * USEC_PER_MSEC, "killed before its deadline (%llu us)", (unsigned long long) ran);
        cr_assert_eq(hook_runner_running(runner), 0);
        cr_assert(wait_dead(bg, 2000), "the hook's background sleep %d outlived the deadline", (int) bg);
}

Test(prekill_hook, exit_kills_stragglers) {
        _cleanup_free_ char *pidf = path_in("bg");
        _cleanup_free_ char *sh = SCRIPT("sleep 100 & echo $! > %1$s; exit 0", pidf);
        Exit x = {};

        start_shell_hook(sh, now_usec() + 30 * USEC_PER_SEC, &x);
        cr_assert(run_until_called(&x.calls, WAIT_MS));
        cr_assert(WIFEXITED(x.status) && WEXITSTATUS(x.status) == 0, "status 0x%x", x.status);
        pid_t bg = run_until_pid_file(pidf, 0);
        cr_assert_gt(bg, 0, "the hook exited without writing its background pid");
        cr_assert(wait_dead(bg, 2000), "the hook's background sleep %d outlived the hook", (int) bg);
}

Test(prekill_hook, exec_failure) {
        Exit x = {};
        uint64_t id = 0;

        char *missing[] = { "/nonexistent/hook", "arg", NULL };
        cr_assert_eq(hook_runner_start(runner, missing, NULL, now_usec() + USEC_PER_SEC, on_exit_cb, &x, &id), -ENOENT);

        _cleanup_free_ char *noexec = path_in("noexec");
        host_assert_write_text(noexec, "#!/bin/sh\nexit 0\n");
        cr_assert_eq(chmod(noexec, 0644), 0);
        char *not_executable[] = { noexec, NULL };
        cr_assert_eq(hook_runner_start(runner, not_executable, NULL, now_usec() + USEC_PER_SEC, on_exit_cb, &x, &id), -EACCES);

        char *relative[] = { "bin/sh", NULL };
        cr_assert_eq(hook_runner_start(runner, relative, NULL, now_usec() + USEC_PER_SEC, on_exit_cb, &x, &id), -EINVAL);
        char *ok[] = { "/bin/true", NULL };
        char *bad_env[] = { "NO_EQUALS_SIGN", NULL };
        cr_assert_eq(hook_runner_start(runner, ok, bad_env, now_usec() + USEC_PER_SEC, on_exit_cb, &x, &id), -EINVAL);

        /* Nothing running, nothing left to reap, no callback later. */
        cr_assert_eq(hook_runner_running(runner), 0);
        errno = 0;
        cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a failed hook's child was left unreaped");
        cr_assert_eq(errno, ECHILD);
        for (int i = 0; i < 5; i++)
                cr_assert_geq(sd_event_run(event, 20 * USEC_PER_MSEC), 0);
        cr_assert_eq(x.calls, 0);
        cr_assert_eq(id, 0, "*ret_id is only set on success");
}

Test(prekill_hook, forget) {
        _cleanup_free_ char *pidf = path_in("pid");
        _cleanup_free_ char *sh = SCRIPT("echo $$ > %1$s; sleep 0.3; exit 5", pidf);
        Exit x = {}, y = {};
        uint64_t id2;

        uint64_t id = start_shell_hook(sh, now_usec() + 30 * USEC_PER_SEC, &x);
        pid_t pid = run_until_pid_file(pidf, WAIT_MS);
        cr_assert_gt(pid, 0);
        hook_runner_forget(runner, id);
        hook_runner_forget(runner, id + 1000);   /* unknown: ignored */

        /* A second hook, not forgotten, so the loop is seen to deliver callbacks meanwhile. */
        char *t[] = { "/bin/true", NULL };
        cr_assert_eq(hook_runner_start(runner, t, NULL, now_usec() + 30 * USEC_PER_SEC, on_exit_cb, &y, &id2), 0);
        cr_assert_neq(id, id2);
        cr_assert_eq(hook_runner_running(runner), 2);

        usec_t until = now_usec() + WAIT_MS * USEC_PER_MSEC;
        while (hook_runner_running(runner) > 0 && now_usec() < until)
                cr_assert_geq(sd_event_run(event, 20 * USEC_PER_MSEC), 0);
        cr_assert_eq(hook_runner_running(runner), 0, "the forgotten hook was never reaped");
        cr_assert_eq(y.calls, 1);
        cr_assert_eq(x.calls, 0, "a forgotten hook's callback ran");
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/%d", (int) pid);
        cr_assert_neq(access(proc, F_OK), 0, "the forgotten hook %d is still there (a zombie?)", (int) pid);
}

Test(prekill_hook, free_kills_running_hooks) {
        _cleanup_free_ char *pidf = path_in("pid"), *bgf = path_in("bg");
        _cleanup_free_ char *sh = SCRIPT("sleep 100 & echo $! > %2$s; echo $$ > %1$s; sleep 100", pidf, bgf);
        Exit x = {};

        start_shell_hook(sh, UINT64_MAX, &x);
        pid_t pid = run_until_pid_file(pidf, WAIT_MS);
        pid_t bg = run_until_pid_file(bgf, WAIT_MS);
        cr_assert_gt(pid, 0);
        cr_assert_gt(bg, 0);
        cr_assert(wait_is_sleep(bg, 200));

        usec_t t0 = now_usec();
        runner = hook_runner_free(runner);
        usec_t took = now_usec() - t0;
        cr_assert_lt(took, HOOK_REAP_MAX_USEC + 500 * USEC_PER_MSEC, "free took %llu us", (unsigned long long) took);
        cr_assert_eq(x.calls, 0, "free runs no callbacks");

        char proc[64];
        snprintf(proc, sizeof proc, "/proc/%d", (int) pid);
        cr_assert_neq(access(proc, F_OK), 0, "hook %d still there after free (not killed, or not reaped)", (int) pid);
        cr_assert(wait_dead(bg, 2000), "the hook's background sleep %d outlived free", (int) bg);
}
