/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Step 2 of the kill ladder: stop (or restart) the victim's systemd unit through PID 1, and make
 * sure it is gone within stop_timeout + STOP_KILL_GRACE_USEC whatever its ExecStop= or
 * TimeoutStopSec= say. See unit_stopper.h for the sequence.
 */

#include <errno.h>
#include <fcntl.h>
#include <alloca.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include "policy/format.h"
#include "policy/macro.h"
#include "util/clock.h"
#include "util/log.h"
#include "read/fileio.h"
#include "util/unit_name.h"
#include "act/unit_stopper.h"

/* sd-event's default timer accuracy is 250 ms; the unit must be gone within stop_timeout + 1 s. */
#define STOP_TIMER_ACCURACY_USEC 1000

/* Exists when PID 1 is systemd (sd_booted()'s test): without it nobody on the bus can stop units. */
#define SYSTEMD_RUNTIME_DIR "/run/systemd/system"

typedef struct UnitStop UnitStop;

/* A duration for a message ("2s", "500ms"), in a buffer that lives to the end of the statement. */
#define FORMAT_TIMESPAN(u) ({ char *_b = alloca(32); format_duration(_b, 32, (u)); (const char *) _b; })

struct UnitStopper {
        sd_event *event;
        BusConnection *bus;         /* borrowed; NULL with --no-bus */
        UnitStopDone done;
        void *userdata;
        UnitStop *stops;            /* in flight */
        bool no_systemd_logged;     /* "systemd is not reachable, killing instead" said once */
};

struct UnitStop {
        UnitStopper *owner;
        UnitStop *next;
        Decision d;                 /* a copy: cgroup and ruleset owned */
        char *ruleset;
        char unit[256];
        char *unit_cgroup;          /* the unit's cgroup: d.cgroup or an ancestor of it */
        bool restart;
        int root_fd;                /* borrowed */
        sd_bus *bus;                /* a reference, so the KillUnit goes where the StopUnit went */
        sd_bus_slot *call;          /* the StopUnit/RestartUnit call until it is answered */
        char *job;                  /* its job, once answered */
        sd_event_source *poll, *deadline;
        usec_t poll_usec, timeout_usec, started_usec, escalated_usec;
        int pidfds[STOP_MAX_PINNED_PIDS];
        pid_t pids[STOP_MAX_PINNED_PIDS];
        size_t n_pinned;
        KillResult res;             /* what the record says: the processes that were in the unit */
        KillResult sigkill;         /* what the escalation SIGKILLed */
};

static UnitStop *unit_stop_free(UnitStop *st) {
        if (!st)
                return NULL;
        sd_event_source_disable_unref(st->poll);
        sd_event_source_disable_unref(st->deadline);
        sd_bus_slot_unref(st->call);
        sd_bus_unref(st->bus);
        for (size_t i = 0; i < st->n_pinned; i++)
                if (st->pidfds[i] >= 0)
                        close(st->pidfds[i]);
        free(st->job);
        free(st->unit_cgroup);
        free(st->ruleset);
        decision_clear(&st->d);
        free(st);
        return NULL;
}

static void unit_stop_unlink(UnitStop *st) {
        for (UnitStop **p = &st->owner->stops; *p; p = &(*p)->next)
                if (*p == st) {
                        *p = st->next;
                        return;
                }
}

/* The stop is over: hand the record to the owner and forget it. */
static void unit_stop_finish(UnitStop *st, int error) {
        st->res.ladder = st->restart ? (st->escalated_usec ? "restart+kill" : "restart")
                                     : (st->escalated_usec ? "stop+kill" : "stop");
        snprintf(st->res.unit, sizeof st->res.unit, "%s", st->unit);
        if (!st->res.still_running)
                st->res.stop_to_gone_usec = now_usec(CLOCK_MONOTONIC) - st->started_usec;
        st->res.xattrs_written = st->sigkill.xattrs_written;
        unit_stop_unlink(st);
        st->owner->done(&st->d, &st->res, error, st->owner->userdata);
        unit_stop_free(st);
}

