/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Faults around the real daemon: a full state disk, a read-only state directory, no file
 * descriptors left, a victim that is gone before the kill, and SIGKILL while kills are recorded.
 * The daemon runs in cgroup mode on a fixture hierarchy whose cgroups list real children of this
 * test (processes that only sleep; the fixture says they are big), with a private state directory,
 * runtime directory and control socket. Each test ends with the daemon still answering `status`,
 * every line of the history parsing, the acknowledged records in it, and the offender killed.
 */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host-util.h"

#define APPEND_FAILED "Failed to append to kill history"
#define MAX_CHILDREN 8

/* Never fires: kills come from `kill` requests. */
static const char QUIET_POLICY[] =
        "{\"interval\": \"200ms\", \"rulesets\": [{\"name\": \"quiet\","
        " \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/pressured-test-does-not-exist\"}]],"
        " \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/*\"}]}]}";
/* Fires while /trigger exists, and kills the biggest cgroup. */
static const char SHED_POLICY[] =
        "{\"interval\": \"200ms\", \"rulesets\": [{\"name\": \"shed\","
        " \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/trigger\"}]],"
        " \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/*\", \"kill_list\": false, \"post_action_delay\": \"500ms\"}]}]}";

static char *tmp, *cg_root, *state_dir, *run_dir, *sock_path, *log_path, *config;
static bool state_mounted;
static pid_t daemon_pid = -1;
static pid_t children[MAX_CHILDREN];
static size_t n_children;

static void setup(void) {
        signal(SIGPIPE, SIG_IGN);
        tmp = host_mkdtemp();
        cr_assert_not_null(tmp);
        cg_root = host_assert_path_in(tmp, "cgroup");
        state_dir = host_assert_path_in(tmp, "state");
        run_dir = host_assert_path_in(tmp, "run");
        sock_path = host_assert_path_in(tmp, "run/control.sock");
        log_path = host_assert_path_in(tmp, "daemon.log");
        config = host_assert_path_in(tmp, "policy.json");
        host_assert_fixture_root(cg_root);
        cr_assert_eq(mkdir(state_dir, 0755), 0);
}

static void teardown(void) {
        host_stop_daemon(daemon_pid);
        daemon_pid = -1;
        for (size_t i = 0; i < n_children; i++)
                if (children[i] > 0) {
                        kill(children[i], SIGKILL);
                        host_wait_child(children[i], 5000);
                }
        n_children = 0;
        if (state_mounted && umount2(state_dir, MNT_DETACH) < 0)
                cr_log_warn("cannot unmount %s: %s", state_dir, strerror(errno));
        state_mounted = false;
        host_rm_rf(tmp);
        free(tmp);
        free(cg_root);
        free(state_dir);
        free(run_dir);
        free(sock_path);
        free(log_path);
        free(config);
}

TestSuite(faults, .init = setup, .fini = teardown, .timeout = 120);

/* A tmpfs of `size_kib` on the state directory, mounted with `flags`; skips the test without mount.
 * It is mounted in a mount namespace of this test's own, which the daemon inherits: a test ended
 * by its timeout, before its teardown, leaves no mount behind on the host. */
static void mount_state_tmpfs(unsigned size_kib, unsigned long flags) {
        char options[64];
        if (geteuid() != 0)
                cr_skip_test("needs root to mount a tmpfs on the state directory");
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                cr_skip_test("cannot have a mount namespace of its own here: %s", strerror(errno));
        snprintf(options, sizeof options, "size=%uk,mode=0755", size_kib);
        if (mount("tmpfs", state_dir, "tmpfs", flags, options) < 0) {
                if (errno == EPERM)
                        cr_skip_test("mount is not permitted here: %s", strerror(errno));
                cr_assert_fail("cannot mount a tmpfs on %s: %s", state_dir, strerror(errno));
        }
        state_mounted = true;
}

