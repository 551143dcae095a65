/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <grp.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "policy/engine.h"
#include "policy/macro.h"
#include "policy/utf8.h"
#include "util/clock.h"
#include "util/log.h"
#include "read/cgroup_tree.h"
#include "read/fileio.h"
#include "read/meminfo.h"
#include "read/mountinfo.h"
#include "read/proc_scan.h"
#include "read/system_sample.h"
#include "record/history.h"
#include "record/state_files.h"
#include "act/hook_runner.h"
#include "act/killer.h"
#include "act/unit_stopper.h"
#include "systemd/annotations.h"
#include "systemd/bus_connection.h"
#include "core/ladder.h"
#include "core/level_tracker.h"
#include "core/manager.h"
#include "core/manager-internal.h"
#include "core/policy_host.h"
#include "core/psi_trigger.h"
#include "core/query.h"
#include "core/sampler.h"
#include "core/schedule.h"
#include "core/victimless.h"

/* Degraded mode: processes have no growth or rates to keep current, so while no ruleset fires a
 * sample reads the detectors' files alone (/proc/meminfo, /proc/pressure/memory, ...) and every
 * /proc/PID only this often (for status and the published cgroups); a ruleset that fires has them
 * read in the same sample, before a victim is chosen. */
#define DEGRADED_CANDIDATES_REFRESH_USEC (60 * USEC_PER_SEC)
/* Degraded mode: a request (status, dump, kill list) reads the processes again when the last read
 * of them is older than this, so its memory figures are current without a scan per request. */
#define REQUEST_CANDIDATES_MAX_AGE_USEC (5 * USEC_PER_SEC)
/* The status file is rewritten at most this often (and after every kill or reload). */
#define STATUS_REFRESH_USEC (10 * USEC_PER_SEC)
/* A request's figures are fresh enough when the last sample is younger than this: without it, a
 * client asking for status in a loop would make the daemon sample the whole tree per request. */
#define REQUEST_REFRESH_MIN_AGE_USEC USEC_PER_SEC
/* The sampling timer's slack: within these bounds, a tenth of the delay (manager_schedule_from). */
#define SAMPLE_ACCURACY_MIN_USEC USEC_PER_MSEC
#define SAMPLE_ACCURACY_MAX_USEC (250 * USEC_PER_MSEC)

/* The status data (RUNTIME_DIR/status.json): mode and why, policy, system figures, kills. The
 * same data "oomctl status" gets, so the file and the socket never disagree, less the table of
 * cgroups: with thousands of them, writing it every STATUS_REFRESH_USEC cost more than the sample. */
void manager_write_status(Manager *m, usec_t now) {
        cJSON *o = query_status_summary(m);
        if (!o)
                return;
        _cleanup_free_ char *text = json_print_utf8(o, true);
        cJSON_Delete(o);
        if (!text)
                return;
        int r = write_file_atomic(m->config.runtime_dir, "status.json", text);
        if (r < 0)
                log_debug_errno(r, "Failed to write %s/status.json: %m", m->config.runtime_dir);
        m->last_status_usec = now;
}

