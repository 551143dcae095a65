/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Parsers for the kernel's text files, and readers that take a root directory so tests can
 * point them at fixture trees. Parsers take the text; readers do the I/O. Negative errno on
 * error: -EINVAL for malformed or truncated text, -ENOENT when the file is absent.
 */

#include "policy/sample.h"

/* "some avg10=.. avg60=.. avg300=.. total=..\nfull ..." (the full line may be absent). */
int psi_parse(const char *text, PsiStats *ret);
int meminfo_parse(const char *text, MemInfo *ret);
int vmstat_parse(const char *text, VmStat *ret);
/* memory.stat: anon, file, pgscan (pgscan, or pgscan_kswapd+pgscan_direct on older kernels). */
int memory_stat_parse(const char *text, uint64_t *anon, uint64_t *file, uint64_t *pgscan);
/* A single number, or "max" (UINT64_MAX). */
int cgroup_value_parse(const char *text, uint64_t *ret);
/* cgroup.events: the "populated" key. */
int cgroup_events_parse(const char *text, bool *populated);
/* cgroup.stat: the "nr_descendants" key, the live cgroups below. */
int cgroup_stat_parse_descendants(const char *text, uint64_t *ret);

/* Reads a whole small file relative to dirfd into buf (NUL-terminated). Returns bytes read or negative errno. */
ssize_t read_file_at(int dirfd, const char *name, char *buf, size_t size);

/* Finds the cgroup2 mount point in PROC_ROOT/self/mountinfo. -ENOENT if there is none. */
int cgroup2_find_mount(const char *proc_root, char **ret);
/* Parses mountinfo text (exposed for tests). */
int mountinfo_find_cgroup2(const char *text, char **ret);

/* System-wide sample from PROC_ROOT: pressure/memory, pressure/io, meminfo, vmstat, as asked. Each
 * part is read on its own; its `valid` flag says whether it was. Returns 0, or the first error with
 * every failure described in err (may be NULL). Logs nothing: it runs every sample, and the caller
 * logs a failure once, when the text changes. */
int system_sample_read(const char *proc_root, bool mem_psi, bool io_psi, bool meminfo, bool vmstat, SystemSample *ret,
                       char *err, size_t errlen);

/* Reads every process in PROC_ROOT (skipping ones that vanish mid-read). In *ret, a malloc'd array. */
int proc_scan(const char *proc_root, ProcSample **ret, size_t *n_ret);
/* Reads one process; -ESRCH if it is gone. */
int proc_read(const char *proc_root, pid_t pid, ProcSample *ret);
/* Reads the processes listed in a cgroup's cgroup.procs. */
int proc_scan_cgroup(const char *proc_root, int cgroup_dirfd, ProcSample **ret, size_t *n_ret);
void proc_samples_free(ProcSample *p, size_t n);
/* The cgroup2 path of a process ("0::/x" line of PROC_ROOT/PID/cgroup), malloc'd; "/" if none. */
int proc_cgroup_path(const char *proc_root, pid_t pid, char **ret);
