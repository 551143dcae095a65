/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The names of kill methods, as the journal, the history and the front ends spell them. */

#include <stddef.h>

#include "record/kill_result.h"

static const char *const kill_method_table[_KILL_METHOD_MAX] = {
        [KILL_METHOD_NONE] = "none",
        [KILL_METHOD_CGROUP_KILL] = "cgroup.kill",
        [KILL_METHOD_PIDFD] = "pidfd",
        [KILL_METHOD_PROCESS] = "process",
};

const char *kill_method_to_string(KillMethod m) {
        if (m < 0 || m >= _KILL_METHOD_MAX)
                return NULL;
        return kill_method_table[m];
}
