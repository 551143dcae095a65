/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "protocol.h"
#include "protocol_ops.h"

#define JSON_INT_MAX 9007199254740992.0 /* 2^53: whole numbers a double holds exactly */

#define ARG(n, t, req, mx, field) { .name = (n), .type = (t), .required = (req), .max = (mx), .offset = offsetof(OpArgs, field) }

static const char *const error_codes[_OPS_ERROR_MAX] = {
        [OPS_ERROR_INVALID_REQUEST] = "invalid-request",
        [OPS_ERROR_UNKNOWN_OP] = "unknown-op",
        [OPS_ERROR_PERMISSION_DENIED] = "permission-denied",
        [OPS_ERROR_NOT_FOUND] = "not-found",
        [OPS_ERROR_INVALID_POLICY] = "invalid-policy",
        [OPS_ERROR_TOO_LARGE] = "too-large",
        [OPS_ERROR_FAILED] = "failed",
};

const char *ops_error_code_to_string(OpsErrorCode c) {
        return c >= 0 && c < _OPS_ERROR_MAX ? error_codes[c] : "failed";
}

void ops_error_setv(OpsError *err, OpsErrorCode code, const char *fmt, va_list ap) {
        err->code = code;
        err->path[0] = 0;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
}

bool ops_error_set(OpsError *err, OpsErrorCode code, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        ops_error_setv(err, code, fmt, ap);
        va_end(ap);
        return false;
}

static const OpRules op_rules_table[_OP_MAX] = {
        [OP_STATUS] = { PROTOCOL_OP_STATUS, true, {} },
        [OP_KILL_LIST] = { PROTOCOL_OP_KILL_LIST, true, {} },
        [OP_POLICY_GET] = { PROTOCOL_OP_POLICY_GET, true, {} },
        [OP_HISTORY] = { PROTOCOL_OP_HISTORY, true, {
                ARG("since", OP_ARG_INT, false, JSON_INT_MAX, since),
        } },
        [OP_DUMP] = { PROTOCOL_OP_DUMP, true, {} },
        [OP_SUBSCRIBE] = { PROTOCOL_OP_SUBSCRIBE, true, {} },
        [OP_KILL] = { PROTOCOL_OP_KILL, false, {
                ARG("target", OP_ARG_STRING, true, 0, target),
                ARG("reason", OP_ARG_STRING, false, 0, reason),
                ARG("dry_run", OP_ARG_BOOL, false, 0, dry_run),
        } },
        [OP_KILL_LIST_ADD] = { PROTOCOL_OP_KILL_LIST_ADD, false, {
                ARG("pattern", OP_ARG_STRING, true, 0, pattern),
                ARG("position", OP_ARG_INT, false, INT32_MAX, position),
                ARG("persist", OP_ARG_BOOL, false, 0, persist),
                ARG("min_memory", OP_ARG_SIZE, false, JSON_INT_MAX, min_memory),
                ARG("min_pressure", OP_ARG_PRESSURE, false, 0, min_pressure),
        } },
        [OP_KILL_LIST_REMOVE] = { PROTOCOL_OP_KILL_LIST_REMOVE, false, {
                ARG("index", OP_ARG_INT, true, INT32_MAX, index),
                ARG("persist", OP_ARG_BOOL, false, 0, persist),
        } },
        [OP_KILL_LIST_MOVE] = { PROTOCOL_OP_KILL_LIST_MOVE, false, {
                ARG("from", OP_ARG_INT, true, INT32_MAX, from),
                ARG("to", OP_ARG_INT, true, INT32_MAX, to),
                ARG("persist", OP_ARG_BOOL, false, 0, persist),
        } },
        [OP_POLICY_SET] = { PROTOCOL_OP_POLICY_SET, false, {
                ARG("persist", OP_ARG_BOOL, false, 0, persist),
                ARG("policy_fd", OP_ARG_BOOL, false, 0, policy_fd),
                ARG("policy", OP_ARG_DOCUMENT, false, 0, policy),
        } },
        [OP_POLICY_RELOAD] = { PROTOCOL_OP_POLICY_RELOAD, false, {} },
        [OP_SET_DRY_RUN] = { PROTOCOL_OP_SET_DRY_RUN, false, {
                ARG("dry_run", OP_ARG_BOOL, true, 0, dry_run),
        } },
        [OP_POLICY_REVERT] = { PROTOCOL_OP_POLICY_REVERT, false, {
                ARG("persist", OP_ARG_BOOL, false, 0, persist),
        } },
};

const OpRules *op_rules(Op op) {
        return op >= 0 && op < _OP_MAX ? &op_rules_table[op] : NULL;
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
        const OpRules *spec = op_rules(op);
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

const char *op_to_string(Op op) {
        return op >= 0 && op < _OP_MAX ? op_rules_table[op].name : NULL;
}

int op_from_string(const char *s) {
        for (int i = 0; i < _OP_MAX; i++)
                if (streq(op_rules_table[i].name, s))
                        return i;
        return -1;
}

bool op_is_read_only(Op op) {
        return op >= 0 && op < _OP_MAX && op_rules_table[op].read_only;
}
