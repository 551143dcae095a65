/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What a ruleset will do, in one line of plain numbers, for the log at start and on reload:
 *   "kills the largest or fastest-growing process when MemAvailable < 5% (1.2G) and swap free < 10% (410M)"
 * An admin reads it to check that the policy says what was meant, before it ever fires.
 */

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"
#include "sample.h"

/* Writes the line for ruleset `rs` of policy `p` into buf (truncated to size, always terminated). Percents are shown with
 * the figure they stand for on this machine where `mi` is valid (mi may be NULL). `degraded`: the
 * daemon kills processes only, whatever the action's granularity and the ruleset's method. */
void ruleset_describe(const Policy *p, const Ruleset *rs, const MemInfo *mi, bool degraded, char *buf, size_t size);
