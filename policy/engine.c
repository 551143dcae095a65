/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "candidate.h"
#include "decide.h"
#include "detector.h"
#include "engine.h"
#include "format.h"
#include "kill_list.h"
#include "macro.h"
#include "ranker.h"


/* Room for a victim's name in a recheck sentence: a cgroup path, or "process PID (comm)". */
#define VICTIM_NAME_MAX 4096

/* One ruleset's current incident: its kills since the pressure it saw last eased. */
typedef struct Incident {
        unsigned kills;
        char *cgroup;             /* the last victim's cgroup (a process victim: its cgroup) */
        KillScope scope;          /* how the last victim was ended */
        usec_t last_fired;        /* the last evaluation at which a group of the ruleset fired */
        usec_t gone;              /* when the last victim was gone; 0 while it is in flight */
        uint64_t memory;          /* what the last victim held */
        bool bound_told;          /* engine_take_notice() said the bound was reached */
        bool aftermath_told;      /* ... or that a candidate was too small to be the cause */
} Incident;

/* A kill begun and not yet gone (engine_action_started). */
typedef struct InFlight {
        char *cgroup;
        const char *ruleset;      /* borrowed name; NULL for a manual kill */
        size_t ruleset_index, action_index;
        usec_t deadline;          /* held back no longer than this */
} InFlight;

struct Engine {
        const Policy *policy;     /* borrowed */
        DetectorState *states;    /* one per detector, in policy order: ruleset, group, detector */
        DetectorVerdict *verdicts; /* ... and its verdict at the evaluation under way */
        size_t n_states;
        usec_t *delay_until;      /* per ruleset: end of its post-action delay */
        bool *held;               /* per ruleset: a decision of it waits out its prekill_timeout */
        bool *group_fired;        /* per ruleset: some group fired at the last evaluation, holds and delays aside */
        bool arming;              /* at the last evaluation */
        bool fired;               /* at the last evaluation: a ruleset out of its delay fired */
        uint64_t fired_set;       /* which, see engine_fired_set() */
        Incident *incidents;      /* per ruleset */
        /* Kept across policy reloads: a victim gone or going is the same whichever rules chose it. */
        ReleaseLog releases;
        InFlight *in_flight;
        size_t n_in_flight;
        char notice[768];
};

static void incidents_free(Incident *inc, size_t n) {
        for (size_t i = 0; inc && i < n; i++)
                free(inc[i].cgroup);
        free(inc);
}

static void states_free(DetectorState *st, size_t n) {
        for (size_t i = 0; st && i < n; i++)
                detector_state_clear(&st[i]);
        free(st);
}

static size_t policy_count_detectors(const Policy *p) {
        size_t n = 0;

        for (size_t r = 0; r < p->n_rulesets; r++)
                for (size_t g = 0; g < p->rulesets[r].n_groups; g++)
                        n += p->rulesets[r].groups[g].n;
        return n;
}

int engine_set_policy(Engine *e, const Policy *p) {
        DetectorState *states;
        DetectorVerdict *verdicts;
        usec_t *delays;
        bool *held, *group_fired;
        Incident *incidents;
        size_t n;

        if (!e || !p)
                return -EINVAL;

        n = policy_count_detectors(p);
        states = calloc(n ?: 1, sizeof(DetectorState));
        verdicts = calloc(n ?: 1, sizeof(DetectorVerdict));
        delays = calloc(p->n_rulesets ?: 1, sizeof(usec_t));
        held = calloc(p->n_rulesets ?: 1, sizeof(bool));
        group_fired = calloc(p->n_rulesets ?: 1, sizeof(bool));
        incidents = calloc(p->n_rulesets ?: 1, sizeof(Incident));
        if (!states || !verdicts || !delays || !held || !group_fired || !incidents) {
                free(states);
                free(verdicts);
                free(delays);
                free(held);
                free(group_fired);
                free(incidents);
                return -ENOMEM; /* the old policy and its state stay in place */
        }

        states_free(e->states, e->n_states);
        free(e->verdicts);
        free(e->delay_until);
        free(e->held);
        free(e->group_fired);
        if (e->policy)
                incidents_free(e->incidents, e->policy->n_rulesets);
        /* Kills in flight hold back the new rulesets too; their own rulesets are gone. */
        for (size_t i = 0; i < e->n_in_flight; i++)
                e->in_flight[i].ruleset = NULL;
        e->policy = p;
        e->states = states;
        e->verdicts = verdicts;
        e->n_states = n;
        e->delay_until = delays;
        e->held = held;
        e->group_fired = group_fired;
        e->incidents = incidents;
        e->arming = e->fired = false;
        e->fired_set = 0;
        return 0;
}

