#!/usr/bin/env bash
# Interleaved comparison of proxy-runner builds against nginx, for a machine too noisy for one run per target:
# nginx (plain reverse proxy) and every given proxy-runner serve the same fast backend at the same time, and ROUNDS
# rounds of SLICE-long wrk runs go to each target in turn (the order rotates every round), so a burst of load from
# elsewhere hits every target alike. Prints per target: the median req/s, its ratio to nginx's median, and the
# median CPU time per request of the proxy process (user and system; the JVM with all its threads), plus TCP
# segments sent per request, system-wide (nstat, when present).
#
#   cp -r proxy-runner/target/quarkus-app /tmp/before   # ... change, rebuild ...
#   bench/proxy/ab.sh before=/tmp/before/quarkus-run.jar after=proxy-runner/target/quarkus-app/quarkus-run.jar
#   bench/proxy/ab.sh 'g1=app/quarkus-run.jar|-XX:+UseG1GC' 'serial=app/quarkus-run.jar|-XX:+UseSerialGC'
#
# A target is label=path/to/quarkus-run.jar, optionally followed by |extra JVM options. Needs nginx, wrk and Redis
# (REDIS_HOST/REDIS_PORT, default 127.0.0.1:6379). Env: ROUNDS (5), SLICE (4s), WARMUP (4s, once per target),
# WORKERS (1: the nginx's worker_processes and each proxy-runner's event loops), CONNECTIONS (32), THREADS (2),
# PROXY_JAVA_OPTS (for every proxy-runner; the JVM runs with -Xmx512m -XX:+UseSerialGC, as in run.sh).
set -euo pipefail

[ $# -ge 1 ] || { awk 'NR > 1 && /^#/ {print} NR > 1 && !/^#/ {exit}' "$0" >&2; exit 2; }
ROUNDS="${ROUNDS:-5}"; SLICE="${SLICE:-4s}"; WARMUP="${WARMUP:-4s}"; WORKERS="${WORKERS:-1}"
CONNECTIONS="${CONNECTIONS:-32}"; THREADS="${THREADS:-2}"
REDIS_HOST="${REDIS_HOST:-127.0.0.1}"; REDIS_PORT="${REDIS_PORT:-6379}"
WORK="$(mktemp -d /tmp/manifold-proxy-ab.XXXXXX)"; PREFIX="bench-proxy-ab-$$"; PIDS=()
command -v nginx >/dev/null && command -v wrk >/dev/null || { echo "Install nginx and wrk: apt-get install -y nginx wrk" >&2; exit 1; }

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
trap cleanup EXIT
start_backend_and_nginx

INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}'
LABELS=(nginx); URLS=("http://127.0.0.1:$NGINX_PORT/mcp")
write_lua "$WORK/nginx.lua" "bench-session-through-plain-nginx"
for spec in "$@"; do
  label="${spec%%=*}"; jar="${spec#*=}"; opts=""
  if [[ "$jar" == *"|"* ]]; then opts="${jar#*|}"; jar="${jar%%|*}"; fi
  [ "$label" != nginx ] && [ -f "$jar" ] || { echo "bad target '$spec' (label=path/to/quarkus-run.jar[|jvm options])" >&2; exit 2; }
  port=$(free_port)
  # shellcheck disable=SC2086
  java -Xmx512m -XX:+UseSerialGC -Dquarkus.vertx.event-loops-pool-size="$WORKERS" ${PROXY_JAVA_OPTS:-} $opts \
    -Dquarkus.http.port="$port" -Dquarkus.http.host=127.0.0.1 -Dmanifold.proxy.routes-file="$WORK/routes.yaml" \
    -Dmanifold.proxy.redis-prefix="$PREFIX" -Dquarkus.redis.hosts="redis://$REDIS_HOST:$REDIS_PORT" \
    -jar "$jar" > "$WORK/$label.log" 2>&1 &
  PIDS+=($!); echo $! > "$WORK/$label.javapid"
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/q/health/ready" >/dev/null && break; sleep 0.2; done
  sid=$(curl -s -D - -o /dev/null -X POST "http://127.0.0.1:$port/bench/echo/mcp" -H 'content-type: application/json' \
    -H 'accept: application/json, text/event-stream' -d "$INIT" | awk 'tolower($1)=="mcp-session-id:" {print $2}' | tr -d '\r')
  [ -n "$sid" ] || { echo "could not open a session through $label; see $WORK/$label.log" >&2; exit 1; }
  write_lua "$WORK/$label.lua" "$sid"
  LABELS+=("$label"); URLS+=("http://127.0.0.1:$port/bench/echo/mcp")
