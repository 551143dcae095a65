/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The candidates' back-off while the rulesets that fire find no victim (README "Sampling, and
 * quiet"). Reading every candidate costs the whole tree; a ruleset whose candidates are all omitted,
 * or gone, finds no victim sample after sample. So the candidates are read again after 2, 4, ... 2^STEPS
 * intervals (at most VICTIMLESS_REFRESH_MAX_USEC), and meanwhile a ruleset that fires needs no read of
 * them if a whole sample found it victimless within that back-off: one that stops and starts again under
 * a long stall (a system-wide rule on the edge of its threshold) is not news. Pure: no clock is read.
 *
 * What a whole sample found is forgotten, and the candidates read every interval again, when:
 *  - something is killed, or the engine fails (the caller resets it); a dry run's victim kills
 *    nothing, so it ends the back-off of the ruleset that chose it alone;
 *  - a ruleset fires that no whole sample of this stretch found victimless;
 *  - MemAvailable falls by a VICTIMLESS_MEM_DROP_DIVISOR-th of MemTotal since the stretch began
 *    (memory goes somewhere: a candidate may be growing);
 *  - the caller says so (the pressure moved to another cgroup, the policy was reloaded).
 * A ruleset found victimless counts as such for the back-off only, from the last whole sample that
 * found it so: a victim that appears meanwhile is found at most one back-off late, as while it fires on.
 */

#include <stdbool.h>
#include <stdint.h>

#include "policy/sample.h"

#define VICTIMLESS_BACKOFF_STEPS 6
#define VICTIMLESS_REFRESH_MAX_USEC (60 * USEC_PER_SEC)
#define VICTIMLESS_MEM_DROP_DIVISOR 16
#define VICTIMLESS_SLOTS 64
/* The candidates' periodic read takes at most a tenth of the time (victimless_within_duty()). */
#define CANDIDATES_DUTY_FACTOR 10 /* engine_fired_set()'s bits; its last stands for every ruleset from the 64th */

typedef struct Victimless {
        uint64_t found;                  /* the rulesets a whole sample of this stretch found victimless */
        usec_t seen[VICTIMLESS_SLOTS];   /* ... when last, per bit of `found` */
        unsigned streak;                 /* whole samples in a row that found no victim and nothing new firing */
        uint64_t mem_available;          /* MemAvailable when the streak began */
} Victimless;

/* Forget it all: the next whole sample is due every interval again. */
void victimless_reset(Victimless *v);

/* How long after the last whole sample the candidates are due again: `interval` while nothing is
 * victimless or since MemAvailable (mi) fell, else interval << streak, at most VICTIMLESS_REFRESH_MAX_USEC
 * (or `interval` where that is longer). */
usec_t victimless_refresh(const Victimless *v, usec_t interval, const MemInfo *mi);

/* MemAvailable (mi) fell by a VICTIMLESS_MEM_DROP_DIVISOR-th of MemTotal since the streak began. */
bool victimless_mem_fell(const Victimless *v, const MemInfo *mi);

/* `every` (victimless_refresh()'s), stretched so that the candidates' periodic read, which took
 * `last_read_cost` the last time, takes at most 1/CANDIDATES_DUTY_FACTOR of the time; never past
 * VICTIMLESS_REFRESH_MAX_USEC for that. A ruleset that fires, a pending kill and a client's request
 * still read them at once: 10,000 cgroups took 3.8 s in a slow guest, and read every 1 s interval they
 * left no time for anything else. */
usec_t victimless_within_duty(usec_t every, usec_t last_read_cost);

/* The rulesets (engine_fired_set() bits) that may fire at `now` without a read of the candidates:
 * found victimless less than `every` (victimless_refresh()) ago. */
uint64_t victimless_current(const Victimless *v, usec_t now, usec_t every);

/* After a whole sample at `now` (every candidate read) in which the engine chose no victim: `fired`,
 * the rulesets that fired. `every` is victimless_refresh()'s for this sample. A ruleset new to the
 * stretch, or a fall in MemAvailable, starts the streak again. */
void victimless_note_whole(Victimless *v, usec_t now, usec_t every, uint64_t fired, const MemInfo *mi);

/* A whole sample in which ruleset `ruleset_bit` (its engine_fired_set() bit) chose a victim: it is
 * not victimless. The others keep what was found (the engine looked for no victim of theirs after
 * it). After a kill, rather victimless_reset(): the candidates are no longer what they were. */
void victimless_note_victim(Victimless *v, uint64_t ruleset_bit);