int engine_new(const Policy *p, Engine **ret) {
        Engine *e;
        int r;

        if (!p || !ret)
                return -EINVAL;
        e = calloc(1, sizeof(Engine));
        if (!e)
                return -ENOMEM;
        r = engine_set_policy(e, p);
        if (r < 0) {
                free(e);
                return r;
        }
        *ret = e;
        return 0;
}

Engine *engine_free(Engine *e) {
        if (!e)
                return NULL;
        states_free(e->states, e->n_states);
        free(e->verdicts);
        free(e->delay_until);
        free(e->held);
        free(e->group_fired);
        incidents_free(e->incidents, e->policy ? e->policy->n_rulesets : 0);
        release_log_clear(&e->releases);
        for (size_t i = 0; i < e->n_in_flight; i++)
                free(e->in_flight[i].cgroup);
        free(e->in_flight);
        free(e);
        return NULL;
}

bool engine_arming(const Engine *e) {
        return e && e->arming;
}

bool engine_fired(const Engine *e) {
        return e && e->fired;
}

uint64_t engine_fired_set(const Engine *e) {
        return e ? e->fired_set : 0;
}

bool engine_ruleset_firing(const Engine *e, size_t ruleset_index) {
        return e && ruleset_index < e->policy->n_rulesets && e->group_fired[ruleset_index];
}

/* The kinds of guard a quiet detector can be (engine_guarded), best first; GUARD_NONE cannot. */
typedef enum GuardKind { GUARD_NONE, GUARD_SWAP, GUARD_MEM_AVAILABLE, GUARD_PRESSURE } GuardKind;

static GuardKind detector_guard(const Detector *d, const DetectorState *st, double trigger_some_percent) {
        if (st->holding)
                return GUARD_NONE;
        switch (d->type) {
        case DETECTOR_PRESSURE_ABOVE:
        case DETECTOR_PRESSURE_RISING_BEYOND:
                return d->resource == PSI_RESOURCE_MEMORY && trigger_some_percent > 0 &&
                       d->threshold >= 2 * trigger_some_percent ? GUARD_PRESSURE : GUARD_NONE;
        case DETECTOR_MEM_AVAILABLE_BELOW:
                /* a limit seen: the figures were read (a failed read is quiet, not a guard) */
                return st->seen.limit > 0 ? GUARD_MEM_AVAILABLE : GUARD_NONE;
        case DETECTOR_SWAP_FREE_BELOW:
                return st->seen.limit > 0 ? GUARD_SWAP : GUARD_NONE;
        default:
                return GUARD_NONE;
        }
}

bool engine_guarded(const Engine *e, double trigger_some_percent, EngineGuard *ret) {
        EngineGuard g = {};
        const DetectorState *st;

        if (ret)
                *ret = g;
        if (!e || e->n_in_flight > 0)
                return false;
        st = e->states;
        for (size_t ri = 0; ri < e->policy->n_rulesets; ri++) {
                const Ruleset *rs = &e->policy->rulesets[ri];

                if (e->held[ri])
                        return false;
                for (size_t gi = 0; gi < rs->n_groups; gi++) {
                        const DetectorGroup *grp = &rs->groups[gi];
                        GuardKind best = grp->n == 0 ? GUARD_PRESSURE : GUARD_NONE; /* an empty group never fires */
                        uint64_t limit = 0;

                        for (size_t i = 0; i < grp->n; i++, st++) {
                                GuardKind k = detector_guard(&grp->detectors[i], st, trigger_some_percent);
                                if (k > best) {
                                        best = k;
                                        limit = (uint64_t) st->seen.limit;
                                }
                        }
                        if (best == GUARD_NONE)
                                return false;
                        if (best == GUARD_MEM_AVAILABLE && limit > g.mem_available_floor)
                                g.mem_available_floor = limit;
                        if (best == GUARD_SWAP && limit > g.swap_free_floor)
                                g.swap_free_floor = limit;
                }
        }
        if (ret)
                *ret = g;
        return true;
}

