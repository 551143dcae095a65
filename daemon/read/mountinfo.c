/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where cgroup2 is mounted, from /proc/self/mountinfo (proc(5)):
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *   (1)(2) (3)  (4)   (5)    (6)       (7...)  sep (fstype) (source) (super options)
 * The optional fields (7...) vary in number, so the fstype is the field after the lone "-".
 * A pure v2 host mounts cgroup2 at /sys/fs/cgroup, a hybrid one at /sys/fs/cgroup/unified, a
 * container wherever it likes: never assume, read it.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "read/fileio.h"
#include "util/log.h"
#include "policy/macro.h"
#include "read/mountinfo.h"

/* Copies the next space-separated field of the line at *p into a malloc'd string, decoding
 * the kernel's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash).
 * Returns NULL (and *err) at the end of the line or on a bad escape. */
static char *field_dup(const char **p, int *err) {
        const char *s = *p, *end;
        char *out, *o;

        while (*s == ' ')
                s++;
        if (*s == 0 || *s == '\n') {
                *err = -EINVAL;
                return NULL;
        }
        end = s;
        while (*end && *end != ' ' && *end != '\n')
                end++;

        out = o = malloc(end - s + 1);
        if (!out) {
                *err = -ENOMEM;
                return NULL;
        }
        while (s < end) {
                if (*s == '\\') {
                        if (end - s < 4 || s[1] < '0' || s[1] > '3' || s[2] < '0' || s[2] > '7' || s[3] < '0' || s[3] > '7' ||
                            (s[1] == '0' && s[2] == '0' && s[3] == '0')) {
                                free(out);
                                *err = -EINVAL;
                                return NULL;
                        }
                        *o++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
                        s += 4;
                } else
                        *o++ = *s++;
        }
        *o = 0;
        *p = end;
        return out;
}

/* Skips one field; false at the end of the line. */
static bool field_skip(const char **p) {
        const char *s = *p;

        while (*s == ' ')
                s++;
        if (*s == 0 || *s == '\n')
                return false;
        while (*s && *s != ' ' && *s != '\n')
                s++;
        *p = s;
        return true;
}

/* True when the next field is exactly `word`; advances past it either way. */
static bool field_is(const char **p, const char *word) {
        const char *s = *p, *start;

        while (*s == ' ')
                s++;
        start = s;
        if (!field_skip(&s))
                return false;
        *p = s;
        return token_is(start, s - start, word);
}

int mountinfo_find_cgroup2(const char *text, char **ret) {
        _cleanup_free_ char *best = NULL;
        bool best_is_root = false;

        if (!text || !ret)
                return -EINVAL;

        for (const char *p = text; p; p = next_line(p)) {
                _cleanup_free_ char *root = NULL, *where = NULL;
                const char *s = p;
                bool sep = false;
                int r = 0;

                if (at_line_end(p))
                        continue;

                /* (1) mount id, (2) parent id, (3) major:minor */
                for (int i = 0; i < 3; i++)
                        if (!field_skip(&s))
                                return -EINVAL;
                root = field_dup(&s, &r);
                if (!root)
                        return r;
                where = field_dup(&s, &r);
                if (!where)
                        return r;
                if (!field_skip(&s)) /* (6) mount options */
                        return -EINVAL;
                /* optional fields up to the separator */
                for (;;) {
                        const char *before = s;

                        if (field_is(&s, "-")) {
                                sep = true;
                                break;
                        }
                        if (s == before) /* end of line */
                                break;
                }
                if (!sep)
                        return -EINVAL;

                /* (fstype) (source) (super options): all three, or the line was cut */
                bool is_cgroup2 = field_is(&s, "cgroup2");
                if (!field_skip(&s) || !field_skip(&s))
                        return -EINVAL;
                if (!is_cgroup2)
                        continue;
                if (where[0] != '/')
                        return -EINVAL;

                /* A bind mount of a sub-cgroup (root field not "/") shows only part of the tree;
                 * prefer the whole hierarchy when both are mounted. */
                if (!best || (!best_is_root && streq(root, "/"))) {
                        free(best);
                        best = TAKE_PTR(where);
                        best_is_root = streq(root, "/");
                }
        }

        if (!best)
                return -ENOENT;
        *ret = TAKE_PTR(best);
        return 0;
}

int cgroup2_find_mount(const char *proc_root, char **ret) {
        _cleanup_close_ int procfd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        ssize_t n;
        int r;

        if (!proc_root || !ret)
                return -EINVAL;

        procfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (procfd < 0)
                return log_error_errno(errno, "Failed to open %s: %m. Is procfs mounted there?", proc_root);

        /* a container host can have thousands of mounts: let the buffer grow */
        n = read_file_at_grow(procfd, "self/mountinfo", &buf, &size);
        if (n < 0)
                return log_error_errno((int) n, "Failed to read %s/self/mountinfo: %m", proc_root);

        r = mountinfo_find_cgroup2(buf, ret);
        if (r == -ENOENT)
                return log_debug_errno(r, "No cgroup2 file system in %s/self/mountinfo.", proc_root);
        if (r < 0)
                return log_error_errno(r, "Failed to parse %s/self/mountinfo: a line lacks its fields, the \" - \" separator or has a bad escape.", proc_root);
        return 0;
}
