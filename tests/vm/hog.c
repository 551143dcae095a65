/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pressured-hog: a process that really allocates memory, for the VM scenarios.
 *
 *   pressured-hog MIB [MIB_PER_SEC [SHED_TO_MIB]]
 *
 * Allocates MIB MiB (0 = without end) in 1 MiB steps, writing to every page so it is resident,
 * at most MIB_PER_SEC MiB per second (0 or absent = as fast as it can), then holds it until killed.
 * Prints "holding N MiB" once the target is reached. A failed allocation is retried a second later.
 * With SHED_TO_MIB, SIGUSR1 makes it give memory back down to SHED_TO_MIB MiB (unmapped, so the
 * kernel really gets it) and hold that, printing "shed to N MiB": a workload that answers a
 * pre-kill hook. Without it, SIGUSR1 ends the process as usual.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define STEP_BYTES (1024 * 1024)

static volatile sig_atomic_t shed_requested;

static void on_sigusr1(int sig) {
        (void) sig;
        shed_requested = 1;
}

static void sleep_usec(long usec) {
        struct timespec ts = { usec / 1000000, (usec % 1000000) * 1000 };
        nanosleep(&ts, NULL);
}

int main(int argc, char *argv[]) {
        if (argc < 2 || argc > 4) {
                fprintf(stderr, "usage: pressured-hog MIB [MIB_PER_SEC [SHED_TO_MIB]]\n");
                return 2;
        }
        long target = strtol(argv[1], NULL, 10), rate = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
        long shed_to = argc > 3 ? strtol(argv[3], NULL, 10) : -1;
        long step_usec = rate > 0 ? 1000000 / rate : 0;
        char **blocks = NULL;
        long done = 0, room = 0;

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (shed_to >= 0)
                signal(SIGUSR1, on_sigusr1);
        while ((target == 0 || done < target) && !shed_requested) {
                char *p = mmap(NULL, STEP_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED) {
                        sleep_usec(1000000);
                        continue;
                }
                memset(p, 0x5a, STEP_BYTES);
                if (done == room) {
                        room = room ? room * 2 : 1024;
                        char **n = realloc(blocks, (size_t) room * sizeof *n);
                        if (!n)
                                return 1;
                        blocks = n;
                }
                blocks[done++] = p;
                if (step_usec)
                        sleep_usec(step_usec);
        }
        if (!shed_requested)
                printf("holding %ld MiB\n", target);
        /* SIGUSR1 blocked except inside sigsuspend: a request between the check and the wait is not lost. */
        sigset_t usr1, none;
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        sigprocmask(SIG_BLOCK, &usr1, &none);
        sigdelset(&none, SIGUSR1);
        for (;;) {
                if (shed_requested) {
                        while (done > shed_to)
                                munmap(blocks[--done], STEP_BYTES);
                        printf("shed to %ld MiB\n", done);
                        shed_requested = 0;
                }
                sigsuspend(&none);
        }
}
