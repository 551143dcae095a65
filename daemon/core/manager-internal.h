/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The Manager's state, private to the core: manager.c (the loop), policy_host.c, sampler.c,
 * ladder.c and query.c. The front ends read it through core/query.h and change it through
 * core/manager.h; nothing outside core/ includes this header.
 */

#include <stdbool.h>
#include <sys/types.h>
#include <cjson/cJSON.h>
#include <systemd/sd-event.h>

#include "policy/engine.h"
#include "read/cgroup_tree.h"
#include "record/history.h"
#include "act/killer.h"
#include "core/events.h"
#include "core/manager_config.h"
#include "read/system_sample.h"
#include "core/pending_kill.h"
#include "core/level_tracker.h"
#include "core/psi_trigger.h"
#include "core/victimless.h"

/* A trigger holds an fd and a kernel timer; past this many watched cgroups, polling covers the rest. */
#define MANAGER_MAX_CGROUP_TRIGGERS 256
/* A partial sample reads at most this many cgroups (one per detector that reads cgroups). */
#define MANAGER_MAX_PARTIAL_SOURCES 64

typedef struct BusConnection BusConnection;
typedef struct UnitStopper UnitStopper;
typedef struct SystemdAnnotations SystemdAnnotations;
typedef struct HookRunner HookRunner;

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
        CGroupTree *tree;           /* every sample reads it: with `needs` every interval and when a ruleset
                                     * fires, with `detect_needs` (or its guards) otherwise */
        usec_t last_full_usec;
        usec_t last_full_cost_usec; /* how long the last sample that read every candidate took */
        Victimless victimless;      /* the candidates' back-off while the rulesets that fire find no victim */
        char *partial_paths[MANAGER_MAX_PARTIAL_SOURCES]; /* what the next detectors' sample may read alone
                                     * (engine_partial_sources), owned; n_partial_paths 0: every source */
        size_t n_partial_paths;
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
        bool in_wait;               /* in the loop's epoll_wait: a trigger's handler leaves the sample to it */
        bool triggers_fired;        /* a trigger fired since the last sample for triggers */
        bool candidates_wanted;     /* the next sample reads the candidates too (a request asked for them) */
        usec_t last_sample_usec;
        uint64_t n_samples;         /* whole samples since start */
        uint64_t n_candidate_samples; /* of them, those that read the candidates too (CGroupTree tree) */
        uint64_t n_process_scans;   /* reads of every /proc/PID (degraded mode, process-name kill-list entries) */
        uint64_t n_quiet_checks;    /* looks at /proc/meminfo alone, while quiet */
        uint64_t n_partial_samples; /* samples that read only the sources that met the detectors */
        uint64_t n_partial_fallbacks; /* ... of them, those that then read every source: one did not meet it again */
        SystemFiles system_files;   /* PROC_ROOT's pressure, meminfo and vmstat, kept open for the samples
                                     * and the quiet looks */

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

        struct {
                EventHandler fn;
                void *userdata;
        } subscribers[MANAGER_MAX_SUBSCRIBERS]; /* the front ends (manager_subscribe) */
        size_t n_subscribers;
        BusConnection *bus_connection; /* the system bus; NULL with --no-bus */
        UnitStopper *stopper;       /* step 2 of the ladder: units stopped through PID 1 */
        SystemdAnnotations *annotations; /* ManagedOOM*= of PID 1's units, merged under the policy files */
        HookRunner *hooks;          /* the pre-kill hooks running */
        PendingKill *pending;       /* step 1: kills waiting out their prekill_timeout */
        size_t n_pending;
        char *dying_told;           /* the cgroup last logged as "already killed, still exiting" */
};

/* Sends an event to every subscriber (manager_subscribe), in the order they subscribed. */
void manager_publish(Manager *m, const Event *e);

/* One sample: read what the policy needs, decide, act. Never blocks. The one function that takes a
 * sample (tests/bench/sample-cost.sh measures it by this name). */
void manager_sample(Manager *m);

/* Takes one sample now and schedules the next (a PSI trigger, a pre-kill hook that exited). */
void manager_sample_now(Manager *m);

/* Rewrites RUNTIME_DIR/status.json (query_status_summary()), noting the time. */
void manager_write_status(Manager *m, usec_t now);

/* Schedules the next sample `delay` from now. */
void manager_schedule(Manager *m, usec_t delay);
