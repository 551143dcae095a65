/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "daemon/read/proc_scan.h"
#include "test-util.h"

#define PROC FIXTURES_DIR "/proc-basic"

static const ProcSample *find_pid(const ProcSample *p, size_t n, pid_t pid) {
        for (size_t i = 0; i < n; i++)
                if (p[i].pid == pid)
                        return &p[i];
        return NULL;
}

Test(proc_read, user_process_with_odd_comm) {
        ProcSample p;

        cr_assert_eq(proc_read(PROC, 4242, &p), 0);
        cr_assert_eq(p.pid, 4242);
        cr_assert_str_eq(p.comm, "my (evil) p");
        cr_assert_eq(p.uid, 1000, "the real uid is the first of four");
        cr_assert_eq(p.rss, UINT64_C(10240) * 1024);
        cr_assert_eq(p.rss_anon, UINT64_C(8192) * 1024);
        cr_assert_eq(p.swap, UINT64_C(512) * 1024);
        cr_assert_eq(p.oom_score, 667);
        cr_assert_eq(p.oom_score_adj, 300);
        cr_assert(!p.kernel_thread);
        cr_assert_eq(p.start_time, 987654);
        cr_assert_str_eq(p.cgroup, "/user.slice/user-1000.slice/session-2.scope");
        free(p.cgroup);
}

Test(proc_read, kernel_thread) {
        ProcSample p;

        cr_assert_eq(proc_read(PROC, 2, &p), 0);
        cr_assert_str_eq(p.comm, "kthreadd");
        cr_assert(p.kernel_thread);
        cr_assert_eq(p.rss, 0);
        cr_assert_eq(p.start_time, 3);
        cr_assert_str_eq(p.cgroup, "/");
        free(p.cgroup);
}

Test(proc_read, v1_only_cgroup_and_protected) {
        ProcSample p;

        cr_assert_eq(proc_read(PROC, 4243, &p), 0);
        cr_assert_str_eq(p.comm, "sshd");
        cr_assert_eq(p.uid, 0);
        cr_assert_eq(p.oom_score_adj, -1000);
        cr_assert_eq(p.rss, UINT64_C(1200) * 1024);
        cr_assert_str_eq(p.cgroup, "/", "no 0:: line means the cgroup2 root");
        free(p.cgroup);
}

Test(proc_read, gone) {
        ProcSample p;

        cr_assert_eq(proc_read(PROC, 999999, &p), -ESRCH);
        cr_assert_eq(proc_read(PROC, 0, &p), -EINVAL);
        cr_assert_eq(proc_read("/nonexistent-proc-root", 1, &p), -ENOENT);
}

Test(proc_scan, fixture) {
        ProcSample *p = NULL;
        size_t n = 0;

        cr_assert_eq(proc_scan(PROC, &p, &n), 0);
        /* 2, 4242, 4243; "self", "pressure", "meminfo" are not processes */
        cr_assert_eq(n, 3);
        cr_assert_not_null(find_pid(p, n, 2));
        cr_assert_not_null(find_pid(p, n, 4242));
        cr_assert_str_eq(find_pid(p, n, 4242)->comm, "my (evil) p");
        cr_assert_not_null(find_pid(p, n, 4243));
        proc_samples_free(p, n);
}

Test(proc_cgroup_path, fixture) {
        char *path = NULL;

        cr_assert_eq(proc_cgroup_path(PROC, 4242, &path), 0);
        cr_assert_str_eq(path, "/user.slice/user-1000.slice/session-2.scope");
        free(path);
        cr_assert_eq(proc_cgroup_path(PROC, 4243, &path), 0);
        cr_assert_str_eq(path, "/");
        free(path);
        cr_assert_eq(proc_cgroup_path(PROC, 31337, &path), -ESRCH);
}

/* A scratch proc tree, to break one process at a time. */

static char root[64];

#define STAT_TAIL " S 1 100 100 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 1234 0 0 0\n"

