/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket as oomctl and scripts meet it: the real daemon on a fixture cgroup hierarchy
 * (cgroup mode, nothing real to kill), spoken to over AF_UNIX with one JSON object per line. Every
 * operation, the files a policy change writes, events for subscribers, and the malformed, oversized,
 * abandoned and never-reading clients the daemon must survive without blocking anyone else.
 */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host-util.h"

#define BIG_BYTES 314572800 /* the fixture's /big.slice memory.current */
#define N_CLIENTS 200

static char *tmp, *sock_path, *config, *state_dir, *run_dir, *log_path, *cg_root;
static pid_t daemon_pid = -1;

static const char POLICY[] =
        "{\"interval\": \"200ms\", \"rulesets\": [{\"name\": \"first\","
        " \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/pressured-test-does-not-exist\"}]],"
        " \"actions\": [{\"type\": \"kill\", \"ranker\": \"pressure\", \"cgroup\": \"/*\"}]}]}";
static const char POLICY2[] =
        "{\"interval\": \"200ms\", \"rulesets\": [{\"name\": \"second\","
        " \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/pressured-test-does-not-exist\"}]],"
        " \"actions\": [{\"type\": \"kill\", \"ranker\": \"pressure\", \"cgroup\": \"/*\"}]}]}";

/* A path in this test's temp directory; fails the test when out of memory. */
static char *path_in(const char *name) {
        return host_assert_path_in(tmp, name);
}



/* ---- a line-oriented client ---- */

typedef struct Client {
        int fd;
        char buf[1 << 17];
        size_t len;
} Client;

static int connect_socket(void) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

static Client *client_new(void) {
        Client *c = calloc(1, sizeof *c);
        cr_assert_not_null(c);
        c->fd = connect_socket();
        cr_assert_geq(c->fd, 0, "cannot connect to %s: %s", sock_path, strerror(-c->fd));
        return c;
}

static void client_free(Client *c) {
        if (c->fd >= 0)
                close(c->fd);
        free(c);
}

static void send_all(int fd, const char *data, size_t len) {
        while (len > 0) {
                ssize_t k = send(fd, data, len, MSG_NOSIGNAL);
                cr_assert_gt(k, 0, "send failed: %s", strerror(errno));
                data += k;
                len -= (size_t) k;
        }
}

static void client_send(Client *c, const char *line) {
        send_all(c->fd, line, strlen(line));
        send_all(c->fd, "\n", 1);
}

/* The next line, malloc'd without '\n'; NULL on EOF or after timeout_ms without one. */
static char *client_read_line(Client *c, int timeout_ms) {
        for (;;) {
                char *nl = memchr(c->buf, '\n', c->len);
                if (nl) {
                        size_t l = (size_t) (nl - c->buf);
                        char *line = strndup(c->buf, l);
                        memmove(c->buf, nl + 1, c->len - l - 1);
                        c->len -= l + 1;
                        return line;
                }
                cr_assert_lt(c->len, sizeof c->buf - 1, "a reply line longer than the test's buffer");
                struct pollfd p = { .fd = c->fd, .events = POLLIN };
                if (poll(&p, 1, timeout_ms) <= 0)
                        return NULL;
                ssize_t k = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
                if (k <= 0)
                        return NULL;
                c->len += (size_t) k;
        }
}

static cJSON *client_read_json(Client *c) {
        char *line = client_read_line(c, 10000);
        cr_assert_not_null(line, "no reply line from the daemon within 10 s");
        cJSON *o = cJSON_Parse(line);
        cr_assert_not_null(o, "the reply is not JSON: %s", line);
        cr_assert(cJSON_IsObject(o), "the reply is not an object: %s", line);
        free(line);
        return o;
}

static cJSON *call(Client *c, const char *request) {
        client_send(c, request);
        return client_read_json(c);
}

/* One request on a fresh connection. */
static cJSON *call1(const char *request) {
        Client *c = client_new();
        cJSON *r = call(c, request);
        client_free(c);
        return r;
}

static const cJSON *get(const cJSON *o, const char *key) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        cr_assert_not_null(v, "no \"%s\" in %s", key, cJSON_PrintUnformatted(o));
        return v;
}

static const char *get_str(const cJSON *o, const char *key) {
        const cJSON *v = get(o, key);
        cr_assert(cJSON_IsString(v), "\"%s\" is not a string", key);
        return v->valuestring;
}

static double get_num(const cJSON *o, const char *key) {
        const cJSON *v = get(o, key);
        cr_assert(cJSON_IsNumber(v), "\"%s\" is not a number", key);
        return v->valuedouble;
}

static bool get_bool(const cJSON *o, const char *key) {
        const cJSON *v = get(o, key);
        cr_assert(cJSON_IsBool(v), "\"%s\" is not a boolean", key);
        return cJSON_IsTrue(v);
}

/* Checks {"id": id, "ok": true, "result": {...}} and returns the result (owned by reply). */
static const cJSON *expect_ok(const cJSON *reply, int id) {
        char *t = cJSON_PrintUnformatted(reply);
        cr_assert(get_bool(reply, "ok"), "expected ok, got %s", t);
        const cJSON *i = get(reply, "id");
        if (id < 0)
                cr_assert(cJSON_IsNull(i), "id should be null: %s", t);
        else
                cr_assert(cJSON_IsNumber(i) && i->valuedouble == id, "id not echoed: %s", t);
        cr_assert_null(cJSON_GetObjectItemCaseSensitive(reply, "error"), "ok reply with an error: %s", t);
        free(t);
        const cJSON *r = get(reply, "result");
        cr_assert(cJSON_IsObject(r));
        return r;
}

/* Checks {"id", "ok": false, "error": {"code": code, "message": non-empty, "path" only for invalid-policy}}. */
static const cJSON *expect_error(const cJSON *reply, int id, const char *code) {
        char *t = cJSON_PrintUnformatted(reply);
        cr_assert_not(get_bool(reply, "ok"), "expected an error, got %s", t);
        const cJSON *i = get(reply, "id");
        if (id < 0)
                cr_assert(cJSON_IsNull(i), "id should be null: %s", t);
        else
                cr_assert(cJSON_IsNumber(i) && i->valuedouble == id, "id not echoed: %s", t);
        cr_assert_null(cJSON_GetObjectItemCaseSensitive(reply, "result"), "error reply with a result: %s", t);
        const cJSON *e = get(reply, "error");
        cr_assert_str_eq(get_str(e, "code"), code, "%s", t);
        cr_assert_gt(strlen(get_str(e, "message")), 20, "the message does not say much: %s", t);
        if (strcmp(code, "invalid-policy") != 0)
                cr_assert_null(cJSON_GetObjectItemCaseSensitive(e, "path"), "path outside invalid-policy: %s", t);
        free(t);
        return e;
}

/* ---- the daemon on a fixture hierarchy ---- */

static void start_daemon(void) {
        char *argv[] = { "pressured", "-c", config, "--policy-dir", "/nonexistent", "--state-dir", state_dir,
                         "--runtime-dir", run_dir, "--cgroup-root", cg_root, "--log-target", "stderr",
                         "--no-mlock", NULL };
        daemon_pid = host_spawn_daemon(argv, log_path);
        cr_assert_gt(daemon_pid, 0);
        for (int i = 0; i < 200; i++) {
                int fd = connect_socket();
                if (fd >= 0) {
                        close(fd);
                        break;
                }
                cr_assert(host_child_alive(daemon_pid), "the daemon exited at start:\n%s", host_read_file(log_path));
                host_sleep_ms(50);
        }
        /* The status lists the cgroups of the first full sample: wait for one. */
        for (int i = 0; i < 100; i++) {
                cJSON *r = call1("{\"op\": \"status\"}");
                bool ready = cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "result"), "cgroups")) >= 2;
                cJSON_Delete(r);
                if (ready)
                        return;
                host_sleep_ms(50);
        }
        cr_assert_fail("no full sample within 5 s");
}

static void stop_daemon(void) {
        if (daemon_pid <= 0)
                return;
        kill(daemon_pid, SIGTERM);
        int st = host_wait_child(daemon_pid, 5000);
        cr_assert_neq(st, -1, "the daemon did not exit within 5 s of SIGTERM");
        cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "unclean exit, status %d", st);
        daemon_pid = -1;
}

