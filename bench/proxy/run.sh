#!/usr/bin/env bash
# Benchmark: the same fast MCP-shaped backend measured directly, through nginx (plain reverse proxy), through the
# proxy-runner and through netty-floor (bench/proxy/NettyFloor.java: a bare Netty relay, the JVM's floor), in one run, on
# loopback only. Prints req/s, p50, p99 and the ratios against nginx, the Redis
# operations per proxied request and the memory per 10k sessions. Bounded: about 2 minutes.
#
#   ./mvnw -B -pl proxy-runner -am package -DskipTests && bench/proxy/run.sh
#
# Needs: nginx and wrk (Debian packages), redis-server reachable at $REDIS (default 127.0.0.1:6379), Java 17.
# Env: DURATION (default 10s per measured run), WARMUP (10s: an untimed wrk run against each target just before its
#      measured run), CONNECTIONS (32), THREADS (2), SESSIONS_SECONDS (4),
#      WORKERS (1: the front nginx's worker_processes AND the proxy-runner's event loops, so both proxies get the
#      same number of threads), PROXY_JAVA_OPTS (extra JVM options for the proxy-runner),
#      JAR (the proxy-runner to measure, default proxy-runner/target/quarkus-app/quarkus-run.jar).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
JAR="${JAR:-$ROOT/proxy-runner/target/quarkus-app/quarkus-run.jar}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-10s}"
WORKERS="${WORKERS:-1}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
SESSIONS_SECONDS="${SESSIONS_SECONDS:-4}"
REDIS_HOST="${REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${REDIS_PORT:-6379}"
PREFIX="bench-proxy-$$"
WORK="$(mktemp -d /tmp/manifold-proxy-bench.XXXXXX)"
PIDS=()

[ -f "$JAR" ] || { echo "Build first: ./mvnw -B -pl proxy-runner -am package -DskipTests" >&2; exit 1; }
command -v nginx >/dev/null && command -v wrk >/dev/null || { echo "Install nginx and wrk: apt-get install -y nginx wrk" >&2; exit 1; }

# shellcheck source=lib.sh
source "$ROOT/bench/proxy/lib.sh"
trap cleanup EXIT
start_backend_and_nginx
PROXY_PORT=$(free_port)
# The JVM as deploy/proxy-runner runs it: a 512 MiB memory limit, under which the JVM's ergonomics pick the serial
# collector (no "server-class machine" below 1792 MiB). On this host (more memory) it would pick G1 instead.
java -Xmx512m -XX:+UseSerialGC -Dquarkus.vertx.event-loops-pool-size="$WORKERS" ${PROXY_JAVA_OPTS:-} -Dquarkus.http.port=$PROXY_PORT -Dquarkus.http.host=127.0.0.1 \
  -Dmanifold.proxy.routes-file="$WORK/routes.yaml" -Dmanifold.proxy.redis-prefix=$PREFIX \
  -Dquarkus.redis.hosts=redis://$REDIS_HOST:$REDIS_PORT -jar "$JAR" > "$WORK/proxy.log" 2>&1 &
PROXY_PID=$!; PIDS+=($PROXY_PID)
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$PROXY_PORT/q/health/ready" >/dev/null && break; sleep 0.2; done
# The floor: bench/proxy/NettyFloor.java, the least a proxy on the same JVM, Netty and transport does (see its javadoc).
FLOOR_PORT=$(free_port)
java -Xmx512m -XX:+UseSerialGC -cp "$(ls "$(dirname "$JAR")"/lib/main/io.netty.*.jar | tr '\n' ':')" \
  "$ROOT/bench/proxy/NettyFloor.java" "$FLOOR_PORT" "$BACKEND_PORT" "$WORKERS" > "$WORK/floor.log" 2>&1 &
PIDS+=($!)

INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}'
SID=$(curl -s -D - -o /dev/null -X POST "http://127.0.0.1:$PROXY_PORT/bench/echo/mcp" -H 'content-type: application/json' \
  -H 'accept: application/json, text/event-stream' -d "$INIT" | awk 'tolower($1)=="mcp-session-id:" {print $2}' | tr -d '\r')
[ -n "$SID" ] || { echo "could not open a session through the proxy-runner; see $WORK/proxy.log" >&2; exit 1; }

write_lua "$WORK/call.lua" "$SID"
cat > "$WORK/init.lua" <<LUA
wrk.method = "POST"
wrk.body = '$INIT'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
LUA

