/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bus-util.h"

#define NOBODY 65534

/* ---- the private dbus-daemon ---- */

/* Everyone may do everything: what the daemon refuses, it refuses itself. */
static const char OPEN_POLICY[] =
        "  <policy context=\"default\">\n"
        "    <allow user=\"*\"/>\n"
        "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
        "    <allow own=\"*\"/>\n"
        "    <allow receive_sender=\"*\"/>\n"
        "    <allow eavesdrop=\"true\"/>\n"
        "  </policy>\n";

/* The gist of Debian's system.conf default context (method calls denied but to the bus driver), then
 * the shipped policy: only what it allows gets through. */
static const char SYSTEM_DEFAULT_POLICY[] =
        "  <policy context=\"default\">\n"
        "    <allow user=\"*\"/>\n"
        "    <deny own=\"*\"/>\n"
        "    <deny send_type=\"method_call\"/>\n"
        "    <allow send_type=\"signal\"/>\n"
        "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
        "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
        "    <allow receive_type=\"method_call\"/>\n"
        "    <allow receive_type=\"method_return\"/>\n"
        "    <allow receive_type=\"error\"/>\n"
        "    <allow receive_type=\"signal\"/>\n"
        "    <allow send_destination=\"org.freedesktop.DBus\" send_interface=\"org.freedesktop.DBus\"/>\n"
        "    <allow send_destination=\"org.freedesktop.DBus\" send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
        "  </policy>\n"
        "  <include>" SHIPPED_BUS_CONF "</include>\n";

static void write_bus_config(const TestBus *b) {
        char *conf = host_path_in(b->dir, "bus.conf");
        FILE *f = conf ? fopen(conf, "we") : NULL;
        cr_assert_not_null(f, "cannot write the dbus-daemon config in %s", b->dir);
        fprintf(f, "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                   " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                   "<busconfig>\n"
                   "  <type>system</type>\n"
                   "  <listen>unix:path=%s/bus</listen>\n"
                   "  <auth>EXTERNAL</auth>\n"
                   "%s"
                   "</busconfig>\n",
                b->dir, b->kind == BUS_POLICY_OPEN ? OPEN_POLICY : SYSTEM_DEFAULT_POLICY);
        cr_assert_eq(fclose(f), 0);
        free(conf);
}

static void spawn_bus(TestBus *b) {
        char *conf = host_path_in(b->dir, "bus.conf"), *sock = host_path_in(b->dir, "bus");
        cr_assert(conf && sock);
        (void) unlink(sock); /* a killed bus leaves its socket behind */
        int pfd[2];
        cr_assert_eq(pipe2(pfd, O_CLOEXEC), 0);
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                char arg[64], *log = host_path_in(b->dir, "dbus-daemon.log");
                int fd = log ? open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
                if (fd < 0 || dup2(fd, STDERR_FILENO) < 0 || dup2(pfd[1], 3) < 0)
                        _exit(95);
                snprintf(arg, sizeof arg, "--config-file=%s", conf);
                execl("/usr/bin/dbus-daemon", "dbus-daemon", arg, "--nofork", "--nopidfile", "--nosyslog",
                      "--print-address=3", (char *) NULL);
                _exit(96);
        }
        close(pfd[1]);
        char buf[512];
        size_t len = 0;
        ssize_t k;
        while (len < sizeof buf - 1 && (k = read(pfd[0], buf + len, sizeof buf - 1 - len)) > 0) {
                len += (size_t) k;
                if (memchr(buf, '\n', len))
                        break;
        }
        close(pfd[0]);
        buf[len] = 0;
        char *nl = strchr(buf, '\n');
        cr_assert_not_null(nl, "dbus-daemon printed no address; see %s/dbus-daemon.log", b->dir);
        *nl = 0;
        /* Without the ",guid=" part: a restarted bus has a new guid, and a client (the daemon) given the
         * old one would refuse it. The real system bus address names no guid either. */
        buf[strcspn(buf, ",")] = 0;
        free(b->address);
        b->address = strdup(buf);
        b->pid = pid;
        free(conf);
        free(sock);
}

