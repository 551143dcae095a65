/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oomctl as an admin meets it: the real oomctl binary against the real daemon over its control
 * socket, in cgroup mode on a fixture hierarchy (a temp directory with the files the daemon reads).
 * Nothing is killed: the policy never fires and the one manual kill is a dry run.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
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

static char *tmp, *sock, *run_dir, *state_dir;
static pid_t daemon_pid;

/* A path in this test's temp directory; fails the test when out of memory. */
static char *path_in(const char *name) {
        return host_assert_path_in(tmp, name);
}



/* Never fires: the cgroup it waits for does not exist. One kill-list entry to start from. */
static const char POLICY[] =
        "{\"dry_run\": true, \"interval\": \"200ms\","
        " \"kill_list\": [{\"pattern\": \"/big.slice\", \"min_memory\": \"100M\"}],"
        " \"rulesets\": [{\"name\": \"never\","
        " \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/pressured-test-does-not-exist\"}]],"
        " \"actions\": [{\"type\": \"kill\"}]}]}";
static const char POLICY2[] =
        "{\"dry_run\": true, \"rulesets\": [{\"name\": \"second\","
        " \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/pressured-test-does-not-exist\"}]],"
        " \"actions\": [{\"type\": \"kill\"}]}]}";
static const char BAD[] =
        "{\"rulesets\": [{\"name\": \"x\", \"detectors\": [[{\"type\": \"pressure_above\", \"threshold\": 150}]],"
        " \"actions\": [{\"type\": \"kill\"}]}]}";

static bool wait_for_file(const char *path, unsigned timeout_ms) {
        for (unsigned t = 0; t < timeout_ms; t += 50) {
                if (access(path, F_OK) == 0)
                        return true;
                host_sleep_ms(50);
        }
        return false;
}

static char *policy_path, *log_path, *cgroup_root;

/* Starts pressured on this test's directories (again, after stop_daemon(), with its state kept). */
static void start_daemon(void) {
        char *argv[] = { "pressured", "-c", policy_path, "--policy-dir", "/nonexistent", "--state-dir", state_dir,
                         "--runtime-dir", run_dir, "--cgroup-root", cgroup_root, "--log-target", "stderr", "--no-mlock", NULL };
        unlink(sock);
        daemon_pid = host_spawn_daemon(argv, log_path);
        cr_assert(host_file_contains(log_path, "started in cgroup mode", 10000), "pressured did not start in cgroup mode, see %s",
                  log_path);
        cr_assert(wait_for_file(sock, 5000), "pressured made no control socket at %s", sock);
}

static void stop_daemon(void) {
        if (daemon_pid <= 0)
                return;
        kill(daemon_pid, SIGTERM);
        if (host_wait_child(daemon_pid, 5000) == -1) {
                kill(daemon_pid, SIGKILL);
                host_wait_child(daemon_pid, 5000);
        }
        daemon_pid = 0;
        /* the next start's "started" line is looked for in a fresh log */
        unlink(log_path);
}

static void setup(void) {
        tmp = host_mkdtemp();
        cr_assert_not_null(tmp);
        cr_assert(chmod(tmp, 0755) == 0);
        char *root = path_in("cgroup"), *a = path_in("cgroup/big.slice"), *b = path_in("cgroup/small.slice");
        char *policy = path_in("policy.json"), *log = path_in("daemon.log");
        run_dir = path_in("run");
        state_dir = path_in("state");
        sock = path_in("run/control.sock");

        host_assert_fixture_root(root);
        host_assert_fixture_cgroup(a, true, "314572800");
        host_assert_fixture_cgroup(b, true, "10485760");
        host_assert_write_text(policy, POLICY);

        policy_path = policy;
        log_path = log;
        cgroup_root = root;
        start_daemon();
        free(a); free(b);
}

static void teardown(void) {
        stop_daemon();
        host_rm_rf(tmp);
        free(tmp); free(sock); free(run_dir); free(state_dir);
        free(policy_path); free(log_path); free(cgroup_root);
}

TestSuite(oomctl, .init = setup, .fini = teardown, .timeout = 90);

typedef HostRun Run;
#define run_free host_run_free

/* Starts oomctl with stdout/stderr to files in tmp; as `uid` when not 0. */
static pid_t start_oomctl(const char *tag, uid_t uid, char *const argv[]) {
        return host_run_start(tmp, tag, uid, OOMCTL_BIN, argv);
}

static Run finish(const char *tag, pid_t pid) {
        return host_run_finish(tmp, tag, pid, OOMCTL_BIN, 20000);
}

