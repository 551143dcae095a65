/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One line per ruleset, as earlyoom says at start what it will do: what is killed, and when, in the
 * figures of this machine. Built from the Policy alone; the daemon passes /proc/meminfo's totals.
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "describe.h"
#include "format.h"
#include "macro.h"

/* A buffer filled piece by piece; a piece that does not fit is cut, and the rest are dropped. */
typedef struct Line {
        char *buf;
        size_t size, len;
} Line;

static void add(Line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(Line *l, const char *fmt, ...) {
        va_list ap;
        int n;

        if (l->len + 1 >= l->size)
                return;
        va_start(ap, fmt);
        n = vsnprintf(l->buf + l->len, l->size - l->len, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        l->len = l->len + (size_t) n >= l->size ? l->size - 1 : l->len + (size_t) n;
}

static void add_patterns(Line *l, const PatternList *pl) {
        for (size_t i = 0; i < pl->n; i++)
                add(l, "%s%s", i == 0 ? "" : i + 1 == pl->n ? " or " : ", ", pl->items[i].glob);
}

/* True when the detector watches the whole system ("/" alone). */
static bool is_system(const PatternList *pl) {
        return pl->n == 0 || (pl->n == 1 && streq(pl->items[0].glob, "/"));
}

/* "5% (1.2G)", "5%" when the total is unknown, "512M" for bytes. */
static void add_amount(Line *l, const Amount *a, uint64_t total, bool total_known) {
        char b[32];

        if (!a->is_percent) {
                format_bytes(b, sizeof(b), (double) a->bytes);
                add(l, "%s", b);
                return;
        }
        if (a->permyriad % 100 == 0)
                add(l, "%" PRIu32 "%%", a->permyriad / 100);
        else
                add(l, "%" PRIu32 ".%02" PRIu32 "%%", a->permyriad / 100, a->permyriad % 100);
        if (total_known) {
                format_bytes(b, sizeof(b), (double) amount_resolve(a, total));
                add(l, " (%s)", b);
        }
}

static void add_duration(Line *l, const char *prefix, usec_t u) {
        char b[32];

        format_duration(b, sizeof(b), u);
        add(l, "%s%s", prefix, b);
}

static void add_detector(Line *l, const Detector *d, const MemInfo *mi) {
        bool known = mi && mi->valid;
        const char *resource = d->resource == PSI_RESOURCE_IO ? "io" : "memory";
        const char *kind = d->kind == PSI_KIND_SOME ? "some" : "full";
        static const char *const windows[] = {
                [PSI_WINDOW_AVG10] = "avg10", [PSI_WINDOW_AVG60] = "avg60", [PSI_WINDOW_AVG300] = "avg300",
        };

        switch (d->type) {
        case DETECTOR_PRESSURE_ABOVE:
        case DETECTOR_PRESSURE_RISING_BEYOND:
                if (is_system(&d->cgroups))
                        add(l, "the system's %s pressure (%s)", resource, kind);
                else {
                        add(l, "%s pressure (%s) of ", resource, kind);
                        add_patterns(l, &d->cgroups);
                }
                add(l, " > %g%%", d->threshold);
                if (d->type == DETECTOR_PRESSURE_RISING_BEYOND)
                        add(l, " in avg10 and avg60 and not falling fast");
                else if (d->window == PSI_WINDOW_EXACT)
                        add_duration(l, " over the last ", d->window_usec);
                else
                        add(l, " (%s)", windows[d->window]);
                break;
        case DETECTOR_MEMORY_ABOVE:
                add(l, "%s of ", d->anon ? "anonymous memory" : "memory");
                if (is_system(&d->cgroups))
                        add(l, "the system");
                else
                        add_patterns(l, &d->cgroups);
                add(l, " > ");
                add_amount(l, &d->amount, known ? mi->mem_total : 0, known);
                break;
        case DETECTOR_MEMORY_RECLAIM:
                add(l, "the kernel reclaimed pages in ");
                if (is_system(&d->cgroups))
                        add(l, "the system");
                else
                        add_patterns(l, &d->cgroups);
                add_duration(l, " within the last ", d->duration_usec);
                return; /* its duration is the window, said already */
        case DETECTOR_SWAP_FREE_BELOW:
                add(l, "swap free < ");
                /* without swap a percent is of nothing, and README says the detector always holds */
                add_amount(l, &d->amount, known ? mi->swap_total : 0, known && mi->swap_total > 0);
                if (known && mi->swap_total == 0)
                        add(l, " (no swap here: always true)");
                break;
        case DETECTOR_MEM_AVAILABLE_BELOW:
                add(l, "MemAvailable < ");
                add_amount(l, &d->amount, known ? mi->mem_total : 0, known);
                break;
        case DETECTOR_EXISTS:
                add(l, "%s cgroup ", d->negate ? "no" : "a");
                add_patterns(l, &d->cgroups);
                add(l, " exists");
                return;
        default:
                add(l, "(unknown detector)");
                return;
        }
        if (d->duration_usec > 0)
                add_duration(l, " for ", d->duration_usec);
}

static void add_action(Line *l, const Policy *p, const Ruleset *rs, const Action *a, bool degraded) {
        const char *what = degraded || a->granularity == GRANULARITY_PROCESS ? "process" : "cgroup";

        if (p->n_kill_list > 0 && a->use_kill_list)
                add(l, "the first kill-list entry that matches, else ");
        switch (a->ranker) {
        case RANKER_SIZE_OR_GROWTH:
                add(l, "the largest or fastest-growing %s", what);
                break;
        case RANKER_SWAP:
                add(l, "the %s using the most swap", what);
                if (a->swap_threshold.bytes > 0) {
                        add(l, " (at least ");
                        add_amount(l, &a->swap_threshold, 0, false);
                        add(l, ")");
                }
                break;
        case RANKER_PRESSURE:
                add(l, "the %s with the highest %s pressure", what,
                    a->pressure_resource == PSI_RESOURCE_IO ? "io" : "memory");
                break;
        case RANKER_PGSCAN:
                add(l, "the %s with the highest page-scan rate", what);
                break;
        default:
                add(l, "a %s", what);
        }
        if (!(a->cgroups.n == 1 && streq(a->cgroups.items[0].glob, "/*"))) {
                add(l, " under ");
                add_patterns(l, &a->cgroups);
        }
        if (!degraded && a->granularity == GRANULARITY_CGROUP && rs->method != UNIT_METHOD_KILL) {
                add(l, " (by %s its systemd unit", rs->method == UNIT_METHOD_RESTART ? "restarting" : "stopping");
                add_duration(l, ", SIGKILL after ", rs->stop_timeout_usec > 0 ? rs->stop_timeout_usec : STOP_TIMEOUT_DEFAULT_USEC);
                add(l, ")");
        }
}

void ruleset_describe(const Policy *p, const Ruleset *rs, const MemInfo *mi, bool degraded, char *buf, size_t size) {
        Line l = { .buf = buf, .size = size };
        bool dry = p->dry_run || rs->dry_run;

        if (!buf || size == 0)
                return;
        buf[0] = 0;

        add(&l, "%s ", dry ? "would kill (dry run)" : "kills");
        for (size_t i = 0; i < rs->n_actions; i++) {
                if (i > 0)
                        add(&l, "; failing that, ");
                add_action(&l, p, rs, &rs->actions[i], degraded);
                if (rs->actions[i].dry_run && !dry)
                        add(&l, " (dry run: logged only)");
        }
        for (size_t g = 0; g < rs->n_groups; g++) {
                add(&l, g == 0 ? " when " : ", or when ");
                for (size_t i = 0; i < rs->groups[g].n; i++) {
                        if (i > 0)
                                add(&l, " and ");
                        add_detector(&l, &rs->groups[g].detectors[i], mi);
                }
        }
}
