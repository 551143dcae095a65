/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/macro.h"
#include "core/level_tracker.h"

static const char *const level_names[_PRESSURE_LEVEL_MAX] = {
        [PRESSURE_LEVEL_OK] = "ok",
        [PRESSURE_LEVEL_LOW] = "low",
        [PRESSURE_LEVEL_MEDIUM] = "medium",
        [PRESSURE_LEVEL_CRITICAL] = "critical",
};

const char *pressure_level_to_string(PressureLevel l) {
        return l >= 0 && l < _PRESSURE_LEVEL_MAX ? level_names[l] : "unknown";
}

double pressure_percent_of_cgroup(const PsiStats *p) {
        return p->full.valid ? p->full.avg10 : p->some.valid ? p->some.avg10 : -1;
}

PressureLevel pressure_level_of_cgroup(const PsiStats *p) {
        double v = pressure_percent_of_cgroup(p);
        if (v < 0)
                return PRESSURE_LEVEL_UNKNOWN;
        return v >= LEVEL_CGROUP_CRITICAL_PERCENT ? PRESSURE_LEVEL_CRITICAL :
               v >= LEVEL_CGROUP_MEDIUM_PERCENT ? PRESSURE_LEVEL_MEDIUM :
               v >= LEVEL_CGROUP_LOW_PERCENT ? PRESSURE_LEVEL_LOW : PRESSURE_LEVEL_OK;
}

/* The share of the window the total grew by, in percent; -1 when it cannot be told. */
static double stall_percent(const PsiLine *prev, const PsiLine *cur, usec_t window_usec) {
        if (!prev->valid || !cur->valid || cur->total_usec < prev->total_usec)
                return -1;
        return 100.0 * (double) (cur->total_usec - prev->total_usec) / (double) window_usec;
}

PressureLevel pressure_level_of_system(const PsiStats *prev, const PsiStats *cur, usec_t window_usec) {
        if (window_usec < LEVEL_SYSTEM_MIN_WINDOW_USEC)
                return PRESSURE_LEVEL_UNKNOWN;
        double some = stall_percent(&prev->some, &cur->some, window_usec);
        double full = stall_percent(&prev->full, &cur->full, window_usec);
        if (some < 0)
                return PRESSURE_LEVEL_UNKNOWN;
        if (full >= LEVEL_SYSTEM_CRITICAL_FULL_PERCENT)
                return PRESSURE_LEVEL_CRITICAL;
        return some >= LEVEL_SYSTEM_MEDIUM_SOME_PERCENT ? PRESSURE_LEVEL_MEDIUM :
               some >= LEVEL_SYSTEM_LOW_SOME_PERCENT ? PRESSURE_LEVEL_LOW : PRESSURE_LEVEL_OK;
}

uint8_t pressure_level_to_lmm(PressureLevel l) {
        switch (l) {
        case PRESSURE_LEVEL_LOW: return 50;
        case PRESSURE_LEVEL_MEDIUM: return 100;
        case PRESSURE_LEVEL_CRITICAL: return 255;
        default: return 0;
        }
}

struct LevelTracker {
        LevelEntry *entries;   /* sorted by path */
        size_t n;
        LevelEntry system;     /* path "/" */
        usec_t lmm_usec;       /* the last LowMemoryWarning */
        PressureLevel lmm_level;
};

LevelTracker *level_tracker_new(void) {
        LevelTracker *t = calloc(1, sizeof *t);
        if (!t)
                return NULL;
        t->system = (LevelEntry) { .path = (char *) "/", .level = PRESSURE_LEVEL_UNKNOWN,
                                   .pending = PRESSURE_LEVEL_UNKNOWN, .worst = PRESSURE_LEVEL_OK, .pressure = -1 };
        t->lmm_level = PRESSURE_LEVEL_OK;
        return t;
}

static void entries_free(LevelEntry *e, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(e[i].path);
        free(e);
}

LevelTracker *level_tracker_free(LevelTracker *t) {
        if (!t)
                return NULL;
        entries_free(t->entries, t->n);
        free(t);
        return NULL;
}

static int compare_sample_ptrs(const void *a, const void *b) {
        const CGroupSample *x = *(const CGroupSample *const *) a, *y = *(const CGroupSample *const *) b;
        return strcmp(x->path, y->path);
}

