/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "util/log.h"

static int max_level = LOG_INFO;
static bool journal = false;

static const char *const level_names[] = {
        [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit", [LOG_ERR] = "error",
        [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

/* Where sd_journal_send() writes; without it every entry would be lost without a word. */
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static bool journal_socket_exists(void) {
        struct stat st;
        return stat(JOURNAL_SOCKET, &st) == 0 && S_ISSOCK(st.st_mode);
}

static void log_say_no_journal(const char *why, const char *what_now) {
        fprintf(stderr, "pressured[%d]: warning: Cannot log to the journal (%s); %s\n", (int) getpid(), why, what_now);
}

void log_setup(LogTarget target, int level) {
        max_level = level;
        if (target == LOG_TARGET_AUTO)
                /* systemd sets JOURNAL_STREAM when stderr is connected to the journal; standard error
                 * reaches the journal then anyway, so a missing socket needs no word. */
                journal = getenv("JOURNAL_STREAM") != NULL && journal_socket_exists();
        else {
                journal = target == LOG_TARGET_JOURNAL;
                if (journal && !journal_socket_exists()) {
                        journal = false;
                        log_say_no_journal(JOURNAL_SOCKET " does not exist: is systemd-journald running?",
                                           "logging to standard error instead");
                }
        }
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
                int r = sd_journal_send_with_location(cfile, cline, func, "MESSAGE=%s", msg,
                                                      "PRIORITY=%d", level, e ? "ERRNO=%d" : NULL, e, NULL);
                if (r >= 0) {
                        errno = e;
                        return -e;
                }
                /* A journald that restarts refuses for a moment: each entry it refuses goes to
                 * standard error, and the first says why. */
                static bool said;
                if (!said) {
                        char why[160];
                        snprintf(why, sizeof why, "sending to " JOURNAL_SOCKET " failed: %s", strerror(-r));
                        log_say_no_journal(why, "this entry and each one the journal refuses go to standard error");
                        said = true;
                }
        }
        fprintf(stderr, "pressured[%d]: %s: %s\n", (int) getpid(), level_names[level], msg);
        errno = e;
        return -e;
}
