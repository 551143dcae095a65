/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oomctl: reads pressured's state, edits its policy and kill list, asks for manual kills, and
 * follows its events, over the system bus or the control socket (transport.h picks; README
 * "D-Bus API" and "Control socket and oomctl"). Each command builds one control-socket request, prints the result for a person
 * (or as JSON with --json) the same whichever transport carried it, and maps failures to the
 * documented exit codes.
 *
 * This file holds the command line: the global options, the table of commands, --help, and the
 * JSON form of failures. The commands are in cmd_status.c, cmd_kill.c, cmd_policy.c and
 * cmd_history.c, on what they share in command.c.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd_history.h"
#include "cmd_kill.h"
#include "cmd_policy.h"
#include "cmd_status.h"
#include "command.h"
#include "config.h"
#include "format.h"
#include "macro.h"
#include "protocol.h"
#include "transport.h"

#define DEFAULT_SOCKET_PATH RUNSTATEDIR "/pressured/" PROTOCOL_SOCKET_NAME

typedef struct Command Command;
struct Command {
        const char *name, *sub;    /* "kill-list", "add"; sub NULL for the bare command */
        int min_pos, max_pos;
        unsigned allowed;
        int (*run)(const Args *a);
        const char *help_topic;    /* which help text describes it */
};

/* ---- help ---- */

static const char HELP_MAIN[] =
        "Usage: oomctl [--bus | --socket PATH] [--json] [-q] [--no-legend] [COMMAND [ARGUMENTS...]]\n"
        "\n"
        "Query and control pressured, the userspace out-of-memory killer. Without a command, shows its status.\n"
        "\n"
        "Commands:\n"
        "  status                       Mode, system memory and pressure, kills, monitored cgroups (the default)\n"
        "  kill-list                    Show the kill list, numbered\n"
        "  kill-list add PATTERN        Add an entry (root)\n"
        "  kill-list remove INDEX       Remove an entry (root)\n"
        "  kill-list move FROM TO       Move an entry (root)\n"
        "  kill TARGET                  Kill a cgroup or unit now (root)\n"
        "  policy show                  The running policy, and the file each part comes from\n"
        "  policy check FILE            Validate a policy file or drop-in here, without the daemon\n"
        "  policy set FILE              Replace the running policy (root)\n"
        "  policy reload                Re-read the policy files (root)\n"
        "  policy revert                Drop the changes made with oomctl (root)\n"
        "  history                      Past kills (and dry-run decisions); works without the daemon\n"
        "  dry-run on|off               Turn dry run on or off in the running daemon (root)\n"
        "  monitor                      Follow kills, policy changes and pressure levels as they happen\n"
        "  dump                         The daemon's full status text\n"
        "  help [COMMAND]               This text, or one command's\n"
        "\n"
        "Options:\n"
        "  --socket PATH   talk to pressured over its control socket at PATH only\n"
        "  --bus           talk to pressured over the system bus only (no fallback)\n"
        "  --json          print the daemon's result as JSON instead of text (every command); a failure is\n"
        "                  then a JSON object too: {\"error\": {\"code\", \"message\", \"exit_status\"}}\n"
        "  -q, --quiet     print nothing on success (errors still go to stderr)\n"
        "      --no-legend print tables without their header line\n"
        "      --no-pager  accepted for systemd's habits; oomctl never pages\n"
        "  -v, --verbose   status: the mode's whole reason and the sampling counters\n"
        "  -h, --help      show help (after a command: that command's help)\n"
        "      --version   show the version\n"
        "\n"
        "oomctl talks to pressured over the system bus (org.pressured.oom1; DBUS_SYSTEM_BUS_ADDRESS\n"
        "names another bus) and, when the bus cannot be opened or pressured is not on it, over its\n"
        "control socket at " DEFAULT_SOCKET_PATH ". The output is the same either way.\n"
        "Colour is used only when stdout is a terminal and NO_COLOR is unset.\n"
        "\n"
        "Exit status:\n"
        "  0  success\n"
        "  1  pressured refused or failed the request (permission denied, not found...)\n"
        "  2  bad command line\n"
        "  3  invalid policy (policy check, policy set, policy reload)\n"
        "  4  pressured is not running or not reachable\n"
        "\n"
        "See oomctl(1), and \"oomctl help COMMAND\" for each command.\n";

