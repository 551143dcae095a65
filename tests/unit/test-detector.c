/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <string.h>

#include "detector.h"
#include "policy-builders.h"

static DetectorVerdict eval(const Detector *d, DetectorState *st, TestSample *t, usec_t now) {
        t->s.now = now;
        return detector_evaluate(d, st, &t->s, NULL);
}

static void describe(const Detector *d, const DetectorState *st, char *buf, size_t size) {
        int n = detector_describe(d, st, buf, size);
        cr_assert(n > 0 && (size_t) n < size, "description truncated: %s", buf);
}

Test(detector, duration_arms_then_fires) {
        Detector d = pressure_above(SYSTEM, 40, SEC(10));
        DetectorState st = {};
        TestSample t;

        ts_init(&t, 0);
        t.s.system.mem_psi.full = psi(52.3, 10, 5);
        cr_assert_eq(eval(&d, &st, &t, SEC(100)), DETECTOR_ARMING);
        cr_assert_eq(eval(&d, &st, &t, SEC(105)), DETECTOR_ARMING);
        cr_assert_eq(eval(&d, &st, &t, SEC(110) - 1), DETECTOR_ARMING);
        cr_assert_eq(eval(&d, &st, &t, SEC(110)), DETECTOR_FIRED);
        cr_assert_eq(eval(&d, &st, &t, SEC(111)), DETECTOR_FIRED);
}

Test(detector, false_condition_resets_timer) {
        Detector d = pressure_above(SYSTEM, 40, SEC(10));
        DetectorState st = {};
        TestSample t;

        ts_init(&t, 0);
        t.s.system.mem_psi.full = psi(50, 0, 0);
        cr_assert_eq(eval(&d, &st, &t, SEC(0)), DETECTOR_ARMING);
        cr_assert_eq(eval(&d, &st, &t, SEC(9)), DETECTOR_ARMING);
        t.s.system.mem_psi.full = psi(40, 0, 0); /* not above: equal */
        cr_assert_eq(eval(&d, &st, &t, SEC(10)), DETECTOR_QUIET);
        t.s.system.mem_psi.full = psi(50, 0, 0);
        cr_assert_eq(eval(&d, &st, &t, SEC(11)), DETECTOR_ARMING);
        cr_assert_eq(eval(&d, &st, &t, SEC(20)), DETECTOR_ARMING);
        cr_assert_eq(eval(&d, &st, &t, SEC(21)), DETECTOR_FIRED);
}

Test(detector, zero_duration_fires_at_once) {
        Detector d = pressure_above(SYSTEM, 40, 0);
        DetectorState st = {};
        TestSample t;

        ts_init(&t, 0);
        t.s.system.mem_psi.full = psi(41, 0, 0);
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_FIRED); /* even at time 0 */
}

Test(detector, clock_going_back_restarts) {
        Detector d = pressure_above(SYSTEM, 40, SEC(10));
        DetectorState st = {};
        TestSample t;

        ts_init(&t, 0);
        t.s.system.mem_psi.full = psi(50, 0, 0);
        cr_assert_eq(eval(&d, &st, &t, SEC(50)), DETECTOR_ARMING);
        cr_assert_eq(eval(&d, &st, &t, SEC(5)), DETECTOR_ARMING);
        cr_assert_eq(eval(&d, &st, &t, SEC(14)), DETECTOR_ARMING);
        cr_assert_eq(eval(&d, &st, &t, SEC(15)), DETECTOR_FIRED);
}

Test(detector, pressure_kind_window_resource) {
        TestSample t;
        DetectorState st = {};
        Detector d = pressure_above(SYSTEM, 30, 0);

        ts_init(&t, 0);
        t.s.system.mem_psi.some = psi(10, 35, 20);
        t.s.system.mem_psi.full = psi(5, 5, 5);
        t.s.system.io_psi.full = psi(90, 90, 90);

        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_QUIET);
        d.kind = PSI_KIND_SOME;
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_QUIET);
        d.window = PSI_WINDOW_AVG60;
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_FIRED);
        d.window = PSI_WINDOW_AVG300;
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_QUIET);

        d = pressure_above(SYSTEM, 30, 0);
        d.resource = PSI_RESOURCE_IO;
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_FIRED);
}

