#!/usr/bin/env bash
# Issue 14 scale benchmark: the packaged broker with 1,000 backends x 20 tools, one backend changing its tools:
# broker CPU per change and change -> callable latency (p50/p99). Loopback only; no Redis needed (standalone mode).
# Usage: bench/broker-scale/run.sh [backends] [tools] [changes]   (defaults 1000 20 40)
set -euo pipefail
cd "$(dirname "$0")/../.."
./mvnw -B -q -pl broker-service,integration-tests -am install -DskipTests
./mvnw -B -q -pl integration-tests exec:java -Dexec.mainClass=dev.manifold.it.bench.CatalogFlapBench \
  -Dexec.classpathScope=test -Dbench.backends="${1:-1000}" -Dbench.tools="${2:-20}" -Dbench.flaps="${3:-40}" \
  -Dmanifold.repo.root="$PWD" -Dmanifold.it.logs="$PWD/integration-tests/target/it-logs" \
  -Dmanifold.it.work="$PWD/integration-tests/target/it-work"
