#!/bin/sh
# Build the 32-bit vector harness into tools/vectors/build/harness and the
# SIMD harness (a 64-bit program, see README.md) into tools/vectors/build/simd.
# Usage: build.sh [harness|simd]   (default: both)
set -eu
cd "$(dirname "$0")"
mkdir -p build
what=${1:-all}
if [ "$what" = all ] || [ "$what" = harness ]; then
    gcc -m32 -static -O2 -Wall -Wextra -fno-pie -no-pie \
        -o build/harness harness.c families.c entry.S
fi
if [ "$what" = all ] || [ "$what" = simd ]; then
    gcc -static -O2 -Wall -Wextra -fno-pie -no-pie -DVECTORS_NO_RUNNER \
        -o build/simd simd.c simdfp.c x87.c harness.c entry64.S
fi
