/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pre-kill hook runner: fork + execve of an admin's command in a clean process, its exit an
 * sd-event child event, its deadline an sd-event timer. See prekill_hook.h for the contract.
 *
 * Why the process group is safe to signal: the hook leads its own group (setsid), and its pid stays
 * allocated until it is reaped. It is reaped only by sd-event, after our child callback returns, or
 * by hook_runner_free after the SIGKILL. So every kill(-pid) below happens while the group id cannot
 * have been reused by another process.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "policy/macro.h"
#include "util/log.h"
#include "act/hook_runner.h"

/* How much of the command line a log line shows. */
#define HOOK_COMMAND_MAX_CHARS 256

typedef struct Hook Hook;

struct HookRunner {
        sd_event *event;
        Hook *hooks;                /* started and not yet reaped */
        size_t n_hooks;
        uint64_t last_id;
};

struct Hook {
        HookRunner *owner;
        Hook *next;
        uint64_t id;
        pid_t pid;                  /* also its process group and session */
        char *command;              /* for log lines: argv joined, shortened */
        usec_t started_usec;
        hook_exit_fn on_exit;       /* NULL once forgotten */
        void *userdata;
        sd_event_source *child, *deadline;
};

static usec_t now_monotonic(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

static Hook *hook_free(Hook *hk) {
        if (!hk)
                return NULL;
        /* Safe from inside the hook's own child callback: sd-event frees a source that is being
         * dispatched only when the dispatch is over (and reaps the pid then). */
        sd_event_source_disable_unref(hk->child);
        sd_event_source_disable_unref(hk->deadline);
        free(hk->command);
        free(hk);
        return NULL;
}

static void hook_unlink(Hook *hk) {
        for (Hook **p = &hk->owner->hooks; *p; p = &(*p)->next)
                if (*p == hk) {
                        *p = hk->next;
                        hk->owner->n_hooks--;
                        return;
                }
}

/* "argv[0] arg1 arg2", cut at HOOK_COMMAND_MAX_CHARS with "...". */
static char *command_line(char *const *argv) {
        char *s = malloc(HOOK_COMMAND_MAX_CHARS + 4);
        if (!s)
                return NULL;
        size_t len = 0;
        s[0] = '\0';
        for (size_t i = 0; argv[i]; i++) {
                int n = snprintf(s + len, HOOK_COMMAND_MAX_CHARS + 1 - len, "%s%s", i ? " " : "", argv[i]);
                if (n < 0 || (size_t) n > HOOK_COMMAND_MAX_CHARS - len) {
                        strcpy(s + HOOK_COMMAND_MAX_CHARS, "...");
                        break;
                }
                len += (size_t) n;
        }
        return s;
}

/* The status waitpid() would have returned, from the siginfo of a child event. */
static int wait_status_from_siginfo(const siginfo_t *si) {
        switch (si->si_code) {
        case CLD_EXITED:
                return (si->si_status & 0xff) << 8;
        case CLD_DUMPED:
                return (si->si_status & 0x7f) | 0x80;   /* WCOREFLAG */
        default:                                         /* CLD_KILLED */
                return si->si_status & 0x7f;
        }
}

/* Waits for our child pid until `until`; true once reaped (or no longer ours to reap). Only for
 * shutdown and for a child that was just SIGKILLed or has reported an exec failure. */
static bool reap_until(pid_t pid, usec_t until) {
        for (;;) {
                pid_t r = waitpid(pid, NULL, WNOHANG);
                if (r == pid || (r < 0 && errno != EINTR))
                        return true;
                if (now_monotonic() >= until)
                        return false;
                struct timespec ts = { .tv_nsec = 1000 * 1000 };
                nanosleep(&ts, NULL);
        }
}

/* In the child, between fork and execve: async-signal-safe calls only. Reports errno on err_fd and
 * exits when something fails; execve closes err_fd (CLOEXEC) when it succeeds. */
static _Noreturn void hook_child(char *const *argv, char *const *envp, int err_fd) {
        int e;

        /* Dispositions first (an ignored SIGPIPE would survive execve), then the mask the parent
         * blocked completely around fork(). */
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) sigaction(sig, &dfl, NULL);
        sigset_t none;
        sigemptyset(&none);
        if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
                goto fail;

        if (setsid() < 0)
                goto fail;

        /* Keep the error pipe out of 0..2, which are about to be set. */
        if (err_fd < 3) {
                int fd = fcntl(err_fd, F_DUPFD_CLOEXEC, 3);
                if (fd < 0)
                        goto fail;
                err_fd = fd;
        }

        int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd < 0)
                goto fail;
        if (null_fd == STDIN_FILENO) {
                if (fcntl(STDIN_FILENO, F_SETFD, 0) < 0)
                        goto fail;
        } else {
                if (dup2(null_fd, STDIN_FILENO) < 0)
                        goto fail;
                close(null_fd);
        }

        /* Raising it needs no privilege; a hook must not be as unkillable as the daemon. */
        int adj_fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (adj_fd < 0)
                goto fail;
        if (write(adj_fd, "0", 1) != 1) {
                e = errno;
                close(adj_fd);
                errno = e;
                goto fail;
        }
        close(adj_fd);

        /* Every fd above 2 closes at execve; err_fd must stay open until then. */
        if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
                struct rlimit rl;
                int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t) INT32_MAX ? (int) rl.rlim_cur : 65536;
                for (int fd = 3; fd < max; fd++)
                        if (fd != err_fd)
                                (void) close(fd);
        }

        execve(argv[0], argv, envp);
