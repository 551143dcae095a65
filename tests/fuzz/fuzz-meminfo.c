/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /proc/meminfo, read by meminfo_parse_explain(). Accepted text has MemTotal and MemAvailable, and
 * every figure is whole kB turned into bytes; rejected text says why.
 */

#include "fuzz-util.h"
#include "daemon/read/meminfo.h"

void fuzz_text(const char *text, size_t size) {
        const char *reason = "unset";
        MemInfo m;

        if (!fuzz_explained(meminfo_parse_explain(text, &m, &reason), reason))
                return;
        fuzz_assert(m.valid);
        const uint64_t figures[] = { m.mem_total, m.mem_free, m.mem_available, m.swap_total, m.swap_free,
                                     m.cached, m.buffers, m.shmem };
        for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++)
                fuzz_assert(figures[i] % 1024 == 0);
}
