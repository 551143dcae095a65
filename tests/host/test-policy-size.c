/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A policy of any valid size is set as it is checked: the real oomctl against the real daemon over
 * its control socket (cgroup mode on a fixture hierarchy in a temp directory). oomctl passes the
 * policy as a sealed memfd, so documents far over the socket's request line (CONTROL_LINE_MAX) are
 * set; one over POLICY_MAX_BYTES is refused with the same words by `oomctl policy check`,
 * `pressured --check-config` and `oomctl policy set`. Hostile descriptors (a FIFO, two at once, one
 * with another request, one from a caller who may not set the policy) are refused unread, the
 * daemon keeps answering and holds no descriptor more afterwards.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host-util.h"
#include "policy_limits.h"

static char *tmp, *sock, *daemon_log;
static pid_t daemon_pid;

static const char POLICY[] =
        "{\"dry_run\": true, \"interval\": \"200ms\", \"rulesets\": [{\"name\": \"never\","
        " \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/pressured-test-does-not-exist\"}]],"
        " \"actions\": [{\"type\": \"kill\"}]}]}";

static char *path_in(const char *name) {
        return host_assert_path_in(tmp, name);
}

static void setup(void) {
        tmp = host_mkdtemp();
        cr_assert_not_null(tmp);
        cr_assert(chmod(tmp, 0755) == 0); /* uid 65534 must reach the socket */
        char *root = path_in("cgroup"), *a = path_in("cgroup/big.slice"), *policy = path_in("policy.json");
        char *run_dir = path_in("run"), *state_dir = path_in("state");
        daemon_log = path_in("daemon.log");
        sock = path_in("run/control.sock");
        host_assert_fixture_root(root);
        host_assert_fixture_cgroup(a, true, "314572800");
        host_assert_write_text(policy, POLICY);
        char *argv[] = { "pressured", "-c", policy, "--policy-dir", "/nonexistent", "--state-dir", state_dir,
                         "--runtime-dir", run_dir, "--cgroup-root", root, "--log-target", "stderr", "--no-mlock",
                         "--no-bus", /* its retry every 5 s opens and closes a descriptor: the counts would not hold */
                         NULL };
        daemon_pid = host_spawn_daemon(argv, daemon_log);
        cr_assert(host_file_contains(daemon_log, "started in cgroup mode", 10000), "pressured did not start, see %s", daemon_log);
        cr_assert(host_control_wait(daemon_pid, sock, 5000), "pressured made no control socket at %s", sock);
        free(root); free(a); free(policy); free(run_dir); free(state_dir);
}

static void teardown(void) {
        host_stop_daemon(daemon_pid);
        host_rm_rf(tmp);
        free(tmp); free(sock); free(daemon_log);
}

TestSuite(policy_size, .init = setup, .fini = teardown, .timeout = 120);

/* A valid policy of n rulesets, each about 900 bytes (a long cgroup path that never exists), and
 * n_kill kill-list entries of about 4 KiB (patterns of PATTERN_MAX_BYTES and a little less). */
static char *big_policy(unsigned n, unsigned n_kill) {
        char pad[1024] = "";
        for (int i = 0; i < 4; i++) {
                strcat(pad, "/");
                memset(pad + strlen(pad), 'a', 200);
        }
        size_t cap = (size_t) n * 1024 + (size_t) n_kill * 4200 + 256, len = 0;
        char *t = malloc(cap);
        cr_assert_not_null(t);
        len += (size_t) snprintf(t + len, cap - len, "{\"dry_run\": true, \"interval\": \"200ms\", \"kill_list\": [");
        for (unsigned i = 0; i < n_kill; i++)
                len += (size_t) snprintf(t + len, cap - len, "%s{\"pattern\": \"/pressured-test-does-not-exist/%u%s%s%s%s%.*s\"}",
                                         i ? ", " : "", i, pad, pad, pad, pad, 3000, pad);
        len += (size_t) snprintf(t + len, cap - len, "], \"rulesets\": [");
        for (unsigned i = 0; i < n; i++)
                len += (size_t) snprintf(t + len, cap - len, "%s{\"name\": \"r%u\", \"detectors\": [[{\"type\": \"exists\", "
                                         "\"cgroup\": \"/pressured-test-does-not-exist/%u%s\"}]], \"actions\": [{\"type\": \"kill\"}]}",
                                         i ? ", " : "", i, i, pad);
        snprintf(t + len, cap - len, "]}");
        return t;
}

typedef HostRun Run;
#define run_free host_run_free

/* Runs bin with the NULL-terminated arguments, as root, and collects exit code and output. */
static Run run(const char *bin, ...) {
        char *argv[16] = { (char *) bin };
        int n = 1;
        va_list ap;
        va_start(ap, bin);
        for (const char *s; (s = va_arg(ap, const char *)) && n < 15;)
                argv[n++] = (char *) s;
        va_end(ap);
        argv[n] = NULL;
        return host_run(tmp, 0, bin, argv);
}

