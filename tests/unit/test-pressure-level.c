/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pressure levels and the tracker that announces them: thresholds as the D-Bus contract states
 * them, the order and rate of announcements, recovery, low-memory-monitor's rhythm, and cgroups
 * that come, go and come back under the same name.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "daemon/core/level_tracker.h"
#include "daemon/util/unit_name.h"

#define SEC USEC_PER_SEC

/* ---- levels ---- */

static PsiStats psi(double some10, double full10, bool full_valid) {
        return (PsiStats) {
                .some = { .avg10 = some10, .valid = true },
                .full = { .avg10 = full10, .valid = full_valid },
        };
}

Test(pressure_level, cgroup_thresholds_are_inclusive_and_use_full) {
        PsiStats p;
        p = psi(90, 9.99, true);
        cr_assert_eq(pressure_level_of_cgroup(&p), PRESSURE_LEVEL_OK, "some must not count when full is there");
        p = psi(0, 10, true);
        cr_assert_eq(pressure_level_of_cgroup(&p), PRESSURE_LEVEL_LOW);
        p = psi(0, 20, true);
        cr_assert_eq(pressure_level_of_cgroup(&p), PRESSURE_LEVEL_MEDIUM);
        p = psi(0, 39.99, true);
        cr_assert_eq(pressure_level_of_cgroup(&p), PRESSURE_LEVEL_MEDIUM);
        p = psi(0, 40, true);
        cr_assert_eq(pressure_level_of_cgroup(&p), PRESSURE_LEVEL_CRITICAL);
        cr_assert_float_eq(pressure_percent_of_cgroup(&p), 40, 1e-9);
}

Test(pressure_level, cgroup_without_full_uses_some_and_without_either_is_unknown) {
        PsiStats p = psi(25, 0, false);
        cr_assert_eq(pressure_level_of_cgroup(&p), PRESSURE_LEVEL_MEDIUM);
        p = (PsiStats) {};
        cr_assert_eq(pressure_level_of_cgroup(&p), PRESSURE_LEVEL_UNKNOWN);
        cr_assert_float_eq(pressure_percent_of_cgroup(&p), -1, 1e-9);
        cr_assert_str_eq(pressure_level_to_string(PRESSURE_LEVEL_UNKNOWN), "unknown");
        cr_assert_str_eq(pressure_level_to_string(PRESSURE_LEVEL_CRITICAL), "critical");
}

static PsiStats totals(uint64_t some_usec, uint64_t full_usec) {
        return (PsiStats) {
                .some = { .total_usec = some_usec, .valid = true },
                .full = { .total_usec = full_usec, .valid = true },
        };
}

Test(pressure_level, system_level_is_the_stall_share_of_the_window) {
        PsiStats a = totals(1000000, 500000);
        PsiStats b;
        b = totals(1000000 + 69000, 500000);
        cr_assert_eq(pressure_level_of_system(&a, &b, SEC), PRESSURE_LEVEL_OK, "69 ms in 1 s is below 7%%");
        b = totals(1000000 + 70000, 500000);
        cr_assert_eq(pressure_level_of_system(&a, &b, SEC), PRESSURE_LEVEL_LOW);
        b = totals(1000000 + 100000, 500000);
        cr_assert_eq(pressure_level_of_system(&a, &b, SEC), PRESSURE_LEVEL_MEDIUM);
        b = totals(1000000 + 100000, 500000 + 70000);
        cr_assert_eq(pressure_level_of_system(&a, &b, SEC), PRESSURE_LEVEL_CRITICAL);
        /* The same stall over a 2 s window is half the share. */
        b = totals(1000000 + 100000, 500000);
        cr_assert_eq(pressure_level_of_system(&a, &b, 2 * SEC), PRESSURE_LEVEL_OK);
}

