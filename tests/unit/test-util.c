/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "test-util.h"

void path_at(char *out, size_t size, const char *dir, const char *rel) {
        int n = snprintf(out, size, "%s%s%s", dir, rel[0] ? "/" : "", rel);

        cr_assert(n >= 0 && (size_t) n < size, "path %s/%s does not fit in %zu bytes", dir, rel, size);
}

void tmpdir_new(char *out, size_t size, const char *name) {
        int n = snprintf(out, size, "/tmp/%s-XXXXXX", name);

        cr_assert(n >= 0 && (size_t) n < size, "temp dir name for %s does not fit in %zu bytes", name, size);
        cr_assert_not_null(mkdtemp(out), "cannot create temp dir %s: %m", out);
}

void write_at(const char *dir, const char *rel, const char *text) {
        char path[PATH_MAX];
        FILE *f;

        path_at(path, sizeof path, dir, rel);
        f = fopen(path, "we");
        cr_assert_not_null(f, "cannot create %s: %m", path);
        fputs(text, f);
        cr_assert_eq(fclose(f), 0, "cannot write %s: %m", path);
}

void mkdir_at(const char *dir, const char *rel) {
        char path[PATH_MAX];

        path_at(path, sizeof path, dir, rel);
        cr_assert_eq(mkdir(path, 0755), 0, "mkdir %s: %m", path);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

void rm_rf_at(const char *dir, const char *rel) {
        char path[PATH_MAX];
        int r;

        path_at(path, sizeof path, dir, rel);
        /* depth first, so that a directory is empty when its turn comes */
        r = nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        cr_assert(r == 0 || errno == ENOENT, "cannot remove %s: %m", path);
}
