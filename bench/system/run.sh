#!/usr/bin/env bash
# System benchmark: the packaged controller, two brokers and a proxy-runner on the fake cluster; MCPServer created
# -> its tool listed at both brokers, p50/p99 over 50 creations. Runs scripts/system.sh --bench.
# Usage: bench/system/run.sh [--build]   (JAVA_OPTS=-Dmanifold.system.bench.runs=N for another count)
set -euo pipefail
cd "$(dirname "$0")/../.."
exec scripts/system.sh --bench "$@"
