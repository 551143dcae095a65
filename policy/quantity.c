/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sizes ("512M", "1.5G", "10%", "4096") and durations ("500ms", "20s", "2m", and systemd's time
 * spans "5min", "30sec", "1h 30min") as written in a policy. Strings only: values.c turns JSON
 * numbers into the same values. Arithmetic is integer so that "1.5G" is exactly 1610612736 and
 * every overflow is caught instead of wrapping.
 */

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "quantity.h"

/* Fraction digits beyond this are ignored: they cannot change a result that is floored anyway. */
#define FRACTION_DIGITS_MAX 18

/* A decimal "123.456" split into its integer part and a fraction num/den. */
typedef struct Decimal {
        uint64_t integer;
        uint64_t frac_num, frac_den;  /* frac_den is 10^(digits kept), 1 without a fraction */
        unsigned frac_digits;         /* digits written, kept or not */
} Decimal;

/* Reads digits with an optional fraction from *p; at least one digit before any '.', and at least
 * one after it. Advances *p past the number. */
static int decimal_parse(const char **p, Decimal *ret) {
        const char *s = *p;
        Decimal d = { .frac_den = 1 };

        if (*s < '0' || *s > '9')
                return -EINVAL;
        for (; *s >= '0' && *s <= '9'; s++) {
                uint64_t digit = (uint64_t) (*s - '0');
                if (d.integer > (UINT64_MAX - digit) / 10)
                        return -EINVAL;
                d.integer = d.integer * 10 + digit;
        }
        if (*s == '.') {
                s++;
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                for (; *s >= '0' && *s <= '9'; s++, d.frac_digits++)
                        if (d.frac_digits < FRACTION_DIGITS_MAX) {
                                d.frac_num = d.frac_num * 10 + (uint64_t) (*s - '0');
                                d.frac_den *= 10;
                        }
        }
        *p = s;
        *ret = d;
        return 0;
}

/* A suffix and what it multiplies by. */
typedef struct Unit {
        const char *suffix;
        uint64_t mult;
} Unit;

/* The multiplier of suffix s in units[], or 0 when s is none of them. */
static uint64_t unit_mult(const Unit *units, size_t n_units, const char *s) {
        for (size_t i = 0; i < n_units; i++)
                if (streq(s, units[i].suffix))
                        return units[i].mult;
        return 0;
}

/* d * mult, floored; -EINVAL on overflow. */
static int decimal_scale(const Decimal *d, uint64_t mult, uint64_t *ret) {
        unsigned __int128 v;

        if (d->integer > UINT64_MAX / mult)
                return -EINVAL;
        v = (unsigned __int128) d->frac_num * mult / d->frac_den;
        v += (unsigned __int128) d->integer * mult;
        if (v > UINT64_MAX)
                return -EINVAL;
        *ret = (uint64_t) v;
        return 0;
}

int parse_size(const char *s, bool allow_percent, Amount *ret) {
        static const Unit units[] = {
                { "",    1 },
                { "B",   1 },
                { "K",   UINT64_C(1) << 10 }, { "KiB", UINT64_C(1) << 10 },
                { "M",   UINT64_C(1) << 20 }, { "MiB", UINT64_C(1) << 20 },
                { "G",   UINT64_C(1) << 30 }, { "GiB", UINT64_C(1) << 30 },
                { "T",   UINT64_C(1) << 40 }, { "TiB", UINT64_C(1) << 40 },
        };
        uint64_t mult, bytes;
        Decimal d;
        int r;

        if (!s || !ret)
                return -EINVAL;

        r = decimal_parse(&s, &d);
        if (r < 0)
                return r;

        if (streq(s, "%")) {
                /* permyriad: two decimals at most, so that "12.345%" is not silently rounded */
                if (!allow_percent || d.frac_digits > 2 || d.integer > 100)
                        return -EINVAL;
                uint64_t frac = d.frac_num * (d.frac_digits == 1 ? 10 : 1);
                uint64_t permyriad = d.integer * 100 + frac;
                if (permyriad > 10000)
                        return -EINVAL;
                *ret = (Amount) { .is_percent = true, .permyriad = (uint32_t) permyriad };
                return 0;
        }

        mult = unit_mult(units, ELEMENTSOF(units), s);
        /* a fraction of a byte is a typo, not a request for rounding */
        if (mult == 0 || (mult == 1 && d.frac_num != 0))
                return -EINVAL;
        r = decimal_scale(&d, mult, &bytes);
        if (r < 0)
                return r;
        /* "threshold": "5" meant 5% or 5G, never 5 bytes: a unit says bytes are meant ("5B") */
        if (*s == 0 && size_bare_too_small(bytes))
                return -ERANGE;
        *ret = (Amount) { .bytes = bytes };
        return 0;
}

