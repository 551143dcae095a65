/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "annotations.h"
#include "format.h"
#include "macro.h"

/* systemd keeps the limit in permyriad before scaling it, so round back to that: 25%, not 25.0000000058%. */
double annotation_limit_from_bus(uint32_t scaled) {
        return round((double) scaled * 10000.0 / (double) UINT32_MAX) / 100.0;
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

/* full avg10 above the limit for the duration, with reclaim going on: the unit's worst reclaimer dies. */
static bool add_pressure_ruleset(cJSON *rulesets, const UnitAnnotation *a) {
        double limit = a->memory_pressure_limit > 0 ? a->memory_pressure_limit : ANNOTATION_DEFAULT_PRESSURE_LIMIT_PERCENT;
        cJSON *r = ruleset_new(rulesets, a->unit, "memory-pressure");
        cJSON *groups = r ? cJSON_AddArrayToObject(r, "detectors") : NULL;
        cJSON *group = cJSON_CreateArray(), *p = cJSON_CreateObject(), *rec = cJSON_CreateObject();
        cJSON *actions = r ? cJSON_AddArrayToObject(r, "actions") : NULL, *kill = cJSON_CreateObject();
        bool ok = groups && group && p && rec && actions && kill;

        if (!ok) {
                cJSON_Delete(group);
                cJSON_Delete(p);
                cJSON_Delete(rec);
                cJSON_Delete(kill);
                return false;
        }
        cJSON_AddItemToArray(groups, group);
        cJSON_AddItemToArray(group, p);
        cJSON_AddItemToArray(group, rec);
        cJSON_AddItemToArray(actions, kill);
        ok = cJSON_AddStringToObject(p, "type", "pressure_above") && cJSON_AddStringToObject(p, "cgroup", a->cgroup) &&
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
        cJSON *r = ruleset_new(rulesets, a->unit, "swap");
        cJSON *groups = r ? cJSON_AddArrayToObject(r, "detectors") : NULL;
        cJSON *group = cJSON_CreateArray(), *mem = cJSON_CreateObject(), *swap = cJSON_CreateObject();
        cJSON *actions = r ? cJSON_AddArrayToObject(r, "actions") : NULL, *kill = cJSON_CreateObject();
        bool ok = groups && group && mem && swap && actions && kill;

        if (!ok) {
                cJSON_Delete(group);
                cJSON_Delete(mem);
                cJSON_Delete(swap);
                cJSON_Delete(kill);
                return false;
        }
        cJSON_AddItemToArray(groups, group);
        cJSON_AddItemToArray(group, mem);
        cJSON_AddItemToArray(group, swap);
        cJSON_AddItemToArray(actions, kill);
        snprintf(pct, sizeof pct, "%g%%", 100.0 - ANNOTATION_SWAP_USED_LIMIT_PERCENT);
        ok = cJSON_AddStringToObject(mem, "type", "mem_available_below") && cJSON_AddStringToObject(mem, "threshold", pct) &&
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
