/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The op table and the control socket's request path: every operation's wire name and read-only
 * flag, the generic argument parser's errors for missing, wrong-typed and out-of-range arguments,
 * the edge checks of a request line, and the reply a line gets from control_request_answer().
 * Replies that need the running daemon's state are the host and bus suites' business: here the
 * dispatcher is driven as root (whom ops_authorize() admits without looking at the Manager) up to
 * the point where an argument is refused.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <string.h>

#include "policy/protocol.h"
#include "api/control_request.h"
#include "api/op_table.h"

static const struct {
        Op op;
        const char *name;
        bool read_only;
} ops[] = {
        { OP_STATUS, PROTOCOL_OP_STATUS, true },
        { OP_KILL_LIST, PROTOCOL_OP_KILL_LIST, true },
        { OP_POLICY_GET, PROTOCOL_OP_POLICY_GET, true },
        { OP_HISTORY, PROTOCOL_OP_HISTORY, true },
        { OP_DUMP, PROTOCOL_OP_DUMP, true },
        { OP_SUBSCRIBE, PROTOCOL_OP_SUBSCRIBE, true },
        { OP_KILL, PROTOCOL_OP_KILL, false },
        { OP_KILL_LIST_ADD, PROTOCOL_OP_KILL_LIST_ADD, false },
        { OP_KILL_LIST_REMOVE, PROTOCOL_OP_KILL_LIST_REMOVE, false },
        { OP_KILL_LIST_MOVE, PROTOCOL_OP_KILL_LIST_MOVE, false },
        { OP_POLICY_SET, PROTOCOL_OP_POLICY_SET, false },
        { OP_POLICY_RELOAD, PROTOCOL_OP_POLICY_RELOAD, false },
        { OP_SET_DRY_RUN, PROTOCOL_OP_SET_DRY_RUN, false },
        { OP_POLICY_REVERT, PROTOCOL_OP_POLICY_REVERT, false },
};

Test(op_table, every_op_has_its_wire_name_both_ways) {
        cr_assert_eq(sizeof ops / sizeof ops[0], (size_t) _OP_MAX, "an operation is missing from this test");
        for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
                cr_assert_str_eq(op_to_string(ops[i].op), ops[i].name);
                cr_assert_eq(op_from_string(ops[i].name), (int) ops[i].op, "%s", ops[i].name);
                cr_assert_not_null(op_handler(ops[i].op), "%s has no handler", ops[i].name);
        }
        cr_assert_eq(op_from_string("Status"), -1);
        cr_assert_eq(op_from_string("kill-list-"), -1);
        cr_assert_eq(op_from_string(""), -1);
        cr_assert_null(op_to_string(_OP_MAX));
        cr_assert_null(op_handler(_OP_MAX));
        cr_assert_null(op_handler((Op) -1));
        cr_assert_null(op_rules(_OP_MAX));
        cr_assert_null(op_rules((Op) -1));
}

Test(op_table, read_only_as_documented) {
        for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
                cr_assert_eq(op_is_read_only(ops[i].op), ops[i].read_only, "%s", ops[i].name);
                cr_assert_eq(op_rules(ops[i].op)->read_only, ops[i].read_only, "%s", ops[i].name);
        }
        cr_assert_not(op_is_read_only(_OP_MAX));
}

/* Parses the arguments of the request text for op; returns whether they passed. The strings in *a
 * are the request's: it lives until the next call. */
static bool parse(Op op, const char *json, OpArgs *a, OpsError *err) {
        static cJSON *req;
        cJSON_Delete(req);
        req = cJSON_Parse(json);
        cr_assert_not_null(req, "bad test input %s", json);
        op_args_init(a);
        *err = (OpsError) {};
        return op_args_parse(op, req, a, err);
}

static void expect_refused(Op op, const char *json, const char *message) {
        OpArgs a;
        OpsError err;
        cr_assert_not(parse(op, json, &a, &err), "accepted %s", json);
        cr_assert_eq(err.code, OPS_ERROR_INVALID_REQUEST, "%s", json);
        cr_assert_str_eq(err.message, message, "for %s", json);
        cr_assert_str_eq(err.path, "");
}

