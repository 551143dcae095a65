/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench-thrasher: the freeze benchmark's offenders whose working set exceeds the machine's RAM.
 *
 *   bench-thrasher MIB              one process: allocates MIB MiB, then writes every page of it
 *                                   again and again, without end
 *   bench-thrasher --respawn MIB    a supervisor that runs that as a child and forks a new one at
 *                                   once whenever the child ends, however it ended (as
 *                                   `stress-ng --vm` does): killing the worker alone relieves nothing
 *
 * Memory comes in 1 MiB mmap blocks, each written as it is mapped; a failed mmap is retried (the
 * kernel, not we, decides who runs out). SIGTERM and SIGKILL end either process with their
 * default action; the supervisor's death does not end the worker (a unit stop or cgroup kill does).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-util.h"


static _Noreturn void thrash(long mib) {
        long page = sysconf(_SC_PAGESIZE);
        printf("THRASHER worker %d allocating %ld MiB\n", (int) getpid(), mib);
        char **blocks = blocks_new(mib);
        if (!blocks) {
                fprintf(stderr, "bench-thrasher: out of memory for the block table\n");
                exit(1);
        }
        printf("THRASHER worker %d holds %ld MiB, touching it all in a loop\n", (int) getpid(), mib);
        for (long pass = 1;; pass++) {
                for (long b = 0; b < mib; b++)
                        for (long off = 0; off < BLOCK_BYTES; off += page)
                                blocks[b][off]++;
                if (pass % 10 == 0)
                        printf("THRASHER worker %d pass %ld\n", (int) getpid(), pass);
        }
}

static int usage(void) {
        fprintf(stderr, "usage: bench-thrasher [--respawn] MIB   (MIB a positive integer)\n");
        return 2;
}

int main(int argc, char *argv[]) {
        int respawn = argc > 1 && strcmp(argv[1], "--respawn") == 0;
        long mib;
        if (argc != 2 + respawn || !parse_positive(argv[1 + respawn], &mib))
                return usage();
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (!respawn)
                thrash(mib);

        printf("THRASHER supervisor %d: a worker of %ld MiB, forked again whenever it ends\n", (int) getpid(), mib);
        for (long n = 1;; n++) {
                pid_t pid = fork();
                if (pid < 0) {
                        fprintf(stderr, "bench-thrasher: fork failed: %m; retrying\n");
                        sleep_s(0.1);
                        continue;
                }
                if (pid == 0)
                        thrash(mib);
                int status;
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
                if (WIFSIGNALED(status))
                        printf("THRASHER worker %d ended by signal %d; forking worker %ld\n", (int) pid, WTERMSIG(status), n + 1);
                else
                        printf("THRASHER worker %d exited %d; forking worker %ld\n", (int) pid, WEXITSTATUS(status), n + 1);
        }
}
