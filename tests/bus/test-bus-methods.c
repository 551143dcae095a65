/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every Manager method and property over the bus, as root, against the daemon on a fixture
 * hierarchy (cgroup mode, nothing real to kill): replies, errors by name, the files a policy change
 * writes, and PolicyChanged seen by a subscriber.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-util.h"

#define BIG_BYTES 314572800ULL

TestSuite(methods, .init = fixture_up, .fini = fixture_down, .timeout = 120);

static cJSON *parse_json(const char *method, char *s) {
        cJSON *j = cJSON_Parse(s);
        cr_assert_not_null(j, "%s returned no JSON: %s", method, s);
        free(s);
        return j;
}

/* An argument-less method returning JSON text. */
static cJSON *call_json(const char *method) {
        return parse_json(method, manager_call_string(fx.client, method, ""));
}

/* InvalidPolicy messages start with the JSON path of the problem. */
static void expect_path_prefix(const char *msg, const char *path) {
        size_t l = strlen(path);
        cr_assert(strncmp(msg, path, l) == 0 && strncmp(msg + l, ": ", 2) == 0,
                  "the message must start with the JSON path \"%s: \": %s", path, msg);
}

static const char *jstr(const cJSON *o, const char *key) {
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
        cr_assert_not_null(s, "no string \"%s\" in %s", key, cJSON_PrintUnformatted(o));
        return s;
}

static const char *first_ruleset_name(const cJSON *policy) {
        return jstr(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(policy, "rulesets"), 0), "name");
}

Test(methods, get_status_is_the_status_document) {
        cJSON *s = call_json("GetStatus");
        cr_assert_str_eq(jstr(s, "mode"), "cgroup");
        cr_assert_str_eq(jstr(s, "cgroup_root"), fx.cg_root);
        cr_assert(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(s, "cgroups")));
        cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "pid")), fx.daemon);
        cJSON_Delete(s);
}

typedef struct Listed {
        char path[256], object[512], level[16];
        uint64_t memory;
        double pressure;
} Listed;

/* ListCGroups into an array; the count. */
static size_t list_cgroups(Listed *out, size_t max) {
        sd_bus_message *reply = manager_call(fx.client, "ListCGroups", "");
        size_t n = 0;
        cr_assert_geq(sd_bus_message_enter_container(reply, 'a', "(sostd)"), 0, "ListCGroups is not a(sostd)");
        const char *p, *o, *l;
        uint64_t mem;
        double pr;
        int r;
        while ((r = sd_bus_message_read(reply, "(sostd)", &p, &o, &l, &mem, &pr)) > 0) {
                cr_assert_lt(n, max);
                snprintf(out[n].path, sizeof out[n].path, "%s", p);
                snprintf(out[n].object, sizeof out[n].object, "%s", o);
                snprintf(out[n].level, sizeof out[n].level, "%s", l);
                out[n].memory = mem;
                out[n].pressure = pr;
                n++;
        }
        cr_assert_geq(r, 0);
        sd_bus_message_unref(reply);
        return n;
}

static const Listed *find_listed(const Listed *l, size_t n, const char *path) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(l[i].path, path) == 0)
                        return &l[i];
        return NULL;
}

static char *cgroup_string_property(const char *object, const char *name) {
        char *v = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_get_property_string(fx.client, PRESSURED_BUS_NAME, object, CGROUP_IFACE, name, &e, &v);
        cr_assert_geq(r, 0, "%s.%s: %s", object, name, e.message ? e.message : strerror(-r));
        return v;
}

