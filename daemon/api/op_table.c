/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "policy/json_text.h"
#include "policy/macro.h"
#include "policy/protocol.h"
#include "api/op_table.h"

DEFINE_POINTER_CLEANUP(cJSON, cJSON_Delete);

static uint64_t n_admitted;

static cJSON *run_status(Manager *m, const Caller *c, const OpArgs *a, OpsError *err) {
        return ops_status(m, c, err);
}

static cJSON *run_kill_list(Manager *m, const Caller *c, const OpArgs *a, OpsError *err) {
        return ops_kill_list(m, c, err);
}

static cJSON *run_policy_get(Manager *m, const Caller *c, const OpArgs *a, OpsError *err) {
        return ops_policy_get(m, c, err);
}

static cJSON *run_history(Manager *m, const Caller *c, const OpArgs *a, OpsError *err) {
        return ops_history(m, c, (uint64_t) a->since, err);
}

static cJSON *run_dump(Manager *m, const Caller *c, const OpArgs *a, OpsError *err) {
        return ops_dump(m, c, err);
}

/* The socket marks the connection a subscriber once this reply is on its way. */
static cJSON *run_subscribe(Manager *m, const Caller *c, const OpArgs *a, OpsError *err) {
        cJSON *o = cJSON_CreateObject();
        if (o)
                cJSON_AddBoolToObject(o, "subscribed", true);
        else
                ops_error_set(err, OPS_ERROR_FAILED, "pressured ran out of memory answering this request; try again");
        return o;
}

static cJSON *run_kill(Manager *m, const Caller *c, const OpArgs *a, OpsError *err) {
        return ops_kill(m, c, a->target, a->reason, a->dry_run, err);
}

static cJSON *run_kill_list_add(Manager *m, const Caller *c, const OpArgs *a, OpsError *err) {
        return ops_kill_list_add(m, c, a->pattern, a->min_memory, a->min_pressure, a->position, a->persist, err);
}

static cJSON *run_kill_list_remove(Manager *m, const Caller *c, const OpArgs *a, OpsError *err) {
        return ops_kill_list_remove(m, c, a->index, a->persist, err);
}

static cJSON *run_kill_list_move(Manager *m, const Caller *c, const OpArgs *a, OpsError *err) {
        return ops_kill_list_move(m, c, a->from, a->to, a->persist, err);
}

/* policy-set with "policy_fd": true: the policy is in the descriptor passed with the request. */
static cJSON *policy_set_passed(Manager *m, const Caller *c, const OpArgs *a, OpsError *err) {
        if (a->policy)
                return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "policy-set got both \"policy\" and \"policy_fd\": "
                                   "send the document one way, inline or in the descriptor"), NULL;
        switch (a->fd_state) {
        case OP_FD_ONE:
                return ops_policy_set_fd(m, c, a->fd, a->persist, err);
        case OP_FD_MANY:
                return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "more than one file descriptor came with this "
                                   "policy-set request; it takes exactly one, a sealed memfd holding the policy. All were "
                                   "closed unread and the running policy is unchanged"), NULL;
        case OP_FD_UNAUTHORIZED:
                /* the caller is allowed now (op_dispatch said so); the descriptor was closed unread */
                return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "the descriptor passed with this policy-set came "
                                   "before the caller was allowed to set the policy, and was closed unread; send it "
                                   "again"), NULL;
        case OP_FD_BUSY:
                return ops_error_set(err, OPS_ERROR_FAILED, "pressured holds %d descriptors passed by clients already, the "
                                   "most it takes at once; the one sent with this policy-set was closed unread: try "
                                   "again in a moment", CONTROL_PASSED_FDS_MAX), NULL;
        case OP_FD_NONE:
        default:
                return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "policy-set says \"policy_fd\": true, but no file "
                                   "descriptor came with the request line: pass a sealed memfd holding the policy as "
                                   "SCM_RIGHTS, in the same sendmsg() as the line"), NULL;
        }
}

