/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Processes, read from PROC_ROOT/PID/{stat,status,oom_score,oom_score_adj,cgroup} into
 * ProcSample: every process, one, or those of a cgroup; and the /proc/PID/stat start time the
 * killer checks identities with. Readers take a root directory so tests can point them at
 * fixture trees. Negative errno on error; -ESRCH when the process is gone.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/sample.h"

/* Reads every process in PROC_ROOT (skipping ones that vanish mid-read). In *ret, a malloc'd array. */
int proc_scan(const char *proc_root, ProcSample **ret, size_t *n_ret);
/* Reads one process; -ESRCH if it is gone. */
int proc_read(const char *proc_root, pid_t pid, ProcSample *ret);
/* Reads the processes listed in a cgroup's cgroup.procs. */
int proc_scan_cgroup(const char *proc_root, int cgroup_dirfd, ProcSample **ret, size_t *n_ret);
void proc_samples_free(ProcSample *p, size_t n);
/* The cgroup2 path of a process ("0::/x" line of PROC_ROOT/PID/cgroup), malloc'd; "/" if none. */
int proc_cgroup_path(const char *proc_root, pid_t pid, char **ret);

/* Field 22 (starttime) of PROC_ROOT/PID/stat, parsed as proc_scan() does. -ESRCH if the process is gone. */
int proc_start_time_read(const char *proc_root, pid_t pid, uint64_t *ret);

/* The parsers of one process's files, which proc_read() applies in turn (exposed for the fuzzers):
 * PID/stat fills comm, kernel_thread and start_time; PID/status uid, rss, rss_anon, swap and
 * kill_pending; the "0::" line of PID/cgroup gives its cgroup2 path (malloc'd, "/" when absent). */
int proc_stat_parse(const char *text, ProcSample *p);
int proc_status_parse(const char *text, ProcSample *p);
int proc_cgroup_line_parse(const char *text, char **ret);
