/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "sample.h"

void snapshot_clear(Snapshot *s) {
        if (!s)
                return;
        for (size_t i = 0; i < s->n_cgroups; i++)
                free(s->cgroups[i].path);
        for (size_t i = 0; i < s->n_procs; i++)
                free(s->procs[i].cgroup);
        free(s->cgroups);
        free(s->procs);
        *s = (Snapshot) {};
}
