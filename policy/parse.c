/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One JSON tree (the merged documents) -> Policy, strictly. Every object of the format (the top
 * level, a ruleset, a detector, an action, a kill list entry) is read by its Field table
 * (fields.h); what a table cannot say is a custom reader here. Every error names the JSON path of
 * the offending value and says what was expected, because the person reading it is editing a file
 * during an incident.
 */

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "macro.h"
#include "names.h"
#include "parse.h"
#include "pattern.h"
#include "quantity.h"
#include "values.h"

#define DEFAULT_INTERVAL_USEC          (1 * USEC_PER_SEC)
#define DEFAULT_FAST_INTERVAL_USEC     (250 * USEC_PER_MSEC)
#define DEFAULT_RECLAIM_DURATION_USEC  (10 * USEC_PER_SEC)
#define DEFAULT_POST_ACTION_DELAY_USEC (15 * USEC_PER_SEC)
#define DEFAULT_FAST_FALL_RATIO        0.85
#define DEFAULT_SIZE_THRESHOLD_PERMYRIAD 5000
#define DEFAULT_MIN_GROWTH_RATIO       1.25
#define DEFAULT_GROWING_SIZE_PERCENTILE 80

/* FIELD_ENUM stores an int */
_Static_assert(sizeof(DetectorType) == sizeof(int) && sizeof(RankerType) == sizeof(int) &&
               sizeof(PsiResource) == sizeof(int) && sizeof(PsiKind) == sizeof(int) &&
               sizeof(Granularity) == sizeof(int) && sizeof(UnitMethod) == sizeof(int),
               "FIELD_ENUM members are int-sized");

/* ---- freeing ---- */

static void detector_clear(Detector *d) {
        pattern_list_clear(&d->cgroups);
        pattern_list_clear(&d->reclaim_at);
}

static void strv_free(char **l) {
        for (char **i = l; i && *i; i++)
                free(*i);
        free(l);
}

static void action_clear(Action *a) {
        pattern_list_clear(&a->cgroups);
        strv_free(a->prekill_hook);
        a->prekill_hook = NULL;
}

static void ruleset_clear(Ruleset *rs) {
        free(rs->name);
        free(rs->source);
        for (size_t g = 0; g < rs->n_groups; g++) {
                for (size_t i = 0; i < rs->groups[g].n; i++)
                        detector_clear(&rs->groups[g].detectors[i]);
                free(rs->groups[g].detectors);
        }
        free(rs->groups);
        for (size_t i = 0; i < rs->n_actions; i++)
                action_clear(&rs->actions[i]);
        free(rs->actions);
}

Policy *policy_free(Policy *p) {
        if (!p)
                return NULL;
        free(p->admin_group);
        pattern_list_clear(&p->omit);
        pattern_list_clear(&p->avoid);
        pattern_list_clear(&p->prefer);
        for (size_t i = 0; i < p->n_kill_list; i++)
                free(p->kill_list[i].pattern.glob);
        free(p->kill_list);
        free(p->kill_list_source);
        for (size_t i = 0; i < p->n_rulesets; i++)
                ruleset_clear(&p->rulesets[i]);
        free(p->rulesets);
        free(p);
        return NULL;
}

/* ---- detectors ---- */

#define PSI_THRESHOLD_EXPECTED "a number from 0 to 100 (percent of time stalled)"

/* Where memory_reclaim reads pgscan (Detector.reclaim_at): every child of P at P, anything else as it is. */
static int reclaim_sources(const PatternList *cgroups, PatternList *ret) {
        for (size_t i = 0; i < cgroups->n; i++) {
                _cleanup_free_ char *parent = NULL;
                int r = pattern_children_parent(cgroups->items[i].glob, &parent);

                if (r >= 0)
                        r = pattern_list_add(ret, parent ?: cgroups->items[i].glob);
                if (r < 0)
                        return r;
        }
        return 0;
}

#define WINDOW_EXPECTED "\"avg10\", \"avg60\" or \"avg300\" (the kernel's decaying averages), " \
        "or a duration from 1s to 10m such as \"5s\" (the exact share of that window spent stalled)"