Test(detector, invalid_psi_never_fires) {
        TestSample t;
        DetectorState st = {};
        Detector d = pressure_above(SYSTEM, 10, 0);

        ts_init(&t, 0);
        t.s.system.mem_psi.full = (PsiLine) { .avg10 = 99, .valid = false };
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_QUIET);
}

Test(detector, highest_matching_cgroup_counts) {
        TestSample t;
        DetectorState st = {};
        Detector d = pressure_above(PATTERNS(pat("/user.slice/*")), 40, 0);
        CGroupSample *a, *b, *c, *unread;
        char buf[256];

        ts_init(&t, 0);
        t.s.system.mem_psi.full = psi(99, 99, 99); /* "/" is not among the patterns */
        ts_cgroup(&t, "/", 1, 0, 0)->mem_psi.full = psi(99, 99, 99);
        a = ts_cgroup(&t, "/user.slice/a.scope", 2, 10, MiB(10));
        b = ts_cgroup(&t, "/user.slice/b.scope", 3, 10, MiB(10));
        c = ts_cgroup(&t, "/system.slice/c.service", 4, 11, MiB(10));
        unread = ts_cgroup(&t, "/user.slice/d.scope", 5, 10, MiB(10));
        a->mem_psi.full = psi(20, 0, 0);
        b->mem_psi.full = psi(30, 0, 0);
        c->mem_psi.full = psi(80, 0, 0);
        unread->mem_psi.full = psi(95, 0, 0);
        unread->fields &= ~CG_MEMORY_PSI;
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_QUIET);

        b->mem_psi.full = psi(45.5, 0, 0);
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_FIRED);
        describe(&d, &st, buf, sizeof(buf));
        cr_assert_str_eq(buf, "memory full avg10 45.50% > 40% on /user.slice/b.scope");
}

Test(detector, system_and_cgroup_patterns_mix) {
        TestSample t;
        DetectorState st = {};
        Detector d = pressure_above(PATTERNS(pat("/"), pat("/x.slice")), 40, 0);
        char buf[256];

        ts_init(&t, 0);
        ts_cgroup(&t, "/x.slice", 2, 1, MiB(1))->mem_psi.full = psi(10, 0, 0);
        t.s.system.mem_psi.full = psi(60, 0, 0);
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_FIRED);
        describe(&d, &st, buf, sizeof(buf));
        cr_assert_str_eq(buf, "memory full avg10 60.00% > 40% on /");
}

Test(detector, description_names_duration) {
        TestSample t;
        DetectorState st = {};
        Detector d = pressure_above(SYSTEM, 40, SEC(10));
        char buf[256];

        ts_init(&t, 0);
        t.s.system.mem_psi.full = psi(52.3, 0, 0);
        eval(&d, &st, &t, 0);
        cr_assert_eq(eval(&d, &st, &t, SEC(10)), DETECTOR_FIRED);
        describe(&d, &st, buf, sizeof(buf));
        cr_assert_str_eq(buf, "memory full avg10 52.30% > 40% for 10s on /");
}

Test(detector, rising_beyond) {
        TestSample t;
        DetectorState st = {};
        Detector d = detector(DETECTOR_PRESSURE_RISING_BEYOND, SYSTEM);
        char buf[256];

        d.threshold = 50;
        ts_init(&t, 0);
        t.s.system.mem_psi.full = psi(80, 40, 0); /* avg60 not yet beyond */
        cr_assert_eq(eval(&d, &st, &t, SEC(1)), DETECTOR_QUIET);
        t.s.system.mem_psi.full = psi(80, 60, 0);
        cr_assert_eq(eval(&d, &st, &t, SEC(2)), DETECTOR_FIRED);
        describe(&d, &st, buf, sizeof(buf));
        cr_assert_str_eq(buf, "memory full avg10 80.00% and avg60 60.00% > 50% and not falling on /");

        /* 60 < 80 * 0.85 = 68: falling fast, the pressure is passing */
        t.s.system.mem_psi.full = psi(60, 60, 0);
        cr_assert_eq(eval(&d, &st, &t, SEC(3)), DETECTOR_QUIET);
        /* 55 >= 60 * 0.85 = 51: no longer falling fast */
        t.s.system.mem_psi.full = psi(55, 60, 0);
        cr_assert_eq(eval(&d, &st, &t, SEC(4)), DETECTOR_FIRED);
        /* avg10 below the threshold */
        t.s.system.mem_psi.full = psi(49, 60, 0);
        cr_assert_eq(eval(&d, &st, &t, SEC(5)), DETECTOR_QUIET);
}

