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

/* Which systemd instance manages the unit that owns a cgroup. */
typedef enum UnitOwner {
        UNIT_OWNER_NONE,    /* no unit: a cgroup made by hand, outside any .service/.scope */
        UNIT_OWNER_SYSTEM,  /* a unit of PID 1: StopUnit on the system bus reaches it */
        UNIT_OWNER_USER,    /* a unit of a user manager (below user@UID.service): PID 1 does not know it */
} UnitOwner;

/* The unit that owns the cgroup at `path`: the cgroup itself when its last component is a
 * .service, .scope or .slice, else its nearest .service or .scope ancestor. Anything strictly below
 * a user@UID.service belongs to that user's manager (app scopes, the user's services and slices);
 * user@UID.service itself belongs to PID 1. Copies the unit name into unit[size] (truncation gives
 * UNIT_OWNER_NONE) and the length of the unit's own cgroup path, a prefix of `path`, into
 * *ret_cgroup_len (may be NULL). */
UnitOwner unit_of_cgroup(const char *path, char *unit, size_t size, size_t *ret_cgroup_len);