/* Adds a path to a partial sample's list unless there already; false when the list is full. */
static bool partial_add(const char **paths, size_t *n, size_t max, const char *path) {
        for (size_t j = 0; j < *n; j++)
                if (streq(paths[j], path))
                        return true;
        if (*n == max)
                return false;
        paths[(*n)++] = path;
        return true;
}

size_t engine_partial_sources(const Engine *e, usec_t now, const char **paths, size_t max) {
        size_t n = 0, k = 0;

        if (!e || e->n_in_flight > 0)
                return 0;
        /* After a release a source's figures are cut at it (release_log_floor), which may turn a
         * source not read into the one that counts: every source, until no release matters. */
        for (size_t i = 0; i < e->releases.n; i++)
                if (now < e->releases.items[i].at + RELEASE_KEEP_USEC)
                        return 0;
        for (size_t ri = 0; ri < e->policy->n_rulesets; ri++)
                for (size_t g = 0; g < e->policy->rulesets[ri].n_groups; g++)
                        for (size_t i = 0; i < e->policy->rulesets[ri].groups[g].n; i++, k++) {
                                const Detector *d = &e->policy->rulesets[ri].groups[g].detectors[i];
                                const DetectorState *st = &e->states[k];
                                const char *where = st->seen.where;

                                if (!detector_reads_cgroups(d))
                                        continue;
                                if (detector_sources_exact(d)) { /* all of them, held or not */
                                        const PatternList *l = detector_sources(d);
                                        for (size_t j = 0; j < l->n; j++)
                                                if (!pattern_is_root(&l->items[j]) &&
                                                    !partial_add(paths, &n, max, l->items[j].glob))
                                                        return 0;
                                        continue;
                                }
                                if (!detector_partial_ok(d) || !st->condition || !where || streq(where, "/"))
                                        return 0;
                                if (!partial_add(paths, &n, max, where))
                                        return 0;
                        }
        return n;
}

/* The decision's ruleset, or NULL when the decision was made under a policy that has since been
 * replaced (or by hand: a manual kill names no ruleset). Compares the name pointer only: the old
 * policy may be freed already. */
static const Ruleset *decision_ruleset(const Engine *e, const Decision *d) {
        const Ruleset *rs;

        if (d->ruleset_index >= e->policy->n_rulesets)
                return NULL;
        rs = &e->policy->rulesets[d->ruleset_index];
        if (d->ruleset != rs->name || d->action_index >= rs->n_actions)
                return NULL;
        return rs;
}

void engine_hold(Engine *e, const Decision *d) {
        if (!e || !d || !decision_ruleset(e, d))
                return;
        e->held[d->ruleset_index] = true;
}

bool engine_held(const Engine *e, size_t ruleset_index) {
        return e && ruleset_index < e->policy->n_rulesets && e->held[ruleset_index];
}

void engine_action_done(Engine *e, const Decision *d, bool delay, usec_t now) {
        const Ruleset *rs;
        usec_t span;

        if (!e || !d)
                return;
        rs = decision_ruleset(e, d);
        if (!rs)
                return;
        e->held[d->ruleset_index] = false;
        if (!delay)
                return;

        span = rs->actions[d->action_index].post_action_delay_usec;
        e->delay_until[d->ruleset_index] = span > USEC_INFINITY - now ? USEC_INFINITY : now + span;
}

KillScope decision_scope(const Decision *d) {
        if (d->kind == TARGET_PROCESS || d->granularity_process)
                return KILL_SCOPE_PROCESS;
        return d->method == UNIT_METHOD_STOP ? KILL_SCOPE_UNIT : KILL_SCOPE_CGROUP;
}

const char *kill_scope_to_string(KillScope s) {
        switch (s) {
        case KILL_SCOPE_PROCESS: return "process";
        case KILL_SCOPE_CGROUP: return "cgroup";
        case KILL_SCOPE_UNIT: return "unit";
        }
        return "?";
}

