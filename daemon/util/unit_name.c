/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "policy/macro.h"
#include "util/unit_name.h"

bool unit_name_is_valid(const char *s) {
        const char *dot = s ? strrchr(s, '.') : NULL;
        return dot && dot != s && !strchr(s, '/') &&
               (streq(dot, ".service") || streq(dot, ".scope") || streq(dot, ".slice"));
}

const char *unit_name_of_cgroup(const char *path) {
        const char *slash = path ? strrchr(path, '/') : NULL;
        const char *last = slash ? slash + 1 : path ? path : "";
        return unit_name_is_valid(last) ? last : "";
}

static bool component_is(const char *s, size_t n, const char *suffix) {
        size_t l = strlen(suffix);
        return n > l && memcmp(s + n - l, suffix, l) == 0;
}

static bool component_is_user_manager(const char *s, size_t n) {
        return n > strlen("user@.service") && strncmp(s, "user@", 5) == 0 && component_is(s, n, ".service");
}

UnitOwner unit_of_cgroup(const char *path, char *unit, size_t size, size_t *ret_cgroup_len) {
        const char *best = NULL, *user_manager_end = NULL;
        size_t best_len = 0;
        bool last_is_slice = false;

        if (size > 0)
                unit[0] = 0;
        if (!path)
                return UNIT_OWNER_NONE;
        /* Walk the components from the root; the deepest .service/.scope wins, and a .slice only
         * when it is the cgroup itself. */
        for (const char *p = path; *p; ) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                size_t n = strcspn(p, "/");
                bool is_last = p[n] == 0 || p[n + strspn(p + n, "/")] == 0;
                bool unitlike = component_is(p, n, ".service") || component_is(p, n, ".scope");
                last_is_slice = is_last && component_is(p, n, ".slice");
                if (unitlike || last_is_slice) {
                        best = p;
                        best_len = n;
                }
                if (!user_manager_end && component_is_user_manager(p, n))
                        user_manager_end = p + n;
                p += n;
        }
        if (!best || best_len + 1 > size)
                return UNIT_OWNER_NONE;
        memcpy(unit, best, best_len);
        unit[best_len] = 0;
        if (ret_cgroup_len)
                *ret_cgroup_len = (size_t) (best + best_len - path);
        return user_manager_end && best >= user_manager_end ? UNIT_OWNER_USER : UNIT_OWNER_SYSTEM;
}