/* A child of ours in fixture cgroup /NAME, which the fixture says holds `bytes` of memory. */
static pid_t add_victim(const char *name, const char *bytes) {
        char pid_text[32], *dir = host_assert_path_in(cg_root, name);
        cr_assert_lt(n_children, MAX_CHILDREN);
        pid_t pid = host_spawn_sleeper();
        cr_assert_gt(pid, 0);
        children[n_children++] = pid;
        host_assert_fixture_cgroup(dir, true, bytes);
        snprintf(pid_text, sizeof pid_text, "%d\n", (int) pid);
        host_assert_write_in(dir, "cgroup.procs", pid_text);
        free(dir);
        return pid;
}

/* Waits for a child added by add_victim to die by SIGKILL; false when it still lives after timeout_ms. */
static bool victim_killed(pid_t pid, unsigned timeout_ms) {
        int st = host_wait_child(pid, timeout_ms);
        if (st == -1)
                return false;
        cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "pid %d ended otherwise (status %d)", (int) pid, st);
        for (size_t i = 0; i < n_children; i++)
                if (children[i] == pid)
                        children[i] = -1;
        return true;
}

/* Makes SHED_POLICY fire. */
static void add_trigger(void) {
        char *dir = host_assert_path_in(cg_root, "trigger");
        host_assert_fixture_cgroup(dir, false, "0");
        free(dir);
}

static char *read_log(void) {
        char *l = host_read_file(log_path);
        return l ? l : strdup("");
}

static off_t file_size(const char *path) {
        struct stat st;
        return stat(path, &st) < 0 ? 0 : st.st_size;
}

/* Starts the daemon with RLIMIT_NOFILE at nofile (0: as ours) and waits until its socket accepts. */
static void spawn_daemon(const char *policy, unsigned nofile) {
        char *argv[] = { "pressured", "-c", config, "--policy-dir", "/nonexistent", "--state-dir", state_dir,
                         "--runtime-dir", run_dir, "--cgroup-root", cg_root, "--log-target", "stderr",
                         "--no-mlock", "--no-bus", NULL };
        host_assert_write_text(config, policy);
        (void) unlink(sock_path); /* a SIGKILLed daemon's, left behind */
        daemon_pid = host_spawn_daemon_nofile(argv, log_path, nofile);
        cr_assert_gt(daemon_pid, 0);
        cr_assert(host_control_wait(daemon_pid, sock_path, 5000), "the control socket does not answer:\n%s", read_log());
}

/* One request over the control socket, its reply parsed; fails the test without one. */
__attribute__((format(printf, 1, 2)))
static cJSON *request(const char *format, ...) {
        char *text = NULL;
        va_list ap;
        va_start(ap, format);
        cr_assert_geq(vasprintf(&text, format, ap), 0);
        va_end(ap);
        char *line = host_control_request(sock_path, text, 10000);
        cr_assert_not_null(line, "no reply to %s within 10 s; daemon log:\n%s", text, read_log());
        cJSON *reply = cJSON_Parse(line);
        cr_assert(cJSON_IsObject(reply), "the reply to %s is not a JSON object: %s", text, line);
        free(line);
        free(text);
        return reply;
}

static bool reply_ok(const cJSON *reply) {
        return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply, "ok"));
}

static const cJSON *expect_ok(const cJSON *reply) {
        char *t = cJSON_PrintUnformatted(reply);
        cr_assert(reply_ok(reply), "expected ok, got %s", t);
        free(t);
        return cJSON_GetObjectItemCaseSensitive(reply, "result");
}

/* The error message of a failed reply. */
static const char *expect_error(const cJSON *reply) {
        char *t = cJSON_PrintUnformatted(reply);
        cr_assert_not(reply_ok(reply), "expected an error, got %s", t);
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(reply, "error"), "message");
        cr_assert(cJSON_IsString(m), "an error without a message: %s", t);
        free(t);
        return m->valuestring;
}

