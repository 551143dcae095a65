/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The parsers of the cgroup2 interface files the monitor reads, other than PSI files (psi.h):
 * single values (memory.current, memory.max), cgroup.events, cgroup.stat and memory.stat. They
 * take the text; cgroup_tree.c and cgroup_entry.c read the files. Negative errno on error:
 * -EINVAL for malformed or truncated text.
 */

#include <stdbool.h>
#include <stdint.h>

/* memory.stat: anon, file, pgscan (pgscan, or pgscan_kswapd+pgscan_direct on older kernels). */
int memory_stat_parse(const char *text, uint64_t *anon, uint64_t *file, uint64_t *pgscan);
/* A single number, or "max" (UINT64_MAX). */
int cgroup_value_parse(const char *text, uint64_t *ret);
/* cgroup.events: the "populated" key. */
int cgroup_events_parse(const char *text, bool *populated);
/* cgroup.stat: the "nr_descendants" key, the live cgroups below. */
int cgroup_stat_parse_descendants(const char *text, uint64_t *ret);