static void add_process(int pid, const char *comm, const char *status_extra) {
        char dir[32], rel[64], text[512];

        snprintf(dir, sizeof dir, "%d", pid);
        mkdir_at(root, dir);
        snprintf(rel, sizeof rel, "%d/stat", pid);
        snprintf(text, sizeof text, "%d (%s)" STAT_TAIL, pid, comm);
        write_at(root, rel, text);
        snprintf(rel, sizeof rel, "%d/status", pid);
        snprintf(text, sizeof text, "Name:\t%s\nUid:\t0\t0\t0\t0\n%s", comm, status_extra);
        write_at(root, rel, text);
        snprintf(rel, sizeof rel, "%d/oom_score", pid);
        write_at(root, rel, "1\n");
        snprintf(rel, sizeof rel, "%d/oom_score_adj", pid);
        write_at(root, rel, "0\n");
        snprintf(rel, sizeof rel, "%d/cgroup", pid);
        write_at(root, rel, "0::/a\n");
}

static void setup_root(void) {
        tmpdir_new(root, sizeof root, "test-proc-scan");
}

static void teardown_root(void) {
        rm_rf_at(root, "");
}

TestSuite(proc_broken, .init = setup_root, .fini = teardown_root);

Test(proc_broken, vanished_and_malformed_are_skipped) {
        ProcSample *p = NULL, q;
        size_t n = 0;

        add_process(10, "good", "VmRSS:\t4 kB\n");
        /* vanished mid-read: the directory is there, its files are not */
        mkdir_at(root, "11");
        /* exited between stat and status */
        add_process(12, "halfgone", "");
        cr_assert_eq(unlink(strcat(strcpy((char[128]) {}, root), "/12/status")), 0);
        /* garbage in stat */
        add_process(13, "x", "");
        write_at(root, "13/stat", "13 x S 1\n");
        /* truncated stat (fewer than 22 fields) */
        add_process(14, "short", "");
        write_at(root, "14/stat", "14 (short) S 1 100 100 0 -1 4194560 0\n");
        /* an empty stat: reaped while we read */
        add_process(15, "empty", "");
        write_at(root, "15/stat", "");
        /* non-numeric VmRSS */
        add_process(16, "badrss", "VmRSS:\tlots kB\n");
        /* overflowing oom_score */
        add_process(17, "badscore", "");
        write_at(root, "17/oom_score", "99999999999\n");
        /* status without Uid */
        add_process(18, "nouid", "");
        write_at(root, "18/status", "Name:\tnouid\nVmRSS:\t4 kB\n");
        /* a non-process directory and file */
        mkdir_at(root, "sys");
        write_at(root, "123abc", "");

        cr_assert_eq(proc_scan(root, &p, &n), 0);
        cr_assert_eq(n, 1, "only the good process survives, got %zu", n);
        cr_assert_eq(p[0].pid, 10);
        cr_assert_eq(p[0].rss, 4096);
        proc_samples_free(p, n);

        cr_assert_eq(proc_read(root, 11, &q), -ESRCH);
        cr_assert_eq(proc_read(root, 12, &q), -ESRCH);
        cr_assert_eq(proc_read(root, 13, &q), -EINVAL);
        cr_assert_eq(proc_read(root, 14, &q), -EINVAL);
        cr_assert_eq(proc_read(root, 15, &q), -ESRCH);
        cr_assert_eq(proc_read(root, 16, &q), -EINVAL);
        cr_assert_eq(proc_read(root, 17, &q), -ERANGE);
        cr_assert_eq(proc_read(root, 18, &q), -EINVAL);
}

