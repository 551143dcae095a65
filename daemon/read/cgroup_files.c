/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parsers for the cgroup2 interface files the monitor reads: single values (memory.current,
 * memory.max: a number or "max"), cgroup.events ("populated 1\nfrozen 0"), cgroup.stat and memory.stat
 * ("anon 1234\nfile 5678\n..."). PSI files are psi.c's.
 */

#include <errno.h>
#include <string.h>

#include "read/fileio.h"
#include "policy/macro.h"
#include "read/cgroup_files.h"

int cgroup_value_parse(const char *text, uint64_t *ret) {
        const char *p;
        uint64_t v;
        int r;

        if (!text || !ret)
                return -EINVAL;

        p = skip_blanks(text);
        if (strncmp(p, "max", 3) == 0) {
                v = UINT64_MAX;
                p += 3;
        } else {
                r = scan_u64(&p, &v);
                if (r < 0)
                        return r;
        }
        /* one value, one line */
        if (!at_line_end(p) || (next_line(p) && !at_line_end(next_line(p))))
                return -EINVAL;
        *ret = v;
        return 0;
}

/* Scans "key value" lines, storing the value of each key in keys[] (a repeated key is an error).
 * Every line must have that shape, so garbage and a cut line are caught. */
static int keyed_parse(const char *text, const char *const *keys, size_t n_keys, uint64_t *values, bool *seen) {
        if (!text)
                return -EINVAL;

        for (const char *p = text; p; p = next_line(p)) {
                const char *end = p + strcspn(p, " \t\n");
                uint64_t v;
                int r;

                if (at_line_end(p))
                        continue;
                if (end == p || (*end != ' ' && *end != '\t'))
                        return -EINVAL;
                r = scan_line_value(end, /* kib= */ false, &v, NULL);
                if (r < 0)
                        return r;

                for (size_t i = 0; i < n_keys; i++)
                        if (token_is(p, end - p, keys[i])) {
                                if (seen[i])
                                        return -EINVAL;
                                values[i] = v;
                                seen[i] = true;
                                break;
                        }
        }
        return 0;
}

int cgroup_events_parse(const char *text, bool *populated) {
        static const char *const keys[] = { "populated" };
        uint64_t v[1] = {};
        bool seen[1] = {};
        int r;

        if (!populated)
                return -EINVAL;
        r = keyed_parse(text, keys, 1, v, seen);
        if (r < 0)
                return r;
        if (!seen[0] || v[0] > 1)
                return -EINVAL;
        *populated = v[0];
        return 0;
}

int cgroup_stat_parse_descendants(const char *text, uint64_t *ret) {
        static const char *const keys[] = { "nr_descendants" };
        uint64_t v[1] = {};
        bool seen[1] = {};
        int r;

        if (!ret)
                return -EINVAL;
        r = keyed_parse(text, keys, 1, v, seen);
        if (r < 0)
                return r;
        if (!seen[0])
                return -EINVAL;
        *ret = v[0];
        return 0;
}

int memory_stat_parse(const char *text, uint64_t *anon, uint64_t *file, uint64_t *pgscan) {
        /* "pgscan" is the total; where a kernel lists only the per-source counters, add those up */
        enum { ANON, FILE_, PGSCAN, PGSCAN_KSWAPD, PGSCAN_DIRECT, PGSCAN_KHUGEPAGED, _N };
        static const char *const keys[_N] = { "anon", "file", "pgscan", "pgscan_kswapd", "pgscan_direct", "pgscan_khugepaged" };
        uint64_t v[_N] = {}, scan;
        bool seen[_N] = {};
        int r;

        r = keyed_parse(text, keys, _N, v, seen);
        if (r < 0)
                return r;
        if (!seen[ANON] || !seen[FILE_])
                return -EINVAL;

        if (seen[PGSCAN])
                scan = v[PGSCAN];
        else if (__builtin_add_overflow(v[PGSCAN_KSWAPD], v[PGSCAN_DIRECT], &scan) ||
                 __builtin_add_overflow(scan, v[PGSCAN_KHUGEPAGED], &scan))
                return -ERANGE;

        if (anon)
                *anon = v[ANON];
        if (file)
                *file = v[FILE_];
        if (pgscan)
                *pgscan = scan;
        return 0;
}
