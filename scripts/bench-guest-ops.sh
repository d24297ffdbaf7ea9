#!/bin/sh
# JMH: the seed's privileged operations as guest loops (cli/sti, int 0x80, sysenter, page
# fault + map, push cs/sgdt), host nanoseconds per iteration under each engine.
#   usage: scripts/bench-guest-ops.sh [JMH options, e.g. -f 1 -wi 3 -i 5]
exec "$(dirname "$0")/jmh.sh" GuestOpsBenchmark "$@"