Test(pressure_level, system_level_unknown_on_short_window_reset_or_missing_lines) {
        PsiStats a = totals(1000000, 0), b = totals(2000000, 0);
        cr_assert_eq(pressure_level_of_system(&a, &b, LEVEL_SYSTEM_MIN_WINDOW_USEC - 1), PRESSURE_LEVEL_UNKNOWN);
        cr_assert_eq(pressure_level_of_system(&b, &a, SEC), PRESSURE_LEVEL_UNKNOWN, "a counter going back is no reading");
        PsiStats none = {};
        cr_assert_eq(pressure_level_of_system(&none, &b, SEC), PRESSURE_LEVEL_UNKNOWN);
}

Test(pressure_level, lmm_bytes) {
        cr_assert_eq(pressure_level_to_lmm(PRESSURE_LEVEL_OK), 0);
        cr_assert_eq(pressure_level_to_lmm(PRESSURE_LEVEL_LOW), 50);
        cr_assert_eq(pressure_level_to_lmm(PRESSURE_LEVEL_MEDIUM), 100);
        cr_assert_eq(pressure_level_to_lmm(PRESSURE_LEVEL_CRITICAL), 255);
        cr_assert_eq(pressure_level_to_lmm(PRESSURE_LEVEL_UNKNOWN), 0);
}

/* ---- the tracker ---- */

#define MAX_SEEN 64

typedef struct Seen {
        LevelEventKind kind;
        char path[64];
        PressureLevel level, previous, worst;
        usec_t duration;
} Seen;

static Seen seen[MAX_SEEN];
static size_t n_seen;

static void record(const LevelEvent *e, void *userdata) {
        cr_assert_lt(n_seen, MAX_SEEN);
        Seen *s = &seen[n_seen++];
        s->kind = e->kind;
        snprintf(s->path, sizeof s->path, "%s", e->path);
        s->level = e->level;
        s->previous = e->previous;
        s->worst = e->worst;
        s->duration = e->duration_usec;
        (*(int *) userdata)++;
}

static CGroupSample cg(const char *path, uint64_t inode, double full10) {
        return (CGroupSample) {
                .path = (char *) path,
                .inode = inode,
                .fields = CG_MEMORY_PSI | CG_MEMORY_CURRENT,
                .mem_psi = psi(full10, full10, true),
        };
}

static int update(LevelTracker *t, CGroupSample *s, size_t n, usec_t now) {
        int calls = 0;
        n_seen = 0;
        cr_assert_eq(level_tracker_update(t, s, n, now, record, &calls), 0);
        return calls;
}

Test(level_tracker, first_sample_adds_in_path_order_with_first_level_and_skips_root) {
        LevelTracker *t = level_tracker_new();
        CGroupSample s[] = { cg("/b", 2, 50), cg("/", 1, 0), cg("/a", 3, 0) };

        cr_assert_eq(update(t, s, 3, 10 * SEC), 2);
        cr_assert_eq(seen[0].kind, LEVEL_EVENT_ADDED);
        cr_assert_str_eq(seen[0].path, "/a");
        cr_assert_eq(seen[0].level, PRESSURE_LEVEL_OK);
        cr_assert_eq(seen[1].kind, LEVEL_EVENT_ADDED);
        cr_assert_str_eq(seen[1].path, "/b");
        cr_assert_eq(seen[1].level, PRESSURE_LEVEL_CRITICAL, "a cgroup already under pressure starts at its level");

        size_t n;
        const LevelEntry *e = level_tracker_entries(t, &n);
        cr_assert_eq(n, 2);
        cr_assert_str_eq(e[0].path, "/a");
        cr_assert_eq(e[1].sample, &s[0]);
        cr_assert_not_null(level_tracker_find(t, "/b"));
        cr_assert_null(level_tracker_find(t, "/"));
        cr_assert_null(level_tracker_find(t, "/c"));
        level_tracker_free(t);
}

