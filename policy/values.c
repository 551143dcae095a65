/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The value readers: one JSON value to a bool, a number in a range, a duration, a size, an enum or
 * a list of patterns, each refusing what the format does not allow with a message that says what
 * was expected, and how to write it.
 */

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "pattern.h"
#include "quantity.h"
#include "values.h"

/* 2^64 as a double: JSON numbers at or above it do not fit a uint64_t. */
#define UINT64_LIMIT_DOUBLE 18446744073709551616.0

int read_bool(Parser *p, const cJSON *v, bool *ret) {
        if (!cJSON_IsBool(v))
                return parse_fail(p, v, "expected a boolean (true or false), got %s", GOT(v));
        *ret = cJSON_IsTrue(v);
        return 0;
}

static int read_finite(Parser *p, const cJSON *v, const char *expected, double *ret) {
        if (!cJSON_IsNumber(v))
                return parse_fail(p, v, "expected %s, got %s", expected, GOT(v));
        if (!isfinite(v->valuedouble))
                return parse_fail(p, v, "expected %s, got a number too large to represent", expected);
        *ret = v->valuedouble;
        return 0;
}

/* A number in [min, max] (or (min, max] when min_exclusive). */
int read_number(Parser *p, const cJSON *v, double min, bool min_exclusive, double max,
                       const char *expected, double *ret) {
        double d = 0;
        int r;

        r = read_finite(p, v, expected, &d);
        if (r < 0)
                return r;
        if (d < min || (min_exclusive && d == min) || d > max)
                return parse_fail(p, v, "expected %s, got %s", expected, GOT(v));
        *ret = d;
        return 0;
}

int read_duration(Parser *p, const cJSON *v, usec_t *ret) {
        if (cJSON_IsNumber(v)) {
                double d = v->valuedouble;

                if (!isfinite(d) || d < 0 || d * 1e6 >= UINT64_LIMIT_DOUBLE)
                        return parse_fail(p, v, "expected %s, got %s: it must be a non-negative number of seconds that fits in 64 bits",
                                    DURATION_EXAMPLES, GOT(v));
                *ret = (usec_t) double_round_unsigned(d * 1e6);
                return 0;
        }
        if (cJSON_IsString(v)) {
                if (parse_duration(v->valuestring, ret) < 0)
                        return parse_fail(p, v, "expected %s, got %s; units are us, ms, s (sec), m (min), h, d and w, "
                                    "and parts add up (\"1h 30min\")",
                                    DURATION_EXAMPLES, GOT(v));
                return 0;
        }
        return parse_fail(p, v, "expected %s, got %s", DURATION_EXAMPLES, GOT(v));
}

/* A bare number of bytes below a page: surely a percent or a unit left out. */
static int fail_bare_size(Parser *p, const cJSON *v, uint64_t bytes, const char *percent_of) {
        char pct[96] = "";

        if (percent_of)
                snprintf(pct, sizeof(pct), "\"%" PRIu64 "%%\" (percent of %s) or ", bytes, percent_of);
        return parse_fail(p, v, "got %s: a bare number is bytes, and %" PRIu64 " bytes is less than a page (%d); "
                    "write a unit, as %s\"%" PRIu64 "G\", or \"%" PRIu64 "B\" if bytes are meant",
                    GOT(v), bytes, SIZE_BARE_MIN_BYTES, pct, bytes, bytes);
}

/* A size, or a percent of `percent_of` when that is not NULL. */
int read_size(Parser *p, const cJSON *v, const char *percent_of, Amount *ret) {
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
                        return parse_fail(p, v, "expected %s, got %s: a number of bytes must be a whole, non-negative number",
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
                                return parse_fail(p, v, "a percent is not allowed here, got %s; expected %s", GOT(v), expected);
                        return parse_fail(p, v, "expected a percent from 0%% to 100%% with at most two decimals (percent of %s), got %s",
                                    percent_of, GOT(v));
                }
                return parse_fail(p, v, "expected %s, got %s; a bare number is bytes, suffixes are B, K, M, G, T (or KiB, MiB, GiB, TiB), powers of 1024",
                            expected, GOT(v));
        }
        return parse_fail(p, v, "expected %s, got %s", expected, GOT(v));
}

