#!/bin/sh
# JMH: guest instructions per second on register and memory loops, under each engine.
#   usage: scripts/bench-interpreter.sh [JMH options, e.g. -f 1 -wi 3 -i 5]
exec "$(dirname "$0")/jmh.sh" InterpreterBenchmark "$@"
