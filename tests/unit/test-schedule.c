/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The manager's schedule (core/schedule.h), from made-up figures: the fast and the normal interval,
 * the slow interval while PSI triggers stand guard, the runway to the floors that bounds every
 * wait, and when the daemon may go quiet.
 */
#include <criterion/criterion.h>

#include "daemon/core/schedule.h"

#define MSEC USEC_PER_MSEC
#define SEC USEC_PER_SEC
#define MiB (1024ull * 1024)
#define GiB (1024ull * MiB)

/* A machine at rest: 16 GiB, 12 GiB available, no swap; 1 s interval, 100 ms fast interval; PSI
 * triggers armed, the last one fired long ago; nothing pending, arming or above ok. */
static ScheduleInputs at_rest(void) {
        return (ScheduleInputs) {
                .now = 1000 * SEC,
                .interval_usec = 1 * SEC,
                .fast_interval_usec = 100 * MSEC,
                .last_sample_usec = 1000 * SEC,
                .triggers_armed = true,
                .last_trigger_usec = 0,
                .meminfo = { .valid = true, .mem_total = 16 * GiB, .mem_available = 12 * GiB },
                .levels_calm = true,
                .guarded = true,
                .guard_armed = true,
        };
}

Test(schedule, guard_percent_is_the_stall_over_the_window) {
        cr_assert_float_eq(schedule_guard_percent(true, 100 * MSEC), 10.0, 1e-9);
        cr_assert_float_eq(schedule_guard_percent(true, 50 * MSEC), 5.0, 1e-9);
        cr_assert_float_eq(schedule_guard_percent(false, 100 * MSEC), 0.0, 1e-9, "an unarmed trigger guards nothing");
}

Test(schedule, runway_without_floors_is_endless) {
        EngineGuard g = {};
        MemInfo mi = { .valid = true, .mem_total = 16 * GiB, .mem_available = 1 * MiB };
        cr_assert_eq(schedule_quiet_runway(&g, &mi), USEC_INFINITY);
}

Test(schedule, runway_is_the_gap_to_twice_the_floor_at_the_fastest_allocation) {
        EngineGuard g = { .mem_available_floor = 1 * GiB };
        /* 6000 MiB above twice the floor: one second at 6000 MiB/s */
        MemInfo mi = { .valid = true, .mem_total = 16 * GiB, .mem_available = 2 * GiB + 6000 * MiB };
        cr_assert_eq(schedule_quiet_runway(&g, &mi), 1 * SEC);
        mi.mem_available = 2 * GiB + 3000 * MiB;
        cr_assert_eq(schedule_quiet_runway(&g, &mi), 500 * MSEC);
        mi.mem_available = 2 * GiB; /* exactly at the margin: quiet is over */
        cr_assert_eq(schedule_quiet_runway(&g, &mi), 0);
        mi.mem_available = 2 * GiB + 1;
        cr_assert_lt(schedule_quiet_runway(&g, &mi), 1 * MSEC);
        mi.valid = false; /* unknown figures end quiet too */
        mi.mem_available = 12 * GiB;
        cr_assert_eq(schedule_quiet_runway(&g, &mi), 0);
}

Test(schedule, runway_takes_the_nearer_of_memory_and_swap) {
        EngineGuard g = { .mem_available_floor = 1 * GiB, .swap_free_floor = 512 * MiB };
        /* memory: 2 s away; swap: 800 MiB above 1 GiB at 800 MiB/s, 1 s away */
        MemInfo mi = { .valid = true, .mem_total = 16 * GiB, .mem_available = 2 * GiB + 12000 * MiB,
                       .swap_total = 4 * GiB, .swap_free = 1 * GiB + 800 * MiB };
        cr_assert_eq(schedule_quiet_runway(&g, &mi), 1 * SEC);
        mi.swap_free = 1 * GiB + 8000 * MiB; /* swap 10 s away: memory's 2 s win */
        cr_assert_eq(schedule_quiet_runway(&g, &mi), 2 * SEC);
        mi.swap_free = 1 * GiB; /* swap at its margin */
        cr_assert_eq(schedule_quiet_runway(&g, &mi), 0);
}

Test(schedule, quiet_wake_is_the_periodic_sample) {
        ScheduleInputs in = at_rest();
        in.last_sample_usec = in.now - 10 * SEC;
        cr_assert_eq(schedule_quiet_wake(&in), QUIET_REFRESH_USEC - 10 * SEC);
        in.last_sample_usec = in.now - QUIET_REFRESH_USEC;
        cr_assert_eq(schedule_quiet_wake(&in), 1, "due: at once");
        in.last_sample_usec = in.now - 2 * QUIET_REFRESH_USEC;
        cr_assert_eq(schedule_quiet_wake(&in), 1);
}

Test(schedule, quiet_look_delay_is_the_runway_within_its_bounds) {
        ScheduleInputs in = at_rest();
        in.guard.mem_available_floor = 1 * GiB;
        in.meminfo.mem_available = 2 * GiB + 6000 * MiB;
        cr_assert_eq(schedule_quiet_look_delay(&in), 1 * SEC);
        in.meminfo.mem_available = 2 * GiB + 60 * MiB; /* 10 ms away: no faster than QUIET_MIN_WAKE_USEC */
        cr_assert_eq(schedule_quiet_look_delay(&in), QUIET_MIN_WAKE_USEC);
        in.meminfo.mem_available = 2 * GiB + 600000 * MiB; /* 100 s away: at least once per refresh */
        cr_assert_eq(schedule_quiet_look_delay(&in), QUIET_REFRESH_USEC);
        in.guard = (EngineGuard) {}; /* no floor: the refresh's pace */
        cr_assert_eq(schedule_quiet_look_delay(&in), QUIET_REFRESH_USEC);
}

