/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <unistd.h>

#include "config.h"
#include "policy/json_text.h"
#include "policy/macro.h"
#include "util/clock.h"
#include "util/unit_name.h"
#include "core/manager-internal.h"
#include "core/psi_trigger.h"
#include "core/query.h"

DEFINE_POINTER_CLEANUP(cJSON, cJSON_Delete);

const ManagerConfig *query_config(const Manager *m) {
        return &m->config;
}

const char *query_mode_name(const Manager *m) {
        return m->degraded ? "degraded" : "cgroup";
}

bool query_degraded(const Manager *m) {
        return m->degraded;
}

const char *query_mode_reason(const Manager *m) {
        return m->mode_reason;
}

const char *query_cgroup_root(const Manager *m) {
        return m->cgroup_root;
}

CGroupTree *query_cgroup_tree(const Manager *m) {
        return m->tree;
}

const char *query_self_cgroup(const Manager *m) {
        return m->self_cgroup;
}

const Policy *query_policy(const Manager *m) {
        return m->policy;
}

const char *query_policy_description(const Manager *m) {
        return m->policy_description;
}

bool query_admin_gid(const Manager *m, gid_t *ret) {
        if (m->have_admin_gid && ret)
                *ret = m->admin_gid;
        return m->have_admin_gid;
}

bool query_psi_triggers_available(const Manager *m) {
        return psi_trigger_available(m->triggers);
}

const SystemSample *query_last_system(const Manager *m) {
        return &m->last_system;
}

const CGroupSample *query_last_cgroups(const Manager *m, size_t *ret_n) {
        *ret_n = m->n_last_cgroups;
        return m->last_cgroups;
}

const LevelTracker *query_levels(const Manager *m) {
        return m->levels;
}

const PendingKill *query_pending(const Manager *m, size_t *ret_n) {
        *ret_n = m->n_pending;
        return m->pending;
}

uint64_t query_kill_count(const Manager *m) {
        return m->kill_count;
}

const cJSON *query_last_kill(const Manager *m) {
        return m->last_kill;
}

History *query_history(const Manager *m) {
        return m->history;
}

static void add_psi_line(cJSON *o, const char *name, const PsiLine *l) {
        if (!l->valid) {
                cJSON_AddNullToObject(o, name);
                return;
        }
        cJSON *x = cJSON_AddObjectToObject(o, name);
        cJSON_AddNumberToObject(x, "avg10", l->avg10);
        cJSON_AddNumberToObject(x, "avg60", l->avg60);
        cJSON_AddNumberToObject(x, "avg300", l->avg300);
        cJSON_AddNumberToObject(x, "total_usec", (double) l->total_usec);
}

void query_json_add_psi(cJSON *o, const char *name, const PsiStats *s) {
        cJSON *x = cJSON_AddObjectToObject(o, name);
        add_psi_line(x, "some", &s->some);
        add_psi_line(x, "full", &s->full);
}

/* The same data "oomctl status" gets, so the file and the socket never disagree, less the table of
 * cgroups: with thousands of them, writing it every STATUS_REFRESH_USEC cost more than the sample. */
