/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Each invalid policy must be rejected with the JSON path of the offending value and a message that
 * says what was wrong. Both are checked: a right message at the wrong path sends the user to the
 * wrong line.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

static void expect_invalid(const char *json, const char *path, const char *phrase) {
        Policy *p = NULL;
        PolicyError err = {};
        int r = policy_parse(json, "bad.json", &p, &err);

        cr_assert_eq(r, -EINVAL, "accepted an invalid policy (r=%d):\n%s", r, json);
        cr_assert_null(p);
        cr_assert_str_eq(err.path, path, "wrong path for \"%s\"", err.message);
        cr_assert(strstr(err.message, phrase), "message \"%s\" at %s does not say \"%s\"", err.message, err.path, phrase);
}

#define INVALID(name, json, path, phrase) \
        Test(policy_invalid, name) { expect_invalid(json, path, phrase); }

/* One ruleset "r" with the given detectors (one group) and actions, plus top-level keys. */
#define POLICY(top, detectors, actions) \
        "{" top "\"rulesets\": [{\"name\": \"r\", \"detectors\": [[" detectors "]], \"actions\": [" actions "]}]}"
#define PA "{\"type\": \"pressure_above\", \"threshold\": 40}"
#define KILL "{\"type\": \"kill\"}"
#define D0 "rulesets[0].detectors[0][0]"
#define A0 "rulesets[0].actions[0]"

/* unknown keys */
INVALID(unknown_top_level_key, POLICY("\"intervall\": \"1s\",", PA, KILL), "intervall", "unknown key \"intervall\" at the top level")
INVALID(unknown_detector_key, POLICY("", "{\"type\": \"memory_above\", \"threshold\": \"1G\", \"window\": \"avg10\"}", KILL),
        D0 ".window", "unknown key \"window\" for detector type \"memory_above\"; expected one of: type, cgroup")
INVALID(unknown_action_key, POLICY("", PA, "{\"type\": \"kill\", \"rankr\": \"swap\"}"), A0 ".rankr", "unknown key \"rankr\" in an action")
INVALID(unknown_ruleset_key,
        "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[" PA "]], \"actions\": [" KILL "], \"priority\": 1}]}",
        "rulesets[0].priority", "unknown key \"priority\" in a ruleset")
INVALID(unknown_kill_list_key, POLICY("\"kill_list\": [{\"pattern\": \"java\", \"min_mem\": \"1G\"}],", PA, KILL),
        "kill_list[0].min_mem", "unknown key \"min_mem\" in a kill list entry")
INVALID(enabled_in_main_document,
        "{\"rulesets\": [{\"name\": \"r\", \"enabled\": true, \"detectors\": [[" PA "]], \"actions\": [" KILL "]}]}",
        "rulesets[0].enabled", "only allowed in a drop-in")
INVALID(swap_detector_has_no_cgroup, POLICY("", "{\"type\": \"swap_free_below\", \"threshold\": \"10%\", \"cgroup\": \"/\"}", KILL),
        D0 ".cgroup", "unknown key \"cgroup\" for detector type \"swap_free_below\"")

/* admin_group */
INVALID(admin_group_not_a_string, POLICY("\"admin_group\": 100,", PA, KILL), "admin_group", "expected a group name")
INVALID(admin_group_empty, POLICY("\"admin_group\": \"\",", PA, KILL), "admin_group", "expected a group name")
INVALID(admin_group_with_slash, POLICY("\"admin_group\": \"wheel/x\",", PA, KILL), "admin_group", "or null, got \"wheel/x\"")
INVALID(admin_group_leading_dash, POLICY("\"admin_group\": \"-wheel\",", PA, KILL), "admin_group", "not starting with '-'")
INVALID(admin_group_too_long, POLICY("\"admin_group\": \"abcdefghijklmnopqrstuvwxyz0123456\",", PA, KILL), "admin_group", "at most 32")

/* wrong JSON types */
INVALID(wrong_type_bool, POLICY("\"dry_run\": \"yes\",", PA, KILL), "dry_run", "expected a boolean (true or false), got \"yes\"")
INVALID(wrong_type_size, POLICY("", "{\"type\": \"mem_available_below\", \"threshold\": true}", KILL),
        D0 ".threshold", "expected a size such as 512M, 1.5G or 10% (percent of MemTotal), got a boolean")
INVALID(wrong_type_duration, POLICY("\"interval\": [1],", PA, KILL), "interval", "expected a duration such as \"500ms\"")
INVALID(wrong_type_threshold_string, POLICY("", "{\"type\": \"pressure_above\", \"threshold\": \"40\"}", KILL),
        D0 ".threshold", "expected a number from 0 to 100 (percent of time stalled), got \"40\"")
