#!/bin/bash
# bench-smp.sh GUESTDIR [CPUS...]
#
# The parallel workload of the reference Debian guest (initrd-par.gz from
# scripts/debian-guest.sh: the md5 workload once, then N copies at once on N processors)
# under jvisor (translator) and QEMU's software emulation with -smp N, one after the other
# on one machine, for each N (default 1 2 4). Prints the processors the guest saw, the
# guest seconds of one md5 and of N md5 copies at once, their ratio (1.0 = perfect
# scaling; N = no parallelism at all), and host wall seconds to ALL-DONE.
# QEMU runs one host thread per vCPU too (-accel tcg,thread=multi, its default on x86 hosts).
#   Env: LOGDIR  where logs go (default /tmp/jvisor-bench-smp)
set -euo pipefail
G=$(cd "${1:?usage: $0 GUESTDIR [CPUS...]}" && pwd)
shift
CPUS=${*:-1 2 4}
HERE=$(cd "$(dirname "$0")/.." && pwd)
OUT=${LOGDIR:-/tmp/jvisor-bench-smp}
mkdir -p "$OUT"
CMDLINE="console=ttyS0 quiet panic=-1"
[ -f "$G/initrd-par.gz" ] || { echo "bench-smp: $G/initrd-par.gz missing (rerun scripts/debian-guest.sh)" >&2; exit 1; }
command -v qemu-system-i386 >/dev/null || { echo "bench-smp: qemu-system-i386 not installed (apt-get install qemu-system-x86)" >&2; exit 1; }
"$HERE/jvisor" --version >/dev/null   # build the jar outside the timed runs

field() { # log name key
    grep -a "BENCH name=$2 " "$1" | tr -d '\r' | sed -n "s/.*$3=\([^ ]*\).*/\1/p" | head -1
}

run() { # who n log
    local t0 t1
    t0=$(date +%s.%N)
    if [ "$1" = jvisor ]; then
        "$HERE/jvisor" --quiet -smp "$2" -m 256M -kernel "$G/bzImage" -initrd "$G/initrd-par.gz" \
            -append "$CMDLINE" -nographic -no-reboot </dev/null >"$3" 2>&1 || true
    else
        timeout 1200 qemu-system-i386 -accel tcg,thread=multi -smp "$2" -m 256M -kernel "$G/bzImage" \
            -initrd "$G/initrd-par.gz" -append "$CMDLINE" -nographic -no-reboot </dev/null >"$3" 2>&1 || true
    fi
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }'
}

echo "# guest seconds (/proc/uptime) and host wall seconds, $(date -u +%Y-%m-%d), $(nproc) host cores;" \
    "$(qemu-system-i386 --version | head -1)"
printf "%-7s %4s %5s %8s %9s %7s %8s\n" who -smp cpus md5 md5par ratio wall
for n in $CPUS; do
    for who in jvisor qemu; do
        log="$OUT/$who-smp$n.log"
        wall=$(run "$who" "$n" "$log")
        cpus=$(grep -a "CPUS n=" "$log" | tr -d '\r' | sed 's/.*n=//' | head -1)
        one=$(field "$log" md5 secs)
        par=$(field "$log" md5par secs)
        ok=$(field "$log" md5par result)
        [ "$ok" = 58f06dd588d8ffb3beb46ada6309436b ] || { echo "bench-smp: $who -smp $n: wrong or no result (see $log)" >&2; }
        ratio=$(awk -v a="$par" -v b="$one" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
        printf "%-7s %4s %5s %8s %9s %7s %8s\n" "$who" "$n" "${cpus:--}" "${one:--}" "${par:--}" "$ratio" "$wall"
    done
done