Test(op_args, missing_required) {
        expect_refused(OP_KILL, "{}", "kill needs the string argument \"target\"");
        expect_refused(OP_KILL, "{\"target\": null}", "kill needs the string argument \"target\"");
        expect_refused(OP_SET_DRY_RUN, "{}", "set-dry-run needs the boolean argument \"dry_run\" (true or false)");
        expect_refused(OP_KILL_LIST_REMOVE, "{\"persist\": true}", "kill-list-remove needs the number argument \"index\"");
        expect_refused(OP_KILL_LIST_MOVE, "{\"from\": 1}", "kill-list-move needs the number argument \"to\"");
        expect_refused(OP_KILL_LIST_ADD, "{\"position\": 1}", "kill-list-add needs the string argument \"pattern\"");
}

Test(op_args, wrong_type) {
        expect_refused(OP_KILL, "{\"target\": 5}", "argument \"target\" of kill must be a string");
        expect_refused(OP_KILL, "{\"target\": \"/a\", \"reason\": []}", "argument \"reason\" of kill must be a string");
        expect_refused(OP_KILL, "{\"target\": \"/a\", \"dry_run\": \"yes\"}", "argument \"dry_run\" of kill must be true or false");
        expect_refused(OP_SET_DRY_RUN, "{\"dry_run\": 1}", "argument \"dry_run\" of set-dry-run must be true or false");
        expect_refused(OP_POLICY_REVERT, "{\"persist\": 0}", "argument \"persist\" of policy-revert must be true or false");
        expect_refused(OP_POLICY_SET, "{\"policy_fd\": \"true\"}", "argument \"policy_fd\" of policy-set must be true or false");
        expect_refused(OP_KILL_LIST_REMOVE, "{\"index\": \"1\"}",
                       "argument \"index\" of kill-list-remove must be a whole number from 0 to 2147483647");
        expect_refused(OP_KILL_LIST_ADD, "{\"pattern\": \"/a\", \"min_memory\": true}",
                       "argument \"min_memory\" of kill-list-add must be a size: a whole number of bytes up to "
                       "9007199254740992 (8 PiB), or a string such as \"512M\" or \"10%\"");
        expect_refused(OP_KILL_LIST_ADD, "{\"pattern\": \"/a\", \"min_pressure\": \"5\"}",
                       "argument \"min_pressure\" of kill-list-add must be a number from 0 to 100 (memory full avg10, percent)");
}

Test(op_args, out_of_bounds) {
        expect_refused(OP_KILL_LIST_REMOVE, "{\"index\": -1}",
                       "argument \"index\" of kill-list-remove must be a whole number from 0 to 2147483647");
        expect_refused(OP_KILL_LIST_REMOVE, "{\"index\": 1.5}",
                       "argument \"index\" of kill-list-remove must be a whole number from 0 to 2147483647");
        expect_refused(OP_KILL_LIST_MOVE, "{\"from\": 0, \"to\": 2147483648}",
                       "argument \"to\" of kill-list-move must be a whole number from 0 to 2147483647");
        expect_refused(OP_KILL_LIST_ADD, "{\"pattern\": \"/a\", \"position\": -3}",
                       "argument \"position\" of kill-list-add must be a whole number from 0 to 2147483647");
        expect_refused(OP_HISTORY, "{\"since\": 9007199254740994}",
                       "argument \"since\" of history must be a whole number from 0 to 9007199254740992");
        expect_refused(OP_KILL_LIST_ADD, "{\"pattern\": \"/a\", \"min_memory\": 9007199254740994}",
                       "argument \"min_memory\" of kill-list-add must be a size: a whole number of bytes up to "
                       "9007199254740992 (8 PiB), or a string such as \"512M\" or \"10%\"");
        expect_refused(OP_KILL_LIST_ADD, "{\"pattern\": \"/a\", \"min_pressure\": -0.5}",
                       "argument \"min_pressure\" of kill-list-add must be a number from 0 to 100 (memory full avg10, percent)");
}

