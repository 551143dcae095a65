/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The harness of the bus suite: a private dbus-daemon started from a config the test writes (open
 * to everyone, or the shipped org.pressured.oom1.conf over a system-bus-like default), the real
 * daemon on a fixture cgroup hierarchy with DBUS_SYSTEM_BUS_ADDRESS pointing at that bus, sd-bus
 * clients (also as another uid), a queue of received signals, and a scanner that reduces
 * introspection XML to comparable member lines. Setup failures are criterion assertions: they
 * mean a broken test machine, not a broken daemon.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "host-util.h"

#define PRESSURED_BUS_NAME "org.pressured.oom1"
#define PRESSURED_PATH "/org/pressured/oom1"
#define MANAGER_IFACE "org.pressured.oom1.Manager"
#define CGROUP_IFACE "org.pressured.oom1.CGroup"
#define LMM_NAME "org.freedesktop.LowMemoryMonitor"
#define LMM_PATH "/org/freedesktop/LowMemoryMonitor"

/* Generous: sanitized builds under load are slow, and a timeout is a failure, never a skip. */
#define BUS_WAIT_MS 10000
/* The daemon retries a lost bus every 5 s (spec: BUS_RECONNECT_USEC); allow three rounds. */
#define BUS_RECONNECT_WAIT_MS 15000

typedef enum BusPolicyKind {
        BUS_POLICY_OPEN,    /* anyone may own, send, receive: the daemon's own checks stand alone */
        BUS_POLICY_SHIPPED, /* a system-bus default that denies method calls, plus dbus/org.pressured.oom1.conf */
} BusPolicyKind;

typedef struct TestBus {
        char *dir;         /* holds bus.conf and the socket "bus" */
        char *address;     /* as dbus-daemon printed it, without its guid */
        BusPolicyKind kind;
        pid_t pid;         /* -1 when not running */
} TestBus;

/* Starts dbus-daemon listening on DIR/bus (DIR made 0755 so uid 65534 reaches it). */
void test_bus_start(TestBus *b, const char *dir, BusPolicyKind kind);
/* SIGKILLs it (the "bus died" case too) and waits for it; the socket file stays. */
void test_bus_kill(TestBus *b);
/* Starts it again, same config, same address. */
void test_bus_restart(TestBus *b);
void test_bus_free(TestBus *b);

/* A client connection to `address`, or NULL (errno-style code in *ret_error when not NULL). */
sd_bus *bus_client_try(const char *address, int *ret_error);
/* The same, asserting it worked. */
sd_bus *bus_client(const char *address);
/* True while `name` has an owner. */
bool bus_name_has_owner(sd_bus *c, const char *name);
/* Polls until `name` has an owner (or has none, with want false); false on timeout. */
bool bus_wait_name(sd_bus *c, const char *name, bool want, unsigned timeout_ms);

/* Calls a Manager method; asserts success; the reply is the caller's to unref. */
sd_bus_message *manager_call(sd_bus *c, const char *method, const char *types, ...);
/* Calls a Manager method expecting the D-Bus error `name`; returns its message (malloc'd). */
char *manager_call_error(sd_bus *c, const char *expected_error, const char *method, const char *types, ...);
/* One string reply (GetStatus, GetPolicy, ...), malloc'd. */
char *manager_call_string(sd_bus *c, const char *method, const char *types, ...);

/* Signals received on a connection, queued by a match installed before the action that sends them. */
typedef struct BusWatch BusWatch;
/* `match` is a D-Bus match rule, e.g. "type='signal',interface='org.pressured.oom1.Manager'". */
BusWatch *bus_watch(sd_bus *c, const char *match);
/* The next queued signal named `member` (others stay queued), or NULL after timeout_ms. Unref it. */
sd_bus_message *bus_watch_next(BusWatch *w, const char *member, unsigned timeout_ms);
/* Looks for `property` of `iface` in a PropertiesChanged signal: 1 when changed (the value, of basic
 * type `type`, in *ret: for 's' a const char * valid while m lives), 0 when invalidated, -1 when absent. */
