/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The killer against real cgroups and real processes. Every cgroup here is created by the test
 * under the cgroup2 mount as "pressured-test-<pid>-<n>", every process is forked by it, and the
 * fini kills and removes them even when an assertion failed. Skips without root or a writable
 * cgroup2 mount.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "daemon/act/killer.h"
#include "daemon/read/mountinfo.h"
#include "policy/macro.h"
#include "host-util.h"

#define MAX_TRACKED 64

static char *mount_path;
static int root_fd = -1;
static char top[128];                        /* "/pressured-test-<pid>-<n>" */
static char cgroups[MAX_TRACKED][256];       /* created, in order */
static unsigned n_cgroups;
static pid_t children[MAX_TRACKED];          /* forked, not yet reaped */
static unsigned n_children;
static bool have_cgroup_kill;
static bool have_user_xattrs;

static const char *rel(const char *path) {
        return path + 1; /* our paths start with '/' */
}

/* Where one of our cgroups (a path under the mount, starting with '/') is, for host-util. */
static const char *abs_path(char buf[static PATH_MAX], const char *cgroup) {
        snprintf(buf, PATH_MAX, "%s%s", mount_path, cgroup);
        return buf;
}

static bool cgroup_populated(const char *cgroup) {
        char p[PATH_MAX];
        return host_cgroup_populated(abs_path(p, cgroup));
}

/* Waits (bounded) until nothing runs in the cgroup any more. */
static bool wait_unpopulated(const char *cgroup) {
        char p[PATH_MAX];
        return host_cgroup_wait_empty(abs_path(p, cgroup), 5000);
}

static void make_cgroup(const char *path) {
        cr_assert_lt(n_cgroups, MAX_TRACKED);
        cr_assert_eq(mkdirat(root_fd, rel(path), 0755), 0, "mkdir %s%s: %s", mount_path, path, strerror(errno));
        snprintf(cgroups[n_cgroups++], sizeof cgroups[0], "%s", path);
}

static void track_child(pid_t pid) {
        cr_assert_lt(n_children, MAX_TRACKED);
        children[n_children++] = pid;
}

static void untrack_child(pid_t pid) {
        for (unsigned i = 0; i < n_children; i++)
                if (children[i] == pid) {
                        children[i] = children[--n_children];
                        return;
                }
}

static void move_into(pid_t pid, const char *cgroup) {
        char p[PATH_MAX];
        int r = host_cgroup_attach(abs_path(p, cgroup), pid);
        cr_assert_eq(r, 0, "moving pid %d into %s: %s", (int) pid, cgroup, strerror(-r));
}

static pid_t spawn_sleeper(const char *cgroup) {
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                for (;;)
                        pause();
        }
        track_child(pid);
        move_into(pid, cgroup);
        return pid;
}

/* A child that keeps forking sleeping children (at most `max`), writing each new pid to a pipe.
 * Returns the forker's pid and the pipe's read end. */
static pid_t spawn_forker(const char *cgroup, unsigned max, int *ret_pipe) {
        int p[2];
        cr_assert_eq(pipe2(p, O_CLOEXEC), 0);

        /* Make it join the cgroup before it forks, so every grandchild starts inside. */
        int go[2];
        cr_assert_eq(pipe2(go, O_CLOEXEC), 0);

        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                char c;
                close(p[0]);
                close(go[1]);
                if (read(go[0], &c, 1) != 1)
                        _exit(2);
                for (unsigned i = 0; i < max; i++) {
                        pid_t g = fork();
                        if (g == 0) {
                                for (;;)
                                        pause();
                        }
                        if (g > 0 && write(p[1], &g, sizeof g) != sizeof g)
                                _exit(3);
                        usleep(300);
                }
                for (;;)
                        pause();
        }
        close(p[1]);
        close(go[0]);
        track_child(pid);
        move_into(pid, cgroup);
        cr_assert_eq(write(go[1], "x", 1), 1);
        close(go[1]);
        *ret_pipe = p[0];
        return pid;
}

