# vm: -t 300
# Protection: omit (by policy and by the xattr user.oomd_omit) is never killed even when largest;
# prefer goes first; avoid only when nothing else qualifies.
. /vmlab-src/lib.sh
hog omitp 150 0; hog omitx 120 0 -p ManagedOOMPreference=omit; hog avoid 100 0; hog normal 60 0; hog prefer 30 0
for u in omitp:150 omitx:120 avoid:100 normal:60 prefer:30; do wait_memory "${u%%:*}.service" "${u##*:}"; done
xattr=$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.oomd_omit").decode())' /sys/fs/cgroup/test.slice/omitx.service 2>/dev/null)
if [ "$xattr" != 1 ]; then
        log "systemd did not set user.oomd_omit for ManagedOOMPreference=omit; setting it directly"
        python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.oomd_omit", b"1")' /sys/fs/cgroup/test.slice/omitx.service \
                || fail "cannot set user.oomd_omit"
fi
# 460 MiB in the slice; each kill takes it down until it is under 280 MiB: prefer, normal, avoid.
start_pressured '{"interval": "500ms", "fast_interval": "100ms",
 "omit": ["/test.slice/omitp.service"], "avoid": ["/test.slice/avoid.service"], "prefer": ["/test.slice/prefer.service"],
 "rulesets": [{"name": "slice-too-big",
   "detectors": [[{"type": "memory_above", "cgroup": "/test.slice", "threshold": "280M"}]],
   "actions": [{"type": "kill", "cgroup": "/test.slice/*", "post_action_delay": "1s"}]}]}'
wait_dead avoid.service 90 || fail "avoid.service was never killed; kills so far: $(killed_units | tr '\n' ' ')"
sleep 3
order=$(killed_units | tr '\n' ' ')
[ "$order" = "prefer.service normal.service avoid.service " ] || fail "kill order was: $order"
unit_active omitp.service || fail "the policy-omitted unit died"
unit_active omitx.service || fail "the xattr-omitted unit died"
pass "kill order: $order; both omitted units live"
