/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oomctl's --since/--until times, as a pure function of the text, a fixed now and TZ=UTC.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "../../oomctl/timespec.h"

/* 2026-12-07 15:30:45 UTC */
#define NOW_SEC UINT64_C(1796657445)
#define NOW (NOW_SEC * USEC_PER_SEC)
#define DAY_SEC UINT64_C(86400)
/* 2026-12-07 00:00:00 UTC */
#define TODAY_SEC (NOW_SEC - 15 * 3600 - 30 * 60 - 45)

static void utc(void) {
        setenv("TZ", "UTC", 1);
        tzset();
}

TestSuite(timespec, .init = utc);

static usec_t parse_ok(const char *s) {
        usec_t t = 0;
        int r = parse_timespec(s, NOW, &t);
        cr_assert_eq(r, 0, "\"%s\" was refused (%d)", s, r);
        return t;
}

Test(timespec, fixed_now_is_what_the_constants_say) {
        time_t t = (time_t) NOW_SEC;
        struct tm tm;
        cr_assert(gmtime_r(&t, &tm));
        cr_assert_eq(tm.tm_year + 1900, 2026);
        cr_assert_eq(tm.tm_mon + 1, 12);
        cr_assert_eq(tm.tm_mday, 7);
        cr_assert_eq(tm.tm_hour, 15);
        cr_assert_eq(tm.tm_min, 30);
        cr_assert_eq(tm.tm_sec, 45);
}

Test(timespec, words) {
        cr_assert_eq(parse_ok("now"), NOW);
        cr_assert_eq(parse_ok("today"), TODAY_SEC * USEC_PER_SEC);
        cr_assert_eq(parse_ok("yesterday"), (TODAY_SEC - DAY_SEC) * USEC_PER_SEC);
        cr_assert_eq(parse_ok("tomorrow"), (TODAY_SEC + DAY_SEC) * USEC_PER_SEC);
        cr_assert_eq(parse_ok("Yesterday"), (TODAY_SEC - DAY_SEC) * USEC_PER_SEC);
}

Test(timespec, dates_and_clock_times) {
        /* 2026-12-06 10:00 UTC is yesterday's midnight plus ten hours */
        cr_assert_eq(parse_ok("2026-12-06 10:00"), (TODAY_SEC - DAY_SEC + 10 * 3600) * USEC_PER_SEC);
        cr_assert_eq(parse_ok("2026-12-06 10:00:30"), (TODAY_SEC - DAY_SEC + 10 * 3600 + 30) * USEC_PER_SEC);
        cr_assert_eq(parse_ok("2026-12-06"), (TODAY_SEC - DAY_SEC) * USEC_PER_SEC);
        cr_assert_eq(parse_ok("2026-12-06T10:00"), (TODAY_SEC - DAY_SEC + 10 * 3600) * USEC_PER_SEC);
        cr_assert_eq(parse_ok("08:15"), (TODAY_SEC + 8 * 3600 + 15 * 60) * USEC_PER_SEC);
        cr_assert_eq(parse_ok("2027-01-01 00:00"), (TODAY_SEC + 25 * DAY_SEC) * USEC_PER_SEC);
}

Test(timespec, local_time_is_local) {
        /* In a zone one hour east of UTC, 10:00 local is 09:00 UTC. */
        setenv("TZ", "UTC-1", 1);
        tzset();
        cr_assert_eq(parse_ok("2026-12-06 10:00"), (TODAY_SEC - DAY_SEC + 9 * 3600) * USEC_PER_SEC);
}

Test(timespec, relative) {
        cr_assert_eq(parse_ok("-1d"), NOW - DAY_SEC * USEC_PER_SEC);
        cr_assert_eq(parse_ok("-10m"), NOW - 600 * USEC_PER_SEC);
        cr_assert_eq(parse_ok("+1h"), NOW + 3600 * USEC_PER_SEC);
        cr_assert_eq(parse_ok("2h ago"), NOW - 7200 * USEC_PER_SEC);
        cr_assert_eq(parse_ok("1h 30min ago"), NOW - 5400 * USEC_PER_SEC);
        cr_assert_eq(parse_ok("3 days ago"), NOW - 3 * DAY_SEC * USEC_PER_SEC);
        cr_assert_eq(parse_ok("-1w"), NOW - 7 * DAY_SEC * USEC_PER_SEC);
        cr_assert_eq(parse_ok("-90"), NOW - 90 * USEC_PER_SEC);
        /* longer ago than the epoch is the epoch */
        cr_assert_eq(parse_ok("-100000d"), 0);
}

Test(timespec, unix_seconds) {
        cr_assert_eq(parse_ok("1700000000"), UINT64_C(1700000000) * USEC_PER_SEC);
        cr_assert_eq(parse_ok("@1700000000"), UINT64_C(1700000000) * USEC_PER_SEC);
}

Test(timespec, refused) {
        static const char *const bad[] = {
                "", "   ", "soon", "2h", "2h later", "-", "-1x", "+", "ago", "2026-13-01", "2026-02-31",
                "2026-12-06 25:00", "2026-12-06 10", "2026-12-06 10:00 extra", "12:5", "1e9", "@", "@12a",
                "yesterday 10:00x", "1h ago ago",
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                usec_t t = 12345;
                cr_assert_lt(parse_timespec(bad[i], NOW, &t), 0, "\"%s\" was taken as %llu", bad[i], (unsigned long long) t);
        }
}
