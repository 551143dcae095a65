/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oomctl's commands on the kill list and manual kills: kill-list (show, add, remove, move) and kill.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd_kill.h"
#include "command.h"
#include "format.h"
#include "macro.h"
#include "policy.h"
#include "table.h"

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

int cmd_kill_list_show(const Args *a) {
        return call_and_print(a, request_new("kill-list"), kill_list_human);
}

int cmd_kill_list_add(const Args *a) {
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

int cmd_kill_list_remove(const Args *a) {
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

int cmd_kill_list_move(const Args *a) {
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

int cmd_kill(const Args *a) {
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
