/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Policy JSON -> Policy, strictly. Every error names the JSON path of the offending value and says
 * what was expected, because the person reading it is editing a file during an incident.
 *
 * Drop-ins are merged as JSON trees first (policy_parse_merged) and the merged tree is validated
 * once. The merge moves nodes instead of copying them and never frees one before the end, so a
 * table of node addresses tells which document set the value an error is about.
 */

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_text.h"
#include "macro.h"
#include "pattern.h"
#include "policy.h"

#define DEFAULT_INTERVAL_USEC          (1 * USEC_PER_SEC)
#define DEFAULT_FAST_INTERVAL_USEC     (250 * USEC_PER_MSEC)
#define INTERVAL_MIN_USEC              (100 * USEC_PER_MSEC)
#define INTERVAL_MAX_USEC              (60 * USEC_PER_SEC)
#define FAST_INTERVAL_MIN_USEC         (10 * USEC_PER_MSEC)
#define DEFAULT_RECLAIM_DURATION_USEC  (10 * USEC_PER_SEC)
#define DEFAULT_POST_ACTION_DELAY_USEC (15 * USEC_PER_SEC)
#define PREKILL_TIMEOUT_MAX_USEC       (60 * USEC_PER_SEC)
#define DEFAULT_FAST_FALL_RATIO        0.85
#define DEFAULT_SIZE_THRESHOLD_PERMYRIAD 5000
#define DEFAULT_MIN_GROWTH_RATIO       1.25
#define DEFAULT_GROWING_SIZE_PERCENTILE 80

/* 2^64 as a double: JSON numbers at or above it do not fit a uint64_t. */
#define UINT64_LIMIT_DOUBLE 18446744073709551616.0

#define SOURCE_DEFAULT_NAME "the embedded default policy"

static const char *const detector_type_names[_DETECTOR_TYPE_MAX + 1] = {
        [DETECTOR_PRESSURE_ABOVE]         = "pressure_above",
        [DETECTOR_PRESSURE_RISING_BEYOND] = "pressure_rising_beyond",
        [DETECTOR_MEMORY_ABOVE]           = "memory_above",
        [DETECTOR_MEMORY_RECLAIM]         = "memory_reclaim",
        [DETECTOR_SWAP_FREE_BELOW]        = "swap_free_below",
        [DETECTOR_MEM_AVAILABLE_BELOW]    = "mem_available_below",
        [DETECTOR_EXISTS]                 = "exists",
};

static const char *const detector_keys[_DETECTOR_TYPE_MAX][9] = {
        [DETECTOR_PRESSURE_ABOVE]         = { "type", "cgroup", "resource", "kind", "window", "threshold", "duration" },
        [DETECTOR_PRESSURE_RISING_BEYOND] = { "type", "cgroup", "resource", "kind", "threshold", "duration", "fast_fall_ratio" },
        [DETECTOR_MEMORY_ABOVE]           = { "type", "cgroup", "threshold", "threshold_anon", "duration" },
        [DETECTOR_MEMORY_RECLAIM]         = { "type", "cgroup", "duration" },
        [DETECTOR_SWAP_FREE_BELOW]        = { "type", "threshold", "duration" },
        [DETECTOR_MEM_AVAILABLE_BELOW]    = { "type", "threshold", "duration" },
        [DETECTOR_EXISTS]                 = { "type", "cgroup", "negate" },
};

static const char *const ranker_names[_RANKER_TYPE_MAX + 1] = {
        [RANKER_SIZE_OR_GROWTH] = "size_or_growth",
        [RANKER_SWAP]           = "swap",
        [RANKER_PRESSURE]       = "pressure",
        [RANKER_PGSCAN]         = "pgscan",
};

static const char *const resource_names[] = { [PSI_RESOURCE_MEMORY] = "memory", [PSI_RESOURCE_IO] = "io", NULL };
static const char *const kind_names[] = { [PSI_KIND_SOME] = "some", [PSI_KIND_FULL] = "full", NULL };
static const char *const window_names[] = {
        [PSI_WINDOW_AVG10] = "avg10", [PSI_WINDOW_AVG60] = "avg60", [PSI_WINDOW_AVG300] = "avg300", NULL
};
static const char *const granularity_names[] = { [GRANULARITY_CGROUP] = "cgroup", [GRANULARITY_PROCESS] = "process", NULL };
static const char *const action_type_names[] = { "kill", NULL };

static const char *const top_keys[] = {
        "dry_run", "admin_group", "interval", "fast_interval", "omit", "avoid", "prefer", "kill_list", "rulesets", NULL
};
static const char *const ruleset_keys[] = { "name", "dry_run", "method", "stop_timeout", "max_kills_per_incident",
                                            "detectors", "actions", NULL };
static const char *const unit_method_names[_UNIT_METHOD_MAX + 1] = {
        [UNIT_METHOD_KILL] = "kill", [UNIT_METHOD_STOP] = "stop", [UNIT_METHOD_RESTART] = "restart",
};

const char *unit_method_to_string(UnitMethod m) {
        if (m < 0 || m >= _UNIT_METHOD_MAX)
                return NULL;
        return unit_method_names[m];
}
static const char *const action_keys[] = {
        "type", "ranker", "cgroup", "recursive", "granularity", "kill_list", "dry_run", "post_action_delay",
        "prekill_timeout", "prekill_hook", "size_threshold", "min_growth_ratio", "growing_size_percentile", "swap_threshold",
        "resource", NULL
};
static const char *const kill_list_keys[] = { "pattern", "min_memory", "min_pressure", NULL };

/* Which document a node of the merged tree came from. */
typedef struct Origin {
        const cJSON *node;
        size_t doc;
} Origin;

typedef struct Parser {
        PolicyError *err;
        char path[sizeof(((PolicyError *) NULL)->path)];
        size_t path_len;
        /* names of the documents; errors name one only when there are several */
        const char **sources;
        size_t n_docs;
        Origin *origins;         /* sorted by node address after each document, for origin_of() */
        size_t n_origins, n_origins_allocated;
        size_t n_patterns;       /* patterns read so far, against POLICY_MAX_PATTERNS */
} Parser;

/* ---- JSON paths and errors ---- */

