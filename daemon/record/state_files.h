/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The files the daemon writes for others to read: its directories, and whole files replaced
 * atomically so a reader (or a crash) never meets half of one. */

#include <sys/types.h>

/* Creates a directory and its missing parents. 0 or negative errno. */
int mkdir_p(const char *path, mode_t mode);

/* Writes text to DIR/NAME through a temp file in DIR, fsync and rename. 0 or negative errno. */
int write_file_atomic(const char *dir, const char *name, const char *text);