static const char HELP_STATUS[] =
        "Usage: oomctl status [--json] [--verbose] [--no-legend]\n"
        "\n"
        "Shows pressured's mode (cgroup or degraded) and why, whether it is a dry run, how it wakes up\n"
        "(PSI triggers or polling), system memory and memory pressure (percent of time stalled, avg10,\n"
        "avg60, avg300), the number of kills and the last one, then the cgroups of the last full sample,\n"
        "largest first:\n"
        "\n"
        "  PATH     the cgroup\n"
        "  MEMORY   memory.current\n"
        "  LOW/MIN  memory.low/memory.min protection (- when none)\n"
        "  SWAP     memory.swap.current\n"
        "  FULL     memory pressure, full avg10 (some avg10 when the kernel reports no full line)\n"
        "  LEVEL    ok (<10), low (<20), medium (<40), critical\n"
        "  PREF     the policy's preference: omit, avoid, none, prefer\n"
        "\n"
        "Options:\n"
        "  --json          print the daemon's status object\n"
        "  -v, --verbose   the mode's whole reason, and how often pressured sampled\n"
        "\n"
        "\"oomctl\" alone does the same. Anyone may run it.\n";

static const char HELP_KILL_LIST[] =
        "Usage: oomctl kill-list [--json]\n"
        "       oomctl kill-list add PATTERN [--min-memory SIZE] [--min-pressure N] [--position N] [--persist]\n"
        "       oomctl kill-list remove INDEX [--persist]\n"
        "       oomctl kill-list move FROM TO [--persist]\n"
        "\n"
        "The kill list names what pressured kills first, in order, when a ruleset acts. A PATTERN that\n"
        "starts with / matches cgroup paths (a glob: /batch.slice/*); any other pattern matches process\n"
        "names (comm). An entry applies only when its cgroup (or process) uses at least --min-memory and\n"
        "its memory full avg10 pressure is at least --min-pressure.\n"
        "\n"
        "Without a subcommand, shows the list with its indexes (anyone may). Changes need root. The new\n"
        "list is kept in a change layer over the policy files, RUNTIME_DIR/changes.json until reboot, or\n"
        "with --persist STATE_DIR/changes.json across reboots; \"oomctl policy revert\" drops it.\n"
        "\n"
        "Options:\n"
        "  --min-memory SIZE   512M, 1.5G, or a percent of RAM: 10%\n"
        "  --min-pressure N    percent, 0 to 100\n"
        "  --position N        insert before index N (default: at the end)\n"
        "  --persist           keep the change across reboots\n"
        "  --json              print the daemon's result object\n"
        "\n"
        "Examples:\n"
        "  oomctl kill-list add '/user.slice/*/app-firefox*' --min-memory 1G --position 0\n"
        "  oomctl kill-list move 2 0 --persist\n"
        "  oomctl kill-list remove 1\n";

static const char HELP_KILL[] =
        "Usage: oomctl kill TARGET [--dry-run] [--reason TEXT] [--json]\n"
        "\n"
        "Kills TARGET now through pressured's kill ladder, and records it in the history (ruleset\n"
        "\"manual\"). TARGET is a cgroup path (/user.slice/user-1000.slice/app.scope) or a unit name\n"
        "(foo.service, foo.scope, foo.slice), looked up in the cgroup tree. pressured refuses \"/\" and its\n"
        "own cgroup. Needs root.\n"
        "\n"
        "Options:\n"
        "  --dry-run       decide and record, but signal nothing\n"
        "  --reason TEXT   why, for the journal and the history\n"
        "  --json          print the daemon's result object\n"
        "\n"
        "Examples:\n"
        "  oomctl kill /system.slice/batch.service --reason 'runaway import'\n"
        "  oomctl kill batch.service --dry-run\n";

