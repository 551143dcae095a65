/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The record of a kill (record/kill_report.c): the entry it builds for a decision (message, victim,
 * PRESSURED_METHOD, PRESSURED_PIDS, PRESSURED_UNIT, PRESSURED_FREED, priority), the text line with
 * the same fields when there is no journal, the line it appends to the history and the summary it
 * hands to the front ends, for a cgroup kill, a dry run, a process-granularity kill, a unit stop,
 * a restart and a failure.
 */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/record/history.h"
#include "daemon/record/kill_report.h"
#include "daemon/util/log.h"
#include "policy/format.h"
#include "policy/macro.h"
#include "test-util.h"

static char tmpdir[64];
static char state[256];

static void setup(void) {
        tmpdir_new(tmpdir, sizeof tmpdir, "test-kill-report");
        snprintf(state, sizeof state, "%s/state", tmpdir);
        log_setup(LOG_TARGET_STDERR, LOG_INFO);
}

static void teardown(void) {
        rm_rf_at(tmpdir, "");
}

TestSuite(kill_report, .init = setup, .fini = teardown);

#define GIB (UINT64_C(1) << 30)

static Decision decision(char *cgroup, const char *ruleset, const char *reason) {
        Decision d = {
                .ruleset = ruleset,
                .kind = TARGET_CGROUP,
                .cgroup = cgroup,
                .memory = 3 * GIB,
                .pressure = 72.5,
                .kill_list_index = -1,
                .incident_kill = 1,
        };
        snprintf(d.reason, sizeof d.reason, "%s", reason);
        return d;
}

/* kill_report() with standard error caught in a file; *ret_stderr is what it wrote there. */
static int report_captured(const Decision *d, const KillResult *res, int kill_error, History *h, cJSON **ret_summary,
                           char **ret_stderr) {
        char path[300];
        snprintf(path, sizeof path, "%s/stderr", tmpdir);
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        cr_assert_geq(fd, 0);
        fflush(stderr);
        int saved = dup(STDERR_FILENO);
        cr_assert_geq(saved, 0);
        cr_assert_geq(dup2(fd, STDERR_FILENO), 0);

        int r = kill_report(d, res, kill_error, h, NULL, ret_summary);

        fflush(stderr);
        cr_assert_geq(dup2(saved, STDERR_FILENO), 0);
        close(saved);
        off_t size = lseek(fd, 0, SEEK_END);
        char *text = calloc(1, (size_t) size + 1);
        cr_assert_not_null(text);
        cr_assert_eq(pread(fd, text, (size_t) size, 0), size);
        close(fd);
        *ret_stderr = text;
        return r;
}

static cJSON *history_entries(History *h) {
        char *json = NULL;
        cr_assert_eq(history_read_json(h, 0, &json), 0);
        cJSON *a = cJSON_Parse(json);
        free(json);
        cr_assert(cJSON_IsArray(a));
        return a;
}

static const char *str(const cJSON *o, const char *key) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        cr_assert(cJSON_IsString(v), "\"%s\" is not a string", key);
        return v->valuestring;
}

static double num(const cJSON *o, const char *key) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        cr_assert(cJSON_IsNumber(v), "\"%s\" is not a number", key);
        return v->valuedouble;
}

static bool is_true(const cJSON *o, const char *key) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        cr_assert(cJSON_IsBool(v), "\"%s\" is not a boolean", key);
        return cJSON_IsTrue(v);
}

static void assert_pids(const cJSON *o, const pid_t *want, int n) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "pids");
        cr_assert(cJSON_IsArray(a));
        cr_assert_eq(cJSON_GetArraySize(a), n);
        for (int i = 0; i < n; i++)
                cr_assert_eq(cJSON_GetArrayItem(a, i)->valuedouble, (double) want[i]);
}