Test(level_tracker, same_level_says_nothing_and_a_change_says_it_once) {
        LevelTracker *t = level_tracker_new();
        CGroupSample s[] = { cg("/a", 3, 0) };
        update(t, s, 1, 10 * SEC);
        cr_assert_eq(update(t, s, 1, 13 * SEC), 0);

        s[0].mem_psi = psi(25, 25, true);
        cr_assert_eq(update(t, s, 1, 16 * SEC), 1);
        cr_assert_eq(seen[0].kind, LEVEL_EVENT_CHANGED);
        cr_assert_eq(seen[0].level, PRESSURE_LEVEL_MEDIUM);
        cr_assert_eq(seen[0].previous, PRESSURE_LEVEL_OK);
        cr_assert_eq(update(t, s, 1, 19 * SEC), 0);
        cr_assert_eq(level_tracker_find(t, "/a")->level, PRESSURE_LEVEL_MEDIUM);
        level_tracker_free(t);
}

Test(level_tracker, changes_inside_the_rate_limit_wait_and_the_last_one_wins) {
        LevelTracker *t = level_tracker_new();
        CGroupSample s[] = { cg("/a", 3, 0) };
        update(t, s, 1, 10 * SEC);
        s[0].mem_psi = psi(15, 15, true);
        cr_assert_eq(update(t, s, 1, 13 * SEC), 1);  /* ok -> low */

        s[0].mem_psi = psi(45, 45, true);
        cr_assert_eq(update(t, s, 1, 13 * SEC + 500 * USEC_PER_MSEC), 0, "inside 2 s of the last announcement");
        s[0].mem_psi = psi(25, 25, true);
        cr_assert_eq(update(t, s, 1, 14 * SEC), 0);
        cr_assert_eq(level_tracker_find(t, "/a")->level, PRESSURE_LEVEL_LOW, "still the announced level");
        cr_assert_eq(update(t, s, 1, 15 * SEC), 1, "the pending change is announced when the limit ends");
        cr_assert_eq(seen[0].level, PRESSURE_LEVEL_MEDIUM);
        cr_assert_eq(seen[0].previous, PRESSURE_LEVEL_LOW);
        level_tracker_free(t);
}

Test(level_tracker, recovery_reports_worst_level_and_duration) {
        LevelTracker *t = level_tracker_new();
        CGroupSample s[] = { cg("/a", 3, 0) };
        update(t, s, 1, 10 * SEC);
        s[0].mem_psi = psi(15, 15, true);
        update(t, s, 1, 20 * SEC);
        s[0].mem_psi = psi(50, 50, true);
        update(t, s, 1, 25 * SEC);
        s[0].mem_psi = psi(21, 21, true);
        update(t, s, 1, 30 * SEC);
        s[0].mem_psi = psi(1, 1, true);
        cr_assert_eq(update(t, s, 1, 40 * SEC), 2);
        cr_assert_eq(seen[0].kind, LEVEL_EVENT_CHANGED);
        cr_assert_eq(seen[0].level, PRESSURE_LEVEL_OK);
        cr_assert_eq(seen[1].kind, LEVEL_EVENT_RECOVERED);
        cr_assert_eq(seen[1].worst, PRESSURE_LEVEL_CRITICAL);
        cr_assert_eq(seen[1].duration, 20 * SEC, "from leaving ok at 20 s to ok again at 40 s");
        level_tracker_free(t);
}

Test(level_tracker, vanished_and_recreated_cgroups) {
        LevelTracker *t = level_tracker_new();
        CGroupSample s[] = { cg("/a", 3, 0), cg("/b", 4, 0) };
        update(t, s, 2, 10 * SEC);
        cr_assert(level_tracker_count_kill(t, "/a"));
        cr_assert_not(level_tracker_count_kill(t, "/nope"));

        /* /a recreated (new inode), /b gone, /c new. */
        CGroupSample s2[] = { cg("/c", 6, 0), cg("/a", 5, 0) };
        cr_assert_eq(update(t, s2, 2, 20 * SEC), 4);
        cr_assert_eq(seen[0].kind, LEVEL_EVENT_ADDED);
        cr_assert_str_eq(seen[0].path, "/a");
        cr_assert_eq(seen[1].kind, LEVEL_EVENT_ADDED);
        cr_assert_str_eq(seen[1].path, "/c");
        cr_assert_eq(seen[2].kind, LEVEL_EVENT_REMOVED);
        cr_assert_eq(seen[3].kind, LEVEL_EVENT_REMOVED);
        cr_assert(!strcmp(seen[2].path, "/a") || !strcmp(seen[3].path, "/a"), "the old /a is removed");
        cr_assert(!strcmp(seen[2].path, "/b") || !strcmp(seen[3].path, "/b"));
        cr_assert_eq(level_tracker_find(t, "/a")->kill_count, 0, "the new /a has its own count");

        cr_assert_eq(update(t, NULL, 0, 30 * SEC), 2);
        size_t n;
        level_tracker_entries(t, &n);
        cr_assert_eq(n, 0);
        level_tracker_free(t);
}

