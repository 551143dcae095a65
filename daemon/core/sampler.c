/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/macro.h"
#include "util/clock.h"
#include "util/log.h"
#include "read/cgroup_tree.h"
#include "read/proc_scan.h"
#include "core/level_tracker.h"
#include "core/manager-internal.h"
#include "core/psi_trigger.h"
#include "core/sampler.h"

/* A stall this fraction of the detector threshold wakes us through the trigger, ahead of the detector. */
#define TRIGGER_THRESHOLD_FRACTION 0.5
/* Wake on "some 100ms per 1s" when no rule names system pressure, so MemAvailable floors react early. */
#define TRIGGER_DEFAULT_STALL_USEC (100 * USEC_PER_MSEC)

/* The stall (per PSI_TRIGGER_WINDOW_USEC) that wakes us ahead of a detector's threshold. */
static usec_t trigger_stall_usec(double threshold_percent) {
        return (usec_t) (threshold_percent / 100.0 * TRIGGER_THRESHOLD_FRACTION * PSI_TRIGGER_WINDOW_USEC);
}

/* Collects, once per policy, the memory-pressure detectors that triggers can serve, and the system
 * trigger's setting: "some" at a fraction of the lowest memory-pressure threshold of any detector, on
 * the system or a cgroup (none: a default that still wakes us early). No cgroup stalls more than
 * the system does "some", so that one trigger guards every such detector while the daemon is quiet. */
int sampler_plan_triggers(Manager *m) {
        const Policy *p = m->policy;
        double sys_threshold = -1;

        m->n_watched = 0;
        for (size_t i = 0; i < p->n_rulesets; i++)
                for (size_t g = 0; g < p->rulesets[i].n_groups; g++)
                        for (size_t k = 0; k < p->rulesets[i].groups[g].n; k++) {
                                const Detector *det = &p->rulesets[i].groups[g].detectors[k];
                                if ((det->type != DETECTOR_PRESSURE_ABOVE && det->type != DETECTOR_PRESSURE_RISING_BEYOND) ||
                                    det->resource != PSI_RESOURCE_MEMORY)
                                        continue;
                                if (sys_threshold < 0 || det->threshold < sys_threshold)
                                        sys_threshold = det->threshold;
                                if (m->n_watched < ELEMENTSOF(m->watched))
                                        m->watched[m->n_watched++] = det;
                        }
        m->guard_stall_usec = sys_threshold < 0 ? TRIGGER_DEFAULT_STALL_USEC : trigger_stall_usec(sys_threshold);
        if (m->guard_stall_usec < PSI_TRIGGER_MIN_STALL_USEC)
                m->guard_stall_usec = PSI_TRIGGER_MIN_STALL_USEC;
        return 0;
}

/* Arms a trigger on the memory.pressure of every sampled cgroup a pressure detector watches, adding
 * each file to keep[] (owned strings, *n of them, at most `room`). -EOPNOTSUPP once refused. */
static int manager_arm_cgroup_triggers(Manager *m, const Snapshot *snap, char **keep, size_t room, size_t *n) {
        for (size_t s = 0; s < snap->n_cgroups && *n < room; s++) {
                const CGroupSample *cg = &snap->cgroups[s];
                if (!(cg->fields & CG_MEMORY_PSI) || streq(cg->path, "/"))
                        continue;
                for (size_t w = 0; w < m->n_watched; w++) {
                        const Detector *det = m->watched[w];
                        if (!pattern_list_match(&det->cgroups, cg->path, NULL))
                                continue;
                        if (asprintf(&keep[*n], "%s%s/memory.pressure", m->cgroup_root, cg->path) < 0)
                                return -ENOMEM;
                        const char *path = keep[(*n)++];
                        if (psi_trigger_add(m->triggers, path, AT_FDCWD, path, det->kind == PSI_KIND_FULL,
                                            trigger_stall_usec(det->threshold)) == -EOPNOTSUPP)
                                return -EOPNOTSUPP;
                        break; /* one trigger per file: the first detector watching it sets it */
                }
        }
        return 0;
}

/* Keeps one PSI trigger on every pressure file the rules watch, one on the system's for the rules,
 * and one at the system's "low" level (some 70 ms per 1 s, as low-memory-monitor arms), so that
 * LowMemoryWarning and PressureChanged "/" go out when pressure starts, not at the next poll. */