Test(kill_report, cgroup_kill) {
        char cgroup[] = "/system.slice/hog.service";
        Decision d = decision(cgroup, "web", "memory pressure 72.5% > 60% for 30s");
        KillResult res = { .method = KILL_METHOD_CGROUP_KILL, .n_killed = 3, .pids = { 101, 202, 303 } };
        KillReportEntry e;
        char mem[32];

        format_bytes(mem, sizeof mem, (double) d.memory);
        kill_report_build(&d, &res, 0, &e);
        cr_assert_str_eq(e.victim, "cgroup /system.slice/hog.service");
        cr_assert_str_eq(e.method, "cgroup.kill");
        cr_assert_str_eq(e.pids, "101 202 303");
        cr_assert_eq(e.n_pids, 3);
        cr_assert_str_eq(e.unit, "hog.service");
        cr_assert_eq(e.freed, 3 * GIB);
        cr_assert_eq(e.priority, LOG_NOTICE);
        cr_assert(e.killed);
        cr_assert_not(e.stopped);
        char want[512];
        snprintf(want, sizeof want, "Killed cgroup /system.slice/hog.service holding %s (3 processes, cgroup.kill), "
                 "ruleset web: memory pressure 72.5%% > 60%% for 30s", mem);
        cr_assert_str_eq(e.message, want);

        History *h = NULL;
        cr_assert_eq(history_open(state, 10, &h), 0);
        cJSON *summary = NULL;
        char *err = NULL;
        cr_assert_eq(report_captured(&d, &res, 0, h, &summary, &err), 1);

        /* Without a journal, the PRESSURED_* fields go to standard error as text. */
        cr_assert_not_null(strstr(err, want), "%s", err);
        cr_assert_not_null(strstr(err, "MESSAGE_ID=f3a1c4be5d2b4c6f9e0a7d18b2c3e4f5 CGROUP=/system.slice/hog.service "
                                        "UNIT=hog.service RULESET=web PRESSURE=72.50 MEMORY=3221225472 METHOD=cgroup.kill "
                                        "JOB_RESULT= STOP_USEC=0 PIDS=\"101 202 303\" KILLED=3 FREED=3221225472 DRY_RUN=0"),
                          "%s", err);
        cr_assert_not_null(strstr(err, "notice"), "%s", err);

        /* The summary is a whole Killed event but its name. */
        cr_assert_not_null(summary);
        cr_assert_str_eq(str(summary, "victim"), "cgroup /system.slice/hog.service");
        cr_assert_str_eq(str(summary, "method"), "cgroup.kill");
        cr_assert_str_eq(str(summary, "cgroup"), cgroup);
        cr_assert_str_eq(str(summary, "unit"), "hog.service");
        cr_assert_str_eq(str(summary, "ruleset"), "web");
        cr_assert_str_eq(str(summary, "scope"), "cgroup");
        cr_assert_eq(num(summary, "killed"), 3);
        cr_assert_eq(num(summary, "freed_bytes"), (double) (3 * GIB));
        cr_assert_not(is_true(summary, "dry_run"));
        cr_assert_null(cJSON_GetObjectItemCaseSensitive(summary, "stop_to_gone_usec"));
        assert_pids(summary, (pid_t[]) { 101, 202, 303 }, 3);

        /* One history line, with the same facts and the same time as the summary. */
        cJSON *a = history_entries(h);
        cr_assert_eq(cJSON_GetArraySize(a), 1);
        cJSON *k = cJSON_GetArrayItem(a, 0);
        cr_assert_eq(num(k, "time"), num(summary, "time"));
        cr_assert_str_eq(str(k, "cgroup"), cgroup);
        cr_assert_str_eq(str(k, "unit"), "hog.service");
        cr_assert_str_eq(str(k, "ruleset"), "web");
        cr_assert_str_eq(str(k, "reason"), d.reason);
        cr_assert_str_eq(str(k, "method"), "cgroup.kill");
        cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(k, "comm")));
        assert_pids(k, (pid_t[]) { 101, 202, 303 }, 3);
        cr_assert_eq(num(k, "killed"), 3);
        cr_assert_eq(num(k, "memory_bytes"), (double) (3 * GIB));
        cr_assert_eq(num(k, "freed_bytes"), (double) (3 * GIB));
        cr_assert_eq(num(k, "pressure"), 72.5);
        cr_assert_not(is_true(k, "dry_run"));
        cr_assert_eq(num(k, "incident_kill"), 1);
        cr_assert_str_eq(str(k, "scope"), "cgroup");
        cr_assert_not(is_true(k, "escalated"));
        cr_assert_eq(history_kills(h), 1);

        cJSON_Delete(a);
        cJSON_Delete(summary);
        free(err);
        history_free(h);
}