Test(methods, list_and_get_cgroups) {
        Listed l[16];
        fixture_wait_published(&fx, "/work.slice/app.service");
        size_t n = list_cgroups(l, 16);
        cr_assert_eq(n, 4, "want /big.slice, /small.slice, /work.slice, /work.slice/app.service (the root is the "
                     "system, not listed); got %zu", n);
        const Listed *big = find_listed(l, n, "/big.slice"), *small = find_listed(l, n, "/small.slice");
        const Listed *app = find_listed(l, n, "/work.slice/app.service");
        cr_assert(big && small && app && find_listed(l, n, "/work.slice"));
        cr_assert_str_eq(big->object, "/org/pressured/oom1/cgroup/_2fbig_2eslice");
        cr_assert_str_eq(big->level, "medium", "full avg10 25 is medium");
        cr_assert_eq(big->memory, BIG_BYTES);
        cr_assert_float_eq(big->pressure, 25.0, 1e-9);
        cr_assert_str_eq(small->level, "ok");
        cr_assert_eq(small->memory, 10485760);

        sd_bus_message *reply = manager_call(fx.client, "GetCGroup", "s", "/work.slice/app.service");
        const char *object;
        cr_assert_geq(sd_bus_message_read(reply, "o", &object), 0);
        cr_assert_str_eq(object, app->object);
        char *v = cgroup_string_property(object, "Path");
        cr_assert_str_eq(v, "/work.slice/app.service");
        free(v);
        cr_assert_str_eq(v = cgroup_string_property(object, "Unit"), "app.service");
        free(v);
        cr_assert_str_eq(v = cgroup_string_property(object, "Level"), "ok");
        free(v);
        uint64_t mem = 0;
        cr_assert_geq(sd_bus_get_property_trivial(fx.client, PRESSURED_BUS_NAME, object, CGROUP_IFACE, "MemoryCurrent",
                                                  NULL, 't', &mem), 0);
        cr_assert_eq(mem, 52428800);
        sd_bus_message_unref(reply);

        char *msg = manager_call_error(fx.client, "org.pressured.oom1.Error.NotFound", "GetCGroup", "s", "/nope.slice");
        cr_assert(strstr(msg, "/nope.slice"), "the message does not name the cgroup: %s", msg);
        free(msg);
        /* And the object of an unknown cgroup does not exist either. */
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char *s = NULL;
        cr_assert_lt(sd_bus_get_property_string(fx.client, PRESSURED_BUS_NAME, "/org/pressured/oom1/cgroup/_2fnope_2eslice",
                                                CGROUP_IFACE, "Path", &e, &s), 0);
        sd_bus_error_free(&e);
}

static void expect_policy_changed(BusWatch *w, const char *source_part, unsigned rulesets, unsigned entries, bool dry_run) {
        sd_bus_message *m = bus_watch_next(w, "PolicyChanged", BUS_WAIT_MS);
        cr_assert_not_null(m, "no PolicyChanged signal within %u ms", BUS_WAIT_MS);
        const char *source;
        uint32_t n_rulesets, n_entries;
        int dry;
        cr_assert_geq(sd_bus_message_read(m, "suub", &source, &n_rulesets, &n_entries, &dry), 0, "PolicyChanged is not (suub)");
        cr_assert(strstr(source, source_part), "source %s, want %s", source, source_part);
        cr_assert_eq(n_rulesets, rulesets);
        cr_assert_eq(n_entries, entries);
        cr_assert_eq(!!dry, dry_run);
        sd_bus_message_unref(m);
}

static const char NEW_POLICY[] =
        "{\"interval\": \"200ms\", \"kill_list\": [{\"pattern\": \"/big.slice\"}], \"rulesets\": [{\"name\": \"replaced\","
        " \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/pressured-test-does-not-exist\"}]],"
        " \"actions\": [{\"type\": \"kill\"}]}]}";
static const char BAD_POLICY[] =
        "{\"rulesets\": [{\"name\": \"x\", \"detectors\": [[{\"type\": \"pressure_above\", \"threshold\": 150}]],"
        " \"actions\": [{\"type\": \"kill\"}]}]}";

Test(methods, get_and_set_policy) {
        cJSON *p = call_json("GetPolicy");
        cr_assert_str_eq(first_ruleset_name(p), "never");
        cr_assert_str_eq(jstr(p, "interval"), "200ms");
        cJSON_Delete(p);

        BusWatch *w = bus_watch(fx.client, "type='signal',interface='" MANAGER_IFACE "',member='PolicyChanged'");
        char *msg = manager_call_error(fx.client, "org.pressured.oom1.Error.InvalidPolicy", "SetPolicy", "sb", BAD_POLICY, false);
        expect_path_prefix(msg, "rulesets[0].detectors[0][0].threshold");
        free(msg);
        char *runtime = fixture_path(&fx, "run/policy.json");
        cr_assert_neq(access(runtime, F_OK), 0, "a refused policy reached %s", runtime);
        msg = manager_call_error(fx.client, "org.pressured.oom1.Error.InvalidPolicy", "SetPolicy", "sb", "not json", false);
        cr_assert(strstr(msg, "not valid JSON"), "%s", msg);
        free(msg);
        /* cJSON would have cut the name to "ok" */
        msg = manager_call_error(fx.client, "org.pressured.oom1.Error.InvalidPolicy", "SetPolicy", "sb",
                                 "{\"rulesets\": [{\"name\": \"ok\\u0000BAD\"}]}", false);
        expect_path_prefix(msg, "rulesets[0].name");
        cr_assert(strstr(msg, "\\u0000 (a NUL character)"), "%s", msg);
        free(msg);

        char *source = manager_call_string(fx.client, "SetPolicy", "sb", NEW_POLICY, false);
        cr_assert(strncmp(source, runtime, strlen(runtime)) == 0 && strstr(source, "policy set"),
                  "the source does not name the override: %s", source);
        free(source);
        expect_policy_changed(w, runtime, 1, 1, false);
        cr_assert_null(bus_watch_next(w, "PolicyChanged", 0), "an invalid SetPolicy announced a change");
        cr_assert_eq(access(runtime, F_OK), 0);
        p = call_json("GetPolicy");
        cr_assert_str_eq(first_ruleset_name(p), "replaced");
        cJSON_Delete(p);
        char *ps = NULL;
        cr_assert_geq(sd_bus_get_property_string(fx.client, PRESSURED_BUS_NAME, PRESSURED_PATH, MANAGER_IFACE,
                                                 "PolicySource", NULL, &ps), 0);
        cr_assert(strncmp(ps, runtime, strlen(runtime)) == 0, "%s", ps);
        free(ps);
        bus_watch_free(w);
        free(runtime);
}

