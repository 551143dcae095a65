/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "candidate.h"
#include "detector.h"

/*
 * Where a detector looks. The pattern "/" yields the system once (system PSI, /proc/meminfo,
 * /proc/vmstat); any other pattern yields each matching cgroup of the sample. The root cgroup
 * sample is never yielded for those: its files are the system's, read through "/".
 */
typedef struct SourceIter {
        size_t pattern, cgroup;
} SourceIter;

/* Advances to the next source; *ret_cg = NULL means the system. False at the end. */
static bool source_next(const PatternList *l, const Snapshot *s, SourceIter *it, const CGroupSample **ret_cg) {
        while (it->pattern < l->n) {
                const Pattern *pat = &l->items[it->pattern];

                if (pattern_is_root(pat)) {
                        it->pattern++;
                        *ret_cg = NULL;
                        return true;
                }
                while (it->cgroup < s->n_cgroups) {
                        const CGroupSample *cg = &s->cgroups[it->cgroup++];

                        if (!cgroup_path_is_root(cg->path) && pattern_match(pat, cg->path, NULL)) {
                                *ret_cg = cg;
                                return true;
                        }
                }
                it->pattern++;
                it->cgroup = 0;
        }
        return false;
}

static const char *source_path(const CGroupSample *cg) {
        return cg ? cg->path : "/";
}

static const PsiStats *source_psi(const Snapshot *s, const CGroupSample *cg, PsiResource res) {
        unsigned field = res == PSI_RESOURCE_IO ? CG_IO_PSI : CG_MEMORY_PSI;

        if (!cg)
                return res == PSI_RESOURCE_IO ? &s->system.io_psi : &s->system.mem_psi;
        if (!(cg->fields & field))
                return NULL;
        return res == PSI_RESOURCE_IO ? &cg->io_psi : &cg->mem_psi;
}

static const PsiLine *psi_line(const PsiStats *psi, PsiKind kind) {
        const PsiLine *l;

        if (!psi)
                return NULL;
        l = kind == PSI_KIND_SOME ? &psi->some : &psi->full;
        return l->valid ? l : NULL;
}

static double psi_window(const PsiLine *l, PsiWindow w) {
        switch (w) {
        case PSI_WINDOW_AVG60:
                return l->avg60;
        case PSI_WINDOW_AVG300:
                return l->avg300;
        case PSI_WINDOW_AVG10:
        default:
                return l->avg10;
        }
}

/* Resolves an amount against a total; false when it is a percent of a total we do not know
 * (a limit of 0 would make the detector fire on anything). */
static bool resolve_limit(const Amount *a, uint64_t total, bool total_known, double *ret) {
        if (a->is_percent && !total_known)
                return false;
        *ret = (double) amount_resolve(a, total);
        return true;
}

/* The highest chosen PSI value among the sources is above the threshold. */
static bool pressure_above(const Detector *d, const Snapshot *s, DetectorObservation *obs) {
        const CGroupSample *cg;
        SourceIter it = {};
        bool found = false;

        while (source_next(&d->cgroups, s, &it, &cg)) {
                const PsiLine *l = psi_line(source_psi(s, cg, d->resource), d->kind);
                double v;

                if (!l)
                        continue;
                v = psi_window(l, d->window);
                if (!found || v > obs->value) {
                        found = true;
                        obs->value = v;
                        obs->where = source_path(cg);
                }
        }
        obs->limit = d->threshold;
        return found && obs->value > d->threshold;
}

/* The source with the highest avg10 has avg10 and avg60 above the threshold, and avg10 is not
 * falling fast compared with this detector's previous evaluation (the pressure is passing). */
static bool pressure_rising_beyond(const Detector *d, DetectorState *st, const Snapshot *s, DetectorObservation *obs) {
        const CGroupSample *cg;
        SourceIter it = {};
        bool found = false, falling_fast;

        while (source_next(&d->cgroups, s, &it, &cg)) {
                const PsiLine *l = psi_line(source_psi(s, cg, d->resource), d->kind);

                if (!l)
                        continue;
                if (!found || l->avg10 > obs->value) {
                        found = true;
                        obs->value = l->avg10;
                        obs->avg60 = l->avg60;
                        obs->where = source_path(cg);
                }
        }
        obs->limit = d->threshold;

        falling_fast = found && st->has_prev && obs->value < st->prev_avg10 * d->fast_fall_ratio;
        st->has_prev = found;
        st->prev_avg10 = found ? obs->value : 0.0;

        return found && obs->value > d->threshold && obs->avg60 > d->threshold && !falling_fast;
}

