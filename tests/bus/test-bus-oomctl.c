/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oomctl over the bus: the same answers as over the socket, the bus first by default, the socket
 * when pressured is not on the bus, exit 4 when neither answers, and the daemon's refusals over the
 * bus mapped to exit 1 with their message.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus-util.h"

#define DEFAULT_RUNTIME_DIR "/run/pressured"
#define DEFAULT_SOCKET DEFAULT_RUNTIME_DIR "/control.sock"

/* oomctl's default socket is /run/pressured/control.sock. A pressured running on this host must not
 * answer these tests, and the tests must not write under the host's /run: each test gets a mount
 * namespace of its own (criterion runs each in its own process) with an empty tmpfs on /run, where
 * /run/pressured is `dir` bound in (the test daemon's runtime directory), or empty when dir is NULL. */
static void private_run(const char *dir) {
        if (unshare(CLONE_NEWNS) < 0)
                cr_skip_test("no mount namespace (unshare: %s): cannot keep the host's /run/pressured out of the test",
                             strerror(errno));
        cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0, "make / private: %s", strerror(errno));
        cr_assert_eq(mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m"), 0,
                     "tmpfs on /run: %s", strerror(errno));
        cr_assert_eq(mkdir(DEFAULT_RUNTIME_DIR, 0755), 0, "mkdir %s: %s", DEFAULT_RUNTIME_DIR, strerror(errno));
        if (dir)
                cr_assert_eq(mount(dir, DEFAULT_RUNTIME_DIR, NULL, MS_BIND, NULL), 0, "bind %s on %s: %s", dir,
                             DEFAULT_RUNTIME_DIR, strerror(errno));
}

static void teardown(void) {
        int st;
        bool clean = fixture_terminate_daemon(&fx, &st);
        fixture_down();
        cr_assert(clean, "pressured did not exit cleanly within 5 s of SIGTERM (status %d)", st);
}

typedef struct Run {
        int rc;
        char *out, *err;
} Run;

static int exec_oomctl(void *argv) {
        execv(OOMCTL_BIN, argv);
        return 96;
}

/* Runs oomctl with argv (NULL-terminated, argv[0] "oomctl"), as root or as uid 65534. */
static Run oomctl(bool as_nobody, char *const argv[]) {
        static unsigned counter;
        char tag[32];
        snprintf(tag, sizeof tag, "oomctl%u", counter++);
        char *out = fixture_path(&fx, tag), *err = NULL;
        cr_assert_geq(asprintf(&err, "%s.err", out), 0);
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666), e = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        cr_assert(o >= 0 && e >= 0);
        int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
        fflush(stdout);
        fflush(stderr);
        dup2(o, STDOUT_FILENO); /* inherited by the child; restored at once */
        dup2(e, STDERR_FILENO);
        int rc;
        if (as_nobody)
                rc = run_as_nobody(NULL, 0, exec_oomctl, (void *) argv);
        else {
                pid_t pid = fork();
                if (pid == 0)
                        _exit(exec_oomctl((void *) argv));
                int st = host_wait_child(pid, 2 * BUS_WAIT_MS);
                rc = st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        }
        dup2(saved_out, STDOUT_FILENO);
        dup2(saved_err, STDERR_FILENO);
        close(saved_out);
        close(saved_err);
        close(o);
        close(e);
        Run r = { rc, host_read_file(out), host_read_file(err) };
        cr_assert(r.out && r.err);
        cr_assert_neq(rc, 96, "cannot execute %s", OOMCTL_BIN);
        free(out);
        free(err);
        return r;
}

static void run_free(Run *r) {
        free(r->out);
        free(r->err);
}

/* Starts the bus and the daemon, the daemon's runtime directory at /run/pressured in this test's
 * private /run when `at_default_path` (else /run/pressured is empty there). */
static void start(bool daemon_on_bus, bool at_default_path) {
        fixture_init(&fx, NULL);
        if (at_default_path)
                cr_assert_eq(mkdir(fx.run_dir, 0755), 0, "mkdir %s: %s", fx.run_dir, strerror(errno));
        private_run(at_default_path ? fx.run_dir : NULL);
        fixture_start_bus(&fx, BUS_POLICY_OPEN);
        fixture_start_daemon(&fx, daemon_on_bus ? NULL : (char *[]) { "--no-bus", NULL }, daemon_on_bus);
}