INVALID(wrong_type_patterns, POLICY("\"omit\": \"/init.scope\",", PA, KILL), "omit", "expected an array of patterns, got \"/init.scope\"")
INVALID(wrong_type_pattern_item, POLICY("\"avoid\": [\"sshd\", 7],", PA, KILL), "avoid[1]", "expected a pattern")
INVALID(rulesets_not_array, "{\"rulesets\": {\"name\": \"r\"}}", "rulesets", "expected an array of rulesets, got an object")
INVALID(ruleset_not_object, "{\"rulesets\": [\"r\"]}", "rulesets[0]", "expected a ruleset object")
INVALID(group_not_array, "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [" PA "], \"actions\": [" KILL "]}]}",
        "rulesets[0].detectors[0]", "expected a detector group")
INVALID(detector_not_object, POLICY("", "\"pressure_above\"", KILL), D0, "expected a detector object")
INVALID(ruleset_name_not_string, "{\"rulesets\": [{\"name\": 5, \"detectors\": [[" PA "]], \"actions\": [" KILL "]}]}",
        "rulesets[0].name", "expected a ruleset name (a string), got 5")

/* sizes and percents */
INVALID(bad_size_suffix, POLICY("", "{\"type\": \"memory_above\", \"threshold\": \"12Q\"}", KILL),
        D0 ".threshold", "expected a size such as 512M, 1.5G or 10% (percent of MemTotal), got \"12Q\"")
INVALID(bad_size_negative, POLICY("", "{\"type\": \"memory_above\", \"threshold\": -1}", KILL),
        D0 ".threshold", "whole, non-negative")
INVALID(bad_size_fractional_bytes, POLICY("", "{\"type\": \"memory_above\", \"threshold\": 1.5}", KILL),
        D0 ".threshold", "whole, non-negative")
INVALID(bad_size_overflow, POLICY("\"kill_list\": [{\"pattern\": \"x\", \"min_memory\": \"99999999999T\"}],", PA, KILL),
        "kill_list[0].min_memory", "expected a size")
INVALID(bad_size_empty, POLICY("", "{\"type\": \"swap_free_below\", \"threshold\": \"\"}", KILL),
        D0 ".threshold", "percent of SwapTotal")
INVALID(bad_percent_over_100, POLICY("", "{\"type\": \"swap_free_below\", \"threshold\": \"101%\"}", KILL),
        D0 ".threshold", "expected a percent from 0% to 100% with at most two decimals (percent of SwapTotal), got \"101%\"")
INVALID(bad_percent_alone, POLICY("", "{\"type\": \"memory_above\", \"threshold_anon\": \"%\"}", KILL),
        D0 ".threshold_anon", "expected a percent from 0% to 100%")
INVALID(bad_percent_three_decimals, POLICY("", "{\"type\": \"memory_above\", \"threshold\": \"1.125%\"}", KILL),
        D0 ".threshold", "at most two decimals")
INVALID(percent_not_allowed, POLICY("", PA, "{\"type\": \"kill\", \"ranker\": \"swap\", \"swap_threshold\": \"10%\"}"),
        A0 ".swap_threshold", "a percent is not allowed here")
INVALID(bad_size_threshold, POLICY("", PA, "{\"type\": \"kill\", \"size_threshold\": \"50\"}"),
        A0 ".size_threshold", "expected a percent such as \"50%\" or a number from 0 to 100, got \"50\"")

/* durations */
INVALID(bad_duration_unit, POLICY("\"interval\": \"5x\",", PA, KILL), "interval", "expected a duration such as \"500ms\", \"20s\" or \"2m\"")
INVALID(bad_duration_negative, POLICY("", "{\"type\": \"pressure_above\", \"threshold\": 40, \"duration\": -1}", KILL),
        D0 ".duration", "non-negative number of seconds")
INVALID(bad_duration_negative_string, POLICY("", PA, "{\"type\": \"kill\", \"post_action_delay\": \"-5s\"}"),
        A0 ".post_action_delay", "units are us, ms, s (sec), m (min), h, d and w")
INVALID(bad_duration_overflow, POLICY("", PA, "{\"type\": \"kill\", \"post_action_delay\": 1e300}"),
        A0 ".post_action_delay", "fits in 64 bits")
