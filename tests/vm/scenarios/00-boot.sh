# vm: -t 120
# The guest itself: systemd as PID 1, a system bus, cgroup v2 with the memory controller, PSI
# triggers that the kernel accepts, and pressured starting in cgroup mode with PSI triggers armed.
. /vmlab-src/lib.sh
[ "$(cat /proc/1/comm)" = systemd ] || fail "PID 1 is $(cat /proc/1/comm), not systemd"
busctl --system status >/dev/null || fail "no system bus"
grep -qw memory /sys/fs/cgroup/cgroup.controllers || fail "no memory controller on cgroup2"
python3 - <<'PY' || fail "the kernel refuses PSI triggers in this guest"
import os
fd = os.open("/proc/pressure/memory", os.O_RDWR | os.O_NONBLOCK)
os.write(fd, b"some 150000 1000000\0")
PY
start_pressured '' 
grep -q '"mode":.*"cgroup"' /run/pressured/status.json || fail "not in cgroup mode: $(cat /run/pressured/status.json)"
grep -q '"wakeups":.*"psi-triggers"' /run/pressured/status.json || fail "PSI triggers fell back to polling: $(cat /run/pressured/status.json)"
pass "systemd $(systemctl --version | head -1 | cut -d' ' -f2), kernel $(uname -r), pressured in cgroup mode with PSI triggers"
