/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Step 5 of the kill ladder, the record: one structured journal entry per decision (or one
 * KEY=value line on standard error without a journal), and one line in the history for every kill
 * and every dry-run decision.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "policy/engine.h"
#include "record/history.h"
#include "record/kill_result.h"

/* One decision's entry, as kill_report() logs it (MESSAGE, PRIORITY and the PRESSURED_* fields that
 * are not copied from the decision) and records it in the history. */
typedef struct KillReportEntry {
        char message[1536];
        char victim[512];            /* "cgroup /a", "unit a.service (cgroup /a)", "process 12 (comm) in /a" */
        char pids[KILL_MAX_PIDS_RECORDED * 12 + 1]; /* PRESSURED_PIDS: "101 202" */
        unsigned n_pids;             /* the processes killed, or that a dry run would have killed */
        const char *unit;            /* PRESSURED_UNIT: the victim's unit, "" for none (borrowed) */
        const char *method;          /* PRESSURED_METHOD: "dry-run", the ladder ("stop+kill"), or the kill method */
        uint64_t freed;              /* PRESSURED_FREED: the victim's memory when it died, else 0 */
        int priority;                /* LOG_NOTICE, or LOG_WARNING for a failure or processes left running */
        bool killed;                 /* something died, or systemd ended the unit */
        bool stopped;                /* systemd stopped or restarted the victim's unit */
        usec_t time;                 /* CLOCK_REALTIME of the record: set by kill_report(), 0 from kill_report_build() */
} KillReportEntry;

/* Builds the entry kill_report() logs for decision d; sends nothing. */
void kill_report_build(const Decision *d, const KillResult *res, int kill_error, KillReportEntry *ret);

/* Logs the outcome of decision d (kill_error: what the killer returned). Returns 1 with a JSON
 * summary in *ret_summary (caller frees) when it was a kill or a dry run, 0 when nothing died. The
 * summary holds "time", "victim" (text) and every field of a Killed event but "event". When
 * ret_entry is given it gets the entry logged, with the record's time, for the Killed event. */
int kill_report(const Decision *d, const KillResult *res, int kill_error, History *history,
                KillReportEntry *ret_entry, cJSON **ret_summary);
