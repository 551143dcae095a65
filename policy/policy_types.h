/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The policy's in-memory form: the types a validated policy is made of (Policy and its parts) and
 * the bounds of their values. Types only, so that every module of the policy library can include
 * it without reaching the others; policy.h is the library's public face. The JSON format is
 * documented in README.md ("Policy format").
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy_limits.h"
#include "sample.h"

/* A size threshold: absolute bytes, or a fraction of some total (MemTotal, SwapTotal...). */
typedef struct Amount {
        bool is_percent;
        uint64_t bytes;      /* when !is_percent */
        uint32_t permyriad;  /* when is_percent: 1% = 100 */
} Amount;

/* A glob. A pattern that starts with '/' matches cgroup paths (fnmatch, FNM_PATHNAME);
 * any other pattern matches a process name (comm). */
typedef struct Pattern {
        char *glob;
        bool is_path;
} Pattern;

typedef struct PatternList {
        Pattern *items;
        size_t n;
} PatternList;

typedef enum PsiResource { PSI_RESOURCE_MEMORY, PSI_RESOURCE_IO } PsiResource;
typedef enum PsiKind { PSI_KIND_SOME, PSI_KIND_FULL } PsiKind;
/* The kernel's decaying averages, or an exact window over the PSI "total" counters (Detector.window_usec). */
typedef enum PsiWindow { PSI_WINDOW_AVG10, PSI_WINDOW_AVG60, PSI_WINDOW_AVG300, PSI_WINDOW_EXACT } PsiWindow;

typedef enum DetectorType {
        DETECTOR_PRESSURE_ABOVE,
        DETECTOR_PRESSURE_RISING_BEYOND,
        DETECTOR_MEMORY_ABOVE,
        DETECTOR_MEMORY_RECLAIM,
        DETECTOR_SWAP_FREE_BELOW,
        DETECTOR_MEM_AVAILABLE_BELOW,
        DETECTOR_EXISTS,
        _DETECTOR_TYPE_MAX,
} DetectorType;

typedef struct Detector {
        DetectorType type;
        PatternList cgroups;     /* paths only; "/" means the whole system (system PSI, /proc/meminfo) */
        PatternList reclaim_at;  /* memory_reclaim: where its pgscan is read, derived from cgroups. cgroup v2
                                  * counts reclaim hierarchically, so a glob of every child of P is read at P,
                                  * one memory.stat instead of one per child; other patterns as they are.
                                  * Empty (a detector not built by the parser): cgroups */
        PsiResource resource;    /* pressure_*: default memory */
        PsiKind kind;            /* pressure_*: default full */
        PsiWindow window;        /* pressure_above: default avg10 */
        usec_t window_usec;      /* pressure_above with PSI_WINDOW_EXACT: the window's length */
        double threshold;        /* pressure_*: percent 0..100 */
        Amount amount;           /* memory_above, swap_free_below, mem_available_below */
        bool anon;               /* memory_above: compare anon instead of memory.current */
        usec_t duration_usec;    /* how long the condition must hold before the detector fires */
        double fast_fall_ratio;  /* pressure_rising_beyond: default 0.85 */
        bool negate;             /* exists */
} Detector;

typedef struct DetectorGroup {
        Detector *detectors;     /* all must fire (AND) */
        size_t n;
} DetectorGroup;

typedef enum RankerType {
        RANKER_SIZE_OR_GROWTH,
        RANKER_SWAP,
        RANKER_PRESSURE,
        RANKER_PGSCAN,
        _RANKER_TYPE_MAX,
} RankerType;

typedef enum Granularity { GRANULARITY_CGROUP, GRANULARITY_PROCESS } Granularity;

