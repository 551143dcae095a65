/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Globs in a policy. A pattern starting with '/' is a cgroup path glob (relative to the cgroup2
 * mount, FNM_PATHNAME so that a "*" never crosses a "/"); any other pattern is a process name glob.
 * Validation is stricter than fnmatch(3), which quietly treats a lone '[' as a literal: a glob
 * that could never match what its author meant is an error at load time, not a silent no-op.
 */

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "pattern.h"

bool pattern_match(const Pattern *p, const char *cgroup_path, const char *comm) {
        if (!p || !p->glob)
                return false;
        if (p->is_path)
                return cgroup_path && fnmatch(p->glob, cgroup_path, FNM_PATHNAME) == 0;
        return comm && fnmatch(p->glob, comm, 0) == 0;
}

bool pattern_list_match(const PatternList *l, const char *cgroup_path, const char *comm) {
        if (!l)
                return false;
        for (size_t i = 0; i < l->n; i++)
                if (pattern_match(&l->items[i], cgroup_path, comm))
                        return true;
        return false;
}

/* Skips a bracket expression starting at s (just past '['). Returns the position after its ']',
 * or NULL when it is not closed. Follows fnmatch(3): a leading '!' or '^' negates, a ']' right
 * after that is a literal, and "[:class:]" may appear inside. */
static const char *skip_bracket(const char *s) {
        if (*s == '!' || *s == '^')
                s++;
        if (*s == ']')
                s++;
        while (*s && *s != ']') {
                if (s[0] == '[' && s[1] == ':') {
                        const char *end = strstr(s + 2, ":]");
                        if (!end)
                                return NULL;
                        s = end + 2;
                        continue;
                }
                if (*s == '\\' && s[1])
                        s++;
                s++;
        }
        return *s == ']' ? s + 1 : NULL;
}

int pattern_validate(const char *glob, const char **reason) {
        const char *dummy;
        size_t literal_len = 0;
        bool wildcard = false;

        if (!reason)
                reason = &dummy;
        if (!glob || !*glob) {
                *reason = "a pattern must not be empty; use \"/\" for the root cgroup or \"*\" for any process";
                return -EINVAL;
        }

        for (const char *s = glob; *s;) {
                switch (*s) {
                case '\\':
                        if (!s[1]) {
                                *reason = "the pattern ends with a lone backslash; write \\\\ for a literal backslash";
                                return -EINVAL;
                        }
                        s += 2;
                        literal_len++;
                        break;
                case '[':
                        s = skip_bracket(s + 1);
                        if (!s) {
                                *reason = "unbalanced '[' in the pattern; close the bracket expression or write \\[ for a literal bracket";
                                return -EINVAL;
                        }
                        wildcard = true;
                        break;
                case ']':
                        *reason = "unbalanced ']' in the pattern; write \\] for a literal bracket";
                        return -EINVAL;
                case '*':
                case '?':
                        wildcard = true;
                        s++;
                        break;
                default:
                        s++;
                        literal_len++;
                }
        }

        if (glob[0] == '/') {
                size_t len = strlen(glob);

                if (len > 1 && glob[len - 1] == '/') {
                        *reason = "a cgroup path pattern must not end with '/' (only the root \"/\" does); remove the trailing slash";
                        return -EINVAL;
                }
                if (strstr(glob, "//")) {
                        *reason = "a cgroup path pattern must not contain \"//\"; write single slashes";
                        return -EINVAL;
                }
                if (strstr(glob, "/../") || strstr(glob, "/./") ||
                    (len >= 3 && streq(glob + len - 3, "/..")) || (len >= 2 && streq(glob + len - 2, "/."))) {
                        *reason = "a cgroup path pattern must not contain \".\" or \"..\" components; write the path from the cgroup2 root, e.g. \"/system.slice/foo.service\"";
                        return -EINVAL;
                }
        } else if (!wildcard && literal_len > COMM_LEN_MAX) {
                /* the kernel truncates comm to 15 characters, so this name would never match */
                *reason = "a process name has at most 15 characters (the kernel truncates longer names); use the first 15 characters, add a '*', or match the cgroup path instead";
                return -EINVAL;
        }

        *reason = NULL;
        return 0;
}

int pattern_list_add(PatternList *l, const char *glob) {
        Pattern *items;
        char *copy;

        copy = strdup(glob);
        if (!copy)
                return -ENOMEM;
        items = realloc(l->items, (l->n + 1) * sizeof(Pattern));
        if (!items) {
                free(copy);
                return -ENOMEM;
        }
        l->items = items;
        l->items[l->n++] = (Pattern) { .glob = copy, .is_path = glob[0] == '/' };
        return 0;
}

int pattern_children_parent(const char *glob, char **ret) {
        size_t n = strlen(glob);

        *ret = NULL;
        if (glob[0] != '/' || n < 4 || !streq(glob + n - 2, "/*")) /* four characters at the least: a slash, a name, a slash, a star */
                return 0;
        if (strcspn(glob, "*?[\\") != n - 1) /* a glob character before the last "*" */
                return 0;
        *ret = strndup(glob, n - 2);
        return *ret ? 1 : -ENOMEM;
}

int pattern_list_copy(PatternList *dst, const PatternList *src) {
        PatternList l = {};

        for (size_t i = 0; i < src->n; i++)
                if (pattern_list_add(&l, src->items[i].glob) < 0) {
                        pattern_list_clear(&l);
                        return -ENOMEM;
                }
        *dst = l;
        return 0;
}

void pattern_list_clear(PatternList *l) {
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i].glob);
        free(l->items);
        *l = (PatternList) {};
}