static size_t path_append(Parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t path_append(Parser *p, const char *fmt, ...) {
        size_t old = p->path_len, room = sizeof(p->path) - old;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(p->path + old, room, fmt, ap);
        va_end(ap);
        if (n < 0)
                n = 0;
        p->path_len = (size_t) n < room ? old + (size_t) n : sizeof(p->path) - 1;
        return old;
}

static size_t path_push_key(Parser *p, const char *key) {
        return p->path_len == 0 ? path_append(p, "%s", key) : path_append(p, ".%s", key);
}

static size_t path_push_index(Parser *p, size_t i) {
        return path_append(p, "[%zu]", i);
}

static void path_pop(Parser *p, size_t old) {
        p->path_len = old;
        p->path[old] = '\0';
}

static int origin_compare(const void *a, const void *b) {
        uintptr_t x = (uintptr_t) ((const Origin *) a)->node, y = (uintptr_t) ((const Origin *) b)->node;

        return x < y ? -1 : x > y;
}

static ssize_t origin_of(const Parser *p, const cJSON *node) {
        const Origin key = { .node = node }, *o;

        if (!node || p->n_origins == 0)
                return -1;
        o = bsearch(&key, p->origins, p->n_origins, sizeof(Origin), origin_compare);
        return o ? (ssize_t) o->doc : -1;
}

__attribute__((format(printf, 3, 0)))
static int vfail(Parser *p, ssize_t doc, const char *fmt, va_list ap) {
        size_t len;

        if (!p->err)
                return -EINVAL;
        snprintf(p->err->path, sizeof(p->err->path), "%s", p->path);
        vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
        len = strlen(p->err->message);
        if (p->n_docs > 1 && doc >= 0 && (size_t) doc < p->n_docs)
                snprintf(p->err->message + len, sizeof(p->err->message) - len, " (in %s)", p->sources[doc]);
        return -EINVAL;
}

/* Reports an error about `node` at the current path. Always returns -EINVAL. */
static int fail(Parser *p, const cJSON *node, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(Parser *p, const cJSON *node, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vfail(p, origin_of(p, node), fmt, ap);
        va_end(ap);
        return r;
}

static int fail_doc(Parser *p, size_t doc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_doc(Parser *p, size_t doc, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vfail(p, (ssize_t) doc, fmt, ap);
        va_end(ap);
        return r;
}

/* What a JSON value is, for "got ..." in messages. */
static const char *describe(const cJSON *v, char *buf, size_t size) {
        if (!v)
                return "nothing";
        if (cJSON_IsBool(v))
                return cJSON_IsTrue(v) ? "a boolean (true)" : "a boolean (false)";
        if (cJSON_IsNull(v))
                return "null";
        if (cJSON_IsArray(v))
                return "an array";
        if (cJSON_IsObject(v))
                return "an object";
        if (cJSON_IsNumber(v)) {
                if (!isfinite(v->valuedouble))
                        return "a number too large to represent";
                snprintf(buf, size, "%.15g", v->valuedouble);
                return buf;
        }
        if (cJSON_IsString(v)) {
                size_t len = strlen(v->valuestring);
                snprintf(buf, size, "\"%.48s%s\"", v->valuestring, len > 48 ? "..." : "");
                return buf;
        }
        return "an unknown JSON value";
}

#define GOT(v) describe((v), (char[80]) {}, 80)

/* "a, b, c" from a NULL-terminated list, for "expected one of: ..." */
static const char *join(const char *const *names, char *buf, size_t size) {
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; names[i] && len < size; i++) {
                int n = snprintf(buf + len, size - len, "%s%s", i > 0 ? ", " : "", names[i]);
                if (n < 0)
                        break;
                len += (size_t) n;
        }
        return buf;
}

#define JOIN(names) join((names), (char[256]) {}, 256)

static bool name_in(const char *const *names, const char *s) {
        for (size_t i = 0; names[i]; i++)
                if (streq(names[i], s))
                        return true;
        return false;
}

/* Every key of `obj` must be in `allowed`. `where` completes "unknown key \"x\" ...". */
static int check_keys(Parser *p, const cJSON *obj, const char *const *allowed, const char *where) {
        const cJSON *c;

        cJSON_ArrayForEach(c, obj) {
                if (name_in(allowed, c->string))
                        continue;
                path_push_key(p, c->string);
                return fail(p, c, "unknown key \"%s\" %s; expected one of: %s", c->string, where, JOIN(allowed));
        }
        return 0;
}

static const cJSON *child(const cJSON *obj, const char *key) {
        return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* ---- values ---- */

static int read_bool(Parser *p, const cJSON *v, bool *ret) {
        if (!cJSON_IsBool(v))
                return fail(p, v, "expected a boolean (true or false), got %s", GOT(v));
        *ret = cJSON_IsTrue(v);
        return 0;
}

static int read_finite(Parser *p, const cJSON *v, const char *expected, double *ret) {
        if (!cJSON_IsNumber(v))
                return fail(p, v, "expected %s, got %s", expected, GOT(v));
        if (!isfinite(v->valuedouble))
                return fail(p, v, "expected %s, got a number too large to represent", expected);
        *ret = v->valuedouble;
        return 0;
}

/* A number in [min, max] (or (min, max] when min_exclusive). */
static int read_number(Parser *p, const cJSON *v, double min, bool min_exclusive, double max,
                       const char *expected, double *ret) {
        double d = 0;
        int r;

        r = read_finite(p, v, expected, &d);
        if (r < 0)
                return r;
        if (d < min || (min_exclusive && d == min) || d > max)
                return fail(p, v, "expected %s, got %s", expected, GOT(v));
        *ret = d;
        return 0;
}

#define DURATION_EXAMPLES "a duration such as \"500ms\", \"20s\" or \"2m\" (a bare number is seconds)"

static int read_duration(Parser *p, const cJSON *v, usec_t *ret) {
        if (cJSON_IsNumber(v)) {
                double d = v->valuedouble;

                if (!isfinite(d) || d < 0 || d * 1e6 >= UINT64_LIMIT_DOUBLE)
                        return fail(p, v, "expected %s, got %s: it must be a non-negative number of seconds that fits in 64 bits",
                                    DURATION_EXAMPLES, GOT(v));
                *ret = (usec_t) double_round_unsigned(d * 1e6);
                return 0;
        }
        if (cJSON_IsString(v)) {
                if (parse_duration(v->valuestring, ret) < 0)
                        return fail(p, v, "expected %s, got %s; units are us, ms, s (sec), m (min), h, d and w, "
                                    "and parts add up (\"1h 30min\")",
                                    DURATION_EXAMPLES, GOT(v));
                return 0;
        }
        return fail(p, v, "expected %s, got %s", DURATION_EXAMPLES, GOT(v));
}

/* A bare number of bytes below a page: surely a percent or a unit left out. */
static int fail_bare_size(Parser *p, const cJSON *v, uint64_t bytes, const char *percent_of) {
        char pct[96] = "";

        if (percent_of)
                snprintf(pct, sizeof(pct), "\"%" PRIu64 "%%\" (percent of %s) or ", bytes, percent_of);
        return fail(p, v, "got %s: a bare number is bytes, and %" PRIu64 " bytes is less than a page (%d); "
                    "write a unit, as %s\"%" PRIu64 "G\", or \"%" PRIu64 "B\" if bytes are meant",
                    GOT(v), bytes, SIZE_BARE_MIN_BYTES, pct, bytes, bytes);
}

/* A size, or a percent of `percent_of` when that is not NULL. */
static int read_size(Parser *p, const cJSON *v, const char *percent_of, Amount *ret) {
        char expected[160];
        int r;

        if (percent_of)
                snprintf(expected, sizeof(expected),
                         "a size such as 512M, 1.5G or 10%% (percent of %s)", percent_of);
        else
                snprintf(expected, sizeof(expected), "a size such as 512M or 1.5G");

        if (cJSON_IsNumber(v)) {
                double d = v->valuedouble;

                if (!isfinite(d) || d < 0 || !double_is_whole(d) || d >= UINT64_LIMIT_DOUBLE)
                        return fail(p, v, "expected %s, got %s: a number of bytes must be a whole, non-negative number",
                                    expected, GOT(v));
                if (size_bare_too_small((uint64_t) d))
                        return fail_bare_size(p, v, (uint64_t) d, percent_of);
                *ret = (Amount) { .bytes = (uint64_t) d };
                return 0;
        }
        if (cJSON_IsString(v)) {
                const char *s = v->valuestring;
                size_t len = strlen(s);

                r = parse_size(s, percent_of != NULL, ret);
                if (r >= 0)
                        return 0;
                if (r == -ERANGE)
                        return fail_bare_size(p, v, strtoull(s, NULL, 10), percent_of);
                if (len > 0 && s[len - 1] == '%') {
                        if (!percent_of)
                                return fail(p, v, "a percent is not allowed here, got %s; expected %s", GOT(v), expected);
                        return fail(p, v, "expected a percent from 0%% to 100%% with at most two decimals (percent of %s), got %s",
                                    percent_of, GOT(v));
                }
                return fail(p, v, "expected %s, got %s; a bare number is bytes, suffixes are B, K, M, G, T (or KiB, MiB, GiB, TiB), powers of 1024",
                            expected, GOT(v));
        }
        return fail(p, v, "expected %s, got %s", expected, GOT(v));
}

/* One of `names` (NULL-terminated); the index goes to *ret. */
static int read_enum(Parser *p, const cJSON *v, const char *const *names, const char *what, int *ret) {
        if (!cJSON_IsString(v))
                return fail(p, v, "expected a %s, one of: %s; got %s", what, JOIN(names), GOT(v));
        for (int i = 0; names[i]; i++)
                if (streq(names[i], v->valuestring)) {
                        *ret = i;
                        return 0;
                }
        return fail(p, v, "unknown %s %s; expected one of: %s", what, GOT(v), JOIN(names));
}

static int read_pattern(Parser *p, const cJSON *v, bool paths_only, PatternList *l) {
        const char *reason;

        if (!cJSON_IsString(v))
                return fail(p, v, "expected a pattern (a string: a cgroup path glob such as \"/user.slice/*\" or a process name glob), got %s",
                            GOT(v));
        if (++p->n_patterns > POLICY_MAX_PATTERNS)
                return fail(p, v, "more than %u patterns in the policy, the limit (POLICY_MAX_PATTERNS): each is matched against every candidate; "
                            "use wider globs such as \"/user.slice/*\" instead of one pattern per cgroup", POLICY_MAX_PATTERNS);
        if (strlen(v->valuestring) > PATTERN_MAX_BYTES)
                return fail(p, v, "a pattern of %zu bytes, more than the limit of %u (PATTERN_MAX_BYTES, the longest path the kernel resolves); "
                            "shorten it with a glob", strlen(v->valuestring), PATTERN_MAX_BYTES);
        if (pattern_validate(v->valuestring, &reason) < 0)
                return fail(p, v, "invalid pattern %s: %s", GOT(v), reason);
        if (paths_only && v->valuestring[0] != '/')
                return fail(p, v, "expected a cgroup path pattern starting with \"/\" (such as \"/\" or \"/user.slice/*\"), got %s; process name patterns are not allowed here",
                            GOT(v));
        if (pattern_list_add(l, v->valuestring) < 0)
                return -ENOMEM;
        return 0;
}

/* An array of patterns, or (allow_string) a single pattern string. */
static int read_pattern_list(Parser *p, const cJSON *v, bool paths_only, bool allow_string, bool allow_empty,
                             PatternList *ret) {
        const cJSON *c;
        size_t i = 0;
        int r;

        pattern_list_clear(ret);
        if (allow_string && cJSON_IsString(v))
                return read_pattern(p, v, paths_only, ret);
        if (!cJSON_IsArray(v))
                return fail(p, v, "expected %s, got %s",
                            allow_string ? "a cgroup path pattern or an array of them" : "an array of patterns", GOT(v));
        if (!allow_empty && cJSON_GetArraySize(v) == 0)
                return fail(p, v, "expected at least one cgroup path pattern, got an empty array; use \"/\" for the whole system or \"/*\" for every top-level cgroup");
        cJSON_ArrayForEach(c, v) {
                size_t m = path_push_index(p, i++);
                r = read_pattern(p, c, paths_only, ret);
                if (r < 0)
                        return r;
                path_pop(p, m);
        }
        return 0;
}

/* Optional keys: absent leaves *ret alone. Each pushes the key on the path only while reading it. */

/* Finds an optional key and pushes it on the path; NULL, with nothing pushed, when it is absent. */
static const cJSON *opt_enter(Parser *p, const cJSON *obj, const char *key, size_t *mark) {
        const cJSON *v = child(obj, key);

        if (v)
                *mark = path_push_key(p, key);
        return v;
}

/* Pops the key after a good read; after a bad one the path stays, so that the error names the key. */
static int opt_leave(Parser *p, size_t mark, int r) {
        if (r >= 0)
                path_pop(p, mark);
        return r;
}

static int opt_bool(Parser *p, const cJSON *obj, const char *key, bool *ret) {
        size_t m;
        const cJSON *v = opt_enter(p, obj, key, &m);

        return v ? opt_leave(p, m, read_bool(p, v, ret)) : 0;
}

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

static int parse_admin_group(Parser *p, const cJSON *root, char **ret) {
        size_t m;
        const cJSON *v = opt_enter(p, root, "admin_group", &m);

        if (!v || cJSON_IsNull(v)) {
                if (v)
                        path_pop(p, m);
                return 0;
        }
        if (!cJSON_IsString(v) || !group_name_is_valid(v->valuestring))
                return fail(p, v, "expected a group name (letters, digits, '_', '.', '-', at most 32, not starting with '-') "
                            "or null, got %s", GOT(v));
        *ret = strdup(v->valuestring);
        if (!*ret)
                return -ENOMEM;
        path_pop(p, m);
        return 0;
}

static int opt_duration(Parser *p, const cJSON *obj, const char *key, usec_t *ret) {
        size_t m;
        const cJSON *v = opt_enter(p, obj, key, &m);

        return v ? opt_leave(p, m, read_duration(p, v, ret)) : 0;
}

static int opt_enum(Parser *p, const cJSON *obj, const char *key, const char *const *names, const char *what, int *ret) {
        size_t m;
        const cJSON *v = opt_enter(p, obj, key, &m);

        return v ? opt_leave(p, m, read_enum(p, v, names, what, ret)) : 0;
}

static int opt_patterns(Parser *p, const cJSON *obj, const char *key, bool paths_only, bool allow_string,
                        bool allow_empty, PatternList *ret) {
        size_t m;
        const cJSON *v = opt_enter(p, obj, key, &m);

        return v ? opt_leave(p, m, read_pattern_list(p, v, paths_only, allow_string, allow_empty, ret)) : 0;
}

static int opt_number(Parser *p, const cJSON *obj, const char *key, double min, bool min_exclusive, double max,
                      const char *expected, double *ret) {
        size_t m;
        const cJSON *v = opt_enter(p, obj, key, &m);

        return v ? opt_leave(p, m, read_number(p, v, min, min_exclusive, max, expected, ret)) : 0;
}

static int opt_size(Parser *p, const cJSON *obj, const char *key, const char *percent_of, Amount *ret) {
        size_t m;
        const cJSON *v = opt_enter(p, obj, key, &m);

        return v ? opt_leave(p, m, read_size(p, v, percent_of, ret)) : 0;
}

static int require_object(Parser *p, const cJSON *v, const char *what) {
        if (!cJSON_IsObject(v))
                return fail(p, v, "expected %s (a JSON object), got %s", what, GOT(v));
        return 0;
}

/* At most `max` items in `v` when it is an array (its type is checked where it is read). The
 * limit is named in the message as `limit`, and `advice` says what to do instead. */
static int check_count(Parser *p, const cJSON *v, unsigned max, const char *what, const char *limit, const char *advice) {
        int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0;

        if (n > (int) max)
                return fail(p, v, "%d %s, more than the limit of %u (%s); %s", n, what, max, limit, advice);
        return 0;
}

#define check_rulesets(p, v) \
        check_count((p), (v), POLICY_MAX_RULESETS, "rulesets", "POLICY_MAX_RULESETS", \
                    "every ruleset is evaluated at every sample: merge rulesets that watch the same thing")

/* ---- the policy's parts ---- */

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

DEFINE_POINTER_CLEANUP(Policy, policy_free);

/* calloc that tolerates n == 0 (and returns NULL then, which is not an error). */
static int alloc_array(size_t n, size_t size, void **ret) {
        *ret = NULL;
        if (n == 0)
                return 0;
        *ret = calloc(n, size);
        return *ret ? 0 : -ENOMEM;
}

/* Checks that v is an array of `what` and allocates one zeroed item of `size` bytes per element.
 * An empty array is an error, reported as empty_error, unless that is NULL. */
static int alloc_items(Parser *p, const cJSON *v, const char *what, const char *empty_error, size_t size,
                       void **ret, size_t *n_ret) {
        int r;

        if (!cJSON_IsArray(v))
                return fail(p, v, "expected an array of %s, got %s", what, GOT(v));
        if (empty_error && cJSON_GetArraySize(v) == 0)
                return fail(p, v, "%s", empty_error);
        r = alloc_array((size_t) cJSON_GetArraySize(v), size, ret);
        if (r < 0)
                return r;
        *n_ret = (size_t) cJSON_GetArraySize(v);
        return 0;
}

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
static int parse_window(Parser *p, const cJSON *o, Detector *d) {
        size_t m;
        const cJSON *v = opt_enter(p, o, "window", &m);
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
                return fail(p, v, "expected %s, got %s", WINDOW_EXPECTED, GOT(v));
        if (u < PSI_EXACT_WINDOW_MIN_USEC || u > PSI_EXACT_WINDOW_MAX_USEC)
                return fail(p, v, "expected %s, got %s: out of range", WINDOW_EXPECTED, GOT(v));
        d->window = PSI_WINDOW_EXACT;
        d->window_usec = u;
        return opt_leave(p, m, 0);
}

static int parse_detector(Parser *p, const cJSON *o, Detector *d) {
        char where[96];
        const cJSON *type, *v, *v_anon;
        int t = -1, r;

        *d = (Detector) {
                .kind = PSI_KIND_FULL,
                .window = PSI_WINDOW_AVG10,
                .fast_fall_ratio = DEFAULT_FAST_FALL_RATIO,
        };

        r = require_object(p, o, "a detector object such as {\"type\": \"pressure_above\", \"threshold\": 40}");
        if (r < 0)
                return r;
        type = child(o, "type");
        if (!type)
                return fail(p, o, "missing required key \"type\"; expected one of: %s",
                            JOIN(detector_type_names));
        r = opt_enum(p, o, "type", detector_type_names, "detector type", &t);
        if (r < 0)
                return r;
        d->type = (DetectorType) t;

        if (d->type == DETECTOR_PRESSURE_RISING_BEYOND && (v = child(o, "window"))) {
                path_push_key(p, "window");
                return fail(p, v, "unknown key \"window\" for detector type \"pressure_rising_beyond\": it compares the short and long averages itself; remove \"window\" or use \"pressure_above\"");
        }
        snprintf(where, sizeof(where), "for detector type \"%s\"", detector_type_names[d->type]);
        r = check_keys(p, o, detector_keys[d->type], where);
        if (r < 0)
                return r;

        /* keys that check_keys let through are exactly the ones that apply to this type */
        if (d->type != DETECTOR_SWAP_FREE_BELOW && d->type != DETECTOR_MEM_AVAILABLE_BELOW) {
                if (d->type == DETECTOR_EXISTS && !child(o, "cgroup"))
                        return fail(p, o, "missing required key \"cgroup\": the cgroup path pattern whose existence this detector checks");
                if (!child(o, "cgroup")) {
                        r = pattern_list_add(&d->cgroups, "/");
                        if (r < 0)
                                return r;
                }
                r = opt_patterns(p, o, "cgroup", true, true, false, &d->cgroups);
                if (r < 0)
                        return r;
        }

        switch (d->type) {
        case DETECTOR_PRESSURE_ABOVE:
        case DETECTOR_PRESSURE_RISING_BEYOND: {
                int e;

                e = d->resource;
                r = opt_enum(p, o, "resource", resource_names, "pressure resource", &e);
                if (r < 0)
                        return r;
                d->resource = (PsiResource) e;
                e = d->kind;
                r = opt_enum(p, o, "kind", kind_names, "pressure kind", &e);
                if (r < 0)
                        return r;
                d->kind = (PsiKind) e;
                r = parse_window(p, o, d);
                if (r < 0)
                        return r;
                if (!child(o, "threshold"))
                        return fail(p, o, "missing required key \"threshold\": %s", PSI_THRESHOLD_EXPECTED);
                r = opt_number(p, o, "threshold", 0, false, 100, PSI_THRESHOLD_EXPECTED, &d->threshold);
                if (r < 0)
                        return r;
                r = opt_number(p, o, "fast_fall_ratio", 0, true, 1,
                               "a number above 0 and at most 1 (how far pressure must fall to count as falling fast)",
                               &d->fast_fall_ratio);
                if (r < 0)
                        return r;
                break;
        }

        case DETECTOR_MEMORY_ABOVE:
                v = child(o, "threshold");
                v_anon = child(o, "threshold_anon");
                if (v && v_anon) {
                        path_push_key(p, "threshold_anon");
                        return fail(p, v_anon, "use either \"threshold\" (all memory of the cgroup) or \"threshold_anon\" (anonymous memory only), not both");
                }
                if (!v && !v_anon)
                        return fail(p, o, "missing required key \"threshold\" (or \"threshold_anon\"): a size such as 2G or a percent of MemTotal such as 80%%");
                d->anon = v_anon != NULL;
                r = opt_size(p, o, d->anon ? "threshold_anon" : "threshold", "MemTotal", &d->amount);
                if (r < 0)
                        return r;
                break;

        case DETECTOR_SWAP_FREE_BELOW:
        case DETECTOR_MEM_AVAILABLE_BELOW: {
                const char *of = d->type == DETECTOR_SWAP_FREE_BELOW ? "SwapTotal" : "MemTotal";

                if (!child(o, "threshold"))
                        return fail(p, o, "missing required key \"threshold\": a size such as 512M or a percent of %s such as 10%%", of);
                r = opt_size(p, o, "threshold", of, &d->amount);
                if (r < 0)
                        return r;
                break;
        }

        case DETECTOR_MEMORY_RECLAIM:
                d->duration_usec = DEFAULT_RECLAIM_DURATION_USEC;
                r = reclaim_sources(&d->cgroups, &d->reclaim_at);
                if (r < 0)
                        return r;
                break;

        case DETECTOR_EXISTS:
                r = opt_bool(p, o, "negate", &d->negate);
                if (r < 0)
                        return r;
                break;

        default:
                break;
        }

        if (d->type != DETECTOR_EXISTS) {
                r = opt_duration(p, o, "duration", &d->duration_usec);
                if (r < 0)
                        return r;
                if (d->type == DETECTOR_MEMORY_RECLAIM && d->duration_usec == 0) {
                        path_push_key(p, "duration");
                        return fail(p, child(o, "duration"),
                                    "expected a duration above 0 such as \"10s\": reclaim activity is judged over a time span");
                }
        }
        return 0;
}

#define PREKILL_HOOK_EXAMPLE "[\"/usr/local/bin/save-state\", \"--quick\"]"

/* "prekill_hook": the argv of a command, exec'd without a shell, so argv[0] must be an absolute path. */
static int parse_prekill_hook(Parser *p, const cJSON *o, Action *a) {
        const cJSON *v = child(o, "prekill_hook"), *c;
        size_t m, n, i = 0;

        if (!v)
                return 0;
        m = path_push_key(p, "prekill_hook");
        if (!cJSON_IsArray(v))
                return fail(p, v, "expected the command to run before the kill, as an array of strings such as %s, got %s",
                            PREKILL_HOOK_EXAMPLE, GOT(v));
        n = (size_t) cJSON_GetArraySize(v);
        if (n == 0)
                return fail(p, v, "expected at least the program to run, such as %s, got an empty array; remove \"prekill_hook\" to run no hook",
                            PREKILL_HOOK_EXAMPLE);
        if (n > PREKILL_HOOK_MAX_ARGS)
                return fail(p, v, "expected at most %d strings (the program and its arguments), got %zu; put a longer command in a script",
                            PREKILL_HOOK_MAX_ARGS, n);
        /* owned by the action from here on, so that a later error frees it with the policy */
        a->prekill_hook = calloc(n + 1, sizeof(char *));
        if (!a->prekill_hook)
                return -ENOMEM;
        cJSON_ArrayForEach(c, v) {
                size_t m2 = path_push_index(p, i), len;

                if (!cJSON_IsString(c))
                        return fail(p, c, "expected a string (%s of the command), got %s",
                                    i == 0 ? "the program" : "an argument", GOT(c));
                len = strlen(c->valuestring);
                if (len == 0)
                        return fail(p, c, "expected a non-empty string (%s of the command), got \"\"",
                                    i == 0 ? "the program" : "an argument");
                if (len > PREKILL_HOOK_ARG_MAX_BYTES)
                        return fail(p, c, "expected at most %d bytes, got a string of %zu bytes",
                                    PREKILL_HOOK_ARG_MAX_BYTES, len);
                if (i == 0 && c->valuestring[0] != '/')
                        return fail(p, c, "expected an absolute path to the program (starting with \"/\"), got %s: the hook runs without a shell or $PATH lookup",
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

static int parse_action(Parser *p, const cJSON *o, Action *a) {
        const cJSON *v;
        int e, r;

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

        r = require_object(p, o, "an action object such as {\"type\": \"kill\"}");
        if (r < 0)
                return r;
        r = check_keys(p, o, action_keys, "in an action");
        if (r < 0)
                return r;
        if (!child(o, "type"))
                return fail(p, o, "missing required key \"type\"; expected one of: %s", JOIN(action_type_names));
        r = opt_enum(p, o, "type", action_type_names, "action type", &e);
        if (r < 0)
                return r;

        e = a->ranker;
        r = opt_enum(p, o, "ranker", ranker_names, "ranker", &e);
        if (r < 0)
                return r;
        a->ranker = (RankerType) e;

        if (!child(o, "cgroup")) {
                r = pattern_list_add(&a->cgroups, "/*");
                if (r < 0)
                        return r;
        }
        r = opt_patterns(p, o, "cgroup", true, true, false, &a->cgroups);
        if (r < 0)
                return r;
        r = opt_bool(p, o, "recursive", &a->recursive);
        if (r < 0)
                return r;
        e = a->granularity;
        r = opt_enum(p, o, "granularity", granularity_names, "granularity", &e);
        if (r < 0)
                return r;
        a->granularity = (Granularity) e;
        r = opt_bool(p, o, "kill_list", &a->use_kill_list);
        if (r < 0)
                return r;
        r = opt_bool(p, o, "dry_run", &a->dry_run);
        if (r < 0)
                return r;
        r = opt_duration(p, o, "post_action_delay", &a->post_action_delay_usec);
        if (r < 0)
                return r;
        r = opt_duration(p, o, "prekill_timeout", &a->prekill_timeout_usec);
        if (r < 0)
                return r;
        if (a->prekill_timeout_usec > PREKILL_TIMEOUT_MAX_USEC) {
                path_push_key(p, "prekill_timeout");
                return fail(p, child(o, "prekill_timeout"),
                            "expected a duration from 0s to 60s, got %s: memory keeps running out while the kill waits",
                            GOT(child(o, "prekill_timeout")));
        }
        r = parse_prekill_hook(p, o, a);
        if (r < 0)
                return r;

        if ((v = child(o, "size_threshold"))) {
                static const char expected[] = "a percent such as \"50%\" or a number from 0 to 100";
                size_t m = path_push_key(p, "size_threshold");
                Amount amount;
                double d;

                if (cJSON_IsString(v)) {
                        if (parse_size(v->valuestring, true, &amount) < 0 || !amount.is_percent)
                                return fail(p, v, "expected %s, got %s", expected, GOT(v));
                        a->size_threshold_permyriad = amount.permyriad;
                } else {
                        r = read_number(p, v, 0, false, 100, expected, &d);
                        if (r < 0)
                                return r;
                        a->size_threshold_permyriad = (uint32_t) double_round_unsigned(d * 100);
                }
                path_pop(p, m);
        }

        r = opt_number(p, o, "min_growth_ratio", 1.0, false, HUGE_VAL,
                       "a number of at least 1.0 (memory now divided by its average)", &a->min_growth_ratio);
        if (r < 0)
                return r;

        if ((v = child(o, "growing_size_percentile"))) {
                size_t m = path_push_key(p, "growing_size_percentile");
                static const char expected[] = "a whole number from 0 to 100";
                double d;

                r = read_number(p, v, 0, false, 100, expected, &d);
                if (r < 0)
                        return r;
                if (!double_is_whole(d))
                        return fail(p, v, "expected %s, got %s", expected, GOT(v));
                a->growing_size_percentile = (uint32_t) d;
                path_pop(p, m);
        }

        if ((v = child(o, "swap_threshold"))) {
                if (a->ranker != RANKER_SWAP) {
                        path_push_key(p, "swap_threshold");
                        return fail(p, v, "swap_threshold only applies to ranker \"swap\" (this action uses \"%s\"); remove it or set \"ranker\": \"swap\"",
                                    ranker_names[a->ranker]);
                }
                r = opt_size(p, o, "swap_threshold", NULL, &a->swap_threshold);
                if (r < 0)
                        return r;
        }

        if ((v = child(o, "resource"))) {
                if (a->ranker != RANKER_PRESSURE) {
                        path_push_key(p, "resource");
                        return fail(p, v, "resource only applies to ranker \"pressure\" (this action uses \"%s\"); remove it or set \"ranker\": \"pressure\"",
                                    ranker_names[a->ranker]);
                }
                e = a->pressure_resource;
                r = opt_enum(p, o, "resource", resource_names, "pressure resource", &e);
                if (r < 0)
                        return r;
                a->pressure_resource = (PsiResource) e;
        }
        return 0;
}

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

        r = alloc_items(p, v, "detector groups (each an array of detectors)",
                        "a ruleset needs at least one detector group, got an empty array; e.g. [[{\"type\": \"pressure_above\", \"threshold\": 40}]]",
                        sizeof(DetectorGroup), (void **) &rs->groups, &rs->n_groups);
        if (r < 0)
                return r;

        cJSON_ArrayForEach(g, v) {
                DetectorGroup *group = &rs->groups[gi];
                size_t m = path_push_index(p, gi++), di = 0;
                const cJSON *d;

                if (!cJSON_IsArray(g))
                        return fail(p, g, "expected a detector group: an array of detectors that must all fire (AND), got %s; write [[{...}]] even for one detector",
                                    GOT(g));
                if (cJSON_GetArraySize(g) == 0)
                        return fail(p, g, "empty detector group: an empty group would never fire; add a detector or remove the group");
                r = alloc_array((size_t) cJSON_GetArraySize(g), sizeof(Detector), (void **) &group->detectors);
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

        r = alloc_items(p, v, "actions", "a ruleset needs at least one action, got an empty array; e.g. [{\"type\": \"kill\"}]",
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

static int parse_ruleset(Parser *p, const cJSON *o, Ruleset *rs) {
        const cJSON *v;
        size_t m;
        int r;

        r = require_object(p, o, "a ruleset object with \"name\", \"detectors\" and \"actions\"");
        if (r < 0)
                return r;
        if ((v = child(o, "enabled"))) {
                path_push_key(p, "enabled");
                return fail(p, v, "unknown key \"enabled\" in a ruleset: it is only allowed in a drop-in, to remove a ruleset of the main policy ({\"name\": \"x\", \"enabled\": false}); delete the ruleset here instead");
        }
        r = check_keys(p, o, ruleset_keys, "in a ruleset");
        if (r < 0)
                return r;

        v = child(o, "name");
        if (!v)
                return fail(p, o, "missing required key \"name\": every ruleset needs a unique name of letters, digits, '_', '.' or '-'");
        m = path_push_key(p, "name");
        if (!cJSON_IsString(v))
                return fail(p, v, "expected a ruleset name (a string), got %s", GOT(v));
        if (!ruleset_name_valid(v->valuestring))
                return fail(p, v, "invalid ruleset name %s: use only letters, digits, '_', '.' and '-', at least one character",
                            GOT(v));
        rs->name = strdup(v->valuestring);
        if (!rs->name)
                return -ENOMEM;
        path_pop(p, m);

        /* The merge moves a drop-in's ruleset object whole, so the object's origin is the document
         * that defined the ruleset. A single document has no origin table: it is document 0. */
        ssize_t doc = origin_of(p, o);
        rs->source = strdup(p->sources[doc >= 0 ? (size_t) doc : 0]);
        if (!rs->source)
                return -ENOMEM;

        r = opt_bool(p, o, "dry_run", &rs->dry_run);
        if (r < 0)
                return r;

        int e = UNIT_METHOD_STOP;
        r = opt_enum(p, o, "method", unit_method_names, "method (how the victim ends)", &e);
        if (r < 0)
                return r;
        rs->method = (UnitMethod) e;
        rs->stop_timeout_usec = STOP_TIMEOUT_DEFAULT_USEC;
        r = opt_duration(p, o, "stop_timeout", &rs->stop_timeout_usec);
        if (r < 0)
                return r;
        if (rs->stop_timeout_usec < STOP_TIMEOUT_MIN_USEC || rs->stop_timeout_usec > STOP_TIMEOUT_MAX_USEC) {
                path_push_key(p, "stop_timeout");
                return fail(p, child(o, "stop_timeout"),
                            "expected a duration from 100ms to 300s, got %s: systemd needs a moment to stop a unit, "
                            "and memory keeps running out while the stop waits", GOT(child(o, "stop_timeout")));
        }

        double max_kills = MAX_KILLS_PER_INCIDENT_DEFAULT;
        r = opt_number(p, o, "max_kills_per_incident", 1, false, MAX_KILLS_PER_INCIDENT_MAX,
                       "a whole number from 1 to 100 (kills this ruleset may make before the pressure it saw has eased)",
                       &max_kills);
        if (r < 0)
                return r;
        if (max_kills != (double) (unsigned) max_kills) {
                path_push_key(p, "max_kills_per_incident");
                return fail(p, child(o, "max_kills_per_incident"), "expected a whole number from 1 to 100, got %s",
                            GOT(child(o, "max_kills_per_incident")));
        }
        rs->max_kills = (unsigned) max_kills;

        v = child(o, "detectors");
        if (!v)
                return fail(p, o, "missing required key \"detectors\" in ruleset \"%s\": when to act, e.g. [[{\"type\": \"pressure_above\", \"threshold\": 40}]]",
                            rs->name);
        m = path_push_key(p, "detectors");
        r = parse_detector_groups(p, v, rs);
        if (r < 0)
                return r;
        path_pop(p, m);

        v = child(o, "actions");
        if (!v)
                return fail(p, o, "missing required key \"actions\" in ruleset \"%s\": no actions, so nothing would be done; e.g. [{\"type\": \"kill\"}]",
                            rs->name);
        m = path_push_key(p, "actions");
        r = parse_actions(p, v, rs);
        if (r < 0)
                return r;
        path_pop(p, m);
        return 0;
}

static int parse_kill_list_entry(Parser *p, const cJSON *o, KillListEntry *e) {
        PatternList l = {};
        const cJSON *v;
        size_t m;
        int r;

        r = require_object(p, o, "a kill list entry such as {\"pattern\": \"/user.slice/*/app-firefox*\"}");
        if (r < 0)
                return r;
        r = check_keys(p, o, kill_list_keys, "in a kill list entry");
        if (r < 0)
                return r;
        v = child(o, "pattern");
        if (!v)
                return fail(p, o, "missing required key \"pattern\": the cgroup path or process name glob of a known offender");
        m = path_push_key(p, "pattern");
        r = read_pattern(p, v, false, &l);
        if (r < 0)
                return r;
        path_pop(p, m);
        e->pattern = l.items[0];
        free(l.items);

        if (child(o, "min_memory")) {
                e->has_min_memory = true;
                r = opt_size(p, o, "min_memory", "MemTotal", &e->min_memory);
                if (r < 0)
                        return r;
        }
        if (child(o, "min_pressure")) {
                e->has_min_pressure = true;
                r = opt_number(p, o, "min_pressure", 0, false, 100,
                               "a number from 0 to 100 (memory full avg10, percent of time stalled)", &e->min_pressure);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_policy_object(Parser *p, const cJSON *root, Policy *pol) {
        const cJSON *v, *c;
        size_t i, m;
        int r;

        if (!cJSON_IsObject(root))
                return fail(p, root, "expected a JSON object at the top level, such as {\"rulesets\": [...]}, got %s", GOT(root));
        r = check_keys(p, root, top_keys, "at the top level of the policy");
        if (r < 0)
                return r;

        r = opt_bool(p, root, "dry_run", &pol->dry_run);
        if (r < 0)
                return r;

        r = parse_admin_group(p, root, &pol->admin_group);
        if (r < 0)
                return r;

        r = opt_duration(p, root, "interval", &pol->interval_usec);
        if (r < 0)
                return r;
        if (pol->interval_usec < INTERVAL_MIN_USEC || pol->interval_usec > INTERVAL_MAX_USEC) {
                path_push_key(p, "interval");
                return fail(p, child(root, "interval"), "expected a duration from 100ms to 60s, got %s",
                            GOT(child(root, "interval")));
        }
        r = opt_duration(p, root, "fast_interval", &pol->fast_interval_usec);
        if (r < 0)
                return r;
        if (!child(root, "fast_interval") && pol->fast_interval_usec > pol->interval_usec)
                pol->fast_interval_usec = pol->interval_usec; /* the default never outlasts a short interval */
        if (pol->fast_interval_usec < FAST_INTERVAL_MIN_USEC || pol->fast_interval_usec > pol->interval_usec) {
                const cJSON *f = child(root, "fast_interval");

                path_push_key(p, "fast_interval");
                if (pol->fast_interval_usec < FAST_INTERVAL_MIN_USEC)
                        return fail(p, f, "expected a duration of at least 10ms, got %s", GOT(f));
                return fail(p, f ? f : child(root, "interval"),
                            "fast_interval (%.3gs) must not be longer than interval (%.3gs): it is the faster sampling used while a detector is arming",
                            (double) pol->fast_interval_usec / USEC_PER_SEC, (double) pol->interval_usec / USEC_PER_SEC);
        }

        r = opt_patterns(p, root, "omit", false, false, true, &pol->omit);
        if (r < 0)
                return r;
        r = opt_patterns(p, root, "avoid", false, false, true, &pol->avoid);
        if (r < 0)
                return r;
        r = opt_patterns(p, root, "prefer", false, false, true, &pol->prefer);
        if (r < 0)
                return r;

        if ((v = child(root, "kill_list"))) {
                m = path_push_key(p, "kill_list");
                r = check_count(p, v, POLICY_MAX_KILL_LIST, "kill list entries", "POLICY_MAX_KILL_LIST",
                                "it is walked at every kill: name known offenders with globs instead of one entry each");
                if (r < 0)
                        return r;
                r = alloc_items(p, v, "kill list entries", NULL, sizeof(KillListEntry), (void **) &pol->kill_list, &pol->n_kill_list);
                if (r < 0)
                        return r;
                /* The merge replaces the array whole, so its node's origin is the one document it came from. */
                ssize_t doc = origin_of(p, v);
                pol->kill_list_source = strdup(p->sources[doc >= 0 ? (size_t) doc : 0]);
                if (!pol->kill_list_source)
                        return -ENOMEM;
                i = 0;
                cJSON_ArrayForEach(c, v) {
                        size_t m2 = path_push_index(p, i);
                        r = parse_kill_list_entry(p, c, &pol->kill_list[i++]);
                        if (r < 0)
                                return r;
                        path_pop(p, m2);
                }
                path_pop(p, m);
        }

        v = child(root, "rulesets");
        if (v && !cJSON_IsArray(v)) {
                path_push_key(p, "rulesets");
                return fail(p, v, "expected an array of rulesets, got %s", GOT(v));
        }
        if (!v || cJSON_GetArraySize(v) == 0) {
                if (v)
                        path_push_key(p, "rulesets");
                return fail(p, v ? v : root,
                            "policy has no rulesets: nothing would ever be killed; add a ruleset, or remove the policy file to use the embedded default policy");
        }
        m = path_push_key(p, "rulesets");
        r = check_rulesets(p, v);
        if (r < 0)
                return r;
        r = alloc_array((size_t) cJSON_GetArraySize(v), sizeof(Ruleset), (void **) &pol->rulesets);
        if (r < 0)
                return r;
        pol->n_rulesets = (size_t) cJSON_GetArraySize(v);
        i = 0;
        cJSON_ArrayForEach(c, v) {
                size_t m2 = path_push_index(p, i);

                r = parse_ruleset(p, c, &pol->rulesets[i]);
                if (r < 0)
                        return r;
                /* pairwise, at most POLICY_MAX_RULESETS^2 / 2 comparisons */
                for (size_t j = 0; j < i; j++)
                        if (streq(pol->rulesets[j].name, pol->rulesets[i].name)) {
                                path_push_key(p, "name");
                                return fail(p, child(c, "name"),
                                            "duplicate ruleset name \"%s\" (also rulesets[%zu]); ruleset names must be unique",
                                            pol->rulesets[i].name, j);
                        }
                i++;
                path_pop(p, m2);
        }
        path_pop(p, m);
        return 0;
}

/* ---- documents ---- */

static void text_position(const char *text, const char *at, size_t *line, size_t *column) {
        *line = 1;
        *column = 1;
        for (const char *s = text; s < at && *s; s++) {
                if (*s == '\n') {
                        (*line)++;
                        *column = 1;
                } else
                        (*column)++;
        }
}

/* True when the text ends inside a string or with a bracket or brace still open: a truncated file.
 * cJSON's error position alone cannot tell, it often points at the start of the unfinished value. */
static bool text_unclosed(const char *s) {
        bool in_string = false;
        long depth = 0;

        for (; *s; s++) {
                if (in_string) {
                        if (*s == '\\' && s[1])
                                s++;
                        else if (*s == '"')
                                in_string = false;
                } else if (*s == '"')
                        in_string = true;
                else if (*s == '{' || *s == '[')
                        depth++;
                else if (*s == '}' || *s == ']')
                        depth--;
        }
        return in_string || depth > 0;
}

static int key_index_compare(const void *a, const void *b, void *userdata) {
        const cJSON *const *keys = userdata;
        size_t x = *(const size_t *) a, y = *(const size_t *) b;
        int c = strcmp(keys[x]->string, keys[y]->string);

        return c ? c : (x > y) - (x < y);
}

/* The first key of `obj` that repeats an earlier one: its position, or SIZE_MAX when every key
 * differs. The keys, at most POLICY_MAX_KEYS, are sorted by name, so a document of many keys
 * costs n log n comparisons, not n^2. */
static size_t first_duplicate_key(const cJSON *obj, size_t n) {
        const cJSON *keys[POLICY_MAX_KEYS], *c;
        size_t order[POLICY_MAX_KEYS], i = 0, first = SIZE_MAX, run = 0;

        cJSON_ArrayForEach(c, obj) {
                keys[i] = c;
                order[i] = i;
                i++;
        }
        qsort_r(order, n, sizeof(size_t), key_index_compare, keys);
        /* in a run of equal names, the second (by position) is the first to repeat one */
        for (i = 1; i < n; i++) {
                if (!streq(keys[order[i]]->string, keys[order[run]]->string))
                        run = i;
                else if (i == run + 1 && order[i] < first)
                        first = order[i];
        }
        return first;
}

/* Checks the tree as parsed, before anything reads it: at most POLICY_MAX_KEYS keys per object,
 * none twice. Depth is bounded by json_text_validate(), which ran first. */
static int check_tree(Parser *p, const cJSON *node) {
        const cJSON *c;
        size_t i = 0, n, dup = SIZE_MAX;
        int r;

        if (!cJSON_IsObject(node) && !cJSON_IsArray(node))
                return 0;
        if (cJSON_IsObject(node)) {
                n = (size_t) cJSON_GetArraySize(node);
                if (n > POLICY_MAX_KEYS)
                        return fail(p, node, "an object with %zu keys, more than the limit of %u (POLICY_MAX_KEYS); "
                                    "no object of a policy has more than 15: look for a pasted or generated block",
                                    n, POLICY_MAX_KEYS);
                dup = first_duplicate_key(node, n);
        }
        cJSON_ArrayForEach(c, node) {
                size_t m = cJSON_IsObject(node) ? path_push_key(p, c->string) : path_push_index(p, i);

                if (i == dup)
                        return fail(p, c, "duplicate key \"%s\": a key may appear only once in an object; remove one of them",
                                    c->string);
                r = check_tree(p, c);
                if (r < 0)
                        return r;
                path_pop(p, m);
                i++;
        }
        return 0;
}

static int origins_add_tree(Parser *p, const cJSON *node, size_t doc) {
        const cJSON *c;
        int r;

        if (p->n_origins == p->n_origins_allocated) {
                size_t n = p->n_origins_allocated ? p->n_origins_allocated * 2 : 256;
                Origin *o = reallocarray(p->origins, n, sizeof(Origin));
                if (!o)
                        return -ENOMEM;
                p->origins = o;
                p->n_origins_allocated = n;
        }
        p->origins[p->n_origins++] = (Origin) { node, doc };
        cJSON_ArrayForEach(c, node) {
                r = origins_add_tree(p, c, doc);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Records that every node of `root` came from document `doc`. */
static int origins_add(Parser *p, const cJSON *root, size_t doc) {
        int r = origins_add_tree(p, root, doc);

        if (r >= 0)
                qsort(p->origins, p->n_origins, sizeof(Origin), origin_compare);
        return r;
}

/* Parses document `doc` into a cJSON tree: its strings sound (json_text_validate()), valid JSON,
 * no duplicate keys, an object at the top. */
static int parse_document(Parser *p, const char *text, size_t doc, cJSON **ret) {
        const char *end = NULL;
        JsonTextError text_error;
        size_t line, column;
        cJSON *root;
        int r;

        if (!text[strspn(text, " \t\r\n")])
                return fail_doc(p, doc, "the document is empty; expected a JSON object such as {\"rulesets\": [...]}");
        /* before cJSON, which would cut a string at \u0000 and take any byte */
        if (json_text_validate(text, strlen(text), &text_error) < 0) {
                path_append(p, "%s", text_error.path);
                return fail_doc(p, doc, "%s", text_error.message);
        }

        root = cJSON_ParseWithOpts(text, &end, true);
        if (!root) {
                char near[40] = "";

                if (text_unclosed(text)) {
                        text_position(text, text + strlen(text), &line, &column);
                        return fail_doc(p, doc, "invalid JSON: the document ends too early, at line %zu: it is truncated, or a bracket, brace or quote is not closed",
                                        line);
                }
                if (!end)
                        end = text + strlen(text);
                text_position(text, end, &line, &column);
                if (*end) {
                        size_t k = strcspn(end, "\r\n");
                        snprintf(near, sizeof(near), ", near '%.*s'", (int) (k < 16 ? k : 16), end);
                }
                return fail_doc(p, doc, "invalid JSON: parsing stopped at line %zu, column %zu (byte %zu)%s; look for a missing comma or quote, a trailing comma, or a comment (comments are not allowed)",
                                line, column, (size_t) (end - text), near);
        }

        if (p->n_docs > 1) {
                r = origins_add(p, root, doc);
                if (r < 0) {
                        cJSON_Delete(root);
                        return r;
                }
        }

        r = check_tree(p, root);
        if (r < 0) {
                cJSON_Delete(root);
                return r;
        }
        if (!cJSON_IsObject(root)) {
                r = fail(p, root, "expected a JSON object at the top level, such as {\"rulesets\": [...]}, got %s", GOT(root));
                cJSON_Delete(root);
                return r;
        }
        *ret = root;
        return 0;
}

static cJSON *find_ruleset(cJSON *rulesets, const char *name) {
        cJSON *c;

        cJSON_ArrayForEach(c, rulesets) {
                const cJSON *n = child(c, "name");
                if (cJSON_IsString(n) && streq(n->valuestring, name))
                        return c;
        }
        return NULL;
}

/* Puts `new` where `old` is in `array` and moves `old` to the graveyard, in constant time. Linked in
 * by hand: cJSON_InsertItemInArray refuses to insert after a detach in Debian's 1.7.15, and
 * cJSON_ReplaceItemViaPointer frees the old item, whose address the origin table still holds.
 * cJSON's list: each item's prev is the one before it, the first item's prev is the last. */
static void array_replace(cJSON *array, cJSON *old, cJSON *new, cJSON *graveyard) {
        new->next = old->next;
        if (old == array->child) {
                new->prev = old->prev == old ? new : old->prev;
                array->child = new;
        } else {
                new->prev = old->prev;
                old->prev->next = new;
        }
        if (new->next)
                new->next->prev = new;
        else
                array->child->prev = new;
        old->next = old->prev = NULL;
        cJSON_AddItemToArray(graveyard, old);
}

/* Merges drop-in rulesets into dst_root's "rulesets" by name. Replaced and removed nodes go to
 * `graveyard` rather than being freed, so no node address is reused while errors may still
 * need the origin table. */
static int merge_rulesets(Parser *p, cJSON *dst_root, cJSON *src, cJSON *graveyard) {
        cJSON *dst = cJSON_GetObjectItemCaseSensitive(dst_root, "rulesets"), *e, *next;
        _cleanup_free_ const char **seen = NULL;
        size_t i = 0, n_dst;
        int r;

        path_push_key(p, "rulesets");
        if (!cJSON_IsArray(src))
                return fail(p, src, "expected an array of rulesets, got %s", GOT(src));
        if (dst && !cJSON_IsArray(dst))
                return fail(p, dst, "expected an array of rulesets, got %s", GOT(dst));
        /* bounds the merge: each ruleset is looked up by name among at most the limit */
        r = check_rulesets(p, src);
        if (r < 0)
                return r;
        n_dst = (size_t) cJSON_GetArraySize(dst);
        if (!dst) {
                dst = cJSON_AddArrayToObject(dst_root, "rulesets");
                if (!dst)
                        return -ENOMEM;
        }
        /* names of this drop-in's rulesets so far; the nodes stay alive, in dst or the graveyard */
        seen = calloc((size_t) cJSON_GetArraySize(src) + 1, sizeof(char *));
        if (!seen)
                return -ENOMEM;

        for (e = src->child; e; e = next, i++) {
                size_t m = path_push_index(p, i);
                const cJSON *name, *enabled;
                cJSON *old;

                next = e->next;
                if (!cJSON_IsObject(e))
                        return fail(p, e, "expected a ruleset object, got %s", GOT(e));
                name = child(e, "name");
                if (!cJSON_IsString(name) || !name->valuestring[0])
                        return fail(p, e, "a ruleset in a drop-in needs a \"name\": it replaces the ruleset of that name, adds a new one, or removes one with \"enabled\": false");
                for (size_t j = 0; j < i; j++)
                        if (streq(seen[j], name->valuestring)) {
                                path_push_key(p, "name");
                                return fail(p, name, "duplicate ruleset name \"%s\" in one drop-in; merge the two rulesets into one",
                                            name->valuestring);
                        }
                seen[i] = name->valuestring;

                enabled = child(e, "enabled");
                if (enabled) {
                        if (!cJSON_IsBool(enabled)) {
                                path_push_key(p, "enabled");
                                return fail(p, enabled, "expected a boolean (false removes the ruleset), got %s", GOT(enabled));
                        }
                        if (cJSON_IsFalse(enabled)) {
                                if (cJSON_GetArraySize(e) != 2)
                                        return fail(p, e, "a ruleset with \"enabled\": false removes ruleset \"%s\" and must have no other keys than \"name\" and \"enabled\"",
                                                    name->valuestring);
                                old = find_ruleset(dst, name->valuestring);
                                if (!old)
                                        return fail(p, e, "cannot remove ruleset \"%s\": no ruleset of that name is defined before this drop-in; check the name",
                                                    name->valuestring);
                                cJSON_AddItemToArray(graveyard, cJSON_DetachItemViaPointer(dst, old));
                                n_dst--;
                                path_pop(p, m);
                                continue;
                        }
                        cJSON_AddItemToArray(graveyard, cJSON_DetachItemViaPointer(e, (cJSON *) enabled));
                }

                cJSON_DetachItemViaPointer(src, e);
                old = find_ruleset(dst, name->valuestring);
                if (old)
                        array_replace(dst, old, e, graveyard);
                else {
                        cJSON_AddItemToArray(dst, e);
                        if (++n_dst > POLICY_MAX_RULESETS) {
                                path_pop(p, m);
                                return check_rulesets(p, dst);
                        }
                }
                path_pop(p, m);
        }
        path_pop(p, 0);
        return 0;
}

/* Key by key: objects merge recursively, anything else from src replaces what dst has. */
static int merge_object(Parser *p, cJSON *dst, cJSON *src, bool top, cJSON *graveyard) {
        cJSON *c, *next;
        int r;

        for (c = src->child; c; c = next) {
                cJSON *old = cJSON_GetObjectItemCaseSensitive(dst, c->string);

                next = c->next;
                if (top && streq(c->string, "rulesets")) {
                        r = merge_rulesets(p, dst, c, graveyard);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (cJSON_IsObject(old) && cJSON_IsObject(c)) {
                        r = merge_object(p, old, c, false, graveyard);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (old)
                        cJSON_AddItemToArray(graveyard, cJSON_DetachItemViaPointer(dst, old));
                /* the detached node keeps its key (c->string), so it can be linked in as is */
                cJSON_AddItemToArray(dst, cJSON_DetachItemViaPointer(src, c));
        }
        return 0;
}

/* All documents together within POLICY_MAX_BYTES: the size of a policy bounds the cost of loading it. */
static int check_total_size(Parser *p, const char *const *texts, size_t n) {
        size_t total = 0;

        for (size_t i = 0; i < n; i++)
                total += texts[i] ? strlen(texts[i]) : 0;
        if (total <= POLICY_MAX_BYTES)
                return 0;
        if (n == 1)
                return fail_doc(p, 0, "the policy is %zu bytes, more than the limit of " POLICY_MAX_BYTES_TEXT
                                " (POLICY_MAX_BYTES); a policy is a few KiB: is it the right file?", total);
        return fail_doc(p, 0, "the policy's %zu documents are %zu bytes together, more than the limit of " POLICY_MAX_BYTES_TEXT
                        " (POLICY_MAX_BYTES); a policy is a few KiB: look for a drop-in that does not belong", n, total);
}

static int parse_documents(const char *const *texts, const char *const *sources, size_t n, Policy **ret,
                           PolicyError *err) {
        _cleanup_(policy_freep) Policy *pol = NULL;
        _cleanup_free_ const char **names = NULL;
        cJSON *main_doc = NULL, *graveyard = NULL;
        Parser p = { .err = err };
        int r;

        if (err)
                *err = (PolicyError) {};
        if (!ret)
                return -EINVAL;

        /* texts[0] == NULL (or no text at all) means: no main file, the embedded default applies */
        p.n_docs = n > 0 ? n : 1;
        names = calloc(p.n_docs, sizeof(char *));
        if (!names)
                return -ENOMEM;
        for (size_t i = 0; i < p.n_docs; i++) {
                if (i == 0 && (n == 0 || !texts[0]))
                        names[i] = SOURCE_DEFAULT_NAME;
                else if (sources && sources[i])
                        names[i] = sources[i];
                else if (i == 0)
                        names[i] = "the main policy";
                else
                        names[i] = "a drop-in without a name";
        }
        p.sources = names;

        r = check_total_size(&p, texts, n);
        if (r < 0)
                return r;

        graveyard = cJSON_CreateArray();
        if (!graveyard)
                return -ENOMEM;

        r = parse_document(&p, n > 0 && texts[0] ? texts[0] : policy_default_json, 0, &main_doc);
        if (r < 0)
                goto finish;

        for (size_t i = 1; i < n; i++) {
                cJSON *doc = NULL;

                if (!texts[i]) {
                        r = fail_doc(&p, i, "drop-in has no text; read the file or leave it out");
                        goto finish;
                }
                r = parse_document(&p, texts[i], i, &doc);
                if (r < 0)
                        goto finish;
                cJSON_AddItemToArray(graveyard, doc); /* keeps the drop-in alive until the end */
                r = merge_object(&p, main_doc, doc, true, graveyard);
                if (r < 0)
                        goto finish;
        }

        pol = calloc(1, sizeof(Policy));
        if (!pol) {
                r = -ENOMEM;
                goto finish;
        }
        pol->interval_usec = DEFAULT_INTERVAL_USEC;
        pol->fast_interval_usec = DEFAULT_FAST_INTERVAL_USEC;
        r = parse_policy_object(&p, main_doc, pol);
        if (r < 0)
                goto finish;

        *ret = TAKE_PTR(pol);
        r = 0;
finish:
        if (r == -ENOMEM && err)
                snprintf(err->message, sizeof(err->message), "out of memory while reading the policy");
        cJSON_Delete(main_doc);
        cJSON_Delete(graveyard);
        free(p.origins);
        return r;
}

int policy_parse(const char *json, const char *source, Policy **ret, PolicyError *err) {
        if (!json) {
                if (err) {
                        *err = (PolicyError) {};
                        snprintf(err->message, sizeof(err->message), "no policy text given");
                }
                return -EINVAL;
        }
        return parse_documents(&json, &source, 1, ret, err);
}

int policy_parse_merged(const char *const *texts, const char *const *sources, size_t n, Policy **ret,
                        PolicyError *err) {
        if (n > 0 && !texts) {
                if (err) {
                        *err = (PolicyError) {};
                        snprintf(err->message, sizeof(err->message), "no policy texts given");
                }
                return -EINVAL;
        }
        return parse_documents(texts, sources, n, ret, err);
}

/* ---- back to JSON ---- */

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
