/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One policy document, as policy_parse() reads the main file: accepted or rejected with a message,
 * and what it accepts survives policy_to_json() (fuzz-policy-check.c).
 */

#include "fuzz-policy-check.h"
#include "fuzz-util.h"

void fuzz_text(const char *text, size_t size) {
        Policy *p = NULL;
        PolicyError err = {};
        int r;

        r = policy_parse(text, "fuzz.json", &p, &err);
        if (r < 0) {
                fuzz_check_policy_error(r, p, &err);
                return;
        }
        fuzz_check_policy(p);
        policy_free(p);
}
