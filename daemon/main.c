/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "policy/macro.h"
#include "policy/policy.h"
#include "util/log.h"
#include "core/manager.h"
#include "core/policy_load.h"
#include "api/bus_manager.h"
#include "api/control_socket.h"
#include "policy/protocol.h"

/* Exit codes, documented in --help and README. */
#define EXIT_OK 0
#define EXIT_RUNTIME 1    /* failed to start or failed while running */
#define EXIT_USAGE 2      /* bad command line */
#define EXIT_BAD_POLICY 3 /* --check-config found errors, or the policy at start is invalid */

static void help(void) {
        printf("Usage: pressured [OPTIONS]\n"
               "\n"
               "A userspace out-of-memory killer. It watches memory pressure (PSI) and memory use, per\n"
               "cgroup where cgroup v2 has the memory controller and system-wide otherwise, and kills the\n"
               "offending cgroup or process, as its policy says, before the kernel's OOM killer would.\n"
               "\n"
               "Options:\n"
               "  -c, --config=FILE        Main policy file (default: %s/pressured/policy.json).\n"
               "                           When the default file does not exist, the embedded default\n"
               "                           policy is used; a FILE given here must exist.\n"
               "      --policy-dir=DIR     Drop-in directory merged over the main file in lexical order\n"
               "                           (default: %s/pressured/policy.d); RUNTIME_DIR/policy.d too.\n"
               "      --check-config=FILE  Validate FILE (\"-\" for standard input) and exit: 0 valid,\n"
               "                           3 invalid, with the first problem found and its JSON path;\n"
               "                           1 when a file cannot be read (missing, a directory).\n"
               "                           FILE is a main policy; with --policy-dir, merged with that\n"
               "                           directory's drop-ins as the daemon merges them.\n"
               "      --dropin             With --check-config: FILE is a drop-in, merged last over\n"
               "                           --config (or the embedded default when --config is not\n"
               "                           given) and the drop-ins of --policy-dir, if given.\n"
               "      --print-default-policy\n"
               "                           Print the embedded default policy as JSON and exit.\n"
               "  -n, --dry-run            Decide and log, but kill nothing (overrides the policy).\n"
               "      --cgroup-root=DIR    cgroup2 hierarchy to watch (default: found in /proc/self/mountinfo).\n"
               "      --proc-root=DIR      procfs to read (default: /proc). For tests against fixture trees.\n"
               "      --state-dir=DIR      Kill history and persisted changes (default: %s/lib/pressured).\n"
               "      --runtime-dir=DIR    Status, lock and runtime policy (default: %s/pressured).\n"
               "      --log-level=LEVEL    debug, info, notice, warning or error (default: info).\n"
               "      --log-target=TARGET  auto, stderr or journal (default: auto: the journal when started\n"
               "                           by systemd, else standard error). Without a running journald,\n"
               "                           journal logs to standard error and says so once.\n"
               "      --no-mlock           Do not lock pressured's memory in RAM.\n"
               "      --no-bus             Do not offer the D-Bus API (org.pressured.oom1 on the system\n"
               "                           bus); the control socket serves alone. Without this option a\n"
               "                           missing system bus is tried again every 5 s.\n"
               "  -h, --help               Show this help and exit.\n"
               "      --version            Show the version and exit.\n"
               "\n"
               "Modes:\n"
               "  cgroup    cgroup v2 with the memory controller: per-cgroup pressure and memory, kills\n"
               "            cgroups (or the largest process of one, with \"granularity\": \"process\").\n"
               "  degraded  no memory controller on cgroup v2 (hybrid or v1 hosts): system pressure and\n"
               "            MemAvailable, kills processes ranked by RSS. Stated at start and in\n"
               "            RUNTIME_DIR/status.json.\n"
               "\n"
               "Signals: SIGHUP reloads the policy (a bad policy is refused and the old one kept);\n"
               "SIGTERM and SIGINT exit cleanly.\n"
               "\n"
               "Files: RUNTIME_DIR/status.json (mode, system figures, last kill), STATE_DIR/history.jsonl\n"
               "(one JSON object per kill, survives restarts), RUNTIME_DIR/control.sock (the control socket).\n"
               "Changes made with oomctl: RUNTIME_DIR/changes.json and STATE_DIR/changes.json (kill-list\n"
               "changes, merged over the policy files), RUNTIME_DIR/policy.json and STATE_DIR/policy.json\n"
               "(oomctl policy set, in place of the main file); oomctl policy revert removes them.\n"
               "\n"
               "D-Bus: org.pressured.oom1 on the system bus (DBUS_SYSTEM_BUS_ADDRESS overrides where that is),\n"
               "and org.freedesktop.LowMemoryMonitor when no other process owns it.\n"
               "\n"
               "Exit status: 0 success, 1 failure at start or while running, 2 bad command line,\n"
               "3 invalid policy.\n",
               SYSCONFDIR, SYSCONFDIR, LOCALSTATEDIR, RUNSTATEDIR);
}

