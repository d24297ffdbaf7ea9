#!/bin/sh
# Rebuild the harness and regenerate every vector file under
# src/test/resources/vectors32/ (see README.md).  Deterministic: each
# family has its own fixed PRNG seed, gzip runs with -n (no name/time).
# Usage: tools/vectors/generate.sh [FAMILY...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../../src/test/resources/vectors32"
"$here/build.sh"
mkdir -p "$out"
if [ $# -eq 0 ]; then
    set -- $("$here/build/harness" --list | cut -d' ' -f1)
fi
for fam in "$@"; do
    "$here/build/harness" "$fam" > "$out/$fam.txt.tmp"
    gzip -9 -n -c "$out/$fam.txt.tmp" > "$out/$fam.txt.gz"
    rm -f "$out/$fam.txt.tmp"
    printf '%-10s %6s bytes\n' "$fam" "$(wc -c < "$out/$fam.txt.gz")"
done
# cross-check every file against the reference model in check.py
if command -v python3 >/dev/null 2>&1; then
    python3 "$here/check.py" --model "$out"/*.txt.gz
fi
