#!/usr/bin/env bash
# Benchmark: MCP tools/call of an `echo` tool, in one run, through three paths to ONE backend:
#   direct   the client -> the backend
#   broker   the client -> Manifold broker (standalone) -> backend (Streamable HTTP both hops)
#   mcp-hub  the client -> mcp-hub 4.2.1 unified /mcp -> backend  (client side: legacy HTTP+SSE, the only
#            transport mcp-hub's unified endpoint offers; backend side: Streamable HTTP)
# for one or both backends (BACKEND):
#   everything  @modelcontextprotocol/server-everything. Each path gets the same closed-loop load from the SDK client
#               (integration-tests/node/mcp-load.mjs: SESSIONS MCP sessions, one outstanding tools/call each,
#               WARMUP_S seconds unmeasured, then DURATION_S seconds measured); the table gives requests/s, p50 and
#               p99, with ratios against direct and against mcp-hub.
#   fast        integration-tests/node/fast-mcp-server.mjs, a backend that answers in microseconds, to show the
#               fronts' own cost: each front's ceiling (closed loop, CEILING_SESSIONS sessions), the broker's added
#               p50/p99 at half its ceiling (open loop, fixed rate, direct and broker), the CPU µs per call of each
#               process, and the Kuadrant-style figure (avg and p95 with 10 concurrent clients). See the README.
# Everything binds to 127.0.0.1 on free ports, runs for a bounded time, and is stopped on exit.
#
# Environment (optional): BACKEND="everything fast" SESSIONS=8 DURATION_S=15 WARMUP_S=5 ROUNDS=1
#   CEILING_SESSIONS=32 FAST_DURATION_S=10 FAST_WARMUP_S=5 KUADRANT_SESSIONS=10 PREWARM_S=15
#   RUN_DIR=bench/broker/target JAVA=java NODE=node BROKER_JAR=...
#   TARGETS="direct broker mcp-hub" (a subset runs only those paths)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BACKEND=${BACKEND:-everything fast}
SESSIONS=${SESSIONS:-8}
DURATION_S=${DURATION_S:-15}
WARMUP_S=${WARMUP_S:-5}
ROUNDS=${ROUNDS:-1}
CEILING_SESSIONS=${CEILING_SESSIONS:-32}
FAST_DURATION_S=${FAST_DURATION_S:-10}
FAST_WARMUP_S=${FAST_WARMUP_S:-5}
KUADRANT_SESSIONS=${KUADRANT_SESSIONS:-10}
PREWARM_S=${PREWARM_S:-15}
TARGETS=${TARGETS:-direct broker mcp-hub}
RUN_DIR=${RUN_DIR:-$ROOT/bench/broker/target}
JAVA=${JAVA:-java}
NODE=${NODE:-node}
NODE_DIR=$ROOT/integration-tests/node
LOG_TAG=bench
# shellcheck source=../../scripts/lib/processes.sh
source "$ROOT/scripts/lib/processes.sh"

for b in $BACKEND; do
  [[ $b == everything || $b == fast ]] || die "unknown BACKEND $b (everything, fast)"
done
for t in $TARGETS; do
  [[ $t == direct || $t == broker || $t == mcp-hub ]] || die "unknown target $t (direct, broker, mcp-hub)"
done
has_target() { [[ " $TARGETS " == *" $1 "* ]]; }
CLK_TCK=$(getconf CLK_TCK)

tools_include() { # <url> <tool> [transport]
  "$NODE" "$NODE_DIR/mcp-client.mjs" --url "$1" --transport "${3:-streamable-http}" tools 2>/dev/null \
    | "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s);process.exit((o.tools||[]).some(t=>t.name===process.argv[1])?0:1)})' "$2"
}

rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
"$NODE" "$NODE_DIR/ensure-deps.mjs"
if has_target broker; then
  ensure_broker_jar
fi

# start_backend <kind>: starts the backend, sets BACKEND_URL and BACKEND_PID.
start_backend() {
  local port log=$RUN_DIR/$1-backend.log
  port=$(free_port)
  case $1 in
    everything)
      PORT=$port "$NODE" "$NODE_DIR/node_modules/@modelcontextprotocol/server-everything/dist/index.js" \
        streamableHttp > "$log" 2>&1 & ;;
    fast)
      "$NODE" "$NODE_DIR/fast-mcp-server.mjs" --port "$port" > "$log" 2>&1 & ;;
  esac
  BACKEND_PID=$!
  CHILDREN+=("$BACKEND_PID")
  wait_for "$1 backend" "$BACKEND_PID" "$log" port_open "$port"
  BACKEND_URL=http://127.0.0.1:$port/mcp
  say "$1 backend at $BACKEND_URL"
}

