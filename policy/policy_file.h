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

/* A policy handed over as a descriptor (the control socket's "policy_fd", D-Bus SetPolicyFromFd):
 * it must be a sealed memfd (F_SEAL_WRITE, F_SEAL_GROW and F_SEAL_SHRINK), so that reading it can
 * neither block (a FIFO, a socket, a file on a hung network mount) nor see it change, and at most
 * POLICY_MAX_BYTES, which is judged by its size before a byte is read. Reads it whole from its start
 * into a NUL-terminated malloc'd string in *ret. `what` names it in messages ("the policy passed as a
 * descriptor"). Returns 0, or negative errno with a one-line message in errbuf. */
int policy_fd_read(int fd, const char *what, char **ret, char *errbuf, size_t errlen);

/* A sealed memfd holding the `len` bytes of text, for policy_fd_read() on the other side: CLOEXEC,
 * sealed against writing, growing and shrinking. Returns the fd or negative errno. */
int policy_memfd_new(const char *name, const char *text, size_t len);
