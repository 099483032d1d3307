# Sourced by scripts/standalone.sh and bench/broker/run.sh: starting child processes, waiting for them, and always
# stopping them. Set LOG_TAG, ROOT, JAVA and NODE before sourcing.

say() { printf '[%s] %s\n' "${LOG_TAG:-manifold}" "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Every background process a script starts goes into CHILDREN; on exit (normal, Ctrl-C or TERM) each gets TERM, up to
# 10 s to stop, then KILL.
CHILDREN=()
stop_children() {
  local status=$?
  trap - EXIT INT TERM
  if ((${#CHILDREN[@]})); then
    say "stopping ${#CHILDREN[@]} processes"
    for pid in "${CHILDREN[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${CHILDREN[@]}"; do
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    done
  fi
  exit "$status"
}
trap stop_children EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  "$NODE" -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

# http_ok <url>: the URL answers 2xx.
http_ok() {
  if command -v curl >/dev/null; then
    curl -fsS -o /dev/null "$1" 2>/dev/null
  else
    "$NODE" -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"
  fi
}

# wait_for <what> <pid> <log> <command...>: polls the command (every 0.1 s, up to 120 s) until it succeeds; fails
# with the log's tail if the process exits first or time runs out.
wait_for() {
  local what=$1 pid=$2 log=$3; shift 3
  for _ in $(seq 1 1200); do
    "$@" && return 0
    kill -0 "$pid" 2>/dev/null || { tail -n 40 "$log" >&2; die "$what exited (log: $log)"; }
    sleep 0.1 # polling cadence
  done
  tail -n 40 "$log" >&2
  die "$what not ready after 120s (log: $log)"
}

# The packaged broker, built on first use.
# BROKER_JAR may name another build (e.g. an older one, to compare back to back).
DEFAULT_BROKER_JAR=$ROOT/broker-service/target/quarkus-app/quarkus-run.jar
BROKER_JAR=${BROKER_JAR:-$DEFAULT_BROKER_JAR}
# Builds the broker when its jar is missing, or (the default jar only) older than any source it is built from, as
# after a git pull.
ensure_broker_jar() {
  local why=""
  if [[ ! -f $BROKER_JAR ]]; then
    why="no broker jar yet"
  elif [[ $BROKER_JAR == "$DEFAULT_BROKER_JAR" && -n $(find "$ROOT/pom.xml" "$ROOT/broker-service/pom.xml" "$ROOT/broker-service/src/main" \
                    "$ROOT/contracts/pom.xml" "$ROOT/contracts/src/main" "$ROOT/runtime/pom.xml" "$ROOT/runtime/src/main" \
                    -newer "$BROKER_JAR" -print -quit) ]]; then
    why="sources changed since the jar was built"
  fi
  if [[ -n $why ]]; then
    say "building the broker ($why); on a cold Maven cache the first build downloads dependencies (2-3 minutes)"
    # Maven's own progress, without the per-file download noise (-ntp).
    (cd "$ROOT" && ./mvnw -B -ntp -pl broker-service -am package -DskipTests | grep -E '^\[INFO\] (Building |BUILD|Total time)|ERROR')
    touch "$BROKER_JAR" # Quarkus may leave an unchanged launcher jar's time alone: mark this build as current
  fi
}
