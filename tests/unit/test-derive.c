/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "policy-builders.h"

static CGroupSample cgroup(uint64_t inode, uint64_t current, unsigned fields) {
        return (CGroupSample) { .path = (char *) "/a", .inode = inode, .fields = fields, .memory_current = current };
}

Test(derive, first_sample_has_no_history) {
        CGroupSample c = cgroup(7, MiB(100), CG_MEMORY_CURRENT | CG_MEMORY_STAT);

        c.pgscan = 5000;
        derive_cgroup(&c, NULL, 0, SEC(10));
        cr_assert_float_eq(c.average_usage, (double) MiB(100), 1e-6);
        cr_assert_float_eq(c.growth, 1.0, 1e-9);
        cr_assert_float_eq(c.pgscan_rate, 0.0, 1e-9);
        cr_assert_eq(c.last_pgscan_usec, 0);
        cr_assert_eq(c.protection, 0);
        cr_assert_eq(c.effective_usage, MiB(100));
}

Test(derive, average_decays_and_growth_follows) {
        CGroupSample prev = cgroup(7, MiB(100), CG_MEMORY_CURRENT), cur = cgroup(7, MiB(200), CG_MEMORY_CURRENT);

        prev.average_usage = (double) MiB(100);
        derive_cgroup(&cur, &prev, SEC(1), SEC(2));
        /* (100 * 3 + 200) / 4 = 125 */
        cr_assert_float_eq(cur.average_usage, (double) MiB(125), 1e-3);
        cr_assert_float_eq(cur.growth, 200.0 / 125.0, 1e-9);

        /* And again: the average keeps chasing the current value. */
        prev = cur;
        cur = cgroup(7, MiB(200), CG_MEMORY_CURRENT);
        derive_cgroup(&cur, &prev, SEC(2), SEC(3));
        cr_assert_float_eq(cur.average_usage, (double) MiB(125) * 0.75 + (double) MiB(200) * 0.25, 1e-3);
        cr_assert(cur.growth > 1.0 && cur.growth < 1.6);
}

Test(derive, empty_cgroup_has_neutral_growth) {
        CGroupSample prev = cgroup(7, 0, CG_MEMORY_CURRENT), cur = cgroup(7, 0, CG_MEMORY_CURRENT);

        derive_cgroup(&cur, &prev, SEC(1), SEC(2));
        cr_assert_float_eq(cur.average_usage, 0.0, 1e-9);
        cr_assert_float_eq(cur.growth, 1.0, 1e-9);
}

Test(derive, recreated_cgroup_starts_over) {
        CGroupSample prev = cgroup(7, MiB(10), CG_MEMORY_CURRENT | CG_MEMORY_STAT);
        CGroupSample cur = cgroup(8, MiB(500), CG_MEMORY_CURRENT | CG_MEMORY_STAT);

        prev.average_usage = (double) MiB(10);
        prev.last_pgscan_usec = SEC(1);
        prev.pgscan = 10;
        cur.pgscan = 1000;
        derive_cgroup(&cur, &prev, SEC(1), SEC(2));
        cr_assert_float_eq(cur.average_usage, (double) MiB(500), 1e-6);
        cr_assert_float_eq(cur.growth, 1.0, 1e-9);
        cr_assert_float_eq(cur.pgscan_rate, 0.0, 1e-9);
        cr_assert_eq(cur.last_pgscan_usec, 0);
}

Test(derive, pgscan_rate_in_pages_per_second) {
        CGroupSample prev = cgroup(7, MiB(1), CG_MEMORY_STAT), cur = cgroup(7, MiB(1), CG_MEMORY_STAT);

        prev.pgscan = 1000;
        cur.pgscan = 1500;
        derive_cgroup(&cur, &prev, SEC(10), SEC(10) + MSEC(500));
        cr_assert_float_eq(cur.pgscan_rate, 1000.0, 1e-6);
        cr_assert_eq(cur.last_pgscan_usec, SEC(10) + MSEC(500));
}

Test(derive, pgscan_still_keeps_last_time) {
        CGroupSample prev = cgroup(7, MiB(1), CG_MEMORY_STAT), cur = cgroup(7, MiB(1), CG_MEMORY_STAT);

        prev.pgscan = cur.pgscan = 1000;
        prev.last_pgscan_usec = SEC(3);
        derive_cgroup(&cur, &prev, SEC(10), SEC(11));
        cr_assert_float_eq(cur.pgscan_rate, 0.0, 1e-9);
        cr_assert_eq(cur.last_pgscan_usec, SEC(3));
}

