/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * org.freedesktop.LowMemoryMonitor as desktop applications use it: the daemon reads a fixture
 * /proc whose pressure/memory totals the test advances at a chosen stall rate, and a GLib client
 * (lmm-client.py, Gio.MemoryMonitor, nothing of pressured) receives the contract's level: 50 at
 * some >= 7%, 100 at some >= 10%, 255 at full >= 7%. When another connection owns the name, the
 * daemon leaves it alone.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bus-util.h"

#define PYTHON "/usr/bin/python3"
#define LMM_CLIENT_TIMEOUT_S 40   /* covers the daemon's 15 s repeat if the first warning beat the client's subscription */
#define PRESSURE_WRITE_MS 5       /* the fixture's totals advance this often: 2.5% of the 200 ms window */

static pthread_t writer;
static atomic_bool writer_stop;
static _Atomic double some_rate, full_rate; /* stall usec per usec of wall time */

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

#define SOME_TOTAL0 1e6 /* the totals the fixture starts from: written before the writer runs */
#define FULL_TOTAL0 5e5

/* Replaces the fixture's /proc/pressure/memory with these totals (renamed in: the daemon never reads half a file). */
static void pressure_write(double some, double full) {
        char *path = fixture_path(&fx, "proc/pressure/memory"), *tmp = fixture_path(&fx, "proc/pressure/.memory");
        FILE *o = fopen(tmp, "we");
        if (o) {
                fprintf(o, "some avg10=0.00 avg60=0.00 avg300=0.00 total=%.0f\n"
                           "full avg10=0.00 avg60=0.00 avg300=0.00 total=%.0f\n", some, full);
                fclose(o);
                rename(tmp, path);
        }
        free(path);
        free(tmp);
}

/* Advances the fixture's /proc/pressure/memory totals as a host stalling at the set rates would. */
static void *pressure_writer(void *userdata) {
        double some = SOME_TOTAL0, full = FULL_TOTAL0;
        uint64_t last = now_usec();
        while (!atomic_load(&writer_stop)) {
                uint64_t now = now_usec();
                some += (double) (now - last) * atomic_load(&some_rate);
                full += (double) (now - last) * atomic_load(&full_rate);
                last = now;
                pressure_write(some, full);
                host_sleep_ms(PRESSURE_WRITE_MS);
        }
        return NULL;
}

static void copy_proc_fixture(void) {
        fx.proc_root = fixture_path(&fx, "proc");
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                execl("/bin/cp", "cp", "-r", FIXTURES_DIR "/proc-basic", fx.proc_root, (char *) NULL);
                _exit(96);
        }
        int st = host_wait_child(pid, 10000);
        cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "cannot copy the proc fixture");
}

static void setup(void) {
        fixture_init(&fx, NULL);
        copy_proc_fixture();
        atomic_store(&writer_stop, false);
        atomic_store(&some_rate, 0.0);
        atomic_store(&full_rate, 0.0);
        /* The writer's first totals in place before anything reads them: on a loaded host the thread
         * may start late, and the jump from the copied fixture's totals would read as a stall burst. */
        pressure_write(SOME_TOTAL0, FULL_TOTAL0);
        cr_assert_eq(pthread_create(&writer, NULL, pressure_writer, NULL), 0);
        fixture_start_bus(&fx, BUS_POLICY_OPEN);
}

static void teardown(void) {
        atomic_store(&writer_stop, true);
        pthread_join(writer, NULL);
        fixture_down();
}

TestSuite(lmm, .init = setup, .fini = teardown, .timeout = 240);

typedef struct Client {
        pid_t pid;
        int out;   /* its stdout */
} Client;

static Client client_start(void) {
        int p[2];
        cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                char t[16];
                snprintf(t, sizeof t, "%d", LMM_CLIENT_TIMEOUT_S);
                dup2(p[1], STDOUT_FILENO);
                execl(PYTHON, "python3", LMM_CLIENT, t, (char *) NULL);
                _exit(96);
        }
        close(p[1]);
        return (Client) { pid, p[0] };
}

