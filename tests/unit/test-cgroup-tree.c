/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "daemon/read/cgroup_tree.h"
#include "daemon/read/fileio.h"
#include "daemon/read/mountinfo.h"
#include "test-util.h"

#define FIXTURE FIXTURES_DIR "/cgroup-basic"
#define ALL_FIELDS (CG_MEMORY_CURRENT | CG_MEMORY_STAT | CG_MEMORY_PROTECT | CG_MEMORY_LIMITS | CG_SWAP_CURRENT | \
                    CG_MEMORY_PSI | CG_IO_PSI | CG_EVENTS | CG_OOM_GROUP | CG_XATTRS)
#define EPS 1e-9

/* SampleNeeds over a NULL-terminated list of globs (the Pattern array is static: tests are serial);
 * with CG_MEMORY_STAT, memory.stat is wanted wherever the globs match. */
static Pattern pattern_buf[16];

static SampleNeeds needs_for(unsigned fields, bool descendants, const char *const *globs) {
        size_t n = 0;
        bool stat = fields & CG_MEMORY_STAT;

        for (; globs && globs[n]; n++)
                pattern_buf[n] = (Pattern) { .glob = (char *) globs[n], .is_path = globs[n][0] == '/' };
        return (SampleNeeds) {
                .cgroup_fields = fields,
                .cgroups = { .items = pattern_buf, .n = n },
                .stat_cgroups = { .items = pattern_buf, .n = stat ? n : 0 },
                .descendants = descendants,
                .stat_descendants = stat && descendants,
        };
}

static const CGroupSample *find(const Snapshot *s, const char *path) {
        for (size_t i = 0; i < s->n_cgroups; i++)
                if (strcmp(s->cgroups[i].path, path) == 0)
                        return &s->cgroups[i];
        return NULL;
}

/* The sampled paths, sorted and joined by spaces, to compare whole sets at once. */
static int cmp_str(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static const char *paths(const Snapshot *s) {
        static char out[4096];
        const char *list[128];

        cr_assert_lt(s->n_cgroups, 128);
        for (size_t i = 0; i < s->n_cgroups; i++)
                list[i] = s->cgroups[i].path;
        qsort(list, s->n_cgroups, sizeof list[0], cmp_str);
        out[0] = 0;
        for (size_t i = 0; i < s->n_cgroups; i++) {
                if (i)
                        strcat(out, " ");
                strcat(out, list[i]);
        }
        return out;
}

/* The directory fds open: cgroups kept (the interface files kept open beside them are not counted). */
static int count_dir_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        int n = 0;

        cr_assert_not_null(d);
        while ((de = readdir(d))) {
                struct stat st;

                if (de->d_name[0] != '.' && fstatat(dirfd(d), de->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode))
                        n++;
        }
        closedir(d);
        return n - 1; /* the listing's own */
}

Test(cgroup_tree, fixture_values) {
        static const char *const globs[] = { "/system.slice/*", NULL };
        SampleNeeds needs = needs_for(ALL_FIELDS, false, globs);
        CGroupTree *t = NULL;
        Snapshot snap = {};
        const CGroupSample *foo, *bar, *slice, *root;

        cr_assert_eq(cgroup_tree_new(FIXTURE, &t), 0);
        cr_assert(cgroup_tree_has_memory_controller(t));
        cr_assert_eq(cgroup_tree_sample(t, &needs, 1000000, &snap), 0);

        /* the root, the matches, and their ancestor; not user.slice nor init.scope */
        cr_assert_str_eq(paths(&snap), "/ /system.slice /system.slice/bar.service /system.slice/foo.service");
        cr_assert_str_eq(snap.cgroups[0].path, "/", "the root comes first");

        root = find(&snap, "/");
        cr_assert_eq(root->parent_inode, 0);
        cr_assert_eq(root->nr_children, 1);
        /* the real root has no memory.current, cgroup.events or memory.low: those bits stay clear;
         * its memory.stat is not read, as no glob asks for it (see stat_only_where_asked) */
        cr_assert_eq(root->fields & (CG_MEMORY_CURRENT | CG_EVENTS | CG_MEMORY_PROTECT | CG_MEMORY_STAT), 0);
        cr_assert_float_eq(root->mem_psi.full.avg10, 1.0, EPS);

        slice = find(&snap, "/system.slice");
        cr_assert_eq(slice->parent_inode, root->inode);
        cr_assert_eq(slice->nr_children, 2);

        foo = find(&snap, "/system.slice/foo.service");
        cr_assert_eq(foo->fields, ALL_FIELDS);
        cr_assert_eq(foo->parent_inode, slice->inode);
        cr_assert_neq(foo->inode, 0);
        cr_assert_eq(foo->nr_children, 0);
        cr_assert_eq(foo->memory_current, 2000000);
        cr_assert_eq(foo->anon, 1500000);
        cr_assert_eq(foo->file, 500000);
        cr_assert_eq(foo->pgscan, 7);
        cr_assert_eq(foo->memory_low, 1048576);
        cr_assert_eq(foo->memory_min, 0);
        cr_assert_eq(foo->memory_high, UINT64_MAX);
        cr_assert_eq(foo->memory_max, 4194304);
        cr_assert_eq(foo->swap_current, 4096);
        cr_assert(foo->oom_group);
        cr_assert(foo->populated);
        cr_assert_float_eq(foo->mem_psi.some.avg10, 0.5, EPS);
        cr_assert_float_eq(foo->mem_psi.full.avg10, 0.25, EPS);
        cr_assert(foo->io_psi.full.valid);
        cr_assert_eq(foo->preference, PREFERENCE_NONE);
        /* derived on a first sample: the average is the current value */
        cr_assert_float_eq(foo->average_usage, 2000000.0, EPS);
        cr_assert_float_eq(foo->growth, 1.0, EPS);
        cr_assert_eq(foo->protection, 1048576);

        bar = find(&snap, "/system.slice/bar.service");
        cr_assert(!bar->populated);
        cr_assert(!bar->oom_group);
        cr_assert_eq(bar->memory_min, 524288);
        cr_assert_eq(bar->memory_high, 2097152);
        cr_assert_eq(bar->memory_max, UINT64_MAX);

        snapshot_clear(&snap);
        cgroup_tree_free(t);
}

