/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench-neighbour: the misbehaving neighbours of the scenario benchmark (the seed paper's three).
 *
 *   bench-neighbour runaway [MIB_PER_S]          (default 30)  RUNAWAY_GROWTH
 *   bench-neighbour burst [CHUNK_MIB [PAUSE_S]]  (default 450 1) BURST_MEM
 *   bench-neighbour spike [CHUNK_MIB]            (default 600) SPIKE_MEM
 *
 * runaway: 1 MiB steps at MIB_PER_S, each written, without end (a slow leak).
 * burst:   allocate CHUNK_MIB as fast as it can (writing each page), unmap it all, pause, repeat.
 * spike:   allocate CHUNK_MIB as fast as it can, write it once, then sleep without end.
 * Memory comes in 1 MiB mmap blocks, so munmap really gives it back. None of them ends by itself:
 * SIGTERM and SIGKILL end them with their default action.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"

#define BLOCK_BYTES (1024 * 1024)

/* One written 1 MiB block; a failed mmap is retried (the kernel, not we, decides who runs out). */
static char *block_new(void) {
        for (;;) {
                char *p = mmap(NULL, BLOCK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p != MAP_FAILED) {
                        memset(p, 0x5a, BLOCK_BYTES);
                        return p;
                }
                sleep_s(0.1);
        }
}

static int usage(void) {
        fprintf(stderr, "usage: bench-neighbour runaway [MIB_PER_S] | burst [CHUNK_MIB [PAUSE_S]] | spike [CHUNK_MIB]\n");
        return 2;
}

int main(int argc, char *argv[]) {
        if (argc < 2)
                return usage();
        const char *mode = argv[1];
        long a = 0, b = 0;
        if (argc > 2 && !parse_positive(argv[2], &a))
                return usage();
        if (argc > 3 && !parse_positive(argv[3], &b))
                return usage();
        setvbuf(stdout, NULL, _IOLBF, 0);

        if (strcmp(mode, "runaway") == 0 && argc <= 3) {
                double step_s = 1.0 / (double) (a ? a : 30);
                printf("NEIGHBOUR runaway mib_per_s=%ld\n", a ? a : 30);
                for (long n = 1;; n++) {
                        block_new(); /* leaked on purpose */
                        if (n % 100 == 0)
                                printf("NEIGHBOUR holds %ld MiB\n", n);
                        sleep_s(step_s);
                }
        }
        if (strcmp(mode, "burst") == 0 && argc <= 4) {
                long chunk = a ? a : 450, pause = b ? b : 1;
                char **blocks = calloc((size_t) chunk, sizeof *blocks);
                if (!blocks)
                        return 1;
                printf("NEIGHBOUR burst chunk_mib=%ld pause_s=%ld\n", chunk, pause);
                for (long round = 1;; round++) {
                        for (long i = 0; i < chunk; i++)
                                blocks[i] = block_new();
                        for (long i = 0; i < chunk; i++)
                                munmap(blocks[i], BLOCK_BYTES);
                        printf("NEIGHBOUR burst %ld done\n", round);
                        sleep_s((double) pause);
                }
        }
        if (strcmp(mode, "spike") == 0 && argc <= 3) {
                long chunk = a ? a : 600;
                printf("NEIGHBOUR spike chunk_mib=%ld\n", chunk);
                for (long i = 0; i < chunk; i++)
                        block_new();
                printf("NEIGHBOUR holds %ld MiB\n", chunk);
                for (;;)
                        pause();
        }
        return usage();
}
