/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Figures as a person reads them in logs and messages: "1.5G", "300M", "20s", "500ms". */

#include <stddef.h>

#include "sample.h"

/* Bytes with a binary unit: one decimal below 10 ("1.5G"), none above ("300M"). */
void format_bytes(char *buf, size_t size, double bytes);
/* Two sizes that are compared in one message ("MemAvailable 23.4G < 23.5G"): as format_bytes(), with
 * more decimals, or in bytes, when the two would otherwise print the same. */
void format_bytes_pair(char *a, size_t a_size, char *b, size_t b_size, double x, double y);
/* A duration in the largest unit that divides it: "2m", "20s", "500ms". */
void format_duration(char *buf, size_t size, usec_t usec);
