/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench-busy: the freeze benchmark's busy-but-healthy loads, which no OOM killer should touch.
 *
 *   bench-busy build PROCS MIB_EACH SECONDS   PROCS processes, each holding MIB_EACH MiB and
 *                                             writing through all of it again and again (CPU
 *                                             work on memory that fits in RAM) for SECONDS
 *   bench-busy spike MIB HOLD_S               allocates MIB MiB as fast as it can, holds it
 *                                             HOLD_S seconds, frees it and exits
 *
 * Both print "BUSY_DONE wall_s=X" and exit 0 when the load ran to its end; build exits 1 when a
 * child did not (it names the child and how it ended). Memory comes in 1 MiB mmap blocks, each
 * written as it is mapped, so it is really resident and munmap really gives it back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"


static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int build(long procs, long mib, long seconds) {
        double start = now_s();
        long page = sysconf(_SC_PAGESIZE);
        printf("BUSY build: %ld processes x %ld MiB for %ld s\n", procs, mib, seconds);
        for (long i = 0; i < procs; i++) {
                pid_t pid = fork();
                if (pid < 0) {
                        fprintf(stderr, "bench-busy: fork failed: %m\n");
                        return 1;
                }
                if (pid > 0)
                        continue;
                char **blocks = blocks_new(mib);
                if (!blocks)
                        _exit(1);
                while (now_s() - start < (double) seconds)
                        for (long b = 0; b < mib; b++)
                                for (long off = 0; off < BLOCK_BYTES; off += page)
                                        blocks[b][off]++;
                _exit(0);
        }
        int failed = 0, status;
        pid_t pid;
        while ((pid = wait(&status)) > 0 || errno == EINTR) {
                if (pid <= 0)
                        continue;
                if (WIFSIGNALED(status)) {
                        printf("BUSY child %d killed by signal %d\n", (int) pid, WTERMSIG(status));
                        failed = 1;
                } else if (WEXITSTATUS(status) != 0) {
                        printf("BUSY child %d exited %d\n", (int) pid, WEXITSTATUS(status));
                        failed = 1;
                }
        }
        printf("BUSY_DONE wall_s=%.2f\n", now_s() - start);
        return failed;
}

static int spike(long mib, long hold) {
        double start = now_s();
        char **blocks = blocks_new(mib);
        if (!blocks)
                return 1;
        printf("BUSY spike: %ld MiB allocated in %.2f s, holding %ld s\n", mib, now_s() - start, hold);
        sleep_s((double) hold);
        for (long i = 0; i < mib; i++)
                munmap(blocks[i], BLOCK_BYTES);
        printf("BUSY_DONE wall_s=%.2f\n", now_s() - start);
        return 0;
}

int main(int argc, char *argv[]) {
        long a, b, c;
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (argc == 5 && strcmp(argv[1], "build") == 0 && parse_positive(argv[2], &a) && parse_positive(argv[3], &b)
            && parse_positive(argv[4], &c))
                return build(a, b, c);
        if (argc == 4 && strcmp(argv[1], "spike") == 0 && parse_positive(argv[2], &a) && parse_positive(argv[3], &b))
                return spike(a, b);
        fprintf(stderr, "usage: bench-busy build PROCS MIB_EACH SECONDS | spike MIB HOLD_S\n");
        return 2;
}
