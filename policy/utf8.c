/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define REPLACEMENT_CHARACTER "\xef\xbf\xbd" /* U+FFFD */

static bool is_continuation(unsigned char c) {
        return (c & 0xc0) == 0x80;
}

size_t utf8_char_len(const char *s, size_t n) {
        const unsigned char *u = (const unsigned char *) s;
        size_t len;
        uint32_t cp, min;

        if (n == 0)
                return 0;
        if (u[0] < 0x80)
                return 1;
        if ((u[0] & 0xe0) == 0xc0)
                len = 2, cp = u[0] & 0x1f, min = 0x80;
        else if ((u[0] & 0xf0) == 0xe0)
                len = 3, cp = u[0] & 0x0f, min = 0x800;
        else if ((u[0] & 0xf8) == 0xf0)
                len = 4, cp = u[0] & 0x07, min = 0x10000;
        else
                return 0; /* a continuation byte first, or 0xf8..0xff */
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if (!is_continuation(u[i]))
                        return 0;
                cp = cp << 6 | (u[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

bool utf8_is_valid(const char *s, size_t n) {
        while (n > 0) {
                size_t l = utf8_char_len(s, n);
                if (l == 0)
                        return false;
                s += l;
                n -= l;
        }
        return true;
}

char *utf8_make_valid(const char *s) {
        size_t n = strlen(s), bad = 0;

        for (size_t i = 0; i < n;) {
                size_t l = utf8_char_len(s + i, n - i);
                bad += l == 0;
                i += l ? l : 1;
        }
        char *out = malloc(n + 2 * bad + 1); /* each bad byte becomes three */
        if (!out)
                return NULL;
        char *p = out;
        for (size_t i = 0; i < n;) {
                size_t l = utf8_char_len(s + i, n - i);
                if (l == 0) {
                        memcpy(p, REPLACEMENT_CHARACTER, 3);
                        p += 3;
                        i++;
                } else {
                        memcpy(p, s + i, l);
                        p += l;
                        i += l;
                }
        }
        *p = 0;
        return out;
}

const char *utf8_valid_or_copy(const char *s, char **buf) {
        *buf = NULL;
        if (!s || utf8_is_valid(s, strlen(s)))
                return s;
        *buf = utf8_make_valid(s);
        return *buf ? *buf : "";
}

ssize_t json_text_find_nul_escape(const char *s, size_t n) {
        bool in_string = false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '"')
                        in_string = !in_string;
                else if (in_string && s[i] == '\\') {
                        if (i + 5 < n && s[i + 1] == 'u' && memcmp(s + i + 2, "0000", 4) == 0)
                                return (ssize_t) i;
                        i++; /* the escaped character, whatever it is, is not the string's end */
                }
        }
        return -1;
}

char *json_print_utf8(const cJSON *o, bool indented) {
        char *text = indented ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
        if (!text || utf8_is_valid(text, strlen(text)))
                return text;
        char *valid = utf8_make_valid(text);
        free(text);
        return valid;
}
