/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>

#include "policy-equal.h"
#include "policy.h"

static Policy *parse_ok(const char *json) {
        PolicyError err = {};
        Policy *p = NULL;
        int r = policy_parse(json, "test.json", &p, &err);
        cr_assert_eq(r, 0, "policy rejected: %s: %s", err.path, err.message);
        cr_assert_not_null(p);
        return p;
}

#define MINIMAL \
        "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[{\"type\": \"pressure_above\", \"threshold\": 40}]]," \
        " \"actions\": [{\"type\": \"kill\"}]}]}"

Test(policy_parse, minimal_policy_gets_every_default) {
        Policy *p = parse_ok(MINIMAL);
        const Detector *d;
        const Action *a;

        cr_assert_eq(p->dry_run, false);
        cr_assert_null(p->admin_group);
        cr_assert_eq(p->interval_usec, 1 * USEC_PER_SEC);
        cr_assert_eq(p->fast_interval_usec, 250 * USEC_PER_MSEC);
        cr_assert_eq(p->omit.n, 0);
        cr_assert_eq(p->avoid.n, 0);
        cr_assert_eq(p->prefer.n, 0);
        cr_assert_eq(p->n_kill_list, 0);
        cr_assert_eq(p->n_rulesets, 1);
        cr_assert_str_eq(p->rulesets[0].name, "r");
        cr_assert_str_eq(p->rulesets[0].source, "test.json"); /* a single document is its own source */
        cr_assert_eq(p->rulesets[0].dry_run, false);
        cr_assert_eq(p->rulesets[0].method, UNIT_METHOD_STOP);
        cr_assert_eq(p->rulesets[0].stop_timeout_usec, 5 * USEC_PER_SEC);
        cr_assert_eq(p->rulesets[0].n_groups, 1);
        cr_assert_eq(p->rulesets[0].groups[0].n, 1);

        d = &p->rulesets[0].groups[0].detectors[0];
        cr_assert_eq(d->type, DETECTOR_PRESSURE_ABOVE);
        cr_assert_eq(d->cgroups.n, 1);
        cr_assert_str_eq(d->cgroups.items[0].glob, "/");
        cr_assert(d->cgroups.items[0].is_path);
        cr_assert_eq(d->resource, PSI_RESOURCE_MEMORY);
        cr_assert_eq(d->kind, PSI_KIND_FULL);
        cr_assert_eq(d->window, PSI_WINDOW_AVG10);
        cr_assert_eq(d->threshold, 40.0);
        cr_assert_eq(d->duration_usec, 0);

        cr_assert_eq(p->rulesets[0].n_actions, 1);
        a = &p->rulesets[0].actions[0];
        cr_assert_eq(a->ranker, RANKER_SIZE_OR_GROWTH);
        cr_assert_eq(a->cgroups.n, 1);
        cr_assert_str_eq(a->cgroups.items[0].glob, "/*");
        cr_assert_eq(a->recursive, true);
        cr_assert_eq(a->granularity, GRANULARITY_CGROUP);
        cr_assert_eq(a->use_kill_list, true);
        cr_assert_eq(a->dry_run, false);
        cr_assert_eq(a->post_action_delay_usec, 15 * USEC_PER_SEC);
        cr_assert_eq(a->prekill_timeout_usec, 0);
        cr_assert_null(a->prekill_hook);
        cr_assert_eq(a->size_threshold_permyriad, 5000);
        cr_assert_eq(a->min_growth_ratio, 1.25);
        cr_assert_eq(a->growing_size_percentile, 80);
        cr_assert_eq(a->swap_threshold.bytes, 0);
        cr_assert_eq(a->swap_threshold.is_percent, false);
        cr_assert_eq(a->pressure_resource, PSI_RESOURCE_MEMORY);
        policy_free(p);
}

