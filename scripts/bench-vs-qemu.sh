#!/bin/bash
# bench-vs-qemu.sh GUESTDIR [RUNS]
#
# The reference Debian guest (scripts/debian-guest.sh) under jvisor with each engine and
# under QEMU's software emulation (qemu-system-i386 -accel tcg, Debian's qemu-system-x86),
# alternating run by run on one machine: host wall seconds from launch to BOOT-OK, per
# workload (between markers), and to ALL-DONE; medians over RUNS (default 3) and ratios.
# The QEMU side is ../shared/bench/time-qemu.sh (same markers, same kernel, same
# initramfs, same command line, same memory).
#   Env: ENGINES      jvisor engines to run (default "jit interp")
#        JVISOR_ARGS  extra arguments for jvisor run (e.g. "--clock deterministic")
#        LOGDIR       where logs go (default /tmp/jvisor-bench)
set -euo pipefail
G=$(cd "${1:?usage: $0 GUESTDIR [RUNS]}" && pwd)
RUNS=${2:-3}
ENGINES=${ENGINES:-jit interp}
HERE=$(cd "$(dirname "$0")/.." && pwd)
OUT=${LOGDIR:-/tmp/jvisor-bench}
mkdir -p "$OUT"
CMDLINE="console=ttyS0 quiet panic=-1"
QEMU_T="$HERE/../shared/bench/time-qemu.sh"
[ -f "$QEMU_T" ] || { echo "bench-vs-qemu: $QEMU_T not found (../shared/bench)" >&2; exit 1; }
command -v qemu-system-i386 >/dev/null || { echo "bench-vs-qemu: qemu-system-i386 not installed (apt-get install qemu-system-x86)" >&2; exit 1; }

now() { perl -MTime::HiRes=time -e 'printf "%.6f", time'; }
stamp='
  use Time::HiRes qw(time); $|=1;
  my $t0=$ENV{T0}; my $prev=$t0; open(my $log, ">", $ENV{LOG}) or die;
  while (defined(my $l=<STDIN>)) {
    my $now=time; print $log $l; $l =~ s/\r//g;
    if ($l =~ /((BOOT-OK|BENCH|ALL-DONE)\b.*)$/) { printf "%.3f %.3f %s\n", $now-$t0, $now-$prev, $1; $prev=$now; }
  }'

"$HERE/jvisor" --version >/dev/null   # build the jar outside the timed runs
: >"$OUT/results.txt"
for r in $(seq 1 "$RUNS"); do
    for e in $ENGINES; do
        export LOG="$OUT/$e-run-$r.log" T0
        T0=$(now)
        "$HERE/jvisor" run --engine "$e" --kernel "$G/bzImage" --initrd "$G/initrd-bench.gz" --append "$CMDLINE" \
            -m 256M --no-reboot ${JVISOR_ARGS:-} </dev/null 2>/dev/null | perl -e "$stamp" >"$OUT/$e-run-$r.marks"
        awk -v e="$e" '$3 ~ /^BOOT-OK/ {print e, "boot", $1} $3 == "BENCH" {split($4,n,"="); print e, n[2], $2}
            $3 ~ /^ALL-DONE/ {print e, "alldone", $1}' "$OUT/$e-run-$r.marks" >>"$OUT/results.txt"
        echo "run $r $e: $(awk '$3 ~ /^ALL-DONE/ {print $1 " s to ALL-DONE"}' "$OUT/$e-run-$r.marks")" >&2
    done
    LOGDIR="$OUT/qemu-$r" bash "$QEMU_T" "$G" 1 >"$OUT/qemu-$r.out"
    awk '/median=/ {k=$1; sub("_wall$","",k); v=$0; sub(/.*median= */,"",v); split(v,a," "); print "qemu", k, a[1]}' \
        "$OUT/qemu-$r.out" >>"$OUT/results.txt"
    echo "run $r qemu: $(awk '/^alldone_wall/ {print $1}' "$OUT/qemu-$r.out" | head -1)" >&2
done

median() { awk -v e="$1" -v k="$2" '$1==e && $2==k {print $3}' "$OUT/results.txt" | sort -n |
    awk '{a[NR]=$1} END {if (NR) print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b > 0) printf "%.1f", a/b; else print "-" }'; }

echo "# host wall seconds, medians of $RUNS run(s), $(date -u +%Y-%m-%d), $(nproc) cores; $(qemu-system-i386 --version | head -1)"
printf "%-8s" marker
for e in $ENGINES; do printf " %9s" "$e"; done
printf " %9s" qemu
for e in $ENGINES; do printf " %11s" "$e/qemu"; done
echo
for k in boot md5 sort awk gzip zcat sys fork alldone; do
    q=$(median qemu "$k")
    printf "%-8s" "$k"
    for e in $ENGINES; do printf " %9s" "$(median "$e" "$k")"; done
    printf " %9s" "${q:--}"
    for e in $ENGINES; do printf " %11s" "$(ratio "$(median "$e" "$k")" "$q")"; done
    echo
done
