/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/macro.h"
#include "record/state_files.h"

int mkdir_p(const char *path, mode_t mode) {
        char tmp[4096];
        if (snprintf(tmp, sizeof tmp, "%s", path) >= (int) sizeof tmp)
                return -ENAMETOOLONG;
        for (char *p = tmp + 1; *p; p++)
                if (*p == '/') {
                        *p = 0;
                        if (mkdir(tmp, mode) < 0 && errno != EEXIST)
                                return -errno;
                        *p = '/';
                }
        if (mkdir(tmp, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

/* Writes text to DIR/NAME through a temp file, fsync and rename, so readers never see half a file. */
int write_file_atomic(const char *dir, const char *name, const char *text) {
        char path[4096], tmp[4096];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        size_t len = strlen(text);
        if (write(fd, text, len) != (ssize_t) len || fsync(fd) < 0) {
                int r = errno ? -errno : -EIO;
                unlink(tmp);
                return r;
        }
        if (rename(tmp, path) < 0) {
                int r = -errno;
                unlink(tmp);
                return r;
        }
        return 0;
}
