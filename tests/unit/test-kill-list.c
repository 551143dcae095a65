/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>

#include "kill_list.h"
#include "policy-builders.h"

static void tree(TestSample *t) {
        ts_init(t, SEC(100));
        ts_cgroup(t, "/", 1, 0, 0);
        ts_cgroup(t, "/user.slice", 2, 1, GiB(6));
        ts_cgroup(t, "/user.slice/app-firefox-1.scope", 3, 2, GiB(2));
        ts_cgroup(t, "/user.slice/app-firefox-2.scope", 4, 2, GiB(3));
        ts_cgroup(t, "/user.slice/app-code.scope", 5, 2, GiB(1));
        ts_cgroup(t, "/system.slice", 6, 1, GiB(1));
}

static const char *pick_cgroup(const Policy *p, TestSample *t, int *entry) {
        KillListPick k = { .entry = -7 };

        if (!kill_list_pick(p, &t->s, false, &k)) {
                cr_assert_eq(k.entry, -7, "entry written although nothing was picked");
                return NULL;
        }
        cr_assert_not_null(k.cgroup);
        cr_assert_null(k.proc);
        if (entry)
                *entry = k.entry;
        return k.cgroup->path;
}

Test(kill_list, first_entry_with_a_target_wins) {
        Policy p = {
                .kill_list = ARRAY(KillListEntry,
                                   kill_entry("/batch.slice/*"),      /* missing: skipped */
                                   kill_entry("/user.slice/app-firefox-*.scope"),
                                   kill_entry("/user.slice/app-code.scope")),
                .n_kill_list = 3,
        };
        TestSample t;
        int entry;

        tree(&t);
        cr_assert_str_eq(pick_cgroup(&p, &t, &entry), "/user.slice/app-firefox-2.scope"); /* largest of the two */
        cr_assert_eq(entry, 1);

        t.cg[3].populated = false;
        cr_assert_str_eq(pick_cgroup(&p, &t, &entry), "/user.slice/app-firefox-1.scope");
        t.cg[2].memory_current = GiB(3); /* a tie goes to the smaller path */
        t.cg[3].populated = true;
        cr_assert_str_eq(pick_cgroup(&p, &t, &entry), "/user.slice/app-firefox-1.scope");

        t.cg[2].populated = t.cg[3].populated = false;
        cr_assert_str_eq(pick_cgroup(&p, &t, &entry), "/user.slice/app-code.scope");
        cr_assert_eq(entry, 2);

        t.cg[4].populated = false;
        cr_assert_null(pick_cgroup(&p, &t, NULL));
}

Test(kill_list, min_memory_bytes_and_percent) {
        KillListEntry e = kill_entry("/user.slice/*");
        Policy p = { .kill_list = &e, .n_kill_list = 1 };
        TestSample t;

        tree(&t);
        e.has_min_memory = true;
        e.min_memory = bytes(GiB(3));
        cr_assert_str_eq(pick_cgroup(&p, &t, NULL), "/user.slice/app-firefox-2.scope"); /* >= counts */
        e.min_memory = bytes(GiB(3) + 1);
        cr_assert_null(pick_cgroup(&p, &t, NULL));

        e.min_memory = percent(12.5); /* 2G of 16G: firefox-2 (3G) and firefox-1 (2G) qualify */
        t.cg[3].populated = false;
        cr_assert_str_eq(pick_cgroup(&p, &t, NULL), "/user.slice/app-firefox-1.scope");
        e.min_memory = percent(13);
        cr_assert_null(pick_cgroup(&p, &t, NULL));
}

Test(kill_list, min_pressure) {
        KillListEntry e = kill_entry("/user.slice/*");
        Policy p = { .kill_list = &e, .n_kill_list = 1 };
        TestSample t;

        tree(&t);
        e.has_min_pressure = true;
        e.min_pressure = 20;
        cr_assert_null(pick_cgroup(&p, &t, NULL));
        t.cg[4].mem_psi.full = psi(20, 0, 0); /* app-code: >= counts */
        t.cg[3].mem_psi.full = psi(19.9, 50, 50);
        t.cg[3].mem_psi.some = psi(90, 90, 90);
        cr_assert_str_eq(pick_cgroup(&p, &t, NULL), "/user.slice/app-code.scope");
}

Test(kill_list, omitted_and_self_skipped) {
        KillListEntry e = kill_entry("/user.slice/*");
        Policy p = { .kill_list = &e, .n_kill_list = 1, .omit = PATTERNS(pat("/user.slice/app-firefox-2.scope")) };
        TestSample t;

        tree(&t);
        cr_assert_str_eq(pick_cgroup(&p, &t, NULL), "/user.slice/app-firefox-1.scope");
        t.cg[2].preference = PREFERENCE_OMIT;
        cr_assert_str_eq(pick_cgroup(&p, &t, NULL), "/user.slice/app-code.scope");
        t.s.self_cgroup = "/user.slice/app-code.scope";
        cr_assert_null(pick_cgroup(&p, &t, NULL));

        /* "/" and the ancestors of our cgroup are never victims, whatever the list says */
        e = kill_entry("/");
        cr_assert_null(pick_cgroup(&p, &t, NULL));
        e = kill_entry("/user.slice");
        cr_assert_null(pick_cgroup(&p, &t, NULL));
}

