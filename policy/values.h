/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The value readers of the policy parser: one JSON value to a bool, a bounded number, a duration, a
 * size, an enum or patterns. Each reports a bad value through parse_fail() at the current path and
 * returns -EINVAL, or -ENOMEM. Internal to policy/.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "parser.h"
#include "policy_types.h"

#define DURATION_EXAMPLES "a duration such as \"500ms\", \"20s\" or \"2m\" (a bare number is seconds)"

int read_bool(Parser *p, const cJSON *v, bool *ret);
/* A number in [min, max] (or (min, max] when min_exclusive). */
int read_number(Parser *p, const cJSON *v, double min, bool min_exclusive, double max,
                const char *expected, double *ret);
/* A duration string, or a bare number of seconds. */
int read_duration(Parser *p, const cJSON *v, usec_t *ret);
/* A size, or a percent of `percent_of` when that is not NULL. */
int read_size(Parser *p, const cJSON *v, const char *percent_of, Amount *ret);
/* One of `names` (NULL-terminated); the index goes to *ret. `what` names the kind of value. */
int read_enum(Parser *p, const cJSON *v, const char *const *names, const char *what, int *ret);
/* One pattern, appended to *l; counted against POLICY_MAX_PATTERNS. */
int read_pattern(Parser *p, const cJSON *v, bool paths_only, PatternList *l);
/* An array of patterns, or (allow_string) a single pattern string; replaces *ret. */
int read_pattern_list(Parser *p, const cJSON *v, bool paths_only, bool allow_string, bool allow_empty,
                      PatternList *ret);

/* Optional keys: absent leaves *ret alone. Each pushes the key on the path only while reading it. */

/* Finds an optional key and pushes it on the path; NULL, with nothing pushed, when it is absent. */
const cJSON *opt_enter(Parser *p, const cJSON *obj, const char *key, size_t *mark);
/* Pops the key after a good read; after a bad one the path stays, so that the error names the key. */
int opt_leave(Parser *p, size_t mark, int r);

int opt_duration(Parser *p, const cJSON *obj, const char *key, usec_t *ret);
int opt_enum(Parser *p, const cJSON *obj, const char *key, const char *const *names, const char *what, int *ret);
int opt_size(Parser *p, const cJSON *obj, const char *key, const char *percent_of, Amount *ret);