void sampler_update_triggers(Manager *m, const Snapshot *snap) {
        const char *keep[MANAGER_MAX_CGROUP_TRIGGERS + 2];
        char *owned[MANAGER_MAX_CGROUP_TRIGGERS];
        char sys_path[4096], sys_key[4200], level_key[4200];
        size_t n = 0;
        int r;

        m->guard_armed = false;
        if (!psi_trigger_available(m->triggers))
                return;

        snprintf(sys_path, sizeof sys_path, "%s/pressure/memory", m->config.proc_root);
        /* the setting is in the key, so that a policy with another threshold re-arms it */
        snprintf(sys_key, sizeof sys_key, "%s#some-%llu", sys_path, (unsigned long long) m->guard_stall_usec);
        r = psi_trigger_add(m->triggers, sys_key, AT_FDCWD, sys_path, false, m->guard_stall_usec);
        if (r == -EOPNOTSUPP)
                return;
        if (r < 0)
                log_debug_errno(r, "Failed to arm a PSI trigger on %s: %m", sys_path);
        m->guard_armed = r >= 0;
        snprintf(level_key, sizeof level_key, "%s#level", sys_path);
        r = psi_trigger_add(m->triggers, level_key, AT_FDCWD, sys_path, false,
                            (usec_t) (LEVEL_SYSTEM_LOW_SOME_PERCENT / 100.0 * PSI_TRIGGER_WINDOW_USEC));
        if (r == -EOPNOTSUPP)
                return;
        if (r < 0)
                log_debug_errno(r, "Failed to arm the low-memory PSI trigger on %s: %m", sys_path);

        if (m->cgroup_root && m->n_watched > 0)
                r = manager_arm_cgroup_triggers(m, snap, owned, ELEMENTSOF(owned), &n);
        if (r != -EOPNOTSUPP) {
                memcpy(keep, owned, n * sizeof(char *));
                keep[n] = sys_key;
                keep[n + 1] = level_key;
                psi_trigger_prune(m->triggers, keep, n + 2);
        }
        for (size_t i = 0; i < n; i++)
                free(owned[i]);
}

/* Logs a failure to read system figures once, and again only when it changes or clears:
 * it happens every sample, and the log must stay readable. */
void sampler_note_system_error(Manager *m, int r, const char *err) {
        if (r >= 0) {
                if (m->system_error)
                        log_notice("System memory figures can be read again; every rule works as configured");
                free(m->system_error);
                m->system_error = NULL;
                return;
        }
        if (!err)
                err = "no reason given";
        if (m->system_error && strcmp(m->system_error, err) == 0)
                return;
        log_warning_errno(r, "Failed to read system memory figures: %s. Rules that need them cannot fire "
                          "until this is fixed; the others keep working (logged again only if this changes)", err);
        free(m->system_error);
        m->system_error = strdup(err);
}

/* Reads the cgroups (and processes) a sample needs: all the policy reads when `full`, else what
 * the detectors read, and for quiet's periodic sample (`refresh`) only what can guard them. */
void sampler_read_cgroups(Manager *m, bool full, bool refresh, Snapshot *snap) {
        SampleNeeds guards = sample_needs_guards(&m->detect_needs); /* borrowed: not cleared */
        const SampleNeeds *needs = full ? &m->needs : refresh ? &guards : &m->detect_needs;
        int r;

        if (m->tree) {
                r = cgroup_tree_sample(m->tree, needs, snap->now, snap);
                if (r < 0)
                        log_debug_errno(r, "Failed to sample the cgroup tree at %s: %m", m->cgroup_root);
        }
        if (needs->procs && !snap->procs) {
                m->n_process_scans++;
                r = proc_scan(m->config.proc_root, &snap->procs, &snap->n_procs);
                if (r < 0)
                        log_debug_errno(r, "Failed to scan processes in %s: %m", m->config.proc_root);
        }
}

int sampler_read_partial(Manager *m, Snapshot *snap) {
        if (!m->tree || m->n_partial_paths == 0)
                return -ENOENT;
        int r = cgroup_tree_sample_paths(m->tree, &m->detect_needs, (const char *const *) m->partial_paths,
                                         m->n_partial_paths, snap->now, snap);
        if (r < 0)
                return r;
        snap->partial = true;
        m->n_partial_samples++;
        return 0;
}

static void partial_paths_clear(Manager *m) {
        for (size_t i = 0; i < m->n_partial_paths; i++)
                free(m->partial_paths[i]);
        m->n_partial_paths = 0;
}

void sampler_note_partial(Manager *m, const Snapshot *snap, bool ok) {
        const char *paths[MANAGER_MAX_PARTIAL_SOURCES];
        size_t n = ok && !m->degraded ? engine_partial_sources(m->engine, snap->now, paths, ELEMENTSOF(paths)) : 0;

        /* the same sources as before: nothing to copy (the paths borrow the snapshot) */
        bool same = n == m->n_partial_paths;
        for (size_t i = 0; same && i < n; i++)
                same = streq(paths[i], m->partial_paths[i]);
        if (same)
                return;
        if (n > 0)
                log_debug("Every detector that reads cgroups holds on %s%s: reading only %s until one no longer does",
                          paths[0], n > 1 ? " and others" : "", n > 1 ? "those" : "it");
        else
                log_debug("Reading every watched cgroup again: a detector no longer holds on the cgroups read alone");
        partial_paths_clear(m);
        for (size_t i = 0; i < n; i++) {
                m->partial_paths[i] = strdup(paths[i]);
                if (!m->partial_paths[i]) {
                        partial_paths_clear(m); /* every source, then: slower, never wrong */
                        return;
                }
                m->n_partial_paths++;
        }
}

void sampler_free_last_cgroups(Manager *m) {
        for (size_t i = 0; i < m->n_last_cgroups; i++)
                free(m->last_cgroups[i].path);
        free(m->last_cgroups);
        m->last_cgroups = NULL;
        m->n_last_cgroups = 0;
}

