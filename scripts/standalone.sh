#!/usr/bin/env bash
# Runs the Manifold broker in standalone mode, aggregating two real example MCP servers, on this machine:
#   1. installs the npm MCP peers (integration-tests/node) when they are missing or stale;
#   2. builds the broker jar when it is missing or older than its sources;
#   3. starts two @modelcontextprotocol/server-everything processes in streamableHttp mode (alpha, beta);
#   4. starts the broker on examples/standalone.yaml and prints how to reach it;
#   5. stops every process it started on Ctrl-C or exit.
# Needs: Java 17+ (`java`), Node.js 20+ (`node`, `npm`). Nothing else: no Redis, no Kubernetes, no Docker.
#
# Environment (all optional):
#   ALPHA_PORT=3001 BETA_PORT=3002   ports of the two example servers
#   BROKER_PORT=8080                 the broker's HTTP port (MCP at /mcp)
#   BROKER_HOST=127.0.0.1            the broker's bind address
#   CONFIG=examples/standalone.yaml  the broker's config file (watched). With non-default example ports, a copy with
#                                    the ports rewritten is written to RUN_DIR and used instead.
#   RUN_DIR=.run/standalone          logs and generated files
#   JAVA=java NODE=node              the launchers to use
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ALPHA_PORT=${ALPHA_PORT:-3001}
BETA_PORT=${BETA_PORT:-3002}
BROKER_PORT=${BROKER_PORT:-8080}
BROKER_HOST=${BROKER_HOST:-127.0.0.1}
CONFIG=${CONFIG:-$ROOT/examples/standalone.yaml}
RUN_DIR=${RUN_DIR:-$ROOT/.run/standalone}
JAVA=${JAVA:-java}
NODE=${NODE:-node}
NODE_DIR=$ROOT/integration-tests/node
LOG_TAG=standalone
# shellcheck source=lib/processes.sh
source "$ROOT/scripts/lib/processes.sh"

# --- prerequisites -----------------------------------------------------------------------------------------------
command -v "$NODE" >/dev/null || die "Node.js 20+ is needed ('$NODE' not found)"
command -v "$JAVA" >/dev/null || die "Java 17+ is needed ('$JAVA' not found)"
node_major=$("$NODE" -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || die "Node.js 20+ is needed, found $("$NODE" --version)"
java_major=$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
((${java_major:-0} >= 17)) || die "Java 17+ is needed, '$JAVA' is ${java_major:-unknown}"
for port in "$ALPHA_PORT" "$BETA_PORT" "$BROKER_PORT"; do
  port_open "$port" && die "port $port is already in use (set ALPHA_PORT, BETA_PORT or BROKER_PORT)"
done
[[ -f $CONFIG ]] || die "config file $CONFIG does not exist"
mkdir -p "$RUN_DIR"

"$NODE" "$NODE_DIR/ensure-deps.mjs"

ensure_broker_jar

if [[ $CONFIG == "$ROOT/examples/standalone.yaml" && ($ALPHA_PORT != 3001 || $BETA_PORT != 3002) ]]; then
  sed -e "s#127.0.0.1:3001/#127.0.0.1:$ALPHA_PORT/#" -e "s#127.0.0.1:3002/#127.0.0.1:$BETA_PORT/#" \
    "$CONFIG" > "$RUN_DIR/standalone.yaml"
  CONFIG=$RUN_DIR/standalone.yaml
  say "example ports changed: using $CONFIG"
fi

# --- the example MCP servers -------------------------------------------------------------------------------------
EVERYTHING=$NODE_DIR/node_modules/@modelcontextprotocol/server-everything/dist/index.js
for backend in alpha beta; do
  if [[ $backend == alpha ]]; then port=$ALPHA_PORT; else port=$BETA_PORT; fi
  log=$RUN_DIR/$backend.log
  PORT=$port "$NODE" "$EVERYTHING" streamableHttp > "$log" 2>&1 &
  CHILDREN+=($!)
  wait_for "server-everything $backend" "$!" "$log" port_open "$port"
  say "server-everything $backend: http://127.0.0.1:$port/mcp (log $log)"
done

# --- the broker ----------------------------------------------------------------------------------------------------
broker_log=$RUN_DIR/broker.log
"$JAVA" -Dmanifold.broker.config-file="$CONFIG" -Dquarkus.http.port="$BROKER_PORT" \
  -Dquarkus.http.host="$BROKER_HOST" -jar "$BROKER_JAR" > >(tee "$broker_log") 2>&1 &
BROKER_PID=$!
CHILDREN+=("$BROKER_PID")
wait_for "broker" "$BROKER_PID" "$broker_log" http_ok "http://127.0.0.1:$BROKER_PORT/q/health/ready"

CLIENT="node integration-tests/node/mcp-client.mjs --url http://127.0.0.1:$BROKER_PORT/mcp"
cat >&2 <<MSG

  Manifold broker (standalone) is up.
    MCP endpoint  http://$BROKER_HOST:$BROKER_PORT/mcp   (Streamable HTTP: point any MCP client here)
    list tools    $CLIENT tools
    call a tool   $CLIENT call alpha_echo '{"message":"hello"}'
    health        http://127.0.0.1:$BROKER_PORT/q/health/ready
    metrics       http://127.0.0.1:$BROKER_PORT/q/metrics
    config        $CONFIG  (watched: edit it and the broker applies the change)
    logs          $RUN_DIR/
  Ctrl-C stops the broker and both example servers.

MSG

wait "$BROKER_PID"
