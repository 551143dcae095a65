/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The Manager's state, shared by manager.c, the operations layer (operations.c) that serves the
 * control socket and D-Bus, and the D-Bus objects (bus_manager.c, bus_cgroup.c), which read the
 * figures behind their properties here. Nothing else includes this header.
 */

#include <stdbool.h>
#include <sys/types.h>
#include <cjson/cJSON.h>
#include <systemd/sd-event.h>

#include "policy/engine.h"
#include "read/cgroup_tree.h"
#include "record/history.h"
#include "act/killer.h"
#include "core/manager.h"
#include "core/level_tracker.h"
#include "core/psi_trigger.h"

/* A trigger holds an fd and a kernel timer; past this many watched cgroups, polling covers the rest. */
#define MANAGER_MAX_CGROUP_TRIGGERS 256

typedef struct ControlSocket ControlSocket;
typedef struct BusManager BusManager;
typedef struct UnitStopper UnitStopper;
typedef struct SystemdAnnotations SystemdAnnotations;
typedef struct HookRunner HookRunner;

/* Step 1 of the ladder: a decision waiting out its action's prekill_timeout (README "The kill
 * ladder"). At most one per ruleset (the engine holds the ruleset meanwhile) and one per victim. */
typedef struct PendingKill {
        Decision decision;          /* owned; its ruleset name is borrowed from the running policy */
        usec_t since;               /* CLOCK_MONOTONIC: when KillPending went out */
        usec_t deadline;            /* the kill goes ahead then, unless the target was spared */
        uint64_t hook_id;           /* the pre-kill hook's run (hook_runner), 0 when there is none */
        bool hook_exited;           /* the hook is over: the next sample decides at once */
} PendingKill;

/* A LevelTracker announcement kept until the tracker's update is done (path owned). */
typedef struct QueuedLevelEvent {
        LevelEvent event;
        char *path;
} QueuedLevelEvent;

struct Manager {
        ManagerConfig config;
        sd_event *event;
        sd_event_source *sample_timer;

        Policy *policy;
        char *policy_description;
        Engine *engine;
        SampleNeeds needs;          /* everything: detectors, candidates, kill list */
        SampleNeeds detect_needs;   /* the detectors alone: what most samples read */

        char *cgroup_root;          /* NULL when the host has no cgroup2 mount */
        CGroupTree *tree;           /* sampled with `needs`, every interval and when a ruleset fires */
        CGroupTree *detect_tree;    /* sampled with `detect_needs`; its own cache keeps both trees' rates right */
        usec_t last_full_usec;
        uint64_t victimless_set;    /* engine_fired_set() of the last whole sample when it decided nothing */
        bool degraded;
        char *mode_reason;
        char *self_cgroup;

        PsiTriggerSet *triggers;
        usec_t last_trigger_usec;
        const Detector *watched[MANAGER_MAX_CGROUP_TRIGGERS]; /* memory-pressure detectors, borrowed from policy */
        size_t n_watched;
        usec_t guard_stall_usec;    /* the system trigger: "some" this long per PSI_TRIGGER_WINDOW_USEC */
        bool guard_armed;           /* ... and it is armed */

        /* Quiet (README "Cost"): no rule can fire before the guard trigger fires or MemAvailable
         * (SwapFree) runs down to twice the floors in `guard`, so nothing is sampled meanwhile
         * but /proc/meminfo, at the pace the fastest allocator could close that gap. */
        bool quiet;
        const char *not_quiet_reason; /* the last one logged (manager_update_quiet), static */
        EngineGuard guard;
        bool quiet_refresh;         /* the next sample is quiet's periodic one: the detectors' files only */
        bool in_sample;             /* manager_sample() is running: no refresh from inside it */
        bool candidates_wanted;     /* the next sample reads the candidates too (a request asked for them) */
        usec_t last_sample_usec;
        uint64_t n_samples;         /* whole samples since start */
        uint64_t n_candidate_samples; /* of them, those that read the candidates too (CGroupTree tree) */
        uint64_t n_process_scans;   /* reads of every /proc/PID (degraded mode, process-name kill-list entries) */
        uint64_t n_quiet_checks;    /* looks at /proc/meminfo alone, while quiet */
        int meminfo_fd;             /* PROC_ROOT/meminfo, kept open for the quiet checks */
        char *meminfo_buf;
        size_t meminfo_size;

        History *history;
        int lock_fd;

        gid_t admin_gid;            /* the policy's admin_group, resolved at load */
        bool have_admin_gid;