Test(cgroup_tree, walks_only_what_patterns_reach) {
        static const char *const none[] = { NULL };
        static const char *const top[] = { "/*", NULL };
        static const char *const deep[] = { "/user.slice/*/session-*.scope", NULL };
        static const char *const slice[] = { "/user.slice", NULL };
        static const char *const root_only[] = { "/", NULL };
        static const char *const names[] = { "sshd", NULL };
        static const char *const two[] = { "/init.scope", "/system.slice/bar.*", NULL };
        static const struct {
                const char *const *globs;
                bool descendants;
                const char *expected;
        } cases[] = {
                { none, false, "/" },
                { none, true, "/" },
                { names, true, "/" }, /* process-name globs name no cgroup */
                { top, false, "/ /init.scope /system.slice /user.slice" },
                { deep, false, "/ /user.slice /user.slice/user-1000.slice /user.slice/user-1000.slice/session-2.scope" },
                { slice, false, "/ /user.slice" },
                { slice, true, "/ /user.slice /user.slice/user-1000.slice /user.slice/user-1000.slice/session-2.scope" },
                { two, false, "/ /init.scope /system.slice /system.slice/bar.service" },
                { root_only, true, "/ /init.scope /system.slice /system.slice/bar.service /system.slice/foo.service "
                                   "/user.slice /user.slice/user-1000.slice /user.slice/user-1000.slice/session-2.scope" },
        };

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                SampleNeeds needs = needs_for(CG_MEMORY_CURRENT, cases[i].descendants, cases[i].globs);
                CGroupTree *t = NULL;
                Snapshot snap = {};
                int before;

                cr_assert_eq(cgroup_tree_new(FIXTURE, &t), 0);
                before = count_dir_fds();
                cr_assert_eq(cgroup_tree_sample(t, &needs, 1, &snap), 0);
                cr_assert_str_eq(paths(&snap), cases[i].expected, "case %zu", i);
                /* each visited cgroup keeps one fd, the root borrows the tree's: an fd per
                 * non-root cgroup sampled shows that no unreachable branch was opened */
                cr_assert_eq(count_dir_fds() - before, (int) snap.n_cgroups - 1, "case %zu: branches outside the patterns were opened", i);
                snapshot_clear(&snap);
                cgroup_tree_free(t);
        }
}

Test(cgroup_tree, open_and_root_fd) {
        CGroupTree *t = NULL;
        char buf[64];
        int fd;

        cr_assert_eq(cgroup_tree_new(FIXTURE, &t), 0);
        cr_assert_geq(cgroup_tree_root_fd(t), 0);
        fd = cgroup_tree_open(t, "/system.slice/foo.service");
        cr_assert_geq(fd, 0);
        cr_assert_gt(read_file_at(fd, "memory.current", buf, sizeof buf), 0);
        cr_assert_str_eq(buf, "2000000\n");
        close(fd);
        fd = cgroup_tree_open(t, "/");
        cr_assert_geq(fd, 0);
        close(fd);
        cr_assert_eq(cgroup_tree_open(t, "/nope.slice"), -ENOENT);
        cr_assert_eq(cgroup_tree_open(t, "/system.slice/foo.service/memory.current"), -ENOTDIR);
        cr_assert_eq(cgroup_tree_open(t, "relative"), -EINVAL);
        cgroup_tree_free(t);

        cr_assert_eq(cgroup_tree_new("/nonexistent-cgroup-root", &t), -ENOENT);
        cr_assert_null(cgroup_tree_free(NULL));
}

/* Runtime trees, for what a checked-in fixture cannot do. */

static char root[64];

/* A cgroup directory with cgroup.procs, memory.current and memory.stat. */
static void make_cgroup(const char *rel, const char *current, const char *pgscan) {
        char path[PATH_MAX], text[256];

        mkdir_at(root, rel);
        snprintf(path, sizeof path, "%s/cgroup.procs", rel);
        write_at(root, path, "");
        snprintf(path, sizeof path, "%s/memory.current", rel);
        write_at(root, path, current);
        snprintf(path, sizeof path, "%s/memory.stat", rel);
        snprintf(text, sizeof text, "anon 1\nfile 2\npgscan %s\n", pgscan);
        write_at(root, path, text);
}

static void setup_root(void) {
        tmpdir_new(root, sizeof root, "test-cgroup-tree");
        write_at(root, "cgroup.controllers", "cpu io pids\n");
        write_at(root, "cgroup.procs", "");
}

static void teardown_root(void) {
        rm_rf_at(root, "");
}

TestSuite(cgroup_runtime, .init = setup_root, .fini = teardown_root);

