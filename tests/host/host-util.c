/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host-util.h"
#include "daemon/read/mountinfo.h"
#include "policy/policy.h"

void host_sleep_ms(unsigned ms) {
        struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
}

const char *host_cgroup2_mount(const char **why) {
        static char *mount = NULL;
        if (geteuid() != 0) {
                *why = "needs root to create cgroups";
                return NULL;
        }
        if (!mount && cgroup2_find_mount("/proc", &mount) < 0) {
                *why = "no cgroup2 mount in /proc/self/mountinfo";
                return NULL;
        }
        char probe[4096];
        snprintf(probe, sizeof probe, "%s/cgroup.procs", mount);
        if (access(probe, W_OK) < 0) {
                *why = "the cgroup2 mount is not writable here";
                return NULL;
        }
        return mount;
}

int host_write_file(const char *path, const char *s) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t k = write(fd, s, strlen(s));
        int r = k < 0 ? -errno : 0;
        close(fd);
        return r;
}

char *host_cgroup_create(const char *name) {
        const char *why;
        const char *mount = host_cgroup2_mount(&why);
        char *path = NULL;
        if (!mount || asprintf(&path, "%s/%s", mount, name) < 0)
                return NULL;
        if (mkdir(path, 0755) < 0 && errno != EEXIST) {
                free(path);
                return NULL;
        }
        return path;
}

int host_cgroup_attach(const char *abs_path, pid_t pid) {
        char p[4096], v[32];
        snprintf(p, sizeof p, "%s/cgroup.procs", abs_path);
        snprintf(v, sizeof v, "%d", (int) pid);
        return host_write_file(p, v);
}

bool host_cgroup_populated(const char *abs_path) {
        char p[4096];
        snprintf(p, sizeof p, "%s/cgroup.events", abs_path);
        char *s = host_read_file(p);
        bool populated = s && *s && !strstr(s, "populated 0");
        free(s);
        return populated;
}

bool host_cgroup_wait_empty(const char *abs_path, unsigned timeout_ms) {
        for (unsigned waited = 0;; waited += 10) {
                if (!host_cgroup_populated(abs_path))
                        return true;
                if (waited >= timeout_ms)
                        return false;
                host_sleep_ms(10);
        }
}

static int rmdir_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        if (flag == FTW_DP)
                for (int i = 0; i < 200 && rmdir(path) < 0 && errno == EBUSY; i++)
                        host_sleep_ms(10); /* killed tasks leave the cgroup asynchronously */
        return 0;
}

void host_cgroup_destroy(const char *abs_path) {
        char p[4096];
        if (!abs_path)
                return;
        snprintf(p, sizeof p, "%s/cgroup.kill", abs_path);
        (void) host_write_file(p, "1");
        nftw(abs_path, rmdir_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* The hog is python3, not a fork of this test: under AddressSanitizer a forked child has terabytes of
 * shadow mappings, so RLIMIT_AS would refuse every allocation. */
static const char HOG_SCRIPT[] =
        "import os, signal, sys\n"
        "b = b'\\x01' * (int(sys.argv[1]) << 20)\n" /* filled with ones: every page is really touched */
        "os.write(1, b'ready')\n"
        "while True: signal.pause()\n";

pid_t host_spawn_hog(const char *abs_path, unsigned mib, unsigned limit_mib) {
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -1;
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                if (abs_path && host_cgroup_attach(abs_path, getpid()) < 0)
                        _exit(90);
                struct rlimit rl = { (rlim_t) limit_mib << 20, (rlim_t) limit_mib << 20 };
                if (setrlimit(RLIMIT_AS, &rl) < 0)
                        _exit(91);
                if (dup2(pfd[1], STDOUT_FILENO) < 0)
                        _exit(92);
                char arg[16];
                snprintf(arg, sizeof arg, "%u", mib);
                execl("/usr/bin/python3", "python3", "-c", HOG_SCRIPT, arg, (char *) NULL);
                _exit(93);
        }
        close(pfd[1]);
        char buf[8];
        ssize_t k = read(pfd[0], buf, sizeof buf);
        close(pfd[0]);
        if (k != 5) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return -1;
        }
        return pid;
}

void host_stop_daemon(pid_t pid) {
        if (pid <= 0)
                return;
        kill(pid, SIGTERM);
        if (host_wait_child(pid, 5000) < 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
        }
}

pid_t host_spawn_daemon_nofile(char *const argv[], const char *log_path, unsigned nofile) {
        pid_t pid = fork();
        if (pid != 0)
                return pid;
        struct rlimit rl = { nofile, nofile };
        if (nofile > 0 && setrlimit(RLIMIT_NOFILE, &rl) < 0)
                _exit(94);
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                _exit(95);
        dup2(fd, STDERR_FILENO);
        dup2(fd, STDOUT_FILENO);
        execv(PRESSURED_BIN, argv);
        _exit(96);
}

