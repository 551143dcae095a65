/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The candidates' back-off while the rulesets that fire find no victim (core/victimless.h), driven
 * the way the manager drives it: a sample every 250 ms, the candidates read when the back-off is
 * out or when a ruleset fires that is not currently known victimless. Above all: a ruleset that
 * flaps under a long stall does not force a read of every candidate each time it starts again, and
 * nothing new is ever held back.
 */
#include <criterion/criterion.h>

#include "daemon/core/victimless.h"

#define MSEC USEC_PER_MSEC
#define SEC USEC_PER_SEC
#define GiB (1024ull * 1024 * 1024)
#define A (UINT64_C(1) << 0) /* a ruleset that fires on and on, its candidates all omitted */
#define S (UINT64_C(1) << 1) /* a system-wide one on the edge of its threshold: it flaps */
#define N (UINT64_C(1) << 2) /* one that starts firing later */

typedef struct Sim {
        Victimless v;
        usec_t last_full;
        unsigned reads;
        MemInfo mi;
} Sim;

static Sim sim_new(void) {
        Sim s = { .mi = { .valid = true, .mem_total = 16 * GiB, .mem_available = 8 * GiB } };
        victimless_reset(&s.v);
        return s;
}

/* One sample at `now`: true when it read every candidate, as manager_sample() decides that. */
static bool sim_step(Sim *s, usec_t now, uint64_t fired, bool victim) {
        usec_t every = victimless_refresh(&s->v, SEC, &s->mi);
        bool full = s->last_full == 0 || now - s->last_full >= every ||
                    (fired & ~victimless_current(&s->v, now, every)) != 0;
        if (full) {
                s->reads++;
                s->last_full = now;
                if (victim) /* a kill: the candidates are no longer what they were */
                        victimless_reset(&s->v);
                else
                        victimless_note_whole(&s->v, now, every, fired, &s->mi);
        }
        return full;
}

/* A fires on; S is on or off for each 750 ms at random (a fixed sequence): on the edge of its threshold. */
static uint64_t flapping(usec_t t) {
        uint32_t slot = (uint32_t) (t / (750 * MSEC));
        return A | (((slot * 2654435761u) >> 13) & 1 ? S : 0);
}

Test(victimless, the_candidates_back_off_while_one_ruleset_fires_without_a_victim) {
        Sim s = sim_new();
        for (usec_t t = 10 * SEC; t < 130 * SEC; t += 250 * MSEC)
                sim_step(&s, t, A, false);
        /* at 10, 11, 13, 17, 25, 41, 73, 133...: the back-off doubles to 60 s */
        cr_assert_leq(s.reads, 8, "%u reads of every candidate in 120 s", s.reads);
        cr_assert_geq(s.reads, 6, "%u reads of every candidate in 120 s: the back-off outran its doubling", s.reads);
        cr_assert_eq(victimless_refresh(&s.v, SEC, &s.mi), VICTIMLESS_REFRESH_MAX_USEC);
}

Test(victimless, a_ruleset_that_flaps_under_the_same_stall_forces_no_read_each_time) {
        Sim s = sim_new();
        unsigned flaps = 0;
        uint64_t was = 0;
        for (usec_t t = 10 * SEC; t < 130 * SEC; t += 250 * MSEC) {
                uint64_t fired = flapping(t);
                flaps += (fired & ~was & S) != 0;
                was = fired;
                sim_step(&s, t, fired, false);
        }
        cr_assert_geq(flaps, 15, "the test's ruleset flapped %u times", flaps);
        /* when the set that fired had to match the last whole sample's, this was 67 reads: every start
         * of S, and every whole sample that found S off, began the back-off again. Now a start within
         * the back-off of the last whole sample that found S victimless reads nothing, and one after it
         * confirms S again without starting over: 7 */
        cr_assert_leq(s.reads, 12, "%u reads of every candidate in 120 s while S flapped %u times", s.reads, flaps);
}

Test(victimless, a_ruleset_never_found_victimless_reads_the_candidates_at_once) {
        Sim s = sim_new();
        usec_t t = 10 * SEC;
        for (; t < 70 * SEC; t += 250 * MSEC)
                sim_step(&s, t, A, false);
        cr_assert(sim_step(&s, t, A | N, false), "N fired for the first time and the candidates were not read");
        cr_assert_eq(victimless_refresh(&s.v, SEC, &s.mi), SEC, "the back-off did not start again for N");
        t += 250 * MSEC;
        cr_assert_not(sim_step(&s, t, A | N, false), "N was found victimless 250 ms ago");
}

Test(victimless, a_flapping_ruleset_is_read_again_once_its_back_off_is_out) {
        Sim s = sim_new();
        usec_t t = 10 * SEC;
        for (; t < 14 * SEC; t += 250 * MSEC)
                sim_step(&s, t, A | S, false);
        /* S stops; A fires on; the whole samples find A alone */
        for (; t < 80 * SEC; t += 250 * MSEC)
                sim_step(&s, t, A, false);
        usec_t every = victimless_refresh(&s.v, SEC, &s.mi);
        cr_assert_lt(every, 70 * SEC);
        cr_assert_eq(victimless_current(&s.v, t, every) & S, 0, "S has not been found victimless for %llu s and still counts",
                     (unsigned long long) ((t - 13 * SEC) / SEC));
        cr_assert(sim_step(&s, t, A | S, false), "S started again after its back-off and the candidates were not read");
}