/* Everything the client printed until it exited. */
static char *client_finish(Client c) {
        int st = host_wait_child(c.pid, (LMM_CLIENT_TIMEOUT_S + 10) * 1000);
        if (st == -1) {
                kill(c.pid, SIGKILL);
                host_wait_child(c.pid, 5000);
        }
        char buf[256];
        size_t len = 0;
        ssize_t k;
        while (len < sizeof buf - 1 && (k = read(c.out, buf + len, sizeof buf - 1 - len)) > 0)
                len += (size_t) k;
        buf[len] = 0;
        close(c.out);
        cr_assert(st != -1 && WIFEXITED(st), "the GLib client hung or crashed");
        cr_assert_neq(WEXITSTATUS(st), 96, "cannot run %s %s", PYTHON, LMM_CLIENT);
        cr_assert_eq(WEXITSTATUS(st), 0, "the GLib client got no low-memory-warning within %d s (exit %d); printed: %s\n"
                     "daemon log:\n%s", LMM_CLIENT_TIMEOUT_S, WEXITSTATUS(st), buf, host_read_file(fx.log_path));
        return strdup(buf);
}

/* Waits until the client has seen the name appear (it prints "ready"). */
static void client_wait_ready(Client c) {
        char buf[8] = { 0 };
        size_t len = 0;
        while (len < 6) {
                ssize_t k = read(c.out, buf + len, 6 - len); /* blocks; the client exits on its timeout anyway */
                cr_assert_gt(k, 0, "the GLib client exited before the name appeared");
                len += (size_t) k;
        }
        cr_assert_str_eq(buf, "ready\n");
}

static void expect_warning(double some, double full, const char *level) {
        Client c = client_start();
        client_wait_ready(c);
        atomic_store(&some_rate, some);
        atomic_store(&full_rate, full);
        char *out = client_finish(c);
        cr_assert_str_eq(out, level, "at some %.1f%% full %.1f%% the warning is %s, want %s", some * 100, full * 100, out, level);
        free(out);
}

Test(lmm, glib_client_gets_the_contract_levels) {
        fixture_start_daemon(&fx, NULL, true);
        cr_assert(bus_wait_name(fx.client, LMM_NAME, true, BUS_WAIT_MS), "pressured did not take the free name %s:\n%s",
                  LMM_NAME, host_read_file(fx.log_path));
        expect_warning(0.085, 0.0, "50\n");
        expect_warning(0.15, 0.0, "100\n");
        expect_warning(0.30, 0.20, "255\n");
}

/* Lines of the log that contain `needle`. */
static unsigned log_count(const char *needle) {
        char *log = host_read_file(fx.log_path);
        unsigned n = 0;
        for (const char *p = log; p && (p = strstr(p, needle)); p += strlen(needle))
                n++;
        free(log);
        return n;
}

Test(lmm, another_owner_is_left_alone) {
        cr_assert_geq(sd_bus_request_name(fx.client, LMM_NAME, 0), 0, "the test cannot own %s", LMM_NAME);
        const char *me = NULL;
        cr_assert_geq(sd_bus_get_unique_name(fx.client, &me), 0);
        fixture_start_daemon(&fx, NULL, true);
        cr_assert(host_file_contains(fx.log_path, LMM_NAME, BUS_WAIT_MS), "the daemon did not log that %s is taken:\n%s",
                  LMM_NAME, host_read_file(fx.log_path));
        /* Several sampling rounds and warnings later (pressure high): still ours, still said once. */
        atomic_store(&some_rate, 0.5);
        atomic_store(&full_rate, 0.5);
        host_sleep_ms(3000);
        cr_assert(host_child_alive(fx.daemon));
        sd_bus_creds *creds = NULL;
        const char *owner = NULL;
        cr_assert_geq(sd_bus_get_name_creds(fx.client, LMM_NAME, SD_BUS_CREDS_UNIQUE_NAME, &creds), 0);
        cr_assert_geq(sd_bus_creds_get_unique_name(creds, &owner), 0);
        cr_assert_str_eq(owner, me, "the daemon took %s from its owner", LMM_NAME);
        sd_bus_creds_unref(creds);
        cr_assert_eq(log_count(LMM_NAME), 1, "the log should say once that %s is left to its owner:\n%s", LMM_NAME,
                     host_read_file(fx.log_path));
        sd_bus_message_unref(manager_call(fx.client, "GetStatus", ""));
}
