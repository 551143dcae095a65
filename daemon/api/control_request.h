/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The control socket's requests and replies (README "Control socket and oomctl"), apart from its
 * connections: one request line in, one reply object out. A line is checked at the edge (clean JSON
 * text, one object, a known "op"), then handed to op_dispatch() (op_table.h), which authorizes it
 * and reads its arguments by the op table. The reply is {"id", "ok": true, "result"} or
 * {"id", "ok": false, "error": {"code", "message"[, "path"]}}.
 */

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "api/op_table.h"
#include "api/operations.h"

/* Reads one request line (without its '\n'): 0 with the object in *ret_req (caller frees) and its
 * operation in *ret_op; or negative with *err filled (invalid-request, unknown-op), and *ret_req the
 * object when the line was one (for its "id"), else NULL. Needs no daemon: the fuzzer runs it. */
int control_request_parse(const char *line, size_t len, cJSON **ret_req, Op *ret_op, OpsError *err);

/* An error reply for the request whose "id" is id (NULL: null). NULL when out of memory. */
cJSON *control_reply_error(const cJSON *id, const OpsError *e);

/* Answers one request line from caller c, with fd_state and fd (borrowed) what descriptors came
 * with it. Returns the reply (caller frees; NULL when out of memory), *ret_ok whether it is a result
 * and *ret_op the operation asked for (-1 when the line named none). */
cJSON *control_request_answer(Manager *m, const Caller *c, const char *line, size_t len, OpFd fd_state, int fd,
                              bool *ret_ok, int *ret_op);
