/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The JSON form of each event (README "Events", the fields of the D-Bus signals): its keys in the
 * order subscribers have always seen them, and its values.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "daemon/api/event_json.h"

/* The keys of o, in order, joined by spaces. */
static void keys_of(const cJSON *o, char *buf, size_t size) {
        size_t l = 0;
        buf[0] = 0;
        for (const cJSON *c = o->child; c && l < size; c = c->next)
                l += snprintf(buf + l, size - l, "%s%s", l ? " " : "", c->string);
}

static void assert_keys(const cJSON *o, const char *expected) {
        char keys[1024];
        cr_assert_not_null(o);
        keys_of(o, keys, sizeof keys);
        cr_assert_str_eq(keys, expected);
}

static const char *str(const cJSON *o, const char *key) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        cr_assert(cJSON_IsString(v), "%s is not a string", key);
        return v->valuestring;
}

static double num(const cJSON *o, const char *key) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        cr_assert(cJSON_IsNumber(v), "%s is not a number", key);
        return v->valuedouble;
}

static bool boolean(const cJSON *o, const char *key) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        cr_assert(cJSON_IsBool(v), "%s is not a boolean", key);
        return cJSON_IsTrue(v);
}

#define TIME 1700000000123456ull

Test(event_json, kill_pending) {
        Event e = { .kind = EVENT_KILL_PENDING, .time = TIME, .kill_pending = {
                .cgroup = "/system.slice/hog.service", .unit = "hog.service", .ruleset = "memory", .reason = "too big",
                .memory_bytes = 3ull << 30, .pressure = 42.5, .dry_run = true, .prekill_timeout_usec = 5000000 } };
        cJSON *o = event_to_json(&e);
        assert_keys(o, "event time cgroup unit ruleset reason memory_bytes pressure dry_run prekill_timeout_usec");
        cr_assert_str_eq(str(o, "event"), "KillPending");
        cr_assert_eq(num(o, "time"), (double) TIME);
        cr_assert_str_eq(str(o, "cgroup"), "/system.slice/hog.service");
        cr_assert_str_eq(str(o, "unit"), "hog.service");
        cr_assert_str_eq(str(o, "ruleset"), "memory");
        cr_assert_str_eq(str(o, "reason"), "too big");
        cr_assert_eq(num(o, "memory_bytes"), (double) (3ull << 30));
        cr_assert_eq(num(o, "pressure"), 42.5);
        cr_assert(boolean(o, "dry_run"));
        cr_assert_eq(num(o, "prekill_timeout_usec"), 5000000.0);
        cJSON_Delete(o);
}

Test(event_json, kill_cancelled) {
        Event e = { .kind = EVENT_KILL_CANCELLED, .time = TIME, .kill_cancelled = {
                .cgroup = "/a.slice", .unit = "a.slice", .ruleset = "swap", .reason = "it shed memory",
                .verdict = PREKILL_VERDICT_QUIET } };
        cJSON *o = event_to_json(&e);
        assert_keys(o, "event time cgroup unit ruleset reason verdict");
        cr_assert_str_eq(str(o, "event"), "KillCancelled");
        cr_assert_str_eq(str(o, "reason"), "it shed memory");
        cr_assert_str_eq(str(o, "verdict"), prekill_verdict_to_string(PREKILL_VERDICT_QUIET));
        cr_assert_str_eq(str(o, "unit"), "a.slice");
        cJSON_Delete(o);
}

Test(event_json, killed_is_the_record_with_event_last) {
        pid_t pids[] = { 101, 202, 303 };
        Event e = { .kind = EVENT_KILLED, .time = TIME, .killed = {
                .cgroup = "/user.slice/x.scope", .unit = "x.scope", .ruleset = "memory", .reason = "r",
                .method = "stop+kill", .dry_run = false, .pids = pids, .n_pids = 2, .killed = 3,
                .memory_bytes = 1000, .freed_bytes = 900, .pressure = 12.25, .incident_kill = 2, .scope = "unit",
                .escalated = true, .stopped = true, .stop_to_gone_usec = 777 } };
        cJSON *o = event_to_json(&e);
        assert_keys(o, "time ruleset reason method dry_run cgroup unit pids killed memory_bytes freed_bytes pressure "
                       "incident_kill scope escalated stop_to_gone_usec event");
        cr_assert_str_eq(str(o, "event"), "Killed");
        cr_assert_str_eq(str(o, "method"), "stop+kill");
        cr_assert_not(boolean(o, "dry_run"));
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "pids");
        cr_assert_eq(cJSON_GetArraySize(a), 2, "only the pids recorded");
        cr_assert_eq(cJSON_GetArrayItem(a, 0)->valuedouble, 101);
        cr_assert_eq(cJSON_GetArrayItem(a, 1)->valuedouble, 202);
        cr_assert_eq(num(o, "killed"), 3);
        cr_assert_eq(num(o, "memory_bytes"), 1000);
        cr_assert_eq(num(o, "freed_bytes"), 900);
        cr_assert_eq(num(o, "pressure"), 12.25);
        cr_assert_eq(num(o, "incident_kill"), 2);
        cr_assert_str_eq(str(o, "scope"), "unit");
        cr_assert(boolean(o, "escalated"));
        cr_assert_eq(num(o, "stop_to_gone_usec"), 777);
        cJSON_Delete(o);

        e.killed.stopped = false; /* a plain kill has no stop time */
        o = event_to_json(&e);
        assert_keys(o, "time ruleset reason method dry_run cgroup unit pids killed memory_bytes freed_bytes pressure "
                       "incident_kill scope escalated event");
        cJSON_Delete(o);
}