Test(policy_parse, detector_defaults_per_type) {
        Policy *p = parse_ok(
                "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [["
                "{\"type\": \"pressure_rising_beyond\", \"threshold\": 20},"
                "{\"type\": \"memory_above\", \"threshold\": \"80%\"},"
                "{\"type\": \"memory_reclaim\"},"
                "{\"type\": \"swap_free_below\", \"threshold\": \"10%\"},"
                "{\"type\": \"mem_available_below\", \"threshold\": 1073741824},"
                "{\"type\": \"exists\", \"cgroup\": \"/workload.slice\"}]],"
                "\"actions\": [{\"type\": \"kill\"}]}]}");
        const Detector *d = p->rulesets[0].groups[0].detectors;

        cr_assert_eq(p->rulesets[0].groups[0].n, 6);
        cr_assert_eq(d[0].type, DETECTOR_PRESSURE_RISING_BEYOND);
        cr_assert_eq(d[0].fast_fall_ratio, 0.85);
        cr_assert_eq(d[0].kind, PSI_KIND_FULL);
        cr_assert_str_eq(d[0].cgroups.items[0].glob, "/");

        cr_assert_eq(d[1].type, DETECTOR_MEMORY_ABOVE);
        cr_assert_eq(d[1].anon, false);
        cr_assert(d[1].amount.is_percent);
        cr_assert_eq(d[1].amount.permyriad, 8000);
        cr_assert_eq(d[1].duration_usec, 0);

        cr_assert_eq(d[2].type, DETECTOR_MEMORY_RECLAIM);
        cr_assert_eq(d[2].duration_usec, 10 * USEC_PER_SEC, "memory_reclaim defaults to 10s");
        cr_assert_str_eq(d[2].cgroups.items[0].glob, "/");

        cr_assert_eq(d[3].type, DETECTOR_SWAP_FREE_BELOW);
        cr_assert_eq(d[3].amount.permyriad, 1000);
        cr_assert_eq(d[3].cgroups.n, 0, "system-wide detectors have no cgroups");

        cr_assert_eq(d[4].type, DETECTOR_MEM_AVAILABLE_BELOW);
        cr_assert_not(d[4].amount.is_percent);
        cr_assert_eq(d[4].amount.bytes, UINT64_C(1) << 30);

        cr_assert_eq(d[5].type, DETECTOR_EXISTS);
        cr_assert_eq(d[5].negate, false);
        cr_assert_eq(d[5].cgroups.n, 1);
        cr_assert_str_eq(d[5].cgroups.items[0].glob, "/workload.slice");
        policy_free(p);
}

#define FULL_POLICY \
        "{\n" \
        "  \"dry_run\": true, \"admin_group\": \"oom-admins\", \"interval\": \"2s\", \"fast_interval\": 0.25,\n" \
        "  \"omit\": [\"/init.scope\", \"sshd\"], \"avoid\": [\"Xorg\"], \"prefer\": [\"/user.slice/*/app-*.scope\", \"chrom[ei]*\"],\n" \
        "  \"kill_list\": [{\"pattern\": \"/user.slice/*/app-firefox*\", \"min_memory\": \"10%\", \"min_pressure\": 12.5},\n" \
        "                {\"pattern\": \"java\", \"min_memory\": \"1.5G\"}, {\"pattern\": \"/batch.slice\"}],\n" \
        "  \"rulesets\": [\n" \
        "    {\"name\": \"io-storm_1.x\", \"dry_run\": true,\n" \
        "     \"detectors\": [[{\"type\": \"pressure_above\", \"cgroup\": [\"/workload.slice\", \"/system.slice/*\"], \"resource\": \"io\",\n" \
        "                      \"kind\": \"some\", \"window\": \"avg300\", \"threshold\": 66.6, \"duration\": \"1m\"}],\n" \
        "                    [{\"type\": \"pressure_rising_beyond\", \"cgroup\": \"/workload.slice\", \"threshold\": 30, \"fast_fall_ratio\": 0.5,\n" \
        "                      \"duration\": 90},\n" \
        "                     {\"type\": \"memory_above\", \"cgroup\": \"/workload.slice\", \"threshold_anon\": \"2.5G\", \"duration\": \"500ms\"},\n" \
        "                     {\"type\": \"exists\", \"cgroup\": \"/maintenance.slice\", \"negate\": true}]],\n" \
        "     \"actions\": [{\"type\": \"kill\", \"ranker\": \"swap\", \"cgroup\": [\"/workload.slice/*\"], \"recursive\": false,\n" \
        "                  \"granularity\": \"process\", \"kill_list\": false, \"dry_run\": true, \"post_action_delay\": \"1h\",\n" \
        "                  \"prekill_timeout\": \"1.5s\", \"size_threshold\": \"33.33%\", \"min_growth_ratio\": 1.1,\n" \
        "                  \"growing_size_percentile\": 95, \"swap_threshold\": \"64M\",\n" \
        "                  \"prekill_hook\": [\"/usr/local/bin/save-state\", \"--quick\", \"a b\\\"c\"]},\n" \
        "                 {\"type\": \"kill\", \"ranker\": \"pressure\", \"resource\": \"io\", \"size_threshold\": 12.5},\n" \
        "                 {\"type\": \"kill\", \"ranker\": \"pgscan\", \"post_action_delay\": 0}]},\n" \
        "    {\"name\": \"floor\", \"max_kills_per_incident\": 5,\n" \
        "     \"detectors\": [[{\"type\": \"mem_available_below\", \"threshold\": \"3.25%\"},\n" \
        "                                        {\"type\": \"swap_free_below\", \"threshold\": 4097},\n" \
        "                                        {\"type\": \"memory_reclaim\", \"cgroup\": \"/\", \"duration\": \"250us\"},\n" \
        "                                        {\"type\": \"pressure_above\", \"window\": \"2500ms\", \"threshold\": 30}]],\n" \
        "     \"actions\": [{\"type\": \"kill\"}]}\n" \
        "  ]\n" \
        "}\n"