cJSON *query_status_summary(const Manager *m) {
        _cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
        if (!o)
                return NULL;

        cJSON_AddStringToObject(o, "version", PACKAGE_VERSION);
        cJSON_AddNumberToObject(o, "pid", getpid());
        cJSON_AddStringToObject(o, "mode", query_mode_name(m));
        cJSON_AddStringToObject(o, "mode_reason", m->mode_reason);
        cJSON_AddStringToObject(o, "cgroup_root", m->cgroup_root ? m->cgroup_root : "");
        cJSON_AddStringToObject(o, "policy", m->policy_description ? m->policy_description : "");
        cJSON_AddBoolToObject(o, "dry_run", m->policy->dry_run);
        cJSON_AddStringToObject(o, "wakeups", psi_trigger_available(m->triggers) ? "psi-triggers" : "polling");
        cJSON_AddNumberToObject(o, "psi_triggers", (double) psi_trigger_count(m->triggers));
        cJSON_AddNumberToObject(o, "interval_usec", (double) m->policy->interval_usec);
        cJSON_AddBoolToObject(o, "quiet", m->quiet);
        cJSON_AddNumberToObject(o, "samples", (double) m->n_samples);
        cJSON_AddNumberToObject(o, "candidate_samples", (double) m->n_candidate_samples);
        cJSON_AddNumberToObject(o, "process_scans", (double) m->n_process_scans);
        cJSON_AddNumberToObject(o, "quiet_checks", (double) m->n_quiet_checks);
        cJSON_AddNumberToObject(o, "partial_samples", (double) m->n_partial_samples);
        cJSON_AddNumberToObject(o, "partial_fallbacks", (double) m->n_partial_fallbacks);

        cJSON *s = cJSON_AddObjectToObject(o, "system");
        const MemInfo *mi = &m->last_system.meminfo;
        if (s && mi->valid) {
                cJSON_AddNumberToObject(s, "mem_total", (double) mi->mem_total);
                cJSON_AddNumberToObject(s, "mem_available", (double) mi->mem_available);
                cJSON_AddNumberToObject(s, "swap_total", (double) mi->swap_total);
                cJSON_AddNumberToObject(s, "swap_free", (double) mi->swap_free);
        } else if (s) {
                cJSON_AddNullToObject(s, "mem_total");
                cJSON_AddNullToObject(s, "mem_available");
                cJSON_AddNullToObject(s, "swap_total");
                cJSON_AddNullToObject(s, "swap_free");
        }
        if (s) {
                query_json_add_psi(s, "memory_pressure", &m->last_system.mem_psi);
                cJSON_AddStringToObject(s, "level", pressure_level_to_string(level_tracker_system_level(m->levels)));
        }

        cJSON *rs = cJSON_AddArrayToObject(o, "rulesets");
        usec_t now = now_usec(CLOCK_MONOTONIC);
        uint64_t victimless = victimless_current(&m->victimless, now,
                                                 victimless_refresh(&m->victimless, m->policy->interval_usec, &m->last_system.meminfo));
        for (size_t i = 0; rs && i < m->policy->n_rulesets; i++) {
                const Ruleset *r = &m->policy->rulesets[i];
                cJSON *x = json_array_add_object(rs);
                if (!x)
                        return NULL;
                cJSON_AddStringToObject(x, "name", r->name);
                cJSON_AddStringToObject(x, "source", r->source ? r->source : "");
                /* Degraded mode has no units to stop: the killer signals processes, whatever the ruleset says. */
                cJSON_AddStringToObject(x, "method", m->degraded ? "kill" : unit_method_to_string(r->method));
                cJSON_AddBoolToObject(x, "dry_run", m->policy->dry_run || r->dry_run);
                /* firing, and found with no victim by the last read of every candidate (all of them
                 * omitted or too small): the candidates are read again after the back-off */
                bool firing = engine_ruleset_firing(m->engine, i);
                cJSON_AddBoolToObject(x, "firing", firing);
                cJSON_AddBoolToObject(x, "victimless", firing && (victimless & engine_ruleset_bit(i)));
        }
        cJSON *pend = cJSON_AddArrayToObject(o, "pending_kills");
        for (size_t i = 0; pend && i < m->n_pending; i++) {
                const PendingKill *k = &m->pending[i];
                cJSON *x = json_array_add_object(pend);
                if (!x)
                        return NULL;
                cJSON_AddStringToObject(x, "cgroup", k->decision.cgroup);
                cJSON_AddStringToObject(x, "unit", unit_name_of_cgroup(k->decision.cgroup));
                cJSON_AddStringToObject(x, "ruleset", k->decision.ruleset);
                cJSON_AddStringToObject(x, "reason", k->decision.reason);
                cJSON_AddNumberToObject(x, "waited_usec", (double) (now - k->since));
                cJSON_AddNumberToObject(x, "remaining_usec", (double) (k->deadline > now ? k->deadline - now : 0));
                cJSON_AddBoolToObject(x, "hook_running", k->hook_id && !k->hook_exited);
        }
        if (!rs || !pend)
                return NULL;

        cJSON_AddNumberToObject(o, "kill_count", (double) m->kill_count);
        if (m->last_kill)
                cJSON_AddItemToObject(o, "last_kill", cJSON_Duplicate(m->last_kill, true));
        else
                cJSON_AddNullToObject(o, "last_kill");
        if (!s)
                return NULL;
        return TAKE_PTR(o);
}
