/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Quantities as a policy writes them: sizes ("512M", "1.5G", "10%") and durations ("500ms", "20s",
 * "1h 30min"), parsed from strings, and an Amount resolved against its total.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy_types.h"

/* Resolves an Amount against the total it is a percent of. */
uint64_t amount_resolve(const Amount *a, uint64_t total);

/* Parses "512M", "1.5G", "10%" (if allow_percent), "4096"; a bare number is bytes. 0, -ERANGE for a
 * bare number from 1 to SIZE_BARE_MIN_BYTES - 1 ("5": write "5B" if bytes are meant), or -EINVAL. */
int parse_size(const char *s, bool allow_percent, Amount *ret);
/* True for a bare number of bytes that parse_size() refuses: more than 0, less than SIZE_BARE_MIN_BYTES. */
bool size_bare_too_small(uint64_t bytes);
/* Microseconds in one of the duration units a policy takes ("ms", "min", "hours", "w"...: systemd's
 * time span units up to weeks), the `len` bytes at u; 0 when it is none of them. */
uint64_t duration_unit_usec(const char *u, size_t len, bool ignore_case);

/* Parses "20s", "500ms", "1m", "2h", "100us" and systemd's time spans ("5min", "30sec", "2 m",
 * "1h 30min"); a bare number is seconds. 0 or -EINVAL. */
int parse_duration(const char *s, usec_t *ret);
