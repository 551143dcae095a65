# vm: -t 300
# The kill list decides: of two offenders that both meet the criteria, the one listed first dies and
# the other lives; with the order swapped, the other dies; an entry whose memory criterion is not
# met is skipped.
. /vmlab-src/lib.sh
policy() {
        echo '{"interval": "500ms", "fast_interval": "100ms", "kill_list": '"$1"',
 "rulesets": [{"name": "slice-too-big",
   "detectors": [[{"type": "memory_above", "cgroup": "/test.slice", "threshold": "300M"}]],
   "actions": [{"type": "kill", "cgroup": "/test.slice/*", "post_action_delay": "2s"}]}]}'
}
# round NAME KILL_LIST EXPECTED_VICTIM EXPECTED_SURVIVOR
round() {
        local n=$1 kl=$2 victim=$3 survivor=$4
        for u in a b; do systemctl stop "$u.service" 2>/dev/null; systemctl reset-failed "$u.service" 2>/dev/null; done
        reload_pressured "$(policy "$kl")"
        local kills0; kills0=$(journal_kills | wc -l)
        hog a 200 0; wait_memory a.service 200
        hog b 200 0
        wait_dead "$victim.service" 60 || fail "$n: $victim.service was not killed"
        sleep 3 # a second kill would come after the 2 s post-action delay
        unit_active "$survivor.service" || fail "$n: $survivor.service died too"
        [ "$(journal_kills | wc -l)" = $((kills0 + 1)) ] || fail "$n: expected one kill, got: $(journal_kills | tail -n +$((kills0 + 1)))"
        case $(last_kill_field PRESSURED_REASON) in
        *"kill list entry"*) ;;
        *) fail "$n: the kill did not come from the kill list: $(journal_kills | tail -1)" ;;
        esac
        log "$n: $victim.service killed first, $survivor.service lives"
}
start_pressured "$(policy '[]')"
round "listed a, b" '[{"pattern": "/test.slice/a.service"}, {"pattern": "/test.slice/b.service"}]' a b
round "listed b, a" '[{"pattern": "/test.slice/b.service"}, {"pattern": "/test.slice/a.service"}]' b a
round "a needs 1G" '[{"pattern": "/test.slice/a.service", "min_memory": "1G"}, {"pattern": "/test.slice/b.service"}]' b a
pass "the kill list order decides, and an unmet entry is skipped"
