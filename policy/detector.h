/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * One detector against one sample, with the little state it keeps between samples (when its
 * condition started to hold; the previous avg10 for pressure_rising_beyond). Internal to policy/.
 */

#include <stdbool.h>
#include <stddef.h>

#include "format.h"
#include "policy.h"
#include "sample.h"

/* A victim gone at `at`: pressure at a source that holds it, or lies within it, counts only from then. */
typedef struct Release {
        char *cgroup;  /* the victim's cgroup path (a process victim: its cgroup) */
        usec_t at;
} Release;

/* Sixteen releases within RELEASE_KEEP_USEC are a kill storm already; the oldest gives way. */
#define RELEASES_MAX 16
/* The longest a release matters: three avg300 time constants (an exact window is at most 10 min). */
#define RELEASE_KEEP_USEC (900 * USEC_PER_SEC)

typedef struct ReleaseLog {
        Release items[RELEASES_MAX];
        size_t n;
} ReleaseLog;

/* Records a release (the cgroup is copied); drops releases older than RELEASE_KEEP_USEC. -ENOMEM. */
int release_log_add(ReleaseLog *l, const char *cgroup, usec_t at);
void release_log_clear(ReleaseLog *l);
/* The latest release that bears on pressure measured at `source` ("/" = the system); 0 for none. */
usec_t release_log_floor(const ReleaseLog *l, const char *source);

/* One source's PSI "total" counter at one sample. */
typedef struct PsiPoint {
        usec_t t;
        uint64_t total; /* microseconds stalled since boot */
} PsiPoint;

/* Points kept per source: spaced a sixteenth of the window apart, they span 1.4 windows. */
#define PSI_HISTORY_POINTS 24
/* The shortest span an exact figure is computed over: shorter, one sample's jitter is the figure. */
#define PSI_EXACT_MIN_SPAN_USEC (1 * USEC_PER_SEC)
/* A source not seen for this long (a removed cgroup) is forgotten. */
#define PSI_HISTORY_FORGET_USEC (600 * USEC_PER_SEC)

/* What a pressure detector remembers of one source, to measure exact windows and the stall since a release. */
typedef struct PsiHistory {
        uint64_t id;            /* cgroup inode; 0 = the system */
        usec_t seen;            /* the last evaluation that found it */
        usec_t floor;           /* the release this history starts after (0 = none) */
        PsiPoint points[PSI_HISTORY_POINTS]; /* a ring, oldest at `first` */
        unsigned first, n;
} PsiHistory;

/* What the last evaluation measured, for the reason text. */
typedef struct DetectorObservation {
        const char *where;  /* the cgroup that counted ("/" = the system); borrowed from the sample */
        double value;       /* percent (pressure_*), bytes (memory, swap, MemAvailable) */
        double avg60;       /* pressure_rising_beyond */
        double limit;       /* the threshold, in value's unit */
        bool no_swap;       /* swap_free_below on a machine without swap */
        usec_t floor;       /* the latest release that bore on a source: stall before it was not counted */
} DetectorObservation;

typedef struct DetectorState {
        bool condition;     /* the condition held at the last evaluation that could tell */
        bool holding;       /* the condition has held continuously since `since` */
        usec_t since;
        bool has_prev;      /* pressure_rising_beyond: prev_avg10 is from the previous evaluation */
        double prev_avg10;
        DetectorObservation seen; /* valid until the next evaluation (borrows the sample) */
        PsiHistory *hist;   /* pressure detectors: per source, sorted by id */
        size_t n_hist, cap_hist;
} DetectorState;

/* Frees what the state owns and zeroes it. */
void detector_state_clear(DetectorState *st);

typedef enum DetectorVerdict {
        DETECTOR_QUIET,     /* condition false */
        DETECTOR_ARMING,    /* condition true, its duration not yet elapsed */
        DETECTOR_FIRED,     /* condition true for at least its duration */
        DETECTOR_UNKNOWN,   /* a partial snapshot cannot tell (Snapshot.partial); the state is as it was */
} DetectorVerdict;

/* Whether the detector reads cgroups other than the root (its sources, or a reclaim detector's). */
bool detector_reads_cgroups(const Detector *d);

/* Whether the detector's sources are named cgroups, no glob among them (a memory_reclaim detector on
 * every child of P reads P alone): a snapshot that holds them all holds every source it has, and it
 * tells there whether the condition holds or not, whichever kind of detector it is. */
bool detector_sources_exact(const Detector *d);

/* The patterns a detector reads cgroups through: its cgroups, or where a memory_reclaim detector
 * reads pgscan. */
const PatternList *detector_sources(const Detector *d);

/* Whether a partial snapshot can prove the detector's condition: it holds when some source meets it
 * (pressure_above, memory_above, memory_reclaim), so the sources that met it last time, met again,
 * prove it whatever the others read. pressure_rising_beyond follows the one highest source and
 * exists counts the matches: they need every source. */
bool detector_partial_ok(const Detector *d);

/* Evaluates one detector at s->now and advances its state. On a partial snapshot (s->partial) a
 * detector that reads cgroups and whose condition the sources read do not meet returns
 * DETECTOR_UNKNOWN with its state as it was. Pressure and reclaim count only what
 * happened after the releases in `rl` that bear on their sources (may be NULL), and a duration that
 * began before such a release begins again. */
DetectorVerdict detector_evaluate(const Detector *d, DetectorState *st, const Snapshot *s, const ReleaseLog *rl);

/* Writes what the last evaluation saw ("memory full avg10 52.30% > 40% for 10s on /") into buf.
 * Returns the length it wanted, as snprintf. */
int detector_describe(const Detector *d, const DetectorState *st, char *buf, size_t size);

