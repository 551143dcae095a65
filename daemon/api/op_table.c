/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "policy/json_text.h"
#include "policy/macro.h"
#include "policy/protocol.h"
#include "api/op_table.h"

#define JSON_INT_MAX 9007199254740992.0 /* 2^53: whole numbers a double holds exactly */

DEFINE_POINTER_CLEANUP(cJSON, cJSON_Delete);

static uint64_t n_admitted;

#define ARG(n, t, req, mx, field) { .name = (n), .type = (t), .required = (req), .max = (mx), .offset = offsetof(OpArgs, field) }

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

static const OpSpec op_table[_OP_MAX] = {
        [OP_STATUS] = { PROTOCOL_OP_STATUS, true, {}, run_status },
        [OP_KILL_LIST] = { PROTOCOL_OP_KILL_LIST, true, {}, run_kill_list },
        [OP_POLICY_GET] = { PROTOCOL_OP_POLICY_GET, true, {}, run_policy_get },
        [OP_HISTORY] = { PROTOCOL_OP_HISTORY, true, {
                ARG("since", OP_ARG_INT, false, JSON_INT_MAX, since),
        }, run_history },
        [OP_DUMP] = { PROTOCOL_OP_DUMP, true, {}, run_dump },
        [OP_SUBSCRIBE] = { PROTOCOL_OP_SUBSCRIBE, true, {}, run_subscribe },
        [OP_KILL] = { PROTOCOL_OP_KILL, false, {
                ARG("target", OP_ARG_STRING, true, 0, target),
                ARG("reason", OP_ARG_STRING, false, 0, reason),
                ARG("dry_run", OP_ARG_BOOL, false, 0, dry_run),
        }, run_kill },
        [OP_KILL_LIST_ADD] = { PROTOCOL_OP_KILL_LIST_ADD, false, {
                ARG("pattern", OP_ARG_STRING, true, 0, pattern),
                ARG("position", OP_ARG_INT, false, INT32_MAX, position),
                ARG("persist", OP_ARG_BOOL, false, 0, persist),
                ARG("min_memory", OP_ARG_SIZE, false, JSON_INT_MAX, min_memory),
                ARG("min_pressure", OP_ARG_PRESSURE, false, 0, min_pressure),
        }, run_kill_list_add },
        [OP_KILL_LIST_REMOVE] = { PROTOCOL_OP_KILL_LIST_REMOVE, false, {
                ARG("index", OP_ARG_INT, true, INT32_MAX, index),
                ARG("persist", OP_ARG_BOOL, false, 0, persist),
        }, run_kill_list_remove },
        [OP_KILL_LIST_MOVE] = { PROTOCOL_OP_KILL_LIST_MOVE, false, {
                ARG("from", OP_ARG_INT, true, INT32_MAX, from),
                ARG("to", OP_ARG_INT, true, INT32_MAX, to),
                ARG("persist", OP_ARG_BOOL, false, 0, persist),
        }, run_kill_list_move },
        [OP_POLICY_SET] = { PROTOCOL_OP_POLICY_SET, false, {
                ARG("persist", OP_ARG_BOOL, false, 0, persist),
                ARG("policy_fd", OP_ARG_BOOL, false, 0, policy_fd),
                ARG("policy", OP_ARG_DOCUMENT, false, 0, policy),
        }, run_policy_set },
        [OP_POLICY_RELOAD] = { PROTOCOL_OP_POLICY_RELOAD, false, {}, run_policy_reload },
        [OP_SET_DRY_RUN] = { PROTOCOL_OP_SET_DRY_RUN, false, {
                ARG("dry_run", OP_ARG_BOOL, true, 0, dry_run),
        }, run_set_dry_run },
        [OP_POLICY_REVERT] = { PROTOCOL_OP_POLICY_REVERT, false, {
                ARG("persist", OP_ARG_BOOL, false, 0, persist),
        }, run_policy_revert },
};

const OpSpec *op_spec(Op op) {
        return op >= 0 && op < _OP_MAX ? &op_table[op] : NULL;
}

void op_args_init(OpArgs *a) {
        *a = (OpArgs) { .min_pressure = -1, .position = -1, .fd = -1 };
}

