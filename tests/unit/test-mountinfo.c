/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/read/cgroup_files.h"
#include "daemon/read/fileio.h"
#include "daemon/read/mountinfo.h"

static char fixture[65536];

static const char *load(const char *name) {
        char path[512];

        snprintf(path, sizeof path, FIXTURES_DIR "/mountinfo/%s", name);
        cr_assert_gt(read_file_at(AT_FDCWD, path, fixture, sizeof fixture), 0, "cannot read %s", path);
        return fixture;
}

static void assert_mount(const char *text, const char *expected) {
        char *where = NULL;

        cr_assert_eq(mountinfo_find_cgroup2(text, &where), 0);
        cr_assert_str_eq(where, expected);
        free(where);
}

Test(mountinfo, hybrid) {
        assert_mount(load("hybrid"), "/sys/fs/cgroup/unified");
}

Test(mountinfo, pure_v2) {
        assert_mount(load("pure-v2"), "/sys/fs/cgroup");
}

Test(mountinfo, v1_only_is_enoent) {
        char *where = NULL;

        cr_assert_eq(mountinfo_find_cgroup2(load("v1-only"), &where), -ENOENT);
        cr_assert_null(where);
}

Test(mountinfo, octal_escapes_decoded) {
        assert_mount(load("escaped"), "/run/my cgroup\tdir\\x");
}

Test(mountinfo, prefers_the_whole_hierarchy) {
        /* the first cgroup2 line binds a sub-cgroup; the first with root "/" wins */
        assert_mount(load("several"), "/mnt/cgroup2");
}

Test(mountinfo, sub_cgroup_bind_when_alone) {
        assert_mount("700 600 0:23 /docker/abc /sys/fs/cgroup rw shared:8 - cgroup2 cgroup2 rw\n", "/sys/fs/cgroup");
}

Test(mountinfo, fstype_is_after_the_separator) {
        /* "cgroup2" as a source or an optional field does not make a cgroup2 mount */
        char *where = NULL;

        cr_assert_eq(mountinfo_find_cgroup2("30 1 0:5 / /x rw cgroup2 - tmpfs cgroup2 rw\n", &where), -ENOENT);
        assert_mount("30 1 0:5 / /x rw cgroup2 - tmpfs cgroup2 rw\n31 1 0:6 / /y rw - cgroup2 none rw", "/y");
}

Test(mountinfo, rejects_malformed) {
        static const char *const bad[] = {
                /* truncated lines */
                "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2",
                "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime -",
                "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime",
                "41 31 0:38 / /sys/fs/cgr",
                "41 31",
                /* no separator */
                "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:5 cgroup2 cgroup2 rw\n",
                /* bad escapes */
                "41 31 0:38 / /sys/fs/cg\\04 rw - cgroup2 cgroup2 rw\n",
                "41 31 0:38 / /sys/fs/cg\\999 rw - cgroup2 cgroup2 rw\n",
                "41 31 0:38 / /sys/fs/cg\\000x rw - cgroup2 cgroup2 rw\n",
                /* a relative mount point */
                "41 31 0:38 / sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
                /* garbage before a good line */
                "garbage\n41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n",
        };

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                char *where = NULL;
                cr_assert_eq(mountinfo_find_cgroup2(bad[i], &where), -EINVAL, "case %zu: \"%s\"", i, bad[i]);
                cr_assert_null(where);
        }
}

Test(mountinfo, empty_is_enoent) {
        char *where = NULL;

        cr_assert_eq(mountinfo_find_cgroup2("", &where), -ENOENT);
        cr_assert_eq(mountinfo_find_cgroup2("\n\n", &where), -ENOENT);
        cr_assert_eq(mountinfo_find_cgroup2(NULL, &where), -EINVAL);
}

Test(cgroup2_find_mount, fixture_proc_root) {
        char *where = NULL;

        cr_assert_eq(cgroup2_find_mount(FIXTURES_DIR "/proc-basic", &where), 0);
        cr_assert_str_eq(where, "/sys/fs/cgroup/unified");
        free(where);
        cr_assert_eq(cgroup2_find_mount("/nonexistent-proc-root", &where), -ENOENT);
}

Test(cgroup2_find_mount, real_proc) {
        char *where = NULL, path[4096];
        int r;

        r = cgroup2_find_mount("/proc", &where);
        if (r == -ENOENT)
                cr_skip_test("this host has no cgroup2 mount (v1 only)");
        cr_assert_eq(r, 0);
        cr_assert_eq(where[0], '/');
        snprintf(path, sizeof path, "%s/cgroup.controllers", where);
        cr_assert_eq(access(path, R_OK), 0, "%s is not a cgroup2 root", path);
        free(where);
}

