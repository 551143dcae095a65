/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "log.h"

static int max_level = LOG_INFO;
static bool journal = false;

static const char *const level_names[] = {
        [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit", [LOG_ERR] = "error",
        [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void log_setup(LogTarget target, int level) {
        max_level = level;
        if (target == LOG_TARGET_AUTO)
                /* systemd sets JOURNAL_STREAM when stderr is connected to the journal. */
                journal = getenv("JOURNAL_STREAM") != NULL;
        else
                journal = target == LOG_TARGET_JOURNAL;
}

int log_get_max_level(void) {
        return max_level;
}

bool log_to_journal(void) {
        return journal;
}

int log_level_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        if (strcmp(s, "err") == 0)
                return LOG_ERR;
        for (int i = 0; i < (int) (sizeof(level_names) / sizeof(level_names[0])); i++)
                if (strcmp(s, level_names[i]) == 0)
                        return i;
        if (s[0] >= '0' && s[0] <= '7' && s[1] == 0)
                return s[0] - '0';
        return -EINVAL;
}

int log_internal(int level, int error, const char *file, int line, const char *func, const char *fmt, ...) {
        int e = error < 0 ? -error : error;

        if (level > max_level)
                return -e;

        char msg[2048];
        va_list ap;
        errno = e;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);

        if (journal) {
                char cfile[256], cline[32];
                snprintf(cfile, sizeof cfile, "CODE_FILE=%s", file);
                snprintf(cline, sizeof cline, "CODE_LINE=%d", line);
                sd_journal_send_with_location(cfile, cline, func, "MESSAGE=%s", msg,
                                              "PRIORITY=%d", level, e ? "ERRNO=%d" : NULL, e, NULL);
        } else
                fprintf(stderr, "pressured[%d]: %s: %s\n", (int) getpid(), level_names[level], msg);

        errno = e;
        return -e;
}
