/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json_text_check(), the check every JSON text from outside gets before cJSON parses it: what it
 * refuses, where it says the problem is, and that it lets every valid text through.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "json_text.h"

static void expect_ok(const char *text, size_t len) {
        char why[256] = "";

        cr_assert_eq(json_text_check(text, len, why, sizeof why), 0, "refused %s: %s", text, why);
}

static JsonTextError expect_refused(const char *text, size_t len, const char *path, const char *phrase) {
        JsonTextError e = {};

        cr_assert_eq(json_text_validate(text, len, &e), -EBADMSG, "accepted %s", text);
        cr_assert_str_eq(e.path, path, "wrong path for \"%s\"", e.message);
        cr_assert(strstr(e.message, phrase), "message \"%s\" does not say \"%s\"", e.message, phrase);
        return e;
}

#define OK(name, text) \
        Test(json_text, name) { expect_ok(text, sizeof(text) - 1); }
#define REFUSED(name, text, path, phrase) \
        Test(json_text, name) { expect_refused(text, sizeof(text) - 1, path, phrase); }

OK(plain_policy, "{\"rulesets\": [{\"name\": \"r\"}], \"omit\": [\"/a\", \"b\"]}")
OK(two_byte, "{\"omit\": [\"caf\xc3\xa9\"]}")
OK(three_byte, "{\"omit\": [\"\xe6\x97\xa5\xe6\x9c\xac\"]}")
OK(four_byte, "{\"omit\": [\"\xf0\x9f\x98\x80\"]}")
OK(highest_code_point, "{\"omit\": [\"\xf4\x8f\xbf\xbf\"]}")
OK(escaped_pair, "{\"omit\": [\"\\ud83d\\ude00\"]}")
OK(escaped_non_nul, "{\"omit\": [\"\\u0001\\u00e9\\uffff\"]}")
OK(escaped_backslash_then_text_u0000, "{\"omit\": [\"a\\\\u0000\"]}")
OK(not_json_is_left_to_cjson, "{\"omit\": [1, 2,, }")
OK(empty, "")

REFUSED(nul_escape, "{\"omit\": [\"ok\\u0000BAD\"]}", "omit[0]", "a string contains \\u0000 (a NUL character) at byte 13")
REFUSED(nul_escape_after_escaped_backslash, "{\"omit\": [\"a\\\\\\u0000\"]}", "omit[0]", "\\u0000")
REFUSED(nul_escape_in_key, "{\"ru\\u0000les\": 1}", "", "a key contains \\u0000")
REFUSED(nul_byte_in_string, "{\"omit\": [\"a\0b\"]}", "omit[0]", "a string contains a NUL byte")
REFUSED(nul_byte_outside_strings, "{\"omit\": [\0]}", "omit[0]", "a NUL byte at byte 10")
REFUSED(byte_ff, "{\"omit\": [\"\xff\"]}", "omit[0]", "invalid UTF-8, byte 0xff (a byte that never occurs in UTF-8")
REFUSED(overlong_c0, "{\"omit\": [\"\xc0\xaf\"]}", "omit[0]", "byte 0xc0 (an overlong encoding)")
REFUSED(overlong_e0, "{\"omit\": [\"\xe0\x80\xaf\"]}", "omit[0]", "byte 0xe0 (an overlong encoding)")
REFUSED(overlong_f0, "{\"omit\": [\"\xf0\x80\x80\xaf\"]}", "omit[0]", "byte 0xf0 (an overlong encoding)")
REFUSED(surrogate, "{\"omit\": [\"\xed\xa0\x80\"]}", "omit[0]", "byte 0xed (a UTF-16 surrogate")
REFUSED(beyond_10ffff, "{\"omit\": [\"\xf4\x90\x80\x80\"]}", "omit[0]", "byte 0xf4 (a code point beyond U+10FFFF)")
REFUSED(lone_continuation, "{\"omit\": [\"\x80\"]}", "omit[0]", "a continuation byte without a start")
REFUSED(cut_short_inside, "{\"omit\": [\"\xe2\x82\"]}", "omit[0]", "a character cut short")
REFUSED(cut_short_by_the_end, "{\"omit\": [\"\xe2\x82", "omit[0]", "a character cut short by the end of the text")
REFUSED(lone_high_surrogate_escape, "{\"omit\": [\"\\ud800\"]}", "omit[0]", "\\ud800, the first half of a UTF-16 surrogate pair")
REFUSED(high_surrogate_then_other_escape, "{\"omit\": [\"\\ud800\\u0041\"]}", "omit[0]", "without the second")
REFUSED(lone_low_surrogate_escape, "{\"omit\": [\"\\udc00\"]}", "omit[0]", "\\udc00, the second half")
REFUSED(raw_control_character, "{\"omit\": [\"a\tb\"]}", "omit[0]", "the raw control character 0x09")
REFUSED(bad_byte_outside_strings, "{\"omit\": \xff}", "omit", "byte 0xff")
REFUSED(path_of_nested_values, "{\"a\": {\"b\": [1, {\"c\": \"\xff\"}]}}", "a.b[1].c", "byte 0xff")
REFUSED(path_after_a_key_without_value, "{\"a\": 1, \"b\": [\"x\", \"y\", \"\xff\"]}", "b[2]", "byte 0xff")

Test(json_text, position_in_lines_and_columns) {
        JsonTextError e = expect_refused("{\n  \"omit\": [\n    \"\xff\"]}", 24, "omit[0]", "at byte 19 (line 3, column 6)");

        cr_assert_eq(e.offset, 19);
        cr_assert_eq(e.line, 3);
        cr_assert_eq(e.column, 6);
}

Test(json_text, nesting_up_to_the_limit) {
        char text[2 * JSON_MAX_DEPTH + 4];
        size_t n = 0;

        for (unsigned i = 0; i < JSON_MAX_DEPTH; i++)
                text[n++] = '[';
        for (unsigned i = 0; i < JSON_MAX_DEPTH; i++)
                text[n++] = ']';
        expect_ok(text, n);

        memmove(text + 1, text, n);
        text[0] = '[';
        text[++n] = ']';
        n++;
        expect_refused(text, n, "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]", "nest deeper than 16 levels, the limit (JSON_MAX_DEPTH)");
}

Test(json_text, one_line_for_a_request) {
        static const char line[] = "{\"op\": \"policy-set\", \"policy\": {\"rulesets\": [{\"name\": \"ok\\u0000BAD\"}]}}";
        char why[256];

        cr_assert_eq(json_text_check(line, sizeof line - 1, why, sizeof why), -EBADMSG);
        cr_assert(strstr(why, "policy.rulesets[0].name: a string contains \\u0000") == why, "%s", why);
        /* no buffer for the message is fine */
        cr_assert_eq(json_text_check(line, sizeof line - 1, NULL, 0), -EBADMSG);
        /* the length counts, not a NUL: a line cut before the NUL passes */
        cr_assert_eq(json_text_check(line, 10, NULL, 0), 0);
}

Test(json_text, long_key_in_the_path_is_cut_and_bad_bytes_hidden) {
        static const char text[] = "{\"k\xc3\xa9y\": \"\xff\"}";
        JsonTextError e = expect_refused(text, sizeof text - 1, "k??y", "byte 0xff");

        (void) e;
}