/* D-Bus SetPolicy: the document as text, checked as the bus has always checked it. */
static cJSON *policy_set_text(Manager *m, const Caller *c, const OpArgs *a, OpsError *err) {
        const char *text = a->policy_text;
        /* before cJSON, which would cut a string at \u0000 and let the rest of it go unchecked */
        char why[512];
        if (json_text_check(text, strlen(text), why, sizeof why) < 0)
                return ops_error_set(err, OPS_ERROR_INVALID_POLICY, "%s; the running policy is unchanged", why), NULL;
        _cleanup_(cJSON_Deletep) cJSON *doc = cJSON_Parse(text);
        if (!doc) {
                const char *at = cJSON_GetErrorPtr();
                return ops_error_set(err, OPS_ERROR_INVALID_POLICY,
                                     "the policy is not valid JSON (near byte %zu: \"%.20s\"); the running policy is "
                                     "unchanged. Check the file with 'pressured --check-config FILE'",
                                     at && at >= text ? (size_t) (at - text) : (size_t) 0, at ? at : ""), NULL;
        }
        return ops_policy_set(m, c, doc, a->persist, err);
}

static cJSON *run_policy_set(Manager *m, const Caller *c, const OpArgs *a, OpsError *err) {
        if (a->policy_text)
                return policy_set_text(m, c, a, err);
        if (a->policy_fd)
                return policy_set_passed(m, c, a, err);
        if (a->fd_state != OP_FD_NONE)
                return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "a file descriptor came with this policy-set "
                                   "request, which does not say \"policy_fd\": true; it was closed unread and the "
                                   "running policy is unchanged"), NULL;
        if (!cJSON_IsObject(a->policy))
                return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "policy-set needs the argument \"policy\": "
                                   "the whole policy document as a JSON object, or \"policy_fd\": true with the "
                                   "document in a sealed memfd passed along (SCM_RIGHTS)"), NULL;
        return ops_policy_set(m, c, a->policy, a->persist, err);
}

static cJSON *run_policy_reload(Manager *m, const Caller *c, const OpArgs *a, OpsError *err) {
        return ops_policy_reload(m, c, err);
}

static cJSON *run_set_dry_run(Manager *m, const Caller *c, const OpArgs *a, OpsError *err) {
        return ops_set_dry_run(m, c, a->dry_run, err);
}

static cJSON *run_policy_revert(Manager *m, const Caller *c, const OpArgs *a, OpsError *err) {
        return ops_policy_revert(m, c, a->persist, err);
}

static const OpHandler op_handlers[_OP_MAX] = {
        [OP_STATUS] = run_status,
        [OP_KILL_LIST] = run_kill_list,
        [OP_POLICY_GET] = run_policy_get,
        [OP_HISTORY] = run_history,
        [OP_DUMP] = run_dump,
        [OP_SUBSCRIBE] = run_subscribe,
        [OP_KILL] = run_kill,
        [OP_KILL_LIST_ADD] = run_kill_list_add,
        [OP_KILL_LIST_REMOVE] = run_kill_list_remove,
        [OP_KILL_LIST_MOVE] = run_kill_list_move,
        [OP_POLICY_SET] = run_policy_set,
        [OP_POLICY_RELOAD] = run_policy_reload,
        [OP_SET_DRY_RUN] = run_set_dry_run,
        [OP_POLICY_REVERT] = run_policy_revert,
};

OpHandler op_handler(Op op) {
        return op >= 0 && op < _OP_MAX ? op_handlers[op] : NULL;
}

bool op_admit(Manager *m, const Caller *c, Op op, OpsError *err) {
        n_admitted++;
        return ops_authorize(m, c, op, err);
}

uint64_t op_admit_count(void) {
        return n_admitted;
}

cJSON *op_dispatch(Manager *m, const Caller *c, Op op, const cJSON *req, OpArgs *a, OpsError *err) {
        OpHandler handler = op_handler(op);
        if (!handler) {
                ops_error_set(err, OPS_ERROR_UNKNOWN_OP, "unknown operation");
                return NULL;
        }
        /* Who may ask comes before what was asked: a refused caller learns nothing about its arguments. */
        if (!op_admit(m, c, op, err))
                return NULL;
        if (req && !op_args_parse(op, req, a, err))
                return NULL;
        return handler(m, c, a, err);
}

