/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Filling a decision for a ruleset that fired (decide.c). Internal to policy/: engine_evaluate()
 * is its one caller.
 */

#include <stddef.h>

#include "decision.h"
#include "detector.h"

/* How much of Decision.reason the detectors and the ranking may fill: the rest is for the escalation. */
#define REASON_DECISION_MAX 320

/* What fired, for the reason text: "memory full avg10 52.30% > 40% for 10s on /" and the others of
 * the group, from each detector's last observation. */
void describe_group(const DetectorGroup *g, const DetectorState *states, char *buf, size_t size);

/* Runs action `ai` of ruleset `ri` on the sample: 1 with *ret filled (its reason: `why`, then how the
 * victim was chosen), 0 when it finds no victim, negative errno on error. */
int action_decide(const Policy *p, const Snapshot *s, size_t ri, size_t ai, const char *why, Decision *ret);
