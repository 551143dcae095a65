/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The files of one process, each input given to every parser proc_read() applies: PID/stat
 * (comm, the kernel-thread flag, start time), PID/status (uid, RSS, swap, a pending SIGKILL) and
 * the "0::" line of PID/cgroup.
 */

#include <errno.h>
#include <string.h>

#include "fuzz-util.h"
#include "daemon/read/proc_scan.h"

void fuzz_text(const char *text, size_t size) {
        ProcSample p = {};
        char *cgroup = NULL;
        int r;

        r = proc_stat_parse(text, &p);
        fuzz_assert(r == 0 || r == -EINVAL || r == -ERANGE);
        fuzz_assert(memchr(p.comm, 0, sizeof p.comm));

        r = proc_status_parse(text, &p);
        fuzz_assert(r == 0 || r == -EINVAL || r == -ERANGE);
        if (r == 0)
                fuzz_assert(p.rss % 1024 == 0 && p.rss_anon % 1024 == 0 && p.swap % 1024 == 0);

        r = proc_cgroup_line_parse(text, &cgroup);
        fuzz_assert(r == 0 || r == -EINVAL);
        if (r == 0) {
                fuzz_assert(cgroup[0] == '/' && !strchr(cgroup, '\n'));
                free(cgroup);
        }
}