static const char HELP_POLICY[] =
        "Usage: oomctl policy show [--json]\n"
        "       oomctl policy check FILE [--policy-dir DIR] [--dropin [--config MAIN]] [--json]\n"
        "       oomctl policy set FILE [--persist] [--json]\n"
        "       oomctl policy reload [--json]\n"
        "       oomctl policy revert [--persist] [--json]\n"
        "\n"
        "The running policy is the admin's files (the main file, or the embedded default, and the\n"
        "drop-ins of policy.d), with the changes made through oomctl on top: kill-list changes are kept in\n"
        "a change layer (RUNTIME_DIR/changes.json until reboot, STATE_DIR/changes.json with --persist)\n"
        "that holds only the kill list, and \"policy set\" keeps its document as sent in\n"
        "RUNTIME_DIR/policy.json (or STATE_DIR/policy.json), in place of the main file. Every load re-reads\n"
        "the files: an edit of the admin's files takes effect at the next reload; what a change layer\n"
        "sets (the kill list) stays as changed until reverted.\n"
        "\n"
        "show    prints where the policy comes from, each ruleset and kill-list entry with the file it\n"
        "        comes from, then the running policy (merged, every default written out) as JSON.\n"
        "        Anyone may.\n"
        "check   validates FILE here, with the daemon's own parser and no daemon, and prints the first\n"
        "        problem as \"FILE: JSONPATH: MESSAGE\" (exit 3). FILE is a main policy; with\n"
        "        --policy-dir DIR it is merged with DIR's drop-ins as the daemon merges them. With\n"
        "        --dropin, FILE is a drop-in, merged last over --config MAIN (default: the embedded\n"
        "        default policy) and DIR's drop-ins. Runtime changes are not included.\n"
        "set     replaces the main policy document with FILE (drop-ins and change layers still merge\n"
        "        over it), until reboot, or with --persist across reboots, or until \"policy revert\".\n"
        "        An invalid policy is refused (exit 3) and the old one keeps running. Needs root.\n"
        "reload  re-reads the policy files and change layers, as SIGHUP does. Needs root.\n"
        "revert  drops the runtime changes (changes.json and policy.json in the runtime directory), with\n"
        "        --persist the persisted ones too, and loads the policy from the admin's files. It says\n"
        "        which files it removed. Refused, removing nothing, if what remains is invalid. Needs root.\n"
        "\n"
        "Options:\n"
        "  --persist          (set, revert) the state directory's copy, across reboots\n"
        "  --policy-dir DIR   (check) merge the drop-ins of DIR\n"
        "  --dropin           (check) FILE is a drop-in, not a main policy\n"
        "  --config MAIN      (check --dropin) the main policy the drop-in merges over\n"
        "  --json             print the daemon's result object (check: {\"valid\", \"path\", \"message\"})\n"
        "\n"
        "Examples:\n"
        "  oomctl policy check /etc/pressured/policy.json --policy-dir /etc/pressured/policy.d && oomctl policy reload\n"
        "  oomctl policy check /etc/pressured/policy.d/50-build.json --dropin --config /etc/pressured/policy.json\n"
        "  oomctl kill-list add firefox; oomctl policy revert\n";

static const char HELP_HISTORY[] =
        "Usage: oomctl history [--since TIME] [--until TIME] [--state-dir DIR] [--json]\n"
        "\n"
        "Lists the kills pressured recorded (dry-run decisions included), oldest first: local time,\n"
        "cgroup (or process name), ruleset, method, memory at the kill, pids, and whether it was a dry run.\n"
        "When pressured is not running, oomctl reads its history file, " DEFAULT_STATE_DIR "/history.jsonl,\n"
        "and says so on stderr.\n"
        "\n"
        "Options:\n"
        "  --since TIME      only kills at or after TIME\n"
        "  --until TIME      only kills at or before TIME\n"
        "  --state-dir DIR   read DIR/history.jsonl directly, without asking pressured\n"
        "  --json            print the result object\n"
        "\n"
        "TIME is local time, as journalctl takes it: \"2026-12-06 10:00\", 2026-12-06, 10:00 (today),\n"
        "now, today, yesterday, tomorrow, -1d, +1h, \"2h ago\", \"1h 30min ago\", or unix seconds (1700000000).\n";