/* The daemon answers `status`: it is alive and its event loop runs. */
static void expect_serving(void) {
        cr_assert(host_child_alive(daemon_pid), "the daemon exited:\n%s", read_log());
        cJSON *r = request("{\"op\": \"status\"}");
        expect_ok(r);
        cJSON_Delete(r);
}

static void start_daemon(const char *policy) {
        spawn_daemon(policy, 0);
        expect_serving();
}

/* A kill (not a dry run) of fixture cgroup /NAME; the reply. */
static cJSON *kill_request(const char *name, const char *reason) {
        return request("{\"op\": \"kill\", \"target\": \"/%s\", \"reason\": \"%s\"}", name, reason);
}

/* Every line of the history file is a whole JSON object; returns the text (NULL: no file yet). */
static char *expect_history_intact(const char *path) {
        char *text = host_read_file(path);
        if (!text)
                return NULL;
        size_t len = strlen(text);
        cr_assert(len == 0 || text[len - 1] == '\n', "the history ends with a torn line:\n%s", text);
        unsigned n = 1;
        for (char *p = text; *p; n++) {
                char *nl = strchr(p, '\n');
                cJSON *o = cJSON_ParseWithLength(p, (size_t) (nl - p));
                cr_assert(cJSON_IsObject(o), "line %u of the history is not a JSON object: %.*s\nwhole file:\n%s", n,
                          (int) (nl - p), p, text);
                cJSON_Delete(o);
                p = nl + 1;
        }
        return text;
}

static char *history_path(void) {
        return host_assert_path_in(state_dir, "history.jsonl");
}

static void expect_history_has_pid(pid_t pid, unsigned timeout_ms) {
        char needle[64], *path = history_path();
        snprintf(needle, sizeof needle, "\"pids\":[%d]", (int) pid);
        cr_assert(host_file_contains(path, needle, timeout_ms), "the kill of %d is not in the history:\n%s", (int) pid,
                  host_read_file(path));
        free(path);
}

/* Fills the filesystem of `dir` with one file, until ENOSPC; returns that file's path. */
static char *fill_up(const char *dir) {
        char *path = host_assert_path_in(dir, "filler"), block[4096];
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        cr_assert_geq(fd, 0, "cannot create %s: %s", path, strerror(errno));
        memset(block, 'x', sizeof block);
        ssize_t k;
        while ((k = write(fd, block, sizeof block)) > 0)
                ;
        cr_assert(k < 0 && errno == ENOSPC, "filling %s ended with %s, not ENOSPC", dir, strerror(errno));
        while ((k = write(fd, block, 1)) > 0) /* the last partial page too */
                ;
        close(fd);
        return path;
}

/* A history record the daemon did not write, padded to `size` bytes with its newline. */
static void write_old_history(size_t size) {
        const char *head = "{\"time\":1,\"cgroup\":\"/old.slice\",\"ruleset\":\"old\",\"reason\":\"";
        char *line = malloc(size + 1), *path = history_path();
        cr_assert_not_null(line);
        size_t n = strlen(head);
        memcpy(line, head, n);
        memset(line + n, 'x', size - n - 3);
        memcpy(line + size - 3, "\"}\n", 4);
        host_assert_write_text(path, line);
        free(line);
        free(path);
}

