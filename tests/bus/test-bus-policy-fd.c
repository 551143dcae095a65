/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SetPolicyFromFd: a policy of any valid size over the bus, in a sealed memfd. oomctl --bus sets
 * one over 64 KiB (the control socket's request line) with it; a pipe, an unsealed memfd and one
 * past POLICY_MAX_BYTES are refused unread, and the running policy stays.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus-util.h"
#include "policy_limits.h"

TestSuite(policy_fd, .init = fixture_up, .fini = fixture_down, .timeout = 120);

/* A valid policy of n rulesets, each about 900 bytes (a long cgroup path that never exists). */
static char *big_policy(unsigned n) {
        char pad[1024] = "";
        for (int i = 0; i < 4; i++) {
                strcat(pad, "/");
                memset(pad + strlen(pad), 'a', 200);
        }
        size_t cap = (size_t) n * 1024 + 256, len = 0;
        char *t = malloc(cap);
        cr_assert_not_null(t);
        len += (size_t) snprintf(t + len, cap - len, "{\"dry_run\": true, \"interval\": \"200ms\", \"rulesets\": [");
        for (unsigned i = 0; i < n; i++)
                len += (size_t) snprintf(t + len, cap - len, "%s{\"name\": \"r%u\", \"detectors\": [[{\"type\": \"exists\", "
                                         "\"cgroup\": \"/pressured-test-does-not-exist/%u%s\"}]], \"actions\": [{\"type\": \"kill\"}]}",
                                         i ? ", " : "", i, i, pad);
        snprintf(t + len, cap - len, "]}");
        return t;
}

/* The rulesets of the running policy, by GetPolicy. */
static int running_rulesets(void) {
        char *text = manager_call_string(fx.client, "GetPolicy", "");
        cJSON *j = cJSON_Parse(text);
        cr_assert_not_null(j, "GetPolicy: %s", text);
        int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "rulesets"));
        cJSON_Delete(j);
        free(text);
        return n;
}

/* Runs oomctl --bus with the arguments; its exit code, stderr in *ret_err. */
static int oomctl_bus(char **ret_err, const char *a, const char *b, const char *c) {
        char *err = fixture_path(&fx, "oomctl.err");
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                int e = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                int o = open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (e < 0 || o < 0)
                        _exit(95);
                dup2(o, STDOUT_FILENO);
                dup2(e, STDERR_FILENO);
                execl(OOMCTL_BIN, "oomctl", "--bus", a, b, c, (char *) NULL);
                _exit(96);
        }
        int st = host_wait_child(pid, 2 * BUS_WAIT_MS);
        cr_assert(st != -1 && WIFEXITED(st), "oomctl --bus did not finish");
        *ret_err = host_read_file(err);
        cr_assert_not_null(*ret_err);
        free(err);
        return WEXITSTATUS(st);
}

Test(policy_fd, oomctl_bus_sets_a_policy_over_64k) {
        char *text = big_policy(150), *file = fixture_path(&fx, "big.json"), *err = NULL;
        cr_assert_gt(strlen(text), (size_t) CONTROL_LINE_MAX, "only %zu bytes", strlen(text));
        fixture_write(&fx, "big.json", text);
        int rc = oomctl_bus(&err, "policy", "set", file);
        cr_assert_eq(rc, 0, "oomctl --bus policy set of %zu bytes: rc %d: %s", strlen(text), rc, err);
        cr_assert_eq(running_rulesets(), 150, "the policy set is not the one running");
        free(err); free(text); free(file);
}

static int memfd_with(const char *text, bool seal) {
        int fd = memfd_create("test-policy", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        if (seal)
                cr_assert_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK), 0);
        return fd;
}

Test(policy_fd, set_policy_from_fd_checks_the_descriptor) {
        int before = running_rulesets();
        char *text = big_policy(150);

        /* a sealed memfd: set */
        int fd = memfd_with(text, true);
        char *source = manager_call_string(fx.client, "SetPolicyFromFd", "hb", fd, false);
        cr_assert(strstr(source, "policy.json"), "%s", source);
        cr_assert_eq(running_rulesets(), 150);
        free(source);
        close(fd);

        /* a pipe (reading it could block for good), an unsealed memfd, a sealed one over the limit */
        int pp[2];
        cr_assert_eq(pipe2(pp, O_CLOEXEC), 0);
        char *msg = manager_call_error(fx.client, "org.pressured.oom1.Error.InvalidRequest", "SetPolicyFromFd", "hb", pp[0], false);
        cr_assert(strstr(msg, "a FIFO, not a sealed memfd"), "%s", msg);
        free(msg);
        close(pp[0]);
        close(pp[1]);
        fd = memfd_with(BUS_TEST_POLICY, false);
        msg = manager_call_error(fx.client, "org.pressured.oom1.Error.InvalidRequest", "SetPolicyFromFd", "hb", fd, false);
        cr_assert(strstr(msg, "without all of F_SEAL_WRITE"), "%s", msg);
        free(msg);
        close(fd);
        fd = memfd_create("huge", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        cr_assert(fd >= 0 && ftruncate(fd, 2 * POLICY_MAX_BYTES) == 0);
        cr_assert_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK), 0);
        msg = manager_call_error(fx.client, "org.pressured.oom1.Error.TooLarge", "SetPolicyFromFd", "hb", fd, false);
        cr_assert(strstr(msg, "POLICY_MAX_BYTES") && strstr(msg, "1 MiB"), "%s", msg);
        free(msg);
        close(fd);
        /* invalid JSON in a good descriptor */
        fd = memfd_with("{\"rulesets\": [", true);
        msg = manager_call_error(fx.client, "org.pressured.oom1.Error.InvalidPolicy", "SetPolicyFromFd", "hb", fd, false);
        cr_assert(strstr(msg, "not valid JSON"), "%s", msg);
        free(msg);
        close(fd);
        cr_assert_eq(running_rulesets(), 150, "a refused descriptor changed the policy");
        (void) before;
        free(text);
}