/* "window": one of the kernel's averages, or a duration for an exact window over the "total" counters. */
static int detector_window(Parser *p, const Field *f, const cJSON *o, const cJSON *v_, void *data) {
        Detector *d = data;
        size_t m;
        const cJSON *v = opt_enter(p, o, f->key, &m);
        usec_t u;

        if (!v)
                return 0;
        if (cJSON_IsString(v))
                for (int i = 0; window_names[i]; i++)
                        if (streq(v->valuestring, window_names[i])) {
                                d->window = (PsiWindow) i;
                                return opt_leave(p, m, 0);
                        }
        if (!cJSON_IsString(v) || parse_duration(v->valuestring, &u) < 0)
                return parse_fail(p, v, "expected %s, got %s", WINDOW_EXPECTED, GOT(v));
        if (u < PSI_EXACT_WINDOW_MIN_USEC || u > PSI_EXACT_WINDOW_MAX_USEC)
                return parse_fail(p, v, "expected %s, got %s: out of range", WINDOW_EXPECTED, GOT(v));
        d->window = PSI_WINDOW_EXACT;
        d->window_usec = u;
        return opt_leave(p, m, 0);
}

/* memory_above: "threshold" (memory.current) or "threshold_anon" (anonymous memory), one of them. */
static int detector_memory_threshold(Parser *p, const Field *f, const cJSON *o, const cJSON *v, void *data) {
        Detector *d = data;
        const cJSON *v_anon = json_child(o, "threshold_anon");

        if (v && v_anon) {
                path_push_key(p, "threshold_anon");
                return parse_fail(p, v_anon, "use either \"threshold\" (all memory of the cgroup) or \"threshold_anon\" (anonymous memory only), not both");
        }
        if (!v && !v_anon)
                return parse_fail(p, o, "missing required key \"threshold\" (or \"threshold_anon\"): a size such as 2G or a percent of MemTotal such as 80%%");
        d->anon = v_anon != NULL;
        return opt_size(p, o, d->anon ? "threshold_anon" : "threshold", "MemTotal", &d->amount);
}

/* memory_reclaim judges reclaim activity over a time span: never an instant. */
static int detector_reclaim_duration(Parser *p, const Field *f, const cJSON *o, const cJSON *v, void *data) {
        Detector *d = data;
        int r;

        r = opt_duration(p, o, f->key, &d->duration_usec);
        if (r < 0)
                return r;
        if (d->duration_usec == 0) {
                path_push_key(p, f->key);
                return parse_fail(p, v, "expected a duration above 0 such as \"10s\": reclaim activity is judged over a time span");
        }
        return 0;
}

#define PRESSURE_KINDS (FIELD_KIND(DETECTOR_PRESSURE_ABOVE) | FIELD_KIND(DETECTOR_PRESSURE_RISING_BEYOND))

/* In the order the keys are listed for each type; a key has one field per type at most. */
static const Field detector_fields[] = {
        { "type", FIELD_ELSEWHERE }, /* read before the walk: it chooses the other keys */
        { "cgroup", FIELD_PATTERNS, FIELD_AT(Detector, cgroups), .types = FIELD_KIND(DETECTOR_EXISTS),
          .required = true, .missing = ": the cgroup path pattern whose existence this detector checks",
          .paths_only = true, .allow_string = true },
        { "cgroup", FIELD_PATTERNS, FIELD_AT(Detector, cgroups),
          .types = PRESSURE_KINDS | FIELD_KIND(DETECTOR_MEMORY_ABOVE) | FIELD_KIND(DETECTOR_MEMORY_RECLAIM),
          .paths_only = true, .allow_string = true, .default_glob = "/" },
        { "resource", FIELD_ENUM, FIELD_AT(Detector, resource), .types = PRESSURE_KINDS,
          .names = resource_names, .what = "pressure resource" },
        { "kind", FIELD_ENUM, FIELD_AT(Detector, kind), .types = PRESSURE_KINDS,
          .names = kind_names, .what = "pressure kind" },
        { "window", FIELD_CUSTOM, .types = FIELD_KIND(DETECTOR_PRESSURE_ABOVE), .parse = detector_window },
        { "threshold", FIELD_NUMBER, FIELD_AT(Detector, threshold), .types = PRESSURE_KINDS,
          .required = true, .missing = ": " PSI_THRESHOLD_EXPECTED,
          .min = 0, .max = 100, .expected = PSI_THRESHOLD_EXPECTED },
        { "threshold", FIELD_CUSTOM, .types = FIELD_KIND(DETECTOR_MEMORY_ABOVE), .parse = detector_memory_threshold },
        { "threshold", FIELD_SIZE, FIELD_AT(Detector, amount), .types = FIELD_KIND(DETECTOR_SWAP_FREE_BELOW),
          .required = true, .missing = ": a size such as 512M or a percent of SwapTotal such as 10%",
          .percent_of = "SwapTotal" },
        { "threshold", FIELD_SIZE, FIELD_AT(Detector, amount), .types = FIELD_KIND(DETECTOR_MEM_AVAILABLE_BELOW),
          .required = true, .missing = ": a size such as 512M or a percent of MemTotal such as 10%",
          .percent_of = "MemTotal" },
        { "threshold_anon", FIELD_ELSEWHERE, .types = FIELD_KIND(DETECTOR_MEMORY_ABOVE) },
        /* the duration is read last, after the type's own keys */
        { "duration", FIELD_DURATION, FIELD_AT(Detector, duration_usec), .late = true,
          .types = PRESSURE_KINDS | FIELD_KIND(DETECTOR_MEMORY_ABOVE) | FIELD_KIND(DETECTOR_SWAP_FREE_BELOW) |
                   FIELD_KIND(DETECTOR_MEM_AVAILABLE_BELOW) },
        { "duration", FIELD_CUSTOM, .types = FIELD_KIND(DETECTOR_MEMORY_RECLAIM), .late = true,
          .parse = detector_reclaim_duration },
        { "fast_fall_ratio", FIELD_NUMBER, FIELD_AT(Detector, fast_fall_ratio),
          .types = FIELD_KIND(DETECTOR_PRESSURE_RISING_BEYOND), .min = 0, .min_exclusive = true, .max = 1,
          .expected = "a number above 0 and at most 1 (how far pressure must fall to count as falling fast)" },
        { "negate", FIELD_BOOL, FIELD_AT(Detector, negate), .types = FIELD_KIND(DETECTOR_EXISTS) },
};

