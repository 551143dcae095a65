/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/record/history.h"
#include "policy/macro.h"
#include "policy/utf8.h"
#include "test-util.h"

static char tmpdir[64];
static char state[256];

static void setup(void) {
        tmpdir_new(tmpdir, sizeof tmpdir, "test-history");
        snprintf(state, sizeof state, "%s/state", tmpdir);
}

static void teardown(void) {
        rm_rf_at(tmpdir, "");
}

TestSuite(history, .init = setup, .fini = teardown);

static KillRecord record(usec_t t, const char *cgroup) {
        KillRecord r = {
                .realtime_usec = t,
                .cgroup = cgroup,
                .unit = NULL,
                .ruleset = "default",
                .reason = "memory pressure 72.5% > 60% for 30s",
                .method = "cgroup.kill",
                .comm = NULL,
                .n_pids = 2,
                .pids = { 101, 202 },
                .n_killed = 3,
                .memory_bytes = 4096,
                .freed_bytes = 1024,
                .pressure = 72.5,
        };
        return r;
}

static char *history_file_text(void) {
        char path[300];
        snprintf(path, sizeof path, "%s/history.jsonl", state);
        FILE *f = fopen(path, "re");
        cr_assert_not_null(f, "history file %s missing", path);
        char *buf = calloc(1, 1 << 20);
        size_t n = fread(buf, 1, (1 << 20) - 1, f);
        buf[n] = 0;
        fclose(f);
        return buf;
}

static void write_history_file(const char *text) {
        mkdir_at(tmpdir, "state");
        write_at(state, "history.jsonl", text);
}

static unsigned count_char(const char *s, char c) {
        unsigned n = 0;
        for (; *s; s++)
                n += *s == c;
        return n;
}

/* Parses history_read_json output and returns the array. */
static cJSON *read_array(History *h, usec_t since) {
        char *json = NULL;
        cr_assert_eq(history_read_json(h, since, &json), 0);
        cr_assert_not_null(json);
        cJSON *a = cJSON_Parse(json);
        free(json);
        cr_assert(cJSON_IsArray(a), "history_read_json did not return an array");
        return a;
}

static double entry_time(cJSON *a, int i) {
        cJSON *e = cJSON_GetArrayItem(a, i);
        cr_assert_not_null(e);
        cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "time");
        cr_assert(cJSON_IsNumber(t));
        return t->valuedouble;
}

Test(history, empty_and_created_state_dir) {
        History *h = NULL;
        struct stat st;

        cr_assert_eq(history_open(state, 10, &h), 0);
        cr_assert_eq(stat(state, &st), 0);
        cr_assert(S_ISDIR(st.st_mode));
        cr_assert_eq(st.st_mode & 07777, 0755);
        cr_assert_eq(history_count(h), 0);

        char *json = NULL;
        cr_assert_eq(history_read_json(h, 0, &json), 0);
        cr_assert_str_eq(json, "[]");
        free(json);
        history_free(h);
}

