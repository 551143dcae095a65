/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The size and count limits of a policy, each defined once with its reason (README "Limits").
 * Every real policy is far below them. Together they bound what a mistaken or hostile document
 * costs: a policy at all of them is read, checked and loaded in well under a second
 * (tests/unit/test-policy-limits.c), and one past any of them is refused with a message that
 * names the limit.
 */

/* Bytes of one policy: its documents together (the main file, the drop-ins, the rulesets generated
 * from systemd's settings). The embedded default is 2 KiB and a large hand-written policy a few
 * tens; a megabyte is a generated or pasted mistake. Also the most a policy file may hold. */
#define POLICY_MAX_BYTES (1024u * 1024u)
#define POLICY_MAX_BYTES_TEXT "1 MiB"

/* The longest control-socket request line, without its '\n': the daemon answers a longer one
 * "too-large" and closes the connection. Every request but a whole policy is a few hundred bytes;
 * a policy of any size up to POLICY_MAX_BYTES goes as a descriptor instead ("policy_fd"), which is
 * how oomctl always sends it. Here, beside the policy's limits, because the daemon and oomctl both
 * enforce it. */
#define CONTROL_LINE_MAX 65536

/* Drop-in files merged into one policy, over all drop-in directories. */
#define POLICY_MAX_DROPINS 256u

/* Nesting of objects and arrays in a JSON text (json_text_check()). The deepest a valid policy
 * nests is 6 (rulesets[].detectors[][].cgroup[]), a control request one more; the limit also keeps
 * every recursive walk of the tree shallow. */
#define JSON_MAX_DEPTH 16u

/* Keys of one object. The largest object of a policy, an action, has 15 possible keys. */
#define POLICY_MAX_KEYS 64u

/* Rulesets of one policy, after merging. Every ruleset's detectors are evaluated at every sample;
 * systemd's settings add one or two per annotated unit. */
#define POLICY_MAX_RULESETS 1024u

/* Entries of the kill list. It is walked in order, against every candidate, at every kill. */
#define POLICY_MAX_KILL_LIST 1024u

/* Patterns written in one policy (omit, avoid, prefer, cgroup lists, kill-list entries). Each is
 * matched against every candidate when a ruleset ranks, and the sample plan holds each once. */
#define POLICY_MAX_PATTERNS 4096u

/* Bytes of one pattern: PATH_MAX - 1, the longest path the kernel resolves, so the longest cgroup
 * path a pattern can usefully spell. */
#define PATTERN_MAX_BYTES 4095u

/* An action's "prekill_hook": 32 arguments are plenty for a script and its options, and keep a
 * typo (a pasted array) from becoming a huge exec; 4095 bytes is PATH_MAX - 1, the longest argv[0]
 * exec accepts, and ample for any other argument. */
#define PREKILL_HOOK_MAX_ARGS      32
#define PREKILL_HOOK_ARG_MAX_BYTES 4095

/* Bounds of a policy's values, each checked where the value is read (parse.c) and named in its
 * message. Durations are in sample.h's units. */

/* "interval": below 100 ms sampling costs more than it tells; past a minute memory runs out
 * between two samples. "fast_interval" lies from 10 ms to "interval". */
#define INTERVAL_MIN_USEC      (100 * USEC_PER_MSEC)
#define INTERVAL_MAX_USEC      (60 * USEC_PER_SEC)
#define FAST_INTERVAL_MIN_USEC (10 * USEC_PER_MSEC)

/* An action's "prekill_timeout": memory keeps running out while the kill waits for its hook. */
#define PREKILL_TIMEOUT_MAX_USEC (60 * USEC_PER_SEC)

/* Bounds of an exact window: below 1 s a sample's own jitter is the measure; past 10 min the
 * kernel's avg300 says the same. */
#define PSI_EXACT_WINDOW_MIN_USEC (1 * USEC_PER_SEC)
#define PSI_EXACT_WINDOW_MAX_USEC (600 * USEC_PER_SEC)

/* Bounds of a ruleset's stop_timeout: below 100 ms systemd cannot even run ExecStop; past 300 s
 * memory keeps running out while we wait. */
#define STOP_TIMEOUT_MIN_USEC (100 * USEC_PER_MSEC)
#define STOP_TIMEOUT_MAX_USEC (300 * USEC_PER_SEC)

/* Kills one ruleset may make in one incident ("max_kills_per_incident"): more than a handful is
 * a kill storm, and 100 is far past any. */
#define MAX_KILLS_PER_INCIDENT_MAX 100u

/* A bare number of bytes (no unit) must be 0 or at least a page: "threshold": 5 meant 5% or 5G. */
#define SIZE_BARE_MIN_BYTES 4096