Test(faults, state_disk_full) {
        mount_state_tmpfs(64, 0);
        /* 100 bytes short of a page: the next record straddles it, so a full disk takes it in the middle. */
        write_old_history(4096 - 100);
        start_daemon(QUIET_POLICY);
        char *filler = fill_up(state_dir);

        /* The kill goes ahead; its record does not fit, and that is said once. */
        pid_t first = add_victim("big.slice", "314572800");
        cJSON *r = kill_request("big.slice", "disk full");
        expect_ok(r);
        cJSON_Delete(r);
        cr_assert(victim_killed(first, 5000), "a full state disk stopped the kill:\n%s", read_log());
        cr_assert(host_file_contains(log_path, APPEND_FAILED, 5000), "the lost record is not logged:\n%s", read_log());
        host_sleep_ms(1500); /* several samples */
        cr_assert_eq(host_file_count(log_path, APPEND_FAILED), 1, "the lost record is not logged exactly once:\n%s",
                     read_log());
        expect_serving();
        char *path = history_path(), *text = expect_history_intact(path);
        cr_assert(text && strstr(text, "/old.slice"), "the record from before is gone:\n%s", text);
        free(text);

        /* A persisted policy change does not fit either: refused with the reason, the running policy as it was. */
        r = request("{\"op\": \"kill-list-add\", \"pattern\": \"/big.slice\", \"persist\": true}");
        const char *m = expect_error(r);
        cr_assert(strstr(m, "No space left on device") && strstr(m, state_dir), "the error does not say why: %s", m);
        cJSON_Delete(r);
        r = request("{\"op\": \"policy-set\", \"persist\": true, \"policy\": {\"interval\": \"1s\", \"rulesets\": ["
                    "{\"name\": \"changed\", \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/x\"}]],"
                    " \"actions\": [{\"type\": \"kill\"}]}]}}");
        m = expect_error(r);
        cr_assert(strstr(m, "No space left on device"), "the error does not say why: %s", m);
        cJSON_Delete(r);
        r = request("{\"op\": \"policy-get\"}");
        const cJSON *doc = cJSON_GetObjectItemCaseSensitive(expect_ok(r), "policy");
        cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "kill_list")), 0, "half a change stayed");
        cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(doc, "interval")->valuestring, "200ms", "half a change stayed");
        cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "rulesets"), 0),
                                                          "name")->valuestring, "quiet");
        cJSON_Delete(r);
        char *persisted = host_assert_path_in(state_dir, "policy.json");
        cr_assert_neq(access(persisted, F_OK), 0, "a refused policy was left in %s", persisted);
        free(persisted);

        /* Space again: the next kill is recorded, after what was there. */
        cr_assert_eq(unlink(filler), 0);
        pid_t second = add_victim("next.slice", "314572800");
        r = kill_request("next.slice", "space again");
        expect_ok(r);
        cJSON_Delete(r);
        cr_assert(victim_killed(second, 5000));
        expect_history_has_pid(second, 5000);
        text = expect_history_intact(path);
        cr_assert(strstr(text, "/old.slice"), "the record from before is gone:\n%s", text);
        free(text);
        r = request("{\"op\": \"history\"}");
        /* The old record, the kill the full disk refused (still served from memory) and the new one. */
        cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(expect_ok(r), "kills")), 3,
                     "history answers other than the old record, the kill the disk refused and the recorded kill");
        cJSON_Delete(r);
        expect_serving();
        free(path);
        free(filler);
}

#define OPEN_FAILED "Failed to open kill history"

Test(faults, read_only_state_dir) {
        mount_state_tmpfs(64, MS_RDONLY);
        start_daemon(QUIET_POLICY);
        cr_assert_eq(host_file_count(log_path, OPEN_FAILED), 1, "the unwritable history is not logged once:\n%s", read_log());

        pid_t victim = add_victim("big.slice", "314572800");
        cJSON *r = kill_request("big.slice", "read-only");
        expect_ok(r);
        cJSON_Delete(r);
        cr_assert(victim_killed(victim, 5000), "a read-only state directory stopped the kill:\n%s", read_log());
        host_sleep_ms(1000);
        cr_assert_eq(host_file_count(log_path, OPEN_FAILED), 1, "logged again:\n%s", read_log());
        cr_assert_eq(host_file_count(log_path, APPEND_FAILED), 0, "the kill complains about a history it cannot have:\n%s",
                     read_log());

        /* History requests answer: the kills (none kept), or why there are none. */
        r = request("{\"op\": \"history\"}");
        if (reply_ok(r))
                cr_assert(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(expect_ok(r), "kills")));
        else
                cr_assert(strstr(expect_error(r), state_dir), "the error does not name the state directory");
        cJSON_Delete(r);
        r = request("{\"op\": \"kill-list-add\", \"pattern\": \"/big.slice\", \"persist\": true}");
        cr_assert(strstr(expect_error(r), "Read-only file system"), "a persisted change on a read-only disk: %s",
                  cJSON_PrintUnformatted(r));
        cJSON_Delete(r);
        expect_serving();
}