/* 1 when the unit's cgroup is empty or gone, 0 when populated, negative errno when unreadable. */
static int unit_cgroup_empty(UnitStop *st) {
        char path[4096], buf[256];
        snprintf(path, sizeof path, "%s/cgroup.events", st->unit_cgroup + strspn(st->unit_cgroup, "/"));
        ssize_t n = read_file_at(st->root_fd, path, buf, sizeof buf);
        if (n == -ENOENT || n == -ENODEV)
                return 1;
        if (n < 0)
                return (int) n;
        const char *p = strstr(buf, "populated ");
        return p && p[strlen("populated ")] == '0';
}

/* True when every process pinned at the start has exited (a pidfd polls readable on exit). */
static bool pinned_all_exited(UnitStop *st) {
        for (size_t i = 0; i < st->n_pinned; i++) {
                if (st->pidfds[i] < 0)
                        continue;
                struct pollfd pfd = { .fd = st->pidfds[i], .events = POLLIN };
                if (poll(&pfd, 1, 0) == 0)
                        return false;
                close(st->pidfds[i]);
                st->pidfds[i] = -1;
        }
        return true;
}

/* Whether the victim is gone: a stopped unit's cgroup is empty; a restarted unit's old processes
 * have exited (its new ones live in the same cgroup) and the restart job is over, or the deadline
 * passed without the JobRemoved signal. */
static bool unit_stop_gone(UnitStop *st, bool at_deadline) {
        if (st->restart)
                return pinned_all_exited(st) && (st->n_pinned > 0 || st->res.job_result[0]) &&
                       (st->res.job_result[0] || at_deadline || st->escalated_usec);
        int r = unit_cgroup_empty(st);
        if (r < 0)
                log_debug_errno(r, "Failed to read cgroup.events of %s: %m; checking again", st->unit_cgroup);
        return r > 0;
}

static void unit_stop_rearm(sd_event_source *s, usec_t at) {
        (void) sd_event_source_set_time(s, at);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int on_kill_unit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        if (e)
                log_debug("systemd's KillUnit failed (%s: %s); cgroup.kill did the job anyway", e->name, strna(e->message));
        return 0;
}

/* stop_timeout ran out with the victim still there: SIGKILL what is left. A stop: KillUnit so that
 * systemd knows, and cgroup.kill at once so nothing waits on PID 1. A restart: only the old
 * processes, by pidfd, so the new instance is spared. */
static void unit_stop_escalate(UnitStop *st) {
        usec_t now = now_usec(CLOCK_MONOTONIC);
        int r;

        st->escalated_usec = now;
        if (st->restart) {
                r = killer_kill_pinned(st->pidfds, st->pids, st->n_pinned, st->root_fd, st->unit_cgroup, &st->sigkill);
        } else {
                /* The xattrs first: PID 1 reads them on the unit's next memory.events change and then
                 * records Result=oom-kill, which it can only do before the SIGCHLDs set another result. */
                bool xattrs = killer_write_xattrs(st->root_fd, st->unit_cgroup,
                                                  st->n_pinned ? (unsigned) st->n_pinned : 1) >= 0;
                if (st->bus && !sd_bus_is_open(st->bus))
                        st->bus = sd_bus_unref(st->bus);
                if (st->bus) {
                        r = sd_bus_call_method_async(st->bus, NULL, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                                     "KillUnit", on_kill_unit_reply, NULL, "ssi", st->unit, "all", SIGKILL);
                        if (r < 0)
                                log_debug_errno(r, "Failed to send KillUnit for %s: %m; cgroup.kill follows anyway", st->unit);
                }
                r = killer_kill_cgroup_full(st->root_fd, st->unit_cgroup, false, false, &st->sigkill);
                if (r == -ENOENT)
                        r = 0;
                st->sigkill.xattrs_written = xattrs;
        }
        log_warning("Unit %s was still running %s after %s (ExecStop= or TimeoutStopSec= too slow for memory this short); "
                    "SIGKILLed %u of its processes%s. Shorten its ExecStop=, or raise the ruleset's stop_timeout if it "
                    "needs longer to stop cleanly",
                    st->unit, FORMAT_TIMESPAN(st->timeout_usec), st->restart ? "RestartUnit" : "StopUnit",
                    st->sigkill.n_killed, st->restart ? " (the old instance only)" : " (KillUnit + cgroup.kill)");
        if (r < 0)
                log_warning_errno(r, "Failed to SIGKILL what is left of unit %s (cgroup %s): %m", st->unit, st->unit_cgroup);
        if (st->sigkill.n_killed > 0 && st->res.n_killed == 0) {
                /* Nothing was pinned at the start (too many, or they raced us): the SIGKILLed ones stand for it. */
                memcpy(st->res.pids, st->sigkill.pids, sizeof st->res.pids);
                st->res.n_killed = st->sigkill.n_killed;
        }
        st->res.method = st->sigkill.method;
        unit_stop_rearm(st->deadline, now + STOP_KILL_GRACE_USEC);
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        UnitStop *st = userdata;

        if (unit_stop_gone(st, true)) {
                unit_stop_finish(st, 0);
                return 0;
        }
        if (!st->escalated_usec) {
                unit_stop_escalate(st);
                return 0;
        }
        st->res.still_running = true;
        log_warning("Unit %s (cgroup %s) still has processes %s after they were SIGKILLed: stuck in the kernel "
                    "(D state, e.g. on a hung NFS mount or a FUSE server)? Their memory is freed only when they exit; "
                    "'cat /proc/PID/stack' shows where they hang",
                    st->unit, st->unit_cgroup, FORMAT_TIMESPAN(STOP_KILL_GRACE_USEC));
        unit_stop_finish(st, 0);
        return 0;
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        UnitStop *st = userdata;

        if (unit_stop_gone(st, false))
                unit_stop_finish(st, 0);
        else
                unit_stop_rearm(st->poll, usec + st->poll_usec);
        return 0;
}

