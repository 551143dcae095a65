/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Policy -> JSON text, every value written out (defaults included) in the form the parser reads
 * back to the same Policy: durations and sizes in their largest exact unit, numbers in the
 * shortest text that reads back exactly.
 */

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "names.h"
#include "serialize.h"

static void format_duration(usec_t u, char *buf, size_t size) {
        static const struct {
                usec_t mult;
                const char *unit;
        } units[] = {
                { 3600 * USEC_PER_SEC, "h" }, { 60 * USEC_PER_SEC, "m" }, { USEC_PER_SEC, "s" },
                { USEC_PER_MSEC, "ms" }, { 1, "us" },
        };

        if (u == 0) {
                snprintf(buf, size, "0s");
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (u % units[i].mult == 0) {
                        snprintf(buf, size, "%" PRIu64 "%s", u / units[i].mult, units[i].unit);
                        return;
                }
}

static void format_amount(const Amount *a, char *buf, size_t size) {
        static const struct {
                int shift;
                char suffix;
        } units[] = { { 40, 'T' }, { 30, 'G' }, { 20, 'M' }, { 10, 'K' } };

        if (a->is_percent) {
                if (a->permyriad % 100 == 0)
                        snprintf(buf, size, "%" PRIu32 "%%", a->permyriad / 100);
                else
                        snprintf(buf, size, "%" PRIu32 ".%02" PRIu32 "%%", a->permyriad / 100, a->permyriad % 100);
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (a->bytes != 0 && a->bytes % (UINT64_C(1) << units[i].shift) == 0) {
                        snprintf(buf, size, "%" PRIu64 "%c", a->bytes >> units[i].shift, units[i].suffix);
                        return;
                }
        snprintf(buf, size, "%" PRIu64 "B", a->bytes);
}

/* Each add_* returns false on allocation failure. */

/* The shortest text that reads back as exactly `d`. cJSON's own printer compares with a tolerance
 * and may write 1.0000000000000002 as 1, which would break the round trip. */
static bool add_double(cJSON *o, const char *key, double d) {
        char buf[32];

        for (int precision = 15; precision <= 17; precision++) {
                snprintf(buf, sizeof(buf), "%.*g", precision, d);
                if (strtod(buf, NULL) == d)
                        break;
        }
        return cJSON_AddRawToObject(o, key, buf);
}

static bool add_duration(cJSON *o, const char *key, usec_t u) {
        char buf[32];

        format_duration(u, buf, sizeof(buf));
        return cJSON_AddStringToObject(o, key, buf);
}

static bool add_amount(cJSON *o, const char *key, const Amount *a) {
        char buf[32];

        format_amount(a, buf, sizeof(buf));
        return cJSON_AddStringToObject(o, key, buf);
}

static bool add_patterns(cJSON *o, const char *key, const PatternList *l) {
        cJSON *arr = cJSON_AddArrayToObject(o, key);

        if (!arr)
                return false;
        for (size_t i = 0; i < l->n; i++) {
                cJSON *s = cJSON_CreateString(l->items[i].glob);
                if (!s)
                        return false;
                cJSON_AddItemToArray(arr, s);
        }
        return true;
}

static bool add_detector(cJSON *group, const Detector *d) {
        cJSON *o = cJSON_CreateObject();
        bool ok;

        if (!o)
                return false;
        cJSON_AddItemToArray(group, o);
        ok = cJSON_AddStringToObject(o, "type", detector_type_names[d->type]);
        if (d->type != DETECTOR_SWAP_FREE_BELOW && d->type != DETECTOR_MEM_AVAILABLE_BELOW)
                ok = ok && add_patterns(o, "cgroup", &d->cgroups);

        switch (d->type) {
        case DETECTOR_PRESSURE_ABOVE:
        case DETECTOR_PRESSURE_RISING_BEYOND:
                ok = ok && cJSON_AddStringToObject(o, "resource", resource_names[d->resource]) &&
                     cJSON_AddStringToObject(o, "kind", kind_names[d->kind]) &&
                     add_double(o, "threshold", d->threshold);
                if (d->type == DETECTOR_PRESSURE_ABOVE && d->window == PSI_WINDOW_EXACT)
                        ok = ok && add_duration(o, "window", d->window_usec);
                else if (d->type == DETECTOR_PRESSURE_ABOVE)
                        ok = ok && cJSON_AddStringToObject(o, "window", window_names[d->window]);
                else
                        ok = ok && add_double(o, "fast_fall_ratio", d->fast_fall_ratio);
                break;
        case DETECTOR_MEMORY_ABOVE:
                ok = ok && add_amount(o, d->anon ? "threshold_anon" : "threshold", &d->amount);
                break;
        case DETECTOR_SWAP_FREE_BELOW:
        case DETECTOR_MEM_AVAILABLE_BELOW:
                ok = ok && add_amount(o, "threshold", &d->amount);
                break;
        case DETECTOR_EXISTS:
                ok = ok && cJSON_AddBoolToObject(o, "negate", d->negate);
                break;
        default:
                break;
        }
        if (d->type != DETECTOR_EXISTS)
                ok = ok && add_duration(o, "duration", d->duration_usec);
        return ok;
}

static bool add_action(cJSON *actions, const Action *a) {
        cJSON *o = cJSON_CreateObject();
        Amount size_threshold = { .is_percent = true, .permyriad = a->size_threshold_permyriad };
        bool ok;

        if (!o)
                return false;
        cJSON_AddItemToArray(actions, o);
        ok = cJSON_AddStringToObject(o, "type", "kill") &&
             cJSON_AddStringToObject(o, "ranker", ranker_names[a->ranker]) &&
             add_patterns(o, "cgroup", &a->cgroups) &&
             cJSON_AddBoolToObject(o, "recursive", a->recursive) &&
             cJSON_AddStringToObject(o, "granularity", granularity_names[a->granularity]) &&
             cJSON_AddBoolToObject(o, "kill_list", a->use_kill_list) &&
             cJSON_AddBoolToObject(o, "dry_run", a->dry_run) &&
             add_duration(o, "post_action_delay", a->post_action_delay_usec) &&
             add_duration(o, "prekill_timeout", a->prekill_timeout_usec) &&
             add_amount(o, "size_threshold", &size_threshold) &&
             add_double(o, "min_growth_ratio", a->min_growth_ratio) &&
             cJSON_AddNumberToObject(o, "growing_size_percentile", a->growing_size_percentile);
        if (a->prekill_hook) {
                cJSON *hook = cJSON_AddArrayToObject(o, "prekill_hook");

                ok = ok && hook;
                for (char **arg = a->prekill_hook; ok && *arg; arg++) {
                        cJSON *str = cJSON_CreateString(*arg);

                        ok = str != NULL;
                        if (ok)
                                cJSON_AddItemToArray(hook, str);
                }
        }
        if (a->ranker == RANKER_SWAP)
                ok = ok && add_amount(o, "swap_threshold", &a->swap_threshold);
        if (a->ranker == RANKER_PRESSURE)
                ok = ok && cJSON_AddStringToObject(o, "resource", resource_names[a->pressure_resource]);
        return ok;
}

static bool add_ruleset(cJSON *rulesets, const Ruleset *rs) {
        cJSON *o = cJSON_CreateObject(), *groups, *actions;

        if (!o)
                return false;
        cJSON_AddItemToArray(rulesets, o);
        if (!cJSON_AddStringToObject(o, "name", rs->name) || !cJSON_AddBoolToObject(o, "dry_run", rs->dry_run) ||
            !cJSON_AddStringToObject(o, "method", unit_method_names[rs->method]) ||
            !add_duration(o, "stop_timeout", rs->stop_timeout_usec ? rs->stop_timeout_usec : STOP_TIMEOUT_DEFAULT_USEC) ||
            !cJSON_AddNumberToObject(o, "max_kills_per_incident", rs->max_kills ?: MAX_KILLS_PER_INCIDENT_DEFAULT))
                return false;
        groups = cJSON_AddArrayToObject(o, "detectors");
        if (!groups)
                return false;
        for (size_t g = 0; g < rs->n_groups; g++) {
                cJSON *group = cJSON_CreateArray();
                if (!group)
                        return false;
                cJSON_AddItemToArray(groups, group);
                for (size_t i = 0; i < rs->groups[g].n; i++)
                        if (!add_detector(group, &rs->groups[g].detectors[i]))
                                return false;
        }
        actions = cJSON_AddArrayToObject(o, "actions");
        if (!actions)
                return false;
        for (size_t i = 0; i < rs->n_actions; i++)
                if (!add_action(actions, &rs->actions[i]))
                        return false;
        return true;
}

static bool add_kill_list(cJSON *root, const Policy *p) {
        cJSON *arr = cJSON_AddArrayToObject(root, "kill_list");

        if (!arr)
                return false;
        for (size_t i = 0; i < p->n_kill_list; i++) {
                const KillListEntry *e = &p->kill_list[i];
                cJSON *o = cJSON_CreateObject();

                if (!o)
                        return false;
                cJSON_AddItemToArray(arr, o);
                if (!cJSON_AddStringToObject(o, "pattern", e->pattern.glob))
                        return false;
                if (e->has_min_memory && !add_amount(o, "min_memory", &e->min_memory))
                        return false;
                if (e->has_min_pressure && !add_double(o, "min_pressure", e->min_pressure))
                        return false;
        }
        return true;
}

char *policy_to_json(const Policy *p) {
        cJSON *root, *rulesets;
        char *text = NULL;

        if (!p)
                return NULL;
        root = cJSON_CreateObject();
        if (!root)
                return NULL;
        if (!cJSON_AddBoolToObject(root, "dry_run", p->dry_run) ||
            !(p->admin_group ? cJSON_AddStringToObject(root, "admin_group", p->admin_group) :
                               cJSON_AddNullToObject(root, "admin_group")) ||
            !add_duration(root, "interval", p->interval_usec) ||
            !add_duration(root, "fast_interval", p->fast_interval_usec) ||
            !add_patterns(root, "omit", &p->omit) ||
            !add_patterns(root, "avoid", &p->avoid) ||
            !add_patterns(root, "prefer", &p->prefer) ||
            !add_kill_list(root, p))
                goto finish;
        rulesets = cJSON_AddArrayToObject(root, "rulesets");
        if (!rulesets)
                goto finish;
        for (size_t i = 0; i < p->n_rulesets; i++)
                if (!add_ruleset(rulesets, &p->rulesets[i]))
                        goto finish;
        text = cJSON_Print(root);
finish:
        cJSON_Delete(root);
        return text;
}