static const char HELP_DRY_RUN[] =
        "Usage: oomctl dry-run on|off [--json]\n"
        "\n"
        "Turns dry run on or off in the running pressured: while on, every ruleset decides, logs and\n"
        "records in the history, but nothing is signalled. It lasts until turned again; a restart goes\n"
        "back to what the policy's \"dry_run\" says. A ruleset with its own \"dry_run\": true stays a dry\n"
        "run either way. Needs root.\n";

static const char HELP_MONITOR[] =
        "Usage: oomctl monitor [--json]\n"
        "\n"
        "Prints one line per event until interrupted (Ctrl-C): KillPending (right before a kill attempt;\n"
        "with the ruleset's prekill_timeout, how long the target has to shed memory) and Killed, with the\n"
        "cgroup's unit when it has one; KillCancelled (the target was spared during that wait, and why);\n"
        "PolicyChanged; PressureChanged (a cgroup's\n"
        "level, or the system's, moved between ok, low, medium and critical); PressureRecovered (back at\n"
        "ok, after how long, and the worst level); LowMemoryWarning (the system's level as\n"
        "org.freedesktop.LowMemoryMonitor gives it: 0, 50, 100, 255). With --json, prints each event as\n"
        "one JSON object per line. Exits 4 when pressured stops (it closes the socket stream or leaves\n"
        "the bus) or the bus connection closes.\n";

static const char HELP_DUMP[] =
        "Usage: oomctl dump [--json]\n"
        "\n"
        "Prints the daemon's full status text, for bug reports and incident notes.\n";

static const char *help_for(const char *topic) {
        static const struct { const char *topic, *text; } table[] = {
                { "status", HELP_STATUS }, { "kill-list", HELP_KILL_LIST }, { "kill", HELP_KILL },
                { "policy", HELP_POLICY }, { "history", HELP_HISTORY }, { "monitor", HELP_MONITOR },
                { "dump", HELP_DUMP }, { "dry-run", HELP_DRY_RUN },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (streq(table[i].topic, topic))
                        return table[i].text;
        return NULL;
}

/* ---- dispatch ---- */

static const Command commands[] = {
        { "status", NULL, 0, 0, OPT_JSON, cmd_status, "status" },
        { "kill-list", NULL, 0, 0, OPT_JSON, cmd_kill_list_show, "kill-list" },
        { "kill-list", "add", 1, 1, OPT_JSON | OPT_MIN_MEMORY | OPT_MIN_PRESSURE | OPT_POSITION | OPT_PERSIST,
          cmd_kill_list_add, "kill-list" },
        { "kill-list", "remove", 1, 1, OPT_JSON | OPT_PERSIST, cmd_kill_list_remove, "kill-list" },
        { "kill-list", "move", 2, 2, OPT_JSON | OPT_PERSIST, cmd_kill_list_move, "kill-list" },
        { "kill", NULL, 1, 1, OPT_JSON | OPT_DRY_RUN | OPT_REASON, cmd_kill, "kill" },
        { "policy", "show", 0, 0, OPT_JSON, cmd_policy_show, "policy" },
        { "policy", "check", 1, 1, OPT_JSON | OPT_POLICY_DIR | OPT_DROPIN | OPT_CONFIG, cmd_policy_check, "policy" },
        { "policy", "set", 1, 1, OPT_JSON | OPT_PERSIST, cmd_policy_set, "policy" },
        { "policy", "reload", 0, 0, OPT_JSON, cmd_policy_reload, "policy" },
        { "policy", "revert", 0, 0, OPT_JSON | OPT_PERSIST, cmd_policy_revert, "policy" },
        { "history", NULL, 0, 0, OPT_JSON | OPT_SINCE | OPT_UNTIL | OPT_STATE_DIR, cmd_history, "history" },
        { "dry-run", NULL, 1, 1, OPT_JSON, cmd_dry_run, "dry-run" },
        { "monitor", NULL, 0, 0, OPT_JSON, cmd_monitor, "monitor" },
        { "dump", NULL, 0, 0, OPT_JSON, cmd_dump, "dump" },
};

static const char *option_name(unsigned bit) {
        switch (bit) {
        case OPT_JSON: return "--json";
        case OPT_PERSIST: return "--persist";
        case OPT_DRY_RUN: return "--dry-run";
        case OPT_REASON: return "--reason";
        case OPT_SINCE: return "--since";
        case OPT_MIN_MEMORY: return "--min-memory";
        case OPT_MIN_PRESSURE: return "--min-pressure";
        case OPT_POSITION: return "--position";
        case OPT_UNTIL: return "--until";
        case OPT_STATE_DIR: return "--state-dir";
        case OPT_POLICY_DIR: return "--policy-dir";
        case OPT_DROPIN: return "--dropin";
        case OPT_CONFIG: return "--config";
        }
        return "?";
}

static bool has_subcommands(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(commands[i].name, name) && commands[i].sub)
                        return true;
        return false;
}

