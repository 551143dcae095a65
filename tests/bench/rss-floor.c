/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench-rss-floor: the memory any daemon built on libsystemd's sd-event and sd-bus costs before it
 * does anything. It opens the default event loop, connects to the system bus (when there is one),
 * attaches the bus to the loop and waits in it until SIGTERM. The cost benchmark measures its peak
 * RSS beside the daemons' (README "Cost"): most of it is the shared libraries' pages that the
 * dynamic loader and the first calls map (libc, libsystemd and the libraries libsystemd needs),
 * not memory of its own.
 *
 *   bench-rss-floor
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

int main(void) {
        sd_event *event = NULL;
        sd_bus *bus = NULL;
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_default(&event);
        if (r < 0) {
                fprintf(stderr, "bench-rss-floor: cannot open an event loop: %s\n", strerror(-r));
                return 1;
        }
        (void) sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        (void) sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
        r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                fprintf(stderr, "bench-rss-floor: no system bus (%s): the event loop alone is measured\n", strerror(-r));
        r = sd_event_loop(event);
        sd_bus_flush_close_unref(bus);
        sd_event_unref(event);
        return r < 0 ? 1 : 0;
}