redis_ops() { curl -s "http://127.0.0.1:$PROXY_PORT/q/metrics" | awk '/^manifold_proxy_redis_ops_total/ && !/op="ping"/ {s+=$2} END {printf "%d", s}'; }
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v+0 } else if (v ~ /s$/) { sub(/s$/,"",v); print v*1000 } else print v }'; }
run() { # label url -> "label rps p50ms p99ms requests"; an untimed warm-up run first (JIT, caches, pools)
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$WORK/call.lua" "$2" >/dev/null
  local out; out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/call.lua" "$2")
  echo "$out" > "$WORK/wrk-$1.txt"
  local rps p50 p99 reqs errs
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(to_ms "$(echo "$out" | awk '$1=="50%" {print $2}')")
  p99=$(to_ms "$(echo "$out" | awk '$1=="99%" {print $2}')")
  reqs=$(echo "$out" | awk '/requests in/ {print $1}')
  errs=$(echo "$out" | awk '/Non-2xx/ {print $4}')
  echo "$1 $rps $p50 $p99 $reqs ${errs:-0}"
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
LOAD_BEFORE=$(loadavg)
DIRECT=$(run direct "http://127.0.0.1:$BACKEND_PORT/mcp")
NGINX=$(run nginx "http://127.0.0.1:$NGINX_PORT/mcp")
OPS_BEFORE=$(redis_ops)
PROXY=$(run proxy-runner "http://127.0.0.1:$PROXY_PORT/bench/echo/mcp")
OPS_AFTER=$(redis_ops)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$FLOOR_PORT/" -X POST -d '{}' && break; sleep 0.2; done
FLOOR=$(run netty-floor "http://127.0.0.1:$FLOOR_PORT/mcp")
LOAD_AFTER=$(loadavg)

# Memory per 10k sessions: heap after full GC, before and after opening as many sessions as wrk manages.
# The used bytes of every heap space GC.heap_info lists with a total (G1: one 'garbage-first heap' line; serial: the
# 'def new generation' and 'tenured generation' lines), Metaspace excluded.
heap_used() { jcmd "$PROXY_PID" GC.run >/dev/null; sleep 1; jcmd "$PROXY_PID" GC.heap_info | awk '/total [0-9]+K, used/ && !/Metaspace|class space/ {for (i=1;i<=NF;i++) if ($i=="used") {v=$(i+1); sub(/K,?/,"",v); sum+=v*1024}} END {print sum+0}'; }
sessions_active() { curl -s "http://127.0.0.1:$PROXY_PORT/q/metrics" | awk '/^manifold_proxy_sessions_active/ {s+=$2} END {printf "%d", s}'; }
HEAP0=$(heap_used); S0=$(sessions_active)
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SESSIONS_SECONDS}s" -s "$WORK/init.lua" "http://127.0.0.1:$PROXY_PORT/bench/echo/mcp" > "$WORK/wrk-init.txt"
HEAP1=$(heap_used); S1=$(sessions_active)
SAMPLE=$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern "$PREFIX:proxy:session:*" | head -200 || true)
REDIS_BYTES=$(for k in $SAMPLE; do redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" MEMORY USAGE "$k"; done | awk '{s+=$1; n++} END {if (n) printf "%d", s/n; else print 0}')

echo
echo "manifold proxy-runner benchmark ($(date -u +%FT%TZ), $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d$DURATION after -d$WARMUP warm-up, WORKERS=$WORKERS, loopback)"
echo "load average before: $LOAD_BEFORE   after: $LOAD_AFTER"
printf '%-14s %12s %10s %10s %10s %12s %12s\n' target req/s p50_ms p99_ms non2xx rps_vs_nginx p99_vs_nginx
NG_RPS=$(echo "$NGINX" | awk '{print $2}'); NG_P99=$(echo "$NGINX" | awk '{print $4}')
for row in "$DIRECT" "$NGINX" "$PROXY" "$FLOOR"; do
  echo "$row" | awk -v nr="$NG_RPS" -v np="$NG_P99" '{printf "%-14s %12.0f %10.3f %10.3f %10d %11.2fx %11.2fx\n", $1, $2, $3, $4, $6, $2/nr, $4/np}'
done
PROXY_REQS=$(echo "$PROXY" | awk '{print $5}')
awk -v a="$OPS_BEFORE" -v b="$OPS_AFTER" -v n="$PROXY_REQS" 'BEGIN {printf "redis ops per proxied follow-up request: %.5f (%d ops / %d requests)\n", (b-a)/n, b-a, n}'
awk -v h0="$HEAP0" -v h1="$HEAP1" -v s0="$S0" -v s1="$S1" -v rb="$REDIS_BYTES" 'BEGIN {
  n = s1 - s0; if (n <= 0) { print "memory per 10k sessions: no sessions opened"; exit }
  printf "sessions opened for the memory probe: %d\n", n
  printf "proxy-runner heap per 10k sessions: %.1f MiB (after full GC)\n", (h1-h0)/n*10000/1048576
  printf "redis memory per 10k sessions: %.1f MiB (MEMORY USAGE, mean of sampled keys x 10k)\n", rb*10000/1048576 }'
echo "raw wrk output and logs: $WORK"
