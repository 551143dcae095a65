/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The control socket (DESIGN.md section 6, protocol in README "Control socket"): AF_UNIX stream,
 * one JSON object per line each way, the caller known by SO_PEERCRED. Every request goes to the
 * operations layer (operations.h); subscribers get events. Nothing here blocks: each connection
 * has a bounded read buffer (one 64 KiB line) and a bounded write queue (1 MiB, then it is dropped).
 */

#include <cjson/cJSON.h>
#include <systemd/sd-event.h>

#include "manager.h"

/* The longest request line, without its '\n'; longer ones get "too-large" and the connection closes. */
#define CONTROL_LINE_MAX 65536
/* What may wait unsent for one client; past it the client is dropped (a subscriber that stopped reading). */
#define CONTROL_QUEUE_MAX (1024 * 1024)
/* Open connections beyond this are refused at once, so clients cannot take every fd the killer needs. */
#define CONTROL_CONNECTIONS_MAX 1024

typedef struct ControlSocket ControlSocket;

/* Binds `path` (mode 0666; a stale file is replaced) and serves it on event loop e. Logs its errors. */
int control_socket_new(Manager *m, sd_event *e, const char *path, ControlSocket **ret);
/* Closes every connection and removes the socket file. Accepts NULL, returns NULL. */
ControlSocket *control_socket_free(ControlSocket *s);

/* Sends `event` (borrowed) as one line to every subscriber; drops those whose queue is full. */
void control_socket_broadcast(ControlSocket *s, const cJSON *event);

static inline void control_socket_freep(ControlSocket **s) {
        control_socket_free(*s);
}
