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

/* What the last evaluation measured, for the reason text. */
typedef struct DetectorObservation {
        const char *where;  /* the cgroup that counted ("/" = the system); borrowed from the sample */
        double value;       /* percent (pressure_*), bytes (memory, swap, MemAvailable) */
        double avg60;       /* pressure_rising_beyond */
        double limit;       /* the threshold, in value's unit */
        bool no_swap;       /* swap_free_below on a machine without swap */
} DetectorObservation;

typedef struct DetectorState {
        bool holding;       /* the condition has held continuously since `since` */
        usec_t since;
        bool has_prev;      /* pressure_rising_beyond: prev_avg10 is from the previous evaluation */
        double prev_avg10;
        DetectorObservation seen; /* valid until the next evaluation (borrows the sample) */
} DetectorState;

typedef enum DetectorVerdict {
        DETECTOR_QUIET,     /* condition false */
        DETECTOR_ARMING,    /* condition true, its duration not yet elapsed */
        DETECTOR_FIRED,     /* condition true for at least its duration */
} DetectorVerdict;

/* Evaluates one detector at s->now and advances its state. */
DetectorVerdict detector_evaluate(const Detector *d, DetectorState *st, const Snapshot *s);

/* Writes what the last evaluation saw ("memory full avg10 52.30% > 40% for 10s on /") into buf.
 * Returns the length it wanted, as snprintf. */
int detector_describe(const Detector *d, const DetectorState *st, char *buf, size_t size);