Test(detector, rising_beyond_first_sample_is_not_falling) {
        TestSample t;
        DetectorState st = {};
        Detector d = detector(DETECTOR_PRESSURE_RISING_BEYOND, SYSTEM);

        d.threshold = 10;
        d.duration_usec = SEC(2);
        ts_init(&t, 0);
        t.s.system.mem_psi.full = psi(20, 20, 0);
        cr_assert_eq(eval(&d, &st, &t, SEC(1)), DETECTOR_ARMING);
        cr_assert_eq(eval(&d, &st, &t, SEC(3)), DETECTOR_FIRED);
}

Test(detector, memory_above_system) {
        TestSample t;
        DetectorState st = {};
        Detector d = detector(DETECTOR_MEMORY_ABOVE, SYSTEM);
        char buf[256];

        ts_init(&t, 0); /* 16G total, 8G available: 8G in use */
        d.amount = percent(50);
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_QUIET); /* 8G is not above 8G */
        t.s.system.meminfo.mem_available = GiB(7);
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_FIRED);
        describe(&d, &st, buf, sizeof(buf));
        cr_assert_str_eq(buf, "memory 9.0G > 8.0G on /");

        d.amount = bytes(GiB(10));
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_QUIET);

        /* a percent of an unknown MemTotal never fires */
        d.amount = percent(1);
        t.s.system.meminfo.valid = false;
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_QUIET);
}

Test(detector, memory_above_cgroups_and_anon) {
        TestSample t;
        DetectorState st = {};
        Detector d = detector(DETECTOR_MEMORY_ABOVE, PATTERNS(pat("/work.slice/*")));
        CGroupSample *a;
        char buf[256];

        ts_init(&t, 0);
        a = ts_cgroup(&t, "/work.slice/a.service", 2, 1, GiB(3));
        ts_cgroup(&t, "/work.slice/b.service", 3, 1, GiB(1));
        ts_cgroup(&t, "/other.slice", 4, 1, GiB(12));
        a->anon = GiB(1);
        d.amount = bytes(GiB(2));
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_FIRED);
        describe(&d, &st, buf, sizeof(buf));
        cr_assert_str_eq(buf, "memory 3.0G > 2.0G on /work.slice/a.service");

        d.anon = true;
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_QUIET);
        a->anon = GiB(2) + 1;
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_FIRED);

        /* memory.stat not read: anon unknown, not counted */
        a->fields &= ~CG_MEMORY_STAT;
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_QUIET);
}

Test(detector, memory_above_degraded_sums_rss) {
        TestSample t;
        DetectorState st = {};
        Detector d = detector(DETECTOR_MEMORY_ABOVE, PATTERNS(pat("/user.slice")));

        ts_init(&t, 0);
        t.s.degraded = true;
        ts_cgroup(&t, "/user.slice", 2, 1, 0)->fields = CG_EVENTS;
        ts_proc(&t, 100, "a", "/user.slice", MiB(300));
        ts_proc(&t, 101, "b", "/user.slice/app.scope", MiB(300));
        ts_proc(&t, 102, "c", "/user.slicer", GiB(4)); /* not below: a sibling with a longer name */
        ts_proc(&t, 103, "d", "/", GiB(4));
        d.amount = bytes(MiB(500));
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_FIRED);
        cr_assert_float_eq(st.seen.value, (double) MiB(600), 1);

        d.amount = bytes(MiB(600));
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_QUIET);

        d.anon = true; /* rss_anon is half the rss in the builders */
        d.amount = bytes(MiB(299));
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_FIRED);
        cr_assert_float_eq(st.seen.value, (double) MiB(300), 1);
}

