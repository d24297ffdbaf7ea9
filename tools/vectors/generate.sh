#!/bin/sh
# Rebuild the harnesses and regenerate vector files (see README.md):
#   the 32-bit families (build/harness) -> src/test/resources/vectors32/
#   the SIMD families   (build/simd)    -> src/test/resources/vectorsSimd/
# Deterministic: each family has its own fixed PRNG seed, gzip runs with -n
# (no name/time).
# Usage: tools/vectors/generate.sh [--simd | --32] [FAMILY...]
#   no FAMILY: every family of both harnesses (--simd / --32: of one only)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out32="$here/../../src/test/resources/vectors32"
outsimd="$here/../../src/test/resources/vectorsSimd"
mode=all
case "${1:-}" in
    --simd) mode=simd; shift ;;
    --32) mode=32; shift ;;
esac
case $mode in
    all) "$here/build.sh" ;;
    simd) "$here/build.sh" simd ;;
    32) "$here/build.sh" harness ;;
esac
if [ $# -eq 0 ]; then
    fams=""
    [ $mode != simd ] && fams=$("$here/build/harness" --list | cut -d' ' -f1)
    [ $mode != 32 ] && fams="$fams $("$here/build/simd" --list | cut -d' ' -f1)"
    set -- $fams
fi
dirs=""
for fam in "$@"; do
    if [ $mode != 32 ] && "$here/build/simd" --list | cut -d' ' -f1 | grep -qx "$fam"; then
        bin="$here/build/simd" out="$outsimd"
    else
        bin="$here/build/harness" out="$out32"
    fi
    mkdir -p "$out"
    case " $dirs " in *" $out "*) ;; *) dirs="$dirs $out" ;; esac
    "$bin" "$fam" > "$out/$fam.txt.tmp"
    gzip -9 -n -c "$out/$fam.txt.tmp" > "$out/$fam.txt.gz"
    rm -f "$out/$fam.txt.tmp"
    printf '%-14s %7s bytes\n' "$fam" "$(wc -c < "$out/$fam.txt.gz")"
done
# cross-check every file against the reference models in check.py
if command -v python3 >/dev/null 2>&1; then
    for d in $dirs; do
        python3 "$here/check.py" --model "$d"/*.txt.gz
    done
fi