static UnitStop *find_by_job(UnitStopper *s, const char *job, const char *unit) {
        for (UnitStop *st = s->stops; st; st = st->next)
                if (st->job ? streq(st->job, job) : streq(st->unit, unit))
                        return st;
        return NULL;
}

/* JobRemoved(u id, o job, s unit, s result): the result says how systemd's side ended. */
static int on_job_removed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        UnitStopper *s = userdata;
        const char *job, *unit, *result;
        uint32_t id;

        if (sd_bus_message_read(msg, "uoss", &id, &job, &unit, &result) < 0)
                return 0;
        UnitStop *st = find_by_job(s, job, unit);
        if (!st)
                return 0;
        snprintf(st->res.job_result, sizeof st->res.job_result, "%s", result);
        log_debug("systemd's %s job %s for %s ended: %s", st->restart ? "restart" : "stop", job, unit, result);
        if (unit_stop_gone(st, false))
                unit_stop_finish(st, 0);
        return 0;
}

/* PID 1 refused or never answered: the victim takes the kill path now. */
static void unit_stop_fall_back(UnitStop *st, const char *why) {
        log_warning("systemd did not %s unit %s (%s); killing cgroup %s directly instead",
                    st->restart ? "restart" : "stop", st->unit, why, st->d.cgroup);
        KillResult res = {};
        int r = killer_kill_cgroup(st->root_fd, st->d.cgroup, false, &res);
        unit_stop_unlink(st);
        st->owner->done(&st->d, &res, r, st->owner->userdata);
        unit_stop_free(st);
}

static int on_job_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error);

/* StopUnit (RestartUnit) without waiting. The answer may take as long as the stop may: a thrashing
 * PID 1 can take seconds to answer, and the bus's default 2 s would take a stop that is under way
 * for a refusal and kill the unit's cgroup behind systemd's back (Restart= then restarts it). */
static int unit_stop_call(UnitStop *st, sd_bus *bus, const char *unit) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                               st->restart ? "RestartUnit" : "StopUnit");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", unit, "replace");
        if (r >= 0)
                r = sd_bus_call_async(bus, &st->call, m, on_job_reply, st, st->timeout_usec + STOP_KILL_GRACE_USEC);
        return r;
}

static int on_job_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UnitStop *st = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *job;

        st->call = sd_bus_slot_unref(st->call);
        if (e) {
                if (st->escalated_usec)
                        return 0; /* already SIGKILLed; the deadline finishes the record */
                char why[768];
                bool denied = sd_bus_error_has_names(e, SD_BUS_ERROR_ACCESS_DENIED,
                                                     "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired");
                snprintf(why, sizeof why, "%s: %s%s", e->name, strna(e->message),
                         denied ? "; PID 1 accepts unit stops from root without asking polkit: is pressured running "
                                  "as root? Otherwise allow it org.freedesktop.systemd1.manage-units in a polkit rule" : "");
                unit_stop_fall_back(st, why);
                return 0;
        }
        if (sd_bus_message_read(reply, "o", &job) >= 0) {
                free(st->job);
                st->job = strdup(job);
        }
        return 0;
}

