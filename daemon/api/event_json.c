/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "api/event_json.h"

static const char *const event_names[_EVENT_KIND_MAX] = {
        [EVENT_KILL_PENDING] = "KillPending",
        [EVENT_KILL_CANCELLED] = "KillCancelled",
        [EVENT_KILLED] = "Killed",
        [EVENT_POLICY_CHANGED] = "PolicyChanged",
        [EVENT_PRESSURE_CHANGED] = "PressureChanged",
        [EVENT_PRESSURE_RECOVERED] = "PressureRecovered",
        [EVENT_LOW_MEMORY_WARNING] = "LowMemoryWarning",
        [EVENT_CGROUP_ADDED] = "CGroupAdded",
        [EVENT_CGROUP_REMOVED] = "CGroupRemoved",
};

const char *event_kind_to_string(EventKind k) {
        return k >= 0 && k < _EVENT_KIND_MAX ? event_names[k] : NULL;
}

/* A new event object with its name and time first, as every event but Killed has them. */
static cJSON *event_new(const Event *e) {
        cJSON *o = cJSON_CreateObject();
        if (!o)
                return NULL;
        cJSON_AddStringToObject(o, "event", event_kind_to_string(e->kind));
        cJSON_AddNumberToObject(o, "time", (double) e->time);
        return o;
}

/* Killed is the record of the kill (what status.json shows as "last_kill", less "victim") with
 * "event" last: the record's own order, which clients have always seen. */
static cJSON *killed_to_json(const Event *e) {
        cJSON *o = cJSON_CreateObject();
        if (!o)
                return NULL;
        cJSON_AddNumberToObject(o, "time", (double) e->time);
        cJSON_AddStringToObject(o, "ruleset", e->killed.ruleset);
        cJSON_AddStringToObject(o, "reason", e->killed.reason);
        cJSON_AddStringToObject(o, "method", e->killed.method);
        cJSON_AddBoolToObject(o, "dry_run", e->killed.dry_run);
        cJSON_AddStringToObject(o, "cgroup", e->killed.cgroup);
        cJSON_AddStringToObject(o, "unit", e->killed.unit);
        cJSON *a = cJSON_AddArrayToObject(o, "pids");
        for (unsigned i = 0; a && i < e->killed.n_pids; i++)
                cJSON_AddItemToArray(a, cJSON_CreateNumber(e->killed.pids[i]));
        cJSON_AddNumberToObject(o, "killed", e->killed.killed);
        cJSON_AddNumberToObject(o, "memory_bytes", (double) e->killed.memory_bytes);
        cJSON_AddNumberToObject(o, "freed_bytes", (double) e->killed.freed_bytes);
        cJSON_AddNumberToObject(o, "pressure", e->killed.pressure);
        cJSON_AddNumberToObject(o, "incident_kill", e->killed.incident_kill);
        cJSON_AddStringToObject(o, "scope", e->killed.scope);
        cJSON_AddBoolToObject(o, "escalated", e->killed.escalated);
        if (e->killed.stopped)
                cJSON_AddNumberToObject(o, "stop_to_gone_usec", (double) e->killed.stop_to_gone_usec);
        cJSON_AddStringToObject(o, "event", "Killed");
        return o;
}

cJSON *event_to_json(const Event *e) {
        cJSON *o = NULL;

        switch (e->kind) {
        case EVENT_KILL_PENDING:
                if ((o = event_new(e))) {
                        cJSON_AddStringToObject(o, "cgroup", e->kill_pending.cgroup);
                        cJSON_AddStringToObject(o, "unit", e->kill_pending.unit);
                        cJSON_AddStringToObject(o, "ruleset", e->kill_pending.ruleset);
                        cJSON_AddStringToObject(o, "reason", e->kill_pending.reason);
                        cJSON_AddNumberToObject(o, "memory_bytes", (double) e->kill_pending.memory_bytes);
                        cJSON_AddNumberToObject(o, "pressure", e->kill_pending.pressure);
                        cJSON_AddBoolToObject(o, "dry_run", e->kill_pending.dry_run);
                        cJSON_AddNumberToObject(o, "prekill_timeout_usec", (double) e->kill_pending.prekill_timeout_usec);
                }
                break;
        case EVENT_KILL_CANCELLED:
                if ((o = event_new(e))) {
                        cJSON_AddStringToObject(o, "cgroup", e->kill_cancelled.cgroup);
                        cJSON_AddStringToObject(o, "unit", e->kill_cancelled.unit);
                        cJSON_AddStringToObject(o, "ruleset", e->kill_cancelled.ruleset);
                        cJSON_AddStringToObject(o, "reason", e->kill_cancelled.reason);
                        cJSON_AddStringToObject(o, "verdict", prekill_verdict_to_string(e->kill_cancelled.verdict));
                }
                break;
        case EVENT_KILLED:
                o = killed_to_json(e);
                break;
        case EVENT_POLICY_CHANGED:
                if ((o = event_new(e))) {
                        cJSON_AddStringToObject(o, "source", e->policy_changed.source);
                        cJSON_AddNumberToObject(o, "rulesets", (double) e->policy_changed.rulesets);
                        cJSON_AddNumberToObject(o, "kill_list_entries", (double) e->policy_changed.kill_list_entries);
                        cJSON_AddBoolToObject(o, "dry_run", e->policy_changed.dry_run);
                }
                break;
        case EVENT_PRESSURE_CHANGED:
                if ((o = event_new(e))) {
                        cJSON_AddStringToObject(o, "cgroup", e->pressure_changed.cgroup);
                        cJSON_AddStringToObject(o, "level", pressure_level_to_string(e->pressure_changed.level));
                        cJSON_AddStringToObject(o, "previous_level", pressure_level_to_string(e->pressure_changed.previous));
                        cJSON_AddNumberToObject(o, "pressure", e->pressure_changed.pressure);
                }
                break;
        case EVENT_PRESSURE_RECOVERED:
                if ((o = event_new(e))) {
                        cJSON_AddStringToObject(o, "cgroup", e->pressure_recovered.cgroup);
                        cJSON_AddStringToObject(o, "worst_level", pressure_level_to_string(e->pressure_recovered.worst));
                        cJSON_AddNumberToObject(o, "duration_usec", (double) e->pressure_recovered.duration_usec);
                }
                break;
        case EVENT_LOW_MEMORY_WARNING:
                if ((o = event_new(e)))
                        cJSON_AddNumberToObject(o, "level", pressure_level_to_lmm(e->low_memory.level));
                break;
        default:
                break;
        }
        return o;
}