enum {
        ARG_POLICY_DIR = 0x100,
        ARG_CHECK_CONFIG,
        ARG_DROPIN,
        ARG_PRINT_DEFAULT,
        ARG_CGROUP_ROOT,
        ARG_PROC_ROOT,
        ARG_STATE_DIR,
        ARG_RUNTIME_DIR,
        ARG_LOG_LEVEL,
        ARG_LOG_TARGET,
        ARG_NO_MLOCK,
        ARG_NO_BUS,
        ARG_VERSION,
};

static void on_event_for_socket(const Event *e, void *userdata) {
        control_socket_broadcast(userdata, e);
}

/* Allocations from this size up are mapped on their own and unmapped when freed (glibc's default
 * start, kept from moving up). */
#define MALLOC_MMAP_THRESHOLD_BYTES (128 * 1024)

/* The daemon as a pipeline: the core (manager_new: policy, sampling, the kill ladder, the system
 * bus connection), then its front ends, each subscribed to the core's events: the control socket
 * first, then the D-Bus service (which starts the bus connection). */
static int run(const ManagerConfig *c) {
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(control_socket_freep) ControlSocket *control = NULL;
        _cleanup_(bus_manager_freep) BusManager *bus = NULL;
        char sock[4096];

        /* A sample of a large tree builds arrays of megabytes and frees them: with glibc's default,
         * each such free raises the threshold above which memory comes from mmap, so the next ones
         * come from the heap and stay in it, the daemon's private memory twice the arrays it keeps.
         * A fixed threshold has them mapped and returned when freed. */
        (void) mallopt(M_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD_BYTES);

        int r = manager_new(c, &m);
        if (r == -EINVAL)
                return EXIT_BAD_POLICY;
        if (r < 0)
                return EXIT_RUNTIME;

        snprintf(sock, sizeof sock, "%s/" PROTOCOL_SOCKET_NAME, c->runtime_dir);
        r = control_socket_new(m, manager_get_event(m), sock, &control);
        if (r < 0)
                return EXIT_RUNTIME; /* control_socket_new said what and why */
        r = manager_subscribe(m, on_event_for_socket, control);
        if (r >= 0 && manager_get_bus_connection(m)) {
                r = bus_manager_new(m, manager_get_bus_connection(m), &bus);
                if (r < 0)
                        return EXIT_RUNTIME; /* out of memory only: a missing bus is logged and retried */
                r = manager_subscribe(m, bus_manager_on_event, bus);
        } else if (r >= 0)
                log_info("D-Bus service off (--no-bus): the control socket at %s serves alone", sock);
        if (r < 0) {
                log_error_errno(r, "Failed to subscribe the front ends to the daemon's events: %m");
                return EXIT_RUNTIME;
        }

        manager_start(m);
        r = manager_run(m);
        /* The front ends go first: the core's bus connection and event loop outlive them. */
        bus = bus_manager_free(bus);
        control = control_socket_free(control);
        return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}

/* --check-config: FILE alone, merged with --policy-dir's drop-ins, or (--dropin) as a drop-in over
 * --config and them. Prints the first problem found. */