static int parse_detector(Parser *p, const cJSON *o, Detector *d) {
        char where[96];
        const cJSON *v;
        int t = -1, r;

        *d = (Detector) {
                .kind = PSI_KIND_FULL,
                .window = PSI_WINDOW_AVG10,
                .fast_fall_ratio = DEFAULT_FAST_FALL_RATIO,
        };

        r = parse_require_object(p, o, "a detector object such as {\"type\": \"pressure_above\", \"threshold\": 40}");
        if (r < 0)
                return r;
        if (!json_child(o, "type"))
                return parse_fail(p, o, "missing required key \"type\"; expected one of: %s",
                                  JOIN(detector_type_names));
        r = opt_enum(p, o, "type", detector_type_names, "detector type", &t);
        if (r < 0)
                return r;
        d->type = (DetectorType) t;
        if (d->type == DETECTOR_MEMORY_RECLAIM)
                d->duration_usec = DEFAULT_RECLAIM_DURATION_USEC;

        if (d->type == DETECTOR_PRESSURE_RISING_BEYOND && (v = json_child(o, "window"))) {
                path_push_key(p, "window");
                return parse_fail(p, v, "unknown key \"window\" for detector type \"pressure_rising_beyond\": it compares the short and long averages itself; remove \"window\" or use \"pressure_above\"");
        }
        snprintf(where, sizeof(where), "for detector type \"%s\"", detector_type_names[d->type]);
        r = fields_parse(p, o, detector_fields, ELEMENTSOF(detector_fields), d->type, where, d);
        if (r < 0)
                return r;
        if (d->type == DETECTOR_MEMORY_RECLAIM)
                return reclaim_sources(&d->cgroups, &d->reclaim_at);
        return 0;
}

/* ---- actions ---- */

#define PREKILL_HOOK_EXAMPLE "[\"/usr/local/bin/save-state\", \"--quick\"]"

