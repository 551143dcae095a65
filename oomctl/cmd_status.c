/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oomctl's commands that read pressured's state: status (the daemon, the system and the monitored
 * cgroups), monitor (its events as they happen) and dump (its full status text).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_status.h"
#include "command.h"
#include "format.h"
#include "macro.h"
#include "table.h"
#include "transport.h"

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
        static const char *const headers[] = { "RULESET", "METHOD", "STATE", "FROM" };
        _cleanup_(table_freep) Table *t = new_table(a, ELEMENTSOF(headers), headers);
        const cJSON *r;

        if (!t || cJSON_GetArraySize(rulesets) == 0)
                return;
        table_set_elastic(t, 3);
        cJSON_ArrayForEach(r, rulesets) {
                char method[48];
                snprintf(method, sizeof method, "%s%s", get_str(r, "method") ?: "?", get_bool(r, "dry_run") ? " (dry run)" : "");
                /* "no victim": every candidate was omitted or too small at the last read of them all */
                const char *state = !get_bool(r, "firing") ? "calm" : get_bool(r, "victimless") ? "firing, no victim" : "firing";
                const char *cells[] = { get_str(r, "name"), method, state, get_str(r, "source") };
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
                printf("Samples:   %.0f whole (%.0f of them with the candidates, %.0f of only the cgroups under "
                       "pressure), %.0f quiet looks at /proc/meminfo\n",
                       get_num(s, "samples", 0), get_num(s, "candidate_samples", 0), get_num(s, "partial_samples", 0),
                       get_num(s, "quiet_checks", 0));
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

int cmd_status(const Args *a) {
        return call_and_print(a, request_new("status"), status_human);
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

int cmd_monitor(const Args *a) {
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

int cmd_dump(const Args *a) {
        return call_and_print(a, request_new("dump"), dump_human);
}