/* Runs oomctl ARGS... --socket SOCK (NULL-terminated) and collects its exit code and output. */
static Run oomctl_as(uid_t uid, const char *socket_path, ...) {
        char *argv[32] = { "oomctl" };
        int n = 1;
        va_list ap;
        va_start(ap, socket_path);
        for (const char *s; (s = va_arg(ap, const char *)) && n < 28;)
                argv[n++] = (char *) s;
        va_end(ap);
        if (socket_path) {
                argv[n++] = "--socket";
                argv[n++] = (char *) socket_path;
        }
        argv[n] = NULL;
        static unsigned counter;
        char tag[32];
        snprintf(tag, sizeof tag, "run%u", counter++);
        return finish(tag, start_oomctl(tag, uid, argv));
}

#define oomctl(...) oomctl_as(0, sock, __VA_ARGS__, NULL)

static cJSON *parse_out(const Run *r) {
        /* `policy show` puts the sources before the document */
        const char *doc = strstr(r->out, "every default written out:\n");
        cJSON *j = cJSON_Parse(doc ? doc + strlen("every default written out:\n") : r->out);
        cr_assert_not_null(j, "stdout is not JSON:\n%s", r->out);
        return j;
}

static const char *jstr(const cJSON *o, const char *key) {
        return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static double jnum(const cJSON *o, const char *key) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        cr_assert(cJSON_IsNumber(v), "no number \"%s\"", key);
        return v->valuedouble;
}

Test(oomctl, status_human_and_json) {
        Run r = oomctl("status");
        cr_assert_eq(r.rc, 0, "status failed: %s", r.err);
        cr_assert(strstr(r.out, "Mode:") && strstr(r.out, "cgroup"), "%s", r.out);
        cr_assert(strstr(r.out, "Memory:") && strstr(r.out, "Pressure:") && strstr(r.out, "Kills:"), "%s", r.out);
        cr_assert_null(strstr(r.out, "\033["), "colour on a pipe:\n%s", r.out);
        /* The table: a header, and the 300M cgroup above the 10M one. */
        const char *hdr = strstr(r.out, "PATH");
        cr_assert(hdr && strstr(hdr, "MEMORY") && strstr(hdr, "LOW/MIN") && strstr(hdr, "LEVEL") && strstr(hdr, "PREF"), "%s", r.out);
        const char *big = strstr(r.out, "/big.slice"), *small = strstr(r.out, "/small.slice");
        cr_assert(big && small && big < small, "not sorted by memory:\n%s", r.out);
        const char *eol = strchr(big, '\n');
        cr_assert(eol && memmem(big, (size_t) (eol - big), "300M", 4), "no human size on the row:\n%s", r.out);
        run_free(&r);

        r = oomctl("status", "--json");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cJSON *j = parse_out(&r);
        cr_assert_str_eq(jstr(j, "mode"), "cgroup");
        const cJSON *cg, *found = NULL;
        cJSON_ArrayForEach(cg, cJSON_GetObjectItemCaseSensitive(j, "cgroups"))
                if (jstr(cg, "path") && strcmp(jstr(cg, "path"), "/big.slice") == 0)
                        found = cg;
        cr_assert_not_null(found, "/big.slice not in the status:\n%s", r.out);
        cr_assert_eq(jnum(found, "memory_current"), 314572800.0);
        cJSON_Delete(j);
        run_free(&r);
}

/* The kill-list's patterns, in order, joined by spaces. */
static void kill_list_patterns(char *buf, size_t size) {
        Run r = oomctl("kill-list", "--json");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cJSON *j = parse_out(&r);
        const cJSON *e;
        buf[0] = '\0';
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "entries")) {
                size_t l = strlen(buf);
                snprintf(buf + l, size - l, "%s%s", l ? " " : "", jstr(e, "pattern"));
        }
        cJSON_Delete(j);
        run_free(&r);
}

