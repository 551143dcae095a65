/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oomctl history: the kills pressured recorded, from the daemon, or from the history file it keeps
 * when it is not running (read with the daemon's own reader).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_history.h"
#include "command.h"
#include "config.h"
#include "daemon/record/history.h"
#include "macro.h"
#include "table.h"
#include "timespec.h"
#include "transport.h"

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

int cmd_history(const Args *a) {
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
