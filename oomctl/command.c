/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every oomctl command shares (command.h): sending one request over the transport and mapping
 * its failure to the documented exit codes, and printing reply objects for a person.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command.h"
#include "config.h"
#include "format.h"
#include "macro.h"

static char error_code[64];

static void set_error_code(const char *code) {
        snprintf(error_code, sizeof error_code, "%s", code);
}

const char *error_code_get(void) {
        return error_code;
}

/* ---- small readers of reply objects ---- */

void human_bytes(char *buf, size_t size, double bytes) {
        if (isnan(bytes) || bytes < 0)
                snprintf(buf, size, "-");
        else
                format_bytes(buf, size, bytes);
}

/* Local time, ISO-like: "2026-03-01 14:02:33". */
void format_local_time(char *buf, size_t size, double usec) {
        struct tm tm;
        time_t t = (time_t) (usec / 1e6);

        if (isnan(usec) || usec <= 0 || !localtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                snprintf(buf, size, "-");
}

const char *sgr(const Args *a, const char *code) {
        return a->color ? code : NULL;
}

void print_colored(const Args *a, const char *code, const char *text) {
        if (a->color && code)
                printf("\033[%sm%s\033[0m", code, text);
        else
                fputs(text, stdout);
}

/* Pretty JSON with two-space indents. cJSON indents with tabs; a raw tab never occurs inside a
 * JSON string (it is escaped), so every tab is layout. */
void print_json(const cJSON *o) {
        _cleanup_free_ char *s = cJSON_Print(o);
        if (!s)
                return;
        for (const char *c = s; *c; c++)
                if (*c == '\t')
                        fputs(c > s && c[-1] == ':' ? " " : "  ", stdout);
                else
                        putchar(*c);
        putchar('\n');
}

/* A table with these headers, printed without them with --no-legend. */
Table *new_table(const Args *a, size_t n_columns, const char *const *headers) {
        Table *t = table_new(n_columns, headers);
        if (t)
                table_set_header(t, !a->no_legend);
        return t;
}

/* ---- talking to the daemon ---- */

/* The file a policy request carries, named when pressured refuses the policy (policy set). */
const char *policy_request_file;

/* Explains a failed call on stderr and returns the exit code for it. */
int explain_failure(const Args *a, const char *op, int r, const ClientError *e) {
        const char *where = transport_where(a->transport);

        if (r == 1 && e->code[0])
                set_error_code(e->code);
        if (r == 1) {
                if (streq(e->code, "permission-denied")) {
                        fprintf(stderr, "pressured refused \"%s\": permission denied: %s\n", op, e->message);
                        return EXIT_REFUSED;
                }
                if (streq(e->code, "invalid-policy")) {
                        fprintf(stderr, "pressured refused the policy%s%s: %s: %s\n", policy_request_file ? " in " : "",
                                policy_request_file ?: "", e->path[0] ? e->path : "(the whole document)", e->message);
                        return EXIT_INVALID_POLICY;
                }
                if (streq(e->code, "unknown-op")) {
                        fprintf(stderr, "pressured does not know the request \"%s\" (%s): it is probably older than this oomctl "
                                        "(%s); update pressured or use a matching oomctl.\n", op, e->message, PACKAGE_VERSION);
                        return EXIT_REFUSED;
                }
                if (streq(e->code, "not-found"))
                        fprintf(stderr, "pressured refused \"%s\": not found: %s\n", op, e->message);
                else
                        fprintf(stderr, "pressured refused \"%s\" (%s): %s\n", op, e->code[0] ? e->code : "no code", e->message);
                return EXIT_REFUSED;
        }
        if (r == -EHOSTUNREACH) {
                fprintf(stderr, "%s\n", transport_why(a->transport));
                return EXIT_UNREACHABLE;
        }
        if (r == -ECONNRESET) {
                fprintf(stderr, "pressured closed the connection %s before answering \"%s\": it may have stopped or "
                                "restarted; check \"journalctl -u pressured\".\n", where, op);
                return EXIT_UNREACHABLE;
        }
        if (r == -ETIMEDOUT) {
                fprintf(stderr, "pressured did not answer \"%s\" within %d s %s: it may be stuck; check "
                                "\"journalctl -u pressured\".\n", op, CLIENT_REPLY_TIMEOUT_SEC, where);
                return EXIT_UNREACHABLE;
        }
        if (r == -EBADMSG) {
                fprintf(stderr, "pressured answered \"%s\" %s with something that is not a protocol reply: is that "
                                "pressured, and is it the same version as oomctl (%s)?\n", op, where, PACKAGE_VERSION);
                return EXIT_REFUSED;
        }
        if (r == -EOPNOTSUPP) {
                fprintf(stderr, "oomctl cannot send \"%s\" %s; use --socket PATH to send it over the control socket.\n",
                        op, where);
                return EXIT_REFUSED;
        }
        fprintf(stderr, "talking to pressured %s failed during \"%s\": %s%s%s.\n", where, op, strerror(-r),
                e->message[0] ? ": " : "", e->message);
        return EXIT_UNREACHABLE;
}

/* Sends one request (consumed) and returns an exit code; on EXIT_OK *ret holds the result. */
int call(const Args *a, cJSON *request, cJSON **ret) {
        ClientError e = { 0 };
        char op[64];

        if (!request) {
                fprintf(stderr, "out of memory building the request\n");
                return EXIT_REFUSED;
        }
        snprintf(op, sizeof op, "%s", get_str(request, "op") ?: "?");
        int r = transport_call(a->transport, request, ret, &e);
        cJSON_Delete(request);
        return r == 0 ? EXIT_OK : explain_failure(a, op, r, &e);
}

cJSON *request_new(const char *op) {
        cJSON *o = cJSON_CreateObject();
        if (o && !cJSON_AddStringToObject(o, "op", op)) {
                cJSON_Delete(o);
                return NULL;
        }
        return o;
}

/* Runs a request whose whole result is printed with --json, or handed to `human` otherwise. */
int call_and_print(const Args *a, cJSON *request, void (*human)(const Args *a, const cJSON *result)) {
        cJSON *result = NULL;
        int x = call(a, request, &result);
        if (x != EXIT_OK)
                return x;
        if (a->given & OPT_JSON)
                print_json(result);
        else
                human(a, result);
        cJSON_Delete(result);
        return EXIT_OK;
}

static void print_policy_change(const Args *a, const cJSON *r, const char *what) {
        printf("%s. The policy now comes from %s.\n", what, get_str(r, "policy_source") ?: "?");
        if (a->given & OPT_PERSIST)
                printf("The change persists across reboots; 'oomctl policy revert --persist' drops it.\n");
        else
                printf("The change lasts until reboot (--persist keeps it); 'oomctl policy revert' drops it.\n");
}

bool add_persist(const Args *a, cJSON *req) {
        return !(a->given & OPT_PERSIST) || cJSON_AddBoolToObject(req, "persist", true);
}

/* Runs a policy-changing request and prints its confirmation. */
int call_change(const Args *a, cJSON *req, const char *done) {
        cJSON *result = NULL;
        int x = call(a, req, &result);
        if (x != EXIT_OK)
                return x;
        if (a->given & OPT_JSON)
                print_json(result);
        else
                print_policy_change(a, result, done);
        cJSON_Delete(result);
        return EXIT_OK;
}

int usage_error(const char *topic) {
        fprintf(stderr, "Run \"oomctl help%s%s\" for usage.\n", topic ? " " : "", topic ?: "");
        return EXIT_USAGE;
}
