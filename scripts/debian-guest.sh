#!/bin/bash
# debian-guest.sh OUTDIR
#
# jvisor's reference Debian guest, built only from Debian's own i386 packages (adapted from
# ../shared/bench/make-reference-guest.sh, which times the peer emulators on the same files):
#   OUTDIR/bzImage          Debian 12 i386 kernel (linux-image-<KABI>-686-unsigned, non-PAE)
#   OUTDIR/bzImage-pae      the same kernel version, 686-pae flavour
#   OUTDIR/initrd-shell.gz  initramfs whose /init starts an interactive busybox shell on the console
#   OUTDIR/initrd-bench.gz  initramfs: mounts proc/sys/devtmpfs, prints BOOT-OK,
#                           runs fixed CPU-bound workloads, prints BENCH lines,
#                           ALL-DONE, then poweroff -f
#   OUTDIR/initrd-boot.gz   initramfs: prints BOOT-OK and powers off (boot time only)
#   OUTDIR/initrd-par.gz    initramfs for several vCPUs: prints BOOT-OK and CPUS n=<processors
#                           in /proc/cpuinfo>, the md5 workload once, then N copies of it at
#                           once (name=md5par, result = the md5 when all N agree), ALL-DONE
#   OUTDIR/fpcheck.expected the token guests/fpcheck/fpcheck.c prints, computed on this host
#                           (the bench initrd runs the i386 build as workload "fp")
#   OUTDIR/MANIFEST         package versions + sha256 of every input and output
#
# Inputs come only from the Debian apt archive (apt-get download of i386 .debs);
# requires: dpkg --add-architecture i386 && apt-get update, plus dpkg, cpio, gzip, and gcc
# with 32-bit support (gcc-multilib) for fpcheck.
# The cpio archives are built reproducibly (sorted, uid/gid 0, mtime 0, gzip -n),
# so the same .debs always give byte-identical initrds.
#
# Kernel command line to use:  console=ttyS0 quiet panic=-1   (add nothing else)
#
# Guest output protocol (serial console, one line each):
#   BOOT-OK uptime=<guest secs since boot>
#   BENCH-START uptime=<guest secs>   (after untimed setup: tmpfs + staging the 8 MiB gzip input)
#   BENCH name=<name> secs=<guest elapsed secs> result=<deterministic hash/count>
#   ALL-DONE uptime=<guest secs>
# Guest times come from /proc/uptime (10 ms resolution); they track host wall
# time only when the emulator's guest clock does (QEMU TCG, v86: yes; Bochs with
# clock sync=none: no, its clock is instructions/ips).
#
# Expected results (identical on QEMU TCG, v86, Bochs and natively on the host):
#   md5  58f06dd588d8ffb3beb46ada6309436b     sort 4c88e650a79a06a7bbd5990488f41f07
#   awk  452384729                            gzip 93792fd7a51bb3b7914760b98b149712
#   zcat e68ee92952657b0d337b467b34ee7f65     sys  200000+0        fork 500
#
# What the guest needs from the emulated CPU (Debian "686" flavour, non-PAE):
#   family >= 6 with CMOV and CX8 (the kernel executes LOCK CMPXCHG8B early in
#   start_kernel), FPU (x87: busybox awk and sort -n use doubles); PAE, SSE, APIC
#   and ACPI are optional (it also boots with qemu -cpu pentium2). A 16550 UART at
#   0x3f8 (console=ttyS0 -> 9600 8N1), PIT/PIC, and either a bzImage+initrd loader
#   (Linux boot protocol) or a BIOS + CD-ROM/disk for the ISO made by time-bochs.sh.
#
# Env overrides:
#   KPKG   kernel package  (default linux-image-6.1.0-47-686-unsigned)
#   KVERS  kernel version  (default 6.1.170-3; set to "" to take apt's candidate)
#   BBVERS busybox-static version (default 1:1.35.0-4+deb12u1+b1; "" = candidate)
#   DEBCACHE directory holding/receiving the .debs (default OUTDIR/debs)
set -euo pipefail

OUT=${1:?usage: $0 OUTDIR}
KPKG=${KPKG-linux-image-6.1.0-47-686-unsigned}
KPKG_PAE=${KPKG_PAE-${KPKG/-686-/-686-pae-}}
KVERS=${KVERS-6.1.170-3}
BBVERS=${BBVERS-1:1.35.0-4+deb12u1+b1}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
DEBCACHE=${DEBCACHE:-$OUT/debs}
mkdir -p "$DEBCACHE"
APTOPT=; [ "$(id -u)" = 0 ] && APTOPT="-o APT::Sandbox::User=root"

