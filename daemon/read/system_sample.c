/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The system-wide sample read from PROC_ROOT: pressure/memory and pressure/io (psi.c parses them),
 * meminfo and vmstat (meminfo.c). Each part is read on its own, so a kernel without PSI still gives
 * MemAvailable; a failure is described in words for the caller to log once.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "read/fileio.h"
#include "read/meminfo.h"
#include "policy/macro.h"
#include "read/psi.h"
#include "read/system_sample.h"

/* Appends "what: why" to the error text the caller logs (once, when it changes). */
static int note_error(char *err, size_t errlen, int r, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int note_error(char *err, size_t errlen, int r, const char *fmt, ...) {
        size_t l = err ? strlen(err) : 0;
        va_list ap;

        if (!err || l + 3 >= errlen)
                return r;
        if (l > 0) {
                memcpy(err + l, "; ", 3);
                l += 2;
        }
        va_start(ap, fmt);
        vsnprintf(err + l, errlen - l, fmt, ap);
        va_end(ap);
        return r;
}

typedef enum SystemPart { PART_PSI, PART_MEMINFO, PART_VMSTAT } SystemPart;

/* Reads PROC_ROOT/name into *buf and parses it into *ret (a PsiStats, MemInfo or VmStat, as kind
 * says), which is left untouched on failure; the failure is appended to err. */
/* Opens PROC_ROOT/name, keeping it in *fd when it is on procfs. Returns the fd to read, or -errno. */
static int part_open(const char *proc_root, const char *name, int *fd) {
        char path[4096];
        struct statfs fs;

        if (*fd >= 0)
                return *fd;
        if (snprintf(path, sizeof path, "%s/%s", proc_root, name) >= (int) sizeof path)
                return -ENAMETOOLONG;
        int r = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (r < 0)
                return -errno;
        if (fstatfs(r, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC)
                *fd = r;
        return r;
}

static int read_part(SystemFiles *f, size_t i, const char *proc_root, const char *name, SystemPart kind, void *ret,
                     char *err, size_t errlen) {
        const char *reason = NULL;
        ssize_t n;
        int r, fd;

        fd = part_open(proc_root, name, &f->fd[i]);
        n = fd < 0 ? fd : pread_file_grow(fd, &f->buf, &f->size);
        if (fd >= 0 && (fd != f->fd[i] || n < 0)) {
                if (fd == f->fd[i])
                        f->fd[i] = -1; /* opened again at the next read */
                close(fd);
        }
        if (n == -ENOENT && access(proc_root, F_OK) < 0)
                return note_error(err, errlen, -ENOENT, "cannot open %s: %s (is procfs mounted there?)", proc_root, strerror(ENOENT));
        if (kind == PART_PSI && (n == -ENOENT || n == -EOPNOTSUPP))
                return note_error(err, errlen, (int) n,
                                  "%s/%s is missing: the kernel has no pressure stall information "
                                  "(it needs Linux 4.20+ with CONFIG_PSI=y, and psi=1 on the kernel command line "
                                  "if CONFIG_PSI_DEFAULT_DISABLED=y)", proc_root, name);
        if (n < 0)
                return note_error(err, errlen, (int) n, "cannot read %s/%s: %s", proc_root, name, strerror((int) -n));

        if (kind == PART_PSI)
                r = psi_parse_explain(f->buf, ret, &reason);
        else if (kind == PART_MEMINFO)
                r = meminfo_parse_explain(f->buf, ret, &reason);
        else
                r = vmstat_parse_explain(f->buf, ret, &reason);
        if (r < 0 && kind == PART_PSI)
                return note_error(err, errlen, r, "cannot parse %s/%s: %s (is %s a procfs mount?)", proc_root, name, reason, proc_root);
        if (r < 0)
                return note_error(err, errlen, r, "cannot parse %s/%s: %s", proc_root, name, reason);
        return 0;
}

int system_sample_read_files(SystemFiles *f, const char *proc_root, bool mem_psi, bool io_psi, bool meminfo, bool vmstat,
                             SystemSample *ret, char *err, size_t errlen) {
        SystemSample s = {};
        int first = 0;

        if (!f || !proc_root || !ret)
                return -EINVAL;
        if (err && errlen)
                err[0] = 0;

        /* Each part on its own: a kernel without PSI still has MemAvailable, and the floor rules need it. */
        const struct {
                bool wanted;
                const char *name;
                SystemPart kind;
                void *ret;
        } parts[] = {
                { mem_psi, "pressure/memory", PART_PSI,     &s.mem_psi },
                { io_psi,  "pressure/io",     PART_PSI,     &s.io_psi },
                { meminfo, "meminfo",         PART_MEMINFO, &s.meminfo },
                { vmstat,  "vmstat",          PART_VMSTAT,  &s.vmstat },
        };
        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                int r;

                if (!parts[i].wanted)
                        continue;
                r = read_part(f, i, proc_root, parts[i].name, parts[i].kind, parts[i].ret, err, errlen);
                if (r < 0 && !first)
                        first = r;
        }

        *ret = s;
        return first;
}

int system_files_read_meminfo(SystemFiles *f, const char *proc_root, MemInfo *ret) {
        if (!f || !proc_root || !ret)
                return -EINVAL;
        *ret = (MemInfo) {};
        return read_part(f, 2, proc_root, "meminfo", PART_MEMINFO, ret, NULL, 0);
}

void system_files_close(SystemFiles *f) {
        for (size_t i = 0; i < ELEMENTSOF(f->fd); i++) {
                if (f->fd[i] >= 0)
                        close(f->fd[i]);
                f->fd[i] = -1;
        }
        free(f->buf);
        f->buf = NULL;
        f->size = 0;
}

int system_sample_read(const char *proc_root, bool mem_psi, bool io_psi, bool meminfo, bool vmstat, SystemSample *ret,
                       char *err, size_t errlen) {
        SystemFiles f = SYSTEM_FILES_INIT;
        int r = system_sample_read_files(&f, proc_root, mem_psi, io_psi, meminfo, vmstat, ret, err, errlen);
        system_files_close(&f);
        return r;
}
