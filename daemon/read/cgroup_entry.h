/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * One cgroup as the tree (cgroup_tree.c) caches it: its directory fd, known by its inode, the
 * interface files kept open between samples, its child directories as last listed and its
 * previous sample; and the reading of its files into a CGroupSample. The tree owns the entries
 * and walks them; this module owns their files.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/derive.h"
#include "policy/sample.h"

typedef struct CGroupEntry CGroupEntry;

/* The interface files a sample may read; each is kept open once read. */
typedef enum CGroupFile {
        CGROUP_FILE_MEMORY_CURRENT,
        CGROUP_FILE_MEMORY_STAT,
        CGROUP_FILE_MEMORY_LOW,
        CGROUP_FILE_MEMORY_MIN,
        CGROUP_FILE_MEMORY_HIGH,
        CGROUP_FILE_MEMORY_MAX,
        CGROUP_FILE_SWAP_CURRENT,
        CGROUP_FILE_MEMORY_PRESSURE,
        CGROUP_FILE_IO_PRESSURE,
        CGROUP_FILE_EVENTS,
        CGROUP_FILE_OOM_GROUP,
        _CGROUP_FILE_MAX,
} CGroupFile;

/* What the entries of one tree share when reading their files: the buffer a file is read into
 * (reused) and the budget of files kept open (see CGROUP_TREE_FILE_FDS_MAX). */
typedef struct CGroupFiles {
        char *buf;              /* file contents, reused */
        size_t buf_size;
        size_t n_fds;           /* interface files kept open, over all entries */
        size_t max_fds;         /* the budget */
} CGroupFiles;

struct CGroupEntry {
        char *path;             /* "/" or "/a/b", relative to the tree root */
        int fd;                 /* O_DIRECTORY; the root entry borrows the tree's root_fd */
        uint64_t inode;         /* st_ino: the identity */
        uint64_t dirent_inode;  /* d_ino as the parent lists it, to spot a recreated cgroup */
        unsigned generation;    /* the last sample that visited it */
        unsigned listing_epoch; /* the tree's listing epoch when its children were last listed */
        unsigned files_epoch;   /* and when `absent` was last cleared (cgroup_tree.c) */
        int file_fd[_CGROUP_FILE_MAX]; /* interface files kept open, -1 when not */
        unsigned absent;        /* bit per CGroupFile found missing since the last listing */

        /* its child directories as last listed */
        bool listed;
        char *child_names;      /* their names one after another, each NUL-terminated */
        size_t child_names_len, child_names_alloc;
        uint32_t *child_name_off; /* where each name starts in child_names */
        uint64_t *child_inodes; /* d_ino of each */
        size_t n_children_listed, alloc_children_listed;

        /* what growth and rates are derived from, field by field: every kind of sample reads the
         * one entry, whatever fields it reads */
        bool has_history;       /* some sample read it */
        unsigned last_nr_children; /* child cgroups in the last walk that read it */
        CGroupHistory history;

        /* per sample */
        CGroupEntry *parent;
        unsigned depth;
        bool matched, all_below, kept, vanished, alive_checked, sampled;
        bool doomed;            /* freed by this sample's pruning */
        bool read_stat;         /* its memory.stat is wanted (SampleNeeds.stat_cgroups) */
        unsigned nr_children;
};

/* A new entry with no fd open. NULL when out of memory. */
CGroupEntry *cgroup_entry_new(void);

/* Closes the interface files e keeps open, returning them to the budget. */
void cgroup_entry_close_files(CGroupFiles *files, CGroupEntry *e);

/* Fills *s with the fields asked for (CGroupField bits); the bit of a field that could not be read
 * stays clear. Returns 0, or -ENODEV when the cgroup vanished meanwhile (e->vanished is then set). */
int cgroup_entry_sample(CGroupFiles *files, CGroupEntry *e, unsigned want, CGroupSample *s);
