/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oomctl: reads pressured's state, edits its policy and kill list, asks for manual kills, and
 * follows its events, over the system bus or the control socket (transport.h picks; README
 * "D-Bus API" and "Control socket and oomctl"). Each command builds one control-socket request, prints the result for a person
 * (or as JSON with --json) the same whichever transport carried it, and maps failures to the
 * documented exit codes.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/record/history.h"
#include "client.h"
#include "config.h"
#include "format.h"
#include "json_text.h"
#include "macro.h"
#include "policy.h"
#include "policy_file.h"
#include "daemon/core/policy_load.h"
#include "table.h"
#include "timespec.h"
#include "transport.h"

#define DEFAULT_SOCKET_PATH RUNSTATEDIR "/pressured/control.sock"
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

/* With --json, what oomctl says on failure is one JSON object on stdout (see json_errors_begin()).
 * The code it carries: the daemon's error code when it refused, else one named after the exit status. */
static char error_code[64];

static void set_error_code(const char *code) {
        snprintf(error_code, sizeof error_code, "%s", code);
}

typedef struct Command Command;
struct Command {
        const char *name, *sub;    /* "kill-list", "add"; sub NULL for the bare command */
        int min_pos, max_pos;
        unsigned allowed;
        int (*run)(const Args *a);
        const char *help_topic;    /* which help text describes it */
};

/* ---- small readers of reply objects ---- */

static const cJSON *get(const cJSON *o, const char *key) {
        return cJSON_GetObjectItemCaseSensitive(o, key);
}

static const char *get_str(const cJSON *o, const char *key) {
        return cJSON_GetStringValue(get(o, key));
}