/* Reads n grandchild pids from the forker's pipe (blocking). */
static void read_pids(int fd, pid_t *pids, unsigned n) {
        size_t want = n * sizeof(pid_t), got = 0;
        while (got < want) {
                ssize_t k = read(fd, (char *) pids + got, want - got);
                cr_assert_gt(k, 0, "the forker stopped reporting children");
                got += (size_t) k;
        }
}

static void assert_sigkilled(pid_t pid) {
        int status;
        cr_assert_eq(waitpid(pid, &status, 0), pid, "waitpid %d: %s", (int) pid, strerror(errno));
        untrack_child(pid);
        cr_assert(WIFSIGNALED(status), "pid %d exited with status 0x%x instead of being killed", (int) pid, status);
        cr_assert_eq(WTERMSIG(status), SIGKILL, "pid %d died of signal %d", (int) pid, WTERMSIG(status));
}

static void assert_alive(pid_t pid) {
        int status;
        cr_assert_eq(waitpid(pid, &status, WNOHANG), 0, "pid %d, which must be untouched, has died", (int) pid);
}

static bool result_has_pid(const KillResult *r, pid_t pid) {
        for (unsigned i = 0; i < r->n_killed && i < KILL_MAX_PIDS_RECORDED; i++)
                if (r->pids[i] == pid)
                        return true;
        return false;
}

/* Reaps every orphan reparented to us (we are a subreaper) until `want` were reaped; every one must
 * have died of SIGKILL. Returns how many were reaped. */
static pid_t reaped[4096];
static unsigned n_reaped_total;

static bool was_reaped(pid_t pid) {
        for (unsigned i = 0; i < n_reaped_total; i++)
                if (reaped[i] == pid)
                        return true;
        return false;
}

static unsigned reap_descendants(unsigned want) {
        unsigned n = 0;
        n_reaped_total = 0;
        for (int i = 0; i < 500 && n < want; i++) {
                int status;
                pid_t p;
                while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
                        untrack_child(p);
                        if (n_reaped_total < ELEMENTSOF(reaped))
                                reaped[n_reaped_total++] = p;
                        cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                                  "descendant %d ended with status 0x%x, not SIGKILL", (int) p, status);
                        n++;
                }
                if (n < want)
                        host_sleep_ms(10);
        }
        return n;
}

static uint64_t xattr_value(const char *cgroup, const char *name) {
        char p[512], buf[32];
        snprintf(p, sizeof p, "%s%s", mount_path, cgroup);
        ssize_t n = getxattr(p, name, buf, sizeof buf - 1);
        if (n < 0)
                return 0;
        buf[n] = 0;
        return strtoull(buf, NULL, 10);
}

static uint64_t proc_start_time(pid_t pid) {
        char p[64], buf[1024];
        snprintf(p, sizeof p, "/proc/%d/stat", (int) pid);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        cr_assert_geq(fd, 0);
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        cr_assert_gt(n, 0);
        buf[n] = 0;
        char *s = strrchr(buf, ')');
        cr_assert_not_null(s);
        s += 2; /* field 3 */
        for (int f = 3; f < 22; f++) {
                s = strchr(s, ' ');
                cr_assert_not_null(s);
                s++;
        }
        return strtoull(s, NULL, 10);
}

static void cleanup(void) {
        /* Our own children first, by pid: they are unreaped, so the pid cannot have been reused. */
        for (unsigned i = 0; i < n_children; i++)
                kill(children[i], SIGKILL);
        /* Grandchildren: only inside cgroups we created. */
        for (unsigned i = n_cgroups; i > 0; i--) {
                const char *cg = cgroups[i - 1];
                char p[PATH_MAX];
                snprintf(p, sizeof p, "%s%s/cgroup.kill", mount_path, cg);
                if (have_cgroup_kill)
                        (void) host_write_file(p, "1");
                (void) wait_unpopulated(cg);
        }
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
        n_children = 0;
        for (unsigned i = n_cgroups; i > 0; i--) {
                const char *cg = cgroups[i - 1];
                for (int t = 0; t < 100; t++) {
                        if (unlinkat(root_fd, rel(cg), AT_REMOVEDIR) == 0 || errno == ENOENT)
                                break;
                        host_sleep_ms(20);
                }
                if (faccessat(root_fd, rel(cg), F_OK, 0) == 0)
                        fprintf(stderr, "test-killer: could not remove cgroup %s%s, remove it by hand\n", mount_path, cg);
        }
        n_cgroups = 0;
        if (root_fd >= 0)
                close(root_fd);
        root_fd = -1;
        free(mount_path);
        mount_path = NULL;
}