Test(derive, pgscan_backwards_or_unread_or_no_time_gives_zero) {
        CGroupSample prev = cgroup(7, MiB(1), CG_MEMORY_STAT), cur = cgroup(7, MiB(1), CG_MEMORY_STAT);

        prev.pgscan = 2000;
        cur.pgscan = 10; /* counter reset */
        prev.last_pgscan_usec = SEC(4);
        derive_cgroup(&cur, &prev, SEC(10), SEC(11));
        cr_assert_float_eq(cur.pgscan_rate, 0.0, 1e-9);
        cr_assert_eq(cur.last_pgscan_usec, SEC(4));

        /* memory.stat not read this time: no rate, even though the (stale) field grew */
        cur = cgroup(7, MiB(1), CG_MEMORY_CURRENT);
        cur.pgscan = 5000;
        derive_cgroup(&cur, &prev, SEC(10), SEC(11));
        cr_assert_float_eq(cur.pgscan_rate, 0.0, 1e-9);
        cr_assert_eq(cur.last_pgscan_usec, SEC(4));

        /* the same instant twice: no division by zero, no rate; the move is still seen */
        cur = cgroup(7, MiB(1), CG_MEMORY_STAT);
        cur.pgscan = 3000;
        derive_cgroup(&cur, &prev, SEC(10), SEC(10));
        cr_assert_float_eq(cur.pgscan_rate, 0.0, 1e-9);
        cr_assert_eq(cur.last_pgscan_usec, SEC(10));
}

Test(derive, protection_is_capped_by_usage) {
        CGroupSample c = cgroup(7, MiB(300), CG_MEMORY_CURRENT | CG_MEMORY_PROTECT);

        c.memory_low = MiB(100);
        c.memory_min = MiB(50);
        derive_cgroup(&c, NULL, 0, SEC(1));
        cr_assert_eq(c.protection, MiB(100));
        cr_assert_eq(c.effective_usage, MiB(200));

        c.memory_min = MiB(250);
        derive_cgroup(&c, NULL, 0, SEC(1));
        cr_assert_eq(c.protection, MiB(250));
        cr_assert_eq(c.effective_usage, MiB(50));

        c.memory_low = MiB(1000); /* more than it uses: all of it is protected, never negative */
        derive_cgroup(&c, NULL, 0, SEC(1));
        cr_assert_eq(c.protection, MiB(300));
        cr_assert_eq(c.effective_usage, 0);
}

Test(derive, protection_unread_counts_as_none) {
        CGroupSample c = cgroup(7, MiB(300), CG_MEMORY_CURRENT);

        c.memory_low = MiB(100); /* stale: CG_MEMORY_PROTECT not read */
        derive_cgroup(&c, NULL, 0, SEC(1));
        cr_assert_eq(c.protection, 0);
        cr_assert_eq(c.effective_usage, MiB(300));
}

Test(derive, system_pgscan) {
        SystemSample prev = { .vmstat = { .pgscan = 100, .valid = true }, .last_pgscan_usec = SEC(1) };
        SystemSample cur = { .vmstat = { .pgscan = 300, .valid = true } };

        derive_system(&cur, &prev, SEC(2), SEC(4));
        cr_assert_float_eq(cur.pgscan_rate, 100.0, 1e-9);
        cr_assert_eq(cur.last_pgscan_usec, SEC(4));

        /* first sample */
        cur = (SystemSample) { .vmstat = { .pgscan = 300, .valid = true } };
        derive_system(&cur, NULL, 0, SEC(4));
        cr_assert_float_eq(cur.pgscan_rate, 0.0, 1e-9);
        cr_assert_eq(cur.last_pgscan_usec, 0);

        /* vmstat unreadable now: keep the last known move */
        cur = (SystemSample) { .vmstat = { .pgscan = 900, .valid = false } };
        derive_system(&cur, &prev, SEC(2), SEC(4));
        cr_assert_float_eq(cur.pgscan_rate, 0.0, 1e-9);
        cr_assert_eq(cur.last_pgscan_usec, SEC(1));

        /* counter went backwards */
        cur = (SystemSample) { .vmstat = { .pgscan = 50, .valid = true } };
        derive_system(&cur, &prev, SEC(2), SEC(4));
        cr_assert_float_eq(cur.pgscan_rate, 0.0, 1e-9);
        cr_assert_eq(cur.last_pgscan_usec, SEC(1));
}

Test(snapshot, clear_frees_and_zeroes) {
        Snapshot s = { .now = SEC(5), .degraded = true, .self_pid = 9 };

        s.cgroups = calloc(2, sizeof(CGroupSample));
        s.n_cgroups = 2;
        s.cgroups[0].path = strdup("/");
        s.cgroups[1].path = strdup("/a.slice");
        s.procs = calloc(3, sizeof(ProcSample));
        s.n_procs = 3;
        s.procs[0].cgroup = strdup("/a.slice");
        s.procs[1].cgroup = NULL; /* unknown: nothing to free */
        s.procs[2].cgroup = strdup("/");
        cr_assert(s.cgroups && s.procs);

        snapshot_clear(&s); /* ASan reports any leak */
        cr_assert_null(s.cgroups);
        cr_assert_null(s.procs);
        cr_assert_eq(s.n_cgroups, 0);
        cr_assert_eq(s.n_procs, 0);
        cr_assert_eq(s.now, 0);
        cr_assert_not(s.degraded);

        snapshot_clear(&s); /* twice is harmless */
        snapshot_clear(NULL);
}

