/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The op table: the handler of every operation. What an operation is called, who may run it and
 * what arguments it takes are its rules, shared with oomctl (policy/protocol_ops.h). Both front ends
 * go through op_dispatch(): the control socket hands it the request object, whose arguments
 * op_args_parse() reads by the rules; a D-Bus method reads its sd-bus arguments into the same OpArgs
 * and hands them over. op_dispatch() authorizes (ops_authorize) first, once per request, for both.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "api/operations.h"
#include "policy/protocol_ops.h"

/* Descriptors passed with requests ("policy_fd") held at once by all connections, waiting for their
 * request line to be complete: each is one more fd of ours, and the killer needs its fds. */
#define CONTROL_PASSED_FDS_MAX 16

typedef cJSON *(*OpHandler)(Manager *m, const Caller *c, const OpArgs *a, OpsError *err);

/* The handler of op, or NULL when op is out of range. */
OpHandler op_handler(Op op);

/* The one authorization point: ops_authorize() for op. D-Bus members that show a part of an
 * operation's result (ListCGroups: status) call it themselves; every operation gets it from
 * op_dispatch(). */
bool op_admit(Manager *m, const Caller *c, Op op, OpsError *err);

/* Runs one request: authorizes the caller (op_admit, exactly once), then, when req is given, reads
 * the arguments from it into *a (op_args_parse), then calls op's handler. Returns its result (caller
 * frees) or NULL with *err filled. */
cJSON *op_dispatch(Manager *m, const Caller *c, Op op, const cJSON *req, OpArgs *a, OpsError *err);

/* How many times op_admit() has run in this process: the tests' proof that a request is authorized once. */
uint64_t op_admit_count(void);