Test(schedule, quiet_at_rest) {
        ScheduleInputs in = at_rest();
        cr_assert_null(schedule_not_quiet_reason(&in));
}

Test(schedule, not_quiet_reasons_in_order) {
        ScheduleInputs in = at_rest();
        PendingKill p = { .deadline = in.now + 5 * SEC };

        in.pending = &p;
        in.n_pending = 1;
        in.levels_calm = false; /* a pending kill is said first */
        cr_assert_str_eq(schedule_not_quiet_reason(&in), "a kill is waiting for its target to exit");
        in.n_pending = 0;
        in.last_trigger_usec = in.now - TRIGGER_HOLD_USEC;
        cr_assert_str_eq(schedule_not_quiet_reason(&in), "a PSI trigger fired less than 10 s ago");
        in.last_trigger_usec = in.now - TRIGGER_HOLD_USEC - 1;
        cr_assert_str_eq(schedule_not_quiet_reason(&in), "a cgroup's published pressure level is not ok");
        in.levels_calm = true;
        in.guarded = false;
        cr_assert_str_eq(schedule_not_quiet_reason(&in),
                         "a detector is arming or holding, or no trigger or floor can stand in for it");
        in.guard_armed = false;
        cr_assert_str_eq(schedule_not_quiet_reason(&in), "the system PSI trigger is not armed");
        in.guarded = in.guard_armed = true;
        in.guard.mem_available_floor = 6 * GiB; /* 12 GiB available: at twice the floor */
        cr_assert_str_eq(schedule_not_quiet_reason(&in), "MemAvailable or SwapFree is down to twice a floor a rule relies on");
        in.guard.mem_available_floor = 6 * GiB - 1; /* 2 bytes of gap: under a microsecond's allocation */
        cr_assert_str_eq(schedule_not_quiet_reason(&in), "MemAvailable or SwapFree is down to twice a floor a rule relies on");
        in.guard.mem_available_floor = 6 * GiB - 6 * MiB; /* 12 MiB of gap: 2 ms */
        cr_assert_null(schedule_not_quiet_reason(&in));
}

Test(schedule, quiet_sleeps_until_the_periodic_sample) {
        ScheduleInputs in = at_rest();
        in.quiet = true;
        in.arming = true; /* quiet was decided with everything else: its own wake counts */
        in.last_sample_usec = in.now - 20 * SEC;
        cr_assert_eq(schedule_next_interval(&in), 40 * SEC);
}

Test(schedule, a_pending_kill_is_checked_every_fast_interval_and_at_its_deadline) {
        ScheduleInputs in = at_rest();
        PendingKill p[2] = { { .deadline = in.now + 5 * SEC }, { .deadline = in.now + 30 * MSEC } };
        in.pending = p;
        in.n_pending = 1;
        cr_assert_eq(schedule_next_interval(&in), 100 * MSEC);
        in.n_pending = 2;
        cr_assert_eq(schedule_next_interval(&in), 30 * MSEC, "the nearer deadline");
        p[1].deadline = in.now; /* due now: not a zero delay */
        cr_assert_eq(schedule_next_interval(&in), 100 * MSEC);
        in.fast_interval_usec = 0;
        cr_assert_eq(schedule_next_interval(&in), 1, "never 0");
}

Test(schedule, arming_samples_fast) {
        ScheduleInputs in = at_rest();
        in.arming = true;
        cr_assert_eq(schedule_next_interval(&in), 100 * MSEC);
}

Test(schedule, guarded_plentiful_memory_slows_down) {
        ScheduleInputs in = at_rest();
        in.meminfo.mem_total = 256 * GiB;
        in.meminfo.mem_available = 200 * GiB; /* a runway of over 30 s */
        cr_assert_eq(schedule_next_interval(&in), QUIET_INTERVAL_FACTOR * 1 * SEC);
        in.interval_usec = 5 * SEC; /* 20 s: capped */
        cr_assert_eq(schedule_next_interval(&in), QUIET_INTERVAL_MAX_USEC);
        in.interval_usec = 20 * SEC; /* the policy's own interval is longer than the cap: kept */
        cr_assert_eq(schedule_next_interval(&in), 20 * SEC);
}

Test(schedule, the_normal_interval_without_guard_or_plenty) {
        ScheduleInputs in = at_rest();
        in.meminfo.mem_total = 256 * GiB;
        in.meminfo.mem_available = 200 * GiB;
        in.last_trigger_usec = in.now - 5 * SEC; /* a trigger fired: no slowing down for a while */
        cr_assert_eq(schedule_next_interval(&in), 1 * SEC);
        in.last_trigger_usec = 0;
        in.triggers_armed = false;
        cr_assert_eq(schedule_next_interval(&in), 1 * SEC);
        in.triggers_armed = true;
        in.meminfo.mem_available = in.meminfo.mem_total / 10000 * QUIET_MEM_AVAILABLE_PERMYRIAD; /* 20%: not more */
        cr_assert_eq(schedule_next_interval(&in), 1 * SEC);
}

Test(schedule, the_runway_shortens_the_interval_down_to_the_fast_one) {
        ScheduleInputs in = at_rest();
        in.meminfo.mem_available = 3000 * MiB; /* 0.5 s at 6000 MiB/s */
        cr_assert_eq(schedule_next_interval(&in), 500 * MSEC);
        in.meminfo.mem_available = 60 * MiB; /* 10 ms: never under the fast interval */
        cr_assert_eq(schedule_next_interval(&in), 100 * MSEC);
        in.meminfo.valid = false; /* unknown: the interval */
        cr_assert_eq(schedule_next_interval(&in), 1 * SEC);
}
