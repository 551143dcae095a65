/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "policy/macro.h"
#include "policy/protocol.h"
#include "systemd/bus_connection.h"
#include "util/log.h"

struct BusConnection {
        sd_event *event;
        sd_bus *bus;                    /* NULL while there is no bus */
        sd_event_source *reconnect;     /* drops a dead connection and tries again */
        BusSetup setup;
        void *setup_userdata;
        struct {
                BusConnectHook fn;
                void *userdata;
        } hooks[BUS_MAX_CONNECT_HOOKS];
        size_t n_hooks;
};

const char *bus_connection_address(void) {
        const char *a = getenv("DBUS_SYSTEM_BUS_ADDRESS");
        return a && a[0] ? a : PROTOCOL_SYSTEM_BUS_DEFAULT_ADDRESS; /* where sd_bus_open_system() goes */
}

void bus_connection_reconnect(BusConnection *c, usec_t delay) {
        uint64_t now = 0;
        (void) sd_event_now(c->event, CLOCK_MONOTONIC, &now);
        (void) sd_event_source_set_time(c->reconnect, now + delay);
        (void) sd_event_source_set_enabled(c->reconnect, SD_EVENT_ONESHOT);
}

static void bus_drop(BusConnection *c) {
        if (!c->bus)
                return;
        (void) sd_bus_detach_event(c->bus);
        c->bus = sd_bus_flush_close_unref(c->bus);
}

/* Opens the connection, lets the setup register what it carries, and runs the hooks. */
static int bus_connect(BusConnection *c) {
        sd_bus *bus = NULL;
        int r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        (void) sd_bus_set_description(bus, "system-bus");
        (void) sd_bus_set_method_call_timeout(bus, BUS_CALL_TIMEOUT_USEC);

        if (c->setup)
                r = c->setup(bus, c->setup_userdata); /* says which step failed */
        if (r >= 0) {
                r = sd_bus_attach_event(bus, c->event, SD_EVENT_PRIORITY_NORMAL);
                if (r < 0)
                        log_debug_errno(r, "Failed to %s on the system bus: %m", "attach to the event loop");
        }
        if (r < 0) {
                sd_bus_flush_close_unref(bus);
                return r;
        }
        c->bus = bus;
        for (size_t i = 0; i < c->n_hooks; i++)
                c->hooks[i].fn(bus, c->hooks[i].userdata);
        return 0;
}

static int on_reconnect(sd_event_source *s, uint64_t usec, void *userdata) {
        BusConnection *c = userdata;
        bus_drop(c);
        int r = bus_connect(c);
        if (r < 0) {
                log_debug_errno(r, "The system bus at %s is still not there: %m; next try in %" PRIu64 " s",
                                bus_connection_address(), (uint64_t) (BUS_RECONNECT_USEC / USEC_PER_SEC));
                bus_connection_reconnect(c, BUS_RECONNECT_USEC);
        }
        return 0;
}

int bus_connection_new(sd_event *e, BusConnection **ret) {
        BusConnection *c = calloc(1, sizeof *c);
        if (!c)
                return log_oom();
        c->event = sd_event_ref(e);

        int r = sd_event_add_time(e, &c->reconnect, CLOCK_MONOTONIC, UINT64_MAX, 0, on_reconnect, c);
        if (r < 0) {
                bus_connection_free(c);
                return log_error_errno(r, "Failed to set up the D-Bus reconnect timer: %m");
        }
        (void) sd_event_source_set_description(c->reconnect, "bus-reconnect");
        (void) sd_event_source_set_enabled(c->reconnect, SD_EVENT_OFF);
        *ret = c;
        return 0;
}

int bus_connection_start(BusConnection *c) {
        int r = bus_connect(c);
        if (r < 0)
                bus_connection_reconnect(c, BUS_RECONNECT_USEC);
        return r;
}

void bus_connection_set_setup(BusConnection *c, BusSetup fn, void *userdata) {
        if (!c)
                return;
        c->setup = fn;
        c->setup_userdata = userdata;
}

int bus_connection_add_connect_hook(BusConnection *c, BusConnectHook fn, void *userdata) {
        if (!c || !fn)
                return -EINVAL;
        if (c->n_hooks >= ELEMENTSOF(c->hooks))
                return -ENOSPC;
        c->hooks[c->n_hooks].fn = fn;
        c->hooks[c->n_hooks++].userdata = userdata;
        if (c->bus)
                fn(c->bus, userdata);
        return 0;
}

sd_bus *bus_connection_get(BusConnection *c) {
        return c ? c->bus : NULL;
}

BusConnection *bus_connection_free(BusConnection *c) {
        if (!c)
                return NULL;
        bus_drop(c);
        sd_event_source_disable_unref(c->reconnect);
        sd_event_unref(c->event);
        free(c);
        return NULL;
}
