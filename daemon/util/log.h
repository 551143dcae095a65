/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Logging. To the journal when stderr is a journal stream (JOURNAL_STREAM) or --log-target=journal,
 * otherwise to stderr as "pressured[PID]: <level>: message". Without a journal socket (no journald)
 * --log-target=journal logs to stderr, and says so once there; an entry the journal refuses goes to
 * stderr too. The *_errno variants set errno for %m
 * and return the negative error, so a caller can `return log_error_errno(r, "Failed to ...: %m");`.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

typedef enum LogTarget { LOG_TARGET_AUTO, LOG_TARGET_STDERR, LOG_TARGET_JOURNAL } LogTarget;

void log_setup(LogTarget target, int max_level);
int log_get_max_level(void);
/* Parses "debug", "info", "notice", "warning", "err"/"error", "crit" or 0..7. -EINVAL otherwise. */
int log_level_from_string(const char *s);
bool log_to_journal(void);

int log_internal(int level, int error, const char *file, int line, const char *func, const char *fmt, ...)
        __attribute__((format(printf, 6, 7)));

#define log_full_errno(level, error, ...) \
        log_internal((level), (error), __FILE__, __LINE__, __func__, __VA_ARGS__)

#define log_debug(...)   log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...)    log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...)  log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...)   log_full_errno(LOG_ERR, 0, __VA_ARGS__)

#define log_debug_errno(e, ...)   log_full_errno(LOG_DEBUG, (e), __VA_ARGS__)
#define log_info_errno(e, ...)    log_full_errno(LOG_INFO, (e), __VA_ARGS__)
#define log_notice_errno(e, ...)  log_full_errno(LOG_NOTICE, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...)   log_full_errno(LOG_ERR, (e), __VA_ARGS__)

#define log_oom() log_error_errno(ENOMEM, "Out of memory.")
