/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Requests on the control socket: one JSON object per line, naming an operation in "op" and giving
 * its arguments. The harness runs the socket's own parser: control_request_parse() (the edge check,
 * the JSON object, the op) and op_args_parse() (the arguments, by the op table), then hands what
 * passed to where an argument goes next: a target's unit name check, the policy parser for
 * kill-list entries and whole policies.
 */

#include <cjson/cJSON.h>
#include <string.h>

#include "fuzz-policy-check.h"
#include "fuzz-util.h"
#include "utf8.h"
#include "macro.h"
#include "policy/protocol.h"
#include "daemon/api/control_request.h"
#include "daemon/api/op_table.h"
#include "daemon/util/unit_name.h"

/* What passed the edge check holds only valid UTF-8 strings and keys, none cut short by a NUL. */
static void strings_valid(const cJSON *j) {
        fuzz_assert(!j->string || utf8_is_valid(j->string, strlen(j->string)));
        fuzz_assert(!cJSON_IsString(j) || utf8_is_valid(j->valuestring, strlen(j->valuestring)));
        for (const cJSON *c = j->child; c; c = c->next)
                strings_valid(c);
}

/* A line as the socket takes it; NULL when it answers an error. */
static cJSON *request_parse(const char *line, size_t len, Op *ret) {
        cJSON *req = NULL;
        OpsError err = {};

        if (control_request_parse(line, len, &req, ret, &err) < 0) {
                fuzz_assert(err.code == OPS_ERROR_INVALID_REQUEST || err.code == OPS_ERROR_UNKNOWN_OP);
                fuzz_assert(err.message[0]);
                cJSON_Delete(req);
                return NULL;
        }
        strings_valid(req);
        fuzz_assert(*ret < _OP_MAX && streq(op_to_string(*ret), cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "op"))));
        return req;
}

/* A policy document through the parser, as the operations layer hands on a new kill list or policy. */
static void policy_check(const cJSON *doc) {
        char *text = cJSON_PrintUnformatted(doc);
        Policy *p = NULL;
        PolicyError err = {};
        int r;

        if (!text)
                return;
        r = policy_parse(text, "<request>", &p, &err);
        if (r < 0)
                fuzz_check_policy_error(r, p, &err);
        else {
                fuzz_check_policy(p);
                policy_free(p);
        }
        free(text);
}

/* kill-list-add: the entry the operation adds, as a one-entry kill list. */
static void kill_list_entry_check(const OpArgs *a) {
        cJSON *doc = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(doc, "kill_list"), *e = cJSON_CreateObject();

        if (!doc || !list || !e) {
                cJSON_Delete(e);
                cJSON_Delete(doc);
                return;
        }
        cJSON_AddItemToArray(list, e);
        cJSON_AddStringToObject(e, "pattern", a->pattern);
        if (a->min_memory)
                cJSON_AddStringToObject(e, "min_memory", a->min_memory);
        if (a->min_pressure >= 0)
                cJSON_AddNumberToObject(e, "min_pressure", a->min_pressure);
        policy_check(doc);
        cJSON_Delete(doc);
}

static void request_check(const char *line, size_t len) {
        OpsError err = {};
        OpArgs a;
        cJSON *req;
        Op op;

        req = request_parse(line, len, &op);
        if (!req)
                return;
        op_args_init(&a);
        if (op_args_parse(op, req, &a, &err)) {
                if (op == OP_KILL)
                        fuzz_assert(!unit_name_is_valid(a.target) || !strchr(a.target, '/'));
                else if (op == OP_KILL_LIST_ADD)
                        kill_list_entry_check(&a);
                else if (op == OP_POLICY_SET && cJSON_IsObject(a.policy))
                        policy_check(a.policy);
        } else
                fuzz_assert(err.code == OPS_ERROR_INVALID_REQUEST && err.message[0]);
        cJSON_Delete(req);
}

/* Every line of the input is a request, as a connection reads them. */
void fuzz_text(const char *text, size_t size) {
        const char *end = text + size;

        for (const char *p = text; p < end;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t len = nl ? (size_t) (nl - p) : (size_t) (end - p);

                if (len <= CONTROL_LINE_MAX)
                        request_check(p, len);
                if (!nl)
                        break;
                p = nl + 1;
        }
}
