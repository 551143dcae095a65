/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * policy_fd_read() and policy_memfd_new(): a policy handed over as a descriptor is read only from a
 * sealed memfd within POLICY_MAX_BYTES; a pipe, a FIFO, a plain file, an unsealed memfd and one over
 * the limit are refused before a byte is read.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "policy_file.h"
#include "policy_limits.h"

static const char WHAT[] = "the policy passed as a descriptor";

Test(policy_fd, a_sealed_memfd_round_trips) {
        const char *text = "{\"rulesets\": []}";
        int fd = policy_memfd_new("test", text, strlen(text));
        cr_assert_geq(fd, 0, "%s", strerror(-fd));
        cr_assert_eq(fcntl(fd, F_GET_SEALS) & (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL),
                     F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
        cr_assert_lt(write(fd, "x", 1), 0, "a sealed memfd took a write");
        char *got = NULL, why[512] = "";
        cr_assert_eq(policy_fd_read(fd, WHAT, &got, why, sizeof why), 0, "%s", why);
        cr_assert_str_eq(got, text);
        /* read from the start, whatever the descriptor's offset */
        free(got);
        got = NULL;
        cr_assert_eq(policy_fd_read(fd, WHAT, &got, why, sizeof why), 0, "%s", why);
        cr_assert_str_eq(got, text);
        free(got);
        close(fd);
}

Test(policy_fd, a_pipe_is_refused_without_reading, .timeout = 10) {
        int p[2];
        cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
        char *got = NULL, why[512] = "";
        /* nobody writes: a read would block until the timeout */
        cr_assert_eq(policy_fd_read(p[0], WHAT, &got, why, sizeof why), -EINVAL);
        cr_assert(strstr(why, "a FIFO, not a sealed memfd"), "%s", why);
        cr_assert_null(got);
        close(p[0]);
        close(p[1]);
}

Test(policy_fd, a_file_or_an_unsealed_memfd_is_refused) {
        char path[] = "/tmp/test-policy-fd-XXXXXX", *got = NULL, why[512] = "";
        int f = mkstemp(path);
        cr_assert_geq(f, 0);
        unlink(path);
        cr_assert_eq(write(f, "{}", 2), 2);
        cr_assert_eq(policy_fd_read(f, WHAT, &got, why, sizeof why), -EPERM);
        cr_assert(strstr(why, "not a memfd"), "%s", why);
        close(f);

        int m = memfd_create("unsealed", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        cr_assert_geq(m, 0);
        cr_assert_eq(write(m, "{}", 2), 2);
        cr_assert_eq(fcntl(m, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK), 0); /* still writable */
        cr_assert_eq(policy_fd_read(m, WHAT, &got, why, sizeof why), -EPERM);
        cr_assert(strstr(why, "without all of F_SEAL_WRITE"), "%s", why);
        cr_assert_null(got);
        close(m);
}

Test(policy_fd, past_the_limit_by_size_alone) {
        int m = memfd_create("huge", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        cr_assert_geq(m, 0);
        cr_assert_eq(ftruncate(m, POLICY_MAX_BYTES + 1), 0);
        cr_assert_eq(fcntl(m, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK), 0);
        char *got = NULL, why[512] = "";
        cr_assert_eq(policy_fd_read(m, WHAT, &got, why, sizeof why), -EFBIG);
        cr_assert(strstr(why, "1048577 bytes") && strstr(why, "POLICY_MAX_BYTES") && strstr(why, POLICY_MAX_BYTES_TEXT), "%s", why);
        close(m);

        /* exactly at the limit is read (and then found not to be JSON by whoever parses it) */
        m = memfd_create("at", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        cr_assert_geq(m, 0);
        char *spaces = malloc(POLICY_MAX_BYTES);
        cr_assert_not_null(spaces);
        memset(spaces, ' ', POLICY_MAX_BYTES);
        cr_assert_eq(write(m, spaces, POLICY_MAX_BYTES), (ssize_t) POLICY_MAX_BYTES);
        cr_assert_eq(fcntl(m, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK), 0);
        cr_assert_eq(policy_fd_read(m, WHAT, &got, why, sizeof why), 0, "%s", why);
        cr_assert_eq(strlen(got), POLICY_MAX_BYTES);
        free(got);
        free(spaces);
        close(m);
}

Test(policy_fd, a_nul_byte_is_refused_with_its_offset) {
        int fd = policy_memfd_new("nul", "{\"a\0\": 1}", 9);
        cr_assert_geq(fd, 0);
        char *got = NULL, why[512] = "";
        cr_assert_eq(policy_fd_read(fd, WHAT, &got, why, sizeof why), -EBADMSG);
        cr_assert(strstr(why, "a NUL byte at byte 3"), "%s", why);
        close(fd);
}
