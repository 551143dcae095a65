/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Processes from PROC_ROOT/PID/{stat,status,oom_score,oom_score_adj,cgroup}. In degraded mode this
 * runs every second over every process, so it stays cheap: one open and one read per file, one
 * buffer reused for all files and processes, no stdio, and only stat for kernel threads. A process may exit at
 * any point; then its files give ENOENT or ESRCH, and a scan just leaves it out.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read/fileio.h"
#include "util/log.h"
#include "policy/macro.h"
#include "read/proc_scan.h"

#define PF_KTHREAD 0x00200000u /* include/linux/sched.h: "I am a kernel thread" */

typedef struct ProcReader {
        int procfd;
        char *buf;  /* reused for every file of every process */
        size_t size;
} ProcReader;

#define PROC_READER_NULL { .procfd = -1 }
#define PID_NAME_MAX 32 /* "%d" of a pid, with room to spare */

static void proc_reader_done(ProcReader *r) {
        free(r->buf);
        r->buf = NULL;
        if (r->procfd >= 0)
                close(r->procfd);
        r->procfd = -1;
}

static int proc_reader_init(ProcReader *r, const char *proc_root) {
        *r = (ProcReader) { .procfd = -1, .size = 4096 };
        r->buf = malloc(r->size);
        if (!r->buf)
                return -ENOMEM;
        r->procfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (r->procfd < 0) {
                int e = -errno;
                proc_reader_done(r);
                return e;
        }
        return 0;
}

/* The reader of one process, and the name of its directory. */
static int proc_reader_init_pid(ProcReader *r, const char *proc_root, pid_t pid, char name[static PID_NAME_MAX]) {
        if (!proc_root || pid <= 0)
                return -EINVAL;
        snprintf(name, PID_NAME_MAX, "%d", (int) pid);
        return proc_reader_init(r, proc_root);
}

/* A process that exited between two reads gives ENOENT (entry gone) or ESRCH (reaped while
 * its directory was open): both mean "gone". */
static int gone_to_esrch(int r) {
        return r == -ENOENT ? -ESRCH : r;
}

/* /proc/PID/stat: "pid (comm) state ppid ... flags(9) ... starttime(22) ...". comm may contain
 * spaces and ')', so the fields start after the LAST ')'. */
int proc_stat_parse(const char *text, ProcSample *p) {
        const char *open_paren, *close_paren, *s;
        uint64_t flags = 0, start_time = 0;
        size_t len;

        open_paren = strchr(text, '(');
        close_paren = strrchr(text, ')');
        if (!open_paren || !close_paren || close_paren < open_paren)
                return -EINVAL;

        len = close_paren - open_paren - 1;
        if (len >= sizeof(p->comm))
                len = sizeof(p->comm) - 1;
        memcpy(p->comm, open_paren + 1, len);
        p->comm[len] = 0;

        /* fields 3.. after ") ": state is field 3, flags 9, starttime 22 */
        s = close_paren + 1;
        for (int field = 3; field <= 22; field++) {
                if (*s != ' ')
                        return -EINVAL;
                s++;
                if (field == 9 || field == 22) {
                        uint64_t *v = field == 9 ? &flags : &start_time;
                        int r = scan_u64(&s, v);
                        if (r < 0)
                                return r;
                } else {
                        const char *start = s;
                        while (*s && *s != ' ' && *s != '\n')
                                s++;
                        if (s == start)
                                return -EINVAL;
                }
        }
        if (*s != ' ' && !at_line_end(s))
                return -EINVAL;

        p->kernel_thread = flags & PF_KTHREAD;
        p->start_time = start_time;
        return 0;
}

/* Whether a SigPnd:/ShdPnd: mask (hex, after the colon) holds SIGKILL. An unreadable mask holds nothing. */
static bool mask_has_sigkill(const char *q) {
        char *end;
        unsigned long long mask;

        errno = 0;
        mask = strtoull(skip_blanks(q), &end, 16);
        return errno == 0 && end != q && (mask & (1ULL << (SIGKILL - 1)));
}