Test(methods, set_policy_persist_survives_a_restart) {
        char *state = fixture_path(&fx, "state/policy.json");
        char *source = manager_call_string(fx.client, "SetPolicy", "sb", NEW_POLICY, true);
        cr_assert(strncmp(source, state, strlen(state)) == 0, "%s", source);
        free(source);
        cr_assert_eq(access(state, F_OK), 0, "persist did not write %s", state);
        fixture_stop_daemon(&fx);
        cr_assert(bus_wait_name(fx.client, PRESSURED_BUS_NAME, false, BUS_WAIT_MS), "the name outlived the daemon");
        fixture_start_daemon(&fx, NULL, true);
        cJSON *p = call_json("GetPolicy");
        cr_assert_str_eq(first_ruleset_name(p), "replaced");
        cJSON_Delete(p);
        free(state);
}

Test(methods, reload_policy) {
        BusWatch *w = bus_watch(fx.client, "type='signal',interface='" MANAGER_IFACE "',member='PolicyChanged'");
        cr_assert_eq(host_write_text(fx.config, NEW_POLICY), 0);
        char *source = manager_call_string(fx.client, "ReloadPolicy", "");
        cr_assert_str_eq(source, fx.config);
        free(source);
        expect_policy_changed(w, fx.config, 1, 1, false);
        cJSON *p = call_json("GetPolicy");
        cr_assert_str_eq(first_ruleset_name(p), "replaced");
        cJSON_Delete(p);
        /* A bad file: InvalidPolicy with the path; the running policy stays. */
        cr_assert_eq(host_write_text(fx.config, "{\"interval\": \"soon\"}"), 0);
        char *msg = manager_call_error(fx.client, "org.pressured.oom1.Error.InvalidPolicy", "ReloadPolicy", "");
        expect_path_prefix(msg, "interval");
        free(msg);
        p = call_json("GetPolicy");
        cr_assert_str_eq(first_ruleset_name(p), "replaced");
        cJSON_Delete(p);
        bus_watch_free(w);
}

typedef struct Entry {
        char pattern[64], min_memory[16];
        double min_pressure;
} Entry;

static size_t kill_list(Entry *out, size_t max) {
        sd_bus_message *reply = manager_call(fx.client, "GetKillList", "");
        cr_assert_geq(sd_bus_message_enter_container(reply, 'a', "(ssd)"), 0, "GetKillList is not a(ssd)");
        size_t n = 0;
        const char *p, *m;
        double pr;
        while (sd_bus_message_read(reply, "(ssd)", &p, &m, &pr) > 0) {
                cr_assert_lt(n, max);
                snprintf(out[n].pattern, sizeof out[n].pattern, "%s", p);
                snprintf(out[n].min_memory, sizeof out[n].min_memory, "%s", m);
                out[n++].min_pressure = pr;
        }
        sd_bus_message_unref(reply);
        return n;
}

static void add_entry(const char *pattern, const char *min_memory, double min_pressure, int position) {
        char *source = manager_call_string(fx.client, "AddKillListEntry", "ssdib", pattern, min_memory, min_pressure,
                                           position, false);
        free(source);
}