/* On every connection to the system bus: follow PID 1's jobs. Subscribe makes PID 1 send them. */
static void on_bus_connected(sd_bus *bus, void *userdata) {
        UnitStopper *s = userdata;
        int r = sd_bus_match_signal_async(bus, NULL, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved",
                                          on_job_removed, NULL, s);
        if (r >= 0)
                r = sd_bus_call_method_async(bus, NULL, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe",
                                             NULL, NULL, "");
        if (r < 0)
                log_debug_errno(r, "Failed to subscribe to systemd's job signals: %m; unit stops are followed by "
                                "polling their cgroups alone");
}

int unit_stopper_new(sd_event *e, BusConnection *bus, UnitStopDone done, void *userdata, UnitStopper **ret) {
        UnitStopper *s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(e);
        s->bus = bus;
        s->done = done;
        s->userdata = userdata;
        if (bus) {
                int r = bus_connection_add_connect_hook(bus, on_bus_connected, s);
                if (r < 0) {
                        unit_stopper_free(s);
                        return r;
                }
        }
        *ret = s;
        return 0;
}

UnitStopper *unit_stopper_free(UnitStopper *s) {
        if (!s)
                return NULL;
        while (s->stops) {
                UnitStop *st = s->stops;
                s->stops = st->next;
                unit_stop_free(st);
        }
        sd_event_unref(s->event);
        free(s);
        return NULL;
}

/* True when `path` is `prefix` or below it. */
static bool path_covers(const char *prefix, const char *path) {
        size_t n = strlen(prefix);
        return strncmp(prefix, path, n) == 0 && (path[n] == 0 || path[n] == '/');
}

bool unit_stopper_busy(const UnitStopper *s, const char *cgroup) {
        for (const UnitStop *st = s ? s->stops : NULL; st; st = st->next)
                if (path_covers(st->unit_cgroup, cgroup) || path_covers(cgroup, st->unit_cgroup))
                        return true;
        return false;
}

/* Logs once that units are killed rather than stopped, and why. */
static void log_no_systemd(UnitStopper *s, const char *why) {
        if (s->no_systemd_logged)
                return;
        s->no_systemd_logged = true;
        log_notice("Victims inside systemd units are killed (cgroup.kill), not stopped through systemd: %s. "
                   "Rulesets with \"method\": \"stop\" or \"restart\" fall back to the kill path (logged once)", why);
}

UnitStopPath unit_stopper_eligible(const Decision *d, char *unit, size_t size, size_t *ret_cgroup_len) {
        if (d->method == UNIT_METHOD_KILL || d->dry_run || d->kind != TARGET_CGROUP || d->granularity_process)
                return UNIT_STOP_PATH_KILL;
        switch (unit_of_cgroup(d->cgroup, unit, size, ret_cgroup_len)) {
        case UNIT_OWNER_NONE:
                return UNIT_STOP_PATH_NO_UNIT;
        case UNIT_OWNER_USER:
                return UNIT_STOP_PATH_USER_UNIT;
        case UNIT_OWNER_SYSTEM:
                break;
        }
        return UNIT_STOP_PATH_STOP;
}