static void setup(void) {
        signal(SIGPIPE, SIG_IGN);
        tmp = host_mkdtemp();
        cr_assert_not_null(tmp);
        chmod(tmp, 0755); /* the unprivileged client must reach the socket */
        sock_path = path_in("run/control.sock");
        config = path_in("policy.json");
        state_dir = path_in("state");
        run_dir = path_in("run");
        log_path = path_in("daemon.log");
        cg_root = path_in("cgroup");
        char *big = path_in("cgroup/big.slice"), *small = path_in("cgroup/small.slice");
        host_assert_fixture_root(cg_root);
        host_assert_fixture_cgroup(big, true, "314572800");
        host_assert_fixture_cgroup(small, false, "10485760");
        host_assert_write_in(big, "memory.pressure", "some avg10=30.00 avg60=5.00 avg300=1.00 total=900\n"
                                         "full avg10=25.00 avg60=4.00 avg300=0.50 total=500\n");
        host_assert_write_in(small, "memory.pressure", "some avg10=1.00 avg60=0.00 avg300=0.00 total=9\n"
                                           "full avg10=0.50 avg60=0.00 avg300=0.00 total=5\n");
        host_assert_write_text(config, POLICY);
        free(big);
        free(small);
        start_daemon();
}

static void teardown(void) {
        if (daemon_pid > 0) {
                kill(daemon_pid, SIGTERM);
                host_wait_child(daemon_pid, 5000);
                daemon_pid = -1;
        }
        host_rm_rf(tmp);
        free(tmp);
        free(sock_path);
        free(config);
        free(state_dir);
        free(run_dir);
        free(log_path);
        free(cg_root);
}

TestSuite(control_socket, .init = setup, .fini = teardown, .timeout = 90);

static const cJSON *find_cgroup(const cJSON *status, const char *path) {
        const cJSON *c;
        cJSON_ArrayForEach(c, get(status, "cgroups"))
                if (strcmp(get_str(c, "path"), path) == 0)
                        return c;
        cr_assert_fail("cgroup %s not in the status", path);
        return NULL;
}

Test(control_socket, status_fields_and_cgroup_levels) {
        cJSON *r = call1("{\"op\": \"status\", \"id\": 7}");
        const cJSON *s = expect_ok(r, 7);
        cr_assert_gt(strlen(get_str(s, "version")), 0);
        cr_assert_eq(get_num(s, "pid"), daemon_pid);
        cr_assert_str_eq(get_str(s, "mode"), "cgroup");
        cr_assert(strstr(get_str(s, "mode_reason"), cg_root), "%s", get_str(s, "mode_reason"));
        cr_assert_str_eq(get_str(s, "cgroup_root"), cg_root);
        cr_assert_str_eq(get_str(s, "policy"), config);
        cr_assert_not(get_bool(s, "dry_run"));
        const char *w = get_str(s, "wakeups");
        cr_assert(strcmp(w, "psi-triggers") == 0 || strcmp(w, "polling") == 0, "%s", w);
        cr_assert_eq(get_num(s, "interval_usec"), 200000);
        const cJSON *sys = get(s, "system");
        cr_assert_gt(get_num(sys, "mem_total"), 0);
        cr_assert_leq(get_num(sys, "mem_available"), get_num(sys, "mem_total"));
        cr_assert_geq(get_num(sys, "swap_total"), get_num(sys, "swap_free"));
        const cJSON *mp = get(sys, "memory_pressure");
        cr_assert_geq(get_num(get(mp, "some"), "avg10"), 0);
        cr_assert_geq(get_num(get(mp, "some"), "total_usec"), 0);
        cr_assert_eq(get_num(s, "kill_count"), 0);
        cr_assert(cJSON_IsNull(get(s, "last_kill")));
        cr_assert_eq(cJSON_GetArraySize(get(s, "cgroups")), 3, "/, /big.slice and /small.slice");

        const cJSON *big = find_cgroup(s, "/big.slice");
        cr_assert_eq(get_num(big, "memory_current"), BIG_BYTES);
        cr_assert_str_eq(get_str(big, "level"), "medium", "full avg10 25 is medium");
        cr_assert_str_eq(get_str(big, "preference"), "none");
        cr_assert(get_bool(big, "populated"));
        const cJSON *full = get(get(big, "memory_pressure"), "full");
        cr_assert_float_eq(get_num(full, "avg10"), 25.0, 1e-9);
        cr_assert_float_eq(get_num(full, "avg60"), 4.0, 1e-9);
        cr_assert_float_eq(get_num(full, "avg300"), 0.5, 1e-9);
        cr_assert_eq(get_num(full, "total_usec"), 500);
        cr_assert_float_eq(get_num(get(get(big, "memory_pressure"), "some"), "avg10"), 30.0, 1e-9);
        for (const char *k = "memory_low"; k; k = strcmp(k, "memory_low") == 0 ? "memory_min" : NULL)
                get(big, k); /* present (null when the policy does not read them) */
        get(big, "swap_current");

        const cJSON *small = find_cgroup(s, "/small.slice");
        cr_assert_str_eq(get_str(small, "level"), "ok");
        cr_assert_not(get_bool(small, "populated"));
        cr_assert_eq(get_num(small, "memory_current"), 10485760);
        cJSON_Delete(r);

        /* The level follows the file: critical at 40 and above. */
        char *p = path_in("cgroup/big.slice/memory.pressure");
        host_assert_write_text(p, "some avg10=50.00 avg60=5.00 avg300=1.00 total=900\nfull avg10=45.00 avg60=4.00 avg300=0.50 total=600\n");
        bool critical = false;
        for (int i = 0; i < 50 && !critical; i++) {
                host_sleep_ms(100);
                r = call1("{\"op\": \"status\"}");
                critical = strcmp(get_str(find_cgroup(expect_ok(r, -1), "/big.slice"), "level"), "critical") == 0;
                cJSON_Delete(r);
        }
        cr_assert(critical, "the level did not become critical");
        free(p);
}

static const cJSON *kill_list_entries(cJSON *reply) {
        const cJSON *e = get(expect_ok(reply, -1), "entries");
        cr_assert(cJSON_IsArray(e));
        return e;
}

static void expect_entry(const cJSON *entries, int index, const char *pattern, const char *min_memory, double min_pressure) {
        const cJSON *e = cJSON_GetArrayItem(entries, index);
        cr_assert_not_null(e, "no entry %d", index);
        cr_assert_eq(get_num(e, "index"), index);
        cr_assert_str_eq(get_str(e, "pattern"), pattern);
        if (min_memory)
                cr_assert_str_eq(get_str(e, "min_memory"), min_memory);
        else
                cr_assert(cJSON_IsNull(get(e, "min_memory")));
        if (min_pressure >= 0)
                cr_assert_float_eq(get_num(e, "min_pressure"), min_pressure, 1e-9);
        else
                cr_assert(cJSON_IsNull(get(e, "min_pressure")));
}

/* The kill list inside a policy document, as policy-get returns it. */
static const cJSON *policy_kill_list(const cJSON *doc) {
        const cJSON *l = get(doc, "kill_list");
        cr_assert(cJSON_IsArray(l));
        return l;
}