static bool arg_missing(const OpArgSpec *s, const char *op, OpsError *err) {
        if (!s->required)
                return true; /* keeps its default */
        switch (s->type) {
        case OP_ARG_STRING:
                return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "%s needs the string argument \"%s\"", op, s->name);
        case OP_ARG_BOOL:
                return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "%s needs the boolean argument \"%s\" (true or false)",
                                     op, s->name);
        default:
                return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "%s needs the number argument \"%s\"", op, s->name);
        }
}

/* One argument by its spec: false with *err filled when it has the wrong type or is out of bounds. */
static bool arg_read(const OpArgSpec *s, const char *op, const cJSON *v, OpArgs *a, OpsError *err) {
        void *p = (char *) a + s->offset;

        switch (s->type) {
        case OP_ARG_STRING:
                if (!cJSON_IsString(v))
                        return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "argument \"%s\" of %s must be a string",
                                             s->name, op);
                *(const char **) p = v->valuestring;
                return true;
        case OP_ARG_BOOL:
                if (!cJSON_IsBool(v))
                        return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "argument \"%s\" of %s must be true or false",
                                             s->name, op);
                *(bool *) p = cJSON_IsTrue(v);
                return true;
        case OP_ARG_INT:
                if (!cJSON_IsNumber(v) || !double_is_whole(v->valuedouble) || v->valuedouble < 0 || v->valuedouble > s->max)
                        return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "argument \"%s\" of %s must be a whole number "
                                             "from %.0f to %.0f", s->name, op, 0.0, s->max);
                *(int64_t *) p = (int64_t) v->valuedouble;
                return true;
        case OP_ARG_SIZE:
                if (cJSON_IsString(v))
                        *(const char **) p = v->valuestring;
                else if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= s->max && double_is_whole(v->valuedouble)) {
                        /* Up to 2^53 a double holds every whole number: what is echoed is what was sent. */
                        snprintf(a->min_memory_text, sizeof a->min_memory_text, "%.0f", v->valuedouble);
                        *(const char **) p = a->min_memory_text;
                } else
                        return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "argument \"%s\" of %s must be a size: a whole "
                                             "number of bytes up to 9007199254740992 (8 PiB), or a string such as \"512M\" or "
                                             "\"10%%\"", s->name, op);
                return true;
        case OP_ARG_PRESSURE:
                if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0))
                        return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "argument \"%s\" of %s must be a number "
                                             "from 0 to 100 (memory full avg10, percent)", s->name, op);
                *(double *) p = v->valuedouble;
                return true;
        case OP_ARG_DOCUMENT:
                *(const cJSON **) p = v;
                return true;
        }
        return ops_error_set(err, OPS_ERROR_FAILED, "argument \"%s\" of %s has no known type", s->name, op);
}

bool op_args_parse(Op op, const cJSON *req, OpArgs *a, OpsError *err) {
        const OpSpec *spec = op_spec(op);
        if (!spec)
                return ops_error_set(err, OPS_ERROR_UNKNOWN_OP, "unknown operation");
        for (const OpArgSpec *s = spec->args; s < spec->args + OP_ARGS_MAX && s->name; s++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, s->name);
                if (!v || cJSON_IsNull(v)) {
                        if (!arg_missing(s, spec->name, err))
                                return false;
                } else if (!arg_read(s, spec->name, v, a, err))
                        return false;
        }
        return true;
}

bool op_admit(Manager *m, const Caller *c, Op op, OpsError *err) {
        n_admitted++;
        return ops_authorize(m, c, op, err);
}

uint64_t op_admit_count(void) {
        return n_admitted;
}

cJSON *op_dispatch(Manager *m, const Caller *c, Op op, const cJSON *req, OpArgs *a, OpsError *err) {
        const OpSpec *spec = op_spec(op);
        if (!spec) {
                ops_error_set(err, OPS_ERROR_UNKNOWN_OP, "unknown operation");
                return NULL;
        }
        /* Who may ask comes before what was asked: a refused caller learns nothing about its arguments. */
        if (!op_admit(m, c, op, err))
                return NULL;
        if (req && !op_args_parse(op, req, a, err))
                return NULL;
        return spec->handler(m, c, a, err);
}

const char *op_to_string(Op op) {
        return op >= 0 && op < _OP_MAX ? op_table[op].name : NULL;
}

int op_from_string(const char *s) {
        for (int i = 0; i < _OP_MAX; i++)
                if (streq(op_table[i].name, s))
                        return i;
        return -1;
}

bool op_is_read_only(Op op) {
        return op >= 0 && op < _OP_MAX && op_table[op].read_only;
}
