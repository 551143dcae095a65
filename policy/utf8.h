/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above
 * U+10FFFF. Every text pressured writes (replies, events, the history file, D-Bus strings) must be
 * valid; process names and cgroup names are chosen by users and may not be.
 */

#include <stdbool.h>
#include <stddef.h>

/* The length (1 to 4) of the valid character at s[0..n), or 0 when it is not valid UTF-8 (n == 0
 * too), with *why (when why is not NULL) saying what is wrong with it. */
size_t utf8_char_len(const char *s, size_t n, const char **why);

/* True when all of s[0..n) is valid UTF-8. */
bool utf8_is_valid(const char *s, size_t n);

/* A malloc'd copy of the NUL-terminated s with each byte that is not part of a valid character
 * replaced by U+FFFD; NULL when out of memory. */
char *utf8_make_valid(const char *s);

/* s itself when it is valid UTF-8; otherwise a valid copy made as utf8_make_valid does, kept in
 * *buf for the caller to free ("" when out of memory). For a D-Bus string, which must be valid. */
const char *utf8_valid_or_copy(const char *s, char **buf);

typedef struct cJSON cJSON;

/* o printed (compact, or indented for a human to read), made valid UTF-8 as utf8_make_valid does:
 * the one way pressured turns a document into text for a reader. NULL when out of memory. */
char *json_print_utf8(const cJSON *o, bool indented);
