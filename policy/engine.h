/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The decision engine: samples in, at most one kill decision out. Pure logic with an injected
 * clock (Snapshot.now), so every detector, ranker and the kill list is tested with synthetic samples.
 */

#include <stdbool.h>

#include "decision.h"
#include "derive.h"
#include "pick.h"
#include "policy.h"
#include "sample.h"

#define USEC_INFINITY UINT64_MAX


/* How much one kill ends: one process, the whole cgroup, or the cgroup's systemd unit (StopUnit,
 * which systemd does not undo with Restart=). Escalation climbs this ladder when a victim comes back. */
typedef enum KillScope { KILL_SCOPE_PROCESS, KILL_SCOPE_CGROUP, KILL_SCOPE_UNIT } KillScope;
KillScope decision_scope(const Decision *d);
const char *kill_scope_to_string(KillScope s);

/* Within an incident, another victim than the last must hold at least 1/AFTERMATH_RATIO of what the
 * last one held: less cannot be what keeps the pressure up after a large kill (incident_allows). */
#define AFTERMATH_RATIO 4
/* An incident is over when its ruleset has not fired for this long after its last victim was gone:
 * the kill count per incident starts again, and so does escalation. */
#define INCIDENT_CALM_USEC (30 * USEC_PER_SEC)
/* A kill in flight that never reports its victim gone (a lost stop) stops holding others back this
 * long after its stop_timeout. */
#define IN_FLIGHT_GRACE_USEC (5 * USEC_PER_SEC)

typedef struct Engine Engine;

/* A new engine for this policy (borrowed: it must outlive the engine or be replaced first). */
int engine_new(const Policy *p, Engine **ret);
Engine *engine_free(Engine *e);

/* Swaps in a new policy (after a reload); detector timers and delays restart. */
int engine_set_policy(Engine *e, const Policy *p);

/* Evaluates all rulesets against one sample. Returns 1 with *ret filled when something must die,
 * 0 when nothing must, negative errno on error. Detector timers advance with s->now. */
int engine_evaluate(Engine *e, const Snapshot *s, Decision *ret);

/* The cgroups a partial sample reads (Snapshot.partial): for each detector that reads cgroups,
 * its named sources when it has no glob (detector_sources_exact: all of them, holding or not), else
 * the source that met its condition at the last evaluation (borrowed from the policy and that
 * evaluation's snapshot: copy them before either is freed). 0 when some detector with a glob needs
 * every source: its condition did not hold, it is of a kind that follows one source or counts them
 * (detector_partial_ok), more
 * than `max` would be needed, a kill is in flight, or a release is recent enough to cut a source's
 * figures (RELEASE_KEEP_USEC). An evaluation on such a partial snapshot either proves every one of
 * those conditions again, and fires exactly as on the whole tree, or returns -EAGAIN. It decides
 * nothing on such a snapshot (it holds few of the candidates): a ruleset that fires there is in
 * engine_fired_set(), and the caller evaluates the whole tree at the same time to decide. */
size_t engine_partial_sources(const Engine *e, usec_t now, const char **paths, size_t max);

/* Tells the engine the decision came to nothing (spared by the pre-kill recheck, cancelled: delay
 * false) or was tried without killing (failed, a dry run: delay true). Releases a hold on its ruleset
 * either way, and starts the ruleset's post-action delay when `delay`. */
void engine_action_done(Engine *e, const Decision *d, bool delay, usec_t now);

/* The decision's kill has begun (a stop in flight, or a kill just done): it counts in its ruleset's
 * incident, and until engine_victim_gone() its ruleset and every ruleset whose detectors watch the
 * victim, a cgroup above it or below it, or the whole system decide nothing (their detectors keep
 * advancing). Works for a manual decision too (no ruleset). Returns 0 or -ENOMEM (then nothing waits). */
int engine_action_started(Engine *e, const Decision *d, usec_t now);

/* The decision's victim is gone (its cgroup empty, its process exited): the rulesets held for it go
 * on, its ruleset's post-action delay starts now, and pressure at every source that holds the victim
 * or lies within it counts only stall from now on (a duration that began before starts again). */
void engine_victim_gone(Engine *e, const Decision *d, usec_t now);

/* Copies into buf a sentence for the log that the engine wants said once (a ruleset reached its
 * kill bound) and returns true; false when there is none. */
bool engine_take_notice(Engine *e, char *buf, size_t size);

/* Holds the decision's ruleset while the decision waits out its prekill_timeout: its detectors keep
 * advancing in engine_evaluate, but it decides nothing (and does not count for engine_fired) until
 * engine_action_done() is called for the decision (killed or not), which releases it. A decision made
 * under a policy since replaced is ignored. Holding a held ruleset again is harmless. */