Test(cgroup_runtime, no_memory_controller) {
        CGroupTree *t = NULL;

        cr_assert_eq(cgroup_tree_new(root, &t), 0);
        cr_assert(!cgroup_tree_has_memory_controller(t));
        write_at(root, "cgroup.controllers", "memoryx memory_y\n");
        cr_assert(!cgroup_tree_has_memory_controller(t));
        write_at(root, "cgroup.controllers", "memory");
        cr_assert(cgroup_tree_has_memory_controller(t));
        write_at(root, "cgroup.controllers", "");
        cr_assert(!cgroup_tree_has_memory_controller(t));
        cgroup_tree_free(t);
}

Test(cgroup_runtime, growth_and_rates_across_samples) {
        static const char *const globs[] = { "/a", NULL };
        SampleNeeds needs = needs_for(CG_MEMORY_CURRENT | CG_MEMORY_STAT, false, globs);
        CGroupTree *t = NULL;
        Snapshot snap = {};
        const CGroupSample *a;

        make_cgroup("a", "100\n", "0");
        cr_assert_eq(cgroup_tree_new(root, &t), 0);
        cr_assert_eq(cgroup_tree_sample(t, &needs, 1000000, &snap), 0);
        a = find(&snap, "/a");
        cr_assert_float_eq(a->growth, 1.0, EPS);

        write_at(root, "a/memory.current", "200\n");
        write_at(root, "a/memory.stat", "anon 1\nfile 2\npgscan 1000\n");
        cr_assert_eq(cgroup_tree_sample(t, &needs, 2000000, &snap), 0);
        a = find(&snap, "/a");
        cr_assert_eq(a->memory_current, 200);
        /* (100 * 3 + 200) / 4 = 125, so growth = 200 / 125 */
        cr_assert_float_eq(a->average_usage, 125.0, EPS);
        cr_assert_float_eq(a->growth, 1.6, EPS);
        cr_assert_float_eq(a->pgscan_rate, 1000.0, EPS);
        cr_assert_eq(a->last_pgscan_usec, 2000000);

        snapshot_clear(&snap);
        cgroup_tree_free(t);
}

Test(cgroup_runtime, vanished_between_samples) {
        static const char *const globs[] = { "/*", NULL };
        SampleNeeds needs = needs_for(CG_MEMORY_CURRENT, false, globs);
        CGroupTree *t = NULL;
        Snapshot snap = {};
        int fds;

        make_cgroup("a", "1\n", "0");
        make_cgroup("b", "2\n", "0");
        cr_assert_eq(cgroup_tree_new(root, &t), 0);
        cr_assert_eq(cgroup_tree_sample(t, &needs, 1, &snap), 0);
        cr_assert_str_eq(paths(&snap), "/ /a /b");
        fds = count_dir_fds();

        rm_rf_at(root, "b");
        cr_assert_eq(cgroup_tree_sample(t, &needs, 2, &snap), 0);
        cr_assert_str_eq(paths(&snap), "/ /a");
        cr_assert_eq(find(&snap, "/")->nr_children, 1);
        cr_assert_eq(count_dir_fds(), fds - 1, "the vanished cgroup's fd must be closed");

        snapshot_clear(&snap);
        cgroup_tree_free(t);
}

Test(cgroup_runtime, vanished_while_cached_is_dropped) {
        static const char *const globs[] = { "/a", NULL };
        SampleNeeds needs = needs_for(CG_MEMORY_CURRENT, false, globs), no_files = needs_for(0, false, globs);
        CGroupTree *t = NULL;
        Snapshot snap = {};

        make_cgroup("a", "1\n", "0");
        cr_assert_eq(cgroup_tree_new(root, &t), 0);
        /* a first sample that reads no file: the fixture's files, unlike cgroupfs's, stay
         * readable through an fd kept open after their removal */
        cr_assert_eq(cgroup_tree_sample(t, &no_files, 1, &snap), 0);
        cr_assert_not_null(find(&snap, "/a"));

        /* the directory is still listed but its files are gone, as with a cgroup removed
         * between the listing and the reads: it drops out instead of showing up empty */
        rm_rf_at(root, "a/cgroup.procs");
        rm_rf_at(root, "a/memory.current");
        cr_assert_eq(cgroup_tree_sample(t, &needs, 2, &snap), 0);
        cr_assert_str_eq(paths(&snap), "/");

        snapshot_clear(&snap);
        cgroup_tree_free(t);
}

Test(cgroup_runtime, missing_or_malformed_files_leave_their_bit_out) {
        static const char *const globs[] = { "/a", NULL };
        SampleNeeds needs = needs_for(CG_MEMORY_CURRENT | CG_MEMORY_STAT | CG_MEMORY_PROTECT | CG_EVENTS | CG_OOM_GROUP, false, globs);
        CGroupTree *t = NULL;
        Snapshot snap = {};
        const CGroupSample *a;

        make_cgroup("a", "garbage\n", "0");
        write_at(root, "a/memory.low", "5\n");  /* memory.min absent: protection incomplete */
        write_at(root, "a/cgroup.events", "populated 1\n");
        write_at(root, "a/memory.oom.group", "2\n"); /* not a boolean */
        cr_assert_eq(cgroup_tree_new(root, &t), 0);
        cr_assert_eq(cgroup_tree_sample(t, &needs, 1, &snap), 0);
        a = find(&snap, "/a");
        cr_assert_not_null(a);
        cr_assert_eq(a->fields, CG_MEMORY_STAT | CG_EVENTS);
        cr_assert(a->populated);

        snapshot_clear(&snap);
        cgroup_tree_free(t);
}