/* The rulesets of the running policy, from `oomctl policy show --json`. */
static int running_rulesets(void) {
        Run r = run(OOMCTL_BIN, "--socket", sock, "policy", "show", "--json", NULL);
        cr_assert_eq(r.rc, 0, "policy show: %s", r.err);
        cJSON *j = cJSON_Parse(r.out);
        cr_assert_not_null(j, "%s", r.out);
        const cJSON *rs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "policy"), "rulesets");
        cr_assert(cJSON_IsArray(rs), "%s", r.out);
        int n = cJSON_GetArraySize(rs);
        cJSON_Delete(j);
        run_free(&r);
        return n;
}

static void set_and_check(unsigned n_rulesets, unsigned n_kill, size_t min_bytes) {
        char name[64];
        snprintf(name, sizeof name, "big%u-%u.json", n_rulesets, n_kill);
        char *text = big_policy(n_rulesets, n_kill), *file = path_in(name);
        cr_assert_gt(strlen(text), min_bytes, "the generated policy is only %zu bytes", strlen(text));
        cr_assert_gt(strlen(text), (size_t) CONTROL_LINE_MAX, "not over the socket's request line");
        host_assert_write_text(file, text);

        Run r = run(OOMCTL_BIN, "policy", "check", file, NULL);
        cr_assert_eq(r.rc, 0, "policy check: %s", r.err);
        run_free(&r);
        r = run(PRESSURED_BIN, "--check-config", file, NULL);
        cr_assert_eq(r.rc, 0, "pressured --check-config: %s%s", r.out, r.err);
        run_free(&r);
        r = run(OOMCTL_BIN, "--socket", sock, "policy", "set", file, NULL);
        cr_assert_eq(r.rc, 0, "oomctl policy set of %zu bytes: rc %d: %s", strlen(text), r.rc, r.err);
        cr_assert(strstr(r.out, "is running"), "%s", r.out);
        run_free(&r);
        cr_assert_eq(running_rulesets(), (int) n_rulesets, "the policy set is not the one running");
        free(text);
        free(file);
}

Test(policy_size, a_135k_and_a_900k_policy_are_set_over_the_socket) {
        set_and_check(150, 0, 135 * 1024);
        set_and_check(150, 195, 900 * 1024);
}

/* The first line of a text, for comparing messages. */
static char *first_line(const char *s) {
        return strndup(s, strcspn(s, "\n"));
}

Test(policy_size, over_the_limit_is_refused_alike_by_check_check_config_and_set) {
        char *text = big_policy(1000, 0), *file = path_in("over.json");
        size_t len = strlen(text);
        /* valid, then past POLICY_MAX_BYTES with the whitespace JSON allows at the end */
        text = realloc(text, POLICY_MAX_BYTES + 2);
        cr_assert_not_null(text);
        memset(text + len, ' ', POLICY_MAX_BYTES + 1 - len);
        text[POLICY_MAX_BYTES + 1] = '\0';
        host_assert_write_text(file, text);

        Run check = run(OOMCTL_BIN, "policy", "check", file, NULL);
        Run config = run(PRESSURED_BIN, "--check-config", file, NULL);
        Run set = run(OOMCTL_BIN, "--socket", sock, "policy", "set", file, NULL);
        cr_assert_eq(check.rc, 3, "policy check: rc %d", check.rc);
        cr_assert_neq(config.rc, 0, "--check-config accepted it");
        cr_assert_eq(set.rc, 3, "policy set: rc %d: %s", set.rc, set.err);
        char *a = first_line(check.err), *b = first_line(config.err[0] ? config.err : config.out), *c = first_line(set.err);
        cr_assert(strstr(a, "POLICY_MAX_BYTES") && strstr(a, "1 MiB"), "%s", a);
        cr_assert_str_eq(a, b, "oomctl policy check and pressured --check-config differ");
        cr_assert_str_eq(a, c, "oomctl policy check and oomctl policy set differ");
        cr_assert_eq(running_rulesets(), 1, "a refused policy was set");
        free(a); free(b); free(c);
        run_free(&check); run_free(&config); run_free(&set);
        free(text);
        free(file);
}

/* ---- a hostile client, by hand ---- */

static unsigned daemon_fds(void) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/fd", (int) daemon_pid);
        DIR *d = opendir(path);
        cr_assert_not_null(d, "cannot list %s", path);
        unsigned n = 0;
        for (struct dirent *de; (de = readdir(d));)
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

/* The descriptors the daemon holds at rest: the fewest seen over 300 ms, since a sample opens and
 * closes cgroup and status files of its own now and then. */
