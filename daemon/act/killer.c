/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kill ladder, steps 3 to 5: cgroup.kill or pidfds over cgroup.procs, process_mrelease, and the
 * xattrs systemd reads to report Result=oom-kill. Every signal goes through a pidfd, so a pid that
 * exited and was reused between listing and signalling is never hit. Nothing here sleeps.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "act/killer.h"
#include "util/log.h"
#include "read/proc_scan.h"
#include "policy/macro.h"

#ifndef __NR_process_mrelease
#define __NR_process_mrelease 448
#endif

/* A fork bomb can outrun one pass over cgroup.procs; a few passes catch the children it spawned
 * meanwhile. The bound keeps the main loop from spinning forever on a pathological cgroup. */
#define KILL_PIDFD_MAX_ROUNDS 16u
/* cgroup trees are shallow in practice; the bound only guards the recursion. */
#define KILL_MAX_CGROUP_DEPTH 64u
/* Pidfds held open across the cgroup.kill write, for process_mrelease afterwards. Past this many
 * processes the rest are killed but not reaped early, so we never run out of file descriptors. */
#define KILL_MAX_PINNED_PIDFDS 512u

/* A sorted set of pids: which ones a kill already listed or signalled. */
typedef struct PidSet {
        pid_t *pids;
        size_t n, allocated;
} PidSet;

static void pid_set_done(PidSet *s) {
        free(s->pids);
        *s = (PidSet) {};
}

static size_t pid_set_position(const PidSet *s, pid_t pid) {
        size_t lo = 0, hi = s->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (s->pids[mid] < pid)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

/* 1 if added, 0 if already present, -ENOMEM. */
static int pid_set_add(PidSet *s, pid_t pid) {
        size_t i = pid_set_position(s, pid);

        if (i < s->n && s->pids[i] == pid)
                return 0;
        if (s->n == s->allocated) {
                size_t a = s->allocated ? s->allocated * 2 : 64;
                pid_t *p = realloc(s->pids, a * sizeof(pid_t));
                if (!p)
                        return -ENOMEM;
                s->pids = p;
                s->allocated = a;
        }
        memmove(s->pids + i + 1, s->pids + i, (s->n - i) * sizeof(pid_t));
        s->pids[i] = pid;
        s->n++;
        return 1;
}

static bool pid_is_protected(pid_t pid) {
        return pid <= 1 || pid == getpid();
}

static int process_mrelease(int pidfd) {
        return (int) syscall(__NR_process_mrelease, pidfd, 0);
}

/* Turns "/a/b" into "a/b" for openat() on the root fd. NULL for the root itself or a path that
 * could climb out of the hierarchy. */
static const char *cgroup_relative_path(const char *path) {
        if (!path)
                return NULL;
        while (*path == '/')
                path++;
        if (*path == 0)
                return NULL;
        for (const char *p = path; p; p = strchr(p, '/')) {
                while (*p == '/')
                        p++;
                if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == 0))
                        return NULL;
                if (*p == 0)
                        break;
        }
        return path;
}

static int cgroup_open(int root_fd, const char *path, int *ret) {
        const char *rel = cgroup_relative_path(path);

        if (!rel)
                return log_error_errno(-EPERM, "Refusing to kill cgroup '%s': it is the root of the cgroup "
                                       "hierarchy or climbs out of it; this is a bug in the caller.",
                                       path ?: "(null)");

        int fd = openat(root_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return log_debug_errno(-ENOENT, "Cgroup %s is gone, nothing to kill.", path);
                return log_error_errno(-errno, "Failed to open cgroup %s: %m; cannot kill its processes.", path);
        }
        *ret = fd;
        return 0;
}

/* Adds the pids in cgroup.procs of dirfd, and of all its descendants, to *set. -ENOENT only when
 * the cgroup at dirfd itself has gone; descendants vanishing mid-walk are expected. */