Test(history, append_read_back) {
        History *h = NULL;
        cr_assert_eq(history_open(state, 10, &h), 0);

        KillRecord r = record(UINT64_C(1700000000123456), "/system.slice/a.service");
        r.unit = "a.service";
        r.memory_bytes = UINT64_C(123456789012345678); /* beyond double precision */
        r.dry_run = true;
        cr_assert_eq(history_append(h, &r), 0);

        KillRecord r2 = record(UINT64_C(1700000000999999), "/user.slice/b \"quoted\"\nname");
        r2.comm = "stress-ng";
        r2.method = "process";
        r2.n_pids = 1;
        r2.pids[0] = 4242;
        r2.n_killed = 1;
        r2.incident_kill = 2;
        r2.scope = "cgroup";
        r2.escalated = true;
        cr_assert_eq(history_append(h, &r2), 0);
        cr_assert_eq(history_count(h), 2);

        char *text = history_file_text();
        cr_assert_eq(count_char(text, '\n'), 2, "one line per entry, even with a newline in a field:\n%s", text);
        cr_assert_not_null(strstr(text, "\"memory_bytes\":123456789012345678"), "exact integer: %s", text);
        cr_assert_not_null(strstr(text, "\"time\":1700000000123456"), "%s", text);
        free(text);

        cJSON *a = read_array(h, 0);
        cr_assert_eq(cJSON_GetArraySize(a), 2);

        cJSON *e = cJSON_GetArrayItem(a, 0);
        cr_assert_str_eq(cJSON_GetObjectItem(e, "time_iso")->valuestring, "2023-11-14T22:13:20.123456Z");
        cr_assert_str_eq(cJSON_GetObjectItem(e, "cgroup")->valuestring, "/system.slice/a.service");
        cr_assert_str_eq(cJSON_GetObjectItem(e, "unit")->valuestring, "a.service");
        cr_assert_str_eq(cJSON_GetObjectItem(e, "ruleset")->valuestring, "default");
        cr_assert_str_eq(cJSON_GetObjectItem(e, "reason")->valuestring, "memory pressure 72.5% > 60% for 30s");
        cr_assert_str_eq(cJSON_GetObjectItem(e, "method")->valuestring, "cgroup.kill");
        cr_assert(cJSON_IsNull(cJSON_GetObjectItem(e, "comm")));
        cJSON *pids = cJSON_GetObjectItem(e, "pids");
        cr_assert_eq(cJSON_GetArraySize(pids), 2);
        cr_assert_eq(cJSON_GetArrayItem(pids, 0)->valueint, 101);
        cr_assert_eq(cJSON_GetArrayItem(pids, 1)->valueint, 202);
        cr_assert_eq(cJSON_GetObjectItem(e, "killed")->valueint, 3);
        cr_assert_eq(cJSON_GetObjectItem(e, "freed_bytes")->valueint, 1024);
        cr_assert_float_eq(cJSON_GetObjectItem(e, "pressure")->valuedouble, 72.5, 1e-9);
        cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(e, "dry_run")));
        cr_assert_eq(cJSON_GetObjectItem(e, "incident_kill")->valueint, 0, "a manual kill");
        cr_assert(cJSON_IsNull(cJSON_GetObjectItem(e, "scope")));
        cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(e, "escalated")));

        e = cJSON_GetArrayItem(a, 1);
        cr_assert_eq(cJSON_GetObjectItem(e, "incident_kill")->valueint, 2);
        cr_assert_str_eq(cJSON_GetObjectItem(e, "scope")->valuestring, "cgroup");
        cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(e, "escalated")));
        cr_assert_str_eq(cJSON_GetObjectItem(e, "cgroup")->valuestring, "/user.slice/b \"quoted\"\nname");
        cr_assert(cJSON_IsNull(cJSON_GetObjectItem(e, "unit")));
        cr_assert_str_eq(cJSON_GetObjectItem(e, "comm")->valuestring, "stress-ng");
        cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(e, "pids")), 1);
        cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(e, "dry_run")));
        cJSON_Delete(a);
        history_free(h);
}

Test(history, pids_capped_at_64) {
        History *h = NULL;
        cr_assert_eq(history_open(state, 10, &h), 0);
        KillRecord r = record(5, "/x");
        for (int i = 0; i < 64; i++)
                r.pids[i] = 1000 + i;
        r.n_pids = 500; /* more than the array holds: only 64 are recorded */
        r.n_killed = 500;
        cr_assert_eq(history_append(h, &r), 0);
        cJSON *a = read_array(h, 0);
        cJSON *e = cJSON_GetArrayItem(a, 0);
        cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(e, "pids")), 64);
        cr_assert_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(e, "pids"), 63)->valueint, 1063);
        cr_assert_eq(cJSON_GetObjectItem(e, "killed")->valueint, 500);
        cJSON_Delete(a);
        history_free(h);
}

Test(history, since_filter) {
        History *h = NULL;
        cr_assert_eq(history_open(state, 10, &h), 0);
        for (usec_t t = 100; t <= 300; t += 100) {
                KillRecord r = record(t, "/x");
                cr_assert_eq(history_append(h, &r), 0);
        }

        cJSON *a = read_array(h, 200);
        cr_assert_eq(cJSON_GetArraySize(a), 2);
        cr_assert_float_eq(entry_time(a, 0), 200, 0);
        cr_assert_float_eq(entry_time(a, 1), 300, 0);
        cJSON_Delete(a);

        a = read_array(h, 201);
        cr_assert_eq(cJSON_GetArraySize(a), 1);
        cr_assert_float_eq(entry_time(a, 0), 300, 0);
        cJSON_Delete(a);

        a = read_array(h, 301);
        cr_assert_eq(cJSON_GetArraySize(a), 0);
        cJSON_Delete(a);
        history_free(h);
}

