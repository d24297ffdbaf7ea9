#!/bin/sh
# Assembles the demo guest (guests/demo/demo.asm, with guests/tests/lib.inc) into a multiboot
# v1 ELF kernel and installs it as src/main/resources/guests/demo.elf, which `jvisor demo`
# loads from the jar. Needs nasm and GNU ld (binutils). The output is reproducible: no build
# ids, no absolute paths, the same bytes on every run.
#   usage: sh guests/demo/build.sh [OUTPUT]      (default src/main/resources/guests/demo.elf)
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-$ROOT/src/main/resources/guests/demo.elf}
case "$OUT" in
    /*) ;;
    *) OUT=$(pwd)/$OUT ;;
esac

for tool in nasm ld; do
    command -v "$tool" >/dev/null 2>&1 || { echo "build.sh: $tool is not installed" >&2; exit 1; }
done

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

# relative paths only, so that nothing about this machine ends up in the image
cd "$HERE"
nasm -f elf32 -Werror -I ./ -I ../tests/ -o "$TMP/demo.o" demo.asm
ld -m elf_i386 -T link.ld -nostdlib --build-id=none -z noexecstack -o "$TMP/demo.elf" "$TMP/demo.o"
mkdir -p "$(dirname "$OUT")"
cp "$TMP/demo.elf" "$OUT"
echo "built $OUT"