/* Decides the mode: cgroup when the cgroup2 mount has the memory controller, degraded otherwise. */
static int manager_detect_mode(Manager *m) {
        int r;

        if (m->config.cgroup_root)
                m->cgroup_root = strdup(m->config.cgroup_root);
        else {
                r = cgroup2_find_mount(m->config.proc_root, &m->cgroup_root);
                if (r < 0 && r != -ENOENT)
                        return log_error_errno(r, "Failed to read %s/self/mountinfo to find the cgroup2 mount: %m",
                                               m->config.proc_root);
        }

        if (m->cgroup_root) {
                r = cgroup_tree_new(m->cgroup_root, &m->tree);
                /* every kind of sample reads the one tree: only a whole sample's walk, which
                 * reaches every cgroup the others do, frees the cgroups it did not visit */
                cgroup_tree_set_widest_needs(m->tree, &m->needs);
                if (r < 0) {
                        log_warning_errno(r, "Cannot open the cgroup2 hierarchy at %s: %m; "
                                          "running in degraded mode without cgroups", m->cgroup_root);
                        m->tree = cgroup_tree_free(m->tree);
                        free(m->cgroup_root);
                        m->cgroup_root = NULL;
                }
        }

        if (!m->tree) {
                m->degraded = true;
                m->mode_reason = strdup("no usable cgroup2 hierarchy on this host (cgroup v1 only?): "
                                        "watching system pressure and MemAvailable, killing processes by RSS");
        } else if (!cgroup_tree_has_memory_controller(m->tree)) {
                m->degraded = true;
                if (asprintf(&m->mode_reason,
                             "cgroup2 at %s has no memory controller (it is bound to cgroup v1 on hybrid hosts): "
                             "watching system pressure and MemAvailable, killing processes by RSS. "
                             "Boot with systemd.unified_cgroup_hierarchy=1 for per-cgroup decisions",
                             m->cgroup_root) < 0)
                        m->mode_reason = NULL;
        } else {
                m->degraded = false;
                if (asprintf(&m->mode_reason, "cgroup2 at %s with the memory controller", m->cgroup_root) < 0)
                        m->mode_reason = NULL;
        }
        if (!m->mode_reason)
                return log_oom();

        r = proc_cgroup_path(m->config.proc_root, getpid(), &m->self_cgroup);
        if (r < 0)
                m->self_cgroup = strdup("/");
        return 0;
}

/* Without CAP_KILL, kill(2) reaches only processes of pressured's own user: a policy that picks
 * another user's process would fail at the worst moment. Said once at start. */
static void manager_check_cap_kill(void) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};

        if (syscall(SYS_capget, &h, d) < 0) {
                log_debug_errno(errno, "Failed to read pressured's capabilities: %m");
                return;
        }
        if (d[CAP_TO_INDEX(CAP_KILL)].effective & CAP_TO_MASK(CAP_KILL))
                return;
        log_warning("Running without CAP_KILL: pressured can signal only processes of its own user (uid %u), so a "
                    "kill of anyone else's fails when memory runs out. Run it as root with CAP_KILL, as pressured.service "
                    "does (CapabilityBoundingSet=CAP_KILL ...)", (unsigned) geteuid());
}

/* What the schedule (core/schedule.h) is decided from, now. */
static ScheduleInputs manager_schedule_inputs(Manager *m, usec_t now) {
        return (ScheduleInputs) {
                .now = now,
                .interval_usec = m->policy->interval_usec,
                .fast_interval_usec = m->policy->fast_interval_usec,
                .quiet = m->quiet,
                .last_sample_usec = m->last_sample_usec,
                .pending = m->pending,
                .n_pending = m->n_pending,
                .arming = engine_arming(m->engine),
                .triggers_armed = psi_trigger_available(m->triggers) && psi_trigger_count(m->triggers) > 0,
                .last_trigger_usec = m->last_trigger_usec,
                .meminfo = m->last_system.meminfo,
                .levels_calm = true, /* a walk over every published cgroup: manager_update_quiet() asks */
                .guard_armed = m->guard_armed,
                .guard = m->guard,
        };
}

/* How long until the next sample (schedule_next_interval). */
static usec_t manager_next_interval(Manager *m, usec_t now) {
        ScheduleInputs in = manager_schedule_inputs(m, now);
        return schedule_next_interval(&in);
}

/* Decides, after a sample, whether the daemon may go quiet (Manager.quiet). The floors that guard
 * quiet are the engine's as of this sample (engine_guarded). */
static void manager_update_quiet(Manager *m, usec_t now) {
        ScheduleInputs in = manager_schedule_inputs(m, now);
        in.levels_calm = level_tracker_calm(m->levels);
        in.guarded = engine_guarded(m->engine, schedule_guard_percent(m->guard_armed, m->guard_stall_usec), &m->guard);
        in.guard = m->guard;
        const char *why = schedule_not_quiet_reason(&in);
        bool was = m->quiet;

        m->quiet = !why;
        if (m->quiet && !was)
                log_debug("Quiet: no rule can fire before a PSI trigger does or MemAvailable falls; "
                          "sampling only /proc/meminfo until then");
        else if (why && why != m->not_quiet_reason)
                log_debug("Not quiet, sampling at the policy's interval: %s", why);
        m->not_quiet_reason = why;
}