/* The sorted cgroup paths and the mode of a `status --json` document, as one comparable string. */
static char *status_summary(const Run *r) {
        cJSON *j = cJSON_Parse(r->out);
        cr_assert_not_null(j, "status --json printed no JSON:\n%s\n%s", r->out, r->err);
        const char *mode = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "mode"));
        cr_assert_not_null(mode, "no mode in %s", r->out);
        char *s = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&s, &len);
        fprintf(m, "mode=%s", mode);
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(j, "cgroups"))
                fprintf(m, " %s", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "path")));
        fclose(m);
        cJSON_Delete(j);
        return s;
}

Test(oomctl_bus, bus_and_socket_agree, .fini = teardown, .timeout = 120) {
        start(true, false);
        fixture_wait_published(&fx, "/work.slice/app.service"); /* both answers from full samples */
        Run b = oomctl(false, (char *[]) { "oomctl", "--bus", "status", "--json", NULL });
        cr_assert_eq(b.rc, 0, "oomctl --bus status: rc %d: %s", b.rc, b.err);
        Run s = oomctl(false, (char *[]) { "oomctl", "--socket", fx.sock_path, "status", "--json", NULL });
        cr_assert_eq(s.rc, 0, "oomctl --socket status: rc %d: %s", s.rc, s.err);
        char *bs = status_summary(&b), *ss = status_summary(&s);
        cr_assert_str_eq(bs, ss, "over the bus: %s\nover the socket: %s", bs, ss);
        cr_assert(strstr(bs, "mode=cgroup") && strstr(bs, "/big.slice"), "%s", bs);
        free(bs);
        free(ss);
        run_free(&b);
        run_free(&s);

        /* The default is the bus: the daemon's socket is not at the default path here. */
        cr_assert_neq(access(DEFAULT_SOCKET, F_OK), 0);
        Run d = oomctl(false, (char *[]) { "oomctl", "status", "--json", NULL });
        cr_assert_eq(d.rc, 0, "default oomctl with pressured on the bus: rc %d: %s", d.rc, d.err);
        run_free(&d);
}

Test(oomctl_bus, refusals_over_the_bus_exit_1, .fini = teardown, .timeout = 120) {
        start(true, false);
        Run r = oomctl(false, (char *[]) { "oomctl", "--bus", "kill", "/nope.slice", "--dry-run", NULL });
        cr_assert_eq(r.rc, 1, "rc %d: %s", r.rc, r.err);
        cr_assert(strstr(r.err, "/nope.slice"), "the message does not name the target: %s", r.err);
        run_free(&r);
        if (geteuid() != 0)
                cr_skip_test("needs root to switch to uid 65534");
        r = oomctl(true, (char *[]) { "oomctl", "--bus", "kill", "/big.slice", "--dry-run", NULL });
        cr_assert_eq(r.rc, 1, "rc %d: %s", r.rc, r.err);
        cr_assert(strstr(r.err, "permission denied: ") && strstr(r.err, "root"), "%s", r.err);
        run_free(&r);
        r = oomctl(true, (char *[]) { "oomctl", "--bus", "kill-list", NULL });
        cr_assert_eq(r.rc, 0, "reading is for anyone: %s", r.err);
        run_free(&r);
}

Test(oomctl_bus, policy_show_and_revert_over_the_bus, .fini = teardown, .timeout = 120) {
        start(true, NULL);
        char *layer = fixture_path(&fx, "run/changes.json");
        Run r = oomctl(false, (char *[]) { "oomctl", "--bus", "kill-list", "add", "firefox", NULL });
        cr_assert_eq(r.rc, 0, "rc %d: %s", r.rc, r.err);
        run_free(&r);
        r = oomctl(false, (char *[]) { "oomctl", "--bus", "policy", "show", NULL });
        cr_assert_eq(r.rc, 0, "rc %d: %s", r.rc, r.err);
        cr_assert(strstr(r.out, "firefox") && strstr(r.out, layer) && strstr(r.out, fx.config),
                  "policy show over the bus does not name the files: %s", r.out);
        run_free(&r);
        r = oomctl(false, (char *[]) { "oomctl", "--bus", "policy", "revert", NULL });
        cr_assert_eq(r.rc, 0, "rc %d: %s", r.rc, r.err);
        cr_assert(strstr(r.out, "removed") && strstr(r.out, layer), "%s", r.out);
        run_free(&r);
        cr_assert_neq(access(layer, F_OK), 0, "%s outlived the revert", layer);
        free(layer);
}

