/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The kill ladder (README "The kill ladder"), steps 3 to 5: cgroup.kill, else pidfds over cgroup.procs;
 * process_mrelease after SIGKILL; xattrs user.oomd_ooms / user.oomd_kill. Step 2 (stop the systemd
 * unit) slots in before killer_kill_cgroup() in a later change. Nothing here sleeps.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "policy/sample.h"
#include "record/kill_result.h"

/* Kills every process in the cgroup at `path` (relative to the cgroup2 root fd), subtree included.
 * Tries cgroup.kill unless `force_pidfd`; falls back to pidfds over cgroup.procs (recursing into
 * children) until a round finds no new pid. Never signals self or PID 1. Writes the xattrs.
 * Returns 0 when processes were signalled or the cgroup was already empty, negative errno otherwise
 * (-ENOENT: the cgroup is gone). */
int killer_kill_cgroup(int cgroup_root_fd, const char *path, bool force_pidfd, KillResult *ret);

/* killer_kill_cgroup(), with the xattrs left alone when !write_xattrs (the caller wrote them first). */
int killer_kill_cgroup_full(int cgroup_root_fd, const char *path, bool force_pidfd, bool write_xattrs, KillResult *ret);

/* user.oomd_ooms += 1, user.oomd_kill += n_killed on the cgroup at `path`, ahead of a kill: systemd
 * then knows why before the SIGCHLDs arrive. 0, or negative errno (logged once at debug level). */
int killer_write_xattrs(int cgroup_root_fd, const char *path, unsigned n_killed);

/* Kills one process pinned by pidfd, after checking it is still the same process (start_time from
 * /proc/PID/stat, 0 = don't check), then process_mrelease. -ESRCH if gone or reused.
 * If cgroup_root_fd >= 0 and cgroup_path is not NULL, the xattrs of that cgroup are incremented. */
int killer_kill_process(const char *proc_root, pid_t pid, uint64_t start_time,
                        int cgroup_root_fd, const char *cgroup_path, KillResult *ret);

/* Pins the processes in the cgroup at `path` and below with pidfds, at most `max`: pidfds[i] is
 * pids[i]. Never pins self or PID 1. Returns how many (>= 0), or negative errno (-ENOENT: gone). */
int killer_pin_cgroup(int cgroup_root_fd, const char *path, int *pidfds, pid_t *pids, size_t max);

/* SIGKILLs (and process_mreleases) the pinned processes still alive, adding them to *ret, then
 * increments the xattrs of the cgroup at `path` when any died. pidfds[i] < 0 are skipped. Returns 0. */
int killer_kill_pinned(const int *pidfds, const pid_t *pids, size_t n, int cgroup_root_fd, const char *path,
                       KillResult *ret);
