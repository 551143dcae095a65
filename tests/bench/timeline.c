/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench-timeline: what the machine went through during a freeze cell, for reading a cell after the
 * fact (why a kill came when it did). Not a measurement of record: the freeze benchmark runs it only
 * when asked (BENCH_TIMELINE=1).
 *
 *   bench-timeline PERIOD_MS OUT_FILE
 *
 * Every PERIOD_MS it reads /proc/pressure/memory, /proc/vmstat and /proc/meminfo and keeps one row
 * in memory (locked, so that it does not stall on its own pages):
 *   T_S SOME_US FULL_US PSWPIN PSWPOUT REFAULT_ANON REFAULT_FILE PGSCAN MEMAVAIL_KIB SWAPFREE_KIB
 * T_S is CLOCK_MONOTONIC seconds (the guest's uptime, as journalctl -o short-monotonic shows), the
 * PSI and vmstat fields are the kernel's running totals (the reader takes differences), PGSCAN is
 * pgscan_kswapd + pgscan_direct. Nothing is written while it runs: SIGTERM or SIGINT write every row
 * to OUT_FILE, after a header line starting with '#', and end it with exit 0. At most MAX_ROWS rows
 * (the last are dropped past that, and the header says so).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"

#define MAX_ROWS 8192
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

typedef struct Row {
        double t_s;
        uint64_t some_us, full_us, pswpin, pswpout, refault_anon, refault_file, pgscan, avail_kib, swapfree_kib;
} Row;

static Row rows[MAX_ROWS];
static volatile sig_atomic_t stop;
static void on_stop(int sig) { (void) sig; stop = 1; }

/* The whole of a small /proc file into buf (NUL-terminated); false when it cannot be read. */
static bool read_small(const char *path, char *buf, size_t size) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        ssize_t n = read(fd, buf, size - 1);
        close(fd);
        if (n < 0)
                return false;
        buf[n] = 0;
        return true;
}

/* The number after "KEY" at the start of a line ("KEY VALUE" in vmstat, "KEY: VALUE kB" in meminfo). */
static uint64_t field(const char *text, const char *key) {
        size_t len = strlen(key);
        for (const char *p = text; *p;) {
                if (strncmp(p, key, len) == 0 && (p[len] == ' ' || p[len] == ':'))
                        return strtoull(p + len + strspn(p + len, " :"), NULL, 10);
                const char *nl = strchr(p, '\n');
                if (!nl)
                        break;
                p = nl + 1;
        }
        return 0;
}

/* total= of the "some" or "full" line of a PSI file. */
static uint64_t psi_total(const char *text, const char *kind) {
        const char *line = strstr(text, kind), *t = line ? strstr(line, "total=") : NULL;
        return t ? strtoull(t + 6, NULL, 10) : 0;
}

int main(int argc, char *argv[]) {
        long period_ms;
        if (argc != 3 || !parse_positive(argv[1], &period_ms)) {
                fprintf(stderr, "usage: bench-timeline PERIOD_MS OUT_FILE   (PERIOD_MS a positive integer)\n");
                return 2;
        }
        FILE *out = fopen(argv[2], "w"); /* opened now: a bad path is told at the start, not the end */
        if (!out) {
                fprintf(stderr, "bench-timeline: cannot write %s: %m\n", argv[2]);
                return 1;
        }
        if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
                fprintf(stderr, "bench-timeline: mlockall failed (%m): its own rows may stall it\n");
        struct sigaction sa = { .sa_handler = on_stop };
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);

        static char psi[512], vmstat[16384], meminfo[8192];
        size_t n = 0;
        bool dropped = false;
        struct timespec deadline;
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        while (!stop) {
                if (!read_small("/proc/pressure/memory", psi, sizeof psi) ||
                    !read_small("/proc/vmstat", vmstat, sizeof vmstat) ||
                    !read_small("/proc/meminfo", meminfo, sizeof meminfo)) {
                        fprintf(stderr, "bench-timeline: cannot read /proc/pressure/memory, /proc/vmstat or "
                                        "/proc/meminfo: %m\n");
                        return 1;
                }
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (n < MAX_ROWS)
                        rows[n++] = (Row) {
                                .t_s = (double) now.tv_sec + (double) now.tv_nsec / 1e9,
                                .some_us = psi_total(psi, "some"),
                                .full_us = psi_total(psi, "full"),
                                .pswpin = field(vmstat, "pswpin"),
                                .pswpout = field(vmstat, "pswpout"),
                                .refault_anon = field(vmstat, "workingset_refault_anon"),
                                .refault_file = field(vmstat, "workingset_refault_file"),
                                .pgscan = field(vmstat, "pgscan_kswapd") + field(vmstat, "pgscan_direct"),
                                .avail_kib = field(meminfo, "MemAvailable"),
                                .swapfree_kib = field(meminfo, "SwapFree"),
                        };
                else
                        dropped = true;
                deadline.tv_nsec += period_ms * 1000000L;
                while (deadline.tv_nsec >= 1000000000L) {
                        deadline.tv_nsec -= 1000000000L;
                        deadline.tv_sec++;
                }
                while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR)
                        ;
        }
        fprintf(out, "# t_s some_us full_us pswpin pswpout refault_anon refault_file pgscan memavail_kib swapfree_kib"
                     " (every %ld ms)%s\n", period_ms, dropped ? "; the rows past the first " STRINGIFY(MAX_ROWS) " were dropped" : "");
        for (size_t i = 0; i < n; i++)
                fprintf(out, "%.3f %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
                             " %" PRIu64 " %" PRIu64 "\n",
                        rows[i].t_s, rows[i].some_us, rows[i].full_us, rows[i].pswpin, rows[i].pswpout,
                        rows[i].refault_anon, rows[i].refault_file, rows[i].pgscan, rows[i].avail_kib,
                        rows[i].swapfree_kib);
        if (fclose(out) != 0) {
                fprintf(stderr, "bench-timeline: writing %s failed: %m\n", argv[2]);
                return 1;
        }
        return 0;
}
