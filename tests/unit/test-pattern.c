/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <errno.h>

#include "pattern.h"
#include "policy.h"

static void valid(const char *glob) {
        const char *reason = "unset";
        int r = pattern_validate(glob, &reason);
        cr_assert_eq(r, 0, "pattern \"%s\" rejected: %s", glob, reason ? reason : "(null)");
        cr_assert_null(reason);
}

static void invalid(const char *glob, const char *phrase) {
        const char *reason = NULL;
        cr_assert_eq(pattern_validate(glob, &reason), -EINVAL, "pattern \"%s\" accepted", glob);
        cr_assert_not_null(reason);
        cr_assert(strstr(reason, phrase), "reason for \"%s\" is \"%s\", expected it to mention \"%s\"", glob, reason, phrase);
}

Test(pattern, valid_globs) {
        valid("/");
        valid("/*");
        valid("/user.slice/*");
        valid("/system.slice/foo.service");
        valid("/user.slice/user-[0-9]*.slice/*");
        valid("/a/[!b]*");
        valid("/a/[]x]");          /* ']' first in a bracket is literal */
        valid("/a/[[:digit:]]");
        valid("/a/\\[literal\\]");
        valid("/a/..b");           /* ".." inside a name is fine */
        valid("/a/.hidden");
        valid("firefox");
        valid("Web Content");
        valid("kworker/0:1");      /* comm may contain '/' when not leading */
        valid("systemd-journal");  /* exactly 15 characters */
        valid("a-very-long-name-with-star*");  /* globs may be longer than 15 */
        valid("*");
        valid("?");
}

Test(pattern, invalid_globs) {
        invalid("", "empty");
        invalid(NULL, "empty");
        invalid("/a/[bc", "unbalanced '['");
        invalid("fire[fox", "unbalanced '['");
        invalid("/a/[[:digit:]", "unbalanced '['");
        invalid("/a/[[:digit]", "unbalanced '['");
        invalid("/a/b]", "unbalanced ']'");
        invalid("/a/b\\", "backslash");
        invalid("/a/", "trailing slash");
        invalid("/user.slice//x", "\"//\"");
        invalid("//", "trailing slash");
        invalid("/a/../b", "\"..\"");
        invalid("/a/./b", "\"..\"");
        invalid("/a/..", "\"..\"");
        invalid("/a/.", "\"..\"");
        invalid("/..", "\"..\"");
        invalid("systemd-journald", "15 characters");
        invalid("a-very-long-literal-name", "15 characters");
}

static Pattern pat(const char *glob) {
        return (Pattern) { .glob = (char *) glob, .is_path = glob[0] == '/' };
}

Test(pattern, path_match) {
        Pattern root = pat("/"), top = pat("/*"), user = pat("/user.slice/*"), svc = pat("/system.slice/foo.service");

        cr_assert(pattern_match(&root, "/", NULL));
        cr_assert_not(pattern_match(&root, "/user.slice", NULL));
        cr_assert(pattern_match(&top, "/user.slice", NULL));
        cr_assert_not(pattern_match(&top, "/user.slice/user-1000.slice", NULL), "'*' must not cross '/'");
        cr_assert(pattern_match(&user, "/user.slice/user-1000.slice", NULL));
        cr_assert_not(pattern_match(&user, "/user.slice", NULL));
        cr_assert(pattern_match(&svc, "/system.slice/foo.service", NULL));
        cr_assert_not(pattern_match(&svc, "/system.slice/foo.service/bar", NULL));
        cr_assert_not(pattern_match(&svc, NULL, "foo.service"), "a path pattern never matches a comm");
        cr_assert_not(pattern_match(&top, NULL, NULL));
}

Test(pattern, name_match) {
        Pattern ff = pat("firefox*"), exact = pat("sshd"), cls = pat("chrom[ei]*");

        cr_assert(pattern_match(&ff, NULL, "firefox"));
        cr_assert(pattern_match(&ff, "/x", "firefox-bin"));
        cr_assert_not(pattern_match(&ff, "/firefox", NULL), "a name pattern never matches a path");
        cr_assert(pattern_match(&exact, NULL, "sshd"));
        cr_assert_not(pattern_match(&exact, NULL, "sshd-session"));
        cr_assert(pattern_match(&cls, NULL, "chrome"));
        cr_assert(pattern_match(&cls, NULL, "chromium"));
        cr_assert_not(pattern_match(&cls, NULL, "chromx"));
        cr_assert_not(pattern_match(NULL, "/", "x"));
}

Test(pattern, list_match_and_ownership) {
        PatternList l = {}, copy = {};

        cr_assert_not(pattern_list_match(&l, "/", "x"), "an empty list matches nothing");
        cr_assert_not(pattern_list_match(NULL, "/", "x"));
        cr_assert_eq(pattern_list_add(&l, "/system.slice/*"), 0);
        cr_assert_eq(pattern_list_add(&l, "sshd"), 0);
        cr_assert_eq(l.n, 2);
        cr_assert(l.items[0].is_path);
        cr_assert_not(l.items[1].is_path);
        cr_assert(pattern_list_match(&l, "/system.slice/ssh.service", NULL));
        cr_assert(pattern_list_match(&l, "/user.slice", "sshd"));
        cr_assert_not(pattern_list_match(&l, "/user.slice", "bash"));

        cr_assert_eq(pattern_list_copy(&copy, &l), 0);
        pattern_list_clear(&l);
        cr_assert_eq(l.n, 0);
        cr_assert_null(l.items);
        cr_assert_eq(copy.n, 2);
        cr_assert_str_eq(copy.items[1].glob, "sshd");
        cr_assert(pattern_list_match(&copy, NULL, "sshd"));
        pattern_list_clear(&copy);
        pattern_list_clear(&copy);  /* clearing twice is harmless */
}
