#!/usr/bin/env bash
# Removal benchmark: the time of one config apply that removes most servers while many client sessions hold
# backend sessions with them (issue 11: 2,000 servers -> 3 with 105k sessions). Offline: the real ConfigApplier,
# BackendSupervisor and ClientSessions over an in-memory backend client; no network, Redis or Quarkus.
# Usage: bench/broker-removal/run.sh [servers] [keep] [sessions[,sessions...]] [backends per session]
#        (default 2000 3 10000,100000 3); HEAP=8g to change the heap.
set -euo pipefail
cd "$(dirname "$0")/../.."
./mvnw -B -q -pl broker-service -am test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
exec java -Xmx"${HEAP:-6g}" -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
  -cp "broker-service/target/test-classes:broker-service/target/classes:$(cat broker-service/target/bench.classpath)" \
  dev.manifold.broker.session.BackendRemovalBench "$@"
