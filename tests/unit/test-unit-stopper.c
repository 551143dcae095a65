/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Step 2 of the kill ladder, which victims systemd is asked to stop and which take the kill path
 * (act/unit_stopper.c): unit_stopper_eligible() on the decision and its cgroup's name, and
 * unit_stopper_start() without a bus, where the victim must take the kill path and say why once.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-event.h>

#include "daemon/act/unit_stopper.h"
#include "daemon/util/log.h"

static Decision decision(char *cgroup, UnitMethod method) {
        Decision d = {
                .ruleset = "r",
                .kind = TARGET_CGROUP,
                .cgroup = cgroup,
                .memory = 1 << 20,
                .kill_list_index = -1,
                .method = method,
        };
        return d;
}

static UnitStopPath eligible(const Decision *d, char *unit, size_t size, size_t *len) {
        snprintf(unit, size, "(untouched)");
        *len = 9999;
        return unit_stopper_eligible(d, unit, size, len);
}

Test(unit_stopper, a_unit_of_pid1_is_stopped_or_restarted) {
        char cg[] = "/system.slice/db.service", unit[256];
        size_t len;

        Decision d = decision(cg, UNIT_METHOD_STOP);
        cr_assert_eq(eligible(&d, unit, sizeof unit, &len), UNIT_STOP_PATH_STOP);
        cr_assert_str_eq(unit, "db.service");
        cr_assert_eq(len, strlen(cg));

        d.method = UNIT_METHOD_RESTART;
        cr_assert_eq(eligible(&d, unit, sizeof unit, &len), UNIT_STOP_PATH_STOP);
        cr_assert_str_eq(unit, "db.service");
}

Test(unit_stopper, a_cgroup_below_a_unit_stops_that_unit) {
        char cg[] = "/system.slice/db.service/workers/w1", unit[256];
        size_t len;

        Decision d = decision(cg, UNIT_METHOD_STOP);
        cr_assert_eq(eligible(&d, unit, sizeof unit, &len), UNIT_STOP_PATH_STOP);
        cr_assert_str_eq(unit, "db.service");
        cr_assert_eq(len, strlen("/system.slice/db.service"), "the unit's cgroup is the prefix, not the victim's");
}

Test(unit_stopper, user_at_service_itself_belongs_to_pid1) {
        char cg[] = "/user.slice/user-1000.slice/user@1000.service", unit[256];
        size_t len;

        Decision d = decision(cg, UNIT_METHOD_STOP);
        cr_assert_eq(eligible(&d, unit, sizeof unit, &len), UNIT_STOP_PATH_STOP);
        cr_assert_str_eq(unit, "user@1000.service");
}

Test(unit_stopper, method_kill_takes_the_kill_path) {
        char cg[] = "/system.slice/db.service", unit[256];
        size_t len;

        Decision d = decision(cg, UNIT_METHOD_KILL);
        cr_assert_eq(eligible(&d, unit, sizeof unit, &len), UNIT_STOP_PATH_KILL);
}

Test(unit_stopper, dry_runs_and_process_victims_take_the_kill_path) {
        char cg[] = "/system.slice/db.service", unit[256];
        size_t len;

        Decision d = decision(cg, UNIT_METHOD_STOP);
        d.dry_run = true;
        cr_assert_eq(eligible(&d, unit, sizeof unit, &len), UNIT_STOP_PATH_KILL, "a dry run stops nothing");

        d = decision(cg, UNIT_METHOD_STOP);
        d.kind = TARGET_PROCESS;
        d.pid = 1234;
        cr_assert_eq(eligible(&d, unit, sizeof unit, &len), UNIT_STOP_PATH_KILL, "one process is not its unit");

        d = decision(cg, UNIT_METHOD_RESTART);
        d.granularity_process = true;
        cr_assert_eq(eligible(&d, unit, sizeof unit, &len), UNIT_STOP_PATH_KILL,
                     "only the largest process must die, not the unit");
}