fail:
        e = errno;
        (void) !write(err_fd, &e, sizeof e);
        _exit(127);
}

static int on_hook_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Hook *hk = userdata;
        int status = wait_status_from_siginfo(si);

        /* The main process is gone; what it left in its group goes too. It is a zombie until this
         * callback returns, so its group id is still its own. */
        (void) kill(-hk->pid, SIGKILL);

        if (WIFEXITED(status))
                log_debug("Pre-kill hook \"%s\" (pid %d) exited with status %d after %" PRIu64 " ms",
                          hk->command, (int) hk->pid, WEXITSTATUS(status),
                          (now_monotonic() - hk->started_usec) / USEC_PER_MSEC);
        else
                log_debug("Pre-kill hook \"%s\" (pid %d) was killed by signal %d (%s)",
                          hk->command, (int) hk->pid, WTERMSIG(status), strsignal(WTERMSIG(status)));

        hook_exit_fn cb = hk->on_exit;
        void *cb_userdata = hk->userdata;
        uint64_t id = hk->id;

        /* Gone from the runner before the callback, which may start hooks or free the runner. */
        hook_unlink(hk);
        hook_free(hk);
        if (cb)
                cb(id, status, cb_userdata);
        return 0;
}

static int on_hook_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        Hook *hk = userdata;
        usec_t ran = now_monotonic() - hk->started_usec;

        /* Exited just in time, its child event not dispatched yet: that event ends it, no warning. */
        siginfo_t si = {};
        if (waitid(P_PID, hk->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == hk->pid)
                return 0;

        /* Not reaped yet (that would have freed this timer), so the group id is still the hook's. */
        if (kill(-hk->pid, SIGKILL) < 0 && errno != ESRCH)
                return log_error_errno(errno, "Failed to SIGKILL pre-kill hook \"%s\" (process group %d) at its deadline: %m",
                                       hk->command, (int) hk->pid);
        log_warning("Pre-kill hook \"%s\" (pid %d) was still running %" PRIu64 ".%03" PRIu64 "s after it started, "
                    "at its deadline (the ruleset's prekill_timeout); sent SIGKILL to it and its process group. "
                    "Make the hook finish sooner, or raise prekill_timeout.",
                    hk->command, (int) hk->pid, ran / USEC_PER_SEC, ran % USEC_PER_SEC / USEC_PER_MSEC);
        return 0;
}

int hook_runner_new(sd_event *e, HookRunner **ret) {
        sigset_t chld;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &chld, NULL) < 0)
                return -errno;

        HookRunner *h = calloc(1, sizeof *h);
        if (!h)
                return -ENOMEM;
        h->event = sd_event_ref(e);
        *ret = h;
        return 0;
}

HookRunner *hook_runner_free(HookRunner *h) {
        if (!h)
                return NULL;

        for (Hook *hk = h->hooks; hk; hk = hk->next)
                (void) kill(-hk->pid, SIGKILL);

        usec_t until = now_monotonic() + HOOK_REAP_MAX_USEC;
        while (h->hooks) {
                Hook *hk = h->hooks;
                if (!reap_until(hk->pid, until))
                        log_warning("Pre-kill hook \"%s\" (pid %d) did not die within %" PRIu64 " ms of SIGKILL "
                                    "(stuck in the kernel, state D?); leaving it to init. Check it with: ps -o pid,stat,wchan -p %d",
                                    hk->command, (int) hk->pid, HOOK_REAP_MAX_USEC / USEC_PER_MSEC, (int) hk->pid);
                hook_unlink(hk);
                hook_free(hk);
        }
        sd_event_unref(h->event);
        free(h);
        return NULL;
}

