/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Helpers for tests against the real host: a scratch cgroup of our own under the cgroup2 mount,
 * child processes that really allocate memory (under a hard RLIMIT_AS, never host-wide pressure),
 * the real daemon binary, and files to poll. Everything they create is removed at the end, also
 * when a test fails.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The cgroup2 mount, or NULL with *why filled (for cr_skip_test). */
const char *host_cgroup2_mount(const char **why);

/* Creates MOUNT/NAME; returns its absolute path (static storage per call site not needed: malloc'd). */
char *host_cgroup_create(const char *name);
/* Kills what is left in it (cgroup.kill), waits until empty, removes it and its children. */
void host_cgroup_destroy(const char *abs_path);
/* Moves pid into the cgroup. 0 or negative errno. */
int host_cgroup_attach(const char *abs_path, pid_t pid);
/* True while cgroup.events says something runs in the cgroup; false when it says not, or is unreadable. */
bool host_cgroup_populated(const char *abs_path);
/* Polls until the cgroup is no longer populated; false when timeout_ms passes first. */
bool host_cgroup_wait_empty(const char *abs_path, unsigned timeout_ms);

/* Forks a child that joins cgroup `abs_path` (may be NULL), caps its address space at
 * `limit_mib`, allocates and touches `mib` MiB, writes "ready" to the pipe, and sleeps until killed. */
pid_t host_spawn_hog(const char *abs_path, unsigned mib, unsigned limit_mib);

/* Starts the built daemon with argv (NULL-terminated, argv[0] ignored), stderr to `log_path`. */
pid_t host_spawn_daemon(char *const argv[], const char *log_path);
/* The same with RLIMIT_NOFILE (soft and hard) at `nofile`, so the daemon cannot raise it. */
pid_t host_spawn_daemon_nofile(char *const argv[], const char *log_path, unsigned nofile);
/* Ends a daemon started by host_spawn_daemon: SIGTERM, and SIGKILL when it has not exited within
 * 5 s. Does nothing for pid <= 0. */
void host_stop_daemon(pid_t pid);

/* Forks a child that does nothing but wait to be killed: a victim for fixtures that describe it as big. */
pid_t host_spawn_sleeper(void);

/* Waits for pid (our child) up to timeout_ms; returns its wait status, or -1 on timeout. */
int host_wait_child(pid_t pid, unsigned timeout_ms);
/* True when pid (our child) is still running. */
bool host_child_alive(pid_t pid);

/* Polls until `path` contains `needle` or timeout_ms passes. */
bool host_file_contains(const char *path, const char *needle, unsigned timeout_ms);
/* How often `needle` occurs in the file now (0 when it cannot be read). */
unsigned host_file_count(const char *path, const char *needle);
/* DIR/NAME, malloc'd, or NULL. */
char *host_path_in(const char *dir, const char *name);
/* Creates (or truncates) PATH, or DIR/NAME, with the text. 0 or negative errno. */
int host_write_text(const char *path, const char *text);
int host_write_in(const char *dir, const char *name, const char *text);

/* The same, failing the calling test with the path: for test setup, where a failure is a broken setup. */
char *host_assert_path_in(const char *dir, const char *name);
void host_assert_write_text(const char *path, const char *text);
void host_assert_write_in(const char *dir, const char *name, const char *text);
/* Like host_assert_write_in(), for a fixture file the daemon reads while the test changes it: the
 * text is written over the old in place, never truncated first, so a read between the two never finds
 * the file empty (as a kernel file never is). Texts of one fixed length keep every read whole. */
void host_assert_rewrite_in(const char *dir, const char *name, const char *text);
/* A program run to its end: exit code (-1 when killed by a signal), pid, and its stdout and stderr. */
typedef struct HostRun {
        int rc;
        pid_t pid;
        char *out, *err;
} HostRun;
/* Starts bin with argv, stdout and stderr to DIR/TAG.out and .err, as `uid` when not 0. */
pid_t host_run_start(const char *dir, const char *tag, uid_t uid, const char *bin, char *const argv[]);
/* Waits up to timeout_ms for a host_run_start() and collects it; asserts that it ran and ended. */
HostRun host_run_finish(const char *dir, const char *tag, pid_t pid, const char *bin, unsigned timeout_ms);
/* Both: runs bin to its end (30 s at most) with outputs in DIR. */
HostRun host_run(const char *dir, uid_t uid, const char *bin, char *const argv[]);
void host_run_free(HostRun *r);
/* Writes the embedded default policy to DIR/NAME and returns that path (malloc'd): --config must name
 * a file that exists, and the host's own /etc/pressured must not count. */
char *host_assert_default_policy_in(const char *dir, const char *name);

/* A fixture cgroup2 hierarchy for the daemon's --cgroup-root, made with mkdir (failing the test when it
 * cannot be): the root, with the memory controller listed and no process; and one cgroup in it, with
 * no process, cgroup.events saying whether it is populated, and memory.current (a decimal string). */
void host_assert_fixture_root(const char *dir);
void host_assert_fixture_cgroup(const char *dir, bool populated, const char *memory_current);
/* Copies the fixture tree tests/fixtures/NAME (e.g. "proc-basic", for --proc-root) to DEST. */
void host_assert_copy_fixture(const char *name, const char *dest);

/* Reads a whole file, malloc'd, or NULL. */
char *host_read_file(const char *path);
/* Writes text to an existing file (no O_CREAT: cgroup files). 0 or negative errno. */
int host_write_file(const char *path, const char *text);

/* A connection to the control socket at sock_path: its fd, or negative errno. */
int host_control_connect(const char *sock_path);
/* Polls until the control socket of daemon `pid` accepts a connection; false when the daemon exited
 * or timeout_ms passed first. */
bool host_control_wait(pid_t pid, const char *sock_path, unsigned timeout_ms);

/* One request on a fresh connection to the control socket at sock_path: the reply line, malloc'd
 * without its newline, or NULL (no connection, or no reply within timeout_ms). */
char *host_control_request(const char *sock_path, const char *request, unsigned timeout_ms);

/* A count from the daemon's status reply on the control socket ("samples", "candidate_samples", ...),
 * failing the test when there is no reply or no such count. */
long host_assert_status_count(const char *sock_path, const char *key);

/* Sleeps ms milliseconds; for polling loops in tests only. */
void host_sleep_ms(unsigned ms);

/* A fresh temporary directory, removed recursively by host_rm_rf. */
char *host_mkdtemp(void);
void host_rm_rf(const char *path);
