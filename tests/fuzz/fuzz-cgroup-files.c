/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cgroup2 interface files the monitor reads besides PSI, each input given to every parser:
 * memory.stat (memory_stat_parse()), single values such as memory.current or memory.max
 * (cgroup_value_parse()), cgroup.events and cgroup.stat.
 */

#include <errno.h>
#include <stdint.h>

#include "fuzz-util.h"
#include "daemon/read/cgroup_files.h"

void fuzz_text(const char *text, size_t size) {
        uint64_t anon, file, pgscan, value, descendants;
        bool populated;
        int r;

        r = memory_stat_parse(text, &anon, &file, &pgscan);
        fuzz_assert(r == 0 || r == -EINVAL || r == -ERANGE);
        r = cgroup_value_parse(text, &value);
        fuzz_assert(r == 0 || r == -EINVAL || r == -ERANGE);
        r = cgroup_events_parse(text, &populated);
        fuzz_assert(r == 0 || r == -EINVAL || r == -ERANGE);
        r = cgroup_stat_parse_descendants(text, &descendants);
        fuzz_assert(r == 0 || r == -EINVAL || r == -ERANGE);
}
