/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One pass over a JSON text, byte by byte, keeping only what an error needs: whether we are in a
 * string, and the stack of open objects and arrays with the key or index being read in each, for
 * the JSON path. Linear in the text; no allocation.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json_text.h"
#include "utf8.h"

/* Shown of a key in a path; a longer one is cut. */
#define PATH_KEY_MAX 64

typedef struct Frame {
        bool object;
        size_t index;       /* arrays: the item being read */
        const char *key;    /* objects: the raw text of the current key (between its quotes); NULL between keys */
        size_t key_len;
} Frame;

typedef struct Scanner {
        const unsigned char *buf;
        size_t len;
        Frame stack[JSON_MAX_DEPTH];
        size_t depth;
        JsonTextError *error;
} Scanner;

static void path_add_key(char *path, size_t size, const char *key, size_t len) {
        size_t at = strlen(path);

        if (at > 0 && at + 1 < size)
                path[at++] = '.';
        for (size_t i = 0; i < len && i < PATH_KEY_MAX && at + 1 < size; i++) {
                unsigned char c = (unsigned char) key[i];
                path[at++] = c >= 0x20 && c < 0x7f ? (char) c : '?'; /* the path never echoes a bad byte */
        }
        path[at] = '\0';
}

static void path_format(const Scanner *s, char *path, size_t size) {
        path[0] = '\0';
        for (size_t i = 0; i < s->depth; i++) {
                const Frame *f = &s->stack[i];
                size_t at = strlen(path);

                if (!f->object)
                        snprintf(path + at, size - at, "[%zu]", f->index);
                else if (f->key)
                        path_add_key(path, size, f->key, f->key_len);
        }
}

