/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "../policy/macro.h"
#include "unit_name.h"

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
