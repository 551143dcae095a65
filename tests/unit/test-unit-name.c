/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which systemd unit owns a victim cgroup, and whose manager it is: the ladder stops a unit on PID 1
 * only when PID 1 manages it.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "daemon/util/unit_name.h"

static void expect(const char *path, UnitOwner owner, const char *unit, size_t cgroup_len) {
        char buf[256];
        size_t len = 12345;
        UnitOwner o = unit_of_cgroup(path, buf, sizeof buf, &len);
        cr_assert_eq(o, owner, "%s: owner %d, expected %d", path, o, owner);
        cr_assert_str_eq(buf, unit, "%s", path);
        if (owner != UNIT_OWNER_NONE)
                cr_assert_eq(len, cgroup_len, "%s: unit cgroup length %zu, expected %zu", path, len, cgroup_len);
}

Test(unit_name, system_units) {
        expect("/system.slice/hog.service", UNIT_OWNER_SYSTEM, "hog.service", strlen("/system.slice/hog.service"));
        expect("/test.slice/hog.service/", UNIT_OWNER_SYSTEM, "hog.service", strlen("/test.slice/hog.service"));
        /* a cgroup the service delegated or made below itself: the service is the unit */
        expect("/system.slice/db.service/worker/a", UNIT_OWNER_SYSTEM, "db.service", strlen("/system.slice/db.service"));
        /* a slice is a unit when it is the victim itself, never as a mere ancestor */
        expect("/test.slice", UNIT_OWNER_SYSTEM, "test.slice", strlen("/test.slice"));
        expect("/test.slice/handmade", UNIT_OWNER_NONE, "", 0);
        /* session scopes are made by logind through PID 1 */
        expect("/user.slice/user-1000.slice/session-3.scope", UNIT_OWNER_SYSTEM, "session-3.scope",
               strlen("/user.slice/user-1000.slice/session-3.scope"));
        /* user@.service itself is PID 1's */
        expect("/user.slice/user-1000.slice/user@1000.service", UNIT_OWNER_SYSTEM, "user@1000.service",
               strlen("/user.slice/user-1000.slice/user@1000.service"));
}

Test(unit_name, user_manager_units) {
        expect("/user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox-1234.scope", UNIT_OWNER_USER,
               "app-firefox-1234.scope", strlen("/user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox-1234.scope"));
        expect("/user.slice/user-1000.slice/user@1000.service/app.slice", UNIT_OWNER_USER, "app.slice",
               strlen("/user.slice/user-1000.slice/user@1000.service/app.slice"));
        expect("/user.slice/user-1000.slice/user@1000.service/session.slice/pipewire.service/sub", UNIT_OWNER_USER,
               "pipewire.service", strlen("/user.slice/user-1000.slice/user@1000.service/session.slice/pipewire.service"));
}

Test(unit_name, no_unit) {
        expect("/", UNIT_OWNER_NONE, "", 0);
        expect("/a/b", UNIT_OWNER_NONE, "", 0);
        expect(NULL, UNIT_OWNER_NONE, "", 0);
        expect("/x/.service", UNIT_OWNER_NONE, "", 0); /* nothing before the dot */
        char small[4];
        cr_assert_eq(unit_of_cgroup("/system.slice/hog.service", small, sizeof small, NULL), UNIT_OWNER_NONE);
        cr_assert_str_eq(small, "");
}