Test(event_json, policy_changed) {
        Event e = { .kind = EVENT_POLICY_CHANGED, .time = TIME, .policy_changed = {
                .source = "/etc/pressured/policy.json", .rulesets = 3, .kill_list_entries = 7, .dry_run = false } };
        cJSON *o = event_to_json(&e);
        assert_keys(o, "event time source rulesets kill_list_entries dry_run");
        cr_assert_str_eq(str(o, "event"), "PolicyChanged");
        cr_assert_str_eq(str(o, "source"), "/etc/pressured/policy.json");
        cr_assert_eq(num(o, "rulesets"), 3);
        cr_assert_eq(num(o, "kill_list_entries"), 7);
        cr_assert_not(boolean(o, "dry_run"));
        cJSON_Delete(o);
}

Test(event_json, pressure_changed) {
        Event e = { .kind = EVENT_PRESSURE_CHANGED, .time = TIME, .pressure_changed = {
                .cgroup = "/", .level = PRESSURE_LEVEL_MEDIUM, .previous = PRESSURE_LEVEL_LOW, .pressure = 25.5 } };
        cJSON *o = event_to_json(&e);
        assert_keys(o, "event time cgroup level previous_level pressure");
        cr_assert_str_eq(str(o, "event"), "PressureChanged");
        cr_assert_str_eq(str(o, "cgroup"), "/");
        cr_assert_str_eq(str(o, "level"), "medium");
        cr_assert_str_eq(str(o, "previous_level"), "low");
        cr_assert_eq(num(o, "pressure"), 25.5);
        cJSON_Delete(o);
}

Test(event_json, pressure_recovered) {
        Event e = { .kind = EVENT_PRESSURE_RECOVERED, .time = TIME, .pressure_recovered = {
                .cgroup = "/b.slice", .worst = PRESSURE_LEVEL_CRITICAL, .duration_usec = 12345678 } };
        cJSON *o = event_to_json(&e);
        assert_keys(o, "event time cgroup worst_level duration_usec");
        cr_assert_str_eq(str(o, "event"), "PressureRecovered");
        cr_assert_str_eq(str(o, "worst_level"), "critical");
        cr_assert_eq(num(o, "duration_usec"), 12345678);
        cJSON_Delete(o);
}

Test(event_json, low_memory_warning_carries_the_lmm_level) {
        Event e = { .kind = EVENT_LOW_MEMORY_WARNING, .time = TIME, .low_memory = { .level = PRESSURE_LEVEL_CRITICAL } };
        cJSON *o = event_to_json(&e);
        assert_keys(o, "event time level");
        cr_assert_str_eq(str(o, "event"), "LowMemoryWarning");
        cr_assert_eq(num(o, "level"), pressure_level_to_lmm(PRESSURE_LEVEL_CRITICAL));
        cr_assert_eq(num(o, "level"), 255, "critical is GMemoryMonitor's 255");
        cJSON_Delete(o);
}

Test(event_json, cgroup_objects_have_no_json_form) {
        Event e = { .kind = EVENT_CGROUP_ADDED, .time = TIME, .cgroup = { .cgroup = "/c.slice" } };
        cr_assert_null(event_to_json(&e));
        e.kind = EVENT_CGROUP_REMOVED;
        cr_assert_null(event_to_json(&e));
}

Test(event_json, names_are_the_signals) {
        cr_assert_str_eq(event_kind_to_string(EVENT_KILL_PENDING), "KillPending");
        cr_assert_str_eq(event_kind_to_string(EVENT_KILLED), "Killed");
        cr_assert_null(event_kind_to_string(_EVENT_KIND_MAX));
}
