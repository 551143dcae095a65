/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the daemon announces on its own, driven by the fixture files the test rewrites: a cgroup's
 * level crossing (PressureChanged, PropertiesChanged of Level on its object), the way back
 * (PressureRecovered), cgroups appearing and vanishing (InterfacesAdded/Removed, GetManagedObjects).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-util.h"

#define SMALL_OBJECT "/org/pressured/oom1/cgroup/_2fsmall_2eslice"
#define NEW_OBJECT "/org/pressured/oom1/cgroup/_2fnew_2eslice"

static void setup(void) {
        fixture_up();
        fixture_wait_published(&fx, "/small.slice");
}

TestSuite(signals, .init = setup, .fini = fixture_down, .timeout = 120);

static void set_small_pressure(double full_avg10) {
        char text[256];
        snprintf(text, sizeof text, "some avg10=%.2f avg60=0.00 avg300=0.00 total=1000\n"
                                    "full avg10=%.2f avg60=0.00 avg300=0.00 total=900\n", full_avg10, full_avg10);
        fixture_write(&fx, "cgroup/small.slice/memory.pressure", text);
}

/* The next PressureChanged for `cgroup`; others are skipped. */
static void expect_pressure_changed(BusWatch *w, const char *cgroup, const char *level, const char *previous, double pressure) {
        for (;;) {
                sd_bus_message *m = bus_watch_next(w, "PressureChanged", BUS_WAIT_MS);
                cr_assert_not_null(m, "no PressureChanged for %s to %s within %u ms", cgroup, level, BUS_WAIT_MS);
                const char *cg, *l, *prev;
                double p;
                cr_assert_geq(sd_bus_message_read(m, "sssd", &cg, &l, &prev, &p), 0, "PressureChanged is not (sssd)");
                if (strcmp(cg, cgroup) == 0) {
                        cr_assert_str_eq(l, level);
                        cr_assert_str_eq(prev, previous);
                        cr_assert_float_eq(p, pressure, 1e-6);
                        sd_bus_message_unref(m);
                        return;
                }
                sd_bus_message_unref(m);
        }
}

/* The next PropertiesChanged on /small.slice's object must name Level, changed to `level` (or invalidated). */
static void expect_level_property(BusWatch *w, const char *level) {
        sd_bus_message *m = bus_watch_next(w, "PropertiesChanged", BUS_WAIT_MS);
        cr_assert_not_null(m, "no PropertiesChanged on %s within %u ms", SMALL_OBJECT, BUS_WAIT_MS);
        const char *v = NULL;
        int r = properties_changed_find(m, CGROUP_IFACE, "Level", 's', &v);
        cr_assert_geq(r, 0, "a PropertiesChanged on %s without Level", SMALL_OBJECT);
        if (r > 0)
                cr_assert_str_eq(v, level);
        sd_bus_message_unref(m);
}

Test(signals, level_crossing_and_recovery) {
        BusWatch *w = bus_watch(fx.client, "type='signal',interface='" MANAGER_IFACE "'");
        BusWatch *props = bus_watch(fx.client, "type='signal',interface='org.freedesktop.DBus.Properties',"
                                              "member='PropertiesChanged',path='" SMALL_OBJECT "'");
        set_small_pressure(45.0);
        expect_pressure_changed(w, "/small.slice", "critical", "ok", 45.0);
        expect_level_property(props, "critical");
        char *level = NULL;
        cr_assert_geq(sd_bus_get_property_string(fx.client, PRESSURED_BUS_NAME, SMALL_OBJECT, CGROUP_IFACE, "Level", NULL,
                                                 &level), 0);
        cr_assert_str_eq(level, "critical");
        free(level);

        set_small_pressure(0.0);
        expect_pressure_changed(w, "/small.slice", "ok", "critical", 0.0);
        expect_level_property(props, "ok");
        sd_bus_message *m = bus_watch_next(w, "PressureRecovered", BUS_WAIT_MS);
        cr_assert_not_null(m, "no PressureRecovered within %u ms", BUS_WAIT_MS);
        const char *cg, *worst;
        uint64_t duration;
        cr_assert_geq(sd_bus_message_read(m, "sst", &cg, &worst, &duration), 0, "PressureRecovered is not (sst)");
        cr_assert_str_eq(cg, "/small.slice");
        cr_assert_str_eq(worst, "critical");
        cr_assert_gt(duration, 0);
        cr_assert_lt(duration, 60 * 1000000ULL);
        sd_bus_message_unref(m);
        /* Nothing else about /small.slice: one announcement per crossing. */
        while ((m = bus_watch_next(w, "PressureChanged", 2500))) {
                const char *c2;
                cr_assert_geq(sd_bus_message_read(m, "s", &c2), 0);
                cr_assert_str_neq(c2, "/small.slice", "an extra PressureChanged for /small.slice");
                sd_bus_message_unref(m);
        }
        bus_watch_free(w);
        bus_watch_free(props);
}

