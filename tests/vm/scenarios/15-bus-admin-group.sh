# vm: -t 240
# The admin group on the real system bus: a member of group "pressured" passes the shipped bus
# policy, yet pressured itself refuses it while the policy names no admin_group; once the policy
# says "admin_group": "pressured", the same caller may kill and edit the kill list, while a user
# outside the group is still refused by the bus.
. /vmlab-src/lib.sh
# The guest's /etc is a throw-away overlay: the group exists only in this guest.
getent group pressured >/dev/null || groupadd --system pressured || fail "groupadd pressured failed"
gid=$(getent group pressured | cut -d: -f3)
# dbus-daemon resolved <policy group="pressured"> when it started, before the group existed.
systemctl reload dbus.service || fail "reloading dbus failed"
policy() {
        echo '{"interval": "500ms", '"$1"'
 "rulesets": [{"name": "never",
   "detectors": [[{"type": "memory_above", "cgroup": "/test.slice", "threshold": "100G"}]],
   "actions": [{"type": "kill", "cgroup": "/test.slice/*"}]}]}'
}
start_pressured "$(policy '')"
wait_bus_name $BUS_NAME
hog x 30 0; wait_memory x.service 30

# 1. No admin_group: the bus lets the member through, pressured refuses.
# dbus-send prints the error's message, which says who refused.
KILL_X=(dbus-send --system --print-reply --dest=$BUS_NAME $BUS_PATH $BUS_IFACE.Kill string:x.service string: boolean:false)
as_group_member "$gid" "${KILL_X[@]}" > /tmp/member.txt 2>&1 \
        && fail "Kill by a member of group pressured succeeded although the policy names no admin_group"
as_nobody "${KILL_X[@]}" > /tmp/nobody.txt 2>&1 \
        && fail "Kill by nobody succeeded"
echo "member of pressured, no admin_group: $(cat /tmp/member.txt)"
echo "nobody:                              $(cat /tmp/nobody.txt)"
# dbus-daemon's own refusals say "Rejected send message"; pressured's do not.
grep -q 'Rejected send message' /tmp/member.txt && fail "the bus refused the member of group pressured; its policy should let it through"
grep -q 'Rejected send message' /tmp/nobody.txt || fail "the bus let nobody's Kill through to pressured"
as_group_member "$gid" $OOMCTL kill x.service > /tmp/member-oomctl.txt 2>&1; rc=$?
echo "oomctl kill as member, exit $rc: $(cat /tmp/member-oomctl.txt)"
[ $rc = 1 ] && grep -qi 'permission' /tmp/member-oomctl.txt || fail "oomctl kill by the member: exit $rc, $(cat /tmp/member-oomctl.txt)"
unit_active x.service || fail "x.service died although pressured should have refused"

# 2. admin_group "pressured": the member may act; others still may not.
reload_pressured "$(policy '"admin_group": "pressured",')"
as_nobody $OOMCTL kill-list add /test.slice/y.service > /tmp/nobody-kl.txt 2>&1; rc=$?
[ $rc = 1 ] || fail "oomctl kill-list add by nobody exited $rc: $(cat /tmp/nobody-kl.txt)"
as_group_member "$gid" $OOMCTL kill-list add /test.slice/y.service > /tmp/member-kl.txt 2>&1 \
        || fail "oomctl kill-list add by the admin group member failed: $(cat /tmp/member-kl.txt)"
$OOMCTL kill-list | grep -q '/test.slice/y.service' || fail "the member's kill-list entry is not in the kill list"
as_group_member "$gid" busctl set-property $BUS_NAME $BUS_PATH $BUS_IFACE DryRun b true \
        || fail "setting DryRun as the admin group member failed"
[ "$(busctl get-property $BUS_NAME $BUS_PATH $BUS_IFACE DryRun)" = "b true" ] || fail "DryRun did not turn on"
as_nobody busctl set-property $BUS_NAME $BUS_PATH $BUS_IFACE DryRun b false 2>/dev/null && fail "nobody could set DryRun"
as_group_member "$gid" busctl set-property $BUS_NAME $BUS_PATH $BUS_IFACE DryRun b false || fail "turning DryRun off failed"
as_group_member "$gid" $OOMCTL kill x.service --reason "admin group" > /tmp/member-kill.txt 2>&1 \
        || fail "oomctl kill by the admin group member failed: $(cat /tmp/member-kill.txt)"
cat /tmp/member-kill.txt
wait_dead x.service 30 || fail "x.service survived the admin group member's kill"
journalctl -u pressured -o cat --no-pager | grep -m1 'Manual kill of /test.slice/x.service requested by uid 65534' \
        || fail "pressured did not log the manual kill by uid 65534"
pass "group pressured passes the bus policy; pressured grants it only as the policy's admin_group"
