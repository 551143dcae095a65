/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kill history as the daemon finds it on disk: the input is history.jsonl in a state directory
 * made once per process (on tmpfs when there is one: appends fdatasync). history_open() counts its
 * entries, history_read_json() lists them, and one history_append() on top (rotating past four
 * lines) lands as the newest entry.
 */

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "fuzz-util.h"
#include "daemon/record/history.h"
#include "macro.h"

#define MAX_ENTRIES 2 /* rotation at more than twice this */

static char state_dir[PATH_MAX], history_file[PATH_MAX];

static void state_dir_remove(void) {
        char path[PATH_MAX * 2];
        DIR *d = opendir(state_dir);
        struct dirent *de;

        /* the history file, and a rotation's temp file left by a crash */
        while (d && (de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
                        snprintf(path, sizeof path, "%s/%s", state_dir, de->d_name);
                        (void) unlink(path);
                }
        if (d)
                closedir(d);
        (void) rmdir(state_dir);
}

static void state_dir_make(void) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ?: "/tmp";

        snprintf(state_dir, sizeof state_dir, "%s/fuzz-history-XXXXXX", base);
        fuzz_assert(mkdtemp(state_dir));
        snprintf(history_file, sizeof history_file, "%s/history.jsonl", state_dir);
        atexit(state_dir_remove);
}

static void history_write(const char *text, size_t size) {
        int fd = open(history_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        fuzz_assert(fd >= 0);
        fuzz_assert(write(fd, text, size) == (ssize_t) size);
        close(fd);
}

/* The entries history_read_json() lists: a JSON array of at most `count` objects. Returns its size. */
static int history_list(History *h, unsigned count, cJSON **ret) {
        char *json = NULL;
        cJSON *list;

        fuzz_assert(history_read_json(h, 0, &json) == 0);
        list = cJSON_Parse(json);
        fuzz_assert(cJSON_IsArray(list));
        fuzz_assert(cJSON_GetArraySize(list) <= (int) count);
        free(json);
        *ret = list;
        return cJSON_GetArraySize(list);
}

void fuzz_text(const char *text, size_t size) {
        static const KillRecord record = {
                .realtime_usec = 1700000000000000, .cgroup = "/fuzz.slice/newest.service", .ruleset = "fuzz",
                .reason = "fuzz", .method = "kill", .n_pids = 1, .pids = { 4242 },
        };
        History *h = NULL;
        cJSON *list;
        int n;

        if (!state_dir[0])
                state_dir_make();
        history_write(text, size);

        fuzz_assert(history_open(state_dir, MAX_ENTRIES, &h) == 0);
        history_list(h, history_count(h), &list);
        cJSON_Delete(list);

        fuzz_assert(history_append(h, &record) == 0);
        n = history_list(h, history_count(h), &list);
        fuzz_assert(n > 0);
        const cJSON *newest = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(list, n - 1), "cgroup");
        fuzz_assert(cJSON_IsString(newest) && streq(newest->valuestring, record.cgroup));
        cJSON_Delete(list);
        history_free(h);
}
