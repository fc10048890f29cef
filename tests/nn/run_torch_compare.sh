#!/bin/sh
# run_torch_compare.sh PYTHON TEST_NN_TORCH OUTDIR — the PyTorch comparison end to end (CTest nn_torch):
#   1. goresnet_ref.py gen  : PyTorch writes the debug state + a checkpoint into OUTDIR
#   2. test_nn_torch        : C compares outputs, loss, gradients, 10-step losses; loads the
#                             PyTorch checkpoint; writes its own checkpoint + outputs
#   3. goresnet_ref.py check: PyTorch loads the C checkpoint and compares outputs
# Fixtures are generated at test time into OUTDIR (the build tree), never committed.
set -e
PY="$1"; BIN="$2"; OUT="$3"
HERE=$(dirname "$0")
rm -rf "$OUT"
mkdir -p "$OUT"
# Debian's torch fights OpenBLAS threads (docs/architecture.md): one OpenBLAS thread for Python
OPENBLAS_NUM_THREADS=1 "$PY" "$HERE/goresnet_ref.py" gen "$OUT"
"$BIN" "$OUT"
OPENBLAS_NUM_THREADS=1 "$PY" "$HERE/goresnet_ref.py" check "$OUT"
echo "nn_torch: PyTorch <-> C comparison passed"
