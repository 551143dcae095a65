/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The running daemon: one Manager passed to every handler (no global state). It owns the event
 * loop, the policy and engine, the cgroup tree, the PSI triggers, the history, and turns each
 * sample into at most one kill.
 */

#include <stdbool.h>

typedef struct ManagerConfig {
        const char *config_path;   /* main policy file; absent -> embedded default, unless config_required */
        bool config_required;      /* config_path was given explicitly: it must exist, at start and on reload */
        const char *dropin_dir;    /* /etc/pressured/policy.d */
        const char *cgroup_root;   /* NULL: find the cgroup2 mount in PROC_ROOT/self/mountinfo */
        const char *proc_root;     /* /proc */
        const char *state_dir;     /* /var/lib/pressured: history, persisted policy changes */
        const char *runtime_dir;   /* /run/pressured: status, lock, runtime policy */
        bool dry_run;              /* forces dry run over the policy's setting */
        bool no_mlock;
        bool no_bus;               /* no D-Bus service: the control socket alone */
} ManagerConfig;

typedef struct Manager Manager;

/* Sets everything up: policy, mode detection, event sources. Logs its own errors. */
int manager_new(const ManagerConfig *c, Manager **ret);
Manager *manager_free(Manager *m);

/* Runs the event loop until SIGTERM/SIGINT. Returns 0 on a clean exit. */
int manager_run(Manager *m);

static inline void manager_freep(Manager **m) {
        manager_free(*m);
}