# ---- 1. fetch the two i386 packages -------------------------------------
fetch() { # pkg version
  local pkg=$1 ver=$2 spec
  spec="$pkg:i386"; [ -n "$ver" ] && spec="$spec=$ver"
  local vfile=${ver//:/%3a}
  if [ -n "$ver" ] && ls "$DEBCACHE/${pkg}_${vfile}_i386.deb" >/dev/null 2>&1; then
    echo "$DEBCACHE/${pkg}_${vfile}_i386.deb"; return
  fi
  ( cd "$DEBCACHE" && apt-get download -q $APTOPT "$spec" >&2 ) || {
    echo "apt-get download $spec failed (version gone from the archive? set KVERS/BBVERS='' or another KPKG)" >&2
    exit 1; }
  ls -t "$DEBCACHE/${pkg}_"*_i386.deb | head -1
}
KDEB=$(fetch "$KPKG" "$KVERS")
KDEB_PAE=$(fetch "$KPKG_PAE" "$KVERS")
BBDEB=$(fetch busybox-static "$BBVERS")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/refguest.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
dpkg -x "$KDEB" "$WORK/k"
dpkg -x "$BBDEB" "$WORK/bb"
cp "$WORK"/k/boot/vmlinuz-* "$OUT/bzImage"
chmod 644 "$OUT/bzImage"
dpkg -x "$KDEB_PAE" "$WORK/kpae"
cp "$WORK"/kpae/boot/vmlinuz-* "$OUT/bzImage-pae"
chmod 644 "$OUT/bzImage-pae"

# ---- 2. fpcheck: SSE2 and long double in user space (guests/fpcheck) ------
# One C source built twice: static i386 for the guest, and for this host, whose run gives the
# expected token (the program uses only exactly rounded operations; on x86-64 long double is
# the same x87 extended format and double arithmetic is SSE2, as in the i386 build).
FPSRC="$(cd "$(dirname "$0")/.." && pwd)/guests/fpcheck/fpcheck.c"
FPFLAGS="-O2 -msse2 -mssse3 -ffp-contract=off -fno-math-errno"
gcc -m32 -static $FPFLAGS -mfpmath=sse -o "$WORK/fpcheck" "$FPSRC" -lm || {
  echo "building fpcheck needs gcc with 32-bit support (Debian: gcc-multilib)" >&2; exit 1; }
gcc $FPFLAGS -o "$WORK/fpcheck-host" "$FPSRC" -lm
"$WORK/fpcheck-host" >"$OUT/fpcheck.expected"

# ---- 3. common rootfs ----------------------------------------------------
mkroot() { # dir
  local R=$1
  mkdir -p "$R"/bin "$R"/sbin "$R"/dev "$R"/proc "$R"/sys "$R"/tmp "$R"/etc "$R"/root
  cp "$WORK/bb/bin/busybox" "$R/bin/busybox"
  chmod 755 "$R/bin/busybox"
  install -m 755 "$WORK/fpcheck" "$R/bin/fpcheck"
  # applet symlinks made at build time (saves guest boot time); if this host
  # cannot run the i386 binary, /init falls back to busybox --install.
  if "$R/bin/busybox" --list >"$WORK/applets" 2>/dev/null && [ -s "$WORK/applets" ]; then
    while read -r a; do
      [ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"
    done <"$WORK/applets"
  fi
  # /dev/console for the kernel's initial stdio (kernel also ships one in its
  # built-in initramfs); needs root, harmless to skip.
  mknod -m 600 "$R/dev/console" c 5 1 2>/dev/null || true
  cat >"$R/etc/profile" <<'EOF'
export PATH=/bin:/sbin
EOF
}

INIT_HEAD='#!/bin/busybox sh
export PATH=/bin:/sbin
[ -e /bin/sh ] || /bin/busybox --install -s /bin
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
up() { read -r u _ </proc/uptime; echo "$u"; }
# off: "stty cs8" is a no-op setting applied with TCSETSW, i.e. after the serial
# transmit buffer has drained, so the last line is not cut off by poweroff -f
# (seen on Bochs, which models UART baud-rate timing: console=ttyS0 is 9600 baud).
off() { stty cs8 2>/dev/null; poweroff -f; }
echo "BOOT-OK uptime=$(up)"
'

cat >"$WORK/init-boot" <<EOF
$INIT_HEAD
off
EOF

# Workloads (all busybox applets, all deterministic; ~9 s under QEMU TCG):
#  md5  : md5sum of 32 MiB of zeros from /dev/zero       (integer hash loop, pipe copies)
#  sort : seq 1 100000 | rev | sort -n | md5sum          (scrambled integers; busybox sort -n does
#         atof() on both keys per comparison: glibc strtod + x87 compare, qsort, malloc)
#  awk  : awk Park-Miller LCG, 100000 steps, sum mod p   (interpreter + x87 FP: i386 busybox awk uses doubles)
#  gzip : gzip -9 of 8 MiB = /bin/busybox repeated, cut at 8 MiB (deflate; copies are 2 MB apart,
#         far beyond the 32 KiB window). NB: Debian's busybox gzip ignores the level (-9 == -6 output).
#  zcat : inflate that stream again -> md5sum            (equals md5 of the 8 MiB input)
#  sys  : dd bs=1 count=200000 if=/dev/zero of=/dev/null (400k read/write syscalls, one process)
#  fork : 500 x fork+exec of /bin/busybox true           (MMU, page faults, COW, exec, CR3 switches)
#  fp   : /bin/fpcheck (guests/fpcheck): SSE2 scalar/packed doubles, singles, conversions, packed
#         integers, x87 long double; result = the token the build host computed (fpcheck.expected)
# The 8 MiB input is staged in tmpfs before the first BENCH (untimed).
cat >"$WORK/init-bench" <<EOF
$INIT_HEAD
bench() { # name command...
  n=\$1; shift
  t0=\$(up); r=\$(eval "\$*"); t1=\$(up)
  set -- \$r
  echo "BENCH name=\$n secs=\$(awk "BEGIN{printf \\"%.2f\\", \$t1-\$t0}") result=\$1"
}
mount -t tmpfs -o size=96m tmpfs /tmp
cat /bin/busybox /bin/busybox /bin/busybox /bin/busybox /bin/busybox | head -c 8388608 >/tmp/data
echo "BENCH-START uptime=\$(up)"
bench md5  'dd if=/dev/zero bs=1M count=32 2>/dev/null | md5sum'
bench sort 'seq 1 100000 | rev | sort -n | md5sum'
bench awk  'awk "BEGIN{x=42;for(i=0;i<100000;i++){x=(x*16807)%2147483647;s=(s+x)%1000000007};print s}"'
bench gzip 'gzip -9 </tmp/data >/tmp/data.gz; md5sum </tmp/data.gz'
bench zcat 'zcat /tmp/data.gz | md5sum'
bench sys  'dd if=/dev/zero of=/dev/null bs=1 count=200000 2>&1 | head -1'
bench fork 'i=0; while [ \$i -lt 500 ]; do /bin/busybox true; i=\$((i+1)); done; echo \$i'
bench fp   '/bin/fpcheck'
rm -f /tmp/data /tmp/data.gz
echo "ALL-DONE uptime=\$(up)"
off
EOF

# md5par: the md5 workload N times at once, N = the processors Linux brought up; on N host
# cores it should take about as long as one copy (scripts/bench-smp.sh compares with QEMU)
cat >"$WORK/init-par" <<EOF
$INIT_HEAD
mount -t tmpfs -o size=16m tmpfs /tmp
N=\$(grep -c ^processor /proc/cpuinfo)
echo "CPUS n=\$N"
md5() { dd if=/dev/zero bs=1M count=32 2>/dev/null | md5sum; }
t0=\$(up); set -- \$(md5); t1=\$(up)
echo "BENCH name=md5 secs=\$(awk "BEGIN{printf \\"%.2f\\", \$t1-\$t0}") result=\$1"
t0=\$(up)
i=0; while [ \$i -lt \$N ]; do md5 >/tmp/par.\$i & i=\$((i+1)); done; wait
t1=\$(up)
if [ "\$(cat /tmp/par.* | sort -u | wc -l)" = 1 ]; then set -- \$(cat /tmp/par.0); else set -- DIFFERENT; fi
echo "BENCH name=md5par secs=\$(awk "BEGIN{printf \\"%.2f\\", \$t1-\$t0}") result=\$1 copies=\$N"
echo "ALL-DONE uptime=\$(up)"
off
EOF

mkcpio() { # rootdir initfile outfile
  local R=$1
  install -m 755 "$2" "$R/init"
  find "$R" -exec touch -h -d @0 {} +
  ( cd "$R" && find . -mindepth 1 | LC_ALL=C sort |
      cpio -o -H newc -R 0:0 --reproducible --quiet ) | gzip -9 -n >"$3"
}
mkroot "$WORK/rootfs"
mkcpio "$WORK/rootfs" "$WORK/init-bench" "$OUT/initrd-bench.gz"
mkcpio "$WORK/rootfs" "$WORK/init-boot"  "$OUT/initrd-boot.gz"
mkcpio "$WORK/rootfs" "$WORK/init-par"   "$OUT/initrd-par.gz"
cat >"$WORK/init-shell" <<EOF
$INIT_HEAD
echo "jvisor Debian guest: busybox shell on the console; 'poweroff -f' ends the VM"
setsid cttyhack sh -l
off
EOF
mkcpio "$WORK/rootfs" "$WORK/init-shell" "$OUT/initrd-shell.gz"
cp "$WORK/init-bench" "$OUT/init-bench.sh"
cp "$WORK/init-boot"  "$OUT/init-boot.sh"
cp "$WORK/init-par"   "$OUT/init-par.sh"

{
  echo "kernel-deb:  $(basename "$KDEB")  sha256=$(sha256sum <"$KDEB" | cut -d' ' -f1)"
  echo "kernel-pae:  $(basename "$KDEB_PAE")  sha256=$(sha256sum <"$KDEB_PAE" | cut -d' ' -f1)"
  echo "busybox-deb: $(basename "$BBDEB")  sha256=$(sha256sum <"$BBDEB" | cut -d' ' -f1)"
  echo "cmdline:     console=ttyS0 quiet panic=-1"
  (cd "$OUT" && sha256sum bzImage bzImage-pae initrd-bench.gz initrd-boot.gz initrd-par.gz initrd-shell.gz fpcheck.expected)
} >"$OUT/MANIFEST"
cat "$OUT/MANIFEST"
