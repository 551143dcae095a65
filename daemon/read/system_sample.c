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
static int read_part(int procfd, const char *proc_root, const char *name, SystemPart kind, void *ret,
                     char **buf, size_t *size, char *err, size_t errlen) {
        const char *reason = NULL;
        ssize_t n;
        int r;

        n = read_file_at_grow(procfd, name, buf, size);
        if (kind == PART_PSI && (n == -ENOENT || n == -EOPNOTSUPP))
                return note_error(err, errlen, (int) n,
                                  "%s/%s is missing: the kernel has no pressure stall information "
                                  "(it needs Linux 4.20+ with CONFIG_PSI=y, and psi=1 on the kernel command line "
                                  "if CONFIG_PSI_DEFAULT_DISABLED=y)", proc_root, name);
        if (n < 0)
                return note_error(err, errlen, (int) n, "cannot read %s/%s: %s", proc_root, name, strerror((int) -n));

        if (kind == PART_PSI)
                r = psi_parse_explain(*buf, ret, &reason);
        else if (kind == PART_MEMINFO)
                r = meminfo_parse_explain(*buf, ret, &reason);
        else
                r = vmstat_parse_explain(*buf, ret, &reason);
        if (r < 0 && kind == PART_PSI)
                return note_error(err, errlen, r, "cannot parse %s/%s: %s (is %s a procfs mount?)", proc_root, name, reason, proc_root);
        if (r < 0)
                return note_error(err, errlen, r, "cannot parse %s/%s: %s", proc_root, name, reason);
        return 0;
}

int system_sample_read(const char *proc_root, bool mem_psi, bool io_psi, bool meminfo, bool vmstat, SystemSample *ret,
                       char *err, size_t errlen) {
        _cleanup_close_ int procfd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        SystemSample s = {};
        int first = 0;

        if (!proc_root || !ret)
                return -EINVAL;
        if (err && errlen)
                err[0] = 0;

        procfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (procfd < 0)
                return note_error(err, errlen, -errno, "cannot open %s: %s (is procfs mounted there?)", proc_root, strerror(errno));

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
                r = read_part(procfd, proc_root, parts[i].name, parts[i].kind, parts[i].ret, &buf, &size, err, errlen);
                if (r < 0 && !first)
                        first = r;
        }

        *ret = s;
        return first;
}