Test(methods, kill_list_add_move_remove) {
        Entry e[8];
        cr_assert_eq(kill_list(e, 8), 0);
        add_entry("/big.slice", "100M", -1, -1);
        add_entry("chrome", "", 15, -1);
        add_entry("/small.slice", "", -1, 0);
        cr_assert_eq(kill_list(e, 8), 3);
        cr_assert_str_eq(e[0].pattern, "/small.slice");
        cr_assert_str_eq(e[0].min_memory, "");
        cr_assert_float_eq(e[0].min_pressure, -1, 1e-9);
        cr_assert_str_eq(e[1].pattern, "/big.slice");
        cr_assert_str_eq(e[1].min_memory, "100M");
        cr_assert_str_eq(e[2].pattern, "chrome");
        cr_assert_float_eq(e[2].min_pressure, 15, 1e-9);

        free(manager_call_string(fx.client, "MoveKillListEntry", "uub", 2, 0, false));
        free(manager_call_string(fx.client, "RemoveKillListEntry", "ub", 1, false));
        cr_assert_eq(kill_list(e, 8), 2);
        cr_assert_str_eq(e[0].pattern, "chrome");
        cr_assert_str_eq(e[1].pattern, "/big.slice");

        char *msg = manager_call_error(fx.client, "org.pressured.oom1.Error.NotFound", "RemoveKillListEntry", "ub", 5, false);
        cr_assert(strstr(msg, "has 2 entries"), "%s", msg);
        free(msg);
        free(manager_call_error(fx.client, "org.pressured.oom1.Error.NotFound", "MoveKillListEntry", "uub", 0, 2, false));
        msg = manager_call_error(fx.client, "org.pressured.oom1.Error.InvalidPolicy", "AddKillListEntry", "ssdib",
                                 "/x", "lots", -1.0, -1, false);
        expect_path_prefix(msg, "kill_list[2].min_memory");
        free(msg);
        cr_assert_eq(kill_list(e, 8), 2, "a refused edit changed the list");
        /* Persisted: the persisted change layer holds it. */
        char *state = fixture_path(&fx, "state/changes.json");
        free(manager_call_string(fx.client, "RemoveKillListEntry", "ub", 0, true));
        cr_assert(host_file_contains(state, "/big.slice", 0), "persist did not write %s", state);
        free(state);
}

Test(methods, revert_policy_drops_the_changes) {
        Entry e[8];
        char *runtime = fixture_path(&fx, "run/changes.json"), *state = fixture_path(&fx, "state/changes.json");
        add_entry("/big.slice", "", -1, -1);
        free(manager_call_string(fx.client, "AddKillListEntry", "ssdib", "chrome", "", -1.0, -1, true));
        cr_assert_eq(kill_list(e, 8), 2);

        /* Where the kill list comes from (one file: drop-ins replace it whole), over the bus too. */
        cJSON *s = call_json("GetPolicySources");
        cr_assert_str_eq(jstr(s, "kill_list"), state);
        cr_assert_str_eq(jstr(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s, "rulesets"), 0), "source"), fx.config);
        cJSON_Delete(s);

        free(manager_call_string(fx.client, "AddKillListEntry", "ssdib", "firefox", "", -1.0, -1, false));
        cr_assert_eq(kill_list(e, 8), 3);
        BusWatch *w = bus_watch(fx.client, "type='signal',interface='" MANAGER_IFACE "',member='PolicyChanged'");
        sd_bus_message *reply = manager_call(fx.client, "RevertPolicy", "b", false);
        const char *source, *f;
        cr_assert_geq(sd_bus_message_read(reply, "s", &source), 0, "RevertPolicy does not return (sas)");
        cr_assert(strstr(source, state) && !strstr(source, runtime), "%s", source);
        cr_assert_geq(sd_bus_message_enter_container(reply, 'a', "s"), 0);
        cr_assert_gt(sd_bus_message_read(reply, "s", &f), 0, "RevertPolicy removed nothing");
        cr_assert_str_eq(f, runtime);
        cr_assert_eq(sd_bus_message_read(reply, "s", &f), 0, "RevertPolicy removed more than %s", runtime);
        sd_bus_message_unref(reply);
        expect_policy_changed(w, state, 1, 2, false);
        cr_assert_eq(kill_list(e, 8), 2);
        cr_assert_str_eq(e[1].pattern, "chrome");

        reply = manager_call(fx.client, "RevertPolicy", "b", true);
        cr_assert_geq(sd_bus_message_read(reply, "s", &source), 0);
        cr_assert_str_eq(source, fx.config);
        sd_bus_message_unref(reply);
        cr_assert_eq(kill_list(e, 8), 0);
        cr_assert_neq(access(state, F_OK), 0, "RevertPolicy(true) left %s", state);
        bus_watch_free(w);
        free(runtime);
        free(state);
}

