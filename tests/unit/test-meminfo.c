/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "daemon/read/fileio.h"
#include "daemon/read/meminfo.h"

static const char meminfo_ok[] =
        "MemTotal:        8000000 kB\n"
        "MemFree:         1000000 kB\n"
        "MemAvailable:    3000000 kB\n"
        "Buffers:           20000 kB\n"
        "Cached:           500000 kB\n"
        "SwapCached:            0 kB\n"
        "Shmem:             40000 kB\n"
        "SwapTotal:       2000000 kB\n"
        "SwapFree:        1500000 kB\n"
        "HugePages_Total:       0\n"
        "Hugepagesize:       2048 kB\n";

Test(meminfo_parse, all_fields_in_bytes) {
        MemInfo m;

        cr_assert_eq(meminfo_parse(meminfo_ok, &m), 0);
        cr_assert(m.valid);
        cr_assert_eq(m.mem_total, UINT64_C(8000000) * 1024);
        cr_assert_eq(m.mem_free, UINT64_C(1000000) * 1024);
        cr_assert_eq(m.mem_available, UINT64_C(3000000) * 1024);
        cr_assert_eq(m.buffers, UINT64_C(20000) * 1024);
        cr_assert_eq(m.cached, UINT64_C(500000) * 1024);
        cr_assert_eq(m.shmem, UINT64_C(40000) * 1024);
        cr_assert_eq(m.swap_total, UINT64_C(2000000) * 1024);
        cr_assert_eq(m.swap_free, UINT64_C(1500000) * 1024);
}

Test(meminfo_parse, minimal_no_newline_crlf_blank_lines) {
        MemInfo m;

        cr_assert_eq(meminfo_parse("MemTotal: 4 kB\r\n\nMemAvailable:\t2 kB  ", &m), 0);
        cr_assert_eq(m.mem_total, 4096);
        cr_assert_eq(m.mem_available, 2048);
        cr_assert_eq(m.swap_total, 0);
        cr_assert_eq(m.swap_free, 0);
}

Test(meminfo_parse, largest_value) {
        MemInfo m;

        /* (2^64 - 1) / 1024 kB is the most that fits in bytes */
        cr_assert_eq(meminfo_parse("MemTotal: 18014398509481983 kB\nMemAvailable: 0 kB\n", &m), 0);
        cr_assert_eq(m.mem_total, UINT64_C(18014398509481983) * 1024);
}

Test(meminfo_parse, rejects_malformed) {
        static const struct { const char *text; int error; } bad[] = {
                { "", -EINVAL },
                { "\n\n", -EINVAL },
                /* missing keys */
                { "MemFree: 1 kB\nMemAvailable: 2 kB\n", -EINVAL },
                { "MemTotal: 1 kB\nMemFree: 1 kB\n", -EINVAL },
                /* truncated last line */
                { "MemTotal: 1 kB\nMemAvailable: 2", -EINVAL },
                { "MemTotal: 1 kB\nMemAvailable: 2 k", -EINVAL },
                { "MemTotal: 1 kB\nMemAvailable:", -EINVAL },
                { "MemTotal: 1 kB\nMemAvail", -EINVAL },
                /* non-numeric, negative */
                { "MemTotal: lots kB\nMemAvailable: 2 kB\n", -EINVAL },
                { "MemTotal: -1 kB\nMemAvailable: 2 kB\n", -EINVAL },
                { "MemTotal: 1x kB\nMemAvailable: 2 kB\n", -EINVAL },
                { "MemTotal: 1 MB\nMemAvailable: 2 kB\n", -EINVAL },
                { "MemTotal: 1 kB extra\nMemAvailable: 2 kB\n", -EINVAL },
                /* overflow: of the number, and of the number in bytes */
                { "MemTotal: 18446744073709551616 kB\nMemAvailable: 2 kB\n", -ERANGE },
                { "MemTotal: 18014398509481984 kB\nMemAvailable: 2 kB\n", -ERANGE },
                /* garbage */
                { "hello world\n", -EINVAL },
                { "\x7f\x45\x4c\x46\x02\x01", -EINVAL },
                { "MemTotal 1 kB\nMemAvailable: 2 kB\n", -EINVAL },
                { ": 1 kB\nMemTotal: 1 kB\nMemAvailable: 2 kB\n", -EINVAL },
        };

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                MemInfo m;
                cr_assert_eq(meminfo_parse(bad[i].text, &m), bad[i].error, "case %zu: \"%s\"", i, bad[i].text);
        }
        cr_assert_eq(meminfo_parse(NULL, &(MemInfo) {}), -EINVAL);
}

Test(meminfo_parse, unknown_keys_are_skipped_even_if_odd) {
        MemInfo m;

        /* a future key with an unknown shape after its colon must not break us */
        cr_assert_eq(meminfo_parse("MemTotal: 8 kB\nFutureThing: n/a\nMemAvailable: 4 kB\n", &m), 0);
        cr_assert_eq(m.mem_available, 4096);
}