Test(detector, memory_reclaim_window) {
        TestSample t;
        DetectorState st = {};
        Detector d = detector(DETECTOR_MEMORY_RECLAIM, SYSTEM);
        char buf[256];

        d.duration_usec = SEC(10);
        ts_init(&t, 0);
        cr_assert_eq(eval(&d, &st, &t, SEC(100)), DETECTOR_QUIET); /* never seen moving */
        t.s.system.last_pgscan_usec = SEC(95);
        cr_assert_eq(eval(&d, &st, &t, SEC(100)), DETECTOR_FIRED); /* no arming time */
        describe(&d, &st, buf, sizeof(buf));
        cr_assert_str_eq(buf, "reclaim active on / within 10s");
        cr_assert_eq(eval(&d, &st, &t, SEC(105)), DETECTOR_FIRED);
        cr_assert_eq(eval(&d, &st, &t, SEC(105) + 1), DETECTOR_QUIET);
}

Test(detector, memory_reclaim_cgroups) {
        TestSample t;
        DetectorState st = {};
        Detector d = detector(DETECTOR_MEMORY_RECLAIM, PATTERNS(pat("/a")));
        CGroupSample *a;

        d.duration_usec = SEC(5);
        ts_init(&t, SEC(100));
        t.s.system.last_pgscan_usec = SEC(99);
        a = ts_cgroup(&t, "/a", 2, 1, MiB(1));
        a->last_pgscan_usec = SEC(50);
        cr_assert_eq(eval(&d, &st, &t, SEC(100)), DETECTOR_QUIET); /* the cgroup's own counter counts */
        a->last_pgscan_usec = SEC(96);
        cr_assert_eq(eval(&d, &st, &t, SEC(100)), DETECTOR_FIRED);

        /* degraded: no memory.stat, the system's counter stands in */
        a->last_pgscan_usec = 0;
        t.s.degraded = true;
        cr_assert_eq(eval(&d, &st, &t, SEC(100)), DETECTOR_FIRED);
}

/* A glob of every child of /p is read at /p: cgroup v2 counts reclaim up the tree, so /p's pgscan
 * moves exactly when a child's does. Any other glob reads each match. */
Test(detector, memory_reclaim_children_read_at_parent) {
        static const char json[] =
                "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[{\"type\": \"memory_reclaim\", "
                "\"cgroup\": [\"/p/*\", \"/q/x-*\", \"/\"], \"duration\": \"5s\"}]], "
                "\"actions\": [{\"type\": \"kill\"}]}]}";
        Policy *p = NULL;
        PolicyError err = {};
        TestSample t;
        DetectorState st = {};
        const Detector *d;
        char buf[256];

        cr_assert_eq(policy_parse(json, "test", &p, &err), 0, "%s", err.message);
        d = &p->rulesets[0].groups[0].detectors[0];
        cr_assert_eq(d->reclaim_at.n, 3);
        cr_assert_str_eq(d->reclaim_at.items[0].glob, "/p");
        cr_assert_str_eq(d->reclaim_at.items[1].glob, "/q/x-*", "not every child: each match is read");
        cr_assert_str_eq(d->reclaim_at.items[2].glob, "/");

        ts_init(&t, SEC(100));
        ts_cgroup(&t, "/p", 2, 1, MiB(1))->last_pgscan_usec = SEC(97);
        ts_cgroup(&t, "/p/c", 3, 2, MiB(1))->last_pgscan_usec = SEC(10);
        cr_assert_eq(detector_evaluate(d, &st, &t.s, NULL), DETECTOR_FIRED, "the parent's counter stands for its children");
        detector_describe(d, &st, buf, sizeof buf);
        cr_assert(strstr(buf, "/p "), "%s", buf);

        t.cg[0].last_pgscan_usec = SEC(10);
        t.cg[1].last_pgscan_usec = SEC(99);
        cr_assert_eq(detector_evaluate(d, &st, &t.s, NULL), DETECTOR_QUIET, "a child's own sample is not a source");
        policy_free(p);
}

