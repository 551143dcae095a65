/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bus dies under the running daemon: the control socket keeps serving, the loss is logged once
 * (not once per retry), and a bus started again at the same address gets the daemon back, names
 * and objects, within three retry rounds; that is logged once too.
 */
#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bus-util.h"

#define RETRY_ROUNDS_MS 11000 /* two of the daemon's 5 s reconnect attempts, and a margin */

/* One status request over the control socket; true when the reply says ok. */
static bool socket_status_ok(void) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", fx.sock_path);
        char buf[1 << 16] = { 0 };
        size_t len = 0;
        if (fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof sa) == 0 &&
            write(fd, "{\"op\": \"status\"}\n", 17) == 17) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t k;
                while (!memchr(buf, '\n', len) && poll(&p, 1, BUS_WAIT_MS) > 0 &&
                       (k = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
                        len += (size_t) k;
        }
        if (fd >= 0)
                close(fd);
        return strstr(buf, "\"ok\":true") || strstr(buf, "\"ok\": true");
}

/* Lines of the log after byte `from` that mention the bus. */
static unsigned bus_lines_since(size_t from, char **text) {
        char *log = host_read_file(fx.log_path);
        unsigned n = 0;
        const char *p = log && strlen(log) > from ? log + from : "";
        for (const char *line = p; *line;) {
                const char *nl = strchrnul(line, '\n');
                for (const char *c = line; c + 3 <= nl; c++)
                        if (strncasecmp(c, "bus", 3) == 0) {
                                n++;
                                break;
                        }
                line = *nl ? nl + 1 : nl;
        }
        *text = strdup(p);
        free(log);
        return n;
}

static size_t log_size(void) {
        char *log = host_read_file(fx.log_path);
        size_t n = log ? strlen(log) : 0;
        free(log);
        return n;
}

/* Polls until a line mentioning the bus appears after `from`. */
static bool wait_bus_line(size_t from) {
        for (unsigned waited = 0; waited < BUS_WAIT_MS; waited += 100) {
                char *t;
                unsigned n = bus_lines_since(from, &t);
                free(t);
                if (n > 0)
                        return true;
                host_sleep_ms(100);
        }
        return false;
}

Test(reconnect, dead_bus_then_back, .init = fixture_up, .fini = fixture_down, .timeout = 120) {
        sd_bus_message_unref(manager_call(fx.client, "GetStatus", ""));
        fx.client = sd_bus_flush_close_unref(fx.client);

        size_t before = log_size();
        test_bus_kill(&fx.bus);
        cr_assert(wait_bus_line(before), "the daemon did not log the lost bus within %u ms", BUS_WAIT_MS);
        cr_assert(socket_status_ok(), "the control socket stopped serving when the bus died");
        host_sleep_ms(RETRY_ROUNDS_MS);
        cr_assert(host_child_alive(fx.daemon), "the daemon died with the bus:\n%s", host_read_file(fx.log_path));
        cr_assert(socket_status_ok(), "the control socket stopped serving while the bus is away");
        char *text;
        cr_assert_eq(bus_lines_since(before, &text), 1, "the lost bus should be logged once, not per retry:\n%s", text);
        free(text);

        size_t back = log_size();
        test_bus_restart(&fx.bus);
        fx.client = bus_client(fx.bus.address);
        cr_assert(bus_wait_name(fx.client, PRESSURED_BUS_NAME, true, BUS_RECONNECT_WAIT_MS),
                  "the daemon did not come back to the bus within %u ms:\n%s", BUS_RECONNECT_WAIT_MS, host_read_file(fx.log_path));
        sd_bus_message_unref(manager_call(fx.client, "GetStatus", ""));
        sd_bus_message_unref(manager_call(fx.client, "GetCGroup", "s", "/big.slice"));
        cr_assert(bus_wait_name(fx.client, LMM_NAME, true, BUS_WAIT_MS), "%s was not taken again", LMM_NAME);
        cr_assert(wait_bus_line(back), "the daemon did not log its return to the bus");
        host_sleep_ms(1000); /* a second line would follow at once */
        cr_assert_eq(bus_lines_since(back, &text), 1, "the return should be logged once:\n%s", text);
        free(text);
}