INVALID(interval_too_short, POLICY("\"interval\": \"10ms\",", PA, KILL), "interval", "expected a duration from 100ms to 60s, got \"10ms\"")
INVALID(interval_too_long, POLICY("\"interval\": 61,", PA, KILL), "interval", "from 100ms to 60s")
INVALID(fast_interval_longer_than_interval, POLICY("\"interval\": \"1s\", \"fast_interval\": \"2s\",", PA, KILL),
        "fast_interval", "fast_interval (2s) must not be longer than interval (1s)")
INVALID(fast_interval_too_short, POLICY("\"fast_interval\": \"1ms\",", PA, KILL), "fast_interval", "at least 10ms")
INVALID(prekill_timeout_too_long, POLICY("", PA, "{\"type\": \"kill\", \"prekill_timeout\": \"61s\"}"),
        A0 ".prekill_timeout", "from 0s to 60s")

/* prekill_hook: argv of a command run without a shell */
#define HOOK(argv) "{\"type\": \"kill\", \"prekill_hook\": " argv "}"
INVALID(prekill_hook_not_an_array, POLICY("", PA, HOOK("\"/usr/local/bin/save-state --quick\"")),
        A0 ".prekill_hook", "expected the command to run before the kill, as an array of strings such as [\"/usr/local/bin/save-state\", \"--quick\"], got \"/usr/local/bin/save-state --quick\"")
INVALID(prekill_hook_empty_array, POLICY("", PA, HOOK("[]")),
        A0 ".prekill_hook", "expected at least the program to run")
INVALID(prekill_hook_non_string, POLICY("", PA, HOOK("[\"/bin/echo\", 5]")),
        A0 ".prekill_hook[1]", "expected a string (an argument of the command), got 5")
INVALID(prekill_hook_relative_program, POLICY("", PA, HOOK("[\"save-state\"]")),
        A0 ".prekill_hook[0]", "expected an absolute path to the program (starting with \"/\"), got \"save-state\"")
INVALID(prekill_hook_empty_argument, POLICY("", PA, HOOK("[\"/bin/echo\", \"\"]")),
        A0 ".prekill_hook[1]", "expected a non-empty string (an argument of the command)")
INVALID(prekill_hook_empty_program, POLICY("", PA, HOOK("[\"\"]")),
        A0 ".prekill_hook[0]", "expected a non-empty string (the program of the command)")
INVALID(prekill_hook_too_many,
        POLICY("", PA, HOOK("[\"/bin/echo\", \"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"7\", \"8\", \"9\", \"10\", \"11\", \"12\","
                            " \"13\", \"14\", \"15\", \"16\", \"17\", \"18\", \"19\", \"20\", \"21\", \"22\", \"23\", \"24\", \"25\","
                            " \"26\", \"27\", \"28\", \"29\", \"30\", \"31\", \"32\"]")),
        A0 ".prekill_hook", "expected at most 32 strings (the program and its arguments), got 33")
INVALID(prekill_hook_null, POLICY("", PA, HOOK("null")), A0 ".prekill_hook", "got null")

Test(policy_invalid, prekill_hook_argument_too_long) {
        char arg[PREKILL_HOOK_ARG_MAX_BYTES + 2], json[8192];

        memset(arg, 'x', sizeof(arg) - 1);
        arg[sizeof(arg) - 1] = '\0';
        snprintf(json, sizeof(json), POLICY("", PA, HOOK("[\"/bin/echo\", \"%s\"]")), arg);
        expect_invalid(json, A0 ".prekill_hook[1]", "expected at most 4095 bytes, got a string of 4096 bytes");
}

INVALID(reclaim_duration_zero, POLICY("", "{\"type\": \"memory_reclaim\", \"duration\": \"0s\"}", KILL),
        D0 ".duration", "above 0")

/* globs */
INVALID(bad_glob_bracket, POLICY("\"omit\": [\"/ok\", \"[abc\"],", PA, KILL), "omit[1]", "invalid pattern \"[abc\": unbalanced '['")
INVALID(bad_glob_trailing_slash, POLICY("", PA, "{\"type\": \"kill\", \"cgroup\": \"/user.slice/\"}"),
        A0 ".cgroup", "must not end with '/'")
INVALID(bad_glob_dotdot, POLICY("\"prefer\": [\"/user.slice/../system.slice\"],", PA, KILL), "prefer[0]", "\"..\"")
INVALID(bad_glob_double_slash, POLICY("", "{\"type\": \"exists\", \"cgroup\": [\"/a\", \"/a//b\"]}", KILL),
        D0 ".cgroup[1]", "\"//\"")
