/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The operations layer (README "Control socket and oomctl"): what a client may ask of the daemon, the
 * same for every transport (the control socket and D-Bus). Each operation takes the Manager and the
 * caller's credentials and returns a cJSON result (caller frees) or NULL with an OpsError filled.
 * Who may run what is decided by ops_authorize(), which op_dispatch() (op_table.h) calls once per
 * request before it calls an operation: the ops_* functions below trust their caller to have done so.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <cjson/cJSON.h>

#include "core/manager.h"
#include "policy/protocol_ops.h"

/* Supplementary groups beyond this are not looked at (NGROUPS_MAX is 65536, real callers have few). */
#define CALLER_GROUPS_MAX 64

/* Who is asking: from SO_PEERCRED/SO_PEERGROUPS on the socket, from the sender's credentials on D-Bus. */
typedef struct Caller {
        uid_t uid;
        gid_t gid;
        pid_t pid;
        gid_t groups[CALLER_GROUPS_MAX]; /* supplementary groups, when the transport tells them */
        size_t n_groups;
} Caller;

/* The one authorization check: read-only operations are open to anyone, the rest need uid 0 or
 * membership (primary or supplementary) of the policy's admin_group. Returns true, or false with
 * *err filled (permission-denied, saying what to do). */
bool ops_authorize(Manager *m, const Caller *c, Op op, OpsError *err);

/* Read-only. The operations are authorized by op_dispatch(), not here. */
cJSON *ops_status(Manager *m, const Caller *c, OpsError *err);
/* The status without its table of cgroups, as status.json has it (no authorization: the daemon's
 * own); its figures are the last sample's. */
cJSON *ops_status_summary(Manager *m, OpsError *err);
cJSON *ops_kill_list(Manager *m, const Caller *c, OpsError *err);
/* The running policy ("policy"), its description ("source") and where each ruleset and kill-list
 * entry came from ("sources": {"rulesets": [{name, source}], "kill_list": [{index, pattern, source}]}). */
cJSON *ops_policy_get(Manager *m, const Caller *c, OpsError *err);
cJSON *ops_history(Manager *m, const Caller *c, uint64_t since_usec, OpsError *err);
cJSON *ops_dump(Manager *m, const Caller *c, OpsError *err);

/* Privileged. target: a cgroup path ("/x.slice/y.service") or a unit name ("y.service"); reason may be NULL. */
cJSON *ops_kill(Manager *m, const Caller *c, const char *target, const char *reason, bool dry_run, OpsError *err);
/* min_memory: policy text ("512M", "10%") or NULL; min_pressure < 0: none; position < 0: the end. */
cJSON *ops_kill_list_add(Manager *m, const Caller *c, const char *pattern, const char *min_memory,
                         double min_pressure, int64_t position, bool persist, OpsError *err);
cJSON *ops_kill_list_remove(Manager *m, const Caller *c, int64_t index, bool persist, OpsError *err);
cJSON *ops_kill_list_move(Manager *m, const Caller *c, int64_t from, int64_t to, bool persist, OpsError *err);
/* policy: the new main document (borrowed). */
cJSON *ops_policy_set(Manager *m, const Caller *c, const cJSON *policy, bool persist, OpsError *err);
/* The same with the document's text in fd (borrowed), a sealed memfd (policy_fd_read()): the
 * caller is authorized before a byte is read, then the text gets the checks of a request line
 * (json_text_check) and of a policy file (op_dispatch authorizes first). How the socket's "policy_fd" and D-Bus SetPolicyFromFd
 * carry a policy of any size up to POLICY_MAX_BYTES. */
cJSON *ops_policy_set_fd(Manager *m, const Caller *c, int fd, bool persist, OpsError *err);
cJSON *ops_policy_reload(Manager *m, const Caller *c, OpsError *err);
/* Drops the runtime changes (kill-list layer, policy set override), with persist the persisted ones
 * too, and loads the policy from what remains. Result: policy_source and "removed" (the files). */
cJSON *ops_policy_revert(Manager *m, const Caller *c, bool persist, OpsError *err);
cJSON *ops_set_dry_run(Manager *m, const Caller *c, bool dry_run, OpsError *err);