/* /proc/PID/status: Uid (real), VmRSS, RssAnon, VmSwap, and whether SIGKILL is pending (SigPnd, or
 * ShdPnd where a kill of the whole process stays until it is gone). Kernel threads and zombies
 * have no Vm* lines: 0. RssAnon exists since 4.5. */
int proc_status_parse(const char *text, ProcSample *p) {
        enum { HAVE_UID = 1, HAVE_RSS = 2, HAVE_ANON = 4, HAVE_SWAP = 8, HAVE_SIGPND = 16, HAVE_SHDPND = 32,
               HAVE_ALL = 63 };
        unsigned have = 0;

        for (const char *s = text; s && have != HAVE_ALL; s = next_line(s)) {
                int r = 0;

                if (strncmp(s, "Uid:", 4) == 0) {
                        const char *q = skip_blanks(s + 4);
                        uint64_t uid;

                        r = scan_u64(&q, &uid);
                        if (r == 0 && uid > UINT32_MAX - 1)
                                r = -ERANGE;
                        if (r == 0 && *q != '\t' && *q != ' ')
                                r = -EINVAL;
                        p->uid = (uid_t) uid;
                        have |= HAVE_UID;
                } else if (strncmp(s, "VmRSS:", 6) == 0) {
                        r = scan_line_value(s + 6, /* kib= */ true, &p->rss, NULL);
                        have |= HAVE_RSS;
                } else if (strncmp(s, "RssAnon:", 8) == 0) {
                        r = scan_line_value(s + 8, /* kib= */ true, &p->rss_anon, NULL);
                        have |= HAVE_ANON;
                } else if (strncmp(s, "VmSwap:", 7) == 0) {
                        r = scan_line_value(s + 7, /* kib= */ true, &p->swap, NULL);
                        have |= HAVE_SWAP;
                } else if (strncmp(s, "SigPnd:", 7) == 0 || strncmp(s, "ShdPnd:", 7) == 0) {
                        p->kill_pending = p->kill_pending || mask_has_sigkill(s + 7);
                        have |= s[1] == 'i' ? HAVE_SIGPND : HAVE_SHDPND;
                }
                if (r < 0)
                        return r;
        }
        return have & HAVE_UID ? 0 : -EINVAL;
}

static int int_parse(const char *text, int *ret) {
        const char *p = skip_blanks(text);
        int r;

        r = scan_int(&p, ret);
        if (r < 0)
                return r;
        return at_line_end(p) ? 0 : -EINVAL;
}

/* The "0::/path" line of /proc/PID/cgroup; "/" when there is none (a v1-only host). */
int proc_cgroup_line_parse(const char *text, char **ret) {
        for (const char *s = text; s; s = next_line(s))
                if (strncmp(s, "0::", 3) == 0) {
                        const char *path = s + 3, *end = strchrnul(path, '\n');

                        if (end > path && end[-1] == '\r')
                                end--;
                        if (end == path)
                                break;
                        if (path[0] != '/')
                                return -EINVAL;
                        *ret = strndup(path, end - path);
                        return *ret ? 0 : -ENOMEM;
                }
        *ret = strdup("/");
        return *ret ? 0 : -ENOMEM;
}

/* Reads PID/name into the shared buffer. Paths go through the proc root fd rather than a PID
 * directory fd: that saves an open and a close per process (a tenth of the scan), and a PID
 * cannot be reused within one scan short of a full pid wrap; the killer pins its victim with a
 * pidfd and the start time anyway. */
static int pid_file_read(ProcReader *rd, const char *pid_name, const char *name) {
        char path[64];
        ssize_t n;

        snprintf(path, sizeof path, "%s/%s", pid_name, name);
        n = read_small_file_at(rd->procfd, path, &rd->buf, &rd->size);
        if (n == -ENOTDIR)
                return -ESRCH; /* a file named like a pid: not a process */
        return n < 0 ? gone_to_esrch((int) n) : 0;
}

