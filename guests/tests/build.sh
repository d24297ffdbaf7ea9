#!/bin/sh
# Assembles every guest test in this directory to OUTDIR/NAME.elf (a multiboot v1 ELF kernel).
# Needs nasm and GNU ld (binutils). The output is reproducible: no build ids, no absolute paths.
#   usage: guests/tests/build.sh OUTDIR [NAME...]
set -eu

if [ $# -lt 1 ]; then
    echo "usage: $0 OUTDIR [NAME...]" >&2
    exit 2
fi
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
shift
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"

for tool in nasm ld; do
    command -v "$tool" >/dev/null 2>&1 || { echo "build.sh: $tool is not installed" >&2; exit 1; }
done

if [ $# -eq 0 ]; then
    set -- $(ls ./*.asm | sed 's|^\./||; s|\.asm$||' | sort)
fi

for name in "$@"; do
    nasm -f elf32 -Werror -I ./ -o "$OUT/$name.o" "$name.asm"
    ld -m elf_i386 -T link.ld -nostdlib --build-id=none -z noexecstack \
        -o "$OUT/$name.elf" "$OUT/$name.o"
    rm -f "$OUT/$name.o"
    echo "built $OUT/$name.elf"
done