# start_broker <kind>: the broker in front of BACKEND_URL (tool <kind>_echo); sets BROKER_URL and BROKER_PID.
start_broker() {
  local port log=$RUN_DIR/$1-broker.log
  port=$(free_port)
  cat > "$RUN_DIR/$1-broker.yaml" <<YAML
prefixMode: always
servers:
  - name: $1
    url: $BACKEND_URL
    toolPrefix: ${1}_
    enabled: true
YAML
  "$JAVA" -Dmanifold.broker.config-file="$RUN_DIR/$1-broker.yaml" -Dquarkus.http.port="$port" \
    -Dquarkus.http.host=127.0.0.1 -jar "$BROKER_JAR" > "$log" 2>&1 &
  BROKER_PID=$!
  CHILDREN+=("$BROKER_PID")
  wait_for broker "$BROKER_PID" "$log" http_ok "http://127.0.0.1:$port/q/health/ready"
  BROKER_URL=http://127.0.0.1:$port/mcp
  wait_for "broker listing ${1}_echo" "$BROKER_PID" "$log" tools_include "$BROKER_URL" "${1}_echo"
  say "broker at $BROKER_URL"
}

# start_hub <kind>: mcp-hub in front of BACKEND_URL (tool <kind>__echo); sets HUB_URL and HUB_PID.
start_hub() {
  local port log=$RUN_DIR/$1-mcp-hub.log home=$RUN_DIR/$1-hub-home
  port=$(free_port)
  mkdir -p "$home"
  printf '{"mcpServers":{"%s":{"url":"%s"}}}\n' "$1" "$BACKEND_URL" > "$RUN_DIR/$1-mcp-hub.json"
  # mcp-hub keeps logs and a workspace cache under XDG dirs / HOME: keep them inside RUN_DIR.
  HOME=$home XDG_STATE_HOME=$home/state XDG_CONFIG_HOME=$home/config XDG_DATA_HOME=$home/data \
    XDG_CACHE_HOME=$home/cache \
    "$NODE" "$NODE_DIR/node_modules/mcp-hub/dist/cli.js" --port "$port" --config "$RUN_DIR/$1-mcp-hub.json" \
    > "$log" 2>&1 &
  HUB_PID=$!
  CHILDREN+=("$HUB_PID")
  wait_for mcp-hub "$HUB_PID" "$log" http_ok "http://127.0.0.1:$port/api/health"
  HUB_URL=http://127.0.0.1:$port/mcp
  wait_for "mcp-hub listing ${1}__echo" "$HUB_PID" "$log" tools_include "$HUB_URL" "${1}__echo" sse
  say "mcp-hub at $HUB_URL (legacy HTTP+SSE)"
}

# load <out.json> <kind> <target> <mcp-load args...>: one mcp-load run of a path, with the CPU of its processes.
load() {
  local out=$1 kind=$2 target=$3; shift 3
  local args
  case $target in
    direct)  args=(--url "$BACKEND_URL" --tool echo --cpu-pids "front=$BACKEND_PID") ;;
    broker)  args=(--url "$BROKER_URL" --tool "${kind}_echo" --cpu-pids "front=$BROKER_PID,backend=$BACKEND_PID") ;;
    mcp-hub) args=(--url "$HUB_URL" --tool "${kind}__echo" --transport sse --cpu-pids "front=$HUB_PID,backend=$BACKEND_PID") ;;
  esac
  "$NODE" "$NODE_DIR/mcp-load.mjs" "${args[@]}" --label "$target" --clk-tck "$CLK_TCK" "$@" > "$out" \
    || say "$target had failures"
}

java_version=$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p')
machine="loopback; $(nproc) CPUs shared by load generator and servers; node $("$NODE" --version), java $java_version"

