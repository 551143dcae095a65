/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Table-driven reading of a policy object: a table of Fields, one per key, says what each key
 * holds, where it goes and whether it is required, and fields_parse() walks it. Unknown keys are
 * refused with the table's keys as the list of what is allowed, in table order; a missing required
 * key and every bad value are reported at their JSON path through parse_fail(). What a table
 * cannot say (a key that depends on another, a value with its own shape) is a FIELD_CUSTOM
 * parser. Internal to policy/.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "parser.h"
#include "policy_types.h"

/* Where a member is in its object, for Field.at and Field.present; 0 stands for "nowhere". */
#define FIELD_AT(type, member) (offsetof(type, member) + 1)

/* The object kinds a field applies to (Field.types), as bits of fields_parse()'s `kind`. */
#define FIELD_KIND(k) (1u << (k))

/* The most keys a table may allow for one kind of object. */
#define FIELDS_MAX 32

typedef enum FieldType {
        FIELD_BOOL,       /* bool */
        FIELD_DURATION,   /* usec_t; within [min_usec, max_usec] when max_usec is not 0 */
        FIELD_NUMBER,     /* double in [min, max], or (min, max] with min_exclusive */
        FIELD_UNSIGNED,   /* unsigned: a whole number in [min, max] */
        FIELD_SIZE,       /* Amount: a size, or a percent of percent_of when that is not NULL */
        FIELD_ENUM,       /* an enum (int-sized): the index of the value in names */
        FIELD_PATTERNS,   /* PatternList: an array of patterns, or one with allow_string */
        FIELD_CUSTOM,     /* parse() reads the key itself, present or not */
        FIELD_ELSEWHERE,  /* an allowed key read by another field's parse(), or before the walk */
        _FIELD_TYPE_MAX,
} FieldType;

typedef struct Field Field;

/* Reads f->key of `obj` (`v`, NULL when absent) into `data`, the object being filled. It pushes the
 * key on the path itself, and leaves it there on an error. 0, -EINVAL (reported) or -ENOMEM. */
typedef int (*FieldParser)(Parser *p, const Field *f, const cJSON *obj, const cJSON *v, void *data);

struct Field {
        const char *key;
        FieldType type;
        size_t at;                /* FIELD_AT() of the member the value goes to; 0: checked but not kept */
        bool required;            /* absent is an error: "missing required key \"KEY\"" then `missing` */
        const char *missing;      /* completes that message, e.g. ": what the key says"; NULL: for an
                                   * enum "; expected one of: " and its names, else nothing */
        unsigned types;           /* FIELD_KIND() bits of the kinds it applies to; 0: every kind */
        bool late;                /* read after the other fields, whose values its checks need */
        size_t present;           /* FIELD_AT() of a bool set when the key is present; 0: none */

        /* FIELD_NUMBER, FIELD_UNSIGNED */
        double min, max;
        bool min_exclusive;
        /* FIELD_NUMBER, FIELD_UNSIGNED: completes "expected ..."; FIELD_DURATION: the bounds,
         * as "expected <expected>, got <value><why>" */
        const char *expected;
        const char *whole_expected; /* FIELD_UNSIGNED: for a fraction; NULL: expected */
        const char *why;            /* FIELD_DURATION: follows an out-of-bounds value */
        usec_t min_usec, max_usec;  /* FIELD_DURATION */
        /* FIELD_SIZE */
        const char *percent_of;
        /* FIELD_ENUM */
        const char *const *names;
        const char *what;
        /* FIELD_PATTERNS */
        bool paths_only, allow_string, allow_empty;
        const char *default_glob;   /* the list when the key is absent; NULL: left alone */
        /* FIELD_CUSTOM */
        FieldParser parse;
};

/* Reads `obj` into `data` by the n fields of the table that apply to `kind` (0 when the table has
 * only one kind): first refuses any key not among them ("unknown key \"x\" <where>; expected one
 * of: ..."), then reads each field in table order, the late ones last. Absent optional keys leave
 * `data` as it is, but for a default_glob. The path stays at the bad value on an error.
 * 0, -EINVAL (reported) or -ENOMEM. */
int fields_parse(Parser *p, const cJSON *obj, const Field *fields, size_t n, unsigned kind, const char *where,
                 void *data);