/* "prekill_hook": the argv of a command, exec'd without a shell, so argv[0] must be an absolute path. */
static int parse_prekill_hook(Parser *p, const cJSON *o, Action *a) {
        const cJSON *v = json_child(o, "prekill_hook"), *c;
        size_t m, n, i = 0;

        if (!v)
                return 0;
        m = path_push_key(p, "prekill_hook");
        if (!cJSON_IsArray(v))
                return parse_fail(p, v, "expected the command to run before the kill, as an array of strings such as %s, got %s",
                            PREKILL_HOOK_EXAMPLE, GOT(v));
        n = (size_t) cJSON_GetArraySize(v);
        if (n == 0)
                return parse_fail(p, v, "expected at least the program to run, such as %s, got an empty array; remove \"prekill_hook\" to run no hook",
                            PREKILL_HOOK_EXAMPLE);
        if (n > PREKILL_HOOK_MAX_ARGS)
                return parse_fail(p, v, "expected at most %d strings (the program and its arguments), got %zu; put a longer command in a script",
                            PREKILL_HOOK_MAX_ARGS, n);
        /* owned by the action from here on, so that a later error frees it with the policy */
        a->prekill_hook = calloc(n + 1, sizeof(char *));
        if (!a->prekill_hook)
                return -ENOMEM;
        cJSON_ArrayForEach(c, v) {
                size_t m2 = path_push_index(p, i), len;

                if (!cJSON_IsString(c))
                        return parse_fail(p, c, "expected a string (%s of the command), got %s",
                                    i == 0 ? "the program" : "an argument", GOT(c));
                len = strlen(c->valuestring);
                if (len == 0)
                        return parse_fail(p, c, "expected a non-empty string (%s of the command), got \"\"",
                                    i == 0 ? "the program" : "an argument");
                if (len > PREKILL_HOOK_ARG_MAX_BYTES)
                        return parse_fail(p, c, "expected at most %d bytes, got a string of %zu bytes",
                                    PREKILL_HOOK_ARG_MAX_BYTES, len);
                if (i == 0 && c->valuestring[0] != '/')
                        return parse_fail(p, c, "expected an absolute path to the program (starting with \"/\"), got %s: the hook runs without a shell or $PATH lookup",
                                    GOT(c));
                a->prekill_hook[i] = strdup(c->valuestring);
                if (!a->prekill_hook[i])
                        return -ENOMEM;
                i++;
                path_pop(p, m2);
        }
        path_pop(p, m);
        return 0;
}

static int action_prekill_hook(Parser *p, const Field *f, const cJSON *o, const cJSON *v, void *data) {
        return parse_prekill_hook(p, o, data);
}

/* "size_threshold": a percent, as a string ("50%") or a number from 0 to 100. */
static int action_size_threshold(Parser *p, const Field *f, const cJSON *o, const cJSON *v, void *data) {
        static const char expected[] = "a percent such as \"50%\" or a number from 0 to 100";
        Action *a = data;
        Amount amount;
        size_t m;
        double d;
        int r;

        if (!v)
                return 0;
        m = path_push_key(p, f->key);
        if (cJSON_IsString(v)) {
                if (parse_size(v->valuestring, true, &amount) < 0 || !amount.is_percent)
                        return parse_fail(p, v, "expected %s, got %s", expected, GOT(v));
                a->size_threshold_permyriad = amount.permyriad;
        } else {
                r = read_number(p, v, 0, false, 100, expected, &d);
                if (r < 0)
                        return r;
                a->size_threshold_permyriad = (uint32_t) double_round_unsigned(d * 100);
        }
        path_pop(p, m);
        return 0;
}

/* "swap_threshold" belongs to ranker "swap" alone: anywhere else it would be silently ignored. */
static int action_swap_threshold(Parser *p, const Field *f, const cJSON *o, const cJSON *v, void *data) {
        Action *a = data;

        if (!v)
                return 0;
        if (a->ranker != RANKER_SWAP) {
                path_push_key(p, f->key);
                return parse_fail(p, v, "swap_threshold only applies to ranker \"swap\" (this action uses \"%s\"); remove it or set \"ranker\": \"swap\"",
                                  ranker_names[a->ranker]);
        }
        return opt_size(p, o, f->key, NULL, &a->swap_threshold);
}

/* "resource" belongs to ranker "pressure" alone. */
static int action_resource(Parser *p, const Field *f, const cJSON *o, const cJSON *v, void *data) {
        Action *a = data;
        int e, r;

        if (!v)
                return 0;
        if (a->ranker != RANKER_PRESSURE) {
                path_push_key(p, f->key);
                return parse_fail(p, v, "resource only applies to ranker \"pressure\" (this action uses \"%s\"); remove it or set \"ranker\": \"pressure\"",
                                  ranker_names[a->ranker]);
        }
        e = a->pressure_resource;
        r = opt_enum(p, o, f->key, resource_names, "pressure resource", &e);
        if (r < 0)
                return r;
        a->pressure_resource = (PsiResource) e;
        return 0;
}