/* utime + stime of pid, in clock ticks. */
static unsigned long long cpu_ticks(pid_t pid) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        char *s = host_read_file(path);
        cr_assert_not_null(s);
        unsigned long long utime = 0, stime = 0;
        /* Fields 14 and 15, counted after the ')' that ends the comm. */
        cr_assert_eq(sscanf(strrchr(s, ')') + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime), 2);
        free(s);
        return utime + stime;
}

#define NOFILE 64
#define N_IDLE (2 * NOFILE)
#define ACCEPT_FAILED "Failed to accept a control socket connection"
#define REFUSED "Refusing a control socket connection"

Test(faults, no_file_descriptors_left) {
        int idle[N_IDLE];
        size_t n_idle = 0;

        spawn_daemon(SHED_POLICY, NOFILE);
        expect_serving();
        pid_t victim = add_victim("big.slice", "314572800");

        /* Twice as many idle connections as the daemon may open files: accepted, refused, or queued. */
        while (n_idle < N_IDLE) {
                int fd = host_control_connect(sock_path);
                cr_assert_geq(fd, 0, "connect: %s", strerror(-fd));
                idle[n_idle++] = fd;
        }

        /* The refused or queued connections must neither keep the daemon busy nor flood its log;
         * measured before the log is read, as a flooded one grows by gigabytes. */
        unsigned long long before = cpu_ticks(daemon_pid);
        off_t log_before = file_size(log_path);
        host_sleep_ms(3000);
        double cpu = (double) (cpu_ticks(daemon_pid) - before) / (double) sysconf(_SC_CLK_TCK) / 3.0;
        off_t logged = file_size(log_path) - log_before;
        cr_assert_lt(logged, 64 * 1024, "the daemon logged %lld bytes in 3 s while out of descriptors", (long long) logged);
        cr_assert_lt(cpu, 0.3, "the daemon used %.0f%% CPU over 3 s while out of descriptors", cpu * 100);
        cr_assert(host_file_contains(log_path, ACCEPT_FAILED, 0) || host_file_contains(log_path, REFUSED, 0),
                  "%d connections met no limit of %d descriptors:\n%s", N_IDLE, NOFILE, read_log());

        /* Still sampling: the offender is killed. */
        add_trigger();
        cr_assert(victim_killed(victim, 10000), "out of descriptors, the offender was not killed:\n%s", read_log());

        /* Descriptors back: the daemon serves again. */
        for (size_t i = 0; i < n_idle; i++)
                close(idle[i]);
        for (int i = 0; i < 20; i++) {
                char *line = host_control_request(sock_path, "{\"op\": \"status\"}", 500);
                bool ok = line && strstr(line, "\"ok\":true");
                free(line);
                if (ok)
                        break;
        }
        expect_serving();
        char *path = history_path();
        free(expect_history_intact(path));
        free(path);
        expect_history_has_pid(victim, 2000);
}

/* Fires while /big.slice or /next.slice holds more than 200M, and kills the biggest cgroup. With
 * `hook`, a pre-kill hook runs between the choice and the kill; for /big.slice it removes the cgroup. */
static void offender_policy(bool hook, char *buf, size_t size) {
        snprintf(buf, size,
                 "{\"interval\": \"200ms\", \"rulesets\": [{\"name\": \"shed\", \"detectors\": ["
                 "[{\"type\": \"memory_above\", \"cgroup\": \"/big.slice\", \"threshold\": \"200M\"}],"
                 "[{\"type\": \"memory_above\", \"cgroup\": \"/next.slice\", \"threshold\": \"200M\"}]],"
                 " \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/*\", \"kill_list\": false, \"post_action_delay\": \"500ms\"%s}]}]}",
                 hook ? ", \"prekill_timeout\": \"10s\", \"prekill_hook\": [\"/bin/sh\", \"-c\","
                        " \"case $PRESSURED_CGROUP in /big.slice) rm -rf \\\"$PRESSURED_CGROUP_PATH\\\";; esac\"]" : "");
}