static int cgroup_collect_pids(int dirfd, unsigned depth, PidSet *set) {
        _cleanup_close_ int procs_fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
        if (procs_fd < 0)
                return -errno;

        FILE *f = fdopen(procs_fd, "re");
        if (!f)
                return -errno;
        TAKE_FD(procs_fd);

        int r = 0;
        char line[32];
        while (fgets(line, sizeof line, f)) {
                char *end;
                errno = 0;
                long v = strtol(line, &end, 10);
                /* Pids of processes outside our pid namespace read as 0: we cannot pin them. */
                if (errno != 0 || end == line || v <= 0 || v > INT32_MAX)
                        continue;
                r = pid_set_add(set, (pid_t) v);
                if (r < 0)
                        break;
        }
        if (r >= 0 && ferror(f))
                r = errno > 0 ? -errno : -EIO;
        fclose(f);
        if (r < 0)
                return r;

        if (depth >= KILL_MAX_CGROUP_DEPTH)
                return 0;

        /* A fresh fd, so the directory stream has its own offset. */
        int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        DIR *d = fdopendir(dfd);
        if (!d) {
                r = -errno;
                close(dfd);
                return r;
        }

        r = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                _cleanup_close_ int child = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (child < 0)
                        continue; /* removed meanwhile */
                int q = cgroup_collect_pids(child, depth + 1, set);
                if (q == -ENOMEM) {
                        r = q;
                        break;
                }
                /* Other errors in a child (it vanished) leave its siblings to kill. */
        }
        closedir(d);
        return r;
}

typedef struct KillContext {
        const char *what;    /* the cgroup path, for messages */
        KillResult *result;
        int first_error;     /* the first failure to signal a process, 0 if none */
        bool warned;
} KillContext;

static void kill_result_record(KillResult *r, pid_t pid) {
        if (r->n_killed < KILL_MAX_PIDS_RECORDED)
                r->pids[r->n_killed] = pid;
        r->n_killed++;
}

static void reap(int pidfd, pid_t pid, KillResult *r) {
        if (process_mrelease(pidfd) >= 0) {
                r->n_reaped++;
                return;
        }
        /* ESRCH: it already exited and released its memory (the common case for small processes);
         * EINVAL: its memory is shared with a live process; ENOSYS: kernel < 5.15. The exit frees
         * the memory anyway, only later. */
        if (errno != EINVAL && errno != ESRCH && errno != ENOSYS)
                log_debug_errno(errno, "process_mrelease of pid %d failed: %m; its memory is freed on exit instead.",
                                (int) pid);
}

/* SIGKILLs one pid through a pidfd. 1 if signalled, 0 if it was already gone, negative errno. */
static int kill_one_pidfd(KillContext *c, pid_t pid) {
        _cleanup_close_ int pidfd = pidfd_open(pid, 0);
        if (pidfd < 0) {
                if (errno == ESRCH)
                        return 0;
                goto fail;
        }
        if (pidfd_send_signal(pidfd, SIGKILL, NULL, 0) < 0) {
                if (errno == ESRCH)
                        return 0;
                goto fail;
        }
        kill_result_record(c->result, pid);
        reap(pidfd, pid, c->result);
        return 1;

fail:;
        int r = -errno;
        if (c->first_error == 0)
                c->first_error = r;
        if (!c->warned) {
                c->warned = true;
                log_warning_errno(r, "Failed to SIGKILL pid %d in cgroup %s: %m; it keeps running and "
                                  "its memory stays in use. Check for EMFILE (raise LimitNOFILE=) or EPERM.",
                                  (int) pid, c->what);
        }
        return r;
}

/* Kills every pid found under dirfd, round after round, until a round finds nothing new. */
static int kill_pidfd_rounds(int dirfd, KillContext *c) {
        PidSet seen = {};
        int r = 0;
        unsigned round;

        for (round = 0; round < KILL_PIDFD_MAX_ROUNDS; round++) {
                PidSet listed = {};
                unsigned n_new = 0;

                r = cgroup_collect_pids(dirfd, 0, &listed);
                if (r < 0) {
                        pid_set_done(&listed);
                        if (r == -ENOENT && round > 0)
                                r = 0; /* removed once empty: done */
                        else if (r == -ENOENT)
                                log_debug("Cgroup %s is gone, nothing to kill.", c->what);
                        else
                                log_error_errno(r, "Failed to list the processes of cgroup %s: %m; "
                                                "its processes could not all be killed.", c->what);
                        break;
                }

                for (size_t i = 0; i < listed.n; i++) {
                        pid_t pid = listed.pids[i];

                        r = pid_set_add(&seen, pid);
                        if (r < 0)
                                break;
                        if (r == 0)
                                continue;
                        n_new++;

                        if (pid_is_protected(pid)) {
                                log_debug("Not killing pid %d in cgroup %s: it is %s.", (int) pid, c->what,
                                          pid == getpid() ? "pressured itself" : "init");
                                continue;
                        }
                        (void) kill_one_pidfd(c, pid);
                }
                pid_set_done(&listed);
                if (r < 0) {
                        log_error_errno(r, "Out of memory while killing cgroup %s; some processes may be left.", c->what);
                        break;
                }
                r = 0;
                if (n_new == 0)
                        break;
        }

        if (round == KILL_PIDFD_MAX_ROUNDS)
                log_warning("Cgroup %s still had new processes after %u kill rounds (a fork bomb?); "
                            "the next kill pass will continue.", c->what, KILL_PIDFD_MAX_ROUNDS);

        pid_set_done(&seen);
        return r;
}

