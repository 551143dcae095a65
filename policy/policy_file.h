/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Reading a policy file: the one piece of I/O of the policy library, shared by the daemon (its
 * policy files and --check-config) and oomctl (policy check, policy set), so that both refuse the
 * same files with the same words.
 */

#include <stddef.h>

/* Reads `path` whole into a NUL-terminated malloc'd string in *ret; "-" reads standard input.
 * The file is opened without blocking and must be a regular file: a FIFO, a device or a directory
 * is refused before anything is read, so that a mistaken path never hangs the reader. Refuses more
 * than POLICY_MAX_BYTES and a NUL byte. Returns 0, or negative errno with a one-line message that
 * names the file in errbuf. */
int policy_file_read(const char *path, char **ret, char *errbuf, size_t errlen);
