/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The policy that applies when no policy file exists. It must suit a desktop and a server alike:
 *  - "memory-available-floor" kills the largest (or fastest-growing) process once MemAvailable is
 *    under 5% and swap is nearly gone. swap_free_below also holds on a machine without swap
 *    (SwapTotal 0): there is nothing to fall back on, and that is where Facebook oomd and
 *    systemd-oomd, which wait for swap or pressure, let the kernel OOM killer act first.
 *  - "system-memory-pressure" acts when the whole system has been stalled on memory for more than
 *    half of the last 5 s (exactly, from the PSI counters), for 2 s on end, while the kernel keeps
 *    reclaiming: the machine is thrashing, not merely busy. A 2 s spike stalls at most 40% of 5 s.
 * Both kill one process (granularity process) so that a runaway browser tab does not take the
 * whole session scope with it. A victim that comes back (a supervisor re-forks it, systemd
 * restarts it) is ended on a larger scope, its cgroup and then its unit: three kills at most per
 * incident. The core of the system and the ways into it are omitted or avoided.
 */

#include "default_policy.h"

const char policy_default_json[] =
"{\n"
"  \"omit\": [\"/init.scope\", \"/system.slice/pressured.service\", \"/system.slice/systemd-journald.service\",\n"
"           \"/system.slice/dbus.service\", \"/system.slice/dbus-broker.service\",\n"
"           \"systemd-journal\", \"dbus-daemon\", \"dbus-broker\"],\n"
"  \"avoid\": [\"/system.slice/ssh.service\", \"/system.slice/sshd.service\", \"sshd\",\n"
"            \"Xorg\", \"Xwayland\", \"gnome-shell\", \"kwin_wayland\", \"kwin_x11\", \"plasmashell\",\n"
"            \"systemd\", \"systemd-logind\"],\n"
"  \"rulesets\": [\n"
"    {\"name\": \"memory-available-floor\",\n"
"     \"detectors\": [[{\"type\": \"mem_available_below\", \"threshold\": \"5%\"},\n"
"                     {\"type\": \"swap_free_below\", \"threshold\": \"10%\"}]],\n"
"     \"actions\": [{\"type\": \"kill\", \"ranker\": \"size_or_growth\", \"cgroup\": \"/*\",\n"
"                  \"granularity\": \"process\", \"post_action_delay\": \"2s\"}]},\n"
"    {\"name\": \"system-memory-pressure\",\n"
"     \"detectors\": [[{\"type\": \"pressure_above\", \"cgroup\": \"/\", \"kind\": \"full\", \"window\": \"5s\",\n"
"                      \"threshold\": 50, \"duration\": \"2s\"},\n"
"                     {\"type\": \"memory_reclaim\", \"cgroup\": \"/\", \"duration\": \"10s\"}]],\n"
"     \"actions\": [{\"type\": \"kill\", \"ranker\": \"size_or_growth\", \"cgroup\": \"/*\",\n"
"                  \"granularity\": \"process\", \"post_action_delay\": \"5s\"}]}\n"
"  ]\n"
"}\n";