pid_t host_spawn_daemon(char *const argv[], const char *log_path) {
        return host_spawn_daemon_nofile(argv, log_path, 0);
}

pid_t host_spawn_sleeper(void) {
        pid_t pid = fork();
        if (pid == 0) {
                /* Dies with the test, also when a timeout ends it before its teardown. */
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                for (;;)
                        pause();
        }
        return pid;
}

int host_wait_child(pid_t pid, unsigned timeout_ms) {
        for (unsigned waited = 0;; waited += 10) {
                int st;
                pid_t r = waitpid(pid, &st, WNOHANG);
                if (r == pid)
                        return st;
                if (r < 0 || waited >= timeout_ms)
                        return -1;
                host_sleep_ms(10);
        }
}

bool host_child_alive(pid_t pid) {
        int st;
        return waitpid(pid, &st, WNOHANG) == 0;
}

char *host_path_in(const char *dir, const char *name) {
        char *p = NULL;
        return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

int host_write_text(const char *path, const char *text) {
        FILE *f = fopen(path, "we");
        if (!f)
                return -errno;
        fputs(text, f);
        return fclose(f) == 0 ? 0 : -errno;
}

int host_write_in(const char *dir, const char *name, const char *text) {
        char *p = host_path_in(dir, name);
        int r = p ? host_write_text(p, text) : -ENOMEM;
        free(p);
        return r;
}

char *host_read_file(const char *path) {
        FILE *f = fopen(path, "re");
        if (!f)
                return NULL;
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        char chunk[4096];
        size_t k;
        while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
                fwrite(chunk, 1, k, m);
        fclose(m);
        fclose(f);
        return buf;
}

int host_control_connect(const char *sock_path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

bool host_control_wait(pid_t pid, const char *sock_path, unsigned timeout_ms) {
        for (unsigned waited = 0;; waited += 10) {
                int fd = host_control_connect(sock_path);
                if (fd >= 0) {
                        close(fd);
                        return true;
                }
                if (!host_child_alive(pid) || waited >= timeout_ms)
                        return false;
                host_sleep_ms(10);
        }
}

char *host_control_request(const char *sock_path, const char *request, unsigned timeout_ms) {
        int fd = host_control_connect(sock_path);
        char *buf = NULL;
        size_t len = 0, size = 0;

        if (fd < 0 || send(fd, request, strlen(request), MSG_NOSIGNAL) != (ssize_t) strlen(request) ||
            send(fd, "\n", 1, MSG_NOSIGNAL) != 1)
                goto fail;
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                char *nl;

                if (size - len < 4096) {
                        char *n = realloc(buf, size + 65536);
                        if (!n)
                                goto fail;
                        buf = n;
                        size += 65536;
                }
                if (poll(&p, 1, (int) timeout_ms) <= 0)
                        goto fail;
                ssize_t k = read(fd, buf + len, size - len - 1);
                if (k <= 0)
                        goto fail;
                len += (size_t) k;
                buf[len] = '\0';
                nl = strchr(buf, '\n');
                if (nl) {
                        *nl = '\0';
                        close(fd);
                        return buf;
                }
        }
fail:
        if (fd >= 0)
                close(fd);
        free(buf);
        return NULL;
}

bool host_file_contains(const char *path, const char *needle, unsigned timeout_ms) {
        for (unsigned waited = 0;; waited += 20) {
                char *s = host_read_file(path);
                bool found = s && strstr(s, needle);
                free(s);
                if (found)
                        return true;
                if (waited >= timeout_ms)
                        return false;
                host_sleep_ms(20);
        }
}

unsigned host_file_count(const char *path, const char *needle) {
        char *text = host_read_file(path);
        unsigned n = 0;
        for (const char *p = text; p && (p = strstr(p, needle)); p += strlen(needle))
                n++;
        free(text);
        return n;
}

char *host_mkdtemp(void) {
        char *t = strdup("/tmp/pressured-test-XXXXXX");
        if (t && !mkdtemp(t)) {
                free(t);
                return NULL;
        }
        return t;
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path) < 0 ? 0 : 0;
}

