/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What every oomctl command shares: the parsed command line (Args), the documented exit codes, the
 * options as bits, sending a request to pressured and turning a failure into an exit code, and the
 * small readers and printers of reply objects. The commands themselves live in cmd_*.c; oomctl.c
 * parses the command line and dispatches to them.
 */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "client.h"
#include "config.h"
#include "table.h"
#include "transport.h"

/* Where pressured keeps its history by default (its --state-dir, StateDirectory=pressured). */
#define DEFAULT_STATE_DIR LOCALSTATEDIR "/lib/pressured"

/* The exit codes, as documented in --help and oomctl(1). */
enum {
        EXIT_OK = 0,
        EXIT_REFUSED = 1,        /* the daemon refused or failed the request */
        EXIT_USAGE = 2,          /* bad command line */
        EXIT_INVALID_POLICY = 3, /* a policy that does not validate */
        EXIT_UNREACHABLE = 4,    /* pressured is not running or not reachable */
};

/* Options, as bits: each command accepts a subset. */
enum {
        OPT_JSON = 1 << 0,
        OPT_PERSIST = 1 << 1,
        OPT_DRY_RUN = 1 << 2,
        OPT_REASON = 1 << 3,
        OPT_SINCE = 1 << 4,
        OPT_MIN_MEMORY = 1 << 5,
        OPT_MIN_PRESSURE = 1 << 6,
        OPT_POSITION = 1 << 7,
        OPT_UNTIL = 1 << 8,
        OPT_STATE_DIR = 1 << 9,
        OPT_POLICY_DIR = 1 << 10,
        OPT_DROPIN = 1 << 11,
        OPT_CONFIG = 1 << 12,
};

typedef struct Args {
        const char *socket_path;
        TransportMode mode;        /* --socket, --bus, or neither: the bus with the socket as fallback */
        Transport *transport;
        unsigned given;            /* OPT_* bits seen on the command line */
        const char *reason, *since, *until, *min_memory, *min_pressure, *position, *state_dir;
        const char *policy_dir, *config; /* policy check */
        char **pos;                /* the positional arguments after the command (and subcommand) */
        int n_pos;
        bool color;
        bool no_legend;            /* tables without their header line */
        bool verbose;              /* status: the sampling counters and the mode's whole reason */
} Args;

/* With --json, what oomctl says on failure is one JSON object on stdout (see json_errors_begin() in
 * oomctl.c). The code it carries: the daemon's error code when it refused, else "" for one named
 * after the exit status. */
const char *error_code_get(void);

/* ---- small readers of reply objects ---- */

static inline const cJSON *get(const cJSON *o, const char *key) {
        return cJSON_GetObjectItemCaseSensitive(o, key);
}

static inline const char *get_str(const cJSON *o, const char *key) {
        return cJSON_GetStringValue(get(o, key));
}

static inline double get_num(const cJSON *o, const char *key, double fallback) {
        const cJSON *v = get(o, key);
        return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

static inline bool get_bool(const cJSON *o, const char *key) {
        return cJSON_IsTrue(get(o, key));
}

/* A size in bytes for a person, "-" for none (NaN or negative). */
void human_bytes(char *buf, size_t size, double bytes);
/* Local time, ISO-like: "2026-03-01 14:02:33"; "-" for none. */
void format_local_time(char *buf, size_t size, double usec);
/* The SGR code when colors are on, else NULL. */
const char *sgr(const Args *a, const char *code);
void print_colored(const Args *a, const char *code, const char *text);
/* Pretty JSON with two-space indents, and a newline. */
void print_json(const cJSON *o);
/* A table with these headers, printed without them with --no-legend. */
Table *new_table(const Args *a, size_t n_columns, const char *const *headers);

/* ---- talking to the daemon ---- */

/* The file a policy request carries, named when pressured refuses the policy (policy set). */
extern const char *policy_request_file;

/* Explains a failed call on stderr and returns the exit code for it. */
int explain_failure(const Args *a, const char *op, int r, const ClientError *e);
/* Sends one request (consumed) and returns an exit code; on EXIT_OK *ret holds the result. */
int call(const Args *a, cJSON *request, cJSON **ret);
/* A request object {"op": op}, or NULL without memory. */
cJSON *request_new(const char *op);
/* Runs a request whose whole result is printed with --json, or handed to `human` otherwise. */
int call_and_print(const Args *a, cJSON *request, void (*human)(const Args *a, const cJSON *result));
/* Adds "persist": true to a request when --persist was given; false without memory. */
bool add_persist(const Args *a, cJSON *req);
/* Runs a policy-changing request and prints its confirmation, `done` first. */
int call_change(const Args *a, cJSON *req, const char *done);

/* Points at the help for `topic` (NULL: the main help) and returns EXIT_USAGE. */
int usage_error(const char *topic);
