/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Drop-ins merged over a main document, as policy_load() hands them to policy_parse_merged(). The
 * input holds the documents separated by NUL bytes: the main one first (empty: none, so the
 * embedded default applies), then the drop-ins. A merged policy passes the checks of
 * fuzz-policy-check.c, and an empty drop-in ("{}") on top changes nothing.
 */

#include <string.h>

#include "fuzz-policy-check.h"
#include "fuzz-util.h"
#include "macro.h"

#define DOCUMENTS_MAX 8

static const char *const sources[DOCUMENTS_MAX + 1] = {
        "policy.json", "10-a.json", "20-b.json", "30-c.json", "40-d.json", "50-e.json", "60-f.json", "70-g.json",
        "99-empty.json",
};

/* Splits the input at NUL bytes into texts[]; returns how many. */
static size_t split_documents(const char *text, size_t size, const char *texts[static DOCUMENTS_MAX]) {
        const char *end = text + size;
        size_t n = 0;

        for (const char *p = text; n < DOCUMENTS_MAX; p += strlen(p) + 1) {
                texts[n++] = p;
                if (p + strlen(p) >= end)
                        break;
        }
        if (!texts[0][0])
                texts[0] = NULL; /* no main file */
        return n;
}

void fuzz_text(const char *text, size_t size) {
        const char *texts[DOCUMENTS_MAX + 1];
        Policy *p = NULL, *q = NULL;
        PolicyError err = {};
        size_t n;
        int r;

        n = split_documents(text, size, texts);
        r = policy_parse_merged(texts, sources, n, &p, &err);
        if (r < 0) {
                fuzz_check_policy_error(r, p, &err);
                return;
        }
        fuzz_check_policy(p);

        texts[n] = "{}";
        r = policy_parse_merged(texts, sources, n + 1, &q, &err);
        fuzz_assert(r == 0);
        char *a = policy_to_json(p), *b = policy_to_json(q);
        fuzz_assert(a && b && streq(a, b));
        free(a);
        free(b);
        policy_free(q);
        policy_free(p);
}
