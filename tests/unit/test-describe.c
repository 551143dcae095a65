/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The start-up line per ruleset: what is killed and when, in this machine's figures. Checked on
 * the embedded default and on policies that use every detector, ranker and method.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "describe.h"
#include "policy.h"

static Policy *parse(const char *json) {
        Policy *p = NULL;
        PolicyError err = {};
        cr_assert_eq(policy_parse(json, "test.json", &p, &err), 0, "%s: %s", err.path, err.message);
        return p;
}

static const MemInfo GIB24_NO_SWAP = { .mem_total = UINT64_C(24) << 30, .valid = true };
static const MemInfo GIB8_SWAP4 = { .mem_total = UINT64_C(8) << 30, .swap_total = UINT64_C(4) << 30, .valid = true };

static void expect(const Policy *p, size_t ruleset, const MemInfo *mi, bool degraded, const char *line) {
        char buf[1024];
        ruleset_describe(p, &p->rulesets[ruleset], mi, degraded, buf, sizeof buf);
        cr_assert_str_eq(buf, line);
}

Test(describe, the_embedded_default_in_plain_numbers) {
        Policy *p = parse(policy_default_json);

        expect(p, 0, &GIB24_NO_SWAP, false,
               "kills the largest or fastest-growing process when MemAvailable < 5% (1.2G) and "
               "swap free < 10% (no swap here: always true)");
        expect(p, 0, &GIB8_SWAP4, true,
               "kills the largest or fastest-growing process when MemAvailable < 5% (410M) and swap free < 10% (410M)");
        expect(p, 1, &GIB8_SWAP4, false,
               "kills the largest or fastest-growing process when the system's memory pressure (full) > 50% "
               "over the last 5s for 2s and the kernel reclaimed pages in the system within the last 10s");
        /* /proc/meminfo unreadable: the percents alone */
        expect(p, 0, NULL, false, "kills the largest or fastest-growing process when MemAvailable < 5% and swap free < 10%");
        policy_free(p);
}

Test(describe, groups_actions_methods_and_the_kill_list) {
        Policy *p = parse(
                "{\"kill_list\": [{\"pattern\": \"java\"}], \"rulesets\": ["
                " {\"name\": \"work\", \"method\": \"restart\", \"stop_timeout\": \"10s\","
                "  \"detectors\": [[{\"type\": \"pressure_above\", \"cgroup\": \"/work.slice\", \"kind\": \"some\", \"threshold\": 60,"
                "                   \"duration\": \"30s\"}],"
                "                 [{\"type\": \"memory_above\", \"cgroup\": [\"/a.slice\", \"/b.slice\", \"/c.slice\"], \"threshold_anon\": \"90%\"}]],"
                "  \"actions\": [{\"type\": \"kill\", \"cgroup\": \"/work.slice/*\"},"
                "              {\"type\": \"kill\", \"ranker\": \"swap\", \"swap_threshold\": \"256M\", \"kill_list\": false,"
                "               \"granularity\": \"process\", \"dry_run\": true}]},"
                " {\"name\": \"gone\", \"dry_run\": true, \"method\": \"kill\","
                "  \"detectors\": [[{\"type\": \"exists\", \"cgroup\": \"/guard.slice\", \"negate\": true},"
                "                   {\"type\": \"pressure_rising_beyond\", \"resource\": \"io\", \"threshold\": 20}]],"
                "  \"actions\": [{\"type\": \"kill\", \"ranker\": \"pgscan\", \"kill_list\": false}]}]}");

        expect(p, 0, &GIB8_SWAP4, false,
               "kills the first kill-list entry that matches, else the largest or fastest-growing cgroup under /work.slice/* "
               "(by restarting its systemd unit, SIGKILL after 10s); failing that, the process using the most swap "
               "(at least 256M) (dry run: logged only) when memory pressure (some) of /work.slice > 60% (avg10) for 30s, "
               "or when anonymous memory of /a.slice, /b.slice or /c.slice > 90% (7.2G)");
        /* degraded: processes only, and never through systemd */
        expect(p, 0, &GIB8_SWAP4, true,
               "kills the first kill-list entry that matches, else the largest or fastest-growing process under /work.slice/*; "
               "failing that, the process using the most swap (at least 256M) (dry run: logged only) when memory pressure "
               "(some) of /work.slice > 60% (avg10) for 30s, or when anonymous memory of /a.slice, /b.slice or /c.slice > 90% (7.2G)");
        expect(p, 1, &GIB8_SWAP4, false,
               "would kill (dry run) the cgroup with the highest page-scan rate when no cgroup /guard.slice exists and "
               "the system's io pressure (full) > 20% in avg10 and avg60 and not falling fast");
        policy_free(p);
}

Test(describe, a_short_buffer_is_cut_and_terminated) {
        Policy *p = parse(policy_default_json);
        char buf[16];

        memset(buf, 'x', sizeof buf);
        ruleset_describe(p, &p->rulesets[0], &GIB8_SWAP4, false, buf, sizeof buf);
        cr_assert_eq(strlen(buf), sizeof buf - 1);
        cr_assert_str_eq(buf, "kills the large");
        policy_free(p);
}
