/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>

#include "macro.h"
#include "policy.h"

static Amount size_ok(const char *s, bool allow_percent) {
        Amount a = { .bytes = 12345, .permyriad = 777 };
        int r = parse_size(s, allow_percent, &a);
        cr_assert_eq(r, 0, "parse_size(\"%s\") failed: %d", s, r);
        return a;
}

static void size_bytes(const char *s, uint64_t expected) {
        Amount a = size_ok(s, false);
        cr_assert(!a.is_percent, "\"%s\" parsed as a percent", s);
        cr_assert_eq(a.bytes, expected, "parse_size(\"%s\") = %" PRIu64 ", expected %" PRIu64, s, a.bytes, expected);
        cr_assert_eq(a.permyriad, 0);
}

static void size_bad(const char *s, bool allow_percent) {
        Amount a = { .bytes = 4242 };
        cr_assert_eq(parse_size(s, allow_percent, &a), -EINVAL, "parse_size(\"%s\") accepted", s);
        cr_assert_eq(a.bytes, 4242, "parse_size(\"%s\") wrote its result on failure", s);
}

Test(quantity, size_plain_bytes) {
        size_bytes("0", 0);
        size_bytes("4096", 4096);
        size_bytes("4096B", 4096);
        size_bytes("18446744073709551615", UINT64_MAX);
}

Test(quantity, size_suffixes_are_powers_of_1024) {
        size_bytes("1K", 1024);
        size_bytes("1KiB", 1024);
        size_bytes("512M", UINT64_C(512) << 20);
        size_bytes("512MiB", UINT64_C(512) << 20);
        size_bytes("3G", UINT64_C(3) << 30);
        size_bytes("3GiB", UINT64_C(3) << 30);
        size_bytes("2T", UINT64_C(2) << 40);
        size_bytes("2TiB", UINT64_C(2) << 40);
        size_bytes("16777215T", UINT64_C(16777215) << 40);
}

Test(quantity, size_fractions_are_exact) {
        size_bytes("1.5G", UINT64_C(1610612736));
        size_bytes("0.5K", 512);
        size_bytes("1.25M", UINT64_C(1310720));
        size_bytes("0.001K", 1);          /* 1.024 bytes, floored */
        size_bytes("0.0001K", 0);         /* 0.1024 bytes, floored */
        size_bytes("2.0B", 2);            /* a zero fraction of a byte is still a whole byte */
        size_bytes("4096.0", 4096);
}

Test(quantity, size_percent) {
        Amount a;

        a = size_ok("10%", true);
        cr_assert(a.is_percent);
        cr_assert_eq(a.permyriad, 1000);
        cr_assert_eq(a.bytes, 0);
        cr_assert_eq(size_ok("0%", true).permyriad, 0);
        cr_assert_eq(size_ok("100%", true).permyriad, 10000);
        cr_assert_eq(size_ok("100.00%", true).permyriad, 10000);
        cr_assert_eq(size_ok("12.5%", true).permyriad, 1250);
        cr_assert_eq(size_ok("12.34%", true).permyriad, 1234);
        cr_assert_eq(size_ok("0.01%", true).permyriad, 1);
        cr_assert_eq(size_ok("5.05%", true).permyriad, 505);
}

Test(quantity, size_malformed) {
        size_bad("", true);
        size_bad("%", true);
        size_bad("101%", true);
        size_bad("100.01%", true);
        size_bad("12.345%", true);      /* more than two decimals */
        size_bad("10%", false);         /* percent not allowed here */
        size_bad("-1", true);
        size_bad("-1G", true);
        size_bad("+1G", true);
        size_bad("12Q", true);
        size_bad("1.5", true);          /* a fraction of a byte */
        size_bad("1.5B", true);
        size_bad("1.G", true);
        size_bad(".5G", true);
        size_bad("1 G", true);
        size_bad(" 1G", true);
        size_bad("1G ", true);
        size_bad("1g", true);
        size_bad("1KB", true);
        size_bad("1GiB%", true);
        size_bad("nan", true);
        size_bad("inf", true);
        size_bad("1e3", true);
        size_bad("0x10", true);
        size_bad("G", true);
        size_bad("18446744073709551616", true);  /* 2^64 */
        size_bad("99999999999999999999999", true);
        size_bad("16777216T", true);             /* 2^64 bytes */
        size_bad("17179869184G", true);
        cr_assert_eq(parse_size(NULL, true, &(Amount) {}), -EINVAL);
}

