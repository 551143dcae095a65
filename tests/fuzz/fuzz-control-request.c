/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Requests on the control socket: one JSON object per line, naming an operation in "op" and giving
 * its arguments, as handle_line() and dispatch() in daemon/control_socket.c take them. That parser
 * is private to the socket and answers through a Manager, so this harness applies the same rules
 * with public pieces: cJSON, op_from_string(), a table of each operation's argument types (the
 * socket's arg_string(), arg_bool() and arg_int() calls), and where an argument goes next: a
 * target's unit name check, the policy parser for kill-list entries and whole policies.
 *
 * When the socket gets a pure request parser (a line in, an Op and typed arguments out), call it
 * from request_check() in place of request_parse() and args_valid(), and drop the table.
 */

#include <cjson/cJSON.h>
#include <string.h>

#include "daemon/api/control_socket.h"
#include "fuzz-policy-check.h"
#include "fuzz-util.h"
#include "json_text.h"
#include "utf8.h"
#include "macro.h"
#include "daemon/api/operations.h"
#include "daemon/util/unit_name.h"

typedef enum ArgType {
        ARG_STRING,
        ARG_BOOL,
        ARG_INT,      /* a whole number from 0 to max */
        ARG_SIZE,     /* kill-list-add's min_memory: a string, or a whole number of bytes */
        ARG_PRESSURE, /* kill-list-add's min_pressure: a number, at least 0 */
        ARG_POLICY,   /* policy-set's document: an object */
} ArgType;

typedef struct Arg {
        const char *key;
        ArgType type;
        bool required;
        double max;
} Arg;

#define ARGS_MAX 5
#define JSON_INT_MAX 9007199254740992.0 /* 2^53: whole numbers a double holds exactly */

/* Operations missing here take no argument. */
static const Arg op_args[_OP_MAX][ARGS_MAX] = {
        [OP_HISTORY]          = { { "since", ARG_INT, false, JSON_INT_MAX } },
        [OP_KILL]             = { { "target", ARG_STRING, true }, { "reason", ARG_STRING }, { "dry_run", ARG_BOOL } },
        [OP_KILL_LIST_ADD]    = { { "pattern", ARG_STRING, true }, { "position", ARG_INT, false, INT32_MAX },
                                  { "persist", ARG_BOOL }, { "min_memory", ARG_SIZE }, { "min_pressure", ARG_PRESSURE } },
        [OP_KILL_LIST_REMOVE] = { { "index", ARG_INT, true, INT32_MAX }, { "persist", ARG_BOOL } },
        [OP_KILL_LIST_MOVE]   = { { "from", ARG_INT, true, INT32_MAX }, { "to", ARG_INT, true, INT32_MAX },
                                  { "persist", ARG_BOOL } },
        [OP_POLICY_SET]       = { { "persist", ARG_BOOL }, { "policy", ARG_POLICY, true } },
        [OP_SET_DRY_RUN]      = { { "dry_run", ARG_BOOL, true } },
};

static bool arg_valid(const cJSON *req, const Arg *a) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, a->key);

        if (!v || cJSON_IsNull(v))
                return !a->required;
        switch (a->type) {
        case ARG_STRING:
                return cJSON_IsString(v);
        case ARG_BOOL:
                return cJSON_IsBool(v);
        case ARG_INT:
                return cJSON_IsNumber(v) && double_is_whole(v->valuedouble) && v->valuedouble >= 0 && v->valuedouble <= a->max;
        case ARG_SIZE:
                return cJSON_IsString(v) || (cJSON_IsNumber(v) && v->valuedouble >= 0 && double_is_whole(v->valuedouble));
        case ARG_PRESSURE:
                return cJSON_IsNumber(v) && v->valuedouble >= 0;
        case ARG_POLICY:
                return cJSON_IsObject(v);
        }
        return false;
}

static bool args_valid(const cJSON *req, Op op) {
        for (const Arg *a = op_args[op]; a < op_args[op] + ARGS_MAX && a->key; a++)
                if (!arg_valid(req, a))
                        return false;
        return true;
}

/* What passed the edge check holds only valid UTF-8 strings and keys, none cut short by a NUL. */
static void strings_valid(const cJSON *j) {
        fuzz_assert(!j->string || utf8_is_valid(j->string, strlen(j->string)));
        fuzz_assert(!cJSON_IsString(j) || utf8_is_valid(j->valuestring, strlen(j->valuestring)));
        for (const cJSON *c = j->child; c; c = c->next)
                strings_valid(c);
}

/* A line as handle_line() takes it: one JSON object (blanks after it allowed) with an "op" string
 * naming a known operation. Returns the object, or NULL when the socket answers an error. */
static cJSON *request_parse(const char *line, size_t len, Op *ret) {
        const char *end = NULL;

        if (json_text_check(line, len, NULL, 0) < 0) /* the socket's edge check comes first */
                return NULL;
        cJSON *req = cJSON_ParseWithLengthOpts(line, len, &end, false);
        if (!req)
                return NULL;
        strings_valid(req);
        while (end < line + len && (*end == ' ' || *end == '\t' || *end == '\r'))
                end++;
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(req, "op");
        int o = cJSON_IsString(op) ? op_from_string(op->valuestring) : -1;
        if (end != line + len || !cJSON_IsObject(req) || o < 0) {
                cJSON_Delete(req);
                return NULL;
        }
        fuzz_assert(o < _OP_MAX && streq(op_to_string(o), op->valuestring));
        *ret = (Op) o;
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
static void kill_list_entry_check(const cJSON *req) {
        const cJSON *min_memory = cJSON_GetObjectItemCaseSensitive(req, "min_memory");
        const cJSON *min_pressure = cJSON_GetObjectItemCaseSensitive(req, "min_pressure");
        cJSON *doc = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(doc, "kill_list"), *e = cJSON_CreateObject();
        char mem[64];

        if (!doc || !list || !e) {
                cJSON_Delete(e);
                cJSON_Delete(doc);
                return;
        }
        cJSON_AddItemToArray(list, e);
        cJSON_AddStringToObject(e, "pattern", cJSON_GetObjectItemCaseSensitive(req, "pattern")->valuestring);
        if (cJSON_IsString(min_memory))
                cJSON_AddStringToObject(e, "min_memory", min_memory->valuestring);
        else if (cJSON_IsNumber(min_memory)) {
                snprintf(mem, sizeof mem, "%.0f", min_memory->valuedouble);
                cJSON_AddStringToObject(e, "min_memory", mem);
        }
        if (cJSON_IsNumber(min_pressure))
                cJSON_AddNumberToObject(e, "min_pressure", min_pressure->valuedouble);
        policy_check(doc);
        cJSON_Delete(doc);
}

static void request_check(const char *line, size_t len) {
        cJSON *req;
        Op op;

        req = request_parse(line, len, &op);
        if (!req)
                return;
        if (args_valid(req, op)) {
                if (op == OP_KILL) {
                        const char *target = cJSON_GetObjectItemCaseSensitive(req, "target")->valuestring;
                        fuzz_assert(!unit_name_is_valid(target) || !strchr(target, '/'));
                } else if (op == OP_KILL_LIST_ADD)
                        kill_list_entry_check(req);
                else if (op == OP_POLICY_SET)
                        policy_check(cJSON_GetObjectItemCaseSensitive(req, "policy"));
        }
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