Test(policy_parse, every_key_reaches_its_field) {
        Policy *p = parse_ok(FULL_POLICY);
        const Ruleset *rs;
        const Detector *d;
        const Action *a;

        cr_assert_eq(p->dry_run, true);
        cr_assert_str_eq(p->admin_group, "oom-admins");
        cr_assert_eq(p->interval_usec, 2 * USEC_PER_SEC);
        cr_assert_eq(p->fast_interval_usec, 250 * USEC_PER_MSEC);
        cr_assert_eq(p->omit.n, 2);
        cr_assert(p->omit.items[0].is_path);
        cr_assert_not(p->omit.items[1].is_path);
        cr_assert_str_eq(p->avoid.items[0].glob, "Xorg");
        cr_assert_eq(p->prefer.n, 2);

        cr_assert_eq(p->n_kill_list, 3);
        cr_assert_str_eq(p->kill_list[0].pattern.glob, "/user.slice/*/app-firefox*");
        cr_assert(p->kill_list[0].pattern.is_path);
        cr_assert(p->kill_list[0].has_min_memory);
        cr_assert_eq(p->kill_list[0].min_memory.permyriad, 1000);
        cr_assert(p->kill_list[0].has_min_pressure);
        cr_assert_eq(p->kill_list[0].min_pressure, 12.5);
        cr_assert_not(p->kill_list[1].pattern.is_path);
        cr_assert_eq(p->kill_list[1].min_memory.bytes, UINT64_C(1610612736));
        cr_assert_not(p->kill_list[1].has_min_pressure);
        cr_assert_not(p->kill_list[2].has_min_memory);

        cr_assert_eq(p->n_rulesets, 2);
        rs = &p->rulesets[0];
        cr_assert_str_eq(rs->name, "io-storm_1.x");
        cr_assert(rs->dry_run);
        cr_assert_eq(rs->n_groups, 2);
        d = &rs->groups[0].detectors[0];
        cr_assert_eq(d->cgroups.n, 2);
        cr_assert_str_eq(d->cgroups.items[1].glob, "/system.slice/*");
        cr_assert_eq(d->resource, PSI_RESOURCE_IO);
        cr_assert_eq(d->kind, PSI_KIND_SOME);
        cr_assert_eq(d->window, PSI_WINDOW_AVG300);
        cr_assert_eq(d->threshold, 66.6);
        cr_assert_eq(d->duration_usec, 60 * USEC_PER_SEC);
        cr_assert_eq(rs->groups[1].n, 3);
        d = rs->groups[1].detectors;
        cr_assert_eq(d[0].fast_fall_ratio, 0.5);
        cr_assert_eq(d[0].duration_usec, 90 * USEC_PER_SEC);
        cr_assert(d[1].anon);
        cr_assert_eq(d[1].amount.bytes, UINT64_C(5) << 29);
        cr_assert_eq(d[1].duration_usec, 500 * USEC_PER_MSEC);
        cr_assert(d[2].negate);

        cr_assert_eq(rs->n_actions, 3);
        a = &rs->actions[0];
        cr_assert_eq(a->ranker, RANKER_SWAP);
        cr_assert_str_eq(a->cgroups.items[0].glob, "/workload.slice/*");
        cr_assert_not(a->recursive);
        cr_assert_eq(a->granularity, GRANULARITY_PROCESS);
        cr_assert_not(a->use_kill_list);
        cr_assert(a->dry_run);
        cr_assert_eq(a->post_action_delay_usec, 3600 * USEC_PER_SEC);
        cr_assert_eq(a->prekill_timeout_usec, 1500 * USEC_PER_MSEC);
        cr_assert_eq(a->size_threshold_permyriad, 3333);
        cr_assert_eq(a->min_growth_ratio, 1.1, "min_growth_ratio must stay a double");
        cr_assert_eq(a->growing_size_percentile, 95);
        cr_assert_eq(a->swap_threshold.bytes, UINT64_C(64) << 20);
        cr_assert_not_null(a->prekill_hook);
        cr_assert_str_eq(a->prekill_hook[0], "/usr/local/bin/save-state");
        cr_assert_str_eq(a->prekill_hook[1], "--quick");
        cr_assert_str_eq(a->prekill_hook[2], "a b\"c");
        cr_assert_null(a->prekill_hook[3], "argv is NULL-terminated");
        cr_assert_null(rs->actions[1].prekill_hook);
        cr_assert_eq(rs->actions[1].ranker, RANKER_PRESSURE);
        cr_assert_eq(rs->actions[1].pressure_resource, PSI_RESOURCE_IO);
        cr_assert_eq(rs->actions[1].size_threshold_permyriad, 1250);
        cr_assert_eq(rs->actions[2].ranker, RANKER_PGSCAN);
        cr_assert_eq(rs->actions[2].post_action_delay_usec, 0);

        rs = &p->rulesets[1];
        d = rs->groups[0].detectors;
        cr_assert_eq(d[0].amount.permyriad, 325);
        cr_assert_eq(d[1].amount.bytes, 4097);
        cr_assert_eq(d[2].duration_usec, 250);
        cr_assert_eq(d[3].window, PSI_WINDOW_EXACT);
        cr_assert_eq(d[3].window_usec, 2500 * USEC_PER_MSEC);
        cr_assert_eq(rs->max_kills, 5);
        cr_assert_eq(p->rulesets[0].max_kills, MAX_KILLS_PER_INCIDENT_DEFAULT);
        policy_free(p);
}