/* The first bad argument in the table's order is the one named, whatever the order in the request. */
Test(op_args, first_bad_argument_in_table_order) {
        expect_refused(OP_KILL, "{\"dry_run\": 1, \"reason\": 2}", "kill needs the string argument \"target\"");
        expect_refused(OP_KILL_LIST_ADD, "{\"min_pressure\": -1, \"persist\": 1, \"pattern\": \"/a\"}",
                       "argument \"persist\" of kill-list-add must be true or false");
}

Test(op_args, values_and_defaults) {
        OpArgs a;
        OpsError err;

        cr_assert(parse(OP_KILL_LIST_ADD, "{\"pattern\": \"/a/*\", \"min_memory\": 1073741824, \"min_pressure\": 12.5, "
                        "\"position\": 3, \"persist\": true, \"surplus\": [1], \"id\": 7}", &a, &err), "%s", err.message);
        cr_assert_str_eq(a.pattern, "/a/*");
        cr_assert_str_eq(a.min_memory, "1073741824");
        cr_assert_float_eq(a.min_pressure, 12.5, 1e-9);
        cr_assert_eq(a.position, 3);
        cr_assert(a.persist);

        /* left out or null: the operation's own defaults */
        cr_assert(parse(OP_KILL_LIST_ADD, "{\"pattern\": \"p\", \"min_memory\": null, \"position\": null}", &a, &err));
        cr_assert_null(a.min_memory);
        cr_assert_lt(a.min_pressure, 0);
        cr_assert_lt(a.position, 0);
        cr_assert_not(a.persist);
        cr_assert(parse(OP_KILL_LIST_ADD, "{\"pattern\": \"p\", \"min_memory\": \"10%\"}", &a, &err));
        cr_assert_str_eq(a.min_memory, "10%");

        cr_assert(parse(OP_KILL, "{\"target\": \"x.service\", \"dry_run\": true}", &a, &err));
        cr_assert_str_eq(a.target, "x.service");
        cr_assert_null(a.reason);
        cr_assert(a.dry_run);
        cr_assert(parse(OP_HISTORY, "{\"since\": 9007199254740992}", &a, &err));
        cr_assert_eq(a.since, INT64_C(9007199254740992));
        cr_assert(parse(OP_KILL_LIST_MOVE, "{\"from\": 0, \"to\": 2147483647}", &a, &err));
        cr_assert_eq(a.from, 0);
        cr_assert_eq(a.to, 2147483647);
        cr_assert_eq(a.fd, -1);
        cr_assert_eq(a.fd_state, OP_FD_NONE);

        /* operations without arguments ignore whatever comes */
        cr_assert(parse(OP_STATUS, "{\"since\": \"never\", \"target\": 1}", &a, &err));
        /* policy-set's document is the operation's to judge: any value passes the parser */
        cr_assert(parse(OP_POLICY_SET, "{\"policy\": [1]}", &a, &err));
        cr_assert(cJSON_IsArray(a.policy));
}

/* ---- request lines ---- */

static void expect_line_refused(const char *line, OpsErrorCode code, const char *message, bool has_req) {
        cJSON *req = NULL;
        OpsError err = {};
        Op op;
        cr_assert_lt(control_request_parse(line, strlen(line), &req, &op, &err), 0, "accepted %s", line);
        cr_assert_eq(err.code, code, "%s: %s", line, err.message);
        cr_assert_str_eq(err.message, message, "for %s: %s", line, err.message);
        cr_assert_eq(req != NULL, has_req, "%s", line);
        cJSON_Delete(req);
}