Test(oomctl, kill_list_show_add_move_remove) {
        char pats[512];
        Run r = oomctl("kill-list");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, "PATTERN") && strstr(r.out, "/big.slice") && strstr(r.out, "100M"), "%s", r.out);
        run_free(&r);

        r = oomctl("kill-list", "add", "/small.slice", "--position", "0", "--min-pressure", "20");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, "Added \"/small.slice\""), "%s", r.out);
        run_free(&r);
        r = oomctl("kill-list", "add", "firefox", "--min-memory", "10%");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        run_free(&r);
        kill_list_patterns(pats, sizeof pats);
        cr_assert_str_eq(pats, "/small.slice /big.slice firefox");

        /* The runtime change layer holds the edit. */
        char *runtime_policy = path_in("run/changes.json");
        char *text = host_read_file(runtime_policy);
        cr_assert(text && strstr(text, "firefox"), "no runtime policy with the edit at %s", runtime_policy);
        free(text);

        r = oomctl("kill-list", "move", "0", "2");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        run_free(&r);
        kill_list_patterns(pats, sizeof pats);
        cr_assert_str_eq(pats, "/big.slice firefox /small.slice");

        r = oomctl("kill-list", "remove", "1", "--persist");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        run_free(&r);
        kill_list_patterns(pats, sizeof pats);
        cr_assert_str_eq(pats, "/big.slice /small.slice");
        char *state_policy = path_in("state/changes.json");
        text = host_read_file(state_policy);
        cr_assert(text && strstr(text, "/small.slice") && !strstr(text, "firefox"), "--persist did not write %s", state_policy);
        free(text);
        cr_assert(access(runtime_policy, F_OK) < 0, "the runtime kill list outlived --persist");
        free(runtime_policy);
        free(state_policy);

        /* A bad index is the daemon's not-found; bad values are caught before sending. */
        r = oomctl("kill-list", "remove", "7");
        cr_assert_eq(r.rc, 1, "rc %d: %s", r.rc, r.out);
        cr_assert(strlen(r.err) > 0);
        run_free(&r);
        r = oomctl("kill-list", "remove", "one");
        cr_assert_eq(r.rc, 2);
        cr_assert(strstr(r.err, "not a kill-list index"), "%s", r.err);
        run_free(&r);
        r = oomctl("kill-list", "add", "/x", "--min-memory", "lots");
        cr_assert_eq(r.rc, 2);
        cr_assert(strstr(r.err, "--min-memory"), "%s", r.err);
        run_free(&r);
        r = oomctl("kill-list", "add", "/x", "--min-pressure", "101");
        cr_assert_eq(r.rc, 2);
        run_free(&r);
        kill_list_patterns(pats, sizeof pats);
        cr_assert_str_eq(pats, "/big.slice /small.slice", "a refused edit changed the list");
}

Test(oomctl, kill_dry_run_then_history) {
        Run r = oomctl("kill", "/big.slice", "--dry-run", "--reason", "oomctl test");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, "Dry run: would kill /big.slice"), "%s", r.out);
        run_free(&r);

        r = oomctl("kill", "/big.slice", "--dry-run", "--json");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cJSON *j = parse_out(&r);
        cr_assert_str_eq(jstr(j, "cgroup"), "/big.slice");
        cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "dry_run")));
        cJSON_Delete(j);
        run_free(&r);

        r = oomctl("history");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, "TIME") && strstr(r.out, "RULESET") && strstr(r.out, "DRY"), "%s", r.out);
        const char *row = strstr(r.out, "/big.slice");
        cr_assert(row && strstr(row, "manual") && strstr(row, "yes"), "%s", r.out);
        run_free(&r);

        r = oomctl("history", "--json", "--since", "-10m");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        j = parse_out(&r);
        const cJSON *kills = cJSON_GetObjectItemCaseSensitive(j, "kills");
        cr_assert_eq(cJSON_GetArraySize(kills), 2, "%s", r.out);
        const cJSON *k = cJSON_GetArrayItem(kills, 0);
        cr_assert_str_eq(jstr(k, "cgroup"), "/big.slice");
        cr_assert_str_eq(jstr(k, "ruleset"), "manual");
        cr_assert(strstr(jstr(k, "reason"), "oomctl test"), "%s", r.out);
        cJSON_Delete(j);
        run_free(&r);

        /* Nothing in the future. */
        char future[32];
        snprintf(future, sizeof future, "%lld", (long long) time(NULL) + 3600);
        r = oomctl("history", "--since", future);
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, "No kills recorded"), "%s", r.out);
        run_free(&r);
        /* journalctl's forms */
        r = oomctl("history", "--since", "yesterday", "--json");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        j = parse_out(&r);
        cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "kills")), 2, "%s", r.out);
        cJSON_Delete(j);
        run_free(&r);
        r = oomctl("history", "--since", "2h ago", "--until", "+1h", "--json");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        j = parse_out(&r);
        cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "kills")), 2, "%s", r.out);
        cJSON_Delete(j);
        run_free(&r);
        r = oomctl("history", "--until", "-1d");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, "No kills recorded"), "--until a day ago listed today's kills:\n%s", r.out);
        run_free(&r);
        r = oomctl("history", "--since", "soon");
        cr_assert_eq(r.rc, 2);
        cr_assert(strstr(r.err, "\"soon\" is not a time"), "%s", r.err);
        run_free(&r);

        /* Refusals: a target that does not exist, and the root cgroup. */
        r = oomctl("kill", "/no-such.slice", "--dry-run");
        cr_assert_eq(r.rc, 1, "%s", r.out);
        cr_assert(strlen(r.err) > 0);
        run_free(&r);
        r = oomctl("kill", "/", "--dry-run");
        cr_assert_eq(r.rc, 1, "%s", r.out);
        cr_assert(strstr(r.err, "permission denied: "), "%s", r.err);
        run_free(&r);
}

