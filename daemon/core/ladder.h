/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The kill ladder as the manager runs it (README "The kill ladder"): the announcement (KillPending),
 * the pending kills that wait out their prekill_timeout and pre-kill hook, the stop through systemd
 * or the kill, and the record (Killed). manager_kill() is a command of the front ends (core/manager.h
 * includes this header); the rest is the core's.
 */

#include <stdbool.h>
#include <stdint.h>

#include "policy/engine.h"
#include "act/killer.h"

#include "core/manager_config.h"
#include "core/pending_kill.h"

/* Announces a fresh decision and either carries it out now or, with a prekill_timeout, makes it
 * pending (taking *d over). Returns true when the decision was handled here (pending, or a victim
 * already being dealt with); false when the caller must carry it out now (already announced). */
bool ladder_announce_or_defer(Manager *m, Decision *d, usec_t now);

/* Steps 2 to 5 for a decision already announced; returns as manager_kill(). */
int ladder_kill_announced(Manager *m, const Snapshot *snap, Decision *d, KillResult *res);

/* Tells the engine how a kill attempt that returned r went. */
void ladder_kill_outcome(Manager *m, const Decision *d, int r, usec_t now);

/* Each full sample: spares the targets that no longer meet their ruleset's criteria, and carries
 * out the kills whose wait is over. */
void ladder_check_pending(Manager *m, const Snapshot *snap, usec_t now);

/* Calls every pending kill off (KillCancelled, verdict stale), saying why. */
void ladder_cancel_all_pending(Manager *m, const char *why);

/* Forgets pending kill i without a word (shutdown). */
void ladder_drop_pending(Manager *m, size_t i);

/* The unit stopper's callback (UnitStopDone): a stop or restart through systemd is over. */
void ladder_on_unit_stop_done(const Decision *d, const KillResult *res, int error, void *userdata);

/* Carries out one decision: KillPending, then the ladder: the unit stopped or restarted through
 * systemd (d->method, asynchronous: the record and Killed follow when it is over), or the kill (or
 * the dry run) and at once the record and Killed. `snap` may be NULL unless d->granularity_process.
 * Returns 1 when a stop is under way, what the killer returned (0 or negative errno) otherwise, and
 * -EALREADY without doing anything when a stop covering d->cgroup is already in flight. */
int manager_kill(Manager *m, const Snapshot *snap, Decision *d, KillResult *res);