Test(control_socket, kill_list_add_move_remove) {
        Client *c = client_new();
        cJSON *r = call(c, "{\"op\": \"kill-list\", \"id\": 1}");
        cr_assert_eq(cJSON_GetArraySize(get(expect_ok(r, 1), "entries")), 0);
        cJSON_Delete(r);

        r = call(c, "{\"op\": \"kill-list-add\", \"id\": 2, \"pattern\": \"/big.slice\", \"min_memory\": \"100M\"}");
        char *runtime_policy = path_in("run/changes.json");
        cr_assert(strstr(get_str(expect_ok(r, 2), "policy_source"), runtime_policy), "%s", cJSON_PrintUnformatted(r));
        cJSON_Delete(r);
        cJSON_Delete(call(c, "{\"op\": \"kill-list-add\", \"pattern\": \"chrome\", \"min_pressure\": 15}"));
        r = call(c, "{\"op\": \"kill-list-add\", \"pattern\": \"/small.slice\", \"position\": 0, \"min_memory\": 1048576}");
        expect_ok(r, -1);
        cJSON_Delete(r);

        r = call(c, "{\"op\": \"kill-list\"}");
        const cJSON *e = kill_list_entries(r);
        cr_assert_eq(cJSON_GetArraySize(e), 3);
        expect_entry(e, 0, "/small.slice", "1M", -1);
        expect_entry(e, 1, "/big.slice", "100M", -1);
        expect_entry(e, 2, "chrome", NULL, 15);
        cJSON_Delete(r);

        r = call(c, "{\"op\": \"kill-list-move\", \"from\": 2, \"to\": 0}");
        expect_ok(r, -1);
        cJSON_Delete(r);
        r = call(c, "{\"op\": \"kill-list-remove\", \"index\": 1}");
        expect_ok(r, -1);
        cJSON_Delete(r);

        r = call(c, "{\"op\": \"kill-list\"}");
        e = kill_list_entries(r);
        cr_assert_eq(cJSON_GetArraySize(e), 2);
        expect_entry(e, 0, "chrome", NULL, 15);
        expect_entry(e, 1, "/big.slice", "100M", -1);
        cJSON_Delete(r);

        /* policy-get shows the same list, and the runtime change layer holds it (and nothing else). */
        r = call(c, "{\"op\": \"policy-get\"}");
        const cJSON *res = expect_ok(r, -1);
        cr_assert(strstr(get_str(res, "source"), runtime_policy));
        const cJSON *l = policy_kill_list(get(res, "policy"));
        cr_assert_eq(cJSON_GetArraySize(l), 2);
        cr_assert_str_eq(get_str(cJSON_GetArrayItem(l, 0), "pattern"), "chrome");
        cr_assert_str_eq(get_str(cJSON_GetArrayItem(l, 1), "pattern"), "/big.slice");
        cr_assert_str_eq(get_str(get(res, "policy"), "interval"), "200ms");
        cJSON_Delete(r);

        char *text = host_read_file(runtime_policy);
        cr_assert_not_null(text, "%s was not written", runtime_policy);
        cJSON *doc = cJSON_Parse(text);
        cr_assert_not_null(doc, "%s is not JSON", runtime_policy);
        l = policy_kill_list(doc);
        cr_assert_eq(cJSON_GetArraySize(l), 2);
        cr_assert_str_eq(get_str(cJSON_GetArrayItem(l, 0), "pattern"), "chrome");
        cr_assert_str_eq(get_str(cJSON_GetArrayItem(l, 1), "min_memory"), "100M");
        cr_assert_eq(cJSON_GetArraySize(doc), 1, "the change layer holds more than the kill list: %s", text);
        cJSON_Delete(doc);
        free(text);

        /* Bad indexes. */
        r = call(c, "{\"op\": \"kill-list-remove\", \"index\": 5}");
        cr_assert(strstr(get_str(expect_error(r, -1, "not-found"), "message"), "has 2 entries"));
        cJSON_Delete(r);
        r = call(c, "{\"op\": \"kill-list-move\", \"from\": 0, \"to\": 2}");
        expect_error(r, -1, "not-found");
        cJSON_Delete(r);
        /* A bad pattern is a policy error at the entry's path. */
        r = call(c, "{\"op\": \"kill-list-add\", \"pattern\": \"\"}");
        cr_assert_str_eq(get_str(expect_error(r, -1, "invalid-policy"), "path"), "kill_list[2].pattern");
        cJSON_Delete(r);
        r = call(c, "{\"op\": \"kill-list-add\", \"pattern\": \"/x\", \"min_memory\": \"lots\"}");
        cr_assert_str_eq(get_str(expect_error(r, -1, "invalid-policy"), "path"), "kill_list[2].min_memory");
        cJSON_Delete(r);
        r = call(c, "{\"op\": \"kill-list\"}");
        cr_assert_eq(cJSON_GetArraySize(kill_list_entries(r)), 2, "a refused edit changed the list");
        cJSON_Delete(r);
        client_free(c);
        free(runtime_policy);
}

Test(control_socket, persist_survives_a_restart) {
        char *runtime_policy = path_in("run/changes.json"), *state_policy = path_in("state/changes.json");
        cJSON *r = call1("{\"op\": \"kill-list-add\", \"pattern\": \"/big.slice\"}");
        expect_ok(r, -1);
        cJSON_Delete(r);
        cr_assert_eq(access(runtime_policy, F_OK), 0);

        r = call1("{\"op\": \"kill-list-add\", \"pattern\": \"/small.slice\", \"persist\": true}");
        cr_assert(strstr(get_str(expect_ok(r, -1), "policy_source"), state_policy), "%s", cJSON_PrintUnformatted(r));
        cJSON_Delete(r);
        cr_assert_eq(access(state_policy, F_OK), 0, "persist did not write %s", state_policy);
        cr_assert_neq(access(runtime_policy, F_OK), 0, "persist left the kill list in the runtime layer, which would override it");

        stop_daemon();
        cr_assert_neq(access(sock_path, F_OK), 0, "the socket file outlived the daemon");
        start_daemon();
        r = call1("{\"op\": \"kill-list\"}");
        const cJSON *e = kill_list_entries(r);
        cr_assert_eq(cJSON_GetArraySize(e), 2);
        expect_entry(e, 0, "/big.slice", NULL, -1);
        expect_entry(e, 1, "/small.slice", NULL, -1);
        cJSON_Delete(r);
        r = call1("{\"op\": \"status\"}");
        cr_assert(strstr(get_str(expect_ok(r, -1), "policy"), state_policy));
        cJSON_Delete(r);
        free(runtime_policy);
        free(state_policy);
}

Test(control_socket, policy_set_bad_then_good_and_reload) {
        Client *c = client_new();
        cJSON *r = call(c, "{\"op\": \"policy-set\", \"id\": \"a\", \"policy\": {\"rulesets\": [{\"name\": \"x\","
                           " \"detectors\": [[{\"type\": \"pressure_above\", \"threshold\": 150}]],"
                           " \"actions\": [{\"type\": \"kill\"}]}]}}");
        cr_assert_str_eq(get_str(r, "id"), "a");
        cr_assert_not(get_bool(r, "ok"));
        cr_assert_str_eq(get_str(get(r, "error"), "code"), "invalid-policy");
        cJSON_Delete(r);
        const cJSON *e;

        r = call(c, "{\"op\": \"policy-set\", \"policy\": {\"rulesets\": [{\"name\": \"x\","
                    " \"detectors\": [[{\"type\": \"pressure_above\", \"threshold\": 150}]],"
                    " \"actions\": [{\"type\": \"kill\"}]}]}}");
        e = expect_error(r, -1, "invalid-policy");
        cr_assert_str_eq(get_str(e, "path"), "rulesets[0].detectors[0][0].threshold");
        cr_assert(strstr(get_str(e, "message"), "got 150; the running policy is unchanged"), "%s", get_str(e, "message"));
        cJSON_Delete(r);
        char *runtime_policy = path_in("run/policy.json");
        cr_assert_neq(access(runtime_policy, F_OK), 0, "a refused policy reached the disk");

        /* The old policy is still served. */
        r = call(c, "{\"op\": \"policy-get\"}");
        const cJSON *res = expect_ok(r, -1);
        cr_assert_str_eq(get_str(res, "source"), config);
        cr_assert_str_eq(get_str(cJSON_GetArrayItem(get(get(res, "policy"), "rulesets"), 0), "name"), "first");
        cJSON_Delete(r);

        r = call(c, "{\"op\": \"policy-set\", \"policy\": {\"dry_run\": true, \"rulesets\": [{\"name\": \"third\","
                    " \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/pressured-test-does-not-exist\"}]],"
                    " \"actions\": [{\"type\": \"kill\"}]}]}}");
        cr_assert(strstr(get_str(expect_ok(r, -1), "policy_source"), runtime_policy));
        cJSON_Delete(r);
        r = call(c, "{\"op\": \"policy-get\"}");
        res = expect_ok(r, -1);
        cr_assert_eq(cJSON_GetArraySize(get(get(res, "policy"), "rulesets")), 1);
        cr_assert_str_eq(get_str(cJSON_GetArrayItem(get(get(res, "policy"), "rulesets"), 0), "name"), "third");
        cr_assert(get_bool(get(res, "policy"), "dry_run"));
        cJSON_Delete(r);

        /* Reload re-reads the files: the runtime policy wins over --config. */
        host_assert_write_text(config, POLICY2);
        r = call(c, "{\"op\": \"policy-reload\"}");
        cr_assert(strstr(get_str(expect_ok(r, -1), "policy_source"), runtime_policy));
        cJSON_Delete(r);
        unlink(runtime_policy);
        r = call(c, "{\"op\": \"policy-reload\"}");
        cr_assert_str_eq(get_str(expect_ok(r, -1), "policy_source"), config);
        cJSON_Delete(r);
        r = call(c, "{\"op\": \"policy-get\"}");
        cr_assert_str_eq(get_str(cJSON_GetArrayItem(get(get(expect_ok(r, -1), "policy"), "rulesets"), 0), "name"), "second");
        cJSON_Delete(r);

        /* A bad file on reload: invalid-policy with the path, the old policy kept. */
        host_assert_write_text(config, "{\"interval\": \"soon\"}");
        r = call(c, "{\"op\": \"policy-reload\", \"id\": 9}");
        cr_assert_str_eq(get_str(expect_error(r, 9, "invalid-policy"), "path"), "interval");
        cJSON_Delete(r);
        r = call(c, "{\"op\": \"policy-get\"}");
        cr_assert_str_eq(get_str(cJSON_GetArrayItem(get(get(expect_ok(r, -1), "policy"), "rulesets"), 0), "name"), "second");
        cJSON_Delete(r);
        client_free(c);
        free(runtime_policy);
}