Test(oomctl, kill_needs_root) {
        Run r = oomctl_as(65534, sock, "kill", "/big.slice", "--dry-run", NULL);
        if (r.rc == 97)
                cr_skip_test("cannot switch to uid 65534 to test the refusal");
        if (r.rc == 4 && strstr(r.err, "permission denied"))
                cr_skip_test("the runtime directory is not open to uid 65534: %s", r.err);
        cr_assert_eq(r.rc, 1, "rc %d: %s", r.rc, r.err);
        cr_assert(strstr(r.err, "permission denied: ") && strstr(r.err, "root"), "%s", r.err);
        run_free(&r);
        /* Reading is for anyone. */
        r = oomctl_as(65534, sock, "kill-list", NULL);
        cr_assert_eq(r.rc, 0, "%s", r.err);
        run_free(&r);
}

Test(oomctl, policy_show_check_set_reload) {
        char *good = path_in("good.json"), *good2 = path_in("good2.json"), *bad = path_in("bad.json"), *junk = path_in("junk.json");
        host_assert_write_text(good, POLICY);
        host_assert_write_text(good2, POLICY2);
        host_assert_write_text(bad, BAD);
        host_assert_write_text(junk, "{\"rulesets\": [");

        Run r = oomctl("policy", "show");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, "never") && strstr(r.out, "policy.json"), "%s", r.out);
        cJSON *j = parse_out(&r);
        const cJSON *rs = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "rulesets"), 0);
        cr_assert_str_eq(jstr(rs, "name"), "never");
        cJSON_Delete(j);
        run_free(&r);

        r = oomctl("policy", "show", "--json");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        j = parse_out(&r);
        cr_assert(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "policy")) && jstr(j, "source"), "%s", r.out);
        cJSON_Delete(j);
        run_free(&r);

        r = oomctl("policy", "check", good);
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, "valid policy (1 ruleset, 1 kill-list entry"), "%s", r.out);
        run_free(&r);
        r = oomctl("policy", "check", bad);
        cr_assert_eq(r.rc, 3);
        cr_assert(strstr(r.err, "rulesets[0].detectors[0][0].threshold: "), "%s", r.err);
        run_free(&r);
        r = oomctl("policy", "check", bad, "--json");
        cr_assert_eq(r.rc, 3);
        j = parse_out(&r);
        cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "valid")));
        cr_assert_str_eq(jstr(j, "path"), "rulesets[0].detectors[0][0].threshold");
        cJSON_Delete(j);
        run_free(&r);
        r = oomctl("policy", "check", junk);
        cr_assert_eq(r.rc, 3);
        run_free(&r);
        r = oomctl("policy", "check", "/nonexistent/policy.json");
        cr_assert_eq(r.rc, 1, "a missing file is no invalid policy (rc %d)", r.rc);
        cr_assert(strstr(r.err, "/nonexistent/policy.json") && strstr(r.err, "No such file"), "%s", r.err);
        run_free(&r);

        /* set: a bad policy is refused with its path, and the old one keeps running. */
        r = oomctl("policy", "set", bad);
        cr_assert_eq(r.rc, 3, "rc %d: %s", r.rc, r.err);
        cr_assert(strstr(r.err, "rulesets[0].detectors[0][0].threshold: "), "%s", r.err);
        cr_assert(strstr(r.err, "pressured refused the policy in ") && strstr(r.err, bad), "the file is not named: %s", r.err);
        run_free(&r);
        r = oomctl("policy", "set", junk);
        cr_assert_eq(r.rc, 3);
        cr_assert(strstr(r.err, "not valid JSON"), "%s", r.err);
        run_free(&r);
        /* refused before cJSON, which would send the daemon a ruleset named "ok" */
        host_assert_write_text(junk, "{\"rulesets\": [{\"name\": \"ok\\u0000BAD\"}]}");
        r = oomctl("policy", "set", junk);
        cr_assert_eq(r.rc, 3);
        cr_assert(strstr(r.err, "rulesets[0].name: a string contains \\u0000"), "%s", r.err);
        run_free(&r);
        r = oomctl("policy", "check", tmp);
        cr_assert_eq(r.rc, 1);
        cr_assert(strcasestr(r.err, "is a directory"), "%s", r.err);
        run_free(&r);
        r = oomctl("policy", "show");
        cr_assert(strstr(r.out, "\"never\""), "a refused set changed the policy:\n%s", r.out);
        run_free(&r);

        r = oomctl("policy", "set", good2);
        cr_assert_eq(r.rc, 0, "%s", r.err);
        run_free(&r);
        r = oomctl("policy", "show");
        cr_assert(strstr(r.out, "\"second\"") && !strstr(r.out, "\"never\""), "%s", r.out);
        run_free(&r);

        /* reload re-reads the files; the runtime policy written by set takes precedence over -c. */
        r = oomctl("policy", "reload");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, "Reloaded the policy from"), "%s", r.out);
        run_free(&r);
        r = oomctl("policy", "show");
        cr_assert(strstr(r.out, "\"second\""), "%s", r.out);
        run_free(&r);
        free(good); free(good2); free(bad); free(junk);
}