/* PID/stat into p: comm, kernel_thread, start_time. */
static int pid_stat_read(ProcReader *rd, const char *pid_name, ProcSample *p) {
        int r;

        r = pid_file_read(rd, pid_name, "stat");
        if (r < 0)
                return r;
        if (rd->buf[0] == 0)
                return -ESRCH; /* reaped while we read */
        return proc_stat_parse(rd->buf, p);
}

static int oom_score_parse(const char *text, ProcSample *p) {
        return int_parse(text, &p->oom_score);
}

static int oom_score_adj_parse(const char *text, ProcSample *p) {
        return int_parse(text, &p->oom_score_adj);
}

static int cgroup_parse(const char *text, ProcSample *p) {
        return proc_cgroup_line_parse(text, &p->cgroup);
}

/* The files read after stat, in order; cgroup last, as it is the only one that allocates. */
static const struct {
        const char *name;
        int (*parse)(const char *text, ProcSample *p);
} pid_files[] = {
        { "status",        proc_status_parse },
        { "oom_score",     oom_score_parse },
        { "oom_score_adj", oom_score_adj_parse },
        { "cgroup",        cgroup_parse },
};

static int proc_read_one(ProcReader *rd, const char *pid_name, pid_t pid, ProcSample *ret) {
        ProcSample p = { .pid = pid };
        int r;

        r = pid_stat_read(rd, pid_name, &p);
        if (r < 0)
                return r;

        if (p.kernel_thread) {
                /* never a candidate: skip the other files (a third of the work on a typical host) */
                p.cgroup = strdup("/");
                if (!p.cgroup)
                        return -ENOMEM;
                *ret = p;
                return 0;
        }

        for (size_t i = 0; i < ELEMENTSOF(pid_files); i++) {
                r = pid_file_read(rd, pid_name, pid_files[i].name);
                if (r >= 0)
                        r = pid_files[i].parse(rd->buf, &p);
                if (r < 0)
                        return r;
        }

        *ret = p;
        return 0;
}

int proc_read(const char *proc_root, pid_t pid, ProcSample *ret) {
        _cleanup_(proc_reader_done) ProcReader rd = PROC_READER_NULL;
        char name[PID_NAME_MAX];
        int r;

        if (!ret)
                return -EINVAL;
        r = proc_reader_init_pid(&rd, proc_root, pid, name);
        if (r < 0)
                return r;
        return proc_read_one(&rd, name, pid, ret);
}

void proc_samples_free(ProcSample *p, size_t n) {
        if (!p)
                return;
        for (size_t i = 0; i < n; i++)
                free(p[i].cgroup);
        free(p);
}

typedef struct ProcArray {
        ProcSample *items;
        size_t n, alloc;
} ProcArray;

static int proc_array_add(ProcArray *a, ProcReader *rd, const char *pid_name, pid_t pid) {
        int r;

        if (a->n == a->alloc) {
                size_t alloc = a->alloc ? a->alloc * 2 : 256;
                ProcSample *items = realloc(a->items, alloc * sizeof(ProcSample));
                if (!items)
                        return -ENOMEM;
                a->items = items;
                a->alloc = alloc;
        }

        r = proc_read_one(rd, pid_name, pid, &a->items[a->n]);
        if (r == -ENOMEM)
                return r;
        if (r == -ESRCH)
                return 0; /* exited meanwhile */
        if (r < 0) {
                /* one odd process (hidepid, a parse surprise) must not blind the whole scan */
                log_debug_errno(r, "Skipping process %d: failed to read its /proc files: %m", (int) pid);
                return 0;
        }
        a->n++;
        return 0;
}