Test(control_socket, string_ids_are_echoed) {
        cJSON *r = call1("{\"op\": \"dump\", \"id\": \"req-1\"}");
        cr_assert_str_eq(get_str(r, "id"), "req-1");
        cr_assert(get_bool(r, "ok"));
        cJSON_Delete(r);
}

static void wait_for_event(Client *c, const char *name, cJSON **ret) {
        for (int i = 0; i < 20; i++) {
                cJSON *ev = client_read_json(c);
                const cJSON *n = cJSON_GetObjectItemCaseSensitive(ev, "event");
                if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0) {
                        *ret = ev;
                        return;
                }
                cJSON_Delete(ev);
        }
        cr_assert_fail("no %s event", name);
}

static Client *subscriber_new(void) {
        Client *s = client_new();
        cJSON *r = call(s, "{\"op\": \"subscribe\", \"id\": 1}");
        cr_assert(get_bool(expect_ok(r, 1), "subscribed"));
        cJSON_Delete(r);
        return s;
}

Test(control_socket, subscribe_gets_policy_changed) {
        Client *s = subscriber_new();
        cJSON *r = call1("{\"op\": \"kill-list-add\", \"pattern\": \"/big.slice\"}");
        expect_ok(r, -1);
        cJSON_Delete(r);
        cJSON *ev;
        wait_for_event(s, "PolicyChanged", &ev);
        char *runtime_policy = path_in("run/changes.json");
        cr_assert(strstr(get_str(ev, "source"), runtime_policy));
        cr_assert_eq(get_num(ev, "rulesets"), 1);
        cr_assert_eq(get_num(ev, "kill_list_entries"), 1);
        cJSON_Delete(ev);

        r = call1("{\"op\": \"set-dry-run\", \"dry_run\": true}");
        cr_assert(get_bool(expect_ok(r, -1), "dry_run"));
        cJSON_Delete(r);
        wait_for_event(s, "PolicyChanged", &ev);
        cr_assert(get_bool(ev, "dry_run"));
        cJSON_Delete(ev);
        r = call1("{\"op\": \"status\"}");
        cr_assert(get_bool(expect_ok(r, -1), "dry_run"));
        cJSON_Delete(r);
        client_free(s);
        free(runtime_policy);
}

static void expect_kill_fields(const cJSON *ev, bool with_result) {
        cr_assert_str_eq(get_str(ev, "cgroup"), "/big.slice");
        cr_assert_str_eq(get_str(ev, "unit"), "big.slice"); /* the unit the cgroup is */
        cr_assert_str_eq(get_str(ev, "ruleset"), "manual");
        cr_assert_str_eq(get_str(ev, "reason"), "manual: test reason");
        cr_assert_eq(get_num(ev, "memory_bytes"), BIG_BYTES);
        cr_assert_geq(get_num(ev, "pressure"), 0);
        cr_assert(get_bool(ev, "dry_run"));
        cr_assert_gt(get_num(ev, "time"), 1.6e15, "time is not realtime usec");
        if (with_result) {
                cr_assert_str_eq(get_str(ev, "method"), "dry-run");
                cr_assert_eq(cJSON_GetArraySize(get(ev, "pids")), 0);
                cr_assert_eq(get_num(ev, "killed"), 0);
                cr_assert_eq(get_num(ev, "freed_bytes"), 0);
        } else {
                cr_assert_null(cJSON_GetObjectItemCaseSensitive(ev, "pids"));
                cr_assert_null(cJSON_GetObjectItemCaseSensitive(ev, "method"));
                cr_assert_null(cJSON_GetObjectItemCaseSensitive(ev, "killed"));
                cr_assert_null(cJSON_GetObjectItemCaseSensitive(ev, "freed_bytes"));
        }
}

Test(control_socket, dry_run_kill_events_history_and_dump) {
        Client *s = subscriber_new();
        cJSON *r = call1("{\"op\": \"kill\", \"id\": 4, \"target\": \"big.slice\", \"reason\": \"test reason\", \"dry_run\": true}");
        const cJSON *res = expect_ok(r, 4);
        cr_assert_str_eq(get_str(res, "cgroup"), "/big.slice");
        cr_assert_eq(get_num(res, "killed"), 0);
        cr_assert_eq(cJSON_GetArraySize(get(res, "pids")), 0);
        cr_assert_str_eq(get_str(res, "method"), "dry-run");
        cr_assert(get_bool(res, "dry_run"));
        cJSON_Delete(r);

        cJSON *ev = client_read_json(s);
        cr_assert_str_eq(get_str(ev, "event"), "KillPending");
        expect_kill_fields(ev, false);
        cJSON_Delete(ev);
        ev = client_read_json(s);
        cr_assert_str_eq(get_str(ev, "event"), "Killed");
        expect_kill_fields(ev, true);
        double t = get_num(ev, "time");
        cJSON_Delete(ev);
        cr_assert(host_child_alive(daemon_pid));

        r = call1("{\"op\": \"history\"}");
        const cJSON *kills = get(expect_ok(r, -1), "kills");
        cr_assert_eq(cJSON_GetArraySize(kills), 1);
        const cJSON *k = cJSON_GetArrayItem(kills, 0);
        cr_assert_str_eq(get_str(k, "cgroup"), "/big.slice");
        cr_assert_str_eq(get_str(k, "ruleset"), "manual");
        cr_assert_str_eq(get_str(k, "reason"), "manual: test reason");
        cr_assert(get_bool(k, "dry_run"));
        cr_assert_eq(get_num(k, "memory_bytes"), BIG_BYTES);
        cr_assert_float_eq(get_num(k, "time"), t, 1.0);
        cJSON_Delete(r);
        char since[128];
        snprintf(since, sizeof since, "{\"op\": \"history\", \"since\": %.0f}", t + 1);
        r = call1(since);
        cr_assert_eq(cJSON_GetArraySize(get(expect_ok(r, -1), "kills")), 0);
        cJSON_Delete(r);

        r = call1("{\"op\": \"status\"}");
        res = expect_ok(r, -1);
        cr_assert_eq(get_num(res, "kill_count"), 0, "a dry run is not a kill");
        cr_assert_str_eq(get_str(get(res, "last_kill"), "cgroup"), "/big.slice");
        cJSON_Delete(r);

        r = call1("{\"op\": \"dump\"}");
        const char *text = get_str(expect_ok(r, -1), "text");
        cr_assert(strstr(text, "Mode:       cgroup") && strstr(text, "medium") && strstr(text, "/big.slice") &&
                  strstr(text, "manual: test reason") && strstr(text, "300M"), "%s", text);
        cJSON_Delete(r);

        /* Targets that must not die, or do not exist. */
        r = call1("{\"op\": \"kill\", \"target\": \"/\"}");
        cr_assert(strstr(get_str(expect_error(r, -1, "permission-denied"), "message"), "root cgroup"));
        cJSON_Delete(r);
        r = call1("{\"op\": \"kill\", \"target\": \"/nope.slice\", \"dry_run\": true}");
        expect_error(r, -1, "not-found");
        cJSON_Delete(r);
        r = call1("{\"op\": \"kill\", \"target\": \"nope.service\", \"dry_run\": true}");
        expect_error(r, -1, "not-found");
        cJSON_Delete(r);
        r = call1("{\"op\": \"kill\", \"target\": \"/big.slice/../..\", \"dry_run\": true}");
        expect_error(r, -1, "invalid-request");
        cJSON_Delete(r);
        r = call1("{\"op\": \"kill\", \"target\": \"bash\", \"dry_run\": true}");
        expect_error(r, -1, "invalid-request");
        cJSON_Delete(r);
        r = call1("{\"op\": \"history\"}");
        cr_assert_eq(cJSON_GetArraySize(get(expect_ok(r, -1), "kills")), 1, "a refused kill reached the history");
        cJSON_Delete(r);
        client_free(s);
}