Test(history, rotation_keeps_newest) {
        History *h = NULL;
        cr_assert_eq(history_open(state, 5, &h), 0);

        for (usec_t t = 1; t <= 10; t++) {
                KillRecord r = record(t, "/x");
                cr_assert_eq(history_append(h, &r), 0);
        }
        /* 10 = 2 * max: not yet rotated. */
        cr_assert_eq(history_count(h), 10);

        KillRecord r = record(11, "/x");
        cr_assert_eq(history_append(h, &r), 0);
        cr_assert_eq(history_count(h), 5);

        char *text = history_file_text();
        cr_assert_eq(count_char(text, '\n'), 5, "%s", text);
        free(text);

        cJSON *a = read_array(h, 0);
        cr_assert_eq(cJSON_GetArraySize(a), 5);
        for (int i = 0; i < 5; i++)
                cr_assert_float_eq(entry_time(a, i), 7 + i, 0, "entry %d", i);
        cJSON_Delete(a);

        /* Appends after a rotation go to the new file. */
        r = record(12, "/x");
        cr_assert_eq(history_append(h, &r), 0);
        cr_assert_eq(history_count(h), 6);
        a = read_array(h, 12);
        cr_assert_eq(cJSON_GetArraySize(a), 1);
        cJSON_Delete(a);

        /* No temp file is left behind. */
        char cmd[400];
        snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 1", state);
        cr_assert_eq(system(cmd), 0, "a temp file was left in %s", state);

        struct stat st;
        char path[300];
        snprintf(path, sizeof path, "%s/history.jsonl", state);
        cr_assert_eq(stat(path, &st), 0);
        cr_assert_eq(st.st_mode & 0777, 0644);
        history_free(h);
}

Test(history, survives_reopen) {
        History *h = NULL;
        cr_assert_eq(history_open(state, 10, &h), 0);
        for (usec_t t = 1; t <= 3; t++) {
                KillRecord r = record(t, "/x");
                cr_assert_eq(history_append(h, &r), 0);
        }
        history_free(h);

        h = NULL;
        cr_assert_eq(history_open(state, 10, &h), 0);
        cr_assert_eq(history_count(h), 3);
        KillRecord r = record(4, "/y");
        cr_assert_eq(history_append(h, &r), 0);
        cr_assert_eq(history_count(h), 4);
        cJSON *a = read_array(h, 0);
        cr_assert_eq(cJSON_GetArraySize(a), 4);
        for (int i = 0; i < 4; i++)
                cr_assert_float_eq(entry_time(a, i), i + 1, 0);
        cJSON_Delete(a);
        history_free(h);
}

Test(history, reopen_rotates_with_smaller_bound) {
        History *h = NULL;
        cr_assert_eq(history_open(state, 100, &h), 0);
        for (usec_t t = 1; t <= 9; t++) {
                KillRecord r = record(t, "/x");
                cr_assert_eq(history_append(h, &r), 0);
        }
        history_free(h);

        /* Restarted with a smaller bound: the next append trims to the newest 3. */
        h = NULL;
        cr_assert_eq(history_open(state, 3, &h), 0);
        cr_assert_eq(history_count(h), 9);
        KillRecord r = record(10, "/x");
        cr_assert_eq(history_append(h, &r), 0);
        cr_assert_eq(history_count(h), 3);
        cJSON *a = read_array(h, 0);
        cr_assert_eq(cJSON_GetArraySize(a), 3);
        cr_assert_float_eq(entry_time(a, 0), 8, 0);
        cr_assert_float_eq(entry_time(a, 2), 10, 0);
        cJSON_Delete(a);
        history_free(h);
}

