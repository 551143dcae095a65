/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The system bus connection, one for the whole daemon: the D-Bus service registers its objects on
 * it, the unit stopper calls PID 1 over it, the annotations follow PID 1's signals on it. It owns the
 * sd_bus (NULL while there is none), the timer that drops a dead connection and tries again every
 * BUS_RECONNECT_USEC, and the hooks that run on every new connection. Who logs what a lost bus
 * means is the D-Bus service's business: this module only connects.
 */

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "policy/sample.h"

/* How often a lost or absent system bus is tried again. dbus-daemon restarts within a second or
 * two; 5 s keeps a host without any bus (containers) from paying more than a connect() now and then. */
#define BUS_RECONNECT_USEC (5 * USEC_PER_SEC)

/* The longest the daemon waits on dbus-daemon for a caller's credentials (the only synchronous
 * calls it makes). sd-bus's default is 25 s; a killer must not stall that long behind a bus that is
 * itself starved of memory. */
#define BUS_CALL_TIMEOUT_USEC (2 * USEC_PER_SEC)

/* PID 1's manager object, which the unit stopper calls and the annotations listen to. */
#define SYSTEMD_SERVICE "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

/* Hooks run on each new connection, in the order they were added. */
#define BUS_MAX_CONNECT_HOOKS 4

typedef struct BusConnection BusConnection;

/* Runs on every new connection, before the connect hooks: registers what the connection must carry.
 * A negative return drops that connection (it is tried again later). */
typedef int (*BusSetup)(sd_bus *bus, void *userdata);
/* Runs on every new connection (and at once if connected now), so that subscriptions to other
 * services (PID 1's signals) are made again after a reconnect. */
typedef void (*BusConnectHook)(sd_bus *bus, void *userdata);

/* A connection object on event loop e; nothing is connected until bus_connection_start(). */
int bus_connection_new(sd_event *e, BusConnection **ret);
/* Closes the connection. Accepts NULL, returns NULL. */
BusConnection *bus_connection_free(BusConnection *c);

/* Where the system bus is: DBUS_SYSTEM_BUS_ADDRESS, else sd-bus's default socket. */
const char *bus_connection_address(void);

/* The one setup step (the D-Bus service's objects and names); NULL fn removes it. */
void bus_connection_set_setup(BusConnection *c, BusSetup fn, void *userdata);
/* -ENOSPC past BUS_MAX_CONNECT_HOOKS. */
int bus_connection_add_connect_hook(BusConnection *c, BusConnectHook fn, void *userdata);

/* Connects now. On failure returns the negative errno (the caller says what that means) and tries
 * again every BUS_RECONNECT_USEC. */
int bus_connection_start(BusConnection *c);

/* Drops the connection `delay` from now (0: at the next loop turn, outside the caller's own
 * callback) and connects again. */
void bus_connection_reconnect(BusConnection *c, usec_t delay);

/* The connection, or NULL while there is none (and for a NULL c). Borrowed: it is replaced after a
 * reconnect, so take a reference to keep it across callbacks. */
sd_bus *bus_connection_get(BusConnection *c);

static inline void bus_connection_freep(BusConnection **c) {
        bus_connection_free(*c);
}
