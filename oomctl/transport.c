/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus_client.h"
#include "macro.h"
#include "protocol.h"
#include "transport.h"

DEFINE_POINTER_CLEANUP(cJSON, cJSON_Delete);

struct Transport {
        TransportMode mode;
        const char *socket_path;
        BusClient *bus;          /* connected over the bus, or */
        Client *client;          /* over the socket */
        char bus_problem[1100];  /* why the bus was not used, for a message naming both transports */
        char why[3072];
        char where[4200];
};

Transport *transport_new(TransportMode mode, const char *socket_path) {
        Transport *t = calloc(1, sizeof *t);
        if (!t)
                return NULL;
        t->mode = mode;
        t->socket_path = socket_path;
        return t;
}

Transport *transport_free(Transport *t) {
        if (!t)
                return NULL;
        bus_client_free(t->bus);
        client_free(t->client);
        free(t);
        return NULL;
}

const char *transport_why(const Transport *t) {
        return t->why;
}

bool transport_is_bus(const Transport *t) {
        return t->bus != NULL;
}

const char *transport_where(const Transport *t) {
        return t->where[0] ? t->where : "(not connected)";
}

/* How to start pressured here: systemctl only where systemd runs and a pressured.service exists. */
static const char *start_hint(void) {
        static const char *const unit_paths[] = {
                "/etc/systemd/system/pressured.service", "/run/systemd/system/pressured.service",
                "/usr/local/lib/systemd/system/pressured.service", "/usr/lib/systemd/system/pressured.service",
                "/lib/systemd/system/pressured.service",
        };
        if (access("/run/systemd/system", F_OK) < 0)
                return "start the pressured daemon (this system does not run systemd)";
        for (size_t i = 0; i < ELEMENTSOF(unit_paths); i++)
                if (access(unit_paths[i], F_OK) == 0)
                        return "start it with \"systemctl start pressured\"";
        return "start the pressured daemon (no pressured.service is installed for systemd)";
}

static const char *bus_address(void) {
        const char *a = getenv("DBUS_SYSTEM_BUS_ADDRESS");
        return a && a[0] ? a : PROTOCOL_SYSTEM_BUS_DEFAULT_ADDRESS;
}

/* Opens the bus and checks pressured is on it. 0, or negative errno with t->bus_problem (and t->why,
 * for --bus) filled. */
static int connect_bus(Transport *t) {
        _cleanup_(bus_client_freep) BusClient *b = NULL;
        int r = bus_client_open(&b);
        if (r < 0) {
                snprintf(t->bus_problem, sizeof t->bus_problem, "the system bus at %s cannot be opened: %s", bus_address(),
                         strerror(-r));
                snprintf(t->why, sizeof t->why, "cannot reach pressured: the system bus at %s cannot be opened (%s): is dbus "
                         "running? Without --bus, oomctl also tries pressured's control socket.", bus_address(), strerror(-r));
                return r;
        }
        r = bus_client_pressured_present(b);
        if (r < 0) {
                snprintf(t->bus_problem, sizeof t->bus_problem, "the system bus at %s did not answer: %s", bus_address(),
                         strerror(-r));
                snprintf(t->why, sizeof t->why, "cannot reach pressured: the system bus at %s did not answer (%s): is dbus "
                         "running? Without --bus, oomctl also tries pressured's control socket.", bus_address(), strerror(-r));
                return r;
        }
        if (r == 0) {
                snprintf(t->bus_problem, sizeof t->bus_problem, "nobody owns the name on %s", bus_address());
                snprintf(t->why, sizeof t->why, "pressured is not running: org.pressured.oom1 is not on the system bus (%s). "
                         "To use it, %s; without --bus, oomctl also tries its control socket.",
                         bus_address(), start_hint());
                return -ESRCH;
        }
        t->bus = TAKE_PTR(b);
        snprintf(t->where, sizeof t->where, "on the system bus");
        return 0;
}

/* Connects the socket. 0, or negative errno with t->why filled (naming the bus too when it was tried). */
static int connect_socket(Transport *t) {
        int r = client_connect(t->socket_path, &t->client);
        if (r >= 0) {
                snprintf(t->where, sizeof t->where, "at %s", t->socket_path);
                return 0;
        }
        bool tried_bus = t->mode == TRANSPORT_AUTO;
        if (r == -ENOENT || r == -ECONNREFUSED || r == -ENOTDIR) {
                const char *what = r == -ECONNREFUSED ? "nothing listens on" : "no socket at";
                if (tried_bus)
                        snprintf(t->why, sizeof t->why,
                                 "pressured is not running: org.pressured.oom1 is not on the system bus (%s) and %s does not "
                                 "answer (%s). To use it, %s.", t->bus_problem, t->socket_path,
                                 r == -ECONNREFUSED ? "nothing listens on it" : "no socket there", start_hint());
                else
                        snprintf(t->why, sizeof t->why,
                                 "pressured is not running (%s %s): %s, or point oomctl at its socket with --socket PATH.",
                                 what, t->socket_path, start_hint());
        } else if (r == -EACCES || r == -EPERM)
                snprintf(t->why, sizeof t->why,
                         "cannot connect to pressured at %s: permission denied: the socket or its directory is not open to "
                         "this user; pressured creates it with mode 0666, so check the directory's mode%s%s%s.",
                         t->socket_path, tried_bus ? " (it is not on the system bus either: " : "",
                         tried_bus ? t->bus_problem : "", tried_bus ? ")" : "");
        else
                snprintf(t->why, sizeof t->why, "cannot connect to pressured at %s: %s%s%s%s.", t->socket_path, strerror(-r),
                         tried_bus ? " (it is not on the system bus either: " : "", tried_bus ? t->bus_problem : "",
                         tried_bus ? ")" : "");
        return r;
}