/* The hook's environment: HOOK_DEFAULT_PATH unless env has a PATH, then env. Pointers borrowed. */
static int build_envp(char *const *env, char ***ret) {
        size_t n = 0;
        bool has_path = false;

        for (; env && env[n]; n++) {
                if (!strchr(env[n], '=') || env[n][0] == '=')
                        return -EINVAL;
                if (strncmp(env[n], "PATH=", 5) == 0)
                        has_path = true;
        }
        char **envp = calloc(n + 2, sizeof *envp);
        if (!envp)
                return -ENOMEM;
        size_t k = 0;
        if (!has_path)
                envp[k++] = (char *) HOOK_DEFAULT_PATH;
        for (size_t i = 0; i < n; i++)
                envp[k++] = env[i];
        envp[k] = NULL;
        *ret = envp;
        return 0;
}

/* Forks and execs; returns the pid once execve succeeded, or the child's negative errno (reaped). */
static pid_t spawn(char *const *argv, char **envp) {
        int pipefd[2];
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;

        /* No signal may be handled in the child before it resets the dispositions. */
        sigset_t all, saved;
        sigfillset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, &saved);
        pid_t pid = fork();
        if (pid == 0)
                hook_child(argv, envp, pipefd[1]);
        int fork_errno = errno;
        (void) sigprocmask(SIG_SETMASK, &saved, NULL);
        close(pipefd[1]);
        if (pid < 0) {
                close(pipefd[0]);
                return -fork_errno;
        }

        /* Returns as soon as execve closes the pipe (success) or the child writes its errno. */
        int child_errno = 0;
        ssize_t n;
        do
                n = read(pipefd[0], &child_errno, sizeof child_errno);
        while (n < 0 && errno == EINTR);
        int read_errno = errno;
        close(pipefd[0]);
        if (n == 0)
                return pid;

        if (n == (ssize_t) sizeof child_errno && child_errno > 0) {
                (void) reap_until(pid, now_monotonic() + HOOK_REAP_MAX_USEC);   /* it is in _exit() already */
                return -child_errno;
        }
        /* Cannot tell whether it runs: it must not run unwatched. Not reaped, so the ids are its own. */
        (void) kill(-pid, SIGKILL);
        (void) kill(pid, SIGKILL);
        (void) reap_until(pid, now_monotonic() + HOOK_REAP_MAX_USEC);
        return n < 0 ? -read_errno : -EIO;
}

int hook_runner_start(HookRunner *h, char *const *argv, char *const *env, usec_t deadline,
                      hook_exit_fn on_exit, void *userdata, uint64_t *ret_id) {
        int r;

        if (!h || !argv || !argv[0] || argv[0][0] != '/' || !ret_id)
                return -EINVAL;

        _cleanup_free_ char **envp = NULL;
        r = build_envp(env, &envp);
        if (r < 0)
                return r;

        Hook *hk = calloc(1, sizeof *hk);
        if (!hk)
                return -ENOMEM;
        hk->owner = h;
        hk->command = command_line(argv);
        if (!hk->command) {
                free(hk);
                return -ENOMEM;
        }

        hk->started_usec = now_monotonic();
        pid_t pid = spawn(argv, envp);
        if (pid < 0) {
                hook_free(hk);
                return (int) pid;
        }
        hk->pid = pid;

        r = sd_event_add_child(h->event, &hk->child, pid, WEXITED, on_hook_exit, hk);
        if (r >= 0) {
                (void) sd_event_source_set_description(hk->child, "prekill-hook-exit");
                if (deadline != UINT64_MAX) {
                        r = sd_event_add_time(h->event, &hk->deadline, CLOCK_MONOTONIC, deadline,
                                              HOOK_TIMER_ACCURACY_USEC, on_hook_deadline, hk);
                        if (r >= 0)
                                (void) sd_event_source_set_description(hk->deadline, "prekill-hook-deadline");
                }
        }
        if (r < 0) {
                /* Not watched: it must not run unattended. */
                (void) kill(-pid, SIGKILL);
                (void) reap_until(pid, now_monotonic() + HOOK_REAP_MAX_USEC);
                hook_free(hk);
                return r;
        }

        hk->on_exit = on_exit;
        hk->userdata = userdata;
        hk->id = ++h->last_id;
        hk->next = h->hooks;
        h->hooks = hk;
        h->n_hooks++;
        log_debug("Started pre-kill hook \"%s\" as pid %d", hk->command, (int) pid);
        *ret_id = hk->id;
        return 0;
}

void hook_runner_forget(HookRunner *h, uint64_t id) {
        if (!h)
                return;
        for (Hook *hk = h->hooks; hk; hk = hk->next)
                if (hk->id == id) {
                        hk->on_exit = NULL;
                        hk->userdata = NULL;
                        return;
                }
}

size_t hook_runner_running(const HookRunner *h) {
        return h ? h->n_hooks : 0;
}
