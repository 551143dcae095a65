/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kill history, one JSON object per line. Appends are a single O_APPEND write followed by
 * fdatasync, so a crash loses at most the line being written; a torn last line is skipped on
 * reading and the next append starts a fresh line. Rotation writes a temp file and renames it
 * over the old one, so there is always one complete file on disk.
 *
 * The file is parsed once, at open. After that the newest max_entries lines live in a ring in
 * memory, kept with each append: a history request copies lines out of it and never reads or
 * parses the file, so no client can make the daemon do work in proportion to the file.
 */

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "policy/macro.h"
#include "policy/utf8.h"
#include "record/history.h"
#include "util/log.h"

#define HISTORY_FILE_NAME "history.jsonl"

typedef struct HistoryLine {
        usec_t time;          /* the entry's "time" (realtime) */
        char *text;           /* one JSON object, valid UTF-8, no newline */
        size_t len;
} HistoryLine;

struct History {
        char *dir;
        char *path;
        int fd;               /* O_RDWR | O_APPEND */
        unsigned max_entries;
        unsigned n_lines;     /* complete entries in the file */
        bool need_newline;    /* the file ends without '\n' (torn write): prefix the next append */
        HistoryLine *ring;    /* the newest max_entries entries, oldest at ring[first] */
        unsigned first, n_ring;
};

DEFINE_POINTER_CLEANUP(cJSON, cJSON_Delete);
DEFINE_POINTER_CLEANUP(History, history_free);

/* Reads the whole file at fd from offset 0, NUL-terminated. */
static int read_all(int fd, char **ret, size_t *ret_size) {
        size_t size = 0, allocated = 0;
        _cleanup_free_ char *buf = NULL;

        for (;;) {
                if (allocated - size < 4096) {
                        size_t a = allocated ? allocated * 2 : 16384;
                        char *p = realloc(buf, a);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        allocated = a;
                }
                ssize_t n = pread(fd, buf + size, allocated - size - 1, (off_t) size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
        }
        buf[size] = 0;
        *ret = TAKE_PTR(buf);
        *ret_size = size;
        return 0;
}

/* Keeps text (taken) as the newest entry, dropping the oldest when the ring is full. */
static void ring_push(History *h, usec_t time, char *text) {
        unsigned slot = (h->first + h->n_ring) % h->max_entries;
        if (h->n_ring == h->max_entries) {
                free(h->ring[h->first].text);
                h->first = (h->first + 1) % h->max_entries;
        } else
                h->n_ring++;
        h->ring[slot] = (HistoryLine) { .time = time, .text = text, .len = strlen(text) };
}

/* One line of the file as an entry for the ring: an object with a "time", printed again so that
 * what is served is compact, valid UTF-8 JSON whatever an older version or an editor left there.
 * 0 when the line is not an entry (torn or foreign), 1 when kept. */
static int load_line(History *h, const char *line, size_t len) {
        const char *end = NULL;
        _cleanup_(cJSON_Deletep) cJSON *j = cJSON_ParseWithLengthOpts(line, len, &end, false);
        if (!j || !cJSON_IsObject(j) || end != line + len) /* "{...} junk" is not an entry */
                return 0;
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "time");
        if (!cJSON_IsNumber(t) || t->valuedouble < 0 || t->valuedouble >= 1.8e19)
                return 0;
        _cleanup_free_ char *printed = cJSON_PrintUnformatted(j);
        char *text = printed ? utf8_make_valid(printed) : NULL;
        if (!text)
                return -ENOMEM;
        ring_push(h, (usec_t) t->valuedouble, text);
        return 1;
}

/* Reads the file once: counts its entries, fills the ring with the newest, and sets need_newline
 * when the file does not end with '\n'. */
