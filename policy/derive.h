/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Per-sample derivation of growth and rates (pure; the monitor keeps the previous sample). */

#include "sample.h"

#define GROWTH_DECAY 4.0 /* average_usage = (avg*(d-1) + current)/d per sample, as Facebook oomd */
void derive_cgroup(CGroupSample *cur, const CGroupSample *prev, usec_t prev_time, usec_t now);
void derive_system(SystemSample *cur, const SystemSample *prev, usec_t prev_time, usec_t now);
