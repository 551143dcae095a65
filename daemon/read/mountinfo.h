/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Where cgroup2 is mounted, read from PROC_ROOT/self/mountinfo. Negative errno on error.
 */

/* Finds the cgroup2 mount point in PROC_ROOT/self/mountinfo (malloc'd). -ENOENT if there is none. */
int cgroup2_find_mount(const char *proc_root, char **ret);
/* Parses mountinfo text (exposed for tests). */
int mountinfo_find_cgroup2(const char *text, char **ret);
