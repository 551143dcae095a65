/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Scratch trees for the unit tests: a temp directory, files and directories under it, and its
 * removal. Each helper fails the calling test with the path and errno when it cannot do its job.
 */

#include <stddef.h>

/* Formats dir/rel into out; rel "" names dir itself. */
void path_at(char *out, size_t size, const char *dir, const char *rel);

/* Creates a fresh directory /tmp/<name>-XXXXXX and writes its path into out. */
void tmpdir_new(char *out, size_t size, const char *name);

/* Creates or truncates dir/rel and writes text into it. */
void write_at(const char *dir, const char *rel, const char *text);

/* Creates the directory dir/rel (mode 0755); its parent must exist. */
void mkdir_at(const char *dir, const char *rel);

/* Removes dir/rel and everything under it without following links; a missing path is fine, as with rm -rf. */
void rm_rf_at(const char *dir, const char *rel);