static unsigned daemon_fds_at_rest(void) {
        unsigned least = daemon_fds();
        for (int i = 0; i < 15; i++) {
                host_sleep_ms(20);
                unsigned n = daemon_fds();
                if (n < least)
                        least = n;
        }
        return least;
}

/* Waits until the daemon holds `want` descriptors (connections close asynchronously). */
static unsigned daemon_fds_settle(unsigned want) {
        unsigned n = daemon_fds();
        for (int i = 0; i < 100 && n != want; i++) {
                host_sleep_ms(20);
                n = daemon_fds();
        }
        return n;
}

/* Sends line (with its '\n') and the descriptors in one sendmsg. */
static void send_line_with_fds(int s, const char *line, const int *fds, size_t n) {
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * 8)];
        } control = {};
        struct iovec iov = { .iov_base = (void *) line, .iov_len = strlen(line) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (n > 0) {
                mh.msg_control = &control;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
                memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
        }
        cr_assert_eq(sendmsg(s, &mh, MSG_NOSIGNAL), (ssize_t) strlen(line), "sendmsg: %s", strerror(errno));
}

/* The reply line on s within 5 s, parsed. */
static cJSON *read_reply(int s) {
        static char buf[65536];
        size_t len = 0;
        while (!memchr(buf, '\n', len)) {
                struct pollfd p = { .fd = s, .events = POLLIN };
                cr_assert_eq(poll(&p, 1, 5000), 1, "no reply within 5 s: the daemon is stuck");
                ssize_t k = read(s, buf + len, sizeof buf - 1 - len);
                cr_assert_gt(k, 0, "the daemon closed the connection without a reply");
                len += (size_t) k;
        }
        buf[len] = '\0';
        cJSON *j = cJSON_Parse(buf);
        cr_assert_not_null(j, "not JSON: %s", buf);
        return j;
}

/* Asks over a connection of its own with fds passed, expects an error `code` whose message has `words`. */
static void expect_refused(const char *line, const int *fds, size_t n, const char *code, const char *words) {
        int s = host_control_connect(sock);
        cr_assert_geq(s, 0);
        send_line_with_fds(s, line, fds, n);
        cJSON *j = read_reply(s);
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
        char *text = cJSON_PrintUnformatted(j);
        cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "ok")), "accepted: %s", text);
        cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code")), code, "%s", text);
        cr_assert(strstr(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message")), words), "%s", text);
        /* still answering on the same connection */
        send_line_with_fds(s, "{\"op\": \"status\"}\n", NULL, 0);
        cJSON *st = read_reply(s);
        cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "ok")), "status after a refusal failed");
        cJSON_Delete(st);
        free(text);
        cJSON_Delete(j);
        close(s);
}

static int sealed_memfd(const char *text, bool seal) {
        int fd = memfd_create("test-policy", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        if (seal)
                cr_assert_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK), 0);
        return fd;
}

static const char SET_FD[] = "{\"op\": \"policy-set\", \"policy_fd\": true}\n";

/* Root reads back the largest policy whole (its connections may hold CONTROL_ROOT_CONNECTION_MEMORY_MAX);
 * another user, whose connection holds less than the reply, is answered too-large and stays served. */
Test(policy_size, a_reply_past_a_users_ceiling_is_too_large_not_a_drop) {
        if (geteuid() != 0)
                cr_skip_test("needs root to switch to uid 65534");
        set_and_check(1000, 0, 900 * 1024); /* written out with every default: about 1.5 MiB */
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                        _exit(90);
                int s = host_control_connect(sock);
                if (s < 0)
                        _exit(91);
                send_line_with_fds(s, "{\"op\": \"policy-get\"}\n", NULL, 0);
                cJSON *j = read_reply(s);
                const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
                const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code"));
                const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
                if (!code || strcmp(code, "too-large") != 0 || !msg || !strstr(msg, "ask as root"))
                        _exit(92);
                cJSON_Delete(j);
                /* the same connection is still served (status lists 1000 rulesets: more than read_reply takes) */
                send_line_with_fds(s, "{\"op\": \"kill-list\"}\n", NULL, 0);
                j = read_reply(s);
                if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ok")))
                        _exit(93);
                cJSON_Delete(j);
                _exit(0);
        }
        int st = host_wait_child(pid, 20000);
        cr_assert(st != -1 && WIFEXITED(st), "the unprivileged client hung");
        cr_assert_eq(WEXITSTATUS(st), 0, "the unprivileged client failed at step %d", WEXITSTATUS(st));
        cr_assert_eq(running_rulesets(), 1000, "root could not read the policy back");
}