Test(detector, swap_free_below) {
        TestSample t;
        DetectorState st = {};
        Detector d = detector(DETECTOR_SWAP_FREE_BELOW, SYSTEM);
        char buf[256];

        d.amount = percent(10);
        ts_init(&t, 0);
        /* no swap at all: nothing to fall back on, the condition holds */
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_FIRED);
        describe(&d, &st, buf, sizeof(buf));
        cr_assert_str_eq(buf, "no swap configured");

        t.s.system.meminfo.swap_total = GiB(4);
        t.s.system.meminfo.swap_free = GiB(1);
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_QUIET);
        t.s.system.meminfo.swap_free = MiB(300); /* 10% of 4G is 409.6M */
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_FIRED);
        describe(&d, &st, buf, sizeof(buf));
        cr_assert_str_eq(buf, "swap free 300M < 410M");

        t.s.system.meminfo.valid = false;
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_QUIET);
        t.s.system.meminfo.swap_total = 0;
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_QUIET);
}

Test(detector, mem_available_below) {
        TestSample t;
        DetectorState st = {};
        Detector d = detector(DETECTOR_MEM_AVAILABLE_BELOW, SYSTEM);
        char buf[256];

        d.amount = percent(10); /* 1.6G of 16G */
        d.duration_usec = MSEC(1500);
        ts_init(&t, 0);
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_QUIET);
        t.s.system.meminfo.mem_available = GiB(1);
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_ARMING);
        cr_assert_eq(eval(&d, &st, &t, MSEC(1500)), DETECTOR_FIRED);
        describe(&d, &st, buf, sizeof(buf));
        cr_assert_str_eq(buf, "MemAvailable 1.0G < 1.6G for 1500ms");

        /* Just under the floor: the two figures print apart, not "1.6G < 1.6G". */
        t.s.system.meminfo.mem_available = GiB(16) / 10 - 20 * 1024 * 1024;
        cr_assert_eq(eval(&d, &st, &t, SEC(1)), DETECTOR_ARMING);
        describe(&d, &st, buf, sizeof(buf));
        cr_assert_str_eq(buf, "MemAvailable 1.58G < 1.60G for 1500ms");
        /* one byte under: in bytes */
        t.s.system.meminfo.mem_available = GiB(16) / 10 - 1;
        cr_assert_eq(eval(&d, &st, &t, SEC(1)), DETECTOR_ARMING);
        describe(&d, &st, buf, sizeof(buf));
        cr_assert_str_eq(buf, "MemAvailable 1717986917B < 1717986918B for 1500ms");
        t.s.system.meminfo.mem_available = GiB(1);

        t.s.system.meminfo.valid = false;
        cr_assert_eq(eval(&d, &st, &t, SEC(2)), DETECTOR_QUIET);
}

Test(detector, exists_and_negate) {
        TestSample t;
        DetectorState st = {};
        Detector d = detector(DETECTOR_EXISTS, PATTERNS(pat("/batch.slice/*")));
        char buf[256];

        ts_init(&t, 0);
        ts_cgroup(&t, "/batch.slice", 2, 1, 0);
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_QUIET);
        d.negate = true;
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_FIRED);
        describe(&d, &st, buf, sizeof(buf));
        cr_assert_str_eq(buf, "no cgroup matches /batch.slice/*");

        ts_cgroup(&t, "/batch.slice/job1.service", 3, 2, 0);
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_QUIET);
        d.negate = false;
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_FIRED);
        describe(&d, &st, buf, sizeof(buf));
        cr_assert_str_eq(buf, "/batch.slice/job1.service exists");
}

Test(detector, no_patterns_never_fire) {
        TestSample t;
        DetectorState st = {};
        Detector d = pressure_above((PatternList) {}, 0, 0);

        ts_init(&t, 0);
        t.s.system.mem_psi.full = psi(99, 99, 99);
        cr_assert_eq(eval(&d, &st, &t, 0), DETECTOR_QUIET);
}