INVALID(bad_glob_empty, POLICY("\"kill_list\": [{\"pattern\": \"\"}],", PA, KILL), "kill_list[0].pattern", "must not be empty")
INVALID(bad_glob_long_comm, POLICY("\"avoid\": [\"systemd-journald\"],", PA, KILL), "avoid[0]", "at most 15 characters")
INVALID(name_pattern_where_path_needed, POLICY("", "{\"type\": \"pressure_above\", \"threshold\": 1, \"cgroup\": [\"/\", \"firefox\"]}", KILL),
        D0 ".cgroup[1]", "expected a cgroup path pattern starting with \"/\"")
INVALID(empty_cgroup_list, POLICY("", PA, "{\"type\": \"kill\", \"cgroup\": []}"), A0 ".cgroup", "at least one cgroup path pattern")

/* ruleset structure */
INVALID(empty_ruleset, "{\"rulesets\": [{}]}", "rulesets[0]", "missing required key \"name\"")
INVALID(empty_group, "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[" PA "], []], \"actions\": [" KILL "]}]}",
        "rulesets[0].detectors[1]", "empty detector group")
INVALID(no_detector_groups, "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [], \"actions\": [" KILL "]}]}",
        "rulesets[0].detectors", "at least one detector group")
INVALID(missing_detectors, "{\"rulesets\": [{\"name\": \"r\", \"actions\": [" KILL "]}]}",
        "rulesets[0]", "missing required key \"detectors\" in ruleset \"r\"")
INVALID(no_actions, "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[" PA "]], \"actions\": []}]}",
        "rulesets[0].actions", "a ruleset needs at least one action")
INVALID(missing_actions, "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[" PA "]]}]}",
        "rulesets[0]", "missing required key \"actions\" in ruleset \"r\"")
INVALID(duplicate_ruleset_name,
        "{\"rulesets\": [{\"name\": \"a\", \"detectors\": [[" PA "]], \"actions\": [" KILL "]},"
        " {\"name\": \"b\", \"detectors\": [[" PA "]], \"actions\": [" KILL "]},"
        " {\"name\": \"a\", \"detectors\": [[" PA "]], \"actions\": [" KILL "]}]}",
        "rulesets[2].name", "duplicate ruleset name \"a\" (also rulesets[0])")
INVALID(bad_name_chars, "{\"rulesets\": [{\"name\": \"my rule!\", \"detectors\": [[" PA "]], \"actions\": [" KILL "]}]}",
        "rulesets[0].name", "invalid ruleset name \"my rule!\": use only letters, digits")
INVALID(empty_name, "{\"rulesets\": [{\"name\": \"\", \"detectors\": [[" PA "]], \"actions\": [" KILL "]}]}",
        "rulesets[0].name", "invalid ruleset name")
INVALID(no_rulesets, "{\"rulesets\": []}", "rulesets", "policy has no rulesets: nothing would ever be killed")
INVALID(no_rulesets_key, "{\"dry_run\": true}", "", "policy has no rulesets")

/* detectors */
INVALID(unknown_detector_type, POLICY("", "{\"type\": \"pressure_over\", \"threshold\": 40}", KILL),
        D0 ".type", "unknown detector type \"pressure_over\"; expected one of: pressure_above, pressure_rising_beyond")
INVALID(missing_detector_type, POLICY("", "{\"threshold\": 40}", KILL), D0, "missing required key \"type\"")
INVALID(threshold_out_of_range, POLICY("", "{\"type\": \"pressure_above\", \"threshold\": 150}", KILL),
        D0 ".threshold", "expected a number from 0 to 100 (percent of time stalled), got 150")
INVALID(threshold_negative, POLICY("", "{\"type\": \"pressure_rising_beyond\", \"threshold\": -0.5}", KILL),
        D0 ".threshold", "got -0.5")
INVALID(missing_pressure_threshold, POLICY("", "{\"type\": \"pressure_above\"}", KILL), D0, "missing required key \"threshold\"")
INVALID(window_on_rising_beyond, POLICY("", "{\"type\": \"pressure_rising_beyond\", \"threshold\": 20, \"window\": \"avg60\"}", KILL),
        D0 ".window", "unknown key \"window\" for detector type \"pressure_rising_beyond\"")
INVALID(both_threshold_and_threshold_anon,
        POLICY("", "{\"type\": \"memory_above\", \"threshold\": \"1G\", \"threshold_anon\": \"1G\"}", KILL),
        D0 ".threshold_anon", "use either \"threshold\" (all memory of the cgroup) or \"threshold_anon\"")
