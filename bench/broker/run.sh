#!/usr/bin/env bash
# Benchmark: MCP tools/call of server-everything's `echo` tool, in one run, through three paths to ONE backend:
#   direct   the SDK client -> server-everything                     (Streamable HTTP)
#   broker   the SDK client -> Manifold broker (standalone) -> backend (Streamable HTTP both hops)
#   mcp-hub  the SDK client -> mcp-hub 4.2.1 unified /mcp -> backend  (client side: legacy HTTP+SSE, the only
#            transport mcp-hub's unified endpoint offers; backend side: Streamable HTTP)
# Each path gets the same closed-loop load (integration-tests/node/mcp-load.mjs: SESSIONS MCP sessions, one
# outstanding tools/call each, WARMUP_S seconds unmeasured, then DURATION_S seconds measured) and the script prints a
# table of requests/s, p50 and p99 latency, with ratios against direct and against mcp-hub.
# Everything binds to 127.0.0.1 on free ports, runs for a bounded time, and is stopped on exit.
#
# Environment (optional): SESSIONS=8 DURATION_S=15 WARMUP_S=5 ROUNDS=1 RUN_DIR=bench/broker/target JAVA=java NODE=node BROKER_JAR=...
#   TARGETS="direct broker mcp-hub" (a subset runs only those paths)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SESSIONS=${SESSIONS:-8}
DURATION_S=${DURATION_S:-15}
WARMUP_S=${WARMUP_S:-5}
ROUNDS=${ROUNDS:-1}
TARGETS=${TARGETS:-direct broker mcp-hub}
RUN_DIR=${RUN_DIR:-$ROOT/bench/broker/target}
JAVA=${JAVA:-java}
NODE=${NODE:-node}
NODE_DIR=$ROOT/integration-tests/node
LOG_TAG=bench
# shellcheck source=../../scripts/lib/processes.sh
source "$ROOT/scripts/lib/processes.sh"

tools_include() { # <url> <tool> [transport]
  "$NODE" "$NODE_DIR/mcp-client.mjs" --url "$1" --transport "${3:-streamable-http}" tools 2>/dev/null \
    | "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s);process.exit((o.tools||[]).some(t=>t.name===process.argv[1])?0:1)})' "$2"
}

rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
"$NODE" "$NODE_DIR/ensure-deps.mjs"
if [[ " $TARGETS " == *" broker "* ]]; then
  ensure_broker_jar
fi

# --- the one backend ---------------------------------------------------------------------------------------------
BACKEND_PORT=$(free_port)
PORT=$BACKEND_PORT "$NODE" "$NODE_DIR/node_modules/@modelcontextprotocol/server-everything/dist/index.js" \
  streamableHttp > "$RUN_DIR/server-everything.log" 2>&1 &
CHILDREN+=($!)
wait_for server-everything "$!" "$RUN_DIR/server-everything.log" port_open "$BACKEND_PORT"
BACKEND_URL=http://127.0.0.1:$BACKEND_PORT/mcp
say "server-everything at $BACKEND_URL"

# --- the broker in front of it -------------------------------------------------------------------------------------
if [[ " $TARGETS " == *" broker "* ]]; then
  BROKER_PORT=$(free_port)
  cat > "$RUN_DIR/broker.yaml" <<YAML
prefixMode: always
servers:
  - name: everything
    url: $BACKEND_URL
    toolPrefix: everything_
    enabled: true
YAML
  "$JAVA" -Dmanifold.broker.config-file="$RUN_DIR/broker.yaml" -Dquarkus.http.port="$BROKER_PORT" \
    -Dquarkus.http.host=127.0.0.1 -jar "$BROKER_JAR" > "$RUN_DIR/broker.log" 2>&1 &
  CHILDREN+=($!)
  wait_for broker "$!" "$RUN_DIR/broker.log" http_ok "http://127.0.0.1:$BROKER_PORT/q/health/ready"
  wait_for "broker listing everything_echo" "$!" "$RUN_DIR/broker.log" \
    tools_include "http://127.0.0.1:$BROKER_PORT/mcp" everything_echo
  say "broker at http://127.0.0.1:$BROKER_PORT/mcp"
fi

# --- mcp-hub in front of it --------------------------------------------------------------------------------------
if [[ " $TARGETS " == *" mcp-hub "* ]]; then
  HUB_PORT=$(free_port)
  mkdir -p "$RUN_DIR/hub-home"
  printf '{"mcpServers":{"everything":{"url":"%s"}}}\n' "$BACKEND_URL" > "$RUN_DIR/mcp-hub.json"
  # mcp-hub keeps logs and a workspace cache under XDG dirs / HOME: keep them inside RUN_DIR.
  HOME=$RUN_DIR/hub-home XDG_STATE_HOME=$RUN_DIR/hub-home/state XDG_CONFIG_HOME=$RUN_DIR/hub-home/config \
    XDG_DATA_HOME=$RUN_DIR/hub-home/data XDG_CACHE_HOME=$RUN_DIR/hub-home/cache \
    "$NODE" "$NODE_DIR/node_modules/mcp-hub/dist/cli.js" --port "$HUB_PORT" --config "$RUN_DIR/mcp-hub.json" \
    > "$RUN_DIR/mcp-hub.log" 2>&1 &
  CHILDREN+=($!)
  wait_for mcp-hub "$!" "$RUN_DIR/mcp-hub.log" http_ok "http://127.0.0.1:$HUB_PORT/api/health"
  wait_for "mcp-hub listing everything__echo" "$!" "$RUN_DIR/mcp-hub.log" \
    tools_include "http://127.0.0.1:$HUB_PORT/mcp" everything__echo sse
  say "mcp-hub at http://127.0.0.1:$HUB_PORT/mcp (legacy HTTP+SSE)"
fi

# --- load: the paths in turn, ROUNDS times (interleaved, so background noise hits every path alike) -------------
results=()
for round in $(seq 1 "$ROUNDS"); do
  for target in $TARGETS; do
    case $target in
      direct)  args=(--url "$BACKEND_URL" --tool echo) ;;
      broker)  args=(--url "http://127.0.0.1:$BROKER_PORT/mcp" --tool everything_echo) ;;
      mcp-hub) args=(--url "http://127.0.0.1:$HUB_PORT/mcp" --tool everything__echo --transport sse) ;;
      *) die "unknown target $target (direct, broker, mcp-hub)" ;;
    esac
    say "round $round/$ROUNDS, $target: $SESSIONS sessions, ${WARMUP_S}s warm-up + ${DURATION_S}s measured"
    "$NODE" "$NODE_DIR/mcp-load.mjs" "${args[@]}" --label "$target" --sessions "$SESSIONS" \
      --warmup-s "$WARMUP_S" --duration-s "$DURATION_S" > "$RUN_DIR/$target-$round.json" || say "$target had failures"
    results+=("$RUN_DIR/$target-$round.json")
  done
done

java_version=$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p')
echo
echo "echo tools/call, $SESSIONS concurrent MCP sessions, ${DURATION_S}s measured after ${WARMUP_S}s warm-up," \
  "$ROUNDS round(s) (median per path);" \
  "loopback; $(nproc) CPUs shared by load generator and servers; node $("$NODE" --version), java $java_version"
"$NODE" "$ROOT/bench/broker/report.mjs" "${results[@]}"
echo "raw results and logs: $RUN_DIR"
