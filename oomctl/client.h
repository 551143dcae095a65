/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The control-socket client: one JSON object per line each way (protocol v1, README "Control socket and oomctl").
 * Connects, sends a request, reads its reply; for "subscribe", keeps reading event lines.
 */

#include <cjson/cJSON.h>
#include <stdio.h>

/* How long a request may wait for its reply before oomctl gives up (monitor waits forever). */
#define CLIENT_REPLY_TIMEOUT_SEC 30

typedef struct Client Client;

/* What went wrong with a request that the daemon answered with "ok": false. */
typedef struct ClientError {
        char code[32];       /* "permission-denied", "invalid-policy", ...; "" when not the daemon's answer */
        char message[1024];
        char path[256];      /* JSON path, for invalid-policy */
} ClientError;

/* Connects to the socket. 0, or the negative errno of socket()/connect() (-ENOENT, -ECONNREFUSED, -EACCES...). */
int client_connect(const char *socket_path, Client **ret);
/* Closes the connection; accepts NULL; returns NULL. */
Client *client_free(Client *c);

static inline void client_freep(Client **c) {
        client_free(*c);
}

/* Sends `request` (an object with "op") and waits for its reply. A "policy-set" with "policy" goes
 * as {"op": "policy-set", "policy_fd": true, ...} with the document in a sealed memfd passed along
 * (SCM_RIGHTS), so a policy of any size up to POLICY_MAX_BYTES fits, not only CONTROL_LINE_MAX. Returns 0 with *ret_result (a new
 * cJSON, owned by the caller) when the daemon said ok; 1 with *err filled when it refused; negative
 * errno when the connection failed (-ECONNRESET when it closed, -ETIMEDOUT, -EBADMSG for a reply
 * that is not a protocol object). */
int client_call(Client *c, const cJSON *request, cJSON **ret_result, ClientError *err);

/* Reads the next line (an event after "subscribe"), without its newline, malloc'd. Blocks.
 * Returns 0 with *ret, -ECONNRESET at end of stream, other negative errno on failure. */
int client_read_line(Client *c, char **ret);

/* Stops the reply timeout (for a subscription that waits indefinitely). */
int client_wait_forever(Client *c);