static int run_command(Args *a, char **words, int n_words) {
        const char *name = words[0];
        const char *sub = n_words > 1 && has_subcommands(name) ? words[1] : NULL;
        const Command *cmd = NULL;

        if (!help_for(name)) {
                fprintf(stderr, "Unknown command \"%s\".\n", name);
                return usage_error(NULL);
        }
        for (size_t i = 0; i < ELEMENTSOF(commands) && !cmd; i++)
                if (streq(commands[i].name, name) && (sub ? commands[i].sub && streq(commands[i].sub, sub) : !commands[i].sub))
                        cmd = &commands[i];
        if (!cmd && sub) {
                /* "kill-list 3" is not a subcommand; say which ones exist. */
                fprintf(stderr, "Unknown subcommand \"%s %s\".\n", name, sub);
                return usage_error(name);
        }
        if (!cmd) {
                fprintf(stderr, "\"%s\" needs a subcommand.\n", name);
                return usage_error(name);
        }

        int skip = cmd->sub ? 2 : 1;
        a->pos = words + skip;
        a->n_pos = n_words - skip;
        if (a->n_pos < cmd->min_pos || a->n_pos > cmd->max_pos) {
                fprintf(stderr, "\"%s%s%s\" takes %s%d argument%s, not %d.\n", name, cmd->sub ? " " : "", cmd->sub ?: "",
                        cmd->min_pos == cmd->max_pos ? "" : "up to ", cmd->max_pos, cmd->max_pos == 1 ? "" : "s", a->n_pos);
                return usage_error(cmd->help_topic);
        }
        unsigned extra = a->given & ~cmd->allowed;
        if (extra) {
                fprintf(stderr, "\"%s%s%s\" does not take %s.\n", name, cmd->sub ? " " : "", cmd->sub ?: "",
                        option_name(extra & -extra));
                return usage_error(cmd->help_topic);
        }
        return cmd->run(a);
}

/* With --json, stderr goes to a buffer until oomctl exits; json_errors_end() then prints it as one
 * JSON object on stdout when oomctl failed, or passes it on to stderr when it succeeded. A script
 * reading --json output then always gets JSON, and the exit status stays as documented. */
static FILE *real_stderr;
static char *err_buf;
static size_t err_size;

static void json_errors_begin(void) {
        FILE *f = open_memstream(&err_buf, &err_size);
        if (!f)
                return; /* errors stay plain text */
        real_stderr = stderr;
        stderr = f;
}

