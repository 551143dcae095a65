/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Field table walker (fields_parse()) on a table of its own, with a field of every type: what
 * it stores, its defaults, and for each way an object can be wrong the message and the JSON path.
 * The policy's own tables are checked through policy_parse() by test-policy-parse and
 * test-policy-invalid.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "fields.h"
#include "pattern.h"

typedef enum Color { COLOR_RED, COLOR_GREEN, _COLOR_MAX } Color;
static const char *const color_names[] = { "red", "green", NULL };

typedef struct Thing {
        bool flag;
        usec_t delay;
        double ratio;
        unsigned count;
        Amount size;
        bool has_size;
        Color color;
        PatternList globs;
        int custom_calls;
        bool custom_saw_value;
        unsigned late_saw_count; /* what the late field found in count, which the table lists after it */
} Thing;

enum { KIND_PLAIN, KIND_EXTRA };

static int read_custom(Parser *p, const Field *f, const cJSON *obj, const cJSON *v, void *data) {
        Thing *t = data;

        t->custom_calls++;
        t->custom_saw_value = v != NULL;
        if (v && !cJSON_IsString(v)) {
                path_push_key(p, f->key);
                return parse_fail(p, v, "custom wants a string, got %s", GOT(v));
        }
        return 0;
}

static int read_late(Parser *p, const Field *f, const cJSON *obj, const cJSON *v, void *data) {
        Thing *t = data;

        t->late_saw_count = t->count;
        if (v && cJSON_IsString(v) && strcmp(v->valuestring, "bad") == 0) {
                path_push_key(p, f->key);
                return parse_fail(p, v, "late is bad");
        }
        return 0;
}

static const Field thing_fields[] = {
        { "flag", FIELD_BOOL, FIELD_AT(Thing, flag) },
        { "late", FIELD_CUSTOM, .late = true, .parse = read_late },
        { "delay", FIELD_DURATION, FIELD_AT(Thing, delay), .min_usec = 1 * USEC_PER_SEC, .max_usec = 10 * USEC_PER_SEC,
          .expected = "a duration from 1s to 10s", .why = ": too long or too short" },
        { "ratio", FIELD_NUMBER, FIELD_AT(Thing, ratio), .min = 0, .min_exclusive = true, .max = 1,
          .expected = "a number above 0 and at most 1" },
        { "count", FIELD_UNSIGNED, FIELD_AT(Thing, count), .required = true, .missing = ": how many there are",
          .min = 1, .max = 9, .expected = "a whole number from 1 to 9 (how many)", .whole_expected = "a whole number" },
        { "size", FIELD_SIZE, FIELD_AT(Thing, size), .present = FIELD_AT(Thing, has_size), .percent_of = "MemTotal" },
        { "color", FIELD_ENUM, FIELD_AT(Thing, color), .types = FIELD_KIND(KIND_PLAIN), .required = true,
          .names = color_names, .what = "color" },
        { "color", FIELD_ENUM, FIELD_AT(Thing, color), .types = FIELD_KIND(KIND_EXTRA),
          .names = color_names, .what = "extra color" },
        { "globs", FIELD_PATTERNS, FIELD_AT(Thing, globs), .paths_only = true, .allow_string = true,
          .default_glob = "/*" },
        { "custom", FIELD_CUSTOM, .parse = read_custom },
        { "other", FIELD_ELSEWHERE },
        { "extra", FIELD_BOOL, .types = FIELD_KIND(KIND_EXTRA) },
};

typedef struct Outcome {
        int r;
        Thing thing;
        PolicyError err;
} Outcome;

/* Walks the table over `json` for `kind`, as an object at `prefix` (a JSON path, "" for none). */
static Outcome walk(const char *json, unsigned kind, const char *prefix) {
        Outcome o = { .thing = { .color = _COLOR_MAX } };
        Parser p = { .err = &o.err };
        cJSON *obj = cJSON_Parse(json);

        cr_assert_not_null(obj, "test JSON does not parse: %s", json);
        if (prefix[0])
                path_append(&p, "%s", prefix);
        o.r = fields_parse(&p, obj, thing_fields, sizeof(thing_fields) / sizeof(thing_fields[0]), kind,
                           "in a thing", &o.thing);
        cJSON_Delete(obj);
        return o;
}

