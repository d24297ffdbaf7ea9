#!/bin/sh
# Build the 32-bit vector harness into tools/vectors/build/harness.
set -eu
cd "$(dirname "$0")"
mkdir -p build
gcc -m32 -static -O2 -Wall -Wextra -fno-pie -no-pie \
    -o build/harness harness.c families.c entry.S
