/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A kill that waits: step 1 of the ladder, held by the manager (core/ladder.c) and shown by status.
 */

#include <stdbool.h>
#include <stdint.h>

#include "policy/engine.h"

/* Step 1 of the ladder: a decision waiting out its action's prekill_timeout (README "The kill
 * ladder"). At most one per ruleset (the engine holds the ruleset meanwhile) and one per victim. */
typedef struct PendingKill {
        Decision decision;          /* owned; its ruleset name is borrowed from the running policy */
        usec_t since;               /* CLOCK_MONOTONIC: when KillPending went out */
        usec_t deadline;            /* the kill goes ahead then, unless the target was spared */
        uint64_t hook_id;           /* the pre-kill hook's run (hook_runner), 0 when there is none */
        bool hook_exited;           /* the hook is over: the next sample decides at once */
} PendingKill;