Test(oomctl_bus, falls_back_to_the_socket, .fini = teardown, .timeout = 120) {
        /* The fallback goes to the default socket path: the daemon must listen there. */
        start(false, true);
        cr_assert_not(bus_name_has_owner(fx.client, PRESSURED_BUS_NAME), "--no-bus, yet on the bus");
        BusWatch *mon = bus_monitor(fx.bus.address);
        Run r = oomctl(false, (char *[]) { "oomctl", "status", "--json", NULL });
        cr_assert_eq(r.rc, 0, "pressured only on its socket: rc %d: %s", r.rc, r.err);
        cr_assert(bus_monitor_saw_call_for(mon, PRESSURED_BUS_NAME, BUS_WAIT_MS),
                  "oomctl went to the socket without asking the bus for " PRESSURED_BUS_NAME " first");
        bus_watch_free(mon);
        cr_assert_str_eq(r.err, "", "the fallback is silent");
        char *s = status_summary(&r);
        cr_assert(strstr(s, "mode=cgroup"), "%s", s);
        free(s);
        run_free(&r);
        /* --bus means the bus only: pressured is not there. */
        r = oomctl(false, (char *[]) { "oomctl", "--bus", "status", NULL });
        cr_assert_eq(r.rc, 4, "rc %d: %s", r.rc, r.err);
        cr_assert(strstr(r.err, "pressured is not running") || strstr(r.err, PRESSURED_BUS_NAME), "%s", r.err);
        run_free(&r);
}

Test(oomctl_bus, neither_reachable_exits_4, .fini = teardown, .timeout = 120) {
        fixture_init(&fx, NULL);
        private_run(NULL);
        char *nobus = NULL;
        cr_assert_geq(asprintf(&nobus, "unix:path=%s/no-bus-here", fx.tmp), 0);
        cr_assert_eq(setenv("DBUS_SYSTEM_BUS_ADDRESS", nobus, 1), 0);
        Run r = oomctl(false, (char *[]) { "oomctl", "status", NULL });
        cr_assert_eq(r.rc, 4, "rc %d: %s", r.rc, r.err);
        cr_assert(strstr(r.err, "pressured is not running"), "%s", r.err);
        cr_assert_str_eq(r.out, "");
        run_free(&r);
        r = oomctl(false, (char *[]) { "oomctl", "--bus", "status", NULL });
        cr_assert_eq(r.rc, 4, "rc %d: %s", r.rc, r.err);
        run_free(&r);
        free(nobus);
}

static bool bus_status_dry_run(void) {
        Run r = oomctl(false, (char *[]) { "oomctl", "--bus", "status", "--json", NULL });
        cr_assert_eq(r.rc, 0, "rc %d: %s", r.rc, r.err);
        cJSON *j = cJSON_Parse(r.out);
        cr_assert(j && cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(j, "dry_run")), "%s", r.out);
        bool on = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "dry_run"));
        cJSON_Delete(j);
        run_free(&r);
        return on;
}

Test(oomctl_bus, dry_run_on_off_over_the_bus, .fini = teardown, .timeout = 120) {
        start(true, NULL);
        bool was = bus_status_dry_run();
        Run r = oomctl(false, (char *[]) { "oomctl", "--bus", "dry-run", was ? "off" : "on", NULL });
        cr_assert_eq(r.rc, 0, "rc %d: %s", r.rc, r.err);
        cr_assert(strstr(r.out, was ? "Dry run is off" : "Dry run is on"), "%s", r.out);
        run_free(&r);
        cr_assert_eq(bus_status_dry_run(), !was);
        r = oomctl(false, (char *[]) { "oomctl", "--bus", "dry-run", was ? "on" : "off", "--json", NULL });
        cr_assert_eq(r.rc, 0, "rc %d: %s", r.rc, r.err);
        cr_assert(strstr(r.out, "\"dry_run\""), "%s", r.out);
        run_free(&r);
        cr_assert_eq(bus_status_dry_run(), was);
        if (geteuid() != 0)
                cr_skip_test("needs root to switch to uid 65534");
        r = oomctl(true, (char *[]) { "oomctl", "--bus", "dry-run", "on", NULL });
        cr_assert_eq(r.rc, 1, "anyone may turn dry run on? rc %d: %s", r.rc, r.err);
        run_free(&r);
        cr_assert_eq(bus_status_dry_run(), was);
}
