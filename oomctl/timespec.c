/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "macro.h"
#include "policy.h"
#include "timespec.h"

static const char *skip_space(const char *s) {
        while (*s == ' ' || *s == '\t')
                s++;
        return s;
}

/* One unit word ("h", "hours", "min"...) to microseconds, in any case: the policy's own duration
 * units; 0 when unknown. */
static usec_t unit_usec(const char *u, size_t len) {
        return duration_unit_usec(u, len, true);
}

/* "1d", "2h 30min", "90 s": a sum of whole numbers with units, up to the end of s or " ago". A
 * number without a unit is seconds, as journalctl takes it. Sets *ret_end past the span. */
static int parse_span(const char *s, usec_t *ret, const char **ret_end) {
        usec_t total = 0;
        bool any = false;

        for (;;) {
                s = skip_space(s);
                if (!isdigit((unsigned char) *s))
                        break;
                usec_t n = 0;
                while (isdigit((unsigned char) *s)) {
                        if (n > (UINT64_MAX - 9) / 10)
                                return -ERANGE;
                        n = n * 10 + (usec_t) (*s++ - '0');
                }
                s = skip_space(s);
                const char *u = s;
                while (isalpha((unsigned char) *s))
                        s++;
                usec_t mult = USEC_PER_SEC;
                if (s > u && !(s - u == 3 && strncasecmp(u, "ago", 3) == 0)) {
                        mult = unit_usec(u, (size_t) (s - u));
                        if (mult == 0)
                                return -EINVAL;
                } else
                        s = u;
                if (n > (UINT64_MAX - total) / mult)
                        return -ERANGE;
                total += n * mult;
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret = total;
        *ret_end = s;
        return 0;
}

/* tm (local time) to realtime microseconds. */
static int local_to_usec(struct tm *tm, usec_t *ret) {
        tm->tm_isdst = -1;
        errno = 0;
        time_t t = mktime(tm);
        if (t == (time_t) -1 && errno != 0)
                return -ERANGE;
        if (t < 0)
                return -ERANGE;
        *ret = (usec_t) t * USEC_PER_SEC;
        return 0;
}

/* Midnight (local) of the day `days` from now's. */
static int day_start(usec_t now_usec, int days, usec_t *ret) {
        time_t t = (time_t) (now_usec / USEC_PER_SEC);
        struct tm tm;
        if (!localtime_r(&t, &tm))
                return -ERANGE;
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        tm.tm_mday += days; /* mktime() normalises the month and year */
        return local_to_usec(&tm, ret);
}

/* Reads exactly `digits` digits. */
static bool read_fixed(const char **s, int digits, int *ret) {
        int v = 0;
        for (int i = 0; i < digits; i++) {
                if (!isdigit((unsigned char) (*s)[i]))
                        return false;
                v = v * 10 + ((*s)[i] - '0');
        }
        *s += digits;
        *ret = v;
        return true;
}

/* "HH:MM" or "HH:MM:SS" into tm; true when s was exactly that. */
static bool parse_clock(const char *s, struct tm *tm) {
        int h, m, sec = 0;
        if (!read_fixed(&s, 2, &h) || *s++ != ':' || !read_fixed(&s, 2, &m))
                return false;
        if (*s == ':') {
                s++;
                if (!read_fixed(&s, 2, &sec))
                        return false;
        }
        if (*skip_space(s) || h > 23 || m > 59 || sec > 60)
                return false;
        tm->tm_hour = h;
        tm->tm_min = m;
        tm->tm_sec = sec;
        return true;
}

/* "YYYY-MM-DD", optionally followed by " HH:MM[:SS]" (or "THH:MM[:SS]"). */
static int parse_date(const char *s, usec_t *ret) {
        struct tm tm = {};
        int y, mon, d;
        if (!read_fixed(&s, 4, &y) || *s++ != '-' || !read_fixed(&s, 2, &mon) || *s++ != '-' || !read_fixed(&s, 2, &d))
                return -EINVAL;
        if (mon < 1 || mon > 12 || d < 1 || d > 31)
                return -EINVAL;
        tm.tm_year = y - 1900;
        tm.tm_mon = mon - 1;
        tm.tm_mday = d;
        if (*s == ' ' || *s == 'T') {
                if (!parse_clock(skip_space(s + 1), &tm))
                        return -EINVAL;
        } else if (*skip_space(s))
                return -EINVAL;
        int r = local_to_usec(&tm, ret);
        if (r < 0)
                return r;
        /* mktime() would take 2026-02-31 as March 3rd; that is a typing error, not a date. */
        time_t t = (time_t) (*ret / USEC_PER_SEC);
        struct tm back;
        if (!localtime_r(&t, &back) || back.tm_mday != d || back.tm_mon != mon - 1)
                return -EINVAL;
        return 0;
}

int parse_timespec(const char *s, usec_t now_usec, usec_t *ret) {
        usec_t span;
        const char *end;
        int r;

        if (!s || !ret)
                return -EINVAL;
        s = skip_space(s);
        char word[16];
        size_t len = strlen(s);
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                len--;
        if (len == 0)
                return -EINVAL;
        snprintf(word, sizeof word, "%.*s", (int) (len < sizeof word ? len : sizeof word - 1), s);

        if (len == 3 && strcasecmp(word, "now") == 0) {
                *ret = now_usec;
                return 0;
        }
        if (len == 5 && strcasecmp(word, "today") == 0)
                return day_start(now_usec, 0, ret);
        if (len == 9 && strcasecmp(word, "yesterday") == 0)
                return day_start(now_usec, -1, ret);
        if (len == 8 && strcasecmp(word, "tomorrow") == 0)
                return day_start(now_usec, 1, ret);

        if (s[0] == '-' || s[0] == '+') {
                r = parse_span(s + 1, &span, &end);
                if (r < 0)
                        return r;
                if (*skip_space(end))
                        return -EINVAL;
                if (s[0] == '-')
                        *ret = span > now_usec ? 0 : now_usec - span;
                else if (span > UINT64_MAX - now_usec)
                        return -ERANGE;
                else
                        *ret = now_usec + span;
                return 0;
        }
        if (s[0] == '@' || strspn(s, "0123456789") == len) {
                const char *d = s[0] == '@' ? s + 1 : s;
                size_t n = strspn(d, "0123456789");
                if (n == 0 || n > 12 || n != len - (size_t) (d - s))
                        return -EINVAL;
                usec_t v = 0;
                for (size_t i = 0; i < n; i++)
                        v = v * 10 + (usec_t) (d[i] - '0');
                *ret = v * USEC_PER_SEC;
                return 0;
        }
        if (isdigit((unsigned char) s[0]) && s[1] && isdigit((unsigned char) s[1]) && s[2] == ':') {
                time_t t = (time_t) (now_usec / USEC_PER_SEC);
                struct tm tm;
                if (!localtime_r(&t, &tm) || !parse_clock(s, &tm))
                        return -EINVAL;
                return local_to_usec(&tm, ret);
        }
        if (strlen(s) >= 10 && s[4] == '-')
                return parse_date(s, ret);

        /* "2h ago", "1h 30min ago" */
        r = parse_span(s, &span, &end);
        if (r < 0)
                return r;
        end = skip_space(end);
        if (strncasecmp(end, "ago", 3) != 0 || *skip_space(end + 3))
                return -EINVAL;
        *ret = span > now_usec ? 0 : now_usec - span;
        return 0;
}
