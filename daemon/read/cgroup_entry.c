/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One cgroup as the tree keeps it between samples, and its sample read from its interface files.
 * A file once read stays open while the tree's fd budget allows, so the next sample reads it with
 * one pread() at offset 0, which cgroupfs renders afresh; a file found absent is not looked for
 * again until the tree is listed anew. A kept file answering ENODEV means the cgroup was removed
 * (and maybe created again): the entry is then marked vanished, for the tree to drop it.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "read/cgroup_entry.h"
#include "read/cgroup_files.h"
#include "read/fileio.h"
#include "util/log.h"
#include "policy/macro.h"
#include "read/psi.h"

static const char *const cgroup_file_names[_CGROUP_FILE_MAX] = {
        [CGROUP_FILE_MEMORY_CURRENT] = "memory.current",
        [CGROUP_FILE_MEMORY_STAT] = "memory.stat",
        [CGROUP_FILE_MEMORY_LOW] = "memory.low",
        [CGROUP_FILE_MEMORY_MIN] = "memory.min",
        [CGROUP_FILE_MEMORY_HIGH] = "memory.high",
        [CGROUP_FILE_MEMORY_MAX] = "memory.max",
        [CGROUP_FILE_SWAP_CURRENT] = "memory.swap.current",
        [CGROUP_FILE_MEMORY_PRESSURE] = "memory.pressure",
        [CGROUP_FILE_IO_PRESSURE] = "io.pressure",
        [CGROUP_FILE_EVENTS] = "cgroup.events",
        [CGROUP_FILE_OOM_GROUP] = "memory.oom.group",
};

CGroupEntry *cgroup_entry_new(void) {
        CGroupEntry *e = calloc(1, sizeof(CGroupEntry));

        if (!e)
                return NULL;
        e->fd = -1;
        for (size_t i = 0; i < _CGROUP_FILE_MAX; i++)
                e->file_fd[i] = -1;
        return e;
}

static void entry_close_file(CGroupFiles *files, CGroupEntry *e, CGroupFile f) {
        if (e->file_fd[f] < 0)
                return;
        close(e->file_fd[f]);
        e->file_fd[f] = -1;
        files->n_fds--;
}

void cgroup_entry_close_files(CGroupFiles *files, CGroupEntry *e) {
        for (CGroupFile f = 0; f < _CGROUP_FILE_MAX; f++)
                entry_close_file(files, e, f);
}

/* The cgroup was found gone: it is dropped from this sample, and the tree, seeing it vanished, is
 * listed again at the next in case it was created again under the same name. */
static void entry_mark_vanished(CGroupEntry *e) {
        e->vanished = true;
}

