/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PSI files ("some avg10=0.12 avg60=0.05 avg300=0.01 total=12345" and a "full" line), the
 * system-wide ones and the cgroups'. The "full" line is absent from cpu.pressure on older
 * kernels and from the root cgroup's cpu.pressure, so it is optional; "some" is required.
 * Unknown key=value pairs and unknown line kinds are skipped so a newer kernel does not break us;
 * a known key that is missing, repeated or not a number is an error.
 */

#include <errno.h>
#include <string.h>

#include "read/fileio.h"
#include "read/psi.h"

/* "12.34" -> 12.34. The kernel prints "%lu.%02lu"; parsed by hand so the locale cannot change
 * the decimal point. */
static int scan_percent(const char **p, double *ret) {
        const char *s = *p;
        uint64_t whole, frac = 0, scale = 1;
        int r;

        r = scan_u64(&s, &whole);
        if (r < 0)
                return r;
        if (*s == '.') {
                s++;
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                for (; *s >= '0' && *s <= '9'; s++)
                        if (scale < UINT64_C(1000000000)) { /* digits beyond 1e-9 cannot matter */
                                frac = frac * 10 + (uint64_t) (*s - '0');
                                scale *= 10;
                        }
        }
        if (whole > 100)
                return -ERANGE;
        *ret = (double) whole + (double) frac / (double) scale;
        if (*ret > 100.0)
                return -ERANGE;
        *p = s;
        return 0;
}

/* Parses the key=value pairs after "some"/"full" up to the end of the line. */
static int psi_line_parse(const char *p, PsiLine *ret, const char **reason) {
        enum { HAVE_AVG10 = 1, HAVE_AVG60 = 2, HAVE_AVG300 = 4, HAVE_TOTAL = 8, HAVE_ALL = 15 };
        PsiLine l = {};
        unsigned have = 0;

        for (;;) {
                const char *key, *eq;
                unsigned bit = 0;
                double *target = NULL;
                int r;

                p = skip_blanks(p);
                if (at_line_end(p))
                        break;

                key = p;
                eq = p + strcspn(p, "= \t\n\r");
                if (*eq != '=' || eq == key)
                        return explain(reason, "expected key=value pairs after \"some\"/\"full\"", -EINVAL);

                if (token_is(key, eq - key, "avg10"))
                        bit = HAVE_AVG10, target = &l.avg10;
                else if (token_is(key, eq - key, "avg60"))
                        bit = HAVE_AVG60, target = &l.avg60;
                else if (token_is(key, eq - key, "avg300"))
                        bit = HAVE_AVG300, target = &l.avg300;
                else if (token_is(key, eq - key, "total"))
                        bit = HAVE_TOTAL;

                p = eq + 1;
                if (bit == 0) {
                        /* unknown key from a newer kernel: skip its value */
                        p += strcspn(p, " \t\n\r");
                        continue;
                }
                if (have & bit)
                        return explain(reason, "a key appears twice on one line", -EINVAL);

                r = target ? scan_percent(&p, target) : scan_u64(&p, &l.total_usec);
                if (r < 0)
                        return explain(reason, r == -ERANGE ? "a value is out of range (avg above 100 or total above 2^64)"
                                                            : "a value is not a number", r);
                if (*p != ' ' && *p != '\t' && !at_line_end(p))
                        return explain(reason, "a value has trailing garbage", -EINVAL);
                have |= bit;
        }

        if (have != HAVE_ALL)
                return explain(reason, "a line lacks one of avg10, avg60, avg300, total (truncated?)", -EINVAL);
        l.valid = true;
        *ret = l;
        return 0;
}

/* A line of an unknown kind is skipped only when it has the shape of a PSI line: a lowercase
 * word, then key=value pairs. Anything else is garbage or a cut "some"/"full" line. */
static bool unknown_line_valid(const char *p) {
        const char *s = p + strspn(p, "abcdefghijklmnopqrstuvwxyz");
        bool pairs = false;

        if (s == p || *s != ' ')
                return false;
        for (;;) {
                const char *key;

                s = skip_blanks(s);
                if (at_line_end(s))
                        return pairs;
                key = s;
                s += strcspn(s, "= \t\n\r");
                if (*s != '=' || s == key)
                        return false;
                s++;
                if (*s == 0 || *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
                        return false;
                s += strcspn(s, " \t\n\r");
                pairs = true;
        }
}

int psi_parse_explain(const char *text, PsiStats *ret, const char **reason) {
        PsiStats s = {};

        if (reason)
                *reason = NULL;
        if (!text || !ret)
                return explain(reason, "no text", -EINVAL);

        for (const char *p = text; p; p = next_line(p)) {
                PsiLine *line;
                int r;

                if (at_line_end(p))
                        continue; /* blank line */
                if (strncmp(p, "some ", 5) == 0)
                        line = &s.some;
                else if (strncmp(p, "full ", 5) == 0)
                        line = &s.full;
                else if (unknown_line_valid(p))
                        continue; /* a line kind from a newer kernel */
                else
                        return explain(reason, "a line does not start with \"some\" or \"full\"", -EINVAL);
                if (line->valid)
                        return explain(reason, "the \"some\" or \"full\" line appears twice", -EINVAL);
                r = psi_line_parse(p + 5, line, reason);
                if (r < 0)
                        return r;
        }

        if (!s.some.valid)
                return explain(reason, "the \"some\" line is missing", -EINVAL);
        *ret = s;
        return 0;
}

int psi_parse(const char *text, PsiStats *ret) {
        return psi_parse_explain(text, ret, NULL);
}