/* Writes "1" to cgroup.kill. Negative errno when the kernel refuses or lacks it. */
static int cgroup_kill_write(int dirfd) {
        _cleanup_close_ int fd = openat(dirfd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, "1", 1) != 1)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

/* Reads a decimal xattr, 0 when absent. */
static int xattr_get_u64(int fd, const char *name, uint64_t *ret) {
        char buf[32];
        ssize_t n = fgetxattr(fd, name, buf, sizeof buf - 1);

        if (n < 0) {
                if (errno == ENODATA) {
                        *ret = 0;
                        return 0;
                }
                return -errno;
        }
        buf[n] = 0;

        char *end;
        errno = 0;
        uint64_t v = strtoull(buf, &end, 10);
        /* A garbled value restarts the count rather than blocking it forever. */
        *ret = (errno != 0 || end == buf) ? 0 : v;
        return 0;
}

static int xattr_increment(int fd, const char *name, uint64_t by) {
        uint64_t v = 0;
        int r = xattr_get_u64(fd, name, &v);
        if (r < 0)
                return r;

        char buf[32];
        int n = snprintf(buf, sizeof buf, "%" PRIu64, v + by);
        if (fsetxattr(fd, name, buf, (size_t) n, 0) < 0)
                return -errno;
        return 0;
}

/* Step 5: user.oomd_ooms += 1, user.oomd_kill += n_killed, as systemd-oomd does. */
static bool cgroup_write_kill_xattrs(int dirfd, const char *path, unsigned n_killed) {
        static bool logged = false;
        int r;

        r = xattr_increment(dirfd, "user.oomd_ooms", 1);
        if (r >= 0)
                r = xattr_increment(dirfd, "user.oomd_kill", n_killed);
        if (r >= 0)
                return true;

        if (!logged) {
                logged = true;
                log_debug_errno(r, "Failed to update xattrs user.oomd_ooms/user.oomd_kill on cgroup %s: %m; "
                                "systemd will not report Result=oom-kill for it (needs kernel >= 5.7 and root). "
                                "Not logged again.", path);
        }
        return false;
}

/* Lists and pins the pids under dirfd before cgroup.kill, so they can be reaped afterwards.
 * Returns 1 when one of them must not be killed (self, init), so cgroup.kill cannot be used. */
static int pin_pids(int dirfd, int *pidfds, pid_t *pids, size_t *n_pinned, unsigned *n_alive) {
        PidSet listed = {};
        int r = cgroup_collect_pids(dirfd, 0, &listed);
        if (r < 0) {
                pid_set_done(&listed);
                return r;
        }

        *n_pinned = 0;
        *n_alive = 0;
        for (size_t i = 0; i < listed.n; i++) {
                if (pid_is_protected(listed.pids[i])) {
                        r = 1;
                        break;
                }
                (*n_alive)++;
                if (*n_pinned >= KILL_MAX_PINNED_PIDFDS)
                        continue;
                int fd = pidfd_open(listed.pids[i], 0);
                if (fd < 0) {
                        if (errno == ESRCH)
                                (*n_alive)--;
                        continue;
                }
                pidfds[*n_pinned] = fd;
                pids[*n_pinned] = listed.pids[i];
                (*n_pinned)++;
        }
        pid_set_done(&listed);
        return r;
}

static void close_all(int *fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                close(fds[i]);
}

/* The cgroup.kill path. 0 on success, 1 when the caller must fall back to pidfds, negative errno
 * when the cgroup is gone or cannot be read. */