void engine_hold(Engine *e, const Decision *d);

/* True while the ruleset of index ri is held (see engine_hold). */
bool engine_held(const Engine *e, size_t ruleset_index);

typedef enum PrekillVerdict {
        PREKILL_VERDICT_STANDS,        /* a detector group of its ruleset still fires and its action still picks the same victim */
        PREKILL_VERDICT_QUIET,         /* no detector group of the ruleset fires any more (the pressure or the size is gone) */
        PREKILL_VERDICT_OTHER_VICTIM,  /* the ruleset still fires but its action now picks another victim, or none: the target fell below its criteria */
        PREKILL_VERDICT_GONE,          /* the victim is not in the sample any more (cgroup path+inode, or pid+start_time) */
        PREKILL_VERDICT_STALE,         /* the decision was made under a policy since replaced */
        _PREKILL_VERDICT_MAX,
} PrekillVerdict;

/* Whether a held decision still stands on this sample, as of the engine_evaluate() just run on the
 * same snapshot (which must be a full sample: candidates read; on a detectors-only sample the victim
 * is missing and the verdict is GONE). Checked in this order: stale, gone, quiet, other-victim,
 * stands. Fills why (if non-NULL, size > 0) with one sentence for the log, naming the victim's
 * memory then and now, e.g. "its memory went from 512M to 96M and ruleset hog-size no longer fires"
 * or "its memory went from 512M to 180M; ruleset hog-size still fires but now picks
 * /test.slice/b.service (largest of 2 candidates by size_or_growth, phase 1)". Pure: does not change
 * the engine. A NULL engine, snapshot or decision, or a manual decision (no ruleset), is
 * PREKILL_VERDICT_STALE. When the action cannot be rerun (out of memory) the decision STANDS. */
PrekillVerdict engine_recheck(const Engine *e, const Snapshot *s, const Decision *d, char *why, size_t size);

/* "stands", "quiet", "other-victim", "gone", "stale"; NULL when out of range. */
const char *prekill_verdict_to_string(PrekillVerdict v);

/* True while some detector's condition holds but its duration has not run out yet. */
bool engine_arming(const Engine *e);

/* What keeps a quiet policy quiet between samples (engine_guarded). */
typedef struct EngineGuard {
        uint64_t mem_available_floor; /* bytes: the largest mem_available_below limit a group relies on; 0 for none */
        uint64_t swap_free_floor;     /* bytes: the largest swap_free_below limit a group relies on; 0 for none */
} EngineGuard;

/* True when, as of the last evaluation, no ruleset can fire before either the system's memory
 * stalls or its free memory runs down, so the caller may stop sampling until one of those happens.
 * That holds when no ruleset is held and every detector group of every ruleset has a detector that
 * was quiet and is one of:
 *  - a memory pressure detector (pressure_above, pressure_rising_beyond) whose threshold is at
 *    least twice `trigger_some_percent` (> 0; pass 0 when no PSI trigger stands guard): a trigger on
 *    the system's "some" stall at that level fires first, because no cgroup stalls more than the
 *    system does "some" (full included), and every avg10/60/300 is a running mean of such stalls;
 *  - mem_available_below or swap_free_below: the caller must look at MemAvailable (SwapFree) again
 *    before it can fall to the floor in *ret (the largest such limit a group relies on).
 * Pressure detectors are preferred as guards, then MemAvailable, then swap. Pure. *ret is zeroed
 * first and may be NULL. */
bool engine_guarded(const Engine *e, double trigger_some_percent, EngineGuard *ret);

/* True when, at the last evaluation, a ruleset out of its post-action delay fired, whether or not
 * a victim was found: a sample read for detectors only must then be read again with candidates. */
bool engine_fired(const Engine *e);

/* The rulesets that fired at the last evaluation as engine_fired() counts them, a bit per ruleset
 * index (the 64th and later share the last bit). A caller that read every candidate and found no
 * victim for these need not read them all again until a ruleset outside the set fires. */
uint64_t engine_fired_set(const Engine *e);

/* Ruleset `ruleset_index`'s bit in engine_fired_set(). */
static inline uint64_t engine_ruleset_bit(size_t ruleset_index) {
        return UINT64_C(1) << (ruleset_index < 63 ? ruleset_index : 63);
}

/* Whether a detector group of ruleset `ruleset_index` fired at the last evaluation, its post-action
 * delay, hold and kill bound aside: what "oomctl status" shows as firing. */
bool engine_ruleset_firing(const Engine *e, size_t ruleset_index);

void decision_clear(Decision *d);
