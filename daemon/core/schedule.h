/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * When the manager samples next, and whether it may go quiet (README "Cost"): pure functions over
 * the figures the manager gathers into a ScheduleInputs. No clock is read and nothing is changed
 * here, so the arithmetic can be tested with made-up figures.
 */

#include <stdbool.h>
#include <stddef.h>

#include "policy/engine.h"
#include "policy/sample.h"
#include "core/pending_kill.h"

/* After a PSI trigger fires, keep sampling at the normal interval this long even if memory looks fine. */
#define TRIGGER_HOLD_USEC (10 * USEC_PER_SEC)
/* With PSI triggers armed and this much memory available, nothing can surprise us between samples
 * faster than the trigger would report it, so sampling slows down by QUIET_INTERVAL_FACTOR. */
#define QUIET_MEM_AVAILABLE_PERMYRIAD 2000
#define QUIET_INTERVAL_FACTOR 4
#define QUIET_INTERVAL_MAX_USEC (10 * USEC_PER_SEC)
/* The fastest a process is assumed to allocate, and swap to fill (earlyoom's 6000 and 800 MiB/s). */
#define MAX_ALLOC_BYTES_PER_SEC (6000.0 * 1024 * 1024)
#define MAX_SWAP_FILL_BYTES_PER_SEC (800.0 * 1024 * 1024)
/* While quiet, the detectors are still evaluated this often, a belt to the guards' braces: their
 * files alone are read (the detectors' sample), and a ruleset that fires reads the rest at once.
 * The candidates' figures (status, the published cgroups) are refreshed when a client asks. */
#define QUIET_REFRESH_USEC (60 * USEC_PER_SEC)
/* While quiet, /proc/meminfo is looked at no more often than this (earlyoom's shortest sleep), even
 * where the fastest allocator could close the gap to the floors sooner: a small machine, or one
 * whose MemAvailable is low but steady, stays quiet and looks this often. */
#define QUIET_MIN_WAKE_USEC (100 * USEC_PER_MSEC)
/* Quiet ends when MemAvailable (SwapFree) is down to this many times a floor a rule relies on, so
 * that the candidates' growth is measured for a while before that rule can fire. */
#define QUIET_FLOOR_MARGIN 2

/* What the schedule is decided from, as of one moment. */
typedef struct ScheduleInputs {
        usec_t now;                   /* CLOCK_MONOTONIC */
        usec_t interval_usec;         /* the policy's interval */
        usec_t fast_interval_usec;    /* ... and fast_interval */
        bool quiet;                   /* the manager is quiet now */
        usec_t last_sample_usec;      /* the last whole sample */
        const PendingKill *pending;   /* the kills waiting out their prekill_timeout (their deadlines) */
        size_t n_pending;
        bool arming;                  /* a detector is arming (engine_arming) */
        bool triggers_armed;          /* PSI triggers work and at least one is armed */
        usec_t last_trigger_usec;     /* when one last fired; 0: never */
        MemInfo meminfo;              /* the last /proc/meminfo read */
        bool levels_calm;             /* every published level is ok (level_tracker_calm) */
        bool guarded;                 /* engine_guarded() with guard_percent() */
        bool guard_armed;             /* the system trigger is armed */
        EngineGuard guard;            /* the floors engine_guarded() filled */
} ScheduleInputs;

/* The system trigger's "some" stall as a percent of its window, what engine_guarded() compares the
 * detectors with; 0 when it is not armed. */
double schedule_guard_percent(bool guard_armed, usec_t guard_stall_usec);

/* How long the fastest allocator (swap filler) would take to bring MemAvailable (SwapFree) down to
 * QUIET_FLOOR_MARGIN times the floors in g. A gap already closed (or unknown) is 0: quiet is over.
 * USEC_INFINITY when no floor is relied on. */
usec_t schedule_quiet_runway(const EngineGuard *g, const MemInfo *mi);

/* While quiet: the sample timer's next firing, quiet's periodic whole sample (QUIET_REFRESH_USEC
 * after the last). */
usec_t schedule_quiet_wake(const ScheduleInputs *in);

/* While quiet: the delay to the next look at /proc/meminfo, the runway within QUIET_MIN_WAKE_USEC
 * and QUIET_REFRESH_USEC. */
usec_t schedule_quiet_look_delay(const ScheduleInputs *in);

/* Why the manager may not go quiet, or NULL when it may. A static string. */
const char *schedule_not_quiet_reason(const ScheduleInputs *in);

/* How long until the next sample. Fast while a detector is arming. Otherwise never longer than
 * the time the fastest allocator could take to eat what is left of MemAvailable (earlyoom's
 * reasoning: a hog can outrun a fixed 1 s poll on a small machine), and within that, slow while
 * PSI triggers stand guard over plentiful memory, the policy's interval otherwise. */
usec_t schedule_next_interval(const ScheduleInputs *in);
