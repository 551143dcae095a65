/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /proc/meminfo ("MemTotal:       24682416 kB") and /proc/vmstat ("pgscan_kswapd 0").
 * Every line must have the file's shape, so garbage or a file cut mid-line is caught; keys we do
 * not use are skipped, whatever the kernel adds next. /proc/meminfo is read up to the last key we
 * use (Shmem, about the 23rd of 55 lines): the quiet daemon parses it several times a second.
 */

#include <errno.h>
#include <string.h>

#include "read/fileio.h"
#include "policy/macro.h"
#include "read/meminfo.h"

typedef struct MemInfoKey {
        const char *name;
        size_t offset;
        unsigned bit;
} MemInfoKey;

enum {
        HAVE_MEM_TOTAL = 1u << 0,
        HAVE_MEM_AVAILABLE = 1u << 1,
};

static const MemInfoKey meminfo_keys[] = {
        { "MemTotal",     offsetof(MemInfo, mem_total),     HAVE_MEM_TOTAL },
        { "MemFree",      offsetof(MemInfo, mem_free),      0 },
        { "MemAvailable", offsetof(MemInfo, mem_available), HAVE_MEM_AVAILABLE },
        { "Buffers",      offsetof(MemInfo, buffers),       0 },
        { "Cached",       offsetof(MemInfo, cached),        0 },
        { "SwapTotal",    offsetof(MemInfo, swap_total),    0 },
        { "SwapFree",     offsetof(MemInfo, swap_free),     0 },
        { "Shmem",        offsetof(MemInfo, shmem),         0 },
};

int meminfo_parse_explain(const char *text, MemInfo *ret, const char **reason) {
        MemInfo m = {};
        unsigned have = 0;
        uint32_t found = 0; /* bit i: meminfo_keys[i] was read */

        if (reason)
                *reason = NULL;
        if (!text || !ret)
                return explain(reason, "no text", -EINVAL);

        for (const char *p = text; p; p = next_line(p)) {
                const char *colon = p + strcspn(p, ": \n");
                const MemInfoKey *key = NULL;
                int r;

                if (at_line_end(p))
                        continue;
                if (*colon != ':' || colon == p)
                        return explain(reason, "a line is not \"Key: value\" (garbage, or the file was cut mid-line)", -EINVAL);

                for (size_t i = 0; i < ELEMENTSOF(meminfo_keys) && !key; i++)
                        if (!(found & (UINT32_C(1) << i)) && token_is(p, colon - p, meminfo_keys[i].name))
                                key = &meminfo_keys[i];
                if (!key)
                        continue;

                /* every key we use is in kB; a missing unit means the line was cut */
                r = scan_line_value(colon + 1, /* kib= */ true, (uint64_t *) ((char *) &m + key->offset), reason);
                if (r < 0)
                        return r;
                have |= key->bit;
                found |= UINT32_C(1) << (key - meminfo_keys);
                if (found == (UINT32_C(1) << ELEMENTSOF(meminfo_keys)) - 1)
                        break;
        }

        if (!(have & HAVE_MEM_TOTAL))
                return explain(reason, "MemTotal is missing", -EINVAL);
        if (!(have & HAVE_MEM_AVAILABLE))
                return explain(reason, "MemAvailable is missing: pressured needs Linux 3.14 or newer, which computes it", -EINVAL);
        m.valid = true;
        *ret = m;
        return 0;
}

int meminfo_parse(const char *text, MemInfo *ret) {
        return meminfo_parse_explain(text, ret, NULL);
}

typedef enum VmStatSum { SUM_PGSCAN, SUM_PGSTEAL, SUM_PSWPIN, SUM_PSWPOUT } VmStatSum;

/* pgscan_khugepaged and pgsteal_khugepaged exist since 5.7; before that they are simply absent.
 * pgscan_proactive (memory.reclaim, 6.x) is left out: it is asked for, not a sign of pressure.
 * The per-zone names of kernels before 4.8 are not read: PSI needs 4.20 anyway. */
static const struct {
        const char *name;
        VmStatSum sum;
} vmstat_keys[] = {
        { "pgscan_kswapd",      SUM_PGSCAN },
        { "pgscan_direct",      SUM_PGSCAN },
        { "pgscan_khugepaged",  SUM_PGSCAN },
        { "pgsteal_kswapd",     SUM_PGSTEAL },
        { "pgsteal_direct",     SUM_PGSTEAL },
        { "pgsteal_khugepaged", SUM_PGSTEAL },
        { "pswpin",             SUM_PSWPIN },
        { "pswpout",            SUM_PSWPOUT },
};

int vmstat_parse_explain(const char *text, VmStat *ret, const char **reason) {
        uint64_t sums[4] = {};
        bool any = false;

        if (reason)
                *reason = NULL;
        if (!text || !ret)
                return explain(reason, "no text", -EINVAL);

        for (const char *p = text; p; p = next_line(p)) {
                const char *end = p + strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
                uint64_t v;
                int r;

                if (at_line_end(p))
                        continue;
                if (end == p || *end != ' ')
                        return explain(reason, "a line is not \"name value\"", -EINVAL);

                /* every line must carry a number, so a cut or garbled file does not pass */
                r = scan_line_value(end, /* kib= */ false, &v, reason);
                if (r < 0)
                        return r;

                for (size_t i = 0; i < ELEMENTSOF(vmstat_keys); i++)
                        if (token_is(p, end - p, vmstat_keys[i].name)) {
                                if (__builtin_add_overflow(sums[vmstat_keys[i].sum], v, &sums[vmstat_keys[i].sum]))
                                        return explain(reason, "the sum of the pgscan or pgsteal counters overflows 64 bits", -ERANGE);
                                any = true;
                                break;
                        }
        }

        if (!any)
                return explain(reason, "none of pgscan_*, pgsteal_*, pswpin, pswpout is present", -EINVAL);
        *ret = (VmStat) {
                .pgscan = sums[SUM_PGSCAN],
                .pgsteal = sums[SUM_PGSTEAL],
                .pswpin = sums[SUM_PSWPIN],
                .pswpout = sums[SUM_PSWPOUT],
                .valid = true,
        };
        return 0;
}

int vmstat_parse(const char *text, VmStat *ret) {
        return vmstat_parse_explain(text, ret, NULL);
}
