/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * systemd unit names as they appear in the cgroup tree: "x.service", "y.scope", "z.slice".
 */

#include <stdbool.h>

/* True for a name without '/' ending in .service, .scope or .slice (with something before the dot). */
bool unit_name_is_valid(const char *s);

/* The unit a cgroup path is: its last component when that is a unit name, else "" (never NULL).
 * Points into `path`. "/system.slice/hog.service" -> "hog.service", "/a/b" -> "". */
const char *unit_name_of_cgroup(const char *path);