Test(oomctl, dump) {
        Run r = oomctl("dump");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strlen(r.out) > 20 && strchr(r.out, '\n'), "%s", r.out);
        run_free(&r);
        r = oomctl("dump", "--json");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cJSON *j = parse_out(&r);
        cr_assert(jstr(j, "text"));
        cJSON_Delete(j);
        run_free(&r);
}

Test(oomctl, monitor_sees_events) {
        char *argv[] = { "oomctl", "monitor", "--socket", sock, NULL };
        char *out = path_in("mon.out"), *err = path_in("mon.err");
        pid_t mon = start_oomctl("mon", 0, argv);
        cr_assert(host_file_contains(err, "Following pressured's events", 5000), "monitor did not subscribe");

        Run r = oomctl("kill-list", "add", "/monitored.slice");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        run_free(&r);
        cr_assert(host_file_contains(out, "PolicyChanged", 5000), "no PolicyChanged line");
        r = oomctl("kill", "/big.slice", "--dry-run");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        run_free(&r);
        cr_assert(host_file_contains(out, "KillPending /big.slice", 5000), "no KillPending line");
        cr_assert(host_file_contains(out, "Killed /big.slice", 5000), "no Killed line");
        cr_assert(host_file_contains(out, "[dry run]", 100));
        cr_assert(host_child_alive(mon), "monitor exited");
        kill(mon, SIGTERM);
        cr_assert_neq(host_wait_child(mon, 5000), -1);

        /* --json: the raw event lines. Its subscription cannot be observed, so edit until one arrives. */
        char *argv2[] = { "oomctl", "monitor", "--json", "--socket", sock, NULL };
        char *out2 = path_in("monj.out");
        mon = start_oomctl("monj", 0, argv2);
        bool seen = false;
        for (int i = 0; i < 20 && !seen; i++) {
                r = oomctl("kill-list", "add", "/json.slice");
                cr_assert_eq(r.rc, 0, "%s", r.err);
                run_free(&r);
                seen = host_file_contains(out2, "PolicyChanged", 250);
        }
        cr_assert(seen, "no event line from monitor --json");
        kill(mon, SIGTERM);
        cr_assert_neq(host_wait_child(mon, 5000), -1);
        char *text = host_read_file(out2);
        char *nl = strchr(text, '\n');
        cr_assert_not_null(nl);
        *nl = '\0';
        cJSON *ev = cJSON_Parse(text);
        cr_assert(ev, "not a JSON line: %s", text);
        cr_assert_str_eq(jstr(ev, "event"), "PolicyChanged");
        cJSON_Delete(ev);
        free(text); free(out); free(err); free(out2);

        /* The stream ends when the daemon stops: exit 4. */
        char *argv3[] = { "oomctl", "monitor", "--socket", sock, NULL };
        char *err3 = path_in("mon3.err");
        mon = start_oomctl("mon3", 0, argv3);
        cr_assert(host_file_contains(err3, "Following", 5000));
        kill(daemon_pid, SIGTERM);
        cr_assert_neq(host_wait_child(daemon_pid, 5000), -1);
        daemon_pid = 0;
        r = finish("mon3", mon);
        cr_assert_eq(r.rc, 4, "rc %d: %s", r.rc, r.err);
        cr_assert(strstr(r.err, "closed the event stream"), "%s", r.err);
        run_free(&r);
        free(err3);
}

