#!/bin/sh
# Runs the built guest tests on QEMU (the reference machine) and reports PASS/FAIL for each.
# A test passes when QEMU exits with status 1 (isa-debug-exit value 0).
#   usage: guests/tests/run-qemu.sh OUTDIR [NAME...]
set -u

if [ $# -lt 1 ]; then
    echo "usage: $0 OUTDIR [NAME...]" >&2
    exit 2
fi
OUT=$1
shift
if [ $# -eq 0 ]; then
    set -- $(ls "$OUT"/*.elf | sed 's|.*/||; s|\.elf$||' | sort)
fi

passed=0
failed=0
for name in "$@"; do
    log="$OUT/$name.qemu.log"
    timeout 60 qemu-system-i386 -accel tcg -cpu core2duo -device pc-testdev -device pci-testdev -kernel "$OUT/$name.elf" -display none -serial none \
        -debugcon stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot -m 64 \
        >"$log" 2>&1 </dev/null
    status=$?
    if [ "$status" -eq 1 ]; then
        passed=$((passed + 1))
        echo "PASS $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name (exit status $status)"
        sed 's/^/    /' "$log"
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
