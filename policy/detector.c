/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- releases ---- */

void release_log_clear(ReleaseLog *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i].cgroup);
        *l = (ReleaseLog) {};
}

static void release_log_drop(ReleaseLog *l, size_t i) {
        free(l->items[i].cgroup);
        memmove(&l->items[i], &l->items[i + 1], (l->n - i - 1) * sizeof(Release));
        l->n--;
}

int release_log_add(ReleaseLog *l, const char *cgroup, usec_t at) {
        char *c = strdup(cgroup ?: "/");

        if (!c)
                return -ENOMEM;
        for (size_t i = 0; i < l->n;)
                if (at > l->items[i].at && at - l->items[i].at > RELEASE_KEEP_USEC)
                        release_log_drop(l, i);
                else
                        i++;
        if (l->n == RELEASES_MAX)
                release_log_drop(l, 0);
        l->items[l->n++] = (Release) { .cgroup = c, .at = at };
        return 0;
}

usec_t release_log_floor(const ReleaseLog *l, const char *source) {
        usec_t floor = 0;

        for (size_t i = 0; l && i < l->n; i++) {
                const Release *r = &l->items[i];

                /* the system holds every victim; a cgroup holds those below it and shares the stall of those above it */
                if (cgroup_path_is_root(source) || cgroup_path_at_or_below(r->cgroup, source) ||
                    cgroup_path_at_or_below(source, r->cgroup))
                        floor = r->at > floor ? r->at : floor;
        }
        return floor;
}

/* ---- PSI history per source ---- */

void detector_state_clear(DetectorState *st) {
        free(st->hist);
        *st = (DetectorState) {};
}

static PsiPoint *history_point(PsiHistory *h, unsigned i) {
        return &h->points[(h->first + i) % PSI_HISTORY_POINTS];
}

/* The history of source `id`, created empty when new; NULL when out of memory. Forgets sources not
 * seen for PSI_HISTORY_FORGET_USEC. */
static PsiHistory *history_get(DetectorState *st, uint64_t id, usec_t now) {
        size_t lo = 0, hi = st->n_hist;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (st->hist[mid].id < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo < st->n_hist && st->hist[lo].id == id) {
                st->hist[lo].seen = now;
                return &st->hist[lo];
        }
        for (size_t i = 0; i < st->n_hist;) /* make room by forgetting the vanished first */
                if (now > st->hist[i].seen && now - st->hist[i].seen > PSI_HISTORY_FORGET_USEC) {
                        memmove(&st->hist[i], &st->hist[i + 1], (st->n_hist - i - 1) * sizeof(PsiHistory));
                        st->n_hist--;
                        if (i < lo)
                                lo--;
                } else
                        i++;
        if (st->n_hist == st->cap_hist) {
                size_t cap = st->cap_hist ? st->cap_hist * 2 : 4;
                PsiHistory *n = realloc(st->hist, cap * sizeof(PsiHistory));
                if (!n)
                        return NULL;
                st->hist = n;
                st->cap_hist = cap;
        }
        memmove(&st->hist[lo + 1], &st->hist[lo], (st->n_hist - lo) * sizeof(PsiHistory));
        st->n_hist++;
        st->hist[lo] = (PsiHistory) { .id = id, .seen = now };
        return &st->hist[lo];
}

/* Starts the history afresh at a new release: stall before it must not count. */
static void history_set_floor(PsiHistory *h, usec_t floor) {
        if (h->floor == floor)
                return;
        h->floor = floor;
        h->first = h->n = 0;
}

/* Appends (now, total) when the last point is at least `spacing` old. A counter that went back
 * (it cannot, for one inode) starts the history afresh. */
static void history_push(PsiHistory *h, usec_t now, uint64_t total, usec_t spacing) {
        if (h->n > 0) {
                const PsiPoint *last = history_point(h, h->n - 1);
                if (total < last->total || now < last->t) {
                        h->first = h->n = 0;
                } else if (now - last->t < spacing || now == last->t)
                        return;
        }
        if (h->n == PSI_HISTORY_POINTS) {
                h->first = (h->first + 1) % PSI_HISTORY_POINTS;
                h->n--;
        }
        *history_point(h, h->n++) = (PsiPoint) { .t = now, .total = total };
}

