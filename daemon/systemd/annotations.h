/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Reads systemd's annotations for systemd-oomd (ManagedOOMMemoryPressure=, ManagedOOMMemoryPressureLimit=,
 * ManagedOOMSwap= on slices, services and scopes) from PID 1 over the system bus, and keeps them
 * current from PID 1's signals (a unit appearing or going, a daemon-reload) and by reading the
 * annotated units again every ANNOTATIONS_RESCAN_USEC and every unit every ANNOTATIONS_FULL_RESCAN_USEC
 * (`systemctl set-property` sends no signal).
 * The result is a policy document (policy/annotations.h) that the manager merges under the policy
 * files. Everything is asynchronous: a slow PID 1 delays the annotations, never the event loop.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

/* PID 1 sends a burst of PropertiesChanged while units start and stop; re-reading waits this long
 * for the burst to end, so a boot or a big `systemctl restart` costs one pass, not hundreds. */
#define ANNOTATIONS_SETTLE_USEC (500 * USEC_PER_MSEC)

/* PID 1 sends no signal when `systemctl set-property` changes a ManagedOOM*= setting (it tells only
 * systemd-oomd, over a varlink socket reserved to it), so the annotated units are read again this often. */
#define ANNOTATIONS_RESCAN_USEC (30 * USEC_PER_SEC)
/* A unit that becomes annotated through `systemctl set-property` alone is found by reading every
 * unit again this often (through the same queue, so PID 1 is never flooded). */
#define ANNOTATIONS_FULL_RESCAN_USEC (300 * USEC_PER_SEC)
/* Reads of unit settings in flight at once: enough to keep PID 1 busy, few enough that systemctl
 * requests are served between them. */
#define ANNOTATIONS_MAX_IN_FLIGHT 2u
/* How long a call to PID 1 may take: at boot, or on a slow machine, PID 1 answers hundreds of calls. */
#define ANNOTATIONS_CALL_TIMEOUT_USEC (30 * USEC_PER_SEC)

/* One unit whose ManagedOOMMemoryPressure= or ManagedOOMSwap= is "kill", as PID 1 reported it. */
typedef struct AnnotatedUnit {
        char *unit;                        /* "user@1000.service" */
        char *cgroup;                      /* its control group */
        bool memory_pressure_kill;         /* ManagedOOMMemoryPressure=kill */
        double memory_pressure_limit;      /* ManagedOOMMemoryPressureLimit= in percent; 0: systemd-oomd's default */
        bool swap_kill;                    /* ManagedOOMSwap=kill */
} AnnotatedUnit;

/* The set of annotated units (units[*n], any order, owned strings), merged one unit at a time as
 * PID 1's answers come. Pure: no bus. */

/* What PID 1 now says of `unit` replaces what the set held for it: the unit is in the set only while
 * it asks for a kill (memory_pressure_kill or swap_kill) and runs (cgroup is a path; a unit that is
 * not running has none). bus_limit is ManagedOOMMemoryPressureLimit= as the bus carries it. Returns 1
 * when the unit is in the set now, 0 when not, -ENOMEM (the unit is then out of the set). */
int annotated_units_merge(AnnotatedUnit **units, size_t *n, const char *unit, const char *cgroup,
                          bool memory_pressure_kill, uint32_t bus_limit, bool swap_kill);
/* Drops `unit` from the set, if there. The order of the others may change. */
void annotated_units_remove(AnnotatedUnit *units, size_t *n, const char *unit);
/* The set as a policy document (policy/annotations.h), sorting it by unit name first so that the
 * same units give the same text: 1 with *ret (caller frees), 0 with *ret NULL for an empty set,
 * -ENOMEM. */
int annotated_units_document(AnnotatedUnit *units, size_t n, bool have_swap, char **ret);

typedef struct SystemdAnnotations SystemdAnnotations;

/* Called when the annotations changed (also from "some" to "none"); read them with
 * systemd_annotations_policy_json(). */
typedef void (*annotations_changed_t)(void *userdata);

int systemd_annotations_new(sd_event *e, annotations_changed_t cb, void *userdata, SystemdAnnotations **ret);
/* Accepts NULL, returns NULL. */
SystemdAnnotations *systemd_annotations_free(SystemdAnnotations *a);

/* Starts reading from PID 1 on `bus` (a new connection after a reconnect replaces the old one), or
 * stops with NULL: the last annotations read stay in force until a bus brings news. */
void systemd_annotations_attach(SystemdAnnotations *a, sd_bus *bus);

/* The annotations as a policy document (valid until the next change), or NULL before PID 1 answered
 * or when no unit is annotated. *ret_units (may be NULL) gets the number of annotated units. */
const char *systemd_annotations_policy_json(const SystemdAnnotations *a, unsigned *ret_units);

/* Whether the machine has swap decides whether ManagedOOMSwap=kill becomes a ruleset
 * (systemd-oomd's swap rule never acts without swap). Regenerates, and calls back on a change. */
void systemd_annotations_set_have_swap(SystemdAnnotations *a, bool have_swap);

static inline void systemd_annotations_freep(SystemdAnnotations **a) {
        systemd_annotations_free(*a);
}
