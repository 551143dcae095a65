/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Policies at the limits of policy_limits.h, the costliest documents a parser has to take in, and
 * one past each limit. The unit tests parse them; the host test hands them to
 * `pressured --check-config`, as an admin would.
 */

#include <stdbool.h>

typedef enum WorstCase {
        WORST_BYTES,          /* a valid policy padded to POLICY_MAX_BYTES */
        WORST_RULESETS,       /* POLICY_MAX_RULESETS rulesets of 4 distinct long patterns each */
        WORST_KILL_LIST,      /* POLICY_MAX_KILL_LIST entries of long distinct patterns */
        WORST_PATTERNS,       /* POLICY_MAX_PATTERNS distinct patterns in omit, avoid and prefer */
        WORST_LONG_PATTERNS,  /* patterns of PATTERN_MAX_BYTES bytes, in two-byte characters */
        WORST_KEYS,           /* objects of POLICY_MAX_KEYS keys, as many as fit (refused: unknown key) */
        WORST_DEPTH,          /* arrays nested JSON_MAX_DEPTH deep, as many as fit (refused: unknown key) */
        _WORST_CASE_MAX,
} WorstCase;

/* A short name, for file names and messages. */
const char *worst_case_name(WorstCase c);

/* The limit's name in policy_limits.h: what the refusal of the document past it must say. */
const char *worst_case_limit(WorstCase c);

/* The document at the limit (over = false) or one past it (over = true), malloc'd; at the limit it
 * is at most POLICY_MAX_BYTES. */
char *worst_case_policy(WorstCase c, bool over);

/* Whether the document at the limit is a valid policy (the others are refused for an unknown key,
 * after the parser went through all of them). */
bool worst_case_valid(WorstCase c);
