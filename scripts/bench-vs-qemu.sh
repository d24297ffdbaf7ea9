#!/bin/bash
# bench-vs-qemu.sh GUESTDIR [RUNS]
#
# The reference Debian guest (scripts/debian-guest.sh) under jvisor and under QEMU's
# software emulation (qemu-system-i386 -accel tcg, Debian's qemu-system-x86), in one run on
# one machine: host wall seconds from launch to BOOT-OK, per workload (between markers),
# and to ALL-DONE, medians over RUNS (default 1), and the jvisor/QEMU ratio of each.
# The QEMU side is ../shared/bench/time-qemu.sh when present (same markers, same kernel,
# same initramfs, same command line, same memory).
#   Env: JVISOR_ARGS  extra arguments for jvisor run (e.g. "--clock deterministic")
set -euo pipefail
G=$(cd "${1:?usage: $0 GUESTDIR [RUNS]}" && pwd)
RUNS=${2:-1}
HERE=$(cd "$(dirname "$0")/.." && pwd)
OUT=${LOGDIR:-/tmp/jvisor-bench}
mkdir -p "$OUT"
CMDLINE="console=ttyS0 quiet panic=-1"

now() { perl -MTime::HiRes=time -e 'printf "%.6f", time'; }
stamp='
  use Time::HiRes qw(time); $|=1;
  my $t0=$ENV{T0}; my $prev=$t0; open(my $log, ">", $ENV{LOG}) or die;
  while (defined(my $l=<STDIN>)) {
    my $now=time; print $log $l; $l =~ s/\r//g;
    if ($l =~ /((BOOT-OK|BENCH|ALL-DONE)\b.*)$/) { printf "%.3f %.3f %s\n", $now-$t0, $now-$prev, $1; $prev=$now; }
  }'

"$HERE/jvisor" --version >/dev/null   # build the jar outside the timed runs
: >"$OUT/jvisor.txt"
for r in $(seq 1 "$RUNS"); do
    export LOG="$OUT/jvisor-run-$r.log" T0
    T0=$(now)
    "$HERE/jvisor" run --kernel "$G/bzImage" --initrd "$G/initrd-bench.gz" --append "$CMDLINE" -m 256M \
        --no-reboot ${JVISOR_ARGS:-} </dev/null 2>/dev/null | perl -e "$stamp" >"$OUT/jvisor-run-$r.marks"
    awk -v r="$r" '$3 ~ /^BOOT-OK/ {print r, "boot", $1} $3 == "BENCH" {split($4,n,"="); print r, n[2], $2}
        $3 ~ /^ALL-DONE/ {print r, "alldone", $1}' "$OUT/jvisor-run-$r.marks" >>"$OUT/jvisor.txt"
done

QEMU_T="$HERE/../shared/bench/time-qemu.sh"
LOGDIR="$OUT/qemu" bash "$QEMU_T" "$G" "$RUNS" >"$OUT/qemu.out"
awk '/median=/ {k=$1; sub("_wall$","",k); v=$0; sub(/.*median= */,"",v); split(v,a," "); print k, a[1]}' \
    "$OUT/qemu.out" >"$OUT/qemu.txt"

echo "# host wall seconds, medians of $RUNS run(s); $(qemu-system-i386 --version | head -1)"
printf "%-8s %10s %10s %8s\n" marker jvisor qemu ratio
for k in boot md5 sort awk gzip zcat sys fork alldone; do
    j=$(awk -v k="$k" '$2==k {print $3}' "$OUT/jvisor.txt" | sort -n | awk '{a[NR]=$1} END {if (NR) print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}')
    q=$(awk -v k="$k" '$1==k {print $2}' "$OUT/qemu.txt")
    [ "$k" = boot ] && q=$(awk '$1=="boot" {print $2}' "$OUT/qemu.txt")
    ratio=$(awk -v j="$j" -v q="$q" 'BEGIN { if (j != "" && q > 0) printf "%.1f", j/q; else print "-" }')
    printf "%-8s %10s %10s %8s\n" "$k" "${j:--}" "${q:--}" "$ratio"
done