Test(proc_broken, comm_edge_cases) {
        ProcSample q;

        /* ')' at the end of the name, and a name of the full 15 characters */
        add_process(20, "a) b)", "");
        add_process(21, "abcdefghijklmno", "");
        /* an empty name */
        add_process(22, "", "");
        /* CRLF and a missing trailing newline in small files */
        add_process(23, "crlf", "VmRSS:\t8 kB\r\nVmSwap:\t1 kB");
        write_at(root, "23/oom_score_adj", "-17\r\n");
        write_at(root, "23/cgroup", "1:name=systemd:/x\n0::/with space/y\r\n");

        cr_assert_eq(proc_read(root, 20, &q), 0);
        cr_assert_str_eq(q.comm, "a) b)");
        cr_assert_eq(q.start_time, 1234);
        free(q.cgroup);
        cr_assert_eq(proc_read(root, 21, &q), 0);
        cr_assert_str_eq(q.comm, "abcdefghijklmno");
        free(q.cgroup);
        cr_assert_eq(proc_read(root, 22, &q), 0);
        cr_assert_str_eq(q.comm, "");
        free(q.cgroup);
        cr_assert_eq(proc_read(root, 23, &q), 0);
        cr_assert_eq(q.rss, 8192);
        cr_assert_eq(q.swap, 1024);
        cr_assert_eq(q.oom_score_adj, -17);
        cr_assert_str_eq(q.cgroup, "/with space/y");
        free(q.cgroup);
}

