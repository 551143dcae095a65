/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Step 2 of the kill ladder (README "The kill ladder"): a victim inside a unit of PID 1 is stopped (or
 * restarted) by systemd, so that ExecStop=, Restart= and the unit's state stay systemd's business.
 *
 *   StopUnit(unit, "replace") / RestartUnit  ->  JobRemoved for that job, and the unit's cgroup
 *   polled until empty (restart: until the processes it had are gone)  ->  at stop_timeout, if
 *   anything is left, KillUnit(unit, "all", SIGKILL) and at once cgroup.kill (restart: SIGKILL to
 *   the old processes only, so the new instance lives)  ->  the record, STOP_KILL_GRACE_USEC later
 *   at the latest.
 *
 * Everything is asynchronous: one sd-bus call slot, a poll timer and a deadline timer per stop.
 * The unit is found by name from the cgroup path (unit_of_cgroup()); PID 1's answer is the check:
 * a NoSuchUnit or any other error sends the victim down the kill path at once.
 */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "policy/engine.h"
#include "systemd/bus_connection.h"
#include "act/killer.h"

/* After the SIGKILL that ends a stop that ran out of time, how long the record waits for the
 * cgroup to empty. SIGKILLed processes go within milliseconds unless stuck in the kernel (D state);
 * the bound is stop_timeout + 1 s. */
#define STOP_KILL_GRACE_USEC (1 * USEC_PER_SEC)

/* How often the unit's cgroup.events is read while a stop is in flight, when the caller passes 0
 * (it passes the policy's fast_interval). */
#define STOP_POLL_DEFAULT_USEC (100 * USEC_PER_MSEC)

/* The most processes of one unit pinned with pidfds when its stop begins (for the record, and for a
 * restart: the processes that must go). More are stopped just the same, but not listed. */
#define STOP_MAX_PINNED_PIDS 256u

typedef struct UnitStopper UnitStopper;

/* Called once per stop, when it is over: the victim is gone, or the last step is done. `d` and `res`
 * are borrowed for the call; error is 0 or the negative errno of the last step that failed. */
typedef void (*UnitStopDone)(const Decision *d, const KillResult *res, int error, void *userdata);

/* A stopper on event loop e, calling PID 1 over bus (may be NULL: every victim takes the kill path). */
int unit_stopper_new(sd_event *e, BusConnection *bus, UnitStopDone done, void *userdata, UnitStopper **ret);
/* Cancels stops in flight (their records are not written). Accepts NULL, returns NULL. */
UnitStopper *unit_stopper_free(UnitStopper *s);

/* Which path a decision takes, as far as the decision and its cgroup's name say (the bus, PID 1 and
 * stops in flight decide the rest in unit_stopper_start()). */
typedef enum UnitStopPath {
        UNIT_STOP_PATH_KILL,      /* method kill, a dry run, a process victim: the kill path */
        UNIT_STOP_PATH_NO_UNIT,   /* the cgroup is in no systemd unit: the kill path */
        UNIT_STOP_PATH_USER_UNIT, /* a unit of a user's systemd, which PID 1 cannot stop: the kill path */
        UNIT_STOP_PATH_STOP,      /* a unit of PID 1: stop or restart it */
} UnitStopPath;

/* Classifies decision d; for the last three the unit's name goes to unit (size bytes) and the length
 * of the unit's cgroup (a prefix of d->cgroup) to *ret_cgroup_len. Pure: no bus, no cgroupfs. */
UnitStopPath unit_stopper_eligible(const Decision *d, char *unit, size_t size, size_t *ret_cgroup_len);

/* Starts step 2 for decision d (copied). Returns 1 when the stop or restart is under way (the record
 * comes through `done` later), 0 when the victim must take the kill path now (method kill, no unit,
 * a unit of a user manager, no bus: logged, the last once), -EALREADY when a stop covering this cgroup
 * is already in flight (nothing must be done). cgroup_root_fd is borrowed and must outlive the stopper. */
int unit_stopper_start(UnitStopper *s, int cgroup_root_fd, const Decision *d, usec_t poll_usec);

/* True while a stop or restart covering `cgroup` (the unit's cgroup or one below it) is in flight. */
bool unit_stopper_busy(const UnitStopper *s, const char *cgroup);

static inline void unit_stopper_freep(UnitStopper **s) {
        unit_stopper_free(*s);
}