int engine_action_started(Engine *e, const Decision *d, usec_t now) {
        const Ruleset *rs;
        InFlight *q;
        usec_t stop;

        if (!e || !d || !d->cgroup)
                return -EINVAL;
        rs = decision_ruleset(e, d);
        if (rs) {
                Incident *inc = &e->incidents[d->ruleset_index];
                char *c = strdup(d->cgroup);

                if (!c)
                        return -ENOMEM;
                free(inc->cgroup);
                *inc = (Incident) {
                        .kills = inc->kills + 1,
                        .cgroup = c,
                        .scope = decision_scope(d),
                        .last_fired = inc->last_fired,
                        .memory = d->memory,
                };
                e->held[d->ruleset_index] = true;
        }

        q = realloc(e->in_flight, (e->n_in_flight + 1) * sizeof(InFlight));
        if (!q)
                return -ENOMEM;
        e->in_flight = q;
        stop = d->stop_timeout_usec ?: STOP_TIMEOUT_DEFAULT_USEC;
        q[e->n_in_flight] = (InFlight) {
                .cgroup = strdup(d->cgroup),
                .ruleset = rs ? rs->name : NULL,
                .ruleset_index = d->ruleset_index,
                .action_index = d->action_index,
                .deadline = now + d->prekill_timeout_usec + stop + IN_FLIGHT_GRACE_USEC,
        };
        if (!q[e->n_in_flight].cgroup)
                return -ENOMEM;
        e->n_in_flight++;
        return 0;
}

/* Ends in-flight entry i: the victim is gone (or taken as gone) at `now`. */
static void in_flight_end(Engine *e, size_t i, usec_t now) {
        InFlight *f = &e->in_flight[i];
        const Ruleset *rs = NULL;

        if (f->ruleset && f->ruleset_index < e->policy->n_rulesets &&
            e->policy->rulesets[f->ruleset_index].name == f->ruleset)
                rs = &e->policy->rulesets[f->ruleset_index];
        if (rs) {
                Incident *inc = &e->incidents[f->ruleset_index];
                usec_t span = f->action_index < rs->n_actions ? rs->actions[f->action_index].post_action_delay_usec : 0;

                e->held[f->ruleset_index] = false;
                e->delay_until[f->ruleset_index] = span > USEC_INFINITY - now ? USEC_INFINITY : now + span;
                inc->gone = now;
        }
        (void) release_log_add(&e->releases, f->cgroup, now); /* out of memory: pressure is then as the kernel says */
        free(f->cgroup);
        memmove(f, f + 1, (e->n_in_flight - i - 1) * sizeof(InFlight));
        e->n_in_flight--;
}

void engine_victim_gone(Engine *e, const Decision *d, usec_t now) {
        if (!e || !d || !d->cgroup)
                return;
        for (size_t i = 0; i < e->n_in_flight; i++)
                if (streq(e->in_flight[i].cgroup, d->cgroup)) {
                        in_flight_end(e, i, now);
                        return;
                }
        /* Not begun through engine_action_started (out of memory then): still count from now. */
        (void) release_log_add(&e->releases, d->cgroup, now);
        engine_action_done(e, d, true, now);
}

bool engine_take_notice(Engine *e, char *buf, size_t size) {
        if (!e || !e->notice[0] || size == 0)
                return false;
        snprintf(buf, size, "%s", e->notice);
        e->notice[0] = '\0';
        return true;
}

void decision_clear(Decision *d) {
        if (!d)
                return;
        free(d->cgroup);
        *d = (Decision) { .kill_list_index = -1 };
}

/* --- evaluation --- */

