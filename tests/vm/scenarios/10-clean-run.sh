# vm: -t 240
# A clean run: with no hog for 60 s, pressured (embedded default policy) kills nothing and costs little.
. /vmlab-src/lib.sh
start_pressured ''
pid=$(systemctl show -P MainPID pressured.service)
ticks=$(getconf CLK_TCK)
cpu0=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
t0=$(now)
sleep 60
cpu1=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
elapsed=$(since "$t0")
[ -z "$(journal_kills)" ] || fail "pressured killed on an idle machine: $(journal_kills)"
cpu=$(awk -v a="$cpu0" -v b="$cpu1" -v t="$ticks" 'BEGIN { printf "%.2f", (b - a) / t }')
hwm=$(awk '/^VmHWM/ { print $2 }' /proc/$pid/status)
samples=$(journalctl -u pressured -o cat --no-pager | grep -c "PSI trigger fired" || true)
echo "TIMING idle ${elapsed} s (guest clock): pressured CPU ${cpu} s, peak RSS ${hwm} KiB, trigger wake-ups ${samples}"
[ "$(awk -v c="$cpu" -v e="$elapsed" 'BEGIN { print (c < 0.1 * e) }')" = 1 ] || fail "pressured used ${cpu} s of CPU in ${elapsed} s idle"
pass "idle: no kill, CPU ${cpu} s in ${elapsed} s, peak RSS ${hwm} KiB"
