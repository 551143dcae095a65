/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cjson/cJSON.h>

#include "policy/candidate.h"
#include "policy/format.h"
#include "policy/macro.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/unit_name.h"
#include "read/cgroup_tree.h"
#include "read/proc_scan.h"
#include "record/kill_report.h"
#include "act/hook_runner.h"
#include "act/killer.h"
#include "act/unit_stopper.h"
#include "core/ladder.h"
#include "core/manager-internal.h"

/* A pre-kill hook of an action without prekill_timeout is a notification the kill does not wait
 * for; it still may not run for ever (the longest prekill_timeout a policy may set). */
#define PREKILL_HOOK_UNWAITED_MAX_USEC (60 * USEC_PER_SEC)
/* PRESSURED_* variables a pre-kill hook gets (README "Pre-kill hooks"). */
#define PREKILL_HOOK_ENV_MAX 16

/* Step 1 of the ladder, the announcement: KillPending, with how long the target has to shed memory. */
static void manager_announce_kill(Manager *m, const Decision *d, usec_t wait_usec) {
        Event e = {
                .kind = EVENT_KILL_PENDING,
                .time = now_usec(CLOCK_REALTIME),
                .kill_pending = {
                        .cgroup = d->cgroup,
                        .unit = unit_name_of_cgroup(d->cgroup),
                        .ruleset = d->ruleset,
                        .reason = d->reason,
                        .memory_bytes = d->memory,
                        .pressure = d->pressure,
                        .dry_run = d->dry_run,
                        .prekill_timeout_usec = wait_usec,
                },
        };
        manager_publish(m, &e);
}

/* Killed, from the decision and the entry kill_report() recorded for it (r): the same unit,
 * method, processes, freed bytes and time. */
static void manager_publish_killed(Manager *m, const Decision *d, const KillResult *res, const KillReportEntry *r) {
        Event e = {
                .kind = EVENT_KILLED,
                .time = r->time,
                .killed = {
                        .cgroup = d->cgroup,
                        .unit = r->unit,
                        .ruleset = d->ruleset,
                        .reason = d->reason,
                        .method = r->method,
                        .dry_run = d->dry_run,
                        .pids = res->pids,
                        .n_pids = r->n_pids < KILL_MAX_PIDS_RECORDED ? r->n_pids : KILL_MAX_PIDS_RECORDED,
                        .killed = res->n_killed,
                        .memory_bytes = d->memory,
                        .freed_bytes = r->freed,
                        .pressure = d->pressure,
                        .incident_kill = d->incident_kill,
                        .scope = kill_scope_to_string(decision_scope(d)),
                        .escalated = d->escalated,
                        .stopped = r->stopped,
                        .stop_to_gone_usec = res->stop_to_gone_usec,
                },
        };
        manager_publish(m, &e);
}

/* Step 5 of the ladder: the journal entry and the history line, the status file's summary, Killed. */
static void manager_record_kill(Manager *m, const Decision *d, const KillResult *res, int kill_error) {
        cJSON *summary = NULL;
        KillReportEntry entry;

        free(m->dying_told); /* a new kill: its victim's wait, if any, is told again */
        m->dying_told = NULL;
        if (kill_report(d, res, kill_error, m->history, &entry, &summary) <= 0)
                return;
        /* Counted before Killed goes out, so the KillCount properties it refreshes are current. */
        if (!d->dry_run) {
                m->kill_count++;
                (void) level_tracker_count_kill(m->levels, d->cgroup);
        }
        if (summary)
                manager_publish_killed(m, d, res, &entry);
        cJSON_Delete(m->last_kill);
        m->last_kill = summary;
}

/* A stop or restart through systemd is over (unit_stopper.c): its record, and the rulesets that
 * waited for the victim go on, counting pressure from now. */
void ladder_on_unit_stop_done(const Decision *d, const KillResult *res, int error, void *userdata) {
        Manager *m = userdata;
        manager_record_kill(m, d, res, error);
        engine_victim_gone(m->engine, d, now_usec(CLOCK_MONOTONIC));
        m->last_status_usec = 0; /* publish it now */
}

/* Whether every process in the cgroup of decision d was already killed and is still exiting (SIGKILL
 * pending): a killed process can take seconds to go when the kernel holds it on I/O (swap under a
 * thrash), and while it does its cgroup looks like the same victim come back. Killing it again, or
 * its cgroup or unit, ends nothing more; the wait is logged once per cgroup. False when the cgroup
 * cannot be read or holds a process not yet killed (a re-forked worker is a new victim). */