Test(kill_report, dry_run_names_the_would_be_victims_and_frees_nothing) {
        char cgroup[] = "/system.slice/batch.service";
        Decision d = decision(cgroup, "batch", "swap used 95% > 90%");
        d.dry_run = true;
        d.method = UNIT_METHOD_STOP;
        KillResult res = { .method = KILL_METHOD_NONE, .n_killed = 0, .n_would_kill = 2, .pids = { 7, 8 } };
        KillReportEntry e;
        char mem[32], want[512];

        format_bytes(mem, sizeof mem, (double) d.memory);
        kill_report_build(&d, &res, 0, &e);
        cr_assert_str_eq(e.method, "dry-run");
        cr_assert_str_eq(e.pids, "7 8");
        cr_assert_eq(e.n_pids, 2);
        cr_assert_eq(e.freed, 0);
        cr_assert_not(e.killed);
        cr_assert_eq(e.priority, LOG_NOTICE);
        snprintf(want, sizeof want, "Dry run: would kill cgroup /system.slice/batch.service holding %s (2 processes), "
                 "ruleset batch: swap used 95%% > 90%%; method stop", mem);
        cr_assert_str_eq(e.message, want);

        History *h = NULL;
        cr_assert_eq(history_open(state, 10, &h), 0);
        cJSON *summary = NULL;
        char *err = NULL;
        cr_assert_eq(report_captured(&d, &res, 0, h, &summary, &err), 1, "a dry run is recorded");
        cr_assert_not_null(strstr(err, "METHOD=dry-run"), "%s", err);
        cr_assert_not_null(strstr(err, "PIDS=\"7 8\" KILLED=0 FREED=0 DRY_RUN=1"), "%s", err);
        cr_assert(is_true(summary, "dry_run"));
        cr_assert_str_eq(str(summary, "scope"), "unit");

        cJSON *a = history_entries(h);
        cr_assert_eq(cJSON_GetArraySize(a), 1);
        cJSON *k = cJSON_GetArrayItem(a, 0);
        cr_assert(is_true(k, "dry_run"));
        cr_assert_str_eq(str(k, "method"), "dry-run");
        cr_assert_eq(num(k, "killed"), 0);
        cr_assert_eq(num(k, "freed_bytes"), 0);
        assert_pids(k, (pid_t[]) { 7, 8 }, 2);
        cr_assert_eq(history_kills(h), 0, "a dry run is no kill");

        cJSON_Delete(a);
        cJSON_Delete(summary);
        free(err);
        history_free(h);
}

Test(kill_report, dry_run_without_a_unit_names_no_method) {
        char cgroup[] = "/workload/a";
        Decision d = decision(cgroup, "r", "why");
        d.dry_run = true;
        d.method = UNIT_METHOD_STOP;
        KillResult res = { .n_would_kill = 1, .pids = { 9 } };
        KillReportEntry e;

        kill_report_build(&d, &res, 0, &e);
        cr_assert_str_eq(e.unit, "");
        cr_assert_not_null(strstr(e.message, "(1 process), ruleset r: why"), "%s", e.message);
        cr_assert_null(strstr(e.message, "method"), "%s", e.message);
}

Test(kill_report, process_granularity_kill) {
        char cgroup[] = "/user.slice/user-1000.slice/session-2.scope";
        Decision d = decision(cgroup, "desktop", "memory full 40% > 30%");
        d.granularity_process = true;
        d.pid = 4242;
        snprintf(d.comm, sizeof d.comm, "hog");
        KillResult res = { .method = KILL_METHOD_PROCESS, .n_killed = 1, .pids = { 4242 } };
        KillReportEntry e;

        kill_report_build(&d, &res, 0, &e);
        cr_assert_str_eq(e.victim, "process 4242 (hog) in /user.slice/user-1000.slice/session-2.scope");
        cr_assert_str_eq(e.method, "process");
        cr_assert_str_eq(e.unit, "session-2.scope");
        cr_assert_not_null(strstr(e.message, "Killed process 4242 (hog) in /user.slice/user-1000.slice/session-2.scope "
                                             "holding "), "%s", e.message);
        cr_assert_not_null(strstr(e.message, "(1 process, process), ruleset desktop"), "%s", e.message);

        History *h = NULL;
        cr_assert_eq(history_open(state, 10, &h), 0);
        cJSON *summary = NULL;
        char *err = NULL;
        cr_assert_eq(report_captured(&d, &res, 0, h, &summary, &err), 1);
        cr_assert_str_eq(str(summary, "scope"), "process");
        cJSON *a = history_entries(h);
        cJSON *k = cJSON_GetArrayItem(a, 0);
        cr_assert_str_eq(str(k, "comm"), "hog", "a process victim is recorded with its name");
        cr_assert_str_eq(str(k, "scope"), "process");
        cr_assert_str_eq(str(k, "method"), "process");
        assert_pids(k, (pid_t[]) { 4242 }, 1);

        cJSON_Delete(a);
        cJSON_Delete(summary);
        free(err);
        history_free(h);
}

