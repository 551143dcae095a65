/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The times oomctl's --since and --until take, as journalctl spells them, in local time:
 *
 *   now, today, yesterday, tomorrow          (the last three at 00:00)
 *   2026-12-06, 2026-12-06 10:00, 2026-12-06 10:00:30, 10:00 (today)
 *   -1d, +1h, "2h ago", "1h 30min ago"        (relative to now; units us ms s min m h d w)
 *   1700000000, @1700000000                   (unix seconds)
 *
 * A pure function of its arguments and the TZ environment: tests pass a fixed now.
 */

#include <stdint.h>

#include "sample.h"

/* Parses s to CLOCK_REALTIME microseconds. 0, or -EINVAL when s is none of the forms above
 * (or -ERANGE when it is outside what a time can hold). */
int parse_timespec(const char *s, usec_t now_usec, usec_t *ret);
