/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The walker of a Field table. Each field type is read by the value reader of values.c that the
 * hand-written readers used, so the messages are those of the value readers.
 */

#include <errno.h>
#include <string.h>

#include "fields.h"
#include "macro.h"
#include "pattern.h"
#include "values.h"

static bool field_applies(const Field *f, unsigned kind) {
        return f->types == 0 || (f->types & FIELD_KIND(kind));
}

static void *member(void *data, size_t at) {
        return (char *) data + at - 1;
}

static int field_missing(Parser *p, const Field *f, const cJSON *obj) {
        if (f->missing)
                return parse_fail(p, obj, "missing required key \"%s\"%s", f->key, f->missing);
        if (f->type == FIELD_ENUM)
                return parse_fail(p, obj, "missing required key \"%s\"; expected one of: %s", f->key, JOIN(f->names));
        return parse_fail(p, obj, "missing required key \"%s\"", f->key);
}

/* Reads the present value v of f; the key is on the path. */
static int field_read(Parser *p, const Field *f, const cJSON *v, void *data) {
        int r;

        switch (f->type) {
        case FIELD_BOOL: {
                bool b;

                r = read_bool(p, v, &b);
                if (r >= 0 && f->at)
                        *(bool *) member(data, f->at) = b;
                return r;
        }

        case FIELD_DURATION: {
                usec_t u;

                r = read_duration(p, v, &u);
                if (r < 0)
                        return r;
                if (f->max_usec > 0 && (u < f->min_usec || u > f->max_usec))
                        return parse_fail(p, v, "expected %s, got %s%s", f->expected, GOT(v), f->why ?: "");
                if (f->at)
                        *(usec_t *) member(data, f->at) = u;
                return 0;
        }

        case FIELD_NUMBER:
        case FIELD_UNSIGNED: {
                double d;

                r = read_number(p, v, f->min, f->min_exclusive, f->max, f->expected, &d);
                if (r < 0)
                        return r;
                if (f->type == FIELD_NUMBER) {
                        if (f->at)
                                *(double *) member(data, f->at) = d;
                        return 0;
                }
                if (!double_is_whole(d))
                        return parse_fail(p, v, "expected %s, got %s", f->whole_expected ?: f->expected, GOT(v));
                if (f->at)
                        *(unsigned *) member(data, f->at) = (unsigned) d;
                return 0;
        }

        case FIELD_SIZE: {
                Amount a;

                r = read_size(p, v, f->percent_of, &a);
                if (r >= 0 && f->at)
                        *(Amount *) member(data, f->at) = a;
                return r;
        }

        case FIELD_ENUM: {
                int e;

                r = read_enum(p, v, f->names, f->what, &e);
                /* enums are int-sized (checked where the tables are) */
                if (r >= 0 && f->at)
                        memcpy(member(data, f->at), &e, sizeof(e));
                return r;
        }

        case FIELD_PATTERNS: {
                PatternList scratch = {};

                r = read_pattern_list(p, v, f->paths_only, f->allow_string, f->allow_empty,
                                      f->at ? member(data, f->at) : &scratch);
                pattern_list_clear(&scratch);
                return r;
        }

        default:
                return -EINVAL;
        }
}

/* Reads f when absent: its default, if it has one. */
static int field_default(const Field *f, void *data) {
        if (f->type == FIELD_PATTERNS && f->default_glob && f->at)
                return pattern_list_add(member(data, f->at), f->default_glob);
        return 0;
}

int fields_parse(Parser *p, const cJSON *obj, const Field *fields, size_t n, unsigned kind, const char *where,
                 void *data) {
        const char *allowed[FIELDS_MAX + 1] = {};
        size_t n_allowed = 0;
        int r;

        /* each key once, in table order: a key may have one field per kind */
        for (size_t i = 0; i < n; i++)
                if (field_applies(&fields[i], kind) && !names_contain(allowed, fields[i].key)) {
                        if (n_allowed == FIELDS_MAX)
                                return -E2BIG;
                        allowed[n_allowed++] = fields[i].key;
                }
        r = parse_check_keys(p, obj, allowed, where);
        if (r < 0)
                return r;

        for (int late = 0; late <= 1; late++)
                for (size_t i = 0; i < n; i++) {
                        const Field *f = &fields[i];
                        const cJSON *v;
                        size_t m;

                        if (!field_applies(f, kind) || f->late != late || f->type == FIELD_ELSEWHERE)
                                continue;
                        v = json_child(obj, f->key);
                        if (!v && f->required)
                                return field_missing(p, f, obj);
                        if (f->type == FIELD_CUSTOM) {
                                r = f->parse(p, f, obj, v, data);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        if (!v) {
                                r = field_default(f, data);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        m = path_push_key(p, f->key);
                        if (f->present)
                                *(bool *) member(data, f->present) = true;
                        r = field_read(p, f, v, data);
                        if (r < 0)
                                return r;
                        path_pop(p, m);
                }
        return 0;
}