static bool starts_with(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

Test(control_request, malformed_lines) {
        /* the edge check's own words (json_text_check) follow the socket's */
        cJSON *req = NULL;
        OpsError err = {};
        Op op;
        static const char bad[] = "{\"op\": \"st\xff\"}";
        cr_assert_lt(control_request_parse(bad, strlen(bad), &req, &op, &err), 0);
        cr_assert_eq(err.code, OPS_ERROR_INVALID_REQUEST);
        cr_assert(starts_with(err.message, "the request is not clean JSON text: op: invalid UTF-8, byte 0xff"),
                  "%s", err.message);
        cr_assert_null(req);
        /* "status\u0000kill" must not be read as "status" */
        static const char nul[] = "{\"op\": \"status\\u0000kill\"}";
        cr_assert_lt(control_request_parse(nul, strlen(nul), &req, &op, &err), 0);
        cr_assert(starts_with(err.message, "the request is not clean JSON text: "), "%s", err.message);
        cr_assert_null(req);
        expect_line_refused("{\"op\": \"status\"", OPS_ERROR_INVALID_REQUEST,
                            "the request is not valid JSON: send one JSON object per line, such as {\"op\": \"status\"}", false);
        expect_line_refused("{\"op\": \"status\"} {}", OPS_ERROR_INVALID_REQUEST,
                            "the request is not valid JSON: send one JSON object per line, such as {\"op\": \"status\"}", false);
        expect_line_refused("[\"status\"]", OPS_ERROR_INVALID_REQUEST,
                            "the request must be a JSON object such as {\"op\": \"status\"}, not an array or a bare value", false);
        expect_line_refused("{\"id\": 1, \"op\": 5}", OPS_ERROR_INVALID_REQUEST,
                            "the request has no \"op\" string; say what to do, e.g. {\"op\": \"status\"}", true);
        expect_line_refused("{\"id\": 1, \"op\": \"reboot\"}", OPS_ERROR_UNKNOWN_OP,
                            "unknown op \"reboot\"; this pressured knows status, kill-list, policy-get, history, dump, "
                            "subscribe, kill, kill-list-add, kill-list-remove, kill-list-move, policy-set, policy-reload, "
                            "policy-revert and set-dry-run", true);
}

Test(control_request, good_line) {
        static const char line[] = "{\"id\": \"a\", \"op\": \"kill-list-move\", \"from\": 1, \"to\": 0} \t\r";
        cJSON *req = NULL;
        OpsError err = {};
        Op op = _OP_MAX;
        cr_assert_eq(control_request_parse(line, strlen(line), &req, &op, &err), 0, "%s", err.message);
        cr_assert_eq(op, OP_KILL_LIST_MOVE);
        cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "id")), "a");
        cJSON_Delete(req);
}

/* The whole reply of control_request_answer() for a line from root, as JSON text. */
static char *answer(const char *line, OpFd fd_state, bool *ok, int *op) {
        Caller root = { .uid = 0, .gid = 0, .pid = 1 };
        cJSON *r = control_request_answer(NULL, &root, line, strlen(line), fd_state, -1, ok, op);
        cr_assert_not_null(r);
        char *text = cJSON_PrintUnformatted(r);
        cJSON_Delete(r);
        return text;
}

static void expect_answer(const char *line, OpFd fd_state, const char *reply, int expect_op, uint64_t admits) {
        bool ok = true;
        int op = -2;
        uint64_t before = op_admit_count();
        char *text = answer(line, fd_state, &ok, &op);
        cr_assert_str_eq(text, reply, "for %s", line);
        cr_assert_not(ok);
        cr_assert_eq(op, expect_op, "for %s", line);
        cr_assert_eq(op_admit_count() - before, admits, "%s was authorized %" PRIu64 " times",
                     line, op_admit_count() - before);
        free(text);
}