static void setup(void) {
        static unsigned counter;
        int r;

        if (geteuid() != 0)
                cr_skip_test("not root: creating cgroups and killing processes needs root");

        r = cgroup2_find_mount("/proc", &mount_path);
        if (r < 0)
                cr_skip_test("no cgroup2 mount in /proc/self/mountinfo (%s)", strerror(-r));
        root_fd = open(mount_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cr_assert_geq(root_fd, 0, "open %s: %s", mount_path, strerror(errno));

        snprintf(top, sizeof top, "/pressured-test-%d-%u", (int) getpid(), counter++);
        if (mkdirat(root_fd, rel(top), 0755) < 0) {
                int e = errno;
                cleanup();
                cr_skip_test("cannot create a cgroup under the cgroup2 mount (%s): it is not writable here", strerror(e));
        }
        snprintf(cgroups[n_cgroups++], sizeof cgroups[0], "%s", top);

        char p[256];
        snprintf(p, sizeof p, "%s/cgroup.kill", rel(top));
        have_cgroup_kill = faccessat(root_fd, p, F_OK, 0) == 0;

        snprintf(p, sizeof p, "%s%s", mount_path, top);
        have_user_xattrs = setxattr(p, "user.pressured_test", "1", 1, 0) == 0;
        if (have_user_xattrs)
                (void) removexattr(p, "user.pressured_test");

        /* Orphaned grandchildren come to us, so the tests can reap them and see how they died. */
        cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
        atexit(cleanup);
}

TestSuite(killer, .init = setup, .fini = cleanup, .timeout = 60);

static void path_of(char *buf, size_t size, const char *leaf) {
        snprintf(buf, size, "%s/%s", top, leaf);
}

Test(killer_names, method_strings) {
        cr_assert_str_eq(kill_method_to_string(KILL_METHOD_NONE), "none");
        cr_assert_str_eq(kill_method_to_string(KILL_METHOD_CGROUP_KILL), "cgroup.kill");
        cr_assert_str_eq(kill_method_to_string(KILL_METHOD_PIDFD), "pidfd");
        cr_assert_str_eq(kill_method_to_string(KILL_METHOD_PROCESS), "process");
        cr_assert_null(kill_method_to_string(_KILL_METHOD_MAX));
        cr_assert_null(kill_method_to_string((KillMethod) -1));
}

Test(killer, cgroup_kill_spares_sibling) {
        char victim[256], sub[256], sibling[256];
        if (!have_cgroup_kill)
                cr_skip_test("no cgroup.kill on this kernel (< 5.14)");

        path_of(victim, sizeof victim, "victim");
        path_of(sub, sizeof sub, "victim/sub");
        path_of(sibling, sizeof sibling, "sibling");
        make_cgroup(victim);
        make_cgroup(sub);
        make_cgroup(sibling);

        pid_t v[4] = { spawn_sleeper(victim), spawn_sleeper(victim), spawn_sleeper(victim), spawn_sleeper(sub) };
        pid_t s[2] = { spawn_sleeper(sibling), spawn_sleeper(sibling) };

        KillResult res;
        memset(&res, 0xff, sizeof res);
        cr_assert_eq(killer_kill_cgroup(root_fd, victim, false, &res), 0);
        cr_assert_eq(res.method, KILL_METHOD_CGROUP_KILL);
        cr_assert_eq(res.n_killed, 4);
        /* A small process often exits before process_mrelease gets to it (ESRCH): not counted. */
        cr_assert_leq(res.n_reaped, 4);
        for (int i = 0; i < 4; i++) {
                cr_assert(result_has_pid(&res, v[i]), "pid %d missing from the result", (int) v[i]);
                assert_sigkilled(v[i]);
        }
        cr_assert(wait_unpopulated(victim));

        for (int i = 0; i < 2; i++)
                assert_alive(s[i]);
        cr_assert(cgroup_populated(sibling));

        if (!have_user_xattrs)
                cr_log_warn("user xattrs are refused on this cgroup2 mount; not checking user.oomd_*");
        else {
                cr_assert(res.xattrs_written);
                cr_assert_eq(xattr_value(victim, "user.oomd_ooms"), 1);
                cr_assert_eq(xattr_value(victim, "user.oomd_kill"), 4);
                cr_assert_eq(xattr_value(sibling, "user.oomd_ooms"), 0, "the sibling was not killed");
        }
}

Test(killer, cgroup_kill_with_forker) {
        char victim[256];
        int pfd;
        pid_t g[10];
        if (!have_cgroup_kill)
                cr_skip_test("no cgroup.kill on this kernel (< 5.14)");

        path_of(victim, sizeof victim, "victim");
        make_cgroup(victim);
        pid_t f = spawn_forker(victim, 200, &pfd);
        read_pids(pfd, g, 10);

        KillResult res;
        cr_assert_eq(killer_kill_cgroup(root_fd, victim, false, &res), 0);
        cr_assert_eq(res.method, KILL_METHOD_CGROUP_KILL);
        cr_assert_geq(res.n_killed, 11);
        cr_assert(result_has_pid(&res, f));
        cr_assert(wait_unpopulated(victim), "processes survived cgroup.kill");
        close(pfd);
        /* The forker and every grandchild that existed are ours to reap, all SIGKILLed. */
        unsigned n = reap_descendants(res.n_killed);
        cr_assert_geq(n, res.n_killed);
        for (int i = 0; i < 10; i++)
                cr_assert(was_reaped(g[i]), "grandchild %d was not killed", (int) g[i]);
}

Test(killer, pidfd_fallback_nested_and_forking) {
        char victim[256], sub[256], sibling[256];
        int pfd;
        pid_t g[20];

        path_of(victim, sizeof victim, "victim");
        path_of(sub, sizeof sub, "victim/sub");
        path_of(sibling, sizeof sibling, "sibling");
        make_cgroup(victim);
        make_cgroup(sub);
        make_cgroup(sibling);

        pid_t a = spawn_sleeper(victim);
        pid_t b = spawn_sleeper(sub);
        pid_t s = spawn_sleeper(sibling);
        pid_t f = spawn_forker(sub, 300, &pfd);
        read_pids(pfd, g, 20); /* still forking when the kill starts */

        KillResult res;
        cr_assert_eq(killer_kill_cgroup(root_fd, victim, true, &res), 0);
        cr_assert_eq(res.method, KILL_METHOD_PIDFD);
        cr_assert_geq(res.n_killed, 23, "a, b, the forker and at least 20 grandchildren");
        cr_assert_leq(res.n_reaped, res.n_killed);
        cr_assert(result_has_pid(&res, a));
        cr_assert(result_has_pid(&res, b));
        cr_assert(result_has_pid(&res, f));
        cr_assert(wait_unpopulated(victim), "processes survived the pidfd rounds");

        assert_sigkilled(a);
        assert_sigkilled(b);
        assert_sigkilled(f);
        /* Every other process it signalled was a grandchild, now reparented to us. */
        unsigned n = reap_descendants(res.n_killed - 3);
        cr_assert_eq(n, res.n_killed - 3, "every signalled process was one of ours and died of SIGKILL");
        for (int i = 0; i < 20; i++)
                cr_assert(was_reaped(g[i]), "grandchild %d was not killed", (int) g[i]);
        close(pfd);

        assert_alive(s);
        if (have_user_xattrs) {
                cr_assert_eq(xattr_value(victim, "user.oomd_ooms"), 1);
                cr_assert_eq(xattr_value(victim, "user.oomd_kill"), res.n_killed);
        }
}

Test(killer, empty_cgroup) {
        char victim[256];
        path_of(victim, sizeof victim, "empty");
        make_cgroup(victim);

        for (int force = 0; force <= 1; force++) {
                KillResult res;
                memset(&res, 0xff, sizeof res);
                cr_assert_eq(killer_kill_cgroup(root_fd, victim, force, &res), 0);
                cr_assert_eq(res.n_killed, 0);
                cr_assert_eq(res.n_reaped, 0);
                cr_assert_not(res.xattrs_written, "nothing was killed: systemd must not see an OOM kill");
                if (force || !have_cgroup_kill)
                        cr_assert_eq(res.method, KILL_METHOD_PIDFD);
                else
                        cr_assert_eq(res.method, KILL_METHOD_CGROUP_KILL);
        }
        cr_assert_eq(xattr_value(victim, "user.oomd_ooms"), 0);
}

Test(killer, vanished_cgroup) {
        char gone[256], removed[256];
        path_of(gone, sizeof gone, "never-existed");
        path_of(removed, sizeof removed, "removed");

        KillResult res = {};
        cr_assert_eq(killer_kill_cgroup(root_fd, gone, false, &res), -ENOENT);
        cr_assert_eq(killer_kill_cgroup(root_fd, gone, true, &res), -ENOENT);

        cr_assert_eq(mkdirat(root_fd, rel(removed), 0755), 0);
        cr_assert_eq(unlinkat(root_fd, rel(removed), AT_REMOVEDIR), 0);
        cr_assert_eq(killer_kill_cgroup(root_fd, removed, false, &res), -ENOENT);
}

Test(killer, refuses_root) {
        KillResult res = {};
        cr_assert_eq(killer_kill_cgroup(root_fd, "/", false, &res), -EPERM);
        cr_assert_eq(killer_kill_cgroup(root_fd, "/", true, &res), -EPERM);
        cr_assert_eq(killer_kill_cgroup(root_fd, "", false, &res), -EPERM);
        cr_assert_eq(killer_kill_cgroup(root_fd, "//", false, &res), -EPERM);
        cr_assert_eq(killer_kill_cgroup(root_fd, NULL, false, &res), -EPERM);
        /* Climbing out of the hierarchy is refused too. */
        cr_assert_eq(killer_kill_cgroup(root_fd, "/..", false, &res), -EPERM);
        cr_assert_eq(killer_kill_cgroup(root_fd, "/x/../..", false, &res), -EPERM);
}

Test(killer, never_kills_itself) {
        char victim[256];
        path_of(victim, sizeof victim, "with-killer");
        make_cgroup(victim);
        pid_t a = spawn_sleeper(victim);
        pid_t b = spawn_sleeper(victim);

        /* The killer runs in a child that joins the victim cgroup, then exits by itself: no write
         * to any cgroup we did not create. */
        pid_t k = fork();
        cr_assert_geq(k, 0);
        if (k == 0) {
                char p[PATH_MAX];
                if (host_cgroup_attach(abs_path(p, victim), getpid()) < 0)
                        _exit(10);
                KillResult res;
                int r = killer_kill_cgroup(root_fd, victim, false, &res);
                if (r != 0)
                        _exit(11);
                if (res.method != KILL_METHOD_PIDFD)
                        _exit(12);
                if (res.n_killed != 2 || result_has_pid(&res, getpid()))
                        _exit(13);
                _exit(0);
        }
        track_child(k);
        int status;
        cr_assert_eq(waitpid(k, &status, 0), k);
        untrack_child(k);
        cr_assert(WIFEXITED(status), "the killer killed itself (status 0x%x)", status);
        cr_assert_eq(WEXITSTATUS(status), 0, "killer child check %d failed", WEXITSTATUS(status));
        assert_sigkilled(a);
        assert_sigkilled(b);
}

Test(killer, kill_process_start_time_guard) {
        char victim[256];
        path_of(victim, sizeof victim, "proc");
        make_cgroup(victim);
        pid_t a = spawn_sleeper(victim);
        pid_t b = spawn_sleeper(victim);
        uint64_t st = proc_start_time(a);
        cr_assert_gt(st, 0);

        KillResult res = {};
        /* Wrong start time: another process now has that pid; leave it alone. */
        cr_assert_eq(killer_kill_process("/proc", a, st + 1, root_fd, victim, &res), -ESRCH);
        assert_alive(a);

        memset(&res, 0xff, sizeof res);
        cr_assert_eq(killer_kill_process("/proc", a, st, root_fd, victim, &res), 0);
        cr_assert_eq(res.method, KILL_METHOD_PROCESS);
        cr_assert_eq(res.n_killed, 1);
        cr_assert_eq(res.pids[0], a);
        cr_assert_leq(res.n_reaped, 1);
        assert_sigkilled(a);
        assert_alive(b);

        /* Reaped: the pid is gone. */
        cr_assert_eq(killer_kill_process("/proc", a, 0, -1, NULL, &res), -ESRCH);

        /* start_time 0 skips the check; no cgroup means no xattrs. */
        cr_assert_eq(killer_kill_process("/proc", b, 0, -1, NULL, &res), 0);
        cr_assert_not(res.xattrs_written);
        assert_sigkilled(b);

        if (have_user_xattrs) {
                cr_assert_eq(xattr_value(victim, "user.oomd_ooms"), 1, "one per-process kill recorded on the cgroup");
                cr_assert_eq(xattr_value(victim, "user.oomd_kill"), 1);
        }
}

Test(killer, kill_process_refuses_init_and_self) {
        KillResult res = {};
        cr_assert_eq(killer_kill_process("/proc", 1, 0, -1, NULL, &res), -EPERM);
        cr_assert_eq(killer_kill_process("/proc", getpid(), 0, -1, NULL, &res), -EPERM);
        cr_assert_eq(killer_kill_process("/proc", 0, 0, -1, NULL, &res), -EPERM);
        cr_assert_eq(killer_kill_process("/proc", -5, 0, -1, NULL, &res), -EPERM);
}

Test(killer, xattrs_count_two_kills) {
        char victim[256], p[512];
        path_of(victim, sizeof victim, "twice");
        make_cgroup(victim);
        if (!have_user_xattrs)
                cr_skip_test("user xattrs are refused on this cgroup2 mount; cannot check user.oomd_*");

        pid_t a = spawn_sleeper(victim), b = spawn_sleeper(victim);
        KillResult res;
        cr_assert_eq(killer_kill_cgroup(root_fd, victim, false, &res), 0);
        cr_assert_eq(res.n_killed, 2);
        cr_assert(res.xattrs_written);
        assert_sigkilled(a);
        assert_sigkilled(b);
        cr_assert(wait_unpopulated(victim));
        cr_assert_eq(xattr_value(victim, "user.oomd_ooms"), 1);
        cr_assert_eq(xattr_value(victim, "user.oomd_kill"), 2);

        pid_t c[3] = { spawn_sleeper(victim), spawn_sleeper(victim), spawn_sleeper(victim) };
        cr_assert_eq(killer_kill_cgroup(root_fd, victim, true, &res), 0);
        cr_assert_eq(res.n_killed, 3);
        for (int i = 0; i < 3; i++)
                assert_sigkilled(c[i]);
        cr_assert_eq(xattr_value(victim, "user.oomd_ooms"), 2);
        cr_assert_eq(xattr_value(victim, "user.oomd_kill"), 5);

        /* The exact text systemd parses. */
        char buf[32];
        snprintf(p, sizeof p, "%s%s", mount_path, victim);
        ssize_t n = getxattr(p, "user.oomd_kill", buf, sizeof buf);
        cr_assert_eq(n, 1);
        cr_assert_eq(buf[0], '5');
}