static void thing_clear(Thing *t) {
        pattern_list_clear(&t->globs);
}

static void expect_error(const char *json, unsigned kind, const char *path, const char *message) {
        Outcome o = walk(json, kind, "things[2]");

        thing_clear(&o.thing);
        cr_assert_eq(o.r, -EINVAL, "accepted %s (r=%d)", json, o.r);
        cr_assert_str_eq(o.err.path, path, "wrong path for \"%s\" in %s", o.err.message, json);
        cr_assert_str_eq(o.err.message, message, "wrong message in %s", json);
}

Test(policy_fields, every_type_stored) {
        Outcome o = walk("{\"flag\": true, \"delay\": \"2500ms\", \"ratio\": 0.25, \"count\": 7, \"size\": \"10%\","
                         " \"color\": \"green\", \"globs\": [\"/a\", \"/b/*\"], \"custom\": \"x\", \"other\": 5}",
                         KIND_PLAIN, "");

        cr_assert_eq(o.r, 0, "%s: %s", o.err.path, o.err.message);
        cr_assert(o.thing.flag);
        cr_assert_eq(o.thing.delay, 2500 * USEC_PER_MSEC);
        cr_assert_float_eq(o.thing.ratio, 0.25, 1e-12);
        cr_assert_eq(o.thing.count, 7);
        cr_assert(o.thing.has_size);
        cr_assert(o.thing.size.is_percent);
        cr_assert_eq(o.thing.size.permyriad, 1000);
        cr_assert_eq(o.thing.color, COLOR_GREEN);
        cr_assert_eq(o.thing.globs.n, 2);
        cr_assert_str_eq(o.thing.globs.items[1].glob, "/b/*");
        cr_assert_eq(o.thing.custom_calls, 1);
        cr_assert(o.thing.custom_saw_value);
        thing_clear(&o.thing);
}

Test(policy_fields, absent_keys_keep_defaults) {
        Outcome o = walk("{\"count\": 1, \"color\": \"red\", \"globs\": \"/one\"}", KIND_PLAIN, "");

        cr_assert_eq(o.r, 0, "%s: %s", o.err.path, o.err.message);
        cr_assert_not(o.thing.flag);
        cr_assert_eq(o.thing.delay, 0);
        cr_assert_not(o.thing.has_size, "the presence flag is set only for a present key");
        cr_assert_eq(o.thing.globs.n, 1, "a single pattern string is a list of one");
        cr_assert_str_eq(o.thing.globs.items[0].glob, "/one");
        cr_assert_eq(o.thing.custom_calls, 1, "a custom field is read when absent too");
        cr_assert_not(o.thing.custom_saw_value);
        thing_clear(&o.thing);

        o = walk("{\"count\": 1, \"color\": \"red\"}", KIND_PLAIN, "");
        cr_assert_eq(o.r, 0);
        cr_assert_eq(o.thing.globs.n, 1, "an absent pattern list is its default");
        cr_assert_str_eq(o.thing.globs.items[0].glob, "/*");
        thing_clear(&o.thing);
}

Test(policy_fields, late_fields_are_read_last) {
        Outcome o = walk("{\"count\": 4, \"color\": \"red\", \"late\": 1}", KIND_PLAIN, "");

        cr_assert_eq(o.r, 0);
        cr_assert_eq(o.thing.late_saw_count, 4, "the late field ran before count, listed after it");
        thing_clear(&o.thing);

        /* two bad values: the one read first is reported, though the late one is listed first */
        expect_error("{\"late\": \"bad\", \"count\": 2.5, \"color\": \"red\"}", KIND_PLAIN, "things[2].count",
                     "expected a whole number, got 2.5");
}

