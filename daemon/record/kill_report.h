/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Step 5 of the kill ladder, the record: one structured journal entry per decision (or one
 * KEY=value line on standard error without a journal), and one line in the history for every kill
 * and every dry-run decision.
 */

#include <cjson/cJSON.h>

#include "policy/engine.h"
#include "record/history.h"
#include "act/killer.h"

/* Logs the outcome of decision d (kill_error: what the killer returned). Returns 1 with a JSON
 * summary in *ret_summary (caller frees) when it was a kill or a dry run, 0 when nothing died. The
 * summary holds "time", "victim" (text) and every field of a Killed event but "event". */
int kill_report(const Decision *d, const KillResult *res, int kill_error, History *history, cJSON **ret_summary);
