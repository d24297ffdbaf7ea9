#!/bin/sh
# Runs one JMH benchmark class of src/test/java/io/jvisor/bench.
#   usage: scripts/jmh.sh CLASS [JMH options, e.g. -f 1 -wi 3 -i 5]
set -eu
cd "$(dirname "$0")/.."
CLASS=${1:?usage: $0 CLASS [JMH options]}
shift
./mvnw -q -Dmaven.test.skip.exec=true test-compile dependency:build-classpath -Dmdep.outputFile=target/test-cp.txt -Dmdep.includeScope=test >/dev/null
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
    -cp "target/classes:target/test-classes:$(cat target/test-cp.txt)" org.openjdk.jmh.Main "$CLASS" "$@"