Test(cgroup_runtime, recreated_cgroup_is_a_new_one) {
        static const char *const globs[] = { "/a", NULL };
        SampleNeeds needs = needs_for(CG_MEMORY_CURRENT | CG_MEMORY_STAT, false, globs);
        CGroupTree *t = NULL;
        Snapshot snap = {};
        char from[PATH_MAX], to[PATH_MAX];
        uint64_t old_inode;
        const CGroupSample *a;

        make_cgroup("a", "100\n", "500");
        cr_assert_eq(cgroup_tree_new(root, &t), 0);
        cr_assert_eq(cgroup_tree_sample(t, &needs, 1000000, &snap), 0);
        old_inode = find(&snap, "/a")->inode;

        /* create the new one before removing the old, so the file system cannot hand the
         * same inode number back */
        make_cgroup("a.new", "1000\n", "0");
        rm_rf_at(root, "a");
        path_at(from, sizeof from, root, "a.new");
        path_at(to, sizeof to, root, "a");
        cr_assert_eq(rename(from, to), 0);

        cr_assert_eq(cgroup_tree_sample(t, &needs, 2000000, &snap), 0);
        a = find(&snap, "/a");
        cr_assert_not_null(a);
        cr_assert_neq(a->inode, old_inode);
        cr_assert_eq(a->memory_current, 1000);
        /* nothing carried over from the old cgroup: no growth, no negative pgscan rate */
        cr_assert_float_eq(a->average_usage, 1000.0, EPS);
        cr_assert_float_eq(a->growth, 1.0, EPS);
        cr_assert_float_eq(a->pgscan_rate, 0.0, EPS);

        snapshot_clear(&snap);
        cgroup_tree_free(t);
}

/* Reads (or opens) of files in one directory during one sample, through inotify. */
typedef struct Watch {
        int fd;
        char opened[1024];
} Watch;

static void watch_start(Watch *w, const char *rel, uint32_t mask) {
        char path[PATH_MAX];

        path_at(path, sizeof path, root, rel);
        w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        cr_assert_geq(w->fd, 0);
        cr_assert_geq(inotify_add_watch(w->fd, path, mask), 0);
        w->opened[0] = 0;
}

/* The names of the files read (or opened), in order, space separated. */
static const char *watch_collect(Watch *w) {
        char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t n;

        while ((n = read(w->fd, buf, sizeof buf)) > 0)
                for (char *p = buf; p < buf + n;) {
                        struct inotify_event *ev = (struct inotify_event *) p;
                        if (ev->len > 0 && ev->name[0]) {
                                if (w->opened[0])
                                        strcat(w->opened, " ");
                                strcat(w->opened, ev->name);
                        }
                        p += sizeof *ev + ev->len;
                }
        close(w->fd);
        return w->opened;
}

/* memory.stat, the dearest file, is read only where SampleNeeds.stat_cgroups matches (or below a
 * match, with stat_descendants); the other fields are read wherever the cgroup is kept. */
Test(cgroup_runtime, stat_only_where_asked) {
        static const char *const globs[] = { "/p", "/p/*", NULL };
        static Pattern stat_at[] = { { .glob = (char *) "/p", .is_path = true } };
        SampleNeeds needs = needs_for(CG_MEMORY_CURRENT | CG_MEMORY_STAT, false, globs);
        CGroupTree *t = NULL;
        Snapshot snap = {};
        Watch wp, wc;

        needs.stat_cgroups = (PatternList) { .items = stat_at, .n = 1 };
        make_cgroup("p", "10\n", "7");
        make_cgroup("p/c", "1\n", "3");
        cr_assert_eq(cgroup_tree_new(root, &t), 0);

        watch_start(&wp, "p", IN_ACCESS);
        watch_start(&wc, "p/c", IN_ACCESS);
        cr_assert_eq(cgroup_tree_sample(t, &needs, 1, &snap), 0);
        cr_assert_str_eq(watch_collect(&wp), "memory.current memory.stat");
        cr_assert_str_eq(watch_collect(&wc), "memory.current", "nothing asks for the child's memory.stat");
        cr_assert_eq(find(&snap, "/p")->fields, CG_MEMORY_CURRENT | CG_MEMORY_STAT);
        cr_assert_eq(find(&snap, "/p")->pgscan, 7);
        cr_assert_eq(find(&snap, "/p/c")->fields, CG_MEMORY_CURRENT);
        snapshot_clear(&snap);

        /* a recursive pgscan ranking reads memory.stat below its matches */
        needs.descendants = needs.stat_descendants = true;
        needs.cgroups.n = 1; /* "/p" alone: "/p/c" is read as a descendant */
        watch_start(&wc, "p/c", IN_OPEN); /* memory.current is kept open from the first sample */
        cr_assert_eq(cgroup_tree_sample(t, &needs, 2, &snap), 0);
        cr_assert_str_eq(watch_collect(&wc), "memory.stat");
        cr_assert_eq(find(&snap, "/p/c")->pgscan, 3);
        snapshot_clear(&snap);
        cgroup_tree_free(t);
}

