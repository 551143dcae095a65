/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The system-wide sample: PROC_ROOT's pressure/memory, pressure/io, meminfo and vmstat read into
 * one SystemSample, each part on its own, with the reason for each failure in words.
 */

#include <stdbool.h>
#include <stddef.h>

#include "policy/sample.h"

/* System-wide sample from PROC_ROOT: pressure/memory, pressure/io, meminfo, vmstat, as asked. Each
 * part is read on its own; its `valid` flag says whether it was. Returns 0, or the first error with
 * every failure described in err (may be NULL). Logs nothing: it runs every sample, and the caller
 * logs a failure once, when the text changes. */
int system_sample_read(const char *proc_root, bool mem_psi, bool io_psi, bool meminfo, bool vmstat, SystemSample *ret,
                       char *err, size_t errlen);

/* The system sample's files kept open from one sample to the next, so that each is one pread() at
 * offset 0, which procfs renders afresh (the open, read and close of each file took most of a
 * sample's system calls). Only files on procfs are kept: a fixture's are read anew each time, as
 * a test may replace them. A file that fails to read is closed and opened again next time. */
typedef struct SystemFiles {
        int fd[4];              /* pressure/memory, pressure/io, meminfo, vmstat; -1 when not open */
        char *buf;
        size_t size;
} SystemFiles;

#define SYSTEM_FILES_INIT { .fd = { -1, -1, -1, -1 } }

/* As system_sample_read(), through the files kept in f (SYSTEM_FILES_INIT at first). */
int system_sample_read_files(SystemFiles *f, const char *proc_root, bool mem_psi, bool io_psi, bool meminfo, bool vmstat,
                             SystemSample *ret, char *err, size_t errlen);

/* PROC_ROOT/meminfo alone, through the file kept in f: the quiet looks' read, one pread on procfs.
 * 0 with *ret valid, or negative errno. */
int system_files_read_meminfo(SystemFiles *f, const char *proc_root, MemInfo *ret);

/* Closes what f keeps and frees its buffer; f is then as SYSTEM_FILES_INIT. */
void system_files_close(SystemFiles *f);