typedef struct Action {
        RankerType ranker;
        PatternList cgroups;           /* candidate cgroups (paths); default "/" "*" (every child of the root) */
        bool recursive;                /* descend into the best child and re-rank; default true */
        Granularity granularity;       /* default cgroup; degraded mode always kills processes */
        bool use_kill_list;            /* consult the policy's kill list first; default true */
        bool dry_run;
        usec_t post_action_delay_usec; /* default 15 s */
        usec_t prekill_timeout_usec;   /* default 0 */
        char **prekill_hook;           /* argv (NULL-terminated, argv[0] absolute) run before the kill; NULL: none */
        /* size_or_growth */
        uint32_t size_threshold_permyriad; /* default 50% */
        double min_growth_ratio;           /* default 1.25 */
        uint32_t growing_size_percentile;  /* default 80 */
        /* swap */
        Amount swap_threshold;             /* candidates must use at least this much swap; default 0 */
        /* pressure */
        PsiResource pressure_resource;     /* default memory */
} Action;

/* How a ruleset ends its victim (README "The kill ladder"). KILL is 0 so that a Decision built by
 * hand (a manual kill) is a plain kill; parsed rulesets default to STOP. */
typedef enum UnitMethod {
        UNIT_METHOD_KILL,      /* cgroup.kill (pidfds as the fallback), never asking systemd */
        UNIT_METHOD_STOP,      /* StopUnit on the victim's systemd unit, then KillUnit + cgroup.kill after stop_timeout */
        UNIT_METHOD_RESTART,   /* RestartUnit, for services that recover by restarting */
        _UNIT_METHOD_MAX,
} UnitMethod;

/* A ruleset's stop_timeout when it names none (bounds in policy_limits.h). */
#define STOP_TIMEOUT_DEFAULT_USEC (5 * USEC_PER_SEC)

/* Kills one ruleset may make in one incident: the first, a second on a larger scope when the victim
 * came back (its cgroup instead of a process), a third on its unit. More would be a kill storm. */
#define MAX_KILLS_PER_INCIDENT_DEFAULT 3u

typedef struct Ruleset {
        char *name;
        char *source;            /* name of the policy document that defined it (after merging drop-ins), for
                                  * logs; NULL for a ruleset built in code. Not serialized by policy_to_json. */
        bool dry_run;
        UnitMethod method;       /* default stop */
        usec_t stop_timeout_usec; /* default STOP_TIMEOUT_DEFAULT_USEC; 0 (a ruleset built in code) means the default */
        unsigned max_kills;      /* kills per incident (README "One incident, one right kill"); default
                                  * MAX_KILLS_PER_INCIDENT_DEFAULT; 0 (a ruleset built in code) means the default */
        DetectorGroup *groups;   /* any group firing (OR) runs the actions */
        size_t n_groups;
        Action *actions;         /* tried in order until one kills */
        size_t n_actions;
} Ruleset;

typedef struct KillListEntry {
        Pattern pattern;
        bool has_min_memory;
        Amount min_memory;       /* percent of MemTotal when is_percent */
        bool has_min_pressure;
        double min_pressure;     /* memory full avg10 of the entry's cgroup (system PSI for processes) */
} KillListEntry;

typedef struct Policy {
        bool dry_run;
        char *admin_group;          /* group whose members may kill and change policy, besides root; NULL: root only */
        usec_t interval_usec;       /* sampling interval when nothing is arming; default 1 s */
        usec_t fast_interval_usec;  /* sampling interval while a detector is arming; default 100 ms */
        PatternList omit, avoid, prefer;
        KillListEntry *kill_list;
        size_t n_kill_list;
        char *kill_list_source;     /* the document the kill list came from (drop-ins replace it whole, so one
                                     * document holds every entry); NULL without a kill list. Not serialized. */
        Ruleset *rulesets;
        size_t n_rulesets;
} Policy;

/* Where a policy error is and what was expected. */
typedef struct PolicyError {
        char path[256];     /* JSON path, e.g. "rulesets[1].detectors[0][2].threshold"; "" for the document */
        char message[512];  /* what is wrong and what was expected */
} PolicyError;
