/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /proc/self/mountinfo, read by mountinfo_find_cgroup2(): the cgroup2 mount point, an absolute
 * path with the kernel's octal escapes decoded.
 */

#include <errno.h>
#include <string.h>

#include "fuzz-util.h"
#include "daemon/read/mountinfo.h"

void fuzz_text(const char *text, size_t size) {
        char *where = NULL;
        int r;

        r = mountinfo_find_cgroup2(text, &where);
        if (r < 0) {
                fuzz_assert(r == -EINVAL || r == -ENOENT);
                fuzz_assert(!where);
                return;
        }
        fuzz_assert(where && where[0] == '/');
        free(where);
}