static const Field action_fields[] = {
        { "type", FIELD_ENUM, .required = true, .names = action_type_names, .what = "action type" },
        { "ranker", FIELD_ENUM, FIELD_AT(Action, ranker), .names = ranker_names, .what = "ranker" },
        { "cgroup", FIELD_PATTERNS, FIELD_AT(Action, cgroups), .paths_only = true, .allow_string = true,
          .default_glob = "/*" },
        { "recursive", FIELD_BOOL, FIELD_AT(Action, recursive) },
        { "granularity", FIELD_ENUM, FIELD_AT(Action, granularity), .names = granularity_names, .what = "granularity" },
        { "kill_list", FIELD_BOOL, FIELD_AT(Action, use_kill_list) },
        { "dry_run", FIELD_BOOL, FIELD_AT(Action, dry_run) },
        { "post_action_delay", FIELD_DURATION, FIELD_AT(Action, post_action_delay_usec) },
        { "prekill_timeout", FIELD_DURATION, FIELD_AT(Action, prekill_timeout_usec),
          .min_usec = 0, .max_usec = PREKILL_TIMEOUT_MAX_USEC, .expected = "a duration from 0s to 60s",
          .why = ": memory keeps running out while the kill waits" },
        { "prekill_hook", FIELD_CUSTOM, .parse = action_prekill_hook },
        { "size_threshold", FIELD_CUSTOM, .parse = action_size_threshold },
        { "min_growth_ratio", FIELD_NUMBER, FIELD_AT(Action, min_growth_ratio), .min = 1.0, .max = HUGE_VAL,
          .expected = "a number of at least 1.0 (memory now divided by its average)" },
        { "growing_size_percentile", FIELD_UNSIGNED, FIELD_AT(Action, growing_size_percentile),
          .min = 0, .max = 100, .expected = "a whole number from 0 to 100" },
        { "swap_threshold", FIELD_CUSTOM, .parse = action_swap_threshold },
        { "resource", FIELD_CUSTOM, .parse = action_resource },
};

static int parse_action(Parser *p, const cJSON *o, Action *a) {
        int r;

        *a = (Action) {
                .ranker = RANKER_SIZE_OR_GROWTH,
                .recursive = true,
                .granularity = GRANULARITY_CGROUP,
                .use_kill_list = true,
                .post_action_delay_usec = DEFAULT_POST_ACTION_DELAY_USEC,
                .size_threshold_permyriad = DEFAULT_SIZE_THRESHOLD_PERMYRIAD,
                .min_growth_ratio = DEFAULT_MIN_GROWTH_RATIO,
                .growing_size_percentile = DEFAULT_GROWING_SIZE_PERCENTILE,
                .pressure_resource = PSI_RESOURCE_MEMORY,
        };

        r = parse_require_object(p, o, "an action object such as {\"type\": \"kill\"}");
        if (r < 0)
                return r;
        return fields_parse(p, o, action_fields, ELEMENTSOF(action_fields), 0, "in an action", a);
}

/* ---- rulesets ---- */

static bool ruleset_name_valid(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                      *s == '_' || *s == '.' || *s == '-'))
                        return false;
        return true;
}

static int parse_detector_groups(Parser *p, const cJSON *v, Ruleset *rs) {
        const cJSON *g;
        size_t gi = 0;
        int r;

        r = parse_alloc_items(p, v, "detector groups (each an array of detectors)",
                        "a ruleset needs at least one detector group, got an empty array; e.g. [[{\"type\": \"pressure_above\", \"threshold\": 40}]]",
                        sizeof(DetectorGroup), (void **) &rs->groups, &rs->n_groups);
        if (r < 0)
                return r;

        cJSON_ArrayForEach(g, v) {
                DetectorGroup *group = &rs->groups[gi];
                size_t m = path_push_index(p, gi++), di = 0;
                const cJSON *d;

                if (!cJSON_IsArray(g))
                        return parse_fail(p, g, "expected a detector group: an array of detectors that must all fire (AND), got %s; write [[{...}]] even for one detector",
                                    GOT(g));
                if (cJSON_GetArraySize(g) == 0)
                        return parse_fail(p, g, "empty detector group: an empty group would never fire; add a detector or remove the group");
                r = parse_alloc_array((size_t) cJSON_GetArraySize(g), sizeof(Detector), (void **) &group->detectors);
                if (r < 0)
                        return r;
                group->n = (size_t) cJSON_GetArraySize(g);
                cJSON_ArrayForEach(d, g) {
                        size_t m2 = path_push_index(p, di);
                        r = parse_detector(p, d, &group->detectors[di++]);
                        if (r < 0)
                                return r;
                        path_pop(p, m2);
                }
                path_pop(p, m);
        }
        return 0;
}

static int parse_actions(Parser *p, const cJSON *v, Ruleset *rs) {
        const cJSON *a;
        size_t i = 0;
        int r;

        r = parse_alloc_items(p, v, "actions", "a ruleset needs at least one action, got an empty array; e.g. [{\"type\": \"kill\"}]",
                        sizeof(Action), (void **) &rs->actions, &rs->n_actions);
        if (r < 0)
                return r;
        cJSON_ArrayForEach(a, v) {
                size_t m = path_push_index(p, i);
                r = parse_action(p, a, &rs->actions[i++]);
                if (r < 0)
                        return r;
                path_pop(p, m);
        }
        return 0;
}

