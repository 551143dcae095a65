/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "policy/json_text.h"
#include "policy/macro.h"
#include "api/control_request.h"

DEFINE_POINTER_CLEANUP(cJSON, cJSON_Delete);

int control_request_parse(const char *line, size_t len, cJSON **ret_req, Op *ret_op, OpsError *err) {
        const char *end = NULL;

        *ret_req = NULL;
        /* Strings are checked once, here at the edge: valid UTF-8, no U+0000 (cJSON would end the
         * string there: "status\u0000kill" would be read as "status"), nothing cut short behind it. */
        char why[256];
        if (json_text_check(line, len, why, sizeof why) < 0)
                return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "the request is not clean JSON text: %s", why), -EINVAL;
        _cleanup_(cJSON_Deletep) cJSON *req = cJSON_ParseWithLengthOpts(line, len, &end, false);
        if (req)
                while (end < line + len && (*end == ' ' || *end == '\t' || *end == '\r'))
                        end++;
        if (!req || end != line + len)
                return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "the request is not valid JSON: send one JSON object "
                                     "per line, such as {\"op\": \"status\"}"), -EINVAL;
        if (!cJSON_IsObject(req))
                return ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "the request must be a JSON object such as "
                                     "{\"op\": \"status\"}, not an array or a bare value"), -EINVAL;
        const cJSON *opv = cJSON_GetObjectItemCaseSensitive(req, "op");
        int op = cJSON_IsString(opv) ? op_from_string(opv->valuestring) : -1;
        if (!cJSON_IsString(opv))
                ops_error_set(err, OPS_ERROR_INVALID_REQUEST, "the request has no \"op\" string; say what to do, "
                              "e.g. {\"op\": \"status\"}");
        else if (op < 0)
                ops_error_set(err, OPS_ERROR_UNKNOWN_OP, "unknown op \"%.64s\"; this pressured knows status, kill-list, "
                              "policy-get, history, dump, subscribe, kill, kill-list-add, kill-list-remove, kill-list-move, "
                              "policy-set, policy-reload, policy-revert and set-dry-run", opv->valuestring);
        *ret_req = TAKE_PTR(req);
        if (op < 0)
                return -EINVAL;
        *ret_op = (Op) op;
        return 0;
}

static cJSON *reply_new(const cJSON *id, bool ok) {
        cJSON *r = cJSON_CreateObject();
        if (r) {
                cJSON_AddItemToObject(r, "id", id ? cJSON_Duplicate(id, true) : cJSON_CreateNull());
                cJSON_AddBoolToObject(r, "ok", ok);
        }
        return r;
}

cJSON *control_reply_error(const cJSON *id, const OpsError *e) {
        cJSON *r = reply_new(id, false);
        if (!r)
                return NULL;
        cJSON *x = cJSON_AddObjectToObject(r, "error");
        if (x) {
                cJSON_AddStringToObject(x, "code", ops_error_code_to_string(e->code));
                cJSON_AddStringToObject(x, "message", e->message);
                if (e->code == OPS_ERROR_INVALID_POLICY)
                        cJSON_AddStringToObject(x, "path", e->path);
        }
        return r;
}

cJSON *control_request_answer(Manager *m, const Caller *c, const char *line, size_t len, OpFd fd_state, int fd,
                              bool *ret_ok, int *ret_op) {
        _cleanup_(cJSON_Deletep) cJSON *req = NULL;
        OpsError err = {};
        Op op;

        *ret_ok = false;
        *ret_op = -1;
        if (control_request_parse(line, len, &req, &op, &err) < 0)
                return control_reply_error(cJSON_GetObjectItemCaseSensitive(req, "id"), &err);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
        *ret_op = op;
        if (fd_state != OP_FD_NONE && op != OP_POLICY_SET) {
                ops_error_set(&err, OPS_ERROR_INVALID_REQUEST, "a file descriptor came with this %s request, which takes "
                              "none; it was closed unread. Only policy-set takes one, with \"policy_fd\": true",
                              op_to_string(op));
                return control_reply_error(id, &err);
        }
        OpArgs args;
        op_args_init(&args);
        args.fd_state = fd_state;
        args.fd = fd_state == OP_FD_ONE ? fd : -1;
        cJSON *result = op_dispatch(m, c, op, req, &args, &err);
        if (!result)
                return control_reply_error(id, &err);
        cJSON *r = reply_new(id, true);
        if (!r) {
                cJSON_Delete(result);
                return NULL;
        }
        cJSON_AddItemToObject(r, "result", result);
        *ret_ok = true;
        return r;
}
