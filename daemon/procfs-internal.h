/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Variants of the procfs.h parsers that also say why text was rejected, so the reader that knows
 * the file can log one precise message. `reason` is set to a static string on error.
 */

#include "procfs.h"

int psi_parse_explain(const char *text, PsiStats *ret, const char **reason);
int meminfo_parse_explain(const char *text, MemInfo *ret, const char **reason);
int vmstat_parse_explain(const char *text, VmStat *ret, const char **reason);