done

# CPU ticks "user system" of a target: the front nginx's workers, or the proxy-runner JVM (all its threads).
cpu() {
  local pids
  if [ "$1" = nginx ]; then pids=$(pgrep -P "$(cat "$WORK/front.pid")"); else pids=$(cat "$WORK/$1.javapid"); fi
  for p in $pids; do awk '{print $14, $15}' "/proc/$p/stat"; done | awk '{u+=$1; s+=$2} END {print u, s}'
}
n=${#LABELS[@]}
for i in $(seq 0 $((n-1))); do wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$WORK/${LABELS[$i]}.lua" "${URLS[$i]}" >/dev/null; done
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
HAS_NSTAT=$(command -v nstat >/dev/null && echo 1 || echo 0)
for r in $(seq 1 "$ROUNDS"); do
  for k in $(seq 0 $((n-1))); do
    i=$(( (k + r) % n )); label=${LABELS[$i]}
    c0=$(cpu "$label"); [ "$HAS_NSTAT" = 1 ] && nstat -n >/dev/null
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$SLICE" -s "$WORK/$label.lua" "${URLS[$i]}")
    c1=$(cpu "$label")
    [ "$HAS_NSTAT" = 1 ] && nstat 2>/dev/null | awk -v l="$label" '$1=="TcpOutSegs" {print l, $1, $2}' >> "$WORK/nstat"
    echo "$label $(echo "$out" | awk '/Requests\/sec/ {print $2}') $(echo "$out" | awk '/requests in/ {print $1}') $c0 $c1" >> "$WORK/results"
  done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

echo
echo "manifold proxy-runner A/B ($(date -u +%FT%TZ), $(nproc) cores, $ROUNDS rounds x wrk -t$THREADS -c$CONNECTIONS -d$SLICE per target, WORKERS=$WORKERS)"
echo "load average before: $LOAD_BEFORE   after: $LOAD_AFTER"
python3 - "$WORK/results" "$WORK/nstat" "$(getconf CLK_TCK)" <<'PY'
import collections, statistics, sys
rps, user, system, reqs = (collections.defaultdict(list) for _ in range(4))
order = []
for line in open(sys.argv[1]):
    label, r, n, u0, s0, u1, s1 = line.split()
    if label not in order:
        order.append(label)
    n = int(n); tick = 1e6 / float(sys.argv[3])
    rps[label].append(float(r)); reqs[label].append(n)
    user[label].append((int(u1) - int(u0)) * tick / n); system[label].append((int(s1) - int(s0)) * tick / n)
segs = collections.Counter()
try:
    for line in open(sys.argv[2]):
        label, key, value = line.split(); segs[label] += int(value)
except FileNotFoundError:
    pass
nginx = statistics.median(rps["nginx"])
print(f"{'target':<14}{'req/s':>10}{'vs_nginx':>10}{'user_us/req':>13}{'sys_us/req':>12}{'out_segs/req':>13}  req/s per round")
for label in order:
    m = statistics.median(rps[label])
    s = f"{segs[label] / sum(reqs[label]):.2f}" if segs[label] else "-"
    print(f"{label:<14}{m:>10.0f}{m / nginx:>9.2f}x{statistics.median(user[label]):>13.1f}{statistics.median(system[label]):>12.1f}{s:>13}  "
          + " ".join(f"{x:.0f}" for x in rps[label]))
PY
echo "raw results and logs: $WORK"
