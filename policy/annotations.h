/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * systemd's slice and unit annotations for systemd-oomd (ManagedOOMMemoryPressure=,
 * ManagedOOMMemoryPressureLimit=, ManagedOOMSwap=) turned into pressured rulesets with
 * systemd-oomd's meaning, so that a host annotated for systemd-oomd is protected with no policy
 * file. The result is a policy document that the policy files merge over: a ruleset of the same
 * name in a policy file replaces the generated one, and "enabled": false in a drop-in removes it.
 * ManagedOOMPreference= needs nothing here: PID 1 writes it as the cgroup xattrs user.oomd_avoid and
 * user.oomd_omit, which the daemon already reads. Pure: the daemon reads the properties from PID 1.
 */

#include <stdbool.h>
#include <stddef.h>

#include "sample.h"

/* systemd-oomd's defaults (oomd.conf [OOM]), used where a unit sets no limit of its own. */
#define ANNOTATION_DEFAULT_PRESSURE_LIMIT_PERCENT 60.0   /* DefaultMemoryPressureLimit= */
#define ANNOTATION_PRESSURE_DURATION_USEC (30 * USEC_PER_SEC) /* DefaultMemoryPressureDurationSec=; per-unit only from systemd 257 */
#define ANNOTATION_RECLAIM_WINDOW_USEC (30 * USEC_PER_SEC)    /* a pressure kill also needs reclaim within this long */
#define ANNOTATION_SWAP_USED_LIMIT_PERCENT 90.0          /* SwapUsedLimit=: acts when RAM and swap are both this full */

/* Where generated rulesets come from, as their names show it: "systemd-<unit>-memory-pressure",
 * "systemd-<unit>-swap", with characters a ruleset name cannot hold ('@', '\\') as '_'. */
#define ANNOTATION_RULESET_PREFIX "systemd-"

typedef struct UnitAnnotation {
        const char *unit;                  /* "user@1000.service" */
        const char *cgroup;                /* its control group, "/user.slice/user-1000.slice/user@1000.service" */
        bool memory_pressure_kill;         /* ManagedOOMMemoryPressure=kill */
        double memory_pressure_limit;      /* ManagedOOMMemoryPressureLimit= in percent; 0: the default */
        bool swap_kill;                    /* ManagedOOMSwap=kill */
} UnitAnnotation;

/* The rulesets for `n` annotated units, as a policy document (JSON text, caller frees): one
 * "memory-pressure" ruleset per unit with ManagedOOMMemoryPressure=kill, one "swap" ruleset per unit
 * with ManagedOOMSwap=kill when the machine has swap (systemd-oomd's swap rule never acts without
 * it). Units with neither are skipped; with none left the document has an empty "rulesets" array.
 * Returns NULL when out of memory or when a unit has no cgroup. */
char *annotations_to_policy_json(const UnitAnnotation *a, size_t n, bool have_swap);

/* ManagedOOMMemoryPressureLimit= as PID 1's D-Bus property carries it (u, 2^32-1 = 100%) in percent. */
double annotation_limit_from_bus(uint32_t scaled);
