/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pressured-hog: a process that really allocates memory, for the VM scenarios.
 *
 *   pressured-hog MIB [MIB_PER_SEC]
 *
 * Allocates MIB MiB (0 = without end) in 1 MiB steps, writing to every page so it is resident,
 * at most MIB_PER_SEC MiB per second (0 or absent = as fast as it can), then holds it until killed.
 * Prints "holding N MiB" once the target is reached. A failed allocation is retried a second later.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STEP_BYTES (1024 * 1024)

static void sleep_usec(long usec) {
        struct timespec ts = { usec / 1000000, (usec % 1000000) * 1000 };
        nanosleep(&ts, NULL);
}

int main(int argc, char *argv[]) {
        if (argc < 2 || argc > 3) {
                fprintf(stderr, "usage: pressured-hog MIB [MIB_PER_SEC]\n");
                return 2;
        }
        long target = strtol(argv[1], NULL, 10), rate = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
        long step_usec = rate > 0 ? 1000000 / rate : 0;

        setvbuf(stdout, NULL, _IOLBF, 0);
        for (long done = 0; target == 0 || done < target;) {
                char *p = malloc(STEP_BYTES);
                if (!p) {
                        sleep_usec(1000000);
                        continue;
                }
                memset(p, 0x5a, STEP_BYTES);
                done++;
                if (step_usec)
                        sleep_usec(step_usec);
        }
        printf("holding %ld MiB\n", target);
        for (;;)
                pause();
}
