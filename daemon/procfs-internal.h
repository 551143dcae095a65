/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the readers share beyond procfs.h: variants of its parsers that also say why text was
 * rejected, so the reader that knows the file can log one precise message (`reason` is set to a
 * static string on error), and the /proc/PID/stat reader the killer checks identities with.
 */

#include "procfs.h"

int psi_parse_explain(const char *text, PsiStats *ret, const char **reason);
int meminfo_parse_explain(const char *text, MemInfo *ret, const char **reason);
int vmstat_parse_explain(const char *text, VmStat *ret, const char **reason);

/* Field 22 (starttime) of PROC_ROOT/PID/stat, parsed as proc_scan() does. -ESRCH if the process is gone. */
int proc_start_time_read(const char *proc_root, pid_t pid, uint64_t *ret);