void test_bus_start(TestBus *b, const char *dir, BusPolicyKind kind) {
        cr_assert(access("/usr/bin/dbus-daemon", X_OK) == 0, "no /usr/bin/dbus-daemon: apt-get install dbus-daemon");
        *b = (TestBus) { .dir = strdup(dir), .kind = kind, .pid = -1 };
        cr_assert_not_null(b->dir);
        cr_assert_eq(chmod(dir, 0755), 0, "chmod %s: %s", dir, strerror(errno)); /* uid 65534 connects too */
        write_bus_config(b);
        spawn_bus(b);
}

void test_bus_kill(TestBus *b) {
        if (b->pid <= 0)
                return;
        kill(b->pid, SIGKILL);
        host_wait_child(b->pid, 5000);
        b->pid = -1;
}

void test_bus_restart(TestBus *b) {
        cr_assert_leq(b->pid, 0, "the bus still runs");
        char *old = b->address ? strdup(b->address) : NULL;
        spawn_bus(b);
        cr_assert_str_eq(b->address, old, "the restarted bus listens elsewhere");
        free(old);
}

void test_bus_free(TestBus *b) {
        test_bus_kill(b);
        free(b->dir);
        free(b->address);
        *b = (TestBus) { .pid = -1 };
}

/* ---- clients ---- */

sd_bus *bus_client_try(const char *address, int *ret_error) {
        sd_bus *c = NULL;
        int r = sd_bus_new(&c);
        if (r >= 0)
                r = sd_bus_set_address(c, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(c, true);
        if (r >= 0)
                r = sd_bus_start(c);
        if (r < 0) {
                c = sd_bus_flush_close_unref(c);
                if (ret_error)
                        *ret_error = -r;
        }
        return c;
}

sd_bus *bus_client(const char *address) {
        int e = 0;
        sd_bus *c = bus_client_try(address, &e);
        cr_assert_not_null(c, "cannot connect to the test bus at %s: %s", address, strerror(e));
        return c;
}

bool bus_name_has_owner(sd_bus *c, const char *name) {
        sd_bus_message *reply = NULL;
        int has = 0;
        int r = sd_bus_call_method(c, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                   "NameHasOwner", NULL, &reply, "s", name);
        if (r >= 0)
                r = sd_bus_message_read(reply, "b", &has);
        sd_bus_message_unref(reply);
        return r >= 0 && has;
}

bool bus_wait_name(sd_bus *c, const char *name, bool want, unsigned timeout_ms) {
        for (unsigned waited = 0;; waited += 50) {
                if (bus_name_has_owner(c, name) == want)
                        return true;
                if (waited >= timeout_ms)
                        return false;
                host_sleep_ms(50);
        }
}

static int call_managerv(sd_bus *c, sd_bus_error *e, sd_bus_message **reply, const char *method,
                         const char *types, va_list ap) {
        return sd_bus_call_methodv(c, PRESSURED_BUS_NAME, PRESSURED_PATH, MANAGER_IFACE, method, e, reply, types, ap);
}

static sd_bus_message *manager_callv(sd_bus *c, const char *method, const char *types, va_list ap) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r = call_managerv(c, &e, &reply, method, types, ap);
        cr_assert_geq(r, 0, "%s failed: %s: %s", method, e.name ? e.name : strerror(-r), e.message ? e.message : "");
        sd_bus_error_free(&e);
        return reply;
}

sd_bus_message *manager_call(sd_bus *c, const char *method, const char *types, ...) {
        va_list ap;
        va_start(ap, types);
        sd_bus_message *reply = manager_callv(c, method, types, ap);
        va_end(ap);
        return reply;
}