static int kill_via_cgroup_kill(int dirfd, const char *path, KillResult *ret) {
        _cleanup_free_ int *pidfds = malloc(KILL_MAX_PINNED_PIDFDS * sizeof(int));
        _cleanup_free_ pid_t *pids = malloc(KILL_MAX_PINNED_PIDFDS * sizeof(pid_t));
        size_t n_pinned = 0;
        unsigned n_alive = 0;
        int r;

        if (!pidfds || !pids)
                return log_error_errno(-ENOMEM, "Out of memory while killing cgroup %s.", path);

        r = pin_pids(dirfd, pidfds, pids, &n_pinned, &n_alive);
        if (r < 0) {
                close_all(pidfds, n_pinned);
                if (r == -ENOENT)
                        return log_debug_errno(r, "Cgroup %s is gone, nothing to kill.", path);
                log_warning_errno(r, "Failed to list the processes of cgroup %s: %m; "
                                  "writing cgroup.kill anyway, without reaping them early.", path);
                n_pinned = n_alive = 0;
        } else if (r > 0) {
                close_all(pidfds, n_pinned);
                log_warning("Cgroup %s contains pressured itself or init; not using cgroup.kill, "
                            "killing each of its other processes by pidfd instead.", path);
                return 1;
        }

        r = cgroup_kill_write(dirfd);
        if (r < 0) {
                close_all(pidfds, n_pinned);
                if (r == -ENOENT)
                        log_info("Cgroup %s has no cgroup.kill (kernel older than 5.14, or the cgroup just went away); "
                                 "killing each process by pidfd instead.", path);
                else if (r == -EOPNOTSUPP)
                        log_info("Cgroup %s is threaded, where cgroup.kill is not supported; "
                                 "killing each process by pidfd instead.", path);
                else
                        log_warning_errno(r, "Failed to write cgroup.kill of %s: %m; "
                                          "falling back to killing each process by pidfd.", path);
                return 1;
        }

        ret->method = KILL_METHOD_CGROUP_KILL;
        for (size_t i = 0; i < n_pinned; i++) {
                kill_result_record(ret, pids[i]);
                /* SIGKILL is delivered by the time the write returns, so the memory can go now. */
                reap(pidfds[i], pids[i], ret);
        }
        /* Processes past the pinning cap were killed too; count them. */
        ret->n_killed = n_alive > ret->n_killed ? n_alive : ret->n_killed;
        close_all(pidfds, n_pinned);
        return 0;
}

int killer_kill_cgroup(int cgroup_root_fd, const char *path, bool force_pidfd, KillResult *ret) {
        return killer_kill_cgroup_full(cgroup_root_fd, path, force_pidfd, true, ret);
}