Test(level_tracker, kill_count_survives_updates) {
        LevelTracker *t = level_tracker_new();
        CGroupSample s[] = { cg("/a", 3, 0) };
        update(t, s, 1, 10 * SEC);
        level_tracker_count_kill(t, "/a");
        level_tracker_count_kill(t, "/a");
        update(t, s, 1, 20 * SEC);
        cr_assert_eq(level_tracker_find(t, "/a")->kill_count, 2);
        level_tracker_free(t);
}

Test(level_tracker, unread_pressure_is_no_level_and_no_announcement) {
        LevelTracker *t = level_tracker_new();
        CGroupSample s[] = { cg("/a", 3, 0) };
        s[0].fields = CG_MEMORY_CURRENT;
        cr_assert_eq(update(t, s, 1, 10 * SEC), 1);
        cr_assert_eq(seen[0].level, PRESSURE_LEVEL_UNKNOWN);
        cr_assert_eq(update(t, s, 1, 20 * SEC), 0);
        level_tracker_free(t);
}

Test(level_tracker, system_level_and_low_memory_warnings) {
        LevelTracker *t = level_tracker_new();
        int calls = 0;
        cr_assert_eq(level_tracker_system_level(t), PRESSURE_LEVEL_UNKNOWN);

        n_seen = 0;
        level_tracker_update_system(t, PRESSURE_LEVEL_OK, 0, 10 * SEC, record, &calls);
        cr_assert_eq(n_seen, 0, "the first reading is the starting point");
        level_tracker_update_system(t, PRESSURE_LEVEL_UNKNOWN, -1, 11 * SEC, record, &calls);
        cr_assert_eq(n_seen, 0);

        level_tracker_update_system(t, PRESSURE_LEVEL_LOW, 8, 12 * SEC, record, &calls);
        cr_assert_eq(n_seen, 2);
        cr_assert_eq(seen[0].kind, LEVEL_EVENT_CHANGED);
        cr_assert_str_eq(seen[0].path, "/");
        cr_assert_eq(seen[1].kind, LEVEL_EVENT_LOW_MEMORY);
        cr_assert_eq(seen[1].level, PRESSURE_LEVEL_LOW);

        /* Staying low: no repeat before 15 s. Rising: at once (after the 2 s rate limit). */
        n_seen = 0;
        level_tracker_update_system(t, PRESSURE_LEVEL_LOW, 8, 20 * SEC, record, &calls);
        cr_assert_eq(n_seen, 0);
        level_tracker_update_system(t, PRESSURE_LEVEL_CRITICAL, 9, 21 * SEC, record, &calls);
        cr_assert_eq(n_seen, 2);
        cr_assert_eq(seen[1].kind, LEVEL_EVENT_LOW_MEMORY);
        cr_assert_eq(seen[1].level, PRESSURE_LEVEL_CRITICAL);

        /* Falling but not to ok: no warning; still above ok 15 s after the last warning: repeat. */
        n_seen = 0;
        level_tracker_update_system(t, PRESSURE_LEVEL_MEDIUM, 8, 24 * SEC, record, &calls);
        cr_assert_eq(n_seen, 1);
        cr_assert_eq(seen[0].kind, LEVEL_EVENT_CHANGED);
        n_seen = 0;
        level_tracker_update_system(t, PRESSURE_LEVEL_MEDIUM, 8, 36 * SEC, record, &calls);
        cr_assert_eq(n_seen, 1);
        cr_assert_eq(seen[0].kind, LEVEL_EVENT_LOW_MEMORY);
        cr_assert_eq(seen[0].level, PRESSURE_LEVEL_MEDIUM);

        /* Back to ok: changed + recovered, and the next rise warns again. */
        n_seen = 0;
        level_tracker_update_system(t, PRESSURE_LEVEL_OK, 0, 40 * SEC, record, &calls);
        cr_assert_eq(n_seen, 2);
        cr_assert_eq(seen[1].kind, LEVEL_EVENT_RECOVERED);
        cr_assert_eq(seen[1].worst, PRESSURE_LEVEL_CRITICAL);
        cr_assert_eq(seen[1].duration, 28 * SEC);
        n_seen = 0;
        level_tracker_update_system(t, PRESSURE_LEVEL_LOW, 8, 43 * SEC, record, &calls);
        cr_assert_eq(n_seen, 2);
        cr_assert_eq(seen[1].kind, LEVEL_EVENT_LOW_MEMORY);
        cr_assert_eq(level_tracker_system_level(t), PRESSURE_LEVEL_LOW);
        level_tracker_free(t);
}

