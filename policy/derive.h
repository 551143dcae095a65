/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Per-sample derivation of growth and rates (pure; the monitor keeps each cgroup's history). */

#include "sample.h"

#define GROWTH_DECAY 4.0 /* average_usage = (avg*(d-1) + current)/d per sample, as Facebook oomd */
/* pgscan seen moving over a span longer than this (the first read after quiet, a candidate read
 * rarely) moved at some moment in it, perhaps at its start: it is taken as moved then, not now, so
 * that a reclaim detector's "within the last N s" never counts an old scan as fresh. */
#define PGSCAN_EXACT_SPAN_USEC (5 * USEC_PER_SEC)

/* What derivation keeps of a cgroup between samples, field by field: samples that read different
 * fields (a whole sample, a detectors' sample without memory.current) share one history, and a
 * sample that does not read a field leaves what is derived from it as it was. Zeroed: no history. */
typedef struct CGroupHistory {
        uint64_t inode;           /* the cgroup it is of: another inode starts over */
        double average_usage;     /* decaying average over the samples that read memory.current */
        uint64_t pgscan;          /* memory.stat's pgscan at the last sample that read it ... */
        usec_t pgscan_usec;       /* ... and when */
        usec_t last_pgscan_usec;  /* last time pgscan moved */
        bool has_average, has_pgscan;
} CGroupHistory;

/* Derives cur's growth, rates and protection against *h, then records cur's fields in *h. */
void cgroup_history_derive(CGroupHistory *h, CGroupSample *cur, usec_t now);

/* The same against one previous sample (NULL: none) read at prev_time. */
void derive_cgroup(CGroupSample *cur, const CGroupSample *prev, usec_t prev_time, usec_t now);
void derive_system(SystemSample *cur, const SystemSample *prev, usec_t prev_time, usec_t now);