static int ruleset_name(Parser *p, const Field *f, const cJSON *o, const cJSON *v, void *data) {
        Ruleset *rs = data;
        size_t m;

        m = path_push_key(p, f->key);
        if (!cJSON_IsString(v))
                return parse_fail(p, v, "expected a ruleset name (a string), got %s", GOT(v));
        if (!ruleset_name_valid(v->valuestring))
                return parse_fail(p, v, "invalid ruleset name %s: use only letters, digits, '_', '.' and '-', at least one character",
                                  GOT(v));
        rs->name = strdup(v->valuestring);
        if (!rs->name)
                return -ENOMEM;
        path_pop(p, m);

        /* The merge moves a drop-in's ruleset object whole, so the object's origin is the document
         * that defined the ruleset. A single document has no origin table: it is document 0. */
        ssize_t doc = parser_origin_of(p, o);
        rs->source = strdup(p->sources[doc >= 0 ? (size_t) doc : 0]);
        if (!rs->source)
                return -ENOMEM;
        return 0;
}

static int ruleset_detectors(Parser *p, const Field *f, const cJSON *o, const cJSON *v, void *data) {
        Ruleset *rs = data;
        size_t m;
        int r;

        if (!v)
                return parse_fail(p, o, "missing required key \"detectors\" in ruleset \"%s\": when to act, e.g. [[{\"type\": \"pressure_above\", \"threshold\": 40}]]",
                                  rs->name);
        m = path_push_key(p, f->key);
        r = parse_detector_groups(p, v, rs);
        if (r < 0)
                return r;
        path_pop(p, m);
        return 0;
}

static int ruleset_actions(Parser *p, const Field *f, const cJSON *o, const cJSON *v, void *data) {
        Ruleset *rs = data;
        size_t m;
        int r;

        if (!v)
                return parse_fail(p, o, "missing required key \"actions\" in ruleset \"%s\": no actions, so nothing would be done; e.g. [{\"type\": \"kill\"}]",
                                  rs->name);
        m = path_push_key(p, f->key);
        r = parse_actions(p, v, rs);
        if (r < 0)
                return r;
        path_pop(p, m);
        return 0;
}

static const Field ruleset_fields[] = {
        { "name", FIELD_CUSTOM, .required = true,
          .missing = ": every ruleset needs a unique name of letters, digits, '_', '.' or '-'", .parse = ruleset_name },
        { "dry_run", FIELD_BOOL, FIELD_AT(Ruleset, dry_run) },
        { "method", FIELD_ENUM, FIELD_AT(Ruleset, method), .names = unit_method_names, .what = "method (how the victim ends)" },
        { "stop_timeout", FIELD_DURATION, FIELD_AT(Ruleset, stop_timeout_usec), .min_usec = STOP_TIMEOUT_MIN_USEC,
          .max_usec = STOP_TIMEOUT_MAX_USEC, .expected = "a duration from 100ms to 300s",
          .why = ": systemd needs a moment to stop a unit, and memory keeps running out while the stop waits" },
        { "max_kills_per_incident", FIELD_UNSIGNED, FIELD_AT(Ruleset, max_kills), .min = 1, .max = MAX_KILLS_PER_INCIDENT_MAX,
          .expected = "a whole number from 1 to 100 (kills this ruleset may make before the pressure it saw has eased)",
          .whole_expected = "a whole number from 1 to 100" },
        { "detectors", FIELD_CUSTOM, .parse = ruleset_detectors },
        { "actions", FIELD_CUSTOM, .parse = ruleset_actions },
};

static int parse_ruleset(Parser *p, const cJSON *o, Ruleset *rs) {
        const cJSON *v;
        int r;

        rs->method = UNIT_METHOD_STOP;
        rs->stop_timeout_usec = STOP_TIMEOUT_DEFAULT_USEC;
        rs->max_kills = MAX_KILLS_PER_INCIDENT_DEFAULT;

        r = parse_require_object(p, o, "a ruleset object with \"name\", \"detectors\" and \"actions\"");
        if (r < 0)
                return r;
        if ((v = json_child(o, "enabled"))) {
                path_push_key(p, "enabled");
                return parse_fail(p, v, "unknown key \"enabled\" in a ruleset: it is only allowed in a drop-in, to remove a ruleset of the main policy ({\"name\": \"x\", \"enabled\": false}); delete the ruleset here instead");
        }
        return fields_parse(p, o, ruleset_fields, ELEMENTSOF(ruleset_fields), 0, "in a ruleset", rs);
}

