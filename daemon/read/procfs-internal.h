/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Kept for the files outside read/ that still include it: the parsers' explaining variants are in
 * read/psi.h and read/meminfo.h, the per-process parsers and proc_start_time_read() in
 * read/proc_scan.h. Include those instead.
 */

#include "read/procfs.h"
