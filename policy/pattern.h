/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Patterns: the globs of a policy (policy_types.h's Pattern), matched against cgroup paths and
 * process names, and checked and owned as the policy holds them.
 */

#include <stdbool.h>

#include "policy_types.h"

/* True when the pattern matches the cgroup path (path patterns) or comm (name patterns).
 * Either argument may be NULL (that kind never matches). */
bool pattern_match(const Pattern *p, const char *cgroup_path, const char *comm);
bool pattern_list_match(const PatternList *l, const char *cgroup_path, const char *comm);

/* The longest process name the kernel keeps (TASK_COMM_LEN - 1). */
#define COMM_LEN_MAX 15

/* Checks a glob as the policy format allows it. Returns 0, or -EINVAL with *reason set to a
 * static sentence saying what is wrong and how to write it instead. */
int pattern_validate(const char *glob, const char **reason);

/* Adds a copy of `glob` to the list (is_path from its first character). 0 or -ENOMEM. */
int pattern_list_add(PatternList *l, const char *glob);

/* A glob of every child of P: P, a plain cgroup path other than "/" (no glob character), then "/" "*".
 * Returns 1 with a copy of P in *ret, 0 (and *ret NULL) for any other glob, or -ENOMEM. */
int pattern_children_parent(const char *glob, char **ret);

/* Deep copy of a list; 0 or -ENOMEM. */
int pattern_list_copy(PatternList *dst, const PatternList *src);

/* Frees the globs and the array and leaves an empty list; accepts an empty list. */
void pattern_list_clear(PatternList *l);