Test(control_socket, malformed_requests) {
        Client *c = client_new();
        cJSON *r = call(c, "this is not json");
        expect_error(r, -1, "invalid-request");
        cJSON_Delete(r);
        r = call(c, "[{\"op\": \"status\"}]");
        expect_error(r, -1, "invalid-request");
        cJSON_Delete(r);
        r = call(c, "{\"op\": \"status\"} trailing");
        expect_error(r, -1, "invalid-request");
        cJSON_Delete(r);
        r = call(c, "{\"id\": 3}");
        expect_error(r, 3, "invalid-request");
        cJSON_Delete(r);
        r = call(c, "{\"id\": 4, \"op\": 17}");
        expect_error(r, 4, "invalid-request");
        cJSON_Delete(r);
        r = call(c, "{\"id\": 5, \"op\": \"reboot\"}");
        cr_assert(strstr(get_str(expect_error(r, 5, "unknown-op"), "message"), "reboot"));
        cJSON_Delete(r);
        r = call(c, "{\"op\": \"kill-list-remove\", \"index\": \"first\"}");
        expect_error(r, -1, "invalid-request");
        cJSON_Delete(r);
        r = call(c, "{\"op\": \"kill-list-remove\", \"index\": 1.5}");
        expect_error(r, -1, "invalid-request");
        cJSON_Delete(r);
        r = call(c, "{\"op\": \"kill-list-remove\"}");
        expect_error(r, -1, "invalid-request");
        cJSON_Delete(r);
        r = call(c, "{\"op\": \"set-dry-run\", \"dry_run\": \"yes\"}");
        expect_error(r, -1, "invalid-request");
        cJSON_Delete(r);
        r = call(c, "{\"op\": \"kill\", \"target\": 5}");
        expect_error(r, -1, "invalid-request");
        cJSON_Delete(r);
        r = call(c, "{\"op\": \"policy-set\", \"policy\": \"{}\"}");
        expect_error(r, -1, "invalid-request");
        cJSON_Delete(r);
        r = call(c, "{\"op\": \"history\", \"since\": -1}");
        expect_error(r, -1, "invalid-request");
        cJSON_Delete(r);
        /* Truncated JSON on a complete line. */
        r = call(c, "{\"op\": \"sta");
        expect_error(r, -1, "invalid-request");
        cJSON_Delete(r);
        /* Several requests in one write are answered in order, on the same connection. */
        const char *three = "{\"op\":\"status\",\"id\":1}\n{\"op\":\"nope\",\"id\":2}\n{\"op\":\"kill-list\",\"id\":3}\n";
        send_all(c->fd, three, strlen(three));
        r = client_read_json(c);
        expect_ok(r, 1);
        cJSON_Delete(r);
        r = client_read_json(c);
        expect_error(r, 2, "unknown-op");
        cJSON_Delete(r);
        r = client_read_json(c);
        get(expect_ok(r, 3), "entries");
        cJSON_Delete(r);
        client_free(c);
        cr_assert(host_child_alive(daemon_pid));
}

Test(control_socket, oversized_line_closes_the_connection) {
        Client *c = client_new();
        size_t n = 70 * 1024;
        char *big = malloc(n + 1);
        memset(big, 'a', n);
        big[0] = '"';
        big[n] = 0;
        /* The daemon stops reading after 65537 bytes and closes: the rest of the send may meet EPIPE. */
        big[n - 1] = '\n';
        for (size_t off = 0; off < n;) {
                ssize_t k = send(c->fd, big + off, n - off, MSG_NOSIGNAL);
                if (k < 0) {
                        cr_assert(errno == EPIPE || errno == ECONNRESET, "send: %s", strerror(errno));
                        break;
                }
                off += (size_t) k;
        }
        free(big);
        cJSON *r = client_read_json(c);
        cr_assert(strstr(get_str(expect_error(r, -1, "too-large"), "message"), "65536"));
        cJSON_Delete(r);
        cr_assert_null(client_read_line(c, 5000), "the connection stayed open after too-large");
        client_free(c);

        /* A line of exactly 65536 bytes is still read (and is not JSON here). */
        c = client_new();
        big = malloc(65537);
        memset(big, ' ', 65536);
        memcpy(big, "{\"op\":\"status\",\"id\":8}", 22);
        big[65536] = 0;
        r = call(c, big);
        expect_ok(r, 8);
        cJSON_Delete(r);
        free(big);
        r = call(c, "{\"op\": \"status\", \"id\": 9}");
        expect_ok(r, 9);
        cJSON_Delete(r);
        client_free(c);
}

Test(control_socket, half_line_then_vanish) {
        for (int i = 0; i < 20; i++) {
                int fd = connect_socket();
                cr_assert_geq(fd, 0);
                send_all(fd, "{\"op\": \"sta", 11);
                close(fd);
        }
        int idle = connect_socket(); /* connects and never sends: must not hold anyone up */
        cJSON *r = call1("{\"op\": \"status\", \"id\": 1}");
        expect_ok(r, 1);
        cJSON_Delete(r);
        close(idle);
        cr_assert(host_child_alive(daemon_pid));
}

Test(control_socket, two_hundred_concurrent_clients) {
        Client *c[N_CLIENTS];
        for (int i = 0; i < N_CLIENTS; i++)
                c[i] = client_new();
        for (int i = 0; i < N_CLIENTS; i++) {
                char req[64];
                snprintf(req, sizeof req, "{\"op\": \"status\", \"id\": %d}", i);
                client_send(c[i], req);
        }
        for (int i = N_CLIENTS - 1; i >= 0; i--) {
                cJSON *r = client_read_json(c[i]);
                cr_assert_eq(get_num(expect_ok(r, i), "pid"), daemon_pid);
                cJSON_Delete(r);
                client_free(c[i]);
        }
}

Test(control_socket, a_subscriber_that_never_reads_is_dropped) {
        if (geteuid() != 0)
                cr_skip_test("needs root to connect as uid 65534");
        /* Another user's subscriber: root's connections may hold more (CONTROL_ROOT_CONNECTION_MEMORY_MAX).
         * The socket takes the peer's credentials at connect(): the effective uid then. */
        cr_assert_eq(seteuid(65534), 0);
        Client *lazy = client_new();
        cr_assert_eq(seteuid(0), 0);
        cJSON *sr = call(lazy, "{\"op\": \"subscribe\", \"id\": 1}");
        cr_assert(get_bool(expect_ok(sr, 1), "subscribed"));
        cJSON_Delete(sr);
        Client *other = subscriber_new(); /* reads its events: keeps its place */
        Client *c = client_new();
        size_t produced = 0;
        int sent = 0;
        /* set-dry-run announces PolicyChanged without writing files: about 150 bytes per event. */
        /* Past the connection's 1 MiB and what the kernel buffers (about 200 KiB). */
        while (produced < 1536 * 1024) {
                char batch[100 * 64];
                size_t l = 0;
                for (int i = 0; i < 100; i++, sent++)
                        l += snprintf(batch + l, sizeof batch - l, "{\"op\":\"set-dry-run\",\"dry_run\":%s}\n",
                                      sent % 2 ? "false" : "true");
                send_all(c->fd, batch, l);
                for (int i = 0; i < 100; i++) {
                        cJSON *r = client_read_json(c);
                        expect_ok(r, -1);
                        cJSON_Delete(r);
                        char *ev = client_read_line(other, 10000);
                        cr_assert_not_null(ev, "the reading subscriber lost its events");
                        cr_assert(strstr(ev, "\"PolicyChanged\""), "%s", ev);
                        produced += strlen(ev) + 1;
                        free(ev);
                }
        }
        cr_assert(host_file_contains(log_path, "Dropping control socket client", 5000), "no drop was logged");
        /* The lazy subscriber finds what the kernel buffered, then the end of the connection. */
        size_t got = 0;
        char buf[65536];
        for (;;) {
                struct pollfd p = { .fd = lazy->fd, .events = POLLIN };
                cr_assert_gt(poll(&p, 1, 5000), 0, "the lazy subscriber was not dropped");
                ssize_t k = read(lazy->fd, buf, sizeof buf);
                if (k <= 0)
                        break;
                got += (size_t) k;
        }
        cr_assert_lt(got, produced, "the lazy subscriber got everything: it was never dropped");
        cr_assert(host_child_alive(daemon_pid));
        cJSON *r = call(c, "{\"op\": \"set-dry-run\", \"dry_run\": true}");
        expect_ok(r, -1);
        cJSON_Delete(r);
        char *ev = client_read_line(other, 5000);
        cr_assert(ev && strstr(ev, "PolicyChanged"), "the other subscriber stopped getting events");
        free(ev);
        client_free(lazy);
        client_free(other);
        client_free(c);
}