INVALID(memory_above_without_threshold, POLICY("", "{\"type\": \"memory_above\", \"duration\": \"1s\"}", KILL),
        D0, "missing required key \"threshold\" (or \"threshold_anon\")")
INVALID(exists_without_cgroup, POLICY("", "{\"type\": \"exists\"}", KILL), D0, "missing required key \"cgroup\"")
INVALID(fast_fall_ratio_zero, POLICY("", "{\"type\": \"pressure_rising_beyond\", \"threshold\": 20, \"fast_fall_ratio\": 0}", KILL),
        D0 ".fast_fall_ratio", "above 0 and at most 1")
INVALID(unknown_window, POLICY("", "{\"type\": \"pressure_above\", \"threshold\": 20, \"window\": \"avg30\"}", KILL),
        D0 ".window", "expected \"avg10\", \"avg60\" or \"avg300\" (the kernel's decaying averages), or a duration from 1s to 10m such as \"5s\" (the exact share of that window spent stalled), got \"avg30\"")
INVALID(exact_window_too_short, POLICY("", "{\"type\": \"pressure_above\", \"threshold\": 20, \"window\": \"500ms\"}", KILL),
        D0 ".window", "got \"500ms\": out of range")
INVALID(exact_window_too_long, POLICY("", "{\"type\": \"pressure_above\", \"threshold\": 20, \"window\": \"11m\"}", KILL),
        D0 ".window", "got \"11m\": out of range")
INVALID(exact_window_not_a_string, POLICY("", "{\"type\": \"pressure_above\", \"threshold\": 20, \"window\": 5}", KILL),
        D0 ".window", "a duration from 1s to 10m")
INVALID(max_kills_zero, "{\"rulesets\": [{\"name\": \"r\", \"max_kills_per_incident\": 0, \"detectors\": [[" PA "]], \"actions\": [" KILL "]}]}",
        "rulesets[0].max_kills_per_incident", "a whole number from 1 to 100")
INVALID(max_kills_fraction, "{\"rulesets\": [{\"name\": \"r\", \"max_kills_per_incident\": 2.5, \"detectors\": [[" PA "]], \"actions\": [" KILL "]}]}",
        "rulesets[0].max_kills_per_incident", "expected a whole number from 1 to 100, got 2.5")
INVALID(unknown_kind, POLICY("", "{\"type\": \"pressure_above\", \"threshold\": 20, \"kind\": \"half\"}", KILL),
        D0 ".kind", "unknown pressure kind \"half\"")
INVALID(unknown_resource, POLICY("", "{\"type\": \"pressure_above\", \"threshold\": 20, \"resource\": \"cpu\"}", KILL),
        D0 ".resource", "unknown pressure resource \"cpu\"; expected one of: memory, io")
INVALID(negate_not_bool, POLICY("", "{\"type\": \"exists\", \"cgroup\": \"/x\", \"negate\": 1}", KILL),
        D0 ".negate", "expected a boolean")

/* the path of a value deep inside: the example of the format description */
INVALID(deep_path,
        "{\"rulesets\": [{\"name\": \"a\", \"detectors\": [[" PA "]], \"actions\": [" KILL "]},"
        " {\"name\": \"b\", \"detectors\": [[" PA "], [" PA ", " PA ", {\"type\": \"pressure_above\", \"threshold\": 150}]],"
        " \"actions\": [" KILL "]}]}",
        "rulesets[1].detectors[1][2].threshold", "expected a number from 0 to 100 (percent of time stalled), got 150")

/* actions */
INVALID(unknown_action_type, POLICY("", PA, "{\"type\": \"stop\"}"), A0 ".type", "unknown action type \"stop\"; expected one of: kill")
INVALID(missing_action_type, POLICY("", PA, "{\"ranker\": \"swap\"}"), A0, "missing required key \"type\"")
INVALID(unknown_ranker, POLICY("", PA, "{\"type\": \"kill\", \"ranker\": \"biggest\"}"),
        A0 ".ranker", "unknown ranker \"biggest\"; expected one of: size_or_growth, swap, pressure, pgscan")
INVALID(unknown_granularity, POLICY("", PA, "{\"type\": \"kill\", \"granularity\": \"thread\"}"),
        A0 ".granularity", "unknown granularity \"thread\"; expected one of: cgroup, process")
INVALID(swap_threshold_with_wrong_ranker, POLICY("", PA, "{\"type\": \"kill\", \"swap_threshold\": \"1G\"}"),
        A0 ".swap_threshold", "swap_threshold only applies to ranker \"swap\"")