Test(cgroup_runtime, reads_only_the_files_asked_for_once_each) {
        static const char *const globs[] = { "/a", NULL };
        static const struct { unsigned fields; const char *expected; } cases[] = {
                { 0, "" },
                { CG_MEMORY_CURRENT, "memory.current" },
                { CG_MEMORY_STAT, "memory.stat" },
                { CG_MEMORY_PROTECT, "memory.low memory.min" },
                { CG_MEMORY_LIMITS, "memory.high memory.max" },
                { CG_SWAP_CURRENT, "memory.swap.current" },
                { CG_MEMORY_PSI | CG_IO_PSI, "memory.pressure io.pressure" },
                { CG_EVENTS | CG_OOM_GROUP, "cgroup.events memory.oom.group" },
                { CG_XATTRS, "" },
                { CG_MEMORY_CURRENT | CG_MEMORY_STAT | CG_MEMORY_PSI, "memory.current memory.stat memory.pressure" },
        };
        CGroupTree *t = NULL;

        make_cgroup("a", "1\n", "0");
        write_at(root, "a/memory.low", "0\n");
        write_at(root, "a/memory.min", "0\n");
        write_at(root, "a/memory.high", "max\n");
        write_at(root, "a/memory.max", "max\n");
        write_at(root, "a/memory.swap.current", "0\n");
        write_at(root, "a/memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
        write_at(root, "a/io.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
        write_at(root, "a/cgroup.events", "populated 0\n");
        write_at(root, "a/memory.oom.group", "0\n");
        cr_assert_eq(cgroup_tree_new(root, &t), 0);

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                SampleNeeds needs = needs_for(cases[i].fields, false, globs);
                Snapshot snap = {};
                Watch w;

                watch_start(&w, "a", IN_ACCESS); /* reads: files stay open from one sample to the next */
                cr_assert_eq(cgroup_tree_sample(t, &needs, i + 1, &snap), 0);
                cr_assert_str_eq(watch_collect(&w), cases[i].expected, "case %zu", i);
                cr_assert_eq(find(&snap, "/a")->fields, cases[i].fields, "case %zu", i);
                snapshot_clear(&snap);
        }
        cgroup_tree_free(t);
}

Test(cgroup_runtime, keeps_files_open_and_lists_once_per_age) {
        static const char *const globs[] = { "/*", NULL };
        SampleNeeds needs = needs_for(CG_MEMORY_CURRENT, false, globs);
        CGroupTree *t = NULL;
        Snapshot snap = {};
        Watch w;

        make_cgroup("a", "1\n", "0");
        cr_assert_eq(cgroup_tree_new(root, &t), 0);
        cgroup_tree_set_listing_max_age(t, 10000000);
        cr_assert_eq(cgroup_tree_sample(t, &needs, 1000000, &snap), 0);

        /* the next sample opens nothing, and reads the new value through the kept fd */
        write_at(root, "a/memory.current", "2\n");
        watch_start(&w, "a", IN_OPEN);
        cr_assert_eq(cgroup_tree_sample(t, &needs, 2000000, &snap), 0);
        cr_assert_str_eq(watch_collect(&w), "");
        cr_assert_eq(find(&snap, "/a")->memory_current, 2);

        /* a new cgroup shows up once the listing is older than its age */
        make_cgroup("b", "3\n", "0");
        cr_assert_eq(cgroup_tree_sample(t, &needs, 3000000, &snap), 0);
        cr_assert_str_eq(paths(&snap), "/ /a");
        cr_assert_eq(cgroup_tree_sample(t, &needs, 11000000, &snap), 0);
        cr_assert_str_eq(paths(&snap), "/ /a /b");

        snapshot_clear(&snap);
        cgroup_tree_free(t);
}

Test(cgroup_runtime, degraded_cgroup_without_memory_files) {
        static const char *const globs[] = { "/a", NULL };
        SampleNeeds needs = needs_for(CG_MEMORY_CURRENT | CG_MEMORY_STAT | CG_SWAP_CURRENT | CG_MEMORY_PSI, false, globs);
        CGroupTree *t = NULL;
        Snapshot snap = {};

        mkdir_at(root, "a");
        write_at(root, "a/cgroup.procs", "");
        write_at(root, "a/memory.pressure", "some avg10=3.00 avg60=0.00 avg300=0.00 total=0\n");
        cr_assert_eq(cgroup_tree_new(root, &t), 0);
        for (int i = 0; i < 3; i++) {
                const CGroupSample *a;

                cr_assert_eq(cgroup_tree_sample(t, &needs, i + 1, &snap), 0);
                a = find(&snap, "/a");
                cr_assert_not_null(a, "a cgroup without memory files is still there");
                cr_assert_eq(a->fields, CG_MEMORY_PSI);
                cr_assert_float_eq(a->mem_psi.some.avg10, 3.0, EPS);
        }
        snapshot_clear(&snap);
        cgroup_tree_free(t);
}

static bool set_xattr(const char *rel, const char *name, const char *value) {
        char path[PATH_MAX];

        path_at(path, sizeof path, root, rel);
        return setxattr(path, name, value, strlen(value), 0) == 0;
}

Test(cgroup_runtime, xattr_preferences) {
        static const char *const globs[] = { "/*", NULL };
        SampleNeeds needs = needs_for(CG_XATTRS, false, globs);
        CGroupTree *t = NULL;
        Snapshot snap = {};

        make_cgroup("none", "1\n", "0");
        make_cgroup("omit", "1\n", "0");
        make_cgroup("avoid", "1\n", "0");
        make_cgroup("prefer", "1\n", "0");
        make_cgroup("omit_avoid", "1\n", "0");
        make_cgroup("avoid_prefer", "1\n", "0");
        make_cgroup("zero", "1\n", "0");
        make_cgroup("other", "1\n", "0");
        if (!set_xattr("omit", "user.oomd_omit", "1"))
                cr_skip_test("this file system refuses user xattrs (%s); preference reading not exercised", strerror(errno));
        cr_assert(set_xattr("avoid", "user.oomd_avoid", "1"));
        cr_assert(set_xattr("prefer", "user.oomd_prefer", "1"));
        cr_assert(set_xattr("omit_avoid", "user.oomd_avoid", "1"));
        cr_assert(set_xattr("omit_avoid", "user.oomd_omit", "1"));
        cr_assert(set_xattr("avoid_prefer", "user.oomd_prefer", "1"));
        cr_assert(set_xattr("avoid_prefer", "user.oomd_avoid", "1"));
        cr_assert(set_xattr("zero", "user.oomd_omit", "0"));
        cr_assert(set_xattr("other", "user.something_else", "1"));

        cr_assert_eq(cgroup_tree_new(root, &t), 0);
        cr_assert_eq(cgroup_tree_sample(t, &needs, 1, &snap), 0);
        cr_assert_eq(find(&snap, "/none")->preference, PREFERENCE_NONE);
        cr_assert_eq(find(&snap, "/omit")->preference, PREFERENCE_OMIT);
        cr_assert_eq(find(&snap, "/avoid")->preference, PREFERENCE_AVOID);
        cr_assert_eq(find(&snap, "/prefer")->preference, PREFERENCE_PREFER);
        cr_assert_eq(find(&snap, "/omit_avoid")->preference, PREFERENCE_OMIT);
        cr_assert_eq(find(&snap, "/avoid_prefer")->preference, PREFERENCE_AVOID);
        cr_assert_eq(find(&snap, "/zero")->preference, PREFERENCE_NONE);
        cr_assert_eq(find(&snap, "/other")->preference, PREFERENCE_NONE);
        for (size_t i = 0; i < snap.n_cgroups; i++)
                cr_assert(snap.cgroups[i].fields & CG_XATTRS);

        /* trusted.* (root only), as older systemd wrote */
        if (set_xattr("none", "trusted.oomd_prefer", "1")) {
                cr_assert_eq(cgroup_tree_sample(t, &needs, 2, &snap), 0);
                cr_assert_eq(find(&snap, "/none")->preference, PREFERENCE_PREFER);
        } else
                cr_log_warn("trusted.* xattrs refused here (%s); not exercised", strerror(errno));

        snapshot_clear(&snap);
        cgroup_tree_free(t);
}

Test(cgroup_runtime, many_cgroups) {
        static const char *const globs[] = { "/s", NULL };
        SampleNeeds needs = needs_for(CG_MEMORY_CURRENT, true, globs);
        CGroupTree *t = NULL;
        Snapshot snap = {};
        char rel[64];

        /* enough to outgrow the path map and the getdents buffer more than once */
        make_cgroup("s", "0\n", "0");
        for (int i = 0; i < 600; i++) {
                snprintf(rel, sizeof rel, "s/child-with-a-long-name-%04d.service", i);
                make_cgroup(rel, "7\n", "0");
        }
        cr_assert_eq(cgroup_tree_new(root, &t), 0);
        for (int k = 0; k < 2; k++) {
                cr_assert_eq(cgroup_tree_sample(t, &needs, k + 1, &snap), 0);
                cr_assert_eq(snap.n_cgroups, 602);
                cr_assert_eq(find(&snap, "/s")->nr_children, 600);
                cr_assert_eq(find(&snap, "/s/child-with-a-long-name-0599.service")->memory_current, 7);
        }
        snapshot_clear(&snap);
        cgroup_tree_free(t);
}

/* The real cgroup2 mount of this host, read only. */
Test(cgroup_tree, real_host) {
        static const char *const globs[] = { "/*", NULL };
        SampleNeeds needs = needs_for(CG_MEMORY_CURRENT | CG_MEMORY_PSI | CG_EVENTS | CG_XATTRS, false, globs);
        CGroupTree *t = NULL;
        Snapshot snap = {};
        char *mount = NULL;
        int r;

        r = cgroup2_find_mount("/proc", &mount);
        if (r == -ENOENT)
                cr_skip_test("no cgroup2 mount on this host");
        cr_assert_eq(r, 0);
        cr_assert_eq(cgroup_tree_new(mount, &t), 0);
        cr_assert_eq(cgroup_tree_sample(t, &needs, 1, &snap), 0);
        cr_log_info("cgroup2 at %s, memory controller: %s, %zu top-level cgroups", mount, cgroup_tree_has_memory_controller(t) ? "yes" : "no", snap.n_cgroups);
        cr_assert_geq(snap.n_cgroups, 1);
        cr_assert_str_eq(snap.cgroups[0].path, "/");
        cr_assert_neq(snap.cgroups[0].inode, 0);
        cr_assert_eq(snap.cgroups[0].nr_children, snap.n_cgroups - 1);
        for (size_t i = 1; i < snap.n_cgroups; i++) {
                cr_assert_eq(snap.cgroups[i].parent_inode, snap.cgroups[0].inode);
                cr_assert(snap.cgroups[i].fields & CG_EVENTS, "%s has cgroup.events", snap.cgroups[i].path);
        }
        snapshot_clear(&snap);
        cgroup_tree_free(t);
        free(mount);
}

/* Degraded mode: a cgroup weighs the RSS of its processes and of those below it, on path
 * boundaries ("/ab" is not below "/a"); the root weighs every process. */
Test(cgroup_runtime, degraded_memory_is_the_processes_rss) {
        CGroupSample cgs[] = { { .path = "/" }, { .path = "/a" }, { .path = "/a/b" }, { .path = "/ab" } };
        ProcSample procs[] = {
                { .pid = 10, .cgroup = "/a/b", .rss = 10 << 20, .rss_anon = 8 << 20 },
                { .pid = 11, .cgroup = "/a", .rss = 5 << 20, .rss_anon = 1 << 20 },
                { .pid = 12, .cgroup = "/ab", .rss = 7 << 20 },
                { .pid = 13, .cgroup = NULL, .rss = 1 << 20 },
        };

        cgroup_samples_fill_rss(cgs, 4, procs, 4);
        cr_assert_eq(cgs[0].memory_current, 23u << 20);
        cr_assert_eq(cgs[1].memory_current, 15u << 20);
        cr_assert_eq(cgs[1].anon, 9u << 20);
        cr_assert_eq(cgs[2].memory_current, 10u << 20);
        cr_assert_eq(cgs[3].memory_current, 7u << 20);
        for (size_t i = 0; i < 4; i++)
                cr_assert(cgs[i].fields & CG_MEMORY_CURRENT, "%s is not marked read", cgs[i].path);
}

/* One tree serves every kind of sample: a whole one (the policy's needs) and the detectors'
 * (fewer cgroups, fewer fields). Detectors' needs over their own globs (needs_for's are shared). */
static Pattern detect_buf[4];

static SampleNeeds detect_needs_for(unsigned fields, const char *glob) {
        detect_buf[0] = (Pattern) { .glob = (char *) glob, .is_path = true };
        return (SampleNeeds) {
                .cgroup_fields = fields,
                .cgroups = { .items = detect_buf, .n = 1 },
                .stat_cgroups = { .items = detect_buf, .n = (fields & CG_MEMORY_STAT) ? 1 : 0 },
        };
}

/* A sample that does not read memory.current or memory.stat leaves growth and the pgscan rate as
 * they were: the next that reads them derives against the last that did. */
Test(cgroup_runtime, interleaved_samples_keep_growth_and_rates) {
        static const char *const globs[] = { "/a", NULL };
        SampleNeeds whole = needs_for(CG_MEMORY_CURRENT | CG_MEMORY_STAT, false, globs);
        SampleNeeds detect = detect_needs_for(CG_MEMORY_PSI, "/a");
        SampleNeeds detect_stat = detect_needs_for(CG_MEMORY_PSI | CG_MEMORY_STAT, "/a");
        const char *const partial[] = { "/a" };
        CGroupTree *t = NULL;
        Snapshot snap = {};
        const CGroupSample *a;

        make_cgroup("a", "100\n", "0");
        write_at(root, "a/memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                                            "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
        cr_assert_eq(cgroup_tree_new(root, &t), 0);
        cgroup_tree_set_widest_needs(t, &whole);
        cr_assert_eq(cgroup_tree_sample(t, &whole, 1000000, &snap), 0);

        /* the detectors' walk and a partial sample read neither file */
        write_at(root, "a/memory.current", "900\n");
        write_at(root, "a/memory.stat", "anon 1\nfile 2\npgscan 777\n");
        cr_assert_eq(cgroup_tree_sample(t, &detect, 2000000, &snap), 0);
        a = find(&snap, "/a");
        cr_assert_not_null(a);
        cr_assert_eq(a->fields & (CG_MEMORY_CURRENT | CG_MEMORY_STAT), 0);
        cr_assert_float_eq(a->growth, 1.0, EPS);
        cr_assert_float_eq(a->average_usage, 100.0, EPS, "the average as it stands");
        cr_assert_eq(cgroup_tree_sample_paths(t, &detect, partial, 1, 2500000, &snap), 0);
        cr_assert_eq(find(&snap, "/a")->fields & (CG_MEMORY_CURRENT | CG_MEMORY_STAT), 0);

        /* as if they had not happened: (100 * 3 + 200) / 4 = 125; 2000 pages over 2 s */
        write_at(root, "a/memory.current", "200\n");
        write_at(root, "a/memory.stat", "anon 1\nfile 2\npgscan 2000\n");
        cr_assert_eq(cgroup_tree_sample(t, &whole, 3000000, &snap), 0);
        a = find(&snap, "/a");
        cr_assert_float_eq(a->average_usage, 125.0, EPS);
        cr_assert_float_eq(a->growth, 1.6, EPS);
        cr_assert_float_eq(a->pgscan_rate, 1000.0, EPS);
        cr_assert_eq(a->last_pgscan_usec, 3000000);

        /* a detectors' sample that reads memory.stat (not memory.current) moves the rate's start */
        write_at(root, "a/memory.stat", "anon 1\nfile 2\npgscan 2500\n");
        cr_assert_eq(cgroup_tree_sample(t, &detect_stat, 4000000, &snap), 0);
        cr_assert_float_eq(find(&snap, "/a")->pgscan_rate, 500.0, EPS);
        write_at(root, "a/memory.current", "200\n");
        write_at(root, "a/memory.stat", "anon 1\nfile 2\npgscan 3500\n");
        cr_assert_eq(cgroup_tree_sample(t, &whole, 4500000, &snap), 0);
        a = find(&snap, "/a");
        cr_assert_float_eq(a->pgscan_rate, 2000.0, EPS, "1000 pages over the 0.5 s since the last read");
        cr_assert_float_eq(a->average_usage, 125.0 * 0.75 + 200.0 * 0.25, EPS);

        snapshot_clear(&snap);
        cgroup_tree_free(t);
}

/* The candidates a detectors' walk does not reach stay cached: not reopened, their history kept;
 * a cgroup removed is still dropped, by the walk that reaches it. */
Test(cgroup_runtime, narrower_walk_keeps_what_it_does_not_visit) {
        static const char *const globs[] = { "/a", "/b", NULL };
        SampleNeeds whole = needs_for(CG_MEMORY_CURRENT, false, globs);
        SampleNeeds detect = detect_needs_for(0, "/a");
        CGroupTree *t = NULL;
        Snapshot snap = {};
        Watch w;
        int fds;

        make_cgroup("a", "1\n", "0");
        make_cgroup("b", "100\n", "0");
        write_at(root, "cgroup.stat", "nr_descendants 2\nnr_dying_descendants 0\n");
        cr_assert_eq(cgroup_tree_new(root, &t), 0);
        cgroup_tree_set_widest_needs(t, &whole);
        cgroup_tree_set_listing_max_age(t, 100000000);
        cr_assert_eq(cgroup_tree_sample(t, &whole, 1000000, &snap), 0);
        fds = count_dir_fds();

        cr_assert_eq(cgroup_tree_sample(t, &detect, 2000000, &snap), 0);
        cr_assert_str_eq(paths(&snap), "/ /a");
        cr_assert_eq(count_dir_fds(), fds, "b's directory stays open");
        cr_assert_eq(cgroup_tree_sample(t, &detect, 3000000, &snap), 0);

        /* the whole sample opens nothing again, and b's average goes on */
        write_at(root, "b/memory.current", "200\n");
        watch_start(&w, "", IN_OPEN);
        cr_assert_eq(cgroup_tree_sample(t, &whole, 4000000, &snap), 0);
        cr_assert_str_eq(watch_collect(&w), "");
        cr_assert_str_eq(paths(&snap), "/ /a /b");
        cr_assert_float_eq(find(&snap, "/b")->average_usage, 125.0, EPS);

        /* removed: out of every sample at once; its entry is freed by the next whole walk (a narrower
         * one cannot tell a cgroup gone from one out of its reach) */
        rm_rf_at(root, "b");
        write_at(root, "cgroup.stat", "nr_descendants 1\nnr_dying_descendants 0\n");
        cr_assert_eq(cgroup_tree_sample(t, &detect, 5000000, &snap), 0);
        cr_assert_eq(cgroup_tree_sample(t, &whole, 6000000, &snap), 0);
        cr_assert_str_eq(paths(&snap), "/ /a");
        cr_assert_eq(count_dir_fds(), fds - 1, "the removed cgroup's fd must be closed");
        rm_rf_at(root, "a");
        write_at(root, "cgroup.stat", "nr_descendants 0\nnr_dying_descendants 0\n");
        cr_assert_eq(cgroup_tree_sample(t, &detect, 7000000, &snap), 0);
        cr_assert_str_eq(paths(&snap), "/");
        cr_assert_eq(cgroup_tree_sample(t, &whole, 8000000, &snap), 0);
        cr_assert_str_eq(paths(&snap), "/");
        cr_assert_eq(count_dir_fds(), fds - 2);

        snapshot_clear(&snap);
        cgroup_tree_free(t);
}

/* When the root's cgroup.stat counts other cgroups, a narrower walk lists again only the
 * directories whose children it reads (here /s is read, its children are not): the wider walk
 * still lists its own again. */
Test(cgroup_runtime, narrower_walk_leaves_listing_to_the_wider) {
        static const char *const globs[] = { "/s/*", NULL };
        SampleNeeds whole = needs_for(CG_MEMORY_CURRENT, false, globs);
        SampleNeeds detect = detect_needs_for(0, "/s");
        CGroupTree *t = NULL;
        Snapshot snap = {};

        make_cgroup("a", "1\n", "0");
        make_cgroup("s", "1\n", "0");
        make_cgroup("s/x", "1\n", "0");
        write_at(root, "cgroup.stat", "nr_descendants 3\nnr_dying_descendants 0\n");
        cr_assert_eq(cgroup_tree_new(root, &t), 0);
        cgroup_tree_set_widest_needs(t, &whole);
        cgroup_tree_set_listing_max_age(t, 100000000);
        cr_assert_eq(cgroup_tree_sample(t, &whole, 1000000, &snap), 0);
        cr_assert_str_eq(paths(&snap), "/ /s /s/x");

        make_cgroup("s/y", "1\n", "0");
        write_at(root, "cgroup.stat", "nr_descendants 4\nnr_dying_descendants 0\n");
        cr_assert_eq(cgroup_tree_sample(t, &detect, 2000000, &snap), 0);
        cr_assert_eq(cgroup_tree_sample(t, &whole, 3000000, &snap), 0);
        cr_assert_str_eq(paths(&snap), "/ /s /s/x /s/y");

        snapshot_clear(&snap);
        cgroup_tree_free(t);
}