/* Fills the error: what was found (fmt), at byte `at`, and what to do about it. Returns -EBADMSG. */
static int fail_at(Scanner *s, size_t at, const char *advice, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail_at(Scanner *s, size_t at, const char *advice, const char *fmt, ...) {
        JsonTextError *e = s->error;
        char what[192];
        va_list ap;

        if (!e)
                return -EBADMSG;
        *e = (JsonTextError) { .offset = at, .line = 1, .column = 1 };
        for (size_t i = 0; i < at; i++) {
                if (s->buf[i] == '\n') {
                        e->line++;
                        e->column = 1;
                } else
                        e->column++;
        }
        path_format(s, e->path, sizeof(e->path));
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        snprintf(e->message, sizeof(e->message), "%s at byte %zu (line %zu, column %zu); %s",
                 what, at, e->line, e->column, advice);
        return -EBADMSG;
}

static int check_utf8(Scanner *s, size_t at, size_t *ret_len) {
        const char *why = NULL;
        size_t n = utf8_char_len((const char *) s->buf + at, s->len - at, &why);

        if (n == 0)
                return fail_at(s, at, "save the file as UTF-8", "invalid UTF-8, byte 0x%02x (%s),", s->buf[at], why);
        *ret_len = n;
        return 0;
}

/* The value of 4 hex digits at p, or -1. */
static long hex4(const unsigned char *p, size_t left) {
        long v = 0;

        if (left < 4)
                return -1;
        for (size_t i = 0; i < 4; i++) {
                int d = p[i] >= '0' && p[i] <= '9' ? p[i] - '0' :
                        p[i] >= 'a' && p[i] <= 'f' ? p[i] - 'a' + 10 :
                        p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 10 : -1;
                if (d < 0)
                        return -1;
                v = v * 16 + d;
        }
        return v;
}

/* The escape at buf[at] ('\\'): its length in *ret_len. Escapes cJSON refuses anyway pass. */
static int check_escape(Scanner *s, size_t at, const char *where, size_t *ret_len) {
        const unsigned char *p = s->buf + at;
        size_t left = s->len - at;
        long u, low;

        *ret_len = left < 2 || p[1] >= 0x80 ? 1 : 2; /* a non-ASCII byte after '\\' is checked as UTF-8 next */
        if (left < 2 || p[1] != 'u' || (u = hex4(p + 2, left - 2)) < 0)
                return 0;
        if (u == 0)
                return fail_at(s, at, "names, patterns and arguments cannot hold NUL, and the rest of the string would be lost: remove it",
                               "%s contains \\u0000 (a NUL character)", where);
        if (u >= 0xdc00 && u <= 0xdfff)
                return fail_at(s, at, "write the character itself, or both halves",
                               "%s contains \\u%04lx, the second half of a UTF-16 surrogate pair without the first,", where, u);
        if (u >= 0xd800 && u <= 0xdbff) {
                low = left >= 12 && p[6] == '\\' && p[7] == 'u' ? hex4(p + 8, left - 8) : -1;
                if (low < 0xdc00 || low > 0xdfff)
                        return fail_at(s, at, "write the character itself, or both halves",
                                       "%s contains \\u%04lx, the first half of a UTF-16 surrogate pair without the second,", where, u);
                *ret_len = 12;
                return 0;
        }
        *ret_len = 6;
        return 0;
}

/* The string starting at buf[at] ('"'): its end (past the closing quote, or the end of an
 * unterminated text, which cJSON refuses) in *ret_end. */
static int check_string(Scanner *s, size_t at, bool key, size_t *ret_end) {
        const char *where = key ? "a key" : "a string";
        size_t i = at + 1, n;
        int r;

        while (i < s->len) {
                unsigned char c = s->buf[i];

                if (c == '"') {
                        *ret_end = i + 1;
                        return 0;
                }
                if (c == '\\')
                        r = check_escape(s, i, where, &n);
                else if (c == 0)
                        return fail_at(s, i, "a policy is JSON text: is this the right file?", "%s contains a NUL byte", where);
                else if (c < 0x20)
                        return fail_at(s, i, "JSON wants it escaped, such as \\n or \\t",
                                       "%s contains the raw control character 0x%02x", where, c);
                else
                        r = check_utf8(s, i, &n);
                if (r < 0)
                        return r;
                i += n;
        }
        *ret_end = s->len;
        return 0;
}

static int open_container(Scanner *s, size_t at, bool object) {
        if (s->depth >= JSON_MAX_DEPTH)
                return fail_at(s, at, "a valid policy nests 6 deep at most: look for brackets that do not match what was meant",
                               "objects and arrays nest deeper than %u levels, the limit (JSON_MAX_DEPTH),", JSON_MAX_DEPTH);
        s->stack[s->depth++] = (Frame) { .object = object };
        return 0;
}

int json_text_validate(const char *buf, size_t len, JsonTextError *ret_error) {
        Scanner s = { .buf = (const unsigned char *) buf, .len = len, .error = ret_error };
        size_t i = 0, n;
        int r = 0;

        if (!buf && len > 0)
                return -EINVAL;
        while (i < len) {
                Frame *top = s.depth > 0 ? &s.stack[s.depth - 1] : NULL;
                unsigned char c = s.buf[i];

                n = 1;
                switch (c) {
                case '"': {
                        bool key = top && top->object && !top->key;
                        size_t end = s.len;

                        r = check_string(&s, i, key, &end);
                        if (r >= 0 && key) {
                                top->key = buf + i + 1;
                                top->key_len = end - i - 2;
                        }
                        n = end - i;
                        break;
                }
                case '{':
                case '[':
                        r = open_container(&s, i, c == '{');
                        break;
                case '}':
                case ']':
                        if (s.depth > 0)
                                s.depth--;
                        break;
                case ',':
                        if (top && top->object)
                                top->key = NULL;
                        else if (top)
                                top->index++;
                        break;
                case '\0':
                        r = fail_at(&s, i, "a policy is JSON text: is this the right file?", "a NUL byte");
                        break;
                default:
                        if (c >= 0x80)
                                r = check_utf8(&s, i, &n);
                }
                if (r < 0)
                        return r;
                i += n;
        }
        return 0;
}

int json_text_check(const char *buf, size_t len, char *errbuf, size_t errsize) {
        JsonTextError e;
        int r = json_text_validate(buf, len, &e);

        if (r == -EBADMSG && errbuf && errsize > 0)
                snprintf(errbuf, errsize, "%s%s%s", e.path, e.path[0] ? ": " : "", e.message);
        return r;
}

cJSON *json_array_add_object(cJSON *a) {
        cJSON *x = cJSON_CreateObject();
        if (x && !cJSON_AddItemToArray(a, x)) {
                cJSON_Delete(x);
                return NULL;
        }
        return x;
}