/* A look at /proc/meminfo alone, while quiet. Returns true when quiet goes on (the figures are
 * kept for status); false when a whole sample must run now. */
static bool manager_quiet_look(Manager *m) {
        MemInfo mi;

        if (system_files_read_meminfo(&m->system_files, m->config.proc_root, &mi) < 0)
                return false; /* a failure the sample it runs next reports */
        m->n_quiet_checks++;
        if (schedule_quiet_runway(&m->guard, &mi) == 0)
                return false;
        m->last_system.meminfo = mi;
        return true;
}

/* One sample: read what the policy needs, decide, act. Never blocks. */
void manager_sample(Manager *m) {
        usec_t now = now_usec(CLOCK_MONOTONIC);
        Snapshot snap = {
                .now = now,
                .degraded = m->degraded,
                .self_pid = getpid(),
                .self_cgroup = m->self_cgroup,
        };
        Decision d = {};
        int r;

        m->in_sample = true;
        m->last_sample_usec = now;
        m->n_samples++;
        bool refresh = m->quiet_refresh; /* quiet's periodic sample: no reclaim counters (sample_needs_guards) */
        char err[2048];
        r = system_sample_read_files(&m->system_files, m->config.proc_root, m->needs.system_mem_psi, m->needs.system_io_psi,
                               m->needs.meminfo, m->needs.vmstat && !refresh, &snap.system, err, sizeof err);
        sampler_note_system_error(m, r, err);
        derive_system(&snap.system, m->have_prev ? &m->prev_system : NULL, m->prev_time, now);

        /* Candidates are read every interval (so growth and rates stay current) and whenever a
         * ruleset fires; in between only what the detectors watch, and for quiet's periodic sample only
         * what can guard them. Degraded mode's candidates are processes, with no growth to measure:
         * they are read every interval only while a ruleset fires, else every
         * DEGRADED_CANDIDATES_REFRESH_USEC (and when a request wants them). */
        usec_t full_every = m->degraded && engine_fired_set(m->engine) == 0 ?
                                    DEGRADED_CANDIDATES_REFRESH_USEC :
                                    victimless_refresh(&m->victimless, m->policy->interval_usec, &snap.system.meminfo);
        full_every = victimless_within_duty(full_every, m->last_full_cost_usec);
        bool full = m->last_full_usec == 0 || m->n_pending > 0 || m->candidates_wanted ||
                    (!refresh && now - m->last_full_usec >= full_every);
        /* why the candidates are read, for the debug log (README "Sampling, and quiet") */
        const char *why = !full ? NULL :
                          m->last_full_usec == 0 ? "the first sample" :
                          m->n_pending > 0 ? "a kill waits out its prekill_timeout" :
                          m->candidates_wanted ? "a client asked for current figures" :
                          victimless_mem_fell(&m->victimless, &snap.system.meminfo) ?
                                             "MemAvailable fell by a sixteenth of MemTotal since the back-off began" :
                                             "their interval (the back-off while victimless, or ten times the last read of them) is out";
        m->quiet_refresh = false;
        m->candidates_wanted = false;
        /* While every detector that reads cgroups holds on a source, those sources alone are read:
         * what holds on one source holds whatever the others read (engine_partial_sources). When
         * one no longer does, the sample reads every source and the engine decides on them. */
        r = !full && !refresh ? sampler_read_partial(m, &snap) : -ENOENT;
        if (r >= 0) {
                r = engine_evaluate(m->engine, &snap, &d);
                if (r == -EAGAIN) {
                        /* the pressure moved: what found no victim before may find one now */
                        m->n_partial_fallbacks++;
                        if (m->victimless.found)
                                log_debug("The pressure moved off the cgroups read alone: the candidates of the "
                                          "rulesets without a victim are read again");
                        victimless_reset(&m->victimless);
                        snap.partial = false;
                }
        }
        if (!snap.partial) {
                sampler_read_cgroups(m, full, refresh, &snap);
                r = engine_evaluate(m->engine, &snap, &d);
        }
        /* A ruleset fired on the detectors' figures: read the candidates and decide, unless every
         * ruleset that fired was found victimless by a whole sample within the back-off (victimless.h;
         * reading them every fast interval cost most of the CPU with 1,000 cgroups under lasting
         * pressure, all of them omitted). */
        if (r == 0 && !full && (engine_fired_set(m->engine) & ~victimless_current(&m->victimless, now, full_every)) != 0) {
                full = true;
                why = "a ruleset fires that no read of them found without a victim within its back-off";
                snap.partial = false;
                sampler_read_cgroups(m, true, false, &snap);
                r = engine_evaluate(m->engine, &snap, &d);
        }
        if (full) {
                log_debug("Read every candidate: %s", why);
                m->n_candidate_samples++;
                m->last_full_usec = now;
                if (r == 0)
                        victimless_note_whole(&m->victimless, now, full_every, engine_fired_set(m->engine), &snap.system.meminfo);
                else if (r > 0 && d.dry_run) /* nothing is killed: the others' candidates are as they were */
                        victimless_note_victim(&m->victimless, engine_ruleset_bit(d.ruleset_index));
                else
                        victimless_reset(&m->victimless);
        }
        sampler_note_partial(m, &snap, r >= 0);
        char notice[768];
        if (engine_take_notice(m->engine, notice, sizeof notice))
                log_warning("%s", notice);
        if (r < 0)
                log_error_errno(r, "The policy engine failed on this sample: %m");
        else if (r > 0) {
                if (!ladder_announce_or_defer(m, &d, now)) {
                        KillResult res;
                        int k = ladder_kill_announced(m, &snap, &d, &res);
                        ladder_kill_outcome(m, &d, k, now);
                }
                m->last_status_usec = 0; /* publish the kill now */
        }
        decision_clear(&d);
        if (full)
                ladder_check_pending(m, &snap, now);

        if (!snap.partial) /* a partial snapshot would prune the triggers of the sources it left out */
                sampler_update_triggers(m, &snap);
        else
                sampler_measure_partial(m, &snap); /* announced with the system's level below */

        if (full) { /* kept for "status": the cgroups with everything the policy reads */
                if (m->degraded)
                        cgroup_samples_fill_rss(snap.cgroups, snap.n_cgroups, snap.procs, snap.n_procs);
                sampler_free_last_cgroups(m);
                m->last_cgroups = snap.cgroups;
                m->n_last_cgroups = snap.n_cgroups;
                snap.cgroups = NULL;
                snap.n_cgroups = 0;
        }

        m->prev_system = snap.system;
        m->last_system = snap.system;
        if (snap.system.meminfo.valid)
                systemd_annotations_set_have_swap(m->annotations, snap.system.meminfo.swap_total > 0);
        m->prev_time = now;
        m->have_prev = true;
        snapshot_clear(&snap);

        sampler_update_levels(m, full, now);
        manager_update_quiet(m, now);

        if (now - m->last_status_usec >= STATUS_REFRESH_USEC)
                manager_write_status(m, now);
        if (full)
                m->last_full_cost_usec = now_usec(CLOCK_MONOTONIC) - now;
        m->in_sample = false;
}

