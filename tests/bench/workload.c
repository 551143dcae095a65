/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench-workload: the well-behaved workload of the scenario benchmark.
 *
 *   bench-workload [MIB [SECONDS]]        (defaults 200 60)
 *
 * Allocates MIB MiB evenly over SECONDS: 1 MiB steps, step i due i*SECONDS/MIB s after the start;
 * it sleeps when it is ahead. Between steps it writes to every page it holds, so its whole set is
 * its working set: when the kernel swaps it out, it stalls, and the stall shows in its wall time.
 * Once all is allocated it makes one final full pass, prints "WORKLOAD_DONE wall_s=X" and exits 0.
 * Its ideal wall time is SECONDS. SIGTERM and SIGKILL end it with their default action (there is
 * nothing to clean up), so whoever watches it sees a death by signal, never a finish.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"

#define BLOCK_BYTES (1024 * 1024)

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Writes one byte in every page of every block: the whole set is touched. */
static void touch_all(char **blocks, long n, long page) {
        for (long b = 0; b < n; b++)
                for (long off = 0; off < BLOCK_BYTES; off += page)
                        blocks[b][off]++;
}

int main(int argc, char *argv[]) {
        long mib = 200, seconds = 60;
        if (argc > 3 || (argc > 1 && !parse_positive(argv[1], &mib)) || (argc > 2 && !parse_positive(argv[2], &seconds))) {
                fprintf(stderr, "usage: bench-workload [MIB [SECONDS]]   (positive integers; defaults 200 60)\n");
                return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        long page = sysconf(_SC_PAGESIZE);
        char **blocks = calloc((size_t) mib, sizeof *blocks);
        if (!blocks) {
                fprintf(stderr, "bench-workload: out of memory for the block table\n");
                return 1;
        }
        printf("WORKLOAD_START mib=%ld seconds=%ld\n", mib, seconds);
        double start = now_s(), step_s = (double) seconds / (double) mib;
        for (long done = 0; done < mib;) {
                double ahead = start + (double) (done + 1) * step_s - now_s();
                if (ahead > 0)
                        sleep_s(ahead);
                /* mmap, not malloc: each block is its own mapping, really backed once written. */
                char *p = mmap(NULL, BLOCK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED) {
                        fprintf(stderr, "bench-workload: mmap of block %ld failed: %m; retrying\n", done);
                        sleep_s(0.1);
                        continue;
                }
                blocks[done++] = p;
                touch_all(blocks, done, page);
                if (done % (mib / 4 > 0 ? mib / 4 : 1) == 0)
                        printf("WORKLOAD_PROGRESS mib=%ld t_s=%.2f\n", done, now_s() - start);
        }
        touch_all(blocks, mib, page);
        printf("WORKLOAD_DONE wall_s=%.2f\n", now_s() - start);
        return 0;
}