/* Runs in a child as uid 65534 (with supplementary group `group` if not 0): one request, exit 0
 * when the reply is the expected error, or ok when want_code is NULL. */
static int unprivileged_request(const char *request, const char *want_code, gid_t group) {
        if (setgroups(group ? 1 : 0, &group) < 0)
                return 9;
        if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                return 10;
        int fd = connect_socket();
        if (fd < 0)
                return 11;
        Client c = { .fd = fd };
        dprintf(fd, "%s\n", request);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        char *nl = NULL;
        while (!nl && poll(&p, 1, 10000) > 0) {
                ssize_t k = read(fd, c.buf + c.len, sizeof c.buf - 1 - c.len);
                if (k <= 0)
                        return 12;
                c.len += (size_t) k;
                c.buf[c.len] = 0;
                nl = strchr(c.buf, '\n');
        }
        cJSON *r = cJSON_Parse(c.buf);
        if (!r)
                return 13;
        const cJSON *ok = cJSON_GetObjectItem(r, "ok");
        if (!want_code)
                return cJSON_IsTrue(ok) ? 0 : 14;
        const cJSON *code = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "error"), "code");
        const cJSON *msg = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "error"), "message");
        if (!cJSON_IsFalse(ok) || !cJSON_IsString(code) || strcmp(code->valuestring, want_code) != 0)
                return 15;
        if (!cJSON_IsString(msg) || !strstr(msg->valuestring, "needs root") || !strstr(msg->valuestring, "65534"))
                return 16;
        return 0;
}

static void run_unprivileged_in(const char *request, const char *want_code, gid_t group) {
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0)
                _exit(unprivileged_request(request, want_code, group));
        int st = host_wait_child(pid, 15000);
        cr_assert(st != -1 && WIFEXITED(st), "the unprivileged client hung or crashed");
        cr_assert_eq(WEXITSTATUS(st), 0, "request %s as uid 65534: check %d failed", request, WEXITSTATUS(st));
}

static void run_unprivileged(const char *request, const char *want_code) {
        run_unprivileged_in(request, want_code, 0);
}

Test(control_socket, privileged_ops_need_root) {
        if (geteuid() != 0)
                cr_skip_test("needs root to switch to uid 65534");
        run_unprivileged("{\"op\": \"kill-list-add\", \"pattern\": \"/big.slice\"}", "permission-denied");
        run_unprivileged("{\"op\": \"kill\", \"target\": \"/big.slice\", \"dry_run\": true}", "permission-denied");
        run_unprivileged("{\"op\": \"set-dry-run\", \"dry_run\": true}", "permission-denied");
        run_unprivileged("{\"op\": \"policy-reload\"}", "permission-denied");
        run_unprivileged("{\"op\": \"policy-revert\", \"persist\": true}", "permission-denied");
        run_unprivileged("{\"op\": \"status\"}", NULL); /* reading is open to anyone */
        run_unprivileged("{\"op\": \"kill-list\"}", NULL);
        cJSON *r = call1("{\"op\": \"kill-list\"}");
        cr_assert_eq(cJSON_GetArraySize(kill_list_entries(r)), 0, "a refused edit changed the list");
        cJSON_Delete(r);
        r = call1("{\"op\": \"history\"}");
        cr_assert_eq(cJSON_GetArraySize(get(expect_ok(r, -1), "kills")), 0, "a refused kill reached the history");
        cJSON_Delete(r);
}

/* The policy's admin_group lets its members (here through a supplementary group, as SO_PEERGROUPS
 * tells) do what root does; others are still refused, and told which group would do. */
Test(control_socket, admin_group_members_may_kill) {
        if (geteuid() != 0)
                cr_skip_test("needs root to switch to uid 65534");
        struct group *g = getgrnam("users");
        if (!g)
                cr_skip_test("no group \"users\" on this host to stand in for the admin group");
        gid_t users = g->gr_gid;

        run_unprivileged_in("{\"op\": \"kill\", \"target\": \"/big.slice\", \"dry_run\": true}", "permission-denied", users);
        cJSON *r = call1("{\"op\": \"policy-set\", \"policy\": {\"admin_group\": \"users\", \"interval\": \"200ms\","
                         " \"rulesets\": [{\"name\": \"first\", \"detectors\": [[{\"type\": \"exists\","
                         " \"cgroup\": \"/pressured-test-does-not-exist\"}]], \"actions\": [{\"type\": \"kill\","
                         " \"ranker\": \"pressure\", \"cgroup\": \"/*\"}]}]}}");
        expect_ok(r, -1);
        cJSON_Delete(r);

        run_unprivileged_in("{\"op\": \"kill\", \"target\": \"/big.slice\", \"dry_run\": true}", NULL, users);
        run_unprivileged("{\"op\": \"set-dry-run\", \"dry_run\": true}", "permission-denied");
        r = call1("{\"op\": \"history\"}");
        const cJSON *kills = get(expect_ok(r, -1), "kills");
        cr_assert_eq(cJSON_GetArraySize(kills), 1, "the admin group's dry-run kill is not in the history");
        cJSON_Delete(r);
        char *log = host_read_file(log_path);
        cr_assert(log && strstr(log, "Members of group users"), "the log does not say who may act:\n%s", log ? log : "");
        free(log);
}

/* ---- step 1 of the kill ladder: the pre-kill hook and prekill_timeout ---- */

/* A ruleset that fires on the fixture's /big.slice (300M > 200M) and waits PREKILL_S before its
 * kill, running /bin/sh -c SCRIPT ENVFILE as its hook. */
#define PREKILL_S 20
static void load_prekill_policy(const char *script, const char *envfile) {
        cJSON *argv = cJSON_CreateArray();
        cJSON_AddItemToArray(argv, cJSON_CreateString("/bin/sh"));
        cJSON_AddItemToArray(argv, cJSON_CreateString("-c"));
        cJSON_AddItemToArray(argv, cJSON_CreateString(script));
        cJSON_AddItemToArray(argv, cJSON_CreateString(envfile));
        char *hook = cJSON_PrintUnformatted(argv);
        char policy[4096];
        snprintf(policy, sizeof policy,
                 "{\"interval\": \"200ms\", \"fast_interval\": \"50ms\", \"rulesets\": [{\"name\": \"shed\", \"method\": \"kill\","
                 " \"detectors\": [[{\"type\": \"memory_above\", \"cgroup\": \"/big.slice\", \"threshold\": \"200M\"}]],"
                 " \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/*\", \"kill_list\": false, \"prekill_timeout\": \"%ds\","
                 " \"prekill_hook\": %s}]}]}", PREKILL_S, hook);
        free(hook);
        cJSON_Delete(argv);
        host_assert_write_text(config, policy);
        cJSON *r = call1("{\"op\": \"policy-reload\"}");
        expect_ok(r, -1);
        cJSON_Delete(r);
}

static void set_big_memory(const char *bytes) {
        char *big = path_in("cgroup/big.slice");
        host_assert_write_in(big, "memory.current", bytes);
        free(big);
}

/* Subscribes, loads the pre-kill policy with this hook script (its $0 is path_in("hook.env")) and
 * waits for the KillPending of /big.slice; *pending gets that event when non-NULL. */
static Client *announce_prekill(const char *script, cJSON **pending) {
        Client *s = subscriber_new();
        char *envfile = path_in("hook.env");
        load_prekill_policy(script, envfile);
        free(envfile);
        cJSON *ev;
        wait_for_event(s, "KillPending", &ev);
        cr_assert_str_eq(get_str(ev, "cgroup"), "/big.slice");
        cr_assert_str_eq(get_str(ev, "ruleset"), "shed");
        cr_assert_eq(get_num(ev, "prekill_timeout_usec"), PREKILL_S * 1e6);
        if (pending)
                *pending = ev;
        else
                cJSON_Delete(ev);
        return s;
}