static int history_load(History *h) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        int r = read_all(h->fd, &buf, &size);
        if (r < 0)
                return r;

        h->n_lines = 0;
        h->need_newline = size > 0 && buf[size - 1] != '\n';
        for (const char *p = buf, *end = buf + size; p < end;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t len = nl ? (size_t) (nl - p) : (size_t) (end - p);
                if (len > 0) {
                        r = load_line(h, p, len);
                        if (r < 0)
                                return r;
                        if (r > 0 || nl)
                                h->n_lines++; /* a complete line counts towards rotation even if foreign */
                        else
                                log_warning("History file %s ends with a partial line (pressured stopped mid-write?); "
                                            "ignoring that line, new entries start on a new line.", h->path);
                }
                if (!nl)
                        break;
                p = nl + 1;
        }
        return 0;
}

static int history_open_file(History *h) {
        int fd = open(h->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        if (h->fd >= 0)
                close(h->fd);
        h->fd = fd;
        return 0;
}

/* A History with its ring and paths, and no file open yet. */
static int history_new(const char *state_dir, unsigned max_entries, History **ret) {
        _cleanup_(history_freep) History *h = calloc(1, sizeof(History));
        if (!h)
                return -ENOMEM;
        h->fd = -1;
        h->max_entries = max_entries > 0 ? max_entries : HISTORY_DEFAULT_MAX_ENTRIES;
        h->ring = calloc(h->max_entries, sizeof(HistoryLine));
        h->dir = strdup(state_dir);
        if (!h->ring || !h->dir || asprintf(&h->path, "%s/" HISTORY_FILE_NAME, state_dir) < 0) {
                h->path = NULL;
                return -ENOMEM;
        }
        *ret = TAKE_PTR(h);
        return 0;
}

int history_open(const char *state_dir, unsigned max_entries, History **ret) {
        int r;

        if (!state_dir || !ret)
                return -EINVAL;

        if (mkdir(state_dir, 0755) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "Failed to create state directory %s: %m; the kill history cannot "
                                       "be kept. Create it, or point StateDirectory= at a writable place.", state_dir);

        _cleanup_(history_freep) History *h = NULL;
        r = history_new(state_dir, max_entries, &h);
        if (r < 0)
                return r;

        r = history_open_file(h);
        if (r < 0)
                return log_error_errno(r, "Failed to open kill history %s: %m; check that %s is a writable directory.",
                                       h->path, state_dir);

        r = history_load(h);
        if (r < 0)
                return log_error_errno(r, "Failed to read kill history %s: %m.", h->path);

        *ret = TAKE_PTR(h);
        return 0;
}

int history_open_readonly(const char *state_dir, unsigned max_entries, History **ret) {
        int r;

        if (!state_dir || !ret)
                return -EINVAL;

        _cleanup_(history_freep) History *h = NULL;
        r = history_new(state_dir, max_entries, &h);
        if (r < 0)
                return r;
        h->fd = open(h->path, O_RDONLY | O_CLOEXEC);
        if (h->fd < 0)
                return -errno;
        struct stat st;
        if (fstat(h->fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        r = history_load(h);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(h);
        return 0;
}

const char *history_path(const History *h) {
        return h ? h->path : NULL;
}

uint64_t history_kills(const History *h) {
        uint64_t n = 0;
        for (unsigned i = 0; h && i < h->n_ring; i++) {
                const HistoryLine *l = &h->ring[(h->first + i) % h->max_entries];
                _cleanup_(cJSON_Deletep) cJSON *j = cJSON_ParseWithLength(l->text, l->len);
                if (j && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "dry_run")))
                        n++;
        }
        return n;
}

History *history_free(History *h) {
        if (!h)
                return NULL;
        if (h->fd >= 0)
                close(h->fd);
        for (unsigned i = 0; h->ring && i < h->n_ring; i++)
                free(h->ring[(h->first + i) % h->max_entries].text);
        free(h->ring);
        free(h->dir);
        free(h->path);
        free(h);
        return NULL;
}

unsigned history_count(const History *h) {
        return h ? h->n_lines : 0;
}

static int add_string_or_null(cJSON *o, const char *key, const char *value) {
        cJSON *item = value ? cJSON_AddStringToObject(o, key, value) : cJSON_AddNullToObject(o, key);
        return item ? 0 : -ENOMEM;
}

static int add_u64(cJSON *o, const char *key, uint64_t value) {
        /* Raw decimal text: a double would print large values in exponent notation. */
        char buf[32];
        snprintf(buf, sizeof buf, "%" PRIu64, value);
        return cJSON_AddRawToObject(o, key, buf) ? 0 : -ENOMEM;
}

static int format_iso8601(usec_t t, char *buf, size_t size) {
        time_t sec = (time_t) (t / USEC_PER_SEC);
        struct tm tm;

        if (!gmtime_r(&sec, &tm))
                return -EINVAL;
        size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
        if (n == 0)
                return -EINVAL;
        snprintf(buf + n, size - n, ".%06" PRIu64 "Z", t % USEC_PER_SEC);
        return 0;
}

/* The record as one line of JSON, without the newline. */
static int record_to_json(const KillRecord *rec, char **ret) {
        _cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
        char iso[64] = "";
        int r = 0;

        if (!o)
                return -ENOMEM;
        (void) format_iso8601(rec->realtime_usec, iso, sizeof iso);

        unsigned n_pids = rec->n_pids < ELEMENTSOF(rec->pids) ? rec->n_pids : ELEMENTSOF(rec->pids);
        cJSON *pids = cJSON_CreateIntArray(rec->pids, (int) n_pids);
        if (!pids)
                return -ENOMEM;

        if (add_u64(o, "time", rec->realtime_usec) < 0 ||
            !cJSON_AddStringToObject(o, "time_iso", iso) ||
            add_string_or_null(o, "cgroup", rec->cgroup) < 0 ||
            add_string_or_null(o, "unit", rec->unit) < 0 ||
            add_string_or_null(o, "ruleset", rec->ruleset) < 0 ||
            add_string_or_null(o, "reason", rec->reason) < 0 ||
            add_string_or_null(o, "method", rec->method) < 0 ||
            add_string_or_null(o, "comm", rec->comm) < 0) {
                cJSON_Delete(pids);
                return -ENOMEM;
        }
        if (!cJSON_AddItemToObject(o, "pids", pids)) {
                cJSON_Delete(pids);
                return -ENOMEM;
        }
        if (add_u64(o, "killed", rec->n_killed) < 0 ||
            add_u64(o, "memory_bytes", rec->memory_bytes) < 0 ||
            add_u64(o, "freed_bytes", rec->freed_bytes) < 0 ||
            !cJSON_AddNumberToObject(o, "pressure", rec->pressure) ||
            !cJSON_AddBoolToObject(o, "dry_run", rec->dry_run) ||
            add_u64(o, "incident_kill", rec->incident_kill) < 0 ||
            add_string_or_null(o, "scope", rec->scope) < 0 ||
            !cJSON_AddBoolToObject(o, "escalated", rec->escalated))
                r = -ENOMEM;
        if (r < 0)
                return r;

        char *s = cJSON_PrintUnformatted(o);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int write_full(int fd, const char *buf, size_t size) {
        while (size > 0) {
                ssize_t n = write(fd, buf, size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -EIO;
                buf += n;
                size -= (size_t) n;
        }
        return 0;
}

/* Rewrites the file with the ring's entries (the newest max_entries): temp file, fsync, rename,
 * fsync of the directory. */
static int history_rotate(History *h) {
        _cleanup_free_ char *tmp = NULL;
        int r = 0;

        if (asprintf(&tmp, "%s/." HISTORY_FILE_NAME ".XXXXXX", h->dir) < 0) {
                tmp = NULL;
                return -ENOMEM;
        }
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;

        for (unsigned i = 0; i < h->n_ring && r >= 0; i++) {
                const HistoryLine *l = &h->ring[(h->first + i) % h->max_entries];
                r = write_full(fd, l->text, l->len);
                if (r >= 0)
                        r = write_full(fd, "\n", 1);
        }
        if (r >= 0 && fchmod(fd, 0644) < 0)
                r = -errno;
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && rename(tmp, h->path) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlink(tmp);
                return r;
        }

        _cleanup_close_ int dfd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) < 0)
                log_warning_errno(errno, "Failed to sync directory %s after rotating the kill history: %m; "
                                  "a power loss now could bring back the longer file, ignoring.", h->dir);

        r = history_open_file(h);
        if (r < 0)
                return r;
        h->n_lines = h->n_ring;
        h->need_newline = false;
        return 0;
}

