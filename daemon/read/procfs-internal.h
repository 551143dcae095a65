/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the readers share beyond procfs.h: variants of its parsers that also say why text was
 * rejected, so the reader that knows the file can log one precise message (`reason` is set to a
 * static string on error), the parsers of one process's files, and the /proc/PID/stat reader the
 * killer checks identities with.
 */

#include "read/procfs.h"

int psi_parse_explain(const char *text, PsiStats *ret, const char **reason);
int meminfo_parse_explain(const char *text, MemInfo *ret, const char **reason);
int vmstat_parse_explain(const char *text, VmStat *ret, const char **reason);

/* The parsers of one process's files, which proc_read() applies in turn (exposed for the fuzzers):
 * PID/stat fills comm, kernel_thread and start_time; PID/status uid, rss, rss_anon, swap and
 * kill_pending; the "0::" line of PID/cgroup gives its cgroup2 path (malloc'd, "/" when absent). */
int proc_stat_parse(const char *text, ProcSample *p);
int proc_status_parse(const char *text, ProcSample *p);
int proc_cgroup_line_parse(const char *text, char **ret);

/* Field 22 (starttime) of PROC_ROOT/PID/stat, parsed as proc_scan() does. -ESRCH if the process is gone. */
int proc_start_time_read(const char *proc_root, pid_t pid, uint64_t *ret);