int transport_connect(Transport *t) {
        if (t->bus || t->client)
                return 0;
        if (t->mode != TRANSPORT_SOCKET) {
                int r = connect_bus(t);
                if (r >= 0 || t->mode == TRANSPORT_BUS)
                        return r;
        }
        return connect_socket(t);
}

/* A request that changes nothing may be sent again after the bus lost it. */
static bool op_is_read_only(const cJSON *request) {
        static const char *const read_only[] = { PROTOCOL_OP_STATUS, PROTOCOL_OP_KILL_LIST, PROTOCOL_OP_POLICY_GET,
                                                   PROTOCOL_OP_HISTORY, PROTOCOL_OP_DUMP, PROTOCOL_OP_SUBSCRIBE };
        const char *op = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(request, "op"));
        for (size_t i = 0; op && i < ELEMENTSOF(read_only); i++)
                if (streq(op, read_only[i]))
                        return true;
        return false;
}

/* After a bus call failed with r: whether to try the socket instead (auto mode only). Never-delivered
 * calls (no owner) always may; lost ones only when sending twice is harmless. */
static bool should_fall_back(const Transport *t, int r, const cJSON *request) {
        if (t->mode != TRANSPORT_AUTO)
                return false;
        return r == -ESRCH || ((r == -ECONNRESET || r == -ETIMEDOUT) && op_is_read_only(request));
}

static int fall_back_to_socket(Transport *t, int r, const ClientError *err) {
        snprintf(t->bus_problem, sizeof t->bus_problem, "%s%s%s",
                 r == -ESRCH ? "it left the bus" : r == -ETIMEDOUT ? "it did not answer" : "the bus connection closed",
                 err->message[0] ? ": " : "", err->message);
        t->bus = bus_client_free(t->bus);
        t->where[0] = '\0';
        return connect_socket(t);
}

/* --bus, and pressured left it: say so as transport_connect() would. */
static int bus_gone(Transport *t) {
        snprintf(t->why, sizeof t->why, "pressured is not running: org.pressured.oom1 is not on the system bus (%s). "
                 "To use it, %s; without --bus, oomctl also tries its control socket.", bus_address(), start_hint());
        return -EHOSTUNREACH;
}

int transport_call(Transport *t, const cJSON *request, cJSON **ret_result, ClientError *err) {
        int r = transport_connect(t);
        if (r < 0)
                return -EHOSTUNREACH;
        if (t->bus) {
                r = bus_client_call(t->bus, request, ret_result, err);
                if (r >= 0)
                        return r;
                if (!should_fall_back(t, r, request))
                        return r == -ESRCH ? bus_gone(t) : r;
                if (fall_back_to_socket(t, r, err) < 0)
                        return -EHOSTUNREACH;
                *err = (ClientError) {};
        }
        return client_call(t->client, request, ret_result, err);
}

int transport_subscribe(Transport *t, ClientError *err) {
        int r = transport_connect(t);
        if (r < 0)
                return -EHOSTUNREACH;
        if (t->bus) {
                r = bus_client_subscribe(t->bus);
                if (r >= 0)
                        return 0;
                if (r != -ESRCH)
                        return r;
                if (t->mode != TRANSPORT_AUTO)
                        return bus_gone(t);
                if (fall_back_to_socket(t, r, err) < 0)
                        return -EHOSTUNREACH;
        }

        _cleanup_(cJSON_Deletep) cJSON *request = cJSON_CreateObject();
        cJSON *result = NULL;
        if (!request || !cJSON_AddStringToObject(request, "op", PROTOCOL_OP_SUBSCRIBE))
                return -ENOMEM;
        r = client_call(t->client, request, &result, err);
        cJSON_Delete(result);
        if (r != 0)
                return r;
        return client_wait_forever(t->client);
}

int transport_next_event(Transport *t, cJSON **ret_event, char **ret_raw) {
        *ret_event = NULL;
        *ret_raw = NULL;
        if (t->bus)
                return bus_client_next_event(t->bus, ret_event);
        if (!t->client)
                return -ENOTCONN;
        int r = client_read_line(t->client, ret_raw);
        if (r < 0)
                return r;
        cJSON *ev = cJSON_Parse(*ret_raw);
        if (!cJSON_IsObject(ev)) {
                cJSON_Delete(ev);
                ev = NULL;
        }
        *ret_event = ev;
        return 0;
}