Test(detector, human_formats) {
        char b[32];

        format_bytes(b, sizeof(b), 512);
        cr_assert_str_eq(b, "512B");
        format_bytes(b, sizeof(b), (double) KiB(1));
        cr_assert_str_eq(b, "1.0K");
        format_bytes(b, sizeof(b), (double) MiB(1536));
        cr_assert_str_eq(b, "1.5G");
        format_bytes(b, sizeof(b), (double) MiB(512));
        cr_assert_str_eq(b, "512M");
        format_duration(b, sizeof(b), SEC(20));
        cr_assert_str_eq(b, "20s");
        format_duration(b, sizeof(b), SEC(120));
        cr_assert_str_eq(b, "2m");
        format_duration(b, sizeof(b), SEC(90));
        cr_assert_str_eq(b, "90s");
        format_duration(b, sizeof(b), MSEC(250));
        cr_assert_str_eq(b, "250ms");
}

/* ---- exact windows and releases ---- */

/* The system's full stall counter at `total` microseconds, with avg10 `avg10`. */
static void system_full(TestSample *t, double avg10, uint64_t total) {
        t->s.system.mem_psi.full = psi(avg10, 0, 0);
        t->s.system.mem_psi.full.total_usec = total;
}

static Detector exact(PatternList cgroups, double threshold, usec_t window, usec_t duration) {
        Detector d = pressure_above(cgroups, threshold, duration);
        d.window = PSI_WINDOW_EXACT;
        d.window_usec = window;
        return d;
}

Test(detector, exact_window_is_the_share_of_the_window_stalled) {
        Detector d = exact(SYSTEM, 50, SEC(5), 0);
        DetectorState st = {};
        TestSample t;
        char buf[256];

        ts_init(&t, 0);
        /* 600 ms stalled in every second; avg10 says nothing (the kernel's figure is not read). */
        system_full(&t, 0, 0);
        cr_assert_eq(eval(&d, &st, &t, SEC(100)), DETECTOR_QUIET, "one point is no span");
        system_full(&t, 0, MSEC(300));
        cr_assert_eq(eval(&d, &st, &t, SEC(100) + MSEC(500)), DETECTOR_QUIET, "under 1 s is no span either");
        for (int i = 1; i <= 10; i++) {
                system_full(&t, 0, MSEC(600) * (uint64_t) i);
                cr_assert_eq(eval(&d, &st, &t, SEC(100 + i)), DETECTOR_FIRED, "at +%d s", i);
                cr_assert_float_eq(st.seen.value, 60.0, 0.01, "at +%d s: %f", i, st.seen.value);
        }
        describe(&d, &st, buf, sizeof buf);
        cr_assert_str_eq(buf, "memory full stall 60.00% > 50% over 5s on /");
        detector_state_clear(&st);
}

Test(detector, exact_window_forgets_stall_older_than_the_window) {
        Detector d = exact(SYSTEM, 20, SEC(5), 0);
        DetectorState st = {};
        TestSample t;
        uint64_t total = 0;

        ts_init(&t, 0);
        for (int i = 0; i <= 10; i++) { /* fully stalled for 10 s */
                system_full(&t, 90, total);
                eval(&d, &st, &t, SEC(100 + i));
                total += SEC(1);
        }
        cr_assert_eq(eval(&d, &st, &t, SEC(110)), DETECTOR_FIRED);
        total -= SEC(1);
        for (int i = 1; i <= 6; i++) { /* then calm: avg10 still says 60% */
                system_full(&t, 60, total);
                eval(&d, &st, &t, SEC(110 + i));
        }
        cr_assert_eq(eval(&d, &st, &t, SEC(116)), DETECTOR_QUIET, "the window holds 5 calm seconds: %f", st.seen.value);
        cr_assert_float_eq(st.seen.value, 0, 0.01);
        detector_state_clear(&st);
}