/* Keeps a tracker announcement until the update is done: the tracker's table is in flux during it,
 * and the bus reads that table to answer for the objects it announces. */
static void on_level_event(const LevelEvent *e, void *userdata) {
        Manager *m = userdata;
        QueuedLevelEvent *q = realloc(m->level_events, (m->n_level_events + 1) * sizeof *q);
        if (!q) {
                log_debug("Out of memory, dropping a level announcement of %s", e->path);
                return;
        }
        m->level_events = q;
        q[m->n_level_events].event = *e;
        q[m->n_level_events].path = strdup(e->path);
        if (!q[m->n_level_events].path)
                return;
        q[m->n_level_events].event.path = q[m->n_level_events].path;
        m->n_level_events++;
}

/* The event a level announcement becomes for subscribers. */
static Event level_event(const LevelEvent *e) {
        Event o = { .time = now_usec(CLOCK_REALTIME) };
        switch (e->kind) {
        case LEVEL_EVENT_ADDED:
                o.kind = EVENT_CGROUP_ADDED;
                o.cgroup.cgroup = e->path;
                break;
        case LEVEL_EVENT_REMOVED:
                o.kind = EVENT_CGROUP_REMOVED;
                o.cgroup.cgroup = e->path;
                break;
        case LEVEL_EVENT_CHANGED:
                o.kind = EVENT_PRESSURE_CHANGED;
                o.pressure_changed.cgroup = e->path;
                o.pressure_changed.level = e->level;
                o.pressure_changed.previous = e->previous;
                o.pressure_changed.pressure = e->pressure;
                break;
        case LEVEL_EVENT_RECOVERED:
                o.kind = EVENT_PRESSURE_RECOVERED;
                o.pressure_recovered.cgroup = e->path;
                o.pressure_recovered.worst = e->worst;
                o.pressure_recovered.duration_usec = e->duration_usec;
                break;
        case LEVEL_EVENT_LOW_MEMORY:
                o.kind = EVENT_LOW_MEMORY_WARNING;
                o.low_memory.level = e->level;
                break;
        }
        return o;
}

/* Announces what the tracker reported, now that its table is settled. Removals go first: a
 * cgroup recreated under the same path is removed and added, and must end up present. */
static void manager_flush_level_events(Manager *m) {
        for (size_t i = 0; i < m->n_level_events; i++)
                if (m->level_events[i].event.kind == LEVEL_EVENT_REMOVED) {
                        Event e = level_event(&m->level_events[i].event);
                        manager_publish(m, &e);
                }
        for (size_t i = 0; i < m->n_level_events; i++)
                if (m->level_events[i].event.kind != LEVEL_EVENT_REMOVED) {
                        Event e = level_event(&m->level_events[i].event);
                        manager_publish(m, &e);
                }
        for (size_t i = 0; i < m->n_level_events; i++)
                free(m->level_events[i].path);
        free(m->level_events);
        m->level_events = NULL;
        m->n_level_events = 0;
}

/* The system's stall over a window, percent: full when that is what made it critical, else some. */
static double system_stall_percent(const PsiStats *prev, const PsiStats *cur, usec_t window, PressureLevel l) {
        const PsiLine *a = l == PRESSURE_LEVEL_CRITICAL ? &prev->full : &prev->some;
        const PsiLine *b = l == PRESSURE_LEVEL_CRITICAL ? &cur->full : &cur->some;
        if (!a->valid || !b->valid || b->total_usec < a->total_usec || window == 0)
                return -1;
        return 100.0 * (double) (b->total_usec - a->total_usec) / (double) window;
}

/* Feeds the tracker: the cgroups of a full sample (m->last_cgroups, just replaced), and the system's
 * level over the window since the last measurement (windows too short to tell are stretched). */
void sampler_update_levels(Manager *m, bool full, usec_t now) {
        const PsiStats *cur = &m->last_system.mem_psi;
        int r;

        if (full) {
                r = level_tracker_update(m->levels, m->last_cgroups, m->n_last_cgroups, now, on_level_event, m);
                if (r < 0)
                        log_debug_errno(r, "Failed to update the published cgroup levels: %m; trying again next sample");
        }
        if (cur->some.valid && !m->have_level_psi) {
                m->level_psi = *cur;
                m->level_psi_usec = now;
                m->have_level_psi = true;
        } else if (cur->some.valid && now - m->level_psi_usec >= LEVEL_SYSTEM_MIN_WINDOW_USEC) {
                usec_t window = now - m->level_psi_usec;
                PressureLevel l = pressure_level_of_system(&m->level_psi, cur, window);
                level_tracker_update_system(m->levels, l, system_stall_percent(&m->level_psi, cur, window, l), now,
                                            on_level_event, m);
                m->level_psi = *cur;
                m->level_psi_usec = now;
        }
        manager_flush_level_events(m);
}


void sampler_measure_partial(Manager *m, const Snapshot *snap) {
        level_tracker_measure(m->levels, snap->cgroups, snap->n_cgroups, snap->now, on_level_event, m);
}
