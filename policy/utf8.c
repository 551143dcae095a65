/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define REPLACEMENT_CHARACTER "\xef\xbf\xbd" /* U+FFFD */

/* RFC 3629, as table 3-7 of Unicode lays it out: the second byte's range depends on the first. */
size_t utf8_char_len(const char *s, size_t left, const char **ret_why) {
        const unsigned char *p = (const unsigned char *) s;
        const char *dummy, **why = ret_why ? ret_why : &dummy;
        unsigned char c, lo = 0x80, hi = 0xbf;
        size_t n;

        if (left == 0) {
                *why = "nothing";
                return 0;
        }
        c = p[0];

        if (c < 0x80)
                return 1;
        if (c < 0xc2) {
                *why = c < 0xc0 ? "a continuation byte without a start" : "an overlong encoding";
                return 0;
        }
        if (c < 0xe0)
                n = 2;
        else if (c < 0xf0) {
                n = 3;
                if (c == 0xe0)
                        lo = 0xa0; /* below: overlong */
                else if (c == 0xed)
                        hi = 0x9f; /* above: U+D800..U+DFFF, the UTF-16 surrogates */
        } else if (c < 0xf5) {
                n = 4;
                if (c == 0xf0)
                        lo = 0x90; /* below: overlong */
                else if (c == 0xf4)
                        hi = 0x8f; /* above: beyond U+10FFFF */
        } else {
                *why = "a byte that never occurs in UTF-8 (a code point beyond U+10FFFF, or not text)";
                return 0;
        }

        for (size_t i = 1; i < n; i++) {
                if (i >= left) {
                        *why = "a character cut short by the end of the text";
                        return 0;
                }
                if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf)) {
                        if (i == 1 && c == 0xed && p[i] >= 0xa0 && p[i] <= 0xbf)
                                *why = "a UTF-16 surrogate (U+D800..U+DFFF), which UTF-8 never encodes";
                        else if (i == 1 && (c == 0xe0 || c == 0xf0) && p[i] >= 0x80 && p[i] < lo)
                                *why = "an overlong encoding";
                        else if (i == 1 && c == 0xf4 && p[i] > hi && p[i] <= 0xbf)
                                *why = "a code point beyond U+10FFFF";
                        else
                                *why = "a character cut short";
                        return 0;
                }
        }
        return n;
}

bool utf8_is_valid(const char *s, size_t n) {
        while (n > 0) {
                size_t l = utf8_char_len(s, n, NULL);
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
                size_t l = utf8_char_len(s + i, n - i, NULL);
                bad += l == 0;
                i += l ? l : 1;
        }
        char *out = malloc(n + 2 * bad + 1); /* each bad byte becomes three */
        if (!out)
                return NULL;
        char *p = out;
        for (size_t i = 0; i < n;) {
                size_t l = utf8_char_len(s + i, n - i, NULL);
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

char *json_print_utf8(const cJSON *o, bool indented) {
        char *text = indented ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
        if (!text || utf8_is_valid(text, strlen(text)))
                return text;
        char *valid = utf8_make_valid(text);
        free(text);
        return valid;
}