/* ---- the top level ---- */

/* "admin_group": a group name as useradd accepts it, or null for root only. */
static bool group_name_is_valid(const char *s) {
        size_t l = strlen(s);
        if (l == 0 || l > 32 || s[0] == '-' || streq(s, ".") || streq(s, ".."))
                return false;
        for (const char *c = s; *c; c++)
                if (!isalnum((unsigned char) *c) && !strchr("_.-", *c) && !(*c == '$' && c[1] == 0))
                        return false;
        return true;
}

static int top_admin_group(Parser *p, const Field *f, const cJSON *root, const cJSON *v_, void *data) {
        char **ret = &((Policy *) data)->admin_group;
        size_t m;
        const cJSON *v = opt_enter(p, root, f->key, &m);

        if (!v || cJSON_IsNull(v)) {
                if (v)
                        path_pop(p, m);
                return 0;
        }
        if (!cJSON_IsString(v) || !group_name_is_valid(v->valuestring))
                return parse_fail(p, v, "expected a group name (letters, digits, '_', '.', '-', at most 32, not starting with '-') "
                            "or null, got %s", GOT(v));
        *ret = strdup(v->valuestring);
        if (!*ret)
                return -ENOMEM;
        path_pop(p, m);
        return 0;
}

/* "fast_interval": from 10ms to "interval"; by default 250ms, or "interval" when that is shorter. */
static int top_fast_interval(Parser *p, const Field *f, const cJSON *root, const cJSON *v, void *data) {
        Policy *pol = data;
        int r;

        r = opt_duration(p, root, f->key, &pol->fast_interval_usec);
        if (r < 0)
                return r;
        if (!v && pol->fast_interval_usec > pol->interval_usec)
                pol->fast_interval_usec = pol->interval_usec; /* the default never outlasts a short interval */
        if (pol->fast_interval_usec < FAST_INTERVAL_MIN_USEC || pol->fast_interval_usec > pol->interval_usec) {
                path_push_key(p, f->key);
                if (pol->fast_interval_usec < FAST_INTERVAL_MIN_USEC)
                        return parse_fail(p, v, "expected a duration of at least 10ms, got %s", GOT(v));
                return parse_fail(p, v ? v : json_child(root, "interval"),
                                  "fast_interval (%.3gs) must not be longer than interval (%.3gs): it is the faster sampling used while a detector is arming",
                                  (double) pol->fast_interval_usec / USEC_PER_SEC, (double) pol->interval_usec / USEC_PER_SEC);
        }
        return 0;
}

static int kill_list_pattern(Parser *p, const Field *f, const cJSON *o, const cJSON *v, void *data) {
        KillListEntry *e = data;
        PatternList l = {};
        size_t m;
        int r;

        m = path_push_key(p, f->key);
        r = read_pattern(p, v, false, &l);
        if (r < 0)
                return r;
        path_pop(p, m);
        e->pattern = l.items[0];
        free(l.items);
        return 0;
}

static const Field kill_list_fields[] = {
        { "pattern", FIELD_CUSTOM, .required = true,
          .missing = ": the cgroup path or process name glob of a known offender", .parse = kill_list_pattern },
        { "min_memory", FIELD_SIZE, FIELD_AT(KillListEntry, min_memory),
          .present = FIELD_AT(KillListEntry, has_min_memory), .percent_of = "MemTotal" },
        { "min_pressure", FIELD_NUMBER, FIELD_AT(KillListEntry, min_pressure),
          .present = FIELD_AT(KillListEntry, has_min_pressure), .min = 0, .max = 100,
          .expected = "a number from 0 to 100 (memory full avg10, percent of time stalled)" },
};

static int parse_kill_list_entry(Parser *p, const cJSON *o, KillListEntry *e) {
        int r;

        r = parse_require_object(p, o, "a kill list entry such as {\"pattern\": \"/user.slice/*/app-firefox*\"}");
        if (r < 0)
                return r;
        return fields_parse(p, o, kill_list_fields, ELEMENTSOF(kill_list_fields), 0, "in a kill list entry", e);
}

