#!/usr/bin/env bash
# The main job on one machine (what `make run` does after installing deps and building).
# The rules engine's playout benchmark, a whole 9x9 game of rocks against GNU Go through GTP
# (refereed by tests/gtp_vs_gnugo.py), then `rocks zero`: AlphaZero on 9x9 for ZERO_MINUTES
# (15) into ZERO_RUN (build/zero-run; resumed when it exists). Each stage prints what it does.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
echo "== rocks: random playouts per second (9x9 and 19x19, one core)"
./build/rocks bench playouts --size 9
./build/rocks bench playouts --size 19 --reps 3
echo
echo "== rocks vs GNU Go over GTP (9x9, both colours)"
"$PY" tests/gtp_vs_gnugo.py ./build/rocks
echo
echo "== rocks zero: AlphaZero self-play + training + evaluation on 9x9 (docs/selfplay.md)"
ZERO_RUN=${ZERO_RUN:-build/zero-run}
ZERO_MINUTES=${ZERO_MINUTES:-15}
if [ -f "$ZERO_RUN/config.json" ]; then
  ./build/rocks zero --run "$ZERO_RUN" --resume --minutes "$ZERO_MINUTES"
else
  ./build/rocks zero --run "$ZERO_RUN" --minutes "$ZERO_MINUTES"
fi
echo "report: $ZERO_RUN/report.md"
