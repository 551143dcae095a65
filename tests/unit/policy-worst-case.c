/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-worst-case.h"
#include "policy_limits.h"

/* A ruleset that adds no pattern (its cgroups are the defaults), so the pattern count is the test's. */
#define PLAIN_RULESET "{\"name\": \"r\", \"detectors\": [[{\"type\": \"memory_reclaim\"}]], \"actions\": [{\"type\": \"kill\"}]}"

typedef struct Text {
        char *s;
        size_t len, cap;
} Text;

static void add(Text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(Text *t, const char *fmt, ...) {
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                abort();
        if (t->len + (size_t) n + 1 > t->cap) {
                t->cap = (t->len + (size_t) n + 1) * 2;
                t->s = realloc(t->s, t->cap);
                if (!t->s)
                        abort();
        }
        va_start(ap, fmt);
        vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        t->len += (size_t) n;
}

static void add_repeat(Text *t, const char *unit, size_t n) {
        for (size_t i = 0; i < n; i++)
                add(t, "%s", unit);
}

/* A path pattern of `len` bytes, distinct by `i`: "/w.slice/NNNNN-aaa...". */
static void add_pattern(Text *t, unsigned i, size_t len) {
        size_t start = t->len;

        add(t, "\"/w.slice/%05u-", i);
        add_repeat(t, "a", len - (t->len - start - 1));
        add(t, "\"");
}

static void bytes_case(Text *t, bool over) {
        add(t, "{\"rulesets\": [" PLAIN_RULESET "]}");
        add_repeat(t, " ", POLICY_MAX_BYTES - t->len + over);
}

/* Four patterns a ruleset, POLICY_MAX_PATTERNS in all, sized to fill POLICY_MAX_BYTES. */
static void rulesets_case(Text *t, bool over) {
        unsigned n = POLICY_MAX_RULESETS + over;
        size_t len = over ? 16 : (POLICY_MAX_BYTES / POLICY_MAX_RULESETS - 200) / 4;

        add(t, "{\"rulesets\": [");
        for (unsigned i = 0; i < n; i++) {
                add(t, "%s{\"name\": \"ruleset-%05u\", \"detectors\": [[{\"type\": \"pressure_above\", \"cgroup\": [",
                    i ? ", " : "", i);
                add_pattern(t, 4 * i, len);
                add(t, ", ");
                add_pattern(t, 4 * i + 1, len);
                add(t, "], \"threshold\": 40}]], \"actions\": [{\"type\": \"kill\", \"cgroup\": [");
                add_pattern(t, 4 * i + 2, len);
                add(t, ", ");
                add_pattern(t, 4 * i + 3, len);
                add(t, "]}]}");
        }
        add(t, "]}");
}

static void kill_list_case(Text *t, bool over) {
        unsigned n = POLICY_MAX_KILL_LIST + over;
        size_t len = over ? 16 : POLICY_MAX_BYTES / POLICY_MAX_KILL_LIST - 64;

        add(t, "{\"kill_list\": [");
        for (unsigned i = 0; i < n; i++) {
                add(t, "%s{\"pattern\": ", i ? ", " : "");
                add_pattern(t, i, len);
                add(t, ", \"min_memory\": \"1G\"}");
        }
        add(t, "], \"rulesets\": [" PLAIN_RULESET "]}");
}

/* POLICY_MAX_PATTERNS patterns spread over omit, avoid and prefer. */
static void patterns_case(Text *t, bool over) {
        static const char *const lists[] = { "omit", "avoid", "prefer" };
        unsigned n = POLICY_MAX_PATTERNS + over, k = 0;
        size_t len = over ? 16 : POLICY_MAX_BYTES / POLICY_MAX_PATTERNS - 8;

        add(t, "{");
        for (unsigned l = 0; l < 3; l++) {
                unsigned share = l < 2 ? n / 3 : n - 2 * (n / 3);

                add(t, "\"%s\": [", lists[l]);
                for (unsigned i = 0; i < share; i++, k++) {
                        add(t, "%s", i ? ", " : "");
                        add_pattern(t, k, len);
                }
                add(t, "], ");
        }
        add(t, "\"rulesets\": [" PLAIN_RULESET "]}");
}

/* Patterns of PATTERN_MAX_BYTES bytes: "/" and 2047 times "é" (two bytes each), as many as fit. */
static void long_patterns_case(Text *t, bool over) {
        unsigned n = over ? 1 : (POLICY_MAX_BYTES - 200) / (PATTERN_MAX_BYTES + 3);

        add(t, "{\"omit\": [");
        for (unsigned i = 0; i < n; i++) {
                add(t, "%s\"/", i ? ", " : "");
                add_repeat(t, "\xc3\xa9", (PATTERN_MAX_BYTES - 1) / 2);
                add(t, "%s\"", over ? "a" : "");
        }
        add(t, "], \"rulesets\": [" PLAIN_RULESET "]}");
}

static void object_of_keys(Text *t, unsigned n) {
        add(t, "{");
        for (unsigned k = 0; k < n; k++)
                add(t, "%s\"key-%02u\": %u", k ? ", " : "", k, k);
        add(t, "}");
}

/* As many objects of POLICY_MAX_KEYS keys as fit, under a key the policy does not know (so every
 * check that walks the whole tree runs before the refusal). */
static void keys_case(Text *t, bool over) {
        add(t, "{\"rulesets\": [" PLAIN_RULESET "], \"x\": [");
        if (over)
                object_of_keys(t, POLICY_MAX_KEYS + 1);
        else
                for (unsigned i = 0; t->len < POLICY_MAX_BYTES - 1024; i++) {
                        add(t, "%s", i ? ", " : "");
                        object_of_keys(t, POLICY_MAX_KEYS);
                }
        add(t, "]}");
}

/* Arrays nested JSON_MAX_DEPTH deep (the top object is the first level), as many as fit. */
static void depth_case(Text *t, bool over) {
        unsigned inner = JSON_MAX_DEPTH - 2 + over; /* below the top object and the array of "x" */

        add(t, "{\"rulesets\": [" PLAIN_RULESET "], \"x\": [");
        for (unsigned i = 0; i == 0 || (!over && t->len < POLICY_MAX_BYTES - 1024); i++) {
                add(t, "%s", i ? ", " : "");
                add_repeat(t, "[", inner);
                add_repeat(t, "]", inner);
        }
        add(t, "]}");
}

static const struct {
        const char *name, *limit;
        void (*build)(Text *t, bool over);
        bool valid;
} cases[_WORST_CASE_MAX] = {
        [WORST_BYTES]         = { "bytes",         "POLICY_MAX_BYTES",    bytes_case,         true },
        [WORST_RULESETS]      = { "rulesets",      "POLICY_MAX_RULESETS", rulesets_case,      true },
        [WORST_KILL_LIST]     = { "kill-list",     "POLICY_MAX_KILL_LIST", kill_list_case,    true },
        [WORST_PATTERNS]      = { "patterns",      "POLICY_MAX_PATTERNS", patterns_case,      true },
        [WORST_LONG_PATTERNS] = { "long-patterns", "PATTERN_MAX_BYTES",   long_patterns_case, true },
        [WORST_KEYS]          = { "keys",          "POLICY_MAX_KEYS",     keys_case,          false },
        [WORST_DEPTH]         = { "depth",         "JSON_MAX_DEPTH",      depth_case,         false },
};

const char *worst_case_name(WorstCase c) {
        return cases[c].name;
}

const char *worst_case_limit(WorstCase c) {
        return cases[c].limit;
}

bool worst_case_valid(WorstCase c) {
        return cases[c].valid;
}

char *worst_case_policy(WorstCase c, bool over) {
        Text t = {};

        cases[c].build(&t, over);
        return t.s;
}