Test(policy_parse, full_policy_round_trips) {
        Policy *p = assert_round_trip(FULL_POLICY);
        policy_free(p);
}

Test(policy_parse, minimal_policy_round_trips) {
        policy_free(assert_round_trip(MINIMAL));
}

Test(policy_parse, odd_values_round_trip) {
        /* values that need care when written back: sub-second and odd durations, byte counts that
         * are not a multiple of 1K, percents with decimals, thresholds that are not short decimals */
        policy_free(assert_round_trip(
                "{\"interval\": \"1.001s\", \"fast_interval\": \"10ms\","
                " \"kill_list\": [{\"pattern\": \"x\", \"min_memory\": 4097, \"min_pressure\": 0.1}],"
                " \"rulesets\": [{\"name\": \"a\", \"detectors\": [[{\"type\": \"pressure_above\", \"threshold\": 33.333333333333336,"
                " \"duration\": 0.000001}, {\"type\": \"memory_above\", \"threshold\": \"0.01%\"},"
                " {\"type\": \"memory_above\", \"threshold\": 0}, {\"type\": \"memory_above\", \"threshold\": \"1023B\"}]],"
                " \"actions\": [{\"type\": \"kill\", \"min_growth_ratio\": 1.0000000000000002, \"size_threshold\": 0,"
                " \"post_action_delay\": \"61m\", \"ranker\": \"swap\", \"swap_threshold\": \"18446744073709551615\"}]}]}"));
}

Test(policy_parse, to_json_output_is_readable) {
        Policy *p = parse_ok(FULL_POLICY);
        char *json = policy_to_json(p);

        cr_assert_not_null(json);
        /* units stay human: the daemon shows this text to people (GetPolicy, oomctl policy show) */
        cr_assert(strstr(json, "\"interval\":\t\"2s\""), "%s", json);
        cr_assert(strstr(json, "\"fast_interval\":\t\"250ms\""), "%s", json);
        cr_assert(strstr(json, "\"post_action_delay\":\t\"1h\""), "%s", json);
        cr_assert(strstr(json, "\"threshold_anon\":\t\"2560M\""), "%s", json);
        cr_assert(strstr(json, "\"size_threshold\":\t\"33.33%\""), "%s", json);
        cr_assert(strstr(json, "\"threshold\":\t4097") == NULL, "bytes are written as strings with a unit");
        cr_assert(strstr(json, "\"threshold\":\t\"4097B\""), "%s", json);
        free(json);
        policy_free(p);
        cr_assert_null(policy_to_json(NULL));
}