int unit_stopper_start(UnitStopper *s, int cgroup_root_fd, const Decision *d, usec_t poll_usec) {
        char unit[256] = "";
        size_t len = 0;
        int r;

        if (!s || cgroup_root_fd < 0)
                return 0;
        UnitStopPath path = unit_stopper_eligible(d, unit, sizeof unit, &len);
        if (path == UNIT_STOP_PATH_KILL)
                return 0;
        if (unit_stopper_busy(s, d->cgroup)) {
                log_debug("A stop covering cgroup %s is in flight; not starting another", d->cgroup);
                return -EALREADY;
        }
        if (path == UNIT_STOP_PATH_NO_UNIT) {
                log_debug("Cgroup %s is in no systemd unit; killing it", d->cgroup);
                return 0;
        }
        if (path == UNIT_STOP_PATH_USER_UNIT) {
                log_info("Cgroup %s is %s, a unit of a user's systemd (below user@UID.service) that PID 1 cannot stop; "
                         "killing it instead", d->cgroup, unit);
                return 0;
        }
        sd_bus *bus = bus_connection_get(s->bus);
        if (!bus) {
                log_no_systemd(s, s->bus ? "no connection to the system bus (retried every few seconds)"
                                         : "the D-Bus service is off (--no-bus)");
                return 0;
        }
        if (access(SYSTEMD_RUNTIME_DIR, F_OK) < 0) {
                log_no_systemd(s, "PID 1 is not systemd (no " SYSTEMD_RUNTIME_DIR ")");
                return 0;
        }

        UnitStop *st = calloc(1, sizeof *st);
        if (!st)
                return log_oom();
        st->owner = s;
        st->d = *d;
        st->d.cgroup = strdup(d->cgroup);
        st->ruleset = strdup(d->ruleset ? d->ruleset : "");
        st->d.ruleset = st->ruleset;
        st->unit_cgroup = strndup(d->cgroup, len);
        st->restart = d->method == UNIT_METHOD_RESTART;
        st->root_fd = cgroup_root_fd;
        st->bus = sd_bus_ref(bus);
        st->poll_usec = poll_usec ? poll_usec : STOP_POLL_DEFAULT_USEC;
        st->timeout_usec = d->stop_timeout_usec ? d->stop_timeout_usec : STOP_TIMEOUT_DEFAULT_USEC;
        snprintf(st->unit, sizeof st->unit, "%s", unit);
        if (!st->d.cgroup || !st->ruleset || !st->unit_cgroup) {
                unit_stop_free(st);
                return log_oom();
        }

        r = killer_pin_cgroup(cgroup_root_fd, st->unit_cgroup, st->pidfds, st->pids, ELEMENTSOF(st->pidfds));
        if (r < 0) {
                unit_stop_free(st);
                return r == -ENOENT ? 0 : r; /* gone: the kill path says so */
        }
        st->n_pinned = (size_t) r;
        st->res.n_killed = (unsigned) st->n_pinned;
        memcpy(st->res.pids, st->pids, (st->n_pinned < KILL_MAX_PIDS_RECORDED ? st->n_pinned : KILL_MAX_PIDS_RECORDED) * sizeof(pid_t));

        st->started_usec = now_usec(CLOCK_MONOTONIC);
        r = unit_stop_call(st, bus, unit);
        if (r >= 0)
                r = sd_event_add_time(s->event, &st->poll, CLOCK_MONOTONIC, st->started_usec + st->poll_usec, STOP_TIMER_ACCURACY_USEC, on_poll, st);
        if (r >= 0)
                r = sd_event_add_time(s->event, &st->deadline, CLOCK_MONOTONIC, st->started_usec + st->timeout_usec,
                                      STOP_TIMER_ACCURACY_USEC, on_deadline, st);
        if (r < 0) {
                log_warning_errno(r, "Failed to ask systemd to %s %s: %m; killing cgroup %s instead",
                                  st->restart ? "restart" : "stop", unit, d->cgroup);
                unit_stop_free(st);
                return 0;
        }
        (void) sd_event_source_set_description(st->poll, "unit-stop-poll");
        (void) sd_event_source_set_description(st->deadline, "unit-stop-deadline");
        /* A stop that runs out of time must be SIGKILLed on time, ahead of bus clients. */
        (void) sd_event_source_set_priority(st->deadline, SD_EVENT_PRIORITY_IMPORTANT);
        st->next = s->stops;
        s->stops = st;

        char mem[32];
        format_bytes(mem, sizeof mem, (double) d->memory);
        log_notice("%s unit %s (cgroup %s, %zu process%s, holding %s) through systemd, ruleset %s: %s. "
                   "Whatever is left after %s is SIGKILLed",
                   st->restart ? "Restarting" : "Stopping", unit, st->unit_cgroup, st->n_pinned,
                   st->n_pinned == 1 ? "" : "es", mem, st->ruleset, d->reason, FORMAT_TIMESPAN(st->timeout_usec));
        return 1;
}