Test(methods, list_kills_and_dump) {
        cJSON *k = parse_json("ListKills", manager_call_string(fx.client, "ListKills", "t", (uint64_t) 0));
        cr_assert(cJSON_IsArray(k), "ListKills is not a JSON array");
        cr_assert_eq(cJSON_GetArraySize(k), 0);
        cJSON_Delete(k);

        sd_bus_message *reply = manager_call(fx.client, "Dump", "");
        int fd = -1;
        cr_assert_geq(sd_bus_message_read(reply, "h", &fd), 0, "Dump did not return a file descriptor");
        char buf[1 << 16];
        size_t len = 0;
        ssize_t n;
        lseek(fd, 0, SEEK_SET);
        while (len < sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
                len += (size_t) n;
        buf[len] = 0;
        cr_assert(strstr(buf, "Mode:       cgroup") && strstr(buf, "/big.slice") && strstr(buf, "medium"), "%s", buf);
        sd_bus_message_unref(reply);
}

Test(methods, properties) {
        char *s = NULL;
        cr_assert_geq(sd_bus_get_property_string(fx.client, PRESSURED_BUS_NAME, PRESSURED_PATH, MANAGER_IFACE, "Version",
                                                 NULL, &s), 0);
        cr_assert_gt(strlen(s), 0);
        free(s);
        cr_assert_geq(sd_bus_get_property_string(fx.client, PRESSURED_BUS_NAME, PRESSURED_PATH, MANAGER_IFACE, "Mode",
                                                 NULL, &s), 0);
        cr_assert_str_eq(s, "cgroup");
        free(s);
        uint64_t total = 0, kills = 1;
        cr_assert_geq(sd_bus_get_property_trivial(fx.client, PRESSURED_BUS_NAME, PRESSURED_PATH, MANAGER_IFACE,
                                                  "MemoryTotal", NULL, 't', &total), 0);
        cr_assert_gt(total, 0);
        cr_assert_geq(sd_bus_get_property_trivial(fx.client, PRESSURED_BUS_NAME, PRESSURED_PATH, MANAGER_IFACE,
                                                  "KillCount", NULL, 't', &kills), 0);
        cr_assert_eq(kills, 0);

        BusWatch *w = bus_watch(fx.client, "type='signal',interface='" MANAGER_IFACE "',member='PolicyChanged'");
        BusWatch *props = bus_watch(fx.client, "type='signal',interface='org.freedesktop.DBus.Properties',"
                                               "path='" PRESSURED_PATH "'");
        int dry = 1;
        cr_assert_geq(sd_bus_get_property_trivial(fx.client, PRESSURED_BUS_NAME, PRESSURED_PATH, MANAGER_IFACE, "DryRun",
                                                  NULL, 'b', &dry), 0);
        cr_assert_not(dry);
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_set_property(fx.client, PRESSURED_BUS_NAME, PRESSURED_PATH, MANAGER_IFACE, "DryRun", &e, "b", 1);
        cr_assert_geq(r, 0, "Set DryRun: %s", e.message ? e.message : strerror(-r));
        cr_assert_geq(sd_bus_get_property_trivial(fx.client, PRESSURED_BUS_NAME, PRESSURED_PATH, MANAGER_IFACE, "DryRun",
                                                  NULL, 'b', &dry), 0);
        cr_assert(dry);
        expect_policy_changed(w, fx.config, 1, 0, true);
        /* DryRun emits PropertiesChanged (the contract gives it no EmitsChangedSignal="false"). */
        int announced = 0;
        int r2 = bus_watch_property(props, PRESSURED_PATH, MANAGER_IFACE, "DryRun", 'b', &announced, BUS_WAIT_MS);
        cr_assert_geq(r2, 0, "no PropertiesChanged for DryRun within %u ms", BUS_WAIT_MS);
        cr_assert(r2 == 0 || announced, "PropertiesChanged says DryRun is false");
        bus_watch_free(props);
        cJSON *st = call_json("GetStatus");
        cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "dry_run")));
        cJSON_Delete(st);
        /* Version cannot be set. */
        cr_assert_lt(sd_bus_set_property(fx.client, PRESSURED_BUS_NAME, PRESSURED_PATH, MANAGER_IFACE, "Version", NULL,
                                         "s", "9.9"), 0);
        bus_watch_free(w);
}
