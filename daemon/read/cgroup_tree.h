/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The cgroup2 tree as the monitor sees it: each cgroup opened once as a directory fd, known by
 * its inode, read at most once per sample and only for the files asked for. Keeps what growth and
 * rates are derived from, for each cgroup (policy/derive.h cgroup_history_derive).
 */

#include "policy/policy.h"
#include "policy/sample.h"

typedef struct CGroupTree CGroupTree;

/* The interface files the tree keeps open between samples, at most, so that a sample reads each
 * with one pread(). An open kernfs file keeps its seq_file buffer (a page, charged to pressured's
 * cgroup) after the first read: the cap bounds that at 16 MiB on 4 KiB pages (one tree serves
 * every kind of sample). Past it, files are opened, read and closed. */
#define CGROUP_TREE_FILE_FDS_MAX 4096u
/* The tree keeps at most this fraction (1/N) of RLIMIT_NOFILE's soft limit in file fds, leaving
 * the rest for the cgroup directory fds (one per walked cgroup), PSI triggers, sockets and hooks. */
#define CGROUP_TREE_FILE_FDS_RLIMIT_DIVISOR 4u

/* root: the cgroup2 mount (or a fixture tree). */
int cgroup_tree_new(const char *root, CGroupTree **ret);
CGroupTree *cgroup_tree_free(CGroupTree *t);

/* True when the root's cgroup.controllers lists "memory" (else: degraded mode). */
bool cgroup_tree_has_memory_controller(CGroupTree *t);

/* The fd of the mount root (borrowed). */
int cgroup_tree_root_fd(CGroupTree *t);

/* Walks the tree below the root, keeping cgroups that match needs->cgroups or are ancestors of
 * matches (so recursive ranking can descend), plus "/" itself; reads needs->cgroup_fields of each;
 * derives growth/rates against the cgroup's history (a field not read leaves what is derived from
 * it as it was: policy/derive.h). Vanished cgroups are dropped silently. Fills snap->cgroups /
 * n_cgroups (owned by the snapshot). */
int cgroup_tree_sample(CGroupTree *t, const SampleNeeds *needs, usec_t now, Snapshot *snap);

/* Samples of different needs share the tree. A walk of `needs` (borrowed; the pointer is compared,
 * so it must stay put) frees the cached cgroups it did not visit; other walks (narrower ones, which
 * do not reach the cgroups only `needs` read) free only the cgroups found gone. NULL (the default):
 * every walk frees what it did not visit. */
void cgroup_tree_set_widest_needs(CGroupTree *t, const SampleNeeds *needs);

/* Reads the root and the cgroups at `paths` alone, with no walk: the sample of a few cgroups costs
 * the same whatever the size of the tree. Each must have been read by a cgroup_tree_sample() that
 * kept it; its files, growth and rates are as a walk would read them. -ENOENT when one was never
 * read, or is gone (the tree is then listed again at the next walk): walk instead. */
int cgroup_tree_sample_paths(CGroupTree *t, const SampleNeeds *needs, const char *const *paths, size_t n_paths,
                             usec_t now, Snapshot *snap);

/* With the root's cgroup.stat telling when cgroups come or go (its nr_descendants changes), the
 * directories are still listed again this often: the count stays the same when an unwatched
 * cgroup is removed while a watched one is created between two samples. */
#define CGROUP_TREE_LISTING_MAX_AGE_USEC (30 * USEC_PER_SEC)

/* Sets how old a directory listing may grow before a sample lists the directories again (the
 * full-sample interval) when the root has no readable cgroup.stat; with one, a change of its
 * nr_descendants or CGROUP_TREE_LISTING_MAX_AGE_USEC does. cgroupfs changes no directory mtime
 * when a child comes or goes, and cgroup.events says nothing of children. A cgroup found gone
 * has the tree listed at the next sample. 0 (the default): every sample lists. */
void cgroup_tree_set_listing_max_age(CGroupTree *t, usec_t usec);

/* Degraded mode, where cgroups have no memory.current: sets each cgroup's memory_current (and anon)
 * to the RSS (anonymous RSS) of the processes at or below it, and marks it read (CG_MEMORY_CURRENT).
 * The root's is every process's. */
void cgroup_samples_fill_rss(CGroupSample *cgroups, size_t n, const ProcSample *procs, size_t n_procs);

/* Opens a cgroup directory by path relative to the root (O_DIRECTORY|O_CLOEXEC). Negative errno. */
int cgroup_tree_open(CGroupTree *t, const char *path);