/* What the kernel shows once the cgroup's processes are gone. */
static void empty_cgroup(const char *name) {
        char *dir = host_assert_path_in(cg_root, name);
        host_assert_write_in(dir, "cgroup.procs", "");
        host_assert_write_in(dir, "cgroup.events", "populated 0\nfrozen 0\n");
        host_assert_write_in(dir, "memory.current", "0\n");
        free(dir);
}

/* The next real offender is killed, the bystander lives, the history holds that kill and none of
 * /big.slice, and the daemon serves. */
static void expect_next_offender_killed(pid_t bystander) {
        pid_t next = add_victim("next.slice", "419430400");
        cr_assert(victim_killed(next, 10000), "the next offender was not killed:\n%s", read_log());
        expect_history_has_pid(next, 5000);
        cr_assert(host_child_alive(bystander), "the bystander was killed:\n%s", read_log());
        char *path = history_path(), *text = expect_history_intact(path);
        cr_assert_null(strstr(text, "/big.slice"), "a kill of the victim that was gone is recorded:\n%s", text);
        free(text);
        free(path);
        expect_serving();
}

/* The fixture lists the victim, which we ended, as big: what the daemon meets when a victim exits
 * between the sample that chose it and the kill (three times, the incident's bound of kills). */
Test(faults, victim_exited_before_the_kill) {
        char policy[1024];
        pid_t bystander = add_victim("small.slice", "10485760");
        pid_t gone = add_victim("big.slice", "314572800");
        kill(gone, SIGKILL);
        cr_assert(victim_killed(gone, 5000));
        offender_policy(false, policy, sizeof policy);
        start_daemon(policy);

        for (int i = 0; i < 250 && host_file_count(log_path, "Failed to kill cgroup /big.slice") < 3; i++)
                host_sleep_ms(20);
        cr_assert_geq(host_file_count(log_path, "Failed to kill cgroup /big.slice"), 3,
                      "no word of the victim that was gone:\n%s", read_log());
        empty_cgroup("big.slice");
        cr_assert(host_child_alive(bystander), "another cgroup was killed instead:\n%s", read_log());
        expect_serving();
        expect_next_offender_killed(bystander);
}

Test(faults, victim_cgroup_removed_before_the_kill) {
        char policy[1024];
        pid_t bystander = add_victim("small.slice", "10485760");
        pid_t orphan = add_victim("big.slice", "314572800");
        offender_policy(true, policy, sizeof policy);
        start_daemon(policy);

        char *big = host_assert_path_in(cg_root, "big.slice");
        for (int i = 0; i < 200 && access(big, F_OK) == 0; i++)
                host_sleep_ms(50);
        cr_assert_neq(access(big, F_OK), 0, "the hook did not remove %s:\n%s", big, read_log());
        free(big);
        cr_assert(host_file_contains(log_path, "Spared /big.slice", 5000) ||
                  host_file_contains(log_path, "Failed to kill cgroup /big.slice", 0),
                  "no word of the cgroup that went away:\n%s", read_log());
        host_sleep_ms(1000);
        cr_assert(host_child_alive(orphan), "the process of the removed cgroup was killed:\n%s", read_log());
        cr_assert(host_child_alive(bystander), "another cgroup was killed instead:\n%s", read_log());
        expect_serving();
        expect_next_offender_killed(bystander);
}

#define RESTARTS 100
#define PIPELINED 8

