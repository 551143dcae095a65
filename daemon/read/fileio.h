/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the procfs/cgroupfs readers share: reading a small kernel file through a directory fd,
 * into a fixed buffer or one that grows until the file fits, and the strict number and line
 * scanning every kernel-text parser shares.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads a whole small file relative to dirfd into buf (NUL-terminated). Returns bytes read or negative errno. */
ssize_t read_file_at(int dirfd, const char *name, char *buf, size_t size);

/* Like read_file_at(), but grows *buf (malloc'd, may start NULL) until the file fits.
 * Returns bytes read or negative errno. */
ssize_t read_file_at_grow(int dirfd, const char *name, char **buf, size_t *size);

/* Like read_file_at_grow(), but trusts a read that leaves room in the buffer to be the whole
 * file, saving the read that returns 0. Only for regular files and for single-record procfs
 * files (/proc/PID/stat, status, oom_score, oom_score_adj, cgroup), which the kernel renders whole
 * and hands out in one read when it fits. Never for mountinfo or other multi-record seq_files. */
ssize_t read_small_file_at(int dirfd, const char *name, char **buf, size_t *size);

/* Reads a kept-open file from its start with pread(), growing *buf (malloc'd, may start NULL)
 * until it fits: the whole file in one call for a regular file or a single-record kernfs file
 * (every cgroup2 interface file but the lists cgroup.procs and cgroup.threads), which the kernel
 * renders afresh at offset 0. Returns bytes read or negative errno (-ENODEV: the cgroup is gone). */
ssize_t pread_file_grow(int fd, char **buf, size_t *size);

/* Parses decimal digits at *p into *ret and advances *p past them. At least one digit;
 * no sign, no leading spaces. -EINVAL when there is no digit, -ERANGE on overflow. */
int scan_u64(const char **p, uint64_t *ret);

/* Like scan_u64(), with an optional leading '-' and the range of an int. */
int scan_int(const char **p, int *ret);

/* Skips spaces and tabs. */
const char *skip_blanks(const char *p);

/* True when p points at the end of a line, allowing trailing spaces, tabs and a '\r'
 * (hand-edited fixtures; the kernel writes neither). */
bool at_line_end(const char *p);

/* The start of the next line after p, or NULL when p's line is the last one. */
const char *next_line(const char *p);

/* Multiplies kB by 1024; -ERANGE on overflow. */
int kib_to_bytes(uint64_t kib, uint64_t *ret);

/* True when the len characters at p spell name exactly (a key or field cut out of a line). */
bool token_is(const char *p, size_t len, const char *name);

/* The number that ends a "key value" line (vmstat, memory.stat, meminfo, /proc/PID/status): blanks,
 * decimal digits, then the end of the line; with `kib`, a "kB" unit before the end and the value
 * converted to bytes. -EINVAL when the line has another shape, -ERANGE when the value overflows
 * 64 bits; *reason (may be NULL) then says which. */
int scan_line_value(const char *p, bool kib, uint64_t *ret, const char **reason);

/* Sets *reason, when the caller asked for one, and returns r: the error exit of the parsers that
 * explain why they rejected a text. */
static inline int explain(const char **reason, const char *why, int r) {
        if (reason)
                *reason = why;
        return r;
}