Test(policy_parse, numbers_and_strings_are_equivalent) {
        Policy *a = parse_ok(
                "{\"interval\": 2, \"rulesets\": [{\"name\": \"r\", \"detectors\": [[{\"type\": \"memory_above\","
                " \"threshold\": 536870912, \"duration\": 1.5}]], \"actions\": [{\"type\": \"kill\", \"size_threshold\": 50}]}]}");
        Policy *b = parse_ok(
                "{\"interval\": \"2s\", \"rulesets\": [{\"name\": \"r\", \"detectors\": [[{\"type\": \"memory_above\","
                " \"threshold\": \"512M\", \"duration\": \"1500ms\"}]], \"actions\": [{\"type\": \"kill\", \"size_threshold\": \"50%\"}]}]}");
        assert_policy_equal(a, b);
        policy_free(a);
        policy_free(b);
}

Test(policy_parse, boundaries_are_inclusive) {
        Policy *p = parse_ok(
                "{\"interval\": \"60s\", \"fast_interval\": \"60s\", \"kill_list\": [{\"pattern\": \"x\", \"min_pressure\": 100}],"
                " \"rulesets\": [{\"name\": \"r\", \"detectors\": [[{\"type\": \"pressure_above\", \"threshold\": 0},"
                " {\"type\": \"pressure_rising_beyond\", \"threshold\": 100, \"fast_fall_ratio\": 1}]],"
                " \"actions\": [{\"type\": \"kill\", \"prekill_timeout\": \"60s\", \"growing_size_percentile\": 0,"
                " \"min_growth_ratio\": 1, \"size_threshold\": \"100%\"}]}]}");
        cr_assert_eq(p->interval_usec, 60 * USEC_PER_SEC);
        cr_assert_eq(p->fast_interval_usec, 60 * USEC_PER_SEC);
        cr_assert_eq(p->rulesets[0].groups[0].detectors[1].fast_fall_ratio, 1.0);
        cr_assert_eq(p->rulesets[0].actions[0].prekill_timeout_usec, 60 * USEC_PER_SEC);
        cr_assert_eq(p->rulesets[0].actions[0].size_threshold_permyriad, 10000);
        policy_free(p);

        p = parse_ok("{\"interval\": \"100ms\", \"fast_interval\": \"10ms\", \"rulesets\": [{\"name\": \"r\","
                     " \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/x\"}]], \"actions\": [{\"type\": \"kill\"}]}]}");
        cr_assert_eq(p->interval_usec, 100 * USEC_PER_MSEC);
        cr_assert_eq(p->fast_interval_usec, 10 * USEC_PER_MSEC);
        policy_free(p);

        /* without fast_interval, its default (250ms) shortens to a shorter interval */
        p = parse_ok("{\"interval\": \"100ms\", \"rulesets\": [{\"name\": \"r\","
                     " \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/x\"}]], \"actions\": [{\"type\": \"kill\"}]}]}");
        cr_assert_eq(p->fast_interval_usec, 100 * USEC_PER_MSEC);
        policy_free(p);
}

Test(policy_parse, whitespace_and_unicode_are_fine) {
        Policy *p = parse_ok("\n\t {\"omit\": [\"caf\\u00e9\", \"/user.slice/\\u00fc*\"], "
                             "\"rulesets\": [{\"name\": \"r\", \"detectors\": [[{\"type\": \"memory_reclaim\"}]],"
                             " \"actions\": [{\"type\": \"kill\"}]}]}  \n");
        cr_assert_str_eq(p->omit.items[0].glob, "caf\xc3\xa9");
        cr_assert_str_eq(p->omit.items[1].glob, "/user.slice/\xc3\xbc*");
        policy_free(p);
}

Test(policy_parse, failure_leaves_ret_alone_and_fills_err) {
        Policy *p = (Policy *) 0x1;
        PolicyError err;

        memset(&err, 'x', sizeof(err));
        cr_assert_eq(policy_parse("{\"interval\": true}", NULL, &p, &err), -EINVAL);
        cr_assert_eq(p, (Policy *) 0x1, "*ret must not be touched on failure");
        cr_assert_str_eq(err.path, "interval");
        cr_assert(strstr(err.message, "expected a duration"), "%s", err.message);
        /* a NULL err is allowed: callers that only want a yes/no */
        cr_assert_eq(policy_parse("[]", NULL, &p, NULL), -EINVAL);
        cr_assert_eq(policy_parse(NULL, NULL, &p, &err), -EINVAL);
        cr_assert_null(policy_free(NULL));
}