static int json_errors_end(int exit_status) {
        if (!real_stderr)
                return exit_status;
        fclose(stderr);
        stderr = real_stderr;
        real_stderr = NULL;
        size_t n = err_buf ? strlen(err_buf) : 0;
        if (exit_status == EXIT_OK) {
                if (n > 0)
                        fputs(err_buf, stderr);
        } else {
                while (n > 0 && err_buf[n - 1] == '\n')
                        err_buf[--n] = '\0';
                static const char *const codes[] = {
                        [EXIT_REFUSED] = "failed", [EXIT_USAGE] = "usage",
                        [EXIT_INVALID_POLICY] = "invalid-policy", [EXIT_UNREACHABLE] = "unreachable",
                };
                const char *refused = error_code_get();
                const char *code = refused[0] ? refused :
                        exit_status > 0 && exit_status < (int) ELEMENTSOF(codes) && codes[exit_status] ? codes[exit_status] : "failed";
                cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");
                if (e && cJSON_AddStringToObject(e, "code", code) && cJSON_AddStringToObject(e, "message", err_buf ?: "") &&
                    cJSON_AddNumberToObject(e, "exit_status", exit_status)) {
                        fflush(stdout);
                        print_json(o);
                } else if (n > 0)
                        fprintf(stderr, "%s\n", err_buf);
                cJSON_Delete(o);
        }
        free(err_buf);
        err_buf = NULL;
        return exit_status;
}

static int run(int argc, char *argv[]);

int main(int argc, char *argv[]) {
        for (int i = 1; i < argc && !streq(argv[i], "--"); i++)
                if (streq(argv[i], "--json")) {
                        json_errors_begin();
                        break;
                }
        return json_errors_end(run(argc, argv));
}

