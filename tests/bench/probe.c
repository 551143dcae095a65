/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench-probe: the freeze benchmark's interactive program, a stand-in for a shell or an editor.
 *
 *   bench-probe [MIB [STATS_FILE]]        (defaults 64 and no file)
 *
 * Allocates MIB MiB and writes every page once. Then it wakes every 100 ms (absolute deadlines)
 * and writes one byte in each page of the next eighth of its memory, so all of it is touched every
 * 800 ms: when the kernel has swapped it out or evicted the pages it runs from, the wake is late.
 * A wake's lateness is the time from its deadline to the end of its touching; the next deadline is
 * 100 ms after this one, or 100 ms after the end of a wake that overran it.
 *
 * It counts: wakes, the worst lateness, and the stalled time, the sum of the lateness of every wake
 * more than STALL_MS late. Every second (and at the end) it rewrites STATS_FILE (written to a
 * temporary file, then renamed) with one line
 *   PROBE wakes=N worst_ms=X stalled_ms=Y stalls=K t_s=T
 * and appends every stall to STATS_FILE.stalls as "START_S LATE_MS" (CLOCK_MONOTONIC seconds, the
 * guest's uptime), so a harness can tell stalls before and after an event. A SIGKILL leaves the
 * last second's figures. SIGTERM or SIGINT end it: it prints "PROBE_DONE ..." and exits 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"

#define PERIOD_NS 100000000L /* 100 ms between wakes */
#define STALL_MS 50.0        /* a wake this late counts as a stall */
#define SLICES 8             /* each wake touches one eighth of the memory */

static volatile sig_atomic_t stop;
static void on_stop(int sig) { (void) sig; stop = 1; }

static double ts_s(const struct timespec *ts) { return (double) ts->tv_sec + (double) ts->tv_nsec / 1e9; }

static void ts_add_ns(struct timespec *ts, long ns) {
        ts->tv_nsec += ns;
        while (ts->tv_nsec >= 1000000000L) {
                ts->tv_nsec -= 1000000000L;
                ts->tv_sec++;
        }
}

struct stats {
        long wakes, stalls;
        double worst_ms, stalled_ms, start_s;
};

static void stats_line(const struct stats *st, double now_s, char *buf, size_t len) {
        snprintf(buf, len, "wakes=%ld worst_ms=%.1f stalled_ms=%.1f stalls=%ld t_s=%.1f",
                 st->wakes, st->worst_ms, st->stalled_ms, st->stalls, now_s - st->start_s);
}

/* The stats file is replaced whole, so a reader (or a SIGKILL) never sees half a line. */
static void stats_write(const char *path, const char *line) {
        if (!path)
                return;
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        FILE *f = fopen(tmp, "w");
        if (!f)
                return;
        fprintf(f, "PROBE %s\n", line);
        if (fclose(f) == 0)
                rename(tmp, path);
}

int main(int argc, char *argv[]) {
        long mib = 64;
        if (argc > 3 || (argc > 1 && !parse_positive(argv[1], &mib))) {
                fprintf(stderr, "usage: bench-probe [MIB [STATS_FILE]]   (MIB a positive integer; default 64)\n");
                return 2;
        }
        const char *path = argc > 2 ? argv[2] : NULL;
        char stalls_path[4096];
        FILE *stalls = NULL;
        if (path) {
                snprintf(stalls_path, sizeof stalls_path, "%s.stalls", path);
                stalls = fopen(stalls_path, "w");
                if (!stalls) {
                        fprintf(stderr, "bench-probe: cannot write %s: %m\n", stalls_path);
                        return 1;
                }
                setvbuf(stalls, NULL, _IOLBF, 0);
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        struct sigaction sa = { .sa_handler = on_stop }; /* no SA_RESTART: the sleep returns EINTR */
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);

        size_t bytes = (size_t) mib << 20, page = (size_t) sysconf(_SC_PAGESIZE);
        char *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED) {
                fprintf(stderr, "bench-probe: cannot map %ld MiB: %m\n", mib);
                return 1;
        }
        memset(mem, 1, bytes);
        size_t slice = bytes / SLICES;

        struct stats st = { 0 };
        struct timespec deadline, now;
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        st.start_s = ts_s(&deadline);
        double last_write_s = st.start_s;
        char line[256];
        printf("PROBE_START mib=%ld period_ms=%ld\n", mib, PERIOD_NS / 1000000);

        for (unsigned k = 0; !stop; k = (k + 1) % SLICES) {
                ts_add_ns(&deadline, PERIOD_NS);
                int r;
                while ((r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL)) == EINTR && !stop)
                        ;
                if (stop)
                        break;
                for (size_t off = 0; off < slice; off += page)
                        mem[(size_t) k * slice + off]++;
                clock_gettime(CLOCK_MONOTONIC, &now);
                double late_ms = (ts_s(&now) - ts_s(&deadline)) * 1e3;
                st.wakes++;
                if (late_ms > st.worst_ms)
                        st.worst_ms = late_ms;
                if (late_ms > STALL_MS) {
                        st.stalls++;
                        st.stalled_ms += late_ms;
                        if (stalls)
                                fprintf(stalls, "%.3f %.1f\n", ts_s(&deadline), late_ms);
                }
                /* A wake that overran the next deadline restarts the schedule from now: a stall is
                 * counted once, not again as a burst of late catch-up wakes. */
                if (late_ms * 1e6 > (double) PERIOD_NS)
                        deadline = now;
                if (ts_s(&now) - last_write_s >= 1.0) {
                        stats_line(&st, ts_s(&now), line, sizeof line);
                        stats_write(path, line);
                        last_write_s = ts_s(&now);
                }
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        stats_line(&st, ts_s(&now), line, sizeof line);
        stats_write(path, line);
        printf("PROBE_DONE %s\n", line);
        return 0;
}