/* The cgroup interface file parsers. */

Test(cgroup_value_parse, numbers_and_max) {
        uint64_t v;

        cr_assert_eq(cgroup_value_parse("0\n", &v), 0);
        cr_assert_eq(v, 0);
        cr_assert_eq(cgroup_value_parse("123456789\n", &v), 0);
        cr_assert_eq(v, 123456789);
        cr_assert_eq(cgroup_value_parse("18446744073709551615", &v), 0);
        cr_assert_eq(v, UINT64_MAX);
        cr_assert_eq(cgroup_value_parse("max\n", &v), 0);
        cr_assert_eq(v, UINT64_MAX);
        cr_assert_eq(cgroup_value_parse("42 \r\n", &v), 0);
        cr_assert_eq(v, 42);
}

Test(cgroup_value_parse, rejects_malformed) {
        static const struct { const char *text; int error; } bad[] = {
                { "", -EINVAL },
                { "\n", -EINVAL },
                { "maximum\n", -EINVAL },
                { "ma", -EINVAL },
                { "-1\n", -EINVAL },
                { "12k\n", -EINVAL },
                { "1 2\n", -EINVAL },
                { "1\n2\n", -EINVAL },
                { "abc", -EINVAL },
                { "18446744073709551616\n", -ERANGE },
        };
        uint64_t v = 7;

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                cr_assert_eq(cgroup_value_parse(bad[i].text, &v), bad[i].error, "case %zu: \"%s\"", i, bad[i].text);
        cr_assert_eq(v, 7, "a failed parse must not touch the result");
}

Test(cgroup_events_parse, populated) {
        bool p = false;

        cr_assert_eq(cgroup_events_parse("populated 1\nfrozen 0\n", &p), 0);
        cr_assert(p);
        cr_assert_eq(cgroup_events_parse("frozen 1\npopulated 0", &p), 0);
        cr_assert(!p);
}

Test(cgroup_events_parse, rejects_malformed) {
        static const char *const bad[] = {
                "", "frozen 0\n", "populated\n", "populated 2\n", "populated yes\n",
                "populated 1\npopulated 0\n", "populated 1\nfroz", "garbage\n", "populated -1\n",
        };
        bool p;

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                cr_assert_lt(cgroup_events_parse(bad[i], &p), 0, "case %zu: \"%s\"", i, bad[i]);
}

Test(memory_stat_parse, pgscan_total_preferred) {
        uint64_t anon, file, pgscan;

        cr_assert_eq(memory_stat_parse("anon 1000\nfile 2000\nkernel 5\npgscan 77\npgscan_kswapd 1\npgscan_direct 2\n",
                                       &anon, &file, &pgscan), 0);
        cr_assert_eq(anon, 1000);
        cr_assert_eq(file, 2000);
        cr_assert_eq(pgscan, 77);
}

Test(memory_stat_parse, per_source_summed_or_zero) {
        uint64_t anon, file, pgscan;

        cr_assert_eq(memory_stat_parse("anon 1\nfile 2\npgscan_kswapd 10\npgscan_direct 20\npgscan_khugepaged 3\n",
                                       &anon, &file, &pgscan), 0);
        cr_assert_eq(pgscan, 33);
        cr_assert_eq(memory_stat_parse("anon 1\nfile 2\n", &anon, &file, &pgscan), 0);
        cr_assert_eq(pgscan, 0);
        /* NULL outputs are allowed */
        cr_assert_eq(memory_stat_parse("anon 1\nfile 2\n", NULL, NULL, NULL), 0);
}

Test(memory_stat_parse, rejects_malformed) {
        static const char *const bad[] = {
                "",
                "anon 1\n",                       /* file missing */
                "file 1\n",                       /* anon missing */
                "anon 1\nfile",                   /* truncated */
                "anon 1\nfile 2\npgscan 1",       /* fine: see below */
                "anon x\nfile 2\n",
                "anon 1\nfile 2\npgscan -1\n",
                "anon 1\nanon 2\nfile 2\n",
                "anon 18446744073709551616\nfile 2\n",
                "anon 1\nfile 2\npgscan_kswapd 18446744073709551615\npgscan_direct 1\n",
                "<html>\n",
        };
        uint64_t a, f, p;

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                if (i == 4) {
                        /* a last line without its newline is complete if it parses */
                        cr_assert_eq(memory_stat_parse(bad[i], &a, &f, &p), 0);
                        continue;
                }
                cr_assert_lt(memory_stat_parse(bad[i], &a, &f, &p), 0, "case %zu: \"%s\"", i, bad[i]);
        }
}
