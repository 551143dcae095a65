/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /proc/vmstat, read by vmstat_parse_explain(): every line "name value", the pgscan and pgsteal
 * counters summed without overflow. Rejected text says why.
 */

#include "fuzz-util.h"
#include "daemon/read/meminfo.h"

void fuzz_text(const char *text, size_t size) {
        const char *reason = "unset";
        VmStat v;

        if (fuzz_explained(vmstat_parse_explain(text, &v, &reason), reason))
                fuzz_assert(v.valid);
}
