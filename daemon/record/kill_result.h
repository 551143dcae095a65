/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What a kill did (KillResult): the method, the processes signalled, and what the unit stopper
 * added when systemd ended the victim. The killer and the unit stopper (act/) fill it in; the
 * record (kill_report.h) and the front ends read it. It lives here, below act/, so that the record
 * of a kill does not depend on the code that performs it.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "policy/sample.h"

typedef enum KillMethod {
        KILL_METHOD_NONE,
        KILL_METHOD_CGROUP_KILL,   /* wrote 1 to cgroup.kill */
        KILL_METHOD_PIDFD,         /* pidfd_send_signal over cgroup.procs */
        KILL_METHOD_PROCESS,       /* one process, by pidfd */
        _KILL_METHOD_MAX,
} KillMethod;

/* "cgroup.kill", "pidfd", ...; NULL for a value out of range. */
const char *kill_method_to_string(KillMethod m);

#define KILL_MAX_PIDS_RECORDED 64

typedef struct KillResult {
        KillMethod method;
        unsigned n_killed;                   /* processes signalled */
        pid_t pids[KILL_MAX_PIDS_RECORDED];  /* the first ones (a dry run: the first that would have died) */
        unsigned n_would_kill;               /* a dry run: the processes the kill would have signalled */
        unsigned n_reaped;                   /* process_mrelease succeeded */
        bool xattrs_written;
        /* Filled by the unit stopper (step 2) when systemd ended, or began to end, the victim. */
        const char *ladder;                  /* "stop", "restart", "stop+kill", "restart+kill"; NULL: a plain kill */
        char unit[256];                      /* the unit stopped or restarted; "" for a plain kill */
        char job_result[16];                 /* systemd's JobRemoved result ("done", "canceled"...), "" if none came */
        usec_t stop_to_gone_usec;            /* from the StopUnit/RestartUnit call to the unit's old processes gone */
        bool still_running;                  /* processes were left after the last escalation step */
} KillResult;
