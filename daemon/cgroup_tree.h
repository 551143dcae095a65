/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The cgroup2 tree as the monitor sees it: each cgroup opened once as a directory fd, known by
 * its inode, read at most once per sample and only for the files asked for. Keeps the previous
 * sample of each cgroup to derive growth and rates (policy/engine.h derive_cgroup).
 */

#include "../policy/policy.h"
#include "../policy/sample.h"

typedef struct CGroupTree CGroupTree;

/* root: the cgroup2 mount (or a fixture tree). */
int cgroup_tree_new(const char *root, CGroupTree **ret);
CGroupTree *cgroup_tree_free(CGroupTree *t);

/* True when the root's cgroup.controllers lists "memory" (else: degraded mode). */
bool cgroup_tree_has_memory_controller(CGroupTree *t);

/* The fd of the mount root (borrowed). */
int cgroup_tree_root_fd(CGroupTree *t);

/* Walks the tree below the root, keeping cgroups that match needs->cgroups or are ancestors of
 * matches (so recursive ranking can descend), plus "/" itself; reads needs->cgroup_fields of each;
 * derives growth/rates against the previous sample. Vanished cgroups are dropped silently.
 * Fills snap->cgroups / n_cgroups (owned by the snapshot). */
int cgroup_tree_sample(CGroupTree *t, const SampleNeeds *needs, usec_t now, Snapshot *snap);

/* Opens a cgroup directory by path relative to the root (O_DIRECTORY|O_CLOEXEC). Negative errno. */
int cgroup_tree_open(CGroupTree *t, const char *path);
