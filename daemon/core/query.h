/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the front ends (the operations layer, the D-Bus objects, the status file) may read of the
 * running Manager: read-only views of its figures, borrowed until the next sample or policy change.
 * They change it only through the commands in core/manager.h (and its refresh, manager_refresh()).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <cjson/cJSON.h>

#include "policy/engine.h"
#include "policy/policy.h"
#include "policy/sample.h"
#include "read/cgroup_tree.h"
#include "record/history.h"
#include "core/level_tracker.h"
#include "core/manager_config.h"
#include "core/pending_kill.h"

/* The command line's settings (paths, dry run, no_bus). */
const ManagerConfig *query_config(const Manager *m);

/* "cgroup" or "degraded", and why (never NULL once started). */
const char *query_mode_name(const Manager *m);
bool query_degraded(const Manager *m);
const char *query_mode_reason(const Manager *m);

/* The cgroup2 mount, NULL when the host has none; its tree (NULL then); the daemon's own cgroup. */
const char *query_cgroup_root(const Manager *m);
CGroupTree *query_cgroup_tree(const Manager *m);
const char *query_self_cgroup(const Manager *m);

/* The running policy, and where it came from (NULL before the first load). */
const Policy *query_policy(const Manager *m);
const char *query_policy_description(const Manager *m);

/* The policy's admin_group, resolved at load: false when there is none (or it does not exist). */
bool query_admin_gid(const Manager *m, gid_t *ret);

/* Whether PSI triggers wake the daemon (else it polls). */
bool query_psi_triggers_available(const Manager *m);

/* The system figures of the last sample (or quiet look). */
const SystemSample *query_last_system(const Manager *m);

/* The cgroups of the last full sample, with everything the policy reads. */
const CGroupSample *query_last_cgroups(const Manager *m, size_t *ret_n);

/* The published cgroups and levels (level_tracker_find(), level_tracker_entries(), ...). */
const LevelTracker *query_levels(const Manager *m);

/* The kills waiting out their prekill_timeout. */
const PendingKill *query_pending(const Manager *m, size_t *ret_n);

/* Real kills since the history began, and the newest record (NULL before the first). */
uint64_t query_kill_count(const Manager *m);
const cJSON *query_last_kill(const Manager *m);

/* The kill history, NULL when the state directory could not be written at start. */
History *query_history(const Manager *m);

/* The status without its table of cgroups, as RUNTIME_DIR/status.json has it and "status" starts
 * with: mode and why, policy, system figures, rulesets, pending kills, kills. NULL when out of
 * memory; caller frees. */
cJSON *query_status_summary(const Manager *m);

/* Adds PSI figures `s` as object `name` of o ({"some": {...}, "full": {...}}, a line null when the
 * kernel did not give it), as status shows them. */
void query_json_add_psi(cJSON *o, const char *name, const PsiStats *s);