static double stall_percent(uint64_t stalled, usec_t span) {
        double v = 100.0 * (double) stalled / (double) span;
        return v < 0 ? 0 : v > 100 ? 100 : v;
}

/* The share of [now - window, now] spent stalled, from the history and the counter now, the counter
 * taken as rising evenly between two points. Over a shorter history (after a release, or at start)
 * the share of what there is, once that is PSI_EXACT_MIN_SPAN_USEC; false before. */
static bool history_stall(PsiHistory *h, usec_t now, uint64_t total, usec_t window, double *ret) {
        usec_t start = now > window ? now - window : 0;
        const PsiPoint *p, *oldest;
        PsiPoint q;
        unsigned i;

        if (h->n == 0)
                return false;
        oldest = history_point(h, 0);
        if (oldest->t >= now || total < oldest->total)
                return false;
        if (oldest->t >= start) {
                if (now - oldest->t < PSI_EXACT_MIN_SPAN_USEC)
                        return false;
                *ret = stall_percent(total - oldest->total, now - oldest->t);
                return true;
        }
        for (i = h->n - 1; history_point(h, i)->t > start; i--)
                ;
        p = history_point(h, i);
        q = i + 1 < h->n ? *history_point(h, i + 1) : (PsiPoint) { .t = now, .total = total };
        double at = (double) p->total;
        if (q.t > p->t && q.total >= p->total)
                at += (double) (q.total - p->total) * (double) (start - p->t) / (double) (q.t - p->t);
        *ret = stall_percent((uint64_t) ((double) total > at ? (double) total - at : 0), window);
        return true;
}

/* The averages' time constants. After a release an average is capped by the exact stall over as
 * long a window, counted from the release, for three time constants (by then what came before weighs 5%). */
static usec_t psi_window_usec(PsiWindow w) {
        switch (w) {
        case PSI_WINDOW_AVG60:
                return 60 * USEC_PER_SEC;
        case PSI_WINDOW_AVG300:
                return 300 * USEC_PER_SEC;
        default:
                return 10 * USEC_PER_SEC;
        }
}

/* Pressure at one source as it is now: an exact window from the history; one of the kernel's
 * averages, capped after a release by the exact stall over its length since the release. `avg` is the average to cap (NULL for
 * an exact window); *ret the figure. False when there is no figure yet (a source just seen, a history
 * shorter than PSI_EXACT_MIN_SPAN_USEC): an exact window then does not count the source, and a capped
 * average counts as no stall, as nothing since the release says otherwise. */
static bool source_pressure(const Detector *d, DetectorState *st, const Snapshot *s, const CGroupSample *cg,
                            const PsiLine *l, const double *avg, PsiWindow avg_window, const ReleaseLog *rl,
                            DetectorObservation *obs, double *ret) {
        usec_t floor = release_log_floor(rl, source_path(cg));
        PsiHistory *h;
        double since;

        if (avg && (floor == 0 || s->now < floor || s->now - floor >= 3 * psi_window_usec(avg_window))) {
                *ret = *avg;
                return true;
        }
        if (floor > obs->floor)
                obs->floor = floor;
        h = history_get(st, cg ? cg->inode : 0, s->now);
        if (!h) { /* out of memory: the kernel's figure, or nothing */
                *ret = avg ? *avg : 0;
                return avg != NULL;
        }
        history_set_floor(h, floor);
        if (!avg) {
                bool ok = history_stall(h, s->now, l->total_usec, d->window_usec, ret);
                history_push(h, s->now, l->total_usec, d->window_usec / 16);
                return ok;
        }
        /* The average's own length as an exact window, of what came after the release. */
        if (!history_stall(h, s->now, l->total_usec, psi_window_usec(avg_window), &since))
                since = 0;
        history_push(h, s->now, l->total_usec, psi_window_usec(avg_window) / 16);
        *ret = since < *avg ? since : *avg;
        return true;
}