/* ---- unit names ---- */

Test(unit_name, from_cgroup_paths) {
        cr_assert_str_eq(unit_name_of_cgroup("/system.slice/hog.service"), "hog.service");
        cr_assert_str_eq(unit_name_of_cgroup("/user.slice/user-1000.slice/session-2.scope"), "session-2.scope");
        cr_assert_str_eq(unit_name_of_cgroup("/workload.slice"), "workload.slice");
        cr_assert_str_eq(unit_name_of_cgroup("/a/b"), "");
        cr_assert_str_eq(unit_name_of_cgroup("/"), "");
        cr_assert_str_eq(unit_name_of_cgroup("/x/.service"), "", "nothing before the dot");
        cr_assert_str_eq(unit_name_of_cgroup(NULL), "");
        cr_assert(unit_name_is_valid("a.scope"));
        cr_assert_not(unit_name_is_valid("a/b.service"));
        cr_assert_not(unit_name_is_valid("a.mount"));
}

Test(level_tracker, a_partial_sample_measures_the_cgroups_it_read_and_nothing_else) {
        LevelTracker *t = level_tracker_new();
        CGroupSample s[] = { cg("/a", 3, 0), cg("/b", 4, 0) };
        int calls = 0;

        update(t, s, 2, 10 * SEC);
        /* /a under pressure, read alone: its change is announced, /b stays published and untouched */
        CGroupSample part[] = { cg("/", 1, 0), cg("/a", 3, 45), cg("/c", 5, 45), cg("/b", 99, 45) };
        n_seen = 0;
        level_tracker_measure(t, part, 4, 13 * SEC, record, &calls);
        cr_assert_eq(calls, 1, "only /a's change: /c is not published, /b's inode is not the published one");
        cr_assert_eq(seen[0].kind, LEVEL_EVENT_CHANGED);
        cr_assert_str_eq(seen[0].path, "/a");
        cr_assert_eq(seen[0].level, PRESSURE_LEVEL_CRITICAL);
        size_t n;
        const LevelEntry *e = level_tracker_entries(t, &n);
        cr_assert_eq(n, 2);
        cr_assert_eq(e[0].sample, &s[0], "the entry keeps its full sample");
        cr_assert_eq(e[1].level, PRESSURE_LEVEL_OK);
        cr_assert_null(level_tracker_find(t, "/c"));
        /* inside the rate limit a further change waits, as with full samples */
        part[1].mem_psi = psi(0, 0, true);
        n_seen = 0;
        calls = 0;
        level_tracker_measure(t, part, 2, 14 * SEC, record, &calls);
        cr_assert_eq(calls, 0);
        level_tracker_free(t);
}
