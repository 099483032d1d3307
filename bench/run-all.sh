#!/usr/bin/env bash
# Runs every benchmark in bench/ one after the other, each with its defaults (QUICK=1: shorter settings where a
# benchmark has them), and prints each one's tables as it finishes, then one line per benchmark: its exit status
# and how long it took. Output and logs: bench/target/run-all-<time>/<name>.log. Needs what each one needs
# (bench/README.md): Redis on 127.0.0.1:6379, Node >= 20, nginx and wrk for the proxy benchmark.
# Usage: bench/run-all.sh [name ...]   (default: all, in the order of bench/README.md)
set -uo pipefail
cd "$(dirname "$0")/.."
ALL=(broker broker-cluster broker-scale broker-removal controller system proxy)
NAMES=("$@"); [ ${#NAMES[@]} -gt 0 ] || NAMES=("${ALL[@]}")
OUT="bench/target/run-all-$(date -u +%Y%m%dT%H%M%SZ)"; mkdir -p "$OUT"
quick_env() {
  [ "${QUICK:-0}" = 1 ] || return 0
  case "$1" in
    broker) echo "BACKEND=fast" ;;
    proxy) echo "DURATION=5s WARMUP=3s" ;;
  esac
}
quick_args() {
  [ "${QUICK:-0}" = 1 ] || return 0
  case "$1" in
    broker-cluster) echo "20" ;;
    broker-scale) echo "200 20 10" ;;
    broker-removal) echo "500 3 10000 3" ;;
  esac
}
SUMMARY=()
for name in "${NAMES[@]}"; do
  script="bench/$name/run.sh"
  [ -x "$script" ] || { echo "no benchmark '$name' (bench/<name>/run.sh)" >&2; SUMMARY+=("$name | missing | -"); continue; }
  echo "=== $name: $script $(quick_args "$name") $(quick_env "$name")"
  start=$(date +%s)
  # shellcheck disable=SC2046
  env $(quick_env "$name") "$script" $(quick_args "$name") 2>&1 | tee "$OUT/$name.log"
  status=${PIPESTATUS[0]}
  SUMMARY+=("$name | $status | $(( $(date +%s) - start )) s")
done
echo
echo "| benchmark | exit | took |"
echo "| --- | --- | --- |"
for row in "${SUMMARY[@]}"; do echo "| $row |"; done
echo "logs: $OUT"
