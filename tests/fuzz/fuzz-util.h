/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the libFuzzer harnesses share. fuzz-util.c holds libFuzzer's entry points: it silences the
 * daemon's log and hands each input to the harness's fuzz_text() as a NUL-terminated copy, the
 * form every parser here takes. An input may hold NUL bytes; size counts them.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/* Defined by each harness: runs the code under test on one input; text[size] is NUL. */
void fuzz_text(const char *text, size_t size);

/* An invariant of the code under test. When it fails, the harness aborts: libFuzzer reports a crash
 * and saves the input. */
#define fuzz_assert(expr)                                                                          \
        do {                                                                                       \
                if (!(expr)) {                                                                     \
                        fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #expr); \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

/* Checks what a parser that explains its rejections returned: 0 and no reason, or -EINVAL or
 * -ERANGE and a reason. True when it accepted the text. */
static inline bool fuzz_explained(int r, const char *reason) {
        if (r == 0)
                fuzz_assert(!reason);
        else
                fuzz_assert((r == -EINVAL || r == -ERANGE) && reason && reason[0]);
        return r == 0;
}