Test(unit_stopper, a_cgroup_in_no_unit_takes_the_kill_path) {
        char cg[] = "/workload/batch/job-7", unit[256];
        size_t len;

        Decision d = decision(cg, UNIT_METHOD_STOP);
        cr_assert_eq(eligible(&d, unit, sizeof unit, &len), UNIT_STOP_PATH_NO_UNIT);
}

Test(unit_stopper, a_unit_of_a_user_manager_takes_the_kill_path) {
        char cg[] = "/user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox.scope", unit[256];
        char svc[] = "/user.slice/user-1000.slice/user@1000.service/app.slice/pipewire.service";
        size_t len;

        Decision d = decision(cg, UNIT_METHOD_STOP);
        cr_assert_eq(eligible(&d, unit, sizeof unit, &len), UNIT_STOP_PATH_USER_UNIT);
        cr_assert_str_eq(unit, "app-firefox.scope");
        d = decision(svc, UNIT_METHOD_RESTART);
        cr_assert_eq(eligible(&d, unit, sizeof unit, &len), UNIT_STOP_PATH_USER_UNIT);
        cr_assert_str_eq(unit, "pipewire.service");
}

static unsigned n_done;

static void on_done(const Decision *d, const KillResult *res, int error, void *userdata) {
        n_done++;
}

/* unit_stopper_start() with standard error caught in a file; *ret_stderr is what it wrote there. */
static int start_captured(UnitStopper *s, int root_fd, const Decision *d, char *out, size_t size) {
        char path[] = "/tmp/test-unit-stopper-XXXXXX";
        int fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        unlink(path);
        fflush(stderr);
        int saved = dup(STDERR_FILENO);
        cr_assert_geq(saved, 0);
        cr_assert_geq(dup2(fd, STDERR_FILENO), 0);

        int r = unit_stopper_start(s, root_fd, d, 0);

        fflush(stderr);
        cr_assert_geq(dup2(saved, STDERR_FILENO), 0);
        close(saved);
        ssize_t n = pread(fd, out, size - 1, 0);
        cr_assert_geq(n, 0);
        out[n] = 0;
        close(fd);
        return r;
}

Test(unit_stopper, without_a_bus_every_victim_takes_the_kill_path) {
        sd_event *e = NULL;
        UnitStopper *s = NULL;
        char system_unit[] = "/system.slice/db.service", no_unit[] = "/workload/a", err[4096];
        int root_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        log_setup(LOG_TARGET_STDERR, LOG_INFO);
        cr_assert_geq(root_fd, 0);
        cr_assert_geq(sd_event_new(&e), 0);
        cr_assert_eq(unit_stopper_new(e, NULL, on_done, NULL, &s), 0);

        /* A cgroup in no unit never gets as far as the bus: the kill path, and not a word at info level. */
        Decision d = decision(no_unit, UNIT_METHOD_STOP);
        cr_assert_eq(start_captured(s, root_fd, &d, err, sizeof err), 0);
        cr_assert_str_eq(err, "");

        /* A unit of PID 1 would be stopped, but there is no bus: the kill path, said once. */
        d = decision(system_unit, UNIT_METHOD_STOP);
        cr_assert_eq(start_captured(s, root_fd, &d, err, sizeof err), 0);
        cr_assert_not_null(strstr(err, "the D-Bus service is off (--no-bus)"), "%s", err);
        cr_assert_not_null(strstr(err, "fall back to the kill path"), "%s", err);
        cr_assert_eq(start_captured(s, root_fd, &d, err, sizeof err), 0);
        cr_assert_str_eq(err, "", "said once, not for every victim");
        cr_assert_not(unit_stopper_busy(s, system_unit), "no stop is in flight");

        /* No stopper, or no cgroup root, is the kill path too. */
        cr_assert_eq(unit_stopper_start(NULL, root_fd, &d, 0), 0);
        cr_assert_eq(unit_stopper_start(s, -1, &d, 0), 0);

        cr_assert_eq(sd_event_run(e, 0), 0, "nothing was scheduled");
        cr_assert_eq(n_done, 0, "the kill path has no stop to report");

        unit_stopper_free(s);
        sd_event_unref(e);
        close(root_fd);
}