static void reason_append(Decision *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reason_append(Decision *d, const char *fmt, ...) {
        size_t len = strlen(d->reason);
        va_list ap;

        if (len + 1 >= sizeof(d->reason))
                return;
        va_start(ap, fmt);
        vsnprintf(d->reason + len, sizeof(d->reason) - len, fmt, ap);
        va_end(ap);
}

/* True when pattern `pat` matches the cgroup at `path` or one above it. */
static bool pattern_matches_at_or_above(const Pattern *pat, const char *path) {
        char buf[VICTIM_NAME_MAX];
        char *slash;

        if (snprintf(buf, sizeof(buf), "%s", path) >= (int) sizeof(buf))
                return true; /* too long to walk: take it as watched, so the ruleset waits */
        for (;;) {
                if (pattern_match(pat, buf, NULL))
                        return true;
                slash = strrchr(buf, '/');
                if (!slash || slash == buf)
                        return false;
                *slash = '\0';
        }
}

/* True when a detector of the ruleset watches the system, the cgroup at `victim`, one above it, or
 * (in this sample) one below it: its figures still carry the victim while it dies. */
static bool ruleset_watches(const Ruleset *rs, const Snapshot *s, const char *victim) {
        for (size_t g = 0; g < rs->n_groups; g++)
                for (size_t i = 0; i < rs->groups[g].n; i++) {
                        const PatternList *l = &rs->groups[g].detectors[i].cgroups;

                        if (l->n == 0) /* swap_free_below, mem_available_below */
                                return true;
                        for (size_t k = 0; k < l->n; k++) {
                                const Pattern *pat = &l->items[k];

                                if (pattern_is_root(pat) || pattern_matches_at_or_above(pat, victim))
                                        return true;
                                for (size_t c = 0; c < s->n_cgroups; c++)
                                        if (cgroup_path_at_or_below(s->cgroups[c].path, victim) &&
                                            pattern_match(pat, s->cgroups[c].path, NULL))
                                                return true;
                        }
                }
        return false;
}

/* The kill in flight that ruleset `rs` waits for, or NULL. */
static const InFlight *ruleset_waits_for(const Engine *e, const Ruleset *rs, const Snapshot *s) {
        for (size_t i = 0; i < e->n_in_flight; i++)
                if (ruleset_watches(rs, s, e->in_flight[i].cgroup))
                        return &e->in_flight[i];
        return NULL;
}

/* Kills in flight past their deadline are taken as gone, so that a lost stop never holds every ruleset back. */
static void in_flight_expire(Engine *e, usec_t now) {
        for (size_t i = 0; i < e->n_in_flight;)
                if (now >= e->in_flight[i].deadline) {
                        snprintf(e->notice, sizeof(e->notice),
                                 "The kill of %s did not report its victim gone by its deadline (prekill_timeout + "
                                 "stop_timeout + %llus); the rulesets that waited for it decide again",
                                 e->in_flight[i].cgroup, (unsigned long long) (IN_FLIGHT_GRACE_USEC / USEC_PER_SEC));
                        in_flight_end(e, i, now);
                } else
                        i++;
}

/* Ends an incident whose ruleset has been calm for INCIDENT_CALM_USEC since its last victim was gone. */
static void incident_update(Incident *inc, bool firing, usec_t now) {
        usec_t last;

        if (firing) {
                inc->last_fired = now;
                return;
        }
        if (inc->kills == 0 || inc->gone == 0)
                return;
        last = inc->last_fired > inc->gone ? inc->last_fired : inc->gone;
        if (now >= last && now - last >= INCIDENT_CALM_USEC) {
                free(inc->cgroup);
                *inc = (Incident) {};
        }
}

/* Whether the next kill of an incident may take a victim other than the last one. Right after a
 * large kill the survivors page their memory back in, and the system stalls on that for a while:
 * a candidate holding less than 1/AFTERMATH_RATIO of what the last victim held cannot be what keeps
 * the pressure up, and killing it would take a bystander without relieving anything. The last
 * victim come back is no bystander: ending it while it is small keeps it from thrashing again (a
 * freeze benchmark run that waited for a re-forked worker to grow relieved 19 s later). */
static bool incident_allows(Engine *e, size_t ri, const Decision *d) {
        Incident *inc = &e->incidents[ri];
        char last[16], now[16];

        if (inc->kills == 0 || !inc->cgroup || cgroup_path_at_or_below(d->cgroup, inc->cgroup) ||
            cgroup_path_at_or_below(inc->cgroup, d->cgroup) || d->memory >= inc->memory / AFTERMATH_RATIO)
                return true;
        if (!inc->aftermath_told) {
                format_bytes(last, sizeof(last), (double) inc->memory);
                format_bytes(now, sizeof(now), (double) d->memory);
                snprintf(e->notice, sizeof(e->notice),
                         "Ruleset %s still fires after killing %s (%s), but the candidate it finds now, %s, holds only %s, "
                         "less than 1/%d of that: the stall is the aftermath of the kill (memory paged back in), which "
                         "killing %s would not relieve. Not killing it; a larger candidate still may be",
                         e->policy->rulesets[ri].name, inc->cgroup, last, d->cgroup, now, AFTERMATH_RATIO, d->cgroup);
                inc->aftermath_told = true;
        }
        return false;
}

/* The next kill of an incident: when the victim is the last one come back (the same cgroup, one
 * below it or above it), it is ended on the next larger scope: process -> cgroup -> unit. Says so
 * in the reason, with the kill's number in the incident. */
static void decision_escalate(const Engine *e, size_t ri, const Snapshot *s, Decision *d) {
        const Incident *inc = &e->incidents[ri];
        const Ruleset *rs = &e->policy->rulesets[ri];
        unsigned max = rs->max_kills ?: MAX_KILLS_PER_INCIDENT_DEFAULT;
        KillScope to;
        char ago[16];

        d->incident_kill = inc->kills + 1;
        if (inc->kills == 0 || !inc->cgroup)
                return;
        if (!cgroup_path_at_or_below(d->cgroup, inc->cgroup) && !cgroup_path_at_or_below(inc->cgroup, d->cgroup)) {
                reason_append(d, "; kill %u of at most %u in this incident", d->incident_kill, max);
                return;
        }
        snprintf(ago, sizeof(ago), "%.1fs", inc->gone && s->now > inc->gone ? (double) (s->now - inc->gone) / 1e6 : 0.0);
        to = inc->scope == KILL_SCOPE_PROCESS ? KILL_SCOPE_CGROUP : KILL_SCOPE_UNIT;
        if (s->degraded || decision_scope(d) >= to) {
                /* Without a memory controller only processes die; or the action already ends as much. */
                reason_append(d, "; %s came back %s after the last kill, ended by %s again (kill %u of at most %u in this incident)",
                              d->cgroup, ago, kill_scope_to_string(decision_scope(d)), d->incident_kill, max);
                return;
        }
        if (d->kind == TARGET_PROCESS) {
                const CGroupSample *cg = NULL;

                for (size_t i = 0; i < s->n_cgroups && !cg; i++)
                        if (streq(s->cgroups[i].path, d->cgroup))
                                cg = &s->cgroups[i];
                if (!cg) {
                        reason_append(d, "; %s came back %s after the last kill, but its cgroup is not in this sample: "
                                      "a process again (kill %u of at most %u in this incident)", d->cgroup, ago,
                                      d->incident_kill, max);
                        return;
                }
                d->kind = TARGET_CGROUP;
                d->inode = cg->inode;
                d->pid = 0;
        }
        d->granularity_process = false;
        if (to == KILL_SCOPE_UNIT)
                d->method = UNIT_METHOD_STOP;
        d->escalated = true;
        if (decision_scope(d) <= inc->scope) /* the last kill already was the largest step */
                reason_append(d, "; %s came back %s after the last kill, ended by %s again (kill %u of at most %u in this incident)",
                              d->cgroup, ago, kill_scope_to_string(decision_scope(d)), d->incident_kill, max);
        else
                reason_append(d, "; %s came back %s after the last kill: escalated from %s to %s (kill %u of at most %u in this incident)",
                              d->cgroup, ago, kill_scope_to_string(inc->scope), kill_scope_to_string(decision_scope(d)),
                              d->incident_kill, max);
}

int engine_evaluate(Engine *e, const Snapshot *s, Decision *ret) {
        const DetectorState *st;
        const DetectorVerdict *v;
        bool arming = false, decided = false, fired = false;
        uint64_t fired_set = 0;
        const Policy *p;
        int r = 0;

        if (!e || !s || !ret)
                return -EINVAL;
        p = e->policy;
        in_flight_expire(e, s->now); /* at the same `now` again after -EAGAIN: nothing more expires */

        /* Every detector advances first, even in a delayed ruleset or after a decision, so that
         * durations measure real time. On a partial snapshot one that cannot tell stops the
         * evaluation before anything else changes: the caller reads every source and evaluates
         * again at the same time, which each detector then takes as the one evaluation it is. */
        {
                size_t k = 0;
                for (size_t ri = 0; ri < p->n_rulesets; ri++)
                        for (size_t g = 0; g < p->rulesets[ri].n_groups; g++)
                                for (size_t i = 0; i < p->rulesets[ri].groups[g].n; i++, k++) {
                                        e->verdicts[k] = detector_evaluate(&p->rulesets[ri].groups[g].detectors[i],
                                                                           &e->states[k], s, &e->releases);
                                        if (e->verdicts[k] == DETECTOR_UNKNOWN)
                                                return -EAGAIN;
                                }
        }
        st = e->states;
        v = e->verdicts;

        for (size_t ri = 0; ri < p->n_rulesets && r >= 0; ri++) {
                const Ruleset *rs = &p->rulesets[ri];
                const DetectorGroup *firing = NULL;
                const DetectorState *firing_states = NULL;
                char why[sizeof(ret->reason)];

                for (size_t g = 0; g < rs->n_groups; g++) {
                        const DetectorGroup *grp = &rs->groups[g];
                        const DetectorState *first = st;
                        bool all = grp->n > 0;

                        for (size_t i = 0; i < grp->n; i++, st++, v++) {
                                arming = arming || *v == DETECTOR_ARMING;
                                all = all && *v == DETECTOR_FIRED;
                        }
                        if (all && !firing) {
                                firing = grp;
                                firing_states = first;
                        }
                }

                e->group_fired[ri] = firing != NULL;
                incident_update(&e->incidents[ri], firing != NULL, s->now);
                if (!firing || s->now < e->delay_until[ri] || e->held[ri] || ruleset_waits_for(e, rs, s))
                        continue;
                if (e->incidents[ri].kills >= (rs->max_kills ?: MAX_KILLS_PER_INCIDENT_DEFAULT)) {
                        Incident *inc = &e->incidents[ri];
                        if (!inc->bound_told)
                                snprintf(e->notice, sizeof(e->notice),
                                         "Ruleset %s still fires after %u kills in this incident, its bound "
                                         "(max_kills_per_incident); the last victim was %s. It kills no more until it has "
                                         "not fired for %llus. See what keeps the pressure up with 'oomctl status' and "
                                         "'oomctl history', or raise max_kills_per_incident", rs->name, inc->kills,
                                         inc->cgroup ?: "?", (unsigned long long) (INCIDENT_CALM_USEC / USEC_PER_SEC));
                        inc->bound_told = true;
                        continue;
                }
                fired = true;
                fired_set |= engine_ruleset_bit(ri);
                /* a partial snapshot holds a few of the candidates: the caller reads them all, then decides */
                if (decided || s->partial)
                        continue;

                describe_group(firing, firing_states, why, sizeof(why));
                for (size_t ai = 0; ai < rs->n_actions && !decided && r >= 0; ai++) {
                        r = action_decide(p, s, ri, ai, why, ret);
                        decided = r > 0;
                }
                if (decided && !incident_allows(e, ri, ret)) {
                        decision_clear(ret);
                        decided = false;
                }
                if (decided)
                        decision_escalate(e, ri, s, ret);
        }

        e->arming = arming;
        e->fired = fired;
        e->fired_set = fired_set;
        return r < 0 ? r : decided;
}

/* --- the pre-kill recheck --- */

const char *prekill_verdict_to_string(PrekillVerdict v) {
        static const char *const names[_PREKILL_VERDICT_MAX] = {
                [PREKILL_VERDICT_STANDS] = "stands",
                [PREKILL_VERDICT_QUIET] = "quiet",
                [PREKILL_VERDICT_OTHER_VICTIM] = "other-victim",
                [PREKILL_VERDICT_GONE] = "gone",
                [PREKILL_VERDICT_STALE] = "stale",
        };

        if ((int) v < 0 || v >= _PREKILL_VERDICT_MAX)
                return NULL;
        return names[v];
}

static PrekillVerdict verdict(PrekillVerdict v, char *why, size_t size, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static PrekillVerdict verdict(PrekillVerdict v, char *why, size_t size, const char *fmt, ...) {
        va_list ap;

        if (why && size > 0) {
                va_start(ap, fmt);
                vsnprintf(why, size, fmt, ap);
                va_end(ap);
        }
        return v;
}

/* "/test.slice/a.service" or "process 700 (worker)" */
static void describe_victim(const Decision *d, char *buf, size_t size) {
        if (d->kind == TARGET_PROCESS)
                snprintf(buf, size, "process %d (%s)", (int) d->pid, d->comm);
        else
                snprintf(buf, size, "%s", d->cgroup ?: "?");
}

static bool same_victim(const Decision *a, const Decision *b) {
        if (a->kind != b->kind)
                return false;
        if (a->kind == TARGET_PROCESS)
                return a->pid == b->pid && a->start_time == b->start_time;
        return a->inode == b->inode && a->cgroup && b->cgroup && streq(a->cgroup, b->cgroup);
}

PrekillVerdict engine_recheck(const Engine *e, const Snapshot *s, const Decision *d, char *why, size_t size) {
        char victim[VICTIM_NAME_MAX], then[16], now[16], other[VICTIM_NAME_MAX];
        const Ruleset *rs;
        Decision nd = { .kill_list_index = -1 };
        uint64_t memory_now = 0;
        bool found = false;
        const char *how;
        int r;

        if (why && size > 0)
                why[0] = '\0';
        if (!e || !s || !d)
                return verdict(PREKILL_VERDICT_STALE, why, size, "nothing to recheck");
        rs = decision_ruleset(e, d);
        if (!rs)
                return verdict(PREKILL_VERDICT_STALE, why, size,
                               "the policy was reloaded after the decision: it was made under rules that no longer apply");

        describe_victim(d, victim, sizeof(victim));
        format_bytes(then, sizeof(then), (double) d->memory);

        /* Gone first: a victim that left the sample cannot be rechecked, nor killed. */
        if (d->kind == TARGET_PROCESS) {
                for (size_t i = 0; i < s->n_procs && !found; i++)
                        if (s->procs[i].pid == d->pid && s->procs[i].start_time == d->start_time) {
                                found = true;
                                memory_now = s->procs[i].rss;
                        }
                if (!found)
                        return verdict(PREKILL_VERDICT_GONE, why, size,
                                       "%s has exited (its RSS was %s at the decision)", victim, then);
        } else {
                for (size_t i = 0; i < s->n_cgroups && !found; i++)
                        if (s->cgroups[i].inode == d->inode && d->cgroup && streq(s->cgroups[i].path, d->cgroup)) {
                                found = true;
                                memory_now = cgroup_memory(s, &s->cgroups[i], false);
                        }
                if (!found)
                        return verdict(PREKILL_VERDICT_GONE, why, size,
                                       "%s is gone: removed, or replaced by a new cgroup of the same name (its memory was %s at the decision)",
                                       victim, then);
        }
        format_bytes(now, sizeof(now), (double) memory_now);

        if (!e->group_fired[d->ruleset_index])
                return verdict(PREKILL_VERDICT_QUIET, why, size,
                               "its memory went from %s to %s and ruleset %s no longer fires", then, now, rs->name);

        r = action_decide(e->policy, s, d->ruleset_index, d->action_index, "", &nd);
        if (r < 0)
                /* Cannot tell (out of memory): keep the decision, the pressure that made it is still there. */
                return verdict(PREKILL_VERDICT_STANDS, why, size,
                               "its memory went from %s to %s and ruleset %s still fires; could not rerun its action (out of memory), so the decision stands",
                               then, now, rs->name);
        if (r == 0)
                return verdict(PREKILL_VERDICT_OTHER_VICTIM, why, size,
                               "its memory went from %s to %s; ruleset %s still fires but its action now finds no victim: %s no longer meets its criteria",
                               then, now, rs->name, victim);

        how = strstr(nd.reason, " -> ");
        how = how ? how + strlen(" -> ") : nd.reason;
        if (same_victim(d, &nd)) {
                verdict(PREKILL_VERDICT_STANDS, why, size,
                        "its memory went from %s to %s and ruleset %s still fires and still picks it (%s)",
                        then, now, rs->name, how);
                decision_clear(&nd);
                return PREKILL_VERDICT_STANDS;
        }
        describe_victim(&nd, other, sizeof(other));
        verdict(PREKILL_VERDICT_OTHER_VICTIM, why, size,
                "its memory went from %s to %s; ruleset %s still fires but now picks %s (%s)",
                then, now, rs->name, other, how);
        decision_clear(&nd);
        return PREKILL_VERDICT_OTHER_VICTIM;
}