Test(control_request, replies) {
        expect_answer("nonsense", OP_FD_NONE,
                      "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"invalid-request\",\"message\":\"the request is not "
                      "valid JSON: send one JSON object per line, such as {\\\"op\\\": \\\"status\\\"}\"}}", -1, 0);
        expect_answer("{\"id\": [1], \"op\": \"nope\"}", OP_FD_NONE,
                      "{\"id\":[1],\"ok\":false,\"error\":{\"code\":\"unknown-op\",\"message\":\"unknown op \\\"nope\\\"; "
                      "this pressured knows status, kill-list, policy-get, history, dump, subscribe, kill, kill-list-add, "
                      "kill-list-remove, kill-list-move, policy-set, policy-reload, policy-revert and set-dry-run\"}}", -1, 0);
        /* a descriptor with an operation that takes none: refused before anyone is asked */
        expect_answer("{\"id\": 2, \"op\": \"status\"}", OP_FD_ONE,
                      "{\"id\":2,\"ok\":false,\"error\":{\"code\":\"invalid-request\",\"message\":\"a file descriptor came "
                      "with this status request, which takes none; it was closed unread. Only policy-set takes one, with "
                      "\\\"policy_fd\\\": true\"}}", OP_STATUS, 0);
        /* argument errors come after the one authorization */
        expect_answer("{\"id\": 3, \"op\": \"kill\"}", OP_FD_NONE,
                      "{\"id\":3,\"ok\":false,\"error\":{\"code\":\"invalid-request\",\"message\":\"kill needs the string "
                      "argument \\\"target\\\"\"}}", OP_KILL, 1);
        expect_answer("{\"op\": \"history\", \"since\": -1}", OP_FD_NONE,
                      "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"invalid-request\",\"message\":\"argument \\\"since\\\" "
                      "of history must be a whole number from 0 to 9007199254740992\"}}", OP_HISTORY, 1);
        /* policy-set's own checks of what came with it */
        expect_answer("{\"op\": \"policy-set\", \"policy_fd\": true}", OP_FD_MANY,
                      "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"invalid-request\",\"message\":\"more than one file "
                      "descriptor came with this policy-set request; it takes exactly one, a sealed memfd holding the policy. "
                      "All were closed unread and the running policy is unchanged\"}}", OP_POLICY_SET, 1);
        expect_answer("{\"op\": \"policy-set\", \"policy_fd\": true, \"policy\": {}}", OP_FD_ONE,
                      "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"invalid-request\",\"message\":\"policy-set got both "
                      "\\\"policy\\\" and \\\"policy_fd\\\": send the document one way, inline or in the descriptor\"}}",
                      OP_POLICY_SET, 1);
        expect_answer("{\"op\": \"policy-set\", \"policy\": {}}", OP_FD_ONE,
                      "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"invalid-request\",\"message\":\"a file descriptor "
                      "came with this policy-set request, which does not say \\\"policy_fd\\\": true; it was closed unread "
                      "and the running policy is unchanged\"}}", OP_POLICY_SET, 1);
        expect_answer("{\"op\": \"policy-set\", \"policy\": 3}", OP_FD_NONE,
                      "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"invalid-request\",\"message\":\"policy-set needs the "
                      "argument \\\"policy\\\": the whole policy document as a JSON object, or \\\"policy_fd\\\": true with "
                      "the document in a sealed memfd passed along (SCM_RIGHTS)\"}}", OP_POLICY_SET, 1);
        expect_answer("{\"op\": \"policy-set\", \"policy_fd\": true}", OP_FD_BUSY,
                      "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"failed\",\"message\":\"pressured holds 16 descriptors "
                      "passed by clients already, the most it takes at once; the one sent with this policy-set was closed "
                      "unread: try again in a moment\"}}", OP_POLICY_SET, 1);
}

/* A read-only operation's handler runs after exactly one authorization: subscribe needs no daemon state. */
Test(control_request, subscribe_authorized_once) {
        bool ok = false;
        int op = -1;
        uint64_t before = op_admit_count();
        char *text = answer("{\"id\": \"s\", \"op\": \"subscribe\"}", OP_FD_NONE, &ok, &op);
        cr_assert_str_eq(text, "{\"id\":\"s\",\"ok\":true,\"result\":{\"subscribed\":true}}");
        cr_assert(ok);
        cr_assert_eq(op, OP_SUBSCRIBE);
        cr_assert_eq(op_admit_count() - before, 1);
        free(text);
}