static double get_num(const cJSON *o, const char *key, double fallback) {
        const cJSON *v = get(o, key);
        return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

static bool get_bool(const cJSON *o, const char *key) {
        return cJSON_IsTrue(get(o, key));
}

static void human_bytes(char *buf, size_t size, double bytes) {
        if (isnan(bytes) || bytes < 0)
                snprintf(buf, size, "-");
        else
                format_bytes(buf, size, bytes);
}

/* Local time, ISO-like: "2026-03-01 14:02:33". */
static void format_local_time(char *buf, size_t size, double usec) {
        struct tm tm;
        time_t t = (time_t) (usec / 1e6);

        if (isnan(usec) || usec <= 0 || !localtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                snprintf(buf, size, "-");
}

static const char *sgr(const Args *a, const char *code) {
        return a->color ? code : NULL;
}

static void print_colored(const Args *a, const char *code, const char *text) {
        if (a->color && code)
                printf("\033[%sm%s\033[0m", code, text);
        else
                fputs(text, stdout);
}

/* Pretty JSON with two-space indents. cJSON indents with tabs; a raw tab never occurs inside a
 * JSON string (it is escaped), so every tab is layout. */
static void print_json(const cJSON *o) {
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

/* ---- talking to the daemon ---- */

/* The file a policy request carries, named when pressured refuses the policy (policy set). */
static const char *policy_request_file;

/* Explains a failed call on stderr and returns the exit code for it. */
static int explain_failure(const Args *a, const char *op, int r, const ClientError *e) {
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
static int call(const Args *a, cJSON *request, cJSON **ret) {
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

static cJSON *request_new(const char *op) {
        cJSON *o = cJSON_CreateObject();
        if (o && !cJSON_AddStringToObject(o, "op", op)) {
                cJSON_Delete(o);
                return NULL;
        }
        return o;
}

/* Runs a request whose whole result is printed with --json, or handed to `human` otherwise. */
static int call_and_print(const Args *a, cJSON *request, void (*human)(const Args *a, const cJSON *result)) {
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

/* ---- status ---- */

static const char *level_color(const char *level) {
        if (!level || streq(level, "ok"))
                return NULL;
        if (streq(level, "low"))
                return "33";
        if (streq(level, "medium"))
                return "1;33";
        return "1;31";
}

static void print_psi_line(const cJSON *psi, const char *kind) {
        const cJSON *l = get(psi, kind);
        if (!cJSON_IsObject(l)) {
                printf("%s -", kind);
                return;
        }
        printf("%s %.2f %.2f %.2f", kind, get_num(l, "avg10", NAN), get_num(l, "avg60", NAN), get_num(l, "avg300", NAN));
}

static int compare_memory_desc(const void *x, const void *y) {
        double a = get_num(*(const cJSON *const *) x, "memory_current", 0);
        double b = get_num(*(const cJSON *const *) y, "memory_current", 0);
        return a < b ? 1 : a > b ? -1 : 0;
}

/* A table with these headers, printed without them with --no-legend. */
static Table *new_table(const Args *a, size_t n_columns, const char *const *headers) {
        Table *t = table_new(n_columns, headers);
        if (t)
                table_set_header(t, !a->no_legend);
        return t;
}

static void print_cgroups(const Args *a, const cJSON *cgroups) {
        static const char *const headers[] = { "PATH", "MEMORY", "LOW/MIN", "SWAP", "FULL", "LEVEL", "PREF" };
        _cleanup_(table_freep) Table *t = new_table(a, ELEMENTSOF(headers), headers);
        int n = cJSON_GetArraySize(cgroups);
        _cleanup_free_ const cJSON **items = NULL;

        if (!t || n <= 0) {
                printf("\nNo monitored cgroups in the last full sample.\n");
                return;
        }
        items = calloc((size_t) n, sizeof *items);
        if (!items)
                return;
        for (int i = 0; i < n; i++)
                items[i] = cJSON_GetArrayItem(cgroups, i);
        qsort(items, (size_t) n, sizeof *items, compare_memory_desc);

        for (size_t col = 1; col <= 4; col++)
                table_align_right(t, col);
        table_set_elastic(t, 0);
        for (int i = 0; i < n; i++) {
                const cJSON *cg = items[i];
                char mem[32], low[32], min[32], lowmin[80], swap[32], full[32];
                human_bytes(mem, sizeof mem, get_num(cg, "memory_current", NAN));
                double l = get_num(cg, "memory_low", 0), m = get_num(cg, "memory_min", 0);
                human_bytes(low, sizeof low, l);
                human_bytes(min, sizeof min, m);
                if (l == 0 && m == 0)
                        snprintf(lowmin, sizeof lowmin, "-");
                else
                        snprintf(lowmin, sizeof lowmin, "%s/%s", low, min);
                human_bytes(swap, sizeof swap, get_num(cg, "swap_current", NAN));
                const cJSON *psi = get(cg, "memory_pressure");
                const cJSON *fl = get(psi, "full");
                if (!cJSON_IsObject(fl))
                        fl = get(psi, "some");
                double f = get_num(fl, "avg10", NAN);
                if (isnan(f))
                        snprintf(full, sizeof full, "-");
                else
                        snprintf(full, sizeof full, "%.2f", f);
                const char *level = get_str(cg, "level");
                const char *cells[] = { get_str(cg, "path"), mem, lowmin, swap, full, level, get_str(cg, "preference") };
                if (table_add_row(t, cells) < 0)
                        return;
                (void) table_color_last(t, 5, level_color(level));
        }
        putchar('\n');
        table_print(t, stdout, stdout_columns(), a->color);
}

/* "850ms", "42.5s", "3m 20s", "2h 5m": how long something lasted or has left. */
static void format_span(char *buf, size_t size, double usec) {
        if (isnan(usec) || usec < 0)
                snprintf(buf, size, "?");
        else if (usec < 1e6)
                snprintf(buf, size, "%.0fms", usec / 1e3);
        else if (usec < 60e6)
                snprintf(buf, size, "%.1fs", usec / 1e6);
        else if (usec < 3600e6)
                snprintf(buf, size, "%.0fm %.0fs", floor(usec / 60e6), fmod(floor(usec / 1e6), 60));
        else
                snprintf(buf, size, "%.0fh %.0fm", floor(usec / 3600e6), fmod(floor(usec / 60e6), 60));
}

/* Every ruleset of the running policy, with the document it came from (a policy file, a drop-in,
 * the embedded default, or systemd's ManagedOOM*= settings). */
static void print_rulesets(const Args *a, const cJSON *rulesets) {
        static const char *const headers[] = { "RULESET", "METHOD", "FROM" };
        _cleanup_(table_freep) Table *t = new_table(a, ELEMENTSOF(headers), headers);
        const cJSON *r;

        if (!t || cJSON_GetArraySize(rulesets) == 0)
                return;
        table_set_elastic(t, 2);
        cJSON_ArrayForEach(r, rulesets) {
                char method[48];
                snprintf(method, sizeof method, "%s%s", get_str(r, "method") ?: "?", get_bool(r, "dry_run") ? " (dry run)" : "");
                const char *cells[] = { get_str(r, "name"), method, get_str(r, "source") };
                if (table_add_row(t, cells) < 0)
                        return;
        }
        putchar('\n');
        table_print(t, stdout, stdout_columns(), a->color);
}

static void print_last_kill(const Args *a, const cJSON *k) {
        char when[64], mem[32];
        format_local_time(when, sizeof when, get_num(k, "time", NAN));
        human_bytes(mem, sizeof mem, get_num(k, "memory_bytes", NAN));
        const char *method = get_str(k, "method") ?: "?";
        printf("last %s %s (%s, ruleset %s, %s", when, get_str(k, "cgroup") ?: get_str(k, "comm") ?: "?", mem,
               get_str(k, "ruleset") ?: "?", method);
        if (get_bool(k, "dry_run") && !streq(method, "dry-run"))
                printf(", dry run");
        putchar(')');
        (void) a;
}

static void status_human(const Args *a, const cJSON *s) {
        const cJSON *sys = get(s, "system");
        char total[32], avail[32], swap_total[32], swap_free[32], interval[32];
        const char *mode = get_str(s, "mode") ?: "?";
        double interval_usec = get_num(s, "interval_usec", NAN);

        printf("pressured %s, pid %.0f\n", get_str(s, "version") ?: "?", get_num(s, "pid", 0));
        printf("Mode:      ");
        print_colored(a, streq(mode, "cgroup") ? NULL : "1;33", mode);
        const char *reason = get_str(s, "mode_reason");
        if (reason && a->verbose)
                printf(" (%s)", reason);
        else if (reason) {
                /* The reason's first clause; --verbose gives the whole of it, with the advice. */
                size_t n = strcspn(reason, "(:.");
                while (n > 0 && reason[n - 1] == ' ')
                        n--;
                printf(" (%.*s)", (int) n, reason);
                if (!streq(mode, "cgroup"))
                        printf(": kills processes, not cgroups");
        }
        putchar('\n');
        if (get_str(s, "cgroup_root"))
                printf("Root:      %s\n", get_str(s, "cgroup_root"));
        printf("Policy:    %s\n", get_str(s, "policy") ?: "?");
        printf("Dry run:   ");
        print_colored(a, get_bool(s, "dry_run") ? "1;33" : NULL, get_bool(s, "dry_run") ? "yes (decisions are logged, nothing is killed)" : "no");
        putchar('\n');
        if (isnan(interval_usec))
                snprintf(interval, sizeof interval, "?");
        else
                format_duration(interval, sizeof interval, (usec_t) interval_usec);
        const char *wakeups = get_str(s, "wakeups") ?: "?";
        printf("Wake-ups:  %s, every %s\n", streq(wakeups, "psi-triggers") ? "on pressure (PSI triggers), checking" :
               streq(wakeups, "polling") ? "polling" : wakeups, interval);
        if (a->verbose) {
                if (get_bool(s, "quiet"))
                        printf("Quiet:     yes: only MemAvailable is watched until a PSI trigger fires\n");
                printf("Samples:   %.0f whole (%.0f of them with the candidates), %.0f quiet looks at /proc/meminfo\n",
                       get_num(s, "samples", 0), get_num(s, "candidate_samples", 0), get_num(s, "quiet_checks", 0));
        }

        human_bytes(total, sizeof total, get_num(sys, "mem_total", NAN));
        human_bytes(avail, sizeof avail, get_num(sys, "mem_available", NAN));
        human_bytes(swap_total, sizeof swap_total, get_num(sys, "swap_total", NAN));
        human_bytes(swap_free, sizeof swap_free, get_num(sys, "swap_free", NAN));
        printf("Memory:    %s available of %s; swap %s free of %s\n", avail, total, swap_free, swap_total);
        printf("Pressure:  ");
        print_psi_line(get(sys, "memory_pressure"), "some");
        printf(", ");
        print_psi_line(get(sys, "memory_pressure"), "full");
        printf(" (%% of time stalled, avg10 avg60 avg300)");
        if (get_str(sys, "level")) {
                printf("; level ");
                print_colored(a, level_color(get_str(sys, "level")), get_str(sys, "level"));
        }
        putchar('\n');

        printf("Kills:     %.0f", get_num(s, "kill_count", 0));
        const cJSON *last = get(s, "last_kill");
        if (cJSON_IsObject(last)) {
                printf("; ");
                print_last_kill(a, last);
        }
        putchar('\n');
        const cJSON *k;
        cJSON_ArrayForEach(k, get(s, "pending_kills")) {
                char left[32];
                format_span(left, sizeof left, get_num(k, "remaining_usec", NAN));
                printf("Pending:   ");
                print_colored(a, "33", get_str(k, "cgroup") ?: "?");
                printf(" by ruleset %s, killed in %s unless it sheds memory%s; %s\n", get_str(k, "ruleset") ?: "?", left,
                       get_bool(k, "hook_running") ? " (its pre-kill hook runs)" : "", get_str(k, "reason") ?: "");
        }
        print_rulesets(a, get(s, "rulesets"));
        print_cgroups(a, get(s, "cgroups"));
}

static int cmd_status(const Args *a) {
        return call_and_print(a, request_new("status"), status_human);
}

/* ---- kill list ---- */

static void kill_list_human(const Args *a, const cJSON *r) {
        static const char *const headers[] = { "#", "PATTERN", "MIN MEMORY", "MIN PRESSURE" };
        const cJSON *entries = get(r, "entries");
        _cleanup_(table_freep) Table *t = new_table(a, ELEMENTSOF(headers), headers);

        if (cJSON_GetArraySize(entries) == 0) {
                printf("The kill list is empty. Add an entry with \"oomctl kill-list add PATTERN\".\n");
                return;
        }
        if (!t)
                return;
        table_align_right(t, 0);
        table_set_elastic(t, 1);
        const cJSON *e;
        cJSON_ArrayForEach(e, entries) {
                char idx[32], pressure[32] = "-";
                snprintf(idx, sizeof idx, "%.0f", get_num(e, "index", -1));
                if (cJSON_IsNumber(get(e, "min_pressure")))
                        snprintf(pressure, sizeof pressure, "%g", get_num(e, "min_pressure", 0));
                const char *cells[] = { idx, get_str(e, "pattern"), get_str(e, "min_memory"), pressure };
                if (table_add_row(t, cells) < 0)
                        return;
        }
        table_print(t, stdout, stdout_columns(), a->color);
}

static void print_policy_change(const Args *a, const cJSON *r, const char *what) {
        printf("%s. The policy now comes from %s.\n", what, get_str(r, "policy_source") ?: "?");
        if (a->given & OPT_PERSIST)
                printf("The change persists across reboots; 'oomctl policy revert --persist' drops it.\n");
        else
                printf("The change lasts until reboot (--persist keeps it); 'oomctl policy revert' drops it.\n");
}

static int parse_index(const char *s, const char *what, int *ret) {
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < 0 || v > 1000000) {
                fprintf(stderr, "%s \"%s\" is not a kill-list index: give the number shown by \"oomctl kill-list\".\n", what, s);
                return -EINVAL;
        }
        *ret = (int) v;
        return 0;
}

static bool add_persist(const Args *a, cJSON *req) {
        return !(a->given & OPT_PERSIST) || cJSON_AddBoolToObject(req, "persist", true);
}

/* Runs a policy-changing request and prints its confirmation. */
static int call_change(const Args *a, cJSON *req, const char *done) {
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

static int cmd_kill_list_show(const Args *a) {
        return call_and_print(a, request_new("kill-list"), kill_list_human);
}

static int cmd_kill_list_add(const Args *a) {
        cJSON *req = request_new("kill-list-add");
        char done[512];

        if (!req || !cJSON_AddStringToObject(req, "pattern", a->pos[0]))
                goto oom;
        if (a->given & OPT_MIN_MEMORY) {
                Amount amount;
                if (parse_size(a->min_memory, true, &amount) < 0) {
                        fprintf(stderr, "--min-memory \"%s\" is not a size: give bytes with a unit (512M, 1.5G) or a "
                                        "percent of RAM (10%%).\n", a->min_memory);
                        cJSON_Delete(req);
                        return EXIT_USAGE;
                }
                if (!cJSON_AddStringToObject(req, "min_memory", a->min_memory))
                        goto oom;
        }
        if (a->given & OPT_MIN_PRESSURE) {
                char *end;
                errno = 0;
                double p = strtod(a->min_pressure, &end);
                if (errno || end == a->min_pressure || *end || !(p >= 0 && p <= 100)) {
                        fprintf(stderr, "--min-pressure \"%s\" is not a pressure: give a percent from 0 to 100 "
                                        "(memory full avg10).\n", a->min_pressure);
                        cJSON_Delete(req);
                        return EXIT_USAGE;
                }
                if (!cJSON_AddNumberToObject(req, "min_pressure", p))
                        goto oom;
        }
        if (a->given & OPT_POSITION) {
                int pos;
                if (parse_index(a->position, "--position", &pos) < 0) {
                        cJSON_Delete(req);
                        return EXIT_USAGE;
                }
                if (!cJSON_AddNumberToObject(req, "position", pos))
                        goto oom;
        }
        if (!add_persist(a, req))
                goto oom;
        if (a->given & OPT_POSITION)
                snprintf(done, sizeof done, "Added \"%s\" to the kill list at position %s", a->pos[0], a->position);
        else
                snprintf(done, sizeof done, "Added \"%s\" at the end of the kill list", a->pos[0]);
        return call_change(a, req, done);
oom:
        cJSON_Delete(req);
        fprintf(stderr, "out of memory building the request\n");
        return EXIT_REFUSED;
}

static int cmd_kill_list_remove(const Args *a) {
        int index;
        char done[128];
        if (parse_index(a->pos[0], "INDEX", &index) < 0)
                return EXIT_USAGE;
        cJSON *req = request_new("kill-list-remove");
        if (req && (!cJSON_AddNumberToObject(req, "index", index) || !add_persist(a, req))) {
                cJSON_Delete(req);
                req = NULL;
        }
        snprintf(done, sizeof done, "Removed kill-list entry %d", index);
        return call_change(a, req, done);
}

static int cmd_kill_list_move(const Args *a) {
        int from, to;
        char done[128];
        if (parse_index(a->pos[0], "FROM", &from) < 0 || parse_index(a->pos[1], "TO", &to) < 0)
                return EXIT_USAGE;
        cJSON *req = request_new("kill-list-move");
        if (req && (!cJSON_AddNumberToObject(req, "from", from) || !cJSON_AddNumberToObject(req, "to", to) ||
                    !add_persist(a, req))) {
                cJSON_Delete(req);
                req = NULL;
        }
        snprintf(done, sizeof done, "Moved kill-list entry %d to position %d", from, to);
        return call_change(a, req, done);
}

/* ---- kill ---- */

static void kill_human(const Args *a, const cJSON *r) {
        double killed = get_num(r, "killed", 0);
        double n = get_num(r, "processes", killed);
        const char *cgroup = get_str(r, "cgroup") ?: "?";
        const char *method = get_str(r, "method") ?: "?";
        const cJSON *pids = get(r, "pids"), *p;
        char mem[32];

        format_bytes(mem, sizeof mem, get_num(r, "memory_bytes", 0));
        if (get_bool(r, "dry_run"))
                printf("Dry run: would kill %s (%.0f process%s holding %s); nothing was signalled.\n", cgroup, n,
                       n == 1 ? "" : "es", mem);
        else
                printf("Killed %s: %.0f process%s holding %s, by %s.\n", cgroup, killed, killed == 1 ? "" : "es",
                       mem, method);
        if (cJSON_GetArraySize(pids) > 0) {
                printf("PIDs:");
                cJSON_ArrayForEach(p, pids)
                        printf(" %.0f", cJSON_IsNumber(p) ? p->valuedouble : -1);
                putchar('\n');
        }
        (void) a;
}

static int cmd_kill(const Args *a) {
        cJSON *req = request_new("kill");
        if (!a->pos[0][0]) {
                cJSON_Delete(req);
                fprintf(stderr, "kill needs a TARGET: a cgroup path (/user.slice/...) or a unit name (foo.service).\n");
                return EXIT_USAGE;
        }
        if (req && (!cJSON_AddStringToObject(req, "target", a->pos[0]) ||
                    ((a->given & OPT_REASON) && !cJSON_AddStringToObject(req, "reason", a->reason)) ||
                    ((a->given & OPT_DRY_RUN) && !cJSON_AddBoolToObject(req, "dry_run", true)))) {
                cJSON_Delete(req);
                req = NULL;
        }
        return call_and_print(a, req, kill_human);
}

/* ---- policy ---- */

/* Reads a policy file; EXIT_OK, or the exit code after saying why on stderr: a file that cannot be
 * read (missing, a directory, not readable) is a failed request, 1; only text that cannot be a
 * policy (too large, a NUL byte) is an invalid policy, 3. */
static int read_policy_or_explain(const char *path, char **ret) {
        char why[1024];
        int r = policy_file_read(path, ret, why, sizeof why);

        if (r == -EISDIR)
                fprintf(stderr, "%s: %s: give a policy file, not a directory.\n", path, strerror(EISDIR));
        else if (r < 0) {
                size_t l = strlen(why);
                /* the same words as pressured --check-config, ended as a sentence once */
                fprintf(stderr, "%s%s\n", why, l > 0 && strchr(".?!", why[l - 1]) ? "" : ".");
        }
        if (r >= 0)
                return EXIT_OK;
        return r == -EFBIG || r == -EBADMSG ? EXIT_INVALID_POLICY : EXIT_REFUSED;
}

static void policy_show_human(const Args *a, const cJSON *r) {
        const cJSON *p = get(r, "policy"), *sources = get(r, "sources"), *e;
        printf("Policy from %s\n", get_str(r, "source") ?: "?");
        if (sources) {
                printf("Rulesets, and the file each comes from:\n");
                cJSON_ArrayForEach(e, get(sources, "rulesets"))
                        printf("  %-32s %s\n", get_str(e, "name") ?: "?", get_str(e, "source") ?: "?");
                const cJSON *list = get(p, "kill_list");
                if (cJSON_GetArraySize(list) == 0)
                        printf("Kill list: empty\n");
                else
                        printf("Kill list, from %s:\n", get_str(sources, "kill_list") ?: "?");
                int i = 0;
                cJSON_ArrayForEach(e, list)
                        printf("  %3d  %s\n", i++, get_str(e, "pattern") ?: "?");
        }
        printf("The running policy, merged, every default written out:\n");
        print_json(p ? p : r);
        (void) a;
}

static int cmd_policy_show(const Args *a) {
        return call_and_print(a, request_new("policy-get"), policy_show_human);
}

static int cmd_policy_check(const Args *a) {
        const char *file = a->pos[0];
        bool as_dropin = a->given & OPT_DROPIN;
        const char *main_path = (a->given & OPT_CONFIG) ? a->config : NULL;
        const char *dir = (a->given & OPT_POLICY_DIR) ? a->policy_dir : NULL;
        PolicyError err = { 0 };
        char why[1024] = "";
        Policy *p = NULL;

        if (main_path && !as_dropin) {
                fprintf(stderr, "--config names the main policy a drop-in is checked over: give it with --dropin, "
                                "or check the main file itself (oomctl policy check %s).\n", main_path);
                return EXIT_USAGE;
        }
        int r = policy_check_files(file, as_dropin, main_path, dir, &p, &err, why, sizeof why);
        if (a->given & OPT_JSON) {
                cJSON *o = cJSON_CreateObject();
                if (o) {
                        cJSON_AddStringToObject(o, "file", file);
                        cJSON_AddBoolToObject(o, "valid", r >= 0);
                        cJSON_AddBoolToObject(o, "dropin", as_dropin);
                        if (r < 0) {
                                cJSON_AddStringToObject(o, "path", err.path);
                                cJSON_AddStringToObject(o, "message", err.message[0] ? err.message : why);
                        } else {
                                cJSON_AddNumberToObject(o, "rulesets", (double) p->n_rulesets);
                                cJSON_AddNumberToObject(o, "kill_list_entries", (double) p->n_kill_list);
                        }
                        print_json(o);
                        cJSON_Delete(o);
                }
        } else if (r < 0)
                fprintf(stderr, "%s\n", why);
        else
                printf("%s: valid %s%s%s%s (%zu ruleset%s, %zu kill-list entr%s%s).\n", file,
                       as_dropin ? "drop-in over " : "policy", as_dropin ? (main_path ?: "the embedded default policy") : "",
                       dir ? (as_dropin ? " and the drop-ins of " : " merged with the drop-ins of ") : "", dir ?: "",
                       p->n_rulesets, p->n_rulesets == 1 ? "" : "s", p->n_kill_list, p->n_kill_list == 1 ? "y" : "ies",
                       p->dry_run ? ", dry run" : "");
        policy_free(p);
        if (r >= 0)
                return EXIT_OK;
        /* a file that cannot be read (missing, a directory, no permission) is a failure, not an invalid policy */
        return policy_error_is_invalid(r) ? EXIT_INVALID_POLICY : EXIT_REFUSED;
}

static int cmd_policy_set(const Args *a) {
        const char *file = a->pos[0];
        _cleanup_free_ char *text = NULL;

        policy_request_file = file;
        int x = read_policy_or_explain(file, &text);
        if (x != EXIT_OK)
                return x;
        /* before cJSON, which would cut a string at \u0000 and send the daemon what is left */
        char why[512];
        if (json_text_check(text, strlen(text), why, sizeof why) < 0) {
                fprintf(stderr, "%s: %s.\n", file, why);
                return EXIT_INVALID_POLICY;
        }
        cJSON *doc = cJSON_Parse(text);
        if (!cJSON_IsObject(doc)) {
                const char *at = doc ? NULL : cJSON_GetErrorPtr();
                if (at)
                        fprintf(stderr, "%s: not valid JSON at byte %td: fix the file, then check it with "
                                        "\"oomctl policy check %s\".\n", file, at - text, file);
                else
                        fprintf(stderr, "%s: the policy must be a JSON object ({...}).\n", file);
                cJSON_Delete(doc);
                return EXIT_INVALID_POLICY;
        }
        cJSON *req = request_new("policy-set");
        if (!req || !cJSON_AddItemToObject(req, "policy", doc)) {
                cJSON_Delete(doc);
                cJSON_Delete(req);
                fprintf(stderr, "out of memory building the request\n");
                return EXIT_REFUSED;
        }
        if (!cJSON_AddBoolToObject(req, "persist", (a->given & OPT_PERSIST) != 0)) {
                cJSON_Delete(req);
                req = NULL;
        }
        char done[4200];
        snprintf(done, sizeof done, "Policy from %s is running", file);
        return call_change(a, req, done);
}

static int cmd_policy_reload(const Args *a) {
        cJSON *result = NULL;
        int x = call(a, request_new("policy-reload"), &result);
        if (x != EXIT_OK)
                return x;
        if (a->given & OPT_JSON)
                print_json(result);
        else
                printf("Reloaded the policy from %s.\n", get_str(result, "policy_source") ?: "?");
        cJSON_Delete(result);
        return EXIT_OK;
}

static int cmd_policy_revert(const Args *a) {
        cJSON *req = request_new("policy-revert"), *result = NULL;
        if (req && !add_persist(a, req)) {
                cJSON_Delete(req);
                req = NULL;
        }
        int x = call(a, req, &result);
        if (x != EXIT_OK)
                return x;
        if (a->given & OPT_JSON)
                print_json(result);
        else {
                const cJSON *removed = get(result, "removed"), *f;
                if (cJSON_GetArraySize(removed) == 0)
                        printf("There were no %s changes to revert.\n", a->given & OPT_PERSIST ? "runtime or persisted" : "runtime");
                else
                        printf("Reverted: removed ");
                int i = 0;
                cJSON_ArrayForEach(f, removed)
                        printf("%s%s", i++ ? ", " : "", cJSON_GetStringValue(f) ?: "?");
                if (i)
                        printf(".\n");
                printf("The policy now comes from %s.\n", get_str(result, "policy_source") ?: "?");
        }
        cJSON_Delete(result);
        return EXIT_OK;
}

/* ---- history ---- */

static usec_t now_realtime(void) {
        struct timespec now;
        if (clock_gettime(CLOCK_REALTIME, &now) < 0)
                return 0;
        return (usec_t) now.tv_sec * USEC_PER_SEC + (usec_t) now.tv_nsec / 1000;
}

/* --since/--until to realtime microseconds; explains a time it cannot read. */
static int parse_time_option(const char *option, const char *value, usec_t *ret) {
        int r = parse_timespec(value, now_realtime(), ret);
        if (r < 0)
                fprintf(stderr, "%s \"%s\" is not a time: give a date (\"2026-12-06 10:00\", 2026-12-06), a day (today, "
                                "yesterday), how long ago (-1d, \"2h ago\"), or unix seconds (1700000000); local time.\n",
                        option, value);
        return r;
}

static void history_human(const Args *a, const cJSON *r) {
        static const char *const headers[] = { "TIME", "CGROUP", "RULESET", "METHOD", "MEMORY", "PIDS", "DRY" };
        const cJSON *kills = get(r, "kills"), *k;
        _cleanup_(table_freep) Table *t = new_table(a, ELEMENTSOF(headers), headers);

        if (cJSON_GetArraySize(kills) == 0) {
                printf("No kills recorded%s.\n", (a->given & OPT_SINCE) ? " in that time" : "");
                return;
        }
        if (!t)
                return;
        table_align_right(t, 4);
        table_set_elastic(t, 1);
        cJSON_ArrayForEach(k, kills) {
                char when[64], mem[32], pids[96] = "";
                const cJSON *p;
                int n = 0, total = cJSON_GetArraySize(get(k, "pids"));
                format_local_time(when, sizeof when, get_num(k, "time", NAN));
                human_bytes(mem, sizeof mem, get_num(k, "memory_bytes", NAN));
                cJSON_ArrayForEach(p, get(k, "pids")) {
                        size_t l = strlen(pids);
                        if (n == 3) {
                                snprintf(pids + l, sizeof pids - l, ",+%d", total - 3);
                                break;
                        }
                        snprintf(pids + l, sizeof pids - l, "%s%.0f", n ? "," : "", cJSON_IsNumber(p) ? p->valuedouble : -1);
                        n++;
                }
                const char *cgroup = get_str(k, "cgroup");
                const char *cells[] = { when, cgroup ?: get_str(k, "comm"), get_str(k, "ruleset"), get_str(k, "method"),
                                        mem, pids[0] ? pids : NULL, get_bool(k, "dry_run") ? "yes" : "no" };
                if (table_add_row(t, cells) < 0)
                        return;
                if (get_bool(k, "dry_run"))
                        (void) table_color_last(t, 6, sgr(a, "33"));
        }
        table_print(t, stdout, stdout_columns(), a->color);
}

/* Drops the kills after `until` from a history result (the daemon filters only by --since). */
static void drop_after(cJSON *result, usec_t until) {
        cJSON *kills = cJSON_GetObjectItemCaseSensitive(result, "kills");
        for (int i = cJSON_GetArraySize(kills) - 1; i >= 0; i--)
                if (get_num(cJSON_GetArrayItem(kills, i), "time", 0) > (double) until)
                        cJSON_DeleteItemFromArray(kills, i);
}

DEFINE_POINTER_CLEANUP(History, history_free);

/* The history as pressured left it in STATE_DIR/history.jsonl, read with the daemon's own reader:
 * for when pressured is not running. EXIT_OK with *ret as the "history" request's result. */
static int history_from_file(const char *state_dir, usec_t since, cJSON **ret) {
        _cleanup_(history_freep) History *h = NULL;
        _cleanup_free_ char *text = NULL;
        int r = history_open_readonly(state_dir, HISTORY_DEFAULT_MAX_ENTRIES, &h);
        if (r == -ENOENT) {
                fprintf(stderr, "%s/history.jsonl does not exist: pressured has recorded no kill there (is it the state "
                                "directory pressured uses? See --state-dir).\n", state_dir);
                return EXIT_REFUSED;
        }
        if (r < 0) {
                fprintf(stderr, "%s/history.jsonl cannot be read: %s.\n", state_dir, strerror(-r));
                return r == -EACCES || r == -EPERM ? EXIT_REFUSED : EXIT_UNREACHABLE;
        }
        r = history_read_json(h, since, &text);
        cJSON *kills = r < 0 ? NULL : cJSON_Parse(text);
        cJSON *o = cJSON_CreateObject();
        if (!kills || !o || !cJSON_AddItemToObject(o, "kills", kills)) {
                cJSON_Delete(kills);
                cJSON_Delete(o);
                fprintf(stderr, "out of memory reading the history\n");
                return EXIT_REFUSED;
        }
        *ret = o;
        return EXIT_OK;
}

static int cmd_history(const Args *a) {
        usec_t since = 0, until = UINT64_MAX;
        cJSON *result = NULL;
        int x;

        if ((a->given & OPT_SINCE) && parse_time_option("--since", a->since, &since) < 0)
                return EXIT_USAGE;
        if ((a->given & OPT_UNTIL) && parse_time_option("--until", a->until, &until) < 0)
                return EXIT_USAGE;

        if (a->given & OPT_STATE_DIR)
                x = history_from_file(a->state_dir, since, &result);
        else if (transport_connect(a->transport) < 0) {
                /* Not running: the file it keeps has the same entries. Said once, on stderr. */
                fprintf(stderr, "%s\nReading the history from " DEFAULT_STATE_DIR "/history.jsonl instead, since pressured "
                                "is not running.\n", transport_why(a->transport));
                x = history_from_file(DEFAULT_STATE_DIR, since, &result);
                if (x != EXIT_OK)
                        x = EXIT_UNREACHABLE;
        } else {
                cJSON *req = request_new("history");
                if ((a->given & OPT_SINCE) && req && !cJSON_AddNumberToObject(req, "since", (double) since)) {
                        cJSON_Delete(req);
                        req = NULL;
                }
                x = call(a, req, &result);
        }
        if (x != EXIT_OK)
                return x;
        if (a->given & OPT_UNTIL)
                drop_after(result, until);
        if (a->given & OPT_JSON)
                print_json(result);
        else
                history_human(a, result);
        cJSON_Delete(result);
        return EXIT_OK;
}

/* ---- dry run ---- */

static int usage_error(const char *topic);

static int cmd_dry_run(const Args *a) {
        const char *v = a->pos[0];
        bool on;
        if (streq(v, "on") || streq(v, "yes") || streq(v, "true") || streq(v, "1"))
                on = true;
        else if (streq(v, "off") || streq(v, "no") || streq(v, "false") || streq(v, "0"))
                on = false;
        else {
                fprintf(stderr, "\"dry-run %s\": give on or off.\n", v);
                return usage_error("dry-run");
        }
        cJSON *req = request_new("set-dry-run");
        if (req && !cJSON_AddBoolToObject(req, "dry_run", on)) {
                cJSON_Delete(req);
                req = NULL;
        }
        cJSON *result = NULL;
        int x = call(a, req, &result);
        if (x != EXIT_OK)
                return x;
        if (a->given & OPT_JSON)
                print_json(result);
        else if (get_bool(result, "dry_run"))
                printf("Dry run is on: pressured logs and records its decisions and kills nothing, until \"oomctl dry-run "
                       "off\". A restart goes back to what the policy says.\n");
        else
                printf("Dry run is off: pressured kills again (rulesets with their own \"dry_run\" still do not). A "
                       "restart goes back to what the policy says.\n");
        cJSON_Delete(result);
        return EXIT_OK;
}

/* ---- monitor ---- */

/* The cgroup "/" of a pressure event stands for the whole system. */
static const char *event_subject(const cJSON *ev) {
        const char *cgroup = get_str(ev, "cgroup");
        return !cgroup ? "?" : streq(cgroup, "/") ? "the system" : cgroup;
}

/* org.freedesktop.LowMemoryMonitor's levels, as the level names and what they ask of applications. */
static void low_memory_human(const Args *a, const cJSON *ev) {
        double level = get_num(ev, "level", -1);
        const char *name, *meaning;
        if (level <= 0) {
                name = "ok";
                meaning = "memory is available again";
        } else if (level <= 50) {
                name = "low";
                meaning = "memory is getting short; applications should drop caches";
        } else if (level <= 100) {
                name = "medium";
                meaning = "memory is short; applications should free what they can";
        } else {
                name = "critical";
                meaning = "the system is about to run out of memory; applications should free everything they can";
        }
        print_colored(a, level_color(name), "LowMemoryWarning");
        printf(" %.0f (%s): %s", level, name, meaning);
}

static void event_human(const Args *a, const cJSON *ev) {
        const char *name = get_str(ev, "event") ?: "?";
        char when[64], mem[32], freed[32];
        double t = get_num(ev, "time", NAN);
        struct timespec now;

        if (isnan(t) && clock_gettime(CLOCK_REALTIME, &now) == 0)
                t = (double) now.tv_sec * 1e6;
        format_local_time(when, sizeof when, t);
        printf("%s ", when);
        if (streq(name, "Killed") || streq(name, "KillPending")) {
                bool dry = get_bool(ev, "dry_run");
                const char *unit = get_str(ev, "unit");
                human_bytes(mem, sizeof mem, get_num(ev, "memory_bytes", NAN));
                print_colored(a, streq(name, "Killed") && !dry ? "1;31" : "33", name);
                printf(" %s (%s%s%s, pressure %.2f) by ruleset %s", get_str(ev, "cgroup") ?: "?", unit && unit[0] ? unit : "",
                       unit && unit[0] ? ", " : "", mem, get_num(ev, "pressure", 0), get_str(ev, "ruleset") ?: "?");
                if (streq(name, "Killed")) {
                        human_bytes(freed, sizeof freed, get_num(ev, "freed_bytes", NAN));
                        printf(": %.0f process%s by %s, freed %s", get_num(ev, "killed", 0),
                               get_num(ev, "killed", 0) == 1 ? "" : "es", get_str(ev, "method") ?: "?", freed);
                }
                if (dry)
                        printf(" [dry run]");
                if (get_str(ev, "reason"))
                        printf("; %s", get_str(ev, "reason"));
                double wait = get_num(ev, "prekill_timeout_usec", 0);
                if (streq(name, "KillPending") && wait > 0) {
                        char span[64];
                        format_span(span, sizeof span, wait);
                        printf("; waits up to %s for it to shed memory", span);
                }
        } else if (streq(name, "KillCancelled")) {
                const char *unit = get_str(ev, "unit");
                print_colored(a, "32", name);
                printf(" %s%s%s%s by ruleset %s (%s): %s", get_str(ev, "cgroup") ?: "?", unit && unit[0] ? " (" : "",
                       unit && unit[0] ? unit : "", unit && unit[0] ? ")" : "", get_str(ev, "ruleset") ?: "?",
                       get_str(ev, "verdict") ?: "?", get_str(ev, "reason") ?: "");
        } else if (streq(name, "PolicyChanged")) {
                print_colored(a, "1", name);
                printf(" now from %s: %.0f ruleset%s, %.0f kill-list entr%s", get_str(ev, "source") ?: "?",
                       get_num(ev, "rulesets", 0), get_num(ev, "rulesets", 0) == 1 ? "" : "s",
                       get_num(ev, "kill_list_entries", 0), get_num(ev, "kill_list_entries", 0) == 1 ? "y" : "ies");
        } else if (streq(name, "PressureChanged")) {
                const char *level = get_str(ev, "level") ?: "?", *previous = get_str(ev, "previous_level");
                double pressure = get_num(ev, "pressure", -1);
                print_colored(a, level_color(level), name);
                printf(" %s: ", event_subject(ev));
                if (previous && previous[0])
                        printf("%s -> ", previous);
                print_colored(a, level_color(level), level);
                if (pressure >= 0)
                        printf(" (memory pressure %.2f%%)", pressure);
                else
                        printf(" (memory pressure not read)");
        } else if (streq(name, "PressureRecovered")) {
                char span[64];
                format_span(span, sizeof span, get_num(ev, "duration_usec", NAN));
                print_colored(a, "32", name);
                printf(" %s: back to ok after %s (worst level ", event_subject(ev), span);
                print_colored(a, level_color(get_str(ev, "worst_level")), get_str(ev, "worst_level") ?: "?");
                putchar(')');
        } else if (streq(name, "LowMemoryWarning"))
                low_memory_human(a, ev);
        else {
                _cleanup_free_ char *raw = cJSON_PrintUnformatted(ev);
                printf("%s %s", name, raw ? raw : "");
        }
        putchar('\n');
}

static int cmd_monitor(const Args *a) {
        ClientError e = { 0 };
        int r = transport_subscribe(a->transport, &e);
        if (r != 0)
                return explain_failure(a, "subscribe", r, &e);

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (!(a->given & OPT_JSON))
                fprintf(stderr, "Following pressured's events %s; press Ctrl-C to stop.\n", transport_where(a->transport));
        for (;;) {
                _cleanup_free_ char *raw = NULL;
                cJSON *ev = NULL;
                r = transport_next_event(a->transport, &ev, &raw);
                if (r == -ESRCH && transport_is_bus(a->transport)) {
                        fprintf(stderr, "pressured left the system bus: it stopped or restarted; run \"oomctl monitor\" "
                                        "again once it is back.\n");
                        return EXIT_UNREACHABLE;
                }
                if (r < 0 && transport_is_bus(a->transport)) {
                        fprintf(stderr, "the connection to the system bus closed (%s): is dbus running? Run \"oomctl "
                                        "monitor\" again once the bus is back.\n", strerror(-r));
                        return EXIT_UNREACHABLE;
                }
                if (r < 0) {
                        fprintf(stderr, "pressured closed the event stream %s: it stopped or restarted; run "
                                        "\"oomctl monitor\" again once it is back.\n", transport_where(a->transport));
                        return EXIT_UNREACHABLE;
                }
                if (a->given & OPT_JSON) {
                        _cleanup_free_ char *text = raw ? NULL : cJSON_PrintUnformatted(ev);
                        if (raw || text)
                                puts(raw ? raw : text);
                } else if (ev)
                        event_human(a, ev);
                else
                        printf("(unreadable event) %s\n", raw ? raw : "");
                cJSON_Delete(ev);
        }
}

/* ---- dump ---- */

static void dump_human(const Args *a, const cJSON *r) {
        const char *text = get_str(r, "text") ?: "";
        size_t l = strlen(text);
        fputs(text, stdout);
        if (l == 0 || text[l - 1] != '\n')
                putchar('\n');
        (void) a;
}

static int cmd_dump(const Args *a) {
        return call_and_print(a, request_new("dump"), dump_human);
}

/* ---- help ---- */

static const char HELP_MAIN[] =
        "Usage: oomctl [--bus | --socket PATH] [--json] [-q] [--no-legend] [COMMAND [ARGUMENTS...]]\n"
        "\n"
        "Query and control pressured, the userspace out-of-memory killer. Without a command, shows its status.\n"
        "\n"
        "Commands:\n"
        "  status                       Mode, system memory and pressure, kills, monitored cgroups (the default)\n"
        "  kill-list                    Show the kill list, numbered\n"
        "  kill-list add PATTERN        Add an entry (root)\n"
        "  kill-list remove INDEX       Remove an entry (root)\n"
        "  kill-list move FROM TO       Move an entry (root)\n"
        "  kill TARGET                  Kill a cgroup or unit now (root)\n"
        "  policy show                  The running policy, and the file each part comes from\n"
        "  policy check FILE            Validate a policy file or drop-in here, without the daemon\n"
        "  policy set FILE              Replace the running policy (root)\n"
        "  policy reload                Re-read the policy files (root)\n"
        "  policy revert                Drop the changes made with oomctl (root)\n"
        "  history                      Past kills (and dry-run decisions); works without the daemon\n"
        "  dry-run on|off               Turn dry run on or off in the running daemon (root)\n"
        "  monitor                      Follow kills, policy changes and pressure levels as they happen\n"
        "  dump                         The daemon's full status text\n"
        "  help [COMMAND]               This text, or one command's\n"
        "\n"
        "Options:\n"
        "  --socket PATH   talk to pressured over its control socket at PATH only\n"
        "  --bus           talk to pressured over the system bus only (no fallback)\n"
        "  --json          print the daemon's result as JSON instead of text (every command); a failure is\n"
        "                  then a JSON object too: {\"error\": {\"code\", \"message\", \"exit_status\"}}\n"
        "  -q, --quiet     print nothing on success (errors still go to stderr)\n"
        "      --no-legend print tables without their header line\n"
        "      --no-pager  accepted for systemd's habits; oomctl never pages\n"
        "  -v, --verbose   status: the mode's whole reason and the sampling counters\n"
        "  -h, --help      show help (after a command: that command's help)\n"
        "      --version   show the version\n"
        "\n"
        "oomctl talks to pressured over the system bus (org.pressured.oom1; DBUS_SYSTEM_BUS_ADDRESS\n"
        "names another bus) and, when the bus cannot be opened or pressured is not on it, over its\n"
        "control socket at " DEFAULT_SOCKET_PATH ". The output is the same either way.\n"
        "Colour is used only when stdout is a terminal and NO_COLOR is unset.\n"
        "\n"
        "Exit status:\n"
        "  0  success\n"
        "  1  pressured refused or failed the request (permission denied, not found...)\n"
        "  2  bad command line\n"
        "  3  invalid policy (policy check, policy set, policy reload)\n"
        "  4  pressured is not running or not reachable\n"
        "\n"
        "See oomctl(1), and \"oomctl help COMMAND\" for each command.\n";

static const char HELP_STATUS[] =
        "Usage: oomctl status [--json] [--verbose] [--no-legend]\n"
        "\n"
        "Shows pressured's mode (cgroup or degraded) and why, whether it is a dry run, how it wakes up\n"
        "(PSI triggers or polling), system memory and memory pressure (percent of time stalled, avg10,\n"
        "avg60, avg300), the number of kills and the last one, then the cgroups of the last full sample,\n"
        "largest first:\n"
        "\n"
        "  PATH     the cgroup\n"
        "  MEMORY   memory.current\n"
        "  LOW/MIN  memory.low/memory.min protection (- when none)\n"
        "  SWAP     memory.swap.current\n"
        "  FULL     memory pressure, full avg10 (some avg10 when the kernel reports no full line)\n"
        "  LEVEL    ok (<10), low (<20), medium (<40), critical\n"
        "  PREF     the policy's preference: omit, avoid, none, prefer\n"
        "\n"
        "Options:\n"
        "  --json          print the daemon's status object\n"
        "  -v, --verbose   the mode's whole reason, and how often pressured sampled\n"
        "\n"
        "\"oomctl\" alone does the same. Anyone may run it.\n";

static const char HELP_KILL_LIST[] =
        "Usage: oomctl kill-list [--json]\n"
        "       oomctl kill-list add PATTERN [--min-memory SIZE] [--min-pressure N] [--position N] [--persist]\n"
        "       oomctl kill-list remove INDEX [--persist]\n"
        "       oomctl kill-list move FROM TO [--persist]\n"
        "\n"
        "The kill list names what pressured kills first, in order, when a ruleset acts. A PATTERN that\n"
        "starts with / matches cgroup paths (a glob: /batch.slice/*); any other pattern matches process\n"
        "names (comm). An entry applies only when its cgroup (or process) uses at least --min-memory and\n"
        "its memory full avg10 pressure is at least --min-pressure.\n"
        "\n"
        "Without a subcommand, shows the list with its indexes (anyone may). Changes need root. The new\n"
        "list is kept in a change layer over the policy files, RUNTIME_DIR/changes.json until reboot, or\n"
        "with --persist STATE_DIR/changes.json across reboots; \"oomctl policy revert\" drops it.\n"
        "\n"
        "Options:\n"
        "  --min-memory SIZE   512M, 1.5G, or a percent of RAM: 10%\n"
        "  --min-pressure N    percent, 0 to 100\n"
        "  --position N        insert before index N (default: at the end)\n"
        "  --persist           keep the change across reboots\n"
        "  --json              print the daemon's result object\n"
        "\n"
        "Examples:\n"
        "  oomctl kill-list add '/user.slice/*/app-firefox*' --min-memory 1G --position 0\n"
        "  oomctl kill-list move 2 0 --persist\n"
        "  oomctl kill-list remove 1\n";

static const char HELP_KILL[] =
        "Usage: oomctl kill TARGET [--dry-run] [--reason TEXT] [--json]\n"
        "\n"
        "Kills TARGET now through pressured's kill ladder, and records it in the history (ruleset\n"
        "\"manual\"). TARGET is a cgroup path (/user.slice/user-1000.slice/app.scope) or a unit name\n"
        "(foo.service, foo.scope, foo.slice), looked up in the cgroup tree. pressured refuses \"/\" and its\n"
        "own cgroup. Needs root.\n"
        "\n"
        "Options:\n"
        "  --dry-run       decide and record, but signal nothing\n"
        "  --reason TEXT   why, for the journal and the history\n"
        "  --json          print the daemon's result object\n"
        "\n"
        "Examples:\n"
        "  oomctl kill /system.slice/batch.service --reason 'runaway import'\n"
        "  oomctl kill batch.service --dry-run\n";

static const char HELP_POLICY[] =
        "Usage: oomctl policy show [--json]\n"
        "       oomctl policy check FILE [--policy-dir DIR] [--dropin [--config MAIN]] [--json]\n"
        "       oomctl policy set FILE [--persist] [--json]\n"
        "       oomctl policy reload [--json]\n"
        "       oomctl policy revert [--persist] [--json]\n"
        "\n"
        "The running policy is the admin's files (the main file, or the embedded default, and the\n"
        "drop-ins of policy.d), with the changes made through oomctl on top: kill-list changes are kept in\n"
        "a change layer (RUNTIME_DIR/changes.json until reboot, STATE_DIR/changes.json with --persist)\n"
        "that holds only the kill list, and \"policy set\" keeps its document as sent in\n"
        "RUNTIME_DIR/policy.json (or STATE_DIR/policy.json), in place of the main file. Every load re-reads\n"
        "the files: an edit of the admin's files takes effect at the next reload; what a change layer\n"
        "sets (the kill list) stays as changed until reverted.\n"
        "\n"
        "show    prints where the policy comes from, each ruleset and kill-list entry with the file it\n"
        "        comes from, then the running policy (merged, every default written out) as JSON.\n"
        "        Anyone may.\n"
        "check   validates FILE here, with the daemon's own parser and no daemon, and prints the first\n"
        "        problem as \"FILE: JSONPATH: MESSAGE\" (exit 3). FILE is a main policy; with\n"
        "        --policy-dir DIR it is merged with DIR's drop-ins as the daemon merges them. With\n"
        "        --dropin, FILE is a drop-in, merged last over --config MAIN (default: the embedded\n"
        "        default policy) and DIR's drop-ins. Runtime changes are not included.\n"
        "set     replaces the main policy document with FILE (drop-ins and change layers still merge\n"
        "        over it), until reboot, or with --persist across reboots, or until \"policy revert\".\n"
        "        An invalid policy is refused (exit 3) and the old one keeps running. Needs root.\n"
        "reload  re-reads the policy files and change layers, as SIGHUP does. Needs root.\n"
        "revert  drops the runtime changes (changes.json and policy.json in the runtime directory), with\n"
        "        --persist the persisted ones too, and loads the policy from the admin's files. It says\n"
        "        which files it removed. Refused, removing nothing, if what remains is invalid. Needs root.\n"
        "\n"
        "Options:\n"
        "  --persist          (set, revert) the state directory's copy, across reboots\n"
        "  --policy-dir DIR   (check) merge the drop-ins of DIR\n"
        "  --dropin           (check) FILE is a drop-in, not a main policy\n"
        "  --config MAIN      (check --dropin) the main policy the drop-in merges over\n"
        "  --json             print the daemon's result object (check: {\"valid\", \"path\", \"message\"})\n"
        "\n"
        "Examples:\n"
        "  oomctl policy check /etc/pressured/policy.json --policy-dir /etc/pressured/policy.d && oomctl policy reload\n"
        "  oomctl policy check /etc/pressured/policy.d/50-build.json --dropin --config /etc/pressured/policy.json\n"
        "  oomctl kill-list add firefox; oomctl policy revert\n";

static const char HELP_HISTORY[] =
        "Usage: oomctl history [--since TIME] [--until TIME] [--state-dir DIR] [--json]\n"
        "\n"
        "Lists the kills pressured recorded (dry-run decisions included), oldest first: local time,\n"
        "cgroup (or process name), ruleset, method, memory at the kill, pids, and whether it was a dry run.\n"
        "When pressured is not running, oomctl reads its history file, " DEFAULT_STATE_DIR "/history.jsonl,\n"
        "and says so on stderr.\n"
        "\n"
        "Options:\n"
        "  --since TIME      only kills at or after TIME\n"
        "  --until TIME      only kills at or before TIME\n"
        "  --state-dir DIR   read DIR/history.jsonl directly, without asking pressured\n"
        "  --json            print the result object\n"
        "\n"
        "TIME is local time, as journalctl takes it: \"2026-12-06 10:00\", 2026-12-06, 10:00 (today),\n"
        "now, today, yesterday, tomorrow, -1d, +1h, \"2h ago\", \"1h 30min ago\", or unix seconds (1700000000).\n";

static const char HELP_DRY_RUN[] =
        "Usage: oomctl dry-run on|off [--json]\n"
        "\n"
        "Turns dry run on or off in the running pressured: while on, every ruleset decides, logs and\n"
        "records in the history, but nothing is signalled. It lasts until turned again; a restart goes\n"
        "back to what the policy's \"dry_run\" says. A ruleset with its own \"dry_run\": true stays a dry\n"
        "run either way. Needs root.\n";

static const char HELP_MONITOR[] =
        "Usage: oomctl monitor [--json]\n"
        "\n"
        "Prints one line per event until interrupted (Ctrl-C): KillPending (right before a kill attempt;\n"
        "with the ruleset's prekill_timeout, how long the target has to shed memory) and Killed, with the\n"
        "cgroup's unit when it has one; KillCancelled (the target was spared during that wait, and why);\n"
        "PolicyChanged; PressureChanged (a cgroup's\n"
        "level, or the system's, moved between ok, low, medium and critical); PressureRecovered (back at\n"
        "ok, after how long, and the worst level); LowMemoryWarning (the system's level as\n"
        "org.freedesktop.LowMemoryMonitor gives it: 0, 50, 100, 255). With --json, prints each event as\n"
        "one JSON object per line. Exits 4 when pressured stops (it closes the socket stream or leaves\n"
        "the bus) or the bus connection closes.\n";

static const char HELP_DUMP[] =
        "Usage: oomctl dump [--json]\n"
        "\n"
        "Prints the daemon's full status text, for bug reports and incident notes.\n";

static const char *help_for(const char *topic) {
        static const struct { const char *topic, *text; } table[] = {
                { "status", HELP_STATUS }, { "kill-list", HELP_KILL_LIST }, { "kill", HELP_KILL },
                { "policy", HELP_POLICY }, { "history", HELP_HISTORY }, { "monitor", HELP_MONITOR },
                { "dump", HELP_DUMP }, { "dry-run", HELP_DRY_RUN },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (streq(table[i].topic, topic))
                        return table[i].text;
        return NULL;
}

/* ---- dispatch ---- */

static const Command commands[] = {
        { "status", NULL, 0, 0, OPT_JSON, cmd_status, "status" },
        { "kill-list", NULL, 0, 0, OPT_JSON, cmd_kill_list_show, "kill-list" },
        { "kill-list", "add", 1, 1, OPT_JSON | OPT_MIN_MEMORY | OPT_MIN_PRESSURE | OPT_POSITION | OPT_PERSIST,
          cmd_kill_list_add, "kill-list" },
        { "kill-list", "remove", 1, 1, OPT_JSON | OPT_PERSIST, cmd_kill_list_remove, "kill-list" },
        { "kill-list", "move", 2, 2, OPT_JSON | OPT_PERSIST, cmd_kill_list_move, "kill-list" },
        { "kill", NULL, 1, 1, OPT_JSON | OPT_DRY_RUN | OPT_REASON, cmd_kill, "kill" },
        { "policy", "show", 0, 0, OPT_JSON, cmd_policy_show, "policy" },
        { "policy", "check", 1, 1, OPT_JSON | OPT_POLICY_DIR | OPT_DROPIN | OPT_CONFIG, cmd_policy_check, "policy" },
        { "policy", "set", 1, 1, OPT_JSON | OPT_PERSIST, cmd_policy_set, "policy" },
        { "policy", "reload", 0, 0, OPT_JSON, cmd_policy_reload, "policy" },
        { "policy", "revert", 0, 0, OPT_JSON | OPT_PERSIST, cmd_policy_revert, "policy" },
        { "history", NULL, 0, 0, OPT_JSON | OPT_SINCE | OPT_UNTIL | OPT_STATE_DIR, cmd_history, "history" },
        { "dry-run", NULL, 1, 1, OPT_JSON, cmd_dry_run, "dry-run" },
        { "monitor", NULL, 0, 0, OPT_JSON, cmd_monitor, "monitor" },
        { "dump", NULL, 0, 0, OPT_JSON, cmd_dump, "dump" },
};

static const char *option_name(unsigned bit) {
        switch (bit) {
        case OPT_JSON: return "--json";
        case OPT_PERSIST: return "--persist";
        case OPT_DRY_RUN: return "--dry-run";
        case OPT_REASON: return "--reason";
        case OPT_SINCE: return "--since";
        case OPT_MIN_MEMORY: return "--min-memory";
        case OPT_MIN_PRESSURE: return "--min-pressure";
        case OPT_POSITION: return "--position";
        case OPT_UNTIL: return "--until";
        case OPT_STATE_DIR: return "--state-dir";
        case OPT_POLICY_DIR: return "--policy-dir";
        case OPT_DROPIN: return "--dropin";
        case OPT_CONFIG: return "--config";
        }
        return "?";
}

static int usage_error(const char *topic) {
        fprintf(stderr, "Run \"oomctl help%s%s\" for usage.\n", topic ? " " : "", topic ?: "");
        return EXIT_USAGE;
}

static bool has_subcommands(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(commands[i].name, name) && commands[i].sub)
                        return true;
        return false;
}

static int run_command(Args *a, char **words, int n_words) {
        const char *name = words[0];
        const char *sub = n_words > 1 && has_subcommands(name) ? words[1] : NULL;
        const Command *cmd = NULL;

        if (!help_for(name)) {
                fprintf(stderr, "Unknown command \"%s\".\n", name);
                return usage_error(NULL);
        }
        for (size_t i = 0; i < ELEMENTSOF(commands) && !cmd; i++)
                if (streq(commands[i].name, name) && (sub ? commands[i].sub && streq(commands[i].sub, sub) : !commands[i].sub))
                        cmd = &commands[i];
        if (!cmd && sub) {
                /* "kill-list 3" is not a subcommand; say which ones exist. */
                fprintf(stderr, "Unknown subcommand \"%s %s\".\n", name, sub);
                return usage_error(name);
        }
        if (!cmd) {
                fprintf(stderr, "\"%s\" needs a subcommand.\n", name);
                return usage_error(name);
        }

        int skip = cmd->sub ? 2 : 1;
        a->pos = words + skip;
        a->n_pos = n_words - skip;
        if (a->n_pos < cmd->min_pos || a->n_pos > cmd->max_pos) {
                fprintf(stderr, "\"%s%s%s\" takes %s%d argument%s, not %d.\n", name, cmd->sub ? " " : "", cmd->sub ?: "",
                        cmd->min_pos == cmd->max_pos ? "" : "up to ", cmd->max_pos, cmd->max_pos == 1 ? "" : "s", a->n_pos);
                return usage_error(cmd->help_topic);
        }
        unsigned extra = a->given & ~cmd->allowed;
        if (extra) {
                fprintf(stderr, "\"%s%s%s\" does not take %s.\n", name, cmd->sub ? " " : "", cmd->sub ?: "",
                        option_name(extra & -extra));
                return usage_error(cmd->help_topic);
        }
        return cmd->run(a);
}

/* With --json, stderr goes to a buffer until oomctl exits; json_errors_end() then prints it as one
 * JSON object on stdout when oomctl failed, or passes it on to stderr when it succeeded. A script
 * reading --json output then always gets JSON, and the exit status stays as documented. */
static FILE *real_stderr;
static char *err_buf;
static size_t err_size;

static void json_errors_begin(void) {
        FILE *f = open_memstream(&err_buf, &err_size);
        if (!f)
                return; /* errors stay plain text */
        real_stderr = stderr;
        stderr = f;
}

static int json_errors_end(int exit_status) {
        if (!real_stderr)
                return exit_status;
        fclose(stderr);
        stderr = real_stderr;
        real_stderr = NULL;
        size_t n = err_buf ? strlen(err_buf) : 0;
        if (exit_status == EXIT_OK) {
                if (n > 0)
                        fputs(err_buf, stderr);
        } else {
                while (n > 0 && err_buf[n - 1] == '\n')
                        err_buf[--n] = '\0';
                static const char *const codes[] = {
                        [EXIT_REFUSED] = "failed", [EXIT_USAGE] = "usage",
                        [EXIT_INVALID_POLICY] = "invalid-policy", [EXIT_UNREACHABLE] = "unreachable",
                };
                const char *code = error_code[0] ? error_code :
                        exit_status > 0 && exit_status < (int) ELEMENTSOF(codes) && codes[exit_status] ? codes[exit_status] : "failed";
                cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");
                if (e && cJSON_AddStringToObject(e, "code", code) && cJSON_AddStringToObject(e, "message", err_buf ?: "") &&
                    cJSON_AddNumberToObject(e, "exit_status", exit_status)) {
                        fflush(stdout);
                        print_json(o);
                } else if (n > 0)
                        fprintf(stderr, "%s\n", err_buf);
                cJSON_Delete(o);
        }
        free(err_buf);
        err_buf = NULL;
        return exit_status;
}

static int run(int argc, char *argv[]);

int main(int argc, char *argv[]) {
        for (int i = 1; i < argc && !streq(argv[i], "--"); i++)
                if (streq(argv[i], "--json")) {
                        json_errors_begin();
                        break;
                }
        return json_errors_end(run(argc, argv));
}

static int run(int argc, char *argv[]) {
        enum { ARG_SOCKET = 0x100, ARG_BUS, ARG_VERSION, ARG_JSON, ARG_PERSIST, ARG_DRY_RUN, ARG_REASON, ARG_SINCE,
               ARG_MIN_MEMORY, ARG_MIN_PRESSURE, ARG_POSITION, ARG_UNTIL, ARG_STATE_DIR, ARG_NO_PAGER, ARG_NO_LEGEND,
               ARG_POLICY_DIR, ARG_DROPIN, ARG_CONFIG };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "socket", required_argument, NULL, ARG_SOCKET },
                { "bus", no_argument, NULL, ARG_BUS },
                { "json", no_argument, NULL, ARG_JSON },
                { "persist", no_argument, NULL, ARG_PERSIST },
                { "dry-run", no_argument, NULL, ARG_DRY_RUN },
                { "reason", required_argument, NULL, ARG_REASON },
                { "since", required_argument, NULL, ARG_SINCE },
                { "min-memory", required_argument, NULL, ARG_MIN_MEMORY },
                { "min-pressure", required_argument, NULL, ARG_MIN_PRESSURE },
                { "position", required_argument, NULL, ARG_POSITION },
                { "until", required_argument, NULL, ARG_UNTIL },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "no-pager", no_argument, NULL, ARG_NO_PAGER },
                { "no-legend", no_argument, NULL, ARG_NO_LEGEND },
                { "quiet", no_argument, NULL, 'q' },
                { "verbose", no_argument, NULL, 'v' },
                { "policy-dir", required_argument, NULL, ARG_POLICY_DIR },
                { "dropin", no_argument, NULL, ARG_DROPIN },
                { "config", required_argument, NULL, ARG_CONFIG },
                {}
        };
        Args a = { .socket_path = DEFAULT_SOCKET_PATH, .mode = TRANSPORT_AUTO };
        bool help = false, bus = false, quiet = false;
        int c;

        while ((c = getopt_long(argc, argv, "hqv", options, NULL)) >= 0)
                switch (c) {
                case 'h': help = true; break;
                case 'q': quiet = true; break;
                case 'v': a.verbose = true; break;
                case ARG_NO_PAGER: break; /* nothing pages */
                case ARG_NO_LEGEND: a.no_legend = true; break;
                case ARG_UNTIL: a.given |= OPT_UNTIL; a.until = optarg; break;
                case ARG_STATE_DIR:
                        if (!optarg[0]) {
                                fprintf(stderr, "--state-dir needs a directory.\n");
                                return usage_error(NULL);
                        }
                        a.given |= OPT_STATE_DIR;
                        a.state_dir = optarg;
                        break;
                case ARG_VERSION:
                        printf("oomctl %s\n", PACKAGE_VERSION);
                        return EXIT_OK;
                case ARG_SOCKET:
                        if (!optarg[0]) {
                                fprintf(stderr, "--socket needs a path.\n");
                                return usage_error(NULL);
                        }
                        a.socket_path = optarg;
                        a.mode = TRANSPORT_SOCKET;
                        break;
                case ARG_BUS: bus = true; break;
                case ARG_JSON: a.given |= OPT_JSON; break;
                case ARG_PERSIST: a.given |= OPT_PERSIST; break;
                case ARG_DRY_RUN: a.given |= OPT_DRY_RUN; break;
                case ARG_REASON: a.given |= OPT_REASON; a.reason = optarg; break;
                case ARG_SINCE: a.given |= OPT_SINCE; a.since = optarg; break;
                case ARG_MIN_MEMORY: a.given |= OPT_MIN_MEMORY; a.min_memory = optarg; break;
                case ARG_MIN_PRESSURE: a.given |= OPT_MIN_PRESSURE; a.min_pressure = optarg; break;
                case ARG_POSITION: a.given |= OPT_POSITION; a.position = optarg; break;
                case ARG_POLICY_DIR: a.given |= OPT_POLICY_DIR; a.policy_dir = optarg; break;
                case ARG_DROPIN: a.given |= OPT_DROPIN; break;
                case ARG_CONFIG: a.given |= OPT_CONFIG; a.config = optarg; break;
                default:
                        return usage_error(NULL);
                }

        if (bus && a.mode == TRANSPORT_SOCKET) {
                fprintf(stderr, "--bus and --socket each pick one way to reach pressured; give one of them, or neither "
                                "(the bus, then the socket).\n");
                return usage_error(NULL);
        }
        if (bus)
                a.mode = TRANSPORT_BUS;

        char **words = argv + optind;
        int n_words = argc - optind;

        if (n_words > 0 && streq(words[0], "help")) {
                help = true;
                words++;
                n_words--;
                if (n_words > 1) {
                        fprintf(stderr, "\"help\" takes at most one command.\n");
                        return usage_error(NULL);
                }
        }
        if (help) {
                const char *text = n_words > 0 ? help_for(words[0]) : HELP_MAIN;
                if (!text) {
                        fprintf(stderr, "No help for \"%s\": it is not an oomctl command.\n", words[0]);
                        return usage_error(NULL);
                }
                fputs(text, stdout);
                return EXIT_OK;
        }
        /* Bare "oomctl" is "oomctl status", as with systemd's oomctl. */
        static char *status_words[] = { (char *) "status", NULL };
        if (n_words == 0) {
                words = status_words;
                n_words = 1;
        }
        /* -q: nothing on stdout but --json output; messages about failures still go to stderr. */
        if (quiet && !(a.given & OPT_JSON) && !freopen("/dev/null", "w", stdout)) {
                fprintf(stderr, "cannot open /dev/null for --quiet: %s\n", strerror(errno));
                return EXIT_REFUSED;
        }
        a.color = stdout_wants_color();
        _cleanup_(transport_freep) Transport *t = a.transport = transport_new(a.mode, a.socket_path);
        if (!t) {
                fprintf(stderr, "out of memory\n");
                return EXIT_REFUSED;
        }
        return run_command(&a, words, n_words);
}