void manager_refresh(Manager *m) {
        usec_t now = now_usec(CLOCK_MONOTONIC);

        if (m->in_sample)
                return;
        if (m->quiet) {
                if (now < m->last_sample_usec + REQUEST_REFRESH_MIN_AGE_USEC)
                        return;
        } else if (now < m->last_full_usec + (m->degraded ? REQUEST_CANDIDATES_MAX_AGE_USEC : m->policy->interval_usec))
                return; /* fresh enough; a victimless ruleset's back-off can leave them older: read them then */
        m->candidates_wanted = m->degraded || !m->quiet;
        manager_sample(m);
        manager_schedule(m, manager_next_interval(m, now_usec(CLOCK_MONOTONIC)));
}

/* The next sample, `delay` after `now`. sd-event may fire a timer up to its accuracy late (so that
 * the wake-ups of many programs coincide); its default, 250 ms, stretched a 100 ms fast_interval to
 * as much as 350 ms. The slack is a tenth of the delay, within 1 ms and 250 ms. */
static void manager_schedule_from(Manager *m, usec_t now, usec_t delay) {
        usec_t accuracy = delay / 10;

        if (accuracy < SAMPLE_ACCURACY_MIN_USEC)
                accuracy = SAMPLE_ACCURACY_MIN_USEC;
        if (accuracy > SAMPLE_ACCURACY_MAX_USEC)
                accuracy = SAMPLE_ACCURACY_MAX_USEC;
        sd_event_source_set_time_accuracy(m->sample_timer, accuracy);
        sd_event_source_set_time(m->sample_timer, now + delay);
        sd_event_source_set_enabled(m->sample_timer, SD_EVENT_ONESHOT);
}

