/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "fuzz-policy-check.h"
#include "fuzz-util.h"
#include "macro.h"

static void check_round_trip(const Policy *p) {
        Policy *again = NULL;
        PolicyError err = {};
        char *text, *text_again;
        int r;

        text = policy_to_json(p);
        fuzz_assert(text);
        r = policy_parse(text, "round trip", &again, &err);
        if (r < 0)
                fprintf(stderr, "policy_to_json() gave text its parser rejects: %s: %s\n%s\n", err.path, err.message, text);
        fuzz_assert(r == 0);
        text_again = policy_to_json(again);
        fuzz_assert(text_again);
        if (!streq(text, text_again))
                fprintf(stderr, "policy_to_json() is not stable:\n%s\n%s\n", text, text_again);
        fuzz_assert(streq(text, text_again));
        free(text);
        free(text_again);
        policy_free(again);
}

static void check_needs(const Policy *p, bool degraded) {
        SampleNeeds all = {}, detectors = {};

        fuzz_assert(policy_needs(p, degraded, &all) >= 0);
        fuzz_assert(policy_needs_detectors(p, degraded, &detectors) >= 0);
        fuzz_assert(detectors.cgroups.n <= all.cgroups.n);
        sample_needs_clear(&all);
        sample_needs_clear(&detectors);
}

void fuzz_check_policy(const Policy *p) {
        fuzz_assert(p);
        for (size_t i = 0; i < p->n_rulesets; i++)
                fuzz_assert(p->rulesets[i].name && p->rulesets[i].source);
        check_round_trip(p);
        check_needs(p, false);
        check_needs(p, true);
}

void fuzz_check_policy_error(int r, const Policy *p, const PolicyError *err) {
        fuzz_assert(r == -EINVAL);
        fuzz_assert(!p);
        fuzz_assert(err->message[0]);
        fuzz_assert(memchr(err->path, 0, sizeof err->path) && memchr(err->message, 0, sizeof err->message));
}
