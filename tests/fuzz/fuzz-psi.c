/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PSI files: /proc/pressure/{memory,io} and a cgroup's memory.pressure and io.pressure, all read by
 * psi_parse_explain(). Accepted text gives averages within 0..100 and a "some" line; rejected text
 * says why.
 */

#include "fuzz-util.h"
#include "daemon/read/psi.h"

static void check_line(const PsiLine *l) {
        if (!l->valid)
                return;
        fuzz_assert(l->avg10 >= 0 && l->avg10 <= 100);
        fuzz_assert(l->avg60 >= 0 && l->avg60 <= 100);
        fuzz_assert(l->avg300 >= 0 && l->avg300 <= 100);
}

void fuzz_text(const char *text, size_t size) {
        const char *reason = "unset";
        PsiStats s;

        if (!fuzz_explained(psi_parse_explain(text, &s, &reason), reason))
                return;
        fuzz_assert(s.some.valid);
        check_line(&s.some);
        check_line(&s.full);
}
