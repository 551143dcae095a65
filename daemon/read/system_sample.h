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