int killer_write_xattrs(int cgroup_root_fd, const char *path, unsigned n_killed) {
        const char *rel = cgroup_relative_path(path);
        if (cgroup_root_fd < 0 || !rel)
                return -EINVAL;
        _cleanup_close_ int dirfd = openat(cgroup_root_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return -errno;
        return cgroup_write_kill_xattrs(dirfd, path, n_killed) ? 0 : -EIO;
}

int killer_kill_cgroup_full(int cgroup_root_fd, const char *path, bool force_pidfd, bool write_xattrs, KillResult *ret) {
        _cleanup_close_ int dirfd = -1;
        KillResult result = { .method = KILL_METHOD_NONE };
        int r;

        r = cgroup_open(cgroup_root_fd, path, &dirfd);
        if (r < 0)
                return r;

        r = 1;
        if (!force_pidfd) {
                r = kill_via_cgroup_kill(dirfd, path, &result);
                if (r < 0)
                        return r;
        }

        if (r > 0) {
                KillContext c = { .what = path, .result = &result };

                result.method = KILL_METHOD_PIDFD;
                r = kill_pidfd_rounds(dirfd, &c);
                if (r < 0 && result.n_killed == 0)
                        return r;
                if (result.n_killed == 0 && c.first_error < 0)
                        return c.first_error;
        }

        if (result.n_killed > 0 && write_xattrs)
                result.xattrs_written = cgroup_write_kill_xattrs(dirfd, path, result.n_killed);

        if (ret)
                *ret = result;
        return 0;
}

int killer_kill_process(const char *proc_root, pid_t pid, uint64_t start_time,
                        int cgroup_root_fd, const char *cgroup_path, KillResult *ret) {
        KillResult result = { .method = KILL_METHOD_PROCESS };
        int r;

        if (pid_is_protected(pid))
                return log_error_errno(-EPERM, "Refusing to kill pid %d: it is %s; this is a bug in the caller.",
                                       (int) pid, pid == getpid() ? "pressured itself" : "init or invalid");

        /* Pin first, check identity second: if the check passes, the pidfd refers to that process. */
        _cleanup_close_ int pidfd = pidfd_open(pid, 0);
        if (pidfd < 0) {
                if (errno == ESRCH)
                        return log_debug_errno(-ESRCH, "Process %d exited before it could be killed.", (int) pid);
                return log_error_errno(-errno, "Failed to open a pidfd for process %d: %m; not killing it.", (int) pid);
        }

        if (start_time != 0) {
                uint64_t st;
                r = proc_start_time_read(proc_root ?: "/proc", pid, &st);
                if (r == -ENOENT || r == -ESRCH)
                        return log_debug_errno(-ESRCH, "Process %d exited before it could be killed.", (int) pid);
                if (r < 0)
                        return log_error_errno(r, "Failed to read the start time of process %d: %m; "
                                               "not killing it, as it might be a different process now.", (int) pid);
                if (st != start_time)
                        return log_info_errno(-ESRCH, "Process %d exited and its pid was reused by another process "
                                              "(start time %" PRIu64 ", expected %" PRIu64 "); not killing it.",
                                              (int) pid, st, start_time);
        }

        if (pidfd_send_signal(pidfd, SIGKILL, NULL, 0) < 0) {
                if (errno == ESRCH)
                        return log_debug_errno(-ESRCH, "Process %d exited before it could be killed.", (int) pid);
                return log_error_errno(-errno, "Failed to SIGKILL process %d: %m; it keeps running.", (int) pid);
        }
        kill_result_record(&result, pid);
        reap(pidfd, pid, &result);

        /* The root cgroup is no unit: nobody reads its xattrs. */
        const char *rel = cgroup_relative_path(cgroup_path);
        if (cgroup_root_fd >= 0 && rel) {
                _cleanup_close_ int dirfd = openat(cgroup_root_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dirfd >= 0)
                        result.xattrs_written = cgroup_write_kill_xattrs(dirfd, cgroup_path, 1);
                else
                        log_debug_errno(errno, "Failed to open cgroup %s to record the kill of pid %d in its xattrs: %m, ignoring.",
                                        cgroup_path, (int) pid);
        }

        if (ret)
                *ret = result;
        return 0;
}

int killer_pin_cgroup(int cgroup_root_fd, const char *path, int *pidfds, pid_t *pids, size_t max) {
        _cleanup_close_ int dirfd = -1;
        PidSet listed = {};
        size_t n = 0;

        int r = cgroup_open(cgroup_root_fd, path, &dirfd);
        if (r < 0)
                return r;
        r = cgroup_collect_pids(dirfd, 0, &listed);
        for (size_t i = 0; r >= 0 && i < listed.n && n < max; i++) {
                if (pid_is_protected(listed.pids[i]))
                        continue;
                int fd = pidfd_open(listed.pids[i], 0);
                if (fd < 0)
                        continue; /* exited meanwhile */
                pidfds[n] = fd;
                pids[n++] = listed.pids[i];
        }
        pid_set_done(&listed);
        return r < 0 ? r : (int) n;
}

int killer_kill_pinned(const int *pidfds, const pid_t *pids, size_t n, int cgroup_root_fd, const char *path,
                       KillResult *ret) {
        KillContext c = { .what = path, .result = ret };

        ret->method = KILL_METHOD_PIDFD;
        for (size_t i = 0; i < n; i++) {
                if (pidfds[i] < 0)
                        continue;
                if (pidfd_send_signal(pidfds[i], SIGKILL, NULL, 0) < 0) {
                        if (errno != ESRCH && !c.warned) {
                                c.warned = true;
                                log_warning_errno(errno, "Failed to SIGKILL pid %d of cgroup %s: %m; it keeps running.",
                                                  (int) pids[i], path);
                        }
                        continue;
                }
                kill_result_record(ret, pids[i]);
                reap(pidfds[i], pids[i], ret);
        }
        const char *rel = cgroup_relative_path(path);
        if (ret->n_killed > 0 && cgroup_root_fd >= 0 && rel) {
                _cleanup_close_ int dirfd = openat(cgroup_root_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dirfd >= 0)
                        ret->xattrs_written = cgroup_write_kill_xattrs(dirfd, path, ret->n_killed);
        }
        return 0;
}