/* One of `names` (NULL-terminated); the index goes to *ret. */
int read_enum(Parser *p, const cJSON *v, const char *const *names, const char *what, int *ret) {
        if (!cJSON_IsString(v))
                return parse_fail(p, v, "expected a %s, one of: %s; got %s", what, JOIN(names), GOT(v));
        for (int i = 0; names[i]; i++)
                if (streq(names[i], v->valuestring)) {
                        *ret = i;
                        return 0;
                }
        return parse_fail(p, v, "unknown %s %s; expected one of: %s", what, GOT(v), JOIN(names));
}

int read_pattern(Parser *p, const cJSON *v, bool paths_only, PatternList *l) {
        const char *reason;

        if (!cJSON_IsString(v))
                return parse_fail(p, v, "expected a pattern (a string: a cgroup path glob such as \"/user.slice/*\" or a process name glob), got %s",
                            GOT(v));
        if (++p->n_patterns > POLICY_MAX_PATTERNS)
                return parse_fail(p, v, "more than %u patterns in the policy, the limit (POLICY_MAX_PATTERNS): each is matched against every candidate; "
                            "use wider globs such as \"/user.slice/*\" instead of one pattern per cgroup", POLICY_MAX_PATTERNS);
        if (strlen(v->valuestring) > PATTERN_MAX_BYTES)
                return parse_fail(p, v, "a pattern of %zu bytes, more than the limit of %u (PATTERN_MAX_BYTES, the longest path the kernel resolves); "
                            "shorten it with a glob", strlen(v->valuestring), PATTERN_MAX_BYTES);
        if (pattern_validate(v->valuestring, &reason) < 0)
                return parse_fail(p, v, "invalid pattern %s: %s", GOT(v), reason);
        if (paths_only && v->valuestring[0] != '/')
                return parse_fail(p, v, "expected a cgroup path pattern starting with \"/\" (such as \"/\" or \"/user.slice/*\"), got %s; process name patterns are not allowed here",
                            GOT(v));
        if (pattern_list_add(l, v->valuestring) < 0)
                return -ENOMEM;
        return 0;
}

/* An array of patterns, or (allow_string) a single pattern string. */
int read_pattern_list(Parser *p, const cJSON *v, bool paths_only, bool allow_string, bool allow_empty,
                             PatternList *ret) {
        const cJSON *c;
        size_t i = 0;
        int r;

        pattern_list_clear(ret);
        if (allow_string && cJSON_IsString(v))
                return read_pattern(p, v, paths_only, ret);
        if (!cJSON_IsArray(v))
                return parse_fail(p, v, "expected %s, got %s",
                            allow_string ? "a cgroup path pattern or an array of them" : "an array of patterns", GOT(v));
        if (!allow_empty && cJSON_GetArraySize(v) == 0)
                return parse_fail(p, v, "expected at least one cgroup path pattern, got an empty array; use \"/\" for the whole system or \"/*\" for every top-level cgroup");
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
const cJSON *opt_enter(Parser *p, const cJSON *obj, const char *key, size_t *mark) {
        const cJSON *v = json_child(obj, key);

        if (v)
                *mark = path_push_key(p, key);
        return v;
}

/* Pops the key after a good read; after a bad one the path stays, so that the error names the key. */
int opt_leave(Parser *p, size_t mark, int r) {
        if (r >= 0)
                path_pop(p, mark);
        return r;
}

int opt_duration(Parser *p, const cJSON *obj, const char *key, usec_t *ret) {
        size_t m;
        const cJSON *v = opt_enter(p, obj, key, &m);

        return v ? opt_leave(p, m, read_duration(p, v, ret)) : 0;
}

int opt_enum(Parser *p, const cJSON *obj, const char *key, const char *const *names, const char *what, int *ret) {
        size_t m;
        const cJSON *v = opt_enter(p, obj, key, &m);

        return v ? opt_leave(p, m, read_enum(p, v, names, what, ret)) : 0;
}

int opt_size(Parser *p, const cJSON *obj, const char *key, const char *percent_of, Amount *ret) {
        size_t m;
        const cJSON *v = opt_enter(p, obj, key, &m);

        return v ? opt_leave(p, m, read_size(p, v, percent_of, ret)) : 0;
}
