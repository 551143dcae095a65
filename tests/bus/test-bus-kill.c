/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kill over the bus. A dry run on the fixture hierarchy (cgroup mode): the reply, KillPending then
 * Killed as a subscriber sees them, the record in ListKills. A real kill: the daemon pointed at a
 * cgroup of our own under the real cgroup2 mount (degraded mode on this hybrid host: no memory
 * controller, but cgroup.kill works), a real process in a child cgroup, killed by a bus call.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus-util.h"

#define BIG_BYTES 314572800ULL

typedef struct KillReply {
        char cgroup[256], method[32];
        uint32_t killed, n_pids;
        uint32_t pids[16];
        bool dry_run;
} KillReply;

static KillReply kill_call(const char *target, const char *reason, bool dry_run) {
        sd_bus_message *m = manager_call(fx.client, "Kill", "ssb", target, reason, dry_run);
        KillReply k = { 0 };
        const char *cg, *method;
        int dry;
        cr_assert_geq(sd_bus_message_read(m, "s", &cg), 0);
        cr_assert_geq(sd_bus_message_read(m, "u", &k.killed), 0);
        cr_assert_geq(sd_bus_message_enter_container(m, 'a', "u"), 0, "Kill's third result is not au");
        uint32_t pid;
        while (sd_bus_message_read(m, "u", &pid) > 0)
                if (k.n_pids < 16)
                        k.pids[k.n_pids++] = pid;
        cr_assert_geq(sd_bus_message_exit_container(m), 0);
        cr_assert_geq(sd_bus_message_read(m, "sb", &method, &dry), 0);
        snprintf(k.cgroup, sizeof k.cgroup, "%s", cg);
        snprintf(k.method, sizeof k.method, "%s", method);
        k.dry_run = dry;
        sd_bus_message_unref(m);
        return k;
}

typedef struct KillSignal {
        char cgroup[256], unit[64], ruleset[64], reason[128], method[32];
        uint32_t killed;
        uint64_t memory, freed, prekill_timeout;
        double pressure;
        bool dry_run;
} KillSignal;

static KillSignal next_kill_signal(BusWatch *w, const char *member) {
        sd_bus_message *m = bus_watch_next(w, member, BUS_WAIT_MS);
        cr_assert_not_null(m, "no %s signal within %u ms", member, BUS_WAIT_MS);
        KillSignal s = { 0 };
        const char *cg, *unit, *ruleset, *reason, *method = "";
        int dry, r;
        if (strcmp(member, "KillPending") == 0)
                r = sd_bus_message_read(m, "sssstdbt", &cg, &unit, &ruleset, &reason, &s.memory, &s.pressure, &dry,
                                        &s.prekill_timeout);
        else
                r = sd_bus_message_read(m, "sssssuttdb", &cg, &unit, &ruleset, &reason, &method, &s.killed, &s.memory,
                                        &s.freed, &s.pressure, &dry);
        cr_assert_geq(r, 0, "%s does not carry the contract's arguments", member);
        snprintf(s.cgroup, sizeof s.cgroup, "%s", cg);
        snprintf(s.unit, sizeof s.unit, "%s", unit);
        snprintf(s.ruleset, sizeof s.ruleset, "%s", ruleset);
        snprintf(s.reason, sizeof s.reason, "%s", reason);
        snprintf(s.method, sizeof s.method, "%s", method);
        s.dry_run = dry;
        sd_bus_message_unref(m);
        return s;
}

static uint64_t kill_count(void) {
        uint64_t n = UINT64_MAX;
        cr_assert_geq(sd_bus_get_property_trivial(fx.client, PRESSURED_BUS_NAME, PRESSURED_PATH, MANAGER_IFACE,
                                                  "KillCount", NULL, 't', &n), 0);
        return n;
}

#define KILL_SIGNALS "type='signal',interface='" MANAGER_IFACE "'"