Test(kill_list, name_patterns) {
        Policy p = {
                .kill_list = ARRAY(KillListEntry, kill_entry("chrom*"), kill_entry("java")),
                .n_kill_list = 2,
                .omit = PATTERNS(pat("chromium-keep")),
        };
        KillListPick k;
        TestSample t;

        tree(&t);
        ts_proc(&t, 100, "java", "/system.slice", GiB(4));
        ts_proc(&t, 200, "chrome", "/user.slice/app-code.scope", MiB(900));
        ts_proc(&t, 201, "chromium", "/user.slice/app-code.scope", MiB(800));
        ts_proc(&t, 202, "chromium-keep", "/user.slice/app-code.scope", GiB(5));
        ts_proc(&t, 203, "chromedriver", "/user.slice/app-code.scope", GiB(5))->oom_score_adj = -1000;

        cr_assert(kill_list_pick(&p, &t.s, false, &k));
        cr_assert_eq(k.entry, 0);
        cr_assert_null(k.cgroup);
        cr_assert_eq(k.proc->pid, 200);

        p.kill_list[0].has_min_memory = true;
        p.kill_list[0].min_memory = bytes(GiB(1));
        cr_assert(kill_list_pick(&p, &t.s, false, &k));
        cr_assert_eq(k.entry, 1);
        cr_assert_eq(k.proc->pid, 100);

        /* min_pressure of a name entry is the system's */
        p.kill_list[1].has_min_pressure = true;
        p.kill_list[1].min_pressure = 10;
        cr_assert_not(kill_list_pick(&p, &t.s, false, &k));
        t.s.system.mem_psi.full = psi(10, 0, 0);
        cr_assert(kill_list_pick(&p, &t.s, false, &k));
        cr_assert_eq(k.proc->pid, 100);

        /* ourselves, never */
        t.s.self_pid = 100;
        cr_assert_not(kill_list_pick(&p, &t.s, false, &k));
}

Test(kill_list, path_entry_yields_process_when_asked) {
        Policy p = {
                .kill_list = ARRAY(KillListEntry, kill_entry("/user.slice/app-firefox-*.scope"), kill_entry("/system.slice")),
                .n_kill_list = 2,
        };
        KillListPick k;
        TestSample t;

        tree(&t);
        ts_proc(&t, 300, "firefox", "/user.slice/app-firefox-1.scope", GiB(1));
        ts_proc(&t, 301, "Web Content", "/user.slice/app-firefox-1.scope", GiB(1) + 1);
        ts_proc(&t, 400, "sshd", "/system.slice", MiB(10));

        /* firefox-2 is larger but has no process that may die: firefox-1 */
        cr_assert(kill_list_pick(&p, &t.s, true, &k));
        cr_assert_eq(k.entry, 0);
        cr_assert_str_eq(k.cgroup->path, "/user.slice/app-firefox-1.scope");
        cr_assert_eq(k.proc->pid, 301);

        /* no pickable process in the entry's cgroups: the next entry */
        t.proc[0].oom_score_adj = t.proc[1].oom_score_adj = -1000;
        cr_assert(kill_list_pick(&p, &t.s, true, &k));
        cr_assert_eq(k.entry, 1);
        cr_assert_eq(k.proc->pid, 400);
}

Test(kill_list, degraded_weighs_by_rss) {
        KillListEntry e = kill_entry("/user.slice/*");
        Policy p = { .kill_list = &e, .n_kill_list = 1 };
        KillListPick k;
        TestSample t;

        tree(&t);
        t.s.degraded = true;
        for (size_t i = 0; i < t.s.n_cgroups; i++)
                t.cg[i].memory_current = 0; /* no memory controller */
        ts_proc(&t, 300, "firefox", "/user.slice/app-firefox-1.scope", MiB(100));
        ts_proc(&t, 500, "code", "/user.slice/app-code.scope", MiB(700));
        ts_proc(&t, 501, "code-helper", "/user.slice/app-code.scope/sub", MiB(10));
        e.has_min_memory = true;
        e.min_memory = bytes(MiB(705));
        cr_assert(kill_list_pick(&p, &t.s, true, &k));
        cr_assert_str_eq(k.cgroup->path, "/user.slice/app-code.scope");
        cr_assert_eq(k.proc->pid, 500);
}

Test(kill_list, empty) {
        Policy p = {};
        KillListPick k;
        TestSample t;

        tree(&t);
        cr_assert_not(kill_list_pick(&p, &t.s, false, &k));
}
