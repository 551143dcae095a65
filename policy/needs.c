/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "candidate.h"
#include "macro.h"
#include "needs.h"
#include "pattern.h"

/* Every action reads these: the victim's size, whether it still has processes, its preference
 * xattrs, and whether it must die whole. */
#define ACTION_BASE_FIELDS (CG_MEMORY_CURRENT | CG_EVENTS | CG_XATTRS | CG_OOM_GROUP)

/* Adds a cgroup path pattern to a list of needs, once. The glob stays the Policy's. */
static int list_add_pattern(PatternList *l, const Pattern *pat) {
        Pattern *items;

        if (!pat->is_path || pattern_is_root(pat))
                return 0;
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->items[i].glob, pat->glob))
                        return 0;
        items = realloc(l->items, (l->n + 1) * sizeof(Pattern));
        if (!items)
                return -ENOMEM;
        items[l->n++] = *pat;
        l->items = items;
        return 0;
}

static int list_add_patterns(PatternList *dst, const PatternList *l) {
        for (size_t i = 0; i < l->n; i++) {
                int r = list_add_pattern(dst, &l->items[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The cgroups to read; with_stat: their memory.stat too. */
static int needs_add_patterns(SampleNeeds *n, const PatternList *l, bool with_stat) {
        int r = list_add_patterns(&n->cgroups, l);

        if (r >= 0 && with_stat)
                r = list_add_patterns(&n->stat_cgroups, l);
        return r;
}

static bool patterns_have_root(const PatternList *l) {
        for (size_t i = 0; i < l->n; i++)
                if (pattern_is_root(&l->items[i]))
                        return true;
        return false;
}

static bool patterns_have_cgroup(const PatternList *l) {
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i].is_path && !pattern_is_root(&l->items[i]))
                        return true;
        return false;
}

static void needs_add_detector(SampleNeeds *n, const Detector *d) {
        bool sys = patterns_have_root(&d->cgroups), cg = patterns_have_cgroup(&d->cgroups);

        switch (d->type) {
        case DETECTOR_PRESSURE_ABOVE:
        case DETECTOR_PRESSURE_RISING_BEYOND:
                if (d->resource == PSI_RESOURCE_IO) {
                        n->system_io_psi |= sys;
                        n->cgroup_fields |= cg ? CG_IO_PSI : 0;
                } else {
                        n->system_mem_psi |= sys;
                        n->cgroup_fields |= cg ? CG_MEMORY_PSI : 0;
                }
                break;
        case DETECTOR_MEMORY_ABOVE:
                n->meminfo |= sys;
                if (cg)
                        n->cgroup_fields |= CG_MEMORY_CURRENT | (d->anon ? CG_MEMORY_STAT : 0);
                break;
        case DETECTOR_MEMORY_RECLAIM:
                n->vmstat |= sys || cg; /* cgroup patterns fall back to the system's in degraded mode */
                n->cgroup_fields |= cg ? CG_MEMORY_STAT : 0;
                break;
        case DETECTOR_SWAP_FREE_BELOW:
        case DETECTOR_MEM_AVAILABLE_BELOW:
                n->meminfo = true;
                break;
        case DETECTOR_EXISTS:
        case _DETECTOR_TYPE_MAX:
                break;
        }
}

static unsigned action_fields(const Action *a) {
        switch (a->ranker) {
        case RANKER_SIZE_OR_GROWTH:
                return ACTION_BASE_FIELDS | CG_MEMORY_PROTECT;
        case RANKER_SWAP:
                return ACTION_BASE_FIELDS | CG_SWAP_CURRENT;
        case RANKER_PRESSURE:
                return ACTION_BASE_FIELDS | (a->pressure_resource == PSI_RESOURCE_IO ? CG_IO_PSI : CG_MEMORY_PSI);
        case RANKER_PGSCAN:
                return ACTION_BASE_FIELDS | CG_MEMORY_STAT;
        case _RANKER_TYPE_MAX:
                break;
        }
        return ACTION_BASE_FIELDS;
}

static int needs_add_ruleset(SampleNeeds *n, const Ruleset *rs, bool degraded, bool with_actions) {
        int r;

        for (size_t g = 0; g < rs->n_groups; g++)
                for (size_t i = 0; i < rs->groups[g].n; i++) {
                        const Detector *d = &rs->groups[g].detectors[i];

                        needs_add_detector(n, d);
                        /* Degraded mode weighs a cgroup by its processes' RSS. */
                        if (degraded && d->type == DETECTOR_MEMORY_ABOVE && patterns_have_cgroup(&d->cgroups))
                                n->procs = true;
                        if (d->type == DETECTOR_MEMORY_RECLAIM) /* pgscan alone, maybe at the parent */
                                r = needs_add_patterns(n, detector_reclaim_sources(d), true);
                        else
                                r = needs_add_patterns(n, &d->cgroups, d->type == DETECTOR_MEMORY_ABOVE && d->anon);
                        if (r < 0)
                                return r;
                }

        for (size_t i = 0; with_actions && i < rs->n_actions; i++) {
                const Action *a = &rs->actions[i];
                bool pgscan = a->ranker == RANKER_PGSCAN;

                n->cgroup_fields |= action_fields(a);
                n->descendants |= a->recursive;
                n->stat_descendants |= pgscan && a->recursive;
                r = needs_add_patterns(n, &a->cgroups, pgscan);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int needs_add_kill_list(SampleNeeds *n, const Policy *p) {
        for (size_t i = 0; i < p->n_kill_list; i++) {
                const KillListEntry *e = &p->kill_list[i];
                int r;

                if (!e->pattern.is_path) {
                        n->procs = true;
                        continue;
                }
                n->cgroup_fields |= CG_MEMORY_CURRENT | CG_EVENTS | CG_XATTRS |
                                    (e->has_min_pressure ? CG_MEMORY_PSI : 0);
                r = list_add_pattern(&n->cgroups, &e->pattern);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int needs_build(const Policy *p, bool degraded, bool with_actions, SampleNeeds *ret) {
        SampleNeeds n = {
                /* Always: status shows them, and percents resolve against MemTotal. */
                .meminfo = true,
                .system_mem_psi = true,
                .procs = degraded && with_actions,
        };
        int r;

        if (!p || !ret)
                return -EINVAL;

        for (size_t i = 0; i < p->n_rulesets; i++) {
                r = needs_add_ruleset(&n, &p->rulesets[i], degraded, with_actions);
                if (r < 0)
                        goto fail;
        }
        if (with_actions) {
                r = needs_add_kill_list(&n, p);
                if (r < 0)
                        goto fail;
        }

        *ret = n;
        return 0;
fail:
        sample_needs_clear(&n);
        return r;
}

int policy_needs(const Policy *p, bool degraded, SampleNeeds *ret) {
        return needs_build(p, degraded, true, ret);
}

int policy_needs_detectors(const Policy *p, bool degraded, SampleNeeds *ret) {
        return needs_build(p, degraded, false, ret);
}

SampleNeeds sample_needs_guards(const SampleNeeds *detectors) {
        SampleNeeds n = *detectors;

        n.stat_cgroups = (PatternList) {};
        n.stat_descendants = false;
        n.cgroup_fields &= ~(unsigned) CG_MEMORY_STAT;
        n.vmstat = false;
        return n;
}

void sample_needs_clear(SampleNeeds *n) {
        if (!n)
                return;
        free(n->cgroups.items); /* shallow copies: the globs belong to the Policy */
        free(n->stat_cgroups.items);
        *n = (SampleNeeds) {};
}
