/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A privileged request from a caller who may not make it is refused once, in one place, whatever
 * the transport: uid 65534 asking over the control socket and over D-Bus gets the same refusal,
 * word for word, before any of its arguments is looked at, and the socket answers it with exactly
 * one reply line.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "bus-util.h"

#define REFUSAL "set-dry-run needs root, and the caller is uid 65534: run oomctl as root (sudo oomctl ...), or name " \
                "a group in the policy's \"admin_group\""

/* Sends lines (each ending in '\n') on a new connection to the control socket and reads n reply
 * lines, parsed, into out (the caller frees them). */
static int socket_exchange(const char *lines, cJSON **out, size_t n) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", fx.sock_path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return -errno;
        if (write(fd, lines, strlen(lines)) != (ssize_t) strlen(lines)) {
                close(fd);
                return -EIO;
        }
        FILE *f = fdopen(fd, "r");
        char *line = NULL;
        size_t cap = 0;
        for (size_t i = 0; i < n; i++) {
                if (getline(&line, &cap, f) < 0) {
                        free(line);
                        fclose(f);
                        return -EPIPE;
                }
                out[i] = cJSON_Parse(line);
        }
        free(line);
        fclose(f);
        return 0;
}

static const char *error_message(const cJSON *reply, const char *code) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(reply, "error");
        if (!cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(reply, "ok")) ||
            strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code")) ?: "", code) != 0)
                return NULL;
        return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
}

/* In the child, as uid 65534. */
static int child_both_transports(void *userdata) {
        cJSON *r[3] = {};
        /* set-dry-run with a bad argument, a kill without its target, then a status: the first two are
         * refused for who asks, not for what, and each request gets one reply, in order. */
        int k = socket_exchange("{\"id\": 1, \"op\": \"set-dry-run\", \"dry_run\": \"yes\"}\n"
                                "{\"id\": 2, \"op\": \"kill\"}\n"
                                "{\"id\": 3, \"op\": \"status\"}\n", r, 3);
        if (k < 0) {
                fprintf(stderr, "control socket %s: %s\n", fx.sock_path, strerror(-k));
                return 1;
        }
        const char *sock_msg = error_message(r[0], "permission-denied");
        if (!sock_msg || strcmp(sock_msg, REFUSAL) != 0) {
                fprintf(stderr, "socket refusal: %s\n", cJSON_PrintUnformatted(r[0]));
                return 2;
        }
        const char *kill_msg = error_message(r[1], "permission-denied");
        if (!kill_msg || !strstr(kill_msg, "kill needs root") ||
            cJSON_GetObjectItemCaseSensitive(r[1], "id")->valuedouble != 2) {
                fprintf(stderr, "socket kill refusal: %s\n", cJSON_PrintUnformatted(r[1]));
                return 3;
        }
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r[2], "ok")) ||
            cJSON_GetObjectItemCaseSensitive(r[2], "id")->valuedouble != 3) {
                fprintf(stderr, "status after the refusals: %s\n", cJSON_PrintUnformatted(r[2]));
                return 4;
        }

        int err = 0;
        sd_bus *c = bus_client_try(fx.bus.address, &err);
        if (!c) {
                fprintf(stderr, "uid 65534 cannot connect to %s: %s\n", fx.bus.address, strerror(err));
                return 5;
        }
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int rr = sd_bus_set_property(c, PRESSURED_BUS_NAME, PRESSURED_PATH, MANAGER_IFACE, "DryRun", &e, "b", 1);
        if (rr >= 0 || !sd_bus_error_has_name(&e, SD_BUS_ERROR_ACCESS_DENIED) || strcmp(e.message, sock_msg) != 0) {
                fprintf(stderr, "D-Bus refusal: %d %s: %s\nsocket's: %s\n", rr, e.name, e.message, sock_msg);
                return 6;
        }
        sd_bus_error_free(&e);
        sd_bus_flush_close_unref(c);
        for (size_t i = 0; i < 3; i++)
                cJSON_Delete(r[i]);
        return 0;
}

Test(auth_once, same_single_refusal_on_socket_and_bus, .fini = fixture_down, .timeout = 180) {
        if (geteuid() != 0)
                cr_skip_test("needs root to switch to uid 65534");
        fixture_init(&fx, NULL);
        fixture_start_bus(&fx, BUS_POLICY_OPEN);
        fixture_start_daemon(&fx, NULL, true);
        int rc = run_as_nobody(NULL, 0, child_both_transports, NULL);
        cr_assert_eq(rc, 0, "check %d failed (see stderr; 120 = cannot drop privileges, -1 = hung)", rc);
        int dry = 1;
        cr_assert_geq(sd_bus_get_property_trivial(fx.client, PRESSURED_BUS_NAME, PRESSURED_PATH, MANAGER_IFACE, "DryRun",
                                                  NULL, 'b', &dry), 0);
        cr_assert_not(dry, "a refused set-dry-run took effect");
}