static int check_config(const char *path, bool as_dropin, const char *main_path, const char *dropin_dir) {
        Policy *p = NULL;
        char err[1024] = "";
        int r = policy_check_files(path, as_dropin, main_path, dropin_dir, &p, NULL, err, sizeof err);
        if (r < 0) {
                fprintf(stderr, "%s\n", err);
                return policy_error_is_invalid(r) ? EXIT_BAD_POLICY : EXIT_RUNTIME;
        }
        printf("%s: valid %s%s%s%s: %zu ruleset(s), %zu kill-list entr%s%s\n", path,
               as_dropin ? "drop-in over " : "policy", as_dropin ? (main_path ? main_path : "the embedded default policy") : "",
               dropin_dir ? (as_dropin ? " and the drop-ins of " : " merged with the drop-ins of ") : "",
               dropin_dir ? dropin_dir : "", p->n_rulesets, p->n_kill_list, p->n_kill_list == 1 ? "y" : "ies",
               p->dry_run ? ", dry run" : "");
        policy_free(p);
        return EXIT_OK;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "config",               required_argument, NULL, 'c' },
                { "policy-dir",           required_argument, NULL, ARG_POLICY_DIR },
                { "check-config",         required_argument, NULL, ARG_CHECK_CONFIG },
                { "dropin",               no_argument,       NULL, ARG_DROPIN },
                { "print-default-policy", no_argument,       NULL, ARG_PRINT_DEFAULT },
                { "dry-run",              no_argument,       NULL, 'n' },
                { "cgroup-root",          required_argument, NULL, ARG_CGROUP_ROOT },
                { "proc-root",            required_argument, NULL, ARG_PROC_ROOT },
                { "state-dir",            required_argument, NULL, ARG_STATE_DIR },
                { "runtime-dir",          required_argument, NULL, ARG_RUNTIME_DIR },
                { "log-level",            required_argument, NULL, ARG_LOG_LEVEL },
                { "log-target",           required_argument, NULL, ARG_LOG_TARGET },
                { "no-mlock",             no_argument,       NULL, ARG_NO_MLOCK },
                { "no-bus",               no_argument,       NULL, ARG_NO_BUS },
                { "help",                 no_argument,       NULL, 'h' },
                { "version",              no_argument,       NULL, ARG_VERSION },
                {}
        };
        ManagerConfig c = {
                .config_path = SYSCONFDIR "/pressured/policy.json",
                .dropin_dir = SYSCONFDIR "/pressured/policy.d",
                .proc_root = "/proc",
                .state_dir = LOCALSTATEDIR "/lib/pressured",
                .runtime_dir = RUNSTATEDIR "/pressured",
        };
        const char *check = NULL;
        bool as_dropin = false, policy_dir_given = false;
        int level = LOG_INFO, opt;
        LogTarget target = LOG_TARGET_AUTO;

        while ((opt = getopt_long(argc, argv, "c:nh", options, NULL)) >= 0)
                switch (opt) {
                case 'c': c.config_path = optarg; c.config_required = true; break;
                case ARG_POLICY_DIR: c.dropin_dir = optarg; policy_dir_given = true; break;
                case ARG_CHECK_CONFIG: check = optarg; break;
                case ARG_DROPIN: as_dropin = true; break;
                case ARG_PRINT_DEFAULT: fputs(policy_default_json, stdout); return EXIT_OK;
                case 'n': c.dry_run = true; break;
                case ARG_CGROUP_ROOT: c.cgroup_root = optarg; break;
                case ARG_PROC_ROOT: c.proc_root = optarg; break;
                case ARG_STATE_DIR: c.state_dir = optarg; break;
                case ARG_RUNTIME_DIR: c.runtime_dir = optarg; break;
                case ARG_LOG_LEVEL:
                        level = log_level_from_string(optarg);
                        if (level < 0) {
                                fprintf(stderr, "pressured: unknown log level \"%s\"; use debug, info, notice, warning or error\n", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case ARG_LOG_TARGET:
                        if (strcmp(optarg, "auto") == 0)
                                target = LOG_TARGET_AUTO;
                        else if (strcmp(optarg, "stderr") == 0)
                                target = LOG_TARGET_STDERR;
                        else if (strcmp(optarg, "journal") == 0)
                                target = LOG_TARGET_JOURNAL;
                        else {
                                fprintf(stderr, "pressured: unknown log target \"%s\"; use auto, stderr or journal\n", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case ARG_NO_MLOCK: c.no_mlock = true; break;
                case ARG_NO_BUS: c.no_bus = true; break;
                case 'h': help(); return EXIT_OK;
                case ARG_VERSION: printf("pressured %s\n", PACKAGE_VERSION); return EXIT_OK;
                default:
                        fprintf(stderr, "Try 'pressured --help' for the options.\n");
                        return EXIT_USAGE;
                }
        if (optind < argc) {
                fprintf(stderr, "pressured: unexpected argument \"%s\"; pressured takes options only (see --help)\n", argv[optind]);
                return EXIT_USAGE;
        }

        if (as_dropin && !check) {
                fprintf(stderr, "pressured: --dropin only applies to --check-config FILE (it checks FILE as a drop-in)\n");
                return EXIT_USAGE;
        }

        log_setup(target, level);
        if (check)
                return check_config(check, as_dropin, c.config_required ? c.config_path : NULL,
                                    policy_dir_given ? c.dropin_dir : NULL);

        /* Only the default path may be absent: a mistyped --config would otherwise run the embedded
         * default without anyone noticing. */
        if (c.config_required && access(c.config_path, F_OK) < 0) {
                fprintf(stderr, "pressured: the policy file given with --config, %s, cannot be used: %s. Fix the path, "
                        "or leave --config out to use %s/pressured/policy.json (or the embedded default policy when "
                        "that file does not exist).\n", c.config_path, strerror(errno), SYSCONFDIR);
                return EXIT_RUNTIME;
        }

        return run(&c);
}