/* Decimal pid, as /proc names its process directories; 0 for anything else. */
static pid_t pid_from_name(const char *s) {
        uint64_t v;

        if (scan_u64(&s, &v) < 0 || *s != 0 || v == 0 || v > INT32_MAX)
                return 0;
        return (pid_t) v;
}

int proc_scan(const char *proc_root, ProcSample **ret, size_t *n_ret) {
        ProcReader rd;
        ProcArray a = {};
        DIR *d;
        int r, fd;

        if (!proc_root || !ret || !n_ret)
                return -EINVAL;
        r = proc_reader_init(&rd, proc_root);
        if (r < 0)
                return log_error_errno(r, "Failed to open %s: %m. Is procfs mounted there?", proc_root);

        fd = openat(rd.procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                proc_reader_done(&rd);
                return r;
        }
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                proc_reader_done(&rd);
                return r;
        }

        r = 0;
        for (;;) {
                struct dirent *de;
                pid_t pid;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        r = -errno;
                        break;
                }
                pid = pid_from_name(de->d_name);
                if (pid == 0)
                        continue;
                r = proc_array_add(&a, &rd, de->d_name, pid);
                if (r < 0)
                        break;
        }
        closedir(d);
        proc_reader_done(&rd);

        if (r < 0) {
                proc_samples_free(a.items, a.n);
                return log_error_errno(r, "Failed to list the processes in %s: %m", proc_root);
        }
        *ret = a.items;
        *n_ret = a.n;
        return 0;
}

int proc_scan_cgroup(const char *proc_root, int cgroup_dirfd, ProcSample **ret, size_t *n_ret) {
        _cleanup_free_ char *list = NULL;
        size_t list_size = 0;
        ProcReader rd;
        ProcArray a = {};
        ssize_t n;
        int r;

        if (!proc_root || cgroup_dirfd < 0 || !ret || !n_ret)
                return -EINVAL;

        /* a cgroup that vanished gives ENOENT or ENODEV: the caller decides what that means */
        n = read_file_at_grow(cgroup_dirfd, "cgroup.procs", &list, &list_size);
        if (n < 0)
                return (int) n;

        r = proc_reader_init(&rd, proc_root);
        if (r < 0)
                return r;

        for (const char *s = list; s; s = next_line(s)) {
                char name[PID_NAME_MAX];
                uint64_t v;

                if (at_line_end(s))
                        continue;
                r = scan_u64(&s, &v);
                if (r >= 0 && (!at_line_end(s) || v == 0 || v > INT32_MAX))
                        r = -EINVAL;
                if (r < 0)
                        break;
                snprintf(name, sizeof name, "%d", (int) v);
                r = proc_array_add(&a, &rd, name, (pid_t) v);
                if (r < 0)
                        break;
        }
        proc_reader_done(&rd);

        if (r < 0) {
                proc_samples_free(a.items, a.n);
                return r;
        }
        *ret = a.items;
        *n_ret = a.n;
        return 0;
}

int proc_cgroup_path(const char *proc_root, pid_t pid, char **ret) {
        _cleanup_(proc_reader_done) ProcReader rd = PROC_READER_NULL;
        char name[PID_NAME_MAX];
        int r;

        if (!ret)
                return -EINVAL;
        r = proc_reader_init_pid(&rd, proc_root, pid, name);
        if (r >= 0)
                r = pid_file_read(&rd, name, "cgroup");
        if (r < 0)
                return r;
        return proc_cgroup_line_parse(rd.buf, ret);
}

int proc_start_time_read(const char *proc_root, pid_t pid, uint64_t *ret) {
        _cleanup_(proc_reader_done) ProcReader rd = PROC_READER_NULL;
        ProcSample p = {};
        char name[PID_NAME_MAX];
        int r;

        if (!ret)
                return -EINVAL;
        r = proc_reader_init_pid(&rd, proc_root, pid, name);
        if (r >= 0)
                r = pid_stat_read(&rd, name, &p);
        if (r < 0)
                return r;
        *ret = p.start_time;
        return 0;
}
