/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The Manager's name and its settings from the command line: what every part of the core and its
 * front ends may know of it without knowing the rest.
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
