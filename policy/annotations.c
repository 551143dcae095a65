/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "annotations.h"
#include "format.h"
#include "macro.h"

/* systemd keeps the limit in permyriad before scaling it, so round back to that: 25%, not 25.0000000058%. */
double annotation_limit_from_bus(uint32_t scaled) {
        return (double) double_round_unsigned((double) scaled * 10000.0 / (double) UINT32_MAX) / 100.0;
}

/* "/a/b" becomes the glob of its children, "/a/b/" "*": systemd-oomd's candidates are the monitored cgroup's descendants. */
static cJSON *descendants(const char *cgroup) {
        char buf[4096];
        snprintf(buf, sizeof buf, "%s/*", streq(cgroup, "/") ? "" : cgroup);
        return cJSON_CreateString(buf);
}

static bool add_duration(cJSON *o, const char *key, usec_t usec) {
        char buf[32];
        format_duration(buf, sizeof buf, usec);
        return cJSON_AddStringToObject(o, key, buf);
}

/* "systemd-user_1000.service-memory-pressure": ruleset names allow letters, digits, '_', '.' and '-'. */
static cJSON *ruleset_new(cJSON *rulesets, const char *unit, const char *what) {
        char name[512];
        cJSON *r = cJSON_CreateObject();
        if (!r)
                return NULL;
        cJSON_AddItemToArray(rulesets, r);
        snprintf(name, sizeof name, ANNOTATION_RULESET_PREFIX "%s-%s", unit, what);
        for (char *c = name; *c; c++)
                if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') && !(*c >= '0' && *c <= '9') && !strchr("_.-", *c))
                        *c = '_';
        return cJSON_AddStringToObject(r, "name", name) ? r : NULL;
}

/* item appended to array, or NULL (item freed) when either is NULL or out of memory. */
static cJSON *append(cJSON *array, cJSON *item) {
        if (item && (!array || !cJSON_AddItemToArray(array, item))) {
                cJSON_Delete(item);
                return NULL;
        }
        return item;
}

/* The shape both generated rulesets share: one detector group of two detectors (*first, *second) and
 * one kill action (*kill), empty objects for the caller to fill. False when out of memory; what was
 * built stays in `rulesets`, which the caller frees. */
static bool ruleset_skeleton(cJSON *rulesets, const UnitAnnotation *a, const char *what,
                             cJSON **first, cJSON **second, cJSON **kill) {
        cJSON *r = ruleset_new(rulesets, a->unit, what);
        cJSON *group = append(r ? cJSON_AddArrayToObject(r, "detectors") : NULL, cJSON_CreateArray());
        *first = append(group, cJSON_CreateObject());
        *second = append(group, cJSON_CreateObject());
        *kill = append(r ? cJSON_AddArrayToObject(r, "actions") : NULL, cJSON_CreateObject());
        return *first && *second && *kill;
}

/* full avg10 above the limit for the duration, with reclaim going on: the unit's worst reclaimer dies. */
static bool add_pressure_ruleset(cJSON *rulesets, const UnitAnnotation *a) {
        double limit = a->memory_pressure_limit > 0 ? a->memory_pressure_limit : ANNOTATION_DEFAULT_PRESSURE_LIMIT_PERCENT;
        cJSON *p, *rec, *kill;
        bool ok = ruleset_skeleton(rulesets, a, "memory-pressure", &p, &rec, &kill) &&
             cJSON_AddStringToObject(p, "type", "pressure_above") && cJSON_AddStringToObject(p, "cgroup", a->cgroup) &&
             cJSON_AddStringToObject(p, "kind", "full") && cJSON_AddStringToObject(p, "window", "avg10") &&
             cJSON_AddNumberToObject(p, "threshold", limit) && add_duration(p, "duration", ANNOTATION_PRESSURE_DURATION_USEC) &&
             cJSON_AddStringToObject(rec, "type", "memory_reclaim") && cJSON_AddStringToObject(rec, "cgroup", a->cgroup) &&
             add_duration(rec, "duration", ANNOTATION_RECLAIM_WINDOW_USEC) &&
             cJSON_AddStringToObject(kill, "type", "kill") && cJSON_AddStringToObject(kill, "ranker", "pgscan");
        cJSON *c = ok ? descendants(a->cgroup) : NULL;
        return c && cJSON_AddItemToObject(kill, "cgroup", c);
}

/* RAM and swap both nearly full: the unit's descendant using the most swap dies. */
static bool add_swap_ruleset(cJSON *rulesets, const UnitAnnotation *a) {
        char pct[16];
        cJSON *mem, *swap, *kill;
        snprintf(pct, sizeof pct, "%g%%", 100.0 - ANNOTATION_SWAP_USED_LIMIT_PERCENT);
        bool ok = ruleset_skeleton(rulesets, a, "swap", &mem, &swap, &kill) &&
             cJSON_AddStringToObject(mem, "type", "mem_available_below") && cJSON_AddStringToObject(mem, "threshold", pct) &&
             cJSON_AddStringToObject(swap, "type", "swap_free_below") && cJSON_AddStringToObject(swap, "threshold", pct) &&
             cJSON_AddStringToObject(kill, "type", "kill") && cJSON_AddStringToObject(kill, "ranker", "swap");
        cJSON *c = ok ? descendants(a->cgroup) : NULL;
        return c && cJSON_AddItemToObject(kill, "cgroup", c);
}

char *annotations_to_policy_json(const UnitAnnotation *a, size_t n, bool have_swap) {
        cJSON *doc = cJSON_CreateObject();
        cJSON *rulesets = doc ? cJSON_AddArrayToObject(doc, "rulesets") : NULL;
        char *text = NULL;
        bool ok = rulesets;

        for (size_t i = 0; ok && i < n; i++) {
                if (!a[i].unit || !a[i].cgroup || a[i].cgroup[0] != '/') {
                        ok = false;
                        break;
                }
                if (a[i].memory_pressure_kill)
                        ok = add_pressure_ruleset(rulesets, &a[i]);
                if (ok && a[i].swap_kill && have_swap)
                        ok = add_swap_ruleset(rulesets, &a[i]);
        }
        if (ok)
                text = cJSON_PrintUnformatted(doc);
        cJSON_Delete(doc);
        return text;
}