Test(detector, exact_window_across_a_long_gap_spreads_the_stall_evenly) {
        Detector d = exact(SYSTEM, 20, SEC(10), 0);
        DetectorState st = {};
        TestSample t;

        ts_init(&t, 0);
        system_full(&t, 0, 0);
        eval(&d, &st, &t, SEC(100));
        /* 60 s later (a quiet daemon's periodic look): 30 s of stall in between, taken as even */
        system_full(&t, 0, SEC(30));
        eval(&d, &st, &t, SEC(160));
        cr_assert_float_eq(st.seen.value, 50.0, 0.01, "%f", st.seen.value);
        detector_state_clear(&st);
}

Test(detector, exact_window_per_cgroup_by_inode) {
        Detector d = exact(ALL_CGROUPS, 50, SEC(2), 0);
        DetectorState st = {};
        TestSample t;

        for (int i = 0; i <= 4; i++) {
                ts_init(&t, 0);
                ts_cgroup(&t, "/a.slice", 10, 1, MiB(1))->mem_psi.full.total_usec = MSEC(900) * (uint64_t) i;
                ts_cgroup(&t, "/b.slice", 20, 1, MiB(1))->mem_psi.full.total_usec = MSEC(100) * (uint64_t) i;
                eval(&d, &st, &t, SEC(10 + i));
        }
        cr_assert_eq(st.n_hist, 2);
        cr_assert_float_eq(st.seen.value, 90.0, 0.01);
        cr_assert_str_eq(st.seen.where, "/a.slice");
        detector_state_clear(&st);
}

Test(detector, release_log_bears_on_sources_that_hold_or_lie_within_the_victim) {
        ReleaseLog rl = {};

        cr_assert_eq(release_log_add(&rl, "/a.slice/x.service", SEC(50)), 0);
        cr_assert_eq(release_log_floor(&rl, "/"), SEC(50), "the system holds every victim");
        cr_assert_eq(release_log_floor(&rl, "/a.slice"), SEC(50));
        cr_assert_eq(release_log_floor(&rl, "/a.slice/x.service"), SEC(50));
        cr_assert_eq(release_log_floor(&rl, "/a.slice/x.service/worker"), SEC(50));
        cr_assert_eq(release_log_floor(&rl, "/a.slice/y.service"), 0, "a sibling's own stall is its own");
        cr_assert_eq(release_log_floor(&rl, "/a.slice/x.service2"), 0);
        cr_assert_eq(release_log_floor(&rl, "/b.slice"), 0);
        cr_assert_eq(release_log_add(&rl, "/a.slice", SEC(60)), 0);
        cr_assert_eq(release_log_floor(&rl, "/a.slice/x.service"), SEC(60), "the latest");
        cr_assert_eq(release_log_add(&rl, "/c.slice", SEC(60) + RELEASE_KEEP_USEC + 1), 0);
        cr_assert_eq(rl.n, 1, "releases older than RELEASE_KEEP_USEC are dropped");
        for (int i = 0; i < RELEASES_MAX + 3; i++)
                cr_assert_eq(release_log_add(&rl, "/d.slice", SEC(2000) + (usec_t) i), 0);
        cr_assert_eq(rl.n, RELEASES_MAX);
        release_log_clear(&rl);
}

