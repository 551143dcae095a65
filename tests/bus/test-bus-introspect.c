/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The contract in the dbus/ XML files against the live daemon: the Introspect of each object, reduced by the
 * scanner in bus-util to one line per method, argument, signal and property (names, types,
 * directions, access, EmitsChangedSignal), must equal the file's, in order.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"

TestSuite(introspect, .init = fixture_up, .fini = fixture_down, .timeout = 120);

static char *introspect(const char *destination, const char *path) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *xml;
        int r = sd_bus_call_method(fx.client, destination, path, "org.freedesktop.DBus.Introspectable", "Introspect",
                                   &e, &reply, "");
        cr_assert_geq(r, 0, "Introspect %s: %s", path, e.message ? e.message : strerror(-r));
        cr_assert_geq(sd_bus_message_read(reply, "s", &xml), 0);
        char *copy = strdup(xml);
        sd_bus_message_unref(reply);
        return copy;
}

static char *join(char **v) {
        size_t len = 1;
        for (char **p = v; *p; p++)
                len += strlen(*p) + 3;
        char *s = calloc(1, len);
        for (char **p = v; *p; p++)
                strcat(strcat(strcat(s, "  "), *p), "\n");
        return s;
}

/* The interface in the live XML equals the one in the contract file, line by line. */
static void expect_matches_contract(const char *destination, const char *path, const char *file, const char *iface) {
        char *contract_path = NULL;
        cr_assert_geq(asprintf(&contract_path, "%s/%s", DBUS_XML_DIR, file), 0);
        char *contract = host_read_file(contract_path);
        cr_assert_not_null(contract, "the contract %s is missing", contract_path);
        char **want = introspect_members(contract, iface);
        cr_assert_not_null(want, "%s does not define %s", contract_path, iface);
        cr_assert_not_null(want[0], "the scanner found no members of %s in %s", iface, contract_path);

        char *xml = introspect(destination, path);
        char **got = introspect_members(xml, iface);
        cr_assert_not_null(got, "%s on the bus has no interface %s:\n%s", path, iface, xml);

        size_t i = 0;
        for (; want[i] && got[i]; i++)
                cr_assert_str_eq(got[i], want[i], "%s %s, member line %zu: live \"%s\", contract \"%s\"\n"
                                 "live:\n%scontract:\n%s", path, iface, i, got[i], want[i], join(got), join(want));
        cr_assert(!want[i] && !got[i], "%s %s: the live interface %s\nlive:\n%scontract:\n%s", path, iface,
                  want[i] ? "lacks members the contract has" : "has members the contract lacks", join(got), join(want));
        strv_free_test(want);
        strv_free_test(got);
        free(xml);
        free(contract);
        free(contract_path);
}

Test(introspect, scanner_reads_the_dtd) {
        /* The scanner itself, on a text with what sd-bus and hand-written files put in. */
        static const char XML[] =
                "<!DOCTYPE node PUBLIC \"x\" \"y\">\n<!-- <method name=\"Commented\"/> -->\n<node>\n"
                " <interface name=\"a.B\">\n"
                "  <annotation name=\"org.freedesktop.DBus.Property.EmitsChangedSignal\" value=\"false\"/>\n"
                "  <method name=\"M\">\n   <arg type=\"s\" name=\"x\" direction=\"in\"/>\n"
                "   <arg name=\"y\" type=\"a(so)\" direction=\"out\"/>\n  </method>\n"
                "  <signal name=\"S\"><arg type='u' name='n'/></signal>\n"
                "  <property name=\"P\" type=\"t\" access=\"read\"/>\n"
                "  <property name=\"Q\" type=\"b\" access=\"readwrite\">\n"
                "   <annotation name=\"org.freedesktop.DBus.Property.EmitsChangedSignal\" value=\"const\"/>\n"
                "  </property>\n </interface>\n <interface name=\"other.I\"><method name=\"N\"/></interface>\n</node>\n";
        static const char *const WANT[] = { "method M", "arg x s in", "arg y a(so) out", "signal S", "arg n u",
                                            "property P t read emits=false", "property Q b readwrite emits=const", NULL };
        char **got = introspect_members(XML, "a.B");
        cr_assert_not_null(got);
        for (size_t i = 0; WANT[i] || got[i]; i++)
                cr_assert_str_eq(got[i] ? got[i] : "(end)", WANT[i] ? WANT[i] : "(end)");
        strv_free_test(got);
        cr_assert_null(introspect_members(XML, "not.There"));
}

Test(introspect, manager_matches_the_contract) {
        expect_matches_contract(PRESSURED_BUS_NAME, PRESSURED_PATH, "org.pressured.oom1.Manager.xml", MANAGER_IFACE);
}

Test(introspect, manager_is_an_object_manager) {
        char *xml = introspect(PRESSURED_BUS_NAME, PRESSURED_PATH);
        char **om = introspect_members(xml, "org.freedesktop.DBus.ObjectManager");
        cr_assert_not_null(om, "%s is not an ObjectManager:\n%s", PRESSURED_PATH, xml);
        strv_free_test(om);
        free(xml);
}

Test(introspect, cgroup_object_matches_the_contract) {
        sd_bus_message *reply = manager_call(fx.client, "GetCGroup", "s", "/big.slice");
        const char *object;
        cr_assert_geq(sd_bus_message_read(reply, "o", &object), 0);
        cr_assert_str_eq(object, "/org/pressured/oom1/cgroup/_2fbig_2eslice", "the object path is sd_bus_path_encode()'s");
        expect_matches_contract(PRESSURED_BUS_NAME, object, "org.pressured.oom1.CGroup.xml", CGROUP_IFACE);
        sd_bus_message_unref(reply);
}

Test(introspect, low_memory_monitor_matches_the_contract) {
        cr_assert(bus_wait_name(fx.client, LMM_NAME, true, BUS_WAIT_MS), "pressured did not take the free name %s", LMM_NAME);
        expect_matches_contract(LMM_NAME, LMM_PATH, "org.freedesktop.LowMemoryMonitor.xml", LMM_NAME);
}