/* Opens a file of e and reads it into files->buf, keeping it open while the fd budget allows. */
static ssize_t entry_open_read(CGroupFiles *files, CGroupEntry *e, CGroupFile f) {
        ssize_t n;
        int fd;

        if (files->n_fds >= files->max_fds)
                return read_file_at_grow(e->fd, cgroup_file_names[f], &files->buf, &files->buf_size);

        fd = openat(e->fd, cgroup_file_names[f], O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        n = pread_file_grow(fd, &files->buf, &files->buf_size);
        if (n < 0) {
                close(fd);
                return n;
        }
        e->file_fd[f] = fd;
        files->n_fds++;
        return n;
}

/* Reads one file of a cgroup into files->buf: one pread() on the fd kept from an earlier sample, else
 * opened. -ENOENT: the file is absent (not an error); -ENODEV: the cgroup is gone. */
static int entry_read(CGroupFiles *files, CGroupEntry *e, CGroupFile f) {
        ssize_t n;

        if (e->absent & (1u << f))
                return -ENOENT;
        if (e->file_fd[f] >= 0) {
                n = pread_file_grow(e->file_fd[f], &files->buf, &files->buf_size);
                if (n >= 0)
                        return 0;
                /* ENODEV: the cgroup was removed (and maybe created again); opening tells */
                entry_close_file(files, e, f);
        }

        n = entry_open_read(files, e, f);
        if (n >= 0)
                return 0;
        if (n == -ENODEV) {
                entry_mark_vanished(e);
                return -ENODEV;
        }
        if (n == -ENOENT && e->parent && !e->alive_checked) {
                /* an absent file, or the whole cgroup removed? every cgroup but the root has
                 * cgroup.procs until it is removed; ask once per sample */
                e->alive_checked = true;
                if (faccessat(e->fd, "cgroup.procs", F_OK, 0) < 0 && errno == ENOENT) {
                        entry_mark_vanished(e);
                        return -ENODEV;
                }
        }
        if (n == -ENOENT)
                e->absent |= 1u << f; /* not looked for again until the next listing */
        return (int) n;
}

/* Whether a file read by entry_read() parsed; an odd file is left out, said at debug level
 * only, since a sample runs every second. */
static bool parsed_ok(int r, const CGroupEntry *e, CGroupFile f) {
        if (r < 0)
                log_debug("Failed to parse %s of cgroup %s, ignoring: unexpected contents.", cgroup_file_names[f], e->path);
        return r >= 0;
}

/* Reads a file for a field: 1 when read, 0 when absent or unreadable (the field is left out),
 * -ENODEV when the cgroup is gone. */
static int field_read(CGroupFiles *files, CGroupEntry *e, CGroupFile f) {
        int r = entry_read(files, e, f);

        if (r == -ENODEV)
                return r;
        if (r < 0) {
                if (r != -ENOENT)
                        log_debug_errno(r, "Failed to read %s of cgroup %s, ignoring: %m", cgroup_file_names[f], e->path);
                return 0;
        }
        return 1;
}

static const char *const xattr_names[] = {
        "user.oomd_omit", "user.oomd_avoid", "user.oomd_prefer",
        "trusted.oomd_omit", "trusted.oomd_avoid", "trusted.oomd_prefer",
};

/* Preference from the oomd xattrs systemd writes for ManagedOOMPreference=: "1" sets one.
 * omit beats avoid; prefer counts only when neither is set. */
static Preference entry_read_preference(CGroupEntry *e) {
        char list[1024];
        bool set[ELEMENTSOF(xattr_names)] = {}, listed = true;
        ssize_t n;

        /* one listxattr usually answers "none" without six getxattr calls */
        n = flistxattr(e->fd, list, sizeof list);
        if (n == 0 || (n < 0 && (errno == ENOTSUP || errno == ENODATA)))
                return PREFERENCE_NONE;
        if (n < 0)
                listed = false; /* ERANGE or else: ask for each name */

        for (size_t i = 0; i < ELEMENTSOF(xattr_names); i++) {
                char value[8];
                ssize_t k;

                if (listed) {
                        bool found = false;
                        for (ssize_t off = 0; off < n; off += strlen(list + off) + 1)
                                if (streq(list + off, xattr_names[i])) {
                                        found = true;
                                        break;
                                }
                        if (!found)
                                continue;
                }
                k = fgetxattr(e->fd, xattr_names[i], value, sizeof value - 1);
                if (k <= 0)
                        continue;
                value[k] = 0;
                set[i] = streq(value, "1") || streq(value, "1\n");
        }

        if (set[0] || set[3])
                return PREFERENCE_OMIT;
        if (set[1] || set[4])
                return PREFERENCE_AVOID;
        if (set[2] || set[5])
                return PREFERENCE_PREFER;
        return PREFERENCE_NONE;
}

/* Reads two files that make one field (memory.low + memory.min, memory.high + memory.max). */
static int field_read_pair(CGroupFiles *files, CGroupEntry *e, CGroupFile a, uint64_t *va, CGroupFile b, uint64_t *vb) {
        int r;

        r = field_read(files, e, a);
        if (r <= 0 || !parsed_ok(cgroup_value_parse(files->buf, va), e, a))
                return r;
        r = field_read(files, e, b);
        if (r <= 0 || !parsed_ok(cgroup_value_parse(files->buf, vb), e, b))
                return r;
        return 1;
}

int cgroup_entry_sample(CGroupFiles *files, CGroupEntry *e, unsigned want, CGroupSample *s) {
        unsigned fields = 0;
        int r;

        *s = (CGroupSample) {
                .inode = e->inode,
                .parent_inode = e->parent ? e->parent->inode : 0,
                .preference = PREFERENCE_NONE,
        };

        if (want & CG_MEMORY_CURRENT) {
                r = field_read(files, e, CGROUP_FILE_MEMORY_CURRENT);
                if (r < 0)
                        return r;
                if (r > 0 && parsed_ok(cgroup_value_parse(files->buf, &s->memory_current), e, CGROUP_FILE_MEMORY_CURRENT))
                        fields |= CG_MEMORY_CURRENT;
        }
        if (want & CG_MEMORY_STAT) {
                r = field_read(files, e, CGROUP_FILE_MEMORY_STAT);
                if (r < 0)
                        return r;
                if (r > 0 && parsed_ok(memory_stat_parse(files->buf, &s->anon, &s->file, &s->pgscan), e, CGROUP_FILE_MEMORY_STAT))
                        fields |= CG_MEMORY_STAT;
        }
        if (want & CG_MEMORY_PROTECT) {
                r = field_read_pair(files, e, CGROUP_FILE_MEMORY_LOW, &s->memory_low, CGROUP_FILE_MEMORY_MIN, &s->memory_min);
                if (r < 0)
                        return r;
                fields |= r > 0 ? CG_MEMORY_PROTECT : 0;
        }
        if (want & CG_MEMORY_LIMITS) {
                r = field_read_pair(files, e, CGROUP_FILE_MEMORY_HIGH, &s->memory_high, CGROUP_FILE_MEMORY_MAX, &s->memory_max);
                if (r < 0)
                        return r;
                fields |= r > 0 ? CG_MEMORY_LIMITS : 0;
        }
        if (want & CG_SWAP_CURRENT) {
                r = field_read(files, e, CGROUP_FILE_SWAP_CURRENT);
                if (r < 0)
                        return r;
                if (r > 0 && parsed_ok(cgroup_value_parse(files->buf, &s->swap_current), e, CGROUP_FILE_SWAP_CURRENT))
                        fields |= CG_SWAP_CURRENT;
        }
        if (want & CG_MEMORY_PSI) {
                r = field_read(files, e, CGROUP_FILE_MEMORY_PRESSURE);
                if (r < 0)
                        return r;
                if (r > 0 && parsed_ok(psi_parse(files->buf, &s->mem_psi), e, CGROUP_FILE_MEMORY_PRESSURE))
                        fields |= CG_MEMORY_PSI;
        }
        if (want & CG_IO_PSI) {
                r = field_read(files, e, CGROUP_FILE_IO_PRESSURE);
                if (r < 0)
                        return r;
                if (r > 0 && parsed_ok(psi_parse(files->buf, &s->io_psi), e, CGROUP_FILE_IO_PRESSURE))
                        fields |= CG_IO_PSI;
        }
        if (want & CG_EVENTS) {
                r = field_read(files, e, CGROUP_FILE_EVENTS);
                if (r < 0)
                        return r;
                if (r > 0 && parsed_ok(cgroup_events_parse(files->buf, &s->populated), e, CGROUP_FILE_EVENTS))
                        fields |= CG_EVENTS;
        }
        if (want & CG_OOM_GROUP) {
                uint64_t v = 0;

                r = field_read(files, e, CGROUP_FILE_OOM_GROUP);
                if (r < 0)
                        return r;
                if (r > 0 && parsed_ok(cgroup_value_parse(files->buf, &v) < 0 || v > 1 ? -EINVAL : 0, e, CGROUP_FILE_OOM_GROUP)) {
                        s->oom_group = v == 1;
                        fields |= CG_OOM_GROUP;
                }
        }
        if (want & CG_XATTRS) {
                s->preference = entry_read_preference(e);
                fields |= CG_XATTRS;
        }

        s->fields = fields;
        return 0;
}