void manager_schedule(Manager *m, usec_t delay) {
        manager_schedule_from(m, now_usec(CLOCK_MONOTONIC), delay);
}

void manager_sample_now(Manager *m) {
        manager_sample(m);
        manager_schedule(m, manager_next_interval(m, now_usec(CLOCK_MONOTONIC)));
}

static int on_sample_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        m->quiet_refresh = m->quiet; /* while quiet, the timer fires only for the periodic sample */
        manager_sample(m);
        manager_schedule(m, manager_next_interval(m, now_usec(CLOCK_MONOTONIC)));
        return 0;
}

/* One turn of the event loop, sd-event driven from outside (sd_event_prepare, _wait, _dispatch):
 * the wait is one epoll_wait on the trigger set's epoll, which holds the PSI trigger fds and
 * sd-event's own fd. The trigger fds are never in sd-event's epoll meanwhile: the kernel clears a
 * trigger's event when it is polled, so polling sd-event's fd from outside while it held them
 * (nested epoll polls the inner items) would take the event and sd-event would never see it fire.
 * While quiet the wait times out at the next look at /proc/meminfo, and the look runs with sd-event
 * still armed: a quiet look is one epoll_wait and one read, with no clock read and no timer armed.
 * Anything that may move a timer (a trigger's sample, a look that ends quiet, sd-event's fd) leaves
 * the armed state through sd_event_wait() before sd-event is prepared again. */
static void manager_sample_for_triggers(Manager *m);

static int manager_wait(Manager *m) {
        int r = sd_event_prepare(m->event);
        if (r < 0)
                return log_error_errno(r, "The event loop failed: %m");
        if (r == 0) {
                for (;;) {
                        int timeout_ms = -1;
                        if (m->quiet) {
                                /* The look's delay needs the floors and the last MemAvailable alone: no
                                 * clock read, no engine walk on the path the daemon takes most often. */
                                ScheduleInputs in = { .meminfo = m->last_system.meminfo, .guard = m->guard };
                                usec_t delay = schedule_quiet_look_delay(&in);
                                if (delay > 3600 * USEC_PER_SEC)
                                        delay = 3600 * USEC_PER_SEC; /* within an int of ms */
                                timeout_ms = (int) ((delay + USEC_PER_MSEC - 1) / USEC_PER_MSEC);
                        }
                        m->in_wait = true;
                        r = psi_trigger_wait_direct(m->triggers, sd_event_get_fd(m->event), timeout_ms);
                        m->in_wait = false;
                        if (r < 0)
                                return log_error_errno(r, "The event loop failed: %m");
                        if (m->triggers_fired)
                                manager_sample_for_triggers(m);
                        if (r > 0 || !m->quiet)
                                break; /* sd-event has work, or a trigger's handler sampled */
                        if (!manager_quiet_look(m)) { /* MemAvailable is falling towards a floor */
                                manager_sample_now(m);
                                break;
                        }
                }
                r = sd_event_wait(m->event, 0);
                if (r < 0)
                        return log_error_errno(r, "The event loop failed: %m");
                if (r == 0)
                        return 0;
        }
        r = sd_event_dispatch(m->event);
        if (r < 0)
                return log_error_errno(r, "The event loop failed: %m");
        return 0;
}

