#!/usr/bin/env bash
# Issue 4 benchmark: 159-backend start-up time and PUBLISH -> visible propagation latency (p50/p99 over 100 changes).
# Loopback only. Needs Redis on 127.0.0.1:6379 (keys under a unique prefix, removed afterwards) and redis-cli.
# Usage: bench/broker-cluster/run.sh [changes]   (default 100)
set -euo pipefail
cd "$(dirname "$0")/../.."
CHANGES="${1:-100}"
./mvnw -B -q -pl broker-service,integration-tests -am install -DskipTests
./mvnw -B -q -pl integration-tests exec:java -Dexec.mainClass=dev.manifold.it.bench.BrokerClusterBench \
  -Dexec.classpathScope=test -Dbench.changes="$CHANGES" \
  -Dmanifold.repo.root="$PWD" -Dmanifold.it.logs="$PWD/integration-tests/target/it-logs" \
  -Dmanifold.it.work="$PWD/integration-tests/target/it-work"