INVALID(resource_with_wrong_ranker, POLICY("", PA, "{\"type\": \"kill\", \"ranker\": \"swap\", \"resource\": \"io\"}"),
        A0 ".resource", "resource only applies to ranker \"pressure\"")
INVALID(min_growth_ratio_below_one, POLICY("", PA, "{\"type\": \"kill\", \"min_growth_ratio\": 0.9}"),
        A0 ".min_growth_ratio", "at least 1.0")
INVALID(percentile_not_integer, POLICY("", PA, "{\"type\": \"kill\", \"growing_size_percentile\": 50.5}"),
        A0 ".growing_size_percentile", "a whole number from 0 to 100, got 50.5")
INVALID(size_threshold_out_of_range, POLICY("", PA, "{\"type\": \"kill\", \"size_threshold\": 100.5}"),
        A0 ".size_threshold", "or a number from 0 to 100, got 100.5")

/* kill list */
INVALID(kill_list_not_array, POLICY("\"kill_list\": {\"pattern\": \"x\"},", PA, KILL), "kill_list", "expected an array of kill list entries")
INVALID(kill_list_missing_pattern, POLICY("\"kill_list\": [{\"min_memory\": \"1G\"}],", PA, KILL),
        "kill_list[0]", "missing required key \"pattern\"")
INVALID(kill_list_min_pressure_range, POLICY("\"kill_list\": [{\"pattern\": \"x\"}, {\"pattern\": \"y\", \"min_pressure\": 101}],", PA, KILL),
        "kill_list[1].min_pressure", "expected a number from 0 to 100")

/* the document itself */
INVALID(truncated_json, "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[", "", "ends too early")
INVALID(truncated_in_string, "{\"rulesets\": [{\"name\": \"r", "", "ends too early")
INVALID(missing_comma, "{\"dry_run\": true\n \"interval\": \"1s\"}", "", "parsing stopped at line 2, column 2")
INVALID(trailing_comma, "{\"dry_run\": true,}", "", "parsing stopped at line 1")
INVALID(trailing_garbage, "{\"dry_run\": true} x", "", "parsing stopped at line 1, column 19 (byte 18)")
INVALID(comment, "{\n// comment\n\"dry_run\": true}", "", "comments are not allowed")
INVALID(top_level_array, "[{\"name\": \"r\"}]", "", "expected a JSON object at the top level, such as {\"rulesets\": [...]}, got an array")
INVALID(top_level_string, "\"rulesets\"", "", "expected a JSON object at the top level")
INVALID(top_level_null, "null", "", "got null")
INVALID(empty_document, "", "", "the document is empty")
INVALID(blank_document, " \n\t", "", "the document is empty")
INVALID(duplicate_key, "{\"interval\": \"1s\", \"interval\": \"2s\"}", "interval", "duplicate key \"interval\"")
INVALID(duplicate_nested_key, POLICY("", "{\"type\": \"pressure_above\", \"threshold\": 40, \"threshold\": 90}", KILL),
        D0 ".threshold", "duplicate key \"threshold\"")
INVALID(nan_literal, POLICY("", "{\"type\": \"pressure_above\", \"threshold\": NaN}", KILL), "", "invalid JSON")
INVALID(infinity_literal, POLICY("", "{\"type\": \"pressure_above\", \"threshold\": Infinity}", KILL), "", "invalid JSON")
INVALID(overflowing_number, POLICY("", "{\"type\": \"pressure_above\", \"threshold\": 1e999}", KILL),
        D0 ".threshold", "got a number too large to represent")
INVALID(nan_string_duration, POLICY("\"interval\": \"nan\",", PA, KILL), "interval", "expected a duration")
INVALID(inf_string_size, POLICY("", "{\"type\": \"memory_above\", \"threshold\": \"inf\"}", KILL), D0 ".threshold", "expected a size")
/* Strings: checked in the text, before cJSON, which would cut one at \u0000 and take any byte */
#define NUL_PHRASE "a string contains \\u0000 (a NUL character) at byte "
INVALID(nul_in_string, POLICY("\"omit\": [\"/init.scope\\u0000evil\"],", PA, KILL), "omit[0]", NUL_PHRASE "22 (line 1, column 23)")
INVALID(nul_in_ruleset_name, "{\"rulesets\": [{\"name\": \"ok\\u0000BAD\", \"detectors\": [[" PA "]], \"actions\": [" KILL "]}]}",
        "rulesets[0].name", NUL_PHRASE)
