/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The limits of policy_limits.h: a policy at each of them is checked quickly (the costliest
 * documents the parser can be given, since a longer or fuller one is refused), and a policy one past
 * each is refused with a message that names the limit.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "policy-worst-case.h"
#include "policy.h"

/* Each case takes well under a second on the plain build (README "Limits"); five leaves room for
 * sanitizers, and still fails on a return of the quadratic checks. Counted in CPU time, which
 * other work on a shared machine does not stretch. */
#define WORST_CASE_MAX_SECONDS 5.0

static double now_seconds(void) {
        struct timespec ts;

        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Parses the texts as the daemon loads a policy: merged, then the sample plan built. */
static int load(const char *const *texts, size_t n, PolicyError *err, double *ret_seconds) {
        double start = now_seconds();
        SampleNeeds needs = {};
        Policy *p = NULL;
        int r = policy_parse_merged(texts, NULL, n, &p, err);

        if (r >= 0) {
                cr_assert_eq(policy_needs(p, false, &needs), 0);
                sample_needs_clear(&needs);
        }
        *ret_seconds = now_seconds() - start;
        policy_free(p);
        return r;
}

static void at_limit(WorstCase c) {
        char *text = worst_case_policy(c, false);
        const char *texts[] = { text };
        PolicyError err = {};
        double seconds;
        int r;

        cr_assert_leq(strlen(text), POLICY_MAX_BYTES, "the %s case is %zu bytes", worst_case_name(c), strlen(text));
        r = load(texts, 1, &err, &seconds);
        if (worst_case_valid(c))
                cr_assert_eq(r, 0, "%s: %s: %s", worst_case_name(c), err.path, err.message);
        else
                cr_assert(r == -EINVAL && strstr(err.message, "unknown key \"x\""), "%s: %s: %s", worst_case_name(c), err.path,
                          err.message);
        cr_log_info("%s at the limit: %zu bytes checked in %.3f s", worst_case_name(c), strlen(text), seconds);
        cr_assert_lt(seconds, WORST_CASE_MAX_SECONDS, "%s: %.3f s", worst_case_name(c), seconds);
        free(text);
}

static void over_limit(WorstCase c) {
        char *text = worst_case_policy(c, true);
        Policy *p = NULL;
        PolicyError err = {};
        int r = policy_parse(text, "over.json", &p, &err);

        cr_assert_eq(r, -EINVAL, "%s: one past the limit was accepted", worst_case_name(c));
        cr_assert(strstr(err.message, worst_case_limit(c)) && strstr(err.message, "limit"),
                  "%s: the message does not name %s: %s: %s", worst_case_name(c), worst_case_limit(c), err.path, err.message);
        free(text);
}

#define LIMIT_TESTS(name, c)                            \
        Test(policy_limits, name##_at_the_limit) {      \
                at_limit(c);                            \
        }                                               \
        Test(policy_limits, name##_past_the_limit) {    \
                over_limit(c);                          \
        }

LIMIT_TESTS(bytes, WORST_BYTES)
LIMIT_TESTS(rulesets, WORST_RULESETS)
LIMIT_TESTS(kill_list, WORST_KILL_LIST)
LIMIT_TESTS(patterns, WORST_PATTERNS)
LIMIT_TESTS(long_patterns, WORST_LONG_PATTERNS)
LIMIT_TESTS(keys, WORST_KEYS)
LIMIT_TESTS(depth, WORST_DEPTH)

/* A policy of n plain rulesets named PREFIX0000, PREFIX0001... */
static char *rulesets_document(unsigned n, const char *prefix) {
        size_t size = (size_t) n * 160 + 64, len = 0;
        char *s = malloc(size);

        cr_assert_not_null(s);
        len += (size_t) snprintf(s + len, size - len, "{\"rulesets\": [");
        for (unsigned i = 0; i < n; i++)
                len += (size_t) snprintf(s + len, size - len,
                                         "%s{\"name\": \"%s%04u\", \"detectors\": [[{\"type\": \"memory_reclaim\"}]], "
                                         "\"actions\": [{\"type\": \"kill\"}]}", i ? ", " : "", prefix, i);
        snprintf(s + len, size - len, "]}");
        return s;
}

/* n copies of doc, in texts (room for POLICY_MAX_BYTES / 1024). */
static void copies(const char **texts, const char *doc, size_t n) {
        cr_assert_leq(n, POLICY_MAX_BYTES / 1024);
        for (size_t i = 0; i < n; i++)
                texts[i] = doc;
}

Test(policy_limits, drop_ins_that_replace_every_ruleset_merge_quickly) {
        /* as many documents as fit, each replacing every ruleset by name: the most lookups a merge can do */
        char *doc = rulesets_document(POLICY_MAX_RULESETS, "r");
        size_t n = POLICY_MAX_BYTES / strlen(doc);
        const char *texts[POLICY_MAX_BYTES / 1024];
        PolicyError err = {};
        double seconds;

        copies(texts, doc, n);
        cr_assert_eq(load(texts, n, &err, &seconds), 0, "%s: %s", err.path, err.message);
        cr_log_info("%zu documents of %u rulesets merged in %.3f s", n, POLICY_MAX_RULESETS, seconds);
        cr_assert_lt(seconds, WORST_CASE_MAX_SECONDS);
        free(doc);
}

Test(policy_limits, drop_ins_past_the_ruleset_limit_together_are_refused) {
        char *a = rulesets_document(POLICY_MAX_RULESETS / 2 + 1, "a"), *b = rulesets_document(POLICY_MAX_RULESETS / 2, "b");
        const char *texts[] = { a, b };
        Policy *p = NULL;
        PolicyError err = {};

        cr_assert_eq(policy_parse_merged(texts, (const char *[]) { "main.json", "drop-in.json" }, 2, &p, &err), -EINVAL);
        cr_assert_str_eq(err.path, "rulesets");
        cr_assert(strstr(err.message, "POLICY_MAX_RULESETS"), "%s", err.message);
        free(a);
        free(b);
}

Test(policy_limits, documents_past_the_byte_limit_together_are_refused) {
        char *doc = rulesets_document(POLICY_MAX_RULESETS, "r");
        size_t n = POLICY_MAX_BYTES / strlen(doc) + 1;
        const char *texts[POLICY_MAX_BYTES / 1024];
        char documents[32];
        Policy *p = NULL;
        PolicyError err = {};

        copies(texts, doc, n);
        cr_assert_eq(policy_parse_merged(texts, NULL, n, &p, &err), -EINVAL);
        snprintf(documents, sizeof documents, "%zu documents", n);
        cr_assert(strstr(err.message, "POLICY_MAX_BYTES") && strstr(err.message, documents), "%s", err.message);
        free(doc);
}

Test(policy_limits, duplicate_key_among_the_most_keys_is_found) {
        /* POLICY_MAX_KEYS keys, the last the same as one in the middle: found by name, not by position */
        char text[4096];
        size_t len = (size_t) snprintf(text, sizeof text, "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[{\"type\": \"memory_reclaim\"}]], "
                                       "\"actions\": [{\"type\": \"kill\"}]}], \"x\": {");
        Policy *p = NULL;
        PolicyError err = {};

        for (unsigned k = 0; k < POLICY_MAX_KEYS - 1; k++)
                len += (size_t) snprintf(text + len, sizeof text - len, "\"k%02u\": 0, ", k);
        snprintf(text + len, sizeof text - len, "\"k31\": 1}}");
        cr_assert_eq(policy_parse(text, NULL, &p, &err), -EINVAL);
        cr_assert_str_eq(err.path, "x.k31");
        cr_assert(strstr(err.message, "duplicate key \"k31\""), "%s", err.message);
}
