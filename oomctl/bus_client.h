/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The D-Bus client of pressured (org.pressured.oom1 on the system bus; contract in
 * dbus/org.pressured.oom1.Manager.xml). It speaks the same requests as the control socket
 * ({"op": ...}, README "Control socket and oomctl"): each op is mapped to its method, and the typed reply is turned
 * back into exactly the JSON result the socket gives, so oomctl prints the same whichever answered.
 * Signals are turned into the socket's event objects the same way.
 */

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "client.h"

/* The service's names are policy/protocol.h's, shared with the daemon. */

/* The memfd of Dump is read up to this much; the daemon's dump is a few KiB per hundred cgroups. */
#define BUS_DUMP_MAX_BYTES (16u * 1024 * 1024)
/* After pressured's name goes, how long a monitor waits to see whether the bus connection closes
 * too (the bus daemon stopping drops the names first): long enough for the local socket to report
 * the hang-up, short enough not to be noticed. */
#define BUS_LEAVE_SETTLE_USEC (200u * 1000)

typedef struct BusClient BusClient;

/* Opens the system bus (sd_bus_open_system: DBUS_SYSTEM_BUS_ADDRESS, else /run/dbus/system_bus_socket).
 * 0, or the negative errno of the connection (-ENOENT when there is no system bus). */
int bus_client_open(BusClient **ret);
/* Closes the connection; accepts NULL; returns NULL. */
BusClient *bus_client_free(BusClient *b);

static inline void bus_client_freep(BusClient **b) {
        bus_client_free(*b);
}

/* Whether org.pressured.oom1 has an owner: 1 yes, 0 no, negative errno when the bus did not answer. */
int bus_client_pressured_present(BusClient *b);

/* Runs one control-socket request over the bus. Same contract as client_call(): 0 with *ret_result,
 * 1 with *err filled (the daemon or the bus policy refused; err->code as on the socket), or negative:
 * -ESRCH pressured is not on the bus (ServiceUnknown, NameHasNoOwner), -ECONNRESET the bus connection
 * closed (Disconnected), -ETIMEDOUT no reply (NoReply), -EBADMSG a reply not shaped as the contract
 * says, -EOPNOTSUPP an op with no method. On a negative return err->message holds the bus's words, if any. */
int bus_client_call(BusClient *b, const cJSON *request, cJSON **ret_result, ClientError *err);

/* Subscribes to pressured's signals (and to it leaving the bus). 0 or negative errno. */
int bus_client_subscribe(BusClient *b);
/* Waits for the next signal and returns it as the control socket's event object (*ret, caller frees).
 * 0, -ESRCH when pressured left the bus, -ECONNRESET when the bus connection closed, other negative errno. */
int bus_client_next_event(BusClient *b, cJSON **ret);