INVALID(nul_in_detector_pattern, POLICY("", "{\"type\": \"exists\", \"cgroup\": [\"/a\", \"/b\\u0000\"]}", KILL),
        D0 ".cgroup[1]", NUL_PHRASE)
INVALID(nul_in_kill_list_entry, POLICY("\"kill_list\": [{\"pattern\": \"java\"}, {\"pattern\": \"/x\\u0000.slice\"}],", PA, KILL),
        "kill_list[1].pattern", NUL_PHRASE)
INVALID(nul_in_prekill_hook_argument, POLICY("", PA, "{\"type\": \"kill\", \"prekill_hook\": [\"/bin/echo\", \"a\\u0000b\"]}"),
        A0 ".prekill_hook[1]", NUL_PHRASE)
INVALID(nul_in_admin_group, POLICY("\"admin_group\": \"wheel\\u0000\",", PA, KILL), "admin_group", NUL_PHRASE)
INVALID(nul_in_key, POLICY("\"dry_run\\u0000x\": true,", PA, KILL), "", "a key contains \\u0000")
INVALID(nul_after_escaped_backslash, POLICY("\"omit\": [\"a\\\\\\u0000\"],", PA, KILL), "omit[0]", NUL_PHRASE)
INVALID(utf8_byte_ff, POLICY("\"omit\": [\"caf\xff\"],", PA, KILL), "omit[0]", "invalid UTF-8, byte 0xff")
INVALID(utf8_overlong_slash, POLICY("\"omit\": [\"/a\xc0\xaf..\"],", PA, KILL), "omit[0]", "byte 0xc0 (an overlong encoding)")
INVALID(utf8_surrogate, "{\"rulesets\": [{\"name\": \"r\xed\xa0\x80\", \"detectors\": [[" PA "]], \"actions\": [" KILL "]}]}",
        "rulesets[0].name", "byte 0xed (a UTF-16 surrogate")
INVALID(utf8_lone_surrogate_escape, POLICY("\"kill_list\": [{\"pattern\": \"a\\ud800\"}],", PA, KILL), "kill_list[0].pattern",
        "\\ud800, the first half of a UTF-16 surrogate pair without the second")
INVALID(utf8_truncated_at_the_end, POLICY("\"omit\": [\"ok\"],", PA, KILL) "\xe2\x82", "", "a character cut short by the end of the text")
INVALID(raw_tab_in_string, POLICY("\"omit\": [\"a\tb\"],", PA, KILL), "omit[0]", "the raw control character 0x09")

Test(policy_invalid, escaped_backslash_before_u0000_is_not_a_nul) {
        /* "\\u0000" is a backslash followed by the text u0000, which is a valid (if odd) glob */
        Policy *p = NULL;
        PolicyError err = {};
        int r = policy_parse(POLICY("\"omit\": [\"a\\\\\\\\u0000\"],", PA, KILL), NULL, &p, &err);
        cr_assert_eq(r, 0, "%s: %s", err.path, err.message);
        cr_assert_str_eq(p->omit.items[0].glob, "a\\\\u0000");
        policy_free(p);
}

Test(policy_invalid, valid_multi_byte_utf8_is_accepted) {
        Policy *p = NULL;
        PolicyError err = {};
        int r = policy_parse(POLICY("\"omit\": [\"caf\xc3\xa9\", \"\xe6\x97\xa5\xe6\x9c\xac\", \"/user.slice/\xf0\x9f\x98\x80*\", \"\\ud83d\\ude00\"],"
                                    "\"kill_list\": [{\"pattern\": \"/\xe2\x82\xac.slice\"}],",
                                    PA, "{\"type\": \"kill\", \"prekill_hook\": [\"/usr/local/bin/sp\xc3\xa4ter\", \"\xf4\x8f\xbf\xbf\"]}"),
                             NULL, &p, &err);

        cr_assert_eq(r, 0, "%s: %s", err.path, err.message);
        cr_assert_str_eq(p->omit.items[0].glob, "caf\xc3\xa9");
        cr_assert_str_eq(p->omit.items[1].glob, "\xe6\x97\xa5\xe6\x9c\xac");
        cr_assert_str_eq(p->omit.items[2].glob, "/user.slice/\xf0\x9f\x98\x80*");
        cr_assert_str_eq(p->omit.items[3].glob, "\xf0\x9f\x98\x80", "an escaped surrogate pair is one character");
        cr_assert_str_eq(p->kill_list[0].pattern.glob, "/\xe2\x82\xac.slice");
        cr_assert_str_eq(p->rulesets[0].actions[0].prekill_hook[1], "\xf4\x8f\xbf\xbf");
        policy_free(p);
}

