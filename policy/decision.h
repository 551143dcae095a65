/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A kill decision: who must die, on which rule's behalf, and why. The engine (engine.h) makes and
 * clears it; decide.c fills it for a ruleset that fired.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy_types.h"

typedef enum TargetKind { TARGET_CGROUP, TARGET_PROCESS } TargetKind;

typedef struct Decision {
        const char *ruleset;      /* borrowed from the Policy */
        size_t ruleset_index, action_index;
        TargetKind kind;
        char *cgroup;             /* victim cgroup path; for a process, the process's cgroup */
        uint64_t inode;           /* victim cgroup inode (0 for a process) */
        pid_t pid;                /* TARGET_PROCESS */
        uint64_t start_time;      /* TARGET_PROCESS: /proc/PID/stat start time, to detect pid reuse */
        char comm[16];
        uint64_t memory;          /* victim's memory at decision: memory.current or RSS */
        double pressure;          /* victim's memory full avg10, or system's for a process */
        bool granularity_process; /* a cgroup victim of which only the largest process must die */
        bool dry_run;             /* global, ruleset or action dry run */
        int kill_list_index;      /* -1 when the ranker chose */
        usec_t prekill_timeout_usec;
        char *const *prekill_hook; /* borrowed from the Policy's action: argv (NULL-terminated), NULL when none */
        UnitMethod method;        /* the ruleset's; UNIT_METHOD_KILL (0) for a manual kill */
        usec_t stop_timeout_usec; /* the ruleset's; 0 means STOP_TIMEOUT_DEFAULT_USEC */
        unsigned incident_kill;   /* the how-manyth kill of its ruleset in this incident, from 1; 0 for a manual kill */
        bool escalated;           /* the victim came back: ended on a larger scope than the action says */
        char reason[512];         /* which detector fired and why, then the escalation if any, for logs and history */
} Decision;
