/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "policy/utf8.h"

static size_t len_of(const char *s) {
        return utf8_char_len(s, strlen(s), NULL);
}

Test(utf8, character_lengths) {
        cr_assert_eq(len_of("a"), 1);
        cr_assert_eq(len_of("\xc3\xa9"), 2);          /* é */
        cr_assert_eq(len_of("\xe2\x9c\x93"), 3);      /* ✓ */
        cr_assert_eq(len_of("\xf0\x9f\x98\x80"), 4);  /* U+1F600 */
        cr_assert_eq(len_of("\xf4\x8f\xbf\xbf"), 4);  /* U+10FFFF, the last */
        cr_assert_eq(utf8_char_len("", 0, NULL), 0);
}

Test(utf8, what_is_not_utf8) {
        const char *bad[] = {
                "\xff", "\xfe", "\x80",               /* never a first byte */
                "\xc0\xaf", "\xe0\x80\xaf",           /* overlong '/' */
                "\xed\xa0\x80", "\xed\xbf\xbf",       /* surrogates */
                "\xf4\x90\x80\x80",                   /* above U+10FFFF */
                "\xc3", "\xe2\x9c", "\xf0\x9f\x98",   /* cut short */
                "\xc3(",                              /* not a continuation */
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                const char *why = NULL;
                cr_assert_eq(utf8_char_len(bad[i], strlen(bad[i]), &why), 0, "bad[%zu] taken as a character", i);
                cr_assert(why && *why, "bad[%zu] refused without a reason", i);
                cr_assert_not(utf8_is_valid(bad[i], strlen(bad[i])), "bad[%zu] taken as valid", i);
        }
        const char *good = "plain /system.slice/a\xc3\xa9.service \xe2\x9c\x93";
        cr_assert(utf8_is_valid(good, strlen(good)));
}

Test(utf8, make_valid_replaces_each_bad_byte) {
        char *s = utf8_make_valid("ok\xff\xfe-\xc3\xa9\xed\xa0\x80");
        cr_assert_str_eq(s, "ok\xef\xbf\xbd\xef\xbf\xbd-\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
        cr_assert(utf8_is_valid(s, strlen(s)));
        free(s);
        s = utf8_make_valid("already fine \xe2\x9c\x93");
        cr_assert_str_eq(s, "already fine \xe2\x9c\x93");
        free(s);
}

Test(utf8, valid_or_copy) {
        char *buf;
        const char *good = "/user.slice/\xc3\xa9";
        cr_assert_eq(utf8_valid_or_copy(good, &buf), good, "a valid string is used as it is");
        cr_assert_null(buf);
        const char *v = utf8_valid_or_copy("/x\xff", &buf);
        cr_assert_str_eq(v, "/x\xef\xbf\xbd");
        cr_assert_eq(v, buf);
        free(buf);
}

Test(utf8, json_printed_valid) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "comm", "evil\xff\xfe");
        char *t = json_print_utf8(o, false);
        cr_assert_str_eq(t, "{\"comm\":\"evil\xef\xbf\xbd\xef\xbf\xbd\"}");
        free(t);
        t = json_print_utf8(o, true);
        cr_assert(utf8_is_valid(t, strlen(t)));
        cr_assert(strchr(t, '\n'), "indented text has lines");
        free(t);
        cJSON_Delete(o);
}