Test(policy_size, hostile_descriptors_are_refused_unread_and_none_is_kept) {
        unsigned before = daemon_fds_at_rest();

        /* A FIFO nobody writes: reading it would block the daemon for good. */
        char *fifo = path_in("fifo");
        cr_assert_eq(mkfifo(fifo, 0600), 0);
        int ff = open(fifo, O_RDWR | O_CLOEXEC);
        cr_assert_geq(ff, 0);
        expect_refused(SET_FD, &ff, 1, "invalid-request", "a FIFO, not a sealed memfd");
        close(ff);

        /* A pipe, an unsealed memfd and a plain file are refused the same way. */
        int pp[2];
        cr_assert_eq(pipe2(pp, O_CLOEXEC), 0);
        expect_refused(SET_FD, &pp[0], 1, "invalid-request", "not a sealed memfd");
        close(pp[0]);
        close(pp[1]);
        int um = sealed_memfd(POLICY, false);
        expect_refused(SET_FD, &um, 1, "invalid-request", "without all of F_SEAL_WRITE");
        close(um);

        /* Past POLICY_MAX_BYTES by its size alone: a sparse, sealed memfd of 2 MiB is never read. */
        int huge = memfd_create("huge", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        cr_assert_geq(huge, 0);
        cr_assert_eq(ftruncate(huge, 2 * POLICY_MAX_BYTES), 0);
        cr_assert_eq(fcntl(huge, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK), 0);
        expect_refused(SET_FD, &huge, 1, "too-large", "POLICY_MAX_BYTES");
        close(huge);

        /* Two descriptors with one request. */
        int two[2] = { sealed_memfd(POLICY, true), sealed_memfd(POLICY, true) };
        expect_refused(SET_FD, two, 2, "invalid-request", "more than one file descriptor");
        /* and more than the daemon's control buffer holds: the kernel cuts them (MSG_CTRUNC) */
        int six[6] = { two[0], two[1], two[0], two[1], two[0], two[1] };
        expect_refused(SET_FD, six, 6, "invalid-request", "more than one file descriptor");
        close(two[0]);
        close(two[1]);

        /* A descriptor with a request that takes none, and one with an inline policy-set. */
        int m = sealed_memfd(POLICY, true);
        expect_refused("{\"op\": \"status\"}\n", &m, 1, "invalid-request", "takes none");
        expect_refused("{\"op\": \"policy-set\", \"policy\": {}}\n", &m, 1, "invalid-request", "closed unread");
        /* "policy_fd" without a descriptor */
        expect_refused(SET_FD, NULL, 0, "invalid-request", "no file descriptor came");

        /* A descriptor with a half line, then the client goes: the daemon keeps nothing. */
        int s = host_control_connect(sock);
        cr_assert_geq(s, 0);
        send_line_with_fds(s, "{\"op\": \"policy-set\", ", &m, 1);
        host_sleep_ms(100);
        close(s);
        close(m);

        cr_assert_eq(running_rulesets(), 1, "a refused descriptor changed the policy");
        unsigned after = daemon_fds_settle(before);
        cr_assert_eq(after, before, "the daemon held %u descriptors before and %u after", before, after);
        cr_assert(host_child_alive(daemon_pid));
        free(fifo);
}

/* A caller who may not set the policy: its descriptor is closed before it is looked at. */
Test(policy_size, unprivileged_descriptor_is_closed_unread) {
        if (geteuid() != 0)
                cr_skip_test("needs root to switch to uid 65534");
        unsigned before = daemon_fds_at_rest();
        char *fifo = path_in("fifo");
        cr_assert_eq(mkfifo(fifo, 0666), 0);
        cr_assert_eq(chmod(fifo, 0666), 0); /* past the umask */
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                        _exit(90);
                int ff = open(fifo, O_RDWR | O_CLOEXEC), m = sealed_memfd(POLICY, true);
                int s = host_control_connect(sock);
                if (ff < 0 || s < 0)
                        _exit(91);
                int fds[2] = { m, ff };
                for (int i = 0; i < 2; i++) {
                        send_line_with_fds(s, SET_FD, &fds[i], 1);
                        cJSON *j = read_reply(s);
                        const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
                        const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code"));
                        if (!code || strcmp(code, "permission-denied") != 0)
                                _exit(92 + i);
                        cJSON_Delete(j);
                }
                _exit(0);
        }
        int st = host_wait_child(pid, 20000);
        cr_assert(st != -1 && WIFEXITED(st), "the unprivileged client hung");
        cr_assert_eq(WEXITSTATUS(st), 0, "the unprivileged client failed at step %d", WEXITSTATUS(st));
        cr_assert_eq(running_rulesets(), 1);
        unsigned after = daemon_fds_settle(before);
        cr_assert_eq(after, before, "the daemon held %u descriptors before and %u after", before, after);
        free(fifo);
}