Test(oomctl, not_running_exits_4) {
        char *none = path_in("none.sock");
        Run r = oomctl_as(0, none, "status", NULL);
        cr_assert_eq(r.rc, 4);
        char want[4200];
        snprintf(want, sizeof want, "pressured is not running (no socket at %s)", none);
        cr_assert(strstr(r.err, want), "%s", r.err);
        cr_assert_str_eq(r.out, "");
        run_free(&r);

        /* A socket file nobody listens on. */
        char *stale = path_in("stale.sock");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", stale);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        cr_assert(fd >= 0 && bind(fd, (struct sockaddr *) &sa, sizeof sa) == 0);
        close(fd);
        r = oomctl_as(0, stale, "kill-list", NULL);
        cr_assert_eq(r.rc, 4);
        cr_assert(strstr(r.err, "pressured is not running"), "%s", r.err);
        /* systemctl is advised only where systemd runs */
        if (access("/run/systemd/system", F_OK) < 0)
                cr_assert(!strstr(r.err, "systemctl") && strstr(r.err, "does not run systemd"), "%s", r.err);
        run_free(&r);
        r = oomctl_as(0, stale, "monitor", NULL);
        cr_assert_eq(r.rc, 4);
        run_free(&r);
        free(none);
        free(stale);
}

Test(oomctl, usage_and_help) {
        static const char *const bad[][4] = {
                { "dry-run", "sometimes" }, { "frobnicate" }, { "kill" }, { "kill", "a", "b" }, { "kill-list", "move", "1" },
                { "kill-list", "shuffle" }, { "policy" }, { "policy", "check" }, { "status", "--persist" },
                { "history", "--dry-run" }, { "--no-such-option" }, { "help", "frobnicate" }, { "--bus", "status" },
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                Run r = oomctl_as(0, sock, bad[i][0], bad[i][1], bad[i][2], bad[i][3], NULL);
                cr_assert_eq(r.rc, 2, "case %zu (%s): rc %d", i, bad[i][0] ?: "(none)", r.rc);
                cr_assert(strstr(r.err, "oomctl help"), "case %zu: %s", i, r.err);
                run_free(&r);
        }

        Run r = oomctl_as(0, NULL, "--help", NULL);
        cr_assert_eq(r.rc, 0);
        cr_assert(strstr(r.out, "Exit status") && strstr(r.out, "system bus") && strstr(r.out, "--bus") && strstr(r.out, "--socket"),
                  "%s", r.out);
        run_free(&r);
        static const char *const topics[] = { "status", "kill-list", "kill", "policy", "history", "monitor", "dump", "dry-run" };
        for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++) {
                char want[64];
                snprintf(want, sizeof want, "Usage: oomctl %s", topics[i]);
                r = oomctl_as(0, NULL, "help", topics[i], NULL);
                cr_assert_eq(r.rc, 0);
                cr_assert(strstr(r.out, want), "%s", r.out);
                run_free(&r);
                r = oomctl_as(0, NULL, topics[i], "--help", NULL);
                cr_assert_eq(r.rc, 0);
                cr_assert(strstr(r.out, want), "%s", r.out);
                run_free(&r);
        }
        r = oomctl_as(0, NULL, "--version", NULL);
        cr_assert_eq(r.rc, 0);
        cr_assert(strncmp(r.out, "oomctl ", 7) == 0, "%s", r.out);
        run_free(&r);
}

Test(oomctl, bare_oomctl_is_status) {
        Run r = oomctl_as(0, sock, NULL);
        cr_assert_eq(r.rc, 0, "bare oomctl failed: %s", r.err);
        cr_assert(strstr(r.out, "Mode:") && strstr(r.out, "Kills:") && strstr(r.out, "/big.slice"), "%s", r.out);
        run_free(&r);
}

Test(oomctl, status_without_jargon_unless_verbose) {
        Run r = oomctl("status");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(!strstr(r.out, "whole") && !strstr(r.out, "quiet looks"), "jargon in plain status:\n%s", r.out);
        run_free(&r);
        r = oomctl("status", "--verbose");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, "Samples:"), "%s", r.out);
        run_free(&r);
}

Test(oomctl, no_legend_drops_headers) {
        Run r = oomctl("status", "--no-legend");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, "/big.slice"), "%s", r.out);
        cr_assert(!strstr(r.out, "PATH") && !strstr(r.out, "RULESET"), "headers with --no-legend:\n%s", r.out);
        run_free(&r);
        r = oomctl("kill-list", "--no-legend", "--no-pager");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, "/big.slice") && !strstr(r.out, "PATTERN"), "%s", r.out);
        run_free(&r);
}

