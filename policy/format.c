/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "format.h"

void format_bytes(char *buf, size_t size, double bytes) {
        static const char units[] = "KMGTPE";
        double v = bytes;
        int u = -1;

        while (v >= 1024.0 && u + 1 < (int) sizeof(units) - 1) {
                v /= 1024.0;
                u++;
        }
        if (u < 0)
                snprintf(buf, size, "%.0fB", bytes);
        else
                snprintf(buf, size, v < 10.0 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

void format_duration(char *buf, size_t size, usec_t usec) {
        if (usec % USEC_PER_SEC != 0)
                snprintf(buf, size, "%" PRIu64 "ms", usec / USEC_PER_MSEC);
        else if (usec >= 60 * USEC_PER_SEC && usec % (60 * USEC_PER_SEC) == 0)
                snprintf(buf, size, "%" PRIu64 "m", usec / (60 * USEC_PER_SEC));
        else
                snprintf(buf, size, "%" PRIu64 "s", usec / USEC_PER_SEC);
}