/* A trigger fired: sample now, once for all the triggers that fired together (the system's and a
 * cgroup's fire in the same second under one stall), and, unless quiet, no sooner than
 * fast_interval after the last sample: a sample that recent already saw the stall begin, and the
 * next one is brought forward to that moment instead. */
static void manager_sample_for_triggers(Manager *m) {
        usec_t now = now_usec(CLOCK_MONOTONIC), earliest = m->last_sample_usec + m->policy->fast_interval_usec;

        m->triggers_fired = false;
        if (m->quiet || m->last_sample_usec == 0 || now >= earliest) {
                manager_sample(m);
                manager_schedule(m, manager_next_interval(m, now_usec(CLOCK_MONOTONIC)));
                return;
        }
        uint64_t at;
        int enabled = SD_EVENT_OFF;
        if (sd_event_source_get_enabled(m->sample_timer, &enabled) < 0 || enabled == SD_EVENT_OFF ||
            sd_event_source_get_time(m->sample_timer, &at) < 0 || at > earliest)
                manager_schedule_from(m, now, earliest - now);
}

static void on_psi_trigger(const char *path, void *userdata) {
        Manager *m = userdata;
        log_debug("PSI trigger fired on %s, sampling now", path);
        m->last_trigger_usec = now_usec(CLOCK_MONOTONIC);
        m->triggers_fired = true;
        if (!m->in_wait) /* dispatched by sd-event: one at a time */
                manager_sample_for_triggers(m);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        log_info("SIGHUP received, reloading the policy");
        sd_notify(false, "RELOADING=1");
        (void) manager_load_policy(m, false);
        sd_notify(false, "READY=1");
        manager_write_status(m, now_usec(CLOCK_MONOTONIC));
        return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        log_info("%s received, exiting", si->ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
        sd_notify(false, "STOPPING=1");
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* One instance per runtime directory: two killers would race each other. */
static int manager_lock(Manager *m) {
        char path[4096];
        snprintf(path, sizeof path, "%s/pressured.lock", m->config.runtime_dir);
        m->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (m->lock_fd < 0)
                return log_error_errno(errno, "Failed to open the lock file %s: %m", path);
        if (flock(m->lock_fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno == EWOULDBLOCK)
                        return log_error_errno(EBUSY, "Another pressured is already running with runtime directory %s "
                                               "(it holds %s); stop it first or pass a different --runtime-dir", m->config.runtime_dir, path);
                return log_error_errno(errno, "Failed to lock %s: %m", path);
        }
        return 0;
}

/* A killer must not be swapped out or OOM-killed while memory is short; and it keeps fds of every
 * watched cgroup and of the files it reads there, so it takes every file descriptor the hard limit
 * allows. */
static void manager_protect_self(Manager *m) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        log_debug_errno(errno, "Failed to raise the open file limit: %m");
        }
        if (m->tree && getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
            rl.rlim_cur < (rlim_t) CGROUP_TREE_FILE_FDS_MAX * CGROUP_TREE_FILE_FDS_RLIMIT_DIVISOR)
                log_notice("The open file limit is %llu: pressured keeps at most %llu cgroup files open per sample "
                           "kind and opens the rest anew each sample, which costs CPU with many cgroups. "
                           "Raise LimitNOFILE= of pressured.service to %u or more to avoid that",
                           (unsigned long long) rl.rlim_cur,
                           (unsigned long long) (rl.rlim_cur / CGROUP_TREE_FILE_FDS_RLIMIT_DIVISOR),
                           CGROUP_TREE_FILE_FDS_MAX * CGROUP_TREE_FILE_FDS_RLIMIT_DIVISOR);

        if (geteuid() != 0)
                return;
        if (!m->config.no_mlock && mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0)
                log_notice_errno(errno, "Failed to lock pressured's memory (mlockall): %m; it may be paged out under pressure");
        _cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "-1000", 5) < 0)
                log_notice_errno(errno, "Failed to set pressured's oom_score_adj to -1000: %m; the kernel OOM killer might pick it");
}

/* PID 1's annotations changed (read for the first time, a unit came or went, a set-property): the
 * policy is loaded again over them, as on SIGHUP. A failure keeps the running policy. */