Test(oomctl, quiet_silences_success) {
        Run r = oomctl("-q", "kill-list", "add", "/quiet.slice");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert_str_eq(r.out, "", "-q printed:\n%s", r.out);
        run_free(&r);
        r = oomctl("kill-list", "--json");
        cr_assert(strstr(r.out, "/quiet.slice"), "the quiet add did not happen:\n%s", r.out);
        run_free(&r);
        /* failures still say why */
        r = oomctl("--quiet", "kill-list", "remove", "9");
        cr_assert_eq(r.rc, 1);
        cr_assert_str_eq(r.out, "");
        cr_assert(strlen(r.err) > 0);
        run_free(&r);
}

Test(oomctl, json_errors_are_json) {
        /* refused by the daemon: its code */
        Run r = oomctl("kill-list", "remove", "9", "--json");
        cr_assert_eq(r.rc, 1, "rc %d", r.rc);
        cJSON *j = parse_out(&r);
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
        cr_assert(jstr(e, "code") && jstr(e, "message") && strlen(jstr(e, "message")) > 0, "%s", r.out);
        cr_assert_eq(jnum(e, "exit_status"), 1);
        cJSON_Delete(j);
        run_free(&r);
        /* a bad command line: still exit 2 */
        r = oomctl("history", "--since", "soon", "--json");
        cr_assert_eq(r.rc, 2);
        j = parse_out(&r);
        e = cJSON_GetObjectItemCaseSensitive(j, "error");
        cr_assert_str_eq(jstr(e, "code"), "usage");
        cr_assert(strstr(jstr(e, "message"), "soon"), "%s", r.out);
        cJSON_Delete(j);
        run_free(&r);
        /* nothing listening: exit 4 */
        char *nowhere = path_in("nowhere.sock");
        r = oomctl_as(0, nowhere, "status", "--json", NULL);
        cr_assert_eq(r.rc, 4);
        j = parse_out(&r);
        cr_assert_str_eq(jstr(cJSON_GetObjectItemCaseSensitive(j, "error"), "code"), "unreachable");
        cJSON_Delete(j);
        run_free(&r);
        free(nowhere);
}

static bool status_dry_run(void) {
        Run r = oomctl("status", "--json");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cJSON *j = parse_out(&r);
        bool on = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "dry_run"));
        cr_assert(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(j, "dry_run")));
        cJSON_Delete(j);
        run_free(&r);
        return on;
}

Test(oomctl, dry_run_on_off) {
        cr_assert(status_dry_run(), "the test policy starts as a dry run");
        Run r = oomctl("dry-run", "off");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert(strstr(r.out, "Dry run is off"), "%s", r.out);
        run_free(&r);
        cr_assert(!status_dry_run());
        r = oomctl("dry-run", "on");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        run_free(&r);
        cr_assert(status_dry_run());
        r = oomctl("dry-run", "maybe");
        cr_assert_eq(r.rc, 2);
        run_free(&r);
        r = oomctl("dry-run");
        cr_assert_eq(r.rc, 2);
        run_free(&r);
}

Test(oomctl, policy_set_unreadable_files) {
        Run r = oomctl("policy", "set", "/nonexistent/policy.json");
        cr_assert_eq(r.rc, 1, "a missing file is no invalid policy (rc %d)", r.rc);
        cr_assert(strstr(r.err, "/nonexistent/policy.json") && strstr(r.err, "No such file"), "%s", r.err);
        run_free(&r);
        r = oomctl("policy", "set", tmp);
        cr_assert_eq(r.rc, 1, "rc %d", r.rc);
        cr_assert(strstr(r.err, tmp) && strstr(r.err, "Is a directory"), "%s", r.err);
        run_free(&r);
}

static double status_kill_count(void) {
        Run r = oomctl("status", "--json");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cJSON *j = parse_out(&r);
        double n = jnum(j, "kill_count");
        cJSON_Delete(j);
        run_free(&r);
        return n;
}