/* How a ruleset ends its victim: every method by name, stop_timeout at both ends of its range,
 * and both surviving policy_to_json. */
Test(policy_parse, method_and_stop_timeout) {
        static const struct { const char *json; UnitMethod method; usec_t timeout; } cases[] = {
                { "\"method\": \"stop\", \"stop_timeout\": \"2s\",", UNIT_METHOD_STOP, 2 * USEC_PER_SEC },
                { "\"method\": \"kill\",", UNIT_METHOD_KILL, 5 * USEC_PER_SEC },
                { "\"method\": \"restart\", \"stop_timeout\": \"100ms\",", UNIT_METHOD_RESTART, 100 * USEC_PER_MSEC },
                { "\"stop_timeout\": 300,", UNIT_METHOD_STOP, 300 * USEC_PER_SEC },
                { "\"stop_timeout\": \"5m\",", UNIT_METHOD_STOP, 300 * USEC_PER_SEC },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                char json[1024];
                snprintf(json, sizeof json,
                         "{\"rulesets\": [{\"name\": \"r\", %s \"detectors\": [[{\"type\": \"pressure_above\", "
                         "\"threshold\": 40}]], \"actions\": [{\"type\": \"kill\"}]}]}", cases[i].json);
                Policy *p = parse_ok(json);
                cr_assert_eq(p->rulesets[0].method, cases[i].method, "%s", cases[i].json);
                cr_assert_eq(p->rulesets[0].stop_timeout_usec, cases[i].timeout, "%s", cases[i].json);
                char *text = policy_to_json(p);
                cr_assert_not_null(text);
                cr_assert(strstr(text, unit_method_to_string(cases[i].method)), "%s", text);
                Policy *q = parse_ok(text);
                assert_policy_equal(p, q);
                free(text);
                policy_free(q);
                policy_free(p);
        }
}

/* prekill_hook at its limits: one string (the program alone), 32 strings, a 4095-byte argument;
 * each survives policy_to_json unchanged. */
Test(policy_parse, prekill_hook_limits_round_trip) {
        char long_arg[PREKILL_HOOK_ARG_MAX_BYTES + 1], json[8192 + 1024];
        size_t len;
        Policy *p;

        p = assert_round_trip("{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[{\"type\": \"pressure_above\", \"threshold\": 40}]],"
                              " \"actions\": [{\"type\": \"kill\", \"prekill_hook\": [\"/bin/true\"]}]}]}");
        cr_assert_str_eq(p->rulesets[0].actions[0].prekill_hook[0], "/bin/true");
        cr_assert_null(p->rulesets[0].actions[0].prekill_hook[1]);
        policy_free(p);

        memset(long_arg, 'x', sizeof(long_arg) - 1);
        long_arg[sizeof(long_arg) - 1] = '\0';
        len = (size_t) snprintf(json, sizeof(json),
                                "{\"rulesets\": [{\"name\": \"r\", \"detectors\": [[{\"type\": \"pressure_above\", \"threshold\": 40}]],"
                                " \"actions\": [{\"type\": \"kill\", \"prekill_hook\": [\"/bin/echo\", \"%s\"", long_arg);
        for (int i = 2; i < PREKILL_HOOK_MAX_ARGS; i++)
                len += (size_t) snprintf(json + len, sizeof(json) - len, ", \"%d\"", i);
        snprintf(json + len, sizeof(json) - len, "]}]}]}");
        p = assert_round_trip(json);
        cr_assert_str_eq(p->rulesets[0].actions[0].prekill_hook[1], long_arg);
        cr_assert_str_eq(p->rulesets[0].actions[0].prekill_hook[PREKILL_HOOK_MAX_ARGS - 1], "31");
        cr_assert_null(p->rulesets[0].actions[0].prekill_hook[PREKILL_HOOK_MAX_ARGS]);
        policy_free(p);
}

/* The round trip compares prekill_hook: a serializer that dropped it would fail here. */
Test(policy_parse, prekill_hook_is_serialized) {
        Policy *p = parse_ok(FULL_POLICY);
        char *json = policy_to_json(p);

        cr_assert_not_null(json);
        cr_assert(strstr(json, "\"prekill_hook\":\t[\"/usr/local/bin/save-state\", \"--quick\", \"a b\\\"c\"]"), "%s", json);
        cr_assert(strstr(json, "\"source\"") == NULL, "a ruleset's source is not part of the policy text: %s", json);
        free(json);
        policy_free(p);
}
