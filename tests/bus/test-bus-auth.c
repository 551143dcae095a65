/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who may do what over the bus, as uid 65534 in a forked child: with an open bus the daemon's own
 * check refuses the privileged calls (AccessDenied, its message); with the shipped bus policy the
 * bus refuses them before the daemon sees them and still lets the read-only calls through; a
 * member of the policy's admin_group may kill.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-util.h"

#define USERS_GID 100 /* "users" on Debian */
#define ACCESS_DENIED "org.freedesktop.DBus.Error.AccessDenied"

typedef enum CallKind {
        CALL_GET_STATUS,
        CALL_LIST_CGROUPS,
        CALL_GET_POLICY,
        CALL_GET_KILL_LIST,
        CALL_LIST_KILLS,
        CALL_DUMP,
        CALL_GET_VERSION,
        CALL_INTROSPECT,
        CALL_GET_MANAGED_OBJECTS,
        CALL_GET_ALL_CGROUP,
        CALL_KILL,
        CALL_SET_POLICY,
        CALL_ADD_ENTRY,
        CALL_SET_DRY_RUN,
        CALL_RELOAD_POLICY,
} CallKind;

static const char *const CALL_NAMES[] = {
        "GetStatus", "ListCGroups", "GetPolicy", "GetKillList", "ListKills", "Dump", "Get Version", "Introspect",
        "GetManagedObjects", "GetAll of a cgroup",
        "Kill", "SetPolicy", "AddKillListEntry", "Set DryRun", "ReloadPolicy",
};

static int do_call(sd_bus *c, CallKind k, sd_bus_error *e) {
        sd_bus_message *reply = NULL;
        int r;
#define CALL(method, ...) sd_bus_call_method(c, PRESSURED_BUS_NAME, PRESSURED_PATH, MANAGER_IFACE, method, e, &reply, __VA_ARGS__)
        switch (k) {
        case CALL_GET_STATUS:    r = CALL("GetStatus", ""); break;
        case CALL_LIST_CGROUPS:  r = CALL("ListCGroups", ""); break;
        case CALL_GET_POLICY:    r = CALL("GetPolicy", ""); break;
        case CALL_GET_KILL_LIST: r = CALL("GetKillList", ""); break;
        case CALL_LIST_KILLS:    r = CALL("ListKills", "t", (uint64_t) 0); break;
        case CALL_DUMP:          r = CALL("Dump", ""); break;
        case CALL_KILL:          r = CALL("Kill", "ssb", "/big.slice", "auth test", true); break;
        case CALL_SET_POLICY:    r = CALL("SetPolicy", "sb", BUS_TEST_POLICY, false); break;
        case CALL_ADD_ENTRY:     r = CALL("AddKillListEntry", "ssdib", "/big.slice", "", -1.0, -1, false); break;
        case CALL_RELOAD_POLICY: r = CALL("ReloadPolicy", ""); break;
        case CALL_GET_VERSION:
                r = sd_bus_call_method(c, PRESSURED_BUS_NAME, PRESSURED_PATH, "org.freedesktop.DBus.Properties", "Get", e,
                                       &reply, "ss", MANAGER_IFACE, "Version");
                break;
        case CALL_INTROSPECT:
                r = sd_bus_call_method(c, PRESSURED_BUS_NAME, PRESSURED_PATH, "org.freedesktop.DBus.Introspectable",
                                       "Introspect", e, &reply, "");
                break;
        case CALL_GET_MANAGED_OBJECTS:
                r = sd_bus_call_method(c, PRESSURED_BUS_NAME, PRESSURED_PATH, "org.freedesktop.DBus.ObjectManager",
                                       "GetManagedObjects", e, &reply, "");
                break;
        case CALL_GET_ALL_CGROUP:
                r = sd_bus_call_method(c, PRESSURED_BUS_NAME, "/org/pressured/oom1/cgroup/_2fbig_2eslice",
                                       "org.freedesktop.DBus.Properties", "GetAll", e, &reply, "s", CGROUP_IFACE);
                break;
        case CALL_SET_DRY_RUN:
                r = sd_bus_set_property(c, PRESSURED_BUS_NAME, PRESSURED_PATH, MANAGER_IFACE, "DryRun", e, "b", 1);
                break;
        default:
                r = -EINVAL;
        }
#undef CALL
        sd_bus_message_unref(reply);
        return r;
}

typedef struct Expect {
        CallKind call;
        const char *error;      /* NULL: must succeed */
        const char *message;    /* the error message must contain it (NULL: anything) */
        const char *not_message; /* ... and must not contain it */
} Expect;

/* In the child, as uid 65534: one call, the exit code says how it went (details on stderr). */
static int child_call(void *userdata) {
        const Expect *x = userdata;
        int err = 0;
        sd_bus *c = bus_client_try(fx.bus.address, &err);
        if (!c) {
                fprintf(stderr, "uid 65534 cannot connect to %s: %s\n", fx.bus.address, strerror(err));
                return 1;
        }
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = do_call(c, x->call, &e);
        const char *what = CALL_NAMES[x->call];
        if (r >= 0 && x->error) {
                fprintf(stderr, "%s as uid 65534 succeeded; expected %s\n", what, x->error);
                return 2;
        }
        if (r < 0 && !x->error) {
                fprintf(stderr, "%s as uid 65534 failed: %s: %s\n", what, e.name, e.message);
                return 3;
        }
        if (r < 0 && (!e.name || strcmp(e.name, x->error) != 0)) {
                fprintf(stderr, "%s as uid 65534: got %s (%s), expected %s\n", what, e.name, e.message, x->error);
                return 4;
        }
        if (r < 0 && x->message && (!e.message || !strstr(e.message, x->message))) {
                fprintf(stderr, "%s as uid 65534: message \"%s\" lacks \"%s\"\n", what, e.message, x->message);
                return 5;
        }
        if (r < 0 && x->not_message && e.message && strstr(e.message, x->not_message)) {
                fprintf(stderr, "%s as uid 65534: message \"%s\" should not contain \"%s\"\n", what, e.message, x->not_message);
                return 6;
        }
        sd_bus_error_free(&e);
        sd_bus_flush_close_unref(c);
        return 0;
}

