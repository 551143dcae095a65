/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What a sample reads and what it feeds: the cgroups and processes the policy needs, the system
 * figures' read errors, the PSI triggers armed on the files the rules watch, and the LevelTracker
 * whose announcements become PressureChanged, PressureRecovered, LowMemoryWarning and the D-Bus
 * objects' comings and goings. manager_sample() (manager.c) runs them in order.
 */

#include <stdbool.h>

#include "policy/engine.h"

typedef struct Manager Manager;

/* Collects, once per policy, the memory-pressure detectors that triggers can serve, and the system
 * trigger's setting. */
int sampler_plan_triggers(Manager *m);

/* Keeps one PSI trigger on every pressure file the rules watch and on the system's. */
void sampler_update_triggers(Manager *m, const Snapshot *snap);

/* Logs a failure to read system figures (r < 0, err saying what) once, and again only when it
 * changes or clears. */
void sampler_note_system_error(Manager *m, int r, const char *err);

/* Reads the cgroups (and processes) a sample needs: all the policy reads when `full`, else what
 * the detectors read, and for quiet's periodic sample (`refresh`) only what can guard them. */
void sampler_read_cgroups(Manager *m, bool full, bool refresh, Snapshot *snap);

/* Reads, for the detectors alone, the cgroups in m->partial_paths and no other (Snapshot.partial):
 * its cost does not grow with the tree. -ENOENT when one of them is no longer known: read them all. */
int sampler_read_partial(Manager *m, Snapshot *snap);

/* Keeps what the next detectors' sample may read alone (engine_partial_sources), after an evaluation
 * on `snap`, whose paths the engine borrows; none after a failed one (ok false). */
void sampler_note_partial(Manager *m, const Snapshot *snap, bool ok);

/* Measures the published levels of the cgroups a partial sample read (level_tracker_measure): the
 * cgroup under pressure keeps its PressureChanged announcements current between full samples. */
void sampler_measure_partial(Manager *m, const Snapshot *snap);

/* Forgets the cgroups of the last full sample. */
void sampler_free_last_cgroups(Manager *m);

/* Feeds the tracker (the cgroups of a full sample, the system's level) and publishes what it
 * announced. */
void sampler_update_levels(Manager *m, bool full, usec_t now);
