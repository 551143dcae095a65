/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The op table: for every operation (operations.h Op) its wire name, its arguments (name, JSON type,
 * required or not, bounds), whether anyone may run it or only the admin, and its handler. Both front
 * ends go through it: the control socket hands op_dispatch() the request object, whose arguments one
 * generic parser reads by the table; a D-Bus method reads its sd-bus arguments into the same OpArgs
 * and hands them over. op_dispatch() authorizes (ops_authorize) first, once per request, for both.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "api/operations.h"

/* The most arguments one operation takes. */
#define OP_ARGS_MAX 5

/* Descriptors passed with requests ("policy_fd") held at once by all connections, waiting for their
 * request line to be complete: each is one more fd of ours, and the killer needs its fds. */
#define CONTROL_PASSED_FDS_MAX 16

/* What came with a request as a file descriptor (the socket's SCM_RIGHTS, D-Bus's "h"). */
typedef enum OpFd {
        OP_FD_NONE,          /* nothing passed */
        OP_FD_ONE,           /* one descriptor, in OpArgs.fd (borrowed) */
        OP_FD_MANY,          /* more than one for one request: all closed */
        OP_FD_UNAUTHORIZED,  /* came before the caller could set the policy: closed unread */
        OP_FD_BUSY,          /* the daemon held too many passed descriptors already: closed */
} OpFd;

/* Every operation's arguments, typed. op_args_init() sets the defaults of those left out. */
typedef struct OpArgs {
        const char *target;        /* kill: a cgroup path or a unit name */
        const char *reason;        /* kill: NULL for none */
        bool dry_run;              /* kill, set-dry-run */
        bool persist;              /* kill-list-*, policy-set, policy-revert */
        const char *pattern;       /* kill-list-add */
        const char *min_memory;    /* kill-list-add: policy text ("512M"), NULL for none */
        char min_memory_text[64];  /* min_memory, when it came as a number of bytes */
        double min_pressure;       /* kill-list-add: < 0 for none */
        int64_t position;          /* kill-list-add: < 0 for the end */
        int64_t index;             /* kill-list-remove */
        int64_t from, to;          /* kill-list-move */
        int64_t since;             /* history: CLOCK_REALTIME µs */
        const cJSON *policy;       /* policy-set: the inline document (borrowed), NULL when absent */
        bool policy_fd;            /* policy-set: the document is in the descriptor passed along */
        const char *policy_text;   /* policy-set over D-Bus: the document as text */
        OpFd fd_state;             /* what descriptors came with the request */
        int fd;                    /* with OP_FD_ONE: the descriptor (borrowed), else -1 */
} OpArgs;

typedef enum OpArgType {
        OP_ARG_STRING,
        OP_ARG_BOOL,
        OP_ARG_INT,        /* a whole number from 0 to max */
        OP_ARG_SIZE,       /* a string ("512M", "10%"), or a whole number of bytes up to 2^53 */
        OP_ARG_PRESSURE,   /* a number, at least 0 */
        OP_ARG_DOCUMENT,   /* any JSON value: the operation checks it (policy-set's "policy") */
} OpArgType;

typedef struct OpArgSpec {
        const char *name;  /* NULL ends the list */
        OpArgType type;
        bool required;
        double max;        /* OP_ARG_INT */
        size_t offset;     /* where it goes in OpArgs */
} OpArgSpec;

typedef cJSON *(*OpHandler)(Manager *m, const Caller *c, const OpArgs *a, OpsError *err);

typedef struct OpSpec {
        const char *name;  /* on the wire, policy/protocol.h */
        bool read_only;    /* anyone may run it; the rest need root or the policy's admin_group */
        OpArgSpec args[OP_ARGS_MAX]; /* read in this order: the first bad one is the error */
        OpHandler handler;
} OpSpec;

/* The entry of op, or NULL when op is out of range. */
const OpSpec *op_spec(Op op);

/* Defaults: no reason, no min_memory, min_pressure and position -1, fd -1, everything else 0. */
void op_args_init(OpArgs *a);

/* Reads op's arguments from the request object req into *a (initialized by the caller) by the
 * table: absent or null ones keep their defaults unless required. Keys the op does not take are
 * ignored. False with *err filled (invalid-request, naming the argument) at the first bad one. The
 * strings in *a are req's. */
bool op_args_parse(Op op, const cJSON *req, OpArgs *a, OpsError *err);

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
