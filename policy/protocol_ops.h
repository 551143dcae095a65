/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The operations a client may ask of pressured, as both sides of the wire know them: each
 * operation's name, whether anyone may run it or only the admin, and its arguments (name, JSON type,
 * required or not, bounds), with the one parser that reads a request's arguments by those rules, and
 * the error codes a refusal carries. The daemon's op table (daemon/api/op_table.h) adds a handler to
 * each operation; oomctl reads the requests it sends over D-Bus with the same parser, so an argument
 * means the same on every transport. cJSON only: no daemon includes.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

typedef enum OpsErrorCode {
        OPS_ERROR_INVALID_REQUEST,
        OPS_ERROR_UNKNOWN_OP,
        OPS_ERROR_PERMISSION_DENIED,
        OPS_ERROR_NOT_FOUND,
        OPS_ERROR_INVALID_POLICY,
        OPS_ERROR_TOO_LARGE,
        OPS_ERROR_FAILED,
        _OPS_ERROR_MAX,
} OpsErrorCode;

typedef struct OpsError {
        OpsErrorCode code;
        char message[1024];  /* what happened and what to do */
        char path[256];      /* the JSON path, for OPS_ERROR_INVALID_POLICY; "" otherwise */
} OpsError;

/* Fills *err (its path cleared) and returns false, so a check can `return ops_error_set(...)`. */
__attribute__((format(printf, 3, 4)))
bool ops_error_set(OpsError *err, OpsErrorCode code, const char *fmt, ...);
/* The same with a va_list. */
__attribute__((format(printf, 3, 0)))
void ops_error_setv(OpsError *err, OpsErrorCode code, const char *fmt, va_list ap);

/* "invalid-request", "unknown-op", ... as on the wire. */
const char *ops_error_code_to_string(OpsErrorCode c);

typedef enum Op {
        OP_STATUS,
        OP_KILL_LIST,
        OP_POLICY_GET,
        OP_HISTORY,
        OP_DUMP,
        OP_SUBSCRIBE,
        OP_KILL,
        OP_KILL_LIST_ADD,
        OP_KILL_LIST_REMOVE,
        OP_KILL_LIST_MOVE,
        OP_POLICY_SET,
        OP_POLICY_RELOAD,
        OP_SET_DRY_RUN,
        OP_POLICY_REVERT,
        _OP_MAX,
} Op;

/* The wire name ("kill-list-add", policy/protocol.h), and back (-1 when unknown); from the op table. */
const char *op_to_string(Op op);
int op_from_string(const char *s);

/* True for what anyone may do: status, kill-list, policy-get, history, dump, subscribe. */
bool op_is_read_only(Op op);

/* The most arguments one operation takes. */
#define OP_ARGS_MAX 5

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

typedef struct OpRules {
        const char *name;  /* on the wire, policy/protocol.h */
        bool read_only;    /* anyone may run it; the rest need root or the policy's admin_group */
        OpArgSpec args[OP_ARGS_MAX]; /* read in this order: the first bad one is the error */
} OpRules;

/* The rules of op, or NULL when op is out of range. */
const OpRules *op_rules(Op op);

/* Defaults: no reason, no min_memory, min_pressure and position -1, fd -1, everything else 0. */
void op_args_init(OpArgs *a);

/* Reads op's arguments from the request object req into *a (initialized by the caller) by the
 * table: absent or null ones keep their defaults unless required. Keys the op does not take are
 * ignored. False with *err filled (invalid-request, naming the argument) at the first bad one. The
 * strings in *a are req's. */
bool op_args_parse(Op op, const cJSON *req, OpArgs *a, OpsError *err);