Test(kill_report, unit_stop_then_kill) {
        char cgroup[] = "/system.slice/db.service";
        Decision d = decision(cgroup, "db", "memory pressure 80% > 60% for 10s");
        d.method = UNIT_METHOD_STOP;
        KillResult res = {
                .method = KILL_METHOD_CGROUP_KILL, .n_killed = 2, .pids = { 11, 12 },
                .ladder = "stop+kill", .stop_to_gone_usec = 1500 * USEC_PER_MSEC,
        };
        snprintf(res.unit, sizeof res.unit, "db.service");
        snprintf(res.job_result, sizeof res.job_result, "done");
        KillReportEntry e;
        char timeout[32];

        format_duration(timeout, sizeof timeout, STOP_TIMEOUT_DEFAULT_USEC);
        kill_report_build(&d, &res, 0, &e);
        cr_assert(e.stopped);
        cr_assert(e.killed);
        cr_assert_str_eq(e.victim, "unit db.service (cgroup /system.slice/db.service)");
        cr_assert_str_eq(e.method, "stop+kill");
        cr_assert_str_eq(e.unit, "db.service");
        cr_assert_eq(e.freed, 3 * GIB);
        cr_assert_eq(e.priority, LOG_NOTICE);
        cr_assert_not_null(strstr(e.message, "Stopped unit db.service (cgroup /system.slice/db.service) holding "),
                           "%s", e.message);
        char want[256];
        snprintf(want, sizeof want, "It was still running %s after StopUnit, so pressured SIGKILLed it "
                 "(KillUnit + cgroup.kill). Its processes were gone 1.500 s after StopUnit (systemd's stop job: done)",
                 timeout);
        cr_assert_not_null(strstr(e.message, want), "%s", e.message);

        History *h = NULL;
        cr_assert_eq(history_open(state, 10, &h), 0);
        cJSON *summary = NULL;
        char *err = NULL;
        cr_assert_eq(report_captured(&d, &res, 0, h, &summary, &err), 1);
        cr_assert_not_null(strstr(err, "METHOD=stop+kill JOB_RESULT=done STOP_USEC=1500000"), "%s", err);
        cr_assert_eq(num(summary, "stop_to_gone_usec"), 1500000);
        cr_assert_str_eq(str(summary, "scope"), "unit");
        cJSON *a = history_entries(h);
        cJSON *k = cJSON_GetArrayItem(a, 0);
        cr_assert_str_eq(str(k, "method"), "stop+kill");
        cr_assert_str_eq(str(k, "unit"), "db.service");
        cr_assert_str_eq(str(k, "scope"), "unit");

        cJSON_Delete(a);
        cJSON_Delete(summary);
        free(err);
        history_free(h);
}

Test(kill_report, restart_with_processes_left_is_a_warning) {
        char cgroup[] = "/system.slice/api.service";
        Decision d = decision(cgroup, "api", "why");
        d.method = UNIT_METHOD_RESTART;
        d.stop_timeout_usec = 2 * USEC_PER_SEC;
        KillResult res = { .method = KILL_METHOD_CGROUP_KILL, .ladder = "restart", .still_running = true };
        snprintf(res.unit, sizeof res.unit, "api.service");
        KillReportEntry e;

        kill_report_build(&d, &res, 0, &e);
        cr_assert(e.stopped);
        cr_assert(e.killed, "systemd ending the unit counts as a kill though nothing was signalled");
        cr_assert_eq(e.priority, LOG_WARNING);
        cr_assert_str_eq(e.method, "restart");
        cr_assert_not_null(strstr(e.message, "Restarted unit api.service"), "%s", e.message);
        cr_assert_not_null(strstr(e.message, "Some of its processes are still there"), "%s", e.message);
        cr_assert_null(strstr(e.message, "SIGKILLed"), "%s", e.message);
        cr_assert_null(strstr(e.message, "systemd's"), "no job result came: %s", e.message);
}

Test(kill_report, failure_is_logged_and_not_recorded) {
        char cgroup[] = "/workload/gone";
        Decision d = decision(cgroup, "r", "why");
        KillResult res = { .method = KILL_METHOD_NONE };
        KillReportEntry e;

        kill_report_build(&d, &res, -ENOENT, &e);
        cr_assert_not(e.killed);
        cr_assert_eq(e.freed, 0);
        cr_assert_eq(e.priority, LOG_WARNING);
        cr_assert_str_eq(e.message, "Failed to kill cgroup /workload/gone (ruleset r): No such file or directory. "
                                    "It will be re-evaluated on the next sample.");

        History *h = NULL;
        cr_assert_eq(history_open(state, 10, &h), 0);
        cJSON *summary = NULL;
        char *err = NULL;
        cr_assert_eq(report_captured(&d, &res, -ENOENT, h, &summary, &err), 0);
        cr_assert_null(summary);
        cr_assert_not_null(strstr(err, "warning"), "%s", err);
        cr_assert_not_null(strstr(err, "Failed to kill cgroup /workload/gone"), "%s", err);
        cr_assert_eq(history_count(h), 0, "a failed kill leaves no history line");

        /* Nothing signalled without an error is a failure too. */
        kill_report_build(&d, &res, 0, &e);
        cr_assert_not(e.killed);
        cr_assert_not_null(strstr(e.message, "no process could be signalled"), "%s", e.message);

        free(err);
        history_free(h);
}
