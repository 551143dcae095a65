/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The embedded default policy is what runs on a machine with no policy file: it must parse, keep
 * both rulesets with the values the README documents, and survive a round trip. */
#include <criterion/criterion.h>
#include <errno.h>

#include "policy-equal.h"
#include "policy.h"

static Policy *default_policy(void) {
        PolicyError err = {};
        Policy *p = NULL;
        int r = policy_parse(policy_default_json, "embedded default policy", &p, &err);
        cr_assert_eq(r, 0, "the embedded default policy is invalid: %s: %s", err.path, err.message);
        return p;
}

Test(default_policy, parses_with_both_rulesets) {
        Policy *p = default_policy();

        cr_assert_eq(p->dry_run, false);
        cr_assert_eq(p->interval_usec, 1 * USEC_PER_SEC);
        cr_assert_eq(p->fast_interval_usec, 250 * USEC_PER_MSEC);
        cr_assert_eq(p->n_rulesets, 2);
        cr_assert_str_eq(p->rulesets[0].name, "memory-available-floor");
        cr_assert_str_eq(p->rulesets[1].name, "system-memory-pressure");
        policy_free(p);
}

Test(default_policy, memory_available_floor) {
        Policy *p = default_policy();
        const Ruleset *rs = &p->rulesets[0];
        const Detector *d;
        const Action *a;

        cr_assert_eq(rs->n_groups, 1);
        cr_assert_eq(rs->groups[0].n, 2, "MemAvailable low AND swap low");
        d = rs->groups[0].detectors;
        cr_assert_eq(d[0].type, DETECTOR_MEM_AVAILABLE_BELOW);
        cr_assert(d[0].amount.is_percent);
        cr_assert_eq(d[0].amount.permyriad, 500);
        cr_assert_eq(d[1].type, DETECTOR_SWAP_FREE_BELOW);
        cr_assert(d[1].amount.is_percent);
        cr_assert_eq(d[1].amount.permyriad, 1000);

        cr_assert_eq(rs->n_actions, 1);
        a = &rs->actions[0];
        cr_assert_eq(a->ranker, RANKER_SIZE_OR_GROWTH);
        cr_assert_eq(a->cgroups.n, 1);
        cr_assert_str_eq(a->cgroups.items[0].glob, "/*");
        cr_assert_eq(a->granularity, GRANULARITY_PROCESS);
        cr_assert_eq(a->post_action_delay_usec, 2 * USEC_PER_SEC);
        cr_assert_eq(a->recursive, true);
        cr_assert_eq(a->use_kill_list, true);
        cr_assert_eq(a->dry_run, false);
        policy_free(p);
}

Test(default_policy, system_memory_pressure) {
        Policy *p = default_policy();
        const Ruleset *rs = &p->rulesets[1];
        const Detector *d;

        cr_assert_eq(rs->n_groups, 1);
        cr_assert_eq(rs->groups[0].n, 2, "pressure AND reclaim");
        d = rs->groups[0].detectors;
        cr_assert_eq(d[0].type, DETECTOR_PRESSURE_ABOVE);
        cr_assert_eq(d[0].cgroups.n, 1);
        cr_assert_str_eq(d[0].cgroups.items[0].glob, "/");
        cr_assert_eq(d[0].resource, PSI_RESOURCE_MEMORY);
        cr_assert_eq(d[0].kind, PSI_KIND_FULL);
        cr_assert_eq(d[0].window, PSI_WINDOW_EXACT, "pressure as it is now, not the kernel's lagging avg10");
        cr_assert_eq(d[0].window_usec, 5 * USEC_PER_SEC);
        cr_assert_eq(d[0].threshold, 50.0);
        cr_assert_eq(d[0].duration_usec, 2 * USEC_PER_SEC);
        cr_assert_eq(d[1].type, DETECTOR_MEMORY_RECLAIM);
        cr_assert_str_eq(d[1].cgroups.items[0].glob, "/");
        cr_assert_eq(d[1].duration_usec, 10 * USEC_PER_SEC);

        cr_assert_eq(rs->n_actions, 1);
        cr_assert_eq(rs->actions[0].granularity, GRANULARITY_PROCESS);
        cr_assert_eq(rs->actions[0].post_action_delay_usec, 5 * USEC_PER_SEC);
        cr_assert_eq(rs->max_kills, MAX_KILLS_PER_INCIDENT_DEFAULT);
        policy_free(p);
}

Test(default_policy, protects_the_core_of_the_system) {
        Policy *p = default_policy();

        /* never candidates: init, ourselves, the journal, the bus */
        cr_assert(pattern_list_match(&p->omit, "/init.scope", NULL));
        cr_assert(pattern_list_match(&p->omit, "/system.slice/pressured.service", NULL));
        cr_assert(pattern_list_match(&p->omit, "/system.slice/systemd-journald.service", NULL));
        cr_assert(pattern_list_match(&p->omit, "/system.slice/dbus.service", NULL));
        cr_assert(pattern_list_match(&p->omit, NULL, "dbus-broker"));
        cr_assert(pattern_list_match(&p->omit, NULL, "systemd-journal"));
        /* last resort: the way in (ssh) and the desktop session */
        cr_assert(pattern_list_match(&p->avoid, "/system.slice/sshd.service", NULL));
        cr_assert(pattern_list_match(&p->avoid, NULL, "sshd"));
        cr_assert(pattern_list_match(&p->avoid, NULL, "gnome-shell"));
        cr_assert(pattern_list_match(&p->avoid, NULL, "Xwayland"));
        /* an ordinary workload is neither */
        cr_assert_not(pattern_list_match(&p->omit, "/user.slice/user-1000.slice/app.slice/firefox.scope", "firefox"));
        cr_assert_not(pattern_list_match(&p->avoid, "/user.slice/user-1000.slice/app.slice/firefox.scope", "firefox"));
        cr_assert_eq(p->prefer.n, 0);
        cr_assert_eq(p->n_kill_list, 0);
        policy_free(p);
}

Test(default_policy, round_trips) {
        Policy *p = default_policy(), *q = assert_round_trip(policy_default_json);

        assert_policy_equal(p, q);
        policy_free(p);
        policy_free(q);
}

Test(default_policy, merged_with_nothing_is_the_default) {
        Policy *p = default_policy(), *q = NULL;
        const char *texts[] = { NULL };
        PolicyError err = {};

        cr_assert_eq(policy_parse_merged(texts, NULL, 1, &q, &err), 0, "%s: %s", err.path, err.message);
        assert_policy_equal(p, q);
        policy_free(p);
        policy_free(q);
}