Test(history, torn_last_line) {
        write_history_file("{\"time\":1,\"cgroup\":\"/a\"}\n"
                           "{\"time\":2,\"cgroup\":\"/b\"}\n"
                           "{\"time\":3,\"cgr");

        History *h = NULL;
        cr_assert_eq(history_open(state, 10, &h), 0);
        cr_assert_eq(history_count(h), 2, "the torn line is not an entry");

        cJSON *a = read_array(h, 0);
        cr_assert_eq(cJSON_GetArraySize(a), 2);
        cJSON_Delete(a);

        KillRecord r = record(4, "/c");
        cr_assert_eq(history_append(h, &r), 0);
        cr_assert_eq(history_count(h), 3);

        char *text = history_file_text();
        cr_assert_not_null(strstr(text, "{\"time\":3,\"cgr\n{\"time\":4,"),
                           "the next entry must start on its own line:\n%s", text);
        free(text);

        a = read_array(h, 0);
        cr_assert_eq(cJSON_GetArraySize(a), 3);
        cr_assert_float_eq(entry_time(a, 2), 4, 0);
        cJSON_Delete(a);

        /* A second append needs no extra newline. */
        r = record(5, "/d");
        cr_assert_eq(history_append(h, &r), 0);
        text = history_file_text();
        cr_assert_not_null(strstr(text, "}\n{\"time\":5,"), "%s", text);
        cr_assert_null(strstr(text, "\n\n"), "%s", text);
        free(text);
        history_free(h);
}

Test(history, complete_last_line_without_newline) {
        /* The crash hit between the object and its newline: the entry is whole, keep it. */
        write_history_file("{\"time\":1}\n{\"time\":2}");
        History *h = NULL;
        cr_assert_eq(history_open(state, 10, &h), 0);
        cr_assert_eq(history_count(h), 2);
        KillRecord r = record(3, "/c");
        cr_assert_eq(history_append(h, &r), 0);
        cJSON *a = read_array(h, 0);
        cr_assert_eq(cJSON_GetArraySize(a), 3);
        cr_assert_float_eq(entry_time(a, 1), 2, 0);
        cr_assert_float_eq(entry_time(a, 2), 3, 0);
        cJSON_Delete(a);
        history_free(h);
}

Test(history, malformed_lines_skipped_and_dropped_on_rotation) {
        write_history_file("garbage\n"
                           "{\"time\":1}\n"
                           "[1,2]\n"
                           "\n"
                           "{\"no_time\":true}\n"
                           "{\"time\":\"soon\"}\n"
                           "{\"time\":2}\n");
        History *h = NULL;
        cr_assert_eq(history_open(state, 2, &h), 0);

        cJSON *a = read_array(h, 0);
        cr_assert_eq(cJSON_GetArraySize(a), 2, "only objects with a numeric time are entries");
        cJSON_Delete(a);

        /* 6 non-empty lines counted > 2*2: this append rotates, keeping the newest 2 entries. */
        KillRecord r = record(3, "/c");
        cr_assert_eq(history_append(h, &r), 0);
        cr_assert_eq(history_count(h), 2);
        char *text = history_file_text();
        cr_assert_null(strstr(text, "garbage"), "%s", text);
        cr_assert_eq(count_char(text, '\n'), 2, "%s", text);
        free(text);
        a = read_array(h, 0);
        cr_assert_eq(cJSON_GetArraySize(a), 2);
        cr_assert_float_eq(entry_time(a, 0), 2, 0);
        cr_assert_float_eq(entry_time(a, 1), 3, 0);
        cJSON_Delete(a);
        history_free(h);
}

Test(history, unwritable_state_dir) {
        char file[300], bad[350];
        snprintf(file, sizeof file, "%s/not-a-dir", tmpdir);
        int fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        cr_assert_geq(fd, 0);
        close(fd);

        History *h = NULL;
        snprintf(bad, sizeof bad, "%s/state", file);
        cr_assert_eq(history_open(bad, 10, &h), -ENOTDIR);
        cr_assert_null(h);

        /* The state "directory" is a file. */
        cr_assert_eq(history_open(file, 10, &h), -ENOTDIR);
        cr_assert_null(h);

        /* A missing parent is not created behind the admin's back. */
        snprintf(bad, sizeof bad, "%s/missing/state", tmpdir);
        cr_assert_eq(history_open(bad, 10, &h), -ENOENT);
        cr_assert_null(h);
}