static bool manager_victim_dying(Manager *m, const Decision *d) {
        ProcSample *procs = NULL;
        size_t n = 0, dying = 0;
        char who[128] = "";

        if (d->dry_run || m->degraded || d->kind != TARGET_CGROUP || !m->tree)
                return false;
        _cleanup_close_ int fd = cgroup_tree_open(m->tree, d->cgroup);
        if (fd < 0 || proc_scan_cgroup(m->config.proc_root, fd, &procs, &n) < 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (procs[i].kill_pending) {
                        if (dying++ == 0)
                                snprintf(who, sizeof who, "%d (%s)", (int) procs[i].pid, procs[i].comm);
                }
        proc_samples_free(procs, n);
        if (n == 0 || dying < n)
                return false;
        if (!m->dying_told || !streq(m->dying_told, d->cgroup)) {
                log_notice("Ruleset %s chose %s again, but its %zu process(es), pid %s%s, were already killed and are still "
                           "exiting (held in the kernel, most often on swap I/O): waiting for them rather than killing "
                           "again", d->ruleset, d->cgroup, n, who, n > 1 ? " and others" : "");
                free(m->dying_told);
                m->dying_told = strdup(d->cgroup);
        }
        return true;
}

/* One action per victim at a time: a stop in flight ends within stop_timeout + 1 s, and a victim
 * already killed and still exiting is waited for. */
static bool manager_victim_busy(Manager *m, const Decision *d) {
        if (d->dry_run)
                return false;
        if (unit_stopper_busy(m->stopper, d->cgroup)) {
                log_debug("Ruleset %s chose %s again while its unit is being stopped; waiting for that stop",
                          d->ruleset, d->cgroup);
                return true;
        }
        return manager_victim_dying(m, d);
}

/* With granularity process: picks the process of cgroup d->cgroup that the kill ends, filling
 * d->pid, d->start_time, d->comm and d->memory. 0, -EPERM when none may be killed, negative errno. */
static int manager_pick_process(Manager *m, const Snapshot *snap, Decision *d) {
        ProcSample *procs = NULL;
        size_t n = 0;
        int r;

        _cleanup_close_ int fd = m->tree ? cgroup_tree_open(m->tree, d->cgroup) : -ENODEV;
        if (fd < 0)
                return fd;
        r = proc_scan_cgroup(m->config.proc_root, fd, &procs, &n);
        if (r < 0)
                return r;
        ssize_t i = engine_pick_process(m->policy, snap, procs, n, d->cgroup);
        if (i < 0) {
                log_warning("Cgroup %s was chosen by ruleset %s but holds no process that may be killed "
                            "(all omitted, protected by oom_score_adj -1000, already killed and exiting, or gone); the ruleset waits out "
                            "its post-action delay before it tries again", d->cgroup, d->ruleset);
                r = -EPERM;
        } else {
                d->pid = procs[i].pid;
                d->start_time = procs[i].start_time;
                d->memory = procs[i].rss;
                memcpy(d->comm, procs[i].comm, sizeof d->comm);
        }
        proc_samples_free(procs, n);
        return r;
}

/* The processes at or below cgroup d->cgroup, for the record of a kill of it: their RSS becomes
 * d->memory in degraded mode (no memory.current there); in a dry run, they are the processes that
 * would have died (res->n_would_kill, the first of them in res->pids). */
static void manager_count_cgroup_victims(Manager *m, Decision *d, KillResult *res) {
        ProcSample *procs = NULL;
        size_t n = 0;
        uint64_t rss = 0;

        if (proc_scan(m->config.proc_root, &procs, &n) < 0)
                return; /* logged; the record goes without */
        m->n_process_scans++;
        for (size_t i = 0; i < n; i++) {
                if (procs[i].kernel_thread || !cgroup_path_at_or_below(procs[i].cgroup ?: "/", d->cgroup))
                        continue;
                rss += procs[i].rss;
                if (d->dry_run && res->n_would_kill < KILL_MAX_PIDS_RECORDED)
                        res->pids[res->n_would_kill] = procs[i].pid;
                if (d->dry_run)
                        res->n_would_kill++;
        }
        if (m->degraded)
                d->memory = rss;
        proc_samples_free(procs, n);
}

/* A dry run: the record names what the kill would have ended (its processes, or the process the
 * kill would pick), as a kill's record does. */
static void manager_dry_run_victims(Manager *m, const Snapshot *snap, Decision *d, KillResult *res) {
        if (d->kind == TARGET_CGROUP && d->granularity_process && snap && !m->degraded)
                (void) manager_pick_process(m, snap, d); /* it logs when there is none */
        if (d->kind == TARGET_PROCESS || (d->granularity_process && d->pid > 0)) {
                res->pids[0] = d->pid;
                res->n_would_kill = d->pid > 0;
        } else
                manager_count_cgroup_victims(m, d, res);
}

/* Steps 2 to 5 for a decision already announced. */
int ladder_kill_announced(Manager *m, const Snapshot *snap, Decision *d, KillResult *res) {
        int r = 0;

        *res = (KillResult) {};
        if (manager_victim_busy(m, d))
                return -EALREADY;
        if (d->dry_run) {
                manager_dry_run_victims(m, snap, d, res);
                manager_record_kill(m, d, res, 0);
                return 0;
        }

        int root_fd = m->tree ? cgroup_tree_root_fd(m->tree) : -1;
        if (!m->degraded) {
                r = unit_stopper_start(m->stopper, root_fd, d, m->policy->fast_interval_usec);
                if (r != 0)
                        return r; /* under way (1), or already (-EALREADY) */
        }
        if (d->kind == TARGET_PROCESS)
                /* Degraded mode: the memory controller is elsewhere, so don't touch cgroup xattrs. */
                r = killer_kill_process(m->config.proc_root, d->pid, d->start_time,
                                        m->degraded ? -1 : root_fd, m->degraded ? NULL : d->cgroup, res);
        else if (d->granularity_process && snap) {
                r = manager_pick_process(m, snap, d);
                if (r >= 0)
                        r = killer_kill_process(m->config.proc_root, d->pid, d->start_time, root_fd, d->cgroup, res);
        } else if (root_fd < 0)
                r = -ENODEV;
        else {
                if (m->degraded) /* what the cgroup holds, while its processes are still there */
                        manager_count_cgroup_victims(m, d, res);
                r = killer_kill_cgroup(root_fd, d->cgroup, false, res);
        }
        if (r == 0 && res->n_killed == 0)
                /* Its processes exited between the sample that chose it and the kill: not a kill, nor a
                 * victim to wait for, and not one of the incident's max_kills_per_incident. */
                r = -ESRCH;

        manager_record_kill(m, d, res, r);
        return r;
}

/* Whether the ruleset's post-action delay should start after a kill attempt that failed with r:
 * it failed for a reason that the next sample would only meet again (a victim that vanished on its
 * own is the exception: resample). A dry run also waits out the delay, or it would log every sample. */
static bool kill_attempt_counts(int r) {
        return r != -ENOENT && r != -ESRCH;
}

/* Tells the engine how a kill attempt that returned r went: a stop under way (1: the victim is gone
 * when the stopper says so, on_unit_stop_done), a kill done (0: process_mrelease or cgroup.kill, the
 * victim is gone now), or a failure or dry run (no victim to wait for). */
void ladder_kill_outcome(Manager *m, const Decision *d, int r, usec_t now) {
        if (d->dry_run || r < 0) {
                engine_action_done(m->engine, d, d->dry_run || kill_attempt_counts(r), now);
                return;
        }
        if (engine_action_started(m->engine, d, now) < 0)
                log_oom(); /* the engine counts from now anyway, below or when the stop ends */
        if (r == 0)
                engine_victim_gone(m->engine, d, now);
}

int manager_kill(Manager *m, const Snapshot *snap, Decision *d, KillResult *res) {
        *res = (KillResult) {};
        if (manager_victim_busy(m, d))
                return -EALREADY;
        manager_announce_kill(m, d, 0);
        int r = ladder_kill_announced(m, snap, d, res);
        ladder_kill_outcome(m, d, r, now_usec(CLOCK_MONOTONIC));
        return r;
}

/* ---- step 1 of the ladder: the pre-kill hook and the wait ---- */

/* The hook's environment (README "Pre-kill hooks"): NULL-terminated, each string malloc'd. */
static char **prekill_hook_env(Manager *m, const Decision *d) {
        char **env = calloc(PREKILL_HOOK_ENV_MAX + 1, sizeof(char *));
        size_t n = 0;
        if (!env)
                return NULL;
#define ENV_ADD(...) do { if (n < PREKILL_HOOK_ENV_MAX && asprintf(&env[n], __VA_ARGS__) >= 0) n++; } while (0)
        ENV_ADD("PRESSURED_CGROUP=%s", d->cgroup);
        if (m->cgroup_root && !m->degraded)
                ENV_ADD("PRESSURED_CGROUP_PATH=%s%s", m->cgroup_root, streq(d->cgroup, "/") ? "" : d->cgroup);
        ENV_ADD("PRESSURED_UNIT=%s", unit_name_of_cgroup(d->cgroup));
        ENV_ADD("PRESSURED_RULESET=%s", d->ruleset);
        ENV_ADD("PRESSURED_REASON=%s", d->reason);
        ENV_ADD("PRESSURED_MEMORY_BYTES=%" PRIu64, d->memory);
        ENV_ADD("PRESSURED_PRESSURE=%.2f", d->pressure);
        ENV_ADD("PRESSURED_PREKILL_TIMEOUT_USEC=%" PRIu64, d->prekill_timeout_usec);
        ENV_ADD("PRESSURED_METHOD=%s", unit_method_to_string(d->method));
        if (d->kind == TARGET_PROCESS) {
                ENV_ADD("PRESSURED_PID=%d", (int) d->pid);
                ENV_ADD("PRESSURED_COMM=%s", d->comm);
        }
#undef ENV_ADD
        return env;
}

static void strv_free_all(char **v) {
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

static void on_prekill_hook_exit(uint64_t id, int status, void *userdata);

/* Runs the decision's pre-kill hook, if it has one, until `deadline`. Returns its run id, 0 for none. */
static uint64_t manager_start_prekill_hook(Manager *m, const Decision *d, usec_t deadline) {
        uint64_t id = 0;
        if (!d->prekill_hook || !d->prekill_hook[0])
                return 0;
        char **env = prekill_hook_env(m, d);
        int r = env ? hook_runner_start(m->hooks, d->prekill_hook, env, deadline, on_prekill_hook_exit, m, &id) : -ENOMEM;
        strv_free_all(env);
        if (r < 0) {
                log_error_errno(r, "Failed to run the pre-kill hook %s of ruleset %s for %s: %m. %s; fix the hook's path "
                                "or permissions in the policy (prekill_hook)", d->prekill_hook[0], d->ruleset, d->cgroup,
                                d->prekill_timeout_usec > 0 ? "The kill still waits out prekill_timeout" : "The kill goes ahead");
                return 0;
        }
        log_info("Started the pre-kill hook %s of ruleset %s for %s", d->prekill_hook[0], d->ruleset, d->cgroup);
        return id;
}

void ladder_drop_pending(Manager *m, size_t i) {
        PendingKill *p = &m->pending[i];
        if (p->hook_id && !p->hook_exited)
                hook_runner_forget(m->hooks, p->hook_id); /* it runs on until it exits or its deadline */
        decision_clear(&p->decision);
        memmove(p, p + 1, (m->n_pending - i - 1) * sizeof *p);
        m->n_pending--;
}

/* Calls off pending kill i: logs, publishes KillCancelled, releases the ruleset. */
static void manager_cancel_pending(Manager *m, size_t i, PrekillVerdict v, const char *why, usec_t now) {
        PendingKill *p = &m->pending[i];
        const Decision *d = &p->decision;
        char waited[32];

        format_duration(waited, sizeof waited, now - p->since);
        log_notice("Spared %s: the kill that ruleset %s announced %s ago is called off, %s", d->cgroup, d->ruleset,
                   waited, why);
        Event e = {
                .kind = EVENT_KILL_CANCELLED,
                .time = now_usec(CLOCK_REALTIME),
                .kill_cancelled = {
                        .cgroup = d->cgroup,
                        .unit = unit_name_of_cgroup(d->cgroup),
                        .ruleset = d->ruleset,
                        .reason = why,
                        .verdict = v,
                },
        };
        manager_publish(m, &e);
        engine_action_done(m->engine, d, false, now); /* releases the ruleset (a stale decision is ignored) */
        ladder_drop_pending(m, i);
}

/* Before a new policy replaces the one the pending decisions borrow their names from. */
void ladder_cancel_all_pending(Manager *m, const char *why) {
        usec_t now = now_usec(CLOCK_MONOTONIC);
        while (m->n_pending > 0)
                manager_cancel_pending(m, m->n_pending - 1, PREKILL_VERDICT_STALE, why, now);
}

/* Announces a fresh decision and either carries it out now or, with a prekill_timeout, makes it
 * pending (taking *d over). Returns true when the decision was handled here (pending, or a victim
 * already being dealt with); false when the caller must carry it out now (already announced). */
bool ladder_announce_or_defer(Manager *m, Decision *d, usec_t now) {
        if (manager_victim_busy(m, d))
                return true;
        for (size_t i = 0; i < m->n_pending; i++)
                if (streq(m->pending[i].decision.cgroup, d->cgroup)) {
                        log_debug("Ruleset %s chose %s, which already waits out the pre-kill time of ruleset %s",
                                  d->ruleset, d->cgroup, m->pending[i].decision.ruleset);
                        return true;
                }

        /* A dry run neither runs the hook nor waits: it shows what would be killed, now. */
        usec_t wait = d->dry_run ? 0 : d->prekill_timeout_usec;
        manager_announce_kill(m, d, wait);
        if (d->dry_run)
                return false;
        if (wait == 0) {
                /* A hook without a wait is a notification: the kill does not wait for it. */
                uint64_t id = manager_start_prekill_hook(m, d, now + PREKILL_HOOK_UNWAITED_MAX_USEC);
                if (id)
                        hook_runner_forget(m->hooks, id);
                return false;
        }

        PendingKill *q = realloc(m->pending, (m->n_pending + 1) * sizeof *q);
        if (!q) {
                log_oom();
                return false; /* better the kill without its wait than no kill */
        }
        m->pending = q;
        PendingKill *p = &m->pending[m->n_pending++];
        *p = (PendingKill) { .decision = *d, .since = now, .deadline = now + wait };
        *d = (Decision) { .kill_list_index = -1 };
        p->hook_id = manager_start_prekill_hook(m, &p->decision, p->deadline);
        engine_hold(m->engine, &p->decision);

        char span[32];
        format_duration(span, sizeof span, wait);
        log_notice("Kill of %s by ruleset %s pending: it has %s to shed memory below the ruleset's criteria%s (%s)",
                   p->decision.cgroup, p->decision.ruleset, span,
                   p->hook_id ? ", or until its pre-kill hook exits" : "", p->decision.reason);
        return true;
}

/* Each sample (a full one): spares the targets that no longer meet their ruleset's criteria, and
 * carries out the kills whose wait is over (deadline reached, or the hook exited). */
void ladder_check_pending(Manager *m, const Snapshot *snap, usec_t now) {
        for (size_t i = 0; i < m->n_pending;) {
                PendingKill *p = &m->pending[i];
                char why[512];
                PrekillVerdict v = engine_recheck(m->engine, snap, &p->decision, why, sizeof why);
                if (v != PREKILL_VERDICT_STANDS) {
                        manager_cancel_pending(m, i, v, why, now);
                        continue;
                }
                if (now < p->deadline && !p->hook_exited) {
                        i++;
                        continue;
                }

                char waited[32];
                format_duration(waited, sizeof waited, now - p->since);
                if (p->hook_exited)
                        log_notice("The pre-kill hook for %s is over after %s and the target still meets ruleset %s's "
                                   "criteria (%s); killing it", p->decision.cgroup, waited, p->decision.ruleset, why);
                else
                        log_notice("%s still meets ruleset %s's criteria after its %s pre-kill time (%s); killing it",
                                   p->decision.cgroup, p->decision.ruleset, waited, why);
                Decision d = p->decision;
                p->decision = (Decision) { .kill_list_index = -1 };
                ladder_drop_pending(m, i);

                KillResult res;
                int r = ladder_kill_announced(m, snap, &d, &res);
                ladder_kill_outcome(m, &d, r, now);
                decision_clear(&d);
                m->last_status_usec = 0; /* publish the kill now */
        }
}

static void on_prekill_hook_exit(uint64_t id, int status, void *userdata) {
        Manager *m = userdata;
        for (size_t i = 0; i < m->n_pending; i++) {
                PendingKill *p = &m->pending[i];
                if (p->hook_id != id)
                        continue;
                p->hook_exited = true;
                if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                        log_info("The pre-kill hook for %s (ruleset %s) exited successfully", p->decision.cgroup,
                                 p->decision.ruleset);
                else if (WIFEXITED(status))
                        log_warning("The pre-kill hook %s for %s (ruleset %s) failed with exit status %d; see its output above",
                                    p->decision.prekill_hook[0], p->decision.cgroup, p->decision.ruleset, WEXITSTATUS(status));
                else if (WIFSIGNALED(status))
                        log_warning("The pre-kill hook %s for %s (ruleset %s) was killed by signal %s",
                                    p->decision.prekill_hook[0], p->decision.cgroup, p->decision.ruleset,
                                    strsignal(WTERMSIG(status)));
                /* Decide now, not at the next tick. */
                manager_sample_now(m);
                return;
        }
}
