/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The control socket (protocol in README "Control socket and oomctl"): AF_UNIX stream,
 * one JSON object per line each way, the caller known by SO_PEERCRED. Every request goes to the
 * operations layer (operations.h); subscribers get events.
 *
 * Any local user may connect, so nothing a client does may delay a decision or make the daemon
 * (whose memory is locked) grow without bound:
 * - its sources run at idle priority: a due sample, a PSI trigger or a stop's reply always goes first;
 * - a connection is served at most CONTROL_REQUESTS_PER_TURN requests per loop turn, round robin,
 *   and all clients together at most CONTROL_BUDGET_USEC of each CONTROL_BUDGET_WINDOW_USEC;
 * - while CONTROL_QUEUE_PAUSE of replies wait unsent for a client, its further requests wait too;
 * - what a connection holds (read buffer and unsent replies and events) is counted against its own,
 *   its uid's and the total ceilings below; a client that would pass one is dropped, with a reason logged.
 */

#include <cjson/cJSON.h>
#include <systemd/sd-event.h>

#include "policy/policy_limits.h"
#include "core/events.h"
#include "core/manager.h"

/* CONTROL_LINE_MAX, the longest request line, is in policy_limits.h: oomctl knows it too. */
/* CONTROL_PASSED_FDS_MAX, the descriptors held at once, is in op_table.h with the states of a passed one. */
/* What one connection may hold. A history reply of 1000 entries is about 450 KiB. */
#define CONTROL_CONNECTION_MEMORY_MAX (1024 * 1024)
/* What one of root's connections may hold: the reply to `policy-get` for a policy at POLICY_MAX_BYTES,
 * every default written out and each ruleset's source named, is under 4 MiB. Root's connections are
 * bound by this and by their count alone, so the admin is served whatever the policy's size. */
#define CONTROL_ROOT_CONNECTION_MEMORY_MAX (8 * 1024 * 1024)
/* What all of root's connections may hold together: two such replies at once, and more. */
#define CONTROL_ROOT_MEMORY_MAX (16 * 1024 * 1024)
/* What all connections of one uid (but root) may hold together. */
#define CONTROL_UID_MEMORY_MAX (2 * 1024 * 1024)
/* What the connections of all users but root may hold together. Root is not counted here, so the
 * admin's oomctl is served whatever others do: the socket's buffers never pass this plus
 * CONTROL_UID_MEMORY_MAX, plus about 0.6 KiB of bookkeeping per open connection. */
#define CONTROL_MEMORY_MAX (4 * 1024 * 1024)
/* While this much waits unsent for a client, its next requests wait: it asks faster than it reads. */
#define CONTROL_QUEUE_PAUSE (64 * 1024)
/* Open connections beyond this are refused at once, so clients cannot take every fd the killer needs. */
#define CONTROL_CONNECTIONS_MAX 1024
/* Open connections of one uid beyond this are refused: one user cannot take them all. */
#define CONTROL_CONNECTIONS_PER_UID_MAX 32
/* Requests answered for one connection before the loop turns (and other clients get theirs). */
#define CONTROL_REQUESTS_PER_TURN 8
/* The time all clients' requests may take together in each window; past it they wait for the next
 * window, so a flood of requests costs the machine at most a fifth of one CPU. */
#define CONTROL_BUDGET_USEC (200 * USEC_PER_MSEC)
#define CONTROL_BUDGET_WINDOW_USEC USEC_PER_SEC

typedef struct ControlSocket ControlSocket;

/* Binds `path` (mode 0666; a stale file is replaced) and serves it on event loop e. Logs its errors. */
int control_socket_new(Manager *m, sd_event *e, const char *path, ControlSocket **ret);
/* Closes every connection and removes the socket file. Accepts NULL, returns NULL. */
ControlSocket *control_socket_free(ControlSocket *s);

/* Sends event e as one JSON line (event_to_json()) to every subscriber; drops those whose queue is
 * full. Events without a JSON form are not sent. */
void control_socket_broadcast(ControlSocket *s, const Event *e);

static inline void control_socket_freep(ControlSocket **s) {
        control_socket_free(*s);
}