static void on_annotations_changed(void *userdata) {
        Manager *m = userdata;
        unsigned n = 0;
        (void) systemd_annotations_policy_json(m->annotations, &n);
        log_info("systemd's ManagedOOM*= settings changed (%u unit(s) annotated); loading the policy again", n);
        char err[1024] = "";
        (void) manager_reload_policy(m, NULL, err, sizeof err);
}

static void on_bus_connected(sd_bus *bus, void *userdata) {
        Manager *m = userdata;
        systemd_annotations_attach(m->annotations, bus);
}

int manager_new(const ManagerConfig *c, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof *m);
        int r;

        if (!m)
                return log_oom();
        m->config = *c;
        m->lock_fd = -1;
        m->system_files = (SystemFiles) SYSTEM_FILES_INIT;

        r = mkdir_p(c->runtime_dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create the runtime directory %s: %m; pass --runtime-dir", c->runtime_dir);
        r = manager_lock(m);
        if (r < 0)
                return r;

        r = manager_detect_mode(m);
        if (r < 0)
                return r;


        r = manager_load_policy(m, true);
        if (r < 0)
                return r;

        /* Without a history the daemon still kills and serves: a full or read-only disk must not
         * take the host's OOM protection with it. Kills are then in the journal only. */
        r = mkdir_p(c->state_dir, 0755);
        if (r < 0)
                log_error_errno(r, "Failed to create the state directory %s: %m; kills are logged but not kept in the "
                                "history. Pass --state-dir to use another directory", c->state_dir);
        else
                (void) history_open(c->state_dir, HISTORY_DEFAULT_MAX_ENTRIES, &m->history); /* says what and why */
        /* The kill count goes on across restarts: it starts from the real kills the history holds. */
        m->kill_count = history_kills(m->history);

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");

        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        sd_event_source *src;
        r = sd_event_add_signal(m->event, &src, SIGTERM, on_exit_signal, m);
        if (r >= 0) {
                sd_event_source_set_description(src, "sigterm");
                sd_event_source_set_floating(src, true);
                sd_event_source_unref(src);
                r = sd_event_add_signal(m->event, &src, SIGINT, on_exit_signal, m);
        }
        if (r >= 0) {
                sd_event_source_set_description(src, "sigint");
                sd_event_source_set_floating(src, true);
                sd_event_source_unref(src);
                r = sd_event_add_signal(m->event, &src, SIGHUP, on_sighup, m);
        }
        if (r < 0)
                return log_error_errno(r, "Failed to set up signal handling: %m");
        sd_event_source_set_description(src, "sighup");
        sd_event_source_set_floating(src, true);
        sd_event_source_unref(src);

        r = sd_event_add_time(m->event, &m->sample_timer, CLOCK_MONOTONIC, 0, 0, on_sample_timer, m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the sampling timer: %m");
        sd_event_source_set_description(m->sample_timer, "sample");
        /* Sampling beats every other source: a kill must not wait behind a slow bus client. */
        sd_event_source_set_priority(m->sample_timer, SD_EVENT_PRIORITY_IMPORTANT);

        r = psi_trigger_set_new(m->event, on_psi_trigger, m, &m->triggers);
        if (r < 0)
                return log_oom();

        m->levels = level_tracker_new();
        if (!m->levels)
                return log_oom();

        /* The connection is made when the D-Bus service starts it, with its objects registered first. */
        if (!c->no_bus) {
                r = bus_connection_new(m->event, &m->bus_connection);
                if (r < 0)
                        return r; /* out of memory only: a missing bus is logged and retried */
        }
        r = hook_runner_new(m->event, &m->hooks);
        if (r < 0)
                return log_error_errno(r, "Failed to set up running pre-kill hooks: %m");
        r = unit_stopper_new(m->event, m->bus_connection, ladder_on_unit_stop_done, m, &m->stopper);
        if (r < 0)
                return log_error_errno(r, "Failed to set up stopping units through systemd: %m");
        r = systemd_annotations_new(m->event, on_annotations_changed, m, &m->annotations);
        if (r < 0)
                return log_error_errno(r, "Failed to set up reading systemd's ManagedOOM*= settings: %m");
        if (m->bus_connection) {
                r = bus_connection_add_connect_hook(m->bus_connection, on_bus_connected, m);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch the system bus for systemd's ManagedOOM*= settings: %m");
        }

        *ret = TAKE_PTR(m);
        return 0;
}

void manager_start(Manager *m) {
        if (!m->bus_connection)
                log_info("systemd's ManagedOOM*= settings are not read without the system bus (--no-bus)");
        (void) sd_event_set_watchdog(m->event, true);
        manager_protect_self(m);
        manager_check_cap_kill();

        log_notice("pressured %s started in %s mode: %s", PACKAGE_VERSION, query_mode_name(m), m->mode_reason);
}

sd_event *manager_get_event(Manager *m) {
        return m->event;
}

BusConnection *manager_get_bus_connection(Manager *m) {
        return m->bus_connection;
}

int manager_subscribe(Manager *m, EventHandler fn, void *userdata) {
        if (!fn)
                return -EINVAL;
        if (m->n_subscribers >= ELEMENTSOF(m->subscribers))
                return -ENOSPC;
        m->subscribers[m->n_subscribers].fn = fn;
        m->subscribers[m->n_subscribers++].userdata = userdata;
        return 0;
}

void manager_publish(Manager *m, const Event *e) {
        for (size_t i = 0; i < m->n_subscribers; i++)
                m->subscribers[i].fn(e, m->subscribers[i].userdata);
}

int manager_run(Manager *m) {
        manager_sample(m);
        manager_write_status(m, now_usec(CLOCK_MONOTONIC));
        manager_schedule(m, manager_next_interval(m, now_usec(CLOCK_MONOTONIC)));
        sd_notifyf(false, "READY=1\nSTATUS=%s mode, %s", query_mode_name(m),
                   psi_trigger_available(m->triggers) ? "waiting on PSI triggers" : "polling");
        /* Direct for the whole run, not only while quiet: moving a trigger fd between epoll sets polls
         * it, and each move is a moment a trigger's event could be taken unseen. */
        int r = psi_trigger_set_direct(m->triggers, true);
        if (r < 0)
                return log_error_errno(r, "Failed to wait on PSI triggers directly: %m");
        while (sd_event_get_state(m->event) != SD_EVENT_FINISHED) {
                r = manager_wait(m);
                if (r < 0)
                        break;
        }
        (void) psi_trigger_set_direct(m->triggers, false);
        if (r >= 0)
                (void) sd_event_get_exit_code(m->event, &r);
        /* A status file outliving its daemon would tell readers a stopped pressured still guards the host. */
        char path[4096];
        snprintf(path, sizeof path, "%s/status.json", m->config.runtime_dir);
        (void) unlink(path);
        return r;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        unit_stopper_free(m->stopper); /* first: it holds a connect hook on the bus and the tree's root fd */
        while (m->n_pending > 0)
                ladder_drop_pending(m, m->n_pending - 1);
        free(m->pending);
        free(m->dying_told);
        hook_runner_free(m->hooks);
        systemd_annotations_free(m->annotations);
        bus_connection_free(m->bus_connection); /* the front ends are gone: nothing is served on it */
        level_tracker_free(m->levels);
        for (size_t i = 0; i < m->n_level_events; i++)
                free(m->level_events[i].path);
        free(m->level_events);
        sampler_free_last_cgroups(m);
        for (size_t i = 0; i < m->n_partial_paths; i++)
                free(m->partial_paths[i]);
        system_files_close(&m->system_files);
        sd_event_source_disable_unref(m->sample_timer);
        psi_trigger_set_free(m->triggers);
        sd_event_unref(m->event);
        history_free(m->history);
        engine_free(m->engine);
        sample_needs_clear(&m->needs);
        sample_needs_clear(&m->detect_needs);
        policy_free(m->policy);
        free(m->policy_description);
        cgroup_tree_free(m->tree);
        free(m->cgroup_root);
        free(m->mode_reason);
        free(m->self_cgroup);
        free(m->system_error);
        cJSON_Delete(m->last_kill);
        if (m->lock_fd >= 0)
                close(m->lock_fd);
        free(m);
        return NULL;
}