int history_append(History *h, const KillRecord *rec) {
        _cleanup_free_ char *raw = NULL, *line = NULL;
        int r;

        if (!h || !rec)
                return -EINVAL;

        r = record_to_json(rec, &raw);
        /* A process or cgroup name is the user's choice of bytes: what is written is valid UTF-8. */
        char *json = r >= 0 ? utf8_make_valid(raw) : NULL;
        if (!json)
                return log_error_errno(r < 0 ? r : -ENOMEM, "Failed to format the kill history entry for %s: %m.",
                                       rec->cgroup ?: "?");
        /* Served from memory even when the disk refuses it below: the kill happened. */
        ring_push(h, rec->realtime_usec, json);

        if (asprintf(&line, "%s%s\n", h->need_newline ? "\n" : "", json) < 0) {
                line = NULL;
                return log_error_errno(-ENOMEM, "Out of memory formatting the kill history entry.");
        }

        /* One write: with O_APPEND the line lands whole after the current end. When the disk takes
         * only part of it (ENOSPC at a page boundary), the part is cut off again, so the file never
         * holds a torn line that a failed write left. */
        struct stat st;
        bool know_size = fstat(h->fd, &st) >= 0;
        r = write_full(h->fd, line, strlen(line));
        if (r < 0) {
                if (!know_size || ftruncate(h->fd, st.st_size) < 0)
                        h->need_newline = true; /* whatever part made it is a torn line now */
                return log_error_errno(r, "Failed to append to kill history %s: %m; this kill is not recorded "
                                       "there (the journal and `oomctl history` still have it). Check free space on "
                                       "that filesystem.", h->path);
        }
        h->need_newline = false;
        h->n_lines++;
        if (fdatasync(h->fd) < 0)
                return log_error_errno(-errno, "Failed to sync kill history %s: %m; the entry may be lost on power failure.",
                                       h->path);

        if (h->n_lines > 2 * h->max_entries) {
                r = history_rotate(h);
                if (r < 0)
                        log_warning_errno(r, "Failed to rotate kill history %s: %m; it keeps growing until a later "
                                          "rotation succeeds, ignoring.", h->path);
        }
        return 0;
}

int history_read_json(History *h, usec_t since_usec, char **ret) {
        size_t size = 3; /* "[]" and the NUL */

        if (!h || !ret)
                return -EINVAL;

        for (unsigned i = 0; i < h->n_ring; i++) {
                const HistoryLine *l = &h->ring[(h->first + i) % h->max_entries];
                if (l->time >= since_usec)
                        size += l->len + 1;
        }
        char *buf = malloc(size), *p = buf;
        if (!buf)
                return -ENOMEM;
        *p++ = '[';
        for (unsigned i = 0; i < h->n_ring; i++) {
                const HistoryLine *l = &h->ring[(h->first + i) % h->max_entries];
                if (l->time < since_usec)
                        continue;
                if (p > buf + 1)
                        *p++ = ',';
                memcpy(p, l->text, l->len);
                p += l->len;
        }
        *p++ = ']';
        *p = 0;
        *ret = buf;
        return 0;
}