/* The highest chosen PSI value among the sources is above the threshold. */
static bool pressure_above(const Detector *d, DetectorState *st, const Snapshot *s, const ReleaseLog *rl,
                           DetectorObservation *obs) {
        const CGroupSample *cg;
        SourceIter it = {};
        bool found = false;

        while (source_next(&d->cgroups, s, &it, &cg)) {
                const PsiLine *l = psi_line(source_psi(s, cg, d->resource), d->kind);
                double v, avg;

                if (!l)
                        continue;
                avg = d->window == PSI_WINDOW_EXACT ? 0 : psi_window(l, d->window);
                if (!source_pressure(d, st, s, cg, l, d->window == PSI_WINDOW_EXACT ? NULL : &avg, d->window, rl, obs, &v))
                        continue;
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
static bool pressure_rising_beyond(const Detector *d, DetectorState *st, const Snapshot *s, const ReleaseLog *rl,
                                   DetectorObservation *obs) {
        const CGroupSample *cg;
        SourceIter it = {};
        bool found = false, falling_fast;

        while (source_next(&d->cgroups, s, &it, &cg)) {
                const PsiLine *l = psi_line(source_psi(s, cg, d->resource), d->kind);
                double avg10, avg60;

                if (!l)
                        continue;
                /* After a release both averages are capped by the stall since it (the same figure). */
                (void) source_pressure(d, st, s, cg, l, &l->avg10, PSI_WINDOW_AVG10, rl, obs, &avg10);
                (void) source_pressure(d, st, s, cg, l, &l->avg60, PSI_WINDOW_AVG60, rl, obs, &avg60);
                if (!found || avg10 > obs->value) {
                        found = true;
                        obs->value = avg10;
                        obs->avg60 = avg60;
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
static bool memory_reclaim(const Detector *d, const Snapshot *s, const ReleaseLog *rl, DetectorObservation *obs) {
        const CGroupSample *cg;
        SourceIter it = {};
        usec_t latest = 0;

        while (source_next(detector_reclaim_sources(d), s, &it, &cg)) {
                /* Without a memory controller, cgroups have no memory.stat: the system's counts. */
                usec_t t = !cg || s->degraded ? s->system.last_pgscan_usec : cg->last_pgscan_usec;
                usec_t floor = release_log_floor(rl, source_path(cg));

                /* Reclaim seen up to the sample after a release may be the victim's: not counted. */
                if (floor > 0 && t <= floor + PSI_EXACT_MIN_SPAN_USEC) {
                        obs->floor = floor > obs->floor ? floor : obs->floor;
                        continue;
                }
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

static bool detector_condition(const Detector *d, DetectorState *st, const Snapshot *s, const ReleaseLog *rl,
                               DetectorObservation *obs) {
        switch (d->type) {
        case DETECTOR_PRESSURE_ABOVE:
                return pressure_above(d, st, s, rl, obs);
        case DETECTOR_PRESSURE_RISING_BEYOND:
                return pressure_rising_beyond(d, st, s, rl, obs);
        case DETECTOR_MEMORY_ABOVE:
                return memory_above(d, s, obs);
        case DETECTOR_MEMORY_RECLAIM:
                return memory_reclaim(d, s, rl, obs);
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

static bool patterns_reach_cgroups(const PatternList *l) {
        for (size_t i = 0; i < l->n; i++)
                if (!pattern_is_root(&l->items[i]))
                        return true;
        return false;
}

const PatternList *detector_sources(const Detector *d) {
        return d->type == DETECTOR_MEMORY_RECLAIM ? detector_reclaim_sources(d) : &d->cgroups;
}

bool detector_reads_cgroups(const Detector *d) {
        return patterns_reach_cgroups(detector_sources(d));
}

bool detector_sources_exact(const Detector *d) {
        const PatternList *l = detector_sources(d);

        for (size_t i = 0; i < l->n; i++)
                if (!l->items[i].is_path || strpbrk(l->items[i].glob, "*?[\\"))
                        return false;
        return true;
}

/* Every named source (not "/": the system, always read) is among the snapshot's cgroups. */
static bool exact_sources_present(const Detector *d, const Snapshot *s) {
        const PatternList *l = detector_sources(d);

        for (size_t i = 0; i < l->n; i++) {
                bool found = pattern_is_root(&l->items[i]);
                for (size_t k = 0; k < s->n_cgroups && !found; k++)
                        found = streq(s->cgroups[k].path, l->items[i].glob);
                if (!found)
                        return false;
        }
        return true;
}

bool detector_partial_ok(const Detector *d) {
        return d->type == DETECTOR_PRESSURE_ABOVE || d->type == DETECTOR_MEMORY_ABOVE ||
               d->type == DETECTOR_MEMORY_RECLAIM;
}

DetectorVerdict detector_evaluate(const Detector *d, DetectorState *st, const Snapshot *s, const ReleaseLog *rl) {
        bool unsure = s->partial && detector_reads_cgroups(d) &&
                      !(detector_sources_exact(d) && exact_sources_present(d, s));

        if (unsure && !detector_partial_ok(d))
                return DETECTOR_UNKNOWN; /* before its state is touched */
        st->seen = (DetectorObservation) {};
        if (!detector_condition(d, st, s, rl, &st->seen)) {
                if (unsure)
                        return DETECTOR_UNKNOWN; /* a source not read may meet it */
                st->condition = false;
                st->holding = false;
                return DETECTOR_QUIET;
        }
        st->condition = true;

        /* memory_reclaim's duration is its look-back window, already applied: no arming time. */
        if (d->type == DETECTOR_MEMORY_RECLAIM)
                return DETECTOR_FIRED;

        /* A clock going back restarts the count; so does a release: what held before it was (partly) the victim's. */
        if (!st->holding || s->now < st->since || st->since < st->seen.floor) {
                st->holding = true;
                st->since = s->now;
        }
        return s->now - st->since >= d->duration_usec ? DETECTOR_FIRED : DETECTOR_ARMING;
}

int detector_describe(const Detector *d, const DetectorState *st, char *buf, size_t size) {
        const DetectorObservation *o = &st->seen;
        const char *where = o->where ?: "/";
        char value[32], limit[32], dur[24] = "";

        if (d->duration_usec > 0 && d->type != DETECTOR_MEMORY_RECLAIM) {
                char t[16];
                format_duration(t, sizeof(t), d->duration_usec);
                snprintf(dur, sizeof(dur), " for %s", t);
        }

        switch (d->type) {
        case DETECTOR_PRESSURE_ABOVE: {
                if (d->window == PSI_WINDOW_EXACT) {
                        char t[16];
                        format_duration(t, sizeof(t), d->window_usec);
                        return snprintf(buf, size, "%s %s stall %.2f%% > %g%% over %s%s on %s%s",
                                        resource_names[d->resource], kind_names[d->kind], o->value, d->threshold, t,
                                        dur, where, o->floor ? " (since the last victim was gone)" : "");
                }
                return snprintf(buf, size, "%s %s %s %.2f%% > %g%%%s on %s%s",
                                resource_names[d->resource], kind_names[d->kind], window_names[d->window],
                                o->value, d->threshold, dur, where, o->floor ? " (since the last victim was gone)" : "");
        }
        case DETECTOR_PRESSURE_RISING_BEYOND:
                return snprintf(buf, size, "%s %s avg10 %.2f%% and avg60 %.2f%% > %g%% and not falling%s on %s%s",
                                resource_names[d->resource], kind_names[d->kind],
                                o->value, o->avg60, d->threshold, dur, where,
                                o->floor ? " (since the last victim was gone)" : "");
        case DETECTOR_MEMORY_ABOVE:
                format_bytes_pair(value, sizeof(value), limit, sizeof(limit), o->value, o->limit);
                return snprintf(buf, size, "%s %s > %s%s on %s",
                                d->anon ? "anon memory" : "memory", value, limit, dur, where);
        case DETECTOR_MEMORY_RECLAIM:
                format_duration(limit, sizeof(limit), d->duration_usec);
                return snprintf(buf, size, "reclaim active on %s within %s", where, limit);
        case DETECTOR_SWAP_FREE_BELOW:
                if (o->no_swap)
                        return snprintf(buf, size, "no swap configured%s", dur);
                format_bytes_pair(value, sizeof(value), limit, sizeof(limit), o->value, o->limit);
                return snprintf(buf, size, "swap free %s < %s%s", value, limit, dur);
        case DETECTOR_MEM_AVAILABLE_BELOW:
                format_bytes_pair(value, sizeof(value), limit, sizeof(limit), o->value, o->limit);
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
