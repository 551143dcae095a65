/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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

void format_bytes_pair(char *a, size_t a_size, char *b, size_t b_size, double x, double y) {
        static const char units[] = "KMGTPE";
        format_bytes(a, a_size, x);
        format_bytes(b, b_size, y);
        if (x == y || strcmp(a, b) != 0)
                return;
        /* Rounded alike ("23G < 23G"): more decimals in the larger one's unit until they differ. */
        double big = x > y ? x : y, scale = 1;
        int u = -1;
        while (big >= 1024.0 && u + 1 < (int) sizeof(units) - 1) {
                big /= 1024.0;
                scale *= 1024.0;
                u++;
        }
        for (int decimals = 1; u >= 0 && decimals <= 3; decimals++) {
                snprintf(a, a_size, "%.*f%c", decimals, x / scale, units[u]);
                snprintf(b, b_size, "%.*f%c", decimals, y / scale, units[u]);
                if (strcmp(a, b) != 0)
                        return;
        }
        snprintf(a, a_size, "%.0fB", x);
        snprintf(b, b_size, "%.0fB", y);
}

void format_duration(char *buf, size_t size, usec_t usec) {
        if (usec % USEC_PER_SEC != 0)
                snprintf(buf, size, "%" PRIu64 "ms", usec / USEC_PER_MSEC);
        else if (usec >= 60 * USEC_PER_SEC && usec % (60 * USEC_PER_SEC) == 0)
                snprintf(buf, size, "%" PRIu64 "m", usec / (60 * USEC_PER_SEC));
        else
                snprintf(buf, size, "%" PRIu64 "s", usec / USEC_PER_SEC);
}
