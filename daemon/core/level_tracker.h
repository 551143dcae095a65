/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Pressure levels (ok, low, medium, critical) for the cgroups the daemon publishes and for the
 * whole system, and the tracker that turns each full sample into announcements: a cgroup appeared,
 * vanished, changed level (rate-limited), recovered. Pure logic over samples: the manager feeds it,
 * the bus and the control socket announce what it reports. The thresholds are the contract written
 * in dbus/org.pressured.oom1.Manager.xml.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/sample.h"

/* A cgroup's level from its memory.pressure, full avg10 (some avg10 where full is absent), percent. */
#define LEVEL_CGROUP_LOW_PERCENT 10.0
#define LEVEL_CGROUP_MEDIUM_PERCENT 20.0
#define LEVEL_CGROUP_CRITICAL_PERCENT 40.0
/* The system's level, measured as low-memory-monitor measures it (its triggers: some 70 ms, some
 * 100 ms, full 70 ms per 1 s window), over the last sampling window of /proc/pressure/memory. */
#define LEVEL_SYSTEM_LOW_SOME_PERCENT 7.0
#define LEVEL_SYSTEM_MEDIUM_SOME_PERCENT 10.0
#define LEVEL_SYSTEM_CRITICAL_FULL_PERCENT 7.0
/* A window shorter than this says nothing reliable about a stall fraction (counters tick in ~2 ms). */
#define LEVEL_SYSTEM_MIN_WINDOW_USEC (100 * USEC_PER_MSEC)
/* One level change per cgroup per this long; a change inside it is announced when it ends, if it holds. */
#define LEVEL_CHANGE_MIN_INTERVAL_USEC (2 * USEC_PER_SEC)
/* low-memory-monitor re-sends its warning this often while memory stays low. */
#define LEVEL_LMM_REPEAT_USEC (15 * USEC_PER_SEC)

typedef enum PressureLevel {
        PRESSURE_LEVEL_OK,
        PRESSURE_LEVEL_LOW,
        PRESSURE_LEVEL_MEDIUM,
        PRESSURE_LEVEL_CRITICAL,
        _PRESSURE_LEVEL_MAX,
        PRESSURE_LEVEL_UNKNOWN = -1,  /* the pressure was not read */
} PressureLevel;

/* "ok", "low", "medium", "critical"; "unknown" for PRESSURE_LEVEL_UNKNOWN. */
const char *pressure_level_to_string(PressureLevel l);

/* A cgroup's level; PRESSURE_LEVEL_UNKNOWN when neither line is valid. */
PressureLevel pressure_level_of_cgroup(const PsiStats *p);
/* The percent that decided it: full avg10, else some avg10; -1 when neither is valid. */
double pressure_percent_of_cgroup(const PsiStats *p);

/* The system's level from two readings of /proc/pressure/memory taken window_usec apart (the
 * stall the totals grew by, as a share of the window). PRESSURE_LEVEL_UNKNOWN when the lines are
 * not valid in both or the window is shorter than LEVEL_SYSTEM_MIN_WINDOW_USEC. */
PressureLevel pressure_level_of_system(const PsiStats *prev, const PsiStats *cur, usec_t window_usec);

/* org.freedesktop.LowMemoryMonitor's LowMemoryWarning byte: 0 (ok/unknown), 50, 100, 255. */
uint8_t pressure_level_to_lmm(PressureLevel l);

typedef enum LevelEventKind {
        LEVEL_EVENT_ADDED,      /* a cgroup is now published (level: its first level) */
        LEVEL_EVENT_REMOVED,    /* a published cgroup vanished or is no longer monitored */
        LEVEL_EVENT_CHANGED,    /* the announced level changed: level, previous */
        LEVEL_EVENT_RECOVERED,  /* back to ok after a higher level: worst, duration_usec */
        LEVEL_EVENT_LOW_MEMORY, /* system only: send LowMemoryWarning(pressure_level_to_lmm(level)) */
} LevelEventKind;

typedef struct LevelEvent {
        LevelEventKind kind;
        const char *path;          /* "/" for the system; valid during the callback only */
        PressureLevel level, previous, worst;
        double pressure;           /* percent behind `level`; -1 when unknown */
        usec_t duration_usec;      /* RECOVERED: since the level left ok */
} LevelEvent;

/* Called for each announcement, in path order, added before changed before removed. */
typedef void (*level_event_handler_t)(const LevelEvent *e, void *userdata);

/* One published cgroup, as the tracker knows it. */
typedef struct LevelEntry {
        char *path;
        uint64_t inode;                /* a recreated cgroup (new inode) is removed and added again */
        PressureLevel level;           /* the announced level */
        PressureLevel pending;         /* the measured level, announced when the rate limit allows */
        PressureLevel worst;           /* the highest level since it left ok */
        usec_t left_ok_usec;           /* when it left ok; 0 while ok */
        usec_t announced_usec;         /* the last level announcement */
        double pressure;               /* the last measured percent */
        uint64_t kill_count;           /* kills of this cgroup since the daemon started */
        const CGroupSample *sample;    /* the last sample of it; valid until the next update */
} LevelEntry;

typedef struct LevelTracker LevelTracker;

LevelTracker *level_tracker_new(void);
/* Accepts NULL, returns NULL. */
LevelTracker *level_tracker_free(LevelTracker *t);

/* Feeds the cgroups of one full sample (any order; the root "/" is skipped: the system stands
 * there). `samples` must stay valid until the next update: entries point into it. Announces
 * through cb. Returns 0, or -ENOMEM (the tracker is then unchanged). */
int level_tracker_update(LevelTracker *t, const CGroupSample *samples, size_t n, usec_t now,
                         level_event_handler_t cb, void *userdata);

/* Feeds the pressure of a few cgroups read between full samples (a partial sample): each that is
 * published, with the same inode, has its level measured and announced as a full sample would;
 * the others, and the published cgroups not among them, are left as they are (nothing is added or
 * removed, and each entry keeps pointing at its full sample). */
void level_tracker_measure(LevelTracker *t, const CGroupSample *samples, size_t n, usec_t now,
                           level_event_handler_t cb, void *userdata);

/* Feeds the system's measured level (PRESSURE_LEVEL_UNKNOWN: no news, nothing announced). Announces
 * CHANGED/RECOVERED with path "/" under the same rate limit, and LOW_MEMORY when the level rises
 * above ok, rises further, or stays above ok LEVEL_LMM_REPEAT_USEC after the last warning. */
void level_tracker_update_system(LevelTracker *t, PressureLevel measured, double pressure, usec_t now,
                                 level_event_handler_t cb, void *userdata);

/* The published cgroups, sorted by path (n in *ret_n). Valid until the next update. */
const LevelEntry *level_tracker_entries(const LevelTracker *t, size_t *ret_n);
/* The entry of `path`, or NULL (binary search). */
const LevelEntry *level_tracker_find(const LevelTracker *t, const char *path);
/* The system's announced level (PRESSURE_LEVEL_UNKNOWN before the first measurement). */
PressureLevel level_tracker_system_level(const LevelTracker *t);
/* True when the system and every published cgroup are at level ok (or unknown), measured and
 * announced: nothing is left to announce until pressure rises. */
bool level_tracker_calm(const LevelTracker *t);
/* Counts a kill of `path` (or of a process in it) against its entry, if published. Returns true if it was. */
bool level_tracker_count_kill(LevelTracker *t, const char *path);
