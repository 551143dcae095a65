/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Step 1 of the kill ladder (README "The kill ladder"): the optional pre-kill hook, a command the admin
 * configures per policy action (`prekill_hook`, an argv array) to announce a kill (dump state, tell
 * a job scheduler, checkpoint), run before the kill and given at most `prekill_timeout`.
 *
 * A hook runs in a clean process: only the environment it is given (plus a fixed PATH), stdin
 * /dev/null, stdout and stderr the daemon's (the journal under systemd), no other fd, default signal
 * mask and dispositions, oom_score_adj 0, in a session of its own so its process group holds
 * everything it starts. At its deadline the whole group is SIGKILLed; when its main process exits,
 * so is whatever it left behind. Its exit is an sd-event child event, its deadline a timer: nothing
 * here waits in the main loop except hook_runner_free at shutdown, and that for a bounded time.
 */

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "policy/sample.h"

/* hook_runner_free: how long it waits for the SIGKILLed hooks to be reaped. SIGKILLed processes go
 * within milliseconds unless stuck in the kernel (D state); the daemon's shutdown must not hang on
 * one, so past this the process is left to init, and the log says so. */
#define HOOK_REAP_MAX_USEC (500 * USEC_PER_MSEC)

/* How late the deadline timer may fire. sd-event's default accuracy is 250 ms; a hook's
 * prekill_timeout can itself be a few hundred milliseconds. */
#define HOOK_TIMER_ACCURACY_USEC (1 * USEC_PER_MSEC)

/* The PATH a hook runs with unless its environment sets one: the usual system directories. */
#define HOOK_DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

typedef struct HookRunner HookRunner;

/* status: a waitpid()-style status (WIFEXITED/WIFSIGNALED...). Runs from the event loop. By then the
 * hook no longer counts in hook_runner_running(); the callback may start or forget other hooks, and
 * may free the runner (then it must not touch it afterwards). */
typedef void (*hook_exit_fn)(uint64_t id, int status, void *userdata);

/* Blocks SIGCHLD (sd_event_add_child needs it blocked; the daemon is single-threaded) and returns a
 * runner on e. 0 or negative errno. */
int hook_runner_new(sd_event *e, HookRunner **ret);

/* Sends SIGKILL to the process group of every hook still running, reaps them (bounded wait, never
 * hangs: a hook that does not die within HOOK_REAP_MAX_USEC is left to init and logged), frees. No
 * on_exit callback runs. NULL-safe, returns NULL. */
HookRunner *hook_runner_free(HookRunner *h);

/* Starts argv (argv[0] an absolute path, NULL-terminated) with the environment `env`
 * (NULL-terminated "KEY=VALUE", may be NULL; added to HOOK_DEFAULT_PATH unless it sets PATH itself;
 * nothing else of the daemon's environment), stdin /dev/null, stdout and stderr those of the daemon,
 * every other fd closed, the signal mask and dispositions reset to default, oom_score_adj set to 0
 * (the daemon runs at -1000; a hook must not inherit that), in a new session so it leads its own
 * process group.
 * At `deadline` (CLOCK_MONOTONIC usec; UINT64_MAX, i.e. USEC_INFINITY: none) the whole process
 * group gets SIGKILL, logged at warning level naming the hook and how long it ran. (A descendant
 * that leaves the group with setsid/setpgid escapes both group kills; a daemonizing hook is the
 * admin's to clean up.)
 * When the hook's main process has exited, on_exit(id, status, userdata) runs from the event loop
 * (never from inside hook_runner_start) unless the hook was forgotten; at that moment its process
 * group is also sent SIGKILL so no stray background child of the hook outlives it. A hook killed at
 * its deadline still gets its callback (status WIFSIGNALED, SIGKILL).
 * Failure in the child before the hook runs (execve itself: -ENOENT, -EACCES...; or setting up the
 * session, stdin, oom_score_adj): the child reports errno over a CLOEXEC pipe and this returns that
 * negative errno at once, with the child reaped and nothing logged: the caller logs once, it knows
 * the ruleset. -EINVAL for an argv[0] that is not absolute or an env entry without '='.
 * Returns 0 with *ret_id > 0, or negative errno (nothing logged, nothing left running). */
int hook_runner_start(HookRunner *h, char *const *argv, char *const *env, usec_t deadline,
                      hook_exit_fn on_exit, void *userdata, uint64_t *ret_id);

/* No callback for this hook any more; it still runs until it exits or its deadline, and is still
 * reaped. An unknown id (already reaped) is ignored. */
void hook_runner_forget(HookRunner *h, uint64_t id);

/* Hooks started and not yet reaped. */
size_t hook_runner_running(const HookRunner *h);

static inline void hook_runner_freep(HookRunner **h) {
        hook_runner_free(*h);
}
