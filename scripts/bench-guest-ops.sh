#!/bin/sh
# JMH: the seed's privileged operations as guest loops (cli/sti, int 0x80, sysenter, page
# fault + map, push cs/sgdt), host nanoseconds per iteration under each engine.
#   usage: scripts/bench-guest-ops.sh [JMH options, e.g. -f 1 -wi 3 -i 5]
set -eu
cd "$(dirname "$0")/.."
./mvnw -q -Dmaven.test.skip.exec=true test-compile dependency:build-classpath -Dmdep.outputFile=target/test-cp.txt -Dmdep.includeScope=test >/dev/null
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
    -cp "target/classes:target/test-classes:$(cat target/test-cp.txt)" org.openjdk.jmh.Main GuestOpsBenchmark "$@"