Test(control_socket, prekill_hook_that_sheds_memory_spares_the_target) {
        cJSON *ev;
        Client *s = announce_prekill("env | grep ^PRESSURED_ | sort > \"$0\"; echo 1048576 > \"$PRESSURED_CGROUP_PATH/memory.current\"",
                                     &ev);
        double pending_at = get_num(ev, "time");
        cJSON_Delete(ev);
        wait_for_event(s, "KillCancelled", &ev);
        cr_assert_str_eq(get_str(ev, "cgroup"), "/big.slice");
        cr_assert_str_eq(get_str(ev, "verdict"), "quiet", "reason: %s", get_str(ev, "reason"));
        cr_assert(strstr(get_str(ev, "reason"), "from 300M to 1.0M"),
                  "the reason names the memory at the decision: %s", get_str(ev, "reason"));
        double spared_after = (get_num(ev, "time") - pending_at) / 1e6;
        cr_assert_lt(spared_after, PREKILL_S / 2, "spared only %.1f s after KillPending; the hook shed at once", spared_after);
        cJSON_Delete(ev);

        char *envfile = path_in("hook.env"), *big_path = path_in("cgroup/big.slice");
        char want[4200];
        snprintf(want, sizeof want, "PRESSURED_CGROUP_PATH=%s\n", big_path);
        cr_assert(host_file_contains(envfile, "PRESSURED_CGROUP=/big.slice\n", 2000), "%s", host_read_file(envfile));
        cr_assert(host_file_contains(envfile, want, 100), "%s", host_read_file(envfile));
        cr_assert(host_file_contains(envfile, "PRESSURED_RULESET=shed\n", 100));
        cr_assert(host_file_contains(envfile, "PRESSURED_PREKILL_TIMEOUT_USEC=20000000\n", 100));
        cr_assert(host_file_contains(envfile, "PRESSURED_MEMORY_BYTES=314572800\n", 100));
        cr_assert(host_file_contains(log_path, "Spared /big.slice", 2000), "the spare is not logged");

        cJSON *r = call1("{\"op\": \"history\"}");
        cr_assert_eq(cJSON_GetArraySize(get(expect_ok(r, -1), "kills")), 0, "a spared target is not a kill");
        cJSON_Delete(r);
        free(big_path);
        free(envfile);
        client_free(s);
}

Test(control_socket, pending_kill_is_listed_and_spared_when_memory_falls) {
        Client *s = announce_prekill("exec sleep 60", NULL);
        cJSON *r = call1("{\"op\": \"status\"}");
        const cJSON *pend = get(expect_ok(r, -1), "pending_kills");
        cr_assert_eq(cJSON_GetArraySize(pend), 1, "status lists no pending kill");
        const cJSON *p = cJSON_GetArrayItem(pend, 0);
        cr_assert_str_eq(get_str(p, "cgroup"), "/big.slice");
        cr_assert_str_eq(get_str(p, "ruleset"), "shed");
        cr_assert(get_bool(p, "hook_running"));
        cr_assert_gt(get_num(p, "remaining_usec"), 0);
        cr_assert_leq(get_num(p, "remaining_usec"), PREKILL_S * 1e6);
        cJSON_Delete(r);

        set_big_memory("1048576\n"); /* the target gives its memory back while the hook still runs */
        cJSON *ev;
        wait_for_event(s, "KillCancelled", &ev);
        cr_assert_str_eq(get_str(ev, "verdict"), "quiet");
        cJSON_Delete(ev);
        r = call1("{\"op\": \"status\"}");
        cr_assert_eq(cJSON_GetArraySize(get(expect_ok(r, -1), "pending_kills")), 0);
        cJSON_Delete(r);
        client_free(s);
}

Test(control_socket, kill_goes_ahead_when_the_hook_exits_and_the_target_still_qualifies) {
        Client *s = announce_prekill("exit 0", NULL);
        cr_assert(host_file_contains(log_path, "The pre-kill hook for /big.slice is over", 5000),
                  "the kill did not follow the hook's exit within 5 s (prekill_timeout %d s):\n%s", PREKILL_S,
                  host_read_file(log_path));
        cr_assert_not(host_file_contains(log_path, "Spared /big.slice", 100), "the target was spared without shedding");
        client_free(s);
}

Test(control_socket, status_names_where_each_ruleset_came_from) {
        cJSON *r = call1("{\"op\": \"status\"}");
        const cJSON *rulesets = get(expect_ok(r, -1), "rulesets");
        cr_assert_eq(cJSON_GetArraySize(rulesets), 1);
        const cJSON *rs = cJSON_GetArrayItem(rulesets, 0);
        cr_assert_str_eq(get_str(rs, "name"), "first");
        cr_assert_str_eq(get_str(rs, "source"), config);
        cr_assert_str_eq(get_str(rs, "method"), "stop");
        cJSON_Delete(r);
}

/* ---- hostile local users: no client may stall the loop, bloat the daemon or smuggle bytes ---- */

/* Restarts the daemon over a history of n entries of about 400 bytes each. */
static void restart_with_history(unsigned n) {
        stop_daemon();
        char *path = host_path_in(state_dir, "history.jsonl");
        FILE *f = fopen(path, "we");
        free(path);
        cr_assert_not_null(f);
        for (unsigned i = 1; i <= n; i++)
                fprintf(f, "{\"time\":%u000000,\"time_iso\":\"1970-01-01T00:00:00.000000Z\",\"cgroup\":\"/system.slice/"
                           "worker-%u.service\",\"unit\":\"worker-%u.service\",\"ruleset\":\"default\",\"reason\":\"memory "
                           "pressure 72.50%% above 60%% for 30 s; the largest of 14 candidates\",\"method\":\"stop-unit\","
                           "\"comm\":null,\"pids\":[%u,%u,%u],\"killed\":3,\"memory_bytes\":3221225472,\"freed_bytes\":"
                           "3221225472,\"pressure\":72.5,\"dry_run\":false,\"incident_kill\":1,\"scope\":\"unit\","
                           "\"escalated\":false}\n", i, i, i, 1000 + i, 2000 + i, 3000 + i);
        cr_assert_eq(fclose(f), 0);
        start_daemon();
}

/* A field of /proc/DAEMON/status in KiB. */
static long daemon_status_kib(const char *field) {
        char path[64], *text;
        snprintf(path, sizeof path, "/proc/%d/status", (int) daemon_pid);
        text = host_read_file(path);
        cr_assert_not_null(text);
        const char *p = strstr(text, field);
        cr_assert_not_null(p, "no %s in %s", field, path);
        long v = strtol(p + strlen(field) + 1, NULL, 10);
        free(text);
        return v;
}

static double daemon_cpu_seconds(void) {
        char path[64], *text;
        snprintf(path, sizeof path, "/proc/%d/stat", (int) daemon_pid);
        text = host_read_file(path);
        cr_assert_not_null(text);
        unsigned long utime = 0, stime = 0;
        cr_assert_eq(sscanf(strrchr(text, ')') + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime), 2);
        free(text);
        return (double) (utime + stime) / (double) sysconf(_SC_CLK_TCK);
}

static int become_nobody(void) {
        if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                return -1;
        return 0;
}

/* In a child as uid 65534: n connections, each sending `per` copies of request at once. Then, if
 * `read_replies`, reads them all and exits 0 when every one came; otherwise holds the connections
 * (never reading) until killed. */