char *manager_call_error(sd_bus *c, const char *expected_error, const char *method, const char *types, ...) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        va_list ap;
        va_start(ap, types);
        int r = call_managerv(c, &e, &reply, method, types, ap);
        va_end(ap);
        sd_bus_message_unref(reply);
        cr_assert_lt(r, 0, "%s succeeded; expected %s", method, expected_error);
        cr_assert_str_eq(e.name, expected_error, "%s: %s", method, e.message ? e.message : "");
        char *msg = strdup(e.message ? e.message : "");
        sd_bus_error_free(&e);
        return msg;
}

char *manager_call_string(sd_bus *c, const char *method, const char *types, ...) {
        const char *s = NULL;
        va_list ap;
        va_start(ap, types);
        sd_bus_message *reply = manager_callv(c, method, types, ap);
        va_end(ap);
        cr_assert_geq(sd_bus_message_read(reply, "s", &s), 0, "%s did not return one string", method);
        char *copy = strdup(s);
        sd_bus_message_unref(reply);
        return copy;
}

/* ---- signals ---- */

struct BusWatch {
        sd_bus *bus;
        bool owns_bus;       /* a monitor's own connection */
        sd_bus_slot *slot;
        sd_bus_message **queue;
        size_t n, allocated;
};

static int watch_queue(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusWatch *w = userdata;
        if (w->n == w->allocated) {
                size_t a = w->allocated ? 2 * w->allocated : 16;
                sd_bus_message **q = realloc(w->queue, a * sizeof *q);
                if (!q)
                        return -ENOMEM;
                w->queue = q;
                w->allocated = a;
        }
        w->queue[w->n++] = sd_bus_message_ref(m);
        return 0;
}

BusWatch *bus_watch(sd_bus *c, const char *match) {
        BusWatch *w = calloc(1, sizeof *w);
        cr_assert_not_null(w);
        w->bus = c;
        int r = sd_bus_add_match(c, &w->slot, match, watch_queue, w);
        cr_assert_geq(r, 0, "AddMatch %s: %s", match, strerror(-r));
        return w;
}

static sd_bus_message *watch_take(BusWatch *w, const char *member) {
        for (size_t i = 0; i < w->n; i++)
                if (sd_bus_message_is_signal(w->queue[i], NULL, member)) {
                        sd_bus_message *m = w->queue[i];
                        memmove(w->queue + i, w->queue + i + 1, (w->n - i - 1) * sizeof *w->queue);
                        w->n--;
                        return m;
                }
        return NULL;
}

static uint64_t monotonic_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

sd_bus_message *bus_watch_next(BusWatch *w, const char *member, unsigned timeout_ms) {
        uint64_t deadline = monotonic_usec() + (uint64_t) timeout_ms * 1000;
        for (;;) {
                sd_bus_message *m = watch_take(w, member);
                if (m)
                        return m;
                int r = sd_bus_process(w->bus, NULL);
                if (r > 0)
                        continue;
                uint64_t now = monotonic_usec();
                if (r < 0 || now >= deadline)
                        return NULL;
                (void) sd_bus_wait(w->bus, deadline - now);
        }
}

int properties_changed_find(sd_bus_message *m, const char *iface, const char *property, char type, void *ret) {
        const char *i, *name;
        char sig[2] = { type, 0 };
        int found = -1;
        cr_assert_geq(sd_bus_message_rewind(m, true), 0);
        cr_assert_geq(sd_bus_message_read(m, "s", &i), 0, "PropertiesChanged without an interface");
        if (strcmp(i, iface) != 0)
                return -1;
        cr_assert_geq(sd_bus_message_enter_container(m, 'a', "{sv}"), 0);
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                cr_assert_geq(sd_bus_message_read(m, "s", &name), 0);
                if (strcmp(name, property) == 0) {
                        cr_assert_geq(sd_bus_message_enter_container(m, 'v', sig), 0, "%s is not of type %s", property, sig);
                        cr_assert_geq(sd_bus_message_read_basic(m, type, ret), 0);
                        cr_assert_geq(sd_bus_message_exit_container(m), 0);
                        found = 1;
                } else
                        cr_assert_geq(sd_bus_message_skip(m, "v"), 0);
                cr_assert_geq(sd_bus_message_exit_container(m), 0);
        }
        cr_assert_geq(sd_bus_message_exit_container(m), 0);
        cr_assert_geq(sd_bus_message_enter_container(m, 'a', "s"), 0);
        while (found < 0 && sd_bus_message_read(m, "s", &name) > 0)
                if (strcmp(name, property) == 0)
                        found = 0;
        return found;
}

