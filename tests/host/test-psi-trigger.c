/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PSI triggers against this host's real /proc/pressure/memory. Where the kernel accepts triggers
 * the set arms one; where it refuses them (EINVAL, as on hybrid hosts) the set says so once and
 * stays unavailable, so the daemon polls. Either way the outcome is checked, not assumed.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/core/psi_trigger.h"

static void on_fire(const char *path, void *userdata) {
        (*(int *) userdata)++;
}

Test(psi_trigger, real_pressure_file) {
        sd_event *e = NULL;
        PsiTriggerSet *s = NULL;
        int fired = 0;

        if (access("/proc/pressure/memory", R_OK) < 0)
                cr_skip_test("this kernel has no /proc/pressure/memory (CONFIG_PSI off or psi=0)");
        cr_assert_eq(sd_event_new(&e), 0);
        cr_assert_eq(psi_trigger_set_new(e, on_fire, &fired, &s), 0);
        cr_assert(psi_trigger_available(s), "a new set must try");

        /* A file that is not a pressure file (a fixture's) is refused before anything is written to
         * it: an error for that key, the file as it was, and the set still available for real files. */
        static const char figures[] = "some avg10=1.50 avg60=0.75 avg300=0.25 total=123456\n"
                                      "full avg10=0.50 avg60=0.20 avg300=0.05 total=65432\n";
        char tmp[] = "/tmp/pressured-psi-XXXXXX", back[sizeof figures + 64] = "";
        int fd = mkstemp(tmp);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, figures, strlen(figures)), (ssize_t) strlen(figures));
        int r = psi_trigger_add(s, tmp, AT_FDCWD, tmp, false, 100000);
        ssize_t k = pread(fd, back, sizeof back - 1, 0);
        close(fd);
        unlink(tmp);
        cr_assert_lt(r, 0, "a regular file cannot be a trigger");
        cr_assert_neq(r, -EOPNOTSUPP);
        cr_assert_eq(k, (ssize_t) strlen(figures));
        cr_assert_str_eq(back, figures, "arming a trigger wrote into a file that is no kernel pressure file");
        cr_assert(psi_trigger_available(s));
        cr_assert_eq(psi_trigger_count(s), 0);

        r = psi_trigger_add(s, "/proc/pressure/memory", AT_FDCWD, "/proc/pressure/memory", false, 100000);
        if (r == 0) {
                cr_assert(psi_trigger_available(s));
                cr_assert_eq(psi_trigger_count(s), 1);
                /* the same key again is a no-op */
                cr_assert_eq(psi_trigger_add(s, "/proc/pressure/memory", AT_FDCWD, "/proc/pressure/memory", false, 100000), 0);
                cr_assert_eq(psi_trigger_count(s), 1);
                psi_trigger_prune(s, NULL, 0);
                cr_assert_eq(psi_trigger_count(s), 0);
        } else {
                cr_assert_eq(r, -EOPNOTSUPP, "a refused trigger must read as unavailable, got %d", r);
                cr_assert_not(psi_trigger_available(s));
                cr_assert_eq(psi_trigger_count(s), 0);
                /* Refused once, never retried: the daemon polls from now on. */
                cr_assert_eq(psi_trigger_add(s, "/proc/pressure/io", AT_FDCWD, "/proc/pressure/io", false, 100000), -EOPNOTSUPP);
        }
        psi_trigger_set_free(s);
        sd_event_unref(e);
}