Test(oomctl, history_without_daemon_and_kill_count_across_restarts) {
        Run r = oomctl("kill", "/big.slice", "--dry-run", "--reason", "before the stop");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        run_free(&r);
        cr_assert_eq(status_kill_count(), 0);

        /* pressured stopped: the file is read directly */
        stop_daemon();
        r = oomctl_as(0, NULL, "history", "--state-dir", state_dir, NULL);
        cr_assert_eq(r.rc, 0, "%s", r.err);
        const char *row = strstr(r.out, "/big.slice");
        cr_assert(row && strstr(row, "manual") && strstr(row, "yes"), "%s", r.out);
        run_free(&r);
        r = oomctl_as(0, NULL, "history", "--state-dir", state_dir, "--json", NULL);
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cJSON *j = parse_out(&r);
        const cJSON *kills = cJSON_GetObjectItemCaseSensitive(j, "kills");
        cr_assert_eq(cJSON_GetArraySize(kills), 1, "%s", r.out);
        cr_assert(strstr(jstr(cJSON_GetArrayItem(kills, 0), "reason"), "before the stop"), "%s", r.out);
        /* The same entry as a real kill, as pressured would have written it. */
        cJSON *real = cJSON_Duplicate(cJSON_GetArrayItem(kills, 0), true);
        cJSON_ReplaceItemInObject(real, "dry_run", cJSON_CreateFalse());
        char *line = cJSON_PrintUnformatted(real);
        cJSON_Delete(real);
        cJSON_Delete(j);
        run_free(&r);
        /* without --state-dir and nothing listening: it says once why it reads the file */
        char *nowhere = path_in("nowhere.sock");
        r = oomctl_as(0, nowhere, "history", NULL);
        cr_assert(strstr(r.err, "Reading the history from /var/lib/pressured/history.jsonl instead, since pressured is not running"),
                  "%s", r.err);
        const char *first = strstr(r.err, "Reading the history");
        cr_assert(first && !strstr(first + 1, "Reading the history"), "said more than once:\n%s", r.err);
        run_free(&r);
        free(nowhere);

        /* a restart counts only real kills from the history: none yet */
        start_daemon();
        cr_assert_eq(status_kill_count(), 0);
        stop_daemon();
        char *hist = path_in("state/history.jsonl");
        FILE *f = fopen(hist, "a");
        cr_assert(f && line);
        fprintf(f, "%s\n", line);
        fclose(f);
        free(line);
        free(hist);
        start_daemon();
        cr_assert_eq(status_kill_count(), 1, "the kill in the history was not counted after the restart");
        Run s = oomctl("status");
        cr_assert(strstr(s.out, "Kills:     1"), "%s", s.out);
        run_free(&s);
}

/* A second pressured on a fixture hierarchy without the memory controller: degraded mode. */
Test(oomctl, degraded_status_says_kill_and_root_row_has_system_figures) {
        char *root = path_in("cgroup-v1ish"), *run2 = path_in("run2"), *state2 = path_in("state2");
        char *log2 = path_in("daemon2.log"), *sock2 = path_in("run2/control.sock");
        cr_assert_eq(mkdir(root, 0755), 0);
        host_assert_write_in(root, "cgroup.controllers", "cpu io pids\n");
        host_assert_write_in(root, "cgroup.procs", "");
        char *argv[] = { "pressured", "-c", policy_path, "--policy-dir", "/nonexistent", "--state-dir", state2,
                         "--runtime-dir", run2, "--cgroup-root", root, "--log-target", "stderr", "--no-mlock", NULL };
        pid_t d2 = host_spawn_daemon(argv, log2);
        cr_assert(host_file_contains(log2, "started in degraded mode", 10000), "not degraded, see %s", log2);
        cr_assert(wait_for_file(sock2, 5000));

        Run r = oomctl_as(0, sock2, "status", "--json", NULL);
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cJSON *j = parse_out(&r);
        const cJSON *rs, *cg, *rootrow = NULL;
        cJSON_ArrayForEach(rs, cJSON_GetObjectItemCaseSensitive(j, "rulesets"))
                cr_assert_str_eq(jstr(rs, "method"), "kill", "degraded mode kills processes, yet:\n%s", r.out);
        cJSON_ArrayForEach(cg, cJSON_GetObjectItemCaseSensitive(j, "cgroups"))
                if (jstr(cg, "path") && strcmp(jstr(cg, "path"), "/") == 0)
                        rootrow = cg;
        cr_assert_not_null(rootrow, "no root row:\n%s", r.out);
        cr_assert_gt(jnum(rootrow, "memory_current"), 0, "the root row has no memory figure:\n%s", r.out);
        cr_assert_str_eq(jstr(rootrow, "level"), jstr(cJSON_GetObjectItemCaseSensitive(j, "system"), "level"));
        cJSON_Delete(j);
        run_free(&r);

        r = oomctl_as(0, sock2, "status", NULL);
        cr_assert(strstr(r.out, "Mode:      degraded (") && strstr(r.out, "kills processes, not cgroups"), "%s", r.out);
        cr_assert(!strstr(r.out, "Boot with"), "the short Mode line carries the advice:\n%s", r.out);
        run_free(&r);

        kill(d2, SIGTERM);
        if (host_wait_child(d2, 5000) == -1) {
                kill(d2, SIGKILL);
                host_wait_child(d2, 5000);
        }
        free(root); free(run2); free(state2); free(log2); free(sock2);
}