int properties_changed_find(sd_bus_message *m, const char *iface, const char *property, char type, void *ret);
/* The next PropertiesChanged on `path` that names `property` (see above); -1 after timeout_ms.
 * For 's' the string is gone when this returns: use it for 'b', 'u', 't', 'd' values. */
int bus_watch_property(BusWatch *w, const char *path, const char *iface, const char *property, char type, void *ret,
                       unsigned timeout_ms);
/* A connection of its own that sees every message on the bus (BecomeMonitor; the bus runs as root). */
BusWatch *bus_monitor(const char *address);
/* True once a method call went to `name`, or named it as its first argument (GetNameOwner, ...). */
bool bus_monitor_saw_call_for(BusWatch *w, const char *name, unsigned timeout_ms);
BusWatch *bus_watch_free(BusWatch *w);

/* Introspection XML (the D-Bus DTD) reduced to the lines of one interface, in document order:
 * "method NAME", "arg NAME TYPE DIRECTION", "signal NAME", "arg NAME TYPE", "property NAME TYPE
 * ACCESS emits=VALUE" (the EmitsChangedSignal annotation, the interface's default, else "true").
 * Comments and other annotations are ignored. NULL-terminated array, or NULL when the interface is
 * missing (empty when it has no members). Free with strv_free_test. */
char **introspect_members(const char *xml, const char *interface);
void strv_free_test(char **v);

/* The daemon on a fixture hierarchy, with the bus. */
typedef struct BusFixture {
        char *tmp;                      /* all below lives here; removed at the end */
        char *cg_root, *run_dir, *state_dir, *config, *log_path, *sock_path;
        char *proc_root;                /* NULL: the host's /proc */
        TestBus bus;
        pid_t daemon;                   /* -1 when not running */
        sd_bus *client;                 /* root's connection, NULL until the bus runs */
} BusFixture;

/* The tests' fixture, and the usual .init/.fini: BUS_TEST_POLICY, the open bus, the daemon on it;
 * fixture_down also asserts the daemon's clean exit (a sanitizer's report at exit fails the test). */
extern BusFixture fx;
void fixture_up(void);
void fixture_down(void);

/* The policy the fixture starts with: never fires, samples every 200 ms. */
extern const char BUS_TEST_POLICY[];

/* A temp dir with a fixture cgroup tree: /big.slice (300M, medium), /small.slice (10M, ok),
 * /work.slice/app.service (50M, ok). The policy file holds `policy` (BUS_TEST_POLICY when NULL). */
void fixture_init(BusFixture *f, const char *policy);
/* Starts the bus in DIR/bus (and exports DBUS_SYSTEM_BUS_ADDRESS) and connects f->client. */
void fixture_start_bus(BusFixture *f, BusPolicyKind kind);
/* Starts pressured with the fixture's paths plus `extra` (NULL-terminated, may be NULL); waits
 * for the control socket and, when `on_bus`, for org.pressured.oom1 and a first full sample. */
void fixture_start_daemon(BusFixture *f, char *const extra[], bool on_bus);
/* Polls GetCGroup until the daemon's first full sample published `cgroup`. */
void fixture_wait_published(BusFixture *f, const char *cgroup);
/* SIGTERM, and asserts a clean exit within 5 s. */
void fixture_stop_daemon(BusFixture *f);
/* SIGTERM, up to 5 s for the exit, SIGKILL after that. True when it exited 0 (or was not running):
 * a sanitizer's report at exit, a crash or a hang makes it false. */
bool fixture_terminate_daemon(BusFixture *f, int *ret_status);
/* Kills what still runs and removes the temp dir. */
void fixture_cleanup(BusFixture *f);
/* FIXTURE/NAME, malloc'd (asserting). */
char *fixture_path(const BusFixture *f, const char *name);
/* Rewrites FIXTURE/NAME (asserting). */
void fixture_write(const BusFixture *f, const char *name, const char *text);

/* Runs fn in a forked child as uid/gid 65534 with the supplementary groups given (n may be 0);
 * the child's exit code (fn's return), or -1 when it crashed or hung past BUS_WAIT_MS * 2. */
int run_as_nobody(const gid_t *groups, size_t n_groups, int (*fn)(void *userdata), void *userdata);