static int run(int argc, char *argv[]) {
        enum { ARG_SOCKET = 0x100, ARG_BUS, ARG_VERSION, ARG_JSON, ARG_PERSIST, ARG_DRY_RUN, ARG_REASON, ARG_SINCE,
               ARG_MIN_MEMORY, ARG_MIN_PRESSURE, ARG_POSITION, ARG_UNTIL, ARG_STATE_DIR, ARG_NO_PAGER, ARG_NO_LEGEND,
               ARG_POLICY_DIR, ARG_DROPIN, ARG_CONFIG };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "socket", required_argument, NULL, ARG_SOCKET },
                { "bus", no_argument, NULL, ARG_BUS },
                { "json", no_argument, NULL, ARG_JSON },
                { "persist", no_argument, NULL, ARG_PERSIST },
                { "dry-run", no_argument, NULL, ARG_DRY_RUN },
                { "reason", required_argument, NULL, ARG_REASON },
                { "since", required_argument, NULL, ARG_SINCE },
                { "min-memory", required_argument, NULL, ARG_MIN_MEMORY },
                { "min-pressure", required_argument, NULL, ARG_MIN_PRESSURE },
                { "position", required_argument, NULL, ARG_POSITION },
                { "until", required_argument, NULL, ARG_UNTIL },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "no-pager", no_argument, NULL, ARG_NO_PAGER },
                { "no-legend", no_argument, NULL, ARG_NO_LEGEND },
                { "quiet", no_argument, NULL, 'q' },
                { "verbose", no_argument, NULL, 'v' },
                { "policy-dir", required_argument, NULL, ARG_POLICY_DIR },
                { "dropin", no_argument, NULL, ARG_DROPIN },
                { "config", required_argument, NULL, ARG_CONFIG },
                {}
        };
        Args a = { .socket_path = DEFAULT_SOCKET_PATH, .mode = TRANSPORT_AUTO };
        bool help = false, bus = false, quiet = false;
        int c;

        while ((c = getopt_long(argc, argv, "hqv", options, NULL)) >= 0)
                switch (c) {
                case 'h': help = true; break;
                case 'q': quiet = true; break;
                case 'v': a.verbose = true; break;
                case ARG_NO_PAGER: break; /* nothing pages */
                case ARG_NO_LEGEND: a.no_legend = true; break;
                case ARG_UNTIL: a.given |= OPT_UNTIL; a.until = optarg; break;
                case ARG_STATE_DIR:
                        if (!optarg[0]) {
                                fprintf(stderr, "--state-dir needs a directory.\n");
                                return usage_error(NULL);
                        }
                        a.given |= OPT_STATE_DIR;
                        a.state_dir = optarg;
                        break;
                case ARG_VERSION:
                        printf("oomctl %s\n", PACKAGE_VERSION);
                        return EXIT_OK;
                case ARG_SOCKET:
                        if (!optarg[0]) {
                                fprintf(stderr, "--socket needs a path.\n");
                                return usage_error(NULL);
                        }
                        a.socket_path = optarg;
                        a.mode = TRANSPORT_SOCKET;
                        break;
                case ARG_BUS: bus = true; break;
                case ARG_JSON: a.given |= OPT_JSON; break;
                case ARG_PERSIST: a.given |= OPT_PERSIST; break;
                case ARG_DRY_RUN: a.given |= OPT_DRY_RUN; break;
                case ARG_REASON: a.given |= OPT_REASON; a.reason = optarg; break;
                case ARG_SINCE: a.given |= OPT_SINCE; a.since = optarg; break;
                case ARG_MIN_MEMORY: a.given |= OPT_MIN_MEMORY; a.min_memory = optarg; break;
                case ARG_MIN_PRESSURE: a.given |= OPT_MIN_PRESSURE; a.min_pressure = optarg; break;
                case ARG_POSITION: a.given |= OPT_POSITION; a.position = optarg; break;
                case ARG_POLICY_DIR: a.given |= OPT_POLICY_DIR; a.policy_dir = optarg; break;
                case ARG_DROPIN: a.given |= OPT_DROPIN; break;
                case ARG_CONFIG: a.given |= OPT_CONFIG; a.config = optarg; break;
                default:
                        return usage_error(NULL);
                }

        if (bus && a.mode == TRANSPORT_SOCKET) {
                fprintf(stderr, "--bus and --socket each pick one way to reach pressured; give one of them, or neither "
                                "(the bus, then the socket).\n");
                return usage_error(NULL);
        }
        if (bus)
                a.mode = TRANSPORT_BUS;

        char **words = argv + optind;
        int n_words = argc - optind;

        if (n_words > 0 && streq(words[0], "help")) {
                help = true;
                words++;
                n_words--;
                if (n_words > 1) {
                        fprintf(stderr, "\"help\" takes at most one command.\n");
                        return usage_error(NULL);
                }
        }
        if (help) {
                const char *text = n_words > 0 ? help_for(words[0]) : HELP_MAIN;
                if (!text) {
                        fprintf(stderr, "No help for \"%s\": it is not an oomctl command.\n", words[0]);
                        return usage_error(NULL);
                }
                fputs(text, stdout);
                return EXIT_OK;
        }
        /* Bare "oomctl" is "oomctl status", as with systemd's oomctl. */
        static char *status_words[] = { (char *) "status", NULL };
        if (n_words == 0) {
                words = status_words;
                n_words = 1;
        }
        /* -q: nothing on stdout but --json output; messages about failures still go to stderr. */
        if (quiet && !(a.given & OPT_JSON) && !freopen("/dev/null", "w", stdout)) {
                fprintf(stderr, "cannot open /dev/null for --quiet: %s\n", strerror(errno));
                return EXIT_REFUSED;
        }
        a.color = stdout_wants_color();
        _cleanup_(transport_freep) Transport *t = a.transport = transport_new(a.mode, a.socket_path);
        if (!t) {
                fprintf(stderr, "out of memory\n");
                return EXIT_REFUSED;
        }
        return run_command(&a, words, n_words);
}