for kind in $BACKEND; do
  start_backend "$kind"
  if has_target broker; then start_broker "$kind"; fi
  if has_target mcp-hub; then start_hub "$kind"; fi

  if [[ $kind == everything ]]; then
    # --- the paths in turn, ROUNDS times (interleaved, so background noise hits every path alike) ---------------
    results=()
    for round in $(seq 1 "$ROUNDS"); do
      for target in $TARGETS; do
        say "everything, round $round/$ROUNDS, $target: $SESSIONS sessions, ${WARMUP_S}s warm-up + ${DURATION_S}s measured"
        load "$RUN_DIR/everything-$target-$round.json" everything "$target" \
          --sessions "$SESSIONS" --warmup-s "$WARMUP_S" --duration-s "$DURATION_S"
        results+=("$RUN_DIR/everything-$target-$round.json")
      done
    done
    echo
    echo "server-everything backend: echo tools/call, SDK client, $SESSIONS concurrent MCP sessions," \
      "${DURATION_S}s measured after ${WARMUP_S}s warm-up, $ROUNDS round(s) (median per path); $machine"
    "$NODE" "$ROOT/bench/broker/report.mjs" "${results[@]}"
    echo
    continue
  fi

  # --- fast backend: ceilings, then half-load latency, then the Kuadrant-style figure -----------------------------
  # direct and broker are driven by the raw client (the SDK's client-side CPU would be the ceiling); mcp-hub's
  # unified endpoint only speaks legacy HTTP+SSE, which only the SDK client does.
  # The JVM's JIT needs far more calls than a per-row warm-up gives (a cold broker measured ~4x its warm CPU per
  # call): each front gets one unmeasured PREWARM_S run at full load first.
  for target in $TARGETS; do
    client=raw; [[ $target == mcp-hub ]] && client=sdk
    [[ $target == direct ]] && continue
    say "fast, pre-warm, $target: ${PREWARM_S}s at $CEILING_SESSIONS sessions, not measured"
    load "$RUN_DIR/fast-prewarm-$target.json.ignored" fast "$target" --client "$client" \
      --sessions "$CEILING_SESSIONS" --warmup-s 0 --duration-s "$PREWARM_S"
  done
  for target in $TARGETS; do
    client=raw; [[ $target == mcp-hub ]] && client=sdk
    say "fast, ceiling, $target: $CEILING_SESSIONS sessions closed loop ($client client), ${FAST_WARMUP_S}s + ${FAST_DURATION_S}s"
    load "$RUN_DIR/fast-ceiling-$target.json" fast "$target" --client "$client" \
      --sessions "$CEILING_SESSIONS" --warmup-s "$FAST_WARMUP_S" --duration-s "$FAST_DURATION_S"
  done
  if has_target broker && has_target mcp-hub; then
    # mcp-hub can only be driven by the SDK client: the broker once more with that same client, like for like.
    say "fast, ceiling, broker with the SDK client: $CEILING_SESSIONS sessions closed loop, ${FAST_WARMUP_S}s + ${FAST_DURATION_S}s"
    load "$RUN_DIR/fast-ceiling-broker-sdk.json" fast broker --label broker-sdk --client sdk \
      --sessions "$CEILING_SESSIONS" --warmup-s "$FAST_WARMUP_S" --duration-s "$FAST_DURATION_S"
  fi
  fast_results=("$RUN_DIR"/fast-ceiling-*.json)
  if has_target broker; then
    half=$("$NODE" -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));process.stdout.write(String(r.rps?Math.max(1,Math.round(r.rps/2)):0))' "$RUN_DIR/fast-ceiling-broker.json")
    if [[ $half == 0 ]]; then
      say "no broker ceiling measured: skipping the half-load rows"
    else
      for target in direct broker; do
        has_target "$target" || continue
        say "fast, half load, $target: $half calls/s open loop over $CEILING_SESSIONS sessions, ${FAST_WARMUP_S}s + ${FAST_DURATION_S}s"
        load "$RUN_DIR/fast-half-$target.json" fast "$target" --client raw --rate "$half" \
          --sessions "$CEILING_SESSIONS" --warmup-s "$FAST_WARMUP_S" --duration-s "$FAST_DURATION_S"
        fast_results+=("$RUN_DIR/fast-half-$target.json")
      done
    fi
  fi
  for target in direct broker; do
    has_target "$target" || continue
    say "fast, Kuadrant-style, $target: $KUADRANT_SESSIONS clients closed loop, ${FAST_WARMUP_S}s + ${FAST_DURATION_S}s"
    load "$RUN_DIR/fast-kuadrant-$target.json" fast "$target" --client raw \
      --sessions "$KUADRANT_SESSIONS" --warmup-s "$FAST_WARMUP_S" --duration-s "$FAST_DURATION_S"
    fast_results+=("$RUN_DIR/fast-kuadrant-$target.json")
  done
  echo
  echo "fast backend (fast-mcp-server.mjs): echo tools/call, ${FAST_DURATION_S}s measured after ${FAST_WARMUP_S}s warm-up" \
    "per row; $machine"
  "$NODE" "$ROOT/bench/broker/report-fast.mjs" "${fast_results[@]}"
  echo
done
echo "raw results and logs: $RUN_DIR"