/* "threshold": "5" on mem_available_below meant 5% or 5G: a bare number of bytes below a page is
 * refused (-ERANGE, so the parser can say why); with a unit, or 0, or a page and more, it stands. */
Test(quantity, size_bare_below_a_page_is_refused) {
        Amount a = { .bytes = 4242 };
        const char *const refused[] = { "1", "5", "100", "4095", "5.0" };

        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                cr_assert_eq(parse_size(refused[i], true, &a), -ERANGE, "parse_size(\"%s\") did not refuse a bare size below a page", refused[i]);
                cr_assert_eq(a.bytes, 4242, "parse_size(\"%s\") wrote its result on failure", refused[i]);
        }
        size_bytes("0", 0);
        size_bytes("4096", 4096);
        size_bytes("5B", 5);
        size_bytes("4095B", 4095);
        size_bytes("0.001K", 1);
        cr_assert(size_bare_too_small(1));
        cr_assert(size_bare_too_small(SIZE_BARE_MIN_BYTES - 1));
        cr_assert_not(size_bare_too_small(0));
        cr_assert_not(size_bare_too_small(SIZE_BARE_MIN_BYTES));
}

Test(quantity, amount_resolve) {
        Amount bytes = { .bytes = 5000 }, pct = { .is_percent = true, .permyriad = 1000 };
        Amount half = { .is_percent = true, .permyriad = 5000 }, all = { .is_percent = true, .permyriad = 10000 };

        cr_assert_eq(amount_resolve(&bytes, 1 << 30), 5000);
        cr_assert_eq(amount_resolve(&pct, 1000), 100);
        cr_assert_eq(amount_resolve(&pct, 0), 0);
        cr_assert_eq(amount_resolve(&half, 3), 1);
        /* no overflow for a total near 2^64 */
        cr_assert_eq(amount_resolve(&all, UINT64_MAX), UINT64_MAX);
        cr_assert_eq(amount_resolve(&half, UINT64_MAX), UINT64_MAX / 2);
        cr_assert_eq(amount_resolve(NULL, 100), 0);
}

static void duration_is(const char *s, usec_t expected) {
        usec_t u = 12345;
        int r = parse_duration(s, &u);
        cr_assert_eq(r, 0, "parse_duration(\"%s\") failed: %d", s, r);
        cr_assert_eq(u, expected, "parse_duration(\"%s\") = %" PRIu64 ", expected %" PRIu64, s, u, expected);
}

static void duration_bad(const char *s) {
        usec_t u = 4242;
        cr_assert_eq(parse_duration(s, &u), -EINVAL, "parse_duration(\"%s\") accepted", s);
        cr_assert_eq(u, 4242);
}

Test(quantity, duration_units) {
        duration_is("0", 0);
        duration_is("0s", 0);
        duration_is("100us", 100);
        duration_is("500ms", 500 * USEC_PER_MSEC);
        duration_is("20s", 20 * USEC_PER_SEC);
        duration_is("2m", 120 * USEC_PER_SEC);
        duration_is("2h", 7200 * USEC_PER_SEC);
        duration_is("7", 7 * USEC_PER_SEC);     /* bare number = seconds */
        duration_is("5124095576h", UINT64_C(5124095576) * 3600 * USEC_PER_SEC);  /* the largest whole hour */
}

