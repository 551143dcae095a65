/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parser's state while it reads a policy: where it is (the JSON path every error names) and
 * which document each node came from, and the helpers every reader uses to report an error.
 */

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "parser.h"

size_t path_append(Parser *p, const char *fmt, ...) {
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

size_t path_push_key(Parser *p, const char *key) {
        return p->path_len == 0 ? path_append(p, "%s", key) : path_append(p, ".%s", key);
}

size_t path_push_index(Parser *p, size_t i) {
        return path_append(p, "[%zu]", i);
}

void path_pop(Parser *p, size_t old) {
        p->path_len = old;
        p->path[old] = '\0';
}

int parser_origin_compare(const void *a, const void *b) {
        uintptr_t x = (uintptr_t) ((const Origin *) a)->node, y = (uintptr_t) ((const Origin *) b)->node;

        return x < y ? -1 : x > y;
}

ssize_t parser_origin_of(const Parser *p, const cJSON *node) {
        const Origin key = { .node = node }, *o;

        if (!node || p->n_origins == 0)
                return -1;
        o = bsearch(&key, p->origins, p->n_origins, sizeof(Origin), parser_origin_compare);
        return o ? (ssize_t) o->doc : -1;
}

__attribute__((format(printf, 3, 0)))
static int parse_vfail(Parser *p, ssize_t doc, const char *fmt, va_list ap) {
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
int parse_fail(Parser *p, const cJSON *node, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = parse_vfail(p, parser_origin_of(p, node), fmt, ap);
        va_end(ap);
        return r;
}

int parse_fail_doc(Parser *p, size_t doc, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = parse_vfail(p, (ssize_t) doc, fmt, ap);
        va_end(ap);
        return r;
}

/* What a JSON value is, for "got ..." in messages. */
const char *json_describe(const cJSON *v, char *buf, size_t size) {
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

/* "a, b, c" from a NULL-terminated list, for "expected one of: ..." */
const char *names_join(const char *const *names, char *buf, size_t size) {
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

bool names_contain(const char *const *names, const char *s) {
        for (size_t i = 0; names[i]; i++)
                if (streq(names[i], s))
                        return true;
        return false;
}

/* Every key of `obj` must be in `allowed`. `where` completes "unknown key \"x\" ...". */
int parse_check_keys(Parser *p, const cJSON *obj, const char *const *allowed, const char *where) {
        const cJSON *c;

        cJSON_ArrayForEach(c, obj) {
                if (names_contain(allowed, c->string))
                        continue;
                path_push_key(p, c->string);
                return parse_fail(p, c, "unknown key \"%s\" %s; expected one of: %s", c->string, where, JOIN(allowed));
        }
        return 0;
}

const cJSON *json_child(const cJSON *obj, const char *key) {
        return cJSON_GetObjectItemCaseSensitive(obj, key);
}

int parse_require_object(Parser *p, const cJSON *v, const char *what) {
        if (!cJSON_IsObject(v))
                return parse_fail(p, v, "expected %s (a JSON object), got %s", what, GOT(v));
        return 0;
}

/* At most `max` items in `v` when it is an array (its type is checked where it is read). The
 * limit is named in the message as `limit`, and `advice` says what to do instead. */
int parse_check_count(Parser *p, const cJSON *v, unsigned max, const char *what, const char *limit, const char *advice) {
        int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0;

        if (n > (int) max)
                return parse_fail(p, v, "%d %s, more than the limit of %u (%s); %s", n, what, max, limit, advice);
        return 0;
}

/* calloc that tolerates n == 0 (and returns NULL then, which is not an error). */
int parse_alloc_array(size_t n, size_t size, void **ret) {
        *ret = NULL;
        if (n == 0)
                return 0;
        *ret = calloc(n, size);
        return *ret ? 0 : -ENOMEM;
}

/* Checks that v is an array of `what` and allocates one zeroed item of `size` bytes per element.
 * An empty array is an error, reported as empty_error, unless that is NULL. */
int parse_alloc_items(Parser *p, const cJSON *v, const char *what, const char *empty_error, size_t size,
                       void **ret, size_t *n_ret) {
        int r;

        if (!cJSON_IsArray(v))
                return parse_fail(p, v, "expected an array of %s, got %s", what, GOT(v));
        if (empty_error && cJSON_GetArraySize(v) == 0)
                return parse_fail(p, v, "%s", empty_error);
        r = parse_alloc_array((size_t) cJSON_GetArraySize(v), size, ret);
        if (r < 0)
                return r;
        *n_ret = (size_t) cJSON_GetArraySize(v);
        return 0;
}