/* The largest memory (or anon) among the sources is above the amount (a percent of MemTotal). */
static bool memory_above(const Detector *d, const Snapshot *s, DetectorObservation *obs) {
        const MemInfo *mi = &s->system.meminfo;
        const CGroupSample *cg;
        SourceIter it = {};
        bool found = false;

        if (!resolve_limit(&d->amount, mi->mem_total, mi->valid, &obs->limit))
                return false;

        while (source_next(&d->cgroups, s, &it, &cg)) {
                double v;

                if (!cg) {
                        if (!mi->valid)
                                continue;
                        v = mi->mem_total > mi->mem_available ? (double) (mi->mem_total - mi->mem_available) : 0.0;
                } else if (s->degraded)
                        v = (double) cgroup_memory(s, cg, d->anon);
                else if (!(cg->fields & (d->anon ? CG_MEMORY_STAT : CG_MEMORY_CURRENT)))
                        continue;
                else
                        v = (double) (d->anon ? cg->anon : cg->memory_current);

                if (!found || v > obs->value) {
                        found = true;
                        obs->value = v;
                        obs->where = source_path(cg);
                }
        }
        return found && obs->value > obs->limit;
}

/* Some source's pgscan counter moved within the detector's duration. A glob of every child of P is read at P. */
static bool memory_reclaim(const Detector *d, const Snapshot *s, DetectorObservation *obs) {
        const CGroupSample *cg;
        SourceIter it = {};
        usec_t latest = 0;

        while (source_next(detector_reclaim_sources(d), s, &it, &cg)) {
                /* Without a memory controller, cgroups have no memory.stat: the system's counts. */
                usec_t t = !cg || s->degraded ? s->system.last_pgscan_usec : cg->last_pgscan_usec;

                if (t > latest) {
                        latest = t;
                        obs->where = source_path(cg);
                }
        }
        obs->limit = (double) d->duration_usec;
        if (latest == 0)
                return false;
        obs->value = s->now > latest ? (double) (s->now - latest) : 0.0;
        return s->now <= latest || s->now - latest <= d->duration_usec;
}

/* Free swap is below the amount (a percent of SwapTotal). A machine with no swap has nothing to
 * fall back on, so the condition holds there: this is what protects swapless machines. */
static bool swap_free_below(const Detector *d, const Snapshot *s, DetectorObservation *obs) {
        const MemInfo *mi = &s->system.meminfo;

        obs->where = "/";
        if (!mi->valid)
                return false;
        if (mi->swap_total == 0) {
                obs->no_swap = true;
                return true;
        }
        obs->value = (double) mi->swap_free;
        obs->limit = (double) amount_resolve(&d->amount, mi->swap_total);
        return obs->value < obs->limit;
}

static bool mem_available_below(const Detector *d, const Snapshot *s, DetectorObservation *obs) {
        const MemInfo *mi = &s->system.meminfo;

        obs->where = "/";
        if (!mi->valid)
                return false;
        obs->value = (double) mi->mem_available;
        obs->limit = (double) amount_resolve(&d->amount, mi->mem_total);
        return obs->value < obs->limit;
}

static bool exists(const Detector *d, const Snapshot *s, DetectorObservation *obs) {
        const CGroupSample *cg;
        SourceIter it = {};
        bool found = source_next(&d->cgroups, s, &it, &cg);

        if (found)
                obs->where = source_path(cg);
        return found != d->negate;
}

static bool detector_condition(const Detector *d, DetectorState *st, const Snapshot *s, DetectorObservation *obs) {
        switch (d->type) {
        case DETECTOR_PRESSURE_ABOVE:
                return pressure_above(d, s, obs);
        case DETECTOR_PRESSURE_RISING_BEYOND:
                return pressure_rising_beyond(d, st, s, obs);
        case DETECTOR_MEMORY_ABOVE:
                return memory_above(d, s, obs);
        case DETECTOR_MEMORY_RECLAIM:
                return memory_reclaim(d, s, obs);
        case DETECTOR_SWAP_FREE_BELOW:
                return swap_free_below(d, s, obs);
        case DETECTOR_MEM_AVAILABLE_BELOW:
                return mem_available_below(d, s, obs);
        case DETECTOR_EXISTS:
                return exists(d, s, obs);
        case _DETECTOR_TYPE_MAX:
                break;
        }
        return false;
}