static void emit(level_event_handler_t cb, void *userdata, LevelEventKind kind, const LevelEntry *e,
                 PressureLevel previous, usec_t duration) {
        if (!cb)
                return;
        LevelEvent ev = {
                .kind = kind,
                .path = e->path,
                .level = e->level,
                .previous = previous,
                .worst = e->worst,
                .pressure = e->pressure,
                .duration_usec = duration,
        };
        cb(&ev, userdata);
}

/* Takes in a newly measured level; announces it unless the last announcement is too recent. The
 * first known level of an entry is its starting point, not a change. */
static void entry_measure(LevelEntry *e, PressureLevel measured, double pressure, usec_t now,
                          level_event_handler_t cb, void *userdata) {
        if (measured == PRESSURE_LEVEL_UNKNOWN)
                return;
        e->pending = measured;
        e->pressure = pressure;
        if (e->level == PRESSURE_LEVEL_UNKNOWN) {
                e->level = measured;
                e->announced_usec = now;
                if (measured != PRESSURE_LEVEL_OK) {
                        e->left_ok_usec = now;
                        e->worst = measured;
                }
                return;
        }
        if (measured == e->level || (e->announced_usec && now < e->announced_usec + LEVEL_CHANGE_MIN_INTERVAL_USEC))
                return;

        PressureLevel previous = e->level;
        e->level = measured;
        e->announced_usec = now;
        if (previous == PRESSURE_LEVEL_OK) {
                e->left_ok_usec = now;
                e->worst = measured;
        } else if (measured > e->worst)
                e->worst = measured;
        emit(cb, userdata, LEVEL_EVENT_CHANGED, e, previous, 0);
        if (measured == PRESSURE_LEVEL_OK) {
                emit(cb, userdata, LEVEL_EVENT_RECOVERED, e, previous, now - e->left_ok_usec);
                e->left_ok_usec = 0;
                e->worst = PRESSURE_LEVEL_OK;
        }
}

int level_tracker_update(LevelTracker *t, const CGroupSample *samples, size_t n, usec_t now,
                         level_event_handler_t cb, void *userdata) {
        _cleanup_free_ const CGroupSample **sorted = n ? malloc(n * sizeof *sorted) : NULL;
        size_t k = 0;

        if (n && !sorted)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (samples[i].path && !streq(samples[i].path, "/"))
                        sorted[k++] = &samples[i];
        if (k > 1)
                qsort(sorted, k, sizeof *sorted, compare_sample_ptrs);

        /* The new table is built aside, so a failed allocation leaves the old one whole. */
        LevelEntry *next = k ? calloc(k, sizeof *next) : NULL;
        size_t nn = 0;
        if (k && !next)
                return -ENOMEM;
        for (size_t i = 0; i < k; i++) {
                if (nn > 0 && streq(next[nn - 1].path, sorted[i]->path))
                        continue; /* a path sampled twice: keep the first */
                next[nn].path = strdup(sorted[i]->path);
                if (!next[nn].path) {
                        entries_free(next, nn);
                        return -ENOMEM;
                }
                next[nn].sample = sorted[i];
                nn++;
        }

        /* Merge the two sorted tables: carry state over, collect what went. */
        size_t a = 0, n_removed = 0;
        _cleanup_free_ LevelEntry *removed = t->n ? calloc(t->n, sizeof *removed) : NULL;
        _cleanup_free_ bool *carried = nn ? calloc(nn, sizeof *carried) : NULL;
        if ((t->n && !removed) || (nn && !carried)) {
                entries_free(next, nn);
                return -ENOMEM;
        }
        for (size_t b = 0; b < nn; b++) {
                const CGroupSample *s = next[b].sample;
                while (a < t->n && strcmp(t->entries[a].path, next[b].path) < 0)
                        removed[n_removed++] = t->entries[a++];
                if (a < t->n && streq(t->entries[a].path, next[b].path)) {
                        if (t->entries[a].inode == s->inode) {
                                char *path = next[b].path;
                                free(t->entries[a].path);
                                next[b] = t->entries[a];
                                next[b].path = path;
                                next[b].sample = s;
                                carried[b] = true;
                        } else
                                removed[n_removed++] = t->entries[a]; /* recreated: a new cgroup under the old name */
                        a++;
                }
                if (!carried[b]) {
                        next[b].inode = s->inode;
                        next[b].level = next[b].pending = PRESSURE_LEVEL_UNKNOWN;
                        next[b].worst = PRESSURE_LEVEL_OK;
                        next[b].pressure = -1;
                }
        }
        while (a < t->n)
                removed[n_removed++] = t->entries[a++];

        /* Announce in the documented order: added (with its first level), then changed, then removed. */
        for (int pass = 0; pass < 2; pass++)
                for (size_t b = 0; b < nn; b++) {
                        LevelEntry *e = &next[b];
                        if (carried[b] != (pass == 1))
                                continue;
                        if (e->sample->fields & CG_MEMORY_PSI)
                                entry_measure(e, pressure_level_of_cgroup(&e->sample->mem_psi),
                                              pressure_percent_of_cgroup(&e->sample->mem_psi), now, cb, userdata);
                        if (pass == 0)
                                emit(cb, userdata, LEVEL_EVENT_ADDED, e, PRESSURE_LEVEL_UNKNOWN, 0);
                }
        for (size_t i = 0; i < n_removed; i++) {
                emit(cb, userdata, LEVEL_EVENT_REMOVED, &removed[i], removed[i].level, 0);
                free(removed[i].path);
        }
        free(t->entries);
        t->entries = next;
        t->n = nn;
        return 0;
}

