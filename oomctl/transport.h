/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The seam between oomctl's commands and the way they reach pressured. A command builds one
 * control-socket request ({"op": ...}) and gets the socket's JSON result back, whether the system bus
 * (bus_client.c) or the control socket (client.c) carried it; the commands never know which.
 *
 * TRANSPORT_AUTO tries the bus first and falls back to the socket, silently, when the bus cannot be
 * opened or org.pressured.oom1 is not on it (also when it leaves the bus before answering a read-only
 * request; a change is not sent twice, since the first may have been carried out).
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "client.h"

typedef enum TransportMode {
        TRANSPORT_AUTO,    /* the bus, else the socket */
        TRANSPORT_SOCKET,  /* --socket PATH */
        TRANSPORT_BUS,     /* --bus */
} TransportMode;

typedef struct Transport Transport;

/* A transport that connects on first use. socket_path is borrowed. NULL on ENOMEM. */
Transport *transport_new(TransportMode mode, const char *socket_path);
/* Closes whatever is open; accepts NULL; returns NULL. */
Transport *transport_free(Transport *t);

static inline void transport_freep(Transport **t) {
        transport_free(*t);
}

/* Connects. 0, or negative errno with transport_why() saying, in one sentence for the admin, why
 * pressured cannot be reached and what to do. */
int transport_connect(Transport *t);
/* The last connection failure, a full sentence. */
const char *transport_why(const Transport *t);
/* Whether requests go over the bus (after transport_connect()). */
bool transport_is_bus(const Transport *t);
/* Where pressured was reached, for messages: "on the system bus" or "at /run/pressured/control.sock". */
const char *transport_where(const Transport *t);

/* Sends one request (connecting if needed). "policy-set" hands its document over in a sealed memfd on
 * either transport (SetPolicyFromFd on the bus). client_call()'s contract: 0 with *ret_result, 1 with *err
 * filled (the daemon refused), negative errno when pressured could not be reached or did not answer
 * (-EHOSTUNREACH: not connected, see transport_why()). */
int transport_call(Transport *t, const cJSON *request, cJSON **ret_result, ClientError *err);

/* Subscribes to events (the socket's "subscribe", or the bus's signals). Same contract as transport_call(). */
int transport_subscribe(Transport *t, ClientError *err);
/* Waits for the next event. 0 with *ret_event (the event object, NULL when the line was not JSON) and,
 * from the socket, *ret_raw (the line as received, else NULL); both owned by the caller.
 * Negative errno when the stream ended (pressured stopped, or the bus connection closed). */
int transport_next_event(Transport *t, cJSON **ret_event, char **ret_raw);