/* True when GetManagedObjects lists `object` with the CGroup interface. */
static bool managed(const char *object) {
        sd_bus_message *m = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(fx.client, PRESSURED_BUS_NAME, PRESSURED_PATH, "org.freedesktop.DBus.ObjectManager",
                                   "GetManagedObjects", &e, &m, "");
        cr_assert_geq(r, 0, "GetManagedObjects: %s", e.message ? e.message : strerror(-r));
        bool found = false;
        const char *path, *iface;
        cr_assert_geq(sd_bus_message_enter_container(m, 'a', "{oa{sa{sv}}}"), 0);
        while (sd_bus_message_enter_container(m, 'e', "oa{sa{sv}}") > 0) {
                cr_assert_geq(sd_bus_message_read(m, "o", &path), 0);
                cr_assert_geq(sd_bus_message_enter_container(m, 'a', "{sa{sv}}"), 0);
                while (sd_bus_message_enter_container(m, 'e', "sa{sv}") > 0) {
                        cr_assert_geq(sd_bus_message_read(m, "s", &iface), 0);
                        found |= strcmp(path, object) == 0 && strcmp(iface, CGROUP_IFACE) == 0;
                        cr_assert_geq(sd_bus_message_skip(m, "a{sv}"), 0);
                        cr_assert_geq(sd_bus_message_exit_container(m), 0);
                }
                cr_assert_geq(sd_bus_message_exit_container(m), 0);
                cr_assert_geq(sd_bus_message_exit_container(m), 0);
        }
        sd_bus_message_unref(m);
        return found;
}

/* The next InterfacesAdded/Removed naming `object`; asserts it lists the CGroup interface. */
static void expect_object_signal(BusWatch *w, const char *member, const char *object) {
        sd_bus_message *m;
        while ((m = bus_watch_next(w, member, BUS_WAIT_MS))) {
                const char *path;
                cr_assert_geq(sd_bus_message_read(m, "o", &path), 0);
                if (strcmp(path, object) != 0) {
                        sd_bus_message_unref(m);
                        continue;
                }
                bool has = false;
                const char *iface;
                if (strcmp(member, "InterfacesAdded") == 0) {
                        cr_assert_geq(sd_bus_message_enter_container(m, 'a', "{sa{sv}}"), 0);
                        while (sd_bus_message_enter_container(m, 'e', "sa{sv}") > 0) {
                                cr_assert_geq(sd_bus_message_read(m, "s", &iface), 0);
                                has |= strcmp(iface, CGROUP_IFACE) == 0;
                                cr_assert_geq(sd_bus_message_skip(m, "a{sv}"), 0);
                                cr_assert_geq(sd_bus_message_exit_container(m), 0);
                        }
                } else {
                        cr_assert_geq(sd_bus_message_enter_container(m, 'a', "s"), 0);
                        while (sd_bus_message_read(m, "s", &iface) > 0)
                                has |= strcmp(iface, CGROUP_IFACE) == 0;
                }
                cr_assert(has, "%s for %s without %s", member, object, CGROUP_IFACE);
                sd_bus_message_unref(m);
                return;
        }
        cr_assert_fail("no %s for %s within %u ms", member, object, BUS_WAIT_MS);
}

Test(signals, cgroups_appear_and_vanish) {
        cr_assert(managed(SMALL_OBJECT), "GetManagedObjects does not list /small.slice");
        cr_assert_not(managed(NEW_OBJECT));
        BusWatch *w = bus_watch(fx.client, "type='signal',interface='org.freedesktop.DBus.ObjectManager'");
        char *dir = fixture_path(&fx, "cgroup/new.slice");
        cr_assert_eq(mkdir(dir, 0755), 0);
        fixture_write(&fx, "cgroup/new.slice/cgroup.procs", "");
        fixture_write(&fx, "cgroup/new.slice/memory.current", "1048576\n");
        expect_object_signal(w, "InterfacesAdded", NEW_OBJECT);
        cr_assert(managed(NEW_OBJECT), "GetManagedObjects does not list the new cgroup");

        host_rm_rf(dir);
        cr_assert_neq(access(dir, F_OK), 0);
        expect_object_signal(w, "InterfacesRemoved", NEW_OBJECT);
        cr_assert_not(managed(NEW_OBJECT), "GetManagedObjects still lists the removed cgroup");
        free(dir);
        bus_watch_free(w);
}
