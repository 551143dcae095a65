/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>

#include "engine.h"
#include "policy-builders.h"

/* The pid engine_pick_process() chooses, or -1. */
static pid_t pick(const Policy *p, TestSample *t, const char *scope) {
        ssize_t i = engine_pick_process(p, &t->s, t->s.procs, t->s.n_procs, scope);

        cr_assert(i >= -1 && i < (ssize_t) t->s.n_procs);
        return i < 0 ? -1 : t->s.procs[i].pid;
}

static void procs(TestSample *t) {
        ts_init(t, SEC(1));
        t->s.self_pid = 50;
        t->s.self_cgroup = "/system.slice/pressured.service";
        ts_proc(t, 1, "systemd", "/init.scope", GiB(8));
        ts_proc(t, 2, "kthreadd", "/", 0)->kernel_thread = true;
        ts_proc(t, 50, "pressured", "/system.slice/pressured.service", GiB(8));
        ts_proc(t, 60, "helper", "/system.slice/pressured.service/sub", GiB(8));
        ts_proc(t, 70, "sshd", "/system.slice/ssh.service", GiB(8))->oom_score_adj = -1000;
        ts_proc(t, 100, "postgres", "/system.slice/postgresql.service", GiB(2));
        ts_proc(t, 200, "firefox", "/user.slice/user-1000.slice/app-firefox.scope", GiB(3));
        ts_proc(t, 201, "Web Content", "/user.slice/user-1000.slice/app-firefox.scope", GiB(1));
        ts_proc(t, 300, "bash", "/user.slice/user-1000.slice/session-2.scope", MiB(5));
}

Test(pick_process, never_the_protected_ones) {
        Policy p = {};
        TestSample t;

        procs(&t);
        cr_assert_eq(pick(&p, &t, NULL), 200);

        /* only the protected ones left */
        t.proc[5].rss = t.proc[6].rss = t.proc[7].rss = t.proc[8].rss = 0;
        t.proc[5].pid = 1; /* a second "PID 1" would still be skipped */
        t.s.n_procs = 6;
        cr_assert_eq(pick(&p, &t, NULL), -1);
}

Test(pick_process, kernel_threads_even_when_huge) {
        Policy p = {};
        TestSample t;

        procs(&t);
        t.proc[1].rss = GiB(100);
        cr_assert_eq(pick(&p, &t, NULL), 200);
}

Test(pick_process, never_one_already_killed_and_still_exiting) {
        Policy p = {};
        TestSample t;

        procs(&t);
        t.proc[6].kill_pending = true; /* firefox, the largest: SIGKILL pending, still exiting */
        cr_assert_eq(pick(&p, &t, NULL), 100, "the next largest, not the one already dying");
        cr_assert_eq(pick(&p, &t, "/user.slice/user-1000.slice/app-firefox.scope"), 201,
                     "in its own cgroup, what is not yet killed (a re-forked worker)");
        t.proc[7].kill_pending = true;
        cr_assert_eq(pick(&p, &t, "/user.slice/user-1000.slice/app-firefox.scope"), -1,
                     "a cgroup whose processes are all dying has nothing left to kill");
}

Test(pick_process, oom_score_adj) {
        Policy p = {};
        TestSample t;

        procs(&t);
        t.proc[6].oom_score_adj = -1000;
        cr_assert_eq(pick(&p, &t, NULL), 100);
        t.proc[5].oom_score_adj = -999; /* only -1000 means never */
        cr_assert_eq(pick(&p, &t, NULL), 100);
}

Test(pick_process, omit_by_comm_and_by_path) {
        Policy p = { .omit = PATTERNS(pat("fire*")) };
        TestSample t;

        procs(&t);
        cr_assert_eq(pick(&p, &t, NULL), 100);
        p.omit = PATTERNS(pat("/user.slice/*/app-*.scope"), pat("postgres"));
        cr_assert_eq(pick(&p, &t, NULL), 300);
}

Test(pick_process, prefer_and_avoid) {
        Policy p = { .prefer = PATTERNS(pat("bash")) };
        TestSample t;

        procs(&t);
        cr_assert_eq(pick(&p, &t, NULL), 300);
        p.prefer = (PatternList) {};
        p.avoid = PATTERNS(pat("/user.slice/user-1000.slice/app-firefox.scope"));
        cr_assert_eq(pick(&p, &t, NULL), 100);
        p.avoid = PATTERNS(pat("/user.slice/user-1000.slice/app-firefox.scope"), pat("postgres"), pat("bash"));
        cr_assert_eq(pick(&p, &t, NULL), 200); /* all avoided: the largest of them */
}

Test(pick_process, scope) {
        Policy p = {};
        TestSample t;

        procs(&t);
        cr_assert_eq(pick(&p, &t, "/system.slice"), 100);
        cr_assert_eq(pick(&p, &t, "/user.slice/user-1000.slice/session-2.scope"), 300);
        cr_assert_eq(pick(&p, &t, "/user.slice/user-1000.slice/session-2.scope/"), 300);
        cr_assert_eq(pick(&p, &t, "/user.slice/user-1000.slice/session-2"), -1); /* a prefix, not a parent */
        cr_assert_eq(pick(&p, &t, "/system.slice/pressured.service"), -1);
        cr_assert_eq(pick(&p, &t, "/"), 200);
}

Test(pick_process, ties_by_oom_score_then_pid) {
        Policy p = {};
        TestSample t;

        ts_init(&t, 0);
        ts_proc(&t, 30, "a", "/x", GiB(1));
        ts_proc(&t, 20, "b", "/x", GiB(1));
        ts_proc(&t, 40, "c", "/x", GiB(1));
        cr_assert_eq(pick(&p, &t, NULL), 20);
        t.proc[2].oom_score = 501;
        cr_assert_eq(pick(&p, &t, NULL), 40);
}

Test(pick_process, unknown_cgroup_and_no_policy) {
        TestSample t;

        ts_init(&t, 0);
        ts_proc(&t, 10, "a", NULL, GiB(1));
        ts_proc(&t, 11, "b", "/x", MiB(1));
        cr_assert_eq(pick(NULL, &t, NULL), 10); /* an unknown cgroup counts as "/" */
        cr_assert_eq(pick(NULL, &t, "/x"), 11);
        cr_assert_eq(engine_pick_process(NULL, &t.s, NULL, 0, NULL), -1);
        cr_assert_eq(engine_pick_process(NULL, &t.s, t.s.procs, 0, NULL), -1);
}

/* A daemon in the root cgroup (no systemd, a container's init) spares only its own pid. */
Test(pick_process, self_in_the_root_cgroup_spares_only_itself) {
        Policy p = {};
        TestSample t;

        procs(&t);
        t.s.self_cgroup = "/";
        t.proc[2].cgroup = "/"; /* pressured itself, pid 50, huge */
        cr_assert_eq(pick(&p, &t, NULL), 60, "the helper in the old self cgroup is fair game now");
        t.proc[3].rss = 0;
        cr_assert_eq(pick(&p, &t, NULL), 200);
}
