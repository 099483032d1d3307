#!/usr/bin/env bash
# Controller benchmark: 1,000 MCPServers on the fabric8 mock API server (CRUD mode) and a private Redis: time to
# converge, API writes per minute afterwards (the loop detector: 0 at steady state), heap. Prints a table.
# Usage: bench/controller/run.sh [extra Maven options]   (the bench profile of controller-service; see its README)
set -euo pipefail
cd "$(dirname "$0")/../.."
exec ./mvnw -B -ntp -pl controller-service -am verify -Pbench "$@"