DetectorVerdict detector_evaluate(const Detector *d, DetectorState *st, const Snapshot *s) {
        st->seen = (DetectorObservation) {};
        if (!detector_condition(d, st, s, &st->seen)) {
                st->holding = false;
                return DETECTOR_QUIET;
        }

        /* memory_reclaim's duration is its look-back window, already applied: no arming time. */
        if (d->type == DETECTOR_MEMORY_RECLAIM)
                return DETECTOR_FIRED;

        if (!st->holding || s->now < st->since) { /* a clock going back restarts the count */
                st->holding = true;
                st->since = s->now;
        }
        return s->now - st->since >= d->duration_usec ? DETECTOR_FIRED : DETECTOR_ARMING;
}

static const char *const resource_names[] = { [PSI_RESOURCE_MEMORY] = "memory", [PSI_RESOURCE_IO] = "io" };
static const char *const kind_names[] = { [PSI_KIND_SOME] = "some", [PSI_KIND_FULL] = "full" };
static const char *const window_names[] = {
        [PSI_WINDOW_AVG10] = "avg10", [PSI_WINDOW_AVG60] = "avg60", [PSI_WINDOW_AVG300] = "avg300",
};

int detector_describe(const Detector *d, const DetectorState *st, char *buf, size_t size) {
        const DetectorObservation *o = &st->seen;
        const char *where = o->where ?: "/";
        char value[16], limit[16], dur[24] = "";

        if (d->duration_usec > 0 && d->type != DETECTOR_MEMORY_RECLAIM) {
                char t[16];
                format_duration(t, sizeof(t), d->duration_usec);
                snprintf(dur, sizeof(dur), " for %s", t);
        }

        switch (d->type) {
        case DETECTOR_PRESSURE_ABOVE:
                return snprintf(buf, size, "%s %s %s %.2f%% > %g%%%s on %s",
                                resource_names[d->resource], kind_names[d->kind], window_names[d->window],
                                o->value, d->threshold, dur, where);
        case DETECTOR_PRESSURE_RISING_BEYOND:
                return snprintf(buf, size, "%s %s avg10 %.2f%% and avg60 %.2f%% > %g%% and not falling%s on %s",
                                resource_names[d->resource], kind_names[d->kind],
                                o->value, o->avg60, d->threshold, dur, where);
        case DETECTOR_MEMORY_ABOVE:
                format_bytes(value, sizeof(value), o->value);
                format_bytes(limit, sizeof(limit), o->limit);
                return snprintf(buf, size, "%s %s > %s%s on %s",
                                d->anon ? "anon memory" : "memory", value, limit, dur, where);
        case DETECTOR_MEMORY_RECLAIM:
                format_duration(limit, sizeof(limit), d->duration_usec);
                return snprintf(buf, size, "reclaim active on %s within %s", where, limit);
        case DETECTOR_SWAP_FREE_BELOW:
                if (o->no_swap)
                        return snprintf(buf, size, "no swap configured%s", dur);
                format_bytes(value, sizeof(value), o->value);
                format_bytes(limit, sizeof(limit), o->limit);
                return snprintf(buf, size, "swap free %s < %s%s", value, limit, dur);
        case DETECTOR_MEM_AVAILABLE_BELOW:
                format_bytes(value, sizeof(value), o->value);
                format_bytes(limit, sizeof(limit), o->limit);
                return snprintf(buf, size, "MemAvailable %s < %s%s", value, limit, dur);
        case DETECTOR_EXISTS:
                if (d->negate)
                        return snprintf(buf, size, "no cgroup matches %s%s",
                                        d->cgroups.n > 0 ? d->cgroups.items[0].glob : "(nothing)", dur);
                return snprintf(buf, size, "%s exists%s", where, dur);
        case _DETECTOR_TYPE_MAX:
                break;
        }
        return snprintf(buf, size, "unknown detector");
}