int bus_watch_property(BusWatch *w, const char *path, const char *iface, const char *property, char type, void *ret,
                       unsigned timeout_ms) {
        sd_bus_message *m;
        while ((m = bus_watch_next(w, "PropertiesChanged", timeout_ms))) {
                int r = strcmp(sd_bus_message_get_path(m), path) == 0 ?
                        properties_changed_find(m, iface, property, type, ret) : -1;
                sd_bus_message_unref(m);
                if (r >= 0)
                        return r;
        }
        return -1;
}

BusWatch *bus_monitor(const char *address) {
        BusWatch *w = calloc(1, sizeof *w);
        cr_assert_not_null(w);
        int r = sd_bus_new(&w->bus);
        if (r >= 0)
                r = sd_bus_set_address(w->bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(w->bus, true);
        if (r >= 0)
                r = sd_bus_set_monitor(w->bus, true);
        if (r >= 0)
                r = sd_bus_start(w->bus);
        cr_assert_geq(r, 0, "cannot connect a monitor to %s: %s", address, strerror(-r));
        w->owns_bus = true;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        r = sd_bus_call_method(w->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.Monitoring",
                               "BecomeMonitor", &e, NULL, "asu", 0, (uint32_t) 0);
        cr_assert_geq(r, 0, "BecomeMonitor: %s", e.message ? e.message : strerror(-r));
        cr_assert_geq(sd_bus_add_filter(w->bus, &w->slot, watch_queue, w), 0);
        return w;
}

bool bus_monitor_saw_call_for(BusWatch *w, const char *name, unsigned timeout_ms) {
        uint64_t deadline = monotonic_usec() + (uint64_t) timeout_ms * 1000;
        for (;;) {
                while (sd_bus_process(w->bus, NULL) > 0)
                        ;
                for (size_t i = 0; i < w->n; i++) {
                        sd_bus_message *m = w->queue[i];
                        const char *dest = sd_bus_message_get_destination(m), *arg = NULL;
                        if (!sd_bus_message_is_method_call(m, NULL, NULL))
                                continue;
                        if (dest && strcmp(dest, name) == 0)
                                return true;
                        if (sd_bus_message_rewind(m, true) >= 0 && sd_bus_message_peek_type(m, NULL, NULL) > 0 &&
                            sd_bus_message_read_basic(m, 's', &arg) > 0 && strcmp(arg, name) == 0)
                                return true;
                }
                uint64_t now = monotonic_usec();
                if (now >= deadline)
                        return false;
                (void) sd_bus_wait(w->bus, deadline - now);
        }
}

BusWatch *bus_watch_free(BusWatch *w) {
        if (!w)
                return NULL;
        sd_bus_slot_unref(w->slot);
        if (w->owns_bus)
                sd_bus_flush_close_unref(w->bus);
        for (size_t i = 0; i < w->n; i++)
                sd_bus_message_unref(w->queue[i]);
        free(w->queue);
        free(w);
        return NULL;
}

/* ---- the introspection scanner ---- */

typedef struct Lines {
        char **v;
        size_t n, allocated;
} Lines;

static void lines_add(Lines *l, char *s) {
        cr_assert_not_null(s);
        if (l->n + 2 > l->allocated) {
                l->allocated = l->allocated ? 2 * l->allocated : 32;
                l->v = realloc(l->v, l->allocated * sizeof *l->v);
                cr_assert_not_null(l->v);
        }
        l->v[l->n++] = s;
        l->v[l->n] = NULL;
}

/* The value of attribute `name` in the tag text (between '<' and '>'), malloc'd, or NULL. */
static char *tag_attr(const char *tag, size_t len, const char *name) {
        size_t nl = strlen(name);
        for (size_t i = 0; i + nl + 2 < len; i++) {
                bool boundary = i > 0 && (tag[i - 1] == ' ' || tag[i - 1] == '\t' || tag[i - 1] == '\n');
                if (!boundary || strncmp(tag + i, name, nl) != 0)
                        continue;
                size_t j = i + nl;
                while (j < len && (tag[j] == ' ' || tag[j] == '\n'))
                        j++;
                if (j >= len || tag[j] != '=')
                        continue;
                j++;
                while (j < len && (tag[j] == ' ' || tag[j] == '\n'))
                        j++;
                if (j >= len || (tag[j] != '"' && tag[j] != '\''))
                        continue;
                char q = tag[j++];
                const char *end = memchr(tag + j, q, len - j);
                return end ? strndup(tag + j, (size_t) (end - tag - j)) : NULL;
        }
        return NULL;
}

static bool tag_is(const char *tag, size_t len, const char *name) {
        size_t nl = strlen(name);
        return len >= nl && strncmp(tag, name, nl) == 0 && (len == nl || strchr(" \t\n/", tag[nl]));
}

#define EMITS_ANNOTATION "org.freedesktop.DBus.Property.EmitsChangedSignal"

typedef struct Scan {
        Lines out;
        bool in_interface, found;
        enum { IN_NONE, IN_METHOD, IN_SIGNAL, IN_PROPERTY } member;
        char *iface_emits;            /* the interface's EmitsChangedSignal default */
        char *prop_head, *prop_emits; /* the open property, emitted at its end */
} Scan;

static void scan_end_property(Scan *s) {
        char *line = NULL;
        cr_assert_geq(asprintf(&line, "%s emits=%s", s->prop_head,
                               s->prop_emits ? s->prop_emits : s->iface_emits ? s->iface_emits : "true"), 0);
        lines_add(&s->out, line);
        free(s->prop_head);
        free(s->prop_emits);
        s->prop_head = s->prop_emits = NULL;
        s->member = IN_NONE;
}

static char *attr_or_dash(const char *tag, size_t len, const char *name) {
        char *v = tag_attr(tag, len, name);
        return v ? v : strdup("-");
}

/* One tag of the document: t points after '<', len up to (not including) '>'. */
static void scan_tag(Scan *s, const char *t, size_t len, const char *interface) {
        bool closing = len > 0 && t[0] == '/';
        bool self_closing = len > 0 && t[len - 1] == '/';
        if (closing) {
                t++, len--;
                if (tag_is(t, len, "interface"))
                        s->in_interface = false;
                else if (s->in_interface && tag_is(t, len, "property") && s->member == IN_PROPERTY)
                        scan_end_property(s);
                else if (s->in_interface && (tag_is(t, len, "method") || tag_is(t, len, "signal")))
                        s->member = IN_NONE;
                return;
        }
        if (tag_is(t, len, "interface")) {
                char *name = tag_attr(t, len, "name");
                s->in_interface = name && strcmp(name, interface) == 0;
                s->found |= s->in_interface;
                free(name);
                return;
        }
        if (!s->in_interface)
                return;
        char *name = attr_or_dash(t, len, "name"), *line = NULL;
        if (tag_is(t, len, "method") || tag_is(t, len, "signal")) {
                bool method = tag_is(t, len, "method");
                cr_assert_geq(asprintf(&line, "%s %s", method ? "method" : "signal", name), 0);
                lines_add(&s->out, line);
                s->member = self_closing ? IN_NONE : method ? IN_METHOD : IN_SIGNAL;
        } else if (tag_is(t, len, "arg")) {
                char *type = attr_or_dash(t, len, "type"), *dir = tag_attr(t, len, "direction");
                if (s->member == IN_METHOD)
                        cr_assert_geq(asprintf(&line, "arg %s %s %s", name, type, dir ? dir : "in"), 0);
                else
                        cr_assert_geq(asprintf(&line, "arg %s %s", name, type), 0);
                lines_add(&s->out, line);
                free(type);
                free(dir);
        } else if (tag_is(t, len, "property")) {
                char *type = attr_or_dash(t, len, "type"), *access = attr_or_dash(t, len, "access");
                cr_assert_geq(asprintf(&s->prop_head, "property %s %s %s", name, type, access), 0);
                s->member = IN_PROPERTY;
                free(type);
                free(access);
                if (self_closing)
                        scan_end_property(s);
        } else if (tag_is(t, len, "annotation") && strcmp(name, EMITS_ANNOTATION) == 0) {
                char **where = s->member == IN_PROPERTY ? &s->prop_emits : s->member == IN_NONE ? &s->iface_emits : NULL;
                if (where) {
                        free(*where);
                        *where = attr_or_dash(t, len, "value");
                }
        }
        free(name);
}

char **introspect_members(const char *xml, const char *interface) {
        Scan s = { 0 };
        for (const char *p = xml; (p = strchr(p, '<'));) {
                if (strncmp(p, "<!--", 4) == 0) {
                        const char *end = strstr(p + 4, "-->");
                        if (!end)
                                break;
                        p = end + 3;
                        continue;
                }
                if (p[1] == '!' || p[1] == '?') { /* DOCTYPE, XML declaration */
                        p = strchr(p, '>');
                        if (!p)
                                break;
                        continue;
                }
                const char *end = p + 1;
                for (char q = 0; *end && (q || *end != '>'); end++)
                        if (*end == '"' || *end == '\'')
                                q = q == *end ? 0 : q ? q : *end;
                if (!*end)
                        break;
                scan_tag(&s, p + 1, (size_t) (end - p - 1), interface);
                p = end + 1;
        }
        free(s.iface_emits);
        free(s.prop_head);
        free(s.prop_emits);
        if (!s.found) {
                strv_free_test(s.out.v);
                return NULL;
        }
        if (!s.out.v) { /* an empty interface: an empty list */
                s.out.v = calloc(1, sizeof *s.out.v);
                cr_assert_not_null(s.out.v);
        }
        return s.out.v;
}

void strv_free_test(char **v) {
        for (char **p = v; p && *p; p++)
                free(*p);
        free(v);
}

/* ---- the fixture ---- */

BusFixture fx = { .daemon = -1, .bus.pid = -1 };

void fixture_up(void) {
        fixture_init(&fx, NULL);
        fixture_start_bus(&fx, BUS_POLICY_OPEN);
        fixture_start_daemon(&fx, NULL, true);
}

void fixture_down(void) {
        int st;
        bool clean = fixture_terminate_daemon(&fx, &st);
        char *log = clean || !fx.log_path ? NULL : host_read_file(fx.log_path);
        fixture_cleanup(&fx);
        cr_assert(clean, "pressured did not exit cleanly within 5 s of SIGTERM (status %d):\n%s", st, log);
        free(log);
}

const char BUS_TEST_POLICY[] =
        "{\"interval\": \"200ms\", \"rulesets\": [{\"name\": \"never\","
        " \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/pressured-test-does-not-exist\"}]],"
        " \"actions\": [{\"type\": \"kill\", \"ranker\": \"pressure\", \"cgroup\": \"/*\"}]}]}";

/* The cgroup tree the daemon reads: directories first, then files (path relative to cgroup/). */
static const char *const FIXTURE_DIRS[] = { "big.slice", "small.slice", "work.slice", "work.slice/app.service" };
static const struct { const char *path, *text; } FIXTURE_FILES[] = {
        { "cgroup.controllers", "cpuset cpu io memory pids\n" },
        { "cgroup.procs", "" },
        { "big.slice/cgroup.procs", "" },
        { "big.slice/cgroup.events", "populated 1\nfrozen 0\n" },
        { "big.slice/memory.current", "314572800\n" },
        { "big.slice/memory.pressure", "some avg10=30.00 avg60=5.00 avg300=1.00 total=900\n"
                                       "full avg10=25.00 avg60=4.00 avg300=0.50 total=500\n" },
        { "small.slice/cgroup.procs", "" },
        { "small.slice/cgroup.events", "populated 0\nfrozen 0\n" },
        { "small.slice/memory.current", "10485760\n" },
        { "small.slice/memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                                         "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n" },
        { "work.slice/cgroup.procs", "" },
        { "work.slice/cgroup.events", "populated 1\nfrozen 0\n" },
        { "work.slice/memory.current", "52428800\n" },
        { "work.slice/app.service/cgroup.procs", "" },
        { "work.slice/app.service/cgroup.events", "populated 1\nfrozen 0\n" },
        { "work.slice/app.service/memory.current", "52428800\n" },
        { "work.slice/app.service/memory.pressure", "some avg10=2.00 avg60=1.00 avg300=0.00 total=50\n"
                                                    "full avg10=1.00 avg60=0.00 avg300=0.00 total=20\n" },
};

char *fixture_path(const BusFixture *f, const char *name) {
        char *p = host_path_in(f->tmp, name);
        cr_assert_not_null(p);
        return p;
}

void fixture_write(const BusFixture *f, const char *name, const char *text) {
        cr_assert_eq(host_write_in(f->tmp, name, text), 0, "cannot write %s/%s", f->tmp, name);
}

void fixture_init(BusFixture *f, const char *policy) {
        signal(SIGPIPE, SIG_IGN);
        *f = (BusFixture) { .daemon = -1, .bus.pid = -1 };
        f->tmp = host_mkdtemp();
        cr_assert_not_null(f->tmp);
        cr_assert_eq(chmod(f->tmp, 0755), 0);
        f->cg_root = fixture_path(f, "cgroup");
        f->run_dir = fixture_path(f, "run");
        f->state_dir = fixture_path(f, "state");
        f->config = fixture_path(f, "policy.json");
        f->log_path = fixture_path(f, "daemon.log");
        f->sock_path = fixture_path(f, "run/control.sock");
        cr_assert_eq(mkdir(f->cg_root, 0755), 0);
        for (size_t i = 0; i < sizeof FIXTURE_DIRS / sizeof *FIXTURE_DIRS; i++) {
                char *d = host_path_in(f->cg_root, FIXTURE_DIRS[i]);
                cr_assert(d && mkdir(d, 0755) == 0, "mkdir %s", d);
                free(d);
        }
        for (size_t i = 0; i < sizeof FIXTURE_FILES / sizeof *FIXTURE_FILES; i++)
                cr_assert_eq(host_write_in(f->cg_root, FIXTURE_FILES[i].path, FIXTURE_FILES[i].text), 0);
        cr_assert_eq(host_write_text(f->config, policy ? policy : BUS_TEST_POLICY), 0);
}

void fixture_start_bus(BusFixture *f, BusPolicyKind kind) {
        char *dir = fixture_path(f, "dbus");
        cr_assert(mkdir(dir, 0755) == 0 || errno == EEXIST);
        test_bus_start(&f->bus, dir, kind);
        free(dir);
        cr_assert_eq(setenv("DBUS_SYSTEM_BUS_ADDRESS", f->bus.address, 1), 0);
        f->client = bus_client(f->bus.address);
}

#define MAX_DAEMON_ARGS 40

void fixture_start_daemon(BusFixture *f, char *const extra[], bool on_bus) {
        char *argv[MAX_DAEMON_ARGS] = { "pressured", "-c", f->config, "--policy-dir", "/nonexistent",
                                        "--state-dir", f->state_dir, "--runtime-dir", f->run_dir,
                                        "--cgroup-root", f->cg_root, "--log-target", "stderr", "--no-mlock" };
        size_t n = 14;
        if (f->proc_root) {
                argv[n++] = "--proc-root";
                argv[n++] = f->proc_root;
        }
        for (size_t i = 0; extra && extra[i]; i++) {
                cr_assert_lt(n, MAX_DAEMON_ARGS - 1);
                argv[n++] = extra[i];
        }
        argv[n] = NULL;
        f->daemon = host_spawn_daemon(argv, f->log_path);
        cr_assert_gt(f->daemon, 0);
        for (unsigned waited = 0; access(f->sock_path, F_OK) < 0; waited += 50) {
                cr_assert(host_child_alive(f->daemon), "pressured exited at start:\n%s", host_read_file(f->log_path));
                cr_assert_lt(waited, BUS_WAIT_MS, "pressured made no control socket at %s:\n%s", f->sock_path,
                             host_read_file(f->log_path));
                host_sleep_ms(50);
        }
        if (on_bus)
                cr_assert(bus_wait_name(f->client, PRESSURED_BUS_NAME, true, BUS_WAIT_MS),
                          "pressured did not take %s on the test bus within %u ms:\n%s", PRESSURED_BUS_NAME,
                          BUS_WAIT_MS, host_read_file(f->log_path));
}

bool fixture_terminate_daemon(BusFixture *f, int *ret_status) {
        int st = 0;
        if (f->daemon > 0) {
                kill(f->daemon, SIGTERM);
                st = host_wait_child(f->daemon, 5000);
                if (st == -1) {
                        kill(f->daemon, SIGKILL);
                        host_wait_child(f->daemon, 5000);
                }
                f->daemon = -1;
        }
        *ret_status = st;
        return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

void fixture_wait_published(BusFixture *f, const char *cgroup) {
        for (unsigned waited = 0;; waited += 100) {
                sd_bus_message *m = NULL;
                int r = sd_bus_call_method(f->client, PRESSURED_BUS_NAME, PRESSURED_PATH, MANAGER_IFACE, "GetCGroup", NULL,
                                           &m, "s", cgroup);
                sd_bus_message_unref(m);
                if (r >= 0)
                        return;
                cr_assert_lt(waited, BUS_WAIT_MS, "%s was not published within %u ms", cgroup, BUS_WAIT_MS);
                host_sleep_ms(100);
        }
}

void fixture_stop_daemon(BusFixture *f) {
        int st;
        cr_assert(fixture_terminate_daemon(f, &st), "pressured did not exit cleanly within 5 s of SIGTERM (status %d):\n%s", st,
                  host_read_file(f->log_path));
}

void fixture_cleanup(BusFixture *f) {
        int st;
        (void) fixture_terminate_daemon(f, &st);
        f->client = sd_bus_flush_close_unref(f->client);
        test_bus_free(&f->bus);
        host_rm_rf(f->tmp);
        free(f->tmp);
        free(f->cg_root);
        free(f->run_dir);
        free(f->state_dir);
        free(f->config);
        free(f->log_path);
        free(f->sock_path);
        free(f->proc_root);
        unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
}

int run_as_nobody(const gid_t *groups, size_t n_groups, int (*fn)(void *userdata), void *userdata) {
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                gid_t none = NOBODY;
                if (setgroups(n_groups ? n_groups : 1, n_groups ? groups : &none) < 0 ||
                    setresgid(NOBODY, NOBODY, NOBODY) < 0 || setresuid(NOBODY, NOBODY, NOBODY) < 0)
                        _exit(120);
                _exit(fn(userdata));
        }
        int st = host_wait_child(pid, 2 * BUS_WAIT_MS);
        if (st == -1) {
                kill(pid, SIGKILL);
                host_wait_child(pid, 5000);
                return -1;
        }
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