void host_rm_rf(const char *path) {
        if (path)
                nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

char *host_assert_path_in(const char *dir, const char *name) {
        char *p = host_path_in(dir, name);
        cr_assert_not_null(p);
        return p;
}

void host_assert_write_text(const char *path, const char *text) {
        cr_assert_eq(host_write_text(path, text), 0, "cannot write %s", path);
}

void host_assert_write_in(const char *dir, const char *name, const char *text) {
        cr_assert_eq(host_write_in(dir, name, text), 0, "cannot write %s/%s", dir, name);
}

void host_assert_rewrite_in(const char *dir, const char *name, const char *text) {
        char *p = host_path_in(dir, name);
        cr_assert_not_null(p);
        int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        cr_assert_geq(fd, 0, "cannot open %s: %s", p, strerror(errno));
        size_t n = strlen(text);
        cr_assert_eq(pwrite(fd, text, n, 0), (ssize_t) n, "cannot write %s: %s", p, strerror(errno));
        struct stat st;
        cr_assert_eq(fstat(fd, &st), 0);
        if ((size_t) st.st_size > n) /* a shorter text: drop the old one's tail */
                cr_assert_eq(ftruncate(fd, (off_t) n), 0, "cannot truncate %s: %s", p, strerror(errno));
        close(fd);
        free(p);
}

pid_t host_run_start(const char *dir, const char *tag, uid_t uid, const char *bin, char *const argv[]) {
        char out[4096], err[4096];
        snprintf(out, sizeof out, "%s/%s.out", dir, tag);
        snprintf(err, sizeof err, "%s/%s.err", dir, tag);
        pid_t pid = fork();
        cr_assert(pid >= 0);
        if (pid == 0) {
                int o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                int e = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (o < 0 || e < 0)
                        _exit(95);
                dup2(o, STDOUT_FILENO);
                dup2(e, STDERR_FILENO);
                if (uid != 0 && (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0))
                        _exit(97);
                execv(bin, argv);
                _exit(96);
        }
        return pid;
}

HostRun host_run_finish(const char *dir, const char *tag, pid_t pid, const char *bin, unsigned timeout_ms) {
        char out[4096], err[4096];
        HostRun r = { .pid = pid };
        int st = host_wait_child(pid, timeout_ms);
        cr_assert_neq(st, -1, "%s (%s) did not exit within %u ms", bin, tag, timeout_ms);
        snprintf(out, sizeof out, "%s/%s.out", dir, tag);
        snprintf(err, sizeof err, "%s/%s.err", dir, tag);
        r.out = host_read_file(out);
        r.err = host_read_file(err);
        cr_assert(r.out && r.err, "the outputs of %s (%s) are gone", bin, tag);
        r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        cr_assert_neq(r.rc, 95, "cannot create the output files of %s in %s", bin, dir);
        cr_assert_neq(r.rc, 96, "cannot execute %s", bin);
        cr_assert_neq(r.rc, 97, "cannot switch to the uid for %s", bin);
        return r;
}

HostRun host_run(const char *dir, uid_t uid, const char *bin, char *const argv[]) {
        static unsigned counter;
        char tag[32];
        snprintf(tag, sizeof tag, "run%u", counter++);
        return host_run_finish(dir, tag, host_run_start(dir, tag, uid, bin, argv), bin, 30000);
}

void host_run_free(HostRun *r) {
        free(r->out);
        free(r->err);
        r->out = r->err = NULL;
}

char *host_assert_default_policy_in(const char *dir, const char *name) {
        host_assert_write_in(dir, name, policy_default_json);
        return host_assert_path_in(dir, name);
}

void host_assert_fixture_root(const char *dir) {
        cr_assert_eq(mkdir(dir, 0755), 0, "cannot create %s: %s", dir, strerror(errno));
        host_assert_write_in(dir, "cgroup.controllers", "cpuset cpu io memory pids\n");
        host_assert_write_in(dir, "cgroup.procs", "");
}

void host_assert_fixture_cgroup(const char *dir, bool populated, const char *memory_current) {
        char text[64];
        cr_assert_eq(mkdir(dir, 0755), 0, "cannot create %s: %s", dir, strerror(errno));
        host_assert_write_in(dir, "cgroup.procs", "");
        host_assert_write_in(dir, "cgroup.events", populated ? "populated 1\nfrozen 0\n" : "populated 0\nfrozen 0\n");
        snprintf(text, sizeof text, "%s\n", memory_current);
        host_assert_write_in(dir, "memory.current", text);
}

long host_assert_status_count(const char *sock_path, const char *key) {
        char *reply = host_control_request(sock_path, "{\"op\": \"status\"}", 10000);
        cr_assert_not_null(reply, "no status reply from %s", sock_path);
        char quoted[64];
        snprintf(quoted, sizeof quoted, "\"%s\":", key);
        const char *at = strstr(reply, quoted);
        cr_assert_not_null(at, "no %s count in the status reply: %s", key, reply);
        long n = strtol(at + strlen(quoted), NULL, 10);
        free(reply);
        return n;
}

void host_assert_copy_fixture(const char *name, const char *dest) {
        char src[4096];
        snprintf(src, sizeof src, "%s/%s", FIXTURES_DIR, name);
        pid_t cp = fork();
        cr_assert_geq(cp, 0);
        if (cp == 0) {
                execl("/bin/cp", "cp", "-r", src, dest, (char *) NULL);
                _exit(96);
        }
        int st = host_wait_child(cp, 10000);
        cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "cannot copy the fixture %s to %s", src, dest);
}