Test(policy_invalid, every_truncation_of_the_default_policy_is_rejected) {
        size_t len = strlen(policy_default_json);
        char *buf = malloc(len + 1);

        cr_assert_not_null(buf);
        /* cutting anywhere before the closing brace leaves an unclosed document */
        for (size_t cut = 0; cut < len && policy_default_json[cut] != '\0'; cut++) {
                Policy *p = NULL;
                PolicyError err = {};

                if (strspn(policy_default_json + cut, " \n") == len - cut)
                        break;  /* only trailing whitespace is left: the document is complete */
                memcpy(buf, policy_default_json, cut);
                buf[cut] = '\0';
                cr_assert_eq(policy_parse(buf, NULL, &p, &err), -EINVAL, "accepted a truncation at byte %zu", cut);
                cr_assert_null(p);
                cr_assert_str_eq(err.path, "");
                cr_assert(cut == 0 ? strstr(err.message, "empty") != NULL : strstr(err.message, "ends too early") != NULL,
                          "truncation at byte %zu: %s", cut, err.message);
        }
        free(buf);
}

Test(policy_invalid, corrupting_any_byte_never_crashes) {
        /* each byte replaced by characters that break JSON structure or values; the parser must
         * either accept the result or report an error, never crash or leak (run under ASan) */
        static const char replacements[] = { '}', '"', '\\', '[', ',', '0', '%', 'x' };
        size_t len = strlen(policy_default_json);
        char *buf = strdup(policy_default_json);

        cr_assert_not_null(buf);
        for (size_t i = 0; i < len; i++)
                for (size_t k = 0; k < sizeof(replacements); k++) {
                        Policy *p = NULL;
                        PolicyError err = {};
                        int r;

                        buf[i] = replacements[k];
                        r = policy_parse(buf, NULL, &p, &err);
                        cr_assert(r == 0 || r == -EINVAL, "r=%d", r);
                        if (r == 0)
                                cr_assert_not_null(p);
                        else
                                cr_assert(err.message[0] != '\0', "an error without a message at byte %zu", i);
                        policy_free(p);
                        buf[i] = policy_default_json[i];
                }
        free(buf);
}

/* method and stop_timeout (ruleset keys) */
#define RS(keys) "{\"rulesets\": [{\"name\": \"r\", " keys " \"detectors\": [[" PA "]], \"actions\": [" KILL "]}]}"
INVALID(method_unknown, RS("\"method\": \"terminate\","), "rulesets[0].method", "expected one of: kill, stop, restart")
INVALID(method_not_string, RS("\"method\": 1,"), "rulesets[0].method", "kill, stop, restart")
INVALID(stop_timeout_too_short, RS("\"stop_timeout\": \"50ms\","), "rulesets[0].stop_timeout", "from 100ms to 300s")
INVALID(stop_timeout_zero, RS("\"stop_timeout\": 0,"), "rulesets[0].stop_timeout", "from 100ms to 300s")
INVALID(stop_timeout_too_long, RS("\"stop_timeout\": \"301s\","), "rulesets[0].stop_timeout", "from 100ms to 300s")
INVALID(stop_timeout_not_duration, RS("\"stop_timeout\": \"soon\","), "rulesets[0].stop_timeout", "units are us, ms, s (sec), m (min), h, d and w")
INVALID(stop_timeout_wrong_type, RS("\"stop_timeout\": true,"), "rulesets[0].stop_timeout", "expected a duration")

/* "threshold": 5 meant 5% or 5G, not 5 bytes: a bare number of bytes below a page is refused, and
 * the message says what to write instead. */
INVALID(size_bare_number_below_a_page, POLICY("", "{\"type\": \"mem_available_below\", \"threshold\": 5}", KILL),
        D0 ".threshold", "5 bytes is less than a page (4096); write a unit, as \"5%\" (percent of MemTotal) or \"5G\", or \"5B\"")
INVALID(size_bare_string_below_a_page, POLICY("", "{\"type\": \"swap_free_below\", \"threshold\": \"10\"}", KILL),
        D0 ".threshold", "10 bytes is less than a page (4096); write a unit, as \"10%\" (percent of SwapTotal) or \"10G\"")
INVALID(size_bare_below_a_page_without_percent, POLICY("", PA, "{\"type\": \"kill\", \"ranker\": \"swap\", \"swap_threshold\": 100}"),
        A0 ".swap_threshold", "100 bytes is less than a page (4096); write a unit, as \"100G\", or \"100B\" if bytes are meant")
