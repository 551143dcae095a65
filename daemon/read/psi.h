/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The parser of PSI files: /proc/pressure/{memory,io} and a cgroup's memory.pressure and
 * io.pressure ("some avg10=.. avg60=.. avg300=.. total=..\nfull ..."; the full line may be
 * absent). Takes the text; the readers that own the files do the I/O. Negative errno on error:
 * -EINVAL for malformed or truncated text.
 */

#include "policy/sample.h"

int psi_parse(const char *text, PsiStats *ret);
/* Like psi_parse(), and on error sets *reason (may be NULL) to a static string saying why the
 * text was rejected, so the reader that knows the file can log one precise message. */
int psi_parse_explain(const char *text, PsiStats *ret, const char **reason);