/* The neighbour's stall still in avg10 after it is gone must not fire on the slice. */
Test(detector, after_a_release_a_stale_average_is_capped_by_the_stall_since) {
        Detector d = pressure_above(PATTERNS(pat("/bench.slice")), 20, SEC(5));
        DetectorState st = {};
        ReleaseLog rl = {};
        TestSample t;
        CGroupSample *cg;
        char buf[256];

        ts_init(&t, SEC(100));
        cg = ts_cgroup(&t, "/bench.slice", 10, 1, MiB(100));
        cg->mem_psi.full = psi(40, 30, 10);
        cg->mem_psi.full.total_usec = SEC(50);
        cr_assert_eq(detector_evaluate(&d, &st, &t.s, &rl), DETECTOR_ARMING);

        /* the neighbour is gone at 103; avg10 decays slowly, the counter stands still */
        cr_assert_eq(release_log_add(&rl, "/bench.slice/neighbour.service", SEC(103)), 0);
        for (int i = 0; i <= 20; i++) {
                t.s.now = SEC(104 + i);
                cg->mem_psi.full.avg10 = 40 - i;
                cr_assert_eq(detector_evaluate(&d, &st, &t.s, &rl), DETECTOR_QUIET, "at %d s after: %f", i + 1, st.seen.value);
        }
        /* then the slice stalls anew, 80% of the time: the last 10 s pass 20% at 127 (2.4 s of 10),
         * and the detector fires 5 s later, capped by avg10 (25) */
        cg->mem_psi.full.avg10 = 25;
        for (int i = 1; i <= 8; i++) {
                t.s.now = SEC(124 + i);
                cg->mem_psi.full.total_usec += MSEC(800);
                DetectorVerdict v = detector_evaluate(&d, &st, &t.s, &rl);
                cr_assert_eq(v, i < 3 ? DETECTOR_QUIET : i < 8 ? DETECTOR_ARMING : DETECTOR_FIRED, "at %d s: %f", i, st.seen.value);
        }
        cr_assert_float_eq(st.seen.value, 25, 0.01, "the smaller of avg10 and the stall since the release");
        describe(&d, &st, buf, sizeof buf);
        cr_assert(strstr(buf, "(since the last victim was gone)"), "%s", buf);

        /* three avg10 time constants after the release, avg10 is taken as it is */
        t.s.now = SEC(134);
        cg->mem_psi.full.avg10 = 21;
        detector_evaluate(&d, &st, &t.s, &rl);
        cr_assert_float_eq(st.seen.value, 21, 0.01);
        release_log_clear(&rl);
        detector_state_clear(&st);
}

Test(detector, a_release_restarts_a_duration_that_held_before_it) {
        Detector d = exact(SYSTEM, 50, SEC(2), SEC(3));
        DetectorState st = {};
        ReleaseLog rl = {};
        TestSample t;
        uint64_t total = 0;

        ts_init(&t, 0);
        for (int i = 0; i <= 4; i++, total += MSEC(900)) {
                system_full(&t, 0, total);
                t.s.now = SEC(100 + i);
                detector_evaluate(&d, &st, &t.s, &rl);
        }
        cr_assert(st.holding);
        cr_assert_eq(release_log_add(&rl, "/x.service", SEC(104) + 1), 0);
        /* still 90% stalled after the release: it counts from the release, and the duration anew */
        for (int i = 5; i <= 10; i++, total += MSEC(900)) {
                system_full(&t, 0, total);
                t.s.now = SEC(100 + i);
                DetectorVerdict v = detector_evaluate(&d, &st, &t.s, &rl);
                cr_assert_eq(v, i == 5 ? DETECTOR_QUIET : i < 9 ? DETECTOR_ARMING : DETECTOR_FIRED, "at %d: %d", i, v);
        }
        release_log_clear(&rl);
        detector_state_clear(&st);
}

Test(detector, reclaim_before_a_release_is_not_counted) {
        Detector d = detector(DETECTOR_MEMORY_RECLAIM, SYSTEM);
        DetectorState st = {};
        ReleaseLog rl = {};
        TestSample t;

        d.duration_usec = SEC(10);
        ts_init(&t, SEC(100));
        t.s.system.last_pgscan_usec = SEC(99);
        cr_assert_eq(detector_evaluate(&d, &st, &t.s, &rl), DETECTOR_FIRED);
        cr_assert_eq(release_log_add(&rl, "/x.service", SEC(99) + MSEC(500)), 0);
        cr_assert_eq(detector_evaluate(&d, &st, &t.s, &rl), DETECTOR_QUIET, "the victim's own reclaim");
        t.s.system.last_pgscan_usec = SEC(99) + MSEC(1400);
        cr_assert_eq(detector_evaluate(&d, &st, &t.s, &rl), DETECTOR_QUIET, "up to the sample after the release");
        t.s.system.last_pgscan_usec = SEC(101);
        cr_assert_eq(detector_evaluate(&d, &st, &t.s, &rl), DETECTOR_FIRED, "reclaim since");
        release_log_clear(&rl);
}
