#!/usr/bin/env bash
# See the whole system on a laptop, no cluster needed: the controller, two brokers and two proxy-runners (the
# packaged jars) in Kubernetes mode against a fake cluster (the fabric8 mock API server in CRUD mode and a private
# redis-server), with the test harness playing kubelet. It applies the YAML in examples/cluster/ (an HTTPRoute-backed
# server, a URL server and a 3-replica workload server), waits until every MCPServer is Ready and prints
#   broker: http://127.0.0.1:<port>/mcp
# on a line of its own: point any MCP client at it. Ctrl-C stops everything it started.
#
# Usage: scripts/system.sh [--build] [--bench] [examples-dir]
#   --build   rebuild the jars and the harness first (done anyway when they are missing)
#   --bench   instead: the propagation benchmark (MCPServer created -> tool listed at both brokers, p50/p99 over
#             50 creations; -Dmanifold.system.bench.runs=N via JAVA_OPTS)
# Needs: Java 17, Node.js 20+ (npm MCP peers in integration-tests/node), redis-server and redis-cli on PATH.
# Logs: integration-tests/target/it-logs/system/ (one file per process), the hosts file that is the cluster DNS too.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAVA=${JAVA:-java}
NODE=${NODE:-node}
CP_FILE=$ROOT/integration-tests/target/system-classpath.txt
MAIN=dev.manifold.it.system.SystemMain
BUILD=false
ARGS=()
for arg in "$@"; do
  case "$arg" in
    --build) BUILD=true ;;
    --bench) MAIN=dev.manifold.it.system.PropagationBench ;;
    *) ARGS+=("$arg") ;;
  esac
done

for tool in redis-server redis-cli "$NODE" "$JAVA"; do
  command -v "$tool" >/dev/null || { echo "system.sh: $tool is required" >&2; exit 1; }
done
"$NODE" "$ROOT/integration-tests/node/ensure-deps.mjs"

for built in broker-service controller-service proxy-runner; do
  [ -f "$ROOT/$built/target/quarkus-app/quarkus-run.jar" ] || BUILD=true
done
[ -d "$ROOT/integration-tests/target/test-classes/dev/manifold/it/system" ] && [ -f "$CP_FILE" ] || BUILD=true
if $BUILD; then
  echo "system.sh: building the services and the harness (./mvnw package -pl integration-tests -am)"
  # Every module writes CP_FILE in turn; integration-tests, the last in the reactor, leaves its test classpath there.
  (cd "$ROOT" && ./mvnw -B -q -DskipTests package dependency:build-classpath -pl integration-tests -am \
      -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=test)
fi

# exec: Ctrl-C reaches the JVM, whose shutdown hook stops every process it started.
exec "$JAVA" ${JAVA_OPTS:-} -Dmanifold.repo.root="$ROOT" -Dmanifold.it.node="$NODE" \
  -Dmanifold.it.logs="$ROOT/integration-tests/target/it-logs" \
  -cp "$ROOT/integration-tests/target/test-classes:$(cat "$CP_FILE")" "$MAIN" ${ARGS[@]+"${ARGS[@]}"}