Test(kill, dry_run_signals_and_record, .init = fixture_up, .fini = fixture_down, .timeout = 120) {
        /* A second connection subscribes, as oomctl monitor would. */
        sd_bus *sub = bus_client(fx.bus.address);
        BusWatch *w = bus_watch(sub, KILL_SIGNALS);
        KillReply k = kill_call("/big.slice", "test reason", true);
        cr_assert_str_eq(k.cgroup, "/big.slice");
        cr_assert_eq(k.killed, 0);
        cr_assert_eq(k.n_pids, 0);
        cr_assert_str_eq(k.method, "dry-run");
        cr_assert(k.dry_run);

        KillSignal p = next_kill_signal(w, "KillPending");
        cr_assert_str_eq(p.cgroup, "/big.slice");
        cr_assert_str_eq(p.unit, "big.slice", "a cgroup named like a unit is that unit");
        cr_assert_str_eq(p.ruleset, "manual");
        cr_assert_str_eq(p.reason, "manual: test reason");
        cr_assert_eq(p.memory, BIG_BYTES);
        cr_assert(p.dry_run);
        cr_assert_eq(p.prekill_timeout, 0, "a manual kill does not wait");
        KillSignal d = next_kill_signal(w, "Killed");
        cr_assert_str_eq(d.cgroup, "/big.slice");
        cr_assert_str_eq(d.method, "dry-run");
        cr_assert_eq(d.killed, 0);
        cr_assert_eq(d.freed, 0);
        cr_assert_eq(d.memory, BIG_BYTES);
        cr_assert(d.dry_run);
        cr_assert_eq(kill_count(), 0, "a dry run is not a kill");

        /* A unit name finds its cgroup; the signal carries the unit. */
        k = kill_call("app.service", "", true);
        cr_assert_str_eq(k.cgroup, "/work.slice/app.service");
        p = next_kill_signal(w, "KillPending");
        cr_assert_str_eq(p.unit, "app.service");
        cr_assert(strstr(p.reason, "uid 0"), "an empty reason names the caller: %s", p.reason);

        char *s = manager_call_string(fx.client, "ListKills", "t", (uint64_t) 0);
        cJSON *kills = cJSON_Parse(s);
        cr_assert(cJSON_IsArray(kills) && cJSON_GetArraySize(kills) == 2, "%s", s);
        cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(kills, 0), "cgroup")), "/big.slice");
        double last = cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(kills, 1), "time"));
        cr_assert_gt(last, 1.6e15, "time is not realtime usec");
        cJSON_Delete(kills);
        free(s);
        s = manager_call_string(fx.client, "ListKills", "t", (uint64_t) last + 1);
        cr_assert_str_eq(s, "[]", "ListKills(since) returned older records");
        free(s);

        /* Refusals, by error name. */
        free(manager_call_error(fx.client, "org.pressured.oom1.Error.NotFound", "Kill", "ssb", "/nope.slice", "", true));
        free(manager_call_error(fx.client, "org.pressured.oom1.Error.InvalidRequest", "Kill", "ssb", "bash", "", true));
        char *msg = manager_call_error(fx.client, "org.freedesktop.DBus.Error.AccessDenied", "Kill", "ssb", "/", "", true);
        cr_assert(strstr(msg, "root cgroup"), "%s", msg);
        free(msg);
        bus_watch_free(w);
        sd_bus_flush_close_unref(sub);
}

/* ---- a real kill ---- */

static char *real_root, *victim;
static pid_t hog = -1;

static void real_setup(void) {
        const char *why;
        if (!host_cgroup2_mount(&why))
                return; /* the test skips */
        char name[64];
        snprintf(name, sizeof name, "pressured-bustest-%d", (int) getpid());
        real_root = host_cgroup_create(name);
        cr_assert_not_null(real_root, "cannot create the test cgroup %s", name);
        victim = host_path_in(real_root, "victim.scope");
        cr_assert(victim && mkdir(victim, 0755) == 0);
        fixture_init(&fx, NULL);
        free(fx.cg_root);
        fx.cg_root = strdup(real_root);
        fixture_start_bus(&fx, BUS_POLICY_OPEN);
        fixture_start_daemon(&fx, NULL, true);
}

static void real_teardown(void) {
        if (hog > 0) {
                kill(hog, SIGKILL);
                host_wait_child(hog, 5000);
        }
        host_cgroup_destroy(real_root);
        free(real_root);
        free(victim);
        fixture_down();
}

Test(kill, real_process_in_a_real_cgroup, .init = real_setup, .fini = real_teardown, .timeout = 120) {
        const char *why;
        if (!host_cgroup2_mount(&why))
                cr_skip_test("%s", why);
        hog = host_spawn_hog(victim, 4, 512);
        cr_assert_gt(hog, 0, "cannot start a process in %s", victim);
        cr_assert(host_cgroup_populated(victim));

        BusWatch *w = bus_watch(fx.client, KILL_SIGNALS);
        BusWatch *props = bus_watch(fx.client, "type='signal',interface='org.freedesktop.DBus.Properties',"
                                               "path='" PRESSURED_PATH "'");
        KillReply k = kill_call("/victim.scope", "bus test", false);
        cr_assert_str_eq(k.cgroup, "/victim.scope");
        cr_assert_not(k.dry_run);
        cr_assert(strcmp(k.method, "cgroup.kill") == 0 || strcmp(k.method, "signal") == 0, "method %s", k.method);
        cr_assert_geq(k.killed, 1);
        bool listed = false;
        for (uint32_t i = 0; i < k.n_pids; i++)
                listed |= k.pids[i] == (uint32_t) hog;
        cr_assert(listed, "the reply's pids do not include the process %d", (int) hog);

        int st = host_wait_child(hog, 5000);
        cr_assert_neq(st, -1, "the process %d survived the kill", (int) hog);
        cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "status %d", st);
        hog = -1;
        cr_assert(host_cgroup_wait_empty(victim, 5000));

        KillSignal d = next_kill_signal(w, "Killed");
        cr_assert_str_eq(d.cgroup, "/victim.scope");
        cr_assert_str_eq(d.unit, "victim.scope");
        cr_assert_not(d.dry_run);
        cr_assert_geq(d.killed, 1);
        cr_assert_str_eq(d.method, k.method);
        cr_assert_eq(kill_count(), 1, "KillCount did not count the kill");
        uint64_t announced = 0;
        int r = bus_watch_property(props, PRESSURED_PATH, MANAGER_IFACE, "KillCount", 't', &announced, BUS_WAIT_MS);
        cr_assert_geq(r, 0, "no PropertiesChanged for KillCount within %u ms", BUS_WAIT_MS);
        cr_assert(r == 0 || announced == 1, "PropertiesChanged says KillCount is %" PRIu64, announced);
        bus_watch_free(props);
        bus_watch_free(w);
}