void level_tracker_measure(LevelTracker *t, const CGroupSample *samples, size_t n, usec_t now,
                           level_event_handler_t cb, void *userdata) {
        for (size_t i = 0; t && i < n; i++) {
                const CGroupSample *s = &samples[i];
                LevelEntry *e = s->path ? (LevelEntry *) level_tracker_find(t, s->path) : NULL;

                if (!e || e->inode != s->inode || !(s->fields & CG_MEMORY_PSI))
                        continue;
                entry_measure(e, pressure_level_of_cgroup(&s->mem_psi), pressure_percent_of_cgroup(&s->mem_psi), now,
                              cb, userdata);
        }
}

void level_tracker_update_system(LevelTracker *t, PressureLevel measured, double pressure, usec_t now,
                                 level_event_handler_t cb, void *userdata) {
        if (measured == PRESSURE_LEVEL_UNKNOWN)
                return;
        entry_measure(&t->system, measured, pressure, now, cb, userdata);

        /* low-memory-monitor's rhythm: warn on the way up, repeat while it lasts, say nothing on the way down. */
        PressureLevel l = t->system.level;
        if (l == PRESSURE_LEVEL_OK || l == PRESSURE_LEVEL_UNKNOWN) {
                t->lmm_level = PRESSURE_LEVEL_OK;
                return;
        }
        if (l > t->lmm_level || now >= t->lmm_usec + LEVEL_LMM_REPEAT_USEC) {
                t->lmm_level = l;
                t->lmm_usec = now;
                emit(cb, userdata, LEVEL_EVENT_LOW_MEMORY, &t->system, PRESSURE_LEVEL_UNKNOWN, 0);
        }
}

const LevelEntry *level_tracker_entries(const LevelTracker *t, size_t *ret_n) {
        *ret_n = t->n;
        return t->entries;
}

static int compare_path_entry(const void *key, const void *elem) {
        return strcmp(key, ((const LevelEntry *) elem)->path);
}

const LevelEntry *level_tracker_find(const LevelTracker *t, const char *path) {
        if (!path || t->n == 0)
                return NULL;
        return bsearch(path, t->entries, t->n, sizeof *t->entries, compare_path_entry);
}

PressureLevel level_tracker_system_level(const LevelTracker *t) {
        return t->system.level;
}

static bool level_calm(PressureLevel l) {
        return l == PRESSURE_LEVEL_OK || l == PRESSURE_LEVEL_UNKNOWN;
}

bool level_tracker_calm(const LevelTracker *t) {
        if (!t)
                return true;
        if (!level_calm(t->system.level) || !level_calm(t->system.pending))
                return false;
        for (size_t i = 0; i < t->n; i++)
                if (!level_calm(t->entries[i].level) || !level_calm(t->entries[i].pending))
                        return false;
        return true;
}

bool level_tracker_count_kill(LevelTracker *t, const char *path) {
        LevelEntry *e = (LevelEntry *) level_tracker_find(t, path);
        if (!e)
                return false;
        e->kill_count++;
        return true;
}
