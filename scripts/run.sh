#!/usr/bin/env bash
# The main job on one machine (what `make run` does after installing deps and building).
# Today: the rules engine's playout benchmark, then a whole 9x9 game of rocks against GNU Go
# through GTP, refereed by tests/gtp_vs_gnugo.py. Later stages (search, training, self-play)
# extend this script; each stage prints what it does.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
echo "== rocks: random playouts per second (9x9 and 19x19, one core)"
./build/rocks bench playouts --size 9
./build/rocks bench playouts --size 19 --reps 3
echo
echo "== rocks vs GNU Go over GTP (9x9, both colours)"
"$PY" tests/gtp_vs_gnugo.py ./build/rocks