/* Reads reply lines on fd until deadline_ms passes; marks each ok reply's id in acked. */
static void read_acks(int fd, unsigned deadline_ms, bool *acked, size_t n_acked) {
        char buf[65536];
        size_t len = 0;
        for (unsigned waited = 0; waited < deadline_ms; waited++) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, 1) <= 0)
                        continue;
                ssize_t k = read(fd, buf + len, sizeof buf - 1 - len);
                if (k <= 0)
                        return;
                len += (size_t) k;
                buf[len] = 0;
                char *nl;
                while ((nl = strchr(buf, '\n'))) {
                        cJSON *r = cJSON_ParseWithLength(buf, (size_t) (nl - buf));
                        const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
                        cr_assert(cJSON_IsNumber(id) && id->valueint >= 0 && (size_t) id->valueint < n_acked,
                                  "a reply without its id: %.*s", (int) (nl - buf), buf);
                        expect_ok(r);
                        acked[id->valueint] = true;
                        cJSON_Delete(r);
                        len -= (size_t) (nl + 1 - buf);
                        memmove(buf, nl + 1, len + 1);
                }
        }
}

/* Starts the daemon, sends PIPELINED kills (dry runs: recorded like kills, with no victim needed) (ids from first_id), and SIGKILLs it after a
 * random 0 to 40 ms, counting the replies that arrived before. */
static void record_and_sigkill(int first_id, bool *acked, size_t n_acked) {
        char batch[PIPELINED * 160];
        size_t l = 0;

        spawn_daemon(QUIET_POLICY, 0);
        int fd = host_control_connect(sock_path);
        cr_assert_geq(fd, 0, "connect: %s", strerror(-fd));
        for (int k = 0; k < PIPELINED; k++)
                l += snprintf(batch + l, sizeof batch - l,
                              "{\"op\": \"kill\", \"id\": %d, \"target\": \"/big.slice\", \"dry_run\": true, \"reason\": \"r%d\"}\n",
                              first_id + k, first_id + k);
        cr_assert_eq(send(fd, batch, l, MSG_NOSIGNAL), (ssize_t) l);
        read_acks(fd, (unsigned) (rand() % 41), acked, n_acked);
        kill(daemon_pid, SIGKILL);
        int st = host_wait_child(daemon_pid, 5000);
        cr_assert(st != -1 && WIFSIGNALED(st), "the daemon did not die by SIGKILL (status %d)", st);
        daemon_pid = -1;
        close(fd);
}

Test(faults, sigkill_while_recording_kills) {
        static bool acked[RESTARTS * PIPELINED];
        char *big = host_assert_path_in(cg_root, "big.slice");
        host_assert_fixture_cgroup(big, true, "314572800");
        free(big);
        srand((unsigned) getpid());

        for (int i = 0; i < RESTARTS; i++)
                record_and_sigkill(i * PIPELINED, acked, (size_t) (RESTARTS * PIPELINED));

        start_daemon(QUIET_POLICY);
        char *path = history_path(), *text = expect_history_intact(path);
        cr_assert_not_null(text, "no history after %d restarts", RESTARTS);
        unsigned n_acked = 0;
        for (size_t id = 0; id < (size_t) (RESTARTS * PIPELINED); id++) {
                char needle[64];
                if (!acked[id])
                        continue;
                n_acked++;
                snprintf(needle, sizeof needle, "\"reason\":\"manual: r%zu\"", id);
                cr_assert(strstr(text, needle), "acknowledged kill %zu is not in the history", id);
        }
        cr_assert_gt(n_acked, 0, "no kill was acknowledged in %d runs: the test tested nothing", RESTARTS);
        cr_assert_lt(n_acked, RESTARTS * PIPELINED, "every kill was acknowledged: no SIGKILL came mid-way");
        cJSON *r = request("{\"op\": \"history\"}");
        cr_assert_geq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(expect_ok(r), "kills")), (int) n_acked);
        cJSON_Delete(r);
        cr_log_info("%u of %d kills acknowledged before SIGKILL", n_acked, RESTARTS * PIPELINED);
        free(text);
        free(path);
        expect_serving();
}
