#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for RUNS executions each, from the seed corpora in
# fuzz/corpus/<target>/ (copied to a scratch dir so the repository stays clean).
# Usage: scripts/fuzz.sh BUILD_DIR RUNS
set -uo pipefail
build=${1:?build dir}; runs=${2:?runs}
top=$(cd "$(dirname "$0")/.." && pwd)
for t in sgf gtp; do
  bin="$build/fuzz_$t"
  [ -x "$bin" ] || { echo "fuzz: missing $bin" >&2; exit 1; }
  work=$(mktemp -d); log=$(mktemp)
  cp -r "$top/fuzz/corpus/$t/." "$work/" 2>/dev/null
  ASAN_OPTIONS=detect_leaks=1 "$bin" -runs="$runs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "$work" >"$log" 2>&1
  status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  echo "fuzz: $t: ${execs:-?} executions, exit $status"
  if [ "$status" -ne 0 ]; then tail -n 60 "$log" >&2; rm -rf "$work" "$log"; exit 1; fi
  rm -rf "$work" "$log"
done
echo "fuzz: all targets clean"