        bool have_prev;
        SystemSample prev_system;
        usec_t prev_time;
        SystemSample last_system;   /* for the status file */
        usec_t last_status_usec;
        char *system_error;         /* the last system-read failure logged, NULL when reads work */

        uint64_t kill_count;
        cJSON *last_kill;           /* the newest history record, for the status file */

        CGroupSample *last_cgroups; /* the cgroups of the last full sample, for "status" */
        size_t n_last_cgroups;

        LevelTracker *levels;       /* the published cgroups and levels, fed by every full sample */
        QueuedLevelEvent *level_events; /* announcements of the update in progress */
        size_t n_level_events;
        bool have_level_psi;
        PsiStats level_psi;         /* /proc/pressure/memory at the start of the system level's window */
        usec_t level_psi_usec;

        ControlSocket *control;     /* RUNTIME_DIR/control.sock */
        BusManager *bus;            /* org.pressured.oom1; NULL with --no-bus */
        UnitStopper *stopper;       /* step 2 of the ladder: units stopped through PID 1 */
        SystemdAnnotations *annotations; /* ManagedOOM*= of PID 1's units, merged under the policy files */
        HookRunner *hooks;          /* the pre-kill hooks running */
        PendingKill *pending;       /* step 1: kills waiting out their prekill_timeout */
        size_t n_pending;
        char *dying_told;           /* the cgroup last logged as "already killed, still exiting" */
};

/* While quiet, takes a sample now so that a client (status, dump, kill list) sees current figures,
 * unless the last one is younger than a second. */
void manager_refresh(Manager *m);

/* Sends an event (the JSON model in README "Events"; borrowed) to control socket subscribers and as
 * its D-Bus signal. */
void manager_publish(Manager *m, const cJSON *event);

/* "cgroup" or "degraded". */
const char *manager_mode_name(const Manager *m);

/* Validates `text` as the new main policy document (drop-ins and change layers merge over it),
 * writes it as sent to RUNTIME_DIR/policy.json (or STATE_DIR/policy.json with persist, removing the
 * runtime one), where it stands in for --config until reverted, installs it and announces
 * PolicyChanged. `who` names the caller in the log. On a bad policy returns -EINVAL with *perr filled
 * and the old policy kept; on other errors negative errno with errbuf saying what failed. */
int manager_replace_policy(Manager *m, const char *text, bool persist, const char *who,
                           PolicyError *perr, char *errbuf, size_t errlen);

/* Sets top-level `key` to `value` in the runtime change layer (RUNTIME_DIR/changes.json), or with
 * persist in the persisted one (STATE_DIR/changes.json, taking the key out of the runtime layer):
 * drop-ins that hold only what oomctl changed, merged over the admin's files at every load. Validates
 * first; installs, logs (`who` did `what`) and announces. Errors as manager_replace_policy(). */
int manager_change_policy_layer(Manager *m, const char *key, const cJSON *value, bool persist, const char *who,
                                const char *what, PolicyError *perr, char *errbuf, size_t errlen);

/* Removes the runtime change layer and the runtime policy.json (with persist also the persisted
 * ones), then loads the policy from what remains. Refuses, removing nothing, when what remains is
 * invalid. `removed` gets the removed files, comma-separated ("" for none). Errors as above. */
int manager_revert_policy(Manager *m, bool persist, const char *who, char *removed, size_t removed_len,
                          PolicyError *perr, char *errbuf, size_t errlen);

/* Re-reads the policy files (as SIGHUP does) and announces PolicyChanged. On error the old policy is
 * kept and -EINVAL (with *perr) or another negative errno is returned, errbuf saying why. */
int manager_reload_policy(Manager *m, PolicyError *perr, char *errbuf, size_t errlen);

/* Turns dry run on or off for the running policy (until the next load, where --dry-run wins). */
void manager_set_dry_run(Manager *m, bool dry_run);

/* Carries out one decision: KillPending, then the ladder: the unit stopped or restarted through
 * systemd (d->method, asynchronous: the record and Killed follow when it is over), or the kill (or
 * the dry run) and at once the record and Killed. `snap` may be NULL unless d->granularity_process.
 * Returns 1 when a stop is under way, what the killer returned (0 or negative errno) otherwise, and
 * -EALREADY without doing anything when a stop covering d->cgroup is already in flight. */
int manager_kill(Manager *m, const Snapshot *snap, Decision *d, KillResult *res);