Test(quantity, duration_fractions) {
        duration_is("1.5s", 1500 * USEC_PER_MSEC);
        duration_is("0.1", 100 * USEC_PER_MSEC);
        duration_is("0.5ms", 500);
        duration_is("1.5m", 90 * USEC_PER_SEC);
        duration_is("0.25h", 900 * USEC_PER_SEC);
        duration_is("1.9us", 1);                /* floored to whole microseconds */
}

/* systemd's time spans (systemd.time(7)), as an admin writes them in units. */
Test(quantity, duration_systemd_spans) {
        duration_is("5min", 300 * USEC_PER_SEC);
        duration_is("30sec", 30 * USEC_PER_SEC);
        duration_is("2 m", 120 * USEC_PER_SEC);
        duration_is("5 s", 5 * USEC_PER_SEC);
        duration_is("1m30s", 90 * USEC_PER_SEC);
        duration_is("1h 30min", 5400 * USEC_PER_SEC);
        duration_is("1 hour 2 minutes 3 seconds", 3723 * USEC_PER_SEC);
        duration_is("1second", USEC_PER_SEC);
        duration_is("2hr", 7200 * USEC_PER_SEC);
        duration_is("250msec", 250 * USEC_PER_MSEC);
        duration_is("10usec", 10);
        duration_is("10\xc2\xb5s", 10);      /* µs, the micro sign */
        duration_is("10\xce\xbcs", 10);      /* μs, the Greek mu */
        duration_is("1d", 86400 * USEC_PER_SEC);
        duration_is("1w", 604800 * USEC_PER_SEC);
        duration_is("1.5min", 90 * USEC_PER_SEC);
        duration_is("1s 500ms", 1500 * USEC_PER_MSEC);
}

Test(quantity, duration_malformed) {
        duration_bad("");
        duration_bad("s");
        duration_bad("-1s");
        duration_bad("+1s");
        duration_bad("5x");
        duration_bad("5S");
        duration_bad("5M");            /* systemd's months, or minutes? Neither: ask */
        duration_bad("5mins");
        duration_bad("5y");
        duration_bad(" 5s");
        duration_bad("5s ");
        duration_bad("5 ");
        duration_bad("1m 30");         /* a bare number only as the whole string */
        duration_bad("1m,30s");
        duration_bad("1.s");
        duration_bad(".5s");
        duration_bad("nan");
        duration_bad("inf");
        duration_bad("1e3s");
        duration_bad("18446744073709551616us");
        duration_bad("5124095577h");   /* 2^64 us is 5124095576.03 h */
        duration_bad("5124095576h 1h"); /* each part fits, the sum does not */
        duration_bad("99999999999999999999s");
        duration_bad("1 verylongunitnamethatgoeson");
        cr_assert_eq(parse_duration(NULL, &(usec_t) { 0 }), -EINVAL);
}

/* The daemon's own whole-number test and rounding (no libm): JSON numbers of bytes, pids and
 * percentiles go through them. */
Test(quantity, whole_numbers_and_rounding_without_libm) {
        cr_assert(double_is_whole(0));
        cr_assert(double_is_whole(-3));
        cr_assert(double_is_whole(4096));
        cr_assert(double_is_whole(0x1p60));
        cr_assert(double_is_whole(1e300));
        cr_assert_not(double_is_whole(0.5));
        cr_assert_not(double_is_whole(-2.25));
        cr_assert_not(double_is_whole(4503599627370495.5)); /* just under 2^52: the last with a half */
        cr_assert_not(double_is_whole(__builtin_inf()));
        cr_assert_not(double_is_whole(-__builtin_inf()));
        cr_assert_not(double_is_whole(__builtin_nan("")));

        cr_assert_eq(double_round_unsigned(0), 0);
        cr_assert_eq(double_round_unsigned(0.4), 0);
        cr_assert_eq(double_round_unsigned(0.5), 1);
        cr_assert_eq(double_round_unsigned(2.5e-6 * 1e6), 3);
        cr_assert_eq(double_round_unsigned(1.5 * 1e6), 1500000);
        cr_assert_eq(double_round_unsigned(2500.0), 2500);
}
