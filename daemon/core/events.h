/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the manager tells its subscribers (README "Events"): one typed Event per thing that
 * happened, published to every handler registered with manager_subscribe(). The front ends turn
 * it into their own form: the control socket into a JSON line (api/event_json.h), the D-Bus
 * service into signals. Strings are borrowed for the call.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/engine.h"
#include "act/killer.h"
#include "core/level_tracker.h"

typedef enum EventKind {
        EVENT_KILL_PENDING,       /* step 1 of the ladder: a kill announced, maybe with a wait */
        EVENT_KILL_CANCELLED,     /* a pending kill called off: the target was spared */
        EVENT_KILLED,             /* the record of a kill or a dry run */
        EVENT_POLICY_CHANGED,     /* a new policy runs, or dry run was turned on or off */
        EVENT_PRESSURE_CHANGED,   /* a published cgroup's (or the system's, "/") level changed */
        EVENT_PRESSURE_RECOVERED, /* ... and is back to ok */
        EVENT_LOW_MEMORY_WARNING, /* the system's level, as low-memory-monitor reports it */
        EVENT_CGROUP_ADDED,       /* a cgroup is now published (the D-Bus objects alone) */
        EVENT_CGROUP_REMOVED,     /* a published cgroup vanished (the D-Bus objects alone) */
        _EVENT_KIND_MAX,
} EventKind;

typedef struct Event {
        EventKind kind;
        usec_t time;              /* CLOCK_REALTIME: when it happened ("time" on the wire) */
        union {
                struct {
                        const char *cgroup, *unit, *ruleset, *reason;
                        uint64_t memory_bytes;
                        double pressure;
                        bool dry_run;
                        usec_t prekill_timeout_usec;
                } kill_pending;
                struct {
                        const char *cgroup, *unit, *ruleset, *reason;
                        PrekillVerdict verdict;
                } kill_cancelled;
                struct {
                        const char *cgroup, *unit, *ruleset, *reason;
                        const char *method;       /* "dry-run", the ladder's step, or the kill method */
                        bool dry_run;
                        const pid_t *pids;        /* the first ones recorded */
                        unsigned n_pids;
                        unsigned killed;          /* processes signalled */
                        uint64_t memory_bytes, freed_bytes;
                        double pressure;
                        unsigned incident_kill;
                        const char *scope;
                        bool escalated;
                        bool stopped;             /* systemd stopped the unit: stop_to_gone_usec is set */
                        usec_t stop_to_gone_usec;
                } killed;
                struct {
                        const char *source;
                        size_t rulesets, kill_list_entries;
                        bool dry_run;
                } policy_changed;
                struct {
                        const char *cgroup;
                        PressureLevel level, previous;
                        double pressure;
                } pressure_changed;
                struct {
                        const char *cgroup;
                        PressureLevel worst;
                        usec_t duration_usec;
                } pressure_recovered;
                struct {
                        PressureLevel level;
                } low_memory;
                struct {
                        const char *cgroup;
                } cgroup;                         /* EVENT_CGROUP_ADDED, EVENT_CGROUP_REMOVED */
        };
} Event;

/* A subscriber: called for every event, in the order they happen. */
typedef void (*EventHandler)(const Event *e, void *userdata);

/* Subscribers a manager holds at most: the control socket, the D-Bus service, and room to spare. */
#define MANAGER_MAX_SUBSCRIBERS 4
