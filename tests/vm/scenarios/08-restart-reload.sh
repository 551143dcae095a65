# vm: -t 300
# SIGHUP with a broken policy keeps the old one working (a later hog is still killed); a restart
# keeps the kill history.
. /vmlab-src/lib.sh
GOOD='{"interval": "500ms", "fast_interval": "100ms",
 "rulesets": [{"name": "slice-too-big",
   "detectors": [[{"type": "memory_above", "cgroup": "/test.slice", "threshold": "150M"}]],
   "actions": [{"type": "kill", "cgroup": "/test.slice/*", "post_action_delay": "1s"}]}]}'
start_pressured "$GOOD"
hog h1 200 0; wait_dead h1.service 60 || fail "h1 was not killed"
[ "$(history_lines | wc -l)" = 1 ] || fail "history after one kill: $(history_lines)"

reload_pressured '{"rulesets": [{"name": "broken", "detectors": [[{"type": "pressure_above"}]], "actions": []}]}'
journalctl -u pressured -o cat --no-pager | grep -q "Policy reload failed, keeping the policy that was running" || fail "the broken policy was not refused"
hog h2 200 0; wait_dead h2.service 60 || fail "h2 was not killed after the refused reload"
[ "$(history_lines | wc -l)" = 2 ] || fail "history after two kills: $(history_lines)"

printf '%s\n' "$GOOD" > /etc/pressured/policy.json
systemctl stop pressured.service
start_pressured "$GOOD"
[ "$(history_lines | wc -l)" = 2 ] || fail "the restart lost history: $(history_lines)"
hog h3 200 0; wait_dead h3.service 60 || fail "h3 was not killed after the restart"
[ "$(history_lines | wc -l)" = 3 ] || fail "history after the restart: $(history_lines)"
pass "a broken reload was refused and the old policy kept killing; history survived the restart (3 entries)"