Test(proc_broken, scan_cgroup_procs) {
        ProcSample *p = NULL;
        size_t n = 0;
        int cg;

        add_process(30, "one", "VmRSS:\t1 kB\n");
        add_process(31, "two", "VmRSS:\t2 kB\n");
        mkdir_at(root, "cg");
        /* 32 is listed but already gone */
        write_at(root, "cg/cgroup.procs", "30\n32\n31\n");
        cg = open(strcat(strcpy((char[128]) {}, root), "/cg"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cr_assert_geq(cg, 0);

        cr_assert_eq(proc_scan_cgroup(root, cg, &p, &n), 0);
        cr_assert_eq(n, 2);
        cr_assert_eq(find_pid(p, n, 31)->rss, 2048);
        cr_assert_str_eq(find_pid(p, n, 30)->comm, "one");
        proc_samples_free(p, n);

        write_at(root, "cg/cgroup.procs", "");
        cr_assert_eq(proc_scan_cgroup(root, cg, &p, &n), 0);
        cr_assert_eq(n, 0);
        proc_samples_free(p, n);

        write_at(root, "cg/cgroup.procs", "30\nabc\n");
        cr_assert_eq(proc_scan_cgroup(root, cg, &p, &n), -EINVAL);

        cr_assert_eq(unlink(strcat(strcpy((char[128]) {}, root), "/cg/cgroup.procs")), 0);
        cr_assert_eq(proc_scan_cgroup(root, cg, &p, &n), -ENOENT);
        close(cg);
}

Test(proc_broken, sigkill_pending) {
        static const struct {
                const char *comm, *status;
                bool want;
                const char *why;
        } cases[] = {
                { "dying", "VmRSS:\t1 kB\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000100\n", true,
                  "SIGKILL (bit 8) in the shared mask: a kill of the whole process" },
                { "dying-thread", "SigPnd:\t0000000000000100\nShdPnd:\t0000000000000000\n", true,
                  "SIGKILL in the thread's own mask" },
                { "termed", "SigPnd:\t0000000000000000\nShdPnd:\t0000000000004000\n", false, "SIGTERM pending is no kill" },
                { "odd-mask", "SigPnd:\tzz\nShdPnd:\t\n", false, "an unreadable mask holds nothing" },
                { "no-masks", "VmRSS:\t1 kB\n", false, "no mask lines at all" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                ProcSample p;

                add_process(40 + (int) i, cases[i].comm, cases[i].status);
                cr_assert_eq(proc_read(root, 40 + (pid_t) i, &p), 0, "%s: the process is still read", cases[i].comm);
                cr_assert_eq(p.kill_pending, cases[i].want, "%s: %s", cases[i].comm, cases[i].why);
                free(p.cgroup);
        }
}

/* The real /proc of this host, read only. */

/* A real pending signal, from the kernel's own masks: a child that blocks SIGTERM and SIGUSR1 and
 * has both sent to it shows them pending in ShdPnd; neither is a kill, so kill_pending stays false.
 * (A real pending SIGKILL cannot be held on purpose: the fixture above stands for it.) */
Test(proc_real, other_pending_signals_are_no_kill) {
        int ready[2];
        ProcSample p;
        char c;

        cr_assert_eq(pipe(ready), 0);
        pid_t child = fork();
        cr_assert_geq(child, 0);
        if (child == 0) {
                sigset_t set;
                sigemptyset(&set);
                sigaddset(&set, SIGTERM);
                sigaddset(&set, SIGUSR1);
                sigprocmask(SIG_BLOCK, &set, NULL);
                (void) !write(ready[1], "r", 1);
                for (;;)
                        pause();
        }
        cr_assert_eq(read(ready[0], &c, 1), 1);
        cr_assert_eq(kill(child, SIGTERM), 0);
        cr_assert_eq(kill(child, SIGUSR1), 0);
        cr_assert_eq(proc_read("/proc", child, &p), 0);
        cr_assert(!p.kill_pending);
        free(p.cgroup);

        char path[64], buf[4096];
        snprintf(path, sizeof path, "/proc/%d/status", (int) child);
        FILE *f = fopen(path, "r");
        cr_assert_not_null(f);
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        cr_assert_not_null(strstr(buf, "ShdPnd:\t0000000000004200"),
                           "the kernel shows SIGTERM and SIGUSR1 pending, the masks the parser reads: %s", buf);
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        close(ready[0]);
        close(ready[1]);
}

Test(proc_real, read_self) {
        ProcSample p;

        cr_assert_eq(proc_read("/proc", getpid(), &p), 0);
        cr_assert_eq(p.pid, getpid());
        cr_assert_eq(p.uid, getuid());
        cr_assert(!p.kernel_thread);
        cr_assert_gt(p.rss, UINT64_C(256) * 1024, "our RSS is at least 256 KiB");
        cr_assert_lt(p.rss, UINT64_C(4) << 30, "our RSS is below 4 GiB");
        cr_assert_leq(p.rss_anon, p.rss);
        cr_assert_gt(p.start_time, 0);
        cr_assert_eq(p.cgroup[0], '/');
        cr_assert_str_eq(p.comm, "test-proc-scan");
        free(p.cgroup);
}

Test(proc_real, scan_finds_self_and_kthreadd) {
        ProcSample *p = NULL;
        size_t n = 0;
        const ProcSample *self, *kthreadd;

        cr_assert_eq(proc_scan("/proc", &p, &n), 0);
        cr_assert_gt(n, 1);
        self = find_pid(p, n, getpid());
        cr_assert_not_null(self);
        cr_assert_gt(self->rss, UINT64_C(256) * 1024);
        kthreadd = find_pid(p, n, 2);
        if (kthreadd) { /* absent in a pid namespace */
                cr_assert(kthreadd->kernel_thread);
                cr_assert_eq(kthreadd->rss, 0);
        }
        proc_samples_free(p, n);
}

Test(proc_real, cgroup_path_of_self) {
        char *path = NULL;

        cr_assert_eq(proc_cgroup_path("/proc", getpid(), &path), 0);
        cr_assert_eq(path[0], '/');
        free(path);
}

/* Not a pass/fail test: prints the cost of a full scan, the degraded-mode hot path. */
Test(proc_real, scan_cost) {
        struct timespec a, b;
        size_t n = 0;
        const int loops = 100;

        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int i = 0; i < loops; i++) {
                ProcSample *p = NULL;
                cr_assert_eq(proc_scan("/proc", &p, &n), 0);
                proc_samples_free(p, n);
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        cr_log_info("proc_scan(\"/proc\"): %zu processes, %.0f us per call",
                    n, ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / loops);
}
