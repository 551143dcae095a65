/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The kill history: one JSON object per line in STATE_DIR/history.jsonl, appended with O_APPEND
 * and fdatasync, bounded: when it grows past max_entries*2 lines it is rewritten with the newest
 * max_entries (temp file + fsync + rename), so a crash never loses what was written.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/sample.h"

typedef struct KillRecord {
        usec_t realtime_usec;     /* CLOCK_REALTIME */
        const char *cgroup;
        const char *unit;         /* may be NULL */
        const char *ruleset;
        const char *reason;
        const char *method;
        const char *comm;         /* process victim, may be NULL */
        pid_t pids[64];
        unsigned n_pids;          /* recorded pids (first 64) */
        unsigned n_killed;        /* all signalled */
        uint64_t memory_bytes;    /* victim's memory at kill */
        uint64_t freed_bytes;
        double pressure;
        bool dry_run;
        unsigned incident_kill;   /* the how-manyth kill of its ruleset in this incident; 0: a manual kill */
        const char *scope;        /* "process", "cgroup" or "unit": how much the kill ended; may be NULL */
        bool escalated;           /* the victim had come back: a larger scope than its action says */
} KillRecord;

typedef struct History History;

#define HISTORY_DEFAULT_MAX_ENTRIES 1000

/* Opens (creating state_dir and the file if needed) and counts existing lines. */
int history_open(const char *state_dir, unsigned max_entries, History **ret);
History *history_free(History *h);

/* Opens an existing history for reading only, as oomctl does when pressured is not running: no
 * directory or file is created, and history_append() fails. -ENOENT when there is no history file,
 * -EISDIR when a directory stands in its place, other negative errno as open(2) says. Logs only a
 * torn last line, as history_open() does. */
int history_open_readonly(const char *state_dir, unsigned max_entries, History **ret);
/* The file's path, for messages. */
const char *history_path(const History *h);

/* How many of the entries held in memory (the newest max_entries) were real kills, not dry runs:
 * where the daemon's kill count starts after a restart. */
uint64_t history_kills(const History *h);

/* Appends one record durably. */
int history_append(History *h, const KillRecord *r);

/* The newest entries (at most max_entries) at or after since_usec (realtime), oldest first, as a
 * malloc'd JSON array text. Served from memory: the file is read only by history_open. */
int history_read_json(History *h, usec_t since_usec, char **ret);

unsigned history_count(const History *h);