static void expect_as_nobody(const gid_t *groups, size_t n, Expect x) {
        int rc = run_as_nobody(groups, n, child_call, &x);
        cr_assert_eq(rc, 0, "%s as uid 65534: check %d failed (see stderr; 120 = cannot drop privileges, -1 = hung)",
                     CALL_NAMES[x.call], rc);
}

static const CallKind READS[] = { CALL_GET_STATUS, CALL_LIST_CGROUPS, CALL_GET_POLICY, CALL_GET_KILL_LIST,
                                  CALL_LIST_KILLS, CALL_DUMP, CALL_GET_VERSION, CALL_INTROSPECT,
                                  CALL_GET_MANAGED_OBJECTS, CALL_GET_ALL_CGROUP };
static const CallKind WRITES[] = { CALL_KILL, CALL_SET_POLICY, CALL_ADD_ENTRY, CALL_SET_DRY_RUN, CALL_RELOAD_POLICY };

static void start(BusPolicyKind kind, const char *policy) {
        if (geteuid() != 0)
                cr_skip_test("needs root to switch to uid 65534");
        fixture_init(&fx, policy);
        fixture_start_bus(&fx, kind);
        fixture_start_daemon(&fx, NULL, true);
        fixture_wait_published(&fx, "/big.slice");
}

/* Root's view after the refusals: nothing changed. */
static void expect_nothing_changed(void) {
        char *kills = manager_call_string(fx.client, "ListKills", "t", (uint64_t) 0);
        cr_assert_str_eq(kills, "[]", "a refused kill reached the history");
        free(kills);
        sd_bus_message *m = manager_call(fx.client, "GetKillList", "");
        cr_assert_eq(sd_bus_message_enter_container(m, 'a', "(ssd)"), 1);
        cr_assert_eq(sd_bus_message_at_end(m, false), 1, "a refused edit changed the kill list");
        sd_bus_message_unref(m);
        int dry = 1;
        cr_assert_geq(sd_bus_get_property_trivial(fx.client, PRESSURED_BUS_NAME, PRESSURED_PATH, MANAGER_IFACE, "DryRun",
                                                  NULL, 'b', &dry), 0);
        cr_assert_not(dry, "a refused Set DryRun took effect");
}

Test(auth, open_bus_the_daemon_refuses, .fini = fixture_down, .timeout = 180) {
        start(BUS_POLICY_OPEN, NULL);
        for (size_t i = 0; i < sizeof READS / sizeof *READS; i++)
                expect_as_nobody(NULL, 0, (Expect) { READS[i] });
        for (size_t i = 0; i < sizeof WRITES / sizeof *WRITES; i++)
                expect_as_nobody(NULL, 0, (Expect) { WRITES[i], ACCESS_DENIED, "needs root, and the caller is uid 65534" });
        expect_nothing_changed();
}

Test(auth, shipped_bus_policy_refuses_first, .fini = fixture_down, .timeout = 180) {
        start(BUS_POLICY_SHIPPED, NULL);
        for (size_t i = 0; i < sizeof READS / sizeof *READS; i++)
                expect_as_nobody(NULL, 0, (Expect) { READS[i] });
        /* The bus's refusal: its own message, never the daemon's. */
        for (size_t i = 0; i < sizeof WRITES / sizeof *WRITES; i++)
                expect_as_nobody(NULL, 0, (Expect) { WRITES[i], ACCESS_DENIED, "Rejected send message", "needs root" });
        expect_nothing_changed();
        /* Root passes the shipped policy. */
        sd_bus_message_unref(manager_call(fx.client, "Kill", "ssb", "/big.slice", "root under the shipped policy", true));
}

static const char ADMIN_POLICY[] =
        "{\"admin_group\": \"users\", \"interval\": \"200ms\", \"rulesets\": [{\"name\": \"never\","
        " \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/pressured-test-does-not-exist\"}]],"
        " \"actions\": [{\"type\": \"kill\"}]}]}";

Test(auth, admin_group_may_kill, .fini = fixture_down, .timeout = 180) {
        start(BUS_POLICY_OPEN, ADMIN_POLICY);
        const gid_t users = USERS_GID;
        expect_as_nobody(&users, 1, (Expect) { CALL_KILL });
        expect_as_nobody(&users, 1, (Expect) { CALL_SET_DRY_RUN });
        /* Without the group: refused, and told which group would do. */
        expect_as_nobody(NULL, 0, (Expect) { CALL_KILL, ACCESS_DENIED, "membership of group users" });
        char *kills = manager_call_string(fx.client, "ListKills", "t", (uint64_t) 0);
        cr_assert(strstr(kills, "auth test"), "the admin's dry run is not recorded: %s", kills);
        free(kills);
}