static pid_t spawn_nobody_flood(unsigned n, unsigned per, const char *request, bool read_replies) {
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid > 0)
                return pid;
        if (become_nobody() < 0)
                _exit(9);
        size_t l = strlen(request);
        char *batch = malloc(per * (l + 1));
        for (unsigned i = 0; i < per; i++) {
                memcpy(batch + i * (l + 1), request, l);
                batch[i * (l + 1) + l] = '\n';
        }
        int fds[64];
        for (unsigned c = 0; c < n && c < 64; c++) {
                fds[c] = connect_socket();
                if (fds[c] < 0)
                        _exit(10);
                int flags = fcntl(fds[c], F_GETFL);
                (void) fcntl(fds[c], F_SETFL, flags | O_NONBLOCK);
                /* What does not fit the socket now is sent while replies are read below. */
                (void) send(fds[c], batch, per * (l + 1), MSG_NOSIGNAL);
        }
        if (!read_replies)
                for (;;)
                        pause();
        for (unsigned c = 0; c < n; c++) {
                (void) fcntl(fds[c], F_SETFL, fcntl(fds[c], F_GETFL) & ~O_NONBLOCK);
                unsigned lines = 0;
                char buf[65536];
                struct pollfd p = { .fd = fds[c], .events = POLLIN };
                while (lines < per && poll(&p, 1, 60000) > 0) {
                        ssize_t k = read(fds[c], buf, sizeof buf);
                        if (k <= 0)
                                _exit(11);
                        for (ssize_t i = 0; i < k; i++)
                                lines += buf[i] == '\n';
                }
                if (lines < per)
                        _exit(12);
        }
        _exit(0);
}

/* Milliseconds a status request from root takes to be answered. */
static long status_latency_ms(void) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        cJSON *r = call1("{\"op\": \"status\"}");
        clock_gettime(CLOCK_MONOTONIC, &b);
        expect_ok(r, -1);
        cJSON_Delete(r);
        return (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
}

/* 3,800 pipelined history requests over a 1,999-entry history (each once re-read and re-parsed the
 * whole file: 8 s of CPU, and a status waited 4.4 s behind them). Served from memory in turns,
 * they cost little and nobody waits. */
Test(control_socket, history_floods_do_not_hold_up_others) {
        if (geteuid() != 0)
                cr_skip_test("needs root to switch to uid 65534");
        restart_with_history(1999);
        double cpu0 = daemon_cpu_seconds();
        pid_t flood = spawn_nobody_flood(10, 380, "{\"op\":\"history\",\"since\":9007199254740992}", true);
        long worst = 0;
        for (int i = 0; i < 5; i++) {
                long ms = status_latency_ms();
                worst = ms > worst ? ms : worst;
                host_sleep_ms(50);
        }
        int st = host_wait_child(flood, 60000);
        cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the flooding client did not get its 3800 replies "
                  "(status %d)", st);
        double cpu = daemon_cpu_seconds() - cpu0;
        cr_log_info("status answered within %ld ms during the flood; the flood cost the daemon %.2f s of CPU", worst, cpu);
        cr_assert_lt(worst, 2000, "a status waited %ld ms behind another user's history requests", worst);
        cr_assert_lt(cpu, 2.0, "3800 history requests cost the daemon %.2f s of CPU: the history is re-read per request?", cpu);
        cr_assert(host_child_alive(daemon_pid));
}

/* One user may hold CONTROL_CONNECTIONS_PER_UID_MAX (32) connections; the rest are refused at once
 * and logged once, and root is still served. */
Test(control_socket, one_user_holds_at_most_32_connections) {
        if (geteuid() != 0)
                cr_skip_test("needs root to switch to uid 65534");
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                if (become_nobody() < 0)
                        _exit(255);
                Client c[40];
                unsigned answered = 0;
                for (int i = 0; i < 40; i++) {
                        c[i] = (Client) { .fd = connect_socket() };
                        if (c[i].fd >= 0)
                                dprintf(c[i].fd, "{\"op\":\"status\"}\n");
                }
                for (int i = 0; i < 40; i++) {
                        char *line = c[i].fd >= 0 ? client_read_line(&c[i], 5000) : NULL;
                        answered += line != NULL;
                        free(line);
                }
                _exit((int) answered);
        }
        int st = host_wait_child(pid, 60000);
        cr_assert(st != -1 && WIFEXITED(st), "the client hung or crashed");
        cr_assert_eq(WEXITSTATUS(st), 32, "%d of 40 connections of one user were served, not 32", WEXITSTATUS(st));
        cr_assert(host_file_contains(log_path, "Refusing a control socket connection from uid 65534", 2000));
        cr_assert_eq(host_file_count(log_path, "Refusing a control socket connection"), 1,
                     "eight refusals in a moment are logged once");
        cr_assert_lt(status_latency_ms(), 2000);
}

/* Clients that ask for big replies and never read: each user's buffers stay within 2 MiB and all
 * users' within their ceiling, so the daemon's memory does not follow them (each connection could
 * hold 1 MiB of queued replies: 32 of them held 32 MiB). */
Test(control_socket, clients_that_never_read_stay_within_the_ceiling) {
        if (geteuid() != 0)
                cr_skip_test("needs root to switch to uid 65534");
        restart_with_history(1000); /* a history reply of about 450 KiB */
        long rss0 = daemon_status_kib("VmRSS:");
        pid_t hold = spawn_nobody_flood(32, 20, "{\"op\":\"history\"}", false);
        cr_assert(host_file_contains(log_path, "Dropping control socket client", 20000), "no client was dropped");
        host_sleep_ms(1000);
        long hwm = daemon_status_kib("VmHWM:"), rss = daemon_status_kib("VmRSS:");
        cr_assert_lt(status_latency_ms(), 2000, "root was not served while another user's clients hold their buffers");
        kill(hold, SIGKILL);
        host_wait_child(hold, 5000);
        cr_log_info("RSS %ld KiB before, %ld KiB with 32 clients that never read (peak %ld KiB)", rss0, rss, hwm);
#ifdef __SANITIZE_ADDRESS__
        cr_log_info("not judged under AddressSanitizer: its quarantine keeps what the daemon frees");
#else
        cr_assert_lt(hwm - rss0, 12 * 1024, "the daemon grew by %ld KiB for one user's clients", hwm - rss0);
#endif
        cr_assert(host_child_alive(daemon_pid));
}

/* Strings are checked at the edge: no NUL, valid UTF-8; nothing else may be cut short or echoed raw. */
Test(control_socket, strings_are_checked_at_the_edge) {
        cJSON *r = call1("{\"op\": \"status\\u0000kill\"}");
        expect_error(r, -1, "invalid-request");
        cr_assert(strstr(get_str(get(r, "error"), "message"), "NUL"));
        cJSON_Delete(r);
        r = call1("{\"op\": \"status\", \"id\": \"\xff\xfe\"}");
        expect_error(r, -1, "invalid-request");
        cr_assert(strstr(get_str(get(r, "error"), "message"), "UTF-8"));
        cJSON_Delete(r);
        r = call1("{\"op\": \"kill\", \"target\": \"/big.slice\", \"reason\": \"x\xff\xfe\", \"dry_run\": true}");
        expect_error(r, -1, "invalid-request");
        cJSON_Delete(r);
        r = call1("{\"op\": \"kill\", \"target\": \"/x\\u0000/..\", \"dry_run\": true}");
        expect_error(r, -1, "invalid-request");
        cJSON_Delete(r);
        r = call1("{\"op\": \"history\"}");
        cr_assert_eq(cJSON_GetArraySize(get(expect_ok(r, -1), "kills")), 0, "a refused request reached the history");
        cJSON_Delete(r);
        /* What is valid passes as it is: an escaped backslash before "u0000", and any character. */
        r = call1("{\"op\": \"status\", \"id\": \"x\\\\u0000 caf\xc3\xa9 \xe2\x9c\x93\"}");
        cr_assert(get_bool(r, "ok"));
        cr_assert_str_eq(get_str(r, "id"), "x\\u0000 caf\xc3\xa9 \xe2\x9c\x93");
        cJSON_Delete(r);
}

/* A size in bytes is echoed as sent, and one a double cannot hold exactly is refused. */
Test(control_socket, min_memory_is_echoed_as_sent) {
        cJSON *r = call1("{\"op\": \"kill-list-add\", \"pattern\": \"/big.slice\", \"min_memory\": 123456789}");
        expect_ok(r, -1);
        cJSON_Delete(r);
        r = call1("{\"op\": \"kill-list\"}");
        const cJSON *e = cJSON_GetArrayItem(kill_list_entries(r), 0);
        cr_assert_str_eq(get_str(e, "min_memory"), "123456789B", "the size sent, to the byte");
        cJSON_Delete(r);
        r = call1("{\"op\": \"kill-list-add\", \"pattern\": \"/small.slice\", \"min_memory\": 1e308}");
        const cJSON *x = expect_error(r, -1, "invalid-request");
        cr_assert(strstr(get_str(x, "message"), "8 PiB"), "%s", get_str(x, "message"));
        cJSON_Delete(r);
}