/* One history, samples reading different fields: whole (memory.current and memory.stat) at 1 s,
 * detectors' (neither) at 2 s, whole at 3 s: growth and the pgscan rate as if 2 s had not been. */
Test(derive, history_skips_samples_without_the_field) {
        CGroupHistory h = {};
        CGroupSample c = cgroup(7, 100, CG_MEMORY_CURRENT | CG_MEMORY_STAT);

        c.pgscan = 0;
        cgroup_history_derive(&h, &c, SEC(1));
        cr_assert_float_eq(c.average_usage, 100.0, 1e-9);

        c = cgroup(7, 0, CG_MEMORY_PSI);
        cgroup_history_derive(&h, &c, SEC(2));
        cr_assert_float_eq(c.growth, 1.0, 1e-9);
        cr_assert_float_eq(c.pgscan_rate, 0.0, 1e-9);
        cr_assert_float_eq(c.average_usage, 100.0, 1e-9);

        c = cgroup(7, 200, CG_MEMORY_CURRENT | CG_MEMORY_STAT);
        c.pgscan = 2000;
        cgroup_history_derive(&h, &c, SEC(3));
        cr_assert_float_eq(c.average_usage, 125.0, 1e-9);
        cr_assert_float_eq(c.growth, 1.6, 1e-9);
        cr_assert_float_eq(c.pgscan_rate, 1000.0, 1e-9);
        cr_assert_eq(c.last_pgscan_usec, SEC(3));

        /* memory.stat alone at 4 s: the rate from 3 s, the average untouched, the move kept */
        c = cgroup(7, 0, CG_MEMORY_STAT);
        c.pgscan = 2500;
        cgroup_history_derive(&h, &c, SEC(4));
        cr_assert_float_eq(c.pgscan_rate, 500.0, 1e-9);
        cr_assert_eq(c.last_pgscan_usec, SEC(4));
        cr_assert_float_eq(h.average_usage, 125.0, 1e-9);

        /* memory.current alone at 5 s: no rate, last move as it was */
        c = cgroup(7, 200, CG_MEMORY_CURRENT);
        cgroup_history_derive(&h, &c, SEC(5));
        cr_assert_float_eq(c.pgscan_rate, 0.0, 1e-9);
        cr_assert_eq(c.last_pgscan_usec, SEC(4));
        cr_assert_float_eq(c.average_usage, 125.0 * 0.75 + 50.0, 1e-9);

        /* then memory.stat at 6 s: over the 2 s since 4 s */
        c = cgroup(7, 0, CG_MEMORY_STAT);
        c.pgscan = 4500;
        cgroup_history_derive(&h, &c, SEC(6));
        cr_assert_float_eq(c.pgscan_rate, 1000.0, 1e-9);

        /* another inode: it starts over */
        c = cgroup(8, 50, CG_MEMORY_CURRENT | CG_MEMORY_STAT);
        c.pgscan = 9000;
        cgroup_history_derive(&h, &c, SEC(7));
        cr_assert_float_eq(c.average_usage, 50.0, 1e-9);
        cr_assert_float_eq(c.pgscan_rate, 0.0, 1e-9);
        cr_assert_eq(c.last_pgscan_usec, 0);
}

Test(derive, pgscan_moving_over_a_long_span_counts_from_its_start) {
        CGroupHistory h = {};
        CGroupSample cur = cgroup(7, MiB(1), CG_MEMORY_STAT);

        cur.pgscan = 1000;
        cgroup_history_derive(&h, &cur, SEC(100));
        /* read again 60 s later (after quiet): it moved, but when in the minute is unknown */
        cur = cgroup(7, MiB(1), CG_MEMORY_STAT);
        cur.pgscan = 2000;
        cgroup_history_derive(&h, &cur, SEC(160));
        cr_assert_eq(cur.last_pgscan_usec, SEC(100), "an old scan must not look fresh");
        cr_assert_float_eq(cur.pgscan_rate, 1000.0 / 60.0, 1e-6);
        /* the next read a fast interval later: still moving, so it moved just now */
        cur = cgroup(7, MiB(1), CG_MEMORY_STAT);
        cur.pgscan = 2100;
        cgroup_history_derive(&h, &cur, SEC(160) + MSEC(250));
        cr_assert_eq(cur.last_pgscan_usec, SEC(160) + MSEC(250));
}