static int top_kill_list(Parser *p, const Field *f, const cJSON *root, const cJSON *v, void *data) {
        Policy *pol = data;
        const cJSON *c;
        size_t i = 0, m;
        int r;

        if (!v)
                return 0;
        m = path_push_key(p, f->key);
        r = parse_check_count(p, v, POLICY_MAX_KILL_LIST, "kill list entries", "POLICY_MAX_KILL_LIST",
                              "it is walked at every kill: name known offenders with globs instead of one entry each");
        if (r < 0)
                return r;
        r = parse_alloc_items(p, v, "kill list entries", NULL, sizeof(KillListEntry), (void **) &pol->kill_list, &pol->n_kill_list);
        if (r < 0)
                return r;
        /* The merge replaces the array whole, so its node's origin is the one document it came from. */
        ssize_t doc = parser_origin_of(p, v);
        pol->kill_list_source = strdup(p->sources[doc >= 0 ? (size_t) doc : 0]);
        if (!pol->kill_list_source)
                return -ENOMEM;
        cJSON_ArrayForEach(c, v) {
                size_t m2 = path_push_index(p, i);
                r = parse_kill_list_entry(p, c, &pol->kill_list[i++]);
                if (r < 0)
                        return r;
                path_pop(p, m2);
        }
        path_pop(p, m);
        return 0;
}

static int top_rulesets(Parser *p, const Field *f, const cJSON *root, const cJSON *v, void *data) {
        Policy *pol = data;
        const cJSON *c;
        size_t i = 0, m;
        int r;

        if (v && !cJSON_IsArray(v)) {
                path_push_key(p, f->key);
                return parse_fail(p, v, "expected an array of rulesets, got %s", GOT(v));
        }
        if (!v || cJSON_GetArraySize(v) == 0) {
                if (v)
                        path_push_key(p, f->key);
                return parse_fail(p, v ? v : root,
                                  "policy has no rulesets: nothing would ever be killed; add a ruleset, or remove the policy file to use the embedded default policy");
        }
        m = path_push_key(p, f->key);
        r = check_rulesets(p, v);
        if (r < 0)
                return r;
        r = parse_alloc_array((size_t) cJSON_GetArraySize(v), sizeof(Ruleset), (void **) &pol->rulesets);
        if (r < 0)
                return r;
        pol->n_rulesets = (size_t) cJSON_GetArraySize(v);
        cJSON_ArrayForEach(c, v) {
                size_t m2 = path_push_index(p, i);

                r = parse_ruleset(p, c, &pol->rulesets[i]);
                if (r < 0)
                        return r;
                /* pairwise, at most POLICY_MAX_RULESETS^2 / 2 comparisons */
                for (size_t j = 0; j < i; j++)
                        if (streq(pol->rulesets[j].name, pol->rulesets[i].name)) {
                                path_push_key(p, "name");
                                return parse_fail(p, json_child(c, "name"),
                                                  "duplicate ruleset name \"%s\" (also rulesets[%zu]); ruleset names must be unique",
                                                  pol->rulesets[i].name, j);
                        }
                i++;
                path_pop(p, m2);
        }
        path_pop(p, m);
        return 0;
}

static const Field top_fields[] = {
        { "dry_run", FIELD_BOOL, FIELD_AT(Policy, dry_run) },
        { "admin_group", FIELD_CUSTOM, .parse = top_admin_group },
        { "interval", FIELD_DURATION, FIELD_AT(Policy, interval_usec), .min_usec = INTERVAL_MIN_USEC,
          .max_usec = INTERVAL_MAX_USEC, .expected = "a duration from 100ms to 60s" },
        { "fast_interval", FIELD_CUSTOM, .parse = top_fast_interval },
        { "omit", FIELD_PATTERNS, FIELD_AT(Policy, omit), .allow_empty = true },
        { "avoid", FIELD_PATTERNS, FIELD_AT(Policy, avoid), .allow_empty = true },
        { "prefer", FIELD_PATTERNS, FIELD_AT(Policy, prefer), .allow_empty = true },
        { "kill_list", FIELD_CUSTOM, .parse = top_kill_list },
        { "rulesets", FIELD_CUSTOM, .parse = top_rulesets },
};

int policy_parse_object(Parser *p, const cJSON *root, Policy *pol) {
        if (!cJSON_IsObject(root))
                return parse_fail(p, root, "expected a JSON object at the top level, such as {\"rulesets\": [...]}, got %s", GOT(root));
        pol->interval_usec = DEFAULT_INTERVAL_USEC;
        pol->fast_interval_usec = DEFAULT_FAST_INTERVAL_USEC;
        return fields_parse(p, root, top_fields, ELEMENTSOF(top_fields), 0, "at the top level of the policy", pol);
}