bool size_bare_too_small(uint64_t bytes) {
        return bytes > 0 && bytes < SIZE_BARE_MIN_BYTES;
}

/* A duration's unit: systemd's time span units (systemd.time(7)) up to weeks. Months and years
 * are left out: "5M" would be read as minutes by many, and no policy waits a month. */
static const Unit duration_units[] = {
        { "us", 1 }, { "usec", 1 }, { "\xc2\xb5s", 1 }, { "\xce\xbcs", 1 },   /* µs (micro sign), μs (mu) */
        { "ms", USEC_PER_MSEC }, { "msec", USEC_PER_MSEC },
        { "s", USEC_PER_SEC }, { "sec", USEC_PER_SEC }, { "second", USEC_PER_SEC }, { "seconds", USEC_PER_SEC },
        { "m", 60 * USEC_PER_SEC }, { "min", 60 * USEC_PER_SEC }, { "minute", 60 * USEC_PER_SEC },
        { "minutes", 60 * USEC_PER_SEC },
        { "h", 3600 * USEC_PER_SEC }, { "hr", 3600 * USEC_PER_SEC }, { "hour", 3600 * USEC_PER_SEC },
        { "hours", 3600 * USEC_PER_SEC },
        { "d", 86400 * USEC_PER_SEC }, { "day", 86400 * USEC_PER_SEC }, { "days", 86400 * USEC_PER_SEC },
        { "w", 604800 * USEC_PER_SEC }, { "week", 604800 * USEC_PER_SEC }, { "weeks", 604800 * USEC_PER_SEC },
};

uint64_t duration_unit_usec(const char *u, size_t len, bool ignore_case) {
        for (size_t i = 0; i < ELEMENTSOF(duration_units); i++) {
                const char *name = duration_units[i].suffix;
                if (strlen(name) == len && (ignore_case ? strncasecmp(name, u, len) : strncmp(name, u, len)) == 0)
                        return duration_units[i].mult;
        }
        return 0;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

/* One or more "<number> <unit>" parts, summed as systemd does ("1h 30min", "1m30s", "2 m"); blanks
 * may stand between a number and its unit and between parts, not before or after the whole. A
 * bare number alone is seconds. */
int parse_duration(const char *s, usec_t *ret) {
        usec_t total = 0;
        unsigned parts = 0;
        int r;

        if (!s || !ret || is_blank(*s) || (*s && is_blank(s[strlen(s) - 1])))
                return -EINVAL;

        while (*s) {
                char unit[16];
                size_t n = 0;
                uint64_t mult, v;
                Decimal d;

                r = decimal_parse(&s, &d);
                if (r < 0)
                        return r;
                while (is_blank(*s))
                        s++;
                /* the unit runs to the next digit, blank or the end */
                while (*s && !is_blank(*s) && !(*s >= '0' && *s <= '9') && *s != '.') {
                        if (n + 1 >= sizeof(unit))
                                return -EINVAL;
                        unit[n++] = *s++;
                }
                unit[n] = 0;
                if (n == 0) {
                        /* a bare number: only as the whole string, and then seconds */
                        if (parts > 0 || *s)
                                return -EINVAL;
                        mult = USEC_PER_SEC;
                } else
                        mult = unit_mult(duration_units, ELEMENTSOF(duration_units), unit);
                if (mult == 0)
                        return -EINVAL;
                r = decimal_scale(&d, mult, &v);
                if (r < 0)
                        return r;
                if (v > UINT64_MAX - total)
                        return -EINVAL;
                total += v;
                parts++;
                while (is_blank(*s))
                        s++;
        }
        if (parts == 0)
                return -EINVAL;
        *ret = total;
        return 0;
}

uint64_t amount_resolve(const Amount *a, uint64_t total) {
        if (!a)
                return 0;
        if (!a->is_percent)
                return a->bytes;
        /* 128 bits: total * 10000 overflows 64 bits for totals above 1.8 PB */
        return (uint64_t) ((unsigned __int128) total * a->permyriad / 10000);
}