Test(policy_fields, unknown_key) {
        expect_error("{\"count\": 1, \"color\": \"red\", \"colour\": \"red\"}", KIND_PLAIN, "things[2].colour",
                     "unknown key \"colour\" in a thing; expected one of: flag, late, delay, ratio, count, size, color, "
                     "globs, custom, other");
        /* a field of another kind is unknown here, and known there, once in the list */
        expect_error("{\"count\": 1, \"color\": \"red\", \"extra\": true}", KIND_PLAIN, "things[2].extra",
                     "unknown key \"extra\" in a thing; expected one of: flag, late, delay, ratio, count, size, color, "
                     "globs, custom, other");
        expect_error("{\"count\": 1, \"extra\": true, \"x\": 1}", KIND_EXTRA, "things[2].x",
                     "unknown key \"x\" in a thing; expected one of: flag, late, delay, ratio, count, size, color, "
                     "globs, custom, other, extra");
}

Test(policy_fields, kinds_choose_the_field) {
        Outcome o = walk("{\"count\": 1, \"extra\": true}", KIND_EXTRA, "");

        cr_assert_eq(o.r, 0, "color is optional for the extra kind: %s", o.err.message);
        cr_assert_eq(o.thing.color, _COLOR_MAX, "an absent enum is left alone");
        thing_clear(&o.thing);
        expect_error("{\"count\": 1, \"color\": \"blue\"}", KIND_EXTRA, "things[2].color",
                     "unknown extra color \"blue\"; expected one of: red, green");
}

Test(policy_fields, missing_required_key) {
        expect_error("{\"color\": \"red\"}", KIND_PLAIN, "things[2]", "missing required key \"count\": how many there are");
        expect_error("{\"count\": 2}", KIND_PLAIN, "things[2]", "missing required key \"color\"; expected one of: red, green");
}

Test(policy_fields, wrong_types) {
        expect_error("{\"flag\": \"yes\", \"count\": 1, \"color\": \"red\"}", KIND_PLAIN, "things[2].flag",
                     "expected a boolean (true or false), got \"yes\"");
        expect_error("{\"delay\": [], \"count\": 1, \"color\": \"red\"}", KIND_PLAIN, "things[2].delay",
                     "expected a duration such as \"500ms\", \"20s\" or \"2m\" (a bare number is seconds), got an array");
        expect_error("{\"ratio\": \"0.5\", \"count\": 1, \"color\": \"red\"}", KIND_PLAIN, "things[2].ratio",
                     "expected a number above 0 and at most 1, got \"0.5\"");
        expect_error("{\"count\": true, \"color\": \"red\"}", KIND_PLAIN, "things[2].count",
                     "expected a whole number from 1 to 9 (how many), got a boolean (true)");
        expect_error("{\"size\": {}, \"count\": 1, \"color\": \"red\"}", KIND_PLAIN, "things[2].size",
                     "expected a size such as 512M, 1.5G or 10% (percent of MemTotal), got an object");
        expect_error("{\"count\": 1, \"color\": 1}", KIND_PLAIN, "things[2].color",
                     "expected a color, one of: red, green; got 1");
        expect_error("{\"count\": 1, \"color\": \"red\", \"globs\": [\"/a\", \"name\"]}", KIND_PLAIN, "things[2].globs[1]",
                     "expected a cgroup path pattern starting with \"/\" (such as \"/\" or \"/user.slice/*\"), got \"name\"; "
                     "process name patterns are not allowed here");
        expect_error("{\"count\": 1, \"color\": \"red\", \"custom\": 3}", KIND_PLAIN, "things[2].custom",
                     "custom wants a string, got 3");
}

Test(policy_fields, values_out_of_bounds) {
        expect_error("{\"delay\": \"20s\", \"count\": 1, \"color\": \"red\"}", KIND_PLAIN, "things[2].delay",
                     "expected a duration from 1s to 10s, got \"20s\": too long or too short");
        expect_error("{\"ratio\": 0, \"count\": 1, \"color\": \"red\"}", KIND_PLAIN, "things[2].ratio",
                     "expected a number above 0 and at most 1, got 0");
        expect_error("{\"count\": 10, \"color\": \"red\"}", KIND_PLAIN, "things[2].count",
                     "expected a whole number from 1 to 9 (how many), got 10");
        expect_error("{\"count\": 2.5, \"color\": \"red\"}", KIND_PLAIN, "things[2].count",
                     "expected a whole number, got 2.5");
}
