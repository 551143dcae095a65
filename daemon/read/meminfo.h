/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The parsers of /proc/meminfo (into MemInfo) and /proc/vmstat (into VmStat). They take the
 * text; system_sample.c reads the files. Negative errno on error: -EINVAL for malformed or
 * truncated text.
 */

#include "policy/sample.h"

int meminfo_parse(const char *text, MemInfo *ret);
int vmstat_parse(const char *text, VmStat *ret);

/* Like the above, and on error set *reason (may be NULL) to a static string saying why the text
 * was rejected, so the reader that knows the file can log one precise message. */
int meminfo_parse_explain(const char *text, MemInfo *ret, const char **reason);
int vmstat_parse_explain(const char *text, VmStat *ret, const char **reason);