Test(victimless, a_kill_forgets_the_back_off) {
        Sim s = sim_new();
        usec_t t = 10 * SEC;
        for (; t < 50 * SEC; t += 250 * MSEC)
                sim_step(&s, t, A | S, false);
        cr_assert_gt(victimless_refresh(&s.v, SEC, &s.mi), SEC);
        cr_assert(sim_step(&s, t, A | N, true), "N fired for the first time and the candidates were not read");
        cr_assert_eq(victimless_refresh(&s.v, SEC, &s.mi), SEC);
        cr_assert_eq(victimless_current(&s.v, t, SEC), 0, "still victimless after a kill");
}

/* A dry run's victim (the default system ruleset, choosing a process every post_action_delay while
 * the cost benchmark's hog stalls the machine) kills nothing: the others' back-off goes on. */
Test(victimless, a_dry_run_victim_ends_its_own_rulesets_back_off_alone) {
        Sim s = sim_new();
        usec_t t = 10 * SEC;
        for (; t < 50 * SEC; t += 250 * MSEC)
                sim_step(&s, t, A | S, false);
        usec_t every = victimless_refresh(&s.v, SEC, &s.mi);
        cr_assert_gt(every, 8 * SEC);
        victimless_note_victim(&s.v, S);
        cr_assert_eq(victimless_refresh(&s.v, SEC, &s.mi), every, "A's back-off ended with S's dry run");
        cr_assert_eq(victimless_current(&s.v, t, every), A, "S chose a victim and still counts as victimless");
        victimless_note_victim(&s.v, A);
        cr_assert_eq(s.v.found, 0);
        cr_assert_eq(victimless_refresh(&s.v, SEC, &s.mi), SEC);
}

Test(victimless, a_fall_in_mem_available_ends_the_back_off) {
        Sim s = sim_new();
        usec_t t = 10 * SEC;
        for (; t < 50 * SEC; t += 250 * MSEC)
                sim_step(&s, t, A, false);
        cr_assert_gt(victimless_refresh(&s.v, SEC, &s.mi), 8 * SEC);
        s.mi.mem_available -= s.mi.mem_total / VICTIMLESS_MEM_DROP_DIVISOR / 2; /* half the fall: not yet */
        cr_assert_gt(victimless_refresh(&s.v, SEC, &s.mi), 8 * SEC);
        s.mi.mem_available -= s.mi.mem_total / VICTIMLESS_MEM_DROP_DIVISOR;
        cr_assert_eq(victimless_refresh(&s.v, SEC, &s.mi), SEC, "MemAvailable fell by a 1/%d of MemTotal",
                     VICTIMLESS_MEM_DROP_DIVISOR);
        cr_assert(sim_step(&s, t, A, false), "the fall did not bring the candidates' read forward");
}

Test(victimless, nothing_firing_forgets_once_the_back_off_is_out) {
        Sim s = sim_new();
        usec_t t = 10 * SEC;
        for (; t < 40 * SEC; t += 250 * MSEC)
                sim_step(&s, t, A, false);
        cr_assert_neq(s.v.found, 0);
        for (; t < 200 * SEC; t += 250 * MSEC)
                sim_step(&s, t, 0, false);
        cr_assert_eq(s.v.found, 0, "found victimless %llu s after anything fired", (unsigned long long) ((t - 40 * SEC) / SEC));
        cr_assert_eq(victimless_refresh(&s.v, SEC, &s.mi), SEC);
        cr_assert(sim_step(&s, t, A, false), "A fired in a new stretch and the candidates were not read");
}

Test(victimless, the_back_off_never_exceeds_the_cap_nor_shortens_a_longer_interval) {
        Victimless v;
        MemInfo mi = { .valid = true, .mem_total = 16 * GiB, .mem_available = 8 * GiB };
        victimless_reset(&v);
        for (unsigned i = 0; i < 20; i++)
                victimless_note_whole(&v, (i + 1) * SEC, SEC, A, &mi);
        cr_assert_eq(v.streak, VICTIMLESS_BACKOFF_STEPS);
        cr_assert_eq(victimless_refresh(&v, SEC, &mi), VICTIMLESS_REFRESH_MAX_USEC);
        cr_assert_eq(victimless_refresh(&v, 90 * SEC, &mi), 90 * SEC);
}

Test(victimless, a_dear_read_of_the_candidates_comes_at_most_a_tenth_of_the_time) {
        cr_assert_eq(victimless_within_duty(SEC, 20 * MSEC), SEC, "a cheap read: every interval, as before");
        cr_assert_eq(victimless_within_duty(SEC, 3800 * MSEC), 38 * SEC, "10,000 cgroups in a slow guest");
        cr_assert_eq(victimless_within_duty(16 * SEC, 800 * MSEC), 16 * SEC, "the back-off, when it is longer");
        cr_assert_eq(victimless_within_duty(SEC, 30 * SEC), VICTIMLESS_REFRESH_MAX_USEC, "never past the back-off's cap");
        cr_assert_eq(victimless_within_duty(90 * SEC, 30 * SEC), 90 * SEC, "nor shorter than a longer interval");
}