static const char vmstat_ok[] =
        "nr_free_pages 250000\n"
        "pswpin 11\n"
        "pswpout 22\n"
        "pgsteal_kswapd 100\n"
        "pgsteal_direct 20\n"
        "pgsteal_khugepaged 3\n"
        "pgsteal_proactive 7\n"
        "pgscan_kswapd 1000\n"
        "pgscan_direct 200\n"
        "pgscan_khugepaged 30\n"
        "pgscan_proactive 4000\n"
        "pgscan_direct_throttle 5\n"
        "pgscan_anon 600\n"
        "pgscan_file 630\n";

Test(vmstat_parse, sums) {
        VmStat v;

        cr_assert_eq(vmstat_parse(vmstat_ok, &v), 0);
        cr_assert(v.valid);
        /* kswapd + direct + khugepaged; not proactive, throttle, or the anon/file split */
        cr_assert_eq(v.pgscan, 1230);
        cr_assert_eq(v.pgsteal, 123);
        cr_assert_eq(v.pswpin, 11);
        cr_assert_eq(v.pswpout, 22);
}

Test(vmstat_parse, missing_counters_are_zero) {
        VmStat v;

        /* a kernel before 5.7 has no khugepaged counters; no swap compiled in: no pswp */
        cr_assert_eq(vmstat_parse("nr_free_pages 1\npgscan_kswapd 5\npgscan_direct 6", &v), 0);
        cr_assert_eq(v.pgscan, 11);
        cr_assert_eq(v.pgsteal, 0);
        cr_assert_eq(v.pswpin, 0);
        cr_assert_eq(v.pswpout, 0);
}

Test(vmstat_parse, rejects_malformed) {
        static const struct { const char *text; int error; } bad[] = {
                { "", -EINVAL },
                /* no known key at all */
                { "nr_free_pages 1\nnr_dirty 2\n", -EINVAL },
                /* truncated last line */
                { "pgscan_kswapd 5\npgscan_direct ", -EINVAL },
                { "pgscan_kswapd 5\npgscan_dir", -EINVAL },
                /* non-numeric, negative, trailing garbage */
                { "pgscan_kswapd five\n", -EINVAL },
                { "pgscan_kswapd -5\n", -EINVAL },
                { "pgscan_kswapd 5 6\n", -EINVAL },
                { "pgscan_kswapd 5x\n", -EINVAL },
                /* overflow of one counter and of the sum */
                { "pgscan_kswapd 18446744073709551616\n", -ERANGE },
                { "pgscan_kswapd 18446744073709551615\npgscan_direct 1\n", -ERANGE },
                /* garbage */
                { "Hello, World\n", -EINVAL },
                { "pgscan_kswapd:5\n", -EINVAL },
                { "\x01\x02", -EINVAL },
        };

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                VmStat v;
                cr_assert_eq(vmstat_parse(bad[i].text, &v), bad[i].error, "case %zu: \"%s\"", i, bad[i].text);
        }
}

Test(meminfo_parse, real_proc) {
        char buf[16384];
        MemInfo m;
        VmStat v;

        cr_assert_gt(read_file_at(AT_FDCWD, "/proc/meminfo", buf, sizeof buf), 0);
        cr_assert_eq(meminfo_parse(buf, &m), 0);
        cr_assert_eq(m.mem_total % 1024, 0); /* kB converted to bytes */
        cr_assert_gt(m.mem_total, 0);
        cr_assert_leq(m.mem_available, m.mem_total);
        cr_assert_leq(m.swap_free, m.swap_total);

        cr_assert_gt(read_file_at(AT_FDCWD, "/proc/vmstat", buf, sizeof buf), 0);
        cr_assert_eq(vmstat_parse(buf, &v), 0);
        cr_assert(v.valid);
}

/* The quiet daemon parses /proc/meminfo several times a second, so parsing stops at the last key it
 * uses: what follows (here a line cut short, which the parser rejects where it must read) is not
 * looked at. The same cut before the last key is still an error. */
Test(meminfo_parse, stops_after_the_last_key_it_uses) {
        MemInfo m;

        cr_assert_eq(meminfo_parse("MemTotal: 8 kB\nMemFree: 1 kB\nMemAvailable: 4 kB\nBuffers: 1 kB\nCached: 1 kB\n"
                                   "SwapTotal: 2 kB\nSwapFree: 2 kB\nShmem: 1 kB\nHugePages_Total garbage", &m), 0);
        cr_assert_eq(m.mem_available, 4096);
        cr_assert_eq(m.shmem, 1024);
        cr_assert_eq(meminfo_parse("MemTotal: 8 kB\nMemFree: 1 kB\nMemAvailable: 4 kB\nBuffers: 1 kB\nCached: 1 kB\n"
                                   "SwapTotal: 2 kB\nHugePages_Total garbage\nSwapFree: 2 kB\nShmem: 1 kB\n", &m), -EINVAL);
}
