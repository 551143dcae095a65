/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The parser's state (Parser) while it reads a policy: the JSON path of the value being read, which
 * document each node of a merged tree came from, and the patterns counted so far. Every error goes
 * through parse_fail(), which names that path and, when several documents were merged, the document.
 * Internal to policy/.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "policy_types.h"

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
        Origin *origins;         /* sorted by node address after each document, for parser_origin_of() */
        size_t n_origins, n_origins_allocated;
        size_t n_patterns;       /* patterns read so far, against POLICY_MAX_PATTERNS */
} Parser;

/* The path: each push returns the length to pop back to. */
size_t path_append(Parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t path_push_key(Parser *p, const char *key);
size_t path_push_index(Parser *p, size_t i);
void path_pop(Parser *p, size_t old);

/* Orders Origins by node address (qsort, bsearch). */
int parser_origin_compare(const void *a, const void *b);
/* The document `node` came from; -1 when unknown (a single document keeps no table). */
ssize_t parser_origin_of(const Parser *p, const cJSON *node);

/* Reports an error about `node` at the current path. Always returns -EINVAL. */
int parse_fail(Parser *p, const cJSON *node, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same about a whole document. */
int parse_fail_doc(Parser *p, size_t doc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* What a JSON value is, for "got ..." in messages. */
const char *json_describe(const cJSON *v, char *buf, size_t size);
#define GOT(v) json_describe((v), (char[80]) {}, 80)

/* "a, b, c" from a NULL-terminated list, for "expected one of: ..." */
const char *names_join(const char *const *names, char *buf, size_t size);
#define JOIN(names) names_join((names), (char[256]) {}, 256)

bool names_contain(const char *const *names, const char *s);

/* Every key of `obj` must be in `allowed`. `where` completes "unknown key \"x\" ...". */
int parse_check_keys(Parser *p, const cJSON *obj, const char *const *allowed, const char *where);

/* The value of `key` in `obj`, or NULL. */
const cJSON *json_child(const cJSON *obj, const char *key);

/* `v` must be an object; `what` names what was expected. */
int parse_require_object(Parser *p, const cJSON *v, const char *what);

/* At most `max` items in `v` when it is an array (its type is checked where it is read). The
 * limit is named in the message as `limit`, and `advice` says what to do instead. */
int parse_check_count(Parser *p, const cJSON *v, unsigned max, const char *what, const char *limit, const char *advice);

#define check_rulesets(p, v) \
        parse_check_count((p), (v), POLICY_MAX_RULESETS, "rulesets", "POLICY_MAX_RULESETS", \
                          "every ruleset is evaluated at every sample: merge rulesets that watch the same thing")

/* calloc that tolerates n == 0 (and returns NULL then, which is not an error). */
int parse_alloc_array(size_t n, size_t size, void **ret);

/* Checks that v is an array of `what` and allocates one zeroed item of `size` bytes per element.
 * An empty array is an error, reported as empty_error, unless that is NULL. */
int parse_alloc_items(Parser *p, const cJSON *v, const char *what, const char *empty_error, size_t size,
                      void **ret, size_t *n_ret);
