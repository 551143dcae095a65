/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PSI triggers against this host's real /proc/pressure/memory. Where the kernel accepts triggers
 * the set arms one; where it refuses them (EINVAL, as on hybrid hosts) the set says so once and
 * stays unavailable, so the daemon polls. Either way the outcome is checked, not assumed.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

/* Direct mode with fds that report EPOLLPRI the way a trigger does: the receiving end of a TCP
 * connection holding urgent (out-of-band) data. Unlike a PSI trigger, polling it does not clear
 * the event (the handler reads the byte), so this checks where each fd is watched and that each
 * event reaches the handler once; the kernel's clearing itself is exercised by the VM suite. */
typedef struct Urgent {
        int fired;
        int fd[2];     /* receiving ends, by key "a" and "b" */
} Urgent;

static void on_urgent(const char *path, void *userdata) {
        Urgent *u = userdata;
        char c;
        u->fired++;
        cr_assert_eq(recv(u->fd[path[0] - 'a'], &c, 1, MSG_OOB), 1, "the handler ran for %s without urgent data", path);
}

static void tcp_pair(int *send_fd, int *recv_fd) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t l = sizeof a;
        int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        cr_assert_geq(ls, 0);
        cr_assert_eq(bind(ls, (struct sockaddr *) &a, sizeof a), 0);
        cr_assert_eq(listen(ls, 1), 0);
        cr_assert_eq(getsockname(ls, (struct sockaddr *) &a, &l), 0);
        *send_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        cr_assert_eq(connect(*send_fd, (struct sockaddr *) &a, sizeof a), 0);
        *recv_fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        cr_assert_geq(*recv_fd, 0);
        close(ls);
}

static void urgent(int fd) {
        cr_assert_eq(send(fd, "!", 1, MSG_OOB), 1);
        struct pollfd p = { .fd = fd, .events = 0 };
        (void) poll(&p, 1, 20); /* loopback delivers at once; a moment for the receiver's state */
}

static int on_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        (*(int *) userdata)++;
        return 0;
}

Test(psi_trigger, direct_mode_moves_fds_and_fires_once) {
        sd_event *e = NULL;
        PsiTriggerSet *s = NULL;
        Urgent u = { 0 };
        int snd[2];

        cr_assert_eq(sd_event_new(&e), 0);
        cr_assert_eq(psi_trigger_set_new(e, on_urgent, &u, &s), 0);
        tcp_pair(&snd[0], &u.fd[0]);
        cr_assert_eq(psi_trigger_adopt(s, "a", dup(u.fd[0])), 0);

        /* Not direct: sd-event watches the fd. */
        urgent(snd[0]);
        cr_assert_geq(sd_event_run(e, 100 * USEC_PER_MSEC), 0);
        cr_assert_eq(u.fired, 1, "sd-event did not call the handler before direct mode");
        cr_assert_eq(psi_trigger_wait_direct(s, sd_event_get_fd(e), 0), -EINVAL, "waiting directly needs direct mode");

        /* Direct: sd-event no longer holds the fd, the set's epoll does. */
        cr_assert_eq(psi_trigger_set_direct(s, true), 0);
        cr_assert(psi_trigger_direct(s));
        urgent(snd[0]);
        cr_assert_geq(sd_event_run(e, 50 * USEC_PER_MSEC), 0);
        cr_assert_eq(u.fired, 1, "sd-event still watches a trigger fd in direct mode");
        cr_assert_eq(psi_trigger_wait_direct(s, sd_event_get_fd(e), 1000), PSI_WAIT_FIRED);
        cr_assert_eq(u.fired, 2, "the set's wait did not call the handler exactly once (%d)", u.fired - 1);
        cr_assert_eq(psi_trigger_wait_direct(s, sd_event_get_fd(e), 50), 0, "nothing is ready: a timeout");
        cr_assert_eq(u.fired, 2);

        /* A trigger added while direct goes to the set's epoll too. */
        tcp_pair(&snd[1], &u.fd[1]);
        cr_assert_eq(psi_trigger_adopt(s, "b", dup(u.fd[1])), 0);
        cr_assert_eq(psi_trigger_count(s), 2);
        urgent(snd[1]);
        cr_assert_geq(sd_event_run(e, 50 * USEC_PER_MSEC), 0);
        cr_assert_eq(u.fired, 2, "a trigger added in direct mode went to sd-event");
        cr_assert_eq(psi_trigger_wait_direct(s, sd_event_get_fd(e), 1000), PSI_WAIT_FIRED);
        cr_assert_eq(u.fired, 3);

        /* sd-event's own readiness comes back as PSI_WAIT_OTHER and sd-event dispatches it. */
        int timer_ran = 0;
        cr_assert_geq(sd_event_add_time_relative(e, NULL, CLOCK_MONOTONIC, 0, 1, on_timer, &timer_ran), 0);
        cr_assert_eq(sd_event_prepare(e), 0);
        cr_assert_eq(psi_trigger_wait_direct(s, sd_event_get_fd(e), 1000), PSI_WAIT_OTHER);
        cr_assert_gt(sd_event_wait(e, 0), 0);
        cr_assert_geq(sd_event_dispatch(e), 0);
        cr_assert_eq(timer_ran, 1);
        cr_assert_eq(u.fired, 3);

        /* Pruned while direct: gone from the set's epoll. */
        const char *keep[] = { "b" };
        psi_trigger_prune(s, keep, 1);
        cr_assert_eq(psi_trigger_count(s), 1);
        urgent(snd[0]);
        cr_assert_eq(psi_trigger_wait_direct(s, sd_event_get_fd(e), 50), 0, "a pruned trigger is still watched");
        cr_assert_eq(u.fired, 3);

        /* Pending while moving back: told once, by the switch, and sd-event then watches the fd. */
        urgent(snd[1]);
        cr_assert_eq(psi_trigger_set_direct(s, false), 0);
        cr_assert_eq(u.fired, 4, "an event pending while the fd moved was not told exactly once");
        cr_assert_geq(sd_event_run(e, 50 * USEC_PER_MSEC), 0);
        cr_assert_eq(u.fired, 4);
        urgent(snd[1]);
        cr_assert_geq(sd_event_run(e, 100 * USEC_PER_MSEC), 0);
        cr_assert_eq(u.fired, 5, "sd-event does not watch the fd again after direct mode");

        psi_trigger_set_free(s);
        sd_event_unref(e);
        for (int i = 0; i < 2; i++) {
                close(snd[i]);
                close(u.fd[i]);
        }
}