Test(history, history_file_is_a_directory) {
        mkdir_at(tmpdir, "state");
        mkdir_at(state, "history.jsonl");
        History *h = NULL;
        cr_assert_eq(history_open(state, 10, &h), -EISDIR);
        cr_assert_null(h);
}

Test(history, null_arguments) {
        cr_assert_eq(history_count(NULL), 0);
        cr_assert_null(history_free(NULL));
        cr_assert_eq(history_append(NULL, NULL), -EINVAL);
        char *json = NULL;
        cr_assert_eq(history_read_json(NULL, 0, &json), -EINVAL);
}

/* After open the file is never read again: requests are answered from memory, so their cost does
 * not follow the file. Replacing the file under the open history proves it. */
Test(history, served_from_memory_after_open) {
        char text[64 * 1024] = "";
        size_t l = 0;
        for (int t = 1; t <= 300; t++)
                l += (size_t) snprintf(text + l, sizeof text - l, "{\"time\":%d,\"cgroup\":\"/c%d\"}\n", t, t);
        write_history_file(text);

        History *h = NULL;
        cr_assert_eq(history_open(state, 200, &h), 0);
        cr_assert_eq(history_count(h), 300, "every line of the file counts towards rotation");
        write_at(state, "history.jsonl", "this is not the history any more\n");

        cJSON *a = read_array(h, 0);
        cr_assert_eq(cJSON_GetArraySize(a), 200, "the newest max_entries are kept in memory");
        cr_assert_float_eq(entry_time(a, 0), 101, 0);
        cr_assert_float_eq(entry_time(a, 199), 300, 0);
        cJSON_Delete(a);
        a = read_array(h, 9007199254740992ULL);
        cr_assert_eq(cJSON_GetArraySize(a), 0);
        cJSON_Delete(a);

        KillRecord r = record(301, "/new");
        cr_assert_eq(history_append(h, &r), 0);
        a = read_array(h, 300);
        cr_assert_eq(cJSON_GetArraySize(a), 2);
        cr_assert_float_eq(entry_time(a, 1), 301, 0);
        cJSON_Delete(a);
        history_free(h);
}

/* Process and cgroup names are bytes a user chose: the file and the replies stay valid UTF-8 JSON. */
Test(history, names_that_are_not_utf8) {
        write_history_file("{\"time\":1,\"comm\":\"old\xff\"}\n"); /* as an older version wrote it */
        History *h = NULL;
        cr_assert_eq(history_open(state, 10, &h), 0);
        KillRecord r = record(2, "/user.slice/x\xc3\x28");
        r.comm = "evil\xff\xfe";
        cr_assert_eq(history_append(h, &r), 0);

        char *file = history_file_text();
        const char *added = strchr(file, '\n') + 1; /* the first line is the old one, left as it was */
        cr_assert(utf8_is_valid(added, strlen(added)), "the line written is not valid UTF-8: %s", added);
        cr_assert(strstr(added, "\"comm\":\"evil\xef\xbf\xbd\xef\xbf\xbd\""), "%s", added);
        free(file);
        char *json = NULL;
        cr_assert_eq(history_read_json(h, 0, &json), 0);
        cr_assert(utf8_is_valid(json, strlen(json)), "the reply is not valid UTF-8: %s", json);
        cr_assert(strstr(json, "\"comm\":\"old\xef\xbf\xbd\""), "%s", json);
        cr_assert(strstr(json, "\"cgroup\":\"/user.slice/x\xef\xbf\xbd(\""), "%s", json);
        free(json);
        history_free(h);
}

/* A line is an entry only when it is one JSON object and nothing else. */
Test(history, trailing_text_makes_a_line_foreign) {
        write_history_file("{\"time\":1} junk\n{\"time\":2}\n");
        History *h = NULL;
        cr_assert_eq(history_open(state, 10, &h), 0);
        cJSON *a = read_array(h, 0);
        cr_assert_eq(cJSON_GetArraySize(a), 1);
        cr_assert_float_eq(entry_time(a, 0), 2, 0);
        cJSON_Delete(a);
        history_free(h);
}
